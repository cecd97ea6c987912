"""Time the reports page, a full CSV export and the calendar feed at two sizes.

Run by hand, against a database of its own (it creates two accounts and their
bookings the first time, and reuses them afterwards):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bs_bench \\
        .venv/bin/python bench/reports.py

Each figure is the best of ``--repeat`` runs. Peak memory is what Python
allocated while serving one request (tracemalloc, measured in a separate run
because tracing slows everything down), not the process's resident size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookingsync.settings")
# A throwaway key for the benchmark's own sessions; not a secret.
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from scheduling.feeds import calendar_feed_for_user  # noqa: E402
from scheduling.models import (  # noqa: E402
    Account,
    Booking,
    BookingEvent,
    Customer,
    Membership,
)

SIZES = (1_000, 100_000)
BATCH = 5_000
STATUSES = [
    (Booking.Status.COMPLETED, 55),
    (Booking.Status.SCHEDULED, 20),
    (Booking.Status.CANCELED, 12),
    (Booking.Status.NO_SHOW, 5),
    (Booking.Status.RESCHEDULED, 5),
    (Booking.Status.RESCHEDULE_REQUESTED, 3),
]
REASONS = ["Conflict", "Feeling unwell", "Found another time", "No longer needed", ""]


def _account(size: int) -> tuple[Account, object]:
    slug = f"bench-{size}"
    account, _ = Account.objects.get_or_create(
        slug=slug, defaults={"name": f"Bench {size}", "time_zone": "Europe/Berlin"}
    )
    user, created = get_user_model().objects.get_or_create(username=slug)
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(account=account, user=user)
    return account, user


def _populate(account: Account, size: int) -> None:
    """Spread ``size`` bookings over the last 300 days and the next 60."""
    have = Booking.objects.filter(account=account).count()
    if have >= size:
        return
    _say(f"creating {size - have} bookings for {account.slug} ...")
    rng = random.Random(size)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    Customer.objects.bulk_create(
        [
            Customer(account=account, email=f"c{n}@example.com", name=f"Customer {n}")
            for n in range(max(size // 5, 1))
        ],
        ignore_conflicts=True,
    )
    customers = list(Customer.objects.filter(account=account))
    statuses, weights = zip(*STATUSES, strict=True)

    for start in range(have, size, BATCH):
        bookings = []
        for n in range(start, min(start + BATCH, size)):
            starts_at = now + dt.timedelta(
                days=rng.randint(-300, 60), hours=rng.randint(-6, 6)
            )
            booked_at = starts_at - dt.timedelta(minutes=rng.randint(30, 60 * 24 * 40))
            status = rng.choices(statuses, weights)[0]
            canceled = status in (
                Booking.Status.CANCELED,
                Booking.Status.RESCHEDULE_REQUESTED,
            )
            bookings.append(
                Booking(
                    account=account,
                    provider="oncehub",
                    external_id=f"BKNG-BENCH-{size}-{n}",
                    status=status,
                    subject="Discovery call",
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=30),
                    duration_minutes=30,
                    time_zone="Europe/Berlin",
                    booked_at=booked_at,
                    state_at=booked_at
                    + (starts_at - booked_at) * rng.random() * canceled,
                    owner_id=f"USR-{n % 7}",
                    owner_name=f"Host {n % 7}",
                    page_id=f"BKC-{n % 3}",
                    page_name=f"Calendar {n % 3}",
                    event_type_id=f"ET-{n % 4}",
                    event_type_name=f"Type {n % 4}",
                    join_url=f"https://video.example.com/j/{n}",
                    cancel_reason=rng.choice(REASONS) if canceled else "",
                    actioned_by=rng.choice(["customer", "user"]) if canceled else "",
                    customer=rng.choice(customers),
                )
            )
        with transaction.atomic():
            created = Booking.objects.bulk_create(bookings)
            events = []
            for booking in created:
                events.append(
                    BookingEvent(
                        account=account,
                        booking=booking,
                        provider="oncehub",
                        key=f"{booking.external_id}-scheduled",
                        kind="scheduled",
                        provider_type="booking.scheduled",
                        occurred_at=booking.booked_at,
                    )
                )
                if booking.status != Booking.Status.SCHEDULED:
                    events.append(
                        BookingEvent(
                            account=account,
                            booking=booking,
                            provider="oncehub",
                            key=f"{booking.external_id}-{booking.status}",
                            kind=booking.status,
                            provider_type=f"booking.{booking.status}",
                            occurred_at=booking.state_at,
                        )
                    )
            BookingEvent.objects.bulk_create(events)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _consume(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _measure(client: Client, url: str, *, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url)
        size = _consume(response)
        elapsed = time.perf_counter() - began
        assert response.status_code == 200, (url, response.status_code)
        best = elapsed if best is None else min(best, elapsed)

    tracemalloc.start()
    response = client.get(url)
    _consume(response)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": best, "bytes": size, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    query = (
        f"?start={today - dt.timedelta(days=310)}&end={today + dt.timedelta(days=70)}"
    )

    results: dict[tuple[str, int], dict] = {}
    for size in SIZES:
        account, user = _account(size)
        _populate(account, size)
        client = Client()
        client.force_login(user)
        feed = calendar_feed_for_user(user=user)
        targets = {
            "reports page": f"/reports/{account.slug}/{query}",
            "bookings CSV": f"/reports/{account.slug}/bookings.csv{query}",
            "event log CSV": f"/reports/{account.slug}/events.csv{query}",
            "calendar feed": f"/feeds/{feed.token}/bookings.ics",
        }
        for name, url in targets.items():
            results[(name, size)] = _measure(client, url, repeat=args.repeat)

    small, large = SIZES
    _say(f"\ndatabase: {connection.vendor}; best of {args.repeat} runs")
    _say(
        f"{'':15} {'1k s':>8} {'100k s':>8} {'ratio':>7} "
        f"{'1k peak':>9} {'100k peak':>10} {'100k size':>10}"
    )
    for name in ("reports page", "bookings CSV", "event log CSV", "calendar feed"):
        a, b = results[(name, small)], results[(name, large)]
        _say(
            f"{name:15} {a['seconds']:8.3f} {b['seconds']:8.3f} "
            f"{b['seconds'] / a['seconds']:6.1f}x "
            f"{a['peak'] / 2**20:7.1f}MB {b['peak'] / 2**20:8.1f}MB "
            f"{b['bytes'] / 2**20:8.1f}MB"
        )


if __name__ == "__main__":
    main()
