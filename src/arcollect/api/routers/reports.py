"""/api/v1 reports: the portfolio report as PDF, XLSX or JSON (thin: parse → service)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from arcollect.api.deps import Caller, Ctx
from arcollect.api.problems import responses
from arcollect.auth.permissions import READ
from arcollect.bounds import DayQuery, content_disposition
from arcollect.reports import service as reports

router = APIRouter(tags=["reports"])


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
