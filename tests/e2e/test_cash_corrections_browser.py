"""Corrections and Match now in a real browser at 1280 px: a cash application specialist clicks Match now and
watches the run's progress (htmx polls it) until the page shows the result with its tables read again, accepts two
proposals, writes off the residual a short payment left (sent for approval: no auto limit), and moves a line to
another customer's invoice; the line's history tells both. Screenshots go to the test's temporary directory (or
$ARCOLLECT_SCREENSHOT_DIR), never docs/; nothing is cut off."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from arcollect.cashapp import service as cash
from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.ledger import service as ledger
from tests.e2e.test_cash_browser import _fits, _sign_in
from tests.web.cash_day import DAY, OUR_ACCOUNT, bank_day

NOISE = 400  # lines that identify nobody, so that the run lasts long enough to be watched


def _noise(served) -> None:  # noqa: ANN001
    lines = tuple(ParsedLine(booking_date=DAY, amount=Decimal(f"{10 + n}.{n % 100:02d}"), currency="EUR",
                             reference=f"N{n}", value_date=DAY, payer_name=f"Unknown payer {n}", payer_account=None,
                             remittance=(f"transfer {n}",), location=f"n{n}") for n in range(NOISE))
    cash.store_statements(served.ctx, statements=[ParsedStatement(format="camt.053.001.02", account=OUR_ACCOUNT,
                                                                  currency="EUR", lines=lines, statement_id="NOISE")],
                          filename="noise.xml")


def _elsewhere(served, day, currency: str) -> tuple[str, dict]:  # noqa: ANN001
    for cid in sorted(served.customers_of(served.other)):
        if cid == day.proposed:
            continue
        items = [i for i in ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today())
                 .open_items if i["currency"] == currency and i["open_amount"] > 50]
        if items:
            return cid, items[0]
    raise AssertionError("the demo book has no such customer")


def test_match_now_progress_then_write_off_a_residual_and_move_a_line(chromium, live, tmp_path):  # noqa: ANN001
    served = live.served
    shots = Path(os.environ.get("ARCOLLECT_SCREENSHOT_DIR") or tmp_path) / live.backend
    shots.mkdir(parents=True, exist_ok=True)
    day = bank_day(served, match=False)
    _noise(served)
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900},
                                   locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(60_000)
    _sign_in(page, live, "cash")
    page.goto("/cash?status=proposed")

    # Match now: the page answers at once and follows the run until it is done
    page.get_by_role("button", name="Match now").click()
    panel = page.locator("#match-run")
    panel.wait_for()
    seen = panel.get_attribute("data-status")
    if seen == "running":
        # the figures while it runs — or the result, when the run ends before a poll shows them (a fast machine)
        figures = page.locator("#match-run .run-figures").filter(has_text="lines processed")
        figures.or_(page.locator("#match-run.run-done")).first.wait_for()
        _fits(page)
        page.screenshot(path=str(shots / "cash-match-progress-1280.png"), full_page=False)
    done = page.locator("#match-run.run-done")
    done.wait_for()
    text = done.inner_text()
    assert f"Matching finished: {NOISE + 3} lines processed" in text and "2 waiting for review" in text, text
    assert page.url.endswith("&run=" + done.get_attribute("data-run"))
    assert page.locator('#status-filters a[href*="status=proposed"] .count').inner_text() == "2"  # read again
    page.screenshot(path=str(shots / "cash-match-done-1280.png"), full_page=False)

    # accept the partial payment: two thirds of the invoice paid, a third left open
    part, pick = day.lines["PART"], day.lines["PICK"]
    page.goto(f"/cash?status=proposed&line={part}")
    page.locator("#accept-top button").click()
    page.get_by_role("status").filter(has_text=f"Line {part} applied").wait_for()

    # write off the residual: the amount is prefilled, the reason chosen in words; above the auto limit (none set)
    # it goes for approval
    page.goto(f"/cash?line={part}")
    residual = day.proposed_item["open_amount"] - day.partial
    assert page.locator("#wo-amount").input_value() == str(residual)
    _fits(page)
    page.screenshot(path=str(shots / "cash-line-writeoff-1280.png"), full_page=True)
    page.locator("#wo-reason").select_option(label="Bank fee deducted by the payer's or an intermediary bank")
    page.fill("#wo-note", "fee of the correspondent bank")
    page.get_by_role("button", name="Write off").click()
    message = page.get_by_role("status").filter(has_text="sent for approval to")
    message.wait_for()
    assert f"on {day.proposed_item['invoice_id']} sent for approval to a manager" in message.inner_text()
    assert "sent for approval by cash" in page.locator("#line-history").inner_text()

    # move the hand-picked line: accept it for its customer, then move it to another customer's invoice
    page.goto(f"/cash?status=proposed&line={pick}")
    page.locator("#accept-top button").click()
    page.get_by_role("status").filter(has_text=f"Line {pick} applied to {day.picked}").wait_for()
    currency = cash.line(served.ctx, line_id=pick)["currency"]
    other, item = _elsewhere(served, day, currency)
    page.goto(f"/cash?line={pick}")
    page.fill("#mv-search", other)
    page.locator("#move-search").get_by_role("button", name="Find").click()
    page.locator("#move-found").get_by_role("link", name=other, exact=False).first.click()
    page.locator("#move-form").wait_for()
    page.get_by_label(f"Move to {item['invoice_id']}", exact=True).check()
    assert page.get_by_label(f"Amount to move to {item['invoice_id']}").input_value() == str(
        min(item["open_amount"], day.pick_amount))
    page.fill("#mv-reason", "paid for the sister company")
    _fits(page)
    page.screenshot(path=str(shots / "cash-line-forms-1280.png"), full_page=True)
    page.locator("#move-submit").click()
    page.get_by_role("status").filter(has_text=f"Line {pick} moved from {day.picked}").wait_for()
    moved = cash.line(served.ctx, line_id=pick)
    assert moved["customer_id"] == other and moved["applications"][0]["invoice_id"] == item["invoice_id"]
    history = page.locator("#line-history").inner_text()
    assert f"Moved by cash from {day.picked} to {other}" in history and "paid for the sister company" in history
    _fits(page)
    page.screenshot(path=str(shots / "cash-line-history-1280.png"), full_page=True)
    context.close()
    assert cash.current_match_run(served.ctx) is None
