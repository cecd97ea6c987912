"""Shared fixtures: accounts, endpoints, signed sample bodies, the broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from kombu import Connection, Queue

from bookingsync.celery import app as celery_app
from scheduling.accounts import account_get_or_create, endpoint_create
from scheduling.models import Membership
from scheduling.providers import oncehub

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(settings.BASE_DIR) / "scheduling" / "samples"

# The test secret the sample signatures were made with (see fixtures/README).
SAMPLE_SECRET = "5f0c2e9a7b1d4c3e8a6f0b2d9c4e7a13"


def fixture_bytes(name: str) -> bytes:
    """Exact bytes of a body under tests/fixtures/ or the bundled samples."""
    for folder in (FIXTURES, SAMPLES):
        path = folder / name
        if path.exists():
            return path.read_bytes()
    raise FileNotFoundError(name)


def fixture_json(name: str) -> dict:
    return json.loads(fixture_bytes(name))


def as_body(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def signed_headers(body: bytes, secret: str = SAMPLE_SECRET, timestamp=None) -> dict:
    """Headers for Django's test client, signed as OnceHub signs now."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "HTTP_ONCEHUB_SIGNATURE": oncehub.sign(
            secret=secret, body=body, timestamp=stamp
        )
    }


@pytest.fixture
def account(db):
    account, _ = account_get_or_create(slug="acme", name="Acme Coaching")
    return account


@pytest.fixture
def other_account(db):
    account, _ = account_get_or_create(slug="globex", name="Globex Advisors")
    return account


@pytest.fixture
def endpoint(account):
    return endpoint_create(account=account, provider="oncehub", secret=SAMPLE_SECRET)


@pytest.fixture
def member(account):
    user = get_user_model().objects.create_user("riley", password="pw-riley-1")
    Membership.objects.create(account=account, user=user)
    return user


@pytest.fixture
def outsider(other_account):
    user = get_user_model().objects.create_user("morgan", password="pw-morgan-1")
    Membership.objects.create(account=other_account, user=user)
    return user


@pytest.fixture
def post_webhook(client, endpoint):
    """POST a body to the endpoint, signed unless told otherwise."""

    def post(body: bytes, *, headers=None, sign=True, target=None, **extra):
        target = target or endpoint
        all_headers = signed_headers(body) if sign else {}
        all_headers.update(headers or {})
        return client.post(
            target.get_absolute_url(),
            data=body,
            content_type=extra.pop("content_type", "application/json"),
            **all_headers,
            **extra,
        )

    return post


class BrokerQueue:
    """The real queue the web process publishes to, read back for assertions."""

    def __init__(self):
        self.name = settings.CELERY_TASK_DEFAULT_QUEUE

    def _connection(self):
        return Connection(
            celery_app.conf.broker_url,
            transport_options=celery_app.conf.broker_transport_options,
        )

    def drain(self) -> list[tuple[str, tuple]]:
        """Take every message off the queue: (task name, args) in order."""
        taken = []
        with self._connection() as connection:
            queue = Queue(self.name)
            with connection.SimpleQueue(queue) as simple:
                while True:
                    try:
                        message = simple.get(block=False)
                    except simple.Empty:
                        break
                    args, _kwargs, _embed = message.payload
                    taken.append((message.headers["task"], tuple(args)))
                    message.ack()
        return taken


@pytest.fixture
def broker_queue():
    queue = BrokerQueue()
    queue.drain()
    yield queue
    queue.drain()


@pytest.fixture(autouse=True, scope="session")
def _empty_test_queue_at_exit():
    """Tests that commit queue real messages; leave the broker clean."""
    yield
    BrokerQueue().drain()


# A real worker, for the tests that follow a delivery from HTTP to the pages.


def database_url() -> str:
    """The URL of the database this test runs on, for another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{user}@{host}/{db['NAME']}"


@pytest.fixture
def celery_worker(broker_queue):
    """Start `celery worker` as its own process on the suite's queue."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "bookingsync.settings_test",
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bookingsync",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            output.append(line)
            if "ready." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(60), "worker did not start:\n" + "".join(output)
        yield output
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()
