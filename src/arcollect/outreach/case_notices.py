"""Email to the people who must act on a case (over the SMTP server of the outbox): stakeholders get their
team's new action items and the overdue ones again; a dispute past its SLA is flagged once to the
customer's collector and the managers over them. One digest per recipient per run; an item is marked as
notified once at least one recipient got it (runs again until someone can be reached)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from html import escape
from typing import Any, Callable

from sqlalchemy import select

from arcollect.auth.models import Team, User
from arcollect.disputes import workflow as D
from arcollect.disputes.models import ActionItem, Dispute, DisputeEvent
from arcollect.context import Context
from arcollect.ledger.models import Customer
from arcollect.outreach.smtp import Sender, SmtpSender, build_email, new_message_id

SenderFactory = Callable[[], Sender]


def _people(session: Any) -> tuple[dict[str, list[str]], dict[str, str], list[tuple[str | None, str]]]:
    """(stakeholder emails by team, email by login, managers as (team, email)) of active users with an email."""
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    stakeholders: dict[str, list[str]] = defaultdict(list)
    by_login, managers = {}, []
    for u in session.scalars(select(User).where(User.active, User.email.is_not(None))):
        team = teams.get(u.team_pk) if u.team_pk else None
        by_login[u.login] = u.email
        if u.role == "stakeholder" and team:
            stakeholders[team].append(u.email)
        elif u.role == "manager":
            managers.append((team, u.email))
    return stakeholders, by_login, managers


def notify(ctx: Context, *, sender_factory: SenderFactory | None = None) -> dict[str, Any]:
    """Send the digests due now; returns what was sent and what could not be."""
    today, now = ctx.clock.today(), ctx.clock.now()
    base = ctx.settings.public_url.rstrip("/")
    lines: dict[str, list[str]] = defaultdict(list)
    reached: dict[str, set[tuple[str, int]]] = defaultdict(set)  # email → (kind, id) in its digest
    with ctx.sessions() as session:
        stakeholders, by_login, managers = _people(session)
        items = session.execute(select(ActionItem, Dispute, Customer).join(Dispute, Dispute.id == ActionItem.dispute_pk)
                                .join(Customer, Customer.id == Dispute.customer_pk)
                                .where(ActionItem.status == "open")).all()
        breaches = session.execute(select(Dispute, Customer).join(Customer, Customer.id == Dispute.customer_pk)
                                   .where(Dispute.status.in_(sorted(D.ACTIVE)), Dispute.sla_due < today,
                                          Dispute.sla_flagged_at.is_(None))).all()
    for item, d, c in items:
        new, overdue = item.notified_at is None, item.due_on < today and item.overdue_notified_at is None
        if not (new or overdue):
            continue
        to = set(stakeholders.get(item.team, []))
        if item.assignee and item.assignee in by_login:
            to.add(by_login[item.assignee])
        if overdue and c.collector in by_login:
            to.add(by_login[c.collector])
        label = "OVERDUE" if overdue else "New"
        for email in to:
            lines[email].append(f"{label}: {item.title} — {D.TEAMS.get(item.team, item.team)}, due {item.due_on.isoformat()}\n"
                                f"  {c.name} ({c.customer_id}), dispute {d.id} ({d.reason}, {d.amount:.2f} {d.currency})\n"
                                f"  {base}/disputes/{d.id}")
            reached[email].add(("overdue" if overdue else "new", item.id))
    for d, c in breaches:
        to = {by_login[c.collector]} if c.collector in by_login else set()
        to |= {email for team, email in managers if team is None or team == c.team}
        for email in to:
            lines[email].append(f"SLA BREACHED: dispute {d.id} of {c.name} ({c.customer_id}) was due {d.sla_due.isoformat()} "
                                f"— {d.status.replace('_', ' ')}, routed to {D.TEAMS.get(d.team, d.team)}\n"
                                f"  {base}/disputes/{d.id}")
            reached[email].add(("sla", d.id))
    if not lines:
        return {"emails": 0, "new": 0, "overdue": 0, "sla_breaches": 0, "failed": []}
    sent: set[tuple[str, int]] = set()
    failed = []
    delivered = 0
    sender = None
    try:
        sender = (sender_factory or (lambda: SmtpSender(ctx.settings, bcc=False)))()
        for email, body in sorted(lines.items()):
            text = (f"Cases waiting for you in {ctx.settings.company_name}'s collections:\n\n" + "\n\n".join(body)
                    + "\n\nAnswer in the app: " + f"{base}/inbox\n")
            html = "<pre style=\"font-family: sans-serif\">" + escape(text) + "</pre>"
            message = build_email(settings=ctx.settings, to=[email], subject=f"{len(body)} case item"
                                  f"{'s' if len(body) != 1 else ''} waiting for you", text=text, html=html,
                                  message_id=new_message_id(f"notice/{email}/{now.isoformat()}", ctx.settings))
            try:
                sender.send(message)
                sent |= reached[email]
                delivered += 1
            except Exception as exc:  # noqa: BLE001  (one bad address must not stop the others)
                failed.append(f"{email}: {exc}")
    except OSError as exc:  # the SMTP server is down: nothing is marked, the next run tries again
        failed.append(f"SMTP {ctx.settings.smtp_host}:{ctx.settings.smtp_port}: {exc}")
    finally:
        if sender is not None:
            sender.close()
    _mark(ctx, sent, now)
    return {"emails": delivered, "new": len({i for k, i in sent if k == "new"}), "overdue": len({i for k, i in sent if k == "overdue"}),
            "sla_breaches": len({i for k, i in sent if k == "sla"}), "failed": failed}


def _mark(ctx: Context, sent: set[tuple[str, int]], now: dt.datetime) -> None:
    if not sent:
        return
    with ctx.unit_of_work() as session:
        for kind, pk in sorted(sent):
            if kind == "sla":
                d = session.get(Dispute, pk)
                d.sla_flagged_at = now
                session.add(DisputeEvent(dispute_pk=pk, kind="comment", at=now, actor="system",
                                         text=f"SLA breached (due {d.sla_due.isoformat()}): the collector and the "
                                              "manager were notified"))
            else:
                item = session.get(ActionItem, pk)
                if kind == "new":
                    item.notified_at = now
                item.overdue_notified_at = now if kind == "overdue" else item.overdue_notified_at
                if kind == "overdue" and item.notified_at is None:
                    item.notified_at = now
