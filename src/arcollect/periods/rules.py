"""Month-end close rules (pure): months as ``YYYY-MM``, what is closed, what may close or reopen next.

Months close in order and reopen in reverse order, so the closed months are always one run ending at the
latest closed month: everything dated on or before its last day (``closed_through``) is closed, the first
close included every earlier date. The earliest open date is the day after.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from arcollect.errors import InvalidInput

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> str:
    """``"2026-03"`` → ``"2026-03"`` (checked); InvalidInput naming the expected form otherwise."""
    value = (text or "").strip()
    match = MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise InvalidInput(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-03")
    return value


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> dt.date:
    year, mon = (int(p) for p in parse_month(month).split("-"))
    return dt.date(year, mon, 1)


def last_day(month: str) -> dt.date:
    year, mon = (int(p) for p in parse_month(month).split("-"))
    return dt.date(year, mon, calendar.monthrange(year, mon)[1])


def next_month(month: str) -> str:
    return month_of(last_day(month) + dt.timedelta(days=1))


def previous_month(month: str) -> str:
    return month_of(first_day(month) - dt.timedelta(days=1))


def closed_through(latest_closed: str | None) -> dt.date | None:
    """The last closed date: the last day of the latest closed month (None: nothing is closed)."""
    return last_day(latest_closed) if latest_closed else None


def is_closed(day: dt.date, through: dt.date | None) -> bool:
    """Is a document, application or write-off dated ``day`` in a closed month?"""
    return through is not None and day <= through


def earliest_open_date(through: dt.date | None) -> dt.date | None:
    """The first date that may still be booked (None: every date is open)."""
    return None if through is None else through + dt.timedelta(days=1)


def refusal(day: dt.date, what: str) -> str:
    """The one sentence every refused back-dated change says."""
    return (f"{month_of(day)} is closed: {what} dated {day.isoformat()} cannot be created or changed; "
            f"post the correction in the open period")


def close_refusal(month: str, *, today: dt.date, latest_closed: str | None) -> str | None:
    """Why ``month`` may not close now (None: it may). A month closes once it is over (the day after its
    last day) and right after the latest closed month (the first close may be any month that is over)."""
    end = last_day(month)
    if latest_closed is not None and month <= latest_closed:
        if month == latest_closed:
            return f"{month} is already closed"
        return f"{month} is already closed (the books are closed through {latest_closed})"
    if today <= end:
        return f"{month} is not over: it can be closed from {(end + dt.timedelta(days=1)).isoformat()} on"
    if latest_closed is not None and month != next_month(latest_closed):
        return (f"months close in order: close {next_month(latest_closed)} first "
                f"(the books are closed through {latest_closed})")
    return None


def reopen_refusal(month: str, *, latest_closed: str | None) -> str | None:
    """Why ``month`` may not reopen (None: it may): only a closed month, and the latest one first."""
    if latest_closed is None or month > latest_closed:
        return f"{month} is not closed"
    if month != latest_closed:
        return (f"months reopen in reverse order: reopen {latest_closed} first "
                f"(the books are closed through {latest_closed})")
    return None
