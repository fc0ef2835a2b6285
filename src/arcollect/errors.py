"""The one error hierarchy services raise; interfaces map it to exit codes and HTTP statuses."""

from __future__ import annotations


class ArcollectError(Exception):
    """Base of every error arcollect raises on purpose."""

    exit_code = 1
    http_status = 400


class InvalidInput(ArcollectError):
    """Input that fails validation. ``problems`` lists every problem found (batch work)."""

    http_status = 422

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        base = super().__str__()
        if not self.problems:
            return base
        return base + "\n" + "\n".join(self.problems)


class NotFound(ArcollectError):
    http_status = 404


class Conflict(ArcollectError):
    http_status = 409


class PermissionDenied(ArcollectError):
    http_status = 403


class NotAuthenticated(ArcollectError):
    """No valid credentials (no session, bad password, unknown or revoked token)."""

    http_status = 401


class TooManyAttempts(ArcollectError):
    """Login refused for a while after repeated failures."""

    http_status = 429
