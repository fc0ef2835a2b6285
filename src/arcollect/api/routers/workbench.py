"""/api/v1 worklist, actions, activities, promises, playbooks, workloads, timeline (thin: parse → service)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.etags import Tagged
from arcollect.api.problems import responses
from arcollect.api.workbench_schemas import (
    ActionClose, ActionRead, ActivityCreate, ActivityPage, ActivityRead, PlaybookLoaded,
    PlaybookRead, PlaybookText, PlaybookVersionRead, PreviewRead, PromiseCancel, PromiseCreate, PromiseRead,
    RunCreate, RunRead, SnoozeCreate, SnoozeRead, TimelineEvent, WorkloadRead, WorklistRead,
)
from arcollect.auth.permissions import ASSIGN, PLAYBOOK, READ, WORK
from arcollect.bounds import DayQuery
from arcollect.errors import InvalidInput, PermissionDenied
from arcollect.playbook import service as playbooks
from arcollect.promises import service as promises_service
from arcollect.worklist import service as worklists

router = APIRouter(tags=["workbench"])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Login = Annotated[str | None, Query(max_length=64)]


@router.get("/worklist", response_model=WorklistRead, responses=responses(401, 403))
def worklist(ctx: Ctx, caller: Caller, tag: Tagged, as_of: DayQuery = None, collector: Login = None,
             limit: Limit = 100, offset: Offset = 0) -> WorklistRead | Response:
    """The day's prioritized worklist (by priority; a callback due adds 100), each account with the
    parts of its score, the reasons and the proposed actions. Runs the day's evaluation if needed.
    ETag: nothing changed since the client's copy (``If-None-Match``), 304."""
    caller.require(READ)
    who = caller.worklist_of(collector)
    if tag.fresh:
        return tag.not_modified()
    data = worklists.worklist(acting(ctx, caller), as_of=as_of or ctx.clock.today(), collector=who,
                              scope=caller.scope, limit=limit, offset=offset)
    return WorklistRead(**data)


@router.post("/worklist/run", response_model=RunRead, responses=responses(401, 403), dependencies=[needs(WORK)])
def run(ctx: Ctx, caller: Caller, body: RunCreate) -> RunRead:
    """Evaluate the playbook for a date (idempotent: the same date again creates nothing new)."""
    who = caller.worklist_of(body.collector)
    if who is None and not caller.scope.everything:
        raise PermissionDenied("name a collector: the whole book is run by an admin or a manager without a team")
    return RunRead(**worklists.run(acting(ctx, caller), as_of=body.as_of or ctx.clock.today(), collector=who,
                                   scope=caller.scope))


@router.post("/actions/{action_id}/close", response_model=ActionRead, responses=responses(401, 403, 404, 409),
             dependencies=[needs(WORK)])
def close_action(ctx: Ctx, caller: Caller, action_id: str, body: ActionClose) -> ActionRead:
    """Mark an action done or skipped (calls are closed by logging the call)."""
    return ActionRead(**worklists.close_action(acting(ctx, caller), action_id=action_id, status=body.status,
                                               note=body.note, scope=caller.scope))


@router.post("/customers/{customer_id}/snooze", response_model=SnoozeRead, responses=responses(401, 403, 404),
             dependencies=[needs(WORK)])
def snooze(ctx: Ctx, caller: Caller, customer_id: str, body: SnoozeCreate) -> SnoozeRead:
    """Put the account's open actions aside until a date (at most 90 days)."""
    return SnoozeRead(**worklists.snooze(acting(ctx, caller), customer_id=customer_id, until=body.until,
                                         note=body.note, scope=caller.scope))


@router.get("/activities", response_model=ActivityPage, responses=responses(401, 403, 404))
def activities(ctx: Ctx, caller: Caller, customer_id: Annotated[str | None, Query(max_length=64)] = None,
               kind: Literal["call", "email", "letter", "note", "promise", "review", "escalation", "skip", "snooze"] | None = None,
               since: DayQuery = None, limit: Limit = 100, offset: Offset = 0) -> ActivityPage:
    """Calls, emails, letters, notes and promises, newest first."""
    caller.require(READ)
    return ActivityPage(**promises_service.list_activities(ctx, scope=caller.scope, customer_id=customer_id, kind=kind,
                                                since=since, limit=limit, offset=offset))


@router.post("/activities", response_model=ActivityRead, status_code=201, responses=responses(401, 403, 404),
             dependencies=[needs(WORK)])
def log_activity(ctx: Ctx, caller: Caller, body: ActivityCreate) -> ActivityRead:
    """Log a call (with its outcome; it completes the account's call tasks), an email, a letter or a note."""
    actx = acting(ctx, caller)
    if body.kind == "call":
        if body.outcome is None:
            raise InvalidInput("a call needs an outcome", ["outcome: required for a call"])
        data = worklists.log_call(actx, customer_id=body.customer_id, outcome=body.outcome, note=body.note,
                                  follow_up=body.follow_up, contact=body.contact, invoices=body.invoices,
                                  dispute_reason=body.dispute_reason, scope=caller.scope)
    else:
        data = promises_service.log_activity(actx, customer_id=body.customer_id, kind=body.kind, outcome=body.outcome,
                                  note=body.note, follow_up=body.follow_up, contact=body.contact,
                                  invoices=body.invoices, scope=caller.scope)
    return ActivityRead(**data)


@router.get("/promises", response_model=list[PromiseRead], responses=responses(401, 403, 404))
def promises(ctx: Ctx, caller: Caller, as_of: DayQuery = None,
             customer_id: Annotated[str | None, Query(max_length=64)] = None,
             status: Literal["open", "kept", "partially_kept", "broken", "cancelled"] | None = None) -> list[PromiseRead]:
    """Promises with their status as of a date (default today), newest first."""
    caller.require(READ)
    rows = promises_service.list_promises(ctx, as_of=as_of or ctx.clock.today(), scope=caller.scope,
                               customer_id=customer_id, status=status)
    return [PromiseRead(**r) for r in rows]


@router.post("/promises", response_model=PromiseRead, status_code=201, responses=responses(401, 403, 404),
             dependencies=[needs(WORK)])
def add_promise(ctx: Ctx, caller: Caller, body: PromiseCreate) -> PromiseRead:
    """Record a promise to pay; its invoices leave dunning until the date plus the grace days."""
    data = worklists.add_promise(acting(ctx, caller), customer_id=body.customer_id, amount=body.amount,
                                 promised_date=body.date, invoices=body.invoices, channel=body.channel,
                                 contact=body.contact, note=body.note, scope=caller.scope)
    return PromiseRead(**data)


@router.post("/promises/{promise_id}/cancel", response_model=PromiseRead, responses=responses(401, 403, 404, 409),
             dependencies=[needs(WORK)])
def cancel_promise(ctx: Ctx, caller: Caller, promise_id: str, body: PromiseCancel) -> PromiseRead:
    """Cancel an open promise."""
    promises_service.cancel_promise(acting(ctx, caller), promise_id=promise_id, scope=caller.scope, note=body.note)
    today = ctx.clock.today()
    row = next(p for p in promises_service.list_promises(ctx, as_of=today, scope=caller.scope) if p["id"] == promise_id)
    return PromiseRead(**row)


@router.get("/playbooks", response_model=list[PlaybookVersionRead], responses=responses(401, 403))
def playbook_versions(ctx: Ctx, caller: Caller) -> list[PlaybookVersionRead]:
    """Every loaded playbook version, newest first (none: the built-in default is in force)."""
    caller.require(READ)
    return [PlaybookVersionRead(**v) for v in playbooks.versions(ctx)]


@router.get("/playbooks/current", response_model=PlaybookRead, responses=responses(401, 403))
def playbook_current(ctx: Ctx, caller: Caller) -> PlaybookRead:
    """The playbook in force: its YAML and its segments and steps."""
    caller.require(READ)
    current = playbooks.active(ctx)
    return PlaybookRead(version=current.version, name=current.playbook.name, source=current.source,
                        segments=playbooks.summary(current.playbook))


@router.post("/playbooks", response_model=PlaybookLoaded, status_code=201, responses=responses(401, 403),
             dependencies=[needs(PLAYBOOK)])
def playbook_load(ctx: Ctx, caller: Caller, body: PlaybookText) -> PlaybookLoaded:
    """Validate and load a playbook as the next version (errors name their line and field)."""
    return PlaybookLoaded(**playbooks.load(acting(ctx, caller), text=body.text, source="playbook"))


@router.post("/playbooks/preview", response_model=PreviewRead, responses=responses(401, 403),
             dependencies=[needs(READ)])
def playbook_preview(ctx: Ctx, caller: Caller, body: PlaybookText, as_of: DayQuery = None) -> PreviewRead:
    """What a playbook would do on a date in the caller's scope (nothing is stored)."""
    return PreviewRead(**worklists.preview(ctx, text=body.text, as_of=as_of or ctx.clock.today(), scope=caller.scope))


@router.get("/workloads", response_model=list[WorkloadRead], responses=responses(401, 403))
def workloads(ctx: Ctx, caller: Caller, as_of: DayQuery = None) -> list[WorkloadRead]:
    """Open actions per collector in the caller's scope (managers)."""
    caller.require(ASSIGN)
    return [WorkloadRead(**w) for w in worklists.workloads(ctx, as_of=as_of or ctx.clock.today(), scope=caller.scope)]


@router.get("/customers/{customer_id}/timeline", response_model=list[TimelineEvent], responses=responses(401, 403, 404))
def timeline(ctx: Ctx, caller: Caller, customer_id: str, limit: Limit = 100) -> list[TimelineEvent]:
    """Everything on the account, newest first, with who and when."""
    caller.require(READ)
    return [TimelineEvent(**e) for e in promises_service.timeline(ctx, customer_id=customer_id, scope=caller.scope, limit=limit)]
