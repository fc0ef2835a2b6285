"""Business days, public holidays (US/DE/FR/IN/UK), due-date conventions, DST and call slots."""

from __future__ import annotations

import datetime as dt

import pytest

from arcollect import calendar as C

D = dt.date
UTC = dt.timezone.utc


@pytest.mark.parametrize("country, day, name_part", [
    ("US", D(2026, 7, 3), "Independence Day"),     # 4 July is a Saturday: observed on Friday
    ("US", D(2026, 11, 26), "Thanksgiving"),
    ("DE", D(2026, 10, 3), None),                  # German Unity Day falls on a Saturday
    ("DE", D(2026, 5, 25), "Whit Monday"),
    ("FR", D(2026, 7, 14), "National Day"),
    ("IN", D(2026, 1, 26), "Republic Day"),
    ("GB", D(2026, 8, 31), "Bank Holiday"),
    ("UK", D(2026, 12, 28), "Boxing Day"),         # 26 December is a Saturday: substitute on Monday
])
def test_public_holidays_are_not_business_days(country, day, name_part):
    assert not C.is_business_day(day, country)
    if name_part:
        assert name_part.lower() in (C.holiday_name(day, country) or "").lower().replace("pentecost", "whit")


def test_weekends_are_not_business_days_and_ordinary_weekdays_are():
    assert not C.is_business_day(D(2026, 11, 21), "US")  # Saturday
    assert not C.is_business_day(D(2026, 11, 22), None)  # Sunday, no country
    assert C.is_business_day(D(2026, 11, 23), "DE")
    assert C.is_business_day(D(2026, 11, 26), "DE")  # US Thanksgiving is a working day in Germany


def test_due_date_conventions_move_weekend_and_holiday_due_dates():
    saturday = D(2026, 10, 31)  # month end on a Saturday
    assert C.adjust_due_date(saturday, "US", "none") == saturday
    assert C.adjust_due_date(saturday, "US", "following") == D(2026, 11, 2)
    assert C.adjust_due_date(saturday, "US", "preceding") == D(2026, 10, 30)
    assert C.adjust_due_date(saturday, "US", "modified_following") == D(2026, 10, 30)  # stays in October
    assert C.adjust_due_date(D(2026, 12, 25), "DE", "following") == D(2026, 12, 28)  # 25, 26 Dec, then Sunday
    assert C.adjust_due_date(D(2026, 11, 24), "US", "following") == D(2026, 11, 24)  # business day unchanged
    with pytest.raises(ValueError):
        C.adjust_due_date(saturday, "US", "nearest")


def test_add_business_days_skips_weekends_and_holidays():
    assert C.add_business_days(D(2026, 11, 25), 1, "US") == D(2026, 11, 27)  # over Thanksgiving
    assert C.add_business_days(D(2026, 11, 27), 1, "US") == D(2026, 11, 30)  # over the weekend
    assert C.add_business_days(D(2026, 11, 30), -1, "US") == D(2026, 11, 27)


US_SHIFT = C.Shift("us", "America/New_York", C.Window(dt.time(8), dt.time(17)), "US")
EMEA_SHIFT = C.Shift("emea", "Europe/London", C.Window(dt.time(8), dt.time(17)), "GB")


def test_a_customer_in_kolkata_called_from_a_us_shift_gets_the_overlap_of_both_windows():
    # Kolkata 09:00–17:00 IST = 03:30–11:30 UTC; New York 08:00–17:00 EST = 13:00–22:00 UTC: no overlap
    slot = C.first_call_slot(dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC), customer_tz="Asia/Kolkata",
                             customer_country="IN", shift=US_SHIFT)
    assert slot is None or slot.astimezone(C.zone("Asia/Kolkata")).time() >= dt.time(9)
    # With an early US shift (05:00–14:00 New York = 10:00–19:00 UTC) the overlap is 10:00–11:30 UTC
    early = C.Shift("us-early", "America/New_York", C.Window(dt.time(5), dt.time(14)), "US")
    slot = C.first_call_slot(dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC), customer_tz="Asia/Kolkata",
                             customer_country="IN", shift=early)
    assert slot == dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    local = slot.astimezone(C.zone("Asia/Kolkata"))
    assert (local.hour, local.minute) == (15, 30)  # 15:30 in Kolkata, inside 09:00–17:00


def test_a_call_slot_never_falls_on_the_customers_holiday_or_weekend():
    # Thanksgiving Thursday 26 Nov: a US customer is not called; the next slot is Friday 08:00 New York... at 09:00 theirs
    slot = C.first_call_slot(dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC), customer_tz="America/Chicago",
                             customer_country="US", shift=US_SHIFT)
    local = slot.astimezone(C.zone("America/Chicago"))
    assert local.date() == D(2026, 11, 27) and local.time() == dt.time(9, 0)


def test_call_slots_follow_daylight_saving_changes():
    # Europe leaves summer time on 25 Oct 2026, the US on 1 Nov: for one week London is 4 hours ahead, not 5
    before = C.first_call_slot(dt.datetime(2026, 10, 19, 0, 0, tzinfo=UTC), customer_tz="America/New_York",
                               customer_country="US", shift=EMEA_SHIFT)
    during = C.first_call_slot(dt.datetime(2026, 10, 26, 0, 0, tzinfo=UTC), customer_tz="America/New_York",
                               customer_country="US", shift=EMEA_SHIFT)
    after = C.first_call_slot(dt.datetime(2026, 11, 2, 0, 0, tzinfo=UTC), customer_tz="America/New_York",
                              customer_country="US", shift=EMEA_SHIFT)
    # the New York day opens at 09:00 local: 13:00 UTC in summer time, 14:00 UTC after 1 Nov
    assert before == dt.datetime(2026, 10, 19, 13, 0, tzinfo=UTC)
    assert during == dt.datetime(2026, 10, 26, 13, 0, tzinfo=UTC)  # London shift ends 17:00 GMT = 17:00 UTC
    assert after == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_a_slot_starts_no_earlier_than_now_within_the_window():
    now = dt.datetime(2026, 11, 23, 15, 17, tzinfo=UTC)  # 10:17 in New York
    slot = C.first_call_slot(now, customer_tz="America/New_York", customer_country="US", shift=US_SHIFT)
    assert slot == now


def test_window_parsing_refuses_bad_times_and_days():
    assert C.parse_days(["Mon", "fri"]) == frozenset({0, 4})
    with pytest.raises(ValueError):
        C.parse_days(["funday"])
    with pytest.raises(ValueError):
        C.parse_time("25h")


def test_a_country_without_a_holiday_calendar_has_weekends_only():
    assert C.is_business_day(D(2026, 12, 25), "AC") and not C.is_business_day(D(2026, 12, 26), "AC")  # Ascension Island: no calendar
    assert C.holiday_name(D(2026, 12, 25), "AC") is None and C.holiday_name(D(2026, 12, 25), "DE")
