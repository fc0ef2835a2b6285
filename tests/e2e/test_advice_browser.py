"""An emailed remittance advice on the Cash page, in a real browser: a customer's AP mails a PDF advice for two
invoices, the bank line (payer name, useless text) applies straight through, and the line's detail lists the
advice — from, when, the invoices and amounts — with the reason naming it. Nothing is cut off at 1280 px."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from sqlalchemy import select

from arcollect.cashapp import service as cash
from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.money import format_money
from arcollect.outreach import mailbox
from tests.cashapp.advices import pdf
from tests.e2e.conftest import shoot

DAY = dt.date(2026, 11, 20)


class OneMessage:
    """The mailbox port holding one message (the real IMAP server is the service tests' business)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def fetch_new(self):  # noqa: ANN201
        return [(1, self.raw)]

    def done(self, uids) -> None:  # noqa: ANN001
        pass

    def close(self) -> None:
        pass


def test_the_cash_page_lists_the_emailed_advice_of_a_line_applied_with_it(chromium, live):  # noqa: ANN001
    served = live.served
    ctx = served.ctx
    today = ctx.clock.today()
    for cid in sorted(served.customers_of(served.collector)):
        items = ledger.customer_overview(ctx, customer_id=cid, as_of=today).open_items
        same = [i for i in items if i["currency"] == items[0]["currency"]] if items else []
        if len(same) >= 2:
            break
    a, b = same[:2]
    currency = a["currency"]
    with ctx.sessions() as s:
        name = s.scalar(select(Customer.name).where(Customer.customer_id == cid))
    total = a["open_amount"] + b["open_amount"]
    table = [["Invoice No.", "Amount Paid"], [a["invoice_id"], f"{a['open_amount']:.2f}"],
             [b["invoice_id"], f"{b['open_amount']:.2f}"], ["Total", f"{total:.2f}"]]
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"AP <ap@{cid.lower()}-pays.example>", "ar@ourcompany.example", "Remittance advice"
    msg["Message-ID"], msg["Date"] = "<advice-e2e@pays.example>", "Mon, 23 Nov 2026 08:15:00 +0000"
    msg.set_content("Please find our remittance advice attached.\nPayment date: 20.11.2026")
    msg.add_attachment(pdf(table, name), maintype="application", subtype="pdf", filename="remittance.pdf")
    counts = mailbox.fetch_mail(ctx, mailbox_factory=lambda: OneMessage(bytes(msg)))
    assert counts["advices"] == 1
    line = ParsedLine(booking_date=DAY, amount=total, currency=currency, reference="ADV-E2E", value_date=DAY,
                      payer_name=name.upper(), remittance=("SEPA CREDIT TRANSFER",), location="Ntry[1]")
    cash.store_statements(ctx, statements=[ParsedStatement(format="camt.053.001.02", account="DE89370400440532013000",
                                                          currency=currency, lines=(line,))], filename="day.xml")
    cash.match(ctx, as_of=today)
    row = next(ln for ln in cash.lines(ctx) if ln["reference"] == "ADV-E2E")
    assert row["status"] == "applied" and row["reasons"][0].startswith("remittance advice emailed by ap@")

    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900},
                                   locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("#login", "cash")
    page.fill("#password", served.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"/cash?line={row['id']}")
    box = page.locator(".advice")
    box.wait_for()
    text = box.inner_text()
    assert f"ap@{cid.lower()}-pays.example" in text and "paid on 2026-11-20" in text and "UTC" in text
    for item in (a, b):
        assert item["invoice_id"] in text and format_money(item["open_amount"], currency) in text
    assert "remittance advice emailed by" in page.locator("#review").inner_text()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    shoot(page, live, "cash-advice-1280")
    context.close()
