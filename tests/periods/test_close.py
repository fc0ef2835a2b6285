"""Month-end close on both databases: the snapshot is the aging of the month's last day to the cent, and
afterwards nothing dated in a closed month is created or changed — imports refuse those rows naming file,
line and column, ledger writes and cash application raise Conflict — while later-dated documents still go in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from arcollect import audit
from arcollect.errors import Conflict, PermissionDenied
from arcollect.ledger import aging as A
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Invoice
from arcollect.periods import service as periods
from tests.cashapp.book import book
from tests.conftest import write_csv

CLOSED = "2026-09 is closed: {what} dated {day} cannot be created or changed; post the correction in the open period"
EXTRA = ("month", "closed_at", "closed_by", "figures")


def _snapshot_as_aging(ctx, month: str, by: str = "customer") -> dict:  # noqa: ANN001
    return {k: v for k, v in periods.snapshot(ctx, month=month, by=by).items() if k not in EXTRA}


def test_the_snapshot_is_the_aging_of_the_months_last_day_to_the_cent_and_stays(ctx, tmp_path):  # noqa: ANN001
    """Close 2026-09 and 2026-10 of a demo book: each snapshot equals `aging --as-of <last day>` (customer and
    currency roll-ups), the key figures are its totals; a November invoice afterwards changes neither."""
    ledger.load_demo(ctx, customers=30, seed=11)
    periods.close_period(ctx, month="2026-09")
    view = periods.close_period(ctx, month="2026-10")
    end = dt.date(2026, 10, 31)
    live = A.to_json(ledger.aging(ctx, as_of=end, by="customer"))
    assert live["rows"], "the demo book has balances at the end of October"
    assert _snapshot_as_aging(ctx, "2026-10") == live
    assert _snapshot_as_aging(ctx, "2026-10", by="currency") == A.to_json(ledger.aging(ctx, as_of=end, by="currency"))
    assert _snapshot_as_aging(ctx, "2026-09") == A.to_json(ledger.aging(ctx, as_of=dt.date(2026, 9, 30)))
    by_currency = {t["currency"]: t for t in live["totals"]}
    for f in view["figures"]:
        t = by_currency[f["currency"]]
        assert f["ar_total"] == t["total"]
        assert Decimal(f["past_due"]) == Decimal(t["total"]) - Decimal(t["current"])
        assert f["unapplied_cash"] == t["unapplied_cash"] and f["unidentified_cash"] == t["unidentified_cash"]
        assert f["customers"] == sum(1 for r in live["rows"] if r["currency"] == f["currency"])
    customer = live["rows"][0]["key"]
    write_csv(tmp_path / "nov.csv", "invoice_id,customer_id,issue_date,due_date,amount",
              f"NOV-1,{customer},2026-11-02,2026-12-02,123.45")
    assert ledger.import_file(ctx, kind="invoices", path=tmp_path / "nov.csv").created == 1
    assert _snapshot_as_aging(ctx, "2026-10") == live
    assert A.to_json(ledger.aging(ctx, as_of=end)) == live


def test_months_close_in_order_once_they_are_over_and_only_once(ctx):  # noqa: ANN001
    """Today is 2026-11-23: November is not over; after 2026-08 the next close must be 2026-09; closing a
    closed month again is a Conflict; only a manager or an admin (or the CLI operator) closes."""
    with pytest.raises(Conflict, match="2026-11 is not over: it can be closed from 2026-12-01 on"):
        periods.close_period(ctx, month="2026-11")
    periods.close_period(ctx, month="2026-08")
    with pytest.raises(Conflict, match="months close in order: close 2026-09 first"):
        periods.close_period(ctx, month="2026-10")
    with pytest.raises(Conflict, match="^2026-08 is already closed$"):
        periods.close_period(ctx, month="2026-08")
    with pytest.raises(PermissionDenied, match="collector"):
        periods.close_period(ctx, month="2026-09", role="collector")
    assert periods.close_period(ctx, month="2026-09", role="manager")["status"] == "closed"
    listing = periods.list_periods(ctx)
    assert listing["closed_through"] == "2026-09-30" and listing["earliest_open_date"] == "2026-10-01"
    assert listing["next_to_close"] == "2026-10" and [p["month"] for p in listing["periods"]] == ["2026-09", "2026-08"]


def test_back_dated_import_rows_are_refused_naming_file_line_and_column(ctx, tmp_path):  # noqa: ANN001
    """After closing 2026-09: a new invoice dated in September is refused (atomic: nothing imported; --partial:
    the November row goes in); a September invoice's amount cannot change, its description can; re-importing
    the same September invoices is unchanged."""
    book(ctx, tmp_path)  # invoices INV-1…4 issued in September
    periods.close_period(ctx, month="2026-09")
    path = write_csv(tmp_path / "late.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                     "INV-9,C1,2026-09-14,2026-10-14,50.00", "INV-10,C1,2026-11-02,2026-12-02,60.00")
    result = ledger.import_file(ctx, kind="invoices", path=path)
    assert result.errors == [f"{path}:2: issue_date: " + CLOSED.format(what="invoice INV-9", day="2026-09-14")]
    assert result.created == 0 and result.rejected == 1
    with ctx.sessions() as s:
        assert s.scalar(select(Invoice.id).where(Invoice.invoice_id == "INV-10")) is None
    partial = ledger.import_file(ctx, kind="invoices", path=path, partial=True)
    assert (partial.created, partial.rejected) == (1, 1)
    assert "post the correction in the open period" in (tmp_path / "late.csv.rejected.csv").read_text()
    changed = write_csv(tmp_path / "chg.csv", "invoice_id,customer_id,issue_date,due_date,amount,description",
                        "INV-1,C1,2026-09-01,2026-10-01,999.00,", "INV-2,C1,2026-09-15,2026-10-15,400.00,PO fixed")
    result = ledger.import_file(ctx, kind="invoices", path=changed, partial=True)
    assert result.errors == [f"{changed}:2: issue_date: " + CLOSED.format(what="invoice INV-1", day="2026-09-01")]
    assert result.updated == 1  # INV-2's description only
    moved_in = write_csv(tmp_path / "in.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                         "INV-10,C1,2026-09-30,2026-12-02,60.00")
    assert ledger.import_file(ctx, kind="invoices", path=moved_in).errors == [
        f"{moved_in}:2: issue_date: " + CLOSED.format(what="invoice INV-10", day="2026-09-30")]
    again = ledger.import_file(ctx, kind="invoices", path=tmp_path / "i.csv")
    assert not again.errors and again.unchanged == 4


def test_back_dated_payments_are_refused_and_a_later_payment_of_a_closed_months_invoice_goes_in(ctx, tmp_path):  # noqa: ANN001
    """A payment received in September is refused on its received_date; one received in November applies to a
    September invoice, effective in November."""
    book(ctx, tmp_path)
    periods.close_period(ctx, month="2026-09")
    path = write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
                     "P1,C1,2026-09-30,100.00,INV-1", "P2,C1,2026-11-02,100.00,INV-1")
    result = ledger.import_file(ctx, kind="payments", path=path, partial=True)
    assert result.errors == [f"{path}:2: received_date: " + CLOSED.format(what="payment P1", day="2026-09-30")]
    assert result.created == 1
    with ctx.sessions() as s:
        assert s.scalars(select(Application.applied_on)).all() == [dt.date(2026, 11, 2)]
    credit = write_csv(tmp_path / "cn.csv", "credit_note_id,customer_id,issue_date,amount", "CN1,C1,2026-09-10,5.00")
    assert ledger.import_file(ctx, kind="credit-notes", path=credit).errors == [
        f"{credit}:2: issue_date: " + CLOSED.format(what="credit note CN1", day="2026-09-10")]


def test_ledger_writes_dated_in_a_closed_month_are_conflicts_corrections_go_in_the_open_period(ctx, tmp_path):  # noqa: ANN001
    """Applying, reversing or writing off with a September date is refused; the same done today (the open
    period) goes through — a September application is reversed by a November reversal."""
    book(ctx, tmp_path)
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
              "P0,C1,2026-09-20,300.00,INV-1:100.00")
    assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    periods.close_period(ctx, month="2026-09")
    with pytest.raises(Conflict, match="^2026-09 is closed: an application of P0 to invoice INV-2 dated 2026-09-25"):
        ledger.apply_document(ctx, invoice_id="INV-2", amount="50.00", payment_id="P0", applied_on=dt.date(2026, 9, 25))
    ledger.apply_document(ctx, invoice_id="INV-2", amount="50.00", payment_id="P0")
    with pytest.raises(Conflict, match="a write-off of invoice INV-3 dated 2026-09-30"):
        ledger.write_off(ctx, invoice_id="INV-3", amount="10.00", written_off_on=dt.date(2026, 9, 30), reason="small")
    ledger.write_off(ctx, invoice_id="INV-3", amount="10.00", written_off_on=dt.date(2026, 11, 23), reason="small")
    with ctx.sessions() as s:
        september = s.scalar(select(Application.id).where(Application.applied_on == dt.date(2026, 9, 20)))
    with pytest.raises(Conflict, match=f"a reversal of application {september} dated 2026-09-30"):
        ledger.reverse_application(ctx, application_id=september, reversed_on=dt.date(2026, 9, 30), reason="wrong")
    ledger.reverse_application(ctx, application_id=september, reason="wrong invoice")
    items = ledger.customer_overview(ctx, customer_id="C1", as_of=dt.date(2026, 11, 23)).open_items
    assert {i["invoice_id"]: i["open_amount"] for i in items}["INV-1"] == Decimal("1000.00")
    september_aging = A.to_json(ledger.aging(ctx, as_of=dt.date(2026, 9, 30)))
    assert _snapshot_as_aging(ctx, "2026-09") == september_aging  # the closed month reads as it was signed off


def test_an_escalation_write_off_dated_in_a_closed_month_is_refused_and_nothing_changes(ctx, clock, tmp_path):  # noqa: ANN001
    """An approval carries its write-off out on the day it is given: with the clock back in a closed month the
    approval is refused as a whole (the escalation stays proposed, nothing is written off)."""
    from arcollect.escalations import service as esc

    book(ctx, tmp_path)
    proposal = esc.propose(ctx.acting_as("ann"), customer_id="C2", action="write_off", invoices=[("INV-4", "20.00")])
    periods.close_period(ctx, month="2026-10")
    clock.advance(dt.timedelta(days=-23))  # 2026-10-31
    with pytest.raises(Conflict, match="2026-10 is closed: a write-off of invoice INV-4 dated 2026-10-31"):
        esc.decide(ctx.acting_as("boss"), escalation_id=proposal["id"], approve=True, role="admin")
    assert esc.detail(ctx, escalation_id=proposal["id"])["status"] == "proposed"
    clock.advance(dt.timedelta(days=23))
    assert esc.decide(ctx.acting_as("boss"), escalation_id=proposal["id"], approve=True,
                      role="admin")["status"] == "completed"


def test_reopening_is_for_an_admin_with_a_reason_and_is_audited(ctx, tmp_path):  # noqa: ANN001
    """A manager cannot reopen, nor can anyone without a reason; an admin reopens the latest closed month only;
    the close stays listed as reopened, the audit log has who and why, and September is writable again."""
    book(ctx, tmp_path)
    periods.close_period(ctx, month="2026-09")
    periods.close_period(ctx, month="2026-10")
    with pytest.raises(PermissionDenied, match="manager"):
        periods.reopen_period(ctx, month="2026-10", reason="late invoice", role="manager")
    with pytest.raises(Exception, match="say why"):
        periods.reopen_period(ctx, month="2026-10", reason="  ", role="admin")
    with pytest.raises(Conflict, match="reopen 2026-10 first"):
        periods.reopen_period(ctx, month="2026-09", reason="late invoice", role="admin")
    admin = ctx.acting_as("ada")
    assert periods.reopen_period(admin, month="2026-10", reason="late invoice", role="admin")["status"] == "reopened"
    view = periods.reopen_period(admin, month="2026-09", reason="late invoice", role="admin")
    assert (view["reopened_by"], view["reopen_reason"]) == ("ada", "late invoice")
    with ctx.sessions() as s:
        entries = [(e.action, e.actor, e.changes["reason"]) for e in audit.history(s, "period", "2026-09")
                   if e.action == "reopen"]
    assert entries == [("reopen", "ada", "late invoice")]
    assert [p["status"] for p in periods.list_periods(ctx)["periods"]] == ["reopened", "reopened"]
    late = write_csv(tmp_path / "late.csv", "invoice_id,customer_id,issue_date,due_date,amount",
                     "INV-9,C1,2026-09-14,2026-10-14,50.00")
    assert ledger.import_file(ctx, kind="invoices", path=late).created == 1
    assert periods.close_period(ctx, month="2026-09")["status"] == "closed"  # closed again, a new snapshot
    assert sum(1 for p in periods.list_periods(ctx)["periods"] if p["month"] == "2026-09") == 2


def test_a_writer_holds_the_period_lock_shared_until_it_commits_so_a_close_waits_for_it(ctx):  # noqa: ANN001
    """PostgreSQL: once a write has checked the period, the close's exclusive lock cannot be had (other
    writers still can share it) until the write commits; SQLite has one writer, nothing to check."""
    from sqlalchemy import text

    from arcollect.periods.guard import LOCK_KEY, closed_through

    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    writer, other = ctx.sessions(), ctx.sessions()
    try:
        assert closed_through(writer) is None
        try_exclusive = text("SELECT pg_try_advisory_xact_lock(:k)")
        assert other.scalar(text("SELECT pg_try_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY}) is True
        other.rollback()
        assert other.scalar(try_exclusive, {"k": LOCK_KEY}) is False
        other.rollback()
        writer.commit()
        assert other.scalar(try_exclusive, {"k": LOCK_KEY}) is True
    finally:
        other.rollback()
        writer.close()
        other.close()
