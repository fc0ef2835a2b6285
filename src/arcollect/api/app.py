"""The API's routers under /api/v1."""

from __future__ import annotations

from typing import Any

from arcollect.api.routers import (admin, aging, assistant, cash, customers, disputes, documents, escalations, health, imports,
                                   message_templates, ops, outreach, periods, reports, risk, search, workbench)

PREFIX = "/api/v1"
ROUTERS = tuple(m.router for m in (customers, documents, aging, imports, workbench, outreach, disputes, escalations,
                                  message_templates, cash, periods, reports, risk, assistant, search, admin, health))


def include(app: Any) -> None:
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    app.include_router(health.router, include_in_schema=False)  # /healthz at the root too
    app.include_router(ops.router, include_in_schema=False)  # /readyz and /metrics at the root only
