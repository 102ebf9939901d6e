"""Legal day counting (期间计算) — pure, no Django.

The rules, per DOMAIN §0.3 and 民法典 Arts 201–203:

* A period of N days starts the day *after* the triggering event
  (开始的当日不计入，自下一日开始计算).
* Calendar-day periods (日) count every day; working-day periods (工作日) count only working days.
  Weekends are rest days unless the State Council moved a working day onto them (调休上班),
  and the official holidays (法定节假日) are rest days even on a weekday.
* If the last day of a calendar-day period is a rest day (法定休假日), the period ends on the
  next working day instead (Art 203 ¶1). A working-day period always ends on a working day.
* The last day ends at 24:00 local time (Asia/Shanghai) (Art 203 ¶2).

Day arithmetic happens on local dates; datetimes in are timezone-aware (any zone), datetimes out
are UTC. Two notions of "end" are offered:

* :func:`period_end` — the latest instant still inside a period (23:59:59.999999 local of the
  last day): use it for time limits "within N days" (自…之日起N日内), e.g. a contract within
  30 days of the award notice.
* :func:`earliest_deadline` — the earliest instant an end may take so that a minimum period
  "not less than N days" (不得少于N日) is met: 00:00 local of the last day, because the law
  compares dates (自发出之日起至截止之日止). A bid deadline issued on 1 March may be set on any
  time of 21 March.

:func:`days_between` counts days as the law does: the start day is not counted, the end day is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_ONE_DAY = dt.timedelta(days=1)
_TICK = dt.timedelta(microseconds=1)
# A working-day period never needs more calendar days than this per working day: the longest
# run of rest days in the official calendars is 9 (Spring Festival 2026 with its weekend).
_MAX_SCAN_DAYS = 400


class DayUnit(StrEnum):
    CALENDAR = "calendar"  # 日
    WORKING = "working"  # 工作日


@dataclass(frozen=True)
class Calendar:
    """The official rest-day table: holidays (法定节假日) and adjusted workdays (调休上班日).

    Immutable; build it with :meth:`build`. Days outside the table follow the default week
    (Monday–Friday working, Saturday and Sunday rest).
    """

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    adjusted_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.holidays & self.adjusted_workdays
        if both:
            first = min(both).isoformat()
            raise ValueError(f"{first} is both a holiday and an adjusted workday")

    @classmethod
    def build(
        cls,
        *,
        holidays: Iterable[dt.date] = (),
        adjusted_workdays: Iterable[dt.date] = (),
    ) -> Calendar:
        return cls(frozenset(holidays), frozenset(adjusted_workdays))

    @property
    def covered_years(self) -> frozenset[int]:
        """Years for which the table holds at least one day (others: plain weekends only)."""
        return frozenset(d.year for d in self.holidays | self.adjusted_workdays)


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar date of an aware datetime."""
    _require_aware(moment, "moment")
    return moment.astimezone(LOCAL_TZ).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 local of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` (24:00 local minus one microsecond), in UTC."""
    return start_of_day(day + _ONE_DAY) - _TICK


def is_working_day(day: dt.date, calendar: Calendar) -> bool:
    """工作日: an adjusted workday, or a weekday that is not a holiday."""
    if day in calendar.adjusted_workdays:
        return True
    if day in calendar.holidays:
        return False
    return day.weekday() < 5


def next_working_day(day: dt.date, calendar: Calendar) -> dt.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    for _ in range(_MAX_SCAN_DAYS):
        if is_working_day(day, calendar):
            return day
        day += _ONE_DAY
    raise ValueError("no working day within a year: the calendar is wrong")


def last_day(start: dt.datetime, days: int, unit: DayUnit, calendar: Calendar) -> dt.date:
    """The local date on which a period of ``days`` ``unit``-days triggered at ``start`` ends.

    ``days == 0`` gives the start's own date (no holiday shift).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    day = local_date(start)
    if days == 0:
        return day
    unit = DayUnit(unit)
    if unit is DayUnit.CALENDAR:
        return next_working_day(day + dt.timedelta(days=days), calendar)
    counted = 0
    limit = days * 7 + _MAX_SCAN_DAYS
    for _ in range(limit):
        day += _ONE_DAY
        if is_working_day(day, calendar):
            counted += 1
            if counted == days:
                return day
    raise ValueError("working-day period does not end: the calendar is wrong")


def period_end(start: dt.datetime, days: int, unit: DayUnit, calendar: Calendar) -> dt.datetime:
    """The latest instant still inside the period (for "within N days" time limits), UTC."""
    return end_of_day(last_day(start, days, unit, calendar))


def earliest_deadline(
    start: dt.datetime, days: int, unit: DayUnit, calendar: Calendar
) -> dt.datetime:
    """The earliest end allowed by a minimum period of ``days`` (不得少于N日), UTC.

    00:00 local of the period's last day: any time on that day satisfies the rule. With
    ``days == 0`` the end only has to be no earlier than ``start``.
    """
    if days == 0:
        _require_aware(start, "start")
        return start.astimezone(dt.UTC)
    return start_of_day(last_day(start, days, unit, calendar))


def latest_start(end: dt.datetime, days: int, unit: DayUnit, calendar: Calendar) -> dt.datetime:
    """The latest trigger time whose minimum period of ``days`` still ends by ``end``, UTC.

    The counterpart of :func:`earliest_deadline` for rules counted back from a deadline, e.g.
    "objections at least 10 days before the bid deadline" (投标截止时间10日前提出):
    ``earliest_deadline(latest_start(end, …), …) <= end`` and one microsecond later it is not.
    """
    _require_aware(end, "end")
    if days == 0:
        return end.astimezone(dt.UTC)
    if days < 0:
        raise ValueError("days must be >= 0")
    target = end.astimezone(dt.UTC)
    day = local_date(end) - dt.timedelta(days=days)

    def fits(candidate: dt.date) -> bool:
        return earliest_deadline(start_of_day(candidate), days, unit, calendar) <= target

    # earliest_deadline is non-decreasing in the start date: walk to the boundary.
    while not fits(day):
        day -= _ONE_DAY
    while fits(day + _ONE_DAY):
        day += _ONE_DAY
    return end_of_day(day)


def days_between(start: dt.datetime, end: dt.datetime, unit: DayUnit, calendar: Calendar) -> int:
    """Days of ``unit`` from ``start`` to ``end`` as the law counts them.

    The start day is not counted, the end day is (自…之日起至…之日止): issued on 1 March, a
    deadline any time on 21 March is 20 days later. Negative when ``end`` is on an earlier date.
    """
    first, last = local_date(start), local_date(end)
    if last < first:
        return -days_between(end, start, unit, calendar)
    unit = DayUnit(unit)
    if unit is DayUnit.CALENDAR:
        return (last - first).days
    count = 0
    day = first
    while day < last:
        day += _ONE_DAY
        if is_working_day(day, calendar):
            count += 1
    return count
