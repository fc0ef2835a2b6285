"""/api/v1 escalations (proposals, decisions under the approval matrix), instalment plans, the escalation
policy, case history PDFs and agency packages (thin: parse → service)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.api.routers.disputes import Amount, DisputedInvoice, Text
from arcollect.api.workbench_schemas import Day
from arcollect.auth.permissions import ASSIGN, ESCALATE, PLAYBOOK, READ
from arcollect.bounds import content_disposition
from arcollect.escalations import policy as E
from arcollect.escalations import service as esc
from arcollect.outreach import case_report

router = APIRouter(tags=["escalations"])
Action = Literal[tuple(E.ACTIONS)]  # type: ignore[valid-type]
Status = Literal[E.STATUSES]  # type: ignore[valid-type]
PDF = {200: {"content": {"application/pdf": {}}, "description": "PDF"}}


class InstalmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    due_on: Day
    amount: Amount


class EscalationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Annotated[str, Field(min_length=1, max_length=64)]
    action: Action
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    invoices: Annotated[list[DisputedInvoice], Field(max_length=500)] = []
    note: Text | None = None
    settle_amount: Amount | None = Field(None, description="settlement: what the customer pays")
    pay_by: Day | None = Field(None, description="settlement: the date to pay it by")
    instalments: Annotated[list[InstalmentIn], Field(max_length=60)] = []
    instalment_count: Annotated[int, Field(ge=1, le=60)] | None = None
    every_days: Annotated[int, Field(ge=1, le=366)] = 30
    first_due: Day | None = None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text | None = None


class EscalationRead(BaseModel):
    model_config = ConfigDict(extra="allow")  # the detail adds the case history and the plan
    id: str
    customer_id: str
    action: Action
    status: Status
    amount: str
    past_due: str
    currency: str
    rule: str | None
    reasons: list[str]
    details: dict[str, Any]
    approvers: list[str]
    proposed_on: dt.date
    proposed_by: str
    decided_by: str | None
    result: dict[str, Any]


class PolicyText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Annotated[str, Field(min_length=1, max_length=100_000)]


@router.get("/escalations", response_model=list[EscalationRead], responses=responses(401, 403, 422))
def escalation_list(ctx: Ctx, caller: Caller, status: Status | None = None, action: Action | None = None,
                    customer_id: Annotated[str | None, Query(max_length=64)] = None) -> list[EscalationRead]:
    """Escalations of the customers in the caller's scope, the oldest proposals first."""
    caller.require(READ)
    return [EscalationRead(**e) for e in esc.list_escalations(ctx, status=status, action=action, customer_id=customer_id,
                                                              scope=caller.scope)]


@router.post("/escalations", response_model=EscalationRead, status_code=201, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(ESCALATE)])
def escalation_propose(ctx: Ctx, caller: Caller, body: EscalationCreate) -> EscalationRead:
    """Propose an escalation for a decision (write-off: the invoices; settlement: the settled amount and
    date; payment plan: the instalments or their number)."""
    return EscalationRead(**esc.propose(
        acting(ctx, caller), customer_id=body.customer_id, action=body.action, currency=body.currency, note=body.note,
        invoices=[(i.invoice_id, i.amount) for i in body.invoices], settle_amount=body.settle_amount, pay_by=body.pay_by,
        instalments=[(i.due_on, i.amount) for i in body.instalments], instalment_count=body.instalment_count,
        every_days=body.every_days, first_due=body.first_due, scope=caller.scope))


@router.get("/escalations/{escalation_id}", response_model=EscalationRead, responses=responses(401, 403, 404))
def escalation_detail(ctx: Ctx, caller: Caller, escalation_id: str) -> EscalationRead:
    """An escalation with the account's case history (aging, timeline, promises, disputes, escalations)."""
    caller.require(READ)
    return EscalationRead(**esc.detail(ctx, escalation_id=escalation_id, scope=caller.scope))


def _decide(ctx: Any, caller: Any, escalation_id: str, approve: bool, body: Decision) -> EscalationRead:
    return EscalationRead(**esc.decide(acting(ctx, caller), escalation_id=escalation_id, approve=approve,
                                       role=caller.role, note=body.note, scope=caller.scope))


@router.post("/escalations/{escalation_id}/approve", response_model=EscalationRead,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(ESCALATE)])
def escalation_approve(ctx: Ctx, caller: Caller, escalation_id: str, body: Decision) -> EscalationRead:
    """Approve and carry out; 403 unless the escalation matrix lets the caller's role approve this action at
    this amount (and, with four eyes, the caller did not propose it)."""
    return _decide(ctx, caller, escalation_id, True, body)


@router.post("/escalations/{escalation_id}/reject", response_model=EscalationRead,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(ESCALATE)])
def escalation_reject(ctx: Ctx, caller: Caller, escalation_id: str, body: Decision) -> EscalationRead:
    """Reject a proposal (an approver of the matrix)."""
    return _decide(ctx, caller, escalation_id, False, body)


@router.post("/escalations/{escalation_id}/cancel", response_model=EscalationRead,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(ESCALATE)])
def escalation_cancel(ctx: Ctx, caller: Caller, escalation_id: str, body: Decision) -> EscalationRead:
    """Withdraw a proposal, or stop following an approved settlement or plan."""
    return EscalationRead(**esc.cancel(acting(ctx, caller), escalation_id=escalation_id, note=body.note,
                                       scope=caller.scope))


@router.get("/escalations/{escalation_id}/document", response_class=Response, responses={**responses(401, 403, 404), **PDF})
def escalation_document(ctx: Ctx, caller: Caller, escalation_id: str) -> Response:
    """The demand letter issued on approval."""
    caller.require(READ)
    pdf, name = esc.document(ctx, escalation_id=escalation_id, scope=caller.scope)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition("attachment", name)})


@router.get("/escalations/{escalation_id}/package", response_class=Response,
            responses={**responses(401, 403, 404, 409), 200: {"content": {"application/zip": {}}, "description": "zip"}})
def agency_package(ctx: Ctx, caller: Caller, escalation_id: str) -> Response:
    """The agency package of an approved placement: items.csv, case_history.pdf, placement.json."""
    caller.require(ESCALATE)
    data, name = case_report.agency_package(ctx, escalation_id=escalation_id, scope=caller.scope)
    return Response(data, media_type="application/zip", headers={"Content-Disposition": content_disposition("attachment", name)})


@router.get("/customers/{customer_id}/case-history", response_class=Response, responses={**responses(401, 403, 404), **PDF})
def case_history(ctx: Ctx, caller: Caller, customer_id: str) -> Response:
    """The account's case history as PDF: header, aging, contacts tried, timeline, promises, disputes,
    escalations and approvals."""
    caller.require(READ)
    pdf = case_report.case_history_pdf(ctx, customer_id=customer_id, scope=caller.scope)
    name = f"case-history-{customer_id}-{ctx.clock.today().isoformat()}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition("attachment", name)})


@router.get("/plans", response_model=list[dict[str, Any]], responses=responses(401, 403))
def plan_list(ctx: Ctx, caller: Caller, customer_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    """Instalment plans in the caller's scope with each instalment's status (open, kept, broken)."""
    caller.require(READ)
    return esc.plans(ctx, customer_id=customer_id, scope=caller.scope)


@router.get("/escalation-policy", response_model=dict[str, Any], responses=responses(401, 403))
def policy_show(ctx: Ctx, caller: Caller) -> dict[str, Any]:
    """The escalation policy in force (version 0: the built-in default) and its YAML."""
    caller.require(READ)
    active = esc.active_policy(ctx)
    return {"version": active.version, "name": active.policy.name, "source": active.source}


@router.put("/escalation-policy", response_model=dict[str, Any], responses=responses(401, 403, 422),
            dependencies=[needs(PLAYBOOK)])
def policy_load(ctx: Ctx, caller: Caller, body: PolicyText) -> dict[str, Any]:
    """Validate and put a new escalation policy in force (admins); 422 lists every problem with its line."""
    return esc.load_policy(acting(ctx, caller), text=body.source)


@router.post("/escalations/run", response_model=dict[str, Any], responses=responses(401, 403, 422),
             dependencies=[needs(ASSIGN)])
def escalation_run(ctx: Ctx, caller: Caller) -> dict[str, Any]:
    """Apply the policy now to the caller's scope (managers): new proposals, settlements and plans followed up."""
    return esc.run(acting(ctx, caller), scope=caller.scope)
