"""Each user's private iCalendar feed of their accounts' bookings.

Calendar apps poll the feed URL and match events by UID, so a booking keeps
one UID for life, even across OnceHub reschedules, which create a new booking
that replaces the old one: the whole chain shares the UID of its first
booking, only the newest booking of a chain is listed, and SEQUENCE grows with
every reschedule (and once more when the meeting is canceled).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterator

import icalendar
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .models import Booking, CalendarFeed, new_feed_token
from .selectors import accounts_for_user

logger = logging.getLogger(__name__)

PRODID = "-//BookingSync//Bookings feed//EN"
CHUNK_SIZE = 2000
# Limitation: the feed lists meetings from this long ago onwards, so that a
# calendar app polling it every few hours is not sent years of history.
# Older meetings stay in the reports, the exports and the API. Every event
# still costs about half a millisecond to write (the icalendar library's
# escaping and line folding), so an account with tens of thousands of
# meetings ahead waits tens of seconds for its feed; caching the written feed
# until a booking changes would be the next step.
FEED_HISTORY = dt.timedelta(days=90)

_CANCELED = (Booking.Status.CANCELED, Booking.Status.RESCHEDULE_REQUESTED)


def calendar_feed_for_user(*, user) -> CalendarFeed:
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if created:
        logger.info("calendar feed created feed_id=%s user_id=%s", feed.pk, user.pk)
    return feed


def calendar_feed_regenerate(*, user) -> CalendarFeed:
    """Give the user's feed a new secret URL; the old URL stops working."""
    with transaction.atomic():
        feed = calendar_feed_for_user(user=user)
        feed.token = new_feed_token()
        feed.regenerated_at = timezone.now()
        feed.save(update_fields=["token", "regenerated_at"])
    logger.info(
        "calendar feed token regenerated feed_id=%s user_id=%s", feed.pk, user.pk
    )
    return feed


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _chains(accounts) -> dict[int, int]:
    """Map each booking that replaced another to the booking it replaced."""
    return dict(
        Booking.objects.filter(
            account__in=accounts, replaces__isnull=False
        ).values_list("id", "replaces_id")
    )


def _root_and_depth(booking_id: int, parents: dict[int, int]) -> tuple[int, int]:
    seen = {booking_id}
    depth = 0
    while booking_id in parents:
        booking_id = parents[booking_id]
        if booking_id in seen:
            break
        seen.add(booking_id)
        depth += 1
    return booking_id, depth


def bookings_for_feed(*, accounts, now: dt.datetime | None = None):
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            account__in=accounts,
            starts_at__isnull=False,
            starts_at__gte=now - FEED_HISTORY,
        )
        # A replaced booking lives on in the booking that replaced it.
        .exclude(status=Booking.Status.RESCHEDULED)
        .select_related("customer", "account")
        .annotate(reschedules=Count("events", filter=Q(events__kind="rescheduled")))
        .order_by("starts_at", "id")
    )


def _description(booking: Booking) -> str:
    lines = []
    customer = booking.customer
    if customer is not None:
        who = f"{customer.name} <{customer.email}>" if customer.name else customer.email
        lines.append(f"Customer: {who}")
        if customer.phone:
            lines.append(f"Phone: {customer.phone}")
        if customer.company:
            lines.append(f"Company: {customer.company}")
    if booking.join_url:
        lines.append(f"Join: {booking.join_url}")
    if booking.owner_name:
        lines.append(f"Host: {booking.owner_name}")
    if booking.status in _CANCELED:
        reason = f": {booking.cancel_reason}" if booking.cancel_reason else ""
        lines.append(f"Canceled{reason}")
    if booking.note:
        lines.append(f"Note: {booking.note}")
    return "\n".join(lines)


def _event(booking: Booking, *, uid_root: int, sequence: int) -> icalendar.Event:
    tz = _zone(booking.account.time_zone)
    event = icalendar.Event()
    event.add("uid", f"booking-{uid_root}@bookingsync")
    event.add("sequence", sequence)
    event.add("dtstamp", booking.updated_at.astimezone(dt.UTC))
    event.add("last-modified", booking.updated_at.astimezone(dt.UTC))
    event.add("dtstart", booking.starts_at.astimezone(tz))
    ends_at = booking.ends_at or booking.starts_at + dt.timedelta(
        minutes=booking.duration_minutes or 30
    )
    event.add("dtend", ends_at.astimezone(tz))

    customer = booking.customer
    subject = booking.subject or "Booking"
    if customer is not None and (customer.name or customer.email):
        subject = f"{subject} with {customer.name or customer.email}"
    event.add("summary", subject)
    event.add("description", _description(booking))
    if booking.location or booking.join_url:
        event.add("location", booking.location or booking.join_url)
    if booking.join_url:
        event.add("url", booking.join_url)
    if customer is not None and customer.email:
        attendee = icalendar.vCalAddress(f"mailto:{customer.email}")
        if customer.name:
            attendee.params["CN"] = customer.name
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if booking.status in _CANCELED else "CONFIRMED")
    return event


def _sequence(booking: Booking, depth: int) -> int:
    # The booking that replaced another logs one "rescheduled" event for the
    # replacement itself; the depth already counts that one.
    in_place = booking.reschedules - (1 if booking.replaces_id else 0)
    canceled = 1 if booking.status in _CANCELED else 0
    return depth + max(in_place, 0) + canceled


def feed_lines_for_user(*, user, now: dt.datetime | None = None) -> Iterator[bytes]:
    """The feed as chunks of iCalendar text, one event at a time."""
    accounts = list(accounts_for_user(user))
    parents = _chains(accounts)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "BookingSync bookings")
    # Describe every account's zone once, so that clients need no lookup.
    for account in accounts:
        probe = icalendar.Event()
        probe.add("dtstart", dt.datetime(2000, 1, 1, tzinfo=_zone(account.time_zone)))
        calendar.add_component(probe)
    calendar.add_missing_timezones()
    calendar.subcomponents = [
        component
        for component in calendar.subcomponents
        if component.name == "VTIMEZONE"
    ]
    head = calendar.to_ical()
    yield head[: head.rindex(b"END:VCALENDAR")]

    bookings = bookings_for_feed(accounts=accounts, now=now)
    for booking in bookings.iterator(chunk_size=CHUNK_SIZE):
        root, depth = _root_and_depth(booking.pk, parents)
        yield _event(
            booking, uid_root=root, sequence=_sequence(booking, depth)
        ).to_ical()
    yield b"END:VCALENDAR\r\n"
