"""The Reports page in Chromium at 1280 px, as a manager: reached from the navigation, a period chosen, the
metrics per currency with their sparklines, the roll-forward tying, the causes Pareto of the disputes, the cash
forecast with its band loaded beside the page — all inside 1280 px."""

from __future__ import annotations

import re

from arcollect.disputes import service as disputes
from arcollect.ledger import service as ledger
from arcollect.reports import service as reports
from arcollect.risk import service as risk
from tests.e2e.conftest import shoot
from tests.e2e.test_browser import _sign_in


def _disputes(served) -> None:  # noqa: ANN001
    """Four disputes on open invoices of the manager's team: pricing twice, PO, quantity; two resolved."""
    today = served.ctx.clock.today()
    invoices = []
    for cid in sorted(served.customers_of(served.collector)):
        items = ledger.customer_overview(served.ctx, customer_id=cid, as_of=today).open_items
        invoices += [i["invoice_id"] for i in items if not i["disputed"]][:1]
        if len(invoices) == 4:
            break
    for iid, reason in zip(invoices, ("pricing", "pricing", "po", "quantity")):
        d = disputes.open_dispute(served.ctx, invoices=[(iid, None)], reason=reason)
        if reason == "pricing":
            disputes.update(served.ctx, dispute_id=d["id"], status="resolved", resolution="credit_note",
                            root_cause="price_master_data")


def test_a_manager_reads_the_reports_page(page, live):  # noqa: ANN001
    served = live.served
    _disputes(served)
    risk.train(served.ctx)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    _sign_in(page, "mona", served.PASSWORD)
    page.wait_for_url(re.compile(r"/worklist|/$"))
    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.wait_for_url(re.compile(r"/reports"))
    page.fill("[data-testid=period]", "2026-01-01..2026-11-23")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"period=2026-01-01"))
    metrics = page.locator("[data-testid=metrics]")
    assert metrics.is_visible()
    expected = reports.metrics(served.ctx, period="2026-01-01..2026-11-23", scope=ledger.CustomerScope(
        collectors=(served.collector,), teams=("north",)))
    for row in expected["rows"]:
        cell = page.locator(f"[data-testid=dso-total-{row['currency']}]")
        assert cell.inner_text().startswith(f"{row['dso']:.1f}")
        assert cell.locator("svg.spark").count() == 1
    roll = page.locator("[data-testid=rollforward]")
    assert roll.locator(".badge.ok").count() == len(expected["rows"]) and roll.locator(".badge.bad").count() == 0
    assert page.locator("svg[aria-label^='Disputed value by reason']").count() >= 1
    assert "Pricing" in page.locator("#causes-h").locator("xpath=..").inner_text()
    forecast = page.locator("#forecast [data-testid^='forecast-'] svg[aria-label^='Expected inflows per week']")
    forecast.first.wait_for()
    assert forecast.count() >= 1 and page.locator("#forecast polygon.band").count() == forecast.count()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the page is {width} px wide at 1280 px"
    shoot(page, live, "reports-1280")
