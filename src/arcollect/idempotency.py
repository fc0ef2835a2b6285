"""Idempotency keys: a POST retried with the same key (the API's ``Idempotency-Key`` header, a form's
``idempotency_key`` field) gets the first answer back instead of doing the work again.

One row per (user, key): the unique constraint decides which of several simultaneous requests runs;
the others wait for its answer and replay it. Only successful answers are kept — a refused request
frees its key so that the corrected request can use it. Keys expire after ``idempotency_key_hours``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass, field

from sqlalchemy import JSON, Index, LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.context import Context
from arcollect.db import PK, Base, UTCDateTime, violates
from arcollect.errors import Conflict, InvalidInput

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII: UUIDs, ULIDs, "order-42-try"
KEPT_HEADERS = ("content-type", "location", "content-disposition")  # and htmx's hx-* headers


class IdempotencyKey(Base):
    """A request made with a key, and once it succeeded its answer (status, headers, body)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("login", "key", name="uq_idempotency_keys_login_key"),
                      Index("ix_idempotency_keys_created_at", "created_at"))

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(200))
    request: Mapped[str] = mapped_column(String(600))  # "POST /api/v1/promises"
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the request's body
    status: Mapped[int | None] = mapped_column()  # None: still running
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


UNIQUE_KEY = next(c for c in IdempotencyKey.__table__.constraints if c.name == "uq_idempotency_keys_login_key")


@dataclass(frozen=True)
class Claim:
    """This request holds the key: run it, then ``finish``."""

    pk: int


@dataclass(frozen=True)
class Answer:
    """The first request's answer, to send again."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def fingerprint(content_type: str, body: bytes) -> str:
    """What makes two requests the same request: the body (JSON compared by value; a multipart body
    without its random boundary)."""
    ctype = content_type.lower()
    if ctype.startswith("application/json"):
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass
    elif ctype.startswith("multipart/"):
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if boundary:
            body = body.replace(boundary.group(1).encode("latin-1"), b"BOUNDARY")
    return hashlib.sha256(body).hexdigest()


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise InvalidInput("Idempotency-Key: 1 to 200 visible ASCII characters (e.g. a UUID)")
    return key


def begin(ctx: Context, *, login: str, key: str, request: str, fingerprint: str) -> Claim | Answer:
    """Take the key for this request, or return the answer of the request that took it first (waiting
    up to ``idempotency_wait_seconds`` while it still runs, then Conflict). The same key for a different
    request (another endpoint or body) is refused."""
    check_key(key)
    deadline = time.monotonic() + ctx.settings.idempotency_wait_seconds
    pause = 0.02
    while True:
        now = ctx.clock.now()
        try:
            with ctx.unit_of_work() as session:
                session.execute(delete(IdempotencyKey).where(  # this user's expired keys are free again
                    IdempotencyKey.login == login,
                    IdempotencyKey.created_at < now - dt.timedelta(hours=ctx.settings.idempotency_key_hours)))
                row = IdempotencyKey(login=login, key=key, request=request[:600], fingerprint=fingerprint,
                                     created_at=now, headers={})
                session.add(row)
                session.flush()
                return Claim(row.id)
        except IntegrityError as exc:
            if not violates(exc, UNIQUE_KEY):
                raise
        with ctx.sessions() as session:
            held = session.scalar(select(IdempotencyKey).where(IdempotencyKey.login == login,
                                                               IdempotencyKey.key == key))
        if held is None:  # the first request failed (its key was freed): this one runs
            continue
        if held.request != request[:600] or held.fingerprint != fingerprint:
            raise InvalidInput(f"Idempotency-Key {key!r} was already used for a different request "
                               f"({held.request}); use a new key for a new request")
        if held.status is not None:
            return Answer(held.status, dict(held.headers or {}), held.body or b"")
        if time.monotonic() >= deadline:
            raise Conflict(f"a request with Idempotency-Key {key!r} is still in progress; retry it later")
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def finish(ctx: Context, claim: Claim, *, status: int, headers: dict[str, str], body: bytes) -> None:
    """Keep a successful answer for the retries; a refused or failed request frees its key."""
    with ctx.unit_of_work() as session:
        if status >= 400:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim.pk))
            return
        kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS or k.startswith("hx-")}
        session.execute(update(IdempotencyKey).where(IdempotencyKey.id == claim.pk).values(
            status=status, headers=kept, body=body, completed_at=ctx.clock.now()))


def release(ctx: Context, claim: Claim) -> None:
    """The request crashed: free its key."""
    with ctx.unit_of_work() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim.pk))
