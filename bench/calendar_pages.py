"""How the calendar and stream pages cost with a large account.

Fills a throwaway database with one account holding 100,000 bookings over
three years (2,000 of them in the month shown), each with its event, then
times the month, week and day pages and the stream beside the same month
page of an empty account: the layout, the login and the fixed queries
alone. Prints the median time of each page, its ratio to the empty page
and its query count.

Run it by hand, on the default SQLite or with DATABASE_URL set:

    .venv/bin/python bench/calendar_pages.py [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

# Run as a file, Python puts only bench/ on the path: add the project.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookingsync.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from scheduling.models import (  # noqa: E402
    Account,
    Booking,
    BookingEvent,
    Customer,
    Membership,
)

TOTAL_BOOKINGS = 100_000
IN_MONTH = 2_000
CUSTOMERS = 5_000
SHOWN_MONTH = dt.date(2026, 6, 1)
FIRST_DAY = dt.date(2024, 7, 1)
LAST_DAY = dt.date(2027, 6, 30)
TZ = zoneinfo.ZoneInfo("America/New_York")
BATCH = 5_000


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fill(account: Account) -> None:
    """Write the customers, bookings and events of the big account."""
    customers = Customer.objects.bulk_create(
        [
            Customer(
                account=account,
                email=f"person{n}@example.com",
                name=f"Person {n} Example",
            )
            for n in range(CUSTOMERS)
        ],
        batch_size=BATCH,
    )

    month_days = (SHOWN_MONTH.replace(month=7) - SHOWN_MONTH).days
    other_days = [
        FIRST_DAY + dt.timedelta(days=n)
        for n in range((LAST_DAY - FIRST_DAY).days + 1)
        if (FIRST_DAY + dt.timedelta(days=n)).replace(day=1) != SHOWN_MONTH
    ]
    statuses = ["scheduled"] * 7 + ["canceled", "completed", "no_show"]

    def booking(n: int) -> Booking:
        if n < IN_MONTH:
            day = SHOWN_MONTH + dt.timedelta(days=n % month_days)
        else:
            day = other_days[n % len(other_days)]
        starts_at = dt.datetime.combine(
            day, dt.time(7 + n % 12, (n * 7) % 4 * 15), tzinfo=TZ
        )
        return Booking(
            account=account,
            provider="oncehub",
            external_id=f"BKNG-BENCH-{n}",
            status=statuses[n % len(statuses)],
            subject=f"Session {n % 40}",
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=30),
            duration_minutes=30,
            owner_id=f"USR-{n % 12}",
            owner_name=f"Host {n % 12}",
            page_id=f"BP-{n % 5}",
            page_name=f"Page {n % 5}",
            event_type_id=f"ET-{n % 8}",
            event_type_name=f"Type {n % 8}",
            customer=customers[n % CUSTOMERS],
        )

    for start in range(0, TOTAL_BOOKINGS, BATCH):
        rows = Booking.objects.bulk_create(
            [booking(n) for n in range(start, min(start + BATCH, TOTAL_BOOKINGS))]
        )
        BookingEvent.objects.bulk_create(
            [
                BookingEvent(
                    account=account,
                    booking=row,
                    provider="oncehub",
                    key=f"EVNT-{row.external_id}",
                    kind=BookingEvent.Kind.SCHEDULED,
                    provider_type="booking.scheduled",
                    occurred_at=row.starts_at - dt.timedelta(days=3),
                    details={"starts_at": row.starts_at.isoformat()},
                )
                for row in rows
            ]
        )
        say(f"  {start + len(rows):>7} bookings written")


def measure(
    clients: dict[str, Client], urls: list[str], runs: int, *, cold: set[str]
) -> list[tuple]:
    """Median milliseconds, query count and body size of each URL.

    The pages take turns within each run, so that a machine busy with
    something else slows them all alike and their ratios stay fair. Each
    account has its own client, whose session stays on that account. URLs
    in ``cold`` are timed with an empty cache, as after a new event.
    """

    def client_for(url: str) -> Client:
        return clients[url.split("/")[2]]

    times: dict[str, list[float]] = {url: [] for url in urls}

    def get(url: str):
        if url in cold:
            cache.clear()
        return client_for(url).get(url)

    for _ in range(3):
        for url in urls:
            get(url)
    for _ in range(runs):
        for url in urls:
            started = time.perf_counter()
            response = get(url)
            times[url].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    results = []
    for url in urls:
        get(url)  # so that only a cold URL finds the cache empty
        if url in cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client_for(url).get(url)
        results.append(
            (statistics.median(times[url]), len(queries), len(response.content))
        )
    return results


def slowest_queries(client: Client, url: str, count: int = 4) -> list:
    """The ``count`` slowest queries of one request, with their times."""
    timings = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(timed):
        client.get(url)
    return sorted(timings, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    # No setup_test_environment(): its template instrumentation would add
    # to every page the cost of copying contexts for the test client.
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        say(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        user = get_user_model().objects.create_user("bench", password="bench")
        big = Account.objects.create(slug="big", name="Big", time_zone=TZ.key)
        empty = Account.objects.create(slug="empty", name="Empty", time_zone=TZ.key)
        for account in (big, empty):
            Membership.objects.create(account=account, user=user)

        started = time.perf_counter()
        fill(big)
        say(f"filled in {time.perf_counter() - started:.0f}s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        clients = {}
        for slug in ("big", "empty"):
            clients[slug] = Client()
            clients[slug].force_login(user)
        day = SHOWN_MONTH.replace(day=10).isoformat()
        pages = [
            ("empty month", f"/a/empty/calendar/month/{day}/"),
            ("month", f"/a/big/calendar/month/{day}/"),
            ("week", f"/a/big/calendar/week/{day}/"),
            ("day", f"/a/big/calendar/day/{day}/"),
            ("stream", "/a/big/stream/"),
            ("month, one host", f"/a/big/calendar/month/{day}/?owner=USR-3"),
            # The same month, as the first view after a new event: the hosts,
            # pages and types offered as filters are read again.
            ("month, cold cache", f"/a/big/calendar/month/{day}/?cold=1"),
        ]
        measured = measure(
            clients,
            [url for _name, url in pages],
            args.runs,
            cold={url for _name, url in pages if "cold=1" in url},
        )
        results = [
            (name, url, *figures)
            for (name, url), figures in zip(pages, measured, strict=True)
        ]

        baseline = results[0][2]
        say("")
        say(f"{'page':<18}{'median ms':>10}{'x empty':>9}{'queries':>9}{'KiB':>7}")
        for name, _url, ms, queries, size in results:
            say(
                f"{name:<18}{ms:>10.1f}{ms / baseline:>9.2f}{queries:>9}"
                f"{size / 1024:>7.0f}"
            )
        for name, url in pages[1:5]:
            say(f"\nslowest queries of the {name} page:")
            for ms, sql in slowest_queries(clients["big"], url, count=2):
                say(f"  {ms:7.1f} ms  {sql[:110]}")

        month_ratio = results[1][2] / baseline
        verdict = "meets" if month_ratio < 5 else "misses"
        say(f"\nmonth page is {month_ratio:.2f}x the empty page ({verdict} < 5x)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
