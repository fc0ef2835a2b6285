"""Report use cases: metrics, roll-forward and recurring causes for a period — the one module the CLI,
the API and the web call. Amounts come from the ledger's as-of sums in SQL (``ledger.period_units``);
the definitions are the pure modules' (metrics, rollforward, causes). Also the portfolio report of a collector
or the team (JSON, PDF, XLSX) and its weekly email to the managers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Collection, Sequence

from arcollect import fx
from arcollect.context import Context
from arcollect.disputes import service as disputes
from arcollect.errors import InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.reports import causes as C
from arcollect.reports import metrics as M
from arcollect.reports import queries as R
from arcollect.reports import reporting as RP
from arcollect.reports import rollforward as RF
from arcollect.reports.periods import Period, countback_windows, parse_period, trend_months
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from arcollect import audit
from arcollect.auth.models import User
from arcollect.errors import NotFound
from arcollect.escalations import service as escalations
from arcollect.promises import service as promises
from arcollect.reports import portfolio as P
from arcollect.reports import portfolio_files as F

METRICS_BY = ("total", "collector", "team", "segment", "customer")
ROLLFORWARD_BY = ("total", "collector", "team", "segment", "customer")
COUNTBACK_MONTHS = 24
TREND_MONTHS = 6
UNASSIGNED = "(unassigned)"
NONE = "(none)"
ZERO = Decimal(0)
SCALE = -4  # the ledger's sums are in 1/10,000ths


def _money(units: int) -> Decimal:
    return Decimal(units).scaleb(SCALE) if units else ZERO


class _Plan:
    """The dates and windows one report asks the ledger for, and where each one's sums sit."""

    def __init__(self, period: Period, months: Sequence[Period]) -> None:
        self.period, self.months = period, list(months)
        spans = [period, *self.months]
        self.dates = sorted({d for p in spans for d in (p.day_before, p.end)})
        # the spans' own windows first, then the months only countback reads (``own`` of them are the spans')
        own = list(dict.fromkeys((p.start, p.end) for p in spans))
        back = [x for p in spans for x in countback_windows(p.end, COUNTBACK_MONTHS) if x not in own]
        self.windows = list(dict.fromkeys([*own, *back]))
        self.own = len(own)
        self.flows = list(dict.fromkeys((p.start, p.end) for p in spans))
        self.cb = {p.end: [self.windows.index(x) for x in countback_windows(p.end, COUNTBACK_MONTHS)] for p in spans}
        self.cb_days = {p.end: [(e - s).days + 1 for s, e in countback_windows(p.end, COUNTBACK_MONTHS)]
                        for p in spans}
        self.d = {d: i for i, d in enumerate(self.dates)}
        self.w = {x: i for i, x in enumerate(self.windows)}
        self.f = {x: i for i, x in enumerate(self.flows)}


def _figures(u: ledger.PeriodUnits, key: tuple[Any, str], plan: _Plan, p: Period) -> M.Figures:
    cur = key[1]
    zero_d, zero_w, zero_f = [0] * len(plan.dates), [0] * len(plan.windows), [0] * len(plan.flows)
    open_at, current_at = u.open_at.get(key, zero_d), u.current_at.get(key, zero_d)
    invoiced, credits = u.invoiced.get(key, zero_w), u.credit_notes.get(key, zero_w)
    flow = plan.f[(p.start, p.end)]
    win = plan.w[(p.start, p.end)]
    cb = plan.cb[p.end]
    return M.Figures(
        currency=cur, ar_start=_money(open_at[plan.d[p.day_before]]), ar_end=_money(open_at[plan.d[p.end]]),
        current_end=_money(current_at[plan.d[p.end]]), invoiced=_money(invoiced[win]),
        credit_notes=_money(credits[win]), collected=_money(u.applied["payments"].get(key, zero_f)[flow]),
        pay_days=_money(u.pay_days.get(key, zero_f)[flow]), late_days=_money(u.late_days.get(key, zero_f)[flow]),
        unapplied_cash=_money(u.unapplied_cash.get(key, 0)) if p is plan.period else ZERO,
        countback_sales=[_money(invoiced[i] - credits[i]) for i in cb])


def _rolled(units: ledger.PeriodUnits, cases: dict) -> tuple[ledger.PeriodUnits, dict]:
    """The per-customer sums added up per currency (the book's total), sums and case counts alike."""
    out = ledger.PeriodUnits()

    def roll(table: dict) -> dict:
        summed: dict = {}
        for (_, cur), values in table.items():
            have = summed.get(("total", cur))
            summed[("total", cur)] = list(values) if have is None else [a + b for a, b in zip(have, values)]
        return summed

    for name in ("open_at", "current_at", "invoiced", "credit_notes", "backdated", "pay_days", "late_days"):
        setattr(out, name, roll(getattr(units, name)))
    out.applied = {kind: roll(table) for kind, table in units.applied.items()}
    rolled: dict = defaultdict(lambda: defaultdict(int))
    for (_, cur, i), slot in cases.items():
        target = rolled[("total", cur, i)]
        for name, value in slot.items():
            target[name] = target.get(name, 0) + value
    return out, rolled


def _label(by: str, value: Any, info: dict[int, tuple[Any, ...]]) -> tuple[str, str | None]:
    """(key, name) of a group as reports print it."""
    if by == "customer":
        cid, name = info[value][0], info[value][1]
        return cid, name
    if by == "total":
        return "total", None
    if value is None:
        return (UNASSIGNED if by == "collector" else NONE), None
    return str(value), None


def _group_of(by: str, cpk: int, info: dict[int, tuple[Any, ...]]) -> Any:
    if by == "customer":
        return cpk
    if by == "total":
        return "total"
    return info[cpk][("collector", "team", "segment").index(by) + 2]


def _case_figures(ctx: Context, session: Any, plan: _Plan, by: str, scope: CustomerScope,
                  info: dict[int, tuple[Any, ...]]) -> dict[tuple[Any, str, int], dict[str, Any]]:
    """(group, currency, flow index) → promise and dispute counts of that window."""
    first = min(s for s, _ in plan.flows)
    out: dict[tuple[Any, str, int], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    promised = R.promise_outcomes(session, since=first, until=plan.period.end, scope=scope)
    facts = R.dispute_facts(session, since=first, until=plan.period.end, scope=scope)
    missing = {cpk for cpk, *_ in promised} | {cpk for cpk, _ in facts}
    info.update(ledger.customer_groups(session, missing - set(info)))
    for (s, e), i in plan.f.items():
        for cpk, cur, deadline, status in promised:
            if s <= deadline <= e and status in ("kept", "partially_kept", "broken"):
                slot = out[(_group_of(by, cpk, info), cur, i)]
                slot["promises_resolved"] += 1
                slot["promises_kept"] += status == "kept"
        for cpk, f in facts:
            slot = out[(_group_of(by, cpk, info), f.currency, i)]
            if s <= f.opened_on <= e:
                slot["disputes_opened"] += 1
                slot["disputed_amount"] = slot.get("disputed_amount", ZERO) + f.amount
            if f.resolved_on is not None and s <= f.resolved_on <= e:
                slot["disputes_resolved"] += 1
                slot["dispute_days"] += (f.resolved_on - f.opened_on).days
    return out


def _units(session: Any, plan: _Plan, by: str, scope: CustomerScope, *, countback: bool,
           exact: bool) -> ledger.PeriodUnits:
    """The ledger's sums for the plan. The scan of open amounts reads only what the period and its trend
    months touch (invoices open on the first date or issued since); the 24 months of sales countback walks
    back through come from one grouped scan of the issue dates (``sales_in_windows``) and are appended to
    the windows' lists. ``exact`` asks for every window in the one scan instead (the reference the tests
    compare the fast path with: both give the same sums)."""
    if exact:
        return ledger.period_units(session, dates=plan.dates, windows=plan.windows, flow_windows=plan.flows,
                                   by=by, scope=scope)
    own, back = plan.windows[:plan.own], plan.windows[plan.own:]
    units = ledger.period_units(session, dates=plan.dates, windows=own, flow_windows=plan.flows, by=by, scope=scope)
    if not countback or not back:
        return units
    invoiced, credits = ledger.sales_in_windows(session, windows=back, by=by, scope=scope)
    zero_own, zero_back = [0] * len(own), [0] * len(back)
    for mine, theirs in ((units.invoiced, invoiced), (units.credit_notes, credits)):
        for key in mine.keys() | theirs.keys():
            mine[key] = mine.get(key, zero_own) + theirs.get(key, zero_back)
    return units


def _gather(ctx: Context, period: str, by: str, scope: CustomerScope, allowed: Sequence[str],
            months: int = TREND_MONTHS, *, countback: bool = True,
            exact: bool = False) -> tuple[_Plan, ledger.PeriodUnits, dict, dict]:
    if by not in allowed:
        raise InvalidInput(f"--by {by!r}: one of {', '.join(allowed)}")
    p = parse_period(period)
    plan = _Plan(p, trend_months(p, months))
    with ctx.sessions() as session:
        units = _units(session, plan, by, scope, countback=countback, exact=exact)
        info = ledger.customer_groups(session, {k[0] for k in units.keys()}) if by == "customer" else {}
        cases = _case_figures(ctx, session, plan, by, scope, info)
    return plan, units, info, cases


def _with_cases(f: M.Figures, cases: dict, group: Any, flow: int) -> M.Figures:
    slot = cases.get((group, f.currency, flow))
    if slot:
        for name in ("promises_resolved", "promises_kept", "disputes_opened", "disputes_resolved", "dispute_days"):
            setattr(f, name, int(slot.get(name, 0)))
        f.disputed_amount = slot.get("disputed_amount", ZERO)
    return f


def _active(f: M.Figures) -> bool:
    """A row with anything in the period (not only older sales that countback reads)."""
    return any((f.ar_start, f.ar_end, f.invoiced, f.credit_notes, f.collected, f.unapplied_cash,
                f.promises_resolved, f.disputes_opened, f.disputes_resolved))


def _sorted_keys(keys: Any, by: str, info: dict) -> list[tuple[Any, str]]:
    return sorted(keys, key=lambda k: (_label(by, k[0], info)[0], k[1]))


def metrics(ctx: Context, *, period: str, by: str = "total", scope: CustomerScope = EVERYTHING,
            trend: int = TREND_MONTHS, exact: bool = False) -> dict[str, Any]:
    """CONTRACT §10 metrics for the period, one row per (group, currency), with a monthly trend of each
    figure (the rows grouped the same way; by customer the trend is the book's total per currency).
    ``exact``: the reference computation (every window in one scan of the book) — the same figures, slower."""
    plan, units, info, cases = _gather(ctx, period, by, scope, METRICS_BY, trend, exact=exact)
    p = plan.period
    keys = set(units.keys()) | {(g, c) for g, c, _ in cases}
    rows, groups = [], []
    cb_days = plan.cb_days[p.end]
    for key in _sorted_keys(keys, by, info):
        f = _with_cases(_figures(units, key, plan, p), cases, key[0], plan.f[(p.start, p.end)])
        if not _active(f):
            continue
        label, name = _label(by, key[0], info)
        rows.append(M.metrics_row(label, f, p.days, cb_days, name=name))
        groups.append((label, name, f))
    rep = fx.reporting(ctx.settings, {f.currency for _, _, f in groups}, p.end)
    trend_rows = []
    if by == "customer":  # 100k customers × months would be a book, not a report: the trend is the total
        units, cases = _rolled(units, cases)
        keys = set(units.keys()) | {(g, c) for g, c, _ in cases}
    for m in plan.months:
        per = {(_label("total" if by == "customer" else by, key[0], info)[0], key[1]):
               _with_cases(_figures(units, key, plan, m), cases, key[0], plan.f[(m.start, m.end)]) for key in keys}
        m_rows = [M.metrics_row(g[0], per[g], m.days, plan.cb_days[m.end]) for g in sorted(per)]
        for r in m_rows:
            r.pop("unapplied_cash", None)
        trend_rows.append({"period": m.label, "start": m.start.isoformat(), "end": m.end.isoformat(),
                           "days": m.days, "rows": m_rows})
    doc = {"period": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days, "by": by,
           "rows": rows, "trend": trend_rows}
    if rep is not None:  # FX rates configured: the same rows in the reporting currency, saying which rates
        doc["reporting"] = {**rep.describe(),
                            "rows": RP.metrics_rows(groups, rep, p.days, cb_days) if rep.complete else []}
    return doc


def rollforward(ctx: Context, *, period: str, by: str = "total", scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """CONTRACT §10 roll-forward per (group, currency); every row ties (``ties``) and the totals per currency."""
    plan, units, info, _ = _gather(ctx, period, by, scope, ROLLFORWARD_BY, months=1, countback=False)
    p = plan.period
    flow, zero_f = plan.f[(p.start, p.end)], [0] * len(plan.flows)
    rows, totals = [], {}
    for key in _sorted_keys(units.keys(), by, info):
        open_at = units.open_at.get(key, [0] * len(plan.dates))
        r = RF.RollForward(
            currency=key[1], opening=_money(open_at[plan.d[p.day_before]]),
            invoiced=_money(units.invoiced.get(key, [0] * len(plan.windows))[plan.w[(p.start, p.end)]]),
            credited=_money(units.applied["credits"].get(key, zero_f)[flow]),
            collected=_money(units.applied["payments"].get(key, zero_f)[flow]),
            written_off=_money(units.applied["write_offs"].get(key, zero_f)[flow]),
            adjustments=-_money(units.backdated.get(key, zero_f)[flow]),
            closing=_money(open_at[plan.d[p.end]]))
        if all(getattr(r, line) == 0 for line in RF.LINES):
            continue
        label, name = _label(by, key[0], info)
        rows.append(RF.to_json(label, r, name))
        if key[1] in totals:
            totals[key[1]].add(r)
        else:
            totals[key[1]] = RF.RollForward(currency=key[1])
            totals[key[1]].add(r)
    doc = {"period": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days, "by": by,
           "rows": rows, "totals": [RF.to_json("total", totals[c]) for c in sorted(totals)]}
    rep = fx.reporting(ctx.settings, totals, p.end)
    if rep is not None:  # FX rates configured: the book's roll-forward in the reporting currency
        doc["reporting"] = {**rep.describe(),
                            "total": RP.rollforward_total(totals.values(), rep) if rep.complete else None}
    return doc


def causes(ctx: Context, *, period: str, scope: CustomerScope = EVERYTHING, trend: int = TREND_MONTHS) -> dict[str, Any]:
    """Recurring causes of the period: disputes by reason and root cause, error invoices, recommendations."""
    p = parse_period(period)
    months = trend_months(p, trend)
    with ctx.sessions() as session:
        facts = [f for _, f in R.dispute_facts(session, since=months[0].start, until=p.end, scope=scope)
                 if f.opened_on >= months[0].start]
        errors = R.error_invoices(session, since=p.start, until=p.end, scope=scope)
    return C.causes_report(facts, errors, p, months, disputes.reasons(ctx))


# ---- the portfolio report --------------------------------------------------------------------------
FORMATS = ("json", "pdf", "xlsx")
MEDIA = {"pdf": "application/pdf", "xlsx": F.XLSX, "json": "application/json"}


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
                sender_factory: Callable[[], Any] | None = None, skip: Collection[str] = ()) -> dict[str, Any]:
    """Email each manager the PDF portfolio report of their team (a manager without a team: the whole book).
    Meant for a weekly schedule (cron: `arcollect report send-portfolio`, or the workers); audited per email
    sent. ``skip``: logins already sent this report (a retried job sends nobody twice)."""
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
            if login in skip:
                continue
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
