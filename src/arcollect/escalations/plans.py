"""Instalment plans (pure): a schedule of instalments agreed with the customer, each tracked like a
promise to pay, measured cumulatively — instalment k is kept once the payments applied to the plan's
invoices since the plan was agreed reach the sum of instalments 1…k by its date plus the grace days
(paying early or paying more than one instalment counts towards the next ones).

Plan status: ``active`` → ``completed`` (every instalment kept) | ``broken`` (an instalment not kept
by its deadline) | ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from arcollect.money import allocate

ZERO = Decimal(0)
MAX_INSTALMENTS = 60


@dataclass(frozen=True)
class Instalment:
    due_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class InstalmentState:
    number: int
    due_on: dt.date
    amount: Decimal
    status: str  # open | kept | broken
    paid: Decimal  # paid towards this instalment (cumulative payments beyond the earlier ones)


def check_schedule(schedule: Sequence[Instalment], *, total: Decimal, starts: dt.date) -> list[str]:
    """Problems with a schedule: dates after the start and increasing, amounts > 0 adding up to the total."""
    problems = []
    if not schedule:
        return ["instalments: at least one"]
    if len(schedule) > MAX_INSTALMENTS:
        problems.append(f"instalments: at most {MAX_INSTALMENTS} (got {len(schedule)})")
    for n, inst in enumerate(schedule, 1):
        if inst.amount <= 0:
            problems.append(f"instalments[{n}]: amount must be greater than zero (got {inst.amount})")
        if inst.due_on < starts:
            problems.append(f"instalments[{n}]: {inst.due_on.isoformat()} is before the plan starts ({starts.isoformat()})")
        if n > 1 and inst.due_on <= schedule[n - 2].due_on:
            problems.append(f"instalments[{n}]: dates must increase ({inst.due_on.isoformat()} after "
                            f"{schedule[n - 2].due_on.isoformat()})")
    scheduled = sum((i.amount for i in schedule), ZERO)
    if scheduled != total:
        problems.append(f"instalments: they add up to {scheduled}, not the plan's {total}")
    return problems


def equal_schedule(total: Decimal, count: int, first: dt.date, every_days: int, currency: str) -> list[Instalment]:
    """``count`` instalments every ``every_days`` from ``first``, equal to the cent (``money.allocate``)."""
    return [Instalment(first + dt.timedelta(days=every_days * k), part)
            for k, part in enumerate(allocate(total, [1] * count, currency))]


def states(schedule: Sequence[Instalment], payments: Iterable[tuple[dt.date, Decimal]], *, agreed_on: dt.date,
           grace_days: int, as_of: dt.date) -> list[InstalmentState]:
    """Each instalment's status as of the date, from the payments (applied_on, amount) to the plan's invoices."""
    paid = sorted((on, amount) for on, amount in payments if agreed_on <= on <= as_of)
    out: list[InstalmentState] = []
    due_so_far = ZERO
    for n, inst in enumerate(schedule, 1):
        before = due_so_far
        due_so_far += inst.amount
        deadline = inst.due_on + dt.timedelta(days=grace_days)
        by_deadline = sum((a for on, a in paid if on <= deadline), ZERO)
        towards = min(max(by_deadline - before, ZERO), inst.amount)
        if by_deadline >= due_so_far:
            status = "kept"
        elif as_of <= deadline:
            status = "open"
        else:
            status = "broken"
        out.append(InstalmentState(n, inst.due_on, inst.amount, status, towards))
    return out


def plan_status(instalments: Sequence[InstalmentState], cancelled: bool = False) -> str:
    if cancelled:
        return "cancelled"
    if any(s.status == "broken" for s in instalments):
        return "broken"
    if instalments and all(s.status == "kept" for s in instalments):
        return "completed"
    return "active"


def next_open(instalments: Sequence[InstalmentState]) -> InstalmentState | None:
    return next((s for s in instalments if s.status == "open"), None)
