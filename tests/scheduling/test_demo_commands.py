"""The demo's commands: set-up, replay of the samples over HTTP, the supervisor."""

from __future__ import annotations

import datetime as dt
import json
import sys
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from scheduling.management.commands.replay_webhooks import (
    SAMPLES_ROOT,
    samples_load,
    shift_times,
    weeks_to_now,
)
from scheduling.management.commands.run_demo import Children
from scheduling.models import Account, Booking, Membership, WebhookDelivery

SAMPLES_DIR = SAMPLES_ROOT / "oncehub"

# The OnceHub sample events, oldest first, and the bookings they describe.
SAMPLE_EVENT_IDS = [
    "EVNT-7QK2M4ZP8D",  # scheduled
    "EVNT-3WD9H6LR2V",  # rescheduled from BKNG-H8C3WQ1Z5M7T
    "EVNT-9ZB4T7KX1Q",  # canceled
    "EVNT-5MR8C2WJ6N",  # completed
]
SAMPLE_BOOKING_STATUSES = {
    "BKNG-Q4T8ZK2M7W1C": Booking.Status.COMPLETED,
    "BKNG-R7J1YH5C9B2F": Booking.Status.CANCELED,
    "BKNG-N2V6XR8D4H0P": Booking.Status.SCHEDULED,
    "BKNG-H8C3WQ1Z5M7T": Booking.Status.RESCHEDULED,
}
SAMPLE_STARTS = {
    "BKNG-Q4T8ZK2M7W1C": dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.UTC),
    "BKNG-R7J1YH5C9B2F": dt.datetime(2026, 3, 7, 15, 0, tzinfo=dt.UTC),
    "BKNG-N2V6XR8D4H0P": dt.datetime(2026, 3, 12, 18, 30, tzinfo=dt.UTC),
}


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def replay(live_server, *options, provider="oncehub") -> str:
    run("demo_setup")
    only = ["--provider", provider] if provider else []
    return run("replay_webhooks", "--url", live_server.url, *only, *options)


def test_demo_setup_is_idempotent(db):
    run("demo_setup")
    output = run("demo_setup")

    account = Account.objects.get(slug="demo")
    assert account.name == "Demo Coaching"
    assert account.time_zone == "America/New_York"
    for provider in ("oncehub", "calendly", "calcom"):
        assert account.endpoints.filter(provider=provider, is_active=True).count() == 1
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff and user.is_superuser
    assert Membership.objects.get(account=account, user=user).role == "admin"
    assert "demo / demo" in output


def test_demo_setup_user_can_log_in_to_the_admin(db, client):
    run("demo_setup")

    assert client.login(username="demo", password="demo")
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/bookings/").status_code == 200


def test_demo_setup_restores_a_changed_password(db):
    run("demo_setup")
    user = get_user_model().objects.get(username="demo")
    user.set_password("something-else")
    user.save()

    run("demo_setup")

    user.refresh_from_db()
    assert user.check_password("demo")


def test_replay_posts_the_exact_samples_in_event_order(
    transactional_db, live_server, broker_queue
):
    output = replay(live_server)

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [json.loads(bytes(d.body))["id"] for d in deliveries] == SAMPLE_EVENT_IDS
    assert {d.status for d in deliveries} == {WebhookDelivery.Status.RECEIVED}
    assert {d.response_status for d in deliveries} == {202}
    # Unshifted, the bodies go out byte for byte as bundled.
    assert [bytes(d.body) for d in deliveries] == [
        sample.body for sample in samples_load(SAMPLES_DIR)
    ]
    assert output.count("  202  ") == 4


def test_replayed_samples_become_bookings(transactional_db, live_server, broker_queue):
    replay(live_server)

    run("process_webhook_deliveries")

    bookings = {b.external_id: b for b in Booking.objects.filter(account__slug="demo")}
    assert {key: b.status for key, b in bookings.items()} == SAMPLE_BOOKING_STATUSES
    assert bookings["BKNG-N2V6XR8D4H0P"].replaces == bookings["BKNG-H8C3WQ1Z5M7T"]
    for external_id, starts_at in SAMPLE_STARTS.items():
        assert bookings[external_id].starts_at == starts_at


def test_replay_shift_to_now_moves_bookings_near_today(
    transactional_db, live_server, broker_queue
):
    replay(live_server, "--shift-to-now")

    run("process_webhook_deliveries")

    now = timezone.now()
    bookings = {b.external_id: b for b in Booking.objects.filter(account__slug="demo")}
    assert {key: b.status for key, b in bookings.items()} == SAMPLE_BOOKING_STATUSES
    for external_id, original in SAMPLE_STARTS.items():
        starts_at = bookings[external_id].starts_at
        assert abs(starts_at - now) < dt.timedelta(weeks=3)
        # Whole weeks: the same weekday and time of day.
        assert (starts_at - original) % dt.timedelta(weeks=1) == dt.timedelta(0)
    for delivery in WebhookDelivery.objects.all():
        sent_at = json.loads(bytes(delivery.body))["creation_time"]
        assert dt.datetime.fromisoformat(sent_at) <= now


def test_replay_fails_when_a_post_is_refused(
    transactional_db, live_server, broker_queue
):
    run("demo_setup")

    with pytest.raises(CommandError, match="8 of 8 posts were not accepted"):
        run("replay_webhooks", "--url", live_server.url + "/nowhere")


def test_replay_needs_an_endpoint(db):
    Account.objects.create(slug="empty", name="Empty")

    with pytest.raises(CommandError, match="has no endpoint with samples"):
        run("replay_webhooks", "--url", "http://127.0.0.1:9", "--account", "empty")
    with pytest.raises(CommandError, match="no active Cal.com endpoint"):
        run(
            "replay_webhooks",
            *("--url", "http://127.0.0.1:9", "--account", "empty"),
            *("--provider", "calcom"),
        )


def test_replay_posts_every_providers_samples_to_its_endpoint(
    transactional_db, live_server, broker_queue
):
    output = replay(live_server, "--shift-to-now", provider="")

    run("process_webhook_deliveries")

    deliveries = WebhookDelivery.objects.all()
    assert {d.status for d in deliveries} == {WebhookDelivery.Status.PROCESSED}
    assert sorted(d.provider for d in deliveries) == sorted(
        ["oncehub"] * 4 + ["calendly"] * 2 + ["calcom"] * 2
    )
    assert output.count("  202  ") == 8
    now = timezone.now()
    by_provider = {}
    for booking in Booking.objects.filter(account__slug="demo"):
        by_provider.setdefault(booking.provider, []).append(booking)
    calcom = {b.external_id: b for b in by_provider["calcom"]}
    assert calcom["WSlJOquaXwf1BC7l9VcqyP"].status == Booking.Status.SCHEDULED
    assert calcom["5iyX7nnFAr0ocLsXFOttoa"].status == Booking.Status.RESCHEDULED
    assert abs(calcom["WSlJOquaXwf1BC7l9VcqyP"].starts_at - now) < dt.timedelta(weeks=3)
    assert Booking.Status.RESCHEDULED in {b.status for b in by_provider["calendly"]}


def test_shift_times_moves_only_dates_of_iso_times():
    body = {
        "creation_time": "2026-03-06T20:15:02.664Z",
        "data": {
            "starting_time": "2026-03-07T15:00:00+01:00",
            "times": ["2026-03-02T13:58:40Z", "2026-03-02"],
            "id": "BKNG-R7J1YH5C9B2F",
            "duration_minutes": 60,
        },
    }

    shifted = shift_times(body, days=14)

    assert shifted == {
        "creation_time": "2026-03-20T20:15:02.664Z",
        "data": {
            "starting_time": "2026-03-21T15:00:00+01:00",
            "times": ["2026-03-16T13:58:40Z", "2026-03-02"],
            "id": "BKNG-R7J1YH5C9B2F",
            "duration_minutes": 60,
        },
    }


def test_weeks_to_now_puts_the_newest_event_in_the_past_week():
    samples = samples_load(SAMPLES_DIR)
    newest = max(sample.created_at for sample in samples)

    for now in (
        newest + dt.timedelta(days=300, hours=5),
        newest - dt.timedelta(days=40),
        newest + dt.timedelta(minutes=1),
    ):
        moved = newest + dt.timedelta(weeks=weeks_to_now(samples, now=now))
        assert now - dt.timedelta(weeks=1) < moved <= now


def sleeper(seconds: int = 60) -> list[str]:
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def test_children_stop_terminates_every_child():
    children = Children(say=lambda text: None)
    children.start("one", sleeper())
    children.start("two", sleeper())

    children.stop(grace=5)

    assert all(p.poll() is not None for _name, p in children.processes)


def test_children_stop_kills_a_child_that_ignores_sigterm(tmp_path):
    ready = tmp_path / "ready"
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(ready)!r}, 'w').close(); time.sleep(60)"
    )
    children = Children(say=lambda text: None)
    children.start("stubborn", [sys.executable, "-c", stubborn])
    for _ in range(100):
        if ready.exists():
            break
        children.wait(0.1)

    children.stop(grace=1)

    assert children.processes[0][1].returncode == -9


def test_children_check_reports_a_child_that_died():
    children = Children(say=lambda text: None)
    children.start("long", sleeper())
    children.start("short", [sys.executable, "-c", "raise SystemExit(3)"])
    try:
        with pytest.raises(CommandError, match="short exited early with code 3"):
            children.wait(30)
    finally:
        children.stop(grace=5)

    assert children.processes[0][1].poll() is not None
