"""API schemas of the workbench: worklist, actions, activities, promises, playbooks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arcollect.bounds import AMOUNT_PATTERN, Day
from arcollect.promises.models import CALL_OUTCOMES

Note = Annotated[str, Field(max_length=4000)]
Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=500)]
Outcome = Literal[CALL_OUTCOMES]  # type: ignore[valid-type]


class ActionRead(BaseModel):
    id: str
    kind: Literal["email", "call", "letter", "review", "escalation"]
    step: str
    invoices: list[str]
    due: dt.date
    scheduled_at: dt.datetime | None = None
    needs_approval: bool
    reasons: list[str]
    template: str | None = None
    amounts: dict[str, str] = Field(description="open amount of the listed invoices per currency")
    proposed_on: dt.date
    status: Literal["open", "done", "skipped", "cancelled"]
    segment: str
    escalation_id: str | None = Field(None, description="an escalation waiting for its decision (kind escalation)")


class WorklistItem(BaseModel):
    customer_id: str
    name: str
    collector: str | None
    priority: float
    parts: dict[str, float] = Field(description="the priority's parts: overdue, risk, promises, silence, value")
    segment: str | None
    callback: dt.date | None = Field(description="a follow-up date the collector set, due today or overdue")
    reasons: list[str]
    actions: list[ActionRead]


class WorklistRead(BaseModel):
    as_of: dt.date
    total: int
    items: list[WorklistItem]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Day | None = None
    collector: Annotated[str, Field(max_length=64)] | None = None


class RunRead(BaseModel):
    as_of: dt.date
    playbook_version: int
    accounts: int
    proposed: int
    cancelled: int
    evaluated: int = Field(0, description="accounts the playbook evaluated (the others' inputs were unchanged)")
    skipped: int = Field(0, description="accounts skipped: inputs unchanged and no step window opening")
    seconds: dict[str, float] = Field(default_factory=dict, description="time per phase: read, evaluate, write, commit")


class ActionClose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["done", "skipped"]
    note: Note | None = None


class SnoozeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: dt.date
    note: Note | None = None


class SnoozeRead(BaseModel):
    customer_id: str
    until: dt.date
    actions: int


class ActivityCreate(BaseModel):
    """A call needs an outcome; ``dispute`` with invoices opens a dispute case on them (``dispute_reason``)."""

    model_config = ConfigDict(extra="forbid")
    customer_id: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["call", "email", "letter", "note"] = "call"
    outcome: Outcome | None = None
    note: Note | None = None
    follow_up: dt.date | None = None
    contact: Annotated[str, Field(max_length=254)] | None = None
    invoices: Ids = []
    dispute_reason: Annotated[str, Field(min_length=1, max_length=32)] | None = None


class ActivityRead(BaseModel):
    id: str
    customer_id: str
    kind: str
    outcome: str | None
    note: str | None
    at: dt.datetime
    actor: str
    follow_up: dt.date | None
    contact: str | None
    invoices: list[str]
    promise_id: str | None = None
    dispute_id: str | None = None


class ActivityPage(BaseModel):
    items: list[ActivityRead]
    total: int


class PromiseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Annotated[str, Field(min_length=1, max_length=64)]
    amount: Annotated[str, Field(pattern=AMOUNT_PATTERN, description="e.g. 1250.00")]
    date: dt.date
    invoices: Ids = []
    channel: Literal["call", "email", "portal", "letter", "other"] = "call"
    contact: Annotated[str, Field(max_length=254)] | None = None
    note: Note | None = None


class PromiseRead(BaseModel):
    id: str
    customer_id: str
    amount: str
    currency: str
    date: dt.date
    invoices: list[str]
    status: Literal["open", "kept", "partially_kept", "broken", "cancelled"]
    paid: str | None = None
    deadline: dt.date | None = None
    channel: str | None = None


class PromiseCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note | None = None


class PlaybookText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(min_length=1, max_length=200_000, description="the playbook YAML")]


class PlaybookRead(BaseModel):
    version: int
    name: str
    source: str
    segments: list[dict[str, Any]]


class PlaybookVersionRead(BaseModel):
    version: int
    name: str
    loaded_at: dt.datetime
    loaded_by: str


class PlaybookLoaded(BaseModel):
    version: int
    name: str
    changed: bool


class PreviewRead(BaseModel):
    as_of: dt.date
    name: str
    accounts: int
    segments: dict[str, int]
    steps: list[dict[str, Any]]
    sample: list[dict[str, Any]]


class WorkloadRead(BaseModel):
    collector: str
    accounts: int
    actions: int
    overdue: int
    needs_approval: int
    by_kind: dict[str, int]


class TimelineEvent(BaseModel):
    on: dt.date
    at: dt.datetime | None = None
    kind: str
    by: str | None
    text: str
