"""What the optional language model is asked, and how its answers are checked before they count: the triage
of a reply (JSON schema ``ModelTriage``) and the wording of a draft (``ModelDraft``). Text is masked first
(``masking``); an answer that is not valid JSON of the schema, quotes words the reply does not contain, names
a date out of range or drops a fact the draft must keep raises ``ProviderError`` — the caller then keeps its
offline result and records why."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from arcollect.assistant.intents import INTENTS
from arcollect.assistant.masking import Masker
from arcollect.assistant.providers import Provider, ProviderError, ask
from arcollect.disputes.workflow import REASONS

Short = Annotated[str, StringConstraints(max_length=300)]


class ModelTriage(BaseModel):
    """The model's reading of one reply."""

    model_config = ConfigDict(extra="forbid")
    intent: Literal[INTENTS]  # type: ignore[valid-type]
    confidence: float = Field(ge=0, le=1)
    invoices: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list, max_length=50)
    promise_date: dt.date | None = None
    promise_amount: Annotated[str, StringConstraints(pattern=r"^\d{1,12}(?:\.\d{1,4})?$")] | None = None
    dispute_reason: Literal[tuple(REASONS)] | None = None  # type: ignore[valid-type]
    evidence: list[Short] = Field(default_factory=list, max_length=10)


class ModelDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


TRIAGE_SYSTEM = (
    "You read a customer's reply to a payment reminder for an accounts-receivable team. Answer only with JSON "
    "of the given schema. intent is one of: " + ", ".join(INTENTS) + ". dispute_reason is one of: "
    + ", ".join(REASONS) + " (only for a dispute). promise_date is the ISO date the customer promises to pay "
    "(relative words resolved from the message date). promise_amount is a plain decimal number if the customer "
    "states one. invoices are the invoice numbers as written. evidence quotes the customer's exact words that "
    "decided it. Placeholders like [EMAIL_1] stand for masked personal data: keep them as they are.")


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def triage(provider: Provider, *, text: str, subject: str, as_of: dt.date, masker: Masker) -> dict[str, Any]:
    """The model's validated triage, unmasked: ``{"intent", "confidence", "invoices", "promise_date",
    "promise_amount", "reason", "evidence"}``. Raises ProviderError when the answer cannot be trusted."""
    sent_text, sent_subject = masker.mask(text[:8000]), masker.mask(subject[:500])
    user = f"Message date: {as_of.isoformat()}\nSubject: {sent_subject}\n\n{sent_text}"
    answer = ask(provider, system=TRIAGE_SYSTEM, user=user, answer=ModelTriage, name="triage")
    haystack = _squash(sent_text + " " + sent_subject)
    for quote in answer.evidence:
        if _squash(quote) not in haystack:
            raise ProviderError(f"the model quotes words the reply does not contain: {quote[:80]!r}")
    if answer.promise_date is not None and not as_of - dt.timedelta(days=1) <= answer.promise_date <= as_of + dt.timedelta(days=366):
        raise ProviderError(f"the model's promise date {answer.promise_date} is not within a year after the message")
    amount = None
    if answer.promise_amount is not None:
        try:
            amount = Decimal(answer.promise_amount)
        except InvalidOperation:  # pragma: no cover - the pattern already excludes it
            raise ProviderError("the model's amount is not a number") from None
    return {"intent": answer.intent, "confidence": round(answer.confidence, 2),
            "invoices": [masker.unmask(n) for n in answer.invoices if n.strip()],
            "promise_date": answer.promise_date, "promise_amount": amount, "reason": answer.dispute_reason,
            "evidence": [masker.unmask(q) for q in answer.evidence]}


DRAFT_SYSTEM = (
    "You improve the wording of a reply an accounts-receivable collector will send to a customer. Keep every "
    "fact, number, date, amount and case number exactly as written, write in the language given, in the tone "
    "given, no longer than the draft. Placeholders like [NAME_1] stand for masked personal data: keep them. "
    "Answer only with JSON of the given schema.")


def draft(provider: Provider, *, subject: str, text: str, language: str, tone: str, keep: list[str],
          masker: Masker) -> tuple[str, str]:
    """(subject, text) as the model words them, unmasked; every string in ``keep`` (case number, dates,
    amounts, invoice numbers) must still be in the text, else ProviderError."""
    user = (f"Language: {language}\nTone: {tone}\nFacts to keep verbatim: {'; '.join(masker.mask(k) for k in keep)}\n\n"
            f"Subject: {masker.mask(subject)}\n\n{masker.mask(text)}")
    answer = ask(provider, system=DRAFT_SYSTEM, user=user, answer=ModelDraft, name="draft")
    new_subject, new_text = masker.unmask(answer.subject), masker.unmask(answer.text)
    if re.search(r"\[(?:EMAIL|IBAN|PHONE|NAME)_\d+\]", new_text + new_subject):
        raise ProviderError("the model's draft has a placeholder the reply did not contain")
    for fact in keep:
        if fact and fact not in new_text:
            raise ProviderError(f"the model's draft dropped {fact!r}")
    return new_subject, new_text
