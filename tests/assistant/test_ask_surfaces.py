"""Ask's surfaces with a real chat-completions server: POST /api/v1/assistant/ask (scope of the caller, the
answer's citations and tool calls, bad input), the /search page (the answer above the results with its links
and the model line; "Words only" sends nothing) and `assistant ask` (the agent when configured, --search)."""

from __future__ import annotations

import dataclasses
import json

from tests.assistant.llm_server import ChatServer, call
from tests.assistant.search_book import build
from tests.conftest import Served


def _served(ctx, server: ChatServer) -> Served:  # noqa: ANN001
    return Served(dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={
        "llm_base_url": server.url, "llm_model": "test-model"})))


def test_api_ask_answers_in_the_callers_scope_and_cites_what_it_used(ctx):
    with ChatServer() as server:
        served = _served(ctx, server)
        theirs = sorted(served.customers_of(served.other))[0]
        mine = sorted(served.customers_of(served.collector))[0]
        assert served.client.post("/api/v1/assistant/ask", json={"question": "x"}).status_code == 401
        h = served.h(served.collector)
        for bad in ({"question": ""}, {"question": "x", "tools": ["add_promise"]}, {"question": "x" * 501}):
            assert served.client.post("/api/v1/assistant/ask", json=bad, headers=h).status_code == 422, bad
        assert not server.requests
        server.script = [call("customer_summary", {"customer_id": theirs}),
                         call("customer_summary", {"customer_id": mine}, 2),
                         {"content": f"[{theirs}] is not yours; [{mine}] is."}]
        r = served.client.post("/api/v1/assistant/ask", json={"question": f"what do {theirs} and {mine} owe?"},
                               headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [t["ok"] for t in body["answer"]["tool_calls"]] == [False, True]
    assert [c["id"] for c in body["answer"]["citations"]] == [mine]  # theirs was never returned: not cited
    assert body["fallback"] is None and {"query", "results"} <= set(body["search"])


def test_search_page_shows_the_answer_with_links_and_the_model_and_words_only_sends_nothing(ctx):
    with ChatServer() as server:
        served = _served(ctx, server)
        mine = sorted(served.customers_of(served.collector))[0]
        web = served.browser(served.collector)
        server.script = [call("customer_summary", {"customer_id": mine}),
                         {"content": f"<b>{mine}</b> owes the open invoices listed [{mine}]."}]
        page = web.get("/search", params={"q": f"what does {mine} owe?"})
        assert page.status_code == 200
        assert 'id="answer"' in page.text and f'<a class="cite" href="/customers/{mine}">{mine}</a>' in page.text
        assert "&lt;b&gt;" in page.text and f"<b>{mine}</b>" not in page.text  # the model's text is escaped
        assert "Answered by test-model at" in page.text and "customer summary" in page.text
        sent = len(server.requests)
        plain = web.get("/search", params={"q": "INV", "words": "1"})
        assert 'id="answer"' not in plain.text and len(server.requests) == sent
        server.script = [{"content": None}]
        broken = web.get("/search", params={"q": "INV"})
        assert 'id="ask-fallback"' in broken.text and 'id="kind-invoice"' in broken.text


def test_cli_ask_uses_the_agent_when_configured_and_search_forces_words(ctx, cli, tmp_path, monkeypatch):
    build(ctx, cli, tmp_path)
    plain = cli("assistant", "ask", "pineapple", "--format", "json")
    with ChatServer() as server:
        monkeypatch.setenv("ARCOLLECT_LLM_BASE_URL", server.url)
        monkeypatch.setenv("ARCOLLECT_LLM_MODEL", "test-model")
        server.script = [call("disputes", {}), {"content": "One dispute [dispute 1] of [C2]."}]
        asked = cli("assistant", "ask", "which disputes are open?")
        forced = cli("assistant", "ask", "pineapple", "--format", "json", "--search")
    assert asked.exit_code == 0, asked.output
    assert "Answer (test-model at" in asked.output and "Cited: dispute 1 (/disputes/1)" in asked.output
    assert "Tools: disputes({})" in asked.output
    assert json.loads(forced.output) == json.loads(plain.output) and len(server.requests) == 2
