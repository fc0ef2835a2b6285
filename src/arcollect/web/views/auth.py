"""Sign in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from arcollect.auth import service as auth
from arcollect.errors import NotAuthenticated, TooManyAttempts
from arcollect.web import sessions as S
from arcollect.web.deps import Csrf, get_ctx, page, set_cookie

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
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, S.SESSION_COOKIE, request.app.state.signer.dump_session(principal.user_pk, version))
    # a fresh CSRF token for the new session
    _, cookie = request.app.state.signer.new_csrf()
    set_cookie(request, response, S.CSRF_COOKIE, cookie, max_age=S.SESSION_MAX_AGE * 2)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(S.SESSION_COOKIE, path="/")
    response.delete_cookie(S.CSRF_COOKIE, path="/")
    return response
