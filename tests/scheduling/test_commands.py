"""Provisioning from the command line."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from scheduling.models import Account, WebhookEndpoint


def test_create_webhook_endpoint_prints_url_and_secret_as_json(db, capsys):
    call_command(
        "create_webhook_endpoint",
        "--account",
        "northwind",
        "--provider",
        "oncehub",
        "--json",
        "--base-url",
        "https://bookings.example.com/",
    )
    printed = json.loads(capsys.readouterr().out)

    endpoint = WebhookEndpoint.objects.get()
    assert Account.objects.get().slug == "northwind"
    assert printed["url"] == (
        f"https://bookings.example.com/webhooks/oncehub/{endpoint.token}/"
    )
    assert printed["secret"] == endpoint.secret
    assert len(endpoint.secret) == 32
    assert len(endpoint.token) >= 32


def test_create_webhook_endpoint_reuses_the_account_and_takes_a_provider_secret(
    account, capsys, monkeypatch
):
    monkeypatch.setenv("ONCEHUB_SECRET", "d7686b8c83f04913929079aeae40189e")
    call_command(
        "create_webhook_endpoint",
        "--account",
        account.slug,
        "--provider",
        "oncehub",
        "--secret-env",
        "ONCEHUB_SECRET",
        "--json",
    )

    assert Account.objects.count() == 1
    assert WebhookEndpoint.objects.get().secret == "d7686b8c83f04913929079aeae40189e"


def test_create_webhook_endpoint_refuses_an_empty_secret_variable(db, monkeypatch):
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    with pytest.raises(CommandError, match="NO_SUCH_SECRET is empty or unset"):
        call_command(
            "create_webhook_endpoint",
            "--account",
            "x",
            "--provider",
            "oncehub",
            "--secret-env",
            "NO_SUCH_SECRET",
        )


def test_production_without_secret_key_stops_with_a_clear_message():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env["DJANGO_SETTINGS_MODULE"] = "bookingsync.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_secret_key_starts(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DJANGO_SETTINGS_MODULE="bookingsync.settings",
        SECRET_KEY="a-key-from-the-environment-for-this-test-only",
        BOOKINGSYNC_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("provider", ["calendly", "calcom"])
def test_create_webhook_endpoint_for_each_provider(db, capsys, provider):
    call_command(
        "create_webhook_endpoint", "--account", "northwind", "--provider", provider
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.provider == provider
    assert f"/webhooks/{provider}/{endpoint.token}/" in capsys.readouterr().out
