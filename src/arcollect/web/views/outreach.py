"""Outbox (preview, approve, hold) and the triage queue of inbound mail."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from arcollect.assistant import service as assistant
from arcollect.assistant.agent import FACT_WORDS
from arcollect.auth.permissions import ASSIGN, READ, WORK
from arcollect.bounds import content_disposition
from arcollect.disputes import service as disputes
from arcollect.disputes.workflow import TEAMS
from arcollect.errors import ArcollectError
from arcollect.outreach import documents, mailbox
from arcollect.outreach import outbox as outboxes
from arcollect.outreach.models import STATUSES
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page, redirect

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=500)]


@router.get("/outbox")
def outbox_page(request: Request, user: User, status: Annotated[str | None, Query(max_length=32)] = None,
           m: Annotated[str | None, Query(max_length=20)] = None, message: str | None = None,
           error: str | None = None) -> Response:
    user.require(READ)
    ctx = get_ctx(request)
    wanted = status if status in STATUSES else None
    rows = outboxes.list_outbox(ctx, status=wanted, scope=user.scope, limit=300)
    selected = outboxes.message_detail(ctx, message_id=m, scope=user.scope) if m else None
    return page(request, "outbox.html", nav="outbox", rows=rows, status=wanted, statuses=STATUSES, selected=selected,
                can_approve=user.can(ASSIGN), message=message, error=error)


def _back(request: Request, user, message_id: str, message: str | None = None, error: str | None = None) -> Response:  # noqa: ANN001
    return outbox_page(request, user, m=message_id, message=message, error=error)


@router.post("/outbox/{message_id}/approve", dependencies=[needs(ASSIGN), Csrf])
def approve(request: Request, user: User, message_id: str) -> Response:
    try:
        outboxes.approve(acting(request, user), message_id=message_id, scope=user.scope)
    except ArcollectError as exc:
        return _back(request, user, message_id, error=str(exc))
    return _back(request, user, message_id, message="Approved: it goes out in the recipient's business hours.")


@router.post("/outbox/{message_id}/hold", dependencies=[needs(ASSIGN), Csrf])
def hold(request: Request, user: User, message_id: str, note: Short = "") -> Response:
    try:
        outboxes.hold(acting(request, user), message_id=message_id, note=note, scope=user.scope)
    except ArcollectError as exc:
        return _back(request, user, message_id, error=str(exc))
    return _back(request, user, message_id, message="Held: it will not be sent.")


@router.post("/outbox/bulk", dependencies=[needs(ASSIGN), Csrf])
def bulk(request: Request, user: User, action: Short, ids: Annotated[list[str] | None, Form(alias="m")] = None,
         note: Short = "", status: Short = "") -> Response:
    """Approve or hold the picked messages in one go: each one as if alone (its own check, its own audit
    entry); what cannot be done is listed, the rest is done."""
    picked = list(dict.fromkeys(ids or []))[:300]
    back = status if status in STATUSES else None
    if action not in ("approve", "hold"):
        return outbox_page(request, user, status=back, error="Choose Approve or Hold.")
    if not picked:
        return outbox_page(request, user, status=back, error="Pick at least one message.")
    done, refused = 0, []
    for message_id in picked:
        try:
            if action == "approve":
                outboxes.approve(acting(request, user), message_id=message_id, scope=user.scope)
            else:
                outboxes.hold(acting(request, user), message_id=message_id, note=note, scope=user.scope)
            done += 1
        except ArcollectError as exc:
            refused.append(str(exc))
    verb = "approved: they go out in the recipients' business hours" if action == "approve" else "held: they will not be sent"
    return outbox_page(request, user, status=back, message=f"{done} message(s) {verb}." if done else None,
                       error="; ".join(refused[:10]) + (" …" if len(refused) > 10 else "") if refused else None)


@router.get("/inbound/triage")
def triage(request: Request, user: User, message: str | None = None, error: str | None = None) -> Response:
    """The replies the assistant read, with its proposals to approve (the caller's accounts; collections work),
    and the mail no account could be matched to (for those who manage the team's work)."""
    user.require(ASSIGN, WORK)
    ctx = get_ctx(request)
    replies = assistant.queue(ctx, scope=user.scope) if user.can(WORK) else []
    rows = mailbox.triage(ctx) if user.can(ASSIGN) else []
    return page(request, "triage.html", nav="triage", rows=rows, replies=replies, can_link=user.can(ASSIGN),
                can_work=user.can(WORK), reasons=disputes.reasons(ctx), teams=TEAMS, fact_words=FACT_WORDS,
                message=message, error=error)


@router.post("/inbound/{message_id}/link", dependencies=[needs(ASSIGN), Csrf])
def link(request: Request, user: User, message_id: str, customer_id: Short) -> Response:
    try:
        done = mailbox.link_inbound(acting(request, user), message_id=message_id, customer_id=customer_id.strip(),
                                    scope=user.scope)
    except ArcollectError as exc:
        return triage(request, user, error=str(exc))
    n = done.get("proposals", 0)
    said = f" The assistant read it again: {n} proposal{'' if n == 1 else 's'} to decide." if n else ""
    return redirect(request, f"/customers/{quote(done['customer_id'], safe='')}", message=f"Mail linked.{said}")


@router.get("/customers/{customer_id}/letters/{kind}.pdf")
def letter(request: Request, user: User, customer_id: str, kind: str) -> Response:
    """The statement of account or a notice as PDF (the account page links here)."""
    user.require(READ)
    pdf, name = documents.letter(get_ctx(request), customer_id=customer_id, kind=kind, scope=user.scope)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition("attachment", name)})
