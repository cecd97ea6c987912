"""Calendar periods and day boundaries in a viewer's time zone.

Pure date maths, no database: which days a month, week, day or agenda page
shows, where its neighbours are, and which instants bound those days in a
given time zone. Days are always cut in the viewer's zone, never in UTC, so
the same booking can fall on different dates for viewers in different zones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from dateutil.relativedelta import MO, SU, relativedelta

MONTH = "month"
WEEK = "week"
DAY = "day"
AGENDA = "agenda"
VIEWS = (MONTH, WEEK, DAY, AGENDA)

AGENDA_DAYS = 7


@dataclasses.dataclass(frozen=True)
class Period:
    """The days one calendar page shows, and the pages either side of it."""

    view: str
    anchor: dt.date
    first: dt.date
    last: dt.date
    previous: dt.date
    next: dt.date

    @property
    def days(self) -> list[dt.date]:
        count = (self.last - self.first).days + 1
        return [self.first + dt.timedelta(days=offset) for offset in range(count)]

    @property
    def weeks(self) -> list[list[dt.date]]:
        days = self.days
        return [days[start : start + 7] for start in range(0, len(days), 7)]

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The first instant shown and the first instant after the period."""
        return day_start(self.first, tz), day_start(
            self.last + dt.timedelta(days=1), tz
        )


def period_for(view: str, anchor: dt.date) -> Period:
    """The period of ``view`` that contains ``anchor``; weeks start on Monday."""
    if view == MONTH:
        month_first = anchor.replace(day=1)
        month_last = month_first + relativedelta(months=1, days=-1)
        return Period(
            view=view,
            anchor=anchor,
            first=month_first + relativedelta(weekday=MO(-1)),
            last=month_last + relativedelta(weekday=SU(+1)),
            previous=month_first - relativedelta(months=1),
            next=month_first + relativedelta(months=1),
        )
    if view == WEEK:
        monday = anchor + relativedelta(weekday=MO(-1))
        return Period(
            view=view,
            anchor=anchor,
            first=monday,
            last=monday + relativedelta(days=6),
            previous=monday - relativedelta(weeks=1),
            next=monday + relativedelta(weeks=1),
        )
    if view == DAY:
        return Period(
            view=view,
            anchor=anchor,
            first=anchor,
            last=anchor,
            previous=anchor - relativedelta(days=1),
            next=anchor + relativedelta(days=1),
        )
    if view == AGENDA:
        return Period(
            view=view,
            anchor=anchor,
            first=anchor,
            last=anchor + relativedelta(days=AGENDA_DAYS - 1),
            previous=anchor - relativedelta(days=AGENDA_DAYS),
            next=anchor + relativedelta(days=AGENDA_DAYS),
        )
    raise ValueError(f"unknown calendar view {view!r}; expected one of {VIEWS}")


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant of ``day`` in ``tz``, as an aware UTC datetime.

    Where a zone skips midnight itself, the day starts at the first local
    time that exists; the UTC round trip settles that.
    """
    local = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return local.astimezone(dt.UTC)


def local_date(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return instant.astimezone(tz).date()


def local_days(
    starts_at: dt.datetime, ends_at: dt.datetime | None, tz: dt.tzinfo
) -> list[dt.date]:
    """Every local day a meeting overlaps; its end instant belongs to none.

    A meeting that ends exactly at midnight is therefore on one day only.
    """
    first = local_date(starts_at, tz)
    if ends_at is None or ends_at <= starts_at:
        return [first]
    last = local_date(ends_at - dt.timedelta(microseconds=1), tz)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def time_zone_or_none(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``, or None when there is no such zone."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())
