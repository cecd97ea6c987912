"""A real worker over a real broker: signed bodies in over HTTP, bookings out."""

import pytest
import requests
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
