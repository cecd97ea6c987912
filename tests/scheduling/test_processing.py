"""From stored delivery to booking, customer and event log."""

import datetime as dt

import pytest

from scheduling.deliveries import delivery_process
from scheduling.models import Booking, BookingEvent, Customer, WebhookDelivery
from scheduling.tasks import process_webhook_delivery
from tests.conftest import as_body, fixture_bytes, fixture_json

Status = WebhookDelivery.Status
UTC = dt.UTC


@pytest.fixture
def deliver(post_webhook):
    """Post a body through the endpoint, then process what was stored."""

    def deliver(body, **post_options):
        if isinstance(body, str):
            body = fixture_bytes(body)
        response = post_webhook(body, **post_options)
        assert response.status_code == 202, response.content
        delivery_id = response.json()["delivery"]
        status = delivery_process(delivery_id=delivery_id)
        return WebhookDelivery.objects.get(pk=delivery_id), status

    return deliver


def booking(external_id):
    return Booking.objects.get(external_id=external_id)


def test_scheduled_creates_booking_customer_and_log(deliver, account):
    delivery, status = deliver("oncehub/booking_scheduled.json")

    assert status == Status.PROCESSED
    assert delivery.event_id == "EVNT-7QK2M4ZP8D"
    assert delivery.event_type == "booking.scheduled"
    made = booking("BKNG-Q4T8ZK2M7W1C")
    assert made.account == account
    assert made.provider == "oncehub"
    assert made.status == Booking.Status.SCHEDULED
    assert made.provider_status == "scheduled"
    assert made.subject == "30-minute discovery call"
    assert made.starts_at == dt.datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert made.ends_at == dt.datetime(2026, 3, 9, 16, 30, tzinfo=UTC)
    assert made.duration_minutes == 30
    assert made.time_zone == "America/New_York"
    assert (made.owner_id, made.owner_name) == ("USR-K7M2Q9XW4T", "Riley Sample")
    assert (made.page_id, made.event_type_id) == ("BP-8WQ2LZ5N3K", "ET-4HX7PD2RQ9")
    assert made.join_url == "https://meet.example.com/abc-defg-hij"
    assert made.cancel_url.startswith("https://go.oncehub.com/RileySample")
    assert {"name": "lead_id", "value": "lead_9f2c41ab"} in made.custom_fields
    assert made.provider_data["tracking_id"] == "7F3A0015"
    assert made.customer.email == "dana.example@example.com"
    assert made.customer.company == "Example Widgets LLC"
    (event,) = made.events.all()
    assert (event.kind, event.key, event.delivery) == (
        "scheduled",
        "EVNT-7QK2M4ZP8D",
        delivery,
    )


def test_lifecycle_in_order(deliver):
    deliver("oncehub/booking_scheduled.json")
    deliver("oncehub/booking_reassigned_no_form.json")
    deliver("oncehub/booking_completed.json")

    made = booking("BKNG-Q4T8ZK2M7W1C")
    assert made.status == Booking.Status.COMPLETED
    assert [event.kind for event in made.events.all()] == [
        "scheduled",
        "reassigned",
        "completed",
    ]
    reassigned = made.events.get(kind="reassigned")
    assert reassigned.details["owner"] == "USR-J0RD4NH05T"
    assert reassigned.details["previous_owner"] == "Riley Sample"


def test_form_submission_null_keeps_the_customer(deliver):
    deliver("oncehub/booking_scheduled.json")
    _, status = deliver("oncehub/booking_reassigned_no_form.json")

    assert status == Status.PROCESSED
    made = booking("BKNG-Q4T8ZK2M7W1C")
    assert made.customer.email == "dana.example@example.com"
    assert made.owner_id == "USR-J0RD4NH05T"
    assert made.time_zone == "America/New_York"  # "" does not erase it


def test_same_event_twice_in_a_row_is_logged_once(deliver):
    first, _ = deliver("oncehub/booking_scheduled.json")
    second, status = deliver("oncehub/booking_scheduled.json")

    assert status == Status.DUPLICATE
    assert str(first.pk) in second.error
    assert Booking.objects.count() == 1
    assert BookingEvent.objects.count() == 1
    assert Customer.objects.count() == 1


def test_processing_again_changes_nothing(deliver):
    delivery, _ = deliver("oncehub/booking_scheduled.json")
    before = Booking.objects.values().get()

    assert delivery_process(delivery_id=delivery.pk) == Status.PROCESSED
    assert delivery_process(delivery_id=delivery.pk, force=True) == Status.PROCESSED

    after = Booking.objects.values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert BookingEvent.objects.count() == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_reschedule_links_the_new_booking_to_the_old(deliver):
    old_schedule = fixture_json("oncehub/booking_scheduled.json")
    old_schedule["id"] = "EVNT-OLDBOOKING1"
    old_schedule["data"]["id"] = "BKNG-H8C3WQ1Z5M7T"
    old_schedule["data"]["starting_time"] = "2026-03-10T18:30:00Z"
    old_schedule["data"]["last_updated_time"] = "2026-03-01T10:00:00Z"
    deliver(as_body(old_schedule))
    deliver("oncehub/booking_rescheduled.json")

    old, new = booking("BKNG-H8C3WQ1Z5M7T"), booking("BKNG-N2V6XR8D4H0P")
    assert old.status == Booking.Status.RESCHEDULED
    assert new.status == Booking.Status.SCHEDULED
    assert new.provider_status == "rescheduled"
    assert new.replaces == old
    assert list(old.replacements.all()) == [new]
    (event,) = new.events.all()
    assert event.kind == "rescheduled"
    assert event.details["previous_starts_at"] == "2026-03-10T18:30:00+00:00"
    assert event.details["starts_at"] == "2026-03-12T18:30:00+00:00"
    assert event.details["reason"] == "Conflict with another meeting"


def test_reschedule_before_the_original_schedule(deliver):
    """The reschedule arrives first; the old booking's own event later."""
    old_schedule = fixture_json("oncehub/booking_scheduled.json")
    old_schedule["id"] = "EVNT-OLDBOOKING1"
    old_schedule["data"]["id"] = "BKNG-H8C3WQ1Z5M7T"
    old_schedule["data"]["last_updated_time"] = "2026-03-01T10:00:00Z"

    deliver("oncehub/booking_rescheduled.json")
    _, status = deliver(as_body(old_schedule))

    assert status == Status.PROCESSED
    old, new = booking("BKNG-H8C3WQ1Z5M7T"), booking("BKNG-N2V6XR8D4H0P")
    assert old.status == Booking.Status.RESCHEDULED  # not set back to scheduled
    assert old.subject == "30-minute discovery call"  # but the blanks are filled
    assert old.starts_at == dt.datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert new.replaces == old
    assert old.events.get().applied is False


def test_cancel_before_schedule(deliver):
    schedule = fixture_json("oncehub/booking_canceled.json")
    schedule["id"] = "EVNT-SCHEDULE002"
    schedule["type"] = "booking.scheduled"
    schedule["data"]["status"] = "scheduled"
    schedule["data"]["last_updated_time"] = "2026-03-01T11:02:45Z"
    schedule["data"]["cancel_reschedule_information"] = None

    deliver("oncehub/booking_canceled.json")
    deliver(as_body(schedule))

    made = booking("BKNG-R7J1YH5C9B2F")
    assert made.status == Booking.Status.CANCELED
    assert made.provider_status == "canceled"
    assert made.cancel_reason == "Host is out sick; please rebook next week."
    assert [(e.kind, e.applied) for e in made.events.all()] == [
        ("scheduled", False),
        ("canceled", True),
    ]


def test_completed_then_late_scheduled_keeps_completed(deliver):
    deliver("oncehub/booking_completed.json")
    deliver("oncehub/booking_scheduled.json")

    made = booking("BKNG-Q4T8ZK2M7W1C")
    assert made.status == Booking.Status.COMPLETED
    assert made.events.count() == 2


def test_canceled_then_rescheduled(deliver):
    deliver("oncehub/booking_canceled.json")
    _, status = deliver("oncehub/booking_canceled_then_rescheduled.json")

    assert status == Status.PROCESSED
    old, new = booking("BKNG-R7J1YH5C9B2F"), booking("BKNG-W5E6R7T8Y9U0")
    assert old.status == Booking.Status.CANCELED
    assert new.status == Booking.Status.SCHEDULED
    assert new.replaces == old
    assert new.customer == old.customer
    assert new.page_id == "BP-3JH8KD2L9Q"


def test_reschedule_requested_then_rebooked(deliver):
    requested = fixture_json("oncehub/booking_canceled.json")
    requested["id"] = "EVNT-REQUESTED01"
    requested["type"] = "booking.canceled_reschedule_requested"
    requested["data"]["id"] = "BKNG-H8C3WQ1Z5M7T"
    requested["data"]["last_updated_time"] = "2026-03-04T09:00:00Z"
    deliver(as_body(requested))
    assert booking("BKNG-H8C3WQ1Z5M7T").status == Booking.Status.RESCHEDULE_REQUESTED

    deliver("oncehub/booking_rescheduled.json")

    assert booking("BKNG-H8C3WQ1Z5M7T").status == Booking.Status.RESCHEDULED
    assert booking("BKNG-N2V6XR8D4H0P").replaces.external_id == "BKNG-H8C3WQ1Z5M7T"


def test_no_show(deliver):
    deliver("oncehub/booking_completed.json")
    no_show = fixture_json("oncehub/booking_completed.json")
    no_show["id"] = "EVNT-NOSHOW0001"
    no_show["type"] = "booking.no_show"
    no_show["data"]["status"] = "no_show"
    no_show["data"]["last_updated_time"] = "2026-03-09T17:00:00Z"
    deliver(as_body(no_show))

    assert booking("BKNG-Q4T8ZK2M7W1C").status == Booking.Status.NO_SHOW


def test_unknown_type_is_stored_and_ignored(deliver):
    delivery, status = deliver("oncehub/conversation_started.json")

    assert status == Status.IGNORED
    assert delivery.event_type == "conversation.started"
    assert Booking.objects.count() == 0


def test_customer_is_one_per_account_and_email(deliver, post_webhook, other_account):
    from scheduling.accounts import endpoint_create

    deliver("oncehub/booking_scheduled.json")
    deliver("oncehub/booking_rescheduled.json")  # same email, other booking
    assert Customer.objects.count() == 1

    other = endpoint_create(
        account=other_account,
        provider="oncehub",
        secret="5f0c2e9a7b1d4c3e8a6f0b2d9c4e7a13",
    )
    response = post_webhook(
        fixture_bytes("oncehub/booking_scheduled.json"), target=other
    )
    delivery_process(delivery_id=response.json()["delivery"])

    assert Customer.objects.count() == 2
    assert Booking.objects.filter(external_id="BKNG-Q4T8ZK2M7W1C").count() == 2
    # The same event id in another account is that account's own event.
    assert BookingEvent.objects.filter(key="EVNT-7QK2M4ZP8D").count() == 2


def test_customer_email_is_matched_without_case(deliver):
    deliver("oncehub/booking_scheduled.json")
    shouting = fixture_json("oncehub/booking_rescheduled.json")
    shouting["data"]["form_submission"]["email"] = "Dana.Example@EXAMPLE.com"
    deliver(as_body(shouting))

    assert Customer.objects.count() == 1


def test_non_ascii_values_are_kept(deliver):
    deliver("oncehub/booking_scheduled_non_ascii.json")

    made = booking("BKNG-UNIC0DE0NAME")
    assert made.customer.name == "Zoë Ångström-Núñez"
    assert made.subject == "Consulta inicial — café ☕"
    assert made.time_zone == "Asia/Tokyo"


def test_v1_unsigned_delivery(deliver, endpoint):
    endpoint.allow_unsigned = True
    endpoint.save()
    _, status = deliver("oncehub/booking_v1_scheduled.json", sign=False)

    assert status == Status.PROCESSED
    made = booking("C51F0093")
    assert made.owner_name == "Morgan Planner"
    assert made.customer.email == "avery.example@example.com"


def test_payment_is_kept(deliver):
    deliver("oncehub/booking_scheduled_with_payment.json")

    assert booking("BKNG-P4YM3NT0BK01").payment["amount_charged"] == 15000


def test_overlong_values_are_cut_not_failed(deliver):
    body = fixture_json("oncehub/booking_scheduled.json")
    body["data"]["subject"] = "S" * 2000
    body["data"]["owner"] = {"id": "USR-" + "9" * 500, "first_name": "N" * 500}
    _, status = deliver(as_body(body))

    assert status == Status.PROCESSED
    assert len(booking("BKNG-Q4T8ZK2M7W1C").subject) == 500


class FailsOnce:
    """Wrap the real handler so its first call fails as a database hiccup would."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.calls == 1:
            from django.db import OperationalError

            raise OperationalError("server closed the connection unexpectedly")
        return self.real(**kwargs)


def test_a_handler_that_fails_once_succeeds_on_the_retry(post_webhook, monkeypatch):
    import scheduling.deliveries

    flaky = FailsOnce(scheduling.deliveries.booking_apply_event)
    monkeypatch.setattr(scheduling.deliveries, "booking_apply_event", flaky)
    response = post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))
    delivery_id = response.json()["delivery"]

    # Run the real task; Celery runs its retry at once when applied locally.
    process_webhook_delivery.apply(args=(delivery_id,))

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert flaky.calls == 2
    assert delivery.status == Status.PROCESSED
    assert delivery.attempts == 2
    assert delivery.error == ""
    assert Booking.objects.count() == 1
    assert BookingEvent.objects.count() == 1


def test_a_failure_is_recorded_with_its_traceback(post_webhook, monkeypatch):
    import scheduling.deliveries
    from scheduling.deliveries import ProcessingFailed

    monkeypatch.setattr(
        scheduling.deliveries, "booking_apply_event", FailsOnce(lambda **kw: None)
    )
    response = post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))
    with pytest.raises(ProcessingFailed):
        delivery_process(delivery_id=response.json()["delivery"])

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.FAILED
    assert delivery.error.startswith("OperationalError: server closed")
    assert "Traceback" in delivery.traceback
    # Nothing half-applied stays behind.
    assert Booking.objects.count() == 0


def test_rejected_deliveries_are_never_processed(post_webhook):
    response = post_webhook(fixture_bytes("oncehub/booking_scheduled.json"), sign=False)
    delivery = WebhookDelivery.objects.get()

    assert response.status_code == 401
    assert delivery_process(delivery_id=delivery.pk, force=True) == Status.REJECTED
    assert Booking.objects.count() == 0


def test_query_count_does_not_grow_with_history(post_webhook):
    """Processing costs the same for a booking's 2nd event as for its 40th."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    delivery_ids = []
    for n in range(40):
        body = fixture_json("oncehub/booking_scheduled.json")
        body["id"] = f"EVNT-HISTORY{n:04d}"
        body["type"] = "booking.reassigned"
        body["data"]["last_updated_time"] = f"2026-03-03T10:{n:02d}:00Z"
        delivery_ids.append(post_webhook(as_body(body)).json()["delivery"])

    counts = []
    for delivery_id in delivery_ids:
        with CaptureQueriesContext(connection) as queries:
            delivery_process(delivery_id=delivery_id)
        counts.append(len(queries))

    assert BookingEvent.objects.count() == 40
    assert counts[1] == counts[-1]
    assert len(set(counts[1:])) == 1
