"""Dispute cases against the real ledger: opening (whole and partial), every workflow transition and the
refused ones, closing only once the credit note or payment is applied, the aging's disputed column,
dunning without the disputed money, action items and stakeholders' team scope."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from arcollect.disputes import service as disputes
from arcollect.disputes import workflow as D
from arcollect.disputes.service import CaseScope
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import CustomerScope
from arcollect.outreach import compose
from arcollect.worklist import service as worklists
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)


def _book(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,timezone,collector", "C1,Acme,USD,US,America/New_York,ann",
              "C2,Beta,USD,US,America/New_York,bob")
    write_csv(tmp_path / "ct.csv", "customer_id,email,name,role,primary", "C1,ap@acme.example,Ann,ap,true",
              "C2,ap@beta.example,Bob,ap,true")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              "I1,C1,2026-09-01,2026-10-01,1000.00,USD", "I2,C1,2026-09-15,2026-10-15,400.00,USD",
              "I3,C2,2026-09-01,2026-10-01,250.00,USD", "I4,C1,2026-09-01,2026-10-01,90.00,EUR")
    for kind, name in (("customers", "c"), ("contacts", "ct"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _aging_row(ctx, customer: str, currency: str = "USD"):  # noqa: ANN001, ANN202
    report = ledger.aging(ctx, as_of=TODAY, customer_ids=[customer])
    return next(r for r in report.rows if r.currency == currency)


def test_a_dispute_takes_its_money_out_of_dunning_and_shows_in_the_aging(ctx, tmp_path):
    _book(ctx, tmp_path)
    opened = disputes.open_dispute(ctx, invoices=[("I1", "300.00"), ("I2", None)], reason="pricing", note="price list 2026")
    assert opened["team"] == "sales" and opened["amount"] == "700.00" and opened["status"] == "open"
    assert opened["sla_due"] == (TODAY + dt.timedelta(days=D.SLA_DAYS["normal"])).isoformat()
    row = _aging_row(ctx, "C1")
    assert row.total == Decimal("1400.00") and row.disputed == Decimal("700.00")  # inside the buckets too
    import json

    from arcollect.ledger import aging as A

    rows = json.loads(json.dumps(A.to_json(ledger.aging(ctx, as_of=TODAY))))["rows"]
    assert {r["key"]: r["disputed"] for r in rows if r["currency"] == "USD"} == {"C1": "700.00", "C2": "0.00"}
    # dunning asks for the undisputed 700.00 of I1 only; I2 is wholly disputed
    _, message = compose.compose(ctx, customer_id="C1", step="reminder", template="reminder", invoices=["I1", "I2"],
                                 as_of=TODAY)
    assert [(i.invoice_id, i.open_amount) for i in message.items] == [("I1", Decimal("700.00"))]
    proposals = {p["customer_id"]: p for p in worklists.proposals(ctx, as_of=TODAY, channel="email")}
    assert "I2" not in proposals["C1"]["invoices"] and "I1" in proposals["C1"]["invoices"]
    # the timeline says so
    from arcollect.promises import service as promises

    assert any("Dispute" in (e.get("note") or e.get("text") or "") for e in promises.timeline(ctx, customer_id="C1"))


def test_refusals_leave_nothing_behind(ctx, tmp_path):
    _book(ctx, tmp_path)
    with pytest.raises(InvalidInput) as exc:
        disputes.open_dispute(ctx, invoices=[("I1", "2000.00"), ("I3", None), ("NOPE", None)], reason="bogus",
                              team="marketing", priority="whenever")
    problems = " | ".join(exc.value.problems)
    for expected in ("reason: 'bogus'", "team: 'marketing'", "priority: 'whenever'", "unknown invoice(s) NOPE",
                     "one customer", "at most the open 1000.00 USD"):
        assert expected in problems, problems
    with pytest.raises(InvalidInput, match="one currency"):
        disputes.open_dispute(ctx, invoices=[("I1", None), ("I4", None)], reason="tax")
    assert disputes.list_disputes(ctx) == [] and _aging_row(ctx, "C1").disputed == 0
    disputes.open_dispute(ctx, invoices=[("I1", None)], reason="tax")
    with pytest.raises(Conflict, match="invoice I1 is already in dispute"):
        disputes.open_dispute(ctx, invoices=[("I1", "1.00")], reason="pricing")
    with pytest.raises(NotFound):  # a collector cannot dispute another's customer
        disputes.open_dispute(ctx, invoices=[("I3", None)], reason="tax", scope=CustomerScope(collectors=("ann",)))


@pytest.mark.parametrize("path", [["in_review", "waiting_internal", "in_review", "waiting_customer", "resolved"],
                                  ["waiting_customer", "waiting_internal", "resolved"], ["resolved"]])
def test_every_allowed_transition(ctx, tmp_path, path):
    _book(ctx, tmp_path)
    d = disputes.open_dispute(ctx, invoices=[("I3", None)], reason="quantity")
    for status in path:
        kwargs = {"resolution": "rejected_valid"} if status == "resolved" else {}
        assert disputes.update(ctx, dispute_id=d["id"], status=status, comment=f"to {status}", **kwargs)["status"] == status
    history = disputes.detail(ctx, dispute_id=d["id"])["events"]
    assert [e["to"] for e in history if e["kind"] in ("opened", "status")] == ["open", *path]


def test_refused_transitions_name_what_is_allowed(ctx, tmp_path):
    _book(ctx, tmp_path)
    d = disputes.open_dispute(ctx, invoices=[("I3", None)], reason="quantity")
    with pytest.raises(Conflict, match="cannot go from open to closed"):
        disputes.update(ctx, dispute_id=d["id"], status="closed")
    with pytest.raises(InvalidInput, match="resolution: required"):
        disputes.update(ctx, dispute_id=d["id"], status="resolved")
    with pytest.raises(InvalidInput, match="resolution: given when resolving"):
        disputes.update(ctx, dispute_id=d["id"], resolution="credit_note")
    with pytest.raises(Conflict, match="'archived' is not one of"):
        disputes.update(ctx, dispute_id=d["id"], status="archived")
    assert disputes.detail(ctx, dispute_id=d["id"])["status"] == "open"
    for a, b in [(a, b) for a in D.STATUSES for b in D.STATUSES if b not in D.TRANSITIONS[a] and a != b]:
        with pytest.raises(Conflict):
            D.check_transition(a, b)


def test_closing_needs_the_credit_note_applied_and_an_import_closes_it(ctx, tmp_path):
    _book(ctx, tmp_path)
    d = disputes.open_dispute(ctx, invoices=[("I1", "300.00")], reason="pricing")
    disputes.update(ctx, dispute_id=d["id"], status="resolved", resolution="credit_note", root_cause="price_master_data")
    assert _aging_row(ctx, "C1").disputed == Decimal("300.00")  # still out of dunning until the credit note lands
    with pytest.raises(Conflict, match=r"not settled — I1 \(300.00 of 300.00 still open\)"):
        disputes.update(ctx, dispute_id=d["id"], status="closed")
    # a credit note for less is not enough
    write_csv(tmp_path / "cn.csv", "credit_note_id,customer_id,issue_date,amount,currency,applies_to",
              "CN1,C1,2026-11-20,100.00,USD,I1")
    assert not ledger.import_file(ctx, kind="credit-notes", path=tmp_path / "cn.csv").errors
    assert disputes.close_settled(ctx) == []
    with pytest.raises(Conflict, match=r"I1 \(200.00 of 300.00 still open\)"):
        disputes.update(ctx, dispute_id=d["id"], status="closed")
    write_csv(tmp_path / "cn2.csv", "credit_note_id,customer_id,issue_date,amount,currency,applies_to",
              "CN2,C1,2026-11-21,200.00,USD,I1")
    assert not ledger.import_file(ctx, kind="credit-notes", path=tmp_path / "cn2.csv").errors
    assert disputes.close_settled(ctx) == [d["id"]]
    closed = disputes.detail(ctx, dispute_id=d["id"])
    assert closed["status"] == "closed" and closed["unsettled"] == []
    row = _aging_row(ctx, "C1")
    assert row.disputed == 0 and row.total == Decimal("1100.00")  # 1400 − 300 credited
    with pytest.raises(Conflict, match="closed is final"):
        disputes.update(ctx, dispute_id=d["id"], status="in_review")


def test_a_rejected_dispute_goes_back_to_dunning_and_closes_when_paid(ctx, tmp_path):
    _book(ctx, tmp_path)
    d = disputes.open_dispute(ctx, invoices=[("I3", None)], reason="not_received")
    assert _aging_row(ctx, "C2").disputed == Decimal("250.00")
    disputes.update(ctx, dispute_id=d["id"], status="resolved", resolution="rejected_valid", comment="POD signed")
    assert _aging_row(ctx, "C2").disputed == 0  # valid: the customer owes it, dunning resumes
    assert "I3" in {i for p in worklists.proposals(ctx, as_of=TODAY) if p["customer_id"] == "C2" for i in p["invoices"]}
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,currency,applies_to",
              "P1,C2,2026-11-22,250.00,USD,I3")
    assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    assert disputes.close_settled(ctx) == [d["id"]]


def test_reopening_a_resolution_puts_the_money_back_in_dispute(ctx, tmp_path):
    _book(ctx, tmp_path)
    d = disputes.open_dispute(ctx, invoices=[("I3", "50.00")], reason="quality")
    disputes.update(ctx, dispute_id=d["id"], status="resolved", resolution="rejected_valid")
    assert _aging_row(ctx, "C2").disputed == 0
    reopened = disputes.update(ctx, dispute_id=d["id"], status="in_review", comment="customer sent photos")
    assert reopened["resolution"] is None and _aging_row(ctx, "C2").disputed == Decimal("50.00")


def test_action_items_and_a_stakeholders_team_scope(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    sales = disputes.open_dispute(ctx, invoices=[("I1", None)], reason="pricing")
    billing = disputes.open_dispute(ctx, invoices=[("I3", None)], reason="billing_error")
    item = disputes.add_action_item(ctx, dispute_id=billing["id"], title="Issue the credit note for the VAT error",
                                    due_on=TODAY + dt.timedelta(days=2))
    assert item["team"] == "billing" and item["status"] == "open" and not item["overdue"]
    billing_view = CaseScope(customers=CustomerScope(), team="billing")
    assert [d["id"] for d in disputes.list_disputes(ctx, scope=billing_view)] == [billing["id"]]
    with pytest.raises(NotFound):
        disputes.detail(ctx, dispute_id=sales["id"], scope=billing_view)
    sales_view = CaseScope(customers=CustomerScope(), team="sales")
    with pytest.raises(NotFound):
        disputes.answer_action_item(ctx, item_id=item["id"], answer="done", scope=sales_view)
    clock.advance(dt.timedelta(days=3))
    assert disputes.inbox(ctx, scope=billing_view)[0]["overdue"] is True
    assert disputes.list_disputes(ctx, scope=billing_view)[0]["sla_breached"] is False
    answered = disputes.answer_action_item(ctx, item_id=item["id"], answer="CN-77 issued", scope=billing_view)
    assert answered["status"] == "done"
    left = [i["id"] for i in disputes.inbox(ctx, scope=billing_view)]
    assert item["id"] not in left and len(left) == 1  # the item the dispute opened with stays open
    with pytest.raises(Conflict, match="already done"):
        disputes.answer_action_item(ctx, item_id=item["id"], answer="again", scope=billing_view)
    texts = [e["text"] for e in disputes.detail(ctx, dispute_id=billing["id"])["events"]]
    assert any("CN-77 issued" in (t or "") for t in texts)
    clock.advance(dt.timedelta(days=30))
    assert disputes.list_disputes(ctx, scope=sales_view)[0]["sla_breached"] is True


def test_opening_a_dispute_gives_its_team_an_action_item(ctx, tmp_path):
    """Bug #8.9: a dispute routed to a team lands in that team's inbox at once — one open action item
    titled from the reason, due by the SLA, created in the same transaction and audited."""
    from arcollect import audit

    _book(ctx, tmp_path)
    opened = disputes.open_dispute(ctx, invoices=[("I3", None)], reason="billing_error", note="VAT charged twice",
                                   priority="high")
    billing_view = CaseScope(customers=CustomerScope(), team="billing")
    [item] = disputes.inbox(ctx, scope=billing_view)
    assert item["dispute_id"] == opened["id"] and item["team"] == "billing" and item["status"] == "open"
    assert item["title"].startswith("Billing error") and "I3" in item["title"]
    assert item["due_on"] == opened["sla_due"] == (TODAY + dt.timedelta(days=D.SLA_DAYS["high"])).isoformat()
    assert disputes.inbox(ctx, scope=CaseScope(customers=CustomerScope(), team="sales")) == []
    assert [a["id"] for a in disputes.detail(ctx, dispute_id=opened["id"])["action_items"]] == [item["id"]]
    with ctx.sessions() as session:
        actions = [e.action for e in audit.history(session, "dispute", opened["id"])]
    assert actions[:2] == ["open", "add_item"]
    # a refused opening leaves no item behind
    with pytest.raises(Conflict):
        disputes.open_dispute(ctx, invoices=[("I3", None)], reason="pricing")
    assert len(disputes.inbox(ctx, scope=disputes.ALL_CASES)) == 1


def test_the_dispute_commands(cli, ctx, tmp_path):
    _book(ctx, tmp_path)
    opened = cli("dispute", "open", "--invoices", "I1:250.00,I2", "--reason", "pricing", "--note", "price list")
    assert opened.exit_code == 0, opened.stderr
    dispute_id = opened.stdout.strip()
    assert dispute_id.isdigit()
    bad = cli("dispute", "open", "--invoices", "I1:99999", "--reason", "nope")
    assert bad.exit_code != 0 and "reason: 'nope'" in bad.stderr and "at most the open" in bad.stderr
    assert cli("dispute", "list", "--format", "xml").exit_code != 0 and cli("outbox", "list", "--format", "xml").exit_code != 0
    listed = json.loads(cli("dispute", "list", "--format", "json").stdout)
    assert [(d["id"], d["amount"], d["invoices"], d["team"]) for d in listed] == [(dispute_id, "650.00", ["I1", "I2"], "sales")]
    aging = json.loads(cli("aging", "--as-of", TODAY.isoformat(), "--format", "json").stdout)
    assert next(r for r in aging["rows"] if r["key"] == "C1" and r["currency"] == "USD")["disputed"] == "650.00"
    assert cli("dispute", "update", dispute_id, "--status", "in_review").exit_code == 0
    refused = cli("dispute", "close", dispute_id)
    assert refused.exit_code != 0 and "cannot go from in_review to closed" in refused.stderr
    assert cli("dispute", "update", dispute_id, "--status", "resolved", "--resolution", "credit_note").exit_code == 0
    refused = cli("dispute", "close", dispute_id)
    assert refused.exit_code != 0 and "not settled" in refused.stderr
    write_csv(tmp_path / "cn.csv", "credit_note_id,customer_id,issue_date,amount,currency,applies_to",
              "CN1,C1,2026-11-20,650.00,USD,I1:250.00;I2:400.00")
    imported = cli("import", "credit-notes", str(tmp_path / "cn.csv"))
    assert imported.exit_code == 0 and f"dispute {dispute_id} closed" in imported.stderr
    assert json.loads(cli("dispute", "show", dispute_id).stdout)["status"] == "closed"
