"""The same event processed at the same moment by several workers.

These run on whichever database the suite uses: on PostgreSQL they exercise
row locks and ON CONFLICT, on SQLite its single writer lock.
"""

import threading

import pytest
from django.db import connection

from scheduling.deliveries import ProcessingFailed, delivery_process
from scheduling.models import Booking, BookingEvent, Customer, WebhookDelivery
from tests.conftest import fixture_bytes

Status = WebhookDelivery.Status
WORKERS = 6


def run_together(targets):
    """Start one thread per target and release them all at the same instant."""
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(index, target):
        try:
            # Connect first, so that no thread is held up by its connection.
            connection.ensure_connection()
            barrier.wait(timeout=10)
            results[index] = target()
        except ProcessingFailed as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, target))
        for index, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("booking_exists", [False, True], ids=["new", "existing"])
def test_same_event_delivered_concurrently_yields_one_log_entry(
    post_webhook, booking_exists
):
    if booking_exists:
        first = post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))
        delivery_process(delivery_id=first.json()["delivery"])
    body = fixture_bytes("oncehub/booking_completed.json")
    ids = [post_webhook(body).json()["delivery"] for _ in range(WORKERS)]

    statuses = run_together(
        [
            lambda delivery_id=delivery_id: delivery_process(delivery_id=delivery_id)
            for delivery_id in ids
        ]
    )

    assert sorted(statuses) == [Status.DUPLICATE] * (WORKERS - 1) + [Status.PROCESSED]
    assert Booking.objects.count() == 1
    assert BookingEvent.objects.filter(kind="completed").count() == 1
    assert Customer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_delivery_processed_by_two_workers_at_once(post_webhook):
    delivery_id = post_webhook(fixture_bytes("oncehub/booking_scheduled.json")).json()[
        "delivery"
    ]

    statuses = run_together(
        [lambda: delivery_process(delivery_id=delivery_id)] * WORKERS
    )

    # One worker processes it; the others find it taken or already done.
    assert statuses.count(Status.PROCESSED) >= 1
    assert set(statuses) <= {Status.PROCESSED, ""}
    assert BookingEvent.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_different_events_of_one_booking_concurrently_all_logged(post_webhook):
    """A reschedule and the schedule it replaces, and the customer they share."""
    names = [
        "oncehub/booking_scheduled.json",
        "oncehub/booking_completed.json",
        "oncehub/booking_rescheduled.json",
        "oncehub/booking_canceled.json",
    ]
    ids = [post_webhook(fixture_bytes(name)).json()["delivery"] for name in names]

    statuses = run_together(
        [
            lambda delivery_id=delivery_id: delivery_process(delivery_id=delivery_id)
            for delivery_id in ids
        ]
    )

    assert statuses == [Status.PROCESSED] * len(names)
    assert BookingEvent.objects.count() == len(names)
    assert Booking.objects.get(external_id="BKNG-Q4T8ZK2M7W1C").status == "completed"
    assert Customer.objects.filter(email="dana.example@example.com").count() == 1
