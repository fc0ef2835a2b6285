"""Month-end close rules (pure): months, what is closed, the order months close and reopen in."""

from __future__ import annotations

import datetime as dt

import pytest

from arcollect.errors import InvalidInput
from arcollect.periods import rules as R

D = dt.date


@pytest.mark.parametrize("bad", ["2026-3", "2026-13", "2026-00", "26-03", "March", "", "2026-03-01"])
def test_a_month_is_written_yyyy_mm(bad: str) -> None:
    """Anything but YYYY-MM with a real month is refused, naming the expected form."""
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        R.parse_month(bad)


def test_month_arithmetic_knows_month_lengths_and_year_ends() -> None:
    """The last day of February in a leap year, December's next month, January's previous one."""
    assert R.parse_month(" 2026-03 ") == "2026-03"
    assert R.last_day("2028-02") == D(2028, 2, 29) and R.last_day("2026-02") == D(2026, 2, 28)
    assert R.next_month("2026-12") == "2027-01" and R.previous_month("2026-01") == "2025-12"
    assert R.month_of(D(2026, 3, 14)) == "2026-03" and R.first_day("2026-03") == D(2026, 3, 1)


def test_everything_up_to_the_latest_closed_months_last_day_is_closed() -> None:
    """Closed through 2026-03: 31 March is closed, 1 April is the earliest open date; nothing closed: all open."""
    through = R.closed_through("2026-03")
    assert through == D(2026, 3, 31)
    assert R.is_closed(D(2026, 3, 31), through) and R.is_closed(D(2025, 7, 1), through)
    assert not R.is_closed(D(2026, 4, 1), through)
    assert R.earliest_open_date(through) == D(2026, 4, 1)
    assert R.closed_through(None) is None and not R.is_closed(D(1990, 1, 1), None)
    assert R.earliest_open_date(None) is None


def test_the_refusal_names_the_month_the_thing_and_its_date() -> None:
    """One sentence for every refused back-dated change."""
    assert R.refusal(D(2026, 3, 14), "invoice INV-1") == (
        "2026-03 is closed: invoice INV-1 dated 2026-03-14 cannot be created or changed; "
        "post the correction in the open period")


def test_a_month_closes_once_over_and_right_after_the_latest_closed_one() -> None:
    """Not over on its last day; the first close may be any month that is over; then strictly in order;
    a closed month (or one inside the closed run) cannot close again."""
    assert R.close_refusal("2026-03", today=D(2026, 3, 31), latest_closed=None) == (
        "2026-03 is not over: it can be closed from 2026-04-01 on")
    assert R.close_refusal("2026-03", today=D(2026, 4, 1), latest_closed=None) is None
    assert R.close_refusal("2026-04", today=D(2026, 6, 1), latest_closed="2026-03") is None
    assert R.close_refusal("2026-05", today=D(2026, 6, 1), latest_closed="2026-03") == (
        "months close in order: close 2026-04 first (the books are closed through 2026-03)")
    assert R.close_refusal("2026-03", today=D(2026, 6, 1), latest_closed="2026-03") == "2026-03 is already closed"
    assert "already closed (the books are closed through 2026-03)" in R.close_refusal(
        "2026-01", today=D(2026, 6, 1), latest_closed="2026-03")


def test_months_reopen_latest_first() -> None:
    """Only a closed month reopens, and only the latest closed one."""
    assert R.reopen_refusal("2026-03", latest_closed="2026-03") is None
    assert R.reopen_refusal("2026-02", latest_closed="2026-03") == (
        "months reopen in reverse order: reopen 2026-03 first (the books are closed through 2026-03)")
    assert R.reopen_refusal("2026-04", latest_closed="2026-03") == "2026-04 is not closed"
    assert R.reopen_refusal("2026-04", latest_closed=None) == "2026-04 is not closed"
