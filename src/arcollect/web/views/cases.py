"""Dispute board and detail, the stakeholder inbox, the manager's escalation queue (with the case history
beside it), proposing an escalation from the account page, case history PDFs and agency packages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from arcollect.auth.permissions import ANSWER, DISPUTE, ESCALATE, READ
from arcollect.bounds import content_disposition
from arcollect.disputes import service as disputes
from arcollect.disputes import workflow as D
from arcollect.errors import ArcollectError, InvalidInput, PermissionDenied
from arcollect.escalations import policy as E
from arcollect.escalations import service as esc
from arcollect.outreach import case_report
from arcollect.web.deps import Csrf, User, acting, form_date, get_ctx, needs, page, problems_text, redirect

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]
Many = Annotated[list[str] | None, Form()]


def _to(request: Request, path: str, *, message: str | None = None, error: str | None = None,
        **params: str | None) -> RedirectResponse:
    """Back to a page after a form post; the outcome is shown there once (deps.redirect), not kept in the URL."""
    query = urlencode({k: v for k, v in params.items() if v})
    return redirect(request, path + (f"?{query}" if query else ""), message=message, error=error)


# ---- disputes ------------------------------------------------------------------------------------


@router.post("/customers/{customer_id}/disputes", dependencies=[needs(DISPUTE), Csrf])
def open_dispute(request: Request, user: User, customer_id: str, invoices: Many = None, rows: Many = None,
                 amounts: Many = None, reason: Short = "", team: Short = "", priority: Short = "normal",
                 note: Text = "") -> Response:
    """The account page's form: the ticked invoices, each whole or the amount typed beside it."""
    typed = {iid: (a or "").strip() or None for iid, a in zip(rows or [], amounts or [])}
    try:
        opened = disputes.open_dispute(acting(request, user), customer_id=customer_id, scope=user.scope,
                                       invoices=[(i, typed.get(i)) for i in invoices or []], reason=reason,
                                       team=team or None, priority=priority, note=note or None)
    except ArcollectError as exc:
        return _to(request, f"/customers/{quote(customer_id, safe='')}", error=problems_text(exc))
    return _to(request, f"/disputes/{opened['id']}", message=f"Dispute {opened['id']} opened and routed to "
                                                     f"{D.TEAMS[opened['team']]}.")


@router.get("/disputes")
def board(request: Request, user: User, status: str = "", team: str = "", customer: str = "",
          active: str = "1") -> Response:
    """Disputes by status and team (counts), filterable, the nearest SLA first."""
    scope = disputes.case_scope(user)
    ctx = get_ctx(request)
    figures = disputes.counts(ctx, scope=scope)
    error = None
    try:
        rows = disputes.list_disputes(ctx, scope=scope, status=status or None, team=team or None,
                                      customer_id=customer.strip() or None,
                                      active=active == "1" and not status, limit=1000)
    except ArcollectError as exc:
        rows, error = [], problems_text(exc)
    return page(request, "disputes.html", nav="disputes", rows=rows, counts=figures["by"], statuses=D.STATUSES,
                teams=D.TEAMS, reasons=disputes.reasons(ctx), status=status, team=team, customer=customer,
                active=active, breached=figures["sla_breached"], error=error)


@router.get("/disputes/{dispute_id}")
def dispute_page(request: Request, user: User, dispute_id: str) -> Response:
    scope = disputes.case_scope(user)
    ctx = get_ctx(request)
    d = disputes.detail(ctx, dispute_id=dispute_id, scope=scope)
    can_work = user.can(DISPUTE)
    return page(request, "dispute.html", nav="disputes", d=d, can_work=can_work,
                can_answer=can_work or user.can(ANSWER), next_statuses=sorted(D.TRANSITIONS.get(d["status"], ())),
                resolutions=D.RESOLUTIONS, root_causes=D.ROOT_CAUSES, teams=D.TEAMS, reasons=disputes.reasons(ctx),
                priorities=D.PRIORITIES)


@router.post("/disputes/{dispute_id}", dependencies=[needs(DISPUTE, ANSWER), Csrf])
def dispute_update(request: Request, user: User, dispute_id: str, status: Short = "", resolution: Short = "",
                   root_cause: Short = "", team: Short = "", priority: Short = "", comment: Text = "") -> Response:
    """Workflow, routing, priority (collectors, managers) or a comment (stakeholders too)."""
    scope = disputes.case_scope(user)
    changes = {k: v for k, v in (("status", status), ("resolution", resolution), ("root_cause", root_cause),
                                 ("team", team), ("priority", priority)) if v}
    try:
        disputes.update(acting(request, user), dispute_id=dispute_id, scope=scope, comment=comment or None,
                        **changes)
    except PermissionDenied:
        raise
    except ArcollectError as exc:
        return _to(request, f"/disputes/{dispute_id}", error=problems_text(exc))
    return _to(request, f"/disputes/{dispute_id}", message="Saved.")


@router.post("/disputes/{dispute_id}/attachments", dependencies=[needs(DISPUTE, ANSWER), Csrf])
async def dispute_attach(request: Request, user: User, dispute_id: str,
                         file: Annotated[UploadFile, File()]) -> Response:
    scope = disputes.case_scope(user)
    data = await file.read(disputes.MAX_FILE + 1)
    try:
        disputes.attach(acting(request, user), dispute_id=dispute_id, filename=file.filename or "",
                        content_type=file.content_type or "", data=data, scope=scope)
    except ArcollectError as exc:
        return _to(request, f"/disputes/{dispute_id}", error=problems_text(exc))
    return _to(request, f"/disputes/{dispute_id}", message=f"{file.filename} attached.")


@router.get("/disputes/{dispute_id}/attachments/{event_id}")
def dispute_file(request: Request, user: User, dispute_id: str, event_id: str) -> Response:
    data, name, content_type = disputes.attachment(get_ctx(request), dispute_id=dispute_id, event_id=event_id,
                                                   scope=disputes.case_scope(user))
    return Response(data, media_type=content_type,
                    headers={"Content-Disposition": content_disposition("attachment", name), "X-Content-Type-Options": "nosniff"})


@router.post("/disputes/{dispute_id}/items", dependencies=[needs(DISPUTE), Csrf])
def item_add(request: Request, user: User, dispute_id: str, title: Text = "", team: Short = "",
             assignee: Short = "", due_on: Short = "") -> Response:
    try:
        disputes.add_action_item(acting(request, user), dispute_id=dispute_id, title=title, team=team or None,
                                 assignee=assignee or None, due_on=form_date(due_on, "due on"), scope=disputes.case_scope(user))
    except ArcollectError as exc:
        return _to(request, f"/disputes/{dispute_id}", error=problems_text(exc))
    return _to(request, f"/disputes/{dispute_id}", message="Action item added.")


@router.post("/action-items/{item_id}/answer", dependencies=[needs(DISPUTE, ANSWER), Csrf])
async def item_answer(request: Request, user: User, item_id: str, answer: Text = "", back: Short = "",
                      done: Short = "1", files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """The answer (several lines) and its files: the files are kept with the dispute, like its other
    attachments; a file that cannot be kept is named in the error and the answer is not saved."""
    target = back if back.startswith("/") and not back.startswith("//") else "/inbox"
    scope = disputes.case_scope(user)
    uploads = []
    for f in (files or [])[:10]:
        if not f.filename:
            continue  # the file field left empty
        data = await f.read(disputes.MAX_FILE + 1)
        if not data or len(data) > disputes.MAX_FILE:
            why = "is empty" if not data else f"is larger than {disputes.MAX_FILE // (1024 * 1024)} MB"
            return _to(request, target, error=f"file {f.filename} {why}: the answer was not saved")
        uploads.append((f.filename, f.content_type or "", data))
    try:
        item = disputes.answer_action_item(acting(request, user), item_id=item_id, answer=answer, done=done == "1",
                                           scope=scope)
        for name, content_type, data in uploads:
            disputes.attach(acting(request, user), dispute_id=item["dispute_id"], filename=name,
                            content_type=content_type, data=data, scope=scope)
    except ArcollectError as exc:
        return _to(request, target, error=problems_text(exc))
    kept = f" {len(uploads)} file(s) kept with the dispute." if uploads else ""
    return _to(request, target, message=f"Answer saved; the collector sees it on their worklist and on the case.{kept}")


@router.get("/inbox")
def inbox(request: Request, user: User, done: str = "") -> Response:
    """The action items routed to the stakeholder's team (collectors and managers: their customers')."""
    scope = disputes.case_scope(user)
    items = disputes.inbox(get_ctx(request), scope=scope, include_done=done == "1")
    return page(request, "inbox.html", nav="inbox", items=items, done=done, teams=D.TEAMS,
                reasons=disputes.reasons(get_ctx(request)))


# ---- escalations ---------------------------------------------------------------------------------


@router.get("/escalations")
def queue(request: Request, user: User, status: str = "proposed", e: str = "") -> Response:
    """The manager's queue: proposals with one-click approve/reject; the selected one's case history beside."""
    user.require(READ)
    ctx = get_ctx(request)
    error = None
    try:
        # ?status=all lists every status (an empty value takes the default, like every empty query value)
        rows = esc.list_escalations(ctx, status=None if status == "all" else status, scope=user.scope)
    except ArcollectError as exc:
        rows, error = [], problems_text(exc)
    selected = None
    pick = e or (rows[0]["id"] if rows else "")
    if pick:
        try:
            selected = esc.detail(ctx, escalation_id=pick, scope=user.scope)
        except ArcollectError as exc:
            error = error or problems_text(exc)
    shown = rows + ([selected] if selected else [])
    decidable = {r["id"] for r in shown if _may_decide(user, r)}
    return page(request, "escalations.html", nav="escalations", rows=rows, selected=selected, status=status,
                statuses=E.STATUSES, actions=E.ACTIONS, decidable=decidable, can_withdraw=user.can(ESCALATE),
                error=error)


def _may_decide(user: User, escalation: dict) -> bool:
    """Approve/Reject is offered to the roles the escalation matrix names for this action at this amount
    (the ``approvers`` of the proposal) — the same rule ``esc.decide`` enforces."""
    return (escalation["status"] == "proposed" and user.can(ESCALATE)
            and user.role in escalation["approvers"])


@router.post("/escalations/{escalation_id}/{decision}", dependencies=[needs(ESCALATE), Csrf])
def decide(request: Request, user: User, escalation_id: str, decision: str, note: Text = "",
           status: Short = "proposed") -> Response:
    if decision not in ("approve", "reject", "cancel"):
        raise InvalidInput(f"{decision!r}: approve, reject or cancel")
    try:
        if decision == "cancel":
            result = esc.cancel(acting(request, user), escalation_id=escalation_id, note=note or None, scope=user.scope)
        else:
            result = esc.decide(acting(request, user), escalation_id=escalation_id, approve=decision == "approve",
                                role=user.role, note=note or None, scope=user.scope)
    except ArcollectError as exc:
        return _to(request, "/escalations", status=status, e=escalation_id, error=problems_text(exc))
    return _to(request, "/escalations", status=status, e=escalation_id,
               message=f"Escalation {result['id']} ({result['action_label'].lower()}, {result['customer_id']}): "
                       f"{result['status']}.")


@router.post("/customers/{customer_id}/escalations", dependencies=[needs(ESCALATE), Csrf])
def propose(request: Request, user: User, customer_id: str, action: Short = "", note: Text = "",
            invoices: Many = None, settle_amount: Short = "", pay_by: Short = "", count: Short = "",
            every: Short = "30", first: Short = "") -> Response:
    back = f"/customers/{quote(customer_id, safe='')}"
    try:
        n = int(count) if count.strip() else None
        days = int(every) if every.strip() else 30
    except ValueError:
        return _to(request, back, error="Instalments: the number of instalments and the days between them are whole numbers")
    try:
        result = esc.propose(acting(request, user), customer_id=customer_id, action=action, note=note or None,
                             invoices=[(i, None) for i in invoices or []], settle_amount=settle_amount.strip() or None,
                             pay_by=form_date(pay_by, "pay by"), instalment_count=n, every_days=days,
                             first_due=form_date(first, "first instalment"), scope=user.scope)
    except ArcollectError as exc:
        return _to(request, back, error=problems_text(exc))
    return _to(request, "/escalations", e=result["id"], message=f"Escalation {result['id']} proposed: needs "
                                                       f"{' or '.join(result['approvers'])}.")


@router.get("/escalations/{escalation_id}/document.pdf")
def document(request: Request, user: User, escalation_id: str) -> Response:
    user.require(READ)
    pdf, name = esc.document(get_ctx(request), escalation_id=escalation_id, scope=user.scope)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition("inline", name)})


@router.get("/escalations/{escalation_id}/package.zip")
def package(request: Request, user: User, escalation_id: str) -> Response:
    user.require(ESCALATE)
    data, name = case_report.agency_package(get_ctx(request), escalation_id=escalation_id, scope=user.scope)
    return Response(data, media_type="application/zip", headers={"Content-Disposition": content_disposition("attachment", name)})


@router.get("/customers/{customer_id}/case-history.pdf")
def case_history(request: Request, user: User, customer_id: str) -> Response:
    user.require(READ)
    ctx = get_ctx(request)
    pdf = case_report.case_history_pdf(ctx, customer_id=customer_id, scope=user.scope)
    name = f"case-history-{customer_id}-{ctx.clock.today().isoformat()}.pdf".replace('"', "")
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": content_disposition("inline", name)})
