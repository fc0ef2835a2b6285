"""Operations endpoints at the root, outside the API's schema: /readyz for load balancers (no
authentication; it names what is not ready, never a host, URL or error text) and /metrics for Prometheus
(only with `Authorization: Bearer METRICS_TOKEN`; off — 404 — while no token is set)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from arcollect import metrics
from arcollect.api.deps import Ctx
from arcollect.ops import service

router = APIRouter(tags=["operations"])


@router.get("/readyz")
def readyz(ctx: Ctx) -> JSONResponse:
    report = service.readyz(ctx)
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503,
                        headers={"Cache-Control": "no-store"})


@router.get("/metrics")
def prometheus(ctx: Ctx, request: Request) -> Response:
    token = ctx.settings.metrics_token
    if not token:
        return Response("Not Found\n", status_code=404, media_type="text/plain")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return Response("metrics need Authorization: Bearer METRICS_TOKEN\n", status_code=401,
                        media_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
    body, content_type = metrics.render()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
