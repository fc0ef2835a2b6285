"""Request dependencies: the application context and the authenticated caller."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from arcollect.auth import service as auth
from arcollect.auth.permissions import Principal
from arcollect.context import Context
from arcollect.errors import NotAuthenticated

bearer = HTTPBearer(auto_error=False, description="An API token from `arcollect token create LOGIN`")


def get_context(request: Request) -> Context:
    return request.app.state.ctx


def get_principal(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise NotAuthenticated("an API token is required (Authorization: Bearer TOKEN)")
    return auth.authenticate_token(request.app.state.ctx, token=credentials.credentials)


def acting(ctx: Context, principal: Principal) -> Context:
    """The context with the caller as the actor written into the audit log."""
    return ctx.acting_as(principal.login)


Ctx = Annotated[Context, Depends(get_context)]
Caller = Annotated[Principal, Depends(get_principal)]


def needs(*permissions: str) -> Any:
    """What a write route is for, declared on the route (``dependencies=[needs(DISPUTE)]``): the caller's
    role has one of ``permissions``, checked before the request's input is looked at (else 403)."""

    def allowed(caller: Caller) -> None:
        caller.require(*permissions)

    return Depends(allowed)
