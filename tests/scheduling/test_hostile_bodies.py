"""Signed bodies built to break a parser or a database column.

Each must end as a failed delivery that says why, on the first try, with
nothing applied; and none may stop the sweep from processing the rest.
"""

import datetime as dt
import json

import pytest

from scheduling.deliveries import deliveries_sweep, delivery_process
from scheduling.models import Booking, BookingEvent, WebhookDelivery
from tests.conftest import fixture_bytes, fixture_json

Status = WebhookDelivery.Status


def with_data(**changes) -> bytes:
    body = fixture_json("oncehub/booking_scheduled.json")
    body["data"].update(changes)
    return json.dumps(body).encode()


HOSTILE = {
    "nested too deeply": b"[" * 100_000 + b"]" * 100_000,
    "a 5000-digit number": b'{"type": "booking.scheduled", "x": ' + b"9" * 5000 + b"}",
    "Infinity": fixture_bytes("oncehub/booking_scheduled.json").replace(
        b'"duration_minutes": 30', b'"duration_minutes": Infinity'
    ),
    "NaN": fixture_bytes("oncehub/booking_scheduled.json").replace(
        b'"duration_minutes": 30', b'"duration_minutes": NaN'
    ),
    "a year-long meeting": with_data(duration_minutes=525_600),
    "a huge duration": with_data(duration_minutes=2**63),
    "the year 9999": with_data(starting_time="9999-12-31T23:30:00-01:00"),
    "the year 1": with_data(starting_time="0001-01-01T00:30:00+01:00"),
    "an unpaired surrogate": with_data(subject="\ud800"),
    "a NUL character": with_data(subject="a\x00b"),
    "a NUL in a key": with_data(extra={"k\x00": 1}),
    "an overlong id": with_data(id="BKNG-" + "X" * 5000),
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_body_fails_once_with_a_reason(post_webhook, body):
    response = post_webhook(body)
    assert response.status_code == 202

    delivery_id = response.json()["delivery"]
    assert delivery_process(delivery_id=delivery_id) == Status.FAILED

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.error
    assert delivery.attempts == 1
    assert Booking.objects.count() == 0
    assert BookingEvent.objects.count() == 0
    # Another try fails the same way rather than raising.
    assert delivery_process(delivery_id=delivery_id) == Status.FAILED


def test_a_hostile_body_does_not_stop_the_sweep(post_webhook):
    post_webhook(HOSTILE["nested too deeply"])
    post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))

    assert deliveries_sweep(older_than=dt.timedelta(0)) == 2

    statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == [Status.FAILED, Status.PROCESSED]
    assert Booking.objects.count() == 1
