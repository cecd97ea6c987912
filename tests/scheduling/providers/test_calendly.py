"""Calendly's own cases: invitees as bookings, the reschedule pair, no-shows."""

import time

import pytest

from scheduling.accounts import endpoint_create
from scheduling.deliveries import delivery_process
from scheduling.models import Booking, BookingEvent
from scheduling.providers import calendly
from scheduling.providers.base import EventKind, SignatureError
from tests.conftest import fixture_bytes
from tests.scheduling.providers.cases import CALENDLY_KEY

OLD = (
    "https://api.calendly.com/scheduled_events/f7ed97ed-7fd3-40fe-8476-43196093e68f"
    "/invitees/170f88b3-05ce-4ef9-9bd3-2c919dead61f"
)
NEW = (
    "https://api.calendly.com/scheduled_events/4a11a579-2b87-479c-973d-398668ac6574"
    "/invitees/5aec9402-adc2-427e-8a9f-6d9a69a20853"
)
CREATED = "calendly/calendly_invitee_created.json"
OLD_LEG = "calendly/calendly_invitee_canceled_reschedule.json"
NEW_LEG = "calendly/invitee_created_rescheduled.json"


@pytest.fixture
def deliver(client, account):
    endpoint = endpoint_create(
        account=account, provider="calendly", secret=CALENDLY_KEY
    )

    def deliver(*names: str) -> list[str]:
        statuses = []
        for name in names:
            body = fixture_bytes(name)
            response = client.post(
                endpoint.get_absolute_url(),
                data=body,
                content_type="application/json",
                headers=calendly.signature_headers(
                    secret=CALENDLY_KEY, body=body, timestamp=int(time.time())
                ),
            )
            assert response.status_code == 202, response.content
            statuses.append(delivery_process(delivery_id=response.json()["delivery"]))
        return statuses

    return deliver


def state() -> dict:
    """Everything a reader of the bookings sees, keyed by invitee."""
    return {
        booking.external_id: {
            "status": booking.status,
            "starts_at": booking.starts_at,
            "replaces": booking.replaces.external_id if booking.replaces else None,
            "customer": booking.customer.email if booking.customer else None,
            "kinds": sorted(booking.events.values_list("kind", flat=True)),
        }
        for booking in Booking.objects.select_related("replaces", "customer")
    }


@pytest.mark.parametrize(
    "order",
    [[CREATED, OLD_LEG, NEW_LEG], [CREATED, NEW_LEG, OLD_LEG]],
    ids=["cancel-first", "create-first"],
)
def test_reschedule_pair_in_either_order_is_one_reschedule(deliver, order):
    assert deliver(*order) == ["processed"] * 3

    old, new = (
        Booking.objects.get(external_id=OLD),
        Booking.objects.get(external_id=NEW),
    )
    assert old.status == Booking.Status.RESCHEDULED
    assert new.status == Booking.Status.SCHEDULED
    assert new.replaces == old
    assert new.starts_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert old.starts_at.isoformat() == "2026-11-18T15:00:00+00:00"
    # One "rescheduled" step, and nothing that reads as a cancellation.
    kinds = list(BookingEvent.objects.values_list("kind", flat=True))
    assert kinds.count(EventKind.RESCHEDULED) == 1
    assert EventKind.CANCELED not in kinds
    assert old.events.get(kind=EventKind.REPLACED).details["replaced_by"] == NEW
    moved = new.events.get(kind=EventKind.RESCHEDULED)
    assert moved.details["previous_starts_at"] == "2026-11-18T15:00:00+00:00"


def test_both_orders_end_in_the_same_state(deliver, account):
    deliver(CREATED, OLD_LEG, NEW_LEG)
    cancel_first = state()
    Booking.objects.all().delete()

    deliver(CREATED, NEW_LEG, OLD_LEG)

    assert state() == cancel_first


def test_old_leg_alone_awaits_the_new_booking(deliver):
    deliver(CREATED, OLD_LEG)

    old = Booking.objects.get(external_id=OLD)
    assert old.status == Booking.Status.RESCHEDULED
    assert old.cancel_reason.startswith("Clashes with a board meeting")
    assert old.actioned_by == "customer"
    # The new invitee is known by name only until its own event arrives.
    waiting = Booking.objects.get(external_id=NEW)
    assert waiting.replaces == old
    assert waiting.starts_at is None


def test_plain_cancel_is_a_cancellation(deliver):
    deliver(CREATED, "calendly/invitee_canceled.json")

    booking = Booking.objects.get(external_id=OLD)
    assert booking.status == Booking.Status.CANCELED
    assert booking.actioned_by == "user"
    assert booking.events.last().kind == EventKind.CANCELED


def test_group_event_with_two_invitees_is_two_bookings(deliver):
    deliver("calendly/group_invitee_1.json", "calendly/group_invitee_2.json")

    bookings = Booking.objects.order_by("booked_at")
    assert [b.customer.email for b in bookings] == [
        "jonas.weber@example.com",
        "amara.okafor@example.com",
    ]
    assert {b.subject for b in bookings} == {"Onboarding Workshop (group)"}
    assert {b.starts_at.isoformat() for b in bookings} == {"2026-11-25T16:00:00+00:00"}
    assert {b.duration_minutes for b in bookings} == {90}
    assert len({b.external_id for b in bookings}) == 2


def test_no_show_mark_and_unmark(deliver):
    deliver(CREATED, "calendly/invitee_no_show_created.json")
    booking = Booking.objects.get(external_id=OLD)
    assert booking.status == Booking.Status.NO_SHOW
    # A mark names only the invitee: what the booking was stays.
    assert booking.subject == "Intro Call (30 min)"
    assert booking.provider_data["email"] == "priya.raman@example.com"

    deliver("calendly/invitee_no_show_deleted.json")
    booking.refresh_from_db()
    # The meeting was over when the mark was taken back.
    assert booking.status == Booking.Status.COMPLETED
    assert booking.events.last().kind == EventKind.NO_SHOW_UNDONE


def test_no_show_as_a_whole_invitee_is_read_too():
    import json

    invitee = json.loads(fixture_bytes(CREATED))["payload"]
    invitee["no_show"] = {
        "uri": "https://api.calendly.com/invitee_no_shows/aa11",
        "created_at": "2026-11-18T15:41:11.902114Z",
    }
    body = json.dumps(
        {
            "event": "invitee_no_show.created",
            "created_at": "2026-11-18T15:41:12.000000Z",
            "payload": invitee,
        }
    ).encode()

    event = calendly.parse(body)
    assert event.kind == EventKind.NO_SHOW
    assert event.booking.external_id == OLD
    assert event.booking.subject == "Intro Call (30 min)"


def test_marking_again_after_an_unmark_is_a_new_event():
    import json

    mark = json.loads(fixture_bytes("calendly/invitee_no_show_created.json"))
    again = dict(mark, payload=dict(mark["payload"], uri="https://x/no_shows/2"))

    first = calendly.parse(json.dumps(mark).encode())
    second = calendly.parse(json.dumps(again).encode())
    assert first.key != second.key


def test_a_retry_with_a_new_envelope_time_is_still_a_duplicate():
    import json

    body = json.loads(fixture_bytes(CREATED))
    retry = dict(body, created_at="2026-11-09T14:09:47.000000Z")

    assert calendly.parse(json.dumps(retry).encode()).key == (
        calendly.parse(fixture_bytes(CREATED)).key
    )


# The signature header.


def verify(header: str, *, now: float = 1794232968, max_age: int = 300) -> None:
    calendly.verify(
        headers={"calendly-webhook-signature": header},
        body=fixture_bytes(CREATED),
        secrets=[CALENDLY_KEY],
        now=now,
        max_age=max_age,
    )


GOOD = "ffb4d1da17648e4caee928ffc5db956bda88ef7677e0b19f0d7fc7893d0950c1"


def test_any_of_several_v1_values_may_match():
    verify(f"t=1794232968,v1={'0' * 64},v1={GOOD}")
    verify(f"t=1794232968, v1={GOOD.upper()}, v0=ignored")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (f"v1={GOOD}", "malformed"),
        ("t=1794232968", "malformed"),
        (f"t=soon,v1={GOOD}", "malformed"),
        (f"t=1794232968,v1={'0' * 64}", "does not match"),
        (f"t=1794233969,v1={GOOD}", "future"),
    ],
)
def test_bad_headers_are_refused(header, message):
    with pytest.raises(SignatureError, match=message):
        verify(header)


def test_freshness_window():
    verify(f"t=1794232968,v1={GOOD}", now=1794232968 + 300)
    with pytest.raises(SignatureError, match="301 seconds old"):
        verify(f"t=1794232968,v1={GOOD}", now=1794232968 + 301)
