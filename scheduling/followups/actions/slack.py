"""A readable message in a Slack channel through an incoming webhook.

Slack answers ``ok`` with 200, and a plain-text reason otherwise
(``invalid_payload`` 400, ``invalid_token`` 403, ``no_service`` 404,
``channel_is_archived`` 410).
"""

from __future__ import annotations

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
    local_start,
    outcome_for,
)


def slack_text(job: Job) -> str:
    booking = job.booking
    customer = job.customer or {}
    who = customer.get("name") or customer.get("email") or "someone"
    if customer.get("name") and customer.get("email"):
        who = f"{customer['name']} <mailto:{customer['email']}|{customer['email']}>"
    label = KIND_LABELS.get(job.kind, job.kind)
    lines = [
        f"*{label}*: {booking.get('subject') or 'booking'} with {who}",
        f"When: {local_start(job)}",
    ]
    if booking.get("owner", {}).get("name"):
        lines.append(f"Host: {booking['owner']['name']}")
    reason = job.payload["data"]["event"]["details"].get("reason")
    if reason:
        lines.append(f"Reason: {reason}")
    return "\n".join(lines)


class SlackAction(BaseAction):
    credential_fields = ("webhook_url",)
    setting_fields = {}

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        settings = super().clean(settings=settings, credentials=credentials)
        url = credentials.get("webhook_url", "")
        if not url:
            raise ValidationError(
                "Slack needs the incoming webhook URL (credential webhook_url)."
            )
        check_url(url, label="webhook_url")
        return settings

    def perform(self, job: Job) -> Outcome:
        body = json_body({"text": slack_text(job)})
        exchange = outbound.send(
            method="POST",
            url=job.credentials["webhook_url"],
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            body=body,
        )
        return outcome_for(exchange, [exchange])
