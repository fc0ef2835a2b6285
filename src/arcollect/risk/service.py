"""Payment prediction and cash forecast over the ledger: train (a stored, versioned model), predict every
invoice open on a date, forecast the cash to come. Learns only from the ledger's own history as of a date:
an invoice counts as settled only if it was fully paid by then (later payments are not known yet)."""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from arcollect import audit, fx
from arcollect.context import Context
from arcollect.disputes.models import Dispute, DisputeItem
from arcollect.errors import Conflict, InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Customer, Invoice, Payment, WriteOff
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import money_str, quantize
from arcollect.outreach.models import OutboxMessage
from arcollect.promises import service as promises
from arcollect.risk import explain as X
from arcollect.risk import features as F
from arcollect.risk import forecast as FC
from arcollect.risk import prediction as P
from arcollect.risk.models import PredictionModel

ZERO = Decimal(0)
log = logging.getLogger(__name__)
DEFAULT_KEPT_RATE = Decimal("0.5")  # a customer with no resolved promise yet


SCOPED_MAX = 2000  # up to this many customers listed, only their part of the book is read (else all of it)
Within = Sequence[int] | Select[Any]  # customers: their keys, or a query of them (a portfolio)


def _pools(session: Session, as_of: dt.date, customer_pks: Within) -> list[Any]:
    """Settled invoices beyond the customers' own that their features read: every invoice of their groups
    (a parent and its children) and the latest POOL_WINDOW settled before the date of their segments."""
    groups, segments = set(), set()
    for parent_pk, segment in session.execute(select(Customer.parent_pk, Customer.segment)
                                              .where(Customer.id.in_(customer_pks))):
        if parent_pk is not None:
            groups.add(parent_pk)
        segments.add(segment or "")
    written_off = select(WriteOff.invoice_pk).where(WriteOff.written_off_on <= as_of)
    settled = (Invoice.open_until < as_of, Invoice.issue_date <= as_of, Invoice.id.not_in(written_off))
    parent = aliased(Customer)
    base = (select(Invoice.id, Invoice.invoice_id, Customer.customer_id, Invoice.issue_date, Invoice.due_date,
                   Invoice.amount, Invoice.open_until, Customer.segment, parent.customer_id)
            .join(Customer, Customer.id == Invoice.customer_pk).outerjoin(parent, parent.id == Customer.parent_pk))
    out: list[Any] = []
    if groups:
        members = select(Customer.id).where(or_(Customer.parent_pk.in_(groups),
                                                (Customer.id.in_(groups)) & Customer.parent_pk.is_(None)))
        out.extend(session.execute(base.where(*settled, Invoice.customer_pk.in_(members))))
    for segment in segments:
        same = or_(Customer.segment.is_(None), Customer.segment == "") if not segment else Customer.segment == segment
        out.extend(session.execute(base.where(*settled, same).order_by(Invoice.open_until.desc())
                                   .limit(F.POOL_WINDOW)))
    return out


def _rows(session: Session, as_of: dt.date, customer_pks: Within | None = None) -> list[F.InvoiceRow]:
    """Every invoice issued by the date, as known on it (``customer_pks``: theirs, and the settled invoices
    of their groups and segments that their features read)."""
    parent = aliased(Customer)
    mine = (lambda column: column.in_(select(Invoice.id).where(Invoice.customer_pk.in_(customer_pks)))) \
        if customer_pks is not None else None
    written_off = select(WriteOff.invoice_pk).where(WriteOff.written_off_on <= as_of)
    disputes = (select(DisputeItem.invoice_pk, func.min(Dispute.opened_on)).join(Dispute, Dispute.id == DisputeItem.dispute_pk)
                .where(Dispute.opened_on <= as_of).group_by(DisputeItem.invoice_pk))
    if mine is not None:
        written_off = written_off.where(mine(WriteOff.invoice_pk))
        disputes = disputes.where(mine(DisputeItem.invoice_pk))
    disputed = dict(session.execute(disputes).all())
    written = set(session.scalars(written_off))
    stmt = (select(Invoice.id, Invoice.invoice_id, Customer.customer_id, Invoice.issue_date, Invoice.due_date,
                   Invoice.amount, Invoice.open_until, Customer.segment, parent.customer_id)
            .join(Customer, Customer.id == Invoice.customer_pk).outerjoin(parent, parent.id == Customer.parent_pk)
            .where(Invoice.issue_date <= as_of))
    found = list(session.execute(stmt if customer_pks is None else stmt.where(Invoice.customer_pk.in_(customer_pks))))
    if customer_pks is not None:
        found.extend(_pools(session, as_of, customer_pks))
    rows, seen = [], set()
    for pk, key, cust, issued, due, amount, until, segment, parent_id in found:
        if pk in seen:
            continue
        seen.add(pk)
        settled = until if until <= as_of and pk not in written else None
        rows.append(F.InvoiceRow(key=key, customer=cust, issue_date=issued, due_date=due, amount=amount,
                                 settled_on=settled, disputed_on=disputed.get(pk), segment=segment, parent=parent_id))
    return rows


def _events(session: Session, as_of: dt.date, customer_pks: Within | None = None) -> F.Events:
    names = dict(session.execute(select(Customer.id, Customer.customer_id)
                                 .where(*([] if customer_pks is None else [Customer.id.in_(customer_pks)]))).all())
    kept: dict[str, list[tuple[dt.date, bool]]] = defaultdict(list)
    for cpk, states in promises.promise_states(session, within=customer_pks, as_of=as_of, lookback_days=3650).items():
        for s in states:
            if s["status"] in ("kept", "partially_kept", "broken"):
                kept[names[cpk]].append((s["pause_until"], s["status"] == "kept"))
    reminders: dict[str, list[dt.date]] = defaultdict(list)
    sent = select(OutboxMessage.as_of, OutboxMessage.invoices).where(OutboxMessage.status == "sent",
                                                                     OutboxMessage.as_of <= as_of)
    if customer_pks is not None:
        sent = sent.where(OutboxMessage.customer_pk.in_(customer_pks))
    for day, invoices in session.execute(sent):
        for key in invoices or []:
            reminders[key].append(day)
    return F.Events(promises=dict(kept), reminders=dict(reminders))


def _book(session: Session, as_of: dt.date,
          customer_pks: Within | None = None) -> tuple[list[F.InvoiceRow], F.History]:
    """The rows and their history: the whole book, or what some customers' features read."""
    if isinstance(customer_pks, (list, tuple)) and len(customer_pks) > SCOPED_MAX:
        customer_pks = None
    rows = _rows(session, as_of, customer_pks)
    return rows, F.History(rows, _events(session, as_of, customer_pks))


def _learn(session: Session, day: dt.date) -> tuple[P.Model, dict[str, Any]]:
    """Fit and measure on the invoices settled before the date (InvalidInput: too little history)."""
    started = time.perf_counter()
    rows, history = _book(session, day)
    try:
        model, metrics = P.fit_and_measure(history, rows, as_of=day)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    return model, metrics


def _store(session: Session, model: P.Model, metrics: dict[str, Any], *, day: dt.date, now: dt.datetime,
           actor: str) -> dict[str, Any]:
    version = (session.scalar(select(func.max(PredictionModel.version))) or 0) + 1
    session.add(PredictionModel(version=version, kind="lightgbm", as_of=day, trained_at=now,
                                trained_by=actor, metrics=metrics, blob=model.dump()))
    audit.record(session, at=now, actor=actor, action="train", entity="prediction_model",
                 entity_key=str(version), changes={"as_of": day, "rows": model.trained_rows,
                                                   "metrics": {k: metrics.get(k) for k in ("n", "model", "due_date")}})
    return {"version": version, "as_of": day.isoformat(), "trained_at": now.isoformat(), "metrics": metrics}


def train(ctx: Context, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Learn from the invoices settled before the date (default today) and store the model as a new version."""
    day = as_of or ctx.clock.today()
    with ctx.sessions() as session:
        model, metrics = _learn(session, day)
    with ctx.unit_of_work() as session:
        return _store(session, model, metrics, day=day, now=ctx.clock.now(), actor=ctx.actor)


MIN_SETTLED = 40  # fit_and_measure's least history


def retrain_if_due(session: Session, now: dt.datetime, *, every_days: int = 7,
                   actor: str = "scheduler") -> dict[str, Any]:
    """The scheduled training (the daily run; later a worker): a new version when the latest stored model
    was trained ``every_days`` or more days before ``now`` (or none is stored) and the ledger has enough
    settled history. Inside the caller's unit of work; returns what was done and why, and logs it."""
    day = now.date()
    last = session.execute(select(PredictionModel.version, PredictionModel.trained_at)
                           .order_by(PredictionModel.version.desc()).limit(1)).first()
    if last is not None:
        trained_at = last.trained_at if last.trained_at.tzinfo else last.trained_at.replace(tzinfo=dt.timezone.utc)
        age = (now - trained_at).total_seconds() / 86400
        if age < every_days:
            return {"trained": False, "version": last.version,
                    "reason": f"model version {last.version} is {int(age)} days old (retrained every {every_days})"}
    written_off = select(WriteOff.invoice_pk).where(WriteOff.written_off_on <= day)
    settled = session.scalar(select(func.count()).select_from(Invoice)
                             .where(Invoice.open_until < day, Invoice.id.not_in(written_off))) or 0
    if settled < MIN_SETTLED:
        reason = f"too little history to learn from: {settled} settled invoices (at least {MIN_SETTLED})"
        log.info("prediction model not trained: %s", reason)
        return {"trained": False, "version": None if last is None else last.version, "reason": reason}
    try:
        model, metrics = _learn(session, day)
    except InvalidInput as exc:
        log.info("prediction model not trained: %s", exc)
        return {"trained": False, "version": None if last is None else last.version, "reason": str(exc)}
    stored = _store(session, model, metrics, day=day, now=now, actor=actor)
    m = metrics.get("model", {})
    log.info("prediction model version %s trained on %s settled invoices: MAE %s d, %s %% within ±3 d (due-date "
             "baseline MAE %s d)", stored["version"], metrics.get("trained_rows"), m.get("mae"), m.get("within_3"),
             metrics.get("due_date", {}).get("mae"))
    return {"trained": True, **stored,
            "reason": "no model stored yet" if last is None else f"the stored model was {every_days}+ days old"}


def latest_model(ctx: Context) -> dict[str, Any] | None:
    """The stored model in use (the latest version), without its blob; None when none is trained."""
    with ctx.sessions() as session:
        m = session.scalar(select(PredictionModel).order_by(PredictionModel.version.desc()).limit(1))
        if m is None:
            return None
        return {"version": m.version, "as_of": m.as_of.isoformat(), "trained_at": m.trained_at.isoformat(),
                "metrics": m.metrics}


def _model(ctx: Context, as_of: dt.date, train_if_missing: bool = True) -> tuple[P.Model, int]:
    """The latest stored model learnt by the date (a model never sees the future of the date it predicts
    from); one is trained when none is stored, or when ``train_if_missing`` is False, Conflict."""
    with ctx.sessions() as session:
        m = session.scalar(select(PredictionModel).where(PredictionModel.as_of <= as_of)
                           .order_by(PredictionModel.version.desc()).limit(1))
        blob, version = (m.blob, m.version) if m is not None else (None, None)
    if blob is None and not train_if_missing:
        raise Conflict(f"no prediction model learnt by {as_of.isoformat()}: run `arcollect predict train`")
    if blob is None:
        version = train(ctx, as_of=as_of)["version"]
        with ctx.sessions() as session:
            blob = session.scalar(select(PredictionModel.blob).where(PredictionModel.version == version))
    try:
        return P.Model.load(blob), version  # type: ignore[arg-type]
    except ValueError:
        version = train(ctx, as_of=as_of)["version"]
        with ctx.sessions() as session:
            blob = session.scalar(select(PredictionModel.blob).where(PredictionModel.version == version))
        return P.Model.load(blob), version  # type: ignore[arg-type]


def _open(session: Session, as_of: dt.date, scope: CustomerScope, customer_pk: int | None,
          customer_pks: Within | None = None) -> list[dict[str, Any]]:
    """Invoices open on the date with their open and disputed amounts."""
    applied = (select(Application.invoice_pk, func.sum(Application.amount).label("applied"))
               .join(Invoice, Invoice.id == Application.invoice_pk)
               .where(Application.applied_on <= as_of, Application.invoice_open_until > as_of)
               .group_by(Application.invoice_pk).subquery())
    stmt = (select(Invoice.invoice_id, Customer.customer_id, Customer.collector, Invoice.amount, Invoice.currency,
                   Invoice.due_date, Invoice.disputed, Invoice.disputed_amount, applied.c.applied, Invoice.customer_pk)
            .join(Customer, Customer.id == Invoice.customer_pk).outerjoin(applied, applied.c.invoice_pk == Invoice.id)
            .where(Invoice.issue_date <= as_of, Invoice.open_until > as_of))
    if scope.condition() is not None:
        stmt = stmt.where(scope.condition())
    if customer_pk is not None:
        stmt = stmt.where(Invoice.customer_pk == customer_pk)
    if customer_pks is not None:
        stmt = stmt.where(Invoice.customer_pk.in_(customer_pks))
    out = []
    for key, cust, collector, amount, cur, due, in_dispute, disputed_amount, paid, cpk in session.execute(stmt):
        left = quantize(amount - (paid or ZERO), cur)
        if left <= 0:
            continue
        part = ZERO
        if in_dispute:
            part = left if disputed_amount is None else max(ZERO, min(disputed_amount, left))
        out.append({"invoice_id": key, "customer_id": cust, "collector": collector, "currency": cur,
                    "open_amount": left, "disputed": quantize(part, cur), "due_date": due, "customer_pk": cpk})
    return out


def _predict(ctx: Context, as_of: dt.date, scope: CustomerScope, customer_id: str | None,
             explain: int, train_if_missing: bool = True
             ) -> tuple[list[dict[str, Any]], list[P.Prediction], P.Model, int, F.History, list[F.InvoiceRow]]:
    model, version = _model(ctx, as_of, train_if_missing)
    with ctx.sessions() as session:
        customer_pk = ledger.scoped_customer(session, scope, customer_id).id if customer_id else None
        items = _open(session, as_of, scope, customer_pk)
        within = None if scope.everything else select(Customer.id).where(scope.condition())
        rows, history = _book(session, as_of, [customer_pk] if customer_pk is not None else within)
    by_key = {r.key: r for r in rows}
    mine = [by_key[i["invoice_id"]] for i in items]
    preds = P.predict(model, history, mine, as_of, explain=explain)
    return items, preds, model, version, history, mine


def _paid(history: F.History, customer: str, as_of: dt.date) -> int:
    """How many of the customer's invoices were settled before the date."""
    track = history.customers.get(customer)
    return int(track.stats(as_of)[0]) if track is not None else 0


def predict(ctx: Context, *, as_of: dt.date, customer_id: str | None = None, scope: CustomerScope = EVERYTHING,
            explain: int = 3, train_if_missing: bool = True) -> list[dict[str, Any]]:
    """Every invoice open on the date with its expected payment date (never before the date), p_late and
    top factors (CONTRACT §10), oldest due first."""
    items, preds, _, version, history, rows = _predict(ctx, as_of, scope, customer_id, explain, train_if_missing)
    out = []
    for item, p, again in zip(items, preds, reestimates(items, preds, rows, history, as_of)):
        factors = X.plain(p.factors, paid=_paid(history, item["customer_id"], as_of), disputed=item["disputed"] > 0)
        expected, doubtful = _expected(p, again)
        out.append({"invoice_id": item["invoice_id"], "customer_id": item["customer_id"],
                    "expected_date": expected.isoformat(), "doubtful": doubtful, "p_late": p.p_late,
                    "days_late": p.days_late, "due_date": item["due_date"].isoformat(),
                    "currency": item["currency"], "open_amount": money_str(item["open_amount"], item["currency"]),
                    "factors": factors, "model_version": version})
    out.sort(key=lambda r: (r["due_date"], r["invoice_id"]))
    return out


def _kept_rates(states: dict[int, list[dict[str, Any]]]) -> dict[int, Decimal]:
    out = {}
    for cpk, items in states.items():
        resolved = [s for s in items if s["status"] in ("kept", "partially_kept", "broken")]
        if resolved:
            out[cpk] = Decimal(sum(1 for s in resolved if s["status"] == "kept")) / len(resolved)
    return out


def _late_history(history: F.History, as_of: dt.date) -> tuple[dict[str, list[int]], dict[str, list[int]], list[int]]:
    """Days late of the invoices settled before the date, each list sorted: per customer, per segment, the book
    (the segments' together: every settled invoice read)."""
    def before(track: Any) -> list[int]:
        return sorted(track.late[:bisect.bisect_left(track.dates, as_of)])

    customers = {c: before(t) for c, t in history.customers.items()}
    segments = {s: before(t) for s, t in history.segments.items()}
    return customers, segments, sorted(v for late in segments.values() for v in late)


Estimate = tuple[dt.date, dt.date, dt.date] | None  # (early, expected, late) re-estimated; None: doubtful
KEPT = "kept"  # the model's own estimate stands (its predicted date is still ahead)


def reestimates(items: Sequence[dict[str, Any]], preds: Sequence[P.Prediction], rows: Sequence[F.InvoiceRow],
                history: F.History, as_of: dt.date) -> list[Estimate | str]:
    """Per open invoice: ``KEPT`` while the model's predicted payment date (due + predicted days late) is not
    before ``as_of`` and the invoice is not over DOUBTFUL_DAYS past due; else its dates re-estimated given it
    is still unpaid (``FC.overdue_dates`` over the customer's, segment's, book's history), None when doubtful.
    The one re-estimate the forecast, ``predict``, the API's /predictions and the account page share."""
    late_history: tuple[dict[str, list[int]], dict[str, list[int]], list[int]] | None = None
    out: list[Estimate | str] = []
    for item, p, row in zip(items, preds, rows):
        predicted = item["due_date"] + dt.timedelta(days=int(round(p.days_late)))
        if not (predicted < as_of or (as_of - item["due_date"]).days > FC.DOUBTFUL_DAYS):
            out.append(KEPT)
            continue
        if late_history is None:
            late_history = _late_history(history, as_of)
        customers, segments, book = late_history
        out.append(FC.overdue_dates(as_of, item["due_date"], [customers.get(row.customer, []),
                                                              segments.get(row.segment or "", []), book]))
    return out


def _open_items(items: Sequence[dict[str, Any]], preds: Sequence[P.Prediction], rows: Sequence[F.InvoiceRow],
                history: F.History, model: P.Model, as_of: dt.date) -> list[FC.OpenItem]:
    """The forecast's open items: at the model's date with its error quartiles, or, once the model's date has
    passed (or the invoice is over DOUBTFUL_DAYS past due), re-estimated given it is still unpaid."""
    q_lo, q_hi = model.residuals
    out = []
    for item, p, again in zip(items, preds, reestimates(items, preds, rows, history, as_of)):
        expected = p.expected_date
        early = max(as_of, expected + dt.timedelta(days=int(round(min(0.0, q_lo)))))
        late = expected + dt.timedelta(days=int(round(max(0.0, q_hi))))
        doubtful = again is None
        if again is not None and again != KEPT:
            early, expected, late = again  # type: ignore[misc]
        out.append(FC.OpenItem(
            key=item["invoice_id"], customer=item["customer_id"], currency=item["currency"],
            open_amount=item["open_amount"], disputed=item["disputed"], due_date=item["due_date"], expected=expected,
            early=early, late=late, doubtful=doubtful))
    return out


def _expected(p: P.Prediction, again: Estimate | str) -> tuple[dt.date, bool]:
    """(expected date, doubtful) an invoice is shown with: the re-estimate once the model's date has passed."""
    if again == KEPT:
        return p.expected_date, False
    if again is None:
        return p.expected_date, True
    return again[1], False  # type: ignore[index]


def forecast(ctx: Context, *, as_of: dt.date, weeks: int = 13, scope: CustomerScope = EVERYTHING,
             train_if_missing: bool = True) -> dict[str, Any]:
    """Expected inflows per week and month, per currency (CONTRACT §10), from the predictions of every open
    invoice (re-estimated, once its predicted date has passed, given it is still unpaid), open promises and plan instalments (weighted by the customer's kept rate), disputed amounts
    apart and unapplied cash not counted twice."""
    if not 1 <= weeks <= 104:
        raise InvalidInput("weeks: between 1 and 104")
    items, preds, model, version, history, rows = _predict(ctx, as_of, scope, None, 0, train_if_missing)
    open_items = _open_items(items, preds, rows, history, model, as_of)
    with ctx.sessions() as session:
        cond = scope.condition()
        within = select(Customer.id).where(cond) if cond is not None else None
        names = dict(session.execute(select(Customer.id, Customer.customer_id)).all())
        currencies = dict(session.execute(select(Customer.id, Customer.currency)).all())
        states = promises.promise_states(session, within=within, as_of=as_of, lookback_days=3650)
        unapplied: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        paid = (select(Application.payment_pk, func.sum(Application.amount).label("applied"))
                .where(Application.payment_pk.is_not(None), Application.applied_on <= as_of)
                .group_by(Application.payment_pk).subquery())
        stmt = (select(Payment.customer_pk, Payment.currency, Payment.amount, paid.c.applied)
                .outerjoin(paid, paid.c.payment_pk == Payment.id)
                .where(Payment.customer_pk.is_not(None), Payment.received_date <= as_of, Payment.open_until > as_of))
        if within is not None:
            stmt = stmt.where(Payment.customer_pk.in_(within))
        for cpk, cur, amount, applied in session.execute(stmt):
            unapplied[(names[cpk], cur)] += amount - (applied or ZERO)
    rates = _kept_rates(states)
    promised = []
    for cpk, items_ in states.items():
        for s in items_:
            left = s["amount"] - s["paid"]
            if s["status"] != "open" or left <= 0:
                continue
            promised.append(FC.Promised(customer=names[cpk], currency=s.get("currency") or currencies[cpk],
                                        amount=left, date=s["date"], invoices=s["invoices"],
                                        kept_rate=rates.get(cpk, DEFAULT_KEPT_RATE),
                                        kind="instalment" if "plan" in s else "promise"))
    result = FC.forecast(open_items, promised, dict(unapplied), as_of=as_of, weeks=weeks)
    result["model_version"] = version
    rep = fx.reporting(ctx.settings, {c["currency"] for c in result["currencies"]}, as_of)
    if rep is not None:  # FX rates configured: the inflows added up in the reporting currency, saying which rates
        result["reporting"] = {**rep.describe(), **(FC.in_reporting(result, rep) if rep.complete else {})}
    return result


def backtest(ctx: Context, *, as_of: dt.date, weeks: int = 13) -> dict[str, Any]:
    """The forecast made ``weeks`` weeks before the date, against the payments applied since to the
    invoices open then; with the naive baseline made the same day (each invoice's open amount, disputed
    part apart, on its due date, or in the first week when already past due)."""
    start = as_of - dt.timedelta(days=7 * weeks)
    made = forecast(ctx, as_of=start, weeks=weeks)
    with ctx.sessions() as session:
        actual = [(day, cur, amount) for day, cur, amount in session.execute(
            select(Application.applied_on, Application.currency, Application.amount)
            .join(Invoice, Invoice.id == Application.invoice_pk)
            .where(Application.payment_pk.is_not(None), Application.applied_on >= start,
                   Application.applied_on < as_of, Invoice.issue_date <= start, Invoice.open_until > start))]
        naive = []
        for item in _open(session, start, EVERYTHING, None):
            on = max(start, item["due_date"])
            naive.append(FC.OpenItem(key=item["invoice_id"], customer=item["customer_id"], currency=item["currency"],
                                     open_amount=item["open_amount"], disputed=item["disputed"],
                                     due_date=item["due_date"], expected=on, early=on, late=on))
    baseline = FC.backtest(FC.forecast(naive, [], {}, as_of=start, weeks=weeks)["weeks"], actual)
    return {"made_on": start.isoformat(), **FC.backtest(made["weeks"], actual),
            "baseline": {"name": "due date", "mae": baseline["mae"], "wape": baseline["wape"],
                         "currencies": baseline["currencies"],
                         "weeks": [{"start": w["start"], "currency": w["currency"], "expected": w["expected"],
                                    "error": w["error"]} for w in baseline["weeks"]]}}


def _stored(session: Session, as_of: dt.date) -> tuple[P.Model, PredictionModel] | None:
    """The latest stored model learnt by the date, loaded; None when there is none (or it no longer loads:
    the next training replaces it)."""
    m = session.scalar(select(PredictionModel).where(PredictionModel.as_of <= as_of)
                       .order_by(PredictionModel.version.desc()).limit(1))
    if m is None:
        return None
    try:
        return P.Model.load(m.blob), m
    except ValueError:
        return None


def late_chances(ctx: Context, *, as_of: dt.date, customer_pks: Sequence[int] | None = None,
                 scope: CustomerScope = EVERYTHING, collector: str | None = None) -> dict[str, float] | None:
    """invoice id → p_late of the invoices open on the date (of those customers, else of the collector's
    within the scope), by the stored model; None while no model is learnt by the date (the worklist's
    priority then keeps the customer's risk rating)."""
    with ctx.sessions() as session:
        found = _stored(session, as_of)
        if found is None:
            return None
        model = found[0]
        within: Within | None = customer_pks
        if within is None and (collector is not None or not scope.everything):
            within = select(Customer.id).where(*([Customer.collector == collector] if collector is not None else []),
                                               *([scope.condition()] if scope.condition() is not None else []))
        items = _open(session, as_of, scope, None, within)
        rows, history = _book(session, as_of, within)
    by_key = {r.key: r for r in rows}
    preds = P.predict(model, history, [by_key[i["invoice_id"]] for i in items], as_of, explain=0)
    return {p.key: p.p_late for p in preds}


def account_outlook(ctx: Context, *, customer_id: str, as_of: dt.date,
                    scope: CustomerScope = EVERYTHING) -> dict[str, Any] | None:
    """One account's open invoices with their expected payment date, p_late and factors in plain words,
    and the account's strongest factors; None while no model is learnt by the date."""
    with ctx.sessions() as session:
        found = _stored(session, as_of)
        if found is None:
            return None
        model, stored = found
        customer = ledger.scoped_customer(session, scope, customer_id)
        items = _open(session, as_of, scope, customer.id)
        rows, history = _book(session, as_of, [customer.id])
        info = {"version": stored.version, "as_of": stored.as_of.isoformat(),
                "trained_at": stored.trained_at.isoformat(), "mae": (stored.metrics or {}).get("model", {}).get("mae")}
    by_key = {r.key: r for r in rows}
    mine = [by_key[i["invoice_id"]] for i in items]
    preds = P.predict(model, history, mine, as_of, explain=len(F.NAMES))
    paid = _paid(history, customer.customer_id, as_of)
    disputed = frozenset(r.key for r in mine if r.disputed_on is not None)
    invoices = {}
    for item, p, again in zip(items, preds, reestimates(items, preds, mine, history, as_of)):
        expected, doubtful = _expected(p, again)
        invoices[item["invoice_id"]] = {
            "expected_date": expected.isoformat(), "doubtful": doubtful, "p_late": p.p_late, "days_late": p.days_late,
            "past_due": as_of > item["due_date"],
            # a past-due invoice the model expected paid before today: the date it was expected (chase it)
            "was_expected": (lambda d: d.isoformat() if d < as_of else None)(
                item["due_date"] + dt.timedelta(days=int(round(p.days_late)))),
            "factors": X.plain([f for f in p.factors if round(abs(f["days"]))][:3], paid=paid,
                               disputed=item["invoice_id"] in disputed)}
    return {"model": info, "invoices": invoices, "paid": paid,
            "factors": X.account_factors({p.key: p.factors for p in preds}, paid=paid, disputed=disputed)}
