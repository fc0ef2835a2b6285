"""/api/v1/assistant: triage one raw customer email (CONTRACT §11) — thin: read the body → the service."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.assistant import service as assistant
from arcollect.assistant.intents import INTENTS
from arcollect.auth.permissions import WORK
from arcollect.errors import InvalidInput

router = APIRouter(tags=["assistant"])


class Promise(BaseModel):
    date: str
    amount: str | None


class Dispute(BaseModel):
    reason: str


class Action(BaseModel):
    model_config = ConfigDict(extra="allow")  # each kind carries its own details (date, amount, invoices, …)
    kind: Literal["record_promise", "open_dispute", "mark_paid_check_cash", "send_invoice_copy", "snooze_until",
                  "update_contact", "propose_payment_plan"]
    needs_approval: Literal[True]


class TriageRead(BaseModel):
    customer_id: str | None
    intent: Literal[INTENTS]  # type: ignore[valid-type]
    confidence: float
    invoices: list[str]
    promise: Promise | None
    dispute: Dispute | None
    actions: list[Action]
    evidence: list[str]
    language: str
    link: str | None
    as_of: str
    facts: dict[str, Any]
    text: str
    llm: dict[str, Any] | None = None  # the language model used, if any: provider, used, fallback, masked


_BODY = {"requestBody": {"required": True, "description": "One raw email (RFC 5322) as it arrived",
                         "content": {"text/plain": {"schema": {"type": "string", "pattern": r"\S", "maxLength": 2000000}},
                                     "message/rfc822": {"schema": {"type": "string"}}}}}


@router.post("/assistant/triage", response_model=TriageRead, responses=responses(401, 403, 422),
             dependencies=[needs(WORK)], openapi_extra=_BODY)
async def triage(request: Request, ctx: Ctx, caller: Caller) -> TriageRead:
    """Read one email as if it had arrived in the mailbox: the account (within the caller's portfolio), the
    intent, the facts with their evidence and the actions proposed. Records nothing; every action needs approval."""
    raw = await request.body()
    if len(raw) > assistant.MAX_RAW:
        raise InvalidInput(f"the email is larger than {assistant.MAX_RAW} bytes")
    result = await run_in_threadpool(lambda: assistant.triage(acting(ctx, caller), raw=raw, scope=caller.scope))
    return TriageRead(**result)
