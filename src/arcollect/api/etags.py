"""ETags on the read-heavy API lists (issue #19): a client that sends back the tag it was given
(``If-None-Match``) gets ``304 Not Modified`` with no body while nothing it could see has changed.

The tag is weak (``W/"…"``) and is a hash of:
- the database's data version (``readcache.data_version``: PostgreSQL's snapshot, SQLite's highest ids);
- the caller: user, role and the scope they see (user A's tag is never valid for user B, and a role or team
  change gives new tags);
- the request: path and query string; today's date (``as_of`` defaults to it); the app's version and settings.

The tag is computed before the body is read, so a change that lands in between only makes the next tag
differ (one 200 more), never a stale 304. Responses also say ``Cache-Control: private, no-cache``: a browser
or client may keep them but must ask again each time; a shared cache must not keep them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from arcollect import __version__
from arcollect.api.deps import Caller, Ctx
from arcollect.auth.permissions import Principal
from arcollect.context import Context
from arcollect.readcache import current_version

CACHE_CONTROL = "private, no-cache"


def _settings_digest(ctx: Context) -> str:
    digest = ctx.caches.get("settings_digest")
    if digest is None:
        digest = hashlib.sha256(ctx.settings.model_dump_json().encode()).hexdigest()[:16]
        ctx.caches["settings_digest"] = digest
    return digest


def etag(ctx: Context, caller: Principal, path: str, query: str) -> str:
    version = current_version(ctx)
    scope = caller.scope
    parts = (version, str(caller.user_pk), caller.login, caller.role, str(scope.everything),
             ",".join(scope.collectors), ",".join(scope.teams), path, query, ctx.clock.today().isoformat(),
             __version__, _settings_digest(ctx))
    return 'W/"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` names the tag (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    bare = tag.removeprefix("W/")
    return any(t.strip() == "*" or t.strip().removeprefix("W/") == bare for t in if_none_match.split(","))


@dataclass(frozen=True)
class Conditional:
    tag: str
    fresh: bool  # the client's copy is current: answer not_modified()

    @property
    def headers(self) -> dict[str, str]:
        """For a route that builds its own Response (the sub-response's headers are not merged into it)."""
        return {"ETag": self.tag, "Cache-Control": CACHE_CONTROL}

    def not_modified(self) -> Response:
        return Response(status_code=304, headers=self.headers)


def conditional(request: Request, response: Response, ctx: Ctx, caller: Caller) -> Conditional:
    """The request's tag, already set on the 200 response; ``fresh`` when the client holds it."""
    tag = etag(ctx, caller, request.url.path, request.url.query)
    response.headers["ETag"], response.headers["Cache-Control"] = tag, CACHE_CONTROL
    return Conditional(tag, matches(request.headers.get("if-none-match"), tag))


Tagged = Annotated[Conditional, Depends(conditional)]
