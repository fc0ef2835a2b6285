"""Match now on the cash application page: the click starts a tracked matching run (``cash_match_runs``) carried out
in a background thread — with its own database sessions — and answers at once; the page shows the run's progress
(lines processed of the total, applied, to review, errors so far), which htmx polls until the run is done (the
page then reloads its tables) or failed (the error). While a run is going, another click is told so."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from arcollect.auth.permissions import CASH
from arcollect.cashapp import service as cash
from arcollect.context import Context
from arcollect.errors import Conflict
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page, redirect

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
Short = Annotated[str, Form(max_length=200)]
PHASES = {"reading": "Reading the bank lines and the open items",
          "matching": "Matching the lines to customers and invoices",
          "applying": "Applying the certain matches, keeping the others for review",
          "finished": "Finished"}


def back_query(*, status: str = "", line: str = "", run: str = "") -> str:
    """The page's own address parts (status filter, selected line, run shown) as a query string."""
    return urlencode({k: v for k, v in (("status", status), ("line", line), ("run", run)) if v})


def _carry_out(ctx: Context, run_id: str) -> None:
    """The background thread: the run carried out to the end (done, or failed with the error kept on the run)."""
    try:
        cash.run_match(ctx, run_id=run_id)
    except Exception:  # the run is marked failed with the error by run_match; the page shows it
        log.exception("matching run %s failed", run_id)


def start_in_background(ctx: Context) -> dict[str, Any]:
    """A matching run begun and handed to a thread of its own; Conflict while another run is in progress."""
    run = cash.start_match_run(ctx)
    threading.Thread(target=_carry_out, args=(ctx, run["id"]), name=f"cash-match-run-{run['id']}",
                     daemon=True).start()
    return run


@router.post("/cash/match", dependencies=[needs(CASH), Csrf])
def match_now(request: Request, user: User, status: Short = "") -> Response:
    """Start matching every credit line not yet decided; the page follows the run's progress."""
    try:
        run = start_in_background(acting(request, user))
    except Conflict as exc:
        words = str(exc)
        return redirect(request, "/cash?" + back_query(status=status),
                        error=f"Matching is already running — {words[:1].lower() + words[1:]}. "
                              f"Its progress is shown below; the page refreshes itself when it is done.")
    return redirect(request, "/cash?" + back_query(status=status, run=run["id"]),
                    message="Matching started: the progress is shown below.")


@router.get("/cash/match/runs/{run_id}")
def run_panel(request: Request, user: User, run_id: str, status: str = "", line: str = "") -> Response:
    """The run's progress panel (htmx polls it while the run is going). Once the run has ended, htmx is sent
    to the page with the run's result, so the lines and counts are read again."""
    user.require(CASH)
    run = cash.match_run(get_ctx(request), run_id=run_id[:20])
    status, line = status[:20], line[:20]
    response = page(request, "_match_run.html", run=run, phases=PHASES,
                    back=back_query(status=status, line=line))
    if run["status"] != "running" and request.headers.get("HX-Request"):
        response.headers["HX-Redirect"] = "/cash?" + back_query(status=status, line=line, run=run["id"])
    return response
