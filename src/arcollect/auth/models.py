"""Auth tables: users (with role and team), teams, API tokens (hashed), web sessions (hashed), failed logins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime

ROLES = ("admin", "manager", "collector", "cash_app", "stakeholder", "viewer")


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'manager', 'collector', 'cash_app', 'stakeholder', 'viewer')",
                        name="ck_users_role"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    team_pk: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on disable and password change: every session cookie issued before is void.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser. The cookie carries a random session id; only its SHA-256 is stored. Signing out
    revokes the row; a disable or a password change voids every session of the user (``user_version``)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    user_version: Mapped[int] = mapped_column(Integer)  # the user's session_version when it was opened
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """One failed login (for rate limiting; pruned as it ages out of the window)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuthEpoch(Base):
    """One row: a counter bumped by every change to the users (role, team, active, password, a new user).
    A cached principal (``auth.cache``) is good only while the epoch it was built at is still the current
    one — a manager's view depends on the other members of their team, so any user change invalidates all."""

    __tablename__ = "auth_epoch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
