"""Mailchimp: the customer as a list member, tagged with what happened.

The member is upserted with ``PUT /3.0/lists/{list}/members/{hash}`` where
the hash is the MD5 of the lowercased email, then tagged with ``POST
.../members/{hash}/tags`` (204). Tags are what start a Mailchimp journey.
An API key ends in its data centre (``-us6``), which names the API host.
Errors are ``application/problem+json`` with ``title``, ``status`` and
``detail``.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError

from .. import outbound
from .base import (
    USER_AGENT,
    BaseAction,
    Job,
    Outcome,
    check_url,
    json_body,
    outcome_for,
    require,
)


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def tag_for(*, prefix: str, kind: str) -> str:
    return f"{prefix}{kind.replace('_', '-')}"


class MailchimpAction(BaseAction):
    credential_fields = ("api_key",)
    setting_fields = {
        "list_id": "The audience (list) id.",
        "tag_prefix": 'Put before each tag (default "booking-": booking-no-show).',
        "base_url": "API base URL (default from the API key's data centre).",
    }

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        settings = super().clean(settings=settings, credentials=credentials)
        require(settings, "list_id", 'Mailchimp needs "list_id", the audience id.')
        key = credentials.get("api_key", "")
        if not key:
            raise ValidationError("Mailchimp needs an API key (credential api_key).")
        if settings.get("base_url"):
            settings["base_url"] = check_url(settings["base_url"], label="base_url")
        elif "-" not in key:
            raise ValidationError(
                "A Mailchimp API key ends in its data centre, like …-us6; "
                'this one does not, so set "base_url".'
            )
        return settings

    def perform(self, job: Job) -> Outcome:
        customer = job.customer or {}
        if not customer.get("email"):
            return Outcome("stop", error="the booking has no customer email")
        key = job.credentials["api_key"]
        base = job.settings.get("base_url") or (
            f"https://{key.rsplit('-', 1)[-1]}.api.mailchimp.com"
        )
        member_url = (
            f"{base}/3.0/lists/{job.settings['list_id']}/members/"
            f"{subscriber_hash(customer['email'])}"
        )
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        auth = ("bookingsync", key)
        exchanges = []

        first, _, last = (customer.get("name") or "").partition(" ")
        exchange = outbound.send(
            method="PUT",
            url=member_url,
            headers=headers,
            auth=auth,
            body=json_body(
                {
                    "email_address": customer["email"],
                    "status_if_new": "subscribed",
                    "merge_fields": {"FNAME": first, "LNAME": last},
                }
            ),
        )
        exchanges.append(exchange)
        outcome = outcome_for(exchange, exchanges)
        if outcome.result != "ok":
            return outcome

        tag = tag_for(prefix=job.settings.get("tag_prefix", "booking-"), kind=job.kind)
        exchange = outbound.send(
            method="POST",
            url=f"{member_url}/tags",
            headers=headers,
            auth=auth,
            body=json_body({"tags": [{"name": tag, "status": "active"}]}),
        )
        exchanges.append(exchange)
        return outcome_for(exchange, exchanges)
