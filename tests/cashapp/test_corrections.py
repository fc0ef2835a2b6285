"""Corrections of applied bank cash on both databases: misapplied cash moved to another customer or invoice (in one
transaction, reversal rows, nothing erased, audited from/to, learned, the after-effects for both customers), a
residual written off at once within the auto limit or through the escalation approval matrix (four eyes),
ARCOLLECT_CASH_SHORT_PAY=deduction writing off what the matcher's short pay left, and matching runs with their
progress (one at a time, a dead one taken as failed, the result match's own)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from arcollect.audit import AuditEntry
from arcollect.cashapp import service as cash
from arcollect.cashapp.models import PayerAlias
from arcollect.clock import FixedClock
from arcollect.errors import Conflict, InvalidInput, PermissionDenied
from arcollect.escalations import service as escalations
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Payment, WriteOff
from tests.cashapp.book import book, credit, statement
from tests.cashapp.standin import standin_match
from tests.cashapp.test_service import TODAY, _by_ref, _open, _truths


def _with(ctx, **settings):  # noqa: ANN001, ANN202
    return dataclasses.replace(ctx, settings=ctx.settings.model_copy(update=settings))


def _count(ctx, model) -> int:  # noqa: ANN001
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def _line(ctx, amount: str, ref: str, *texts: str, payer: str | None = None) -> str:  # noqa: ANN001
    cash.store_statements(ctx, statements=[statement(credit(amount, ref, *texts, payer=payer, day=TODAY),
                                                     statement_id=ref)], filename=ref, sha256=ref.ljust(64, "0"))
    return _by_ref(ctx, ref)["id"]


# ---- move ----------------------------------------------------------------------------------------
def _promise_states(cli) -> dict[str, str]:  # noqa: ANN001
    import json

    return {p["id"]: p["status"] for p in json.loads(cli("promise", "list", "--as-of", TODAY.isoformat(),
                                                         "--format", "json").stdout)}


def test_moving_misapplied_cash_reverses_and_applies_again_in_one_go_and_remembers_both_sides(ctx, tmp_path, cli):
    from arcollect.worklist import service as worklists

    book(ctx, tmp_path)
    promise = worklists.add_promise(ctx, customer_id="C1", amount="250.00", promised_date=TODAY + dt.timedelta(days=2),
                                    invoices=["INV-2"])
    line_id = _line(ctx, "250.00", "M1", "payment", payer="Beta Gmbh.")
    cash.apply(ctx, line_id=line_id, invoices=[("INV-2", None)])  # misapplied to C1
    assert _promise_states(cli)[str(promise["id"])] == "kept"
    moved = cash.move(ctx, line_id=line_id, customer_id="C2", invoices=[("INV-3", None)], reason="belongs to Beta")
    assert moved["status"] == "applied" and moved["customer_id"] == "C2"
    assert moved["applications"] == [{"invoice_id": "INV-3", "amount": "250.00"}]
    assert _open(ctx, "C1") == {"INV-1": Decimal("1000.00"), "INV-2": Decimal("400.00")}  # open again
    assert "INV-3" not in _open(ctx, "C2")
    with ctx.sessions() as s:
        rows = s.execute(select(Application.amount, Application.reverses_pk).where(Application.payment_pk.is_not(None))
                         .order_by(Application.id)).all()
        assert [(a, r is not None) for a, r in rows] == [(Decimal("250.00"), False), (Decimal("-250.00"), True),
                                                         (Decimal("250.00"), False)]  # nothing erased
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "bank_line", AuditEntry.action == "move"))
        assert s.scalar(select(PayerAlias.customer_pk).where(PayerAlias.name == "Beta Gmbh.")) is not None
    assert entry.changes["from"] == {"customer": "C1", "applications": [{"invoice_id": "INV-2", "amount": "250.00"}]}
    assert entry.changes["to"]["customer"] == "C2" and entry.changes["reason"] == "belongs to Beta"
    assert _count(ctx, Payment) == 1
    _truths(ctx)
    assert _promise_states(cli)[str(promise["id"])] == "open"  # the old customer's promise rests on the cash no more


def test_moving_to_another_invoice_of_the_same_customer_names_the_invoices_only(ctx, tmp_path):
    book(ctx, tmp_path)
    line_id = _line(ctx, "400.00", "M2", "INV 1")
    cash.apply(ctx, line_id=line_id, invoices=[("INV-1", None)])
    moved = cash.move(ctx, line_id=line_id, invoices=[("INV-2", None)], reason="the remittance meant INV-2")
    assert moved["customer_id"] == "C1" and moved["applications"] == [{"invoice_id": "INV-2", "amount": "400.00"}]
    assert _open(ctx, "C1") == {"INV-1": Decimal("1000.00")}
    _truths(ctx)


def test_a_move_is_refused_for_a_line_not_applied_without_a_reason_or_a_target(ctx, tmp_path):
    book(ctx, tmp_path)
    line_id = _line(ctx, "80.00", "M3", "x")
    with pytest.raises(Conflict, match="not applied"):
        cash.move(ctx, line_id=line_id, customer_id="C2", reason="x")
    cash.apply(ctx, line_id=line_id, invoices=[("INV-4", None)])
    with pytest.raises(InvalidInput, match="why"):
        cash.move(ctx, line_id=line_id, customer_id="C1", reason="  ")
    with pytest.raises(InvalidInput, match="customer"):
        cash.move(ctx, line_id=line_id, reason="no target")
    with pytest.raises(InvalidInput, match="not of customer"):  # nothing moved: the one transaction rolled back
        cash.move(ctx, line_id=line_id, customer_id="C1", invoices=[("INV-3", None)], reason="wrong")
    assert cash.line(ctx, line_id=line_id)["applications"] == [{"invoice_id": "INV-4", "amount": "80.00"}]
    _truths(ctx)


def test_moved_cash_closes_the_new_customers_settled_dispute(ctx, tmp_path, cli):
    import json

    book(ctx, tmp_path)
    r = cli("dispute", "open", "--invoices", "INV-3", "--reason", "not_received")
    dispute_id = r.stdout.strip()
    assert cli("dispute", "update", dispute_id, "--status", "resolved", "--resolution", "rejected_valid").exit_code == 0
    line_id = _line(ctx, "250.00", "M4", "payment")
    cash.apply(ctx, line_id=line_id, invoices=[("INV-1", None)])
    cash.move(ctx, line_id=line_id, invoices=[("INV-3", None)], reason="Beta paid")
    disputes = json.loads(cli("dispute", "list", "--format", "json").stdout)
    assert {d["id"]: d["status"] for d in disputes}[dispute_id] == "closed"


# ---- write-offs ----------------------------------------------------------------------------------
def _short_paid(ctx, tmp_path) -> str:  # noqa: ANN001
    book(ctx, tmp_path)
    line_id = _line(ctx, "388.00", "W1", "INV-2")
    cash.apply(ctx, line_id=line_id, invoices=[("INV-2", None)])
    assert _open(ctx, "C1")["INV-2"] == Decimal("12.00")
    return line_id


def test_a_residual_above_the_auto_limit_becomes_a_write_off_request_an_approver_decides(ctx, tmp_path):
    line_id = _short_paid(ctx, tmp_path)
    asked = cash.write_off(ctx, line_id=line_id, invoice_id="INV-2", amount="12.00", reason="bank_fee")
    assert asked["status"] == "requested" and asked["escalation_id"] and asked["write_offs"] == []
    assert "manager" in asked["approvers"]
    assert _open(ctx, "C1")["INV-2"] == Decimal("12.00")  # nothing written off before the approval
    with pytest.raises(PermissionDenied, match="four eyes"):
        escalations.decide(ctx, escalation_id=asked["escalation_id"], approve=True, role="manager")
    done = escalations.decide(ctx.acting_as("mona"), escalation_id=asked["escalation_id"], approve=True, role="manager")
    assert done["status"] == "completed"
    assert "INV-2" not in _open(ctx, "C1")
    with ctx.sessions() as s:
        wo = s.scalar(select(WriteOff))
        assert (wo.amount, wo.approved_by) == (Decimal("12.00"), "mona") and "bank_fee" in wo.reason
    _truths(ctx)


def test_a_residual_within_the_auto_limit_is_written_off_at_once(ctx, tmp_path):
    line_id = _short_paid(ctx, tmp_path)
    auto = _with(ctx, cash_writeoff_auto_limit="1.00,EUR:15.00")
    done = cash.write_off(auto, line_id=line_id, invoice_id="INV-2", amount="12.00", reason="bank_fee")
    assert done["status"] == "written_off" and done["invoices"] == [{"invoice_id": "INV-2", "amount": "12.00"}]
    assert "INV-2" not in _open(ctx, "C1")
    with ctx.sessions() as s:
        assert s.scalar(select(WriteOff.approved_by)).startswith("auto")
    _truths(ctx)


def test_a_write_off_is_refused_beyond_the_residual_off_the_line_or_without_a_known_reason(ctx, tmp_path):
    line_id = _short_paid(ctx, tmp_path)
    auto = _with(ctx, cash_writeoff_auto_limit="100")
    with pytest.raises(Conflict, match="12.00 open"):
        cash.write_off(auto, line_id=line_id, invoice_id="INV-2", amount="12.01", reason="bank_fee")
    with pytest.raises(InvalidInput, match="pays nothing of invoice INV-1"):
        cash.write_off(auto, line_id=line_id, invoice_id="INV-1", amount="1.00", reason="bank_fee")
    with pytest.raises(InvalidInput, match="one of bank_fee"):
        cash.write_off(auto, line_id=line_id, invoice_id="INV-2", amount="1.00", reason="because")
    other = _line(ctx, "5.00", "W2", "x")
    with pytest.raises(Conflict, match="only the residual of an applied line"):
        cash.write_off(auto, line_id=other, invoice_id="INV-2", amount="1.00", reason="bank_fee")
    assert _count(ctx, WriteOff) == 0


def test_settings_refuse_a_malformed_write_off_limit():
    from pydantic import ValidationError

    from arcollect.settings import Settings

    with pytest.raises(ValidationError, match="not an amount"):
        Settings(cash_writeoff_auto_limit="EUR:five")
    with pytest.raises(ValidationError, match="currency code"):
        Settings(cash_writeoff_auto_limit="EURO:5")


@pytest.mark.parametrize("mode", ["leave_open", "deduction"])
def test_the_short_pay_setting_reaches_the_matcher_and_a_deduction_is_written_off(ctx, tmp_path, mode):
    book(ctx, tmp_path)
    _line(ctx, "388.00", "D1", "Invoice INV-2", payer="Acme Corp")
    tuned = _with(ctx, cash_short_pay=mode, cash_writeoff_auto_limit="EUR:25.00")
    assert cash._settings_for(tuned).short_pay == mode
    done = cash.match(tuned, as_of=TODAY)
    assert done["applied"] == 1 and done["errors"] == []
    line = _by_ref(ctx, "D1")
    assert line["applications"] == [{"invoice_id": "INV-2", "amount": "388.00"}]
    if mode == "leave_open":
        assert _open(ctx, "C1")["INV-2"] == Decimal("12.00") and _count(ctx, WriteOff) == 0
    else:
        assert "INV-2" not in _open(ctx, "C1") and any("becomes a deduction" in r for r in line["reasons"])
        with ctx.sessions() as s:
            assert "bank_fee" in s.scalar(select(WriteOff.reason))
    _truths(ctx)


# ---- matching runs ---------------------------------------------------------------------------------
def test_a_matching_run_reports_progress_refuses_a_second_and_returns_matchs_result(ctx, tmp_path):
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(*(credit("1.00", f"P{i}", "nothing") for i in range(7)),
                                                     credit("1000.00", "P-1", "INV-1", payer="Acme Corp"))],
                          filename="p", sha256="p" * 64)
    run = cash.start_match_run(ctx, as_of=TODAY)
    assert run["status"] == "running" and cash.current_match_run(ctx)["id"] == run["id"]
    with pytest.raises(Conflict, match="already in progress"):
        cash.start_match_run(ctx, as_of=TODAY)
    with pytest.raises(Conflict, match="already in progress"):
        cash.match_tracked(ctx, as_of=TODAY, matcher=standin_match)
    heard = []
    done = cash.run_match(ctx, run_id=run["id"], matcher=standin_match,
                          progress=lambda phase, n, total: heard.append((phase, n, total)))
    assert done["status"] == "done" and done["percent"] == 100 and done["total"] == done["done"] == 8
    assert done["result"]["applied"] == 1 and done["result"]["lines"] == 8
    assert heard[-1] == ("applying", 8, 8) and ("matching", 0, 8) in heard
    assert [n for p, n, _ in heard if p == "applying"] == sorted(n for p, n, _ in heard if p == "applying")
    assert cash.current_match_run(ctx) is None
    again = cash.match_tracked(ctx, as_of=TODAY, matcher=standin_match)  # the next run may start
    assert again == cash.match(ctx, as_of=TODAY, matcher=standin_match)  # a re-run changes nothing: same counts


def test_a_run_that_stopped_reporting_is_taken_as_failed_when_the_next_one_starts(ctx):
    stuck = cash.start_match_run(ctx, as_of=TODAY)
    later = dataclasses.replace(ctx, clock=FixedClock(ctx.clock.now() + dt.timedelta(minutes=16)))
    fresh = cash.start_match_run(later, as_of=TODAY)
    assert fresh["id"] != stuck["id"]
    dead = cash.match_run(ctx, run_id=stuck["id"])
    assert dead["status"] == "failed" and "no progress" in dead["error"]
