"""Every page and every id in a URL is scoped to the viewer's accounts."""

from __future__ import annotations

import pytest

from .conftest import BERLIN, local

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = [
    "/a/{slug}/",
    "/a/{slug}/calendar/month/",
    "/a/{slug}/calendar/month/2026-03-10/",
    "/a/{slug}/calendar/week/2026-03-10/",
    "/a/{slug}/calendar/day/2026-03-10/",
    "/a/{slug}/calendar/agenda/2026-03-10/",
    "/a/{slug}/stream/",
    "/a/{slug}/profile/",
]


@pytest.mark.parametrize("page", ACCOUNT_PAGES)
def test_a_member_sees_their_account_and_not_another(
    member_client, account, other_account, make_booking, page
):
    make_booking(local(BERLIN, 2026, 3, 10, 9), customer_name="Mine Example")
    make_booking(
        local(BERLIN, 2026, 3, 10, 10),
        customer_name="Theirs Example",
        in_account=other_account,
    )
    own = member_client.get(page.format(slug="acme"), follow=True)
    assert own.status_code == 200
    assert "Theirs Example" not in own.content.decode()
    assert member_client.get(page.format(slug="globex")).status_code == 404
    assert member_client.get(page.format(slug="nobody")).status_code == 404


@pytest.mark.parametrize("page", ACCOUNT_PAGES + ["/a/{slug}/bookings/1/"])
def test_anonymous_visitors_are_sent_to_log_in(client, account, page):
    response = client.get(page.format(slug="acme"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_stream_and_calendar_hold_no_foreign_events(
    member_client, account, other_account, make_booking, make_event
):
    mine = make_booking(local(BERLIN, 2026, 3, 10, 9), customer_name="Mine Example")
    theirs = make_booking(
        local(BERLIN, 2026, 3, 10, 10),
        customer_name="Theirs Example",
        in_account=other_account,
    )
    make_event(mine)
    make_event(theirs)
    html = member_client.get("/a/acme/stream/").content.decode()
    assert "Mine Example" in html and "Theirs Example" not in html
    day = member_client.get("/a/acme/calendar/day/2026-03-10/").content.decode()
    assert "Mine Example" in day and "Theirs Example" not in day


def test_a_user_in_two_accounts_picks_one_and_switches(
    client, member, account, other_account
):
    from scheduling.models import Membership

    Membership.objects.create(account=other_account, user=member)
    client.force_login(member)
    picker = client.get("/")
    assert picker.status_code == 200
    html = picker.content.decode()
    assert "Acme Coaching" in html and "Globex Advisors" in html

    page = client.get("/a/globex/calendar/month/2026-03-10/").content.decode()
    assert 'href="/a/acme/"' in page  # the account switch
    # The last account opened is where the root leads next time.
    assert client.get("/")["Location"] == "/a/globex/"


def test_a_user_without_an_account_is_told_so(client, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("loner", password="pw-loner-1")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "not a member of any account" in response.content.decode()
