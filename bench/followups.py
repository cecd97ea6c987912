"""Measure follow-ups: sending through one worker, and the admin's delivery list.

Run by hand from the project root, on SQLite (in ``var/bench/``) or on a
PostgreSQL database of its own::

    .venv/bin/python bench/followups.py [--deliveries 500] [--rows 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bookingsync_bench \\
        REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/followups.py

The first figure is deliveries per second: signed webhooks sent by one Celery
worker (solo pool) to a local stand-in. The second is the admin's delivery
list, empty, with one page of rows and with ``--rows`` rows: time, queries
and time in SQL, each beside the empty list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
# The stand-in listens on 127.0.0.1; the worker inherits this.
os.environ.setdefault("FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES", "1")
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"bench-followups-{os.getpid()}")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from scheduling.accounts import account_get_or_create  # noqa: E402
from scheduling.followups.models import (  # noqa: E402
    FollowUpDelivery,
    FollowUpSubscription,
)
from scheduling.followups.services import subscription_save  # noqa: E402
from scheduling.followups.standin import StandIn  # noqa: E402
from scheduling.followups.tasks import deliver_followup  # noqa: E402
from scheduling.models import Account, Booking, BookingEvent  # noqa: E402

BATCH = 5000


def report(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def reset() -> tuple[Account, Booking]:
    call_command("migrate", verbosity=0)
    Account.objects.filter(slug="bench").delete()
    account, _ = account_get_or_create(slug="bench", name="Bench")
    booking = Booking.objects.create(
        account=account,
        provider="oncehub",
        external_id="BENCH-1",
        subject="Bench booking",
        starts_at=timezone.now(),
    )
    return account, booking


def make_deliveries(
    *, subscription, booking, count: int, status="pending", offset=0
) -> None:
    """``count`` events of one booking, each with a delivery, in batches."""
    now = timezone.now()
    payload = {"type": "booking.scheduled", "version": 1, "data": {"n": 0}}
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        events = BookingEvent.objects.bulk_create(
            [
                BookingEvent(
                    account_id=subscription.account_id,
                    booking=booking,
                    provider="oncehub",
                    key=f"bench-{subscription.pk}-{offset + start + i}",
                    kind="scheduled",
                    provider_type="booking.scheduled",
                    occurred_at=now,
                )
                for i in range(size)
            ]
        )
        FollowUpDelivery.objects.bulk_create(
            [
                FollowUpDelivery(
                    subscription=subscription,
                    booking_event=event,
                    booking=booking,
                    kind="scheduled",
                    payload=payload,
                    status=status,
                    created_at=now - dt.timedelta(seconds=offset + start + i),
                )
                for i, event in enumerate(events)
            ]
        )


def start_worker() -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bookingsync",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()

    def read():
        for line in process.stdout:
            if "ready" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    # The worker logs "ready." at WARNING only on some versions: give it time.
    ready.wait(15)
    return process


def bench_throughput(*, account, booking, count: int) -> None:
    standin = StandIn().start()
    subscription = FollowUpSubscription(
        account=account,
        name="bench webhook",
        action="webhook",
        events=["*"],
        settings={"url": f"{standin.url}/hooks/bench"},
    )
    subscription_save(subscription=subscription)
    make_deliveries(subscription=subscription, booking=booking, count=count)
    ids = list(
        FollowUpDelivery.objects.filter(subscription=subscription).values_list(
            "id", flat=True
        )
    )

    worker = start_worker()
    try:
        started = time.monotonic()
        for delivery_id in ids:
            deliver_followup.delay(delivery_id)
        while len(standin.requests) < count and time.monotonic() - started < 600:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(30)
        standin.stop()
    succeeded = FollowUpDelivery.objects.filter(
        subscription=subscription, status="succeeded"
    ).count()
    # The admin list below starts from no deliveries at all.
    subscription.delete()
    report(
        f"worker throughput: {succeeded}/{count} deliveries succeeded in "
        f"{elapsed:.2f}s = {succeeded / elapsed:.1f} deliveries/s "
        f"(one solo worker, signed webhook to a local stand-in)"
    )


def timed_get(client: Client, url: str, params=None, repeat: int = 7):
    """Best of ``repeat``: (seconds, queries, seconds spent in SQL)."""
    client.get(url, params or {})  # Warm caches and templates first.
    best = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params or {})
            took = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        sql = sum(float(query["time"]) for query in queries.captured_queries)
        if best is None or took < best[0]:
            best = (took, len(queries), sql)
    return best


def bench_admin_list(*, account, booking, rows: int) -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    subscription = FollowUpSubscription(
        account=account,
        name="bench list",
        action="webhook",
        events=["*"],
        settings={"url": "https://hooks.example.com/bench"},
    )
    subscription_save(subscription=subscription)
    url = reverse("admin:scheduling_followupdelivery_changelist")

    empty = timed_get(client, url)
    # One full page: what rendering the rows costs, whatever the table's size.
    make_deliveries(
        subscription=subscription, booking=booking, count=100, status="succeeded"
    )
    page = timed_get(client, url)
    started = time.monotonic()
    make_deliveries(
        subscription=subscription,
        booking=booking,
        count=rows - 100,
        status="succeeded",
        offset=100,
    )
    report(f"made {rows} deliveries in {time.monotonic() - started:.1f}s")
    connection.cursor().execute("ANALYZE")

    full = timed_get(client, url)
    filtered = timed_get(client, url, {"subscription__id__exact": subscription.pk})
    by_status = timed_get(client, url, {"status__exact": "failed"})
    last_page = timed_get(client, url, {"p": rows // 100 - 1})
    report(f"admin delivery list, best of 7 ({connection.vendor}):")
    for label, (took, queries, sql) in [
        ("empty", empty),
        ("100 rows (one page)", page),
        (f"{rows} rows, page 1", full),
        ("filtered by subscription", filtered),
        ("filtered by status, none", by_status),
        (f"page {rows // 100 - 1}", last_page),
    ]:
        report(
            f"  {label:26} {took * 1000:7.1f} ms ({sql * 1000:5.1f} ms SQL), "
            f"{queries} queries, {took / empty[0]:4.1f}x empty"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    report(f"database: {connection.vendor}, broker: {settings.CELERY_BROKER_URL[:8]}…")
    account, booking = reset()
    bench_throughput(account=account, booking=booking, count=args.deliveries)
    bench_admin_list(account=account, booking=booking, rows=args.rows)
    Account.objects.filter(slug="bench").delete()


if __name__ == "__main__":
    main()
