"""The answer of the Ask agent on the /search page in Chromium at 1280 px: above the results, its cited records
as links that open them, and the line naming the model (a real chat-completions server scripts the tools)."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from tests.assistant.llm_server import ChatServer, call
from tests.conftest import Served
from tests.e2e.test_search_browser import _sign_in


@pytest.fixture
def chat():  # noqa: ANN201
    with ChatServer() as server:
        yield server


@pytest.fixture
def served(ctx, chat):  # noqa: ANN001, ANN201  (the app of the live server, with the model configured)
    return Served(dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={
        "llm_base_url": chat.url, "llm_model": "llama3.1-8b"})))


def test_the_answer_is_shown_above_the_results_with_links_at_1280(chromium, live, chat, tmp_path):  # noqa: ANN001
    served = live.served
    mine = sorted(served.customers_of(served.collector))[:2]
    chat.script = [call("promises", {"due_from": "2026-11-23", "due_to": "2026-11-29"}),
                   call("customer_summary", {"customer_id": mine[0]}, 2),
                   {"content": f"{mine[0]} has open invoices and is the account to call first [{mine[0]}]. "
                               f"No promise in your portfolio falls due this week."}]
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900}, locale="en-US",
                                   timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live, served.collector)
    page.goto("/search?q=" + "who promised this week and hasn't paid?")
    answer = page.locator("#answer")
    assert answer.is_visible()
    assert "Answered by llama3.1-8b at" in answer.inner_text()
    shot = tmp_path / "ask-answer-1280.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("ARCOLLECT_SCREENSHOTS"):
        shutil.copy(shot, os.environ["ARCOLLECT_SCREENSHOTS"])
    answer.locator("a.cite").first.click()
    page.wait_for_url(f"{live.base_url}/customers/{mine[0]}")
    context.close()
