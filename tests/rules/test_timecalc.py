"""Legal day counting: golden cases on the official 2025–2026 calendar, and properties."""

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ggzy.rules import timecalc
from ggzy.rules.timecalc import (
    LOCAL_TZ,
    Calendar,
    DayUnit,
    days_between,
    earliest_deadline,
    is_working_day,
    last_day,
    latest_start,
    period_end,
)

CAL, WORK = DayUnit.CALENDAR, DayUnit.WORKING
SEED = Path(__file__).resolve().parents[2] / "src/ggzy/rules/data/calendar-2025-2026.json"


def _official() -> Calendar:
    days = json.loads(SEED.read_text(encoding="utf-8"))["days"]
    return Calendar.build(
        holidays=[dt.date.fromisoformat(d["date"]) for d in days if d["kind"] == "holiday"],
        adjusted_workdays=[
            dt.date.fromisoformat(d["date"]) for d in days if d["kind"] == "adjusted_workday"
        ],
    )


OFFICIAL = _official()


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)  # type: ignore[misc]


def utc_end_of(day: dt.date) -> dt.datetime:
    """24:00 Beijing time of ``day`` minus 1 µs, in UTC (16:00 UTC is the next midnight)."""
    return dt.datetime(day.year, day.month, day.day, 15, 59, 59, 999999, tzinfo=dt.UTC)


# ---- golden cases ------------------------------------------------------------------------------


def test_official_calendar_2026_national_day_week():
    assert OFFICIAL.covered_years == frozenset({2025, 2026})
    assert [is_working_day(dt.date(2026, 10, d), OFFICIAL) for d in range(1, 12)] == [
        False,  # 1 Thu 国庆节
        False,
        False,
        False,
        False,
        False,
        False,  # 7 Wed
        True,  # 8 Thu
        True,  # 9 Fri
        True,  # 10 Sat 调休上班
        False,  # 11 Sun
    ]
    assert is_working_day(dt.date(2026, 9, 20), OFFICIAL)  # Sunday, adjusted workday
    assert not is_working_day(dt.date(2026, 9, 25), OFFICIAL)  # 中秋节 (Friday)


def test_twenty_days_from_2026_09_20_ends_on_the_adjusted_saturday():
    # Documents issued on Sunday 20 Sep 2026 (itself a 调休 working day): day 1 is 21 Sep, day 20
    # is Saturday 10 Oct — a working day by 调休, so no holiday shift.
    start = local(2026, 9, 20, 10, 0)
    assert last_day(start, 20, CAL, OFFICIAL) == dt.date(2026, 10, 10)
    assert period_end(start, 20, CAL, OFFICIAL) == utc_end_of(dt.date(2026, 10, 10))
    assert earliest_deadline(start, 20, CAL, OFFICIAL) == dt.datetime(
        2026, 10, 9, 16, 0, tzinfo=dt.UTC
    )
    assert days_between(start, local(2026, 10, 10, 9, 30), CAL, OFFICIAL) == 20
    assert days_between(start, local(2026, 10, 9, 23, 59), CAL, OFFICIAL) == 19


def test_twenty_days_ending_in_the_national_day_holiday_shift_to_the_next_working_day():
    # 11 Sep + 20 days = Thursday 1 Oct (国庆节): the period ends on Thursday 8 Oct.
    start = local(2026, 9, 11, 15, 0)
    assert last_day(start, 20, CAL, OFFICIAL) == dt.date(2026, 10, 8)
    assert earliest_deadline(start, 20, CAL, OFFICIAL) == local(2026, 10, 8, 0, 0)
    # without the holiday table the same period would end on the Thursday itself
    assert last_day(start, 20, CAL, Calendar()) == dt.date(2026, 10, 1)


def test_calendar_period_ending_on_a_plain_sunday_moves_to_monday():
    start = local(2026, 3, 1, 9, 0)  # Sunday; + 7 days = Sunday 8 March
    assert last_day(start, 7, CAL, OFFICIAL) == dt.date(2026, 3, 9)


def test_three_working_days_across_a_weekend():
    start = local(2026, 3, 6, 16, 0)  # Friday
    assert last_day(start, 3, WORK, OFFICIAL) == dt.date(2026, 3, 11)  # Mon, Tue, Wed
    assert period_end(start, 3, WORK, OFFICIAL) == utc_end_of(dt.date(2026, 3, 11))
    assert days_between(start, local(2026, 3, 11, 12), WORK, OFFICIAL) == 3
    assert days_between(start, local(2026, 3, 11, 12), CAL, OFFICIAL) == 5


def test_five_working_days_across_spring_festival_2026_with_its_saturday_workdays():
    # Fri 13 Feb; Sat 14 Feb is a 调休 workday; 15–23 Feb holiday; Tue 24 .. Fri 27 work.
    start = local(2026, 2, 13, 10)
    assert last_day(start, 1, WORK, OFFICIAL) == dt.date(2026, 2, 14)
    assert last_day(start, 5, WORK, OFFICIAL) == dt.date(2026, 2, 27)
    assert last_day(start, 6, WORK, OFFICIAL) == dt.date(2026, 2, 28)  # Saturday, 调休 workday


def test_event_late_in_the_evening_counts_from_its_beijing_date():
    # 23:30 Beijing on 31 Aug is 15:30 UTC the same day; 00:30 Beijing on 1 Sep is 16:30 UTC 31 Aug
    late = dt.datetime(2026, 8, 31, 15, 30, tzinfo=dt.UTC)
    after_midnight = dt.datetime(2026, 8, 31, 16, 30, tzinfo=dt.UTC)
    assert last_day(late, 10, CAL, OFFICIAL) == dt.date(2026, 9, 10)
    assert last_day(after_midnight, 10, CAL, OFFICIAL) == dt.date(2026, 9, 11)


def test_objection_ten_days_before_a_bid_deadline():
    deadline = local(2026, 6, 30, 9, 30)  # Tuesday
    latest = latest_start(deadline, 10, CAL, OFFICIAL)
    assert latest == utc_end_of(dt.date(2026, 6, 20))
    assert days_between(latest, deadline, CAL, OFFICIAL) == 10


def test_zero_days_and_bad_input():
    start = local(2026, 5, 6, 10)
    assert earliest_deadline(start, 0, CAL, OFFICIAL) == start.astimezone(dt.UTC)
    assert period_end(start, 0, CAL, OFFICIAL) == utc_end_of(dt.date(2026, 5, 6))
    with pytest.raises(ValueError, match="timezone-aware"):
        period_end(dt.datetime(2026, 5, 6), 3, CAL, OFFICIAL)  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match=">= 0"):
        period_end(start, -1, CAL, OFFICIAL)
    with pytest.raises(ValueError, match="both a holiday"):
        Calendar.build(holidays=[dt.date(2026, 1, 4)], adjusted_workdays=[dt.date(2026, 1, 4)])


def test_timecalc_is_pure():
    source = Path(timecalc.__file__).read_text(encoding="utf-8")
    assert "django" not in source.lower().replace("no django", "")


# ---- properties ---------------------------------------------------------------------------------

BASE = dt.date(2026, 1, 1)
window = st.integers(min_value=0, max_value=500).map(lambda n: BASE + dt.timedelta(days=n))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    holidays = draw(st.frozensets(window, max_size=60))
    weekends = draw(st.frozensets(window.filter(lambda d: d.weekday() >= 5), max_size=15))
    return Calendar(holidays, weekends - holidays)


moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=dt.datetime(2027, 3, 1),  # noqa: DTZ001
    timezones=st.sampled_from([dt.UTC, LOCAL_TZ]),
)
units = st.sampled_from([CAL, WORK])
day_counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, moments, day_counts, units)
def test_period_end_is_monotonic_in_start(cal, a, b, days, unit):
    first, second = sorted([a, b])
    assert period_end(first, days, unit, cal) <= period_end(second, days, unit, cal)
    assert earliest_deadline(first, days, unit, cal) <= earliest_deadline(second, days, unit, cal)


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, day_counts, day_counts, units)
def test_period_end_is_monotonic_in_days(cal, start, m, n, unit):
    low, high = sorted([m, n])
    assert period_end(start, low, unit, cal) <= period_end(start, high, unit, cal)


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, st.integers(min_value=1, max_value=60))
def test_working_day_periods_are_never_shorter_than_calendar_day_periods(cal, start, days):
    assert period_end(start, days, WORK, cal) >= period_end(start, days, CAL, cal)
    end = period_end(start, days, WORK, cal)
    assert days_between(start, end, CAL, cal) >= days_between(start, end, WORK, cal)


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, st.integers(min_value=1, max_value=60), units)
def test_period_end_and_days_between_agree(cal, start, days, unit):
    end = period_end(start, days, unit, cal)
    counted = days_between(start, end, unit, cal)
    assert counted >= days
    if unit is WORK:
        assert counted == days  # a working-day period ends on its N-th working day
    assert is_working_day(timecalc.local_date(end), cal)
    # the period ends at 24:00 local: one microsecond later is the next day
    assert timecalc.local_date(end + dt.timedelta(microseconds=1)) == timecalc.local_date(
        end
    ) + dt.timedelta(days=1)
    # the earliest allowed end lies on the same (last) day
    assert timecalc.local_date(earliest_deadline(start, days, unit, cal)) == timecalc.local_date(
        end
    )


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, st.integers(min_value=1, max_value=60))
def test_holiday_shift_only_moves_a_rest_day_to_the_next_working_day(cal, start, days):
    plain = timecalc.local_date(start) + dt.timedelta(days=days)
    shifted = last_day(start, days, CAL, cal)
    if is_working_day(plain, cal):
        assert shifted == plain
    else:
        assert shifted > plain
        assert is_working_day(shifted, cal)
        gap = (shifted - plain).days
        assert all(
            not is_working_day(plain + dt.timedelta(days=i), cal) for i in range(gap)
        )  # every skipped day was a rest day


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, moments, units)
def test_days_between_is_antisymmetric_and_additive(cal, a, b, unit):
    assert days_between(a, b, unit, cal) == -days_between(b, a, unit, cal)
    assume(a <= b)
    middle = a + (b - a) / 2
    assert days_between(a, b, unit, cal) == days_between(a, middle, unit, cal) + days_between(
        middle, b, unit, cal
    )


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, st.integers(min_value=1, max_value=40), units)
def test_latest_start_is_the_boundary_of_earliest_deadline(cal, end, days, unit):
    start = latest_start(end, days, unit, cal)
    assert earliest_deadline(start, days, unit, cal) <= end
    later = start + dt.timedelta(microseconds=1)
    assert earliest_deadline(later, days, unit, cal) > end
