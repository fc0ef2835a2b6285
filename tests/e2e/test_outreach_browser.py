"""Outreach in a real browser: an admin edits the English reminder with the live preview, the day's
dunning is queued, the admin approves one message and holds another in the outbox, the outbox sends over
a real SMTP server (aiosmtpd) with the edited subject, a reply from an unknown sender fetched from a
real IMAP server (Dovecot) is linked from the triage queue, and the statement PDF downloads from the
account page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pypdf
from sqlalchemy import update

from arcollect.outreach import mailbox, outbox
from arcollect.outreach.models import OutboxMessage
from tests.dovecot import Dovecot, mail
from tests.e2e.conftest import shoot


def _sign_in(page, live) -> None:  # noqa: ANN001
    page.goto("/login")
    page.fill("#login", "admin")
    page.fill("#password", live.served.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.base_url + "/")


def test_an_admin_edits_a_template_approves_holds_sends_and_triages(page, live, smtp):  # noqa: ANN001
    served = live.served
    inbox, port = smtp
    today = served.ctx.clock.today()
    _sign_in(page, live)

    # the template editor: live preview on a real account, then save
    page.get_by_text("Settings", exact=True).click()
    page.get_by_role("link", name="Templates").click()
    page.locator('#templates a[href="/templates/en/reminder"]').click()
    page.locator("#preview-subject").wait_for()
    source = page.input_value("#tpl-source")
    page.fill("#tpl-source", source.replace("{% block subject %}", "{% block subject %}[Please act] ", 1))
    page.locator("#preview-subject").filter(has_text="[Please act]").wait_for()  # htmx re-rendered it as we typed
    assert page.frame_locator("iframe.mail-preview").locator("table").count() == 1  # the open items table
    shoot(page, live, "template-editor")
    page.fill("#tpl-source", source.replace("{% block closing %}", "{% block closing %}{{ m.customer_name }", 1))
    page.locator("#template-problem").filter(has_text="en/reminder.j2:4:").wait_for()
    page.fill("#tpl-source", source.replace("{% block subject %}", "{% block subject %}[Please act] ", 1))
    page.get_by_role("button", name="Save as the next version").click()
    page.get_by_role("status").filter(has_text="Saved as version 1").wait_for()

    # the day's dunning is queued (as `arcollect dunning run --no-send` would); one message needs approval
    outbox.dunning_run(served.ctx, as_of=today, send=False)
    rows = outbox.list_outbox(served.ctx)
    reminders = [m for m in rows if m["step"] == "reminder" and m["language"] == "en"]
    assert reminders and all(m["subject"].startswith("[Please act] ") for m in reminders)
    waiting = rows[-1]
    with served.ctx.unit_of_work() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.id == int(waiting["id"])).values(status="awaiting_approval"))

    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("navigation", name="Status").get_by_role("link", name="awaiting approval").click()
    page.wait_for_url(re.compile("status=awaiting_approval"))
    page.locator(f'#outbox a.preview-link[href$="m={waiting["id"]}"]').click()  # the row's message, by its step
    page.get_by_role("heading", name=waiting["subject"]).wait_for()
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_role("status").filter(has_text="Approved").wait_for()
    held = next(m for m in reminders if m["id"] != waiting["id"])
    page.goto(f"/outbox?m={held['id']}")
    assert page.locator("h2").first.inner_text().startswith("[Please act]")
    page.fill("#hold-note", "customer paid by phone")
    page.get_by_role("button", name="Hold", exact=True).click()
    page.get_by_role("status").filter(has_text="Held").wait_for()
    page.goto("/outbox")
    shoot(page, live, "outbox")

    # the outbox sends what is due in the recipients' business hours, over real SMTP
    sending = dataclasses.replace(served.ctx, settings=served.ctx.settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "mail_from": "ar@acme.example", "smtp_rate_per_minute": 100000}))
    for _ in range(15):
        outbox.send_due(sending, pause=False)
        served.ctx.clock.advance(dt.timedelta(hours=1))
    subjects = {str(m["Subject"]) for _, _, m in inbox.messages}
    assert waiting["subject"] in subjects and held["subject"] not in subjects
    assert {m["subject"] for m in reminders if m["id"] != held["id"]} <= subjects
    assert len(inbox.messages) == len(outbox.list_outbox(served.ctx, status="sent"))

    # a reply from an unknown address, fetched from a real IMAP server, waits in triage; link it
    server = Dovecot().start()
    try:
        server.deliver(mail({"From": "Treasury <treasury@unknown-payer.example>", "To": "ar@acme.example",
                             "Subject": "Payment next week", "Message-ID": "<unknown-1@unknown-payer.example>"},
                            "Hello, we will settle everything next week. Regards, Treasury"))
        reading = dataclasses.replace(served.ctx, settings=served.ctx.settings.model_copy(update=server.settings()))
        assert mailbox.fetch_mail(reading)["triage"] == 1
    finally:
        server.stop()
    _sign_in(page, live)  # 15 hours have passed since sign-in: the 12-hour session has ended
    page.get_by_role("link", name="Triage").click()
    page.get_by_role("heading", name=re.compile("Payment next week")).wait_for()
    shoot(page, live, "triage")
    customer = held["customer_id"]
    page.get_by_label("Customer id").fill(customer)
    page.get_by_role("button", name="Link to the account").click()
    page.wait_for_url(re.compile(f"/customers/{customer}$"))
    assert "linked from triage: Payment next week" in page.locator("body").inner_text()

    # the statement of account downloads from the account page, with the account's open items
    with page.expect_download() as download:
        page.get_by_role("link", name="statement of account").click()
    text = " ".join(pypdf.PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages[0].extract_text().split())
    assert customer in text and held["invoices"][0] in text
