"""Ask in Chromium at 1280 px: an admin uploads an SOP on its page; a collector types in the header's search
box, gets results grouped by kind with the words highlighted (customer text escaped, never run), only from
their portfolio, and opens the record and the SOP from the results."""

from __future__ import annotations

import datetime as dt

from arcollect.promises import service as promises
from tests.assistant.search_book import SOP
from tests.e2e.conftest import shoot


def _sign_in(page, live, login: str) -> None:  # noqa: ANN001
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", live.served.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.base_url + "/**")


def test_search_from_the_header_and_sops_at_1280(chromium, live, tmp_path):  # noqa: ANN001
    served = live.served
    mine = sorted(served.customers_of(served.collector))[0]
    theirs = sorted(served.customers_of(served.other))[0]
    promises.log_activity(served.ctx.acting_as(served.collector), customer_id=mine, kind="note",
                          note="Controller <b>Ines</b> confirmed the pallet invoice goes to the payment run on Thursday")
    promises.log_activity(served.ctx.acting_as(served.other), customer_id=theirs, kind="note",
                          note="Private: pallet invoice disputed by their CFO")
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900}, locale="en-US",
                                   timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live, "admin")
    page.goto("/sops")
    policy = tmp_path / "credit-policy.md"
    policy.write_bytes(SOP)
    page.set_input_files("#sop-file", str(policy))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(live.base_url + "/sops/*")
    assert page.locator("#sop-body table").is_visible() and page.locator("#sop-body script").count() == 0
    shoot(page, live, "sop-document")
    page.goto("/sops")
    shoot(page, live, "sops-admin")
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, live, served.collector)
    box = page.get_by_role("searchbox", name="Search accounts, invoices, emails, notes, disputes and SOPs")
    box.fill("pallet payment run")
    box.press("Enter")
    page.wait_for_url("**/search?q=pallet*")
    notes = page.locator("#kind-note")
    assert notes.is_visible()
    assert notes.locator("mark").first.inner_text().lower() == "pallet"
    assert "<b>Ines</b>" in notes.inner_text()  # the customer's markup shown as text
    assert "CFO" not in page.content()  # another collector's note is never shown
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shoot(page, live, "search-results")
    notes.locator("a.hit-title").first.click()
    page.wait_for_url(f"**/customers/{mine}")

    box = page.get_by_role("searchbox", name="Search accounts, invoices, emails, notes, disputes and SOPs")
    box.fill("credit hold")
    box.press("Enter")
    page.wait_for_url("**/search?q=credit*")
    page.locator("#kind-sop a.hit-title").first.click()
    page.wait_for_url("**/sops/*")
    assert page.get_by_role("heading", name="Credit policy").is_visible()
    assert page.locator("#sop-upload").count() == 0 and page.get_by_role("button", name="Delete this SOP").count() == 0

    page.goto("/search?q=" + "INV")
    first = page.locator("ol.hits li").first
    assert first.is_visible()
    page.select_option("#s-kind", "invoice")
    page.fill("#s-from", (served.ctx.clock.today() - dt.timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**kind=invoice**")
    assert page.locator("section.search-group").count() <= 1
    shoot(page, live, "search-filtered")
    context.close()
