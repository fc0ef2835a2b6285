"""Emailed remittance advices on both databases, read by the real `mail fetch` from a private Dovecot: an advice
that comes before its bank line is attached when the line is imported and the line applies straight through;
one that comes after its waiting line attaches at once and the line is applied; one naming invoices that are
not ours attaches nothing and says why."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Iterator

import pytest

from arcollect.cashapp import service as cash
from arcollect.outreach import mailbox
from arcollect.promises import service as promises
from tests.cashapp.book import book, credit, statement
from tests.dovecot import Dovecot, mail

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def mailctx(ctx, dovecot, tmp_path):  # noqa: ANN001, ANN201
    with dovecot.client() as c:  # every test starts with an empty mailbox
        for folder in ("INBOX", "Processed"):
            if c.folder_exists(folder):
                c.select_folder(folder)
                if uids := c.search("ALL"):
                    c.delete_messages(uids)
                    c.expunge()
    ctx = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update=dovecot.settings()))
    book(ctx, tmp_path)
    return ctx


def _line(ctx, reference: str) -> dict:  # noqa: ANN001
    return next(ln for ln in cash.lines(ctx) if ln["reference"] == reference)


def _csv_advice(sender: str, message_id: str, rows: str, body: str = "Please find our payment advice attached.") -> bytes:
    multipart = (f"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
                 "--B\r\nContent-Type: text/csv; name=advice.csv\r\nContent-Disposition: attachment; filename=advice.csv\r\n\r\n"
                 f"{rows}\r\n--B--")
    return mail({"From": sender, "To": "ar@ourcompany.example", "Subject": "Payment advice",
                 "Message-ID": message_id}, multipart, 'multipart/mixed; boundary="B"')


def test_an_advice_before_its_bank_line_applies_the_line_straight_through(mailctx, dovecot):
    ctx = mailctx
    body = ("Remittance advice\n\nPayment date: 20.11.2026\n\nInvoice   Gross   Discount   Paid\n"
            "INV-1   1,000.00   20.00   980.00\nINV-2   400.00   0.00   400.00\nTotal: 1,380.00\n\nKind regards\nAcme AP")
    dovecot.deliver(mail({"From": "Acme Payments <acme.payments@gmail.com>", "To": "ar@ourcompany.example",
                          "Subject": "Remittance advice", "Message-ID": "<adv-1@mail.gmail.com>"}, body))
    counts = mailbox.fetch_mail(ctx)
    assert (counts["advices"], counts["advices_attached"], counts["linked"], counts["triage"]) == (1, 0, 1, 0)
    # a public mail domain says nothing: the invoices it names are C1's, so the message is C1's
    [msg] = mailbox.inbound_of(ctx, customer_id="C1")
    assert msg["match"] == "invoice number in the text"
    [waiting] = cash.remittance_advices(ctx, customer_id="C1")
    assert (waiting["status"], waiting["total"], waiting["line_id"]) == ("waiting", "1380.00", None)
    # the bank line: the payer's name, a useless text; a decoy of the same amount from someone else
    cash.store_statements(ctx, statements=[statement(credit("1380.00", "R10", "SEPA CREDIT TRANSFER", payer="ACME CORP"),
                                                     credit("1380.00", "R11", "SEPA CREDIT TRANSFER", payer="Unknown Trading Ltd"))],
                          filename="day.xml", sha256="a" * 64)
    [attached] = cash.remittance_advices(ctx, customer_id="C1")
    assert attached["status"] == "attached" and attached["line_id"] == _line(ctx, "R10")["id"]
    assert "payer 'ACME CORP' is 'Acme Corp'" in attached["note"]
    cash.match(ctx, as_of=TODAY)
    line = _line(ctx, "R10")
    assert line["status"] == "applied" and line["customer_id"] == "C1"
    assert line["applications"] == [{"invoice_id": "INV-1", "amount": "980.00"}, {"invoice_id": "INV-2", "amount": "400.00"}]
    assert line["reasons"][0] == "remittance advice emailed by acme.payments@gmail.com on 2026-11-23"
    assert _line(ctx, "R11")["status"] != "applied"  # the decoy got nothing from C1's advice
    detail = cash.line_detail(ctx, line_id=line["id"])
    [shown] = detail["advices"]
    assert (shown["from"], shown["payment_date"], shown["subject"]) == ("acme.payments@gmail.com", "2026-11-20", "Remittance advice")
    assert [(i["invoice_id"], i["amount"]) for i in shown["items"]] == [("INV-1", "980.00"), ("INV-2", "400.00")]
    assert cash.line_detail(ctx, line_id=_line(ctx, "R11")["id"])["advices"] == []
    # the account's timeline shows the advice as it shows other inbound mail
    assert any("Remittance advice received: Remittance advice" in e["text"] for e in promises.timeline(ctx, customer_id="C1"))


def test_an_advice_after_its_waiting_line_attaches_at_once_and_the_line_is_applied(mailctx, dovecot):
    ctx = mailctx
    cash.store_statements(ctx, statements=[statement(credit("322.00", "R20", "Zahlung", payer="Beta GmbH"))],
                          filename="day.xml", sha256="b" * 64)
    cash.match(ctx, as_of=TODAY)
    before = _line(ctx, "R20")
    assert before["status"] in ("unmatched", "proposed") and before["applications"] == []  # 322.00 fits no invoice
    rows = ("Rechnungsnummer;Rechnungsbetrag;Skonto;Zahlbetrag\r\nINV-3;250,00;5,00;245,00\r\n"
            "INV-4;80,00;3,00;77,00\r\nSumme;;;322,00")
    dovecot.deliver(_csv_advice("Bob <ap@beta.example>", "<adv-2@beta.example>", rows))
    counts = mailbox.fetch_mail(ctx)
    assert (counts["advices"], counts["advices_attached"]) == (1, 1)
    line = _line(ctx, "R20")
    assert line["status"] == "applied" and line["customer_id"] == "C2"
    assert line["applications"] == [{"invoice_id": "INV-3", "amount": "245.00"}, {"invoice_id": "INV-4", "amount": "77.00"}]
    assert line["reasons"][0] == "remittance advice emailed by ap@beta.example on 2026-11-23"
    [adv] = cash.remittance_advices(ctx, status="attached")
    assert adv["customer_id"] == "C2" and adv["line_id"] == line["id"]
    assert any("Remittance advice received: Payment advice (1 attachment(s)) — attached to bank line" in e["text"] for e in promises.timeline(ctx, customer_id="C2"))


def test_an_advice_naming_invoices_that_are_not_ours_attaches_nothing_and_says_why(mailctx, dovecot):
    ctx = mailctx
    cash.store_statements(ctx, statements=[statement(credit("250.00", "R30", "payment", payer="Beta GmbH"))],
                          filename="day.xml", sha256="c" * 64)
    dovecot.deliver(_csv_advice("ap@beta.example", "<adv-3@beta.example>",
                                "invoice,amount\r\nINV-77,100.00\r\nINV-78,150.00\r\nTotal,250.00"))
    counts = mailbox.fetch_mail(ctx)
    assert (counts["advices"], counts["advices_attached"]) == (1, 0)
    [adv] = cash.remittance_advices(ctx, customer_id="C2")
    assert adv["status"] == "unusable" and adv["line_id"] is None
    assert adv["note"] == "names no invoice of ours (INV-77, INV-78): attached to no bank line"
    assert [i["invoice_id"] for i in adv["items"]] == [None, None]
    cash.match(ctx, as_of=TODAY)  # matching later does not pick it up either
    line = _line(ctx, "R30")
    assert cash.line_detail(ctx, line_id=line["id"])["advices"] == []
    assert not any("remittance advice" in r for r in line["reasons"])
    assert any("names no invoice of ours" in e["text"] for e in promises.timeline(ctx, customer_id="C2"))


def test_an_attached_advice_from_a_stranger_links_its_message_and_is_stored_once(mailctx, dovecot):
    ctx = mailctx
    raw = _csv_advice("beta.ap@gmail.com", "<adv-4@mail.gmail.com>", "invoice,amount\r\nINV-3,250.00")
    dovecot.deliver(raw)
    counts = mailbox.fetch_mail(ctx)
    assert (counts["advices"], counts["linked"], counts["triage"]) == (1, 1, 0)
    [msg] = mailbox.inbound_of(ctx, customer_id="C2")  # only the attachment names the invoice: it is C2's
    assert msg["match"] == "remittance advice names its invoices"
    dovecot.deliver(raw)
    assert mailbox.fetch_mail(ctx)["duplicates"] == 1
    assert len(cash.remittance_advices(ctx)) == 1
    assert cash.remittance_advices(ctx)[0]["total"] == "250.00" and Decimal(cash.remittance_advices(ctx)[0]["total"]) == 250
