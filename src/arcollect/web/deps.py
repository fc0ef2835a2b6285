"""Web request helpers: the signed-in user (session cookie), CSRF checks, page rendering."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from arcollect.auth import service as auth
from arcollect.auth.permissions import Principal
from arcollect.calendar import zone
from arcollect.context import Context
from arcollect.errors import ArcollectError, InvalidInput, NotAuthenticated, PermissionDenied
from arcollect.money import format_money, money_str
from arcollect.web import nav as N
from arcollect.web import sessions as S
from arcollect.web.idempotent import idempotency_field

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["money"] = lambda v, cur: "" if v is None else format_money(Decimal(v), cur)
TEMPLATES.env.filters["amount"] = lambda v, cur: "" if v is None else money_str(Decimal(v), cur)
TEMPLATES.env.filters["date"] = lambda d: d.isoformat() if isinstance(d, (dt.date, dt.datetime)) else (d or "")


def local_time(value: dt.datetime | str | None, tz_name: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as the viewer reads it: in their zone, to the minute, the zone named
    (``2026-11-23 10:30 CET``). Naive datetimes and ISO strings without an offset are UTC; a date stays a date."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    tz = zone(tz_name)
    local = aware.astimezone(tz)
    name = local.tzname() or tz.key
    if name[:1] in "+-":  # zones without an abbreviation ("+04"): name the zone itself
        name = tz.key
    return f"{local.strftime(fmt)} {name}"


@pass_context
def _when(context: Any, value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local_time(value, context.get("viewer_tz"), fmt)


TEMPLATES.env.filters["when"] = _when  # every time of day on a page goes through this one filter
TEMPLATES.env.filters["approver_words"] = lambda roles: " or ".join(
    f"{'an' if r[:1] in 'aeiou' else 'a'} {r.replace('_', ' ')}" for r in roles)  # ["manager", "admin"] → a manager or an admin
TEMPLATES.env.globals["quote"] = lambda s: quote(str(s), safe="")
TEMPLATES.env.globals["idempotency_field"] = idempotency_field  # a new key per rendered form


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


def web_user(request: Request) -> Principal:
    """The signed-in user, or NotAuthenticated (the app turns it into a redirect to /login)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    session_id = request.app.state.signer.load_session(request.cookies.get(S.SESSION_COOKIE))
    if session_id is None:
        raise NotAuthenticated("please sign in")
    principal = auth.principal_for_session(request.app.state.ctx, session_id=session_id)
    request.state.principal, request.state.session_id = principal, session_id
    return principal


def signed_in_session(request: Request) -> str | None:
    """The id of the request's open session, None when signed out (no cookie, or a session that ended)."""
    try:
        web_user(request)
    except NotAuthenticated:
        return None
    return request.state.session_id


def acting(request: Request, principal: Principal) -> Context:
    """The app's context with the signed-in user as the actor written into the audit log."""
    return get_ctx(request).acting_as(principal.login)


def _csrf_token(request: Request) -> tuple[str, str | None]:
    """(token for this page's forms, new cookie value to set or None). Signed in: the session's token;
    signed out (the sign-in page): a random token kept in a signed cookie."""
    signer = request.app.state.signer
    session_id = signed_in_session(request)
    if session_id is not None:
        return signer.session_csrf(session_id), None
    existing = signer.csrf_from_cookie(request.cookies.get(S.CSRF_COOKIE))
    if existing:
        return existing, None
    cached = getattr(request.state, "new_csrf", None)
    if cached is None:
        cached = signer.new_csrf()
        request.state.new_csrf = cached
    return cached


async def check_csrf(request: Request) -> None:
    """Every state-changing form post carries the CSRF token (field or header) of its session — a token of
    another session or of the signed-out page does not do — or, signed out, that of its signed cookie."""
    form = await request.form()
    sent = form.get(S.CSRF_FIELD) or request.headers.get(S.CSRF_HEADER)
    signer = request.app.state.signer
    session_id = signed_in_session(request)
    expected = (signer.session_csrf(session_id) if session_id is not None
                else signer.csrf_from_cookie(request.cookies.get(S.CSRF_COOKIE)))
    if not S.same_token(sent if isinstance(sent, str) else None, expected):
        raise PermissionDenied("the form's security token is missing or expired; reload the page and try again")


def set_cookie(request: Request, response: Any, name: str, value: str, max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Lax cookie; by default it lasts as long as a session (ARCOLLECT_SESSION_HOURS)."""
    settings = request.app.state.ctx.settings
    max_age = settings.session_hours * 3600 if max_age is None else max_age
    secure = settings.cookie_secure or request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    token, cookie = _csrf_token(request)
    principal = getattr(request.state, "principal", None)
    ctx = request.app.state.ctx
    flash = request.app.state.signer.load_flash(request.cookies.get(S.FLASH_COOKIE))
    response = TEMPLATES.TemplateResponse(request, template, {
        "user": principal, "csrf_token": token, "company": ctx.settings.company_name,
        "today": ctx.clock.today(), "viewer_tz": ctx.settings.timezone, "flash": flash,
        "menu": N.menu(principal, context.get("nav")) if principal is not None else [],
        "can_search": principal is not None and N.can_search(principal), **context},
        status_code=status_code)
    if cookie is not None:
        set_cookie(request, response, S.CSRF_COOKIE, cookie, max_age=S.ANONYMOUS_CSRF_MAX_AGE)
    if S.FLASH_COOKIE in request.cookies:
        response.delete_cookie(S.FLASH_COOKIE, path="/")  # shown once
    return response


def redirect(request: Request, url: str, *, message: str | None = None, error: str | None = None) -> RedirectResponse:
    """After a form post: 303 to ``url``; its outcome (``message`` or ``error``) rides along in a short-lived
    signed cookie that the next page shows once — never in the address bar, where it would linger, be
    bookmarked, or be forged in a link."""
    response = RedirectResponse(url, status_code=303)
    if message or error:
        set_cookie(request, response, S.FLASH_COOKIE,
                   request.app.state.signer.dump_flash(message=message, error=error), max_age=S.FLASH_MAX_AGE)
    return response


User = Annotated[Principal, Depends(web_user)]
Csrf = Depends(check_csrf)


def needs(*permissions: str) -> Any:
    """What a form post is for, declared on the route (``dependencies=[needs(DISPUTE), Csrf]``): the signed-in
    user's role has one of ``permissions``, checked before the form's fields are looked at (else the 403 page)."""

    def allowed(user: User) -> None:
        user.require(*permissions)

    return Depends(allowed)


def field_words(name: str) -> str:
    """A form field's name as a person reads it: ``pay_by`` → ``Pay by``."""
    words = str(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9]*(?:_[a-z0-9]+)*)(?=: )")


def in_words(problem: str) -> str:
    """``settle_amount: …`` → ``Settle amount: …`` (a problem that starts with a field's code names it in words)."""
    return _FIELD_PREFIX.sub(lambda m: field_words(m.group(1)), problem, count=1)


def problems_text(exc: ArcollectError) -> str:
    """An error for the page's alert: its problems (each naming its field in words) or its message."""
    return "; ".join(in_words(p) for p in getattr(exc, "problems", []) or []) or in_words(str(exc))


def form_date(value: str, field: str) -> dt.date | None:
    """A date typed in a form (YYYY-MM-DD), None when left blank; ``field`` names it in words ("Pay by")."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field_words(field)}: “{value}” is not a date — type it as YYYY-MM-DD") from None
