"""The append-only audit log: who changed what, when, before → after. Rows are never updated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping

from sqlalchemy import JSON, BigInteger, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from arcollect.db import PK, Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(128), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    batch_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field → [before, after] for every field whose value changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in keys
        if before.get(k) != after.get(k)
    }


def entry(*, at: dt.datetime, actor: str, action: str, entity: str, entity_key: str,
          changes: Mapping[str, Any], batch_id: int | None = None) -> dict[str, Any]:
    """One audit row as plain data (bulk inserts use this shape)."""
    return {"at": at, "actor": actor, "action": action, "entity": entity,
            "entity_key": entity_key, "changes": _jsonable(dict(changes)), "batch_id": batch_id}


def record(session: Session, **kwargs: Any) -> None:
    session.add(AuditEntry(**entry(**kwargs)))


def record_many(session: Session, entries: list[dict[str, Any]]) -> None:
    if entries:
        session.execute(AuditEntry.__table__.insert(), entries)


def history(session: Session, entity: str, entity_key: str) -> list[AuditEntry]:
    stmt = (select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_key == entity_key)
            .order_by(AuditEntry.id))
    return list(session.scalars(stmt))
