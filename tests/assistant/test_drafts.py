"""Reply drafts: written in the customer's language from the triage, queued in the outbox awaiting approval
(nothing sent before), edited by the collector, approved and sent over a real SMTP server; a dispute's draft
names its case number; an invoice copy carries the statement PDF; a language model's wording is used only
when it keeps every fact."""

from __future__ import annotations

import dataclasses
import json

import pytest

from arcollect.assistant import providers, service as assistant
from arcollect.disputes import service as disputes
from arcollect.outreach import outbox
from tests.assistant.llm_server import ChatServer
from tests.conftest import write_csv


def _mail(body: str, *, mid: str = "d1", subject: str = "AW: Zahlungserinnerung") -> bytes:
    return (f"From: Anna Schulz <ap@acme.example>\r\nTo: ar@us.example\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{mid}@acme.example>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()


PROMISE_DE = _mail("Guten Tag, wir werden die Rechnung INV-1001 bis Freitag bezahlen.\r\n\r\nMit freundlichen Grüßen\r\nAnna Schulz\r\n")


@pytest.fixture
def account(cli, tmp_path):  # noqa: ANN001, ANN201
    for kind, header, rows in (("customers", "customer_id,name,currency,language", ["C1,Acme GmbH,EUR,de"]),
                               ("invoices", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                                ["INV-1001,C1,2026-10-01,2026-10-31,1120.50,EUR", "INV-1002,C1,2026-10-05,2026-11-04,80.00,EUR"])):
        result = cli("import", kind, str(write_csv(tmp_path / f"{kind}.csv", header, *rows)))
        assert result.exit_code == 0, result.output
    return "C1"


def test_promise_draft_is_german_waits_for_approval_and_goes_out_as_edited(ctx, account, smtp) -> None:  # noqa: ANN001
    """The draft confirms date and amount the German way; nothing is sent before approval; drafting the same
    mail again gives the same draft; the collector's edit is what the customer receives."""
    d = assistant.draft(ctx, raw=PROMISE_DE)
    assert d["status"] == "awaiting_approval" and d["kind"] == "confirm_promise" and d["language"] == "de"
    assert d["to"] == ["ap@acme.example"] and d["subject"] == "AW: Zahlungserinnerung"
    assert "27. November 2026" in d["text"] and "1.120,50\xa0€" in d["text"] and "INV-1001" in d["text"]
    assert d["text"].startswith("Hallo Anna,")
    assert assistant.draft(ctx, raw=PROMISE_DE)["id"] == d["id"]
    inbox, port = smtp
    sending = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port}))
    assert outbox.send_due(sending, pause=False) == {"sent": 0, "suppressed": 0, "failed": 0} and not inbox.messages
    edited = assistant.edit_draft(ctx, message_id=d["id"], text=d["text"].replace("Hallo Anna,", "Liebe Frau Schulz,"))
    assert edited["text"].startswith("Liebe Frau Schulz,")
    outbox.approve(ctx, message_id=d["id"])
    assert outbox.send_due(sending, pause=False)["sent"] == 1
    (_, rcpt, message), = inbox.messages
    assert rcpt[:1] == ["ap@acme.example"] and "Liebe Frau Schulz," in message.get_body(("plain",)).get_content()
    with pytest.raises(Exception, match="only a draft awaiting approval"):
        assistant.edit_draft(ctx, message_id=d["id"], subject="too late")


def test_dispute_draft_names_the_case_number_in_french(ctx, account) -> None:  # noqa: ANN001
    case = disputes.open_dispute(ctx, invoices=[("INV-1002", None)], reason="pricing")
    case_id = str(case["id"] if isinstance(case, dict) else case)
    raw = _mail("Bonjour, le prix sur la facture INV-1002 est erroné, nous avions convenu d'un prix inférieur.",
                mid="d2", subject="RE: Relance")
    d = assistant.draft(ctx, raw=raw)
    assert d["kind"] == "acknowledge_dispute" and d["language"] == "fr"
    assert f"dossier {case_id}" in d["text"] and "INV-1002" in d["text"]


def test_dispute_draft_without_a_case_is_refused_and_stores_nothing(ctx, account) -> None:  # noqa: ANN001
    raw = _mail("The price on invoice INV-1002 is wrong.", mid="d3", subject="Re: reminder")
    with pytest.raises(Exception, match="no open dispute to acknowledge"):
        assistant.draft(ctx, raw=raw)
    assert outbox.list_outbox(ctx) == []


def test_invoice_copy_draft_attaches_the_statement_in_spanish(cli, ctx, account) -> None:  # noqa: ANN001
    raw = _mail("Hola, ¿podrían enviarnos una copia de la factura INV-1001? No la encontramos.", mid="d4",
                subject="RE: Recordatorio de pago")
    path = ctx.settings.home / "copy.eml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    result = cli("assistant", "draft", str(path), "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["kind"] == "invoice_copy" and d["language"] == "es" and d["attachment"] == "statement-C1.pdf"
    assert "extracto de su cuenta con INV-1001" in d["text"]
    listed = json.loads(cli("outbox", "list", "--status", "awaiting_approval", "--format", "json").stdout)
    assert [m["id"] for m in listed] == [d["id"]]


def test_llm_wording_is_used_only_when_it_keeps_the_facts(ctx, account) -> None:  # noqa: ANN001
    with ChatServer() as server:
        client = providers.OpenAICompatible(base_url=server.url, model="m", timeout=5)
        server.answer({"subject": "Ihre Zahlung", "text": "Danke! Wir erwarten 1.120,50\xa0€ für INV-1001 am 27. November 2026."})
        # the triage request gets the same content: invalid for the triage schema, so triage stays offline
        good = assistant.draft(ctx, raw=PROMISE_DE, provider=client)
        assert good["llm"]["used"] is True and good["text"].startswith("Danke!")
        server.answer({"subject": "Ihre Zahlung", "text": "Danke, wir erwarten Ihre Zahlung bald."})
        kept = assistant.draft(ctx, raw=_mail("Wir werden INV-1001 bis Freitag bezahlen.", mid="d5"), provider=client)
    assert kept["llm"]["used"] is False and "dropped" in kept["llm"]["fallback"]
    assert kept["text"].startswith("Hallo Anna,")
