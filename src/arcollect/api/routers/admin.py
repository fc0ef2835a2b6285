"""/api/v1/users, /tokens, /portfolio, /me: administration (admins; portfolio moves by managers too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.api.schemas import (
    MeRead, PortfolioAssign, PortfolioAssigned, TokenCreate, TokenCreated, TokenRead, UserCreate,
    UserCreated, UserRead, UserUpdate,
)
from arcollect.auth import service as auth
from arcollect.auth.permissions import ADMIN, ASSIGN

router = APIRouter(tags=["administration"])
Login = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/me", response_model=MeRead, responses=responses(401))
def me(caller: Caller) -> MeRead:
    """Who the token belongs to and what it may do."""
    return MeRead(login=caller.login, role=caller.role, team=caller.team, permissions=sorted(caller.permissions))


@router.get("/users", response_model=list[UserRead], responses=responses(401, 403))
def list_users(ctx: Ctx, caller: Caller) -> list[UserRead]:
    caller.require(ADMIN)
    return [UserRead(**u) for u in auth.list_users(ctx)]


@router.post("/users", response_model=UserCreated, status_code=201, responses=responses(401, 403, 409, 422),
             dependencies=[needs(ADMIN)])
def create_user(ctx: Ctx, caller: Caller, body: UserCreate) -> UserCreated:
    """Create a user; without a password, a random one is returned once."""
    user, generated = auth.add_user(acting(ctx, caller), **body.model_dump())
    return UserCreated(**user, password=generated)


@router.get("/users/{login}", response_model=UserRead, responses=responses(401, 403, 404))
def get_user(ctx: Ctx, caller: Caller, login: Login) -> UserRead:
    caller.require(ADMIN)
    return UserRead(**auth.get_user(ctx, login=login))


@router.patch("/users/{login}", response_model=UserRead, responses=responses(401, 403, 404, 422),
              dependencies=[needs(ADMIN)])
def update_user(ctx: Ctx, caller: Caller, login: Login, body: UserUpdate) -> UserRead:
    """Change role, team, name, email, or disable (``active: false``) — sessions and tokens stop working."""
    return UserRead(**auth.update_user(acting(ctx, caller), login=login, **body.model_dump(exclude_unset=True)))


@router.get("/tokens", response_model=list[TokenRead], responses=responses(401, 403))
def list_tokens(ctx: Ctx, caller: Caller) -> list[TokenRead]:
    caller.require(ADMIN)
    return [TokenRead(**t) for t in auth.list_tokens(ctx)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(ADMIN)])
def create_token(ctx: Ctx, caller: Caller, body: TokenCreate) -> TokenCreated:
    """Create a token for a user; the secret is in the response, once."""
    row, token = auth.create_token(acting(ctx, caller), login=body.login, name=body.name)
    return TokenCreated(**row, token=token)


@router.delete("/tokens/{token_id}", status_code=204, responses=responses(401, 403, 404, 409),
               dependencies=[needs(ADMIN)])
def revoke_token(ctx: Ctx, caller: Caller, token_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    auth.revoke_token(acting(ctx, caller), token_id=token_id)
    return Response(status_code=204)


@router.post("/portfolio/assign", response_model=PortfolioAssigned, responses=responses(401, 403, 404, 422),
             dependencies=[needs(ASSIGN)])
def assign(ctx: Ctx, caller: Caller, body: PortfolioAssign) -> PortfolioAssigned:
    """Give customers to a collector and/or a team (all or nothing)."""
    changed = auth.assign_portfolio(acting(ctx, caller), customer_ids=body.customer_ids,
                                    collector=body.collector, team=body.team, by=caller)
    return PortfolioAssigned(changed=changed)
