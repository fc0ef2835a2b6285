"""ASGI middleware around the whole app: security headers on every response, and a guard that refuses
text containing NUL characters before it reaches a service (PostgreSQL cannot store them, and no
customer id, login or note legitimately has one)."""

from __future__ import annotations

import json
from typing import Any, Iterator
from urllib.parse import parse_qsl

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                  b"script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
]
MAX_INSPECTED_BODY = 1 << 20  # JSON and form bodies are small; larger ones are refused by the views anyway


class SecurityHeaders:
    """Adds the security headers to every response that does not set them itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, wrapped)


# ---- empty query values ------------------------------------------------------------------------
def drop_empty_query(query_string: bytes) -> bytes:
    """The query string without its empty parameters (``bucket=``, ``as_of=``, a bare ``flag``), each kept
    parameter byte for byte as sent."""
    kept = [part for part in query_string.split(b"&") if part.partition(b"=")[2]]
    return b"&".join(kept)


class DropEmptyQuery:
    """An empty query value means "no filter": the parameter is dropped before any route validates it, so it
    takes its declared default on every page and API endpoint (a GET form's "Any"/"All" option sends
    ``bucket=``; a typed parameter would refuse the empty string with a 422)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            cleaned = drop_empty_query(scope["query_string"])
            if cleaned != scope["query_string"]:
                scope = {**scope, "query_string": cleaned}
        await self.app(scope, receive, send)


# ---- NUL characters ----------------------------------------------------------------------------
def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def nul_in_url(path: str, query_string: bytes) -> str | None:
    """Where a request's path or query parameters hold a NUL character, e.g. "query parameter 'q'"."""
    if "\x00" in path:
        return "the URL path"
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"query parameter {name.replace(chr(0), '')!r}"
    return None


def nul_in_body(content_type: str, body: bytes) -> str | None:
    """Where a JSON or form body holds a NUL character, e.g. "field 'login'"; None when it is clean."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return next((f"field {n.replace(chr(0), '')!r}" for n, v in pairs if "\x00" in n + v), None)
    if content_type.startswith("application/json"):
        try:
            document = json.loads(body)
        except ValueError:
            return None  # not JSON: the view's own validation reports it
        return next((f"field {p or 'body'!r}" for p, s in _strings(document, "") if "\x00" in s), None)
    return None


class RejectNul:
    """Answers 422 (problem+json) to a request with a NUL character in its URL, JSON or form fields."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = nul_in_url(scope.get("path", ""), scope.get("query_string", b""))
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if where is None and content_type.startswith(("application/json", "application/x-www-form-urlencoded")):
            body, more, messages = b"", True, []
            while more and len(body) <= MAX_INSPECTED_BODY:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False)
            if not more:
                where = nul_in_body(content_type, body)
            receive = _replay(messages, receive)
        if where is None:
            await self.app(scope, receive, send)
            return
        await _refuse(send, f"{where}: text must not contain NUL characters")


def _replay(messages: list[Any], receive: Any) -> Any:
    pending = list(messages)

    async def replayed() -> Any:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(send: Any, detail: str) -> None:
    body = json.dumps({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": detail,
                       "errors": [detail]}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---- request size ------------------------------------------------------------------------------
MULTIPART_SLACK = 1 << 20  # a form's other fields and its multipart framing, beyond the file itself


class LimitBody:
    """Answers 413 to a request whose body is over ``max_bytes`` (``Settings.upload_max_bytes`` plus the
    form's framing): at once when its Content-Length says so, else while receiving a chunked body, as
    soon as the bytes counted so far are over — the body is never read whole first."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/api/")
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(send, self.max_bytes, api)
            return
        state = {"received": 0, "refused": False, "started": False}

        async def counted() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes and not state["refused"]:
                    state["refused"] = True
                    if not state["started"]:
                        await _too_large(send, self.max_bytes, api)
                    return {"type": "http.disconnect"}  # the app stops reading; its answer is dropped
            return message

        async def guarded(message: Any) -> None:
            if state["refused"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, counted, guarded)


async def _too_large(send: Any, limit: int, api: bool) -> None:
    detail = f"the request is larger than {limit / 1024 / 1024:g} MB (upload_max_bytes)"
    if api:
        body = json.dumps({"type": "about:blank", "title": "Content too large", "status": 413, "detail": detail,
                           "errors": [detail]}).encode()
        media = b"application/problem+json"
    else:
        body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large</title></head>"
                f"<body><h1>413 — file too large</h1><p>{detail}. Split the file and upload the parts.</p>"
                "<p><a href=\"/imports\">Back to imports</a></p></body></html>").encode()
        media = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
