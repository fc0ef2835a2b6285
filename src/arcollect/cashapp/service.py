"""Cash application use cases (CONTRACT §9): import bank files, match their credit lines, apply, unapply and
exclude lines, list them. The only module other packages and the interfaces call; each function owns its
transactions and takes keyword-only arguments after ``ctx``.

The parsers (``formats``) and the matcher (``matcher``) are imported when first needed; ``store_statements``
and ``apply_decision`` take the shapes of ``shapes.py`` directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlalchemy import select

from arcollect import audit
from arcollect.cashapp import advices, corrections, inputs, posting, runs
from arcollect.cashapp.advice import advice_reasons
from arcollect.cashapp.corrections import WRITEOFF_REASONS
from arcollect.cashapp.shapes import BankFileError, Decision, ParsedStatement, Proposal
from arcollect.cashapp.store import store
from arcollect.cashapp.views import (  # noqa: F401  (the reading side, called through this module)
    UNIDENTIFIED, counts, customer_cash, line, line_detail, lines, remittance_advices, statements,
)
from arcollect.context import Context
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import money_str, to_decimal

FORMATS = ("auto", "bai2", "camt", "mt940", "csv")
ATTEMPTS = 5
Matcher = Callable[..., list[Decision]]  # match(lines, parties, items, settings) -> decisions
Progress = Callable[[str, int, int], None]  # (phase, done, total): reading | matching | applying


# ---- import ------------------------------------------------------------------------------------
def _parse(data: bytes, filename: str, fmt: str, mapping: str | None) -> list[ParsedStatement]:
    from arcollect.cashapp import formats

    spec = formats.CsvMapping.from_spec(mapping) if mapping else None
    return formats.parse(data, filename, fmt=fmt, mapping=spec)


def import_file(ctx: Context, *, path: Path, fmt: str = "auto", mapping: str | None = None,
                parse: Callable[[bytes, str, str, str | None], list[ParsedStatement]] | None = None) -> dict[str, Any]:
    """Read a bank file and store its statements and lines (atomic, idempotent): the CONTRACT §9 summary.
    A malformed file raises BankFileError naming every problem and stores nothing."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc}") from None
    statements = (parse or _parse)(data, path.name, fmt, mapping)
    return store_statements(ctx, statements=statements, filename=path.name, sha256=hashlib.sha256(data).hexdigest())


def import_upload(ctx: Context, *, name: str, data: bytes, fmt: str = "auto", mapping: str | None = None,
                  parse: Callable[..., list[ParsedStatement]] | None = None) -> dict[str, Any]:
    """``import_file`` for an uploaded file's bytes (API, web)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    statements = (parse or _parse)(data, name, fmt, mapping)
    return store_statements(ctx, statements=statements, filename=name, sha256=hashlib.sha256(data).hexdigest())


def store_statements(ctx: Context, *, statements: Sequence[ParsedStatement], filename: str,
                     sha256: str | None = None) -> dict[str, Any]:
    """Store parsed statements in one transaction: lines already known (CONTRACT §9's key) are counted as
    duplicates, the others created. Two imports of the same file at once: one stores, the other finds it."""
    if sha256 is None:
        sha256 = hashlib.sha256(repr(statements).encode("utf-8")).hexdigest()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with ctx.unit_of_work() as session:
                summary = store(session, statements, file_name=filename, sha256=sha256, now=ctx.clock.now(),
                                actor=ctx.actor)
                if summary["created"]:  # advices that came before their bank line find it now
                    _attach_waiting(ctx, session)
                return summary
        except Exception as exc:
            if not ledger.lost_race(exc) or attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


# ---- matching ----------------------------------------------------------------------------------
def _real_matcher() -> Matcher:
    from arcollect.cashapp import matcher

    return matcher.match


def _settings_for(ctx: Context) -> Any:
    """The matcher's settings from ours (ARCOLLECT_CASH_*)."""
    from arcollect.cashapp import matcher

    return inputs.match_settings(matcher.MatchSettings, ctx.settings)


def _attach_waiting(ctx: Context, session: Any) -> list[int]:
    return advices.attach_waiting(session, now=ctx.clock.now(), actor=ctx.actor, days=ctx.settings.cash_advice_days,
                                  tolerance=ctx.settings.cash_advice_tolerance)


def record_advice_in(ctx: Context, *, session: Any, message_pk: int, customer_pk: int | None, sender: str | None,
                     sender_name: str | None, subject: str, text: str, html: str | None,
                     attachments: Sequence[tuple[str, str, bytes]], received_at: dt.datetime) -> dict[str, Any] | None:
    """Inbound mail (``mail fetch``, inside its transaction): the message read as a remittance advice, stored and
    attached to its bank line if that is in already (None when the message is no advice). The caller matches
    the line again (``match(line_ids=…)``) once its transaction is committed."""
    return advices.record_advice_in(session, message_pk=message_pk, customer_pk=customer_pk, sender=sender,
                                    sender_name=sender_name, subject=subject, text=text, html=html,
                                    attachments=attachments, received_at=received_at, now=ctx.clock.now(),
                                    actor=ctx.actor, days=ctx.settings.cash_advice_days,
                                    tolerance=ctx.settings.cash_advice_tolerance)


def attach_advice_of(ctx: Context, *, message_pk: int) -> dict[str, Any] | None:
    """The remittance advice read from an inbound message, attached to its bank line now if it still waits and
    the line is in (the assistant's approved "check the payment"); None when the message gave no advice.
    Matching the line again is the next ``match`` run's work."""
    from arcollect.cashapp.models import RemittanceAdvice

    with ctx.unit_of_work() as session:
        adv = session.scalar(select(RemittanceAdvice).where(RemittanceAdvice.message_pk == message_pk))
        if adv is None:
            return None
        line = adv.line_pk
        if adv.status == "waiting":
            line = advices.attach(session, adv, now=ctx.clock.now(), actor=ctx.actor, days=ctx.settings.cash_advice_days,
                                  tolerance=ctx.settings.cash_advice_tolerance, keep_note=True)
        return {"advice": str(adv.id), "status": adv.status, "bank_line": str(line) if line else None, "note": adv.note}


def match(ctx: Context, *, as_of: dt.date | None = None, matcher: Matcher | None = None,
          settings: Any = None, line_ids: Sequence[int] | None = None,
          progress: Progress | None = None, counted: Callable[[dict[str, int]], None] | None = None) -> dict[str, Any]:
    """Match every credit line not yet applied or excluded (CONTRACT §9): "apply" decisions are applied at once,
    "review" ones keep their ranked proposals, the rest stay unidentified. A line applied meanwhile by someone
    else is left as it is; a re-run changes nothing already decided. Problems are collected, not raised.
    Returns counts: ``applied`` by this run, ``proposed``/``unidentified`` lines as they stand after it,
    ``changed`` lines whose state this run changed. ``line_ids``: only these lines (an advice just attached).
    Remittance advices still waiting for their line are tried first; an advice's invoices are its line's.
    ``progress(phase, done, total)`` hears how far it is (a progress bar), ``counted`` the counts so far
    (applied, proposed, unidentified, errors) just before; neither changes anything decided. Lines booked in a
    closed month are left as they are, counted in ``skipped_closed`` (no payment may be dated there).
    With ``ARCOLLECT_CASH_SHORT_PAY=deduction`` the residual a short pay leaves (a bank fee, a discount, a
    deduction — not a partial payment) is written off as ``write_off`` does: at once up to the auto limit, else
    a write-off escalation for approval."""
    as_of = as_of or ctx.clock.today()
    tell = progress or (lambda phase, done, total: None)
    with ctx.sessions() as session:
        waiting = advices.any_waiting(session)
    if waiting:
        with ctx.unit_of_work() as session:
            _attach_waiting(ctx, session)
    with ctx.sessions() as session:
        lines, closed = inputs.in_open_months(session, inputs.undecided_lines(session, line_ids=line_ids))
        if not lines:
            return {"as_of": as_of.isoformat(), "lines": 0, "applied": 0, "proposed": 0, "unidentified": 0,
                    "changed": 0, "errors": [], "skipped_closed": closed}
        fn = matcher or _real_matcher()
        if settings is None:
            settings = _settings_for(ctx)
        parties = inputs.parties(session)
        items = inputs.open_items(session, as_of=as_of, currencies={ln.currency for ln in lines})
        line_ins, advised = inputs.line_ins(session, lines)
    tell("matching", 0, len(line_ins))
    decisions = [advice_reasons(d, *advised[d.line_id]) if d.line_id in advised else d
                 for d in fn(line_ins, parties, items, settings)]
    tally = {"applied": 0, "proposed": 0, "unidentified": 0}
    changed = 0
    errors: list[str] = []
    touched: set[int] = set()
    step = max(1, len(decisions) // 200)
    tell("applying", 0, len(decisions))
    for n, decision in enumerate(decisions, 1):
        if n % step == 0 or n == len(decisions):
            if counted is not None:
                counted({**tally, "errors": len(errors)})
            tell("applying", n, len(decisions))
        try:
            outcome = apply_decision(ctx, decision=decision, after=False)
        except (Conflict, InvalidInput, NotFound) as exc:
            errors.append(f"line {decision.line_id}: {exc}")
            continue
        if outcome["status"] == "applied" and outcome["changed"] and getattr(settings, "short_pay", "") == "deduction":
            try:
                _deduct(ctx, decision)
            except (Conflict, InvalidInput, NotFound) as exc:
                errors.append(f"line {decision.line_id}: the residual was not written off: {exc}")
        kind = {"applied": "applied", "proposed": "proposed", "unmatched": "unidentified"}.get(outcome["status"])
        if kind and (kind != "applied" or outcome["changed"]):  # applied: by this run; the others: as they stand
            tally[kind] += 1
        changed += bool(outcome["changed"])
        if outcome.get("customer_pk") and outcome["status"] == "applied" and outcome["changed"]:
            touched.add(outcome["customer_pk"])
    after_cash_moved(ctx, customer_pks=touched)
    return {"as_of": as_of.isoformat(), "lines": len(decisions), **tally, "changed": changed, "errors": errors,
            "skipped_closed": closed}


def _proposal_view(p: Proposal, currency: str) -> dict[str, Any]:
    return {"customer_id": p.customer_id, "confidence": float(p.confidence),
            "invoices": [{"invoice_id": a.invoice_id, "amount": money_str(a.amount, currency)} for a in p.allocations],
            "unapplied": money_str(p.unapplied, currency), "short_pay": money_str(p.short_pay, currency),
            "short_pay_reason": p.short_pay_reason, "reasons": list(p.reasons)}


def apply_decision(ctx: Context, *, decision: Decision, after: bool = True) -> dict[str, Any]:
    """Carry out one matcher decision on its line, in one transaction, if the line is still undecided:
    {"status": the line's status after, "changed": bool, "customer_pk": …}. ``after``: run the follow-ups of
    applied cash (promises, disputes, dunning) now — ``match`` runs them once for all its lines."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            outcome = _decide_once(ctx, decision)
            break
        except Exception as exc:
            if not ledger.lost_race(exc) or attempt == ATTEMPTS:
                raise
    if after and outcome["changed"] and outcome["status"] == "applied":
        after_cash_moved(ctx, customer_pks=[outcome["customer_pk"]])
    return outcome


def _decide_once(ctx: Context, decision: Decision) -> dict[str, Any]:
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        line = posting.locked_line(session, decision.line_id)
        if line.status not in posting.OPEN_STATUSES or line.amount <= 0:
            return {"status": line.status, "changed": False, "customer_pk": line.customer_pk}
        reasons = list(decision.reasons) or (list(decision.proposals[0].reasons) if decision.proposals else [])
        if decision.status == "apply" and decision.proposals:
            best = decision.proposals[0]
            moved = posting.apply_proposal(session, line=line, proposal=best, now=now, actor=ctx.actor,
                                           reasons=list(best.reasons) or reasons)
            line.proposals = [_proposal_view(p, line.currency) for p in decision.proposals]
            return {"status": "applied", "changed": True, "customer_pk": moved["customer_pk"]}
        proposals = [_proposal_view(p, line.currency) for p in decision.proposals]
        status = "proposed" if decision.status == "review" and proposals else "unmatched"
        customer_pk = None
        if status == "proposed":
            ids = {p["customer_id"] for p in proposals}
            if len(ids) == 1:  # one customer proposed: the line is identified, only the invoices wait for review
                customer_pk = session.scalar(select(Customer.id).where(Customer.customer_id == ids.pop()))
        confidence = float(decision.proposals[0].confidence) if decision.proposals else 0.0
        after = (status, customer_pk, confidence, reasons, proposals)
        if (line.status, line.customer_pk, line.confidence, line.reasons, line.proposals) == after:
            return {"status": status, "changed": False, "customer_pk": customer_pk}
        line.status, line.customer_pk, line.confidence, line.reasons, line.proposals = after
        line.updated_at = now
        audit.record(session, at=now, actor=ctx.actor, action="match", entity="bank_line", entity_key=str(line.id),
                     changes={"status": status, "confidence": confidence, "proposals": len(proposals),
                              "reasons": reasons})
        return {"status": status, "changed": True, "customer_pk": customer_pk}


# ---- a person's decisions ----------------------------------------------------------------------
def _with_retries(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return run()
        except Exception as exc:
            if not ledger.lost_race(exc) or attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def parse_invoices(text: str | Sequence[str]) -> list[tuple[str, Decimal | None]]:
    """``"I1:120.50,I2"`` (or several such) → [(I1, 120.50), (I2, None)]: the CLI's and forms' --invoices."""
    values = [text] if isinstance(text, str) else list(text)
    out: list[tuple[str, Decimal | None]] = []
    problems = []
    for value in values:
        for part in value.split(","):
            invoice_id, _, raw = part.strip().partition(":")
            if not invoice_id.strip():
                if part.strip():
                    problems.append(f"{part.strip()!r}: an invoice id before ':'")
                continue
            amount = None
            if raw.strip():
                try:
                    amount = to_decimal(raw.strip())
                except (TypeError, ValueError):
                    problems.append(f"{invoice_id.strip()}: {raw.strip()!r} is not an amount")
                    continue
                if amount <= 0:
                    problems.append(f"{invoice_id.strip()}: the amount must be greater than zero")
                    continue
            out.append((invoice_id.strip(), amount))
    if problems:
        raise InvalidInput("--invoices: " + "; ".join(problems))
    return out


def apply(ctx: Context, *, line_id: str, invoices: Sequence[tuple[str, Decimal | str | None]],
          customer_id: str | None = None) -> dict[str, Any]:
    """A person applies a line by hand: to these invoices (an amount each, or None: what is left, in order),
    the rest unapplied on the customer (``customer_id``, else the invoices' customer). Teaches the payer account
    and payer name. Returns the line as ``lines`` shows it."""
    if not invoices and not customer_id:
        raise InvalidInput("name the invoices (--invoices) or the customer (--customer) the cash belongs to")

    def run() -> dict[str, Any]:
        now = ctx.clock.now()
        with ctx.unit_of_work() as session:
            line = posting.locked_line(session, line_id)
            who = customer_id or corrections.owner_of(session, [i for i, _ in invoices])
            moved = posting.post_line(session, line=line, customer_id=who, invoices=list(invoices), now=now,
                                      actor=ctx.actor, decided_by=ctx.actor, confidence=1.0,
                                      reasons=[f"applied by {ctx.actor}"])
            posting.learn(session, line=line, customer_pk=moved["customer_pk"], now=now, actor=ctx.actor)
            return {"id": line.id, "customer_pk": moved["customer_pk"]}

    done = _with_retries(run)
    after_cash_moved(ctx, customer_pks=[done["customer_pk"]])
    return line(ctx, line_id=str(done["id"]))


def unapply(ctx: Context, *, line_id: str, reason: str = "unapplied") -> dict[str, Any]:
    """Reverse what an applied line moved (reversal rows of the ledger; nothing erased): the line is unmatched
    again and its payment unidentified cash until it is applied again."""

    def run() -> dict[str, Any]:
        with ctx.unit_of_work() as session:
            found = posting.locked_line(session, line_id)
            moved = posting.unpost_line(session, line=found, on=ctx.clock.today(), now=ctx.clock.now(),
                                        actor=ctx.actor, reason=reason)
            return {"id": found.id, **moved}

    done = _with_retries(run)
    after_cash_moved(ctx, customer_pks=[done["customer_pk"]])  # invoices open again: nothing to close or hold
    return line(ctx, line_id=line_id)


def move(ctx: Context, *, line_id: str, customer_id: str | None = None,
         invoices: Sequence[tuple[str, Decimal | str | None]] = (), reason: str) -> dict[str, Any]:
    """Misapplied cash moved, in one transaction: the line's applications in force reversed (reversal rows;
    nothing erased) and the line applied to ``customer_id`` (else the invoices' customer) and ``invoices`` (an
    amount each, or None: what is left, in order), the rest on account — audited with from and to, and taught
    like a manual match. Promises, disputes and dunning of both customers are looked at again. Returns the line."""

    def run() -> dict[str, Any]:
        with ctx.unit_of_work() as session:
            found = posting.locked_line(session, line_id)
            return corrections.move_line(session, line=found, customer_id=customer_id, invoices=list(invoices),
                                         reason=reason, on=ctx.clock.today(), now=ctx.clock.now(), actor=ctx.actor)

    done = _with_retries(run)
    after_cash_moved(ctx, customer_pks=[done["from_customer_pk"], done["to_customer_pk"]])
    return line(ctx, line_id=line_id)


def write_off(ctx: Context, *, line_id: str, invoice_id: str, amount: Decimal | str, reason: str,
              note: str | None = None) -> dict[str, Any]:
    """The residual an applied line left on an invoice it short-paid (a bank fee, a discount kept) written off
    with a reason code (``WRITEOFF_REASONS``): at once when it is within ``ARCOLLECT_CASH_WRITEOFF_AUTO_LIMIT``
    for the currency (0 by default: never), else a write-off escalation that an approver of the matrix decides
    (``escalation decide``; not the requester). Returns what happened: ``status`` "written_off" or "requested"."""
    return _write_off(ctx, line_id=line_id, parts=[(invoice_id, amount)], reason=reason, note=note)


def write_off_limit(ctx: Context, currency: str) -> Decimal:
    """Up to how much of ``currency`` a residual is written off at once (above it: a request for approval)."""
    return corrections.auto_limit(ctx.settings.cash_writeoff_auto_limit, currency)


def _write_off(ctx: Context, *, line_id: str, parts: Sequence[tuple[str, Decimal | str]], reason: str,
               note: str | None) -> dict[str, Any]:
    code = corrections.check_reason(reason)
    if not parts:
        raise InvalidInput("name the invoice and the amount to write off")
    today, now = ctx.clock.today(), ctx.clock.now()

    def checked(session: Any) -> tuple[Any, list[tuple[Any, Decimal]]]:
        found = posting.locked_line(session, line_id)
        return found, [corrections.residual(session, line=found, invoice_id=i, amount=a) for i, a in parts]

    def at_once() -> dict[str, Any] | None:
        with ctx.unit_of_work() as session:
            found, items = checked(session)
            currency = items[0][0].currency
            limit = corrections.auto_limit(ctx.settings.cash_writeoff_auto_limit, currency)
            total = sum((a for _, a in items), Decimal(0))
            if total > limit:
                return None
            why = f"{code} ({WRITEOFF_REASONS[code].lower()}): residual of bank line {found.id}" + (f"; {note}" if note else "")
            ids = [ledger.write_off_in(session, invoice=inv, amount=a, on=today, reason=why,
                                       approved_by=f"auto (up to {money_str(limit, currency)} {currency})",
                                       now=now, actor=ctx.actor) for inv, a in items]
            audit.record(session, at=now, actor=ctx.actor, action="write_off", entity="bank_line",
                         entity_key=str(found.id), changes={"invoices": {inv.invoice_id: money_str(a, currency) for inv, a in items},
                                                            "reason": code, "auto_limit": money_str(limit, currency),
                                                            "write_offs": ids})
            return {"customer_pk": found.customer_pk, "write_offs": [str(i) for i in ids], "currency": currency,
                    "items": items}

    done = _with_retries(at_once)
    if done is not None:
        after_cash_moved(ctx, customer_pks=[done["customer_pk"]])
        cur = done["currency"]
        return {"line_id": str(line_id), "status": "written_off", "reason": code, "currency": cur,
                "invoices": [{"invoice_id": inv.invoice_id, "amount": money_str(a, cur)} for inv, a in done["items"]],
                "write_offs": done["write_offs"], "escalation_id": None, "approvers": []}
    from arcollect.escalations import service as escalations

    with ctx.sessions() as session:  # checked again; the request itself moves no money (approval re-checks)
        found, items = checked(session)
        cid = session.scalar(select(Customer.customer_id).where(Customer.id == found.customer_pk))
        cur, line_pk = items[0][0].currency, found.id
    text = f"{code}: residual of bank line {line_pk} ({WRITEOFF_REASONS[code].lower()})" + (f" — {note}" if note else "")
    e = escalations.propose(ctx, customer_id=cid, action="write_off", currency=cur, note=text[:2000],
                            invoices=[(inv.invoice_id, str(a)) for inv, a in items])
    with ctx.unit_of_work() as session:
        audit.record(session, at=now, actor=ctx.actor, action="write_off_request", entity="bank_line",
                     entity_key=str(line_pk), changes={"escalation": e["id"], "reason": code,
                                                       "invoices": {inv.invoice_id: money_str(a, cur) for inv, a in items}})
    return {"line_id": str(line_pk), "status": "requested", "reason": code, "currency": cur,
            "invoices": [{"invoice_id": inv.invoice_id, "amount": money_str(a, cur)} for inv, a in items],
            "write_offs": [], "escalation_id": e["id"], "approvers": list(e.get("approvers") or [])}


def _deduct(ctx: Context, decision: Decision) -> dict[str, Any] | None:
    """``ARCOLLECT_CASH_SHORT_PAY=deduction``: what a short pay the matcher applied left open on its invoices
    (up to the short pay) written off with the short pay's reason (bank fee, discount, deduction)."""
    best = decision.proposals[0] if decision.proposals else None
    if best is None or best.short_pay <= 0 or best.short_pay_reason not in ("bank_fee", "discount", "deduction"):
        return None
    left, parts = best.short_pay, []
    with ctx.sessions() as session:
        for a in best.allocations:
            inv = session.scalar(select(Invoice).where(Invoice.invoice_id == a.invoice_id))
            rest = min(left, ledger.open_amount_of(session, inv.id)) if inv is not None else Decimal(0)
            if rest > 0:
                parts.append((a.invoice_id, rest))
                left -= rest
    if not parts:
        return None
    return _write_off(ctx, line_id=decision.line_id, parts=parts, reason=best.short_pay_reason,
                      note="short pay applied by the matcher (ARCOLLECT_CASH_SHORT_PAY=deduction)")


# ---- matching runs with their progress (the web's progress bar, the CLI's) ----------------------------------
def start_match_run(ctx: Context, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """A matching run begun (``run_match`` carries it out), or Conflict when one is in progress."""
    return runs.start(ctx, as_of=as_of or ctx.clock.today(), stale_minutes=ctx.settings.cash_match_stale_minutes)


def run_match(ctx: Context, *, run_id: str, matcher: Matcher | None = None, settings: Any = None,
              progress: Progress | None = None) -> dict[str, Any]:
    """Carry out a begun run: ``match`` with its progress written to the run (and told to ``progress``); the run
    ends done with match's result, or failed with the error. Returns the run."""
    run = runs.get(ctx, run_id=run_id)
    pk, so_far = int(run["id"]), {}

    def tell(phase: str, done: int, total: int) -> None:
        runs.report(ctx, pk, phase=phase, done=done, total=total, so_far=so_far)
        if progress is not None:
            progress(phase, done, total)

    try:
        result = match(ctx, as_of=dt.date.fromisoformat(run["as_of"]), matcher=matcher, settings=settings,
                       progress=tell, counted=so_far.update)
    except Exception as exc:
        runs.finish(ctx, pk, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return runs.finish(ctx, pk, result=result)


def match_tracked(ctx: Context, *, as_of: dt.date | None = None, matcher: Matcher | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
    """``match`` as a run of its own (refused while another is in progress): the CLI's and the API's. The
    result is match's."""
    run = start_match_run(ctx, as_of=as_of)
    return run_match(ctx, run_id=run["id"], matcher=matcher, progress=progress)["result"]


def match_run(ctx: Context, *, run_id: str) -> dict[str, Any]:
    """A matching run: status (running, done, failed), phase, done of total, percent, result or error."""
    return runs.get(ctx, run_id=run_id)


def current_match_run(ctx: Context) -> dict[str, Any] | None:
    """The matching run in progress, if any."""
    return runs.current(ctx)


def exclude(ctx: Context, *, line_id: str, reason: str) -> dict[str, Any]:
    """An undecided line that needs no matching, with the reason; audited."""

    def run() -> dict[str, Any]:
        with ctx.unit_of_work() as session:
            found = posting.locked_line(session, line_id)
            posting.exclude_line(session, line=found, reason=reason, now=ctx.clock.now(), actor=ctx.actor)
            return {}

    _with_retries(run)
    return line(ctx, line_id=line_id)


def after_cash_moved(ctx: Context, *, customer_pks: Any) -> dict[str, Any]:
    """What applied bank cash sets going at once, in one place: disputes whose money is now settled close, and
    the queued dunning of these customers that must not go any more is suppressed. Promises need nothing here:
    kept/broken is computed from the applications whenever they are read."""
    pks = sorted({int(pk) for pk in customer_pks if pk})
    if not pks:
        return {"disputes_closed": [], "messages_suppressed": 0}
    from arcollect.disputes import service as disputes
    from arcollect.outreach import outbox

    closed = disputes.after_import(ctx, "payments")
    suppressed = outbox.suppress_not_due(ctx, customer_pks=pks)
    return {"disputes_closed": closed, "messages_suppressed": suppressed}


__all__ = ["BankFileError", "FORMATS", "UNIDENTIFIED", "WRITEOFF_REASONS", "after_cash_moved", "apply",
           "apply_decision", "counts", "current_match_run", "customer_cash", "exclude", "import_file", "import_upload",
           "line", "line_detail", "lines", "match", "match_run", "match_tracked", "move", "parse_invoices",
           "record_advice_in", "remittance_advices", "run_match", "start_match_run", "statements", "store_statements",
           "unapply", "write_off", "write_off_limit"]
