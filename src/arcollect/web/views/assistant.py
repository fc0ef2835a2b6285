"""The assistant's proposals on the web: approve, edit and approve, or reject one (from the triage queue or
the account page) — thin: the form → the service → back to the page it came from with the outcome."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from arcollect.assistant import service as assistant
from arcollect.assistant.agent import EDITABLE
from arcollect.auth.permissions import WORK
from arcollect.errors import ArcollectError
from arcollect.web.deps import Csrf, User, acting, needs, redirect

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=500)]
Text = Annotated[str, Form(max_length=4000)]
FIELDS = sorted({f for fields in EDITABLE.values() for f in fields})


def _back(back: str, customer_id: str | None) -> str:
    """Where the form came from: the account page (its proposals) or the triage queue."""
    if back == "account" and customer_id:
        return f"/customers/{quote(customer_id, safe='')}#assistant"
    return "/inbound/triage"


def _done(p: dict, verb: str) -> str:
    return f"{p['label']}: {verb}." + (" It is on the account's timeline." if verb != "rejected" else "")


@router.post("/assistant/proposals/{proposal_id}/approve", dependencies=[needs(WORK), Csrf])
def approve(request: Request, user: User, proposal_id: str, back: Short = "", customer_id: Short = "") -> Response:
    try:
        p = assistant.approve(acting(request, user), proposal_id=proposal_id, scope=user.scope,
                              permissions=user.permissions)
    except ArcollectError as exc:
        return redirect(request, _back(back, customer_id), error=f"Not done: {exc}")
    return redirect(request, _back(back, p["customer_id"]), message=_done(p, "approved and done"))


@router.post("/assistant/proposals/{proposal_id}/edit", dependencies=[needs(WORK), Csrf])
async def edit(request: Request, user: User, proposal_id: str) -> Response:
    """The edit form sends the kind's editable fields (``EDITABLE``): each becomes a change, checked by the
    service; approved with them in one go."""
    form = await request.form()
    back, customer_id = str(form.get("back") or "")[:20], str(form.get("customer_id") or "")[:64]
    changes = {f: str(form.get(f))[:4000] for f in FIELDS if f in form}
    try:
        p = assistant.approve(acting(request, user), proposal_id=proposal_id, scope=user.scope, changes=changes,
                              permissions=user.permissions)
    except ArcollectError as exc:
        return redirect(request, _back(back, customer_id), error=f"Not done: {exc}")
    return redirect(request, _back(back, p["customer_id"]), message=_done(p, "changed, approved and done"))


@router.post("/assistant/proposals/{proposal_id}/reject", dependencies=[needs(WORK), Csrf])
def reject(request: Request, user: User, proposal_id: str, back: Short = "", customer_id: Short = "",
           note: Text = "") -> Response:
    try:
        p = assistant.reject(acting(request, user), proposal_id=proposal_id, scope=user.scope, note=note or None)
    except ArcollectError as exc:
        return redirect(request, _back(back, customer_id), error=f"Not done: {exc}")
    return redirect(request, _back(back, p["customer_id"]), message=_done(p, "rejected"))
