"""Auth use cases: users, teams, tokens, logins and portfolio assignment. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.auth import secrets as S
from arcollect.auth.cache import principal_cache
from arcollect.auth.models import ROLES, ApiToken, AuthEpoch, LoginFailure, Team, User, WebSession
from arcollect.auth.permissions import Principal, principal_for
from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.email_address import is_email_address
from arcollect.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, TooManyAttempts
from arcollect.ledger import service as ledger

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._@-]{1,63}$"
LOGIN_RE = re.compile(LOGIN_PATTERN)
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SEEN_EVERY = dt.timedelta(minutes=5)  # how often a web session's last_seen_at is written


# ---- validation --------------------------------------------------------------------------------
def _check_login(login: str) -> str:
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise InvalidInput(f"login {login!r}: 2–64 characters, lowercase letters, digits and . _ @ -")
    return login


def _password_or_generated(password: str | None) -> tuple[str, str | None]:
    """(the password to set, the generated one to show once or None); a given password is checked."""
    if password is None:
        generated = S.random_password()
        return generated, generated
    _check_password(password)
    return password, None


def _check_email(email: str | None) -> str | None:
    email = (email or "").strip().lower() or None
    if email is not None and not is_email_address(email):
        raise InvalidInput(f"email {email!r} is not an email address")
    return email


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role {role!r}: one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password) < S.MIN_PASSWORD:
        raise InvalidInput(f"password: at least {S.MIN_PASSWORD} characters")
    return password


def _user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise NotFound(f"user {login!r} not found")
    return user


def _team(session: Session, name: str, create: bool, now: dt.datetime) -> Team:
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput(f"team {name!r}: 1–64 characters")
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        if not create:
            raise NotFound(f"team {name!r} not found")
        team = Team(name=name, created_at=now)
        session.add(team)
        session.flush()
    return team


def _team_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Team.id, Team.name)).all())


def _read(user: User, teams: dict[int, str]) -> dict[str, Any]:
    return {"login": user.login, "name": user.name, "email": user.email, "role": user.role,
            "team": teams.get(user.team_pk) if user.team_pk else None, "active": user.active,
            "created_at": user.created_at, "last_login_at": user.last_login_at}


def _bump_epoch(session: Session) -> None:
    """Every change to a user makes every cached principal stale (``auth.cache``)."""
    if session.execute(update(AuthEpoch).where(AuthEpoch.id == 1)
                       .values(version=AuthEpoch.version + 1)).rowcount == 0:
        session.execute(insert(AuthEpoch).values(id=1, version=2))


_EPOCH = func.coalesce(select(AuthEpoch.version).where(AuthEpoch.id == 1).scalar_subquery(), 0)


# ---- users -------------------------------------------------------------------------------------
def add_user(ctx: Context, *, login: str, role: str, team: str | None = None, password: str | None = None,
             name: str | None = None, email: str | None = None) -> tuple[dict[str, Any], str | None]:
    """Create a user. Without a password a random one is generated and returned (shown once)."""
    login, role, email = _check_login(login), _check_role(role), _check_email(email)
    password, generated = _password_or_generated(password)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        if session.scalar(select(User.id).where(User.login == login)):
            raise Conflict(f"user {login!r} already exists")
        team_row = _team(session, team, create=True, now=now) if team else None
        user = User(login=login, role=role, team_pk=team_row.id if team_row else None, name=name, email=email,
                    password_hash=S.hash_password(password), active=True, session_version=1,
                    created_at=now, updated_at=now)
        session.add(user)
        session.flush()
        _bump_epoch(session)
        audit.record(session, at=now, actor=ctx.actor, action="create", entity="user", entity_key=login,
                     changes={"role": role, "team": team, "name": name, "email": email})
        return _read(user, _team_names(session)), generated


def list_users(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        teams = _team_names(session)
        return [_read(u, teams) for u in session.scalars(select(User).order_by(User.login))]


def get_user(ctx: Context, *, login: str) -> dict[str, Any]:
    with ctx.sessions() as session:
        return _read(_user(session, login), _team_names(session))


def update_user(ctx: Context, *, login: str, role: str | None = None, team: str | None = None,
                clear_team: bool = False, active: bool | None = None, name: str | None = None,
                email: str | None = None) -> dict[str, Any]:
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        user = _user(session, login)
        teams = _team_names(session)
        before = _read(user, teams)
        if role is not None:
            user.role = _check_role(role)
        if clear_team:
            user.team_pk = None
        elif team is not None:
            user.team_pk = _team(session, team, create=True, now=now).id
        if name is not None:
            user.name = name
        if email is not None:
            user.email = _check_email(email)
        if active is not None and active != user.active:
            user.active = active
            user.session_version += 1
        user.updated_at = now
        session.flush()
        _bump_epoch(session)
        after = _read(user, _team_names(session))
        changes = audit.diff(before, after)
        if changes:
            audit.record(session, at=now, actor=ctx.actor, action="update", entity="user", entity_key=user.login,
                         changes=changes)
        return after


def disable_user(ctx: Context, *, login: str) -> dict[str, Any]:
    """Disable a user: sessions end and API tokens stop working (they are kept for the record)."""
    return update_user(ctx, login=login, active=False)


def set_password(ctx: Context, *, login: str, password: str | None = None) -> str | None:
    """Set (or, without one, generate and return) a user's password; ends their web sessions and revokes
    their API tokens (a leaked password may have been used to make one)."""
    password, generated = _password_or_generated(password)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        user = _user(session, login)
        user.password_hash = S.hash_password(password)
        user.session_version += 1
        user.updated_at = now
        _bump_epoch(session)
        revoked = list(session.scalars(select(ApiToken.id).where(ApiToken.user_pk == user.id,
                                                                  ApiToken.revoked_at.is_(None))
                                       .order_by(ApiToken.id)))
        if revoked:
            session.execute(update(ApiToken).where(ApiToken.id.in_(revoked)).values(revoked_at=now))
        audit.record(session, at=now, actor=ctx.actor, action="password", entity="user", entity_key=user.login,
                     changes={"revoked_tokens": revoked} if revoked else {})
    return generated


def list_teams(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        counts = dict(session.execute(select(User.team_pk, func.count()).group_by(User.team_pk)).all())
        return [{"name": t.name, "members": counts.get(t.id, 0)}
                for t in session.scalars(select(Team).order_by(Team.name))]


# ---- logins and tokens -------------------------------------------------------------------------
def _principal(session: Session, user: User) -> Principal:
    team = collectors = None
    if user.team_pk:
        team = session.scalar(select(Team.name).where(Team.id == user.team_pk))
        collectors = tuple(session.scalars(select(User.login).where(
            User.team_pk == user.team_pk, User.role == "collector", User.active.is_(True))))
    return principal_for(user_pk=user.id, login=user.login, role=user.role, team=team,
                         team_collectors=collectors or ())


def authenticate_password(ctx: Context, *, login: str, password: str) -> tuple[Principal, int]:
    """Check a login; returns the principal and the session version to put in the cookie.

    After MAX_FAILURES failures within LOCKOUT the login is refused until the window passes,
    whatever the password.
    """
    now = ctx.clock.now()
    login = login.strip().lower()[:64]
    with ctx.unit_of_work() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - LOCKOUT))
        failures = session.scalar(select(func.count()).select_from(LoginFailure)
                                  .where(LoginFailure.login == login)) or 0
        if failures >= MAX_FAILURES:
            raise TooManyAttempts("too many failed logins; try again in 15 minutes")
        user = session.scalar(select(User).where(User.login == login))
        ok = S.verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            session.add(LoginFailure(login=login, at=now))  # committed: the failure must count
            principal = None
        else:
            session.execute(delete(LoginFailure).where(LoginFailure.login == login))
            if S.needs_rehash(user.password_hash or ""):
                user.password_hash = S.hash_password(password)
            user.last_login_at = now
            audit.record(session, at=now, actor=login, action="login", entity="user", entity_key=login, changes={})
            principal, version = _principal(session, user), user.session_version
    if principal is None:
        raise NotAuthenticated("wrong login or password")
    return principal, version


# ---- web sessions ------------------------------------------------------------------------------
def start_session(ctx: Context, *, user_pk: int, session_version: int) -> str:
    """Open a web session for a signed-in user (``session_version`` from ``authenticate_password``);
    returns the random session id for the cookie, shown once — only its hash is stored. Sessions
    expired by now are pruned."""
    now = ctx.clock.now()
    session_id = S.new_session_id()
    with ctx.unit_of_work() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(WebSession(session_hash=S.token_digest(session_id), user_pk=user_pk, user_version=session_version,
                               created_at=now, last_seen_at=now,
                               expires_at=now + dt.timedelta(hours=ctx.settings.session_hours)))
    return session_id


def _live_session(session: Session, session_id: str, now: dt.datetime) -> tuple[WebSession, User] | None:
    row = session.execute(select(WebSession, User).join(User, User.id == WebSession.user_pk)
                          .where(WebSession.session_hash == S.token_digest(session_id))).first()
    if row is None:
        return None
    web, user = row
    if web.revoked_at is not None or web.expires_at <= now or not user.active or web.user_version != user.session_version:
        return None
    return web, user


def principal_for_session(ctx: Context, *, session_id: str) -> Principal:
    """The user behind a session cookie, if that session is still open: not signed out, not expired, the
    user active and their password unchanged since. Marks it seen (at most every SEEN_EVERY). One indexed
    statement per request; the principal itself comes from the cache while nobody's role or team changed."""
    now, digest = ctx.clock.now(), S.token_digest(session_id)
    cache = principal_cache(ctx.caches)
    with ctx.sessions() as session:
        row = session.execute(
            select(WebSession.id, WebSession.revoked_at, WebSession.expires_at, WebSession.user_version,
                   WebSession.last_seen_at, User.id, User.session_version, User.active, _EPOCH)
            .join(User, User.id == WebSession.user_pk).where(WebSession.session_hash == digest)).first()
        if row is None or row[1] is not None or row[2] <= now or not row[7] or row[3] != row[6]:
            cache.drop(digest)
            raise NotAuthenticated("session expired; sign in again")
        web_pk, seen, stamp = row[0], row[4], (row[5], row[6], row[8])
        principal = cache.get(digest, stamp)
        if principal is None:
            principal = _principal(session, session.get_one(User, row[5]))
            cache.put(digest, stamp, principal)
    if now - seen >= SEEN_EVERY:
        with ctx.unit_of_work() as session:
            session.execute(update(WebSession).where(WebSession.id == web_pk).values(last_seen_at=now))
    return principal


def end_session(ctx: Context, *, session_id: str) -> bool:
    """Sign one browser out: its session is revoked (the user's other sessions stay open). False when
    the session was not open."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        live = _live_session(session, session_id, now)
        if live is None:
            return False
        web, user = live
        web.revoked_at = now
        principal_cache(ctx.caches).drop(web.session_hash)
        audit.record(session, at=now, actor=user.login, action="logout", entity="user", entity_key=user.login,
                     changes={})
        return True


def authenticate_token(ctx: Context, *, token: str) -> Principal:
    """The user behind an API token that is not revoked, the user active; cached like a session's."""
    digest = S.token_digest(token.strip())
    cache = principal_cache(ctx.caches)
    with ctx.sessions() as session:
        row = session.execute(select(ApiToken.revoked_at, User.id, User.session_version, User.active, _EPOCH)
                              .join(User, User.id == ApiToken.user_pk)
                              .where(ApiToken.token_hash == digest)).first()
        if row is None or row[0] is not None or not row[3]:
            cache.drop("token:" + digest)
            raise NotAuthenticated("invalid or revoked API token")
        stamp = (row[1], row[2], row[4])
        principal = cache.get("token:" + digest, stamp)
        if principal is None:
            principal = _principal(session, session.get_one(User, row[1]))
            cache.put("token:" + digest, stamp, principal)
        return principal


def create_token(ctx: Context, *, login: str, name: str | None = None) -> tuple[dict[str, Any], str]:
    """A new API token for a user. The secret is returned once; only its hash is stored."""
    token = S.new_token()
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        user = _user(session, login)
        if not user.active:
            raise Conflict(f"user {user.login!r} is disabled")
        row = ApiToken(user_pk=user.id, name=name, prefix=token[:10], token_hash=S.token_digest(token),
                       created_at=now, created_by=ctx.actor)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="create", entity="api_token",
                     entity_key=str(row.id), changes={"user": user.login, "name": name})
        return _token_read(row, user.login), token


def _token_read(row: ApiToken, login: str) -> dict[str, Any]:
    return {"id": row.id, "login": login, "name": row.name, "prefix": row.prefix, "created_at": row.created_at,
            "revoked_at": row.revoked_at, "active": row.revoked_at is None}


def list_tokens(ctx: Context, *, login: str | None = None) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        stmt = select(ApiToken, User.login).join(User, User.id == ApiToken.user_pk).order_by(ApiToken.id)
        if login is not None:
            stmt = stmt.where(User.login == login.strip().lower())
        return [_token_read(t, u) for t, u in session.execute(stmt)]


def revoke_token(ctx: Context, *, token_id: int) -> dict[str, Any]:
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        pk = parse_pk(token_id)
        row = None if pk is None else session.get(ApiToken, pk)
        if row is None:
            raise NotFound(f"token {token_id} not found")
        if row.revoked_at is not None:
            raise Conflict(f"token {token_id} is already revoked")
        row.revoked_at = now
        login = session.scalar(select(User.login).where(User.id == row.user_pk)) or "?"
        audit.record(session, at=now, actor=ctx.actor, action="revoke", entity="api_token",
                     entity_key=str(token_id), changes={"user": login})
        return _token_read(row, login)


# ---- portfolios --------------------------------------------------------------------------------
def assign_portfolio(ctx: Context, *, customer_ids: Sequence[str], collector: str | None = None,
                     team: str | None = None, by: Principal | None = None) -> int:
    """Give customers to a collector (an active user with role collector) and/or a team. ``by``: the
    caller — a team's manager moves only their team's customers, to their team's collectors."""
    if collector is None and team is None:
        raise InvalidInput("name a collector or a team")
    scope = by.scope if by is not None else ledger.EVERYTHING
    if not scope.everything:
        if collector is not None and collector.strip().lower() not in scope.collectors:
            raise PermissionDenied(f"{collector!r} is not a collector of your team: only an admin moves customers "
                                   "between teams")
        if team is not None and team.strip() not in scope.teams:
            raise PermissionDenied("only an admin moves customers to another team")
    with ctx.sessions() as session:
        if collector is not None:
            user = _user(session, collector)
            if user.role != "collector" or not user.active:
                raise InvalidInput(f"{user.login!r} is not an active collector")
            collector = user.login
        if team is not None:
            team = _team(session, team, create=False, now=ctx.clock.now()).name
    return ledger.assign_portfolio(ctx, customer_ids=customer_ids, collector=collector, team=team, scope=scope)


# ---- demo logins -------------------------------------------------------------------------------
def ensure_demo_users(ctx: Context) -> list[tuple[str, str, str]]:
    """Create the demo admin and a demo collector (owner of the largest demo portfolio) if missing.

    Returns (login, role, password) for the users created now — their passwords are shown once.
    """
    created = []
    existing = {u["login"] for u in list_users(ctx)}
    collector = ledger.busiest_collector(ctx) or "alice"
    for login, role in (("admin", "admin"), (collector, "collector")):
        if login not in existing:
            _, password = add_user(ctx, login=login, role=role, name=f"Demo {role}")
            created.append((login, role, password or ""))
    return created
