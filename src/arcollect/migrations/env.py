"""Alembic environment: runs on the connection handed over by arcollect.db.migrate (or a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import arcollect.models  # noqa: F401  (registers every table on the metadata)
from arcollect.db import Base, not_modelled

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    # Tables of other tools (e.g. the job queue's) and the full-text index objects the migrations create
    # by hand (SQLite FTS5 tables, PostgreSQL expression indexes) are not the models' to manage.
    return not (reflected and compare_to is None and not_modelled(type_, name))


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
