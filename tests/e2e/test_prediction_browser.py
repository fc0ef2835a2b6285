"""The payment prediction where a collector works, in Chromium at 1280 px: "my day" above the worklist
(calls due, promises due today and broken lately, the cash expected this week, each opening on its
accounts) and the account page (each open invoice's expected date and chance of paying late, the account's
reasons in plain words)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from arcollect.clock import FixedClock
from arcollect.ledger import service as ledger
from arcollect.risk import service as risk
from arcollect.worklist import my_day
from arcollect.worklist import service as worklists
from tests.e2e.conftest import shoot
from tests.e2e.test_browser import _sign_in


def _promises(served) -> tuple[str, str]:  # noqa: ANN001
    """One promise falling due today and one made 10 days ago for 6 days ago, unpaid (broken), on two of the
    collector's accounts with open items."""
    today = served.ctx.clock.today()
    mine = [c for c in sorted(served.customers_of(served.collector))
            if ledger.customer_overview(served.ctx, customer_id=c, as_of=today).open_items]
    due_today, broken = mine[0], mine[1]
    worklists.add_promise(served.ctx, customer_id=due_today, amount="100.00", promised_date=today)
    earlier = dataclasses.replace(served.ctx, clock=FixedClock(dt.datetime.combine(
        today - dt.timedelta(days=10), dt.time(10), tzinfo=dt.timezone.utc)))
    worklists.add_promise(earlier, customer_id=broken, amount="50.00", promised_date=today - dt.timedelta(days=6))
    return due_today, broken


def test_my_day_and_the_account_outlook(page, live):  # noqa: ANN001
    served = live.served
    due_today, broken = _promises(served)
    risk.train(served.ctx)
    today = served.ctx.clock.today()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    _sign_in(page, served.collector, served.PASSWORD)
    page.wait_for_url(live.base_url + "/")
    page.get_by_role("link", name="My day").click()
    page.wait_for_url(re.compile("/worklist"))
    day = my_day.figures(served.ctx, as_of=today, collector=served.collector)
    figures = page.locator("[data-testid=my-day]")
    assert figures.locator("[data-testid=calls-due] .value").inner_text() == str(day["calls_due"]["count"])
    assert day["calls_due"]["count"] > 0
    assert figures.locator("[data-testid=promises-due] .value").inner_text() == "1"
    assert figures.locator("[data-testid=promises-broken] .value").inner_text() == "1"
    inflows = day["inflows"]["currencies"]
    assert inflows
    for w in inflows:
        shown = figures.locator(f"[data-testid=inflow-{w['currency']}]").inner_text()
        assert re.search(r"\d", shown) and "." in shown or "," in shown, shown  # formatted money, not a raw number
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the page is {width} px wide at 1280 px"
    shoot(page, live, "my-day-1280")
    figures.locator("[data-testid=promises-broken] summary").click()
    name = ledger.customer_overview(served.ctx, customer_id=broken, as_of=today).customer["name"]
    link = figures.locator("[data-testid=promises-broken]").get_by_role("link", name=name)
    assert "50.00" in figures.locator("[data-testid=promises-broken] li").first.inner_text()
    shoot(page, live, "my-day-broken-1280")
    link.click()
    page.wait_for_url(re.compile(f"/customers/{broken}"))

    outlook = risk.account_outlook(served.ctx, customer_id=broken, as_of=today)
    for key, o in outlook["invoices"].items():
        shown = page.locator(f"[data-testid=expected-{key}]").inner_text()
        assert shown == (f"by {o['was_expected']}" if o["was_expected"] else o["expected_date"])
        chance = page.locator(f"[data-testid=p-late-{key}]")
        if o["past_due"]:
            assert chance.count() == 0  # already late: no chance to show
        else:
            assert chance.inner_text() == f"{int(o['p_late'] * 100 + 0.5)} % late"
    box = page.locator("[data-testid=payment-outlook]")
    text = box.inner_text()
    assert "Payment outlook" in text and "model version 1" in text and " UTC" in text
    for f in outlook["factors"]:
        assert f["text"][1:] in text and "_" not in f["text"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the page is {width} px wide at 1280 px"
    box.scroll_into_view_if_needed()
    shoot(page, live, "account-outlook-1280")
