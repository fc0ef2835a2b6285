"""My worklist (keyboard-driven, the account opens beside the list), working an account (calls,
promises, snoozes, actions, flags), the team's workloads, and the playbook editor with preview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from arcollect.auth.permissions import ASSIGN, EDIT_CUSTOMER, PLAYBOOK, READ, WORK
from arcollect.disputes import service as disputes
from arcollect.disputes.workflow import TEAMS
from arcollect.errors import ArcollectError, InvalidInput
from arcollect.ledger import service as ledger
from arcollect.money import format_money
from arcollect.playbook import service as playbooks
from arcollect.promises import service as promises
from arcollect.promises.models import CALL_OUTCOMES
from arcollect.web.deps import Csrf, User, acting, form_date, get_ctx, needs, page, problems_text, redirect
from arcollect.worklist import my_day
from arcollect.worklist import service as worklists

router = APIRouter(include_in_schema=False)
PAGE = 50
ANSWERS_DAYS = 2  # stakeholders' answers stay on the collector's day this long (today and yesterday)
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]


def _panel_data(request: Request, user, customer_id: str) -> dict[str, Any]:  # noqa: ANN001
    ctx = get_ctx(request)
    today = ctx.clock.today()
    scope = user.scope
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=today, scope=scope)
    found = worklists.worklist(ctx, as_of=today, scope=scope, ensure=False, customer_id=customer_id)["items"]
    item = found[0] if found else None
    window = playbooks.active(ctx).playbook.settings.contact_window.window()
    fmt = lambda v, cur: format_money(Decimal(v), cur)  # noqa: E731
    return {"view": view, "c": view.customer, "item": item,
            "card": worklists.contact_card(view.customer, view.contacts, ctx.clock.now(), window),
            "nba": worklists.next_best_action(item, view.open_items, view.customer["name"], fmt),
            "reasons": worklists.plain_reasons(item["reasons"], fmt) if item else [],
            "timeline": promises.timeline(ctx, customer_id=customer_id, scope=scope, limit=8),
            "promises": promises.list_promises(ctx, as_of=today, scope=scope, customer_id=customer_id)[:5],
            "outcomes": CALL_OUTCOMES, "can_work": user.can(WORK)}


def _progress(request: Request, user, collector: str | None) -> dict[str, int]:  # noqa: ANN001
    ctx = get_ctx(request)
    return worklists.day_progress(ctx, as_of=ctx.clock.today(), collector=collector, scope=user.scope)


def _answers(request: Request, user) -> list[dict[str, Any]]:  # noqa: ANN001
    """Action items a stakeholder team answered lately on the caller's customers ("Billing answered …")."""
    ctx = get_ctx(request)
    since = ctx.clock.now() - dt.timedelta(days=ANSWERS_DAYS)
    items = disputes.inbox(ctx, scope=disputes.case_scope(user), include_done=True)
    done = [dict(a, team_name=TEAMS.get(a["team"], a["team"])) for a in items
            if a["status"] == "done" and a.get("done_at") and dt.datetime.fromisoformat(a["done_at"]) >= since]
    return sorted(done, key=lambda a: a["done_at"], reverse=True)[:20]


def _next_of(request: Request, user, customer_id: str) -> str | None:  # noqa: ANN001
    """The account after this one on its collector's list for today (read before the account is worked)."""
    ctx = get_ctx(request)
    try:
        with ctx.sessions() as session:
            collector = ledger.scoped_customer(session, user.scope, customer_id).collector
    except ArcollectError:
        return None
    items = worklists.worklist(ctx, as_of=ctx.clock.today(), collector=collector, scope=user.scope,
                               ensure=False)["items"]
    return worklists.next_account(items, customer_id)


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
                collector=who, page_no=page_no, pages=max(1, -(-data["total"] // PAGE)), panel=panel,
                progress=_progress(request, user, who), answers=_answers(request, user),
                day=my_day.figures(ctx, as_of=ctx.clock.today(), collector=who, scope=user.scope))


@router.get("/worklist/panel/{customer_id}")
def panel(request: Request, user: User, customer_id: str, message: str | None = None) -> Response:
    user.require(READ)
    return page(request, "_panel.html", message=message, **_panel_data(request, user, customer_id))


def _after(request: Request, user, customer_id: str, message: str | None = None,  # noqa: ANN001
           error: str | None = None, next_id: str | None = None, move_on: bool = False) -> Response:
    """htmx: the refreshed panel (and its worklist row and the day's counter, out of band) — or, once the
    account is worked (``move_on``; or nothing is left on it), the next account's; otherwise back to the list."""
    worked = _panel_data(request, user, customer_id) if request.headers.get("HX-Request") or not error else None
    if worked is not None and not error and next_id and next_id != customer_id and (move_on or worked["item"] is None):
        target = next_id
    else:
        target = customer_id
    if request.headers.get("HX-Request"):
        data = worked if target == customer_id else _panel_data(request, user, target)
        if target != customer_id:
            message = f"{message} Next: {data['c']['name'].rstrip('.')}."
        response = page(request, "_panel.html", message=message, error=error, oob_row=True, **data,
                        worked={"c": worked["c"], "item": worked["item"]},
                        progress=_progress(request, user, user.worklist_of(None)), status_code=200)
        response.headers["HX-Replace-Url"] = f"/worklist?c={quote(target, safe='')}"
        return response
    if error:
        return page(request, "error.html", status_code=422, status=422, message=error)
    # without htmx (no JavaScript, or a form submitted before htmx took it over) the outcome rides in the flash
    return redirect(request, f"/worklist?c={quote(target, safe='')}", message=message)


@router.post("/worklist/{customer_id}/call", dependencies=[needs(WORK), Csrf])
def log_call(request: Request, user: User, customer_id: str, outcome: Short = "", note: Text = "",
             follow_up: Short = "", contact: Short = "", invoices: Annotated[list[str] | None, Form()] = None,
             promise_amount: Short = "", promise_date: Short = "") -> Response:
    next_id = _next_of(request, user, customer_id)
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
    return _after(request, user, customer_id, message=message, next_id=next_id, move_on=True)


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
    next_id = _next_of(request, user, customer_id)
    try:
        when = form_date(until, "until")
        if when is None:
            raise InvalidInput("until: required")
        r = worklists.snooze(acting(request, user), customer_id=customer_id, until=when, note=note, scope=user.scope)
    except ArcollectError as exc:
        return _after(request, user, customer_id, error=problems_text(exc))
    return _after(request, user, customer_id, message=f"Snoozed until {r['until']}.", next_id=next_id, move_on=True)


@router.post("/actions/{action_id}/close", dependencies=[needs(WORK), Csrf])
def close_action(request: Request, user: User, action_id: str, status: Short, customer_id: Short,
                 note: Text = "", back: Short = "") -> Response:
    next_id = _next_of(request, user, customer_id) if back != "account" else None
    try:
        worklists.close_action(acting(request, user), action_id=action_id, status=status, note=note, scope=user.scope)
    except ArcollectError as exc:
        return _after(request, user, customer_id, error=problems_text(exc))
    if back == "account" and not request.headers.get("HX-Request"):
        return RedirectResponse(f"/customers/{customer_id}", status_code=303)
    return _after(request, user, customer_id, message=f"Action {status}.", next_id=next_id)


@router.post("/customers/{customer_id}/flags", dependencies=[needs(EDIT_CUSTOMER), Csrf])
def flags(request: Request, user: User, customer_id: str, risk: Short = "",
          do_not_contact: Short = "", credit_hold: Short = "") -> Response:
    try:
        ledger.update_customer(acting(request, user), customer_id=customer_id, scope=user.scope,
                               changes={"risk": risk, "do_not_contact": bool(do_not_contact),
                                        "credit_hold": bool(credit_hold)})
    except ArcollectError as exc:
        return redirect(request, f"/customers/{quote(customer_id, safe='')}", error=problems_text(exc))
    return redirect(request, f"/customers/{quote(customer_id, safe='')}", message="Flags saved.")


@router.post("/promises/{promise_id}/cancel", dependencies=[needs(WORK), Csrf])
def cancel_promise(request: Request, user: User, promise_id: str, customer_id: Short, note: Text = "") -> Response:
    try:
        promises.cancel_promise(acting(request, user), promise_id=promise_id, scope=user.scope, note=note)
    except ArcollectError as exc:
        return redirect(request, f"/customers/{quote(customer_id, safe='')}", error=problems_text(exc))
    return redirect(request, f"/customers/{quote(customer_id, safe='')}", message="Promise cancelled.")


# ---- managers --------------------------------------------------------------------------------


@router.get("/worklist/team")
def team(request: Request, user: User, message: str | None = None, error: str | None = None,
         source: Annotated[str | None, Query(alias="from", max_length=64)] = None) -> Response:
    user.require(ASSIGN)
    ctx = get_ctx(request)
    loads = {w["collector"]: w for w in worklists.workloads(ctx, as_of=ctx.clock.today(), scope=user.scope)}
    rates = {r["collector"]: r for r in promises.kept_rates(ctx, as_of=ctx.clock.today(), scope=user.scope)}
    people = worklists.team_collectors(ctx, scope=user.scope)
    listed = {p["collector"] for p in people}
    unassigned = loads.get("(unassigned)")
    source = source if source in listed else (people[0]["collector"] if people else None)
    accounts, more = ([], 0)
    if source:
        accounts, found = ledger.list_customers(ctx, scope=user.scope, collector=source, limit=200)
        more = found - len(accounts)
    return page(request, "worklist_team.html", nav="team", people=people, loads=loads, rates=rates,
                unassigned=unassigned, source=source, accounts=accounts, more=more,
                targets=worklists.reassign_targets(ctx, scope=user.scope), message=message, error=error)


@router.post("/worklist/team/reassign", dependencies=[needs(ASSIGN), Csrf])
def reassign(request: Request, user: User, collector: Short, customers: Text = "",
             picked: Annotated[list[str] | None, Form(alias="account")] = None, source: Short = "") -> Response:
    ids = list(dict.fromkeys([*(picked or []), *(c for c in customers.replace(",", " ").split() if c)]))
    back = source or None
    if not ids:
        return team(request, user, error="Pick at least one account to move.", source=back)
    try:
        n = worklists.reassign(acting(request, user), customer_ids=ids, collector=collector.strip(), scope=user.scope)
    except ArcollectError as exc:
        return team(request, user, error=problems_text(exc), source=back)
    return team(request, user, message=f"{n} account(s) moved to {collector.strip()}.", source=back)


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
