"""Fixtures for follow-ups: stand-in services, a mail server, subscriptions."""

from __future__ import annotations

import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from bookingsync.celery import app as celery_app
from scheduling import providers
from scheduling.bookings import booking_apply_event
from scheduling.followups.models import FollowUpSubscription
from scheduling.followups.services import subscription_save
from scheduling.followups.standin import StandIn
from scheduling.models import Membership
from tests.conftest import fixture_bytes


@pytest.fixture
def standin():
    server = StandIn().start()
    yield server
    server.stop()


class MailBox:
    """What the SMTP server accepted: (sender, recipients, raw message)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"

    def wait(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(settings):
    """A real SMTP server on 127.0.0.1 behind Django's SMTP backend."""
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield box
    controller.stop()


@pytest.fixture(autouse=True)
def followup_settings(settings):
    """Let follow-ups reach the stand-ins on 127.0.0.1; keep retries exact."""
    settings.FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES = True
    settings.FOLLOWUPS_RETRY_JITTER = 0
    settings.FOLLOWUPS_REQUEST_TIMEOUT = 5
    return settings


@pytest.fixture
def eager_tasks():
    """Run queued tasks at once, in this process."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def account_admin(account):
    """An account admin with an email address, told when a subscription pauses."""
    user = get_user_model().objects.create_user(
        "avery", email="avery.admin@example.com", password="pw-avery-1"
    )
    Membership.objects.create(account=account, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def make_subscription(account):
    """Create a subscription through the service, as the admin does."""

    def make(action, *, settings=None, credentials=None, events=("*",), **fields):
        subscription = FollowUpSubscription(
            account=fields.pop("account", account),
            name=fields.pop("name", f"{action} follow-up"),
            action=action,
            events=list(events),
            settings=settings or {},
            **fields,
        )
        secret = subscription_save(subscription=subscription, credentials=credentials)
        subscription.shown_secret = secret
        return subscription

    return make


@pytest.fixture
def apply_sample(account, django_capture_on_commit_callbacks):
    """Apply a provider's sample as the worker does; run what commits queue."""

    def apply(name: str, *, run_callbacks: bool = True):
        provider = providers.get(name.split("/")[0])
        event = provider.parse(fixture_bytes(name))
        with django_capture_on_commit_callbacks(execute=run_callbacks) as callbacks:
            row, _ = booking_apply_event(account=account, event=event)
        row.queued = callbacks
        return row

    return apply


@pytest.fixture
def free_port_url():
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    return f"http://127.0.0.1:{free_port()}"
