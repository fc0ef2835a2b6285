"""Escalations on hand-built accounts against the real ledger: every rule of the policy, the approval
matrix (who may approve what at which amount, four eyes), each action carried out on approval (and
nothing before it), write-offs that keep the ledger truths, settlements and instalment plans kept and
broken, the case history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.escalations import service as esc
from arcollect.escalations import policy as E
from arcollect.promises import service as promises
from arcollect.disputes import service as disputes
from arcollect.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import CustomerScope
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)
POLICY = """\
name: Test policy
lookback_days: 180
rules:
  - {id: no_response, when: {attempts_without_response: 3}, propose: demand_letter}
  - {id: past_due_60, when: {oldest_days_past_due: 60}, propose: credit_hold}
  - {id: past_due_90, when: {oldest_days_past_due: 90, past_due_balance: 1000}, propose: agency}
  - {id: promises, when: {broken_promises: 2}, propose: credit_hold}
  - {id: over_limit, when: {over_credit_limit_pct: 100}, propose: credit_hold}
  - {id: small_old, when: {oldest_days_past_due: 150, max_past_due_balance: 100}, propose: write_off}
approvals:
  demand_letter: [{approvers: [collector, manager, admin]}]
  credit_hold: [{approvers: [manager, admin]}]
  settlement: [{up_to: 500, approvers: [manager, admin]}, {approvers: [admin]}]
  payment_plan: [{approvers: [manager, admin]}]
  write_off: [{up_to: 100, approvers: [collector, manager, admin]}, {up_to: 1000, approvers: [manager, admin]}, {approvers: [admin]}]
  agency: [{approvers: [manager, admin]}]
"""


def _days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def _book(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,credit_limit,collector",
              "QUIET,Quiet Co,USD,,ann", "OLD,Old Co,USD,,ann", "VERYOLD,Very Old Co,USD,,ann",
              "LIMIT,Limit Co,USD,1000.00,ann", "SMALL,Small Co,USD,,ann", "FINE,Fine Co,USD,,ann",
              "PROM,Promise Co,USD,,bob")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount",
              f"Q1,QUIET,{_days_ago(50)},{_days_ago(20)},500.00",
              f"O1,OLD,{_days_ago(95)},{_days_ago(65)},800.00",
              f"V1,VERYOLD,{_days_ago(130)},{_days_ago(100)},1500.00", f"V2,VERYOLD,{_days_ago(40)},{_days_ago(10)},300.00",
              f"L1,LIMIT,{_days_ago(20)},{_days_ago(5)},1200.00",
              f"S1,SMALL,{_days_ago(200)},{_days_ago(170)},60.00", f"S2,SMALL,{_days_ago(190)},{_days_ago(160)},25.50",
              f"F1,FINE,{_days_ago(10)},{_days_ago(-20)},900.00",
              f"P1,PROM,{_days_ago(100)},{_days_ago(40)},2000.00")
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    esc.load_policy(ctx, text=POLICY)


def _open(ctx, invoice_id: str) -> Decimal:  # noqa: ANN001
    from sqlalchemy import select

    from arcollect.ledger.models import Invoice

    with ctx.sessions() as session:
        inv = session.scalar(select(Invoice).where(Invoice.invoice_id == invoice_id))
        return ledger.open_amount_of(session, inv.id, ctx.clock.today()).quantize(Decimal("0.01"))


def _emails(ctx, customer: str, n: int) -> None:  # noqa: ANN001
    for _ in range(n):
        promises.log_activity(ctx, customer_id=customer, kind="email", note="reminder")


def _by_customer(rows):  # noqa: ANN001, ANN202
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["customer_id"], set()).add(r["action"])
    return out


def test_rules_propose_on_the_accounts_they_describe_and_only_once(ctx, tmp_path):
    _book(ctx, tmp_path)
    _emails(ctx, "QUIET", 3)
    _emails(ctx, "OLD", 3)
    promises.log_activity(ctx, customer_id="OLD", kind="call", outcome="refused", note="picked up")  # a response
    result = esc.run(ctx)
    got = _by_customer(esc.list_escalations(ctx, status="proposed"))
    # VERYOLD's agency waits for its credit hold: the ladder proposes one rung at a time
    assert got == {"QUIET": {"demand_letter"}, "OLD": {"credit_hold"}, "VERYOLD": {"credit_hold"},
                   "LIMIT": {"credit_hold"}, "SMALL": {"credit_hold", "write_off"}}, got
    assert len(result["proposed"]) == 6
    # the proposal carries why, and what the matrix will measure
    quiet = esc.list_escalations(ctx, customer_id="QUIET")[0]
    assert quiet["rule"] == "no_response" and "3 contact attempts without a response" in quiet["reasons"][0]
    small = next(e for e in esc.list_escalations(ctx, customer_id="SMALL") if e["action"] == "write_off")
    assert small["amount"] == "85.50" and small["details"]["invoices"] == {"S1": "60.00", "S2": "25.50"}
    limit = esc.list_escalations(ctx, customer_id="LIMIT")[0]
    assert "over 100% of the credit limit" in limit["reasons"][0] and limit["amount"] == "1200.00"
    # a second run proposes nothing new; a rejected proposal is not made again at once
    assert esc.run(ctx)["proposed"] == []
    esc.decide(ctx.acting_as("mia"), escalation_id=limit["id"], approve=False, role="manager", note="long-standing client")
    assert esc.run(ctx)["proposed"] == []
    assert esc.list_escalations(ctx, customer_id="LIMIT")[0]["status"] == "rejected"


def test_the_ladder_proposes_the_next_rung_only_once_the_last_is_decided_and_its_wait_passed(ctx, tmp_path, clock):
    """Bug #8.5: a 90+ account got a demand letter, a credit hold and an agency placement at once."""
    _book(ctx, tmp_path)
    _emails(ctx, "VERYOLD", 3)  # every rung's rule holds for VERYOLD: letter, hold and agency
    esc.run(ctx)
    [letter] = esc.list_escalations(ctx, customer_id="VERYOLD")
    assert letter["action"] == "demand_letter" and letter["status"] == "proposed"
    esc.decide(ctx.acting_as("mia"), escalation_id=letter["id"], approve=True, role="manager")
    assert esc.detail(ctx, escalation_id=letter["id"])["status"] == "completed"
    assert esc.run(ctx)["proposed"] == []  # decided, but the customer gets the letter's 14 days
    clock.advance(dt.timedelta(days=13))
    assert "VERYOLD" not in _by_customer(esc.list_escalations(ctx, status="proposed"))
    esc.run(ctx)
    assert "VERYOLD" not in _by_customer(esc.list_escalations(ctx, status="proposed"))
    clock.advance(dt.timedelta(days=1))
    esc.run(ctx)
    assert _by_customer(esc.list_escalations(ctx, status="proposed"))["VERYOLD"] == {"credit_hold"}
    [hold] = esc.list_escalations(ctx, customer_id="VERYOLD", status="proposed")
    esc.decide(ctx.acting_as("mia"), escalation_id=hold["id"], approve=False, role="manager", note="not yet")
    clock.advance(dt.timedelta(days=14))  # a rejected rung is decided too: the ladder moves on after its wait
    esc.run(ctx)
    assert _by_customer(esc.list_escalations(ctx, status="proposed"))["VERYOLD"] == {"agency"}


def test_the_pure_ladder_rule():
    policy = E.parse(POLICY)
    day = dt.date(2026, 11, 23)
    every = {"demand_letter", "credit_hold", "agency"}
    assert E.next_rung(policy, every, {}, set(), day) == "demand_letter"
    assert E.next_rung(policy, {"credit_hold", "agency"}, {}, set(), day) == "credit_hold"  # no letter rule: passed over
    assert E.next_rung(policy, every, {"demand_letter": E.Past("proposed", None)}, set(), day) is None
    assert E.next_rung(policy, every, {"demand_letter": E.Past("approved", None)}, set(), day) is None
    done = {"demand_letter": E.Past("completed", day - dt.timedelta(days=3))}
    assert E.next_rung(policy, every, done, set(), day) is None
    assert E.next_rung(policy, every, done, set(), day + dt.timedelta(days=11)) == "credit_hold"
    assert E.next_rung(policy, every, done, {"credit_hold"}, day + dt.timedelta(days=11)) == "agency"  # in effect
    assert E.next_rung(policy, every, {"demand_letter": E.Past("cancelled", None)}, set(), day) == "demand_letter"
    off = E.parse(POLICY + "ladder: []\n")
    assert off.ladder == [] and E.next_rung(off, every, {}, set(), day) is None
    for bad, message in (("ladder: [{action: agency}, {action: agency}]", "twice: agency"),
                         ("ladder: [{action: settlement}]", "not a rung"),
                         ("ladder: [{action: agency, wait_days: -1}]", "wait_days")):
        with pytest.raises(InvalidInput) as err:
            E.parse(POLICY + bad + "\n")
        assert message in str(err.value) + " ".join(getattr(err.value, "problems", []) or [])


def test_broken_promises_escalate(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    for days in (0, 1):
        promises.add_promise(ctx, customer_id="FINE", amount="100.00", promised_date=TODAY + dt.timedelta(days=days))
    clock.advance(dt.timedelta(days=40))  # both broken, F1 now 20 days past due
    esc.run(ctx)
    assert _by_customer(esc.list_escalations(ctx))["FINE"] == {"credit_hold"}
    reason = next(e for e in esc.list_escalations(ctx, customer_id="FINE"))["reasons"][0]
    assert "2 broken promises" in reason


def test_the_matrix_decides_who_approves_and_four_eyes(ctx, tmp_path):
    _book(ctx, tmp_path)
    big = esc.propose(ctx.acting_as("ann"), customer_id="VERYOLD", action="write_off", invoices=[("V1", None)],
                      note="customer insolvent")
    assert big["amount"] == "1500.00" and big["approvers"] == ["admin"]
    for login, role in (("ann2", "collector"), ("mia", "manager")):
        with pytest.raises(PermissionDenied, match="needs a admin"):
            esc.decide(ctx.acting_as(login), escalation_id=big["id"], approve=True, role=role)
    with pytest.raises(PermissionDenied, match="four eyes"):
        esc.decide(ctx.acting_as("ann"), escalation_id=big["id"], approve=True, role="admin")
    assert _open(ctx, "V1") == Decimal("1500.00")  # nothing happened
    small = esc.propose(ctx.acting_as("ann"), customer_id="SMALL", action="write_off", invoices=[("S2", None)])
    assert small["approvers"] == ["collector", "manager", "admin"]
    done = esc.decide(ctx.acting_as("cid"), escalation_id=small["id"], approve=True, role="collector")
    assert done["status"] == "completed"
    with pytest.raises(Conflict, match="from completed to approved"):
        esc.decide(ctx.acting_as("mia"), escalation_id=small["id"], approve=True, role="manager")


def test_a_write_off_approval_creates_the_ledger_entries_and_the_truths_hold(ctx, tmp_path):
    _book(ctx, tmp_path)
    before = ledger.ledger_totals(ctx, as_of=TODAY, currency="USD")
    e = esc.propose(ctx.acting_as("ann"), customer_id="VERYOLD", action="write_off",
                    invoices=[("V1", "700.00"), ("V2", None)], note="settled in court")
    assert e["amount"] == "1000.00" and ledger.ledger_totals(ctx, as_of=TODAY, currency="USD") == before
    done = esc.decide(ctx.acting_as("mia"), escalation_id=e["id"], approve=True, role="manager", note="ok")
    assert done["status"] == "completed" and set(done["result"]["written_off"]) == {"V1", "V2"}
    after = ledger.ledger_totals(ctx, as_of=TODAY, currency="USD")
    assert after.written_off - before.written_off == Decimal("1000.00")
    assert after.open == before.open - Decimal("1000.00")
    assert after.invoiced == after.applied_payments + after.applied_credits + after.written_off + after.open
    assert _open(ctx, "V1") == Decimal("800.00")
    assert _open(ctx, "V2") == Decimal("0.00")
    history = esc.case_history(ctx, customer_id="VERYOLD")
    texts = " | ".join(t["text"] for t in history["timeline"])
    assert "approved by mia" in texts and "written off V1 700.00" in texts
    from arcollect.audit import history

    with ctx.sessions() as session:
        actions = {a.action for a in history(session, "escalation", e["id"])}
    assert actions >= {"propose", "approved", "completed"}


def test_a_write_off_whose_invoice_was_paid_meanwhile_is_refused_whole(ctx, tmp_path):
    _book(ctx, tmp_path)
    e = esc.propose(ctx.acting_as("ann"), customer_id="VERYOLD", action="write_off", invoices=[("V1", None), ("V2", None)])
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
              f"PAY1,VERYOLD,{TODAY},300.00,V2")
    assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    with pytest.raises(Conflict, match="V2"):
        esc.decide(ctx.acting_as("ada"), escalation_id=e["id"], approve=True, role="admin")
    assert _open(ctx, "V1") == Decimal("1500.00")  # V1 not written off either
    assert esc.detail(ctx, escalation_id=e["id"])["status"] == "proposed"


def test_credit_hold_demand_letter_and_agency(ctx, tmp_path):
    _book(ctx, tmp_path)
    hold = esc.propose(ctx.acting_as("ann"), customer_id="OLD", action="credit_hold", note="65 days late")
    assert not ledger.customer_overview(ctx, customer_id="OLD", as_of=TODAY).customer["credit_hold"]
    esc.decide(ctx.acting_as("mia"), escalation_id=hold["id"], approve=True, role="manager")
    assert ledger.customer_overview(ctx, customer_id="OLD", as_of=TODAY).customer["credit_hold"] is True
    letter = esc.propose(ctx.acting_as("ann"), customer_id="QUIET", action="demand_letter")
    done = esc.decide(ctx.acting_as("mia"), escalation_id=letter["id"], approve=True, role="manager")
    pdf, name = esc.document(ctx, escalation_id=done["id"])
    assert pdf.startswith(b"%PDF") and name.startswith("demand-QUIET")
    agency = esc.propose(ctx.acting_as("ann"), customer_id="VERYOLD", action="agency")
    assert agency["amount"] == "1800.00"  # the past-due balance
    esc.decide(ctx.acting_as("mia"), escalation_id=agency["id"], approve=True, role="manager")
    assert ledger.customer_overview(ctx, customer_id="VERYOLD", as_of=TODAY).customer["do_not_contact"] is True
    # in effect: the rules do not propose a credit hold for OLD again, nor anything for the placed VERYOLD
    esc.run(ctx)
    assert "OLD" not in _by_customer(esc.list_escalations(ctx, status="proposed"))
    assert "VERYOLD" not in _by_customer(esc.list_escalations(ctx, status="proposed"))


def test_settlement_kept_writes_the_discount_off_and_broken_breaks(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    with pytest.raises(InvalidInput) as exc:
        esc.propose(ctx.acting_as("ann"), customer_id="PROM", action="settlement", settle_amount="2500.00",
                    pay_by=TODAY - dt.timedelta(days=1))
    assert any("less than the 2000.00 USD" in p for p in exc.value.problems)
    assert any("pay_by" in p for p in exc.value.problems)
    s = esc.propose(ctx.acting_as("ann"), customer_id="PROM", action="settlement", settle_amount="1600.00",
                    pay_by=TODAY + dt.timedelta(days=10))
    assert s["amount"] == "400.00" and s["approvers"] == ["manager", "admin"]  # the discount
    approved = esc.decide(ctx.acting_as("mia"), escalation_id=s["id"], approve=True, role="manager")
    assert approved["status"] == "approved" and approved["promise_id"]
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
              f"PAY1,PROM,{TODAY + dt.timedelta(days=5)},1600.00,P1")
    clock.advance(dt.timedelta(days=5))
    assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    result = esc.run(ctx)
    assert result["completed"] == [s["id"]]
    assert _open(ctx, "P1") == Decimal("0.00")
    assert ledger.ledger_totals(ctx, as_of=clock.today(), currency="USD").written_off == Decimal("400.00")
    # a settlement nobody pays breaks
    other = esc.propose(ctx.acting_as("ann"), customer_id="OLD", action="settlement", settle_amount="700.00",
                        pay_by=clock.today() + dt.timedelta(days=5))
    esc.decide(ctx.acting_as("mia"), escalation_id=other["id"], approve=True, role="manager")
    clock.advance(dt.timedelta(days=9))
    assert esc.run(ctx)["broken"] == [other["id"]]
    assert _open(ctx, "O1") == Decimal("800.00")


def test_an_instalment_plan_kept_then_broken_re_escalates(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    with pytest.raises(InvalidInput, match="not proposed") as exc:
        esc.propose(ctx.acting_as("ann"), customer_id="PROM", action="payment_plan",
                    instalments=[(TODAY + dt.timedelta(days=30), "500.00"), (TODAY + dt.timedelta(days=20), "500.00")])
    assert any("add up to 1000.00" in p for p in exc.value.problems)
    assert any("dates must increase" in p for p in exc.value.problems)
    plan = esc.propose(ctx.acting_as("ann"), customer_id="PROM", action="payment_plan", instalment_count=4,
                       every_days=30, first_due=TODAY + dt.timedelta(days=10))
    assert [i["amount"] for i in plan["details"]["instalments"]] == ["500.00"] * 4
    esc.decide(ctx.acting_as("mia"), escalation_id=plan["id"], approve=True, role="manager")
    [p] = esc.plans(ctx, customer_id="PROM")
    assert p["status"] == "active" and [i["status"] for i in p["instalments"]] == ["open"] * 4
    # P1 leaves dunning while the plan runs
    from arcollect.worklist import service as worklists

    assert not [x for x in worklists.proposals(ctx, as_of=TODAY, channel="email") if x["customer_id"] == "PROM"]
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to",
              f"PAY1,PROM,{TODAY + dt.timedelta(days=9)},500.00,P1")
    clock.advance(dt.timedelta(days=9))
    assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    clock.advance(dt.timedelta(days=35))  # instalment 2 (day 40 + 3 grace) passed unpaid
    result = esc.run(ctx)
    [p] = esc.plans(ctx, customer_id="PROM")
    assert [i["status"] for i in p["instalments"]] == ["kept", "broken", "open", "open"] and p["status"] == "broken"
    assert result["broken"] == [plan["id"]]
    assert "credit_hold" in _by_customer(esc.list_escalations(ctx, status="proposed"))["PROM"]


def test_payments_ahead_of_schedule_count_towards_the_next_instalments():
    from arcollect.escalations import plans as PL

    schedule = [PL.Instalment(TODAY + dt.timedelta(days=30 * k), Decimal("100.00")) for k in range(1, 4)]
    states = PL.states(schedule, [(TODAY + dt.timedelta(days=1), Decimal("250.00"))], agreed_on=TODAY, grace_days=0,
                       as_of=TODAY + dt.timedelta(days=95))
    assert [(s.status, s.paid) for s in states] == [("kept", 100), ("kept", 100), ("broken", 50)]
    assert PL.plan_status(states) == "broken"


def test_policy_errors_name_their_line(ctx):
    with pytest.raises(InvalidInput) as exc:
        esc.validate_policy(POLICY.replace("propose: agency", "propose: jail"), source="policy.yaml")
    assert exc.value.problems[0].startswith("policy.yaml:6: rules.2.propose: Input should be 'demand_letter'")
    capped = POLICY.replace("agency: [{approvers: [manager, admin]}]", "agency: [{up_to: 10, approvers: [manager]}]")
    with pytest.raises(InvalidInput) as exc:
        esc.validate_policy(capped, source="policy.yaml")
    assert "the last level must cover any amount" in exc.value.problems[0]
    with pytest.raises(InvalidInput, match="policy.yaml:2: not valid YAML"):
        esc.validate_policy("name: x\n  - : [", source="policy.yaml")
    assert esc.active_policy(ctx).version == 0
    assert esc.load_policy(ctx, text=POLICY)["version"] == 1 and not esc.load_policy(ctx, text=POLICY)["changed"]


def test_scope_hides_other_collectors_escalations(ctx, tmp_path):
    _book(ctx, tmp_path)
    e = esc.propose(ctx.acting_as("bob"), customer_id="PROM", action="credit_hold")
    ann = CustomerScope(collectors=("ann",))
    with pytest.raises(NotFound):
        esc.detail(ctx, escalation_id=e["id"], scope=ann)
    with pytest.raises(NotFound):
        esc.decide(ctx.acting_as("ann"), escalation_id=e["id"], approve=True, role="manager", scope=ann)
    assert [x["id"] for x in esc.list_escalations(ctx, scope=ann)] == []


def test_case_history_has_the_whole_story(ctx, tmp_path):
    _book(ctx, tmp_path)
    promises.add_promise(ctx, customer_id="VERYOLD", amount="100.00", promised_date=TODAY + dt.timedelta(days=3))
    disputes.open_dispute(ctx, invoices=[("V2", None)], reason="pricing")
    e = esc.propose(ctx.acting_as("ann"), customer_id="VERYOLD", action="agency")
    h = esc.case_history(ctx, customer_id="VERYOLD")
    assert h["customer"]["customer_id"] == "VERYOLD" and h["aging"]["rows"][0]["total"] == "1800.00"
    assert h["aging"]["rows"][0]["disputed"] == "300.00"
    assert [p["amount"] for p in h["promises"]] == ["100.00"] and h["disputes"][0]["reason"] == "pricing"
    assert [x["id"] for x in h["escalations"]] == [e["id"]]
    assert E.ACTIONS["agency"].lower() in " ".join(t["text"] for t in h["timeline"]).lower()


def test_the_cli_proposes_decides_as_a_user_and_exports(ctx, cli, tmp_path):
    import json

    from arcollect.auth import service as auth

    _book(ctx, tmp_path)
    for login, role in (("ann", "collector"), ("mia", "manager")):
        auth.add_user(ctx, login=login, role=role, password="correct horse battery")
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("propose: agency", "propose: jail"), encoding="utf-8")
    refused = cli("escalation", "policy", "validate", str(bad))
    assert refused.exit_code == 1 and f"{bad}:6: rules.2.propose" in refused.stderr
    opened = cli("escalation", "propose", "--customer", "VERYOLD", "--action", "write_off", "--invoices", "V1:600.00",
                 "--note", "court settlement")
    assert opened.exit_code == 0, opened.stderr
    eid = opened.stdout.strip()
    denied = cli("escalation", "approve", eid, "--as", "ann")
    assert denied.exit_code == 1 and "needs a manager or admin" in denied.stderr
    approved = cli("escalation", "approve", eid, "--as", "mia", "--note", "ok")
    assert approved.exit_code == 0 and approved.stdout.strip() == f"escalation {eid}: completed"
    assert _open(ctx, "V1") == Decimal("900.00")
    rows = json.loads(cli("escalation", "list", "--format", "json").stdout)
    assert [(r["id"], r["status"], r["decided_by"]) for r in rows] == [(eid, "completed", "mia")]
    pdf = tmp_path / "history.pdf"
    assert cli("escalation", "history", "--customer", "VERYOLD", "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    plan = cli("escalation", "propose", "--customer", "PROM", "--action", "payment_plan",
               "--instalments", f"{TODAY + dt.timedelta(days=10)}:1200.00,{TODAY + dt.timedelta(days=40)}:800.00")
    assert plan.exit_code == 0, plan.stderr
    assert cli("escalation", "reject", plan.stdout.strip(), "--as", "mia").stdout.strip().endswith("rejected")
