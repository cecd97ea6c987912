"""Zendesk: the customer as an end user, created or updated by email.

``POST /api/v2/users/create_or_update`` answers 201 when it made the user
and 200 when it updated one. It authenticates an agent's email with
``/token`` and an API token over Basic auth; errors are JSON with
``error`` and ``description`` (and ``details`` for invalid records).
"""

from __future__ import annotations

import json

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


class ZendeskAction(BaseAction):
    credential_fields = ("api_token",)
    setting_fields = {
        "base_url": "Your Zendesk URL, e.g. https://yourcompany.zendesk.com.",
        "agent_email": "The email of the agent the API token belongs to.",
    }

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        settings = super().clean(settings=settings, credentials=credentials)
        base = require(
            settings,
            "base_url",
            'Zendesk needs "base_url", your account\'s URL such as '
            "https://yourcompany.zendesk.com.",
        )
        agent = require(
            settings, "agent_email", 'Zendesk needs "agent_email", the token\'s agent.'
        )
        if not credentials.get("api_token"):
            raise ValidationError("Zendesk needs an API token (credential api_token).")
        return {"base_url": check_url(base, label="base_url"), "agent_email": agent}

    def perform(self, job: Job) -> Outcome:
        customer = job.customer or {}
        if not customer.get("email"):
            return Outcome("stop", error="the booking has no customer email")
        user = {
            "email": customer["email"],
            "name": customer.get("name") or customer["email"],
            "role": "end-user",
        }
        if customer.get("phone"):
            user["phone"] = customer["phone"]
        exchange = outbound.send(
            method="POST",
            url=f"{job.settings['base_url']}/api/v2/users/create_or_update",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            auth=(f"{job.settings['agent_email']}/token", job.credentials["api_token"]),
            body=json_body({"user": user}),
        )
        outcome = outcome_for(exchange, [exchange])
        if outcome.result == "ok":
            outcome.remote_ref = str(json.loads(exchange.body)["user"]["id"])
        return outcome
