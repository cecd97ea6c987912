"""The webhook endpoint: what it answers and what it stores, for every input."""

import time

import pytest
from django.test import Client, override_settings

from scheduling.models import WebhookDelivery
from scheduling.providers import oncehub
from tests.conftest import SAMPLE_SECRET, fixture_bytes, signed_headers

Status = WebhookDelivery.Status
SCHEDULED = fixture_bytes("oncehub/booking_scheduled.json")


def only_delivery():
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


def test_signed_delivery_is_stored_exactly_and_queued_after_commit(
    post_webhook, endpoint, broker_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_webhook(SCHEDULED, REMOTE_ADDR="203.0.113.9")
        # Nothing is published while the row could still roll back.
        assert broker_queue.drain() == []
    for callback in callbacks:
        callback()

    assert response.status_code == 202
    delivery = only_delivery()
    assert response.json() == {"status": "accepted", "delivery": delivery.pk}
    assert bytes(delivery.body) == SCHEDULED
    assert delivery.body_size == len(SCHEDULED)
    assert delivery.status == Status.RECEIVED
    assert delivery.endpoint == endpoint
    assert delivery.remote_addr == "203.0.113.9"
    assert delivery.headers["Oncehub-Signature"].startswith("t=")
    assert broker_queue.drain() == [
        ("scheduling.tasks.process_webhook_delivery", (delivery.pk,))
    ]


def test_missing_signature_is_401_and_kept(post_webhook):
    response = post_webhook(SCHEDULED, sign=False)

    assert response.status_code == 401
    assert "missing Oncehub-Signature" in response.json()["error"]
    delivery = only_delivery()
    assert delivery.status == Status.REJECTED
    assert delivery.response_status == 401
    assert bytes(delivery.body) == SCHEDULED


def test_wrong_secret_is_401(post_webhook):
    headers = signed_headers(SCHEDULED, secret="not-the-secret")
    response = post_webhook(SCHEDULED, sign=False, headers=headers)

    assert response.status_code == 401
    assert "does not match" in only_delivery().error


def test_a_retry_signed_hours_ago_is_accepted(post_webhook):
    # OnceHub retries for about three days; a retry may keep its first stamp.
    stamp = int(time.time()) - 30 * 3600
    response = post_webhook(
        SCHEDULED, sign=False, headers=signed_headers(SCHEDULED, timestamp=stamp)
    )

    assert response.status_code == 202


def test_a_signature_older_than_the_retry_window_is_refused(post_webhook):
    # The sample's own signature dates from March 2026.
    header = (
        "t=1772460312,"
        "s=66a8d3a0441075481038b0d9e6b3a9920895f7392762017251aa6df3d5418c37"
    )
    response = post_webhook(
        SCHEDULED, sign=False, headers={"HTTP_ONCEHUB_SIGNATURE": header}
    )

    assert response.status_code == 401
    assert "old" in response.json()["error"]


def test_non_ascii_body_with_odd_spacing_verifies_over_raw_bytes(post_webhook):
    body = fixture_bytes("oncehub/booking_scheduled_non_ascii.json")
    response = post_webhook(body, content_type="application/json; charset=utf-8")

    assert response.status_code == 202
    assert bytes(only_delivery().body) == body


def test_rotated_secret_is_accepted_during_the_grace_period(post_webhook, endpoint):
    from scheduling.accounts import endpoint_rotate_secret

    new_secret = endpoint_rotate_secret(endpoint=endpoint)
    old = post_webhook(SCHEDULED)
    new = post_webhook(
        SCHEDULED, sign=False, headers=signed_headers(SCHEDULED, secret=new_secret)
    )

    assert (old.status_code, new.status_code) == (202, 202)


@override_settings(WEBHOOK_SECRET_GRACE_SECONDS=0)
def test_rotated_secret_is_refused_after_the_grace_period(post_webhook, endpoint):
    from scheduling.accounts import endpoint_rotate_secret

    endpoint_rotate_secret(endpoint=endpoint)

    assert post_webhook(SCHEDULED).status_code == 401


def test_unsigned_delivery_needs_the_endpoint_to_allow_it(post_webhook, endpoint):
    body = fixture_bytes("oncehub/booking_v1_scheduled.json")
    assert post_webhook(body, sign=False).status_code == 401

    endpoint.allow_unsigned = True
    endpoint.save()
    assert post_webhook(body, sign=False).status_code == 202
    # A signature that is present is still checked.
    bad = {"HTTP_ONCEHUB_SIGNATURE": f"t={int(time.time())},s={'0' * 64}"}
    assert post_webhook(body, sign=False, headers=bad).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/webhooks/oncehub/not-a-token/",
        "/webhooks/calendly/not-a-token/",
        "/webhooks/oncehub/not-a-token",
    ],
)
def test_unknown_endpoint_is_404_never_410(client, db, url):
    response = client.post(url, data=SCHEDULED, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"error": "unknown webhook endpoint"}
    delivery = only_delivery()
    assert delivery.endpoint is None
    assert delivery.status == Status.REJECTED
    assert bytes(delivery.body) == SCHEDULED


def test_inactive_endpoint_is_404(post_webhook, endpoint):
    endpoint.is_active = False
    endpoint.save()

    assert post_webhook(SCHEDULED).status_code == 404


def test_endpoint_of_another_provider_is_404(client, endpoint):
    url = f"/webhooks/calcom/{endpoint.token}/"
    response = client.post(url, data=SCHEDULED, content_type="application/json")

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_wrong_method_is_405(client, endpoint, method):
    response = getattr(client, method)(endpoint.get_absolute_url())

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert only_delivery().response_status == 405


def test_no_trailing_slash_is_not_redirected(post_webhook, client, endpoint):
    url = endpoint.get_absolute_url().rstrip("/")
    response = client.post(
        url,
        data=SCHEDULED,
        content_type="application/json",
        **signed_headers(SCHEDULED),
    )

    assert response.status_code == 202


@override_settings(WEBHOOK_MAX_BODY_BYTES=4096, WEBHOOK_REJECTED_BODY_CAP=100)
def test_oversized_body_is_413_and_kept_within_the_cap(post_webhook):
    body = b'{"padding": "' + b"x" * 10_000 + b'"}'
    response = post_webhook(body)

    assert response.status_code == 413
    assert "10015 bytes is over the limit of 4096" in response.json()["error"]
    delivery = only_delivery()
    assert delivery.body_size == len(body)
    assert bytes(delivery.body) == body[:100]
    assert delivery.body_truncated


def test_invalid_utf8_with_valid_signature_is_accepted_and_fails(
    post_webhook, django_capture_on_commit_callbacks
):
    from scheduling.deliveries import delivery_process

    body = SCHEDULED.replace(b"Dana", b"D\xe1na")
    response = post_webhook(body)
    assert response.status_code == 202

    delivery = only_delivery()
    assert delivery_process(delivery_id=delivery.pk) == Status.FAILED
    delivery.refresh_from_db()
    assert "not valid UTF-8" in delivery.error
    assert bytes(delivery.body) == body


def test_invalid_json_with_valid_signature_is_accepted_and_fails(post_webhook):
    from scheduling.deliveries import delivery_process

    response = post_webhook(b'{"type": "booking.scheduled", ')
    assert response.status_code == 202

    assert delivery_process(delivery_id=only_delivery().pk) == Status.FAILED
    assert "not valid JSON" in only_delivery().error


def test_client_enforcing_csrf_still_gets_through(endpoint):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        endpoint.get_absolute_url(),
        data=SCHEDULED,
        content_type="application/json",
        **signed_headers(SCHEDULED),
    )

    assert response.status_code == 202


class ReadsPostFirst:
    """Like a logging or tracking middleware that looks at form data early."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.POST  # noqa: B018
        return self.get_response(request)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-www-form-urlencoded", "text/plain"],
)
def test_middleware_reading_post_first_does_not_break_the_signature(
    settings, endpoint, content_type
):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "tests.scheduling.test_webhook_receive.ReadsPostFirst",
    ]
    response = Client().post(
        endpoint.get_absolute_url(),
        data=SCHEDULED,
        content_type=content_type,
        **signed_headers(SCHEDULED),
    )

    assert response.status_code == 202
    assert bytes(only_delivery().body) == SCHEDULED


def test_login_required_middleware_does_not_redirect_the_provider(settings, endpoint):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    response = Client().post(
        endpoint.get_absolute_url(),
        data=SCHEDULED,
        content_type="application/json",
        **signed_headers(SCHEDULED),
    )

    assert response.status_code == 202


def test_credentials_in_headers_are_not_stored(post_webhook):
    post_webhook(SCHEDULED, HTTP_AUTHORIZATION="Bearer abc", HTTP_COOKIE="sessionid=x")

    headers = {name.lower() for name in only_delivery().headers}
    assert "authorization" not in headers
    assert "cookie" not in headers


def test_secret_never_appears_in_logs(post_webhook, caplog, endpoint):
    caplog.set_level("DEBUG")
    post_webhook(SCHEDULED)
    post_webhook(SCHEDULED, sign=False)

    assert SAMPLE_SECRET not in caplog.text
    assert f"endpoint_id={endpoint.pk}" in caplog.text


def test_header_names_are_case_insensitive(client, endpoint):
    stamp = int(time.time())
    header = oncehub.sign(secret=SAMPLE_SECRET, body=SCHEDULED, timestamp=stamp)
    response = client.generic(
        "POST",
        endpoint.get_absolute_url(),
        data=SCHEDULED,
        content_type="application/json",
        headers={"ONCEHUB-SIGNATURE": header},
    )

    assert response.status_code == 202


@pytest.mark.parametrize(
    "header",
    [
        "t=" + "9" * 5000 + ",s=aa",
        "t=\u00b2,s=aa",
        f"t={int(time.time())},s=\u00e9",
        f"t={int(time.time())},s=" + "\u00e9" * 64,
    ],
    ids=["5000-digit stamp", "superscript digit", "non-ASCII", "non-ASCII 64"],
)
def test_garbled_signature_headers_are_401_and_kept(post_webhook, header):
    response = post_webhook(
        SCHEDULED, sign=False, headers={"HTTP_ONCEHUB_SIGNATURE": header}
    )

    assert response.status_code == 401
    assert only_delivery().status == Status.REJECTED


def test_a_content_length_that_is_no_number_is_400_and_kept(client, endpoint):
    response = client.post(
        endpoint.get_absolute_url(),
        data=SCHEDULED,
        content_type="application/json",
        CONTENT_LENGTH="abc",
        **signed_headers(SCHEDULED),
    )

    assert response.status_code == 400
    assert "Content-Length" in response.json()["error"]
    assert only_delivery().status == Status.REJECTED
