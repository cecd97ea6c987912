"""The demo sets up one follow-up of each kind, pointed at its stand-in."""

import pytest
from django.core.management import call_command

from scheduling.followups.demo import demo_standin_url
from scheduling.followups.models import Action, FollowUpSubscription
from scheduling.followups.services import subscription_send_test
from scheduling.followups.standin import StandIn
from tests.scheduling.followups.conftest import free_port

pytestmark = pytest.mark.django_db


def test_demo_setup_makes_one_working_subscription_of_each_kind(monkeypatch, mailbox):
    port = free_port()
    monkeypatch.setenv("FOLLOWUPS_DEMO_PORT", str(port))
    call_command("demo_setup")
    call_command("demo_setup")

    subscriptions = FollowUpSubscription.objects.filter(account__slug="demo")
    assert sorted(subscriptions.values_list("action", flat=True)) == sorted(Action)

    standin = StandIn(port=port).start()
    try:
        assert demo_standin_url() == standin.url
        for subscription in subscriptions:
            outcome = subscription_send_test(subscription=subscription)
            assert outcome.result == "ok", (subscription.name, outcome.error)
    finally:
        standin.stop()
