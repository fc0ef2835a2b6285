"""/api/v1/assistant: triage one raw customer email (CONTRACT §11); the proposals of fetched replies — list,
approve, edit and approve, reject — thin: read the body → the service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.assistant import service as assistant
from arcollect.assistant.agent import KINDS
from arcollect.assistant.agent_models import PROPOSAL_STATUSES
from arcollect.assistant.intents import INTENTS
from arcollect.auth.permissions import ADMIN, WORK
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
                  "update_contact", "propose_payment_plan"]  # log_reply is a proposal of a fetched reply only
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


# ---- proposals of fetched replies ------------------------------------------------------------------------

Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
Status = Literal[PROPOSAL_STATUSES]  # type: ignore[valid-type]


class ProposalRead(BaseModel):
    id: str
    triage_id: str
    customer_id: str | None
    currency: str | None
    kind: Kind
    label: str
    payload: dict[str, Any]
    evidence: list[str]
    confidence: float
    status: Status
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    original: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    editable: list[str]


class ProposalPage(BaseModel):
    items: list[ProposalRead]


class ProposalEdit(BaseModel):
    """The fields to change before approving (each kind lists its ``editable`` ones): date, amount, invoices,
    reason, team, note, email, paid_on, reference."""
    model_config = ConfigDict(extra="forbid")
    changes: dict[str, str | list[Annotated[str, Field(max_length=64)]] | None] = Field(max_length=10)


class ProposalReject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)


@router.get("/assistant/proposals", response_model=ProposalPage, responses=responses(401, 403, 404),
            dependencies=[needs(WORK)])
def proposals(ctx: Ctx, caller: Caller, customer_id: Annotated[str | None, Query(max_length=64)] = None,
              status: Status | None = "proposed") -> ProposalPage:
    """The assistant's proposals the caller may see (open ones unless ``status`` says otherwise), newest first."""
    rows = assistant.list_proposals(ctx, scope=caller.scope, customer_id=customer_id, status=status)
    return ProposalPage(items=[ProposalRead(**r) for r in rows])


@router.post("/assistant/proposals/{proposal_id}/approve", response_model=ProposalRead,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(WORK)])
def approve(ctx: Ctx, caller: Caller, proposal_id: str) -> ProposalRead:
    """Carry the proposal out as proposed (one transaction; refused: nothing changes, the proposal stays open
    with the error)."""
    return ProposalRead(**assistant.approve(acting(ctx, caller), proposal_id=proposal_id, scope=caller.scope,
                                            permissions=caller.permissions))


@router.post("/assistant/proposals/{proposal_id}/edit", response_model=ProposalRead,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(WORK)])
def edit(ctx: Ctx, caller: Caller, proposal_id: str, body: ProposalEdit) -> ProposalRead:
    """Change the proposal's editable fields and carry it out (status ``edited``; the original is kept)."""
    return ProposalRead(**assistant.approve(acting(ctx, caller), proposal_id=proposal_id, scope=caller.scope,
                                            changes=body.changes, permissions=caller.permissions))


@router.post("/assistant/proposals/{proposal_id}/reject", response_model=ProposalRead,
             responses=responses(401, 403, 404, 409), dependencies=[needs(WORK)])
def reject(ctx: Ctx, caller: Caller, proposal_id: str, body: ProposalReject | None = None) -> ProposalRead:
    """Turn the proposal down: nothing is done; audited."""
    return ProposalRead(**assistant.reject(acting(ctx, caller), proposal_id=proposal_id, scope=caller.scope,
                                           note=body.note if body else None))
class DraftRead(BaseModel):
    id: str
    customer_id: str
    status: str
    kind: Literal["confirm_promise", "acknowledge_dispute", "invoice_copy", "answer_question"]
    language: str
    to: list[str]
    subject: str
    text: str
    attachment: str | None
    llm: dict[str, Any] | None = None
    source: dict[str, Any] | None = None  # answer_question: the knowledge-base document the answer is from


class DraftUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    text: str | None = Field(default=None, min_length=1, max_length=20_000)


@router.post("/assistant/drafts", response_model=DraftRead, status_code=201, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(WORK)], openapi_extra=_BODY)
async def create_draft(request: Request, ctx: Ctx, caller: Caller,
                       kind: Literal["confirm_promise", "acknowledge_dispute", "invoice_copy",
                                     "answer_question"] | None = Query(None),
                       tone: Literal["friendly", "firm"] | None = Query(None),
                       dispute: str | None = Query(None, max_length=20)) -> DraftRead:
    """Draft the reply to one raw customer email and queue it in the outbox awaiting approval (the same email
    drafted twice gives the same draft)."""
    raw = await request.body()
    if len(raw) > assistant.MAX_RAW:
        raise InvalidInput(f"the email is larger than {assistant.MAX_RAW} bytes")
    result = await run_in_threadpool(lambda: assistant.draft(acting(ctx, caller), raw=raw, kind=kind, tone=tone,
                                                             dispute_id=dispute, scope=caller.scope))
    return DraftRead(**result)


@router.patch("/assistant/drafts/{message_id}", response_model=DraftRead, responses=responses(401, 403, 404, 409, 422),
              dependencies=[needs(WORK)])
def update_draft(message_id: str, body: DraftUpdate, ctx: Ctx, caller: Caller) -> DraftRead:
    """The collector's edit of a draft that awaits approval."""
    return DraftRead(**assistant.edit_draft(acting(ctx, caller), message_id=message_id, subject=body.subject,
                                            text=body.text, scope=caller.scope))


# ---- the assistant's settings (admins): auto-approval rules, the knowledge base's answers -----------------


class AutoRuleRead(BaseModel):
    kind: Kind
    label: str
    enabled: bool
    threshold: float | None
    source: Literal["admin", "setting"]  # admin: set on the settings page (it wins); setting: the env default
    default_enabled: bool
    default_threshold: float | None
    updated_by: str | None
    updated_at: dt.datetime | None


class AutoRulePage(BaseModel):
    items: list[AutoRuleRead]


class AutoRuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool
    threshold: float | None = Field(default=None, ge=0.5, le=1.0)


class AnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str = Field(min_length=1, max_length=200)
    answer: str = Field(min_length=1, max_length=4000)
    keywords: str = Field(default="", max_length=1000)
    language: Literal["en", "de", "fr", "es"] = "en"


class AnswerRead(BaseModel):
    id: str
    topic: str
    keywords: str
    language: str
    answer: str
    updated_by: str
    updated_at: dt.datetime


class AnswerPage(BaseModel):
    items: list[AnswerRead]


@router.get("/assistant/auto-approval", response_model=AutoRulePage, responses=responses(401, 403),
            dependencies=[needs(ADMIN)])
def auto_rules_list(ctx: Ctx) -> AutoRulePage:
    """Every action kind with its auto-approval rule in force and where it comes from."""
    return AutoRulePage(items=[AutoRuleRead(**r) for r in assistant.auto_approval_rules(ctx)])


@router.put("/assistant/auto-approval/{kind}", response_model=AutoRuleRead, responses=responses(401, 403, 422),
            dependencies=[needs(ADMIN)])
def auto_rule_set(ctx: Ctx, caller: Caller, kind: Kind, body: AutoRuleUpdate) -> AutoRuleRead:
    """Turn auto-approval of ``kind`` on (at ``threshold``) or off; it wins over the environment setting. Audited."""
    return AutoRuleRead(**assistant.set_auto_approval(acting(ctx, caller), kind=kind, enabled=body.enabled,
                                              threshold=body.threshold))


@router.delete("/assistant/auto-approval/{kind}", response_model=AutoRuleRead, responses=responses(401, 403, 422),
               dependencies=[needs(ADMIN)])
def auto_rule_reset(ctx: Ctx, caller: Caller, kind: Kind) -> AutoRuleRead:
    """Back to the environment setting's default for ``kind``. Audited."""
    return AutoRuleRead(**assistant.reset_auto_approval(acting(ctx, caller), kind=kind))


@router.get("/assistant/answers", response_model=AnswerPage, responses=responses(401, 403), dependencies=[needs(ADMIN)])
def answers_list(ctx: Ctx) -> AnswerPage:
    """The answers admins maintain for drafts that answer a customer's question."""
    return AnswerPage(items=[AnswerRead(**a) for a in assistant.list_answers(ctx)])


@router.post("/assistant/answers", response_model=AnswerRead, status_code=201, responses=responses(401, 403, 422),
             dependencies=[needs(ADMIN)])
def answer_add(ctx: Ctx, caller: Caller, body: AnswerCreate) -> AnswerRead:
    return AnswerRead(**assistant.add_answer(acting(ctx, caller), topic=body.topic, answer=body.answer,
                                           keywords=body.keywords, language_code=body.language))


@router.delete("/assistant/answers/{answer_id}", response_model=AnswerRead, responses=responses(401, 403, 404),
               dependencies=[needs(ADMIN)])
def answer_delete(ctx: Ctx, caller: Caller, answer_id: str) -> AnswerRead:
    return AnswerRead(**assistant.delete_answer(acting(ctx, caller), answer_id=answer_id))
