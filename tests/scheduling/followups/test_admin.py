"""Admins set follow-ups up, test them and retry deliveries in the admin."""

import re

import pytest
from django.urls import reverse

from scheduling.followups import standin as answers
from scheduling.followups.models import FollowUpDelivery, FollowUpSubscription

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:scheduling_{model._meta.model_name}_{view}", args=args)


def form_data(account, **values):
    data = {
        "account": account.pk,
        "name": "Follow-up",
        "is_active": "on",
        "events": ["*"],
        "action": "webhook",
        "settings": "{}",
    }
    data.update(values)
    return data


def test_a_webhook_secret_is_shown_once_after_creation(admin_client, account):
    response = admin_client.post(
        url(FollowUpSubscription, "add"),
        form_data(account, settings='{"url": "https://hooks.example.com/in"}'),
        follow=True,
    )

    (secret,) = re.findall(r"whsec_[A-Za-z0-9+/=]+", response.content.decode())
    subscription = FollowUpSubscription.objects.get()
    page = admin_client.get(url(FollowUpSubscription, "change", subscription.pk))
    assert secret not in page.content.decode()
    assert secret[-4:] in page.content.decode()


def test_credentials_are_never_shown_back_in_full(admin_client, account):
    admin_client.post(
        url(FollowUpSubscription, "add"),
        form_data(
            account,
            action="hubspot",
            access_token="pat-na1-0000-secret-9876",
        ),
    )
    subscription = FollowUpSubscription.objects.get()

    page = admin_client.get(url(FollowUpSubscription, "change", subscription.pk))

    assert "pat-na1-0000-secret" not in page.content.decode()
    assert "…9876" in page.content.decode()


def test_an_edit_without_the_token_keeps_it(admin_client, account, standin):
    admin_client.post(
        url(FollowUpSubscription, "add"),
        form_data(
            account,
            action="hubspot",
            settings="{}",
            access_token="pat-na1-keep-me",
        ),
    )
    subscription = FollowUpSubscription.objects.get()

    response = admin_client.post(
        url(FollowUpSubscription, "change", subscription.pk),
        form_data(account, action="hubspot", name="Renamed"),
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.name == "Renamed"
    assert (
        "…p-me"
        in admin_client.get(
            url(FollowUpSubscription, "change", subscription.pk)
        ).content.decode()
    )


def test_invalid_settings_get_a_clear_message(admin_client, account):
    response = admin_client.post(
        url(FollowUpSubscription, "add"),
        form_data(account, action="mailchimp", api_key="abc-us6"),
    )

    assert response.status_code == 200
    assert "Mailchimp needs" in response.content.decode()
    assert not FollowUpSubscription.objects.exists()


def test_send_a_test_event_shows_the_request_and_the_answer(
    admin_client, make_subscription, standin
):
    subscription = make_subscription(
        "zendesk",
        settings={"base_url": standin.url, "agent_email": "agent@example.com"},
        credentials={"api_token": "bad"},
    )
    standin.script(
        "POST", "/users/", answers.zendesk_error(401, "Couldn't authenticate you")
    )

    response = admin_client.post(
        url(FollowUpSubscription, "changelist"),
        {"action": "send_test_event", "_selected_action": [subscription.pk]},
    )

    page = response.content.decode()
    assert "/api/v2/users/create_or_update" in page
    assert "HTTP 401" in page
    assert "authenticate you" in page


def test_deliveries_are_listed_per_subscription_and_retried(
    admin_client,
    make_subscription,
    apply_sample,
    standin,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    mine = make_subscription("webhook", settings={"url": f"{standin.url}/hooks/a"})
    make_subscription("webhook", settings={"url": f"{standin.url}/hooks/b"})
    apply_sample("oncehub/booking_scheduled.json")
    delivery = FollowUpDelivery.objects.get(subscription=mine)

    listed = admin_client.get(
        url(FollowUpDelivery, "changelist"),
        {"subscription__id__exact": mine.pk},
    )
    assert list(listed.context["cl"].result_list) == [delivery]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url(FollowUpDelivery, "changelist"),
            {"action": "retry", "_selected_action": [delivery.pk]},
        )
        admin_client.post(
            url(FollowUpDelivery, "changelist"),
            {"action": "retry", "_selected_action": [delivery.pk]},
        )

    assert delivery.attempts.count() == 3
    assert len(standin.received("/hooks/a")) == 3
    page = admin_client.get(url(FollowUpDelivery, "change", delivery.pk))
    assert page.status_code == 200
    assert delivery.webhook_id in page.content.decode()
