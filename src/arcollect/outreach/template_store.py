"""Message templates edited by admins: every save is a new version, checked first by rendering it on a
real account (a broken template is refused with the line of the error); restoring the file's template
is a version too. Rendering anywhere (outbox, previews, letters) uses the versions in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.context import Context
from arcollect.errors import Conflict, InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.outreach.compose import account_message
from arcollect.outreach.models import MessageTemplate, OutboxMessage
from arcollect.outreach.render import (EDITABLE, LANGUAGES, TEMPLATE_NAMES, Overrides, Rendered, check_source, key,
                                       source_of)
from arcollect.outreach.sandbox import Limits


def overrides(session: Session) -> Overrides:
    """The edited templates in force, as ``((\"en/reminder.j2\", source), ...)``."""
    latest: dict[str, str | None] = {}
    for language, name, source in session.execute(select(MessageTemplate.language, MessageTemplate.name,
                                                         MessageTemplate.source).order_by(MessageTemplate.version)):
        latest[f"{language}/{name}.j2"] = source
    return tuple(sorted((k, s) for k, s in latest.items() if s is not None))


def _versions(session: Session, language: str, name: str) -> list[MessageTemplate]:
    return list(session.scalars(select(MessageTemplate).where(MessageTemplate.language == language,
                                                              MessageTemplate.name == name)
                                .order_by(MessageTemplate.version.desc())))


def catalogue(ctx: Context) -> list[dict[str, Any]]:
    """Every editable template × language, with its latest edit (if any)."""
    with ctx.sessions() as session:
        latest = {(r.language, r.name): r for r in session.scalars(select(MessageTemplate).order_by(MessageTemplate.version))}
    out = []
    for name in EDITABLE:
        for language in LANGUAGES:
            r = latest.get((language, name))
            out.append({"language": language, "name": name, "edited": bool(r and r.source is not None),
                        "version": r.version if r else 0, "saved_at": r.saved_at.isoformat() if r else None,
                        "saved_by": r.saved_by if r else None})
    return out


def detail(ctx: Context, *, language: str, name: str) -> dict[str, Any]:
    """The source in force and the versions of one template."""
    key(language, name)
    with ctx.sessions() as session:
        versions = _versions(session, language, name)
        edits = overrides(session)
    return {"language": language, "name": name, "source": source_of(language, name, overrides=edits),
            "edited": bool(versions and versions[0].source is not None),
            "version": versions[0].version if versions else 0,
            "versions": [{"version": v.version, "saved_at": v.saved_at.isoformat(), "saved_by": v.saved_by,
                          "restored_default": v.source is None} for v in versions]}


def sample_customer(ctx: Context, *, scope: ledger.CustomerScope = ledger.EVERYTHING) -> str | None:
    """An account to preview on: the customer of the latest dunning message in scope, else the first one."""
    with ctx.sessions() as session:
        stmt = select(Customer.customer_id).join(OutboxMessage, OutboxMessage.customer_pk == Customer.id)
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        found = session.scalar(stmt.order_by(OutboxMessage.id.desc()).limit(1))
        if found is None:
            stmt = select(Customer.customer_id).order_by(Customer.customer_id).limit(1)
            if scope.condition() is not None:
                stmt = stmt.where(scope.condition())
            found = session.scalar(stmt)
    return found


def preview(ctx: Context, *, language: str, name: str, source: str, customer_id: str, as_of: dt.date | None = None,
            scope: ledger.CustomerScope = ledger.EVERYTHING) -> Rendered:
    """The message an edited template would produce for a real account today (its past-due items, else
    all its open items); InvalidInput with the line if the template is broken. Nothing is stored."""
    key(language, name)
    step = name if name in TEMPLATE_NAMES else "reminder"
    _, message = account_message(ctx, customer_id=customer_id, step=step, template=step,
                                 as_of=as_of or ctx.clock.today(), past_due_only=True,
                                 with_unapplied=name == "remittance_request", scope=scope)
    with ctx.sessions() as session:
        edits = overrides(session)
    return check_source(language, name, source, sample=message, overrides=edits, limits=Limits.of(ctx.settings))


def save(ctx: Context, *, language: str, name: str, source: str, customer_id: str | None = None,
         scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """Check an edited template on a real account, then store it as the next version (audited)."""
    source = source.replace("\r\n", "\n")
    if not source.strip():
        raise InvalidInput(f"{key(language, name)}: the template is empty (restore the default instead)")
    sample = customer_id or sample_customer(ctx, scope=scope)
    if sample is None:
        raise InvalidInput("there is no customer to check the template on: import the ledger first")
    preview(ctx, language=language, name=name, source=source, customer_id=sample, scope=scope)
    return _store(ctx, language, name, source)


def restore_default(ctx: Context, *, language: str, name: str) -> dict[str, Any]:
    """Put the file's template back in force (a new version without source; audited)."""
    with ctx.sessions() as session:
        if key(language, name) not in dict(overrides(session)):
            raise Conflict(f"{language}/{name} is not edited: the default is already in force")
    return _store(ctx, language, name, None)


def _store(ctx: Context, language: str, name: str, source: str | None) -> dict[str, Any]:
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        last = session.scalar(select(func.max(MessageTemplate.version)).where(MessageTemplate.language == language,
                                                                              MessageTemplate.name == name)) or 0
        before = dict(overrides(session)).get(key(language, name))
        session.add(MessageTemplate(language=language, name=name, version=last + 1, source=source, saved_at=now,
                                    saved_by=ctx.actor))
        audit.record(session, at=now, actor=ctx.actor, action="edit" if source is not None else "restore",
                     entity="message_template", entity_key=f"{language}/{name}",
                     changes={"version": [last, last + 1], "source": [before, source]})
    return {"language": language, "name": name, "version": last + 1, "edited": source is not None}
