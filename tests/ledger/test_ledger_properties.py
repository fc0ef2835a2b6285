"""Property tests: for random histories the ledger truths of DESIGN §4 hold to the cent, on every date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from arcollect.db import Base
from arcollect.errors import Conflict
from arcollect.ledger import service
from arcollect.ledger.balances import Movement, open_amount_as_of, unapplied_as_of
from arcollect.ledger.models import Application, CreditNote, Customer, Invoice, Payment

START = dt.date(2026, 1, 1)
CENTS = st.integers(min_value=1, max_value=5_000_000)
FRACTION = st.integers(min_value=1, max_value=100)

operation = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 3), FRACTION, st.integers(0, 90)),
    st.tuples(st.just("credit"), st.integers(0, 3), FRACTION, st.integers(0, 90)),
    st.tuples(st.just("write_off"), st.integers(0, 3), FRACTION, st.integers(0, 90)),
    st.tuples(st.just("reverse"), st.integers(0, 20), st.just(0), st.integers(0, 30)),
    st.tuples(st.just("on_account"), st.integers(0, 3), CENTS, st.integers(0, 90)),
)
history = st.tuples(
    st.lists(st.tuples(CENTS, st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=4),
    st.lists(operation, max_size=14),
)


def _reset(ctx) -> None:  # noqa: ANN001
    with ctx.unit_of_work() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))


def _seed(ctx, invoices) -> list[dict]:  # noqa: ANN001
    now = ctx.clock.now()
    stamp = {"created_at": now, "updated_at": now}
    made = []
    with ctx.unit_of_work() as s:
        s.execute(insert(Customer), [{"customer_id": "C1", "name": "Prop", "currency": "USD", **stamp}])
        cpk = s.scalar(select(Customer.id))
        for n, (cents, issue_offset, terms) in enumerate(invoices):
            issue = START + dt.timedelta(days=issue_offset)
            inv = {"invoice_id": f"I{n}", "customer_pk": cpk, "issue_date": issue,
                   "due_date": issue + dt.timedelta(days=terms), "amount": Decimal(cents) / 100, "currency": "USD"}
            s.execute(insert(Invoice), [{**inv, **stamp}])
            made.append(inv)
    return made


def _run(ctx, invoices, ops) -> None:  # noqa: ANN001
    now = ctx.clock.now()
    stamp = {"created_at": now, "updated_at": now}
    applications: list[int] = []
    for n, (kind, target, size, offset) in enumerate(ops):
        if kind == "reverse":
            if applications:
                app_id = applications[target % len(applications)]
                with ctx.sessions() as s:
                    app = s.get(Application, app_id)
                try:
                    service.reverse_application(ctx, application_id=app_id, reason="property",
                                                reversed_on=app.applied_on + dt.timedelta(days=offset))
                except Conflict:
                    pass
            continue
        inv = invoices[target % len(invoices)]
        when = inv["issue_date"] + dt.timedelta(days=offset)
        open_now = service.customer_overview(ctx, customer_id="C1", as_of=dt.date(2100, 1, 1)).open_items
        current = next((i["open_amount"] for i in open_now if i["invoice_id"] == inv["invoice_id"]), Decimal(0))
        if kind == "on_account":
            with ctx.unit_of_work() as s:
                s.execute(insert(Payment), [{"payment_id": f"OA{n}", "customer_pk": s.scalar(select(Customer.id)),
                                             "received_date": when, "amount": Decimal(size) / 100,
                                             "currency": "USD", **stamp}])
            continue
        amount = (current * size / 100).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        if kind == "write_off":
            try:
                service.write_off(ctx, invoice_id=inv["invoice_id"], amount=amount, written_off_on=when,
                                  reason="property")
            except Conflict as exc:
                assert "open from" in str(exc)
            continue
        doc_amount = amount + Decimal("7.77")  # leave something unapplied on the document
        with ctx.unit_of_work() as s:
            cpk = s.scalar(select(Customer.id))
            if kind == "pay":
                s.execute(insert(Payment), [{"payment_id": f"P{n}", "customer_pk": cpk, "received_date": when,
                                             "amount": doc_amount, "currency": "USD", **stamp}])
            else:
                s.execute(insert(CreditNote), [{"credit_note_id": f"CN{n}", "customer_pk": cpk, "issue_date": when,
                                                "amount": doc_amount, "currency": "USD", **stamp}])
        try:
            applications.append(service.apply_document(
                ctx, invoice_id=inv["invoice_id"], amount=amount, applied_on=when,
                **({"payment_id": f"P{n}"} if kind == "pay" else {"credit_note_id": f"CN{n}"})))
        except Conflict as exc:  # refused: it would over-apply the invoice on some date before a reversal
            assert "open from" in str(exc)


def _reference(ctx, as_of: dt.date) -> tuple[Decimal, Decimal, Decimal]:  # noqa: ANN001
    """Open, unapplied cash and unapplied credits recomputed row by row in Python."""
    with ctx.sessions() as s:
        apps = s.execute(select(Application)).scalars().all()
        moves: dict[tuple[str, int], list[Movement]] = {}
        for a in apps:
            m = Movement(a.amount, a.applied_on)
            moves.setdefault(("inv", a.invoice_pk), []).append(m)
            if a.payment_pk:
                moves.setdefault(("pay", a.payment_pk), []).append(m)
            if a.credit_note_pk:
                moves.setdefault(("cn", a.credit_note_pk), []).append(m)
        open_total = sum((open_amount_as_of(i.amount, i.issue_date, moves.get(("inv", i.id), []), as_of)
                          for i in s.scalars(select(Invoice))), Decimal(0))
        cash = sum((unapplied_as_of(p.amount, p.received_date, moves.get(("pay", p.id), []), as_of)
                    for p in s.scalars(select(Payment))), Decimal(0))
        credits = sum((unapplied_as_of(c.amount, c.issue_date, moves.get(("cn", c.id), []), as_of)
                       for c in s.scalars(select(CreditNote))), Decimal(0))
    return open_total, cash, credits


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(history)
def test_ledger_truths_hold_to_the_cent_on_every_date(ctx, case):
    invoices_spec, ops = case
    _reset(ctx)
    invoices = _seed(ctx, invoices_spec)
    _run(ctx, invoices, ops)
    for as_of in (START - dt.timedelta(days=1), START + dt.timedelta(days=30), START + dt.timedelta(days=75),
                  START + dt.timedelta(days=200)):
        t = service.ledger_totals(ctx, as_of=as_of, currency="USD")
        assert t.invoiced - t.applied_credits - t.applied_payments - t.written_off == t.open
        assert t.payments == t.applied_payments + t.unapplied_cash
        assert t.credits == t.applied_credits + t.unapplied_credits
        report = service.aging(ctx, as_of=as_of, by="customer")
        aging_total = sum((r.total for r in report.rows), Decimal(0))
        expected_open, expected_cash, expected_credits = _reference(ctx, as_of)
        assert aging_total == expected_open == t.open
        assert sum((r.unapplied_cash for r in report.rows), Decimal(0)) == expected_cash
        assert sum((r.unapplied_credits for r in report.rows), Decimal(0)) == expected_credits
        assert all(b >= 0 for r in report.rows for b in r.buckets)  # never over-applied


def test_backdated_application_before_a_later_reversal_is_refused(ctx):
    """Found by the property test: 0.09 applied on day 0 and reversed on day 10 leaves 0.18 open
    today, but only 0.09 open on days 0-9; a 0.10 application dated day 0 would over-apply them."""
    invoices = _seed(ctx, [(18, 0, 21)])
    _run(ctx, invoices, [("pay", 0, 50, 0), ("reverse", 0, 0, 10)])
    import pytest

    with ctx.unit_of_work() as s:
        s.execute(insert(Payment), [{"payment_id": "LATE", "customer_pk": s.scalar(select(Customer.id)),
                                     "received_date": START, "amount": Decimal("0.10"), "currency": "USD",
                                     "created_at": ctx.clock.now(), "updated_at": ctx.clock.now()}])
    with pytest.raises(Conflict, match="0.09 open from 2026-01-01"):
        service.apply_document(ctx, invoice_id="I0", amount="0.10", payment_id="LATE", applied_on=START)
    # dated on or after the reversal it fits
    service.apply_document(ctx, invoice_id="I0", amount="0.10", payment_id="LATE",
                           applied_on=START + dt.timedelta(days=10))
