"""A broker outage loses nothing: deliveries wait for the periodic sweep."""

import datetime as dt

import kombu.pools
import pytest
from django.core.management import call_command

from bookingsync.celery import app as celery_app
from scheduling.deliveries import deliveries_sweep
from scheduling.models import Booking, WebhookDelivery
from tests.conftest import fixture_bytes

Status = WebhookDelivery.Status


@pytest.fixture
def broker_down():
    """Point the web process at a broker address where nothing listens."""
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options

    def reset_pools():
        # Kombu keeps connection and producer pools per broker address in
        # global registries; start afresh so the new address is used.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    reset_pools()
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    celery_app.conf.broker_transport_options = {}
    yield
    reset_pools()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved


def test_delivery_is_stored_and_answered_while_the_broker_is_down(
    post_webhook, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.RECEIVED
    assert f"could not queue webhook delivery delivery_id={delivery.pk}" in caplog.text


def test_sweep_processes_what_was_left_behind(post_webhook, broker_down):
    post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))
    post_webhook(fixture_bytes("oncehub/booking_canceled.json"))

    # Too recent: the queue may still deliver them.
    assert deliveries_sweep() == 0
    assert deliveries_sweep(older_than=dt.timedelta(0)) == 2

    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        Status.PROCESSED
    }
    assert Booking.objects.count() == 2


def test_command_processes_pending_and_failed_deliveries(post_webhook, capsys):
    post_webhook(fixture_bytes("oncehub/booking_scheduled.json"))
    post_webhook(b"{not json")
    post_webhook(fixture_bytes("oncehub/booking_scheduled.json"), sign=False)

    call_command("process_webhook_deliveries")

    assert "Processed 2 deliveries: 1 failed, 1 processed" in capsys.readouterr().out
    assert Booking.objects.count() == 1
    # The rejected one is kept but never processed.
    assert WebhookDelivery.objects.filter(status=Status.REJECTED).count() == 1
