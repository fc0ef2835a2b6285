"""Alembic environment: runs on the connection handed over by arcollect.db.migrate (or a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import arcollect.models  # noqa: F401  (registers every table on the metadata)
from arcollect.db import Base, alembic_include_object

config = context.config
target_metadata = Base.metadata


_include_object = alembic_include_object  # the job queue's tables are procrastinate's, not ours to manage


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
        user_module_prefix="arcollect.db.",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
