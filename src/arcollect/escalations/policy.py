"""Escalation rules and the approval matrix (pure): the escalation policy document, which accounts its
rules escalate and with which proposed action, who may approve an action at an amount, and the
escalation workflow.

Workflow::

    proposed → approved → completed        (the action is carried out on approval, or when its
             ↘ rejected     ↘ broken         settlement / plan is kept; broken: not kept)
             ↘ cancelled    ↘ cancelled

The amount an approval is measured against (``amount``): the write-off's amount for a write-off, the
discount given for a settlement, and the account's past-due balance (in the escalation's currency) for
every other action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arcollect import yaml_model
from arcollect.errors import Conflict, PermissionDenied

ACTIONS: dict[str, str] = {
    "demand_letter": "Demand letter",
    "credit_hold": "Credit hold / account suspension",
    "settlement": "Settlement (discounted amount)",
    "payment_plan": "Instalment plan",
    "write_off": "Write-off",
    "agency": "Placement with a collection agency",
}
Action = Literal["demand_letter", "credit_hold", "settlement", "payment_plan", "write_off", "agency"]
STATUSES = ("proposed", "approved", "rejected", "cancelled", "completed", "broken")
OPEN = frozenset({"proposed", "approved"})
TRANSITIONS: dict[str, set[str]] = {
    "proposed": {"approved", "rejected", "cancelled"},
    "approved": {"completed", "broken", "cancelled"},
}
ROLES = ("admin", "manager", "collector")  # roles that may appear as approvers


def check_transition(current: str, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, set()):
        raise Conflict(f"an escalation cannot go from {current} to {wanted}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class When(_Strict):
    """Every condition given must hold (an empty ``when`` is refused)."""

    attempts_without_response: int | None = Field(
        None, ge=1, le=100, description="emails, letters and unanswered calls since the customer last responded")
    oldest_days_past_due: int | None = Field(None, ge=1, le=3650)
    broken_promises: int | None = Field(None, ge=1, le=100, description="broken promises within lookback_days")
    broken_plan: bool | None = Field(None, description="an instalment plan of the account was broken")
    past_due_balance: Decimal | None = Field(None, ge=0, description="at least this much past due")
    max_past_due_balance: Decimal | None = Field(None, ge=0, description="at most this much past due (write-off candidates)")
    over_credit_limit_pct: Decimal | None = Field(None, ge=0, le=1000, description="open balance ≥ this % of the credit limit")
    risk: list[Literal["low", "medium", "high"]] | None = None

    @model_validator(mode="after")
    def _some(self) -> "When":
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("a rule needs at least one condition")
        return self


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,47}$")
    when: When
    propose: Action
    reason: str | None = Field(None, max_length=300)


class Level(_Strict):
    up_to: Decimal | None = Field(None, gt=0, description="this level covers amounts up to here (none: any amount)")
    approvers: list[Literal["admin", "manager", "collector"]] = Field(min_length=1)


class Rung(_Strict):
    action: Action
    wait_days: int = Field(14, ge=0, le=365,
                           description="days after this rung was decided before the next rung may be proposed")


DEFAULT_LADDER = (Rung(action="demand_letter", wait_days=14), Rung(action="credit_hold", wait_days=14),
                  Rung(action="agency", wait_days=0))


class Policy(_Strict):
    name: str = Field(min_length=1, max_length=200)
    lookback_days: int = Field(180, ge=1, le=3650, description="broken promises counted within this many days")
    four_eyes: bool = Field(True, description="whoever proposed an escalation cannot approve it")
    repropose_after_days: int = Field(30, ge=0, le=3650,
                                      description="a rejected or cancelled proposal is not made again for this long")
    rules: list[Rule] = Field(default_factory=list)
    ladder: list[Rung] = Field(default_factory=lambda: list(DEFAULT_LADDER),
                               description="actions proposed one rung at a time, in this order ([]: no ladder)")
    approvals: dict[Action, list[Level]]

    @model_validator(mode="after")
    def _valid(self) -> "Policy":
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique: {', '.join(dupes)}")
        rungs = [r.action for r in self.ladder]
        twice = sorted({a for a in rungs if rungs.count(a) > 1})
        if twice:
            raise ValueError(f"ladder: an action is one rung (twice: {', '.join(twice)})")
        agreed = sorted({a for a in rungs if a in ("settlement", "payment_plan")})
        if agreed:
            raise ValueError(f"ladder: {', '.join(agreed)} is agreed with the customer, not a rung of the ladder")
        missing = [a for a in ACTIONS if a not in self.approvals]
        if missing:
            raise ValueError(f"approvals: every action needs its approvers (missing {', '.join(missing)})")
        for action, levels in self.approvals.items():
            if not levels:
                raise ValueError(f"approvals.{action}: at least one level")
            limits = [lv.up_to for lv in levels]
            if any(x is None for x in limits[:-1]):
                raise ValueError(f"approvals.{action}: only the last level may leave up_to open")
            bounded = [x for x in limits if x is not None]
            if bounded != sorted(set(bounded)):
                raise ValueError(f"approvals.{action}: up_to must increase from level to level")
            if limits[-1] is not None:
                raise ValueError(f"approvals.{action}: the last level must cover any amount (no up_to), "
                                 "so that every amount has an approver")
        return self


def parse(text: str, *, source: str = "escalation policy") -> Policy:
    return yaml_model.parse(text, Policy, source=source, what="escalation policy",
                            shape="a mapping with 'name', 'rules' and 'approvals'")


def default_text() -> str:
    from importlib.resources import files

    return files("arcollect.escalations").joinpath("escalation_policy.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Facts:
    """One account in one currency, as the rules see it."""

    customer_id: str
    currency: str
    past_due: Decimal
    balance: Decimal
    oldest_days_past_due: int
    attempts_without_response: int
    broken_promises: int
    broken_plan: bool = False
    credit_limit: Decimal | None = None
    risk: str | None = None


@dataclass(frozen=True)
class Trigger:
    rule: str
    action: str
    reason: str


def _describe(rule: Rule, f: Facts) -> str:
    if rule.reason:
        return rule.reason
    w, parts = rule.when, []
    if w.attempts_without_response is not None:
        parts.append(f"{f.attempts_without_response} contact attempts without a response")
    if w.oldest_days_past_due is not None:
        parts.append(f"oldest item {f.oldest_days_past_due} days past due")
    if w.broken_promises is not None:
        parts.append(f"{f.broken_promises} broken promises")
    if w.broken_plan:
        parts.append("instalment plan broken")
    if w.past_due_balance is not None or w.max_past_due_balance is not None:
        parts.append(f"{f.past_due} {f.currency} past due")
    if w.over_credit_limit_pct is not None:
        parts.append(f"balance {f.balance} {f.currency} over {w.over_credit_limit_pct}% of the credit limit {f.credit_limit}")
    if w.risk is not None:
        parts.append(f"risk {f.risk}")
    return "; ".join(parts)


def holds(when: When, f: Facts) -> bool:
    checks = [
        when.attempts_without_response is None or f.attempts_without_response >= when.attempts_without_response,
        when.oldest_days_past_due is None or f.oldest_days_past_due >= when.oldest_days_past_due,
        when.broken_promises is None or f.broken_promises >= when.broken_promises,
        when.broken_plan is None or f.broken_plan == when.broken_plan,
        when.past_due_balance is None or f.past_due >= when.past_due_balance,
        when.max_past_due_balance is None or f.past_due <= when.max_past_due_balance,
        when.over_credit_limit_pct is None or (
            f.credit_limit is not None and f.credit_limit > 0
            and f.balance * 100 >= f.credit_limit * when.over_credit_limit_pct),
        when.risk is None or f.risk in when.risk,
    ]
    return all(checks) and f.past_due > 0


def triggers(policy: Policy, facts: Facts) -> list[Trigger]:
    """The rules that hold for the account, one per proposed action (the first rule proposing it wins)."""
    out: dict[str, Trigger] = {}
    for rule in policy.rules:
        if rule.propose not in out and holds(rule.when, facts):
            out[rule.propose] = Trigger(rule.id, rule.propose, _describe(rule, facts))
    return list(out.values())


@dataclass(frozen=True)
class Past:
    """The latest escalation of one action on one account (and currency), as the ladder sees it."""

    status: str
    decided_on: dt.date | None  # the day of the decision (completed or rejected); None while open or cancelled


LADDER_DONE = frozenset({"completed", "rejected"})


def next_rung(policy: Policy, triggered: set[str], past: dict[str, Past], in_effect: set[str],
              today: dt.date) -> str | None:
    """The one ladder action to propose for an account today, or None.

    Rungs are climbed in order: a rung whose escalation is open (proposed or approved) holds the ladder;
    one decided (completed or rejected) lets the next rung be proposed once its ``wait_days`` have
    passed; a rung in effect (the account already on credit hold) is climbed. The first rung not
    climbed whose rule holds today is proposed (a rung whose rule does not hold is passed over)."""
    for rung in policy.ladder:
        p = past.get(rung.action)
        if rung.action in in_effect and (p is None or p.status not in OPEN):
            continue
        if p is not None and p.status in OPEN:
            return None
        if p is not None and p.status in LADDER_DONE and p.decided_on is not None:
            if (today - p.decided_on).days < rung.wait_days:
                return None
            continue
        if rung.action in triggered:
            return rung.action
    return None


def level_for(policy: Policy, action: str, amount: Decimal) -> Level:
    """The matrix level that covers an amount for an action."""
    for level in policy.approvals[action]:  # type: ignore[index]
        if level.up_to is None or amount <= level.up_to:
            return level
    raise AssertionError("the policy's last level covers any amount")  # guaranteed by Policy._valid


def check_approval(policy: Policy, *, action: str, amount: Decimal, currency: str, role: str, login: str,
                   proposed_by: str) -> Level:
    """PermissionDenied unless ``role`` may approve ``action`` at ``amount`` under the matrix (and, with
    four eyes, ``login`` did not propose it)."""
    level = level_for(policy, action, amount)
    if role not in level.approvers:
        limit = f"up to {level.up_to} {currency}" if level.up_to is not None else "at any amount"
        raise PermissionDenied(f"the escalation matrix needs a {' or '.join(level.approvers)} to approve a "
                               f"{ACTIONS[action].lower()} of {amount} {currency} ({limit}); {login} is a {role}")
    if policy.four_eyes and login == proposed_by:
        raise PermissionDenied(f"{login} proposed this escalation and cannot approve it too (four eyes)")
    return level
