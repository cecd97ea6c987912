"""Factories for the page tests: bookings and events written straight to the DB."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.core.cache import cache

from scheduling.models import Account, Booking, BookingEvent, Customer

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached filter choices must not outlive the test that made them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_booking(account):
    counter = itertools.count(1)

    def make(
        starts_at: dt.datetime,
        *,
        minutes: int = 30,
        in_account: Account | None = None,
        customer_name: str = "Dana Example",
        subject: str = "Intro call",
        **fields,
    ) -> Booking:
        target = in_account or account
        number = next(counter)
        customer, _ = Customer.objects.get_or_create(
            account=target,
            email=f"{customer_name.split()[0].lower()}.{number}@example.com",
            defaults={"name": customer_name},
        )
        fields.setdefault("ends_at", starts_at + dt.timedelta(minutes=minutes))
        fields.setdefault("provider", "oncehub")
        return Booking.objects.create(
            account=target,
            external_id=f"BKNG-{target.slug}-{number}",
            starts_at=starts_at,
            duration_minutes=minutes,
            subject=subject,
            customer=customer,
            **fields,
        )

    return make


@pytest.fixture
def make_event():
    counter = itertools.count(1)

    def make(
        booking: Booking,
        *,
        kind: str = BookingEvent.Kind.SCHEDULED,
        occurred_at: dt.datetime | None = None,
        **details,
    ) -> BookingEvent:
        return BookingEvent.objects.create(
            account=booking.account,
            booking=booking,
            provider=booking.provider,
            key=f"EVNT-{booking.pk}-{next(counter)}",
            kind=kind,
            provider_type=f"booking.{kind}",
            occurred_at=occurred_at or booking.starts_at - dt.timedelta(days=2),
            details=details,
        )

    return make


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def local(tz: zoneinfo.ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)
