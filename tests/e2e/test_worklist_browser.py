"""A collector works three accounts from My worklist with the keyboard — a call (the next account then
opens by itself and the day's counter moves), a promise, a snooze — the promise appears on the account's timeline, and tomorrow's worklist sends it no email."""

from __future__ import annotations

import datetime as dt
import re

from arcollect.worklist import service as worklists
from tests.e2e.conftest import shoot


def _panel_customer(page) -> str:  # noqa: ANN001
    return page.locator("#panel-title .muted").inner_text().strip()


def _next(page, before: str) -> str:  # noqa: ANN001
    page.keyboard.press("j")
    page.wait_for_function("b => document.querySelector('#panel-title .muted').textContent.trim() !== b", arg=before)
    return _panel_customer(page)


def test_a_collector_works_three_accounts_by_keyboard(page, live):  # noqa: ANN001
    served = live.served
    page.goto("/login")
    page.keyboard.type(served.collector)
    page.keyboard.press("Tab")
    page.keyboard.type(served.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live.base_url + "/")
    page.get_by_role("link", name="My day").click()
    page.wait_for_url(re.compile("/worklist"))
    rows = page.locator("#worklist .wl-row").evaluate_all("els => els.map(e => e.dataset.customer)")
    assert len(rows) >= 3 and set(rows) <= served.customers_of(served.collector)
    page.locator("#panel-title").wait_for()  # the first account loads beside the list
    first = _panel_customer(page)
    assert first == rows[0]
    assert re.fullmatch(r"0 of \d+ done", page.locator("#progress").inner_text().strip())
    shoot(page, live, "worklist")

    # 1st account: c → the call form; log "no answer" with a note, submitted with Enter
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "call-outcome"
    page.select_option("#call-outcome", "no_answer")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "call-note"
    page.keyboard.type("rang the AP line, nobody picked up")
    page.keyboard.press("Enter")
    page.locator("#panel .alert.success").filter(has_text="Call logged: no answer.").wait_for()
    # the call worked the account: the next one opens by itself, its row is current, the counter moves
    page.wait_for_function("b => document.querySelector('#panel-title .muted').textContent.trim() !== b", arg=first)
    second = _panel_customer(page)
    assert second == rows[1]
    assert page.locator("#worklist .wl-row.current").get_attribute("data-customer") == second
    assert re.fullmatch(r"1 of \d+ done", page.locator("#progress").inner_text().strip())
    assert page.url.endswith(f"/worklist?c={second}")
    page.keyboard.press("Escape")

    # 2nd account: p → promise amount; the date by keyboard; Enter
    page.keyboard.press("p")
    assert page.evaluate("document.activeElement.id") == "promise-amount"
    page.keyboard.type("100.00")
    page.keyboard.press("Tab")
    page.keyboard.type("11272026")  # en-US date field: mm dd yyyy
    page.keyboard.press("Enter")
    page.locator("#panel .alert.success").filter(has_text="Promise of 100.00").wait_for()
    page.keyboard.press("Escape")

    # 3rd account: j, s → snooze until a date
    third = _next(page, second)
    assert third not in (first, second)
    page.keyboard.press("s")
    assert page.evaluate("document.activeElement.id") == "snooze-until"
    page.keyboard.type("11302026")
    page.keyboard.press("Enter")
    page.locator("#panel .alert.success").filter(has_text="Snoozed until 2026-11-30").wait_for()
    shoot(page, live, "worklist-worked")

    # the promise is on the second account's timeline, with who and when
    page.goto(f"/customers/{second}")
    timeline = page.locator("ol.timeline").inner_text()
    assert "Promise to pay" in timeline and "100.00" in timeline and served.collector in timeline
    page.goto(f"/customers/{first}")
    first_timeline = page.locator("ol.timeline").inner_text()
    assert "Call: no answer" in first_timeline and "rang the AP line" in first_timeline

    # tomorrow: no email for the promised account (it is paused until the date + grace days)
    served.ctx.clock.advance(dt.timedelta(days=1))
    tomorrow = served.ctx.clock.today()
    page.goto("/worklist")
    listed = page.locator("#worklist .wl-row").evaluate_all("els => els.map(e => e.dataset.customer)")
    assert second not in listed and third not in listed
    data = worklists.worklist(served.ctx, as_of=tomorrow, collector=served.collector, ensure=False)
    emails = {i["customer_id"] for i in data["items"] for a in i["actions"] if a["kind"] == "email"}
    assert second not in emails
