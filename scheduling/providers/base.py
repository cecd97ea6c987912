"""The provider-neutral shape every scheduler's webhook is parsed into.

A provider module turns the exact bytes of a delivery into a ``BookingEvent``
below and knows nothing of the database; the models and services know nothing
of any provider's field names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any


class PayloadError(ValueError):
    """The body can never be processed: invalid UTF-8, JSON or structure.

    A retry by the provider would send the same bytes, so such a delivery is
    accepted, stored and marked failed rather than refused.
    """


class SignatureError(Exception):
    """The delivery's signature is missing, malformed, stale or wrong."""


class EventKind:
    """Lifecycle steps, whatever a provider calls them."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    REASSIGNED = "reassigned"
    CANCELED = "canceled"
    RESCHEDULE_REQUESTED = "reschedule_requested"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    # The booking was given up for a new one at another time. The new
    # booking's own event is the ``RESCHEDULED`` one; this step only closes
    # the old booking, so nothing should treat it as a cancellation.
    REPLACED = "replaced"
    # A no-show mark was taken back.
    NO_SHOW_UNDONE = "no_show_undone"

    choices = [
        (SCHEDULED, "Scheduled"),
        (RESCHEDULED, "Rescheduled"),
        (REASSIGNED, "Reassigned"),
        (CANCELED, "Canceled"),
        (RESCHEDULE_REQUESTED, "Reschedule requested"),
        (COMPLETED, "Completed"),
        (NO_SHOW, "No-show"),
        (REPLACED, "Replaced by a new booking"),
        (NO_SHOW_UNDONE, "No-show taken back"),
    ]


class BookingStatus:
    """A booking's normalized state, kept beside the provider's own."""

    SCHEDULED = "scheduled"
    # Replaced by another booking at a new time.
    RESCHEDULED = "rescheduled"
    # Canceled by the host, who asked the customer to pick a new time.
    RESCHEDULE_REQUESTED = "reschedule_requested"
    CANCELED = "canceled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"

    choices = [
        (SCHEDULED, "Scheduled"),
        (RESCHEDULED, "Rescheduled"),
        (RESCHEDULE_REQUESTED, "Reschedule requested"),
        (CANCELED, "Canceled"),
        (COMPLETED, "Completed"),
        (NO_SHOW, "No-show"),
    ]


@dataclasses.dataclass(frozen=True)
class Reference:
    """Something the provider names by id, with a display name if it sent one."""

    id: str = ""
    name: str = ""

    def __bool__(self) -> bool:
        return bool(self.id or self.name)


@dataclasses.dataclass(frozen=True)
class Customer:
    email: str = ""
    name: str = ""
    phone: str = ""
    company: str = ""


@dataclasses.dataclass(frozen=True)
class Booking:
    """A booking as one event describes it. Empty strings mean "not sent"."""

    external_id: str
    provider_status: str = ""
    subject: str = ""
    starts_at: dt.datetime | None = None
    duration_minutes: int | None = None
    time_zone: str = ""
    booked_at: dt.datetime | None = None
    owner: Reference = Reference()
    page: Reference = Reference()
    event_type: Reference = Reference()
    location: str = ""
    join_url: str = ""
    cancel_url: str = ""
    reschedule_url: str = ""
    cancel_reason: str = ""
    # "customer" or "user" when the provider says who canceled or rescheduled.
    actioned_by: str = ""
    customer: Customer | None = None
    note: str = ""
    guests: tuple[str, ...] = ()
    custom_fields: tuple[tuple[str, str], ...] = ()
    payment: Mapping[str, Any] | None = None
    provider_data: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ends_at(self) -> dt.datetime | None:
        if self.starts_at is None or self.duration_minutes is None:
            return None
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


@dataclasses.dataclass(frozen=True)
class BookingEvent:
    """One lifecycle event of one booking, ready to be applied."""

    provider: str
    # Identifies the event for deduplication: the same event delivered twice
    # carries the same key.
    key: str
    provider_type: str
    kind: str
    # When the provider says the change happened; orders events of a booking.
    occurred_at: dt.datetime
    booking: Booking
    # The state the booking in ``booking`` is left in. Empty for
    # ``NO_SHOW_UNDONE``: the state it returns to depends on the booking's
    # time, which the event may not carry.
    status: str
    # The booking this one replaces (a reschedule that made a new booking),
    # and the state that earlier booking is left in.
    replaces_external_id: str = ""
    replaced_status: str = ""
    # The booking that replaces this one, for a provider that reports the
    # end of the old booking as an event of its own that names the new one.
    replaced_by_external_id: str = ""
    # When the replaced booking started, for a provider that says so in the
    # reschedule itself: its own events may not have arrived yet.
    replaced_starts_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Ignored:
    """A well-formed delivery that carries no booking event (e.g. a chatbot event)."""

    provider_type: str
    key: str = ""
    reason: str = ""


# Limits every parsed event must keep, whatever the provider: values beyond
# them cannot be stored (column sizes, PostgreSQL's text rules) or describe
# no real meeting, and the same body would fail the same way on every try.
MAX_ID_LENGTH = 200
MAX_DURATION_MINUTES = 14 * 24 * 60
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


def validate(event: BookingEvent) -> None:
    """Raise ``PayloadError`` if ``event`` holds values no booking can keep."""
    booking = event.booking
    for name, value in (
        ("event key", event.key),
        ("booking id", booking.external_id),
        ("replaced booking id", event.replaces_external_id),
        ("replacing booking id", event.replaced_by_external_id),
    ):
        if len(value) > MAX_ID_LENGTH:
            raise PayloadError(f"{name} is longer than {MAX_ID_LENGTH} characters")

    duration = booking.duration_minutes
    if duration is not None and duration > MAX_DURATION_MINUTES:
        raise PayloadError(f"a duration of {duration} minutes is no meeting length")
    for name, moment in (
        ("start", booking.starts_at),
        ("event time", event.occurred_at),
        ("booking time", booking.booked_at),
        ("replaced start", event.replaced_starts_at),
    ):
        if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise PayloadError(f"the {name} {moment.isoformat()} is out of range")

    strings = [value for value in vars(booking).values() if isinstance(value, str)]
    _check_text([strings, booking.provider_data, booking.custom_fields])


def _check_text(value: Any) -> None:
    # Iterative, because provider data may nest as deep as JSON allows.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise PayloadError("the body holds a NUL character")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise PayloadError("the body holds an unpaired surrogate") from None
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
