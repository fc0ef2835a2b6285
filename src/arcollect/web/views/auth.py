"""Sign in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from arcollect.auth import service as auth
from arcollect.errors import NotAuthenticated, TooManyAttempts
from arcollect.web import sessions as S
from arcollect.web.deps import Csrf, check_csrf, get_ctx, page, set_cookie, signed_in_session

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", next=_safe_next(next), error=None, login="")


@router.post("/login", dependencies=[Csrf])
def login(request: Request, login: Annotated[str, Form(max_length=128)] = "",
          password: Annotated[str, Form(max_length=256)] = "", next: Annotated[str, Form()] = "/") -> Response:
    ctx = get_ctx(request)
    try:
        principal, version = auth.authenticate_password(ctx, login=login, password=password)
    except (NotAuthenticated, TooManyAttempts) as exc:
        return page(request, "login.html", status_code=exc.http_status, next=_safe_next(next), error=str(exc),
                    login=login)
    previous = signed_in_session(request)
    if previous is not None:  # signing in again (or as someone else) ends this browser's old session
        auth.end_session(ctx, session_id=previous)
    session_id = auth.start_session(ctx, user_pk=principal.user_pk, session_version=version)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, S.SESSION_COOKIE, request.app.state.signer.dump_session(session_id))
    # the session's pages carry a token derived from the new session: the signed-out one is done
    response.delete_cookie(S.CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Sign this browser out: its session is revoked on the server (a copy of the cookie stops working);
    the user's other browsers stay signed in. A session that already ended is simply forgotten."""
    session_id = signed_in_session(request)
    if session_id is not None:
        await check_csrf(request)
        auth.end_session(get_ctx(request), session_id=session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(S.SESSION_COOKIE, path="/")
    response.delete_cookie(S.CSRF_COOKIE, path="/")
    return response
