"""Idempotent POSTs for the API and the web app alike (ASGI middleware; the store is arcollect.idempotency).

A POST carrying a key — the ``Idempotency-Key`` header (API), or the ``idempotency_key`` field every
form renders (``idempotency_field()`` in the templates) — runs once per user and key: a retry, a
double-submitted form, or the same request sent several times at once gets the first answer back
(``Idempotency-Replayed: true``). Requests without a key, or whose caller is not signed in, pass
through untouched (the app answers them as usual).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from arcollect import idempotency as I
from arcollect.errors import ArcollectError, NotAuthenticated

FORM_FIELD = "idempotency_key"
HEADER = b"idempotency-key"
API_PREFIX = "/api/"
FORM = "application/x-www-form-urlencoded"


def idempotency_field() -> Markup:
    """A hidden form field with a new key (one per rendered form)."""
    return Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{secrets.token_urlsafe(18)}">')


class Idempotent:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        api = scope.get("path", "").startswith(API_PREFIX)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        key = headers.get(HEADER, b"").decode("latin-1").strip() or None
        if key is None and (api or not content_type.lower().startswith(FORM)):
            await self.app(scope, receive, send)
            return
        ctx = scope["app"].state.ctx
        body, complete, messages = await _read(receive, ctx.settings.idempotency_max_body)
        receive = _replay(messages, receive)
        if key is None and complete:
            key = dict(parse_qsl(body.decode("utf-8", "replace"))).get(FORM_FIELD, "").strip() or None
        if key is None:
            await self.app(scope, receive, send)
            return
        if not complete:
            await _refuse(scope, send, 413, f"a request with an idempotency key carries at most "
                                            f"{ctx.settings.idempotency_max_body} bytes")
            return
        login = await run_in_threadpool(_login, scope, api)
        if login is None:
            await self.app(scope, receive, send)
            return
        request = f"POST {scope.get('path', '')}" + (f"?{scope['query_string'].decode('latin-1')}"
                                                     if scope.get("query_string") else "")
        try:
            outcome = await run_in_threadpool(I.begin, ctx, login=login, key=key, request=request,
                                              fingerprint=I.fingerprint(content_type, body))
        except ArcollectError as exc:
            await _refuse(scope, send, exc.http_status, str(exc))
            return
        if isinstance(outcome, I.Answer):
            await _send(send, outcome.status, outcome.headers, outcome.body, replayed=True)
            return
        await self._run(scope, receive, send, ctx, outcome)

    async def _run(self, scope: Any, receive: Any, send: Any, ctx: Any, claim: I.Claim) -> None:
        answer: dict[str, Any] = {"status": 500, "headers": {}, "body": []}

        async def keeping(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = {k.decode("latin-1").lower(): v.decode("latin-1")
                                     for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keeping)
        except BaseException:
            await run_in_threadpool(I.release, ctx, claim)
            raise
        await run_in_threadpool(I.finish, ctx, claim, status=answer["status"], headers=answer["headers"],
                                body=b"".join(answer["body"]))


def _login(scope: Any, api: bool) -> str | None:
    """Who is asking: the API token's user or the signed-in user (None: the app answers 401 itself)."""
    from arcollect.auth import service as auth
    from arcollect.web.deps import web_user

    request = Request(scope)
    try:
        if api:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return auth.authenticate_token(scope["app"].state.ctx, token=token).login
        return web_user(request).login
    except NotAuthenticated:
        return None


async def _read(receive: Any, limit: int) -> tuple[bytes, bool, list[Any]]:
    """The body (up to ``limit`` bytes), whether that is all of it, and the messages read (to replay)."""
    body, more, messages = b"", True, []
    while more and len(body) <= limit:
        message = await receive()
        messages.append(message)
        body += message.get("body", b"")
        more = message.get("more_body", False) and message["type"] == "http.request"
    return body, not more and len(body) <= limit, messages


def _replay(messages: list[Any], receive: Any) -> Any:
    pending = list(messages)

    async def replayed() -> Any:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _send(send: Any, status: int, headers: dict[str, str], body: bytes, replayed: bool = False) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if k != "content-length"]
    raw.append((b"content-length", str(len(body)).encode()))
    if replayed:
        raw.append((b"idempotency-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Any, send: Any, status: int, message: str) -> None:
    """The key's own refusals: problem+json for the API, the error page for a form."""
    if scope.get("path", "").startswith(API_PREFIX):
        from arcollect.api.problems import problem

        response = problem(status, message, [message])
    else:
        from arcollect.web.deps import page

        response = await run_in_threadpool(page, Request(scope), "error.html", status_code=status, status=status,
                                           message=message, problems=[])
    await response(scope, _nothing, send)


async def _nothing() -> Any:
    return {"type": "http.disconnect"}
