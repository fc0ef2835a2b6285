"""Inbound mail from a real IMAP server (a private Dovecot): replies, forwards, auto-replies, bounces
and a remittance attachment are fetched, linked to the right customer and message, sanitised, moved
to the processed folder — and never fetched twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Iterator

import pytest
from sqlalchemy import select

from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact
from arcollect.outreach import mailbox, outbox
from arcollect.outreach.inbound import parse
from tests.conftest import write_csv
from tests.dovecot import Dovecot, mail

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot().start()
    yield server
    server.stop()


def _clear(server: Dovecot) -> None:
    with server.client() as c:
        for folder in ("INBOX", "Processed"):
            if c.folder_exists(folder):
                c.select_folder(folder)
                uids = c.search("ALL")
                if uids:
                    c.delete_messages(uids)
                    c.expunge()


def _ctx(ctx, smtp_port: int, server: Dovecot):  # noqa: ANN001, ANN202
    return dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "mail_from": "ar@acme.example", "smtp_rate_per_minute": 100000,
        **server.settings()}))


def _book(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,timezone", "C1,Acme,GBP,GB,Europe/London",
              "C2,Beta,GBP,GB,Europe/London")
    write_csv(tmp_path / "ct.csv", "customer_id,email,name,role,primary", "C1,ap@acme-buyer.example,Ann,ap,true",
              "C2,ap@beta-buyer.example,Bob,ap,true")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              "INV-100,C1,2026-10-01,2026-11-10,500.00,GBP", "INV-200,C2,2026-10-01,2026-11-25,700.00,GBP")
    for kind, name in (("customers", "c"), ("contacts", "ct"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def test_replies_forwards_auto_replies_bounces_and_remittances_are_linked(ctx, smtp, dovecot, tmp_path):
    inbox, port = smtp
    _clear(dovecot)
    ctx = _ctx(ctx, port, dovecot)
    _book(ctx, tmp_path)
    run = outbox.dunning_run(ctx, as_of=TODAY, pause=False)
    assert run["sent"] == 2  # C1's reminder, C2's courtesy reminder
    sent = next(m for m in outbox.list_outbox(ctx, status="sent") if m["customer_id"] == "C1")
    remittance = ("--B\r\nContent-Type: text/plain\r\n\r\nPayment of 700.00 sent today, advice attached.\r\n"
                  "--B\r\nContent-Type: text/csv; name=remittance.csv\r\nContent-Disposition: attachment; filename=remittance.csv\r\n\r\n"
                  "invoice,amount\r\nINV-200,700.00\r\n--B--")
    dsn = ("--R\r\nContent-Type: text/plain\r\n\r\nDelivery to ap@acme-buyer.example failed.\r\n"
           "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
           "Final-Recipient: rfc822; ap@acme-buyer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--R--")
    dovecot.deliver(
             mail({"From": "Ann <ap@acme-buyer.example>", "To": "ar@acme.example", "Subject": "Re: " + sent["subject"],
                    "Message-ID": "<reply-1@acme-buyer.example>", "In-Reply-To": sent["message_id"]},
                   "We will pay on Friday."),
             mail({"From": "boss@gmail.com", "To": "ar@acme.example", "Subject": "Fwd: question about INV-200",
                    "Message-ID": "<fwd-1@gmail.com>"}, "---------- Forwarded message ----------\nIs INV-200 right?"),
             mail({"From": "ap@beta-buyer.example", "To": "ar@acme.example", "Subject": "Automatic reply: invoices",
                    "Message-ID": "<auto-1@beta-buyer.example>", "Auto-Submitted": "auto-replied"}, "I am out until Monday."),
             mail({"From": "MAILER-DAEMON@mx.example", "To": "ar@acme.example", "Subject": "Undelivered Mail Returned to Sender",
                    "Message-ID": "<dsn-1@mx.example>"}, dsn, 'multipart/report; report-type=delivery-status; boundary="R"'),
             mail({"From": "payments@beta-buyer.example", "To": "ar@acme.example", "Subject": "Remittance advice",
                    "Message-ID": "<remit-1@beta-buyer.example>"}, remittance, 'multipart/mixed; boundary="B"'),
             mail({"From": "stranger@gmail.com", "To": "ar@acme.example", "Subject": "hello",
                    "Message-ID": "<x-1@gmail.com>"}, "<p>hi</p><script>alert(1)</script>", "text/html"))
    counts = mailbox.fetch_mail(ctx)
    assert counts.pop("proposals") >= 2  # the assistant proposes (the promise, the pause of the auto-reply …)
    assert counts == {"fetched": 6, "linked": 5, "triage": 1, "bounces": 1, "duplicates": 0, "advices": 1,
                      "advices_attached": 0}  # the remittance advice is read (cashapp), no bank line for it yet
    c1 = {m["subject"]: m for m in mailbox.inbound_of(ctx, customer_id="C1")}
    c2 = {m["subject"]: m for m in mailbox.inbound_of(ctx, customer_id="C2")}
    reply = c1["Re: " + sent["subject"]]
    assert reply["kind"] == "reply" and reply["match"] == "answers our message" and reply["answers"] == sent["id"]
    assert c1["Undelivered Mail Returned to Sender"]["kind"] == "bounce"
    assert c2["Fwd: question about INV-200"]["kind"] == "forward" and c2["Fwd: question about INV-200"]["match"] == "invoice number in the text"
    assert c2["Automatic reply: invoices"]["kind"] == "auto_reply"
    assert c2["Remittance advice"]["match"] == "sender's domain beta-buyer.example"
    assert c2["Remittance advice"]["attachments"] == [{"name": "remittance.csv", "type": "text/csv"}]
    [stray] = mailbox.triage(ctx)
    assert stray["from"] == "stranger@gmail.com"
    with ctx.sessions() as s:
        from arcollect.outreach.models import InboundMessage

        html = s.scalar(select(InboundMessage.body_html).where(InboundMessage.message_id == "<x-1@gmail.com>"))
        assert "<script>" not in html and "<p>hi</p>" in html
        assert s.scalar(select(Contact.bouncing_since).where(Contact.email == "ap@acme-buyer.example")) is not None
    # processed mail left the inbox; a second fetch finds nothing, a re-delivered copy is not stored twice
    with dovecot.client() as c:
        assert c.select_folder("INBOX")[b"EXISTS"] == 0 and c.select_folder("Processed")[b"EXISTS"] == 6
    assert mailbox.fetch_mail(ctx)["fetched"] == 0
    dovecot.deliver(mail({"From": "ap@beta-buyer.example", "Subject": "Automatic reply: invoices",
                             "Message-ID": "<auto-1@beta-buyer.example>"}, "again"))
    assert mailbox.fetch_mail(ctx) == {"fetched": 0, "linked": 0, "triage": 0, "bounces": 0, "duplicates": 1,
                                       "advices": 0, "advices_attached": 0, "proposals": 0}
    # the reply is on C1's timeline; the bouncing address gets no more mail
    from arcollect.promises import service as promises

    assert any("We will pay on Friday" in e["text"] for e in promises.timeline(ctx, customer_id="C1"))
    assert ledger.list_contacts(ctx, scope=ledger.EVERYTHING, customer_id="C1")[0]["bouncing"] is True


def test_parsing_without_a_message_id_still_identifies_the_message():
    raw = mail({"From": "a@b.example", "Subject": "no id"}, "text")
    first, second = parse(raw), parse(raw)
    assert first.message_id == second.message_id and first.message_id.startswith("<sha256-")
    assert first.kind == "reply" and first.text.strip() == "text"
