"""The assistant's settings kept in the database: an admin's auto-approval rule per action kind is read by the
next triaged reply (it wins over the environment setting; "back to the default" removes it), every change is
audited with who and before → after; and a reply fetched with no known account, linked by a person in the
triage queue, is read again against that account's documents, its proposals created then."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from arcollect.assistant import service as assistant
from arcollect.assistant.agent_models import AssistantAutoRule, AssistantTriage
from arcollect.audit import AuditEntry
from arcollect.errors import Conflict, InvalidInput
from arcollect.outreach import mailbox
from arcollect.promises import service as promises
from tests.assistant.test_agent import _book, _fetch, _reply


def _rule_audit(ctx, kind: str) -> list[AuditEntry]:  # noqa: ANN001
    with ctx.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "assistant_auto_rule",
                                                       AuditEntry.entity_key == kind).order_by(AuditEntry.id)))


def _promises(ctx) -> list[dict]:  # noqa: ANN001
    return promises.list_promises(ctx, customer_id="C1", as_of=ctx.clock.today())


def test_a_stored_rule_takes_effect_on_the_next_triaged_reply_and_each_change_is_audited(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    _fetch(ctx, _reply("We will pay INV-100 by Friday.", 1))
    assert _promises(ctx) == []  # no rule: a person decides
    on = assistant.set_auto_approval(ctx.acting_as("root"), kind="record_promise", enabled=True, threshold="0.6")
    assert (on["enabled"], on["threshold"], on["source"], on["updated_by"]) == (True, 0.6, "admin", "root")
    _fetch(ctx, _reply("We will pay INV-101 by Friday.", 2))
    [promise] = _promises(ctx)
    assert promise["invoices"] == ["INV-101"]  # the next reply was approved alone; the first still waits
    assert any(p["kind"] == "record_promise" and p["payload"]["invoices"] == ["INV-100"]
               for p in assistant.list_proposals(ctx))
    [entry] = _rule_audit(ctx, "record_promise")
    assert entry.actor == "root" and entry.action == "set"
    assert entry.changes["before"] == {"enabled": False, "threshold": None, "source": "setting"}
    assert entry.changes["after"] == {"enabled": True, "threshold": 0.6, "source": "admin"}
    off = assistant.set_auto_approval(ctx.acting_as("root"), kind="record_promise", enabled=False)
    assert off["enabled"] is False and off["threshold"] == 0.6
    _fetch(ctx, _reply("We will pay INV-100 by Monday.", 3))
    assert len(_promises(ctx)) == 1
    assert _rule_audit(ctx, "record_promise")[-1].changes["enabled"] == [True, False]


def test_the_stored_rule_wins_over_the_setting_until_reset_to_it(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    env = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"assistant_auto_approve": "record_promise:0.5"}))
    [default] = [r for r in assistant.auto_approval_rules(env) if r["kind"] == "record_promise"]
    assert (default["enabled"], default["threshold"], default["source"]) == (True, 0.5, "setting")
    assistant.set_auto_approval(env.acting_as("root"), kind="record_promise", enabled=False)
    _fetch(env, _reply("We will pay INV-100 by Friday.", 1))
    assert _promises(ctx) == []  # turned off here although the setting turns it on
    back = assistant.reset_auto_approval(env.acting_as("root"), kind="record_promise")
    assert (back["enabled"], back["source"]) == (True, "setting")
    with env.sessions() as s:
        assert s.get(AssistantAutoRule, "record_promise") is None
    assert _rule_audit(ctx, "record_promise")[-1].action == "reset"
    _fetch(env, _reply("We will pay INV-101 by Friday.", 2))
    assert [p["invoices"] for p in _promises(ctx)] == [["INV-101"]]


def test_a_bad_rule_is_refused_and_changes_nothing(ctx) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match="kind: 'pay_everything' is not an action kind"):
        assistant.set_auto_approval(ctx, kind="pay_everything", enabled=True, threshold="0.9")
    with pytest.raises(InvalidInput, match="threshold: '0.2' is not between 0.5 and 1"):
        assistant.set_auto_approval(ctx, kind="record_promise", enabled=True, threshold="0.2")
    with pytest.raises(InvalidInput, match="threshold: give the confidence"):
        assistant.set_auto_approval(ctx, kind="record_promise", enabled=True)
    with ctx.sessions() as s:
        assert s.scalars(select(AssistantAutoRule)).all() == []
        assert s.scalars(select(AuditEntry).where(AuditEntry.entity == "assistant_auto_rule")).all() == []


def test_a_reply_linked_in_triage_is_read_again_against_the_account_and_its_proposals_created(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    counts = _fetch(ctx, _reply("Hello, we will pay invoice 101 by Friday.\n\nJohn", sender="john@unknown.example"))
    assert counts["triage"] == 1 and counts["proposals"] == 0 and assistant.list_proposals(ctx) == []
    [waiting] = mailbox.triage(ctx)
    done = mailbox.link_inbound(ctx.acting_as("mona"), message_id=waiting["id"], customer_id="C1")
    assert done["customer_id"] == "C1" and done["proposals"] == 1
    [p] = assistant.list_proposals(ctx)
    # "invoice 101" is resolved against C1's documents now that the reply is on its account
    assert p["kind"] == "record_promise" and p["customer_id"] == "C1"
    assert p["payload"]["invoices"] == ["INV-101"] and p["payload"]["amount"] == "250.00"
    with ctx.sessions() as s:
        [t] = s.scalars(select(AssistantTriage)).all()
        assert t.customer_pk is not None and t.reading["customer_id"] == "C1"
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "retriage"))
    assert entry.actor == "mona" and entry.changes["customer"] == [None, "C1"]
    assert [q["id"] for q in assistant.queue(ctx)[0]["proposals"]] == [p["id"]]  # shown in the queue to approve
    assistant.approve(ctx.acting_as("alice"), proposal_id=p["id"])
    assert [x["invoices"] for x in _promises(ctx)] == [["INV-101"]]
    with pytest.raises(Conflict, match="already linked"):
        mailbox.link_inbound(ctx, message_id=waiting["id"], customer_id="C1")


def test_a_linked_reply_follows_the_auto_approval_rules_too(ctx, tmp_path) -> None:  # noqa: ANN001
    _book(ctx, tmp_path)
    assistant.set_auto_approval(ctx, kind="record_promise", enabled=True, threshold="0.5")
    _fetch(ctx, _reply("We will pay invoice 100 by Friday.", sender="john@unknown.example"))
    assert _promises(ctx) == []
    [waiting] = mailbox.triage(ctx)
    mailbox.link_inbound(ctx.acting_as("mona"), message_id=waiting["id"], customer_id="C1")
    assert [x["invoices"] for x in _promises(ctx)] == [["INV-100"]]
