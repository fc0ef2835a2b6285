"""/api/v1/aging: the same report and JSON as `arcollect aging --format json`, within the caller's scope."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from arcollect.api.deps import Caller, Ctx
from arcollect.api.etags import Tagged
from arcollect.api.problems import responses
from arcollect.api.schemas import AgingRead
from arcollect.auth.permissions import READ
from arcollect.bounds import DayQuery
from arcollect.ledger import aging as A
from arcollect.ledger import service as ledger
from arcollect.readcache import lru

router = APIRouter(tags=["aging"])
MAX_KEPT = 4 * 1024 * 1024  # bytes: larger bodies (the whole book by customer) are built each time


@router.get("/aging", response_model=AgingRead, responses=responses(401, 403, 422))
def aging(ctx: Ctx, caller: Caller, tag: Tagged, as_of: DayQuery = None,
          by: Literal["customer", "collector", "currency", "total"] = "customer",
          basis: Literal["due", "issue"] = "due",
          buckets: Annotated[str | None, Query(max_length=100, pattern=r"^0(,[0-9]{1,5})*$",
                                               description="Bucket bounds in days past due, strictly increasing from 0, e.g. 0,30,60,90")] = None,
          collector: str | None = None, currency: Annotated[str | None, Query(max_length=3)] = None,
          segment: str | None = None) -> Response:
    """Open receivables by bucket as of a date (default today), grouped ``by``; totals per currency.
    Sends an ETag: with ``If-None-Match`` and nothing changed, 304 and no body. The body is kept (per worker
    process) under its ETag, which names the data version, the caller's scope and the query."""
    caller.require(READ)
    if tag.fresh:
        return tag.not_modified()

    def build() -> bytes:
        report = ledger.aging(ctx, as_of=as_of or ctx.clock.today(), by=by, basis=basis, buckets=buckets,
                              collector=collector, currency=currency, segment=segment, scope=caller.scope)
        return JSONResponse(A.to_json(report)).body

    body = lru(ctx, "aging_bodies", size=64).computed(tag.tag, build, keep=lambda b: len(b) <= MAX_KEPT)
    return Response(body, media_type="application/json", headers=tag.headers)
