"""The team page's read model: every collector a manager sees (with accounts, with or without a login),
and whom a manager may move accounts to — the collectors of their own team only."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from arcollect.auth import service as auth
from arcollect.context import Context
from arcollect.errors import InvalidInput, PermissionDenied
from arcollect.ledger.models import Customer
from arcollect.ledger.scope import EVERYTHING, CustomerScope


def collectors(ctx: Context, *, scope: CustomerScope = EVERYTHING) -> list[dict[str, Any]]:
    """Each collector in the caller's scope: their accounts (customers assigned), whether they can sign
    in, and their team. A collector named on customers but without a user is listed too."""
    with ctx.sessions() as session:
        stmt = select(Customer.collector, func.count()).where(Customer.collector.is_not(None)).group_by(Customer.collector)
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        accounts = Counter({c: n for c, n in session.execute(stmt).all() if c})
    users = {u["login"]: u for u in auth.list_users(ctx) if u["role"] == "collector"}
    names = set(accounts) | {login for login in users if scope.everything or login in scope.collectors}
    out = []
    for login in sorted(names):
        u = users.get(login)
        out.append({"collector": login, "name": (u or {}).get("name"), "accounts": accounts.get(login, 0),
                    "has_login": u is not None, "active": bool(u and u["active"]), "team": (u or {}).get("team")})
    return out


def targets(ctx: Context, *, scope: CustomerScope = EVERYTHING) -> list[str]:
    """Whom the caller may give accounts to: anyone for the whole book; a team's manager only the team's
    collectors (its users, and collectors without a login named on the team's customers)."""
    listed = collectors(ctx, scope=scope)
    if scope.everything:
        return [c["collector"] for c in listed if c["active"] or not c["has_login"]]
    return [c["collector"] for c in listed
            if (c["collector"] in scope.collectors and c["active"]) or (not c["has_login"] and c["accounts"])]


def check_target(ctx: Context, *, collector: str, scope: CustomerScope = EVERYTHING) -> str:
    """The collector, if the caller may move accounts to them (PermissionDenied otherwise)."""
    name = (collector or "").strip()
    if not name:
        raise InvalidInput("collector: required")
    if name not in targets(ctx, scope=scope):
        if scope.everything:
            raise InvalidInput(f"collector: {name!r} is not an active collector")
        raise PermissionDenied(f"{name!r} is not a collector of your team: only an admin moves accounts "
                               "between teams")
    return name
