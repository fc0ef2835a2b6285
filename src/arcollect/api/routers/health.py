"""/healthz: the process is up and answering (no authentication, no data, no database: a liveness probe).
Whether it can serve — database, schema, workers — is /readyz (routers/ops.py)."""

from __future__ import annotations

from fastapi import APIRouter

from arcollect.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")
