"""Calendly (API v2 webhook subscriptions): signature check and parser.

Calendly signs each delivery in ``Calendly-Webhook-Signature``,
``t=<unix seconds>,v1=<lowercase hex>``, an HMAC-SHA256 of ``"<t>.<body>"``
with the subscription's signing key. The header may carry several ``v1``
values; any one of them matching is enough.

Mapping decisions:

- A booking is one *invitee*, not one scheduled event: a group event with
  several invitees sends one webhook per invitee, each with its own invitee
  URI, and each becomes its own booking (and customer).
- Calendly has no reschedule event. A reschedule is an ``invitee.canceled``
  of the old invitee (``rescheduled: true``, ``new_invitee``) and an
  ``invitee.created`` of the new one (``old_invitee``), in no promised order.
  The create is the single ``RESCHEDULED`` event; the cancel is a
  ``REPLACED`` event that leaves the old booking ``rescheduled``, never
  ``canceled``, and links it to the new one whichever arrives first.
"""

from __future__ import annotations

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
)

NAME = "calendly"
LABEL = "Calendly"
SIGNATURE_HEADER = "calendly-webhook-signature"
# Calendly signs every delivery, retries included, afresh. Its own example
# refuses stamps older than three minutes; five leave room for clock skew
# and a slow queue in front of this server.
SIGNATURE_MAX_AGE_SECONDS = 300
FUTURE_SKEW_SECONDS = 300

CREATED = "invitee.created"
CANCELED = "invitee.canceled"
NO_SHOW_CREATED = "invitee_no_show.created"
NO_SHOW_DELETED = "invitee_no_show.deleted"
EVENT_TYPES = (CREATED, CANCELED, NO_SHOW_CREATED, NO_SHOW_DELETED)

# Calendly's ``canceler_type`` in the neutral words of ``Booking.actioned_by``.
_ACTIONED_BY = {"invitee": "customer", "host": "user"}


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    """Return the ``Calendly-Webhook-Signature`` value Calendly would send."""
    digest = fields.hmac_hex(secret, str(timestamp).encode() + b"." + body)
    return f"t={timestamp},v1={digest}"


def signature_headers(*, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Calendly-Webhook-Signature": sign(
            secret=secret, body=body, timestamp=timestamp
        )
    }


def is_signed(headers: Mapping[str, str]) -> bool:
    return SIGNATURE_HEADER in headers


def verify(
    *,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    now: float,
    max_age: int,
) -> None:
    """Raise ``SignatureError`` unless one of ``secrets`` signed ``body``."""
    fields.verify_stamped(
        header="Calendly-Webhook-Signature",
        value=headers.get(SIGNATURE_HEADER, ""),
        signature_name="v1",
        body=body,
        secrets=secrets,
        now=now,
        max_age=max_age,
        future_skew=FUTURE_SKEW_SECONDS,
    )


def parse(body: bytes) -> BookingEvent | Ignored:
    """Turn a delivery's exact bytes into a provider-neutral event."""
    envelope = fields.load_object(body)
    event_type = fields.text(envelope.get("event"))
    if not event_type:
        raise PayloadError("event has no name")
    if event_type not in EVENT_TYPES:
        return Ignored(provider_type=event_type, reason="not a booking lifecycle event")
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise PayloadError(f"{event_type} event has no payload object")

    if event_type in (NO_SHOW_CREATED, NO_SHOW_DELETED):
        return _no_show_event(event_type, envelope, payload)

    booking = _booking(payload)
    if not booking.external_id:
        raise PayloadError(f"{event_type} event has no invitee uri")
    occurred_at = (
        fields.time(envelope.get("created_at"))
        or fields.time(fields.mapping(payload.get("cancellation")).get("created_at"))
        or fields.time(payload.get("updated_at"))
    )
    if occurred_at is None:
        raise PayloadError(f"{event_type} event carries no time")

    replaces = replaced_status = replaced_by = ""
    if event_type == CREATED:
        replaces = fields.text(payload.get("old_invitee"))
        if replaces and replaces != booking.external_id:
            kind, status = EventKind.RESCHEDULED, BookingStatus.SCHEDULED
            replaced_status = BookingStatus.RESCHEDULED
        else:
            replaces = ""
            kind, status = EventKind.SCHEDULED, BookingStatus.SCHEDULED
    elif payload.get("rescheduled") is True:
        # The old leg of a reschedule: the invitee moved, they did not call
        # the meeting off.
        kind, status = EventKind.REPLACED, BookingStatus.RESCHEDULED
        replaced_by = fields.text(payload.get("new_invitee"))
        if replaced_by == booking.external_id:
            replaced_by = ""
    else:
        kind, status = EventKind.CANCELED, BookingStatus.CANCELED

    return BookingEvent(
        provider=NAME,
        # Calendly's envelope has no event id. An invitee is created once and
        # canceled at most once (a reschedule makes a new invitee), so the
        # event name and the invitee URI identify the event; the envelope's
        # time is left out in case a retry is stamped anew.
        key=fields.derived_key(NAME, event_type, booking.external_id),
        provider_type=event_type,
        kind=kind,
        occurred_at=occurred_at,
        booking=booking,
        status=status,
        replaces_external_id=replaces,
        replaced_status=replaced_status,
        replaced_by_external_id=replaced_by,
    )


def _no_show_event(
    event_type: str, envelope: dict[str, Any], payload: dict[str, Any]
) -> BookingEvent:
    # Calendly does not document this payload's shape. Public handlers read
    # either an InviteeNoShow resource ``{uri, invitee, created_at}`` or a
    # whole invitee with a ``no_show`` object; both are accepted.
    invitee = payload.get("invitee")
    if isinstance(invitee, dict):
        booking, mark = _booking(invitee), fields.text(payload.get("uri"))
    elif fields.text(invitee):
        booking = Booking(external_id=fields.text(invitee))
        mark = fields.text(payload.get("uri"))
    else:
        booking = _booking(payload)
        mark = fields.text(fields.mapping(payload.get("no_show")).get("uri"))
    if not booking.external_id:
        raise PayloadError(f"{event_type} event names no invitee")
    occurred_at = fields.time(envelope.get("created_at")) or fields.time(
        payload.get("created_at")
    )
    if occurred_at is None:
        raise PayloadError(f"{event_type} event carries no time")

    if event_type == NO_SHOW_CREATED:
        kind, status = EventKind.NO_SHOW, BookingStatus.NO_SHOW
    else:
        kind, status = EventKind.NO_SHOW_UNDONE, ""
    return BookingEvent(
        provider=NAME,
        # A host may mark, unmark and mark again: each mark is its own
        # resource with its own URI. Without one, the time tells marks apart.
        key=fields.derived_key(
            NAME, event_type, booking.external_id, mark or occurred_at.isoformat()
        ),
        provider_type=event_type,
        kind=kind,
        occurred_at=occurred_at,
        booking=booking,
        status=status,
    )


def _booking(invitee: dict[str, Any]) -> Booking:
    """Describe the booking an invitee resource (with its event) stands for."""
    scheduled = fields.mapping(invitee.get("scheduled_event"))
    location = fields.mapping(scheduled.get("location"))
    cancellation = fields.mapping(invitee.get("cancellation")) or fields.mapping(
        scheduled.get("cancellation")
    )
    starts_at = fields.time(scheduled.get("start_time"))
    ends_at = fields.time(scheduled.get("end_time"))
    # Limitation: collective events have several hosts, and a booking has
    # one owner, so only the first host listed is kept as the owner (all of
    # them stay in ``provider_data``).
    host = next(iter(fields.items(scheduled.get("event_memberships"))), None)
    host = fields.mapping(host)
    payment = fields.mapping(invitee.get("payment"))

    return Booking(
        external_id=fields.text(invitee.get("uri")),
        provider_status=fields.text(invitee.get("status")).lower(),
        subject=fields.text(scheduled.get("name")),
        starts_at=starts_at,
        duration_minutes=fields.minutes_between(starts_at, ends_at),
        time_zone=fields.time_zone(invitee.get("timezone")),
        booked_at=fields.time(invitee.get("created_at")),
        owner=Reference(
            id=fields.text(host.get("user")),
            name=fields.text(host.get("user_name"))
            or fields.text(host.get("user_email")),
        ),
        event_type=Reference(id=fields.text(scheduled.get("event_type"))),
        # Each location type has its own keys: an address, a phone number,
        # or only the conferencing tool's name.
        location=fields.text(location.get("location"))
        or fields.text(location.get("additional_info"))
        or fields.text(location.get("type")),
        join_url=fields.text(location.get("join_url")),
        cancel_url=fields.text(invitee.get("cancel_url")),
        reschedule_url=fields.text(invitee.get("reschedule_url")),
        cancel_reason=fields.text(cancellation.get("reason")),
        actioned_by=_ACTIONED_BY.get(
            fields.text(cancellation.get("canceler_type")).lower(), ""
        ),
        customer=_customer(invitee),
        guests=tuple(
            email
            for email in (
                fields.text(fields.mapping(guest).get("email")).lower()
                for guest in fields.items(scheduled.get("event_guests"))
            )
            if email
        ),
        custom_fields=tuple(
            (fields.text(answer.get("question")), fields.text(answer.get("answer")))
            for answer in map(
                fields.mapping, fields.items(invitee.get("questions_and_answers"))
            )
            if fields.text(answer.get("question"))
        ),
        payment=payment or None,
        provider_data=invitee,
    )


def _customer(invitee: dict[str, Any]) -> Customer | None:
    email = fields.text(invitee.get("email")).lower()
    # ``first_name``/``last_name`` are filled only when the event type asks
    # for separate name fields; ``name`` is always there otherwise.
    name = fields.text(invitee.get("name")) or " ".join(
        part
        for part in (
            fields.text(invitee.get("first_name")),
            fields.text(invitee.get("last_name")),
        )
        if part
    )
    if not email and not name:
        return None
    return Customer(
        email=email, name=name, phone=fields.text(invitee.get("text_reminder_number"))
    )
