"""RFC 9457 problem details: every error the API returns, and their OpenAPI documentation."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

PROBLEM = "application/problem+json"
TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Payload too large", 422: "Invalid input",
          429: "Too many requests", 500: "Internal error"}


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[str] = []


def problem(status: int, detail: str | None, errors: list[str] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "errors": errors or []}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses an endpoint can return. 422 is always
    among them: any request whose text holds a NUL character is refused with it."""
    return {s: {"model": Problem, "description": TITLES.get(s, "Error"),
                "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in sorted({*statuses, 422})}
