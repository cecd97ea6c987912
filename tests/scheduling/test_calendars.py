"""Calendar periods and day boundaries, with no database."""

import datetime as dt
import zoneinfo

import pytest

from scheduling import calendars

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_a_month_spans_whole_weeks_from_monday():
    period = calendars.period_for("month", dt.date(2026, 2, 14))
    assert period.first == dt.date(2026, 1, 26)
    assert period.last == dt.date(2026, 3, 1)
    assert len(period.weeks) == 5 and all(len(week) == 7 for week in period.weeks)
    assert period.previous == dt.date(2026, 1, 1)
    assert period.next == dt.date(2026, 3, 1)


def test_a_month_that_starts_on_monday_starts_there():
    period = calendars.period_for("month", dt.date(2026, 6, 30))
    assert period.first == dt.date(2026, 6, 1)
    assert period.last == dt.date(2026, 7, 5)


def test_week_day_and_agenda_neighbours():
    week = calendars.period_for("week", dt.date(2026, 3, 8))  # a Sunday
    assert (week.first, week.last) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert (week.previous, week.next) == (dt.date(2026, 2, 23), dt.date(2026, 3, 9))
    day = calendars.period_for("day", dt.date(2026, 1, 1))
    assert (day.previous, day.next) == (dt.date(2025, 12, 31), dt.date(2026, 1, 2))
    agenda = calendars.period_for("agenda", dt.date(2026, 1, 1))
    assert agenda.last == dt.date(2026, 1, 7) and agenda.next == dt.date(2026, 1, 8)


def test_an_unknown_view_is_refused():
    with pytest.raises(ValueError, match="unknown calendar view"):
        calendars.period_for("year", dt.date(2026, 1, 1))


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (NEW_YORK, dt.date(2026, 3, 8), 23),
        (NEW_YORK, dt.date(2026, 11, 1), 25),
        (BERLIN, dt.date(2026, 3, 29), 23),
        (BERLIN, dt.date(2026, 10, 25), 25),
        (BERLIN, dt.date(2026, 6, 1), 24),
    ],
)
def test_days_that_change_the_clocks_have_their_real_length(tz, day, hours):
    start = calendars.day_start(day, tz)
    end = calendars.day_start(day + dt.timedelta(days=1), tz)
    assert end - start == dt.timedelta(hours=hours)
    assert start.astimezone(tz).time() == dt.time(0, 0)


def test_period_bounds_are_local_midnights():
    period = calendars.period_for("week", dt.date(2026, 3, 4))
    start, end = period.bounds(NEW_YORK)
    assert start == dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC)
    # The clocks went forward on the 8th: the week is an hour short.
    assert end == dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.UTC)


def test_local_days_end_before_the_end_instant():
    start = dt.datetime(2026, 6, 10, 23, 0, tzinfo=BERLIN)
    at_midnight = start + dt.timedelta(hours=1)
    assert calendars.local_days(start, at_midnight, BERLIN) == [dt.date(2026, 6, 10)]
    past = start + dt.timedelta(hours=2)
    assert calendars.local_days(start, past, BERLIN) == [
        dt.date(2026, 6, 10),
        dt.date(2026, 6, 11),
    ]
    assert calendars.local_days(start, None, NEW_YORK) == [dt.date(2026, 6, 10)]


def test_unknown_zone_names_give_none():
    assert calendars.time_zone_or_none("Mars/Olympus") is None
    assert calendars.time_zone_or_none("") is None
    assert calendars.time_zone_or_none("../etc/passwd") is None
    assert calendars.time_zone_or_none("Europe/Berlin") == BERLIN
