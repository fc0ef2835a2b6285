"""/api/v1/periods: month-end close — the periods, close a month (managers, admins), reopen it (admins),
read a closed month's snapshot (thin: parse → service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.auth.permissions import ADMIN, CLOSE
from arcollect.errors import PermissionDenied
from arcollect.periods import service as periods

router = APIRouter(tags=["periods"])
Month = Annotated[str, Path(pattern=r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class PeriodFiguresRead(BaseModel):
    currency: str
    ar_total: str
    current: str
    past_due: str
    disputed: str
    unapplied_cash: str
    unidentified_cash: str
    unapplied_credits: str
    net_balance: str
    customers: int


class PeriodRead(BaseModel):
    id: int
    month: str
    as_of: str
    status: Literal["closed", "reopened"]
    closed_at: str
    closed_by: str
    reopened_at: str | None
    reopened_by: str | None
    reopen_reason: str | None
    figures: list[PeriodFiguresRead]


class PeriodsRead(BaseModel):
    closed_through: str | None = Field(description="the last closed date: nothing dated on or before it may change")
    earliest_open_date: str | None
    latest_closed: str | None
    next_to_close: str | None = Field(description="the month that may close now, if any")
    periods: list[PeriodRead]


class Reopen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


@router.get("/periods", response_model=PeriodsRead, responses=responses(401, 403))
def period_list(ctx: Ctx, caller: Caller) -> PeriodsRead:
    """Every close, newest first (reopened ones kept, with who reopened them and why)."""
    caller.require(CLOSE)
    return PeriodsRead(**periods.list_periods(ctx))


@router.post("/periods/{month}/close", response_model=PeriodRead, responses=responses(401, 403, 409, 422),
             dependencies=[needs(CLOSE)])
def period_close(ctx: Ctx, caller: Caller, month: Month) -> PeriodRead:
    """Close a month that is over, right after the latest closed one (managers, admins); 409 when refused."""
    return PeriodRead(**periods.close_period(acting(ctx, caller), month=month, role=caller.role))


@router.post("/periods/{month}/reopen", response_model=PeriodRead, responses=responses(401, 403, 409, 422),
             dependencies=[needs(ADMIN)])
def period_reopen(ctx: Ctx, caller: Caller, month: Month, body: Reopen) -> PeriodRead:
    """Reopen the latest closed month (admins; a reason is required; audited)."""
    return PeriodRead(**periods.reopen_period(acting(ctx, caller), month=month, reason=body.reason, role=caller.role))


@router.get("/periods/{month}/snapshot", response_model=dict[str, Any], responses=responses(401, 403, 404, 422))
def period_snapshot(ctx: Ctx, caller: Caller, month: Month) -> dict[str, Any]:
    """The aging kept at the close (the JSON of `GET /aging` as of the month's last day) and its key figures.
    It covers every customer, so it is for those who see them all."""
    caller.require(CLOSE)
    if not caller.scope.everything:
        raise PermissionDenied("the snapshot covers every customer; your portfolio is a part of them")
    return periods.snapshot(ctx, month=month)
