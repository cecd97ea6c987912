"""A small hand-made set of bookings whose report figures are worked out by hand.

The account lives in New York. The report covers Monday 2 March to Sunday
15 March 2026; New York moves from UTC-5 to UTC-4 on 8 March, so the range runs
from 05:00 UTC on 2 March to 04:00 UTC on 16 March.

    id  status                owner  starts (New York)  booked before  canceled after
    b1  completed             A      Mon  2 Mar 10:00   1 day
    b2  completed             A      Tue  3 Mar 09:30   30 minutes
    b3  no_show               B      Wed  4 Mar 10:00   12 days
    b4  canceled (customer)   A      Tue 10 Mar 10:00   9 days         6 hours
    b5  canceled (user)       B      Wed 11 Mar 14:00   2 days         1 day
    b6  reschedule_requested  A      Thu 12 Mar 10:00   30 days        29 days
    b7  rescheduled (by b8)   A      Fri 13 Mar 10:00   7 days
    b8  scheduled             A      Sat 14 Mar 23:30   6.5 days
    b9  completed             A      Mon 16 Mar 00:30   outside, but booked inside
    b10 completed             A      Sun  1 Mar 23:30   outside
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from scheduling.models import Booking, BookingEvent, Customer

UTC = dt.UTC
_serial = itertools.count(1)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def make_booking(*, account, **fields) -> Booking:
    """A booking as the webhook processing would have left it."""
    number = next(_serial)
    values = {
        "provider": "oncehub",
        "external_id": f"BKNG-TEST{number:06d}",
        "subject": "Discovery call",
        "duration_minutes": 30,
        "time_zone": "America/New_York",
    }
    values.update(fields)
    if values.get("starts_at") and "ends_at" not in values:
        values["ends_at"] = values["starts_at"] + dt.timedelta(
            minutes=values["duration_minutes"]
        )
    values.setdefault("state_at", values.get("booked_at"))
    return Booking.objects.create(account=account, **values)


def make_event(*, booking, kind, occurred_at, **fields) -> BookingEvent:
    return BookingEvent.objects.create(
        account=booking.account,
        booking=booking,
        provider=booking.provider,
        key=f"EVNT-{next(_serial)}",
        kind=kind,
        provider_type=f"booking.{kind}",
        occurred_at=occurred_at,
        **fields,
    )


@pytest.fixture
def report_data(account, other_account):
    account.time_zone = "America/New_York"
    account.save()
    dana = Customer.objects.create(
        account=account, email="dana@example.com", name="Dana Example"
    )
    owner_a = {"owner_id": "USR-A", "owner_name": "Avery Host"}
    owner_b = {"owner_id": "USR-B", "owner_name": "Blake Host"}
    page = {"page_id": "BKC-1", "page_name": "Sales calendar"}
    S = Booking.Status
    rows = {
        "b1": dict(
            status=S.COMPLETED,
            starts_at=utc(2026, 3, 2, 15, 0),
            booked_at=utc(2026, 3, 1, 15, 0),
            **owner_a,
            **page,
        ),
        "b2": dict(
            status=S.COMPLETED,
            starts_at=utc(2026, 3, 3, 14, 30),
            booked_at=utc(2026, 3, 3, 14, 0),
            **owner_a,
        ),
        "b3": dict(
            status=S.NO_SHOW,
            starts_at=utc(2026, 3, 4, 15, 0),
            booked_at=utc(2026, 2, 20, 15, 0),
            **owner_b,
            **page,
        ),
        "b4": dict(
            status=S.CANCELED,
            starts_at=utc(2026, 3, 10, 14, 0),
            booked_at=utc(2026, 3, 1, 14, 0),
            state_at=utc(2026, 3, 1, 20, 0),
            actioned_by="customer",
            cancel_reason="Found another provider",
            **owner_a,
        ),
        "b5": dict(
            status=S.CANCELED,
            starts_at=utc(2026, 3, 11, 18, 0),
            booked_at=utc(2026, 3, 9, 18, 0),
            state_at=utc(2026, 3, 10, 18, 0),
            actioned_by="user",
            cancel_reason="Host ill",
            **owner_b,
        ),
        "b6": dict(
            status=S.RESCHEDULE_REQUESTED,
            starts_at=utc(2026, 3, 12, 14, 0),
            booked_at=utc(2026, 2, 10, 14, 0),
            state_at=utc(2026, 3, 11, 14, 0),
            actioned_by="user",
            cancel_reason="Host ill",
            **owner_a,
        ),
        "b7": dict(
            status=S.RESCHEDULED,
            starts_at=utc(2026, 3, 13, 14, 0),
            booked_at=utc(2026, 3, 6, 14, 0),
            **owner_a,
        ),
        "b8": dict(
            status=S.SCHEDULED,
            starts_at=utc(2026, 3, 15, 3, 30),
            booked_at=utc(2026, 3, 8, 14, 0),
            join_url="https://video.example.com/j/42",
            customer=dana,
            **owner_a,
            **page,
        ),
        "b9": dict(
            status=S.COMPLETED,
            starts_at=utc(2026, 3, 16, 4, 30),
            booked_at=utc(2026, 3, 5, 14, 0),
            **owner_a,
        ),
        "b10": dict(
            status=S.COMPLETED,
            starts_at=utc(2026, 3, 2, 4, 30),
            booked_at=utc(2026, 2, 25, 14, 0),
            **owner_a,
        ),
    }
    bookings = {
        name: make_booking(account=account, **row) for name, row in rows.items()
    }
    bookings["b8"].replaces = bookings["b7"]
    bookings["b8"].save()

    # Another account's meeting in the same range must never be counted.
    make_booking(
        account=other_account,
        status=S.CANCELED,
        starts_at=utc(2026, 3, 10, 15, 0),
        booked_at=utc(2026, 3, 3, 15, 0),
        actioned_by="customer",
        cancel_reason="Elsewhere",
    )
    return bookings
