"""My worklist (keyboard-driven, the account opens beside the list), working an account (calls,
promises, snoozes, actions, flags), the team's workloads, and the playbook editor with preview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from arcollect.auth.permissions import ASSIGN, EDIT_CUSTOMER, PLAYBOOK, READ, WORK
from arcollect.promises import service as promises
from arcollect.promises.models import CALL_OUTCOMES
from arcollect.errors import ArcollectError, InvalidInput
from arcollect.ledger import service as ledger
from arcollect.playbook import service as playbooks
from arcollect.web.deps import Csrf, User, acting, form_date, get_ctx, needs, page, problems_text
from arcollect.worklist import service as worklists

router = APIRouter(include_in_schema=False)
PAGE = 50
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]


def _panel_data(request: Request, user, customer_id: str) -> dict[str, Any]:  # noqa: ANN001
    ctx = get_ctx(request)
    today = ctx.clock.today()
    scope = user.scope
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=today, scope=scope)
    found = worklists.worklist(ctx, as_of=today, scope=scope, ensure=False, customer_id=customer_id)["items"]
    return {"view": view, "c": view.customer, "item": found[0] if found else None,
            "timeline": promises.timeline(ctx, customer_id=customer_id, scope=scope, limit=8),
            "promises": promises.list_promises(ctx, as_of=today, scope=scope, customer_id=customer_id)[:5],
            "outcomes": CALL_OUTCOMES, "can_work": user.can(WORK)}


@router.get("/worklist")
def my_worklist(request: Request, user: User, c: Annotated[str | None, Query(max_length=64)] = None,
                collector: Annotated[str | None, Query(max_length=64)] = None,
                page_no: Annotated[int, Query(alias="page", ge=1, le=10000)] = 1) -> Response:
    user.require(READ)
    ctx = get_ctx(request)
    who = user.worklist_of(collector)
    data = worklists.worklist(acting(request, user), as_of=ctx.clock.today(), collector=who, scope=user.scope,
                              limit=PAGE, offset=(page_no - 1) * PAGE)
    items = data["items"]
    selected = c or (items[0]["customer_id"] if items else None)
    # a named account is rendered with the page (links, no JavaScript); the first one loads beside it
    panel = _panel_data(request, user, selected) if c else None
    return page(request, "worklist.html", nav="worklist", items=items, total=data["total"], selected=selected,
                collector=who, page_no=page_no, pages=max(1, -(-data["total"] // PAGE)), panel=panel)


@router.get("/worklist/panel/{customer_id}")
def panel(request: Request, user: User, customer_id: str, message: str | None = None) -> Response:
    user.require(READ)
    return page(request, "_panel.html", message=message, **_panel_data(request, user, customer_id))


def _after(request: Request, user, customer_id: str, message: str | None = None,  # noqa: ANN001
           error: str | None = None) -> Response:
    """htmx: the refreshed panel (and its worklist row, out of band); otherwise back to the list."""
    if request.headers.get("HX-Request"):
        data = _panel_data(request, user, customer_id)
        return page(request, "_panel.html", message=message, error=error, oob_row=True, **data,
                    status_code=200)
    if error:
        return page(request, "error.html", status_code=422, status=422, message=error)
    return RedirectResponse(f"/worklist?c={customer_id}", status_code=303)


@router.post("/worklist/{customer_id}/call", dependencies=[needs(WORK), Csrf])
def log_call(request: Request, user: User, customer_id: str, outcome: Short, note: Text = "",
             follow_up: Short = "", contact: Short = "", invoices: Annotated[list[str] | None, Form()] = None,
             promise_amount: Short = "", promise_date: Short = "") -> Response:
    try:
        result = worklists.log_call(acting(request, user), customer_id=customer_id, outcome=outcome, note=note,
                                    scope=user.scope, follow_up=form_date(follow_up, "follow-up"), contact=contact or None,
                                    invoices=invoices or [], promise_amount=promise_amount.strip() or None,
                                    promise_date=form_date(promise_date, "promise date"))
    except ArcollectError as exc:
        return _after(request, user, customer_id, error=problems_text(exc))
    message = f"Call logged: {outcome.replace('_', ' ')}."
    if result.get("promise"):
        p = result["promise"]
        message += f" Promise of {p['amount']} {p['currency']} by {p['date']} recorded."
    return _after(request, user, customer_id, message=message)


@router.post("/worklist/{customer_id}/promise", dependencies=[needs(WORK), Csrf])
def add_promise(request: Request, user: User, customer_id: str, amount: Short, date: Short,
                invoices: Annotated[list[str] | None, Form()] = None, channel: Short = "call",
                note: Text = "") -> Response:
    try:
        when = form_date(date, "date")
        if when is None:
            raise InvalidInput("date: required")
        p = worklists.add_promise(acting(request, user), customer_id=customer_id, amount=amount.strip(),
                                  promised_date=when, invoices=invoices or [], channel=channel, note=note,
                                  scope=user.scope)
    except ArcollectError as exc:
        return _after(request, user, customer_id, error=problems_text(exc))
    return _after(request, user, customer_id, message=f"Promise of {p['amount']} {p['currency']} by {p['date']} recorded.")


@router.post("/worklist/{customer_id}/snooze", dependencies=[needs(WORK), Csrf])
def snooze(request: Request, user: User, customer_id: str, until: Short, note: Text = "") -> Response:
    try:
        when = form_date(until, "until")
        if when is None:
            raise InvalidInput("until: required")
        r = worklists.snooze(acting(request, user), customer_id=customer_id, until=when, note=note, scope=user.scope)
    except ArcollectError as exc:
        return _after(request, user, customer_id, error=problems_text(exc))
    return _after(request, user, customer_id, message=f"Snoozed until {r['until']}.")


@router.post("/actions/{action_id}/close", dependencies=[needs(WORK), Csrf])
def close_action(request: Request, user: User, action_id: str, status: Short, customer_id: Short,
                 note: Text = "", back: Short = "") -> Response:
    try:
        worklists.close_action(acting(request, user), action_id=action_id, status=status, note=note, scope=user.scope)
    except ArcollectError as exc:
        return _after(request, user, customer_id, error=problems_text(exc))
    if back == "account" and not request.headers.get("HX-Request"):
        return RedirectResponse(f"/customers/{customer_id}", status_code=303)
    return _after(request, user, customer_id, message=f"Action {status}.")


@router.post("/customers/{customer_id}/flags", dependencies=[needs(EDIT_CUSTOMER), Csrf])
def flags(request: Request, user: User, customer_id: str, risk: Short = "",
          do_not_contact: Short = "", credit_hold: Short = "") -> Response:
    try:
        ledger.update_customer(acting(request, user), customer_id=customer_id, scope=user.scope,
                               changes={"risk": risk, "do_not_contact": bool(do_not_contact),
                                        "credit_hold": bool(credit_hold)})
    except ArcollectError as exc:
        return RedirectResponse(f"/customers/{customer_id}?error={problems_text(exc)}", status_code=303)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


@router.post("/promises/{promise_id}/cancel", dependencies=[needs(WORK), Csrf])
def cancel_promise(request: Request, user: User, promise_id: str, customer_id: Short, note: Text = "") -> Response:
    try:
        promises.cancel_promise(acting(request, user), promise_id=promise_id, scope=user.scope, note=note)
    except ArcollectError as exc:
        return RedirectResponse(f"/customers/{customer_id}?error={problems_text(exc)}", status_code=303)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


# ---- managers --------------------------------------------------------------------------------


@router.get("/worklist/team")
def team(request: Request, user: User, message: str | None = None, error: str | None = None) -> Response:
    user.require(ASSIGN)
    ctx = get_ctx(request)
    loads = worklists.workloads(ctx, as_of=ctx.clock.today(), scope=user.scope)
    rates = {r["collector"]: r for r in promises.kept_rates(ctx, as_of=ctx.clock.today(), scope=user.scope)}
    return page(request, "worklist_team.html", nav="team", loads=loads, rates=rates, message=message, error=error)


@router.post("/worklist/team/reassign", dependencies=[needs(ASSIGN), Csrf])
def reassign(request: Request, user: User, customers: Text, collector: Short) -> Response:
    ids = [c for c in customers.replace(",", " ").split() if c]
    try:
        n = worklists.reassign(acting(request, user), customer_ids=ids, collector=collector.strip(), scope=user.scope)
    except ArcollectError as exc:
        return team(request, user, error=problems_text(exc))
    return team(request, user, message=f"{n} account(s) moved to {collector.strip()}.")


# ---- playbook --------------------------------------------------------------------------------


@router.get("/playbook")
def playbook(request: Request, user: User) -> Response:
    user.require(READ)
    ctx = get_ctx(request)
    current = playbooks.active(ctx)
    return page(request, "playbook.html", nav="playbook", current=current, text=current.source,
                segments=playbooks.summary(current.playbook), versions=playbooks.versions(ctx),
                can_edit=user.can(PLAYBOOK))


@router.post("/playbook", dependencies=[needs(READ), Csrf])
async def playbook_post(request: Request, user: User, text: Annotated[str, Form(max_length=200_000)] = "",
                        action: Short = "preview", upload: Annotated[UploadFile | None, File()] = None) -> Response:
    """Check (validate + diff + preview) or load a playbook from the editor or an uploaded file."""
    ctx = get_ctx(request)
    if upload is not None and upload.filename:
        raw = await upload.read(200_001)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
    current = playbooks.active(ctx)
    base = {"nav": "playbook", "current": current, "text": text, "segments": playbooks.summary(current.playbook),
            "versions": playbooks.versions(ctx), "can_edit": user.can(PLAYBOOK)}
    try:
        if action == "load":
            user.require(PLAYBOOK)
            result = playbooks.load(acting(request, user), text=text)
            current = playbooks.active(ctx)
            base.update(current=current, segments=playbooks.summary(current.playbook), versions=playbooks.versions(ctx))
            return page(request, "playbook.html", **base,
                        message=f"Version {result['version']} is in force." if result["changed"] else "No change.")
        preview = worklists.preview(ctx, text=text, as_of=ctx.clock.today(), scope=user.scope)
        diff = playbooks.diff(ctx, text=text)
    except InvalidInput as exc:
        return page(request, "playbook.html", status_code=422, **base, problems=exc.problems or [str(exc)])
    return page(request, "playbook.html", **base, preview=preview, diff=diff.splitlines())
