"""/api/v1/reports/…: metrics, roll-forward and recurring causes — the same JSON as `arcollect report … --json`,
limited to the caller's portfolio (collectors their own customers; managers of a team their team's)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from arcollect.api.deps import Caller, Ctx
from arcollect.api.problems import responses
from arcollect.auth.permissions import READ
from arcollect.bounds import DayQuery, content_disposition
from arcollect.reports import service as reports

router = APIRouter(tags=["reports"])
Period = Annotated[str, Query(max_length=22, pattern=r"^[0-9]{4}(-[Qq][1-4]|-[0-9]{2}|-[0-9]{2}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$",
                                description="2026-Q1, 2026-03, 2026 or 2026-01-01..2026-03-31")]
By = Literal["total", "collector", "team", "segment", "customer"]


@router.get("/reports/metrics", responses=responses(401, 403, 422))
def metrics(ctx: Ctx, caller: Caller, period: Period, by: By = "total") -> JSONResponse:
    """DSO, countback DSO, BPDSO, ADD, CEI and the collection figures of a period per currency (CONTRACT §10)."""
    caller.require(READ)
    return JSONResponse(reports.metrics(ctx, period=period, by=by, scope=caller.scope))


@router.get("/reports/rollforward", responses=responses(401, 403, 422))
def rollforward(ctx: Ctx, caller: Caller, period: Period, by: By = "total") -> JSONResponse:
    """Opening + invoiced − credited − collected − written off ± adjustments = closing (CONTRACT §10)."""
    caller.require(READ)
    return JSONResponse(reports.rollforward(ctx, period=period, by=by, scope=caller.scope))


@router.get("/reports/causes", responses=responses(401, 403, 422))
def causes(ctx: Ctx, caller: Caller, period: Period) -> JSONResponse:
    """Disputes by reason and root cause, invoices in error by customer, recommendations with their evidence."""
    caller.require(READ)
    return JSONResponse(reports.causes(ctx, period=period, scope=caller.scope))


@router.get("/reports/portfolio", response_class=Response,
            responses={**responses(401, 403, 404, 422), 200: {"description": "the report", "content": {
                "application/pdf": {}, reports.MEDIA["xlsx"]: {}, "application/json": {}}}})
def portfolio(ctx: Ctx, caller: Caller, as_of: DayQuery = None,
              collector: Annotated[str | None, Query(max_length=64, description="one collector's portfolio")] = None,
              format: Literal["pdf", "xlsx", "json"] = "json") -> Response:
    """The portfolio report of the caller's book or of one collector in it: aging and its trend, top risks,
    promises due next week, escalations awaiting a decision."""
    caller.require(READ)
    data, media, name = reports.portfolio_file(ctx, as_of=as_of or ctx.clock.today(), fmt=format, collector=collector,
                                               scope=caller.scope)
    if format == "json":
        return Response(data, media_type=media)
    return Response(data, media_type=media, headers={"Content-Disposition": content_disposition("attachment", name)})
