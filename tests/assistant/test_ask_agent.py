"""Ask in plain words, against a real HTTP server speaking the chat-completions function-calling protocol with
scripted tool calls: tools run under the caller's scope (a collector learns nothing of another portfolio), only
read-only tools exist, bad arguments and refusals go back to the model as errors, the step limit ends the loop
with a clear message, unusable output falls back to the search, personal data is masked, and everything is
audited. Without a model the search is exactly as before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from arcollect.assistant import ask_tools, providers, search, service as assistant
from arcollect.audit import AuditEntry
from arcollect.disputes.scope import CaseScope
from arcollect.ledger.scope import CustomerScope
from arcollect.promises import service as promises
from arcollect.promises.models import Promise
from tests.assistant.llm_server import ChatServer, call
from tests.assistant.search_book import build

ALICE = CaseScope(customers=CustomerScope(collectors=("alice",)))


@pytest.fixture
def book(ctx, cli, tmp_path):  # noqa: ANN001
    build(ctx, cli, tmp_path)
    promises.add_promise(ctx, customer_id="C1", amount="40.00", promised_date=dt.date(2026, 11, 25),
                         note="call back Ann Payer on +49 89 4521 7733")
    promises.add_promise(ctx, customer_id="C2", amount="50.00", promised_date=dt.date(2026, 11, 26))
    return ctx


def _model(server: ChatServer) -> providers.OpenAICompatible:
    return providers.OpenAICompatible(base_url=server.url, model="test-model", timeout=5.0)


def _tool_messages(server: ChatServer) -> list[dict]:
    return [m for m in server.requests[-1]["messages"] if m["role"] == "tool"]


def test_the_question_is_answered_with_tools_and_the_records_it_used_are_cited(book):
    with ChatServer() as server:
        server.script = [call("promises", {"due_from": "2026-11-23", "due_to": "2026-11-29", "status": "open"}),
                         {"content": "C1 promised 40.00 EUR for 25 Nov [promise 1] [C1]; "
                                     "C2 too [promise 2] [C2]. Also [INV-9999]."}]
        r = assistant.ask(book, question="who promised this week and hasn't paid?", provider=_model(server))
    a = r["answer"]
    assert r["fallback"] is None and a["model"] == f"test-model at {server.url.split('/')[2]}"
    assert [(c["kind"], c["id"]) for c in a["citations"]] == [("promise", "1"), ("customer", "C1"),
                                                              ("promise", "2"), ("customer", "C2")]
    assert '<a class="cite" href="/customers/C1">C1</a>' in a["html"] and "[INV-9999]" in a["html"]  # never returned
    assert a["tool_calls"] == [{"name": "promises", "arguments": server.requests[0]["messages"] and
                                json.dumps({"due_from": "2026-11-23", "due_to": "2026-11-29", "status": "open"}),
                                "ok": True, "error": None, "records": 4}]
    first = server.requests[0]
    assert first["tool_choice"] == "auto" and first["messages"][0]["role"] == "system"
    result = json.loads(_tool_messages(server)[0]["content"])
    assert [p["customer_id"] for p in result["rows"]] == ["C2", "C1"] and result["total"] == 2
    assert r["search"]["query"] == "who promised this week and hasn't paid?"  # the plain search runs too


def test_a_collector_gets_nothing_of_a_customer_outside_their_portfolio(book):
    with ChatServer() as server:
        server.script = [{"content": None, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "customer_summary", "arguments": '{"customer_id": "C2"}'}},
            {"id": "b", "type": "function", "function": {"name": "search_records", "arguments": '{"query": "pineapple"}'}},
            {"id": "c", "type": "function", "function": {"name": "promises", "arguments": "{}"}},
            {"id": "d", "type": "function", "function": {"name": "disputes", "arguments": "{}"}}]},
            {"content": "Nothing on [C2]."}]
        r = assistant.ask(book, question="what does Borealis owe?", scope=ALICE, provider=_model(server))
    sent = json.dumps([m["content"] for m in _tool_messages(server)])
    for theirs in ("Borealis", "INV-10420", "secret", "50.00", "200.00", "bob"):
        assert theirs not in sent
    summary, found, mine, cases = (json.loads(m["content"]) for m in _tool_messages(server))
    assert summary == {"error": "customer 'C2' not found"}  # as for a number that does not exist
    assert {row["customer_id"] for row in found["rows"]} == {"C1"}
    assert [p["customer_id"] for p in mine["rows"]] == ["C1"] and cases["rows"] == []
    assert r["answer"]["citations"] == [] and r["answer"]["tool_calls"][0]["ok"] is False


def test_a_stakeholder_is_refused_customer_tools_and_the_refusal_goes_to_the_model(book):
    billing = CaseScope(customers=CustomerScope(), team="billing")
    with ChatServer() as server:
        server.script = [call("customer_summary", {"customer_id": "C1"}), call("disputes", {}, 2), {"content": "ok"}]
        r = assistant.ask(book, question="how much is open?", scope=billing, provider=_model(server))
    refused, cases = (json.loads(m["content"]) for m in _tool_messages(server))
    assert "stakeholder" in refused["error"]
    assert [d["customer_id"] for d in cases["rows"]] == ["C2"]  # billing's dispute: routed to the team
    assert [t["ok"] for t in r["answer"]["tool_calls"]] == [False, True]


def test_no_write_tool_is_offered_and_one_asked_for_is_refused_with_nothing_written(book):
    with ChatServer() as server:
        server.script = [call("add_promise", {"customer_id": "C1", "amount": "1", "promised_date": "2026-11-30"}),
                         {"content": "I cannot record promises."}]
        before = promises.list_promises(book, as_of=dt.date(2026, 11, 23))
        r = assistant.ask(book, question="record a promise for C1", provider=_model(server))
    offered = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert offered == set(ask_tools.TOOLS) == {"search_records", "customer_summary", "promises", "disputes"}
    assert "unknown tool 'add_promise'" in json.loads(_tool_messages(server)[0]["content"])["error"]
    assert promises.list_promises(book, as_of=dt.date(2026, 11, 23)) == before
    assert r["answer"]["text"] == "I cannot record promises."


@pytest.mark.parametrize("arguments, why", [
    ("{not json", "not valid JSON"),
    ({"customer_id": "C1", "drop": "table"}, "drop: Extra inputs are not permitted"),
    ({"due_from": "2026-02-30"}, "due_from:"),
    ({"status": "paid"}, "status:"),
])
def test_bad_tool_arguments_return_an_error_to_the_model(book, arguments, why):
    name = "customer_summary" if isinstance(arguments, dict) and "customer_id" in arguments else "promises"
    with ChatServer() as server:
        server.script = [call(name, arguments), {"content": "Sorry."}]
        r = assistant.ask(book, question="promises?", provider=_model(server))
    assert why in json.loads(_tool_messages(server)[0]["content"])["error"]
    assert r["answer"]["text"] == "Sorry." and r["answer"]["tool_calls"][0]["ok"] is False


def test_the_step_limit_ends_the_loop_with_a_clear_message(book):
    with ChatServer() as server:
        server.script = [call("disputes", {}, n) for n in range(20)]
        r = assistant.ask(book, question="loop forever", provider=_model(server))
    a = r["answer"]
    assert a["text"] is None and a["stopped"] == "stopped after 6 steps without an answer"
    assert len(server.requests) == 6 and len(a["tool_calls"]) == 6


@pytest.mark.parametrize("turn, why", [
    ({"content": None}, "neither an answer nor a tool call"),
    ({"content": "", "tool_calls": "disputes"}, "tool_calls is not a list"),
    ({"content": None, "tool_calls": [{"type": "function", "function": {"name": "disputes"}}]}, "no id"),
])
def test_invalid_model_output_falls_back_to_the_search(book, turn, why):
    with ChatServer() as server:
        server.script = [turn]
        r = assistant.ask(book, question="pineapple", provider=_model(server))
    assert r["answer"] is None and why in r["fallback"] and "search results are shown instead" in r["fallback"]
    assert r["search"] == search.search(book, query="pineapple")


def test_personal_data_is_masked_in_everything_sent_and_put_back_in_the_answer(book):
    with ChatServer() as server:
        server.script = [call("search_records", {"query": "ap"}),
                         call("promises", {"customer_id": "C1"}, 2), {"content": "Write to [EMAIL_1]."}]
        r = assistant.ask(book, question="what did ap@acme.example say?", provider=_model(server))
    sent = json.dumps(server.requests[-1]["messages"])
    assert "ap@acme.example" not in sent and "[EMAIL_1]" in sent
    assert r["answer"]["text"] == "Write to ap@acme.example." and r["answer"]["masked"]["email"] >= 1


def test_without_a_model_the_search_is_unchanged_and_nothing_is_sent_or_audited(book):
    with ChatServer() as server:
        server.answer("{}")
        r = assistant.ask(book, question="pineapple")
        forced = assistant.ask(dataclasses.replace(book, settings=book.settings.model_copy(update={
            "llm_base_url": server.url, "llm_model": "test-model"})), question="pineapple", words_only=True)
    assert r == {"question": "pineapple", "answer": None, "fallback": None, "search": search.search(book, query="pineapple")}
    assert forced == r and not server.requests
    with book.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ask")) == 0


def test_the_question_the_tools_and_the_answer_are_audited(book):
    with ChatServer() as server:
        server.script = [call("disputes", {}), {"content": "One open [dispute 1]."}]
        assistant.ask(book.acting_as("alice"), question="open disputes?", provider=_model(server))
    with book.sessions() as s:
        e = s.scalars(select(AuditEntry).where(AuditEntry.action == "ask")).one()
    assert e.actor == "alice" and e.changes["question"] == "open disputes?"
    assert e.changes["tool_calls"][0]["name"] == "disputes" and e.changes["answer"] == "One open [dispute 1]."
    assert e.changes["citations"] == ["dispute:1"]
    with book.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Promise)) == 2


def test_customer_summary_gives_the_open_invoices_as_money_strings(book):
    with ChatServer() as server:
        server.script = [call("customer_summary", {"customer_id": "C1"}), {"content": "[INV-1042] and [INV-2001]."}]
        r = assistant.ask(book, question="what does Acme owe?", scope=ALICE, provider=_model(server))
    got = json.loads(_tool_messages(server)[0]["content"])
    assert got["open_balance"] == {"EUR": "400.00"} and got["customer_id"] == "C1"
    assert [(i["invoice_id"], i["open_amount"]) for i in got["open_invoices"]["rows"]] == [("INV-1042", "100.00"),
                                                                                         ("INV-2001", "300.00")]
    assert [c["id"] for c in r["answer"]["citations"]] == ["INV-1042", "INV-2001"]
