"""`arcollect user|token|portfolio|serve`: users and roles, API tokens, portfolios, the web server."""

from __future__ import annotations

import json
import sys
from typing import List, Optional

import typer

from arcollect.auth import service
from arcollect.auth.models import ROLES
from arcollect.cli.common import console, context, echo, fail
from arcollect.errors import ArcollectError, InvalidInput

user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (Authorization: Bearer TOKEN).", no_args_is_help=True)
portfolio_app = typer.Typer(help="Which collector and team own which customers.", no_args_is_help=True)


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail(InvalidInput("--password-stdin: no password on standard input"))
    return password


@user_app.command("add")
def user_add(
    login: str = typer.Argument(..., help="Login (lowercase)"),
    role: str = typer.Option(..., "--role", help=" | ".join(ROLES)),
    team: Optional[str] = typer.Option(None, "--team", help="Team (created if new)"),
    name: Optional[str] = typer.Option(None, "--name", help="Full name"),
    email: Optional[str] = typer.Option(None, "--email", help="Email address"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input"),
) -> None:
    """Add a user. Without --password-stdin a random password is printed once."""
    password = _stdin_password() if password_stdin else None
    try:
        user, generated = service.add_user(context(), login=login, role=role, team=team, password=password,
                                           name=name, email=email)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"user {user['login']} added ({user['role']}{', team ' + user['team'] if user['team'] else ''})")
    if generated:
        echo(f"password (shown once): {generated}")


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """List users with role, team and status."""
    try:
        users = service.list_users(context())
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(users, default=str, indent=2))
        return
    from rich.table import Table

    table = Table("login", "role", "team", "active", "last login")
    for u in users:
        table.add_row(u["login"], u["role"], u["team"] or "", "yes" if u["active"] else "no",
                      u["last_login_at"].isoformat(timespec="minutes") if u["last_login_at"] else "")
    console.print(table)


@user_app.command("disable")
def user_disable(login: str = typer.Argument(...)) -> None:
    """Disable a user: their sessions end and their API tokens stop working."""
    try:
        service.disable_user(context(), login=login)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"user {login} disabled")


@user_app.command("password")
def user_password(
    login: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input"),
) -> None:
    """Set a user's password (random and printed once without --password-stdin)."""
    password = _stdin_password() if password_stdin else None
    try:
        generated = service.set_password(context(), login=login, password=password)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"password of {login} changed")
    if generated:
        echo(f"password (shown once): {generated}")


@token_app.command("create")
def token_create(login: str = typer.Argument(...),
                 name: Optional[str] = typer.Option(None, "--name", help="What the token is for")) -> None:
    """Create an API token; the token is printed alone on the last line, once."""
    try:
        row, token = service.create_token(context(), login=login, name=name)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"token {row['id']} created for {row['login']} (store it now: it is not shown again)")
    echo(token)


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Revoke an API token by its id."""
    try:
        service.revoke_token(context(), token_id=token_id)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"token {token_id} revoked")


@token_app.command("list")
def token_list(login: Optional[str] = typer.Option(None, "--user", help="Only this user's tokens")) -> None:
    """List API tokens (ids, owners, status; never the secret)."""
    try:
        tokens = service.list_tokens(context(), login=login)
    except ArcollectError as exc:
        fail(exc)
        return
    from rich.table import Table

    table = Table("id", "user", "name", "prefix", "created", "status")
    for t in tokens:
        table.add_row(str(t["id"]), t["login"], t["name"] or "", t["prefix"] + "…",
                      t["created_at"].isoformat(timespec="minutes"), "active" if t["active"] else "revoked")
    console.print(table)


@portfolio_app.command("assign")
def portfolio_assign(
    customer_ids: List[str] = typer.Argument(..., metavar="CUSTOMER_ID..."),
    collector: Optional[str] = typer.Option(None, "--collector", help="Collector login"),
    team: Optional[str] = typer.Option(None, "--team", help="Team name"),
) -> None:
    """Assign customers to a collector and/or a team."""
    try:
        changed = service.assign_portfolio(context(), customer_ids=customer_ids, collector=collector, team=team)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"{changed} of {len(set(customer_ids))} customers reassigned")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (each with its own connection pool)"),
    proxy: Optional[str] = typer.Option(None, "--behind-proxy", metavar="IPS",
                                        help="Trust X-Forwarded-For/-Proto from these proxy addresses "
                                             "(comma-separated, e.g. 127.0.0.1) — behind nginx or Caddy"),
) -> None:
    """Serve the web app and the REST API (/api/v1, OpenAPI at /api/v1/openapi.json)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from arcollect.cli.common import state
    from arcollect.metrics import MULTIPROCESS_DIR

    ctx = context()  # migrates the schema once, before workers start
    grace = ctx.settings.shutdown_grace_seconds
    ctx.dispose()

    if state.db:
        os.environ["ARCOLLECT_DATABASE_URL"] = state.db  # the app factory reads Settings in each worker
    if ctx.settings.db_pool_size is None:  # each worker's connection pool, sized to the number of workers
        from arcollect.db import pool_size_for

        os.environ["ARCOLLECT_DB_POOL_SIZE"] = str(pool_size_for(workers))
    shared = None
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR):  # /metrics adds up every worker's figures
        shared = tempfile.mkdtemp(prefix="arcollect-metrics-")
        os.environ[MULTIPROCESS_DIR] = shared
    echo(f"arcollect serving on http://{host}:{port}/ with {workers} worker process{'es' if workers > 1 else ''} "
         "(API at /api/v1, Ctrl+C to stop)")
    try:
        uvicorn.run("arcollect.web.factory:app_from_settings", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", proxy_headers=proxy is not None,
                    forwarded_allow_ips=proxy, timeout_graceful_shutdown=grace)
    finally:
        if shared:
            shutil.rmtree(shared, ignore_errors=True)
