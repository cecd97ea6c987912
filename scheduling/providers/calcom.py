"""Cal.com: signature check and webhook parser (payload version 2021-10-20).

Cal.com signs the exact body in ``X-Cal-Signature-256``: the lowercase hex
HMAC-SHA256 of the body with the webhook's secret, with no timestamp and no
prefix. A webhook saved without a secret sends the literal value
``no-secret-provided``, which proves nothing and counts as unsigned. With no
timestamp there is no freshness window: a replayed body carries the key of
an event already applied and changes nothing.

Mapping decisions:

- The booking is Cal.com's ``uid``; the booker is ``attendees[0]``, the other
  attendees are guests.
- A reschedule is one ``BOOKING_RESCHEDULED`` event for the *new* booking
  naming the old one in ``rescheduleUid``; the old booking is left
  ``rescheduled``. Cal.com sends no cancel for the old booking.
- "Request reschedule" (a host cancels and asks the attendee to pick a new
  time) is a ``BOOKING_CANCELLED`` with ``requestReschedule`` or
  ``rescheduleRequested`` set: the booking awaits a new time rather than
  being called off.
- ``MEETING_STARTED`` and ``MEETING_ENDED`` bodies are flat: the booking's
  columns sit next to ``triggerEvent`` with no ``payload`` object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from . import fields
from .base import (
    Booking,
    BookingEvent,
    BookingStatus,
    Customer,
    EventKind,
    Ignored,
    PayloadError,
    Reference,
    SignatureError,
)

NAME = "calcom"
LABEL = "Cal.com"
SIGNATURE_HEADER = "x-cal-signature-256"
# The signature has no timestamp, so there is no age to bound.
SIGNATURE_MAX_AGE_SECONDS = 0
NO_SECRET = "no-secret-provided"

CREATED = "BOOKING_CREATED"
REQUESTED = "BOOKING_REQUESTED"
RESCHEDULED = "BOOKING_RESCHEDULED"
CANCELLED = "BOOKING_CANCELLED"
REJECTED = "BOOKING_REJECTED"
NO_SHOW_UPDATED = "BOOKING_NO_SHOW_UPDATED"
MEETING_ENDED = "MEETING_ENDED"

# Trigger -> (kind, status of the booking named by ``uid``).
_BOOKING_TRIGGERS = {
    CREATED: (EventKind.SCHEDULED, BookingStatus.SCHEDULED),
    # Limitation: a booking that awaits the host's confirmation is shown as
    # scheduled (its provider status says "pending"); the neutral states have
    # no "unconfirmed" yet. Cal.com sends BOOKING_CREATED on acceptance and
    # BOOKING_REJECTED on refusal, which settle it.
    REQUESTED: (EventKind.SCHEDULED, BookingStatus.SCHEDULED),
    RESCHEDULED: (EventKind.RESCHEDULED, BookingStatus.SCHEDULED),
    CANCELLED: (EventKind.CANCELED, BookingStatus.CANCELED),
    REJECTED: (EventKind.CANCELED, BookingStatus.CANCELED),
    MEETING_ENDED: (EventKind.COMPLETED, BookingStatus.COMPLETED),
}
EVENT_TYPES = (*_BOOKING_TRIGGERS, NO_SHOW_UPDATED)

# Flat bodies have no envelope time; the meeting's own time stands in.
_FLAT_TIMES = {MEETING_ENDED: "endTime"}


def sign(*, secret: str, body: bytes) -> str:
    """Return the ``X-Cal-Signature-256`` value Cal.com would send."""
    return fields.hmac_hex(secret, body)


def signature_headers(*, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    # ``timestamp`` is unused: Cal.com's signature has none.
    return {
        "X-Cal-Signature-256": sign(secret=secret, body=body),
        "X-Cal-Webhook-Version": "2021-10-20",
    }


def is_signed(headers: Mapping[str, str]) -> bool:
    value = headers.get(SIGNATURE_HEADER, "").strip()
    return bool(value) and value != NO_SECRET


def verify(
    *,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    now: float,
    max_age: int,
) -> None:
    """Raise ``SignatureError`` unless one of ``secrets`` signed ``body``.

    ``now`` and ``max_age`` are part of every provider's signature check;
    Cal.com's carries no time, so they are not used.
    """
    value = headers.get(SIGNATURE_HEADER, "").strip()
    if not value:
        raise SignatureError("missing X-Cal-Signature-256 header")
    if value == NO_SECRET:
        raise SignatureError(
            "the Cal.com webhook has no secret (no-secret-provided); set one there"
        )
    expected = [fields.hmac_hex(secret, body) for secret in secrets]
    if not fields.matches_any(expected=expected, given=[value]):
        raise SignatureError("signature does not match")


def parse(body: bytes) -> BookingEvent | Ignored:
    """Turn a delivery's exact bytes into a provider-neutral event."""
    envelope = fields.load_object(body)
    trigger = fields.text(envelope.get("triggerEvent"))
    if not trigger:
        raise PayloadError("event has no triggerEvent")
    if trigger not in EVENT_TYPES:
        return Ignored(provider_type=trigger, reason="not a booking lifecycle event")

    flat = "payload" not in envelope
    payload = envelope if flat else envelope["payload"]
    if not isinstance(payload, dict):
        raise PayloadError(f"{trigger} event has no payload object")
    if flat:
        occurred_at = fields.time(payload.get(_FLAT_TIMES.get(trigger, ""))) or (
            fields.time(payload.get("updatedAt"))
        )
    else:
        occurred_at = fields.time(envelope.get("createdAt"))
    if occurred_at is None:
        raise PayloadError(f"{trigger} event carries no time")

    if trigger == NO_SHOW_UPDATED:
        return _no_show_event(payload, occurred_at)

    booking = _booking(payload)
    if not booking.external_id:
        raise PayloadError(f"{trigger} event has no booking uid")
    kind, status = _BOOKING_TRIGGERS[trigger]
    if trigger == CANCELLED and (
        payload.get("requestReschedule") is True
        or payload.get("rescheduleRequested") is True
    ):
        kind, status = (
            EventKind.RESCHEDULE_REQUESTED,
            BookingStatus.RESCHEDULE_REQUESTED,
        )

    # ``rescheduleUid`` on a reschedule; ``fromReschedule`` is the same link
    # as a database column, seen in the flat bodies.
    replaces = fields.text(payload.get("rescheduleUid")) or fields.text(
        payload.get("fromReschedule")
    )
    if replaces == booking.external_id:
        replaces = ""

    return BookingEvent(
        provider=NAME,
        # Cal.com's envelope has no event id. Each of these triggers happens
        # at most once per booking uid (a reschedule makes a new uid), so the
        # trigger and the uid identify the event; ``createdAt`` is left out
        # in case a retry is stamped anew.
        key=fields.derived_key(NAME, trigger, booking.external_id),
        provider_type=trigger,
        kind=kind,
        occurred_at=occurred_at,
        booking=booking,
        status=status,
        replaces_external_id=replaces,
        replaced_status=BookingStatus.RESCHEDULED if replaces else "",
        replaced_starts_at=fields.time(payload.get("rescheduleStartTime"))
        if replaces
        else None,
    )


def _no_show_event(payload: dict[str, Any], occurred_at: dt.datetime) -> BookingEvent:
    # ``{message, attendees: [{email, noShow}], bookingUid, bookingId}``: only
    # the attendees whose mark changed are listed.
    uid = fields.text(payload.get("bookingUid")) or fields.text(payload.get("uid"))
    if not uid:
        raise PayloadError(f"{NO_SHOW_UPDATED} event has no booking uid")
    marks = sorted(
        (fields.text(attendee.get("email")).lower(), attendee.get("noShow") is True)
        for attendee in map(fields.mapping, fields.items(payload.get("attendees")))
    )
    # Limitation: the booking holds one state for all its attendees, so a
    # booking with any attendee marked absent counts as a no-show, and one
    # whose listed attendees were all unmarked has its no-show taken back.
    if any(absent for _, absent in marks):
        kind, status = EventKind.NO_SHOW, BookingStatus.NO_SHOW
    else:
        kind, status = EventKind.NO_SHOW_UNDONE, ""
    return BookingEvent(
        provider=NAME,
        # Marks can be set and cleared again and again, so the time and the
        # marks themselves tell these events apart.
        key=fields.derived_key(
            NAME,
            NO_SHOW_UPDATED,
            uid,
            occurred_at.isoformat(),
            ",".join(f"{email}={absent}" for email, absent in marks),
        ),
        provider_type=NO_SHOW_UPDATED,
        kind=kind,
        occurred_at=occurred_at,
        booking=Booking(external_id=uid),
        status=status,
    )


def _booking(payload: dict[str, Any]) -> Booking:
    attendees = [
        fields.mapping(item) for item in fields.items(payload.get("attendees"))
    ]
    booker = attendees[0] if attendees else {}
    responses = fields.mapping(payload.get("responses"))
    # Flat bodies name the organizer ``user`` and the event type ``eventType``.
    organizer = fields.mapping(payload.get("organizer")) or fields.mapping(
        payload.get("user")
    )
    event_type = fields.mapping(payload.get("eventType"))
    metadata = fields.mapping(payload.get("metadata"))
    video = fields.mapping(payload.get("videoCallData"))

    starts_at = fields.time(payload.get("startTime"))
    ends_at = fields.time(payload.get("endTime"))
    duration = fields.minutes_between(starts_at, ends_at)
    if duration is None and isinstance(payload.get("length"), int):
        duration = payload["length"]

    return Booking(
        external_id=fields.text(payload.get("uid")),
        provider_status=fields.text(payload.get("status")).lower(),
        subject=fields.text(payload.get("title")),
        starts_at=starts_at,
        duration_minutes=duration,
        time_zone=fields.time_zone(booker.get("timeZone")),
        owner=Reference(
            id=fields.text(organizer.get("id")) or fields.text(organizer.get("email")),
            name=fields.text(organizer.get("name")),
        ),
        event_type=Reference(
            id=fields.text(payload.get("eventTypeId"))
            or fields.text(payload.get("type")),
            name=fields.text(payload.get("eventTitle"))
            or fields.text(event_type.get("title")),
        ),
        # An address, a phone number, a URL or an app id such as
        # ``integrations:daily``.
        location=fields.text(payload.get("location")),
        join_url=fields.text(metadata.get("videoCallUrl"))
        or fields.text(video.get("url")),
        cancel_reason=fields.text(payload.get("cancellationReason"))
        or fields.text(payload.get("rejectionReason"))
        or _answer(responses, "rescheduleReason"),
        actioned_by=_actioned_by(payload, organizer=organizer, attendees=attendees),
        customer=_customer(booker, responses),
        note=_answer(responses, "notes") or fields.text(payload.get("additionalNotes")),
        guests=tuple(
            email
            for email in (
                fields.text(attendee.get("email")).lower() for attendee in attendees[1:]
            )
            if email
        ),
        custom_fields=tuple(
            (
                fields.text(fields.mapping(answer).get("label")) or slug,
                _answer_text(fields.mapping(answer).get("value")),
            )
            for slug, answer in fields.mapping(
                payload.get("userFieldsResponses")
            ).items()
        ),
        provider_data=payload,
    )


def _actioned_by(
    payload: dict[str, Any], *, organizer: dict[str, Any], attendees: list[dict]
) -> str:
    """Say whether the host or the booker canceled or rescheduled."""
    by = (
        fields.text(payload.get("cancelledBy"))
        or fields.text(payload.get("rescheduledBy"))
    ).lower()
    if not by:
        return ""
    if by == fields.text(organizer.get("email")).lower():
        return "user"
    if any(by == fields.text(item.get("email")).lower() for item in attendees):
        return "customer"
    return ""


def _customer(booker: dict[str, Any], responses: dict[str, Any]) -> Customer | None:
    email = (fields.text(booker.get("email")) or _answer(responses, "email")).lower()
    name = fields.text(booker.get("name")) or _answer(responses, "name")
    if not email and not name:
        return None
    return Customer(
        email=email,
        name=name,
        phone=fields.text(booker.get("phoneNumber"))
        or _answer(responses, "attendeePhoneNumber"),
    )


def _answer(responses: dict[str, Any], slug: str) -> str:
    """The booking form's answer for ``slug``, as text."""
    return _answer_text(fields.mapping(responses.get(slug)).get("value"))


def _answer_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(fields.text(item) for item in value if fields.text(item))
    if isinstance(value, dict):
        # The name field can be ``{firstName, lastName}``.
        return " ".join(
            fields.text(part) for part in value.values() if fields.text(part)
        )
    return fields.text(value)
