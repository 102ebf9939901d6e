"""earliest_schedule: the dates the publish form proposes (and the demo uses) pass the rule
set's time-limit checks on every day of the year, holidays included."""

from __future__ import annotations

import datetime as dt

import pytest

from ggzy import clock
from ggzy.core.errors import DomainError
from ggzy.rules import selectors as rules
from ggzy.rules import timecalc
from ggzy.tendering.selectors import BID_DEADLINE_TIME, earliest_schedule, ruleset_of

BEIJING = timecalc.LOCAL_TZ

pytestmark = pytest.mark.django_db


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize("hour", [0, 9, 23])
def test_every_start_day_gives_dates_the_rules_accept(tw, hour):
    rs = ruleset_of(tw.tender)
    cal = rules.calendar()
    for day in _days(dt.date(2026, 1, 1), dt.date(2027, 3, 31)):
        start = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=BEIJING)
        dates = earliest_schedule(tw.tender, start)
        assert dates.docs_from == start
        assert start < dates.docs_until <= dates.bid_deadline
        rules.check_min_period(rs, "doc_period_min_days", start, dates.docs_until, cal=cal)
        rules.check_min_period(rs, "bid_period_min_days", start, dates.bid_deadline, cal=cal)
        local = dates.bid_deadline.astimezone(BEIJING)
        assert local.timetz().replace(tzinfo=None) == BID_DEADLINE_TIME
        assert timecalc.is_working_day(local.date(), cal), start
        # the earliest: a working day before it would be refused
        earlier = dates.bid_deadline - dt.timedelta(days=1)
        with pytest.raises(DomainError):
            rules.check_min_period(rs, "bid_period_min_days", start, earlier, cal=cal)


def test_a_period_ending_on_a_weekend_runs_on_to_monday(tw):
    # issued Sunday 29 Nov 2026: day 20 is Saturday 19 Dec, so bids are due Monday 21 Dec
    start = dt.datetime(2026, 11, 29, 3, 40, tzinfo=BEIJING)
    dates = earliest_schedule(tw.tender, start)
    assert dates.bid_deadline == dt.datetime(2026, 12, 21, 9, 30, tzinfo=BEIJING)
    # start + 21 days (Sunday 20 Dec) is what the old defaults proposed; the rules refuse it
    with clock.frozen(start - dt.timedelta(minutes=1)), pytest.raises(DomainError) as err:
        tw.publish(start=start, deadline=start + dt.timedelta(days=21))
    assert err.value.detail["earliest_end_local"] == "2026-12-21 00:00"


def test_longer_periods_asked_for_are_kept(tw):
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=BEIJING)
    dates = earliest_schedule(tw.tender, start, docs_days=7, bid_days=25)
    assert dates.docs_until.astimezone(BEIJING).date() >= dt.date(2026, 12, 8)
    assert dates.bid_deadline.astimezone(BEIJING).date() >= dt.date(2026, 12, 26)
