"""Cal.com's own cases: reschedule, request-reschedule, flat bodies, no-shows."""

import json

import pytest

from scheduling.accounts import endpoint_create
from scheduling.deliveries import delivery_process
from scheduling.models import Booking, WebhookDelivery
from scheduling.providers import calcom
from scheduling.providers.base import EventKind, SignatureError
from tests.conftest import fixture_bytes
from tests.scheduling.providers.cases import CALCOM_SECRET

OLD, NEW = "5iyX7nnFAr0ocLsXFOttoa", "WSlJOquaXwf1BC7l9VcqyP"
CREATED = "calcom/calcom_booking_created.json"
RESCHEDULED = "calcom/calcom_booking_rescheduled.json"


@pytest.fixture
def endpoint(account):
    return endpoint_create(account=account, provider="calcom", secret=CALCOM_SECRET)


@pytest.fixture
def post(client, endpoint):
    def post(body: bytes, headers=None):
        return client.post(
            endpoint.get_absolute_url(),
            data=body,
            content_type="application/json",
            headers=headers
            if headers is not None
            else calcom.signature_headers(secret=CALCOM_SECRET, body=body, timestamp=0),
        )

    return post


@pytest.fixture
def deliver(post):
    def deliver(*names: str) -> list[str]:
        statuses = []
        for name in names:
            response = post(fixture_bytes(name))
            assert response.status_code == 202, response.content
            statuses.append(delivery_process(delivery_id=response.json()["delivery"]))
        return statuses

    return deliver


def test_created_booking_reads_booker_host_and_answers(deliver):
    deliver(CREATED)

    booking = Booking.objects.get(external_id=OLD)
    assert booking.subject == "Discovery Call between Lena Fischer and Tomasz Nowak"
    assert booking.duration_minutes == 45
    assert booking.time_zone == "Europe/Warsaw"
    assert (booking.owner_id, booking.owner_name) == ("4127", "Lena Fischer")
    assert (booking.event_type_id, booking.event_type_name) == (
        "90311",
        "Discovery Call",
    )
    assert booking.customer.email == "tomasz.nowak@example.com"
    assert booking.customer.phone == "+48 601 234 567"
    assert booking.guests == ["aiko.tanaka@example.com"]
    assert booking.join_url == "https://cal.com/video/5iyX7nnFAr0ocLsXFOttoa"
    assert {"name": "How many practitioners?", "value": "10-25"} in (
        booking.custom_fields
    )


@pytest.mark.parametrize(
    "order", [[CREATED, RESCHEDULED], [RESCHEDULED, CREATED]], ids=["in", "reversed"]
)
def test_reschedule_replaces_the_named_booking(deliver, order):
    deliver(*order)

    old, new = (
        Booking.objects.get(external_id=OLD),
        Booking.objects.get(external_id=NEW),
    )
    assert old.status == Booking.Status.RESCHEDULED
    assert new.status == Booking.Status.SCHEDULED
    assert new.replaces == old
    assert old.starts_at.isoformat() == "2026-11-24T09:30:00+00:00"
    assert new.starts_at.isoformat() == "2026-11-26T13:00:00+00:00"
    (moved,) = new.events.all()
    assert moved.kind == EventKind.RESCHEDULED
    assert moved.details["previous_starts_at"] == "2026-11-24T09:30:00+00:00"
    assert moved.details["actioned_by"] == "customer"


def test_request_reschedule_awaits_a_new_time(deliver):
    deliver(CREATED, "calcom/booking_cancelled_request_reschedule.json")

    booking = Booking.objects.get(external_id=OLD)
    assert booking.status == Booking.Status.RESCHEDULE_REQUESTED
    assert booking.actioned_by == "user"
    assert booking.cancel_reason == "Could we find a slot later that week?"
    assert booking.events.last().kind == EventKind.RESCHEDULE_REQUESTED

    # The attendee picks a new time: the old booking is then rescheduled.
    deliver(RESCHEDULED)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESCHEDULED


def test_plain_cancel_by_the_attendee(deliver):
    deliver(CREATED, "calcom/booking_cancelled.json")

    booking = Booking.objects.get(external_id=OLD)
    assert booking.status == Booking.Status.CANCELED
    assert booking.actioned_by == "customer"


def test_flat_meeting_ended_completes_the_booking(deliver):
    assert (
        deliver(CREATED, RESCHEDULED, "calcom/meeting_ended_flat.json")
        == ["processed"] * 3
    )

    booking = Booking.objects.get(external_id=NEW)
    assert booking.status == Booking.Status.COMPLETED
    assert booking.owner_name == "Lena Fischer"
    assert booking.replaces.external_id == OLD
    assert booking.events.last().occurred_at.isoformat() == "2026-11-26T13:45:00+00:00"
    assert Booking.objects.get(external_id=OLD).status == Booking.Status.RESCHEDULED


def test_flat_meeting_ended_alone_makes_the_booking(deliver):
    deliver("calcom/meeting_ended_flat.json")

    booking = Booking.objects.get(external_id=NEW)
    assert booking.status == Booking.Status.COMPLETED
    assert booking.customer.email == "tomasz.nowak@example.com"
    assert booking.starts_at.isoformat() == "2026-11-26T13:00:00+00:00"


def test_no_show_mark_and_unmark(deliver):
    deliver(CREATED, "calcom/booking_no_show_updated.json")
    booking = Booking.objects.get(external_id=OLD)
    assert booking.status == Booking.Status.NO_SHOW
    assert booking.subject.startswith("Discovery Call")

    deliver("calcom/booking_no_show_undone.json")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED


def test_replayed_body_is_a_duplicate(deliver):
    assert deliver(CREATED, CREATED) == ["processed", "duplicate"]


def test_no_secret_provided_is_refused(post, endpoint):
    body = fixture_bytes(CREATED)
    response = post(body, headers={"X-Cal-Signature-256": "no-secret-provided"})

    assert response.status_code == 401
    assert "no-secret-provided" in response.json()["error"]
    assert WebhookDelivery.objects.get().status == "rejected"

    # An endpoint set up for a webhook without a secret takes it as unsigned.
    endpoint.allow_unsigned = True
    endpoint.save()
    response = post(body, headers={"X-Cal-Signature-256": "no-secret-provided"})
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "missing"),
        (
            "sha256=104d8097e73a53226bc5b2f101f80c51fe5820bd0fd04f0c9a9cf3081f8ab7e6",
            "match",
        ),
        ("104D8097E73A53226BC5B2F101F80C51FE5820BD0FD04F0C9A9CF3081F8AB7E6", None),
    ],
)
def test_signature_values(value, message):
    def check():
        calcom.verify(
            headers={"x-cal-signature-256": value},
            body=fixture_bytes(CREATED),
            secrets=[CALCOM_SECRET],
            now=0,
            max_age=0,
        )

    if message is None:
        check()
    else:
        with pytest.raises(SignatureError, match=message):
            check()


def test_payload_that_is_not_an_object_fails(deliver, post):
    body = json.dumps({"triggerEvent": "BOOKING_CREATED", "payload": "x"}).encode()
    response = post(body)
    status = delivery_process(delivery_id=response.json()["delivery"])

    assert status == "failed"
    assert "no payload object" in WebhookDelivery.objects.get().error
