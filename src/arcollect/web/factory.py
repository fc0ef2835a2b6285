"""Builds the served application: the web pages, the REST API under /api/v1, static files, errors."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from arcollect import __version__
from arcollect.api import app as api
from arcollect.api import problems
from arcollect.context import Context, build_context
from arcollect.errors import ArcollectError
from arcollect.settings import load_settings
from arcollect.web.deps import field_words, page
from arcollect.web.idempotent import Idempotent
from arcollect.web.metrics import RequestMetrics, RouteLabel
from arcollect.web.middleware import MULTIPART_SLACK, DropEmptyQuery, LimitBody, RejectNul, SecurityHeaders
from arcollect.web.sessions import Signer, load_secret
from arcollect.web.views import (account, admin, assistant, assistant_settings, auth, cases, cash, cash_match, imports, jobs,
                                 message_templates, outreach, periods, portfolio, reports, search, workbench)

VIEWS = tuple(m.router for m in (auth, portfolio, workbench, outreach, message_templates, account, cases, imports,
                                  cash, cash_match, periods, reports, search, admin, assistant, assistant_settings, jobs))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(api.PREFIX) or request.url.path in ("/healthz", "/readyz", "/metrics")


def _error_page(request: Request, status: int, message: str, problems_: list[str] | None = None) -> Response:
    return page(request, "error.html", status_code=status, status=status, message=message,
                problems=problems_ or [])


def _problem_in_words(error: dict) -> str:
    """A form field's problem for a person: ``Pay by: Field required`` rather than ``body.pay_by: …``."""
    names = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")
             and not isinstance(p, int)]
    return f"{field_words(names[-1]) if names else 'A value'}: {error.get('msg', 'not valid')}"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # shutting down: uvicorn has waited its grace period (Settings.shutdown_grace_seconds) for the
    # requests in progress; a long import still running in the thread pool stops at its next check
    app.state.stopping.set()


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(title="arcollect", lifespan=_lifespan, version=__version__,
                  description="Accounts-receivable collections: customers, documents, aging, imports. "
                              "Authenticate with `Authorization: Bearer TOKEN` (`arcollect token create LOGIN`). "
                              "Errors are RFC 9457 problem details (application/problem+json). "
                              "Text anywhere in a request (path, query, JSON, form) must not contain NUL characters.",
                  openapi_url=f"{api.PREFIX}/openapi.json", docs_url=f"{api.PREFIX}/docs", redoc_url=None)
    app.state.ctx = ctx
    app.state.stopping = threading.Event()
    app.state.signer = Signer(load_secret(ctx.settings.home, ctx.settings.secret_key))
    api.include(app)
    for router in VIEWS:
        app.include_router(router)
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> Response:  # browsers ask every site for it; pages link /static/favicon.svg
        return FileResponse(static / "favicon.ico", media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.add_middleware(RouteLabel)  # innermost, next to the router: which route template answered
    app.add_middleware(DropEmptyQuery)  # `?bucket=` means no filter on every page and endpoint
    app.add_middleware(Idempotent)  # after the NUL guard, around every route
    app.add_middleware(RejectNul)
    app.add_middleware(LimitBody, max_bytes=ctx.settings.upload_max_bytes + MULTIPART_SLACK)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)  # outermost: times everything the app does for a request

    @app.exception_handler(ArcollectError)
    async def _arcollect(request: Request, exc: ArcollectError) -> Response:
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
            return problems.problem(exc.http_status, str(exc).split("\n", 1)[0],
                                    list(getattr(exc, "problems", [])), headers)
        if exc.http_status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return _error_page(request, exc.http_status, str(exc).split("\n", 1)[0], list(getattr(exc, "problems", [])))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            errors = [f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', 'invalid')}"
                      for e in exc.errors()]
            return problems.problem(422, "invalid request", errors)
        return _error_page(request, 422, "Some of the values sent are not valid.",
                           [_problem_in_words(e) for e in exc.errors()])

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if _is_api(request):
            return problems.problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
        return _error_page(request, exc.status_code, str(exc.detail))

    return app


def app_from_settings() -> FastAPI:
    """The uvicorn factory for `arcollect serve`: settings from the environment / settings file."""
    return create_app(build_context(load_settings(), migrate_schema=False))
