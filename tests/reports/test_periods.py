"""Periods as CONTRACT §10 writes them: quarter, month, year, range; the trend months; countback windows."""

from __future__ import annotations

import datetime as dt

import pytest

from arcollect.errors import InvalidInput
from arcollect.reports.periods import countback_windows, parse_period, trend_months

D = dt.date


@pytest.mark.parametrize("text, start, end, days", [
    ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), 90),
    ("2024-q1", D(2024, 1, 1), D(2024, 3, 31), 91),
    ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31), 92),
    ("2026-03", D(2026, 3, 1), D(2026, 3, 31), 31),
    ("2026-02", D(2026, 2, 1), D(2026, 2, 28), 28),
    ("2026", D(2026, 1, 1), D(2026, 12, 31), 365),
    ("2026-01-01..2026-03-31", D(2026, 1, 1), D(2026, 3, 31), 90),
    ("2026-03-15..2026-03-15", D(2026, 3, 15), D(2026, 3, 15), 1),
])
def test_each_period_form_gives_its_first_and_last_day_and_length(text, start, end, days):
    p = parse_period(text)
    assert (p.start, p.end, p.days) == (start, end, days)
    assert p.day_before == start - dt.timedelta(days=1)


@pytest.mark.parametrize("text", ["", "2026-Q5", "2026-13", "2026-00", "26", "Q1-2026", "2026-03-31..2026-01-01",
                                  "2026-02-30..2026-03-01", "2026/03", "0001", "2026-3"])
def test_anything_else_is_refused_naming_the_forms(text):
    with pytest.raises(InvalidInput) as err:
        parse_period(text)
    assert "period" in str(err.value)


def test_trend_shows_at_least_six_months_ending_with_the_period():
    months = trend_months(parse_period("2026-Q1"))
    assert [m.label for m in months] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert [m.label for m in trend_months(parse_period("2026"))][0] == "2026-01"
    assert len(trend_months(parse_period("2026"))) == 12
    clipped = trend_months(parse_period("2026-03-01..2026-03-15"))
    assert clipped[-1].end == D(2026, 3, 15) and clipped[-1].days == 15


def test_countback_walks_calendar_months_from_a_month_end_else_whole_months_from_the_day():
    assert countback_windows(D(2026, 3, 31), 3) == [(D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 2, 1), D(2026, 2, 28)),
                                                    (D(2026, 1, 1), D(2026, 1, 31))]
    assert countback_windows(D(2026, 4, 30), 2) == [(D(2026, 4, 1), D(2026, 4, 30)), (D(2026, 3, 1), D(2026, 3, 31))]
    assert countback_windows(D(2026, 3, 15), 2) == [(D(2026, 2, 16), D(2026, 3, 15)), (D(2026, 1, 16), D(2026, 2, 15))]
