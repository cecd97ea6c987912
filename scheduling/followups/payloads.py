"""The documented JSON payload of a follow-up, version 1.

Shape (Standard Webhooks' recommended envelope)::

    {"type": "booking.<kind>", "timestamp": "<ISO 8601 UTC>", "version": 1,
     "data": {"event": {...}, "booking": {...}, "customer": {...} | null}}

``<kind>`` is one of scheduled, rescheduled, reassigned, canceled,
reschedule_requested, completed, no_show, no_show_undone. The payload is taken when the
event is logged and sent unchanged on every try.
"""

from __future__ import annotations

import datetime as dt

PAYLOAD_VERSION = 1


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def payload_for_event(*, event, booking, kind: str) -> dict:
    """The payload describing ``event`` as a follow-up of ``kind``."""
    customer = booking.customer
    return {
        "type": f"booking.{kind}",
        "timestamp": _iso(event.occurred_at),
        "version": PAYLOAD_VERSION,
        "data": {
            "event": {
                "id": event.pk,
                "kind": kind,
                "provider": event.provider,
                "provider_type": event.provider_type,
                "occurred_at": _iso(event.occurred_at),
                "details": event.details,
            },
            "booking": {
                "id": booking.pk,
                "provider": booking.provider,
                "external_id": booking.external_id,
                "status": booking.status,
                "subject": booking.subject,
                "starts_at": _iso(booking.starts_at),
                "ends_at": _iso(booking.ends_at),
                "duration_minutes": booking.duration_minutes,
                "time_zone": booking.time_zone,
                "location": booking.location,
                "join_url": booking.join_url,
                "reschedule_url": booking.reschedule_url,
                "cancel_url": booking.cancel_url,
                "cancel_reason": booking.cancel_reason,
                "owner": {"id": booking.owner_id, "name": booking.owner_name},
                "page": {"id": booking.page_id, "name": booking.page_name},
                "event_type": {
                    "id": booking.event_type_id,
                    "name": booking.event_type_name,
                },
                "replaces": booking.replaces.external_id if booking.replaces else None,
            },
            "customer": (
                {
                    "email": customer.email,
                    "name": customer.name,
                    "phone": customer.phone,
                    "company": customer.company,
                }
                if customer
                else None
            ),
        },
    }


def sample_payload(*, account) -> dict:
    """A made-up booking for "send a test event": no real customer's data."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    return {
        "type": "booking.scheduled",
        "timestamp": _iso(dt.datetime.now(dt.UTC).replace(microsecond=0)),
        "version": PAYLOAD_VERSION,
        "test": True,
        "data": {
            "event": {
                "id": None,
                "kind": "scheduled",
                "provider": "test",
                "provider_type": "test",
                "occurred_at": _iso(dt.datetime.now(dt.UTC)),
                "details": {},
            },
            "booking": {
                "id": None,
                "provider": "test",
                "external_id": "TEST-BOOKING",
                "status": "scheduled",
                "subject": f"Test booking for {account.name}",
                "starts_at": _iso(start),
                "ends_at": _iso(start + dt.timedelta(minutes=30)),
                "duration_minutes": 30,
                "time_zone": account.time_zone,
                "location": "",
                "join_url": "",
                "reschedule_url": "",
                "cancel_url": "",
                "cancel_reason": "",
                "owner": {"id": "", "name": ""},
                "page": {"id": "", "name": ""},
                "event_type": {"id": "", "name": ""},
                "replaces": None,
            },
            "customer": {
                "email": "test.customer@example.com",
                "name": "Test Customer",
                "phone": "",
                "company": "",
            },
        },
    }
