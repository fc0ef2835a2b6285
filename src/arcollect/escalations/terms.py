"""What a person proposes for a settlement (the amount and the date to pay it by) or an instalment plan
(the instalments, or their number every N days), checked (pure): problems are collected, the checked
terms go into the escalation's details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from arcollect.escalations import plans as PL
from arcollect.money import parse_amount

def settlement_terms(details: dict[str, Any], settle_amount: str | None, pay_by: dt.date | None, open_total: Decimal,
                cur: str, day: dt.date, problems: list[str]) -> Decimal:
    if settle_amount is None or pay_by is None:
        problems.append("settlement: the settled amount and the date to pay it by are required")
        return Decimal(0)
    try:
        settled = parse_amount(settle_amount, cur)
    except (ValueError, ArithmeticError) as exc:
        problems.append(f"settle_amount: {settle_amount!r}: {exc}")
        return Decimal(0)
    if not 0 < settled < open_total:
        problems.append(f"settle_amount: more than 0 and less than the {open_total} {cur} the invoices owe (got {settled})")
    if not day <= pay_by <= day + dt.timedelta(days=366):
        problems.append(f"pay_by: {pay_by.isoformat()} must be between today and a year from now")
    details.update(settle_amount=str(settled), pay_by=pay_by.isoformat())
    return max(open_total - settled, Decimal(0))  # the discount is what the matrix measures


def plan_terms(details: dict[str, Any], instalments: Sequence[tuple[dt.date, str]], count: int | None, every_days: int,
          first_due: dt.date | None, total: Decimal, cur: str, day: dt.date, problems: list[str]) -> None:
    schedule: list[PL.Instalment] = []
    known = len(problems)
    if instalments:
        for n, (due, raw) in enumerate(instalments, 1):
            try:
                schedule.append(PL.Instalment(due, parse_amount(raw, cur)))
            except (ValueError, ArithmeticError) as exc:
                problems.append(f"instalments[{n}]: amount {raw!r}: {exc}")
    elif count is not None:
        if not 1 <= count <= PL.MAX_INSTALMENTS or not 1 <= every_days <= 366:
            problems.append(f"instalments: between 1 and {PL.MAX_INSTALMENTS}, every 1 to 366 days")
            return
        schedule = PL.equal_schedule(total, count, first_due or day + dt.timedelta(days=every_days), every_days, cur)
    else:
        problems.append("instalments: give the instalments (date and amount) or their number")
        return
    if len(problems) == known:  # every amount parsed: now the schedule as a whole
        problems.extend(PL.check_schedule(schedule, total=total, starts=day))
    details["instalments"] = [{"due_on": i.due_on.isoformat(), "amount": str(i.amount)} for i in schedule]
