"""Business days, public holidays by country, contact windows and collector shifts (pure, no I/O).

A call is scheduled inside both the customer's contact window (their local time, their business
days) and the collector's shift (the collector's time zone); due dates falling on a weekend or a
public holiday follow the configured convention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as _holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MON_FRI = frozenset(range(5))
CONVENTIONS = ("none", "following", "preceding", "modified_following")
UTC = dt.timezone.utc
# ISO 3166 codes whose holiday calendar the library files under another name.
_ALIASES = {"UK": "GB"}
# Countries whose common holidays differ by region: the most populous region's calendar by default.
_DEFAULT_SUBDIVISION = {"GB": "ENG"}


@lru_cache(maxsize=1)
def _supported() -> frozenset[str]:
    return frozenset(_holidays.list_supported_countries())


def _calendar(code: str, year: int) -> dict:
    """The country's public holidays of a year; a country the library does not know has none (weekends only)."""
    if code not in _supported():
        return {}
    return _holidays.country_holidays(code, subdiv=_DEFAULT_SUBDIVISION.get(code), years=year)


@lru_cache(maxsize=4096)
def _holiday_dates(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(_calendar(_ALIASES.get(country, country), year).keys())


def holiday_name(day: dt.date, country: str | None) -> str | None:
    if not country:
        return None
    return _calendar(_ALIASES.get(country.upper(), country.upper()), day.year).get(day)


def is_business_day(day: dt.date, country: str | None, workdays: frozenset[int] = MON_FRI) -> bool:
    """A working weekday that is not a public holiday in the country (no country: weekdays only)."""
    if day.weekday() not in workdays:
        return False
    return not country or day not in _holiday_dates(country.upper(), day.year)


def next_business_day(day: dt.date, country: str | None, workdays: frozenset[int] = MON_FRI) -> dt.date:
    """``day`` itself if it is a business day, else the first one after it."""
    while not is_business_day(day, country, workdays):
        day += dt.timedelta(days=1)
    return day


def previous_business_day(day: dt.date, country: str | None, workdays: frozenset[int] = MON_FRI) -> dt.date:
    while not is_business_day(day, country, workdays):
        day -= dt.timedelta(days=1)
    return day


def add_business_days(day: dt.date, n: int, country: str | None) -> dt.date:
    step = 1 if n >= 0 else -1
    for _ in range(abs(n)):
        day += dt.timedelta(days=step)
        while not is_business_day(day, country):
            day += dt.timedelta(days=step)
    return day


def adjust_due_date(day: dt.date, country: str | None, convention: str) -> dt.date:
    """The date a due date effectively falls on under a business-day convention.

    ``following``: the next business day; ``preceding``: the previous one; ``modified_following``:
    the next one unless that crosses into the next month, then the previous one; ``none``: unchanged.
    """
    if convention == "none" or is_business_day(day, country):
        return day
    if convention == "following":
        return next_business_day(day, country)
    if convention == "preceding":
        return previous_business_day(day, country)
    if convention == "modified_following":
        following = next_business_day(day, country)
        return following if following.month == day.month else previous_business_day(day, country)
    raise ValueError(f"unknown due-date convention {convention!r} (one of {', '.join(CONVENTIONS)})")


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


@dataclass(frozen=True)
class Window:
    """Local hours on some weekdays, e.g. 09:00–17:00 Monday to Friday."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    days: frozenset[int] = MON_FRI


@dataclass(frozen=True)
class Shift:
    """A collector shift: working hours in the shift's time zone (e.g. a US and an EMEA shift)."""

    name: str
    timezone: str
    window: Window = field(default_factory=Window)
    country: str | None = None  # public holidays of the shift's office, if any


def _intervals(window: Window, tz: ZoneInfo, country: str | None, first: dt.date,
               last: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The window's open intervals in UTC on each local business day from ``first`` to ``last``."""
    out = []
    day = first
    while day <= last:
        if is_business_day(day, country, window.days):
            start = dt.datetime.combine(day, window.start, tzinfo=tz).astimezone(UTC)
            end = dt.datetime.combine(day, window.end, tzinfo=tz).astimezone(UTC)
            if end > start:
                out.append((start, end))
        day += dt.timedelta(days=1)
    return out


def first_call_slot(after: dt.datetime, *, customer_tz: str | None, customer_country: str | None,
                    contact: Window = Window(), shift: Shift | None = None,
                    horizon_days: int = 21) -> dt.datetime | None:
    """The first moment at or after ``after`` (UTC) inside the customer's contact window on one of
    their business days and inside the collector's shift; None if none within the horizon.
    """
    after = after.astimezone(UTC)
    first = after.date() - dt.timedelta(days=1)  # local dates may lag UTC by a day
    last = after.date() + dt.timedelta(days=horizon_days)
    theirs = _intervals(contact, zone(customer_tz), customer_country, first, last)
    if shift is None:
        ours = [(after, after + dt.timedelta(days=horizon_days + 1))]
    else:
        ours = _intervals(shift.window, zone(shift.timezone), shift.country, first, last)
    best: dt.datetime | None = None
    for a_start, a_end in theirs:
        for b_start, b_end in ours:
            start, end = max(a_start, b_start, after), min(a_end, b_end)
            if start < end and (best is None or start < best):
                best = start
    return best


def parse_time(text: str) -> dt.time:
    try:
        hours, minutes = text.split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a time of day HH:MM") from None


def parse_days(names: list[str]) -> frozenset[int]:
    out = set()
    for name in names:
        key = str(name).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"{name!r} is not a weekday (mon … sun)")
        out.add(WEEKDAYS.index(key))
    return frozenset(out)
