"""Apply provider-neutral booking events to bookings, customers and the log.

Applying is idempotent and independent of arrival order: an event already
logged changes nothing, and an event older than the booking's newest one is
logged without overwriting what the newer one set.
"""

from __future__ import annotations

import logging

from django.db import transaction

from .booking_links import customer_from_tracking
from .followups.services import followups_for_event
from .models import Account, Booking, BookingEvent, Customer, WebhookDelivery
from .providers import base

logger = logging.getLogger(__name__)

# Booking fields copied from the event's booking, by model field name.
_BOOKING_FIELDS = (
    "subject",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "time_zone",
    "booked_at",
    "location",
    "join_url",
    "cancel_url",
    "reschedule_url",
    "cancel_reason",
    "actioned_by",
    "note",
)


def booking_apply_event(
    *,
    account: Account,
    event: base.BookingEvent,
    delivery: WebhookDelivery | None = None,
) -> tuple[BookingEvent, bool]:
    """Apply ``event`` and log it; return the log row and whether it is new.

    The bookings involved are locked for the whole transaction, so the same
    event applied twice at the same moment is logged once.
    """
    with transaction.atomic():
        bookings = _bookings_locked(
            account=account,
            provider=event.provider,
            external_ids={
                event.booking.external_id,
                event.replaces_external_id,
                event.replaced_by_external_id,
            },
        )
        existing = BookingEvent.objects.filter(
            account=account, provider=event.provider, key=event.key
        ).first()
        if existing is not None:
            logger.info(
                "booking event already logged event_key=%s booking_id=%s",
                event.key,
                existing.booking_id,
            )
            return existing, False

        booking = bookings[event.booking.external_id]
        applied = booking.state_at is None or event.occurred_at >= booking.state_at
        details = _details(booking=booking, event=event)

        # A booking made through a personalised link belongs to the customer
        # the link was made for, whatever email the guest typed.
        customer = customer_from_tracking(
            account=account, custom_fields=event.booking.custom_fields
        ) or customer_upsert(
            account=account, data=event.booking.customer, overwrite=applied
        )
        _booking_update(
            booking=booking, event=event, customer=customer, applied=applied
        )

        if event.replaces_external_id:
            replaced = bookings[event.replaces_external_id]
            _replaced_update(replaced=replaced, event=event)
            if booking.replaces_id is None:
                booking.replaces = replaced
            previous = replaced.starts_at or event.replaced_starts_at
            if previous:
                details["previous_starts_at"] = previous.isoformat()
            details["replaces"] = replaced.external_id
        if event.replaced_by_external_id:
            # The new booking may not have arrived yet: its row exists from
            # here on, and its own event fills it in.
            replacement = bookings[event.replaced_by_external_id]
            if replacement.replaces_id is None:
                replacement.replaces = booking
                replacement.save(update_fields=["replaces", "updated_at"])
            details["replaced_by"] = replacement.external_id
        booking.save()

        row = BookingEvent.objects.create(
            account=account,
            booking=booking,
            delivery=delivery,
            provider=event.provider,
            key=event.key,
            kind=event.kind,
            provider_type=event.provider_type,
            occurred_at=event.occurred_at,
            applied=applied,
            details=details,
        )
        followups_for_event(event=row)

    logger.info(
        "booking event logged event_key=%s booking_id=%s kind=%s applied=%s",
        event.key,
        booking.pk,
        event.kind,
        applied,
    )
    return row, True


def customer_upsert(
    *, account: Account, data: base.Customer | None, overwrite: bool
) -> Customer | None:
    """Find or create the account's customer with this email and update it.

    With ``overwrite`` off (an older event), only blank fields are filled.
    """
    if data is None or not data.email:
        return None
    email = _fit(Customer, "email", data.email)
    Customer.objects.bulk_create(
        [Customer(account=account, email=email)], ignore_conflicts=True
    )
    customer = Customer.objects.get(account=account, email=email)

    changed = []
    for field in ("name", "phone", "company"):
        value = _fit(Customer, field, getattr(data, field))
        if value and (overwrite or not getattr(customer, field)):
            if getattr(customer, field) != value:
                setattr(customer, field, value)
                changed.append(field)
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def _bookings_locked(
    *, account: Account, provider: str, external_ids: set[str]
) -> dict[str, Booking]:
    """Create any missing bookings, then lock them all in a fixed order."""
    ids = sorted(external_id for external_id in external_ids if external_id)
    Booking.objects.bulk_create(
        [
            Booking(account=account, provider=provider, external_id=external_id)
            for external_id in ids
        ],
        ignore_conflicts=True,
    )
    locked = (
        Booking.objects.select_for_update()
        .filter(account=account, provider=provider, external_id__in=ids)
        .order_by("external_id")
    )
    return {booking.external_id: booking for booking in locked}


def _booking_update(
    *,
    booking: Booking,
    event: base.BookingEvent,
    customer: Customer | None,
    applied: bool,
) -> None:
    data = event.booking
    values = {field: getattr(data, field) for field in _BOOKING_FIELDS}
    values.update(
        owner_id=data.owner.id,
        owner_name=data.owner.name,
        page_id=data.page.id,
        page_name=data.page.name,
        event_type_id=data.event_type.id,
        event_type_name=data.event_type.name,
        guests=list(data.guests),
        custom_fields=[
            {"name": name, "value": value} for name, value in data.custom_fields
        ],
        payment=dict(data.payment) if data.payment else None,
    )
    for field, value in values.items():
        if isinstance(value, str):
            value = _fit(Booking, field, value)
        # A newer event replaces what it sends; an older one only fills gaps.
        # Neither erases a value with an empty one: OnceHub leaves out the
        # form of a booking an admin rescheduled, for instance.
        if value in (None, "", [], {}):
            continue
        if applied or getattr(booking, field) in (None, "", [], {}):
            setattr(booking, field, value)
    if customer is not None and (applied or booking.customer_id is None):
        booking.customer = customer

    if applied:
        booking.status = _status_after(booking=booking, event=event)
        # Events that name only the booking (a no-show mark) keep what the
        # fuller events before them said.
        if data.provider_status:
            booking.provider_status = _fit(
                Booking, "provider_status", data.provider_status
            )
        if data.provider_data:
            booking.provider_data = dict(data.provider_data)
        booking.state_at = event.occurred_at
    elif not booking.provider_data:
        booking.provider_data = dict(data.provider_data)


def _status_after(*, booking: Booking, event: base.BookingEvent) -> str:
    """The state an applied event leaves the booking in."""
    if event.kind != base.EventKind.NO_SHOW_UNDONE:
        return event.status
    if booking.status != base.BookingStatus.NO_SHOW:
        # Only a no-show can be taken back; a canceled booking stays so.
        return booking.status
    # Back to what the booking was before the mark: held, or still to come.
    end = booking.ends_at or booking.starts_at
    if end is not None and end <= event.occurred_at:
        return base.BookingStatus.COMPLETED
    return base.BookingStatus.SCHEDULED


def _replaced_update(*, replaced: Booking, event: base.BookingEvent) -> None:
    if replaced.state_at is None or event.occurred_at >= replaced.state_at:
        replaced.status = event.replaced_status
        replaced.state_at = event.occurred_at
        replaced.save(update_fields=["status", "state_at", "updated_at"])


def _details(*, booking: Booking, event: base.BookingEvent) -> dict:
    """Describe what the event changes, as the booking stood before it."""
    data = event.booking
    details: dict = {}
    if data.starts_at:
        details["starts_at"] = data.starts_at.isoformat()
    if (
        event.kind == base.EventKind.RESCHEDULED
        and booking.starts_at
        and booking.starts_at != data.starts_at
    ):
        details["previous_starts_at"] = booking.starts_at.isoformat()
    if event.kind in (
        base.EventKind.CANCELED,
        base.EventKind.RESCHEDULE_REQUESTED,
        base.EventKind.RESCHEDULED,
        base.EventKind.REPLACED,
    ):
        if data.cancel_reason:
            details["reason"] = data.cancel_reason
        if data.actioned_by:
            details["actioned_by"] = data.actioned_by
    if event.kind == base.EventKind.REASSIGNED:
        details["owner"] = data.owner.name or data.owner.id
        previous = booking.owner_name or booking.owner_id
        if previous:
            details["previous_owner"] = previous
    return details


def _fit(model, field: str, value: str) -> str:
    """Cut ``value`` to the column's length rather than fail the whole event."""
    max_length = model._meta.get_field(field).max_length
    return value[:max_length] if max_length else value
