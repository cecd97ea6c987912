"""Reads behind the calendar, stream and booking pages.

Each function runs a fixed number of queries whatever the number of
bookings or events it returns, so a busy month costs no more round trips
than a quiet one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

from django.core.cache import cache
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from .. import calendars
from ..models import Account, Booking, BookingEvent

# How long the hosts, pages and event types offered as filters are cached.
FILTER_CHOICES_SECONDS = 60
# The longest booking the day and agenda pages look back for.
LONGEST_BOOKING = dt.timedelta(days=7)
# How far a reschedule chain is followed either way on a booking page.
CHAIN_LIMIT = 20


@dataclasses.dataclass
class Day:
    """One day of a calendar page: the bookings shown and how many are hidden."""

    date: dt.date
    bookings: list[Booking]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.bookings)


def bookings_for_account(*, account: Account, since: int | None = None) -> QuerySet:
    """The account's bookings that have a time, marked new after event ``since``."""
    bookings = (
        Booking.objects.filter(account=account, starts_at__isnull=False)
        .select_related("customer")
        .order_by("starts_at", "id")
    )
    if since is not None:
        bookings = bookings.annotate(
            is_new=Exists(
                BookingEvent.objects.filter(booking=OuterRef("pk"), id__gt=since)
            )
        )
    return bookings


def bookings_for_start_days(
    *,
    bookings: QuerySet,
    period: calendars.Period,
    tz: dt.tzinfo,
    per_day: int,
) -> list[Day]:
    """The first ``per_day`` bookings of each day by local start date.

    Two queries: the start time of every booking in the period, which is
    cut into local days here (where the zone rules live), then the full rows
    of only the first few of each day. A day with hundreds of bookings
    costs a few bytes each, not a rendered row each.
    """
    # Limitation: a booking that crosses midnight is shown on the day it
    # starts only; the day and agenda pages show it on every day it touches.
    start, end = period.bounds(tz)
    in_period = bookings.filter(starts_at__gte=start, starts_at__lt=end)

    totals: Counter[dt.date] = Counter()
    shown_ids = []
    for pk, starts_at in in_period.values_list("pk", "starts_at"):
        day = calendars.local_date(starts_at, tz)
        totals[day] += 1
        if totals[day] <= per_day:
            shown_ids.append(pk)

    shown: dict[dt.date, list[Booking]] = defaultdict(list)
    if shown_ids:
        for booking in bookings.filter(pk__in=shown_ids):
            shown[calendars.local_date(booking.starts_at, tz)].append(booking)
    return [
        Day(date=day, bookings=shown.get(day, []), total=totals[day])
        for day in period.days
    ]


def bookings_for_days(
    *, bookings: QuerySet, period: calendars.Period, tz: dt.tzinfo
) -> list[Day]:
    """Every booking overlapping each day of the period, in one query.

    A booking appears on every local day it overlaps; one that ends exactly
    at midnight does not reach the next day.
    """
    start, end = period.bounds(tz)
    # Limitation: a booking longer than LONGEST_BOOKING shows only on the
    # days within that span of its start; the bound lets the database read
    # the period's bookings through its index instead of all earlier ones.
    overlapping = bookings.filter(
        starts_at__lt=end, starts_at__gte=start - LONGEST_BOOKING
    ).filter(Q(ends_at__gt=start) | Q(ends_at__isnull=True, starts_at__gte=start))
    by_day: dict[dt.date, list[Booking]] = defaultdict(list)
    for booking in overlapping:
        for day in calendars.local_days(booking.starts_at, booking.ends_at, tz):
            by_day[day].append(booking)
    return [
        Day(date=day, bookings=by_day.get(day, []), total=len(by_day.get(day, [])))
        for day in period.days
    ]


def filter_choices_for_account(
    *, account: Account, latest_event_id: int
) -> dict[str, list]:
    """Hosts, booking pages and event types the account's bookings name.

    Finding them reads every booking of the account, so the answer is kept
    in the cache until the account's next event (bookings change through
    events) or for a minute at most (an edit in the admin).
    """
    key = f"scheduling:filter-choices:{account.pk}:{latest_event_id}"
    choices = cache.get(key)
    if choices is None:
        choices = _filter_choices(account=account)
        cache.set(key, choices, timeout=FILTER_CHOICES_SECONDS)
    return choices


def _filter_choices(*, account: Account) -> dict[str, list]:
    rows = (
        Booking.objects.filter(account=account)
        .order_by()
        .values_list(
            "owner_id",
            "owner_name",
            "page_id",
            "page_name",
            "event_type_id",
            "event_type_name",
        )
        .distinct()
    )
    found: dict[str, dict[str, str]] = {"owner": {}, "page": {}, "event_type": {}}
    for owner_id, owner, page_id, page, type_id, type_name in rows:
        for name, key, label in (
            ("owner", owner_id, owner),
            ("page", page_id, page),
            ("event_type", type_id, type_name),
        ):
            if key:
                found[name][key] = label or found[name].get(key) or key
    return {
        name: sorted(options.items(), key=lambda item: item[1].casefold())
        for name, options in found.items()
    }


def latest_event_id(*, account: Account) -> int:
    """The id of the newest event logged for the account, 0 when none."""
    latest = BookingEvent.objects.filter(account=account).aggregate(latest=Max("id"))
    return latest["latest"] or 0


@dataclasses.dataclass(frozen=True)
class Cursor:
    """Where a page of the stream ends: the last event's time and id."""

    occurred_at: dt.datetime
    id: int

    def encode(self) -> str:
        return f"{self.occurred_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse a cursor; raise ValueError for anything malformed."""
        stamp, _, event_id = text.rpartition("~")
        occurred_at = dt.datetime.fromisoformat(stamp)
        if occurred_at.tzinfo is None:
            raise ValueError("cursor time has no offset")
        return cls(occurred_at=occurred_at, id=int(event_id))


def events_for_stream(
    *,
    events: QuerySet,
    before: Cursor | None,
    limit: int,
    since: int | None = None,
) -> tuple[list[BookingEvent], Cursor | None]:
    """A page of events, newest first, and the cursor of the next page."""
    page = events.select_related("booking", "booking__customer").order_by(
        "-occurred_at", "-id"
    )
    if before is not None:
        page = page.filter(
            Q(occurred_at__lt=before.occurred_at)
            | Q(occurred_at=before.occurred_at, id__lt=before.id)
        )
    rows = list(page[: limit + 1])
    for row in rows:
        row.is_new = since is not None and row.id > since
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], Cursor(occurred_at=last.occurred_at, id=last.id)
    return rows, None


def reschedule_chain(*, booking: Booking) -> list[Booking]:
    """The bookings this one was rebooked from and into, oldest first.

    One query per step along the chain, which is short in practice and cut
    at ``CHAIN_LIMIT`` either way.
    """
    earlier: list[Booking] = []
    current = booking
    while current.replaces_id and len(earlier) < CHAIN_LIMIT:
        current = (
            Booking.objects.filter(account_id=booking.account_id)
            .select_related("customer")
            .filter(pk=current.replaces_id)
            .first()
        )
        if current is None or current.pk == booking.pk:
            break
        earlier.append(current)

    later: list[Booking] = []
    seen = {booking.pk, *(b.pk for b in earlier)}
    current = booking
    while len(later) < CHAIN_LIMIT:
        current = (
            Booking.objects.filter(account_id=booking.account_id, replaces=current)
            .select_related("customer")
            .order_by("created_at", "id")
            .first()
        )
        if current is None or current.pk in seen:
            break
        seen.add(current.pk)
        later.append(current)

    if not earlier and not later:
        return []
    return [*reversed(earlier), booking, *later]
