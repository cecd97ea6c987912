"""The OnceHub parser and signature check: pure functions, no database."""

import datetime as dt
import json

import pytest

from scheduling.providers import oncehub
from scheduling.providers.base import (
    BookingStatus,
    EventKind,
    Ignored,
    PayloadError,
    SignatureError,
)
from tests.conftest import SAMPLE_SECRET, fixture_bytes, fixture_json

UTC = dt.UTC


def parse_fixture(name):
    return oncehub.parse(fixture_bytes(name))


def with_type(name, event_type, **data_changes):
    body = fixture_json(name)
    body["type"] = event_type
    body["id"] = f"EVNT-{event_type}"
    body["data"].update(data_changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("event_type", "kind", "status"),
    [
        ("booking.scheduled", EventKind.SCHEDULED, BookingStatus.SCHEDULED),
        ("booking.rescheduled", EventKind.RESCHEDULED, BookingStatus.SCHEDULED),
        ("booking.reassigned", EventKind.REASSIGNED, BookingStatus.SCHEDULED),
        ("booking.canceled", EventKind.CANCELED, BookingStatus.CANCELED),
        (
            "booking.canceled_reschedule_requested",
            EventKind.RESCHEDULE_REQUESTED,
            BookingStatus.RESCHEDULE_REQUESTED,
        ),
        ("booking.completed", EventKind.COMPLETED, BookingStatus.COMPLETED),
        ("booking.no_show", EventKind.NO_SHOW, BookingStatus.NO_SHOW),
    ],
)
def test_every_booking_event_type_maps_to_a_kind_and_status(event_type, kind, status):
    event = oncehub.parse(with_type("oncehub/booking_scheduled.json", event_type))

    assert (event.kind, event.status) == (kind, status)
    assert event.provider_type == event_type
    assert event.key == f"EVNT-{event_type}"
    assert event.replaces_external_id == ""


def test_scheduled_sample_with_expanded_objects():
    event = parse_fixture("oncehub/booking_scheduled.json")
    booking = event.booking

    assert event.occurred_at == dt.datetime(2026, 3, 2, 14, 5, 11, 204000, tzinfo=UTC)
    assert booking.external_id == "BKNG-Q4T8ZK2M7W1C"
    assert booking.starts_at == dt.datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert booking.ends_at == dt.datetime(2026, 3, 9, 16, 30, tzinfo=UTC)
    assert booking.time_zone == "America/New_York"
    assert (booking.owner.id, booking.owner.name) == ("USR-K7M2Q9XW4T", "Riley Sample")
    assert (booking.page.id, booking.page.name) == ("BP-8WQ2LZ5N3K", "Riley Sample")
    assert booking.event_type.name == "30-minute discovery call"
    assert booking.join_url == "https://meet.example.com/abc-defg-hij"
    assert booking.customer.email == "dana.example@example.com"
    assert booking.customer.phone == "+1-202-555-0142"  # mobile when phone is ""
    assert booking.customer.company == "Example Widgets LLC"
    assert booking.guests == ("sam.example@example.com",)
    assert ("lead_id", "lead_9f2c41ab") in booking.custom_fields


def test_ids_as_plain_strings():
    booking = parse_fixture("oncehub/booking_canceled.json").booking

    assert booking.owner.id == "USR-K7M2Q9XW4T"
    assert booking.owner.name == ""
    assert booking.page.id == "BP-8WQ2LZ5N3K"
    assert booking.event_type.id == "ET-9NC3VB6T2R"
    assert booking.location == "Suite 100, 1 Example Plaza"
    assert booking.cancel_reason == "Host is out sick; please rebook next week."
    assert booking.actioned_by == "user"


def test_reschedule_names_the_booking_it_replaces():
    event = parse_fixture("oncehub/booking_rescheduled.json")

    assert event.booking.external_id == "BKNG-N2V6XR8D4H0P"
    assert event.replaces_external_id == "BKNG-H8C3WQ1Z5M7T"
    assert event.replaced_status == BookingStatus.RESCHEDULED
    # Booking Calendars name a calendar instead of a page.
    assert event.booking.page.id == "BKC-6T1R9M3KQ2"
    assert event.booking.cancel_url == "https://oncehub.com/m/BKNG-N2V6XR8D4H0P/cancel"
    # Form answers and meeting fields are both custom fields.
    assert event.booking.custom_fields == (
        ("meeting_reason", "Pricing questions"),
        ("discussion_points", "Bulk licensing"),
    )


def test_reschedule_in_place_replaces_nothing():
    body = with_type(
        "oncehub/booking_rescheduled.json",
        "booking.rescheduled",
        rescheduled_booking_id="BKNG-N2V6XR8D4H0P",
    )
    event = oncehub.parse(body)

    assert event.kind == EventKind.RESCHEDULED
    assert event.replaces_external_id == ""


def test_canceled_then_rescheduled_cancels_the_old_booking():
    event = parse_fixture("oncehub/booking_canceled_then_rescheduled.json")

    assert event.kind == EventKind.RESCHEDULED
    assert event.status == BookingStatus.SCHEDULED
    assert event.replaces_external_id == "BKNG-R7J1YH5C9B2F"
    assert event.replaced_status == BookingStatus.CANCELED


def test_canceled_then_rescheduled_without_a_link_is_a_cancel():
    body = with_type(
        "oncehub/booking_canceled.json",
        "booking.canceled_then_rescheduled",
    )
    event = oncehub.parse(body)

    assert (event.kind, event.status) == (EventKind.CANCELED, BookingStatus.CANCELED)
    assert event.replaces_external_id == ""


def test_form_submission_null_and_empty_values():
    event = parse_fixture("oncehub/booking_reassigned_no_form.json")
    booking = event.booking

    assert booking.customer is None
    assert booking.time_zone == ""
    assert booking.location == ""
    assert booking.join_url == ""
    assert booking.cancel_url == ""
    assert booking.cancel_reason == ""
    assert booking.owner.id == "USR-J0RD4NH05T"
    assert event.kind == EventKind.REASSIGNED


def test_missing_fields_are_empty_not_errors():
    body = json.dumps(
        {
            "id": "EVNT-MINIMAL001",
            "type": "booking.scheduled",
            "creation_time": "2026-03-02T14:05:11Z",
            "data": {"id": "BKNG-MINIMAL00001"},
        }
    ).encode()
    booking = oncehub.parse(body).booking

    assert booking.external_id == "BKNG-MINIMAL00001"
    assert booking.starts_at is None
    assert booking.ends_at is None
    assert booking.customer is None
    assert booking.custom_fields == ()


def test_payment_information():
    booking = parse_fixture("oncehub/booking_scheduled_with_payment.json").booking

    assert booking.payment == {
        "amount_charged": 15000,
        "currency": "USD",
        "transaction_id": "ch_3ExampleCharge0001",
    }
    assert booking.customer.phone == ""
    assert booking.guests == ()
    assert booking.reschedule_url == "https://oncehub.com/m/BKNG-P4YM3NT0BK01"


def test_v1_body():
    event = parse_fixture("oncehub/booking_v1_scheduled.json")
    booking = event.booking

    assert event.key == "EVNT-V1A2B3C4D5"
    assert booking.external_id == "C51F0093"
    assert booking.provider_status == "scheduled"
    assert booking.owner.name == "Morgan Planner"
    assert (booking.page.id, booking.page.name) == ("MorganPlanner", "Morgan Planner")
    assert booking.event_type.name == "Tax planning session"
    assert booking.location == "Room 4, 20 Example Street"
    assert booking.time_zone == ""  # v1 sends a description, not a zone name
    assert booking.customer.email == "avery.example@example.com"
    assert booking.guests == ()
    assert booking.ends_at == dt.datetime(2026, 4, 21, 13, 45, tzinfo=UTC)


def test_v1_reschedule_names_the_old_tracking_id():
    body = fixture_json("oncehub/booking_v1_scheduled.json")
    body["type"] = "booking.rescheduled"
    body["data"]["canceled_booking_tracking_id"] = "C51F0080"
    body["data"]["name_of_customer_who_canceled_rescheduled"] = "Avery Example"
    event = oncehub.parse(json.dumps(body).encode())

    assert event.replaces_external_id == "C51F0080"
    assert event.booking.actioned_by == "customer"


def test_non_ascii_body_with_odd_spacing():
    booking = parse_fixture("oncehub/booking_scheduled_non_ascii.json").booking

    assert booking.customer.name == "Zoë Ångström-Núñez"
    assert booking.customer.company == "株式会社エグザンプル"
    assert booking.subject == "Consulta inicial — café ☕"
    assert booking.custom_fields == (("Città", "Zürich"),)


def test_unknown_and_conversation_types_are_ignored():
    assert isinstance(parse_fixture("oncehub/conversation_started.json"), Ignored)
    body = with_type("oncehub/booking_scheduled.json", "booking.requested")
    result = oncehub.parse(body)
    assert isinstance(result, Ignored)
    assert result.provider_type == "booking.requested"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"id": "EVNT-1", "type": ', "JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"id": "EVNT-1"}', "no type"),
        (b'{"type": "booking.scheduled", "data": "x"}', "no data"),
        (
            b'{"type": "booking.scheduled", "creation_time": "2026-03-02T14:05:11Z",'
            b' "data": {"object": "booking"}}',
            "no booking id",
        ),
        (
            b'{"type": "booking.scheduled", "data": {"id": "BKNG-1",'
            b' "starting_time": "next tuesday", "last_updated_time": "2026-03-02"}}',
            "ISO 8601",
        ),
    ],
)
def test_bodies_that_can_never_be_processed(body, message):
    with pytest.raises(PayloadError, match=message):
        oncehub.parse(body)


def test_event_without_id_gets_a_stable_derived_key():
    body = fixture_json("oncehub/booking_scheduled.json")
    del body["id"]
    first = oncehub.parse(json.dumps(body).encode())
    again = oncehub.parse(json.dumps(body, indent=4).encode())
    body["data"]["last_updated_time"] = "2026-03-03T00:00:00Z"
    later = oncehub.parse(json.dumps(body).encode())

    assert first.key == again.key
    assert first.key != later.key


class TestVerify:
    body = fixture_bytes("oncehub/booking_canceled.json")
    now = 1_800_000_000

    def verify(self, header, *, secrets=(SAMPLE_SECRET,), now=None, body=None):
        oncehub.verify(
            headers={"oncehub-signature": header} if header is not None else {},
            body=self.body if body is None else body,
            secrets=list(secrets),
            now=self.now if now is None else now,
            max_age=3600,
        )

    def test_the_documented_sample_signature_matches(self):
        header = (
            "t=1772828103,"
            "s=995f36381a40be294da9da4b3cf6b808bab57bd75f9552e298519f5f467318cb"
        )
        self.verify(header, now=1772828103)

    def test_sign_then_verify(self):
        self.verify(
            oncehub.sign(secret=SAMPLE_SECRET, body=self.body, timestamp=self.now)
        )

    def test_any_accepted_secret_verifies(self):
        header = oncehub.sign(secret="old-secret", body=self.body, timestamp=self.now)
        self.verify(header, secrets=(SAMPLE_SECRET, "old-secret"))

    @pytest.mark.parametrize(
        ("header", "message"),
        [
            (None, "missing"),
            ("", "missing"),
            ("s=abc", "malformed"),
            ("t=soon,s=abc", "malformed"),
            ("t=1800000000", "malformed"),
            ("t=1800000000,s=" + "0" * 64, "does not match"),
        ],
    )
    def test_bad_headers(self, header, message):
        with pytest.raises(SignatureError, match=message):
            self.verify(header)

    def test_one_changed_byte_fails(self):
        header = oncehub.sign(secret=SAMPLE_SECRET, body=self.body, timestamp=self.now)
        with pytest.raises(SignatureError, match="does not match"):
            self.verify(header, body=self.body.replace(b"Casey", b"Cassy"))

    def test_re_serialised_json_fails(self):
        header = oncehub.sign(secret=SAMPLE_SECRET, body=self.body, timestamp=self.now)
        with pytest.raises(SignatureError):
            self.verify(header, body=json.dumps(json.loads(self.body)).encode())

    def test_too_old_and_future_timestamps_fail(self):
        old = oncehub.sign(
            secret=SAMPLE_SECRET, body=self.body, timestamp=self.now - 3601
        )
        with pytest.raises(SignatureError, match="old"):
            self.verify(old)
        future = oncehub.sign(
            secret=SAMPLE_SECRET, body=self.body, timestamp=self.now + 3600
        )
        with pytest.raises(SignatureError, match="future"):
            self.verify(future)

    def test_no_secret_configured_fails(self):
        header = oncehub.sign(secret=SAMPLE_SECRET, body=self.body, timestamp=self.now)
        with pytest.raises(SignatureError):
            self.verify(header, secrets=())
