"""#18's done-when in a real browser: a customer's reply fetched over IMAP (a private Dovecot) shows in the
collector's triage queue with what the assistant read (the evidence highlighted) and its proposals; nothing
is recorded until the collector approves — with the keyboard — in Chromium at 1280 px; then the promise is on
the account's timeline and its invoice has left dunning."""

from __future__ import annotations

import dataclasses
import re

from arcollect.assistant import service as assistant
from arcollect.outreach import mailbox
from arcollect.promises import service as promises
from arcollect.worklist import service as worklists
from tests.assistant.replies import promising_reply
from tests.dovecot import Dovecot
from tests.e2e.conftest import shoot


def _dunned(ctx) -> set[str]:  # noqa: ANN001
    return {i for p in worklists.proposals(ctx, as_of=ctx.clock.today(), channel="email") for i in p["invoices"]}


def test_a_reply_fetched_over_imap_is_approved_in_the_browser_and_pauses_dunning(chromium, live) -> None:  # noqa: ANN001
    served = live.served
    ctx = served.ctx
    cid, inv, amount, raw = promising_reply(ctx, served.collector)
    assert inv in _dunned(ctx)
    promised_before = promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())
    server = Dovecot().start()
    try:
        server.deliver(raw)
        reading = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update=server.settings()))
        counts = mailbox.fetch_mail(reading)
    finally:
        server.stop()
    assert counts["linked"] == 1 and counts["proposals"] >= 1
    # nothing recorded before approval: no promise, the invoice still dunned
    assert promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today()) == promised_before
    assert inv in _dunned(ctx)

    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900}, locale="en-US",
                                   timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        page.fill("#login", served.collector)
        page.fill("#password", served.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/worklist|/$"))
        page.get_by_role("link", name="Triage").click()
        reply = page.get_by_role("region", name=re.compile("Reply from"))
        reply.get_by_role("heading", name=f"Re: payment reminder {inv}").wait_for()
        assert reply.locator(".badge.intent").inner_text() == "Promise to pay"
        assert reply.locator("pre.reply-text mark").filter(has_text=inv).count() == 1  # the evidence, highlighted
        assert "Pays by" in reply.locator("dl.found").inner_text()
        assert page.locator("#triage-keys").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing cut off at 1280 px
        shoot(page, live, "assistant-triage")

        # the keyboard: the first proposal is current; j / k move; a approves the current one
        current = page.locator(".proposal.current")
        assert "Record the promise to pay" in current.inner_text()
        page.keyboard.press("j")
        page.keyboard.press("k")
        assert "Record the promise to pay" in page.locator(".proposal.current").inner_text()
        page.keyboard.press("a")
        page.get_by_role("status").filter(has_text="Record the promise to pay: approved and done").wait_for()
        shoot(page, live, "assistant-triage-approved")
    finally:
        context.close()
    [promise] = [p for p in promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today()) if p not in promised_before]
    assert promise["invoices"] == [inv] and promise["amount"] == amount and promise["date"] == "2026-11-27"
    assert any(t["kind"] == "promise" and "2026-11-27" in t["text"] for t in promises.timeline(ctx, customer_id=cid))
    assert inv not in _dunned(ctx)  # the promise pauses dunning of its invoice
    [done] = [p for p in assistant.list_proposals(ctx, status="approved") if p["kind"] == "record_promise"]
    assert done["decided_by"] == served.collector


def test_the_account_page_shows_its_pending_proposals(chromium, live) -> None:  # noqa: ANN001
    served = live.served
    cid, inv, _, raw = promising_reply(served.ctx, served.collector)
    from tests.assistant.test_agent import Box

    mailbox.fetch_mail(served.ctx, mailbox_factory=lambda: Box(raw))
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900}, locale="en-US",
                                   timezone_id="UTC")
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("#login", served.collector)
        page.fill("#password", served.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/worklist|/$"))
        page.goto(f"/customers/{cid}")
        panel = page.get_by_role("region", name="The assistant's proposals")
        assert "Record the promise to pay" in panel.inner_text() and inv in panel.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        panel.get_by_text("Edit").first.click()
        shoot(page, live, "assistant-account")
    finally:
        context.close()
