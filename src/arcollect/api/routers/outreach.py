"""/api/v1 dunning, outbox, letters and inbound mail (thin: parse → service)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.api.workbench_schemas import Day
from arcollect.auth.permissions import ASSIGN, READ
from arcollect.bounds import DayQuery, content_disposition
from arcollect.outreach import documents, mailbox
from arcollect.outreach import outbox as outboxes

router = APIRouter(tags=["outreach"])
Status = Literal["queued", "awaiting_approval", "sending", "sent", "suppressed", "failed"]


class OutboxRead(BaseModel):
    id: str
    customer_id: str
    step: str
    status: Status
    to: list[str]
    subject: str
    language: str
    as_of: dt.date
    invoices: list[str]
    not_before: dt.datetime
    sent_at: dt.datetime | None
    message_id: str
    note: str | None
    attachment: str | None = None


class DunningRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Day | None = None
    dry_run: bool = False


class InboundRead(BaseModel):
    id: str
    kind: Literal["reply", "auto_reply", "bounce", "forward"]
    subject: str | None
    match: str | None = None
    answers: str | None = None
    attachments: list[dict[str, str]] = []
    model_config = ConfigDict(extra="allow")


@router.get("/outbox", response_model=list[OutboxRead], responses=responses(401, 403))
def outbox(ctx: Ctx, caller: Caller, status: Status | None = None,
           customer_id: Annotated[str | None, Query(max_length=64)] = None) -> list[OutboxRead]:
    """Dunning messages in the caller's scope, newest first."""
    caller.require(READ)
    return [OutboxRead(**m) for m in outboxes.list_outbox(ctx, status=status, scope=caller.scope, customer_id=customer_id)]


@router.post("/outbox/{message_id}/approve", response_model=dict[str, str], responses=responses(401, 403, 404, 409),
             dependencies=[needs(ASSIGN)])
def approve(ctx: Ctx, caller: Caller, message_id: str) -> dict[str, str]:
    """Approve a message whose step needs approval (managers, admins)."""
    return outboxes.approve(acting(ctx, caller), message_id=message_id, scope=caller.scope)


@router.post("/dunning/run", response_model=dict[str, Any], responses=responses(401, 403), dependencies=[needs(ASSIGN)])
def dunning(ctx: Ctx, caller: Caller, body: DunningRun) -> dict[str, Any]:
    """The day's dunning for the whole book (managers without a team, admins); `dry_run` stores nothing."""
    if not caller.scope.everything:
        from arcollect.errors import PermissionDenied

        raise PermissionDenied("the dunning run covers the whole book: an admin or a manager without a team")
    return outboxes.dunning_run(acting(ctx, caller), as_of=body.as_of or ctx.clock.today(), dry_run=body.dry_run)


@router.get("/customers/{customer_id}/letters/{kind}", responses={**responses(401, 403, 404),
            200: {"content": {"application/pdf": {}}, "description": "the letter as PDF"}},
            response_class=Response)
def letter(ctx: Ctx, caller: Caller, customer_id: str, kind: Literal["statement", "final_notice", "demand"],
           as_of: DayQuery = None) -> Response:
    """A statement of account, final notice or demand letter (PDF)."""
    caller.require(READ)
    pdf, name = documents.letter(ctx, customer_id=customer_id, kind=kind, as_of=as_of, scope=caller.scope)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition("attachment", name)})


@router.get("/customers/{customer_id}/inbound", response_model=list[InboundRead], responses=responses(401, 403, 404))
def inbound(ctx: Ctx, caller: Caller, customer_id: str) -> list[InboundRead]:
    """Mail received from the customer (replies, auto-replies, bounces, forwards), newest first."""
    caller.require(READ)
    return [InboundRead(**m) for m in mailbox.inbound_of(ctx, customer_id=customer_id, scope=caller.scope)]


@router.get("/inbound/triage", response_model=list[dict[str, Any]], responses=responses(401, 403))
def triage(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """Inbound mail no customer could be matched to (managers, admins)."""
    caller.require(ASSIGN)
    return mailbox.triage(ctx)
