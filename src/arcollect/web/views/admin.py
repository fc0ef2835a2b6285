"""Administration: users and roles, teams, API tokens, portfolio assignment."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from arcollect.auth import service as auth
from arcollect.auth.models import ROLES
from arcollect.auth.permissions import ADMIN, ASSIGN
from arcollect.errors import ArcollectError
from arcollect.ledger import service as ledger
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page

router = APIRouter(include_in_schema=False)
Role = Literal["admin", "manager", "collector", "cash_app", "stakeholder", "viewer"]


def _admin_page(request: Request, user, status_code: int = 200, **extra) -> Response:  # noqa: ANN001
    ctx = get_ctx(request)
    data = {"users": auth.list_users(ctx), "teams": auth.list_teams(ctx), "roles": ROLES,
            "tokens": auth.list_tokens(ctx) if user.can(ADMIN) else [],
            "collectors": ledger.customer_facets(ctx, scope=user.scope)["collectors"],
            "message": None, "error": None, "secret": None}
    data.update(extra)
    return page(request, "admin.html", status_code=status_code, nav="admin", **data)


def _run(request: Request, user, action, success: str) -> Response:  # noqa: ANN001
    try:
        outcome = action()
    except ArcollectError as exc:
        detail = str(exc)
        return _admin_page(request, user, status_code=exc.http_status, error=detail)
    return _admin_page(request, user, message=success.format(outcome=outcome))


@router.get("/admin")
def admin(request: Request, user: User) -> Response:
    if not user.can(ADMIN):
        user.require(ASSIGN)
    return _admin_page(request, user)


@router.post("/admin/users", dependencies=[needs(ADMIN), Csrf])
def create_user(request: Request, user: User, login: Annotated[str, Form(max_length=64)],
                role: Annotated[Role, Form()], team: Annotated[str, Form(max_length=64)] = "",
                name: Annotated[str, Form(max_length=256)] = "") -> Response:
    try:
        created, password = auth.add_user(acting(request, user), login=login, role=role, team=team or None,
                                          name=name or None)
    except ArcollectError as exc:
        return _admin_page(request, user, status_code=exc.http_status, error=str(exc))
    return _admin_page(request, user, message=f"User {created['login']} created.",
                       secret=("Password for " + created["login"], password))


@router.post("/admin/users/{login}", dependencies=[needs(ADMIN), Csrf])
def update_user(request: Request, user: User, login: str, role: Annotated[Role, Form()],
                team: Annotated[str, Form(max_length=64)] = "",
                active: Annotated[Literal["yes", "no"], Form()] = "yes") -> Response:
    return _run(request, user, lambda: auth.update_user(acting(request, user), login=login, role=role,
                                                        team=team or None, clear_team=not team,
                                                        active=active == "yes"),
                f"User {login} updated.")


@router.post("/admin/tokens", dependencies=[needs(ADMIN), Csrf])
def create_token(request: Request, user: User, login: Annotated[str, Form(max_length=64)],
                 name: Annotated[str, Form(max_length=128)] = "") -> Response:
    try:
        row, token = auth.create_token(acting(request, user), login=login, name=name or None)
    except ArcollectError as exc:
        return _admin_page(request, user, status_code=exc.http_status, error=str(exc))
    return _admin_page(request, user, message=f"Token {row['id']} created for {row['login']}.",
                       secret=(f"API token {row['id']} for {row['login']}", token))


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[needs(ADMIN), Csrf])
def revoke_token(request: Request, user: User, token_id: int) -> Response:
    return _run(request, user, lambda: auth.revoke_token(acting(request, user), token_id=token_id),
                f"Token {token_id} revoked.")


@router.post("/admin/portfolio", dependencies=[needs(ASSIGN), Csrf])
def assign(request: Request, user: User, customer_ids: Annotated[str, Form(max_length=200000)],
           collector: Annotated[str, Form(max_length=64)] = "", team: Annotated[str, Form(max_length=64)] = "") -> Response:
    ids = [i for i in customer_ids.replace(",", " ").split() if i]
    return _run(request, user, lambda: auth.assign_portfolio(acting(request, user), customer_ids=ids,
                                                             collector=collector or None, team=team or None, by=user),
                "{outcome} customer(s) reassigned.")
