"""/healthz: the process is up and the database answers (no authentication, no data)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from arcollect.api.deps import Ctx
from arcollect.api.problems import responses
from arcollect.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses=responses(500))
def healthz(ctx: Ctx) -> Health:
    with ctx.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
