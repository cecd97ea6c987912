"""OnceHub (formerly ScheduleOnce): signature check and webhook parser.

OnceHub signs the exact body with HMAC-SHA256 in the ``Oncehub-Signature``
header, ``t=<unix seconds>,s=<lowercase hex>``, over ``"<t>.<body>"``. Legacy
v1 subscriptions send no signature and a differently shaped booking.
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
)

NAME = "oncehub"
LABEL = "OnceHub"
SIGNATURE_HEADER = "oncehub-signature"
# OnceHub retries for about three days without saying whether it signs a
# retry again, so the window is the deployment's (long) default.
SIGNATURE_MAX_AGE_SECONDS = None

# Freshly signed deliveries may carry a clock a little ahead of ours.
FUTURE_SKEW_SECONDS = 300

# Event type -> (kind, status of the booking in ``data``).
_BOOKING_TYPES = {
    "booking.scheduled": (EventKind.SCHEDULED, BookingStatus.SCHEDULED),
    "booking.rescheduled": (EventKind.RESCHEDULED, BookingStatus.SCHEDULED),
    "booking.reassigned": (EventKind.REASSIGNED, BookingStatus.SCHEDULED),
    "booking.canceled": (EventKind.CANCELED, BookingStatus.CANCELED),
    "booking.canceled_then_rescheduled": (
        EventKind.RESCHEDULED,
        BookingStatus.SCHEDULED,
    ),
    "booking.canceled_reschedule_requested": (
        EventKind.RESCHEDULE_REQUESTED,
        BookingStatus.RESCHEDULE_REQUESTED,
    ),
    "booking.completed": (EventKind.COMPLETED, BookingStatus.COMPLETED),
    "booking.no_show": (EventKind.NO_SHOW, BookingStatus.NO_SHOW),
}

EVENT_TYPES = tuple(_BOOKING_TYPES)


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    """Return the ``Oncehub-Signature`` header value OnceHub would send."""
    digest = fields.hmac_hex(secret, str(timestamp).encode() + b"." + body)
    return f"t={timestamp},s={digest}"


def signature_headers(*, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Return the headers OnceHub would sign ``body`` with."""
    return {"Oncehub-Signature": sign(secret=secret, body=body, timestamp=timestamp)}


def is_signed(headers: Mapping[str, str]) -> bool:
    """Whether the delivery claims a signature (v1 subscriptions send none)."""
    return SIGNATURE_HEADER in headers


def verify(
    *,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    now: float,
    max_age: int,
) -> None:
    """Raise ``SignatureError`` unless one of ``secrets`` signed ``body``.

    ``headers`` has lower-case names. ``max_age`` bounds how old the signed
    timestamp may be: OnceHub retries for about three days without saying
    whether it signs a retry again, so it should cover that span.
    """
    fields.verify_stamped(
        header="Oncehub-Signature",
        value=headers.get(SIGNATURE_HEADER, ""),
        signature_name="s",
        body=body,
        secrets=secrets,
        now=now,
        max_age=max_age,
        future_skew=FUTURE_SKEW_SECONDS,
    )


def parse(body: bytes) -> BookingEvent | Ignored:
    """Turn a delivery's exact bytes into a provider-neutral event."""
    envelope = fields.load_object(body)
    event_type = _text(envelope.get("type"))
    if not event_type:
        raise PayloadError("event has no type")
    if event_type not in _BOOKING_TYPES:
        return Ignored(
            provider_type=event_type,
            key=_text(envelope.get("id")),
            reason="not a booking lifecycle event",
        )

    data = envelope.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"{event_type} event has no data object")

    if _text(envelope.get("api_version")) == "v1" or not _text(data.get("id")):
        booking, replaces = _v1_booking(data)
    else:
        booking, replaces = _v2_booking(data)
    if not booking.external_id:
        raise PayloadError(f"{event_type} event has no booking id")
    if replaces == booking.external_id:
        replaces = ""

    occurred_at = (
        _time(data.get("last_updated_time"))
        or _time(envelope.get("creation_time"))
        or _time(data.get("creation_time"))
    )
    if occurred_at is None:
        raise PayloadError(f"{event_type} event carries no time")

    kind, status = _BOOKING_TYPES[event_type]
    replaced_status = ""
    if replaces and event_type == "booking.rescheduled":
        replaced_status = BookingStatus.RESCHEDULED
    elif event_type == "booking.canceled_then_rescheduled":
        # The guest canceled and booked again elsewhere. The body describes
        # the new booking and names the canceled one; without that name it
        # can only describe the canceled booking itself.
        if replaces and booking.provider_status != "canceled":
            replaced_status = BookingStatus.CANCELED
        else:
            kind, status, replaces = EventKind.CANCELED, BookingStatus.CANCELED, ""
    else:
        replaces = ""

    return BookingEvent(
        provider=NAME,
        key=_text(envelope.get("id")) or _derived_key(event_type, booking, occurred_at),
        provider_type=event_type,
        kind=kind,
        occurred_at=occurred_at,
        booking=booking,
        status=status,
        replaces_external_id=replaces,
        replaced_status=replaced_status,
    )


def _v2_booking(data: dict[str, Any]) -> tuple[Booking, str]:
    form = data.get("form_submission")
    if not isinstance(form, dict):
        # OnceHub sends ``form_submission: null`` for bookings an admin made.
        form = {}
    cancel_info = data.get("cancel_reschedule_information")
    if not isinstance(cancel_info, dict):
        cancel_info = {}
    conferencing = data.get("virtual_conferencing")
    if not isinstance(conferencing, dict):
        conferencing = {}
    manage_url = _text(data.get("cancel_reschedule_url"))
    payment = data.get("payment_information")

    booking = Booking(
        external_id=_text(data.get("id")) or _text(data.get("tracking_id")),
        provider_status=_text(data.get("status")).lower(),
        subject=_text(data.get("subject")),
        starts_at=_time(data.get("starting_time")),
        duration_minutes=_minutes(data.get("duration_minutes")),
        time_zone=_time_zone(data.get("customer_timezone")),
        booked_at=_time(data.get("creation_time")),
        owner=_reference(data.get("owner")),
        # Booking Pages (classic) name a page; Booking Calendars a calendar.
        page=_reference(data.get("booking_page"))
        or _reference(data.get("booking_calendar"))
        or _reference(data.get("master_page")),
        event_type=_reference(data.get("event_type")),
        location=_text(data.get("location_description")),
        join_url=_text(conferencing.get("join_url")),
        cancel_url=_text(data.get("cancel_url")) or manage_url,
        reschedule_url=_text(data.get("reschedule_url")) or manage_url,
        cancel_reason=_text(cancel_info.get("reason")),
        actioned_by=_text(cancel_info.get("actioned_by")).lower(),
        customer=_customer(form),
        note=_text(form.get("note")),
        guests=_guests(form.get("guests")),
        custom_fields=_custom_fields(form.get("custom_fields"))
        + _custom_fields(data.get("custom_fields")),
        payment=payment if isinstance(payment, dict) and payment else None,
        provider_data=data,
    )
    return booking, _text(data.get("rescheduled_booking_id"))


def _v1_booking(data: dict[str, Any]) -> tuple[Booking, str]:
    # v1 bodies have no booking ``id``: the tracking id is the key, the owner
    # is a display name, pages have no ids and statuses are capitalised.
    form = data.get("form_submission")
    if not isinstance(form, dict):
        form = {}
    manage_url = _text(data.get("cancel_reschedule_link"))
    if _text(data.get("name_of_customer_who_canceled_rescheduled")):
        actioned_by = "customer"
    elif _text(data.get("name_of_user_who_canceled_rescheduled")):
        actioned_by = "user"
    else:
        actioned_by = ""
    page = (
        data.get("booking_page") if isinstance(data.get("booking_page"), dict) else {}
    )
    master = (
        data.get("master_page") if isinstance(data.get("master_page"), dict) else {}
    )
    event_type = (
        data.get("event_type") if isinstance(data.get("event_type"), dict) else {}
    )

    booking = Booking(
        external_id=_text(data.get("tracking_id")),
        provider_status=_text(data.get("status")).lower().replace(" ", "_"),
        subject=_text(data.get("subject")),
        starts_at=_time(data.get("starting_time")),
        duration_minutes=_minutes(data.get("duration_minutes")),
        # v1 gives only a description such as "(GMT-5) United States; Eastern
        # time", which is no time zone name.
        time_zone=_time_zone(data.get("customer_time_zone")),
        booked_at=_time(data.get("creation_time")),
        owner=Reference(name=_text(data.get("owner"))),
        page=Reference(
            id=_text(page.get("internal_label")), name=_text(page.get("public_name"))
        )
        or Reference(id=_text(master.get("label")), name=_text(master.get("name"))),
        event_type=Reference(name=_text(event_type.get("name"))),
        location=_text(data.get("virtual_or_physical_location")),
        cancel_url=manage_url,
        reschedule_url=manage_url,
        cancel_reason=_text(data.get("cancel_reschedule_reason")),
        actioned_by=actioned_by,
        customer=_customer(form),
        note=_text(form.get("note")),
        guests=_guests(form.get("guests")),
        custom_fields=_custom_fields(form.get("custom_fields")),
        provider_data=data,
    )
    return booking, _text(data.get("canceled_booking_tracking_id"))


def _derived_key(event_type: str, booking: Booking, occurred_at: dt.datetime) -> str:
    # Without an event id, the same change of the same booking is the same event.
    return fields.derived_key(event_type, booking.external_id, occurred_at.isoformat())


# OnceHub sends ``""`` or ``null`` for "none".
_text = fields.text
# OnceHub's times are UTC; a missing offset means UTC.
_time = fields.time
_time_zone = fields.time_zone


def _minutes(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise PayloadError(f"duration is not a number: {value!r}") from None
    if minutes < 0:
        raise PayloadError(f"duration is negative: {minutes}")
    return minutes


def _reference(value: Any) -> Reference:
    """Read an owner, page or event type sent as an id string or an object."""
    if isinstance(value, dict):
        name = _text(value.get("name"))
        if not name:
            name = " ".join(
                part
                for part in (
                    _text(value.get("first_name")),
                    _text(value.get("last_name")),
                )
                if part
            )
        return Reference(id=_text(value.get("id")), name=name)
    return Reference(id=_text(value))


def _customer(form: dict[str, Any]) -> Customer | None:
    email = _text(form.get("email")).lower()
    name = _text(form.get("name"))
    if not email and not name:
        return None
    return Customer(
        email=email,
        name=name,
        phone=_text(form.get("phone")) or _text(form.get("mobile_phone")),
        company=_text(form.get("company")),
    )


def _guests(value: Any) -> tuple[str, ...]:
    # Old OnceHub examples send ``[""]`` for "no guests".
    if not isinstance(value, list):
        return ()
    return tuple(email for email in (_text(item) for item in value) if email)


def _custom_fields(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    fields = []
    for item in value:
        if isinstance(item, dict) and _text(item.get("name")):
            answer = item.get("value")
            if isinstance(answer, list):
                answer = ", ".join(_text(part) for part in answer)
            fields.append((_text(item.get("name")), _text(answer)))
    return tuple(fields)
