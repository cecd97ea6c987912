"""Booking figures for an account and a date range, each one computed in SQL.

Every query here returns a handful of aggregated rows whatever the number of
bookings: counting, bucketing and grouping happen in the database.

The range selects meetings by their start in the account's time zone, from the
first day's midnight to the end of the last day. "Bookings made" counts the
bookings whose ``booked_at`` falls in the same range instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncWeek

from .models import Account, Booking

Status = Booking.Status

CANCELED_STATUSES = (Status.CANCELED, Status.RESCHEDULE_REQUESTED)

# Upper bounds of the duration buckets; the last bucket has none.
# Short labels for chart axes, where the full ones would overlap.
SHORT_LABELS = {
    "under 1 hour": "< 1 h",
    "1 to 24 hours": "1–24 h",
    "1 to 3 days": "1–3 d",
    "3 to 7 days": "3–7 d",
    "1 to 2 weeks": "1–2 wk",
    "2 to 4 weeks": "2–4 wk",
    "4 weeks or more": "4+ wk",
}
DURATION_BUCKETS: tuple[tuple[str, dt.timedelta | None], ...] = (
    ("under 1 hour", dt.timedelta(hours=1)),
    ("1 to 24 hours", dt.timedelta(days=1)),
    ("1 to 3 days", dt.timedelta(days=3)),
    ("3 to 7 days", dt.timedelta(days=7)),
    ("1 to 2 weeks", dt.timedelta(days=14)),
    ("2 to 4 weeks", dt.timedelta(days=28)),
    ("4 weeks or more", None),
)

# The dates a report may start or end on, far enough from the calendar's
# limits that a day either side still exists.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(9998, 12, 31)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclasses.dataclass(frozen=True)
class ReportFilters:
    """What a report covers. ``end`` is inclusive; blank ids mean "any"."""

    account: Account
    start: dt.date
    end: dt.date
    owner_id: str = ""
    page_id: str = ""
    event_type_id: str = ""

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.account.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=self.tz)

    @property
    def end_before(self) -> dt.datetime:
        next_day = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time(), tzinfo=self.tz)


def _narrowed(bookings: QuerySet[Booking], filters: ReportFilters) -> QuerySet:
    if filters.owner_id:
        bookings = bookings.filter(owner_id=filters.owner_id)
    if filters.page_id:
        bookings = bookings.filter(page_id=filters.page_id)
    if filters.event_type_id:
        bookings = bookings.filter(event_type_id=filters.event_type_id)
    return bookings


def bookings_for_report(*, filters: ReportFilters) -> QuerySet[Booking]:
    """The meetings a report is about: those starting inside the range."""
    bookings = Booking.objects.filter(
        account=filters.account,
        starts_at__gte=filters.start_at,
        starts_at__lt=filters.end_before,
    )
    return _narrowed(bookings, filters)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary_for_report(*, filters: ReportFilters) -> dict:
    """Counts by outcome, and the rates derived from them.

    The no-show rate is over meetings whose time has come (completed or
    no-show); the other rates are over every meeting in the range. A canceled
    booking whose host asked for a new time counts as canceled and rescheduled.
    """
    counts = bookings_for_report(filters=filters).aggregate(
        total=Count("id"),
        scheduled=Count("id", filter=Q(status=Status.SCHEDULED)),
        completed=Count("id", filter=Q(status=Status.COMPLETED)),
        no_show=Count("id", filter=Q(status=Status.NO_SHOW)),
        canceled=Count("id", filter=Q(status__in=CANCELED_STATUSES)),
        rescheduled=Count(
            "id",
            filter=Q(status__in=(Status.RESCHEDULED, Status.RESCHEDULE_REQUESTED)),
        ),
    )
    made = _narrowed(
        Booking.objects.filter(
            account=filters.account,
            booked_at__gte=filters.start_at,
            booked_at__lt=filters.end_before,
        ),
        filters,
    ).count()

    total = counts["total"]
    return {
        "made": made,
        **counts,
        "no_show_rate": _rate(
            counts["no_show"], counts["completed"] + counts["no_show"]
        ),
        "cancellation_rate": _rate(counts["canceled"], total),
        "reschedule_rate": _rate(counts["rescheduled"], total),
    }


def _bucket(duration) -> Case:
    whens = [
        When(**{f"{duration}__lt": bound}, then=Value(index))
        for index, (_label, bound) in enumerate(DURATION_BUCKETS)
        if bound is not None
    ]
    return Case(
        *whens,
        default=Value(len(DURATION_BUCKETS) - 1),
        output_field=IntegerField(),
    )


def _distribution(bookings: QuerySet, *, since: str, until: str) -> list[dict]:
    rows = (
        bookings.exclude(**{f"{since}__isnull": True})
        .exclude(**{f"{until}__isnull": True})
        .annotate(
            span=ExpressionWrapper(F(until) - F(since), output_field=DurationField())
        )
        .annotate(bucket=_bucket("span"))
        .values("bucket")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts = {row["bucket"]: row["count"] for row in rows}
    return [
        {"label": label, "count": counts.get(index, 0)}
        for index, (label, _bound) in enumerate(DURATION_BUCKETS)
    ]


def lead_times_for_report(*, filters: ReportFilters) -> list[dict]:
    """How long before the meeting people booked, in buckets."""
    return _distribution(
        bookings_for_report(filters=filters), since="booked_at", until="starts_at"
    )


def cancellation_times_for_report(*, filters: ReportFilters) -> list[dict]:
    """How long after booking people canceled, in buckets.

    A canceled booking's ``state_at`` is the time of the cancellation, the
    newest event applied to it.
    """
    canceled = bookings_for_report(filters=filters).filter(status__in=CANCELED_STATUSES)
    return _distribution(canceled, since="booked_at", until="state_at")


def heatmap_for_report(*, filters: ReportFilters) -> list[list[int]]:
    """Meetings by weekday (Monday first) and hour, in the account's time zone."""
    rows = (
        bookings_for_report(filters=filters)
        .annotate(
            weekday=ExtractIsoWeekDay("starts_at", tzinfo=filters.tz),
            hour=ExtractHour("starts_at", tzinfo=filters.tz),
        )
        .values("weekday", "hour")
        .annotate(count=Count("id"))
        .order_by()
    )
    grid = [[0] * 24 for _day in WEEKDAYS]
    for row in rows:
        grid[row["weekday"] - 1][row["hour"]] = row["count"]
    return grid


def weekly_for_report(*, filters: ReportFilters) -> list[dict]:
    """Meetings per week (weeks start on Monday), with their outcomes."""
    rows = (
        bookings_for_report(filters=filters)
        .annotate(week=TruncWeek("starts_at", tzinfo=filters.tz))
        .values("week")
        .annotate(
            total=Count("id"),
            completed=Count("id", filter=Q(status=Status.COMPLETED)),
            no_show=Count("id", filter=Q(status=Status.NO_SHOW)),
            canceled=Count("id", filter=Q(status__in=CANCELED_STATUSES)),
        )
        .order_by("week")
    )
    return [
        {
            "week": row["week"].astimezone(filters.tz).date(),
            "total": row["total"],
            "completed": row["completed"],
            "no_show": row["no_show"],
            "canceled": row["canceled"],
        }
        for row in rows
    ]


def cancelers_for_report(*, filters: ReportFilters) -> list[dict]:
    """Who canceled: "customer", "user", or "" when the provider did not say."""
    rows = (
        bookings_for_report(filters=filters)
        .filter(status__in=CANCELED_STATUSES)
        .values("actioned_by")
        .annotate(count=Count("id"))
        .order_by("-count", "actioned_by")
    )
    return [{"by": row["actioned_by"], "count": row["count"]} for row in rows]


def cancel_reasons_for_report(*, filters: ReportFilters, limit: int = 10) -> list[dict]:
    """The most frequent reasons given for canceling, most frequent first."""
    rows = (
        bookings_for_report(filters=filters)
        .filter(status__in=CANCELED_STATUSES)
        .exclude(cancel_reason="")
        .values("cancel_reason")
        .annotate(count=Count("id"))
        .order_by("-count", "cancel_reason")[:limit]
    )
    return [{"reason": row["cancel_reason"], "count": row["count"]} for row in rows]


def report_for_filters(*, filters: ReportFilters) -> dict:
    """Every figure of the reports page."""
    return {
        "summary": summary_for_report(filters=filters),
        "lead_times": lead_times_for_report(filters=filters),
        "cancellation_times": cancellation_times_for_report(filters=filters),
        "heatmap": heatmap_for_report(filters=filters),
        "weekly": weekly_for_report(filters=filters),
        "cancelers": cancelers_for_report(filters=filters),
        "cancel_reasons": cancel_reasons_for_report(filters=filters),
    }


def filter_choices_for_account(*, account: Account) -> dict[str, list[tuple]]:
    """The owners, pages and event types an account's bookings name."""
    bookings = Booking.objects.filter(account=account)
    choices = {}
    for key, id_field, name_field in (
        ("owners", "owner_id", "owner_name"),
        ("pages", "page_id", "page_name"),
        ("event_types", "event_type_id", "event_type_name"),
    ):
        rows = (
            bookings.exclude(**{id_field: ""})
            .values_list(id_field, name_field)
            .distinct()
            .order_by(id_field, name_field)
        )
        # One entry per id, with the last non-blank name seen.
        names: dict[str, str] = {}
        for value, name in rows:
            names[value] = name or names.get(value, "") or value
        choices[key] = sorted(names.items(), key=lambda item: item[1].lower())
    return choices
