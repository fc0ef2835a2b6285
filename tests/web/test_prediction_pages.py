"""My day's figures and the account's payment outlook, before and after a model is trained (web pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from arcollect.clock import FixedClock
from arcollect.ledger import service as ledger
from arcollect.promises import service as promises
from arcollect.risk import service as risk
from arcollect.worklist import my_day
from arcollect.worklist import service as worklists


def _with_open_items(served, collector: str) -> list[str]:  # noqa: ANN001
    today = served.ctx.clock.today()
    return [c for c in sorted(served.customers_of(collector))
            if ledger.customer_overview(served.ctx, customer_id=c, as_of=today).open_items]


def test_without_a_model_the_pages_say_so_and_nothing_fails(served):
    """No model trained: the account page shows no prediction column and says who trains it; My day shows
    its counts and says the expected cash needs a model (no 409, no error)."""
    client = served.browser(served.collector)
    cid = _with_open_items(served, served.collector)[0]
    page = client.get(f"/customers/{cid}")
    assert page.status_code == 200
    assert "No payment prediction yet" in page.text and "arcollect predict train" in page.text
    assert "Expected payment" not in page.text
    day = client.get("/worklist")
    assert day.status_code == 200 and 'data-testid="my-day"' in day.text
    assert "No payment prediction yet" in day.text


def test_my_day_counts_promises_due_today_and_broken_lately_of_the_portfolio_only(served):
    """A promise due today (still unpaid) and one broken 3 days ago count for their collector; one cancelled,
    and another collector's, do not. The broken one shows what is still unpaid."""
    today = served.ctx.clock.today()
    mine, theirs = _with_open_items(served, served.collector), _with_open_items(served, served.other)
    before = my_day.figures(served.ctx, as_of=today, collector=served.collector)
    worklists.add_promise(served.ctx, customer_id=mine[0], amount="120.00", promised_date=today)
    cancelled = worklists.add_promise(served.ctx, customer_id=mine[1], amount="80.00", promised_date=today)
    promises.cancel_promise(served.ctx, promise_id=cancelled["id"], note="wrong amount")
    worklists.add_promise(served.ctx, customer_id=theirs[0], amount="90.00", promised_date=today)
    earlier = dataclasses.replace(served.ctx, clock=FixedClock(dt.datetime.combine(
        today - dt.timedelta(days=9), dt.time(10), tzinfo=dt.timezone.utc)))
    worklists.add_promise(earlier, customer_id=mine[2], amount="40.00", promised_date=today - dt.timedelta(days=6))
    got = my_day.figures(served.ctx, as_of=today, collector=served.collector)
    assert got["promises_due"]["count"] == before["promises_due"]["count"] + 1
    assert mine[0] in {a["customer_id"] for a in got["promises_due"]["accounts"]}
    assert got["promises_broken"]["count"] == before["promises_broken"]["count"] + 1
    broken = next(a for a in got["promises_broken"]["accounts"] if a["customer_id"] == mine[2])
    assert broken["left"] == Decimal("40.00") and broken["deadline"] == (today - dt.timedelta(days=3)).isoformat()


def test_calls_due_are_the_worklist_accounts_with_a_call_due(served):
    """Calls due counts the accounts of the collector's worklist with a call task due today or earlier."""
    today = served.ctx.clock.today()
    worklists.run(served.ctx, as_of=today)
    listed = worklists.worklist(served.ctx, as_of=today, collector=served.collector, ensure=False)["items"]
    expected = {i["customer_id"] for i in listed
                if any(a["kind"] == "call" and a["due"] <= today.isoformat() for a in i["actions"])}
    calls = my_day.figures(served.ctx, as_of=today, collector=served.collector)["calls_due"]
    assert expected and calls["count"] == len(expected)
    assert {a["customer_id"] for a in calls["accounts"]} <= expected


def test_with_a_model_the_account_page_shows_each_invoice_and_my_day_the_cash_expected(served):
    """Trained: every open invoice of the account has its expected payment on the page, and My day shows the
    week's expected inflows as money per currency."""
    risk.train(served.ctx)
    client = served.browser(served.collector)
    cid = _with_open_items(served, served.collector)[0]
    page = client.get(f"/customers/{cid}")
    outlook = risk.account_outlook(served.ctx, customer_id=cid, as_of=served.ctx.clock.today())
    assert page.status_code == 200 and "Payment outlook" in page.text and "Expected payment" in page.text
    for key in outlook["invoices"]:
        assert f'data-testid="expected-{key}"' in page.text
    day = client.get("/worklist")
    figures = my_day.figures(served.ctx, as_of=served.ctx.clock.today(), collector=served.collector)
    assert figures["inflows"] is not None
    for w in figures["inflows"]["currencies"]:
        assert f'data-testid="inflow-{w["currency"]}"' in day.text
