"""The worklist on a real ledger (both databases): CONTRACT §5 JSON, idempotence, priorities,
call logging, callbacks, snoozing, closing actions, flags, playbook versions, the timeline."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from arcollect.disputes import service as disputes
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from arcollect.ledger import service as ledger
from arcollect.playbook import service as playbooks
from arcollect.playbook.rules import default_text
from arcollect.promises import service as promises
from arcollect.worklist import service as worklists
from arcollect.worklist.models import Action
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)
D = lambda n: (TODAY + dt.timedelta(days=n)).isoformat()  # noqa: E731


def _book(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector,country,timezone,segment",
              "C1,Acme,USD,alice,US,America/New_York,mid", "C2,Beta,EUR,bruno,DE,Europe/Berlin,mid",
              "C3,Gamma,USD,alice,US,America/Chicago,mid", "C4,Delta,USD,alice,US,America/Chicago,mid")
    write_csv(tmp_path / "ct.csv", "customer_id,email,name,role", "C1,ap@acme.example,Ann Payable,ap")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              f"A1,C1,{D(-80)},{D(-40)},9000.00,USD", f"A2,C1,{D(-30)},{D(-12)},1000.00,USD",
              f"B1,C2,{D(-40)},{D(-10)},800.00,EUR", f"G1,C3,{D(-20)},{D(-3)},700.00,USD",
              f"D1,C4,{D(-30)},{D(-1)},100.00,USD")
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to,currency",
              f"P1,C4,{D(-2)},100.00,D1,USD", f"P2,C4,{D(-2)},50.00,,USD")
    for kind, name in (("customers", "c"), ("contacts", "ct"), ("invoices", "i"), ("payments", "p")):
        result = ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv")
        assert not result.errors, result.errors


def _actions(ctx) -> int:  # noqa: ANN001
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(Action))


def test_cli_worklist_json_follows_the_contract_and_a_second_run_creates_nothing(ctx, cli, tmp_path):
    _book(ctx, tmp_path)
    r = cli("worklist", "--as-of", TODAY.isoformat(), "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["as_of"] == TODAY.isoformat()
    ids = [i["customer_id"] for i in data["items"]]
    assert sorted(ids) == ["C1", "C2", "C3", "C4"]
    priorities = [i["priority"] for i in data["items"]]
    assert priorities == sorted(priorities, reverse=True)
    c1 = next(i for i in data["items"] if i["customer_id"] == "C1")
    assert c1["collector"] == "alice" and isinstance(c1["priority"], float) and c1["reasons"]
    kinds = {(a["kind"], a["step"]): a for a in c1["actions"]}
    assert set(kinds) == {("email", "firm"), ("call", "call_31")}
    assert kinds[("email", "firm")]["invoices"] == ["A1", "A2"] and kinds[("call", "call_31")]["invoices"] == ["A1", "A2"]
    assert all(dt.date.fromisoformat(a["due"]) >= TODAY for a in c1["actions"])
    c4 = next(i for i in data["items"] if i["customer_id"] == "C4")
    assert [a["step"] for a in c4["actions"]] == ["request_remittance"]  # only unapplied cash
    count = _actions(ctx)
    again = cli("worklist", "--as-of", TODAY.isoformat(), "--format", "json")
    assert json.loads(again.stdout) == data and _actions(ctx) == count
    table = cli("worklist", "--as-of", TODAY.isoformat(), "--collector", "bruno")
    assert "C2" in table.stdout and "C1 " not in table.stdout and "1 accounts to work" in table.stdout


def test_priority_parts_add_up_and_explain_the_order(ctx, tmp_path):
    _book(ctx, tmp_path)
    items = worklists.worklist(ctx, as_of=TODAY)["items"]
    for i in items:
        assert round(sum(i["parts"].values()), 1) == pytest.approx(i["priority"], abs=0.11)
    c1 = next(i for i in items if i["customer_id"] == "C1")
    c3 = next(i for i in items if i["customer_id"] == "C3")
    assert c1["parts"]["overdue"] > c3["parts"]["overdue"] and c1["priority"] > c3["priority"]
    ledger.update_customer(ctx, customer_id="C3", changes={"risk": "high"})
    worklists.run(ctx, as_of=TODAY, customer_pks=None)
    c3 = worklists.worklist(ctx, as_of=TODAY, customer_id="C3", ensure=False)["items"][0]
    assert c3["parts"]["risk"] == 20.0


def test_logging_a_call_completes_call_tasks_and_its_follow_up_comes_first_that_day(ctx, cli, tmp_path, clock):
    _book(ctx, tmp_path)
    worklists.run(ctx, as_of=TODAY)
    r = cli("call", "log", "--customer", "C3", "--outcome", "left_voicemail", "--note", "left a message",
            "--follow-up", D(2), "--contact", "nobody@nowhere.example")
    assert r.exit_code == 1 and "not a contact of C3" in r.stderr
    r = cli("call", "log", "--customer", "C3", "--outcome", "left_voicemail", "--follow-up", D(2))
    assert r.exit_code == 0, r.output
    c3 = worklists.worklist(ctx, as_of=TODAY, customer_id="C3")["items"]
    assert all(a["kind"] != "call" for i in c3 for a in i["actions"])
    assert cli("call", "log", "--customer", "C3", "--outcome", "maybe").exit_code == 2
    clock.advance(dt.timedelta(days=2))
    day = worklists.worklist(ctx, as_of=TODAY + dt.timedelta(days=2))["items"]
    assert day[0]["customer_id"] == "C3" and day[0]["callback"] == D(2) and day[0]["parts"]["callback"] == 100.0
    assert [i["priority"] for i in day] == sorted((i["priority"] for i in day), reverse=True)
    timeline = promises.timeline(ctx, customer_id="C3")
    assert timeline[0]["kind"] == "call" and "left voicemail" in timeline[0]["text"] and timeline[0]["by"].startswith("cli")


def test_a_dispute_outcome_flags_its_invoices_and_they_leave_dunning(ctx, tmp_path):
    _book(ctx, tmp_path)
    worklists.run(ctx, as_of=TODAY)
    call = worklists.log_call(ctx, customer_id="C1", outcome="dispute", invoices=["A2"], note="price disagreement",
                              dispute_reason="pricing")
    dispute = disputes.detail(ctx, dispute_id=call["dispute_id"])
    assert (dispute["reason"], dispute["team"], dispute["invoices"], dispute["note"]) == (
        "pricing", "sales", ["A2"], "price disagreement")
    items = worklists.worklist(ctx, as_of=TODAY + dt.timedelta(days=7))["items"]
    c1 = next(i for i in items if i["customer_id"] == "C1")
    assert all("A2" not in a["invoices"] for a in c1["actions"])
    assert "1 invoice in dispute: not dunned" in c1["reasons"]
    with pytest.raises(InvalidInput, match="goes with the outcome 'dispute'"):
        worklists.log_call(ctx, customer_id="C1", outcome="no_answer", dispute_reason="pricing")


def test_do_not_contact_cancels_open_contact_actions_on_the_next_run(ctx, cli, tmp_path):
    _book(ctx, tmp_path)
    worklists.run(ctx, as_of=TODAY)
    r = cli("customer", "flag", "C1", "--do-not-contact", "--risk", "high")
    assert r.exit_code == 0 and "do not contact yes" in r.stdout
    assert cli("customer", "flag", "C1", "--risk", "extreme").exit_code == 1
    worklists.run(ctx, as_of=TODAY + dt.timedelta(days=1))
    with ctx.sessions() as s:
        statuses = dict(s.execute(select(Action.step, Action.status).where(Action.step.in_(["firm", "call_31"]))).all())
    assert statuses == {"firm": "cancelled", "call_31": "cancelled"}


def test_closing_snoozing_and_their_refusals(ctx, tmp_path, clock):
    _book(ctx, tmp_path)
    items = worklists.worklist(ctx, as_of=TODAY)["items"]
    c1 = next(i for i in items if i["customer_id"] == "C1")
    email = next(a for a in c1["actions"] if a["kind"] == "email")
    call = next(a for a in c1["actions"] if a["kind"] == "call")
    with pytest.raises(InvalidInput, match="closed by logging"):
        worklists.close_action(ctx, action_id=call["id"], status="done")
    worklists.close_action(ctx, action_id=email["id"], status="done", note="sent from Outlook")
    with pytest.raises(Conflict, match="from done to skipped"):
        worklists.close_action(ctx, action_id=email["id"], status="skipped")
    with pytest.raises(NotFound):
        worklists.close_action(ctx, action_id=call["id"], status="skipped", scope=ledger.CustomerScope(collectors=("bruno",)))
    result = worklists.snooze(ctx, customer_id="C1", until=TODAY + dt.timedelta(days=3))
    assert result["actions"] == 1
    assert all(i["customer_id"] != "C1" for i in worklists.worklist(ctx, as_of=TODAY)["items"])
    with pytest.raises(InvalidInput):
        worklists.snooze(ctx, customer_id="C1", until=TODAY)
    assert promises.timeline(ctx, customer_id="C1")[0]["kind"] == "snooze"


def test_playbook_versions_load_show_and_drive_the_next_run(ctx, cli, tmp_path):
    _book(ctx, tmp_path)
    assert playbooks.active(ctx).version == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsegments:\n  - name: a\n    steps:\n      - {id: s, channel: fax, from_day: 1}\n")
    r = cli("playbook", "validate", str(bad))
    assert r.exit_code == 1 and f"{bad}:5: segments.0.steps.0.channel" in r.stderr
    assert cli("playbook", "load", str(bad)).exit_code == 1 and playbooks.versions(ctx) == []
    calls_only = tmp_path / "calls.yaml"
    calls_only.write_text("name: Calls only\nsegments:\n  - name: all\n    steps:\n"
                          "      - {id: call_any, channel: call, from_day: 1, every: 5}\n")
    assert cli("playbook", "validate", str(calls_only)).exit_code == 0
    preview = json.loads(cli("playbook", "preview", str(calls_only), "--as-of", TODAY.isoformat()).stdout)
    assert {s["step"] for s in preview["steps"]} == {"call_any", "request_remittance"} and _actions(ctx) == 0  # nothing stored
    r = cli("playbook", "load", str(calls_only))
    assert r.exit_code == 0 and "version 1 in force" in r.stdout
    assert "unchanged" in cli("playbook", "load", str(calls_only)).stdout
    assert cli("playbook", "show").stdout.startswith("# version 1\nname: Calls only")
    diff = cli("playbook", "diff", str(bad)).stdout
    assert "-      - {id: call_any" in diff and "+      - {id: s, channel: fax" in diff
    data = worklists.worklist(ctx, as_of=TODAY)
    assert {a["step"] for i in data["items"] for a in i["actions"]} == {"call_any", "request_remittance"}
    default = tmp_path / "default.yaml"
    default.write_text(default_text())
    assert "version 2" in cli("playbook", "load", str(default)).stdout


def test_workloads_and_reassignment(ctx, tmp_path):
    _book(ctx, tmp_path)
    worklists.run(ctx, as_of=TODAY)
    loads = {w["collector"]: w for w in worklists.workloads(ctx, as_of=TODAY)}
    assert loads["alice"]["accounts"] == 3 and loads["bruno"]["accounts"] == 1
    assert loads["alice"]["by_kind"]["call"] >= 1
    worklists.reassign(ctx, customer_ids=["C3"], collector="bruno")
    loads = {w["collector"]: w for w in worklists.workloads(ctx, as_of=TODAY)}
    assert loads["alice"]["accounts"] == 2 and loads["bruno"]["accounts"] == 2
    bruno = worklists.worklist(ctx, as_of=TODAY, collector="bruno")["items"]
    assert {i["customer_id"] for i in bruno} == {"C2", "C3"}


def test_a_call_with_outcome_promise_can_record_the_promise_in_one_go(ctx, tmp_path):
    _book(ctx, tmp_path)
    worklists.run(ctx, as_of=TODAY)
    with pytest.raises(InvalidInput, match="outcome 'promise'"):
        worklists.log_call(ctx, customer_id="C1", outcome="no_answer", promise_amount="10.00", promise_date=TODAY)
    with pytest.raises(InvalidInput):
        worklists.log_call(ctx, customer_id="C1", outcome="promise", promise_amount="10.00")
    assert promises.list_activities(ctx, customer_id="C1")["total"] == 0  # refused before anything was written
    result = worklists.log_call(ctx, customer_id="C1", outcome="promise", promise_amount="500.00",
                                promise_date=TODAY + dt.timedelta(days=5), invoices=["A2"])
    assert result["promise"]["invoices"] == ["A2"] and result["promise"]["status"] == "open"
    assert [a["kind"] for a in promises.list_activities(ctx, customer_id="C1")["items"]] == ["promise", "call"]


def test_a_manager_reassigns_only_accounts_in_their_scope(ctx, tmp_path):
    _book(ctx, tmp_path)
    with pytest.raises(NotFound):
        worklists.reassign(ctx, customer_ids=["C2"], collector="alice", scope=ledger.CustomerScope(collectors=("alice",)))
    with pytest.raises(PermissionDenied, match="not a collector of your team"):  # bruno is another team's
        worklists.reassign(ctx, customer_ids=["C1"], collector="bruno", scope=ledger.CustomerScope(collectors=("alice",)))
    assert ledger.customer_overview(ctx, customer_id="C1", as_of=TODAY).customer["collector"] == "alice"
    both = ledger.CustomerScope(collectors=("alice", "bruno"))
    assert worklists.reassign(ctx, customer_ids=["C1"], collector="bruno", scope=both) == 1


def test_the_team_lists_collectors_without_a_login_and_targets_only_the_team(ctx, tmp_path):
    _book(ctx, tmp_path)
    from arcollect.worklist import team

    listed = {c["collector"]: c for c in team.collectors(ctx)}
    assert listed["alice"]["accounts"] == 3 and not listed["alice"]["has_login"] and listed["bruno"]["accounts"] == 1
    assert team.targets(ctx, scope=ledger.CustomerScope(collectors=("alice",))) == ["alice"]


def test_cli_action_done_skip_and_snooze(ctx, cli, tmp_path):
    _book(ctx, tmp_path)
    c1 = worklists.worklist(ctx, as_of=TODAY, customer_id="C1")["items"][0]
    email = next(a for a in c1["actions"] if a["kind"] == "email")
    call = next(a for a in c1["actions"] if a["kind"] == "call")
    r = cli("action", "done", call["id"])
    assert r.exit_code == 1 and "logging it" in r.stderr
    assert cli("action", "skip", email["id"], "--note", "paid by card").stdout.strip() == f"action {email['id']} skipped"
    assert cli("action", "done", email["id"]).exit_code == 1  # already closed
    r = cli("action", "snooze", "--customer", "C1", "--until", D(3))
    assert r.exit_code == 0 and "1 actions of C1 snoozed until" in r.stdout
