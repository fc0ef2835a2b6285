"""Signed session and CSRF cookies for the web app (itsdangerous), and the secret that signs them."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "arcollect_session"
CSRF_COOKIE = "arcollect_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 12 * 3600


def load_secret(home: Path, configured: str | None) -> str:
    """The configured secret, else one generated once and kept in ``home/secret_key`` (mode 600)."""
    if configured:
        return configured
    path = Path(home) / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key, encoding="utf-8")
    tmp.chmod(0o600)
    try:
        tmp.rename(path) if not path.exists() else tmp.unlink()
    except OSError:
        pass
    return path.read_text(encoding="utf-8").strip()


class Signer:
    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="arcollect.session")
        self._csrf = URLSafeTimedSerializer(secret, salt="arcollect.csrf")

    def dump_session(self, user_pk: int, version: int) -> str:
        return self._session.dumps({"u": user_pk, "v": version})

    def load_session(self, value: str | None) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            data = self._session.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and "u" in data and "v" in data else None

    def new_csrf(self) -> tuple[str, str]:
        """(token for forms, signed cookie value)."""
        token = secrets.token_urlsafe(24)
        return token, self._csrf.dumps(token)

    def csrf_from_cookie(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            token = self._csrf.loads(value, max_age=SESSION_MAX_AGE * 2)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
