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

from sqlalchemy import func, or_, select

from arcollect import audit
from arcollect.cashapp import advices, inputs, posting
from arcollect.cashapp.models import LINE_STATUSES, BankLine, BankStatement
from arcollect.cashapp.advice import advice_reasons
from arcollect.cashapp.shapes import BankFileError, Decision, ParsedStatement, Proposal
from arcollect.cashapp.store import store
from arcollect.context import Context
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import money_str, to_decimal

FORMATS = ("auto", "bai2", "camt", "mt940", "csv")
ATTEMPTS = 5
Matcher = Callable[..., list[Decision]]  # match(lines, parties, items, settings) -> decisions


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


def match(ctx: Context, *, as_of: dt.date | None = None, matcher: Matcher | None = None,
          settings: Any = None, line_ids: Sequence[int] | None = None) -> dict[str, Any]:
    """Match every credit line not yet applied or excluded (CONTRACT §9): "apply" decisions are applied at once,
    "review" ones keep their ranked proposals, the rest stay unidentified. A line applied meanwhile by someone
    else is left as it is; a re-run changes nothing already decided. Problems are collected, not raised.
    Returns counts: ``applied`` by this run, ``proposed``/``unidentified`` lines as they stand after it,
    ``changed`` lines whose state this run changed. ``line_ids``: only these lines (an advice just attached).
    Remittance advices still waiting for their line are tried first; an advice's invoices are its line's."""
    as_of = as_of or ctx.clock.today()
    with ctx.sessions() as session:
        waiting = advices.any_waiting(session)
    if waiting:
        with ctx.unit_of_work() as session:
            _attach_waiting(ctx, session)
    with ctx.sessions() as session:
        lines = inputs.undecided_lines(session, line_ids=line_ids)
        if not lines:
            return {"as_of": as_of.isoformat(), "lines": 0, "applied": 0, "proposed": 0, "unidentified": 0,
                    "changed": 0, "errors": []}
        fn = matcher or _real_matcher()
        if settings is None:
            settings = _settings_for(ctx)
        parties = inputs.parties(session)
        items = inputs.open_items(session, as_of=as_of, currencies={ln.currency for ln in lines})
        line_ins, advised = inputs.line_ins(session, lines)
    decisions = [advice_reasons(d, *advised[d.line_id]) if d.line_id in advised else d
                 for d in fn(line_ins, parties, items, settings)]
    counts = {"applied": 0, "proposed": 0, "unidentified": 0}
    changed = 0
    errors: list[str] = []
    touched: set[int] = set()
    for decision in decisions:
        try:
            outcome = apply_decision(ctx, decision=decision, after=False)
        except (Conflict, InvalidInput, NotFound) as exc:
            errors.append(f"line {decision.line_id}: {exc}")
            continue
        kind = {"applied": "applied", "proposed": "proposed", "unmatched": "unidentified"}.get(outcome["status"])
        if kind and (kind != "applied" or outcome["changed"]):  # applied: by this run; the others: as they stand
            counts[kind] += 1
        changed += bool(outcome["changed"])
        if outcome.get("customer_pk") and outcome["status"] == "applied" and outcome["changed"]:
            touched.add(outcome["customer_pk"])
    after_cash_moved(ctx, customer_pks=touched)
    return {"as_of": as_of.isoformat(), "lines": len(decisions), **counts, "changed": changed, "errors": errors}


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
            who = customer_id
            if who is None:
                owners = set(session.scalars(select(Customer.customer_id).join(
                    Invoice, Invoice.customer_pk == Customer.id)
                    .where(Invoice.invoice_id.in_([i for i, _ in invoices]))))
                if len(owners) > 1:
                    raise InvalidInput(f"the invoices belong to several customers ({', '.join(sorted(owners))}); "
                                       f"name one with --customer")
                if not owners:
                    raise NotFound(f"invoices not found: {', '.join(i for i, _ in invoices)}")
                who = owners.pop()
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

    _with_retries(run)
    return line(ctx, line_id=line_id)


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


# ---- reading -----------------------------------------------------------------------------------
def _visible(stmt: Any, scope: CustomerScope, unidentified: bool) -> Any:
    """Lines of customers in ``scope``; lines of no customer only for the cash roles (``unidentified``)."""
    condition = scope.condition()
    if condition is None:
        return stmt if unidentified else stmt.where(BankLine.customer_pk.is_not(None))
    mine = BankLine.customer_pk.in_(select(Customer.id).where(condition))
    return stmt.where(or_(mine, BankLine.customer_pk.is_(None)) if unidentified else mine)


def _line_view(ln: BankLine, customer_id: str | None, applications: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(ln.id), "reference": ln.reference or "", "date": ln.booking_date.isoformat(),
            "amount": money_str(ln.amount, ln.currency), "currency": ln.currency, "payer": ln.payer_name or "",
            "remittance": "\n".join(ln.remittance or []), "status": ln.status, "customer_id": customer_id,
            "confidence": float(ln.confidence or 0.0), "applications": applications,
            "reasons": list(ln.reasons or []), "proposals": list(ln.proposals or [])}


UNIDENTIFIED = "unidentified"  # a filter, not a status: credits still open that name no customer


def _unidentified() -> Any:
    """Credit lines still open (unmatched, or proposed across several customers) with no customer identified."""
    return (BankLine.status.in_(posting.OPEN_STATUSES), BankLine.customer_pk.is_(None), BankLine.amount > 0)


def _filtered(stmt: Any, status: str | None, booked_on: dt.date | None) -> Any:
    if status == UNIDENTIFIED:
        stmt = stmt.where(*_unidentified())
    elif status:
        stmt = stmt.where(BankLine.status == status)
    return stmt.where(BankLine.booking_date == booked_on) if booked_on else stmt


def lines(ctx: Context, *, status: str | None = None, scope: CustomerScope = EVERYTHING, unidentified: bool = True,
          limit: int | None = None, offset: int = 0, with_total: bool = False,
          booked_on: dt.date | None = None) -> Any:
    """Bank lines in the CONTRACT §9 JSON shape, newest first (``with_total``: (rows, total)). ``status`` may
    also be "unidentified" (open credits of no customer); ``booked_on``: the lines the bank booked that day."""
    if status is not None and status not in (*LINE_STATUSES, UNIDENTIFIED):
        raise InvalidInput(f"--status {status!r}: one of {', '.join(LINE_STATUSES)}")
    with ctx.sessions() as session:
        stmt = _visible(select(BankLine, Customer.customer_id).outerjoin(Customer, Customer.id == BankLine.customer_pk),
                        scope, unidentified)
        count = _visible(select(func.count()).select_from(BankLine), scope, unidentified)
        stmt, count = _filtered(stmt, status, booked_on), _filtered(count, status, booked_on)
        stmt = stmt.order_by(BankLine.booking_date.desc(), BankLine.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = session.execute(stmt).all()
        apps = posting.applications_of(session, [ln.payment_pk for ln, _ in rows if ln.status == "applied"])
        out = [_line_view(ln, cid, apps.get(ln.payment_pk, []) if ln.status == "applied" else []) for ln, cid in rows]
        total = session.scalar(count) if with_total else None
    return (out, total) if with_total else out


def line(ctx: Context, *, line_id: str, scope: CustomerScope = EVERYTHING, unidentified: bool = True) -> dict[str, Any]:
    """One bank line in the CONTRACT §9 shape (NotFound outside the caller's scope)."""
    with ctx.sessions() as session:
        try:
            key = int(line_id)
        except (TypeError, ValueError):
            raise NotFound(f"bank line {line_id!r} not found") from None
        stmt = _visible(select(BankLine, Customer.customer_id).outerjoin(Customer, Customer.id == BankLine.customer_pk)
                        .where(BankLine.id == key), scope, unidentified) if 0 < key < 2**63 else None
        row = session.execute(stmt).first() if stmt is not None else None
        if row is None:
            raise NotFound(f"bank line {line_id} not found")
        ln, cid = row
        apps = posting.applications_of(session, [ln.payment_pk]) if ln.status == "applied" else {}
        return _line_view(ln, cid, apps.get(ln.payment_pk, []))


def counts(ctx: Context, *, scope: CustomerScope = EVERYTHING, unidentified: bool = True,
           booked_on: dt.date | None = None) -> dict[str, int]:
    """How many lines the caller sees per status, and how many of them are unidentified cash."""
    with ctx.sessions() as session:
        base = _filtered(_visible(select(BankLine.status, func.count()).select_from(BankLine), scope, unidentified),
                         None, booked_on)
        out = {s: 0 for s in LINE_STATUSES}
        out.update({s: n for s, n in session.execute(base.group_by(BankLine.status))})
        out[UNIDENTIFIED] = session.scalar(_filtered(_visible(select(func.count()).select_from(BankLine), scope,
                                                              unidentified), UNIDENTIFIED, booked_on)) or 0
    return out


def line_detail(ctx: Context, *, line_id: str, scope: CustomerScope = EVERYTHING,
                unidentified: bool = True) -> dict[str, Any]:
    """``line`` and everything the bank said about it (payer account, value date, structured documents, where
    it is in its file) and what became of it (customer name, unapplied rest, excluded reason, who decided)."""
    view = line(ctx, line_id=line_id, scope=scope, unidentified=unidentified)
    with ctx.sessions() as session:
        ln = session.get(BankLine, int(view["id"]))
        st = session.get(BankStatement, ln.statement_pk)
        name = session.scalar(select(Customer.name).where(Customer.id == ln.customer_pk)) if ln.customer_pk else None
        applied = sum((to_decimal(a["amount"]) for a in view["applications"]), Decimal(0))
        named = {p.get("customer_id") for p in view["proposals"]} - {None}
        names = {cid: nm for cid, nm in session.execute(select(Customer.customer_id, Customer.name)
                                                        .where(Customer.customer_id.in_(sorted(named))))}
        view.update({"customer_names": names,
            "value_date": ln.value_date.isoformat() if ln.value_date else None, "payer_account": ln.payer_account,
            "payer_bic": ln.payer_bic, "end_to_end_id": ln.end_to_end_id, "bank_code": ln.bank_code,
            "texts": list(ln.remittance or []), "documents": list(ln.documents or []), "location": ln.location,
            "customer_name": name, "excluded_reason": ln.excluded_reason, "decided_by": ln.decided_by,
            "is_credit": ln.amount > 0, "in_ledger": ln.payment_pk is not None, "statement": {"account": st.account, "file_name": st.file_name,
                                                      "statement_id": st.statement_id} if st else None,
            "unapplied": money_str(ln.amount - applied, ln.currency) if ln.status == "applied" else None,
            "advices": [advices.view(a) for a in advices.by_line(session, [ln.id]).get(ln.id, [])]})
    return view


def customer_cash(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING,
                  limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """A customer's bank cash still to settle: lines applied to it that left an unapplied rest (on account), and
    lines proposed for it waiting for review (also those proposed across several customers that name it)."""
    with ctx.sessions() as session:
        c = ledger.scoped_customer(session, scope, customer_id)
        mine = session.scalars(select(BankLine).where(BankLine.customer_pk == c.id,
                                                      BankLine.status.in_(("applied", "proposed")))
                               .order_by(BankLine.booking_date.desc(), BankLine.id.desc())).all()
        shared = [ln for ln in session.scalars(select(BankLine).where(BankLine.status == "proposed",
                                                                      BankLine.customer_pk.is_(None))
                                               .order_by(BankLine.booking_date.desc(), BankLine.id.desc())
                                               .limit(2000))
                  if any(p.get("customer_id") == customer_id for p in ln.proposals or [])]
        apps = posting.applications_of(session, [ln.payment_pk for ln in mine if ln.status == "applied"])
        rest, proposed = [], []
        for ln in mine:
            if ln.status == "applied":
                view = _line_view(ln, customer_id, apps.get(ln.payment_pk, []))
                left = ln.amount - sum((to_decimal(a["amount"]) for a in view["applications"]), Decimal(0))
                if left > 0 and len(rest) < limit:
                    rest.append({**view, "unapplied": money_str(left, ln.currency)})
            elif len(proposed) < limit:
                proposed.append(_line_view(ln, customer_id, []))
        for ln in shared[:max(0, limit - len(proposed))]:
            proposed.append(_line_view(ln, None, []))
    return {"unapplied": rest, "proposed": proposed}


def remittance_advices(ctx: Context, *, scope: CustomerScope = EVERYTHING, customer_id: str | None = None,
                       status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Remittance advices read from inbound mail, newest first: their invoices and amounts, the bank line they
    attached to or why none (advices of no customer only for callers who see everything)."""
    from arcollect.cashapp.models import ADVICE_STATUSES, RemittanceAdvice

    if status is not None and status not in ADVICE_STATUSES:
        raise InvalidInput(f"status {status!r}: one of {', '.join(ADVICE_STATUSES)}")
    with ctx.sessions() as session:
        stmt = select(RemittanceAdvice, Customer.customer_id).outerjoin(Customer, Customer.id == RemittanceAdvice.customer_pk)
        if customer_id is not None:
            stmt = stmt.where(RemittanceAdvice.customer_pk == ledger.scoped_customer(session, scope, customer_id).id)
        elif (condition := scope.condition()) is not None:
            stmt = stmt.where(RemittanceAdvice.customer_pk.in_(select(Customer.id).where(condition)))
        if status is not None:
            stmt = stmt.where(RemittanceAdvice.status == status)
        rows = session.execute(stmt.order_by(RemittanceAdvice.id.desc()).limit(limit)).all()
        return [{**advices.view(a), "customer_id": cid} for a, cid in rows]


def statements(ctx: Context, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Imported statements, newest first, with their balance check and continuity note."""
    with ctx.sessions() as session:
        total = session.scalar(select(func.count()).select_from(BankStatement)) or 0
        rows = session.scalars(select(BankStatement).order_by(BankStatement.imported_at.desc(), BankStatement.id.desc())
                               .limit(limit).offset(offset)).all()
        out = [{"id": str(s.id), "account": s.account, "currency": s.currency, "statement_id": s.statement_id,
                "format": s.format, "file_name": s.file_name,
                "opening": money_str(s.opening if s.opening is not None else Decimal(0), s.currency),
                "closing": money_str(s.closing if s.closing is not None else Decimal(0), s.currency),
                "opening_date": s.opening_date.isoformat() if s.opening_date else None,
                "closing_date": s.closing_date.isoformat() if s.closing_date else None,
                "credits": money_str(s.credits, s.currency), "debits": money_str(s.debits, s.currency),
                "balance_check": s.balance_check, "continuity": s.continuity, "lines": s.line_count,
                "imported_at": s.imported_at.isoformat(), "imported_by": s.imported_by} for s in rows]
    return out, total


__all__ = ["BankFileError", "FORMATS", "UNIDENTIFIED", "after_cash_moved", "apply", "apply_decision", "counts",
           "customer_cash", "exclude", "import_file", "import_upload", "line", "line_detail", "lines", "match",
           "parse_invoices", "record_advice_in", "remittance_advices", "statements", "store_statements", "unapply"]
