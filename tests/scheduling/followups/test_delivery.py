"""Deliveries: made with their event, sent after commit, retried from the database."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from scheduling.bookings import booking_apply_event
from scheduling.followups import standin as services_answers
from scheduling.followups.models import FollowUpDelivery, FollowUpSubscription
from scheduling.followups.services import (
    deliveries_retry,
    deliveries_send_due,
    delivery_attempt,
    subscription_rotate_secret,
)
from scheduling.followups.tasks import deliver_followup
from scheduling.providers import oncehub
from tests.conftest import fixture_bytes

pytestmark = pytest.mark.django_db

Status = FollowUpDelivery.Status


def make_due(delivery):
    FollowUpDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_a_signed_webhook_is_sent_after_commit_and_verifies(
    standin, make_subscription, apply_sample, eager_tasks
):
    subscription = make_subscription(
        "webhook", settings={"url": f"{standin.url}/hooks/bookings"}
    )

    event = apply_sample("oncehub/booking_scheduled.json")

    (request,) = standin.received("/hooks/bookings")
    payload = Webhook(subscription.shown_secret).verify(request.body, request.headers)
    assert payload["type"] == "booking.scheduled"
    assert payload["version"] == 1
    assert payload["data"]["booking"]["external_id"] == event.booking.external_id
    assert payload["data"]["customer"]["email"]
    delivery = FollowUpDelivery.objects.get(subscription=subscription)
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert delivery.status == Status.SUCCEEDED
    assert delivery.attempts.get().response_status == 204


def test_a_retry_keeps_the_webhook_id(standin, make_subscription, apply_sample):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    standin.script("POST", "/hooks/", services_answers.Answer(500, b"boom"))
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    make_due(delivery)
    assert deliveries_send_due() == 1

    first, second = standin.received("/hooks/")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert [a.response_status for a in delivery.attempts.all()] == [500, 204]


def test_a_403_stops_after_one_attempt(standin, make_subscription, apply_sample):
    make_subscription(
        "hubspot",
        settings={"base_url": standin.url},
        credentials={"access_token": "pat-na1-test"},
    )
    standin.script(
        "POST",
        "/contacts/batch/upsert",
        services_answers.hubspot_error(
            403, "MISSING_SCOPES", "This app hasn't been granted all required scopes."
        ),
    )
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.FAILED
    make_due(delivery)
    assert deliveries_send_due() == 0

    assert len(standin.requests) == 1
    attempt = delivery.attempts.get()
    assert attempt.response_status == 403
    assert "MISSING_SCOPES" in attempt.response_excerpt


def test_a_503_with_retry_after_waits_that_long(
    standin, make_subscription, apply_sample
):
    make_subscription(
        "zendesk",
        settings={"base_url": standin.url, "agent_email": "agent@example.com"},
        credentials={"api_token": "zd-test-token"},
    )
    standin.script(
        "POST",
        "/users/create_or_update",
        services_answers.Answer(503, b"Maintenance", {"Retry-After": "600"}),
    )
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    before = timezone.now()
    assert delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    # The schedule alone would wait 5 seconds.
    assert delivery.next_attempt_at >= before + dt.timedelta(seconds=600)
    assert deliveries_send_due() == 0

    make_due(delivery)
    assert deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert delivery.remote_ref
    assert len(standin.requests) == 2


def test_connection_refused_retries_until_dead_then_pauses_and_tells_admins(
    make_subscription, apply_sample, mailbox, account_admin, settings, free_port_url
):
    settings.FOLLOWUPS_RETRY_SCHEDULE = [5]
    settings.FOLLOWUPS_PAUSE_AFTER_FAILURES = 1
    subscription = make_subscription(
        "slack", credentials={"webhook_url": f"{free_port_url}/services/T0/B0/x"}
    )
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    attempt = delivery.attempts.get()
    assert attempt.response_status is None
    assert "ConnectionError" in attempt.error
    # The Slack URL is the credential: it is not kept in the error either.
    assert "B0/x" not in attempt.error
    subscription.refresh_from_db()
    assert subscription.is_active

    make_due(delivery)
    assert delivery_attempt(delivery_id=delivery.pk) == Status.DEAD
    subscription.refresh_from_db()
    assert not subscription.is_active
    ((_, recipients, message),) = mailbox.wait(1)
    assert recipients == ["avery.admin@example.com"]
    assert b"Follow-up paused" in message


def test_a_410_pauses_the_subscription(
    standin, make_subscription, apply_sample, mailbox, account_admin
):
    subscription = make_subscription(
        "slack", credentials={"webhook_url": f"{standin.url}/services/T0/B0/x"}
    )
    standin.script(
        "POST", "/services/", services_answers.slack_error(410, "channel_is_archived")
    )
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.FAILED
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.paused_reason
    assert len(mailbox.wait(1)) == 1

    # A paused subscription gets no new deliveries.
    apply_sample("oncehub/booking_completed.json", run_callbacks=False)
    assert FollowUpDelivery.objects.count() == 1


def test_a_rolled_back_transaction_sends_nothing(
    standin, make_subscription, account, eager_tasks, django_capture_on_commit_callbacks
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    event = oncehub.parse(fixture_bytes("oncehub/booking_scheduled.json"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            booking_apply_event(account=account, event=event)
            assert FollowUpDelivery.objects.count() == 1
            raise RuntimeError("something later in the transaction failed")

    assert callbacks == []
    assert FollowUpDelivery.objects.count() == 0
    assert standin.requests == []


def test_the_same_task_delivered_twice_sends_once(
    standin, make_subscription, apply_sample
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert deliver_followup(delivery.pk) == Status.SUCCEEDED
    assert deliver_followup(delivery.pk) == ""

    assert len(standin.requests) == 1
    assert delivery.attempts.count() == 1


def test_a_delivery_held_by_another_worker_is_not_sent_again(
    standin, make_subscription, apply_sample
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()
    FollowUpDelivery.objects.filter(pk=delivery.pk).update(
        locked_until=timezone.now() + dt.timedelta(seconds=60)
    )

    assert deliver_followup(delivery.pk) == ""
    assert standin.requests == []


def test_two_manual_retries_in_a_row_make_two_attempts(
    standin,
    make_subscription,
    apply_sample,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    apply_sample("oncehub/booking_scheduled.json")
    delivery = FollowUpDelivery.objects.get()
    assert delivery.status == Status.SUCCEEDED

    with django_capture_on_commit_callbacks(execute=True):
        deliveries_retry(delivery_ids=[delivery.pk])
        deliveries_retry(delivery_ids=[delivery.pk])

    assert len(standin.requests) == 3
    attempts = list(delivery.attempts.all())
    assert [a.manual for a in attempts] == [False, True, True]
    delivery.refresh_from_db()
    assert delivery.manual_retries_pending == 0


def test_manual_retries_whose_messages_were_lost_are_made_by_the_sweep(
    standin, make_subscription, apply_sample
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()
    FollowUpDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.DEAD, manual_retries_pending=2
    )

    deliveries_send_due()
    deliveries_send_due()

    assert delivery.attempts.count() == 2
    assert len(standin.requests) == 2


def test_a_reschedule_sent_as_two_events_is_one_rescheduled_follow_up(
    standin, make_subscription, apply_sample, eager_tasks
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})

    # The cancel of the old booking waits, and is then replaced.
    apply_sample("oncehub/booking_canceled.json")
    assert standin.requests == []
    apply_sample("oncehub/booking_canceled_then_rescheduled.json")
    deliveries_send_due()

    (request,) = standin.received("/hooks/")
    assert request.json()["type"] == "booking.rescheduled"
    assert request.json()["data"]["booking"]["replaces"] == "BKNG-R7J1YH5C9B2F"
    statuses = sorted(FollowUpDelivery.objects.values_list("kind", "status"))
    assert statuses == [("canceled", "superseded"), ("rescheduled", "succeeded")]


def test_a_cancel_arriving_after_the_new_booking_makes_no_follow_up(
    make_subscription, apply_sample
):
    make_subscription("webhook", settings={"url": "http://127.0.0.1:9/hooks"})

    apply_sample("oncehub/booking_canceled_then_rescheduled.json", run_callbacks=False)
    apply_sample("oncehub/booking_canceled.json", run_callbacks=False)

    assert list(FollowUpDelivery.objects.values_list("kind", flat=True)) == [
        "rescheduled"
    ]


def test_events_and_filters_choose_the_subscriptions(make_subscription, apply_sample):
    wanted = make_subscription(
        "webhook",
        settings={"url": "http://127.0.0.1:9/a"},
        events=["completed"],
        owner_id="USR-K7M2Q9XW4T",
    )
    make_subscription(
        "webhook", settings={"url": "http://127.0.0.1:9/b"}, events=["no_show"]
    )
    make_subscription(
        "webhook",
        settings={"url": "http://127.0.0.1:9/c"},
        events=["completed"],
        page_id="BP-SOMEONE-ELSE",
    )

    apply_sample("oncehub/booking_completed.json", run_callbacks=False)

    assert list(FollowUpDelivery.objects.values_list("subscription_id", flat=True)) == [
        wanted.pk
    ]


def test_outbound_requests_never_reach_private_addresses_unless_allowed(
    standin, make_subscription, apply_sample, settings
):
    settings.FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES = False
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.FAILED
    assert standin.requests == []
    assert "non-public address" in delivery.attempts.get().error


def test_redirects_are_not_followed(standin, make_subscription, apply_sample):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    standin.script(
        "POST",
        "/hooks/",
        services_answers.Answer(307, b"", {"Location": f"{standin.url}/elsewhere"}),
    )
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    assert standin.received("/elsewhere") == []
    assert delivery.attempts.get().response_status == 307


def test_credentials_are_encrypted_at_rest(make_subscription):
    subscription = make_subscription(
        "hubspot", credentials={"access_token": "pat-na1-very-secret-token"}
    )
    stored = FollowUpSubscription.objects.values_list("credentials", flat=True).get(
        pk=subscription.pk
    )
    assert stored
    assert "very-secret" not in stored


@pytest.mark.parametrize("new_first", [False, True], ids=["cancel first", "new first"])
def test_a_calendly_reschedule_in_either_order_is_one_rescheduled_follow_up(
    standin, make_subscription, apply_sample, eager_tasks, new_first
):
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/bookings"})
    apply_sample("calendly/calendly_invitee_created.json")
    halves = [
        "calendly/calendly_invitee_canceled_reschedule.json",
        "calendly/invitee_created_rescheduled.json",
    ]

    for name in reversed(halves) if new_first else halves:
        apply_sample(name)
    deliveries_send_due()

    types = [request.json()["type"] for request in standin.received("/hooks/")]
    assert types == ["booking.scheduled", "booking.rescheduled"]


def test_after_a_rotation_both_secrets_sign_for_a_while(
    standin, make_subscription, apply_sample, eager_tasks
):
    subscription = make_subscription(
        "webhook", settings={"url": f"{standin.url}/hooks/bookings"}
    )
    old = subscription.shown_secret
    new = subscription_rotate_secret(subscription=subscription)

    apply_sample("oncehub/booking_scheduled.json")

    (request,) = standin.received("/hooks/")
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers)


def test_credentials_survive_an_encryption_key_rotation(
    standin, make_subscription, apply_sample, settings
):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FOLLOWUPS_ENCRYPTION_KEYS = [old_key]
    make_subscription(
        "slack", credentials={"webhook_url": f"{standin.url}/services/T0/B0/x"}
    )
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    apply_sample("oncehub/booking_completed.json", run_callbacks=False)
    first, second = FollowUpDelivery.objects.order_by("id")

    settings.FOLLOWUPS_ENCRYPTION_KEYS = [new_key, old_key]
    assert delivery_attempt(delivery_id=first.pk) == Status.SUCCEEDED

    settings.FOLLOWUPS_ENCRYPTION_KEYS = [new_key]
    assert delivery_attempt(delivery_id=second.pk) == Status.FAILED
    assert "cannot be decrypted" in second.attempts.get().error


@pytest.mark.parametrize(
    "answer",
    [
        services_answers.Answer(200, b"ok", delay=2.0),
        services_answers.Answer(408, b"Request Timeout"),
        services_answers.Answer(429, b"rate_limited"),
    ],
    ids=["timeout", "408", "429"],
)
def test_timeouts_and_throttling_are_tried_again(
    standin, make_subscription, apply_sample, settings, answer
):
    settings.FOLLOWUPS_REQUEST_TIMEOUT = 0.5
    make_subscription(
        "slack", credentials={"webhook_url": f"{standin.url}/services/T0/B0/x"}
    )
    standin.script("POST", "/services/", answer)
    apply_sample("oncehub/booking_scheduled.json", run_callbacks=False)
    delivery = FollowUpDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    make_due(delivery)
    assert delivery_attempt(delivery_id=delivery.pk) == Status.SUCCEEDED
    assert delivery.attempts.count() == 2
