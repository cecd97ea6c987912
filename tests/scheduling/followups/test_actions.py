"""Each action speaks its service's API, as the stand-in checks it."""

import base64
import hashlib

import pytest
from django.core.exceptions import ValidationError

from scheduling.followups import standin as answers
from scheduling.followups.models import FollowUpDelivery
from scheduling.followups.services import subscription_send_test

pytestmark = pytest.mark.django_db

Status = FollowUpDelivery.Status
CUSTOMER = "dana.example@example.com"


def basic_auth(request) -> tuple[str, str]:
    scheme, _, value = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def test_slack_gets_a_readable_message(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription(
        "slack", credentials={"webhook_url": f"{standin.url}/services/T0/B0/secret"}
    )

    apply_sample("oncehub/booking_completed.json")

    (request,) = standin.received("/services/")
    text = request.json()["text"]
    assert text.startswith("*Meeting completed*")
    assert CUSTOMER in text
    attempt = FollowUpDelivery.objects.get().attempts.get()
    # The Slack URL is itself the credential: it stays out of the log.
    assert "secret" not in attempt.request_summary


def test_hubspot_upserts_the_contact_and_updates_one_meeting_per_booking(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription(
        "hubspot",
        settings={"base_url": standin.url},
        credentials={"access_token": "pat-na1-test"},
    )

    apply_sample("oncehub/booking_completed.json")
    apply_sample("oncehub/booking_no_show.json")

    upserts = standin.received("/contacts/batch/upsert")
    assert [u.json()["inputs"][0]["id"] for u in upserts] == [CUSTOMER, CUSTOMER]
    assert upserts[0].json()["inputs"][0]["idProperty"] == "email"
    assert upserts[0].headers["Authorization"] == "Bearer pat-na1-test"
    created, updated = standin.received("/objects/meetings")
    assert created.method == "POST"
    assert created.json()["properties"]["hs_meeting_outcome"] == "COMPLETED"
    association = created.json()["associations"][0]
    assert association["to"] == {"id": "51"}
    assert association["types"][0]["associationTypeId"] == 200
    assert updated.method == "PATCH"
    assert updated.path == "/crm/v3/objects/meetings/9001"
    assert updated.json()["properties"]["hs_meeting_outcome"] == "NO_SHOW"


def test_zendesk_creates_or_updates_the_end_user(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription(
        "zendesk",
        settings={"base_url": standin.url, "agent_email": "agent@example.com"},
        credentials={"api_token": "zd-token"},
    )

    apply_sample("oncehub/booking_scheduled.json")

    (request,) = standin.received("/api/v2/users/create_or_update")
    assert request.json()["user"]["role"] == "end-user"
    assert basic_auth(request) == ("agent@example.com/token", "zd-token")
    assert FollowUpDelivery.objects.get().status == Status.SUCCEEDED


def test_zendesk_refusing_the_token_stops(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription(
        "zendesk",
        settings={"base_url": standin.url, "agent_email": "agent@example.com"},
        credentials={"api_token": "revoked"},
    )
    standin.script(
        "POST", "/users/", answers.zendesk_error(401, "Couldn't authenticate you")
    )

    apply_sample("oncehub/booking_scheduled.json")

    delivery = FollowUpDelivery.objects.get()
    assert delivery.status == Status.FAILED
    assert "Couldn't authenticate you" in delivery.attempts.get().response_excerpt


def test_mailchimp_upserts_the_member_and_tags_the_event(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription(
        "mailchimp",
        settings={"list_id": "a1b2c3d4e5", "base_url": standin.url},
        credentials={"api_key": "0123456789abcdef-us6"},
    )

    apply_sample("oncehub/booking_no_show.json")

    member_hash = hashlib.md5(CUSTOMER.encode()).hexdigest()
    member, tags = standin.requests
    assert member.method == "PUT"
    assert member.path == f"/3.0/lists/a1b2c3d4e5/members/{member_hash}"
    assert member.json()["status_if_new"] == "subscribed"
    assert basic_auth(member)[1] == "0123456789abcdef-us6"
    assert tags.path.endswith(f"/members/{member_hash}/tags")
    assert tags.json() == {"tags": [{"name": "booking-no-show", "status": "active"}]}


def test_mailchimp_unknown_list_stops_with_its_problem_detail(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription(
        "mailchimp",
        settings={"list_id": "gone", "base_url": standin.url},
        credentials={"api_key": "0123456789abcdef-us6"},
    )
    standin.script(
        "PUT",
        "/members/",
        answers.mailchimp_error(
            404, "Resource Not Found", "The requested resource could not be found."
        ),
    )

    apply_sample("oncehub/booking_no_show.json")

    delivery = FollowUpDelivery.objects.get()
    assert delivery.status == Status.FAILED
    assert len(standin.requests) == 1
    assert "Resource Not Found" in delivery.attempts.get().response_excerpt


def test_email_to_the_customer_uses_the_admins_template(
    make_subscription, apply_sample, eager_tasks, mailbox
):
    make_subscription(
        "email",
        events=["completed"],
        settings={
            "subject": "How was {{ booking.subject }}, {{ customer.name }}?",
            "body": "Thanks for meeting {{ account }} on {{ starts }}.",
            "from_email": "hello@acme.example",
        },
    )

    apply_sample("oncehub/booking_completed.json")

    ((sender, recipients, message),) = mailbox.wait(1)
    assert sender == "hello@acme.example"
    assert recipients == [CUSTOMER]
    assert b"Thanks for meeting Acme Coaching on" in message
    assert FollowUpDelivery.objects.get().status == Status.SUCCEEDED


def test_email_server_down_is_retried(
    make_subscription, apply_sample, eager_tasks, settings, free_port_url
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(free_port_url.rsplit(":", 1)[1])
    make_subscription("email", settings={"subject": "Hi", "body": "Hello"})

    apply_sample("oncehub/booking_scheduled.json")

    delivery = FollowUpDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert "ConnectionRefusedError" in delivery.last_error


@pytest.mark.parametrize(
    ("action", "values", "credentials", "message"),
    [
        ("webhook", {}, {}, '"url"'),
        ("webhook", {"url": "ftp://example.com"}, {}, "http or https"),
        ("slack", {}, {}, "webhook_url"),
        ("hubspot", {}, {}, "access_token"),
        ("zendesk", {"agent_email": "a@example.com"}, {"api_token": "t"}, "base_url"),
        ("mailchimp", {"list_id": "x"}, {"api_key": "nodatacentre"}, "data centre"),
        ("email", {"subject": "Hi", "body": "{% if %}"}, {}, "invalid"),
        ("email", {"subject": "Hi", "body": "x", "colour": "red"}, {}, "colour"),
    ],
)
def test_settings_are_checked_with_a_clear_message(
    make_subscription, action, values, credentials, message
):
    with pytest.raises(ValidationError) as error:
        make_subscription(action, settings=values, credentials=credentials)
    assert message in str(error.value)


def test_a_test_event_shows_the_request_and_the_answer(standin, make_subscription):
    subscription = make_subscription(
        "webhook", settings={"url": f"{standin.url}/hooks/bookings"}
    )

    outcome = subscription_send_test(subscription=subscription)

    assert outcome.result == "ok"
    assert outcome.last.status == 204
    assert "test.customer@example.com" in outcome.last.request_summary
    assert standin.received("/hooks/")[0].json()["test"] is True
    assert not FollowUpDelivery.objects.exists()
