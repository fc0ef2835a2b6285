"""Disputes and escalations in a real browser: a collector opens a dispute from the account page and
routes an action item to Billing, the Billing stakeholder answers it from their inbox, a credit note import
closes the case, the collector proposes a credit hold and a manager approves it from the escalation queue
— every step on the account's timeline."""

from __future__ import annotations

import re

from arcollect.disputes import service as disputes
from arcollect.ledger import service as ledger
from tests.conftest import write_csv
from tests.e2e.conftest import shoot


def _sign_in(page, live, login: str, landing: str = "/") -> None:  # noqa: ANN001
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", live.served.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.base_url + landing)


def test_dispute_to_credit_note_and_an_approved_escalation(chromium, live, tmp_path):  # noqa: ANN001
    served = live.served
    ctx = served.ctx
    today = ctx.clock.today()
    customer = next(cid for cid in sorted(served.customers_of(served.collector))
                    if ledger.customer_overview(ctx, customer_id=cid, as_of=today).open_items)
    item = ledger.customer_overview(ctx, customer_id=customer, as_of=today).open_items[0]

    def browser_page():  # noqa: ANN202
        context = chromium.new_context(base_url=live.base_url, viewport={"width": 1360, "height": 900})
        return context.new_page()

    # the collector opens a dispute from the account page and asks Billing for the credit note
    collector = browser_page()
    _sign_in(collector, live, served.collector)
    collector.goto(f"/customers/{customer}")
    collector.get_by_label(f"Select {item['invoice_id']}").check()
    collector.select_option("#d-reason", "billing_error")
    collector.fill("#d-note", "VAT charged twice")
    collector.get_by_role("button", name="Open dispute").click()
    collector.wait_for_url(re.compile(r"/disputes/\d+"))
    dispute_id = collector.url.split("/disputes/")[1].split("?")[0]
    assert collector.locator("#dispute-status").inner_text() == "open"
    collector.fill("#i-title", "Issue the credit note for the VAT")
    collector.get_by_role("button", name="Add").click()
    collector.get_by_role("status").filter(has_text="Action item added").wait_for()

    # the Billing stakeholder lands on their inbox and answers
    stan = browser_page()
    _sign_in(stan, live, "stan", landing="/inbox")
    stan.locator("#inbox").get_by_text("Issue the credit note for the VAT").wait_for()
    stan.locator("#inbox").get_by_text("Billing error: review the claim").wait_for()  # the dispute's own item
    shoot(stan, live, "stakeholder-inbox")
    for title, answer in (("Billing error: review the claim", "VAT was charged twice, agreed"),
                          ("Issue the credit note for the VAT", "CN-77 issued today")):
        entry = stan.locator("#inbox li").filter(has_text=title)
        entry.locator("textarea[name=answer]").fill(answer)
        with stan.expect_navigation():
            entry.get_by_role("button", name="Answer and mark done").click()
        stan.get_by_role("status").filter(has_text="Answer saved").wait_for()
    assert stan.locator("#inbox").get_by_text("Nothing waiting for your team").count() == 1

    # the collector resolves the case with a credit note; it stays resolved until the ledger shows it
    collector.reload()
    collector.locator("#action-items").get_by_text("CN-77 issued today").wait_for()
    collector.select_option("#w-status", "in_review")
    collector.get_by_role("button", name="Save", exact=True).click()
    collector.get_by_role("status").filter(has_text="Saved").wait_for()
    collector.select_option("#w-status", "resolved")
    collector.select_option("#w-resolution", "credit_note")
    collector.select_option("#w-root", "billing_process")
    collector.get_by_role("button", name="Save", exact=True).click()
    collector.locator("#dispute-status").filter(has_text="resolved").wait_for()
    shoot(collector, live, "dispute")

    # the credit note arrives with the next ERP import and closes the case
    open_now = disputes.detail(ctx, dispute_id=dispute_id)["items"][0]["open_now"]
    write_csv(tmp_path / "cn.csv", "credit_note_id,customer_id,issue_date,amount,applies_to",
              f"CN-77,{customer},{today.isoformat()},{open_now},{item['invoice_id']}")
    assert not ledger.import_file(ctx, kind="credit-notes", path=tmp_path / "cn.csv").errors
    assert disputes.after_import(ctx, "credit-notes") == [dispute_id]
    collector.reload()
    assert collector.locator("#dispute-status").inner_text() == "closed"

    # the collector proposes a credit hold; the manager approves it from the queue
    collector.goto(f"/customers/{customer}")
    collector.locator("summary", has_text="Propose an escalation").click()
    collector.select_option("#x-action", "credit_hold")
    collector.fill("#x-note", "customer keeps ordering while 60+ days late")
    collector.get_by_role("button", name="Propose").click()
    collector.wait_for_url(re.compile(r"/escalations"))
    collector.get_by_role("status").filter(has_text="needs manager or admin").wait_for()

    mona = browser_page()
    _sign_in(mona, live, "mona")
    mona.get_by_role("link", name="Escalations").click()
    mona.locator("#escalations").get_by_text(customer).first.wait_for()
    mona.locator("#escalations tr", has_text=customer).get_by_role("link").last.click()  # the customer (the # column steps aside below 1440 px)
    beside = mona.get_by_role("region", name="Case history")
    beside.get_by_text("“customer keeps ordering while 60+ days late”").wait_for()  # the case beside the queue
    assert beside.get_by_role("link", name=f"Dispute {dispute_id}", exact=True).count() == 1
    shoot(mona, live, "escalation-queue")
    mona.locator("#decide-form").get_by_role("button", name="Approve").click()
    mona.get_by_role("status").filter(has_text="completed").wait_for()

    # all of it is on the account's timeline
    collector.goto(f"/customers/{customer}")
    assert collector.locator("text=credit hold").first.is_visible()
    timeline = collector.locator(".timeline").inner_text()
    for expected in ("opened — Billing error", "Billing answered", "resolved → closed", "approved by mona",
                     "account on credit hold"):
        assert expected in timeline, (expected, timeline)
