"""Request metrics around the whole app: RequestMetrics (outermost) times every request; RouteLabel
(innermost, next to the router) tells it which route template answered (never the raw path: one series
per route, whatever ids are asked for). Scopes are copied on the way in
by some middleware, so the route travels back in a holder both share."""

from __future__ import annotations

import time
from typing import Any

from arcollect import metrics

_HOLDER = "arcollect.metrics"
UNMATCHED = "unmatched"  # 404s of paths no route knows: one series, whatever was asked for


class RequestMetrics:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder: dict[str, Any] = {"route": None, "status": 500}
        scope = {**scope, _HOLDER: holder}
        start = time.perf_counter()

        async def record_status(message: Any) -> None:
            if message["type"] == "http.response.start":
                holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            metrics.observe_request(scope["method"], holder["route"] or UNMATCHED, holder["status"],
                                    time.perf_counter() - start)


class RouteLabel:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        holder = scope.get(_HOLDER)
        if holder is None:
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            holder["route"] = route_template(scope)


def route_template(scope: Any) -> str | None:
    """The template of the route that answered (set by the router on the scope it was handed). A route of
    a router included under a prefix knows only its own part (``/customers/{customer_id}``): the prefix
    is the part of the path before the piece the route matches."""
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if template is None:
        return None
    path = scope.get("path", "")
    if pattern is not None and not pattern.match(path):
        for cut in (i for i, ch in enumerate(path) if ch == "/" and i > 0):
            if pattern.match(path[cut:]):
                return path[:cut] + template
    return template or "/"
