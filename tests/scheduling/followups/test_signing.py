"""Standard Webhooks signatures, checked against the scheme's worked example."""

import datetime as dt

from standardwebhooks import Webhook

from scheduling.followups.actions.webhook import new_webhook_secret, signature_headers

SECRET = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
BODY = (
    b'{"type":"booking.created","timestamp":"2026-11-10T10:23:20Z","data":'
    b'{"booking_id":"bk_7Qm2","source":"calcom","email":"tomasz.nowak@example.com"}}'
)


def test_worked_example_signs_to_the_published_signature():
    headers = signature_headers(
        secrets_=[SECRET],
        webhook_id="msg_01JCX9R4W8K2T6V3B5N7M0P1QZ",
        moment=dt.datetime.fromtimestamp(1794229400, dt.UTC),
        body=BODY,
    )
    assert headers == {
        "webhook-id": "msg_01JCX9R4W8K2T6V3B5N7M0P1QZ",
        "webhook-timestamp": "1794229400",
        "webhook-signature": "v1,iPocvJzEHq60to6N39aWH76p4U01xBnIG2MudgCxh8s=",
    }


def test_during_rotation_either_secret_verifies():
    old, new = new_webhook_secret(), new_webhook_secret()
    headers = signature_headers(
        secrets_=[new, old],
        webhook_id="msg_rotation",
        moment=dt.datetime.now(dt.UTC),
        body=BODY,
    )
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers)["type"] == "booking.created"


def test_new_secrets_are_32_random_bytes_with_the_prefix():
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert secret != new_webhook_secret()
    assert len(Webhook(secret)._whsecret) == 32
