"""The worklist and the escalation queue agree (bugs #8.4 and #8.5): a 90+ account's demand letter is one
task — the escalation waiting for its decision — not a playbook letter step besides it; once a manager
decides it, it leaves the worklist at once, and no later run proposes it again."""

from __future__ import annotations

import datetime as dt

from arcollect.escalations import service as esc
from arcollect.ledger import service as ledger
from arcollect.worklist import service as worklists
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)


def _late_account(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector,country,timezone",
              "LATE,Late Co,USD,ann,US,America/New_York")
    due = TODAY - dt.timedelta(days=95)
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              f"L1,LATE,{(due - dt.timedelta(days=30)).isoformat()},{due.isoformat()},2000.00,USD")
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _approvals(ctx, day: dt.date) -> list[dict]:  # noqa: ANN001
    items = worklists.worklist(ctx, as_of=day, customer_id="LATE")["items"]
    return [a for i in items for a in i["actions"] if a["needs_approval"]]


def test_the_escalation_is_the_worklists_one_approval_task_and_leaves_it_when_decided(ctx, tmp_path, clock):
    _late_account(ctx, tmp_path)
    worklists.run(ctx, as_of=TODAY)
    [letter] = esc.list_escalations(ctx, customer_id="LATE", status="proposed")
    assert letter["action"] == "demand_letter"
    [task] = _approvals(ctx, TODAY)  # one thing, not a playbook letter step and an escalation
    assert task["kind"] == "escalation" and task["step"] == "demand_letter"
    assert task["escalation_id"] == letter["id"]
    esc.decide(ctx.acting_as("mia"), escalation_id=letter["id"], approve=True, role="manager")
    assert esc.detail(ctx, escalation_id=letter["id"])["status"] == "completed"
    assert _approvals(ctx, TODAY) == []  # at once: the worklist and the queue agree
    worklists.run(ctx, as_of=TODAY)
    assert _approvals(ctx, TODAY) == []
    clock.advance(dt.timedelta(days=1))
    worklists.run(ctx, as_of=TODAY + dt.timedelta(days=1))
    assert _approvals(ctx, TODAY + dt.timedelta(days=1)) == []  # not re-proposed the next day either
