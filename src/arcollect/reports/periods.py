"""Reporting periods (pure): "2026-Q1", "2026-03", "2026" or "2026-01-01..2026-03-31" → first day, last
day and length; the calendar months a trend shows; the month windows countback DSO walks back through."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from arcollect.errors import InvalidInput

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
FORMS = "2026-Q1, 2026-03, 2026 or 2026-01-01..2026-03-31"
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Days in the period, both ends included (a quarter of 2026-Q1 has 90)."""
        return (self.end - self.start).days + 1

    @property
    def day_before(self) -> dt.date:
        """The as-of date of the opening balance (``ar_start``)."""
        return self.start - dt.timedelta(days=1)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _year(text: str, value: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"period {value!r}: year {year} is outside {MIN_YEAR}–{MAX_YEAR}")
    return year


def parse_period(value: str | None) -> Period:
    """A period as the contract writes it; InvalidInput naming the accepted forms otherwise."""
    text = (value or "").strip()
    if m := _QUARTER.match(text):
        year, q = _year(m.group(1), text), int(m.group(2))
        return Period(f"{year}-Q{q}", dt.date(year, 3 * q - 2, 1), month_end(year, 3 * q))
    if m := _MONTH.match(text):
        year, month = _year(m.group(1), text), int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidInput(f"period {text!r}: month {month:02d} does not exist (01–12)")
        return Period(text, dt.date(year, month, 1), month_end(year, month))
    if m := _YEAR.match(text):
        year = _year(m.group(1), text)
        return Period(text, dt.date(year, 1, 1), dt.date(year, 12, 31))
    if m := _RANGE.match(text):
        try:
            start, end = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        except ValueError as exc:
            raise InvalidInput(f"period {text!r}: {exc}") from None
        _year(str(start.year), text), _year(str(end.year), text)
        if end < start:
            raise InvalidInput(f"period {text!r}: the end {end} is before the start {start}")
        return Period(text, start, end)
    raise InvalidInput(f"period {value!r} is not a period: one of {FORMS}")


def is_month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def months_back(end: dt.date, k: int) -> dt.date:
    """``end`` moved back ``k`` whole months (the 31st of a 30-day month becomes the 30th)."""
    month = end.month - 1 - k
    year, month = end.year + month // 12, month % 12 + 1
    if is_month_end(end):
        return month_end(year, month)
    return dt.date(year, month, min(end.day, calendar.monthrange(year, month)[1]))


def countback_windows(end: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    """The month windows (first day, last day) countback DSO walks back through from ``end``, the latest
    first: calendar months when ``end`` is a month end, else whole months ending on ``end``'s day."""
    return [(months_back(end, k + 1) + dt.timedelta(days=1), months_back(end, k)) for k in range(months)]


def trend_months(period: Period, at_least: int = 6) -> list[Period]:
    """The calendar months of the trend: every month the period touches, and at least ``at_least``
    months ending with the period's last one. The last month ends on the period's end."""
    first = (period.start.year, period.start.month)
    last = (period.end.year, period.end.month)
    count = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    count = max(count, at_least)
    out = []
    for k in range(count - 1, -1, -1):
        month = last[1] - 1 - k
        year, month = last[0] + month // 12, month % 12 + 1
        end = min(month_end(year, month), period.end)
        out.append(Period(f"{year}-{month:02d}", dt.date(year, month, 1), end))
    return out
