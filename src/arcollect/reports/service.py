"""Reports (CONTRACT §10): the portfolio report of a collector or the team (JSON, PDF, XLSX) and its weekly
email to the managers. The one module other packages and the interfaces call."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from arcollect import audit
from arcollect.auth.models import User
from arcollect.context import Context
from arcollect.disputes import service as disputes
from arcollect.errors import InvalidInput, NotFound
from arcollect.escalations import service as escalations
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.promises import service as promises
from arcollect.reports import portfolio as P
from arcollect.reports import portfolio_files as F

FORMATS = ("json", "pdf", "xlsx")
MEDIA = {"pdf": "application/pdf", "xlsx": F.XLSX, "json": "application/json"}
TREND_MONTHS = 6


def _scope_for(ctx: Context, collector: str | None, scope: CustomerScope) -> CustomerScope:
    """The caller's scope narrowed to one collector's portfolio (which must be inside it)."""
    if collector is None:
        return scope
    if not scope.allows(collector, None) and not scope.teams:
        raise NotFound(f"collector {collector!r}: not in your portfolio")
    known = set(ledger.customer_facets(ctx, scope=scope)["collectors"])
    if collector not in known:
        raise NotFound(f"collector {collector!r}: no customer of yours is assigned to them")
    return CustomerScope(collectors=(collector,))


def portfolio(ctx: Context, *, as_of: dt.date, collector: str | None = None,
              scope: CustomerScope = EVERYTHING) -> P.Portfolio:
    """The portfolio report as of a date, for one collector or everything the caller sees."""
    within = _scope_for(ctx, collector, scope)
    dash = ledger.dashboard(ctx, as_of=as_of, scope=within, months=TREND_MONTHS, top=P.TOP)
    promised = promises.list_promises(ctx, as_of=as_of, scope=within)
    limits = ledger.credit_limits(ctx, scope=within)
    exposures = [(r.key, r.name, r.currency, r.total, limits[r.key][1]) for r in dash.rows
                 if r.key in limits and limits[r.key][0] == r.currency]
    active = disputes.list_disputes(ctx, active=True, scope=disputes.CaseScope(customers=within), limit=10_000)
    waiting = escalations.list_escalations(ctx, status="proposed", scope=within, limit=10_000)
    sections = [P.largest_past_due(dash.rows), P.broken_promises(promised, as_of=as_of),
                P.near_credit_limit(exposures), P.disputes_past_sla(active), P.promises_due(promised, as_of=as_of),
                P.escalations_awaiting(waiting)]
    zone = ZoneInfo(ctx.settings.timezone)
    return P.Portfolio(as_of=as_of, who=f"collector {collector}" if collector else "the whole team",
                       collector=collector, generated_at=ctx.clock.now().astimezone(zone),
                       currencies=P.health(dash.currencies, dash.trend), trend_dates=dash.trend_dates,
                       sections=sections, unidentified_cash=dash.unidentified_cash if collector is None else {})


def portfolio_file(ctx: Context, *, as_of: dt.date, fmt: str = "pdf", collector: str | None = None,
                   scope: CustomerScope = EVERYTHING) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the report in ``fmt`` (pdf, xlsx or json)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    report = portfolio(ctx, as_of=as_of, collector=collector, scope=scope)
    name = f"portfolio-{collector or 'team'}-{as_of.isoformat()}.{fmt}"
    options = {"company": ctx.settings.company_name, "zone": ctx.settings.timezone}
    if fmt == "pdf":
        return F.to_pdf(report, **options), MEDIA[fmt], name
    if fmt == "xlsx":
        return F.to_xlsx(report, **options), MEDIA[fmt], name
    import json

    return json.dumps(P.to_json(report), indent=2).encode("utf-8"), MEDIA[fmt], name


def _managers(ctx: Context) -> list[tuple[str, str | None, str]]:
    """(login, team, email) of the active managers who have an email address."""
    from arcollect.auth.models import Team

    with ctx.sessions() as session:
        teams = dict(session.execute(select(Team.id, Team.name)).all())
        return [(u.login, teams.get(u.team_pk) if u.team_pk else None, u.email)
                for u in session.scalars(select(User).where(User.active, User.role == "manager",
                                                            User.email.is_not(None)).order_by(User.login))]


def send_weekly(ctx: Context, *, as_of: dt.date | None = None,
                sender_factory: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Email each manager the PDF portfolio report of their team (a manager without a team: the whole book).
    Meant for a weekly schedule (cron: `arcollect report send-portfolio`); audited per email sent."""
    from arcollect.outreach.smtp import SmtpSender, build_email, new_message_id

    as_of = as_of or ctx.clock.today()
    managers = _managers(ctx)
    sent, failed = [], []
    if not managers:
        return {"as_of": as_of.isoformat(), "sent": [], "failed": ["no active manager has an email address"]}
    sender = None
    try:
        sender = (sender_factory or (lambda: SmtpSender(ctx.settings, bcc=False)))()
        for login, team, email in managers:
            scope = CustomerScope(teams=(team,)) if team else EVERYTHING
            data, _, name = portfolio_file(ctx, as_of=as_of, fmt="pdf", scope=scope)
            who = f"team {team}" if team else "the whole book"
            text = (f"The portfolio report of {who} as of {as_of.isoformat()} is attached (PDF).\n\n"
                    f"Open it in the app: {ctx.settings.public_url.rstrip('/')}/reports\n")
            message = build_email(settings=ctx.settings, to=[email], subject=f"Portfolio report — {who} — {as_of.isoformat()}",
                                  text=text, html=f"<p>{text.replace(chr(10), '<br>')}</p>",
                                  message_id=new_message_id(f"portfolio/{login}/{as_of.isoformat()}", ctx.settings),
                                  attachments=[(name, data)])
            try:
                sender.send(message)
            except Exception as exc:  # noqa: BLE001  (one bad address must not stop the others)
                failed.append(f"{login}: {exc}")
                continue
            sent.append(login)
            with ctx.unit_of_work() as session:
                audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="send_portfolio_report",
                             entity="user", entity_key=login, changes={"as_of": as_of.isoformat(), "team": team,
                                                                       "to": email, "file": name})
    except OSError as exc:  # the SMTP server is down: the next run tries again
        failed.append(f"SMTP {ctx.settings.smtp_host}:{ctx.settings.smtp_port}: {exc}")
    finally:
        if sender is not None:
            sender.close()
    return {"as_of": as_of.isoformat(), "sent": sent, "failed": failed}
