"""Cash application in a real browser: a cash application specialist uploads a camt.053 file (balance check
shown), clicks Match now, accepts the top proposal with one keystroke, applies a line by hand to two invoices
(the running total reaches the line's amount) and unapplies it. Screenshots at 1280 and 390 px go to the
test's temporary directory (never docs/); nothing is cut off at either width."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arcollect.cashapp import service as cash
from arcollect.ledger import service as ledger
from tests.web.cash_day import bank_day
from tests.web.test_cash_pages import camt_for


def _sign_in(page, live, login: str) -> None:  # noqa: ANN001
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", live.served.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _fits(page) -> None:  # noqa: ANN001
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def test_upload_match_accept_with_a_key_apply_by_hand_and_unapply(chromium, live, tmp_path):  # noqa: ANN001
    pytest.importorskip("arcollect.cashapp.formats", reason="the bank file readers (cashapp/formats) are not merged")
    served = live.served
    day = bank_day(served, match=False)  # lines for review, stored from parsed shapes
    today = served.ctx.clock.today()
    other = next(c for c in sorted(served.customers_of(served.collector)) if c != day.picked and
                 ledger.customer_overview(served.ctx, customer_id=c, as_of=today).open_items)
    item = ledger.customer_overview(served.ctx, customer_id=other, as_of=today).open_items[0]
    bank_file = tmp_path / "camt053-2026-11-20.xml"
    bank_file.write_bytes(camt_for(item, "A Payer Ltd"))

    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900},
                                   locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live, "cash")
    page.get_by_role("link", name="Cash", exact=True).click()
    page.wait_for_url(live.base_url + "/cash")

    # upload: the statement's balance check in words
    page.get_by_text("Upload a bank statement").click()
    page.set_input_files("#u-file", str(bank_file))
    page.get_by_role("button", name="Import").click()
    result = page.locator("#import-result")
    result.get_by_text("1 line(s) created, 0 already known").wait_for()
    assert "balances agree" in result.inner_text()
    page.screenshot(path=str(tmp_path / "cash-upload-1280.png"), full_page=True)

    # match now: a run in the background, followed on the page until it is done
    page.get_by_role("button", name="Match now").click()
    page.locator("#match-run.run-done").filter(has_text="Matching finished: 4 lines processed").wait_for()

    # the review queue: the first proposed line is selected; j and k move, a accepts the top proposal
    page.goto("/cash?status=proposed")
    part, pick = day.lines["PART"], day.lines["PICK"]
    assert page.locator("#review-title").get_attribute("data-line") == part
    page.keyboard.press("j")
    page.wait_for_url(lambda url: f"line={pick}" in url)
    page.keyboard.press("k")
    page.wait_for_url(lambda url: f"line={part}" in url)
    assert "named in remittance" in page.locator("#proposals").inner_text()
    page.keyboard.press("a")
    page.get_by_role("status").filter(has_text=f"Line {part} applied to {day.proposed}").wait_for()
    assert cash.line(served.ctx, line_id=part)["status"] == "applied"

    # now on the next line: pick two invoices by hand; the running total reaches the line's amount
    assert page.locator("#review-title").get_attribute("data-line") == pick
    a, b = day.picked_items
    page.get_by_label(f"Pick {a['invoice_id']}").check()
    assert page.get_by_label(f"Amount to apply to {a['invoice_id']}").input_value() == str(a["open_amount"])
    page.get_by_label(f"Pick {b['invoice_id']}").check()
    rest = day.pick_amount - a["open_amount"]
    assert page.get_by_label(f"Amount to apply to {b['invoice_id']}").input_value() == str(rest)
    running = page.locator("#running")
    assert "left" in running.inner_text() and "done" in (running.get_attribute("class") or "")
    assert page.locator("#left").inner_text().startswith(("$0.00", "€0.00", "£0.00"))
    _fits(page)
    page.screenshot(path=str(tmp_path / "cash-review-1280.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    page.screenshot(path=str(tmp_path / "cash-review-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Apply picked").click()
    page.get_by_role("status").filter(has_text=f"Line {pick} applied to {day.picked}").wait_for()
    done = cash.line(served.ctx, line_id=pick)
    assert {x["invoice_id"]: Decimal(x["amount"]) for x in done["applications"]} == {
        a["invoice_id"]: a["open_amount"], b["invoice_id"]: rest}

    # unapply: reversal rows, the line is back for review
    page.goto(f"/cash?line={pick}")
    page.fill("#un-reason", "paid for a sister company")
    page.get_by_role("button", name="Unapply").click()
    page.get_by_role("status").filter(has_text=f"Line {pick} unapplied").wait_for()
    assert cash.line(served.ctx, line_id=pick)["status"] == "unmatched"
    page.screenshot(path=str(tmp_path / "cash-unapplied-1280.png"), full_page=True)

    # the unidentified line at 390 px: the customer search
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/cash?status=unidentified&line={day.lines['NOBODY']}&q={day.picked}")
    page.locator("#found-customers").get_by_role("link").first.wait_for()
    _fits(page)
    page.screenshot(path=str(tmp_path / "cash-unidentified-390.png"), full_page=True)
    context.close()
