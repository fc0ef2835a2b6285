"""Drafts that answer a customer's question from the knowledge base: the section of the team's SOP (found
through Ask's index) or the admin's answer that holds the question's words, quoted in a draft written in the
customer's language, queued awaiting approval and citing the document; when nothing matches, no draft with
made-up words — the collector is told none was found, and nothing is queued."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from arcollect.assistant import knowledge, service as assistant, sops
from arcollect.audit import AuditEntry
from arcollect.errors import InvalidInput
from arcollect.outreach.models import OutboxMessage
from tests.assistant.test_agent import _book, _reply

SOP = b"""# Payment instructions

How customers pay us, for collectors answering questions.

## Bank details
Pay by bank transfer to Acme Collections Ltd, IBAN GB33BUKB20201555555555, BIC BUKBGB22. Quote the invoice number.

## Late fees
A late fee of 2 % a month is charged on invoices paid after their due date, as our terms of sale say.

## Escalation
Accounts 90 days past due go to the team lead.
"""


@pytest.fixture
def book(ctx, tmp_path):  # noqa: ANN001, ANN201
    _book(ctx, tmp_path)
    sops.upload(ctx, data=SOP, filename="payment-instructions.md")
    return ctx


def _outbox(ctx) -> int:  # noqa: ANN001
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_a_question_is_answered_from_the_sop_section_that_holds_it_awaiting_approval(book) -> None:  # noqa: ANN001
    ctx = book
    d = assistant.draft(ctx.acting_as("alice"), raw=_reply("Hello, what are your bank details? We want to pay.\n\nAnn"))
    assert d["kind"] == "answer_question" and d["status"] == "awaiting_approval" and d["customer_id"] == "C1"
    assert "IBAN GB33BUKB20201555555555, BIC BUKBGB22" in d["text"] and "late fee" not in d["text"]
    assert "“Payment instructions — Bank details”" in d["text"] and d["to"] == ["ap@acme-buyer.example"]
    assert d["source"] == {"kind": "sop", "id": "1", "title": "Payment instructions", "section": "Bank details",
                           "language": "en"}
    with ctx.sessions() as s:
        [row] = s.scalars(select(AuditEntry).where(AuditEntry.entity == "outbox", AuditEntry.action == "draft"))
    assert row.actor == "alice" and row.changes["source"]["title"] == "Payment instructions"
    again = assistant.draft(ctx, raw=_reply("Hello, what are your bank details? We want to pay.\n\nAnn"))
    assert again["id"] == d["id"] and again["source"] == d["source"] and _outbox(ctx) == 1


def test_a_spanish_question_gets_a_spanish_draft_quoting_the_late_fee_rule(book) -> None:  # noqa: ANN001
    d = assistant.draft(book, raw=_reply("Buenos días, ¿por qué nos cobraron un recargo por mora en la factura INV-100?"
                                         "\n\nSaludos, Ana", n=2), kind="answer_question")
    assert d["language"] == "es" and d["text"].startswith(("Estimados señores:", "Hola Ann"))
    assert "Gracias por su pregunta" in d["text"] or "En respuesta a su pregunta" in d["text"]
    assert "A late fee of 2 % a month" in d["text"] and d["source"]["section"] == "Late fees"


def test_an_admins_answer_in_the_customers_language_comes_before_the_sops(book) -> None:  # noqa: ANN001
    ctx = book
    assistant.add_answer(ctx.acting_as("admin"), topic="Can you send a W-9?", keywords="W-9 W9 tax form",
                         answer="Our signed W-9 is at https://us.example/w9.pdf.")
    de = assistant.add_answer(ctx, topic="Bankverbindung", keywords="IBAN Bankverbindung Konto",
                              answer="IBAN DE02 1203 0000 0000 2020 51, BIC BYLADEM1001", language_code="de")
    w9 = assistant.draft(ctx, raw=_reply("Hi, could you send us your W-9 form? Our vendor setup needs it.", n=3),
                         kind="answer_question")
    assert w9["source"]["kind"] == "answer" and "https://us.example/w9.pdf" in w9["text"]
    bank = assistant.draft(ctx, raw=_reply("Guten Tag, wie lautet Ihre Bankverbindung? Wir möchten überweisen.", n=4))
    assert bank["kind"] == "answer_question" and bank["language"] == "de"
    assert "IBAN DE02 1203 0000 0000 2020 51" in bank["text"] and bank["source"]["id"] == de["id"]
    assert "Hier die Antwort aus unserem Dokument „Bankverbindung“" in bank["text"]
    with ctx.sessions() as s:
        adds = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "assistant_answer")))
    assert [a.actor for a in adds] == ["admin", "test"] and adds[0].changes["topic"] == "Can you send a W-9?"


def test_nothing_found_means_no_draft_and_the_collector_is_told(book) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match="no answer found in the knowledge base .* looked up: .*weather"):
        assistant.draft(book, raw=_reply("What will the weather be like at your office next week?", n=5),
                        kind="answer_question")
    assert _outbox(book) == 0


def test_the_question_and_its_words_are_read_in_four_languages() -> None:
    assert knowledge.lookup("Why was I charged a late fee on INV-2?").keywords[:2] == ("late", "fee")
    assert "inv" not in knowledge.lookup("Why was I charged a late fee on INV-2?").keywords
    assert knowledge.topics("Quelles sont vos coordonnées bancaires ?") == ["bank details"]
    assert knowledge.topics("Können Sie uns die Verzugszinsen erklären?") == ["late fee"]
    assert knowledge.question("Thanks for the reminder.\nCan you send a W-9? We pay on Fridays.") == "Can you send a W-9?"
    look = knowledge.lookup("what are your bank details?")
    assert knowledge.best_section(look, SOP.decode())[1] == "Bank details"
    assert knowledge.best_section(knowledge.lookup("where is the parking?"), SOP.decode()) is None
