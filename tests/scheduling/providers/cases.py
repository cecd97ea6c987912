"""What the shared provider tests need to know about each provider.

A new provider adds one ``ProviderCase`` here (and its module); every test in
``test_shared.py`` then runs for it too.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from types import ModuleType

from scheduling import providers
from tests.conftest import SAMPLE_SECRET, fixture_bytes


def _drop(*path: str) -> Callable[[dict], dict]:
    """Return an editor that removes one field, found by its path."""

    def edit(data: dict) -> dict:
        holder = data
        for key in path[:-1]:
            holder = holder[key]
        del holder[path[-1]]
        return data

    return edit


@dataclasses.dataclass(frozen=True)
class ProviderCase:
    name: str
    secret: str
    # A booking's first event and a later event of the same booking.
    first: str
    later: str
    # The state the later event leaves the booking in, and the booking's id.
    later_status: str
    external_id: str
    # The sample body whose documented signature is ``documented_headers``,
    # with the time it was made (``None`` when the signature has no time).
    documented_body: str
    documented_headers: dict[str, str]
    documented_at: int | None
    # Removes the field that names the booking.
    drop_booking_id: Callable[[dict], dict]
    # The field holding the event's name, for an event that is not a booking's.
    event_field: str
    other_event: str

    @property
    def module(self) -> ModuleType:
        return providers.get(self.name)

    @property
    def has_timestamp(self) -> bool:
        return self.documented_at is not None

    def headers(self, body: bytes, *, secret: str = "", timestamp=None) -> dict:
        """Headers signed as the provider signs, for the Django test client."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return self.module.signature_headers(
            secret=secret or self.secret, body=body, timestamp=stamp
        )

    def body(self, name: str) -> bytes:
        return fixture_bytes(name)

    def edited(self, name: str, edit: Callable[[dict], dict]) -> bytes:
        return json.dumps(edit(json.loads(fixture_bytes(name)))).encode()


CALENDLY_KEY = "test-calendly-signing-key-NOT-A-REAL-SECRET"
CALCOM_SECRET = "test-calcom-webhook-secret-NOT-A-REAL-SECRET"

CASES = [
    ProviderCase(
        name="oncehub",
        secret=SAMPLE_SECRET,
        first="oncehub/booking_scheduled.json",
        later="oncehub/booking_completed.json",
        later_status="completed",
        external_id="BKNG-Q4T8ZK2M7W1C",
        documented_body="oncehub/booking_scheduled.json",
        documented_headers={
            "Oncehub-Signature": "t=1772460312,s=66a8d3a0441075481038b0d9e6b3a992"
            "0895f7392762017251aa6df3d5418c37"
        },
        documented_at=1772460312,
        drop_booking_id=lambda data: _drop("data", "tracking_id")(
            _drop("data", "id")(data)
        ),
        event_field="type",
        other_event="conversation.started",
    ),
    ProviderCase(
        name="calendly",
        secret=CALENDLY_KEY,
        first="calendly/calendly_invitee_created.json",
        later="calendly/invitee_canceled.json",
        later_status="canceled",
        external_id=(
            "https://api.calendly.com/scheduled_events/f7ed97ed-7fd3-40fe-8476-"
            "43196093e68f/invitees/170f88b3-05ce-4ef9-9bd3-2c919dead61f"
        ),
        documented_body="calendly/calendly_invitee_created.json",
        documented_headers={
            "Calendly-Webhook-Signature": "t=1794232968,v1=ffb4d1da17648e4caee928"
            "ffc5db956bda88ef7677e0b19f0d7fc7893d0950c1"
        },
        documented_at=1794232968,
        drop_booking_id=_drop("payload", "uri"),
        event_field="event",
        other_event="routing_form_submission.created",
    ),
    ProviderCase(
        name="calcom",
        secret=CALCOM_SECRET,
        first="calcom/calcom_booking_created.json",
        later="calcom/booking_cancelled.json",
        later_status="canceled",
        external_id="5iyX7nnFAr0ocLsXFOttoa",
        documented_body="calcom/calcom_booking_created.json",
        documented_headers={
            "X-Cal-Signature-256": "104d8097e73a53226bc5b2f101f80c51fe5820bd0fd04f"
            "0c9a9cf3081f8ab7e6"
        },
        documented_at=None,
        drop_booking_id=_drop("payload", "uid"),
        event_field="triggerEvent",
        other_event="RECORDING_READY",
    ),
]
