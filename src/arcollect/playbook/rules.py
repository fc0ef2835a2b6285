"""The playbook document: YAML validated with pydantic; every error names its line and field.

A playbook has settings (promise grace, due-date convention, contact window, collector shifts),
and segments tried in order — the first whose conditions hold owns the account — each with steps
keyed to days past due (negative: days before due).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arcollect import calendar, yaml_model

CHANNELS = ("email", "call", "letter", "review", "escalation")
CONTACT_CHANNELS = frozenset({"email", "call", "letter"})
FLAGS = ("credit_hold", "do_not_contact")
RISKS = ("low", "medium", "high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowSpec(_Strict):
    start: str = "09:00"
    end: str = "17:00"
    days: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])

    @model_validator(mode="after")
    def _valid(self) -> "WindowSpec":
        start, end = calendar.parse_time(self.start), calendar.parse_time(self.end)
        if end <= start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        calendar.parse_days(self.days)
        return self

    def window(self) -> calendar.Window:
        return calendar.Window(calendar.parse_time(self.start), calendar.parse_time(self.end),
                               calendar.parse_days(self.days))


class ShiftSpec(_Strict):
    name: str
    timezone: str
    country: str | None = None
    hours: WindowSpec = Field(default_factory=WindowSpec)
    collectors: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    def shift(self) -> calendar.Shift:
        return calendar.Shift(self.name, self.timezone, self.hours.window(), self.country)


class Settings(_Strict):
    promise_grace_days: int = Field(3, ge=0, le=60)
    due_date_convention: Literal["none", "following", "preceding", "modified_following"] = "following"
    min_days_between_contacts: int = Field(3, ge=0, le=90)
    remittance_request_every: int = Field(14, ge=1, le=365)
    broken_promise_lookback_days: int = Field(180, ge=1, le=3650)
    contact_window: WindowSpec = Field(default_factory=WindowSpec)
    shifts: list[ShiftSpec] = Field(default_factory=list)


class Conditions(_Strict):
    """Every condition given must hold (an empty set matches every account)."""

    segment: list[str] | None = None
    country: list[str] | None = None
    currency: list[str] | None = None
    risk: list[Literal["low", "medium", "high"]] | None = None
    collector: list[str] | None = None
    team: list[str] | None = None
    open_balance_at_least: Decimal | None = Field(None, ge=0)
    open_balance_below: Decimal | None = Field(None, gt=0)
    credit_limit_at_least: Decimal | None = Field(None, ge=0)
    oldest_days_past_due_at_least: int | None = None
    custom: dict[str, str] | None = None


class Step(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,47}$")
    channel: Literal["email", "call", "letter", "review", "escalation"]
    from_day: int = Field(ge=-90, le=3650, description="days past due (negative: before due) the step starts")
    to_day: int | None = Field(None, ge=-90, le=3650)
    template: str | None = None
    every: int | None = Field(None, ge=1, le=365, description="repeat while invoices stay in the window")
    needs_approval: bool = False
    requires_call: bool = Field(False, description="held until a call was logged on the account since its last step")
    skip_when: list[Literal["credit_hold", "do_not_contact"]] = Field(default_factory=list)
    attach: Literal["statement", "final_notice", "demand"] | None = Field(
        None, description="a PDF letter attached to the step's email")
    reason: str | None = None
    escalation: Literal["demand_letter", "credit_hold", "agency", "write_off"] | None = Field(
        None, description="the step is an escalation: the escalation policy proposes it (one rung at a time) "
                          "and the worklist shows that proposal until it is decided — no task of its own")

    @model_validator(mode="after")
    def _valid(self) -> "Step":
        if self.to_day is not None and self.to_day < self.from_day:
            raise ValueError(f"to_day {self.to_day} is before from_day {self.from_day}")
        if self.channel in ("email", "letter") and not self.template:
            raise ValueError(f"a {self.channel} step needs a template")
        return self

    def covers(self, days_past_due: int) -> bool:
        return self.from_day <= days_past_due and (self.to_day is None or days_past_due <= self.to_day)

    def describe(self) -> str:
        if self.reason:
            return self.reason
        span = (f"{-self.from_day} days before due" if self.from_day < 0 else
                f"day {self.from_day}" if self.to_day == self.from_day else
                f"{self.from_day}+ days past due" if self.to_day is None else
                f"{self.from_day}–{self.to_day} days past due")
        return f"{self.id.replace('_', ' ')} ({span})"


class Segment(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\- ]{0,63}$")
    description: str | None = None
    when: Conditions = Field(default_factory=Conditions)
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> "Segment":
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} is used twice in segment {self.name!r}")
            seen.add(step.id)
        return self

    def stages(self) -> list[int]:
        """The distinct from_days, in order: a broken promise moves an invoice to the next one."""
        return sorted({s.from_day for s in self.steps})


class Playbook(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    settings: Settings = Field(default_factory=Settings)
    segments: list[Segment] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_segments(self) -> "Playbook":
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names used twice: {', '.join(dupes)}")
        return self

    def shift_for(self, collector: str | None, team: str | None) -> calendar.Shift | None:
        specs = self.settings.shifts
        for spec in specs:
            if (collector and collector in spec.collectors) or (team and team in spec.teams):
                return spec.shift()
        return specs[0].shift() if specs else None

    def step(self, segment: str, step_id: str) -> Step | None:
        for seg in self.segments:
            if seg.name == segment:
                return next((s for s in seg.steps if s.id == step_id), None)
        return None


def parse(text: str, *, source: str = "playbook") -> Playbook:
    """Validate a playbook document; InvalidInput lists every problem as 'source:line: field: message'."""
    return yaml_model.parse(text, Playbook, source=source, what="playbook", shape="a mapping with 'name' and 'segments'")


def default_text() -> str:
    from importlib.resources import files

    return files("arcollect.playbook").joinpath("default.yaml").read_text(encoding="utf-8")

