"""A real worker over a real broker: signed bodies in over HTTP, bookings out."""

import time

import pytest
import requests
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from scheduling.models import WebhookDelivery
from tests.conftest import fixture_bytes, signed_headers, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_signed_samples_over_http_end_as_bookings_in_the_api(
    live_server, endpoint, member, celery_worker
):
    names = [
        "oncehub/booking_scheduled.json",
        "oncehub/booking_rescheduled.json",
        "oncehub/booking_canceled.json",
        "oncehub/booking_completed.json",
    ]
    url = live_server.url + endpoint.get_absolute_url()
    for name in names:
        body = fixture_bytes(name)
        headers = {
            "Content-Type": "application/json",
            "Oncehub-Signature": signed_headers(body)["HTTP_ONCEHUB_SIGNATURE"],
        }
        response = requests.post(url, data=body, headers=headers, timeout=10)
        assert response.status_code == 202, response.text

    processed = wait_for(
        lambda: WebhookDelivery.objects.filter(status="processed").count() == len(names)
    )
    assert processed, "".join(celery_worker)

    token = Token.objects.create(user=member)
    api = requests.get(
        live_server.url + "/api/bookings/",
        headers={"Authorization": f"Token {token.key}"},
        timeout=10,
    ).json()
    by_id = {row["external_id"]: row for row in api["results"]}
    assert api["count"] == 4
    assert by_id["BKNG-Q4T8ZK2M7W1C"]["status"] == "completed"
    assert by_id["BKNG-R7J1YH5C9B2F"]["status"] == "canceled"
    assert by_id["BKNG-N2V6XR8D4H0P"]["status"] == "scheduled"
    assert by_id["BKNG-H8C3WQ1Z5M7T"]["status"] == "rescheduled"
    assert by_id["BKNG-Q4T8ZK2M7W1C"]["customer"]["email"] == "dana.example@example.com"
    assert "process_webhook_delivery" in "".join(celery_worker)


def test_one_body_of_each_provider_ends_as_bookings_in_the_api(
    live_server, account, member, celery_worker
):
    from scheduling.accounts import endpoint_create
    from scheduling.providers import PROVIDERS

    bodies = {
        "oncehub": "oncehub/booking_scheduled.json",
        "calendly": "calendly/calendly_invitee_created.json",
        "calcom": "calcom/calcom_booking_created.json",
    }
    assert set(bodies) == set(PROVIDERS)
    for name, sample in bodies.items():
        endpoint = endpoint_create(account=account, provider=name)
        body = fixture_bytes(sample)
        headers = {
            "Content-Type": "application/json",
            **PROVIDERS[name].signature_headers(
                secret=endpoint.secret, body=body, timestamp=int(time.time())
            ),
        }
        response = requests.post(
            live_server.url + endpoint.get_absolute_url(),
            data=body,
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 202, response.text

    processed = wait_for(
        lambda: WebhookDelivery.objects.filter(status="processed").count() == 3
    )
    assert processed, "".join(celery_worker)

    token = Token.objects.create(user=member)
    api = requests.get(
        live_server.url + "/api/bookings/",
        headers={"Authorization": f"Token {token.key}"},
        timeout=10,
    ).json()
    rows = {row["provider"]: row for row in api["results"]}
    assert api["count"] == 3
    assert rows["oncehub"]["customer"]["email"] == "dana.example@example.com"
    assert rows["calendly"]["customer"]["email"] == "priya.raman@example.com"
    assert rows["calendly"]["starts_at"] == "2026-11-18T15:00:00Z"
    assert rows["calcom"]["customer"]["email"] == "tomasz.nowak@example.com"
    assert rows["calcom"]["provider_label"] == "Cal.com"
    assert {row["status"] for row in rows.values()} == {"scheduled"}

    # And on the account's calendar, each in the month it takes place.
    browser = Client()
    browser.force_login(member)
    for provider, month in (
        ("oncehub", "2026-03-01"),
        ("calendly", "2026-11-01"),
        ("calcom", "2026-11-01"),
    ):
        url = reverse(
            "calendar",
            kwargs={"account_slug": account.slug, "view": "month", "day": month},
        )
        page = browser.get(url).content.decode()
        assert rows[provider]["customer"]["name"] in page, provider
