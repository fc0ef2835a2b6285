"""/api/v1/predictions and /api/v1/forecast: the same JSON as `arcollect predict --format json` and
`arcollect report forecast --json`, within the caller's portfolio. They use the stored model (409 when none
is trained: `arcollect predict train`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from arcollect.api.deps import Caller, Ctx
from arcollect.api.problems import responses
from arcollect.auth.permissions import READ
from arcollect.bounds import DayQuery
from arcollect.risk import service as risk

router = APIRouter(tags=["risk"])


@router.get("/predictions", responses={**responses(401, 403, 404, 409, 422),
                                       200: {"description": "One row per invoice open on the date"}})
def predictions(ctx: Ctx, caller: Caller, as_of: DayQuery = None,
                customer_id: Annotated[str | None, Query(max_length=64)] = None) -> JSONResponse:
    """Expected payment date, p_late and top factors of every open invoice the caller may see."""
    caller.require(READ)
    rows: list[dict[str, Any]] = risk.predict(ctx, as_of=as_of or ctx.clock.today(), customer_id=customer_id,
                                              scope=caller.scope, train_if_missing=False)
    return JSONResponse(rows)


@router.get("/forecast", responses={**responses(401, 403, 409, 422),
                                    200: {"description": "Weeks (and months) of expected inflows per currency"}})
def forecast(ctx: Ctx, caller: Caller, as_of: DayQuery = None,
             weeks: Annotated[int, Query(ge=1, le=104)] = 13) -> JSONResponse:
    """Cash forecast of the caller's portfolio (a collector: their customers; a manager: their team)."""
    caller.require(READ)
    return JSONResponse(risk.forecast(ctx, as_of=as_of or ctx.clock.today(), weeks=weeks, scope=caller.scope,
                                      train_if_missing=False))
