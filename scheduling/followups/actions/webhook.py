"""A signed POST of the payload to any URL, as Standard Webhooks describes.

``webhook-id`` is the delivery's message id, the same on every try;
``webhook-timestamp`` is the time of this try. During a secret rotation the
body is signed with both secrets, so a receiver holding either accepts it.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from standardwebhooks import Webhook

from .. import outbound
from .base import (
    USER_AGENT,
    BaseAction,
    Job,
    Outcome,
    check_url,
    json_body,
    outcome_for,
)


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_headers(
    *, secrets_: list[str], webhook_id: str, moment: dt.datetime, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` signed now."""
    text = body.decode()
    signatures = [
        Webhook(secret).sign(msg_id=webhook_id, timestamp=moment, data=text)
        for secret in secrets_
    ]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


class WebhookAction(BaseAction):
    credential_fields = ("secret", "previous_secret")
    setting_fields = {"url": "The URL that receives the signed POST."}

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        settings = super().clean(settings=settings, credentials=credentials)
        url = str(settings.get("url") or "").strip()
        if not url:
            raise ValidationError('A webhook needs "url": where to POST the event.')
        return {"url": check_url(url, label="url")}

    def perform(self, job: Job) -> Outcome:
        body = json_body(job.payload)
        keys = [job.credentials["secret"]]
        if job.previous_secret_valid and job.credentials.get("previous_secret"):
            keys.append(job.credentials["previous_secret"])
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signature_headers(
                secrets_=keys,
                webhook_id=job.webhook_id,
                moment=dt.datetime.now(dt.UTC),
                body=body,
            ),
        }
        exchange = outbound.send(
            method="POST", url=job.settings["url"], headers=headers, body=body
        )
        return outcome_for(exchange, [exchange])
