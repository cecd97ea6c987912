"""Log in, log out, change and reset a password, and pick a time zone."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from scheduling.models import Profile

pytestmark = pytest.mark.django_db


def test_log_in_lands_on_the_calendar_and_log_out_leaves(client, member, account):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'<link rel="stylesheet"' in page.content
    assert b'for="id_username"' in page.content

    wrong = client.post(
        "/accounts/login/", {"username": "riley", "password": "nope"}, follow=True
    )
    assert wrong.status_code == 200
    assert b"enter a correct username and password" in wrong.content

    response = client.post(
        "/accounts/login/", {"username": "riley", "password": "pw-riley-1"}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith("/a/acme/calendar/month/")

    out = client.post("/accounts/logout/", follow=True)
    assert out.redirect_chain[-1][0] == "/accounts/login/"
    assert client.get("/a/acme/stream/").status_code == 302


def test_log_in_returns_to_the_page_asked_for(client, member, account):
    target = "/a/acme/stream/?kind=canceled"
    response = client.get(target)
    login_url = response["Location"]
    response = client.post(
        login_url, {"username": "riley", "password": "pw-riley-1", "next": target}
    )
    assert response["Location"] == target


def test_change_password(member_client, member):
    page = member_client.get("/accounts/password_change/")
    assert page.status_code == 200
    response = member_client.post(
        "/accounts/password_change/",
        {
            "old_password": "pw-riley-1",
            "new_password1": "a-Much-better-one-42",
            "new_password2": "a-Much-better-one-42",
        },
        follow=True,
    )
    assert b"Password changed" in response.content
    member.refresh_from_db()
    assert member.check_password("a-Much-better-one-42")


def test_reset_password_by_email(client, member):
    member.email = "riley@example.com"
    member.save()
    response = client.post(
        "/accounts/password_reset/", {"email": "riley@example.com"}, follow=True
    )
    assert b"Check your email" in response.content
    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)

    form = client.get(link, follow=True)
    assert b"Set a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "Fresh-pass-for-riley-7",
            "new_password2": "Fresh-pass-for-riley-7",
        },
        follow=True,
    )
    assert b"Password set" in done.content
    member.refresh_from_db()
    assert member.check_password("Fresh-pass-for-riley-7")


def test_the_profile_sets_and_clears_the_time_zone(member_client, member, account):
    page = member_client.get("/a/acme/profile/")
    assert b"The account&#x27;s zone (UTC)" in page.content

    saved = member_client.post(
        "/a/acme/profile/", {"time_zone": "Asia/Tokyo"}, follow=True
    )
    assert b"Your time zone is saved." in saved.content
    assert Profile.objects.get(user=member).time_zone == "Asia/Tokyo"
    assert b"Asia/Tokyo" in member_client.get("/a/acme/stream/").content

    bad = member_client.post("/a/acme/profile/", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert Profile.objects.get(user=member).time_zone == "Asia/Tokyo"

    member_client.post("/a/acme/profile/", {"time_zone": ""})
    assert Profile.objects.get(user=member).time_zone == ""
