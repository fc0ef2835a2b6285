"""The admin's auto-approval rules, kept in the database (the Assistant settings page and its API): per action
kind on or off with the confidence a proposal needs. Which wins: a kind an admin has set here follows what was
set (on or off); a kind never set here follows the ``assistant_auto_approve`` setting (the default). "Back to
the default" removes the stored rule. Every change is audited with who and before → after."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from arcollect import audit
from arcollect.assistant import agent
from arcollect.assistant.agent_models import AssistantAutoRule
from arcollect.context import Context
from arcollect.errors import InvalidInput

MIN_THRESHOLD = 0.5  # below: the assistant is more often wrong than right; a person decides


def _kind(kind: str) -> str:
    if kind not in agent.KINDS:
        raise InvalidInput(f"kind: {kind!r} is not an action kind (one of {', '.join(agent.KINDS)})")
    return kind


def _threshold(value: Any) -> float:
    try:
        number = float(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%") else 1)
    except ValueError:
        raise InvalidInput(f"threshold: {value!r} is not a number between {MIN_THRESHOLD} and 1") from None
    if not math.isfinite(number) or not MIN_THRESHOLD <= number <= 1.0:
        raise InvalidInput(f"threshold: {value!r} is not between {MIN_THRESHOLD} and 1 (e.g. 0.95)")
    return round(number, 3)


def effective(ctx: Context) -> dict[str, float]:
    """Kind → threshold of the rules in force: the setting's, overlaid by the stored ones."""
    rules = agent.auto_rules(ctx.settings.assistant_auto_approve)
    with ctx.sessions() as session:
        for row in session.scalars(select(AssistantAutoRule)):
            if row.enabled:
                rules[row.kind] = row.threshold
            else:
                rules.pop(row.kind, None)
    return rules


def list_rules(ctx: Context) -> list[dict[str, Any]]:
    """Every action kind with its rule in force and where it comes from (``admin`` or ``setting``)."""
    default = agent.auto_rules(ctx.settings.assistant_auto_approve)
    with ctx.sessions() as session:
        stored = {r.kind: r for r in session.scalars(select(AssistantAutoRule))}
    out = []
    for kind, label in agent.KINDS.items():
        row = stored.get(kind)
        base = {"kind": kind, "label": label, "default_enabled": kind in default,
                "default_threshold": default.get(kind)}
        if row is not None:
            out.append({**base, "enabled": row.enabled, "threshold": row.threshold, "source": "admin",
                        "updated_by": row.updated_by, "updated_at": row.updated_at})
        else:
            out.append({**base, "enabled": kind in default, "threshold": default.get(kind), "source": "setting",
                        "updated_by": None, "updated_at": None})
    return out


def _state(row: AssistantAutoRule | None, default: dict[str, float], kind: str) -> dict[str, Any]:
    if row is None:
        return {"enabled": kind in default, "threshold": default.get(kind), "source": "setting"}
    return {"enabled": row.enabled, "threshold": row.threshold, "source": "admin"}


def set_rule(ctx: Context, *, kind: str, enabled: bool, threshold: Any = None) -> dict[str, Any]:
    """Turn auto-approval of ``kind`` on (at ``threshold``) or off; audited ``set`` with before → after."""
    _kind(kind)
    default = agent.auto_rules(ctx.settings.assistant_auto_approve)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        row = session.get(AssistantAutoRule, kind)
        before = _state(row, default, kind)
        if threshold is None or str(threshold).strip() == "":
            if enabled:
                raise InvalidInput("threshold: give the confidence a proposal needs (e.g. 0.95)")
            number = row.threshold if row is not None else default.get(kind, 0.95)
        else:
            number = _threshold(threshold)
        if row is None:
            row = AssistantAutoRule(kind=kind, enabled=enabled, threshold=number, updated_by=ctx.actor, updated_at=now)
            session.add(row)
        else:
            row.enabled, row.threshold, row.updated_by, row.updated_at = enabled, number, ctx.actor, now
        after = _state(row, default, kind)
        audit.record(session, at=now, actor=ctx.actor, action="set", entity="assistant_auto_rule", entity_key=kind,
                     changes={"before": before, "after": after, **audit.diff(before, after)})
    return next(r for r in list_rules(ctx) if r["kind"] == kind)


def reset_rule(ctx: Context, *, kind: str) -> dict[str, Any]:
    """Back to the setting's default for ``kind`` (the stored rule removed); audited ``reset``."""
    _kind(kind)
    default = agent.auto_rules(ctx.settings.assistant_auto_approve)
    with ctx.unit_of_work() as session:
        row = session.get(AssistantAutoRule, kind)
        if row is not None:
            before = _state(row, default, kind)
            session.delete(row)
            after = _state(None, default, kind)
            audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="reset", entity="assistant_auto_rule",
                         entity_key=kind, changes={"before": before, "after": after, **audit.diff(before, after)})
    return next(r for r in list_rules(ctx) if r["kind"] == kind)
