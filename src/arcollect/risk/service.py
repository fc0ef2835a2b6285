"""Payment prediction and cash forecast over the ledger: train (a stored, versioned model), predict every
invoice open on a date, forecast the cash to come. Learns only from the ledger's own history as of a date:
an invoice counts as settled only if it was fully paid by then (later payments are not known yet)."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
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
from arcollect.risk import features as F
from arcollect.risk import forecast as FC
from arcollect.risk import prediction as P
from arcollect.risk.models import PredictionModel

ZERO = Decimal(0)
DEFAULT_KEPT_RATE = Decimal("0.5")  # a customer with no resolved promise yet


def _rows(session: Session, as_of: dt.date) -> list[F.InvoiceRow]:
    """Every invoice issued by the date, as known on it."""
    parent = aliased(Customer)
    written_off = select(WriteOff.invoice_pk).where(WriteOff.written_off_on <= as_of)
    disputed = dict(session.execute(
        select(DisputeItem.invoice_pk, func.min(Dispute.opened_on)).join(Dispute, Dispute.id == DisputeItem.dispute_pk)
        .where(Dispute.opened_on <= as_of).group_by(DisputeItem.invoice_pk)).all())
    written = set(session.scalars(written_off))
    stmt = (select(Invoice.id, Invoice.invoice_id, Customer.customer_id, Invoice.issue_date, Invoice.due_date,
                   Invoice.amount, Invoice.open_until, Customer.segment, parent.customer_id)
            .join(Customer, Customer.id == Invoice.customer_pk).outerjoin(parent, parent.id == Customer.parent_pk)
            .where(Invoice.issue_date <= as_of))
    rows = []
    for pk, key, cust, issued, due, amount, until, segment, parent_id in session.execute(stmt):
        settled = until if until <= as_of and pk not in written else None
        rows.append(F.InvoiceRow(key=key, customer=cust, issue_date=issued, due_date=due, amount=amount,
                                 settled_on=settled, disputed_on=disputed.get(pk), segment=segment, parent=parent_id))
    return rows


def _events(session: Session, as_of: dt.date) -> F.Events:
    names = dict(session.execute(select(Customer.id, Customer.customer_id)).all())
    kept: dict[str, list[tuple[dt.date, bool]]] = defaultdict(list)
    for cpk, states in promises.promise_states(session, within=None, as_of=as_of, lookback_days=3650).items():
        for s in states:
            if s["status"] in ("kept", "partially_kept", "broken"):
                kept[names[cpk]].append((s["pause_until"], s["status"] == "kept"))
    reminders: dict[str, list[dt.date]] = defaultdict(list)
    for day, invoices in session.execute(select(OutboxMessage.as_of, OutboxMessage.invoices)
                                         .where(OutboxMessage.status == "sent", OutboxMessage.as_of <= as_of)):
        for key in invoices or []:
            reminders[key].append(day)
    return F.Events(promises=dict(kept), reminders=dict(reminders))


def _book(session: Session, as_of: dt.date) -> tuple[list[F.InvoiceRow], F.History]:
    rows = _rows(session, as_of)
    return rows, F.History(rows, _events(session, as_of))


def train(ctx: Context, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Learn from the invoices settled before the date (default today) and store the model as a new version."""
    day = as_of or ctx.clock.today()
    started = time.perf_counter()
    with ctx.sessions() as session:
        rows, history = _book(session, day)
    try:
        model, metrics = P.fit_and_measure(history, rows, as_of=day)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    with ctx.unit_of_work() as session:
        version = (session.scalar(select(func.max(PredictionModel.version))) or 0) + 1
        now = ctx.clock.now()
        session.add(PredictionModel(version=version, kind="lightgbm", as_of=day, trained_at=now,
                                    trained_by=ctx.actor, metrics=metrics, blob=model.dump()))
        audit.record(session, at=now, actor=ctx.actor, action="train", entity="prediction_model",
                     entity_key=str(version), changes={"as_of": day, "rows": model.trained_rows})
    return {"version": version, "as_of": day.isoformat(), "trained_at": now.isoformat(), "metrics": metrics}


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


def _open(session: Session, as_of: dt.date, scope: CustomerScope, customer_pk: int | None) -> list[dict[str, Any]]:
    """Invoices open on the date with their open and disputed amounts."""
    applied = (select(Application.invoice_pk, func.sum(Application.amount).label("applied"))
               .join(Invoice, Invoice.id == Application.invoice_pk)
               .where(Application.applied_on <= as_of, Application.invoice_open_until > as_of)
               .group_by(Application.invoice_pk).subquery())
    stmt = (select(Invoice.invoice_id, Customer.customer_id, Customer.collector, Invoice.amount, Invoice.currency,
                   Invoice.due_date, Invoice.disputed, Invoice.disputed_amount, applied.c.applied)
            .join(Customer, Customer.id == Invoice.customer_pk).outerjoin(applied, applied.c.invoice_pk == Invoice.id)
            .where(Invoice.issue_date <= as_of, Invoice.open_until > as_of))
    if scope.condition() is not None:
        stmt = stmt.where(scope.condition())
    if customer_pk is not None:
        stmt = stmt.where(Invoice.customer_pk == customer_pk)
    out = []
    for key, cust, collector, amount, cur, due, in_dispute, disputed_amount, paid in session.execute(stmt):
        left = quantize(amount - (paid or ZERO), cur)
        if left <= 0:
            continue
        part = ZERO
        if in_dispute:
            part = left if disputed_amount is None else max(ZERO, min(disputed_amount, left))
        out.append({"invoice_id": key, "customer_id": cust, "collector": collector, "currency": cur,
                    "open_amount": left, "disputed": quantize(part, cur), "due_date": due})
    return out


def _predict(ctx: Context, as_of: dt.date, scope: CustomerScope, customer_id: str | None,
             explain: int, train_if_missing: bool = True) -> tuple[list[dict[str, Any]], list[P.Prediction], P.Model, int]:
    model, version = _model(ctx, as_of, train_if_missing)
    with ctx.sessions() as session:
        customer_pk = ledger.scoped_customer(session, scope, customer_id).id if customer_id else None
        items = _open(session, as_of, scope, customer_pk)
        rows, history = _book(session, as_of)
    by_key = {r.key: r for r in rows}
    preds = P.predict(model, history, [by_key[i["invoice_id"]] for i in items], as_of, explain=explain)
    return items, preds, model, version


def predict(ctx: Context, *, as_of: dt.date, customer_id: str | None = None, scope: CustomerScope = EVERYTHING,
            explain: int = 3, train_if_missing: bool = True) -> list[dict[str, Any]]:
    """Every invoice open on the date with its expected payment date (never before the date), p_late and
    top factors (CONTRACT §10), oldest due first."""
    items, preds, _, version = _predict(ctx, as_of, scope, customer_id, explain, train_if_missing)
    out = []
    for item, p in zip(items, preds):
        out.append({"invoice_id": item["invoice_id"], "customer_id": item["customer_id"],
                    "expected_date": p.expected_date.isoformat(), "p_late": p.p_late,
                    "days_late": p.days_late, "due_date": item["due_date"].isoformat(),
                    "currency": item["currency"], "open_amount": money_str(item["open_amount"], item["currency"]),
                    "factors": p.factors, "model_version": version})
    out.sort(key=lambda r: (r["due_date"], r["invoice_id"]))
    return out


def _kept_rates(states: dict[int, list[dict[str, Any]]]) -> dict[int, Decimal]:
    out = {}
    for cpk, items in states.items():
        resolved = [s for s in items if s["status"] in ("kept", "partially_kept", "broken")]
        if resolved:
            out[cpk] = Decimal(sum(1 for s in resolved if s["status"] == "kept")) / len(resolved)
    return out


def forecast(ctx: Context, *, as_of: dt.date, weeks: int = 13, scope: CustomerScope = EVERYTHING,
             train_if_missing: bool = True) -> dict[str, Any]:
    """Expected inflows per week and month, per currency (CONTRACT §10), from the predictions of every open
    invoice, open promises and plan instalments (weighted by the customer's kept rate), disputed amounts
    apart and unapplied cash not counted twice."""
    if not 1 <= weeks <= 104:
        raise InvalidInput("weeks: between 1 and 104")
    items, preds, model, version = _predict(ctx, as_of, scope, None, 0, train_if_missing)
    q_lo, q_hi = model.residuals
    open_items = []
    for item, p in zip(items, preds):
        expected = p.expected_date
        open_items.append(FC.OpenItem(
            key=item["invoice_id"], customer=item["customer_id"], currency=item["currency"],
            open_amount=item["open_amount"], disputed=item["disputed"], due_date=item["due_date"], expected=expected,
            early=max(as_of, expected + dt.timedelta(days=int(round(min(0.0, q_lo))))),
            late=expected + dt.timedelta(days=int(round(max(0.0, q_hi))))))
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
