"""The jobs arcollect runs in the background, each a thin wrapper over an existing service function, with the
locks that keep two workers from doing the same thing twice:

- ``queueing_lock``: at most one such job waits in the queue (a second defer is refused as already queued);
- ``lock``: jobs sharing it run one at a time, in order (never two at once on two workers).

Every body takes the context, a progress callback ``report(done, total)`` and JSON-able keyword arguments, and
returns a JSON-able result. A body may be run again after a worker died mid-job, so each is idempotent: the
services it calls are (a day's run inserts nothing new, the outbox claims a message before sending it, imports
upsert by ERP id, statements already written are skipped, the weekly report skips who already got it).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from arcollect.context import Context

Report = Callable[[int, int], None]
STATEMENTS_PER_DOCUMENT = 25  # statements laid out as one WeasyPrint document


@dataclass(frozen=True)
class Spec:
    name: str
    body: Callable[..., dict[str, Any]]
    lock: Callable[[dict[str, Any]], str | None] = lambda kw: None
    queueing_lock: Callable[[dict[str, Any]], str | None] = lambda kw: None
    retry: int = 0  # attempts after a failure (a stalled worker's job is retried regardless)
    queue: str = "default"


def _day(value: Any, ctx: Context) -> dt.date:
    return dt.date.fromisoformat(value) if value else ctx.clock.today()


def _defer(ctx: Context, task: str, **kwargs: Any) -> None:
    from arcollect.jobs import service

    service.defer(ctx, task, **kwargs)


# ---- the daily run -------------------------------------------------------------------------------------------
def daily_run(ctx: Context, report: Report, *, as_of: str | None = None, collector: str | None = None,
              unassigned: bool = False) -> dict[str, Any]:
    """One collector's daily run (the whole book when no collector is named; ``unassigned``: the customers
    nobody is assigned to): the playbook's actions and priorities of the day, then the day's emails queued."""
    from arcollect.ledger.models import Customer
    from arcollect.worklist import service as worklists
    from sqlalchemy import select

    day = _day(as_of, ctx)
    if unassigned:
        with ctx.sessions() as session:
            pks = list(session.scalars(select(Customer.id).where(Customer.collector.is_(None))))
        result = worklists.run(ctx, as_of=day, customer_pks=pks) if pks else {"accounts": 0, "proposed": 0}
    else:
        result = worklists.run(ctx, as_of=day, collector=collector)
    _defer(ctx, "queue_dunning", as_of=day.isoformat())
    return {"as_of": day.isoformat(), "collector": collector, "accounts": result.get("accounts"),
            "proposed": result.get("proposed"), "cancelled": result.get("cancelled")}


def morning(ctx: Context, report: Report, *, timestamp: int | None = None) -> dict[str, Any]:
    """Every hour: the daily runs of the collectors whose morning (``jobs_daily_run_hour``, local time) it is."""
    from sqlalchemy import distinct, select

    from arcollect.jobs import schedule
    from arcollect.ledger.models import Customer

    at = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc) if timestamp else ctx.clock.now()
    with ctx.sessions() as session:
        collectors = list(session.scalars(select(distinct(Customer.collector))))
    s = ctx.settings
    due = schedule.mornings(at, collectors, hour=s.jobs_daily_run_hour,
                            zones=schedule.collector_zones(s.jobs_collector_timezones), default_zone=s.timezone)
    for collector, day in due:
        if collector is None:
            _defer(ctx, "daily_run", as_of=day.isoformat(), unassigned=True)
        else:
            _defer(ctx, "daily_run", as_of=day.isoformat(), collector=collector)
    return {"at": at.isoformat(), "daily_runs": [{"collector": c, "as_of": d.isoformat()} for c, d in due]}


def queue_dunning(ctx: Context, report: Report, *, as_of: str | None = None) -> dict[str, Any]:
    """The day's email actions rendered into the outbox (one message per customer, step and day), then sent."""
    from arcollect.outreach import outbox

    day = _day(as_of, ctx)
    queued = outbox.queue(ctx, as_of=day)
    _defer(ctx, "send_outbox", case_notices=True)
    return {"as_of": day.isoformat(), "queued": queued["queued"], "awaiting_approval": queued["awaiting_approval"],
            "problems": queued["problems"][:20]}


def send_outbox(ctx: Context, report: Report, *, case_notices: bool = False, timestamp: int | None = None) -> dict[str, Any]:
    """Send the queued messages whose recipients' business hours have come (each claimed before it is sent:
    a message is never sent twice); with ``case_notices``, the day's case notices too."""
    from arcollect.outreach import outbox

    counts = outbox.send_due(ctx)
    if case_notices and "error" not in counts:
        from arcollect.outreach import case_notices as notices

        counts["case_notices"] = notices.notify(ctx)
    return counts


# ---- documents, mail, files ----------------------------------------------------------------------------------
def statements_dir(ctx: Context, as_of: dt.date, directory: str | None = None) -> Path:
    base = Path(directory) if directory else (ctx.settings.jobs_statements_dir or ctx.settings.home / "statements")
    return base / as_of.isoformat()


def render_statements(ctx: Context, report: Report, *, as_of: str, customer_ids: list[str],
                      directory: str | None = None) -> dict[str, Any]:
    """Statement-of-account PDFs of these customers into the day's directory; those already there are kept
    (a retried chunk renders only what is missing). Each file appears whole (written aside, then renamed)."""
    from arcollect.outreach import documents

    day = dt.date.fromisoformat(as_of)
    out = statements_dir(ctx, day, directory)
    out.mkdir(parents=True, exist_ok=True)
    targets = {cid: out / f"statement-{cid}-{day.isoformat()}.pdf" for cid in customer_ids}
    missing = [cid for cid in customer_ids if not targets[cid].exists()]
    kept = len(customer_ids) - len(missing)
    report(kept, len(customer_ids))
    written = 0
    for start in range(0, len(missing), STATEMENTS_PER_DOCUMENT):  # laid out together, split per customer
        part = missing[start:start + STATEMENTS_PER_DOCUMENT]
        for cid, (pdf, _) in zip(part, documents.statements(ctx, customer_ids=part, as_of=day)):
            fd, tmp = tempfile.mkstemp(dir=out, prefix=".part-", suffix=".pdf")
            with os.fdopen(fd, "wb") as handle:
                handle.write(pdf)
            os.replace(tmp, targets[cid])
            written += 1
        report(kept + written, len(customer_ids))
    return {"directory": str(out), "written": written, "kept": kept}


def fetch_mail(ctx: Context, report: Report, *, timestamp: int | None = None) -> dict[str, Any]:
    """New mail from the collections mailbox (stored once: a message already stored is counted, not stored)."""
    from arcollect.outreach import mailbox

    if not ctx.settings.imap_host:
        return {"skipped": "no mailbox configured (ARCOLLECT_IMAP_HOST)"}
    return mailbox.fetch_mail(ctx)


def import_file(ctx: Context, report: Report, *, kind: str, path: str, partial: bool = False) -> dict[str, Any]:
    """A big ERP export imported (atomic unless ``partial``; rows upsert by ERP id, so a retry is harmless)."""
    from arcollect.disputes import service as disputes
    from arcollect.ledger import service as ledger

    result = ledger.import_file(ctx, kind=kind, path=Path(path), partial=partial,
                                progress=lambda done: report(done, 0))
    summary = result.summary()
    if summary.get("created") or summary.get("updated"):
        disputes.after_import(ctx, kind)
    summary.pop("rejected_file", None)
    summary["errors"] = summary.get("errors", [])[:50]
    summary["warnings"] = summary.get("warnings", [])[:50]
    return {"kind": kind, "file": Path(path).name, **summary}


def cash_import(ctx: Context, report: Report, *, path: str, fmt: str = "auto") -> dict[str, Any]:
    """A bank file stored (a file or line already known is counted as a duplicate, never stored twice)."""
    from arcollect.cashapp import service as cash

    return cash.import_file(ctx, path=Path(path), fmt=fmt)


def cash_match(ctx: Context, report: Report, *, as_of: str | None = None) -> dict[str, Any]:
    """A cash matching run with its progress (the Cash page's bar); one at a time (the run's own guard too)."""
    from arcollect.cashapp import service as cash

    return cash.match_tracked(ctx, as_of=_day(as_of, ctx), progress=lambda phase, done, total: report(done, total))


# ---- models and reports --------------------------------------------------------------------------------------
def train_model(ctx: Context, report: Report, *, as_of: str | None = None, timestamp: int | None = None) -> dict[str, Any]:
    """The payment-prediction model retrained (only when due, where the risk service says so)."""
    from arcollect.risk import service as risk

    due = getattr(risk, "retrain_if_due", None)
    day = _day(as_of, ctx)
    if due is not None:
        return due(ctx, as_of=day) or {"trained": False}
    return risk.train(ctx, as_of=day)


def weekly_report(ctx: Context, report: Report, *, as_of: str | None = None, timestamp: int | None = None) -> dict[str, Any]:
    """Each manager's portfolio report by email; a manager who already got this date's report is skipped."""
    from sqlalchemy import select

    from arcollect.audit import AuditEntry
    from arcollect.reports import service as reports

    day = _day(as_of, ctx)
    with ctx.sessions() as session:
        sent = {e.entity_key for e in session.scalars(select(AuditEntry).where(
            AuditEntry.action == "send_portfolio_report", AuditEntry.entity == "user",
            AuditEntry.at >= dt.datetime.combine(day, dt.time(), dt.timezone.utc) - dt.timedelta(days=1)))
            if (e.changes or {}).get("as_of") == day.isoformat()}
    result = reports.send_weekly(ctx, as_of=day, skip=sent)
    result["already_sent"] = sorted(sent)
    return result


def _portfolio(kw: dict[str, Any]) -> str:
    return kw.get("collector") or ("(unassigned)" if kw.get("unassigned") else "(book)")


SPECS: dict[str, Spec] = {s.name: s for s in (
    Spec("daily_run", daily_run, retry=3, lock=lambda kw: f"daily-run:{_portfolio(kw)}",
         queueing_lock=lambda kw: f"daily-run:{kw.get('as_of')}:{_portfolio(kw)}"),
    Spec("morning", morning, lock=lambda kw: "morning", queueing_lock=lambda kw: "morning"),
    Spec("queue_dunning", queue_dunning, retry=3, lock=lambda kw: "outbox-queue",
         queueing_lock=lambda kw: f"outbox-queue:{kw.get('as_of')}"),
    Spec("send_outbox", send_outbox, retry=3, lock=lambda kw: "outbox-send", queueing_lock=lambda kw: "outbox-send"),
    Spec("render_statements", render_statements, retry=3,
         queueing_lock=lambda kw: f"statements:{kw['as_of']}:{kw['customer_ids'][0]}:{kw['customer_ids'][-1]}"
         if kw.get("customer_ids") else None),
    Spec("fetch_mail", fetch_mail, lock=lambda kw: "mail-fetch", queueing_lock=lambda kw: "mail-fetch"),
    Spec("import_file", import_file, retry=1, lock=lambda kw: "ledger-import",
         queueing_lock=lambda kw: f"import:{kw.get('path')}"),
    Spec("cash_import", cash_import, retry=1, lock=lambda kw: "cash-import",
         queueing_lock=lambda kw: f"cash-import:{kw.get('path')}"),
    Spec("cash_match", cash_match, lock=lambda kw: "cash-match", queueing_lock=lambda kw: "cash-match"),
    Spec("train_model", train_model, lock=lambda kw: "train-model", queueing_lock=lambda kw: "train-model"),
    Spec("weekly_report", weekly_report, lock=lambda kw: "weekly-report", queueing_lock=lambda kw: "weekly-report"),
)}
