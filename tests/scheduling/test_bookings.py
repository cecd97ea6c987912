"""Applying neutral events: the steps that only some providers send."""

import datetime as dt

import pytest

from scheduling.bookings import booking_apply_event
from scheduling.models import Booking
from scheduling.providers import base

UTC = dt.UTC
START = dt.datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def event(kind, status, at, *, key, starts_at=START, **extra) -> base.BookingEvent:
    return base.BookingEvent(
        provider="calendly",
        key=key,
        provider_type=kind,
        kind=kind,
        occurred_at=at,
        booking=base.Booking(
            external_id="inv-1", starts_at=starts_at, duration_minutes=30
        ),
        status=status,
        **extra,
    )


def apply(account, *events) -> Booking:
    for item in events:
        booking_apply_event(account=account, event=item)
    return Booking.objects.get(external_id="inv-1")


SCHEDULED = base.EventKind.SCHEDULED
NO_SHOW = base.EventKind.NO_SHOW
UNDONE = base.EventKind.NO_SHOW_UNDONE


@pytest.mark.parametrize(
    ("undone_at", "expected"),
    [
        (START + dt.timedelta(hours=1), Booking.Status.COMPLETED),
        # Marked by mistake before the meeting: it is still to come.
        (START - dt.timedelta(hours=1), Booking.Status.SCHEDULED),
    ],
)
def test_taking_back_a_no_show_restores_the_state_by_time(account, undone_at, expected):
    booking = apply(
        account,
        event(SCHEDULED, "scheduled", START - dt.timedelta(days=3), key="a"),
        event(NO_SHOW, "no_show", undone_at - dt.timedelta(minutes=5), key="b"),
        event(UNDONE, "", undone_at, key="c"),
    )

    assert booking.status == expected


def test_taking_back_a_no_show_leaves_a_canceled_booking_canceled(account):
    booking = apply(
        account,
        event(SCHEDULED, "scheduled", START - dt.timedelta(days=3), key="a"),
        event(
            base.EventKind.CANCELED, "canceled", START - dt.timedelta(days=1), key="b"
        ),
        event(UNDONE, "", START + dt.timedelta(hours=1), key="c"),
    )

    assert booking.status == Booking.Status.CANCELED


def test_an_event_naming_only_the_booking_keeps_what_it_was(account):
    booking = apply(
        account,
        base.BookingEvent(
            provider="calendly",
            key="a",
            provider_type="invitee.created",
            kind=SCHEDULED,
            occurred_at=START - dt.timedelta(days=3),
            booking=base.Booking(
                external_id="inv-1",
                provider_status="active",
                subject="Intro call",
                starts_at=START,
                provider_data={"uri": "inv-1"},
            ),
            status="scheduled",
        ),
        base.BookingEvent(
            provider="calendly",
            key="b",
            provider_type="invitee_no_show.created",
            kind=NO_SHOW,
            occurred_at=START + dt.timedelta(hours=1),
            booking=base.Booking(external_id="inv-1"),
            status="no_show",
        ),
    )

    assert booking.status == Booking.Status.NO_SHOW
    assert (booking.subject, booking.provider_status) == ("Intro call", "active")
    assert booking.provider_data == {"uri": "inv-1"}
