"""Documents kept as numbered versions (the playbook, the escalation policy): every load that changes the
text is a new row, the highest version is in force, every load is audited. The tables share the columns
``version``, ``name``, ``source``, ``sha256``, ``loaded_at``, ``loaded_by``."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arcollect import audit


def latest(session: Session, model: Any) -> tuple[int, str] | None:
    """(version, source) of the version in force, or None when none was loaded."""
    row = session.execute(select(model.version, model.source).order_by(model.version.desc()).limit(1)).first()
    return (row.version, row.source) if row is not None else None


def store(session: Session, model: Any, *, name: str, text: str, now: dt.datetime, actor: str, entity: str,
          changes: dict[str, Any]) -> dict[str, Any]:
    """Store ``text`` as the next version unless it equals the one in force; audited as ``entity``."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    current = session.execute(select(model.version, model.sha256).order_by(model.version.desc()).limit(1)).first()
    if current is not None and current.sha256 == digest:
        return {"version": current.version, "name": name, "changed": False}
    version = (session.scalar(select(func.max(model.version))) or 0) + 1
    session.add(model(version=version, name=name, source=text, sha256=digest, loaded_at=now, loaded_by=actor))
    audit.record(session, at=now, actor=actor, action="load", entity=entity, entity_key=str(version),
                 changes={"name": name, "sha256": digest, **changes})
    return {"version": version, "name": name, "changed": True}
