"""The assistant's proposals on both databases: a fetched reply is triaged and its actions proposed with their
evidence — nothing else recorded — until a person approves (the promise is then recorded and dunning stops),
edits or rejects; a refused approval changes nothing and keeps the proposal open with the error; an admin's
auto-approval rule acts alone above its confidence; every step is in the audit log."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from arcollect.assistant import service as assistant
from arcollect.audit import AuditEntry
from arcollect.disputes.models import Dispute
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact
from arcollect.outreach import mailbox
from arcollect.promises import service as promises
from arcollect.promises.models import Activity, Promise
from arcollect.worklist import service as worklists
from tests.conftest import write_csv
from tests.dovecot import mail


class Box:
    """The IMAP port with the given raw messages (the Dovecot end-to-end test reads a real server)."""

    def __init__(self, *raws: bytes) -> None:
        self.raws = list(raws)

    def fetch_new(self) -> list[tuple[Any, bytes]]:
        return list(enumerate(self.raws))

    def done(self, uids: list[Any]) -> None:
        self.raws = []

    def close(self) -> None:
        return None


def _book(ctx, tmp_path) -> None:  # noqa: ANN001
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,timezone,collector",
              "C1,Acme,GBP,GB,Europe/London,alice", "C2,Beta,GBP,GB,Europe/London,bob")
    write_csv(tmp_path / "ct.csv", "customer_id,email,name,role,primary", "C1,ap@acme-buyer.example,Ann,ap,true",
              "C2,ap@beta-buyer.example,Bob,ap,true")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              "INV-100,C1,2026-10-01,2026-11-10,500.00,GBP", "INV-101,C1,2026-10-05,2026-11-12,250.00,GBP",
              "INV-200,C2,2026-10-01,2026-11-10,700.00,GBP")
    for kind, name in (("customers", "c"), ("contacts", "ct"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _reply(body: str, n: int = 1, sender: str = "ap@acme-buyer.example", subject: str = "Re: your reminder") -> bytes:
    return mail({"From": f"Ann <{sender}>", "To": "ar@us.example", "Subject": subject,
                 "Message-ID": f"<r{n}@acme-buyer.example>"}, body)


def _fetch(ctx, *raws: bytes) -> dict[str, int]:  # noqa: ANN001
    return mailbox.fetch_mail(ctx, mailbox_factory=lambda: Box(*raws))


def _count(ctx, model) -> int:  # noqa: ANN001
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _audit(ctx, action: str) -> list[AuditEntry]:  # noqa: ANN001
    with ctx.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "assistant_proposal",
                                                       AuditEntry.action == action)))


def _dunned(ctx) -> set[str]:  # noqa: ANN001
    """The invoices the playbook would remind of today."""
    return {i for p in worklists.proposals(ctx, as_of=ctx.clock.today(), channel="email") for i in p["invoices"]}


def _queued(ctx) -> set[str]:  # noqa: ANN001
    """The invoices of today's open email actions (what the outbox would queue)."""
    return {i for a in worklists.open_actions(ctx, as_of=ctx.clock.today(), channel="email") for i in a["invoices"]}


def test_a_fetched_promise_is_proposed_and_recorded_only_when_approved_then_dunning_stops(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    assert "INV-100" in _dunned(ctx)  # past due: the playbook would remind of it today
    worklists.run(ctx, as_of=ctx.clock.today())  # today's worklist is built: an approval refreshes the account in it
    assert "INV-100" in _queued(ctx)
    counts = _fetch(ctx, _reply("Hello, we will pay INV-100 by Friday.\n\nBest regards\nAnn"))
    assert counts["linked"] == 1 and counts["proposals"] >= 1
    [p] = [p for p in assistant.list_proposals(ctx) if p["kind"] == "record_promise"]
    assert p["status"] == "proposed" and p["customer_id"] == "C1"
    assert p["payload"]["date"] == "2026-11-27" and p["payload"]["amount"] == "500.00"
    assert p["payload"]["invoices"] == ["INV-100"] and any("friday" in e.lower() for e in p["evidence"])
    # nothing recorded before approval: no promise, only the reply itself on the timeline; dunning goes on
    assert _count(ctx, Promise) == 0 and _count(ctx, Activity) == 1 and "INV-100" in _dunned(ctx)
    [proposed] = [a for a in _audit(ctx, "propose") if a.entity_key == p["id"]]
    assert proposed.actor == "assistant" and proposed.changes["evidence"] == p["evidence"]
    queue = assistant.queue(ctx)
    assert queue[0]["intent"] == "promise_to_pay" and any(mark for _, mark in queue[0]["pieces"])

    done = assistant.approve(ctx.acting_as("alice"), proposal_id=p["id"])
    assert done["status"] == "approved" and done["decided_by"] == "alice" and done["result"]["promise_id"]
    [promise] = promises.list_promises(ctx, customer_id="C1", as_of=ctx.clock.today())
    assert (promise["amount"], promise["date"], promise["invoices"]) == ("500.00", "2026-11-27", ["INV-100"])
    assert any(t["kind"] == "promise" for t in promises.timeline(ctx, customer_id="C1"))
    assert "INV-100" not in _dunned(ctx) and "INV-101" in _dunned(ctx)  # the promised invoice leaves dunning
    assert "INV-100" not in _queued(ctx)  # and today's open email action for it
    [approved] = _audit(ctx, "approve")
    assert approved.actor == "alice" and approved.changes["evidence"] == p["evidence"]
    assert approved.changes["result"]["promise_id"] == promise["id"]
    with pytest.raises(Exception, match="already approved"):
        assistant.approve(ctx, proposal_id=p["id"])
    assert _count(ctx, Promise) == 1


def test_a_refused_approval_changes_nothing_and_keeps_the_proposal_open_with_the_error(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    _fetch(ctx, _reply("We will pay INV-100 by Friday."))
    [p] = [p for p in assistant.list_proposals(ctx) if p["kind"] == "record_promise"]
    before = (_count(ctx, Promise), _count(ctx, Activity))
    with pytest.raises(InvalidInput, match="date: 2026-11-01 must be between today"):
        assistant.approve(ctx, proposal_id=p["id"], changes={"date": "2026-11-01"})
    with pytest.raises(InvalidInput, match="amount: 'lots' is not an amount"):
        assistant.approve(ctx, proposal_id=p["id"], changes={"amount": "lots"})
    with pytest.raises(InvalidInput, match="amount: 900.00 GBP is more than the 500.00 GBP"):
        assistant.approve(ctx, proposal_id=p["id"], changes={"amount": "900.00"})
    assert (_count(ctx, Promise), _count(ctx, Activity)) == before
    [still] = [q for q in assistant.list_proposals(ctx) if q["id"] == p["id"]]
    assert still["status"] == "proposed" and "more than the 500.00 GBP" in still["error"]
    assert still["payload"] == p["payload"]  # the refused edit is not kept
    assert len(_audit(ctx, "approve_failed")) == 3
    # edited and approved: the person's amount, the proposal's original kept
    done = assistant.approve(ctx, proposal_id=p["id"], changes={"amount": "300", "date": "2026-11-30"})
    assert done["status"] == "edited" and done["original"]["amount"] == "500.00" and done["error"] is None
    [promise] = promises.list_promises(ctx, customer_id="C1", as_of=ctx.clock.today())
    assert (promise["amount"], promise["date"]) == ("300.00", "2026-11-30")
    assert _audit(ctx, "edit_approve")[0].changes["original"]["amount"] == "500.00"


def test_a_rejected_proposal_changes_nothing_and_is_audited(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    _fetch(ctx, _reply("We will pay INV-100 by Friday."))
    [p] = [p for p in assistant.list_proposals(ctx) if p["kind"] == "record_promise"]
    r = assistant.reject(ctx.acting_as("alice"), proposal_id=p["id"], note="they said that last month")
    assert r["status"] == "rejected" and _count(ctx, Promise) == 0
    [entry] = _audit(ctx, "reject")
    assert entry.actor == "alice" and entry.changes["note"] == "they said that last month" and entry.changes["evidence"]
    assert p["id"] not in {q["id"] for q in assistant.list_proposals(ctx)}
    assert p["id"] in {q["id"] for q in assistant.list_proposals(ctx, status="rejected")}


def test_auto_approval_acts_alone_only_for_the_kinds_and_confidence_an_admin_set(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    auto = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"assistant_auto_approve": "record_promise:0.5"}))
    _fetch(auto, _reply("We will pay INV-100 by Friday.", 1),
           _reply("The price on INV-101 is wrong, we were quoted 200.", 2))
    [promise] = promises.list_promises(ctx, customer_id="C1", as_of=ctx.clock.today())
    assert promise["amount"] == "500.00"
    [entry] = _audit(ctx, "auto_approve")
    assert entry.actor == "assistant (auto-approved)" and entry.changes["evidence"]
    assert {p["kind"] for p in assistant.list_proposals(ctx)} >= {"open_dispute"}  # not covered: waits
    assert _count(ctx, Dispute) == 0
    strict = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"assistant_auto_approve": "open_dispute:0.999"}))
    _fetch(strict, _reply("The price on INV-100 is wrong.", 3))
    assert _count(ctx, Dispute) == 0  # below the threshold: a person decides


def test_dispute_out_of_office_and_new_contact_are_carried_out_by_the_features(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    _fetch(ctx, _reply("The price on INV-101 is wrong, we were quoted 200.", 1),
           _reply("I am out of the office until 30 November.", 2, subject="Out of office"),
           _reply("I have left Acme. Please write to payables@acme-buyer.example from now on.", 3))
    kinds = {p["kind"]: p for p in assistant.list_proposals(ctx)}
    assert {"open_dispute", "snooze_until", "update_contact"} <= set(kinds)
    d = assistant.approve(ctx, proposal_id=kinds["open_dispute"]["id"])
    assert d["result"]["dispute_id"] and kinds["open_dispute"]["payload"]["reason"] == "pricing"
    s = assistant.approve(ctx, proposal_id=kinds["snooze_until"]["id"])
    assert s["result"]["until"] == "2026-11-30"
    c = assistant.approve(ctx, proposal_id=kinds["update_contact"]["id"])
    assert c["result"]["email"] == "payables@acme-buyer.example"
    with ctx.sessions() as session:
        rows = {k.email: (k.role, k.primary) for k in session.scalars(select(Contact).where(Contact.customer_pk == 1))}
    assert rows["payables@acme-buyer.example"] == ("ap", True) and rows["ap@acme-buyer.example"] == ("other", False)


def test_proposals_of_another_portfolio_are_not_found(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    _fetch(ctx, _reply("We will pay INV-100 by Friday."))
    [p] = [p for p in assistant.list_proposals(ctx) if p["kind"] == "record_promise"]
    bob = ledger.CustomerScope(collectors=("bob",))
    assert assistant.list_proposals(ctx, scope=bob) == [] and assistant.queue(ctx, scope=bob) == []
    with pytest.raises(NotFound):
        assistant.approve(ctx, proposal_id=p["id"], scope=bob)
    with pytest.raises(NotFound):
        assistant.reject(ctx, proposal_id=p["id"], scope=bob)
    assert _count(ctx, Promise) == 0
