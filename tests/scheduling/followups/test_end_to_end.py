"""A real worker: a signed OnceHub no-show in, a Mailchimp tag and a Slack post out."""

import pytest
import requests

from scheduling.followups.models import FollowUpDelivery
from tests.conftest import fixture_bytes, signed_headers, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def followup_worker(monkeypatch):
    """The worker process must also be allowed to reach the stand-in."""
    monkeypatch.setenv("FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES", "1")
    return None


def test_a_no_show_ends_as_a_mailchimp_tag_and_a_slack_message(
    live_server, endpoint, standin, make_subscription, followup_worker, request
):
    make_subscription(
        "mailchimp",
        events=["no_show"],
        settings={"list_id": "a1b2c3d4e5", "base_url": standin.url},
        credentials={"api_key": "0123456789abcdef-us6"},
    )
    make_subscription(
        "slack",
        events=["no_show", "canceled"],
        credentials={"webhook_url": f"{standin.url}/services/T0/B0/x"},
    )
    worker_output = request.getfixturevalue("celery_worker")

    body = fixture_bytes("oncehub/booking_no_show.json")
    response = requests.post(
        live_server.url + endpoint.get_absolute_url(),
        data=body,
        headers={
            "Content-Type": "application/json",
            "Oncehub-Signature": signed_headers(body)["HTTP_ONCEHUB_SIGNATURE"],
        },
        timeout=10,
    )
    assert response.status_code == 202, response.text

    sent = wait_for(
        lambda: FollowUpDelivery.objects.filter(status="succeeded").count() == 2
    )
    assert sent, "".join(worker_output)
    (tags,) = standin.received("/members/.*/tags")
    assert tags.json()["tags"] == [{"name": "booking-no-show", "status": "active"}]
    (slack,) = standin.received("/services/")
    assert slack.json()["text"].startswith("*No-show*")
    assert "deliver_followup" in "".join(worker_output)
