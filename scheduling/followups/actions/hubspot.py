"""HubSpot: the customer as a contact (by email), the booking as a meeting.

The contact is upserted with ``POST /crm/v3/objects/contacts/batch/upsert``
keyed on ``email``. The first follow-up of a booking creates a meeting
associated with the contact (``POST /crm/v3/objects/meetings``, association
type 200); later ones, and those of the booking it was rescheduled into,
update that meeting's ``hs_meeting_outcome`` with ``PATCH``. Errors come
back as JSON with ``status``, ``message``, ``correlationId`` and
``category``.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError

from .. import outbound
from .base import (
    KIND_LABELS,
    USER_AGENT,
    BaseAction,
    Job,
    Outcome,
    check_url,
    json_body,
    outcome_for,
)

DEFAULT_BASE_URL = "https://api.hubapi.com"
# HubSpot's own meeting outcomes, by follow-up kind.
OUTCOMES = {
    "scheduled": "SCHEDULED",
    "reassigned": "SCHEDULED",
    "rescheduled": "RESCHEDULED",
    "reschedule_requested": "RESCHEDULED",
    "canceled": "CANCELED",
    "completed": "COMPLETED",
    "no_show": "NO_SHOW",
    "no_show_undone": "COMPLETED",
}
MEETING_TO_CONTACT = 200


def _ms(iso: str | None) -> str | None:
    if not iso:
        return None
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return str(int(moment.timestamp() * 1000))


class HubSpotAction(BaseAction):
    credential_fields = ("access_token",)
    setting_fields = {"base_url": f"API base URL (default {DEFAULT_BASE_URL})."}

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        settings = super().clean(settings=settings, credentials=credentials)
        if not credentials.get("access_token"):
            raise ValidationError(
                "HubSpot needs a private app access token (credential access_token) "
                "with the crm.objects.contacts.write scope."
            )
        if settings.get("base_url"):
            settings["base_url"] = check_url(settings["base_url"], label="base_url")
        return settings

    def perform(self, job: Job) -> Outcome:
        customer = job.customer or {}
        if not customer.get("email"):
            return Outcome("stop", error="the booking has no customer email")
        base = job.settings.get("base_url") or DEFAULT_BASE_URL
        headers = {
            "Authorization": f"Bearer {job.credentials['access_token']}",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        exchanges = []

        first, _, last = (customer.get("name") or "").partition(" ")
        contact = {"email": customer["email"], "firstname": first, "lastname": last}
        if customer.get("phone"):
            contact["phone"] = customer["phone"]
        if customer.get("company"):
            contact["company"] = customer["company"]
        exchange = outbound.send(
            method="POST",
            url=f"{base}/crm/v3/objects/contacts/batch/upsert",
            headers=headers,
            body=json_body(
                {
                    "inputs": [
                        {
                            "idProperty": "email",
                            "id": customer["email"],
                            "properties": contact,
                        }
                    ]
                }
            ),
        )
        exchanges.append(exchange)
        outcome = outcome_for(exchange, exchanges)
        if outcome.result != "ok":
            return outcome
        contact_id = json.loads(exchange.body)["results"][0]["id"]

        booking = job.booking
        properties = {
            "hs_timestamp": _ms(booking["starts_at"]) or _ms(job.payload["timestamp"]),
            "hs_meeting_title": booking["subject"] or "Booking",
            "hs_meeting_outcome": OUTCOMES.get(job.kind, "SCHEDULED"),
            "hs_meeting_body": KIND_LABELS.get(job.kind, job.kind),
        }
        if booking["starts_at"]:
            properties["hs_meeting_start_time"] = _ms(booking["starts_at"])
        if booking["ends_at"]:
            properties["hs_meeting_end_time"] = _ms(booking["ends_at"])
        if booking["location"]:
            properties["hs_meeting_location"] = booking["location"]
        if job.previous_remote_ref:
            # Limitation: a meeting deleted in HubSpot answers 404 here, which
            # stops the delivery; it is not created again.
            exchange = outbound.send(
                method="PATCH",
                url=f"{base}/crm/v3/objects/meetings/{job.previous_remote_ref}",
                headers=headers,
                body=json_body({"properties": properties}),
            )
        else:
            association = {
                "to": {"id": contact_id},
                "types": [
                    {
                        "associationCategory": "HUBSPOT_DEFINED",
                        "associationTypeId": MEETING_TO_CONTACT,
                    }
                ],
            }
            exchange = outbound.send(
                method="POST",
                url=f"{base}/crm/v3/objects/meetings",
                headers=headers,
                body=json_body(
                    {"properties": properties, "associations": [association]}
                ),
            )
        exchanges.append(exchange)
        outcome = outcome_for(exchange, exchanges)
        if outcome.result == "ok":
            outcome.remote_ref = str(json.loads(exchange.body)["id"])
        return outcome
