"""A real worker over a real broker: signed bodies in over HTTP, bookings out."""

import os
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from scheduling.models import WebhookDelivery
from tests.conftest import fixture_bytes, signed_headers

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


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
