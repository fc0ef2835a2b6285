"""Web cookies (itsdangerous-signed) and the secret that signs them: the session cookie carries the random
id of a server-side session (``web_sessions``); CSRF tokens of signed-in pages are derived from that id,
those of the sign-in page from a random token in a cookie of their own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "arcollect_session"
CSRF_COOKIE = "arcollect_csrf"
FLASH_COOKIE = "arcollect_flash"  # the outcome of a form post, shown once by the page it redirects to
FLASH_MAX_AGE = 120
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS_CSRF_MAX_AGE = 24 * 3600  # the sign-in page's token


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
        self._flash = URLSafeTimedSerializer(secret, salt="arcollect.flash")
        self._csrf_key = hashlib.sha256(("arcollect.csrf.session:" + secret).encode("utf-8")).digest()

    def dump_session(self, session_id: str) -> str:
        return self._session.dumps({"s": session_id})

    def load_session(self, value: str | None) -> str | None:
        """The session id a cookie carries (its signature checked), or None. Whether that session is still
        open is the server's to say (``auth.service.principal_for_session``)."""
        if not value:
            return None
        try:
            data = self._session.loads(value)
        except BadSignature:
            return None
        sid = data.get("s") if isinstance(data, dict) else None
        return sid if isinstance(sid, str) and sid else None

    def session_csrf(self, session_id: str) -> str:
        """The CSRF token of every form in one session: bound to it, useless in another."""
        mac = hmac.new(self._csrf_key, session_id.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")

    def new_csrf(self) -> tuple[str, str]:
        """A signed-out page's token: (token for forms, signed cookie value)."""
        token = secrets.token_urlsafe(24)
        return token, self._csrf.dumps(token)

    def dump_flash(self, *, message: str | None, error: str | None) -> str:
        return self._flash.dumps({"m": message, "e": error})

    def load_flash(self, value: str | None) -> dict[str, str | None] | None:
        """{"message", "error"} a redirect left for this page, or None (no cookie, forged or stale)."""
        if not value:
            return None
        try:
            data = self._flash.loads(value, max_age=FLASH_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        flash = {"message": _flash_text(data.get("m")), "error": _flash_text(data.get("e"))}
        return flash if flash["message"] or flash["error"] else None

    def csrf_from_cookie(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            token = self._csrf.loads(value, max_age=ANONYMOUS_CSRF_MAX_AGE)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def _flash_text(value: object) -> str | None:
    return value[:2000] if isinstance(value, str) and value else None


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
