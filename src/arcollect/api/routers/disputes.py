"""/api/v1 dispute cases and their action items (thin: parse → service)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.api.workbench_schemas import Day
from arcollect.auth.permissions import ANSWER, DISPUTE
from arcollect.bounds import AMOUNT_PATTERN
from arcollect.disputes import service as disputes
from arcollect.disputes import workflow as D

router = APIRouter(tags=["disputes"])
Reason = Annotated[str, Field(min_length=1, max_length=32)]
Team = Literal[tuple(D.TEAMS)]  # type: ignore[valid-type]
Status = Literal[D.STATUSES]  # type: ignore[valid-type]
Text = Annotated[str, Field(max_length=4000)]
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, description="e.g. 120.50")]


class DisputedInvoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: Annotated[str, Field(min_length=1, max_length=64)]
    amount: Amount | None = Field(None, description="the disputed part (default: the whole open amount)")


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoices: Annotated[list[DisputedInvoice], Field(min_length=1, max_length=200)]
    reason: Reason
    team: Team | None = None
    priority: Literal[D.PRIORITIES] = "normal"  # type: ignore[valid-type]
    note: Text | None = None
    sla_days: Annotated[int, Field(ge=1, le=365)] | None = None


class DisputeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    resolution: Literal[D.RESOLUTIONS] | None = None  # type: ignore[valid-type]
    root_cause: Literal[D.ROOT_CAUSES] | None = None  # type: ignore[valid-type]
    team: Team | None = None
    priority: Literal[D.PRIORITIES] | None = None  # type: ignore[valid-type]
    comment: Text | None = None


class DisputeRead(BaseModel):
    model_config = ConfigDict(extra="allow")  # the detail adds items, action items and events
    id: str
    customer_id: str
    status: Status
    reason: str
    team: str
    priority: str
    amount: str
    currency: str
    sla_due: dt.date
    sla_breached: bool
    resolution: str | None
    invoices: list[str]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, Field(min_length=1, max_length=500)]
    team: Team | None = None
    assignee: Annotated[str, Field(max_length=128)] | None = None
    due_on: Day | None = None


class ItemAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Annotated[str, Field(min_length=1, max_length=4000)]
    done: bool = True


class ItemRead(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    dispute_id: str
    title: str
    team: str
    due_on: dt.date
    status: Literal["open", "done", "cancelled"]
    overdue: bool


@router.get("/disputes/reasons", response_model=dict[str, str], responses=responses(401))
def reasons(ctx: Ctx, caller: Caller) -> dict[str, str]:
    """Reason codes in force (defaults + ARCOLLECT_DISPUTE_REASONS) with their labels."""
    disputes.case_scope(caller)
    return disputes.reasons(ctx)


@router.get("/disputes", response_model=list[DisputeRead], responses=responses(401, 403, 422))
def dispute_list(ctx: Ctx, caller: Caller, status: Status | None = None, team: Team | None = None,
                 customer_id: Annotated[str | None, Query(max_length=64)] = None) -> list[DisputeRead]:
    """Disputes in the caller's scope (a stakeholder: their team's), the nearest SLA first."""
    return [DisputeRead(**d) for d in disputes.list_disputes(ctx, status=status, team=team, customer_id=customer_id,
                                                              scope=disputes.case_scope(caller))]


@router.post("/disputes", response_model=DisputeRead, status_code=201, responses=responses(401, 403, 404, 422),
             dependencies=[needs(DISPUTE)])
def dispute_open(ctx: Ctx, caller: Caller, body: DisputeCreate) -> DisputeRead:
    """Open a dispute on invoices of one customer in scope (whole, or a disputed amount each)."""
    opened = disputes.open_dispute(acting(ctx, caller), invoices=[(i.invoice_id, i.amount) for i in body.invoices],
                                   reason=body.reason, team=body.team, priority=body.priority, note=body.note,
                                   sla_days=body.sla_days, scope=caller.scope)
    return DisputeRead(**disputes.detail(ctx, dispute_id=opened["id"], scope=disputes.case_scope(caller)))


@router.get("/disputes/{dispute_id}", response_model=DisputeRead, responses=responses(401, 403, 404))
def dispute_detail(ctx: Ctx, caller: Caller, dispute_id: str) -> DisputeRead:
    """A dispute with its invoices, action items and history."""
    return DisputeRead(**disputes.detail(ctx, dispute_id=dispute_id, scope=disputes.case_scope(caller)))


@router.patch("/disputes/{dispute_id}", response_model=DisputeRead, responses=responses(401, 403, 404, 409, 422),
              dependencies=[needs(DISPUTE, ANSWER)])
def dispute_change(ctx: Ctx, caller: Caller, dispute_id: str, body: DisputeChange) -> DisputeRead:
    """Workflow step, re-routing, priority or a comment; 409 names the allowed statuses or what is unsettled.
    Stakeholders may only comment."""
    changes = body.model_dump(exclude_none=True)
    disputes.update(acting(ctx, caller), dispute_id=dispute_id, scope=disputes.case_scope(caller), **changes)
    return DisputeRead(**disputes.detail(ctx, dispute_id=dispute_id, scope=disputes.case_scope(caller)))


@router.post("/disputes/{dispute_id}/items", response_model=ItemRead, status_code=201,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(DISPUTE)])
def item_add(ctx: Ctx, caller: Caller, dispute_id: str, body: ItemCreate) -> ItemRead:
    """An action item for a team or a person (default: the dispute's team, due by its SLA)."""
    return ItemRead(**disputes.add_action_item(acting(ctx, caller), dispute_id=dispute_id, title=body.title,
                                               team=body.team, assignee=body.assignee, due_on=body.due_on,
                                               scope=disputes.case_scope(caller)))


@router.get("/action-items", response_model=list[ItemRead], responses=responses(401, 403))
def items(ctx: Ctx, caller: Caller, include_done: bool = False) -> list[ItemRead]:
    """The caller's inbox: open action items routed to their team (stakeholders) or in their scope."""
    return [ItemRead(**i) for i in disputes.inbox(ctx, scope=disputes.case_scope(caller), include_done=include_done)]


@router.post("/action-items/{item_id}/answer", response_model=ItemRead, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(DISPUTE, ANSWER)])
def item_answer(ctx: Ctx, caller: Caller, item_id: str, body: ItemAnswer) -> ItemRead:
    """Answer an action item (and mark it done): stakeholders of its team, collectors, managers."""
    return ItemRead(**disputes.answer_action_item(acting(ctx, caller), item_id=item_id, answer=body.answer,
                                                  done=body.done, scope=disputes.case_scope(caller)))
