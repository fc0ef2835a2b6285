"""Periods (Settings): the month-end close — closed months with their key figures, Close (managers, admins)
and Reopen (admins, with a reason) buttons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from arcollect.auth.permissions import ADMIN, CLOSE
from arcollect.errors import ArcollectError
from arcollect.periods import rules
from arcollect.periods import service as periods
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page, redirect

router = APIRouter(include_in_schema=False)


def _page(request: Request, user, status_code: int = 200, error: str | None = None) -> Response:  # noqa: ANN001
    data = periods.list_periods(get_ctx(request))
    return page(request, "periods.html", status_code=status_code, nav="periods", data=data, error=error,
                can_reopen=user.can(ADMIN))


@router.get("/periods")
def periods_page(request: Request, user: User) -> Response:
    user.require(CLOSE)
    return _page(request, user)


@router.post("/periods/close", dependencies=[needs(CLOSE), Csrf])
def close(request: Request, user: User, month: Annotated[str, Form(max_length=16)]) -> Response:
    try:
        view = periods.close_period(acting(request, user), month=month, role=user.role)
    except ArcollectError as exc:
        return _page(request, user, status_code=exc.http_status, error=str(exc))
    return redirect(request, "/periods", message=f"{view['month']} is closed: nothing dated on or before "
                                                 f"{view['as_of']} can be created or changed now.")


@router.post("/periods/reopen", dependencies=[needs(ADMIN), Csrf])
def reopen(request: Request, user: User, month: Annotated[str, Form(max_length=16)],
           reason: Annotated[str, Form(max_length=4000)] = "") -> Response:
    try:
        view = periods.reopen_period(acting(request, user), month=month, reason=reason, role=user.role)
    except ArcollectError as exc:
        return _page(request, user, status_code=exc.http_status, error=str(exc))
    earliest = rules.first_day(view["month"]).isoformat()
    return redirect(request, "/periods", message=f"{view['month']} is open again: documents dated from {earliest} "
                                                 f"on can be booked.")
