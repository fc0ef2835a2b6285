"""The escalation policy in force: versioned like the playbook (every load a new row, the highest in
force), else the built-in default (version 0)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from arcollect import versions
from arcollect.context import Context
from arcollect.errors import InvalidInput
from arcollect.escalations import policy as E
from arcollect.escalations.models import EscalationPolicyVersion

MAX_SOURCE = 100_000


@dataclass(frozen=True)
class ActivePolicy:
    version: int  # 0: the built-in default
    policy: E.Policy
    source: str


@lru_cache(maxsize=8)
def _parsed(source: str) -> E.Policy:
    return E.parse(source)


def validate_policy(text: str, *, source: str = "escalation policy") -> E.Policy:
    if len(text) > MAX_SOURCE:
        raise InvalidInput(f"{source}: an escalation policy is at most {MAX_SOURCE} characters")
    return E.parse(text, source=source)


def active_policy(ctx: Context, session: Session | None = None) -> ActivePolicy:
    """The policy in force: the last one loaded, else the built-in default (version 0)."""
    if session is not None:
        row = versions.latest(session, EscalationPolicyVersion)
    else:
        with ctx.sessions() as s:
            row = versions.latest(s, EscalationPolicyVersion)
    if row is None:
        text = E.default_text()
        return ActivePolicy(0, _parsed(text), text)
    return ActivePolicy(row[0], _parsed(row[1]), row[1])


def load_policy(ctx: Context, *, text: str, source: str = "escalation policy") -> dict[str, Any]:
    """Validate and store as the next version (nothing new if unchanged); audited."""
    policy = validate_policy(text, source=source)
    with ctx.unit_of_work() as session:
        return versions.store(session, EscalationPolicyVersion, name=policy.name, text=text, now=ctx.clock.now(),
                              actor=ctx.actor, entity="escalation_policy", changes={"rules": [r.id for r in policy.rules]})
