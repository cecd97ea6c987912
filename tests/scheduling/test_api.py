"""The read API: each account's bookings, for its members only."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduling.deliveries import delivery_process
from scheduling.models import Booking, Membership
from tests.conftest import fixture_bytes


@pytest.fixture
def bookings(post_webhook):
    for name in (
        "oncehub/booking_scheduled.json",
        "oncehub/booking_rescheduled.json",
        "oncehub/booking_canceled.json",
        "oncehub/booking_completed.json",
    ):
        delivery_process(
            delivery_id=post_webhook(fixture_bytes(name)).json()["delivery"]
        )
    return Booking.objects.all()


@pytest.fixture
def api(member):
    client = APIClient()
    client.force_authenticate(member)
    return client


def test_list_is_newest_start_first_with_customer_and_owner(api, bookings):
    response = api.get("/api/bookings/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["external_id"] for row in rows] == [
        "BKNG-N2V6XR8D4H0P",  # 12 March
        "BKNG-Q4T8ZK2M7W1C",  # 9 March
        "BKNG-R7J1YH5C9B2F",  # 7 March
        "BKNG-H8C3WQ1Z5M7T",  # replaced, its time never sent
    ]
    first = rows[1]
    assert first == {
        "id": first["id"],
        "provider": "oncehub",
        "provider_label": "OnceHub",
        "external_id": "BKNG-Q4T8ZK2M7W1C",
        "status": "completed",
        "provider_status": "completed",
        "subject": "30-minute discovery call",
        "starts_at": "2026-03-09T16:00:00Z",
        "ends_at": "2026-03-09T16:30:00Z",
        "time_zone": "America/New_York",
        "customer": {
            "name": "Dana Example",
            "email": "dana.example@example.com",
            "phone": "+1-202-555-0142",
            "company": "Example Widgets LLC",
        },
        "owner": {"id": "USR-K7M2Q9XW4T", "name": "Riley Sample"},
    }


def test_detail_adds_the_event_log(api, bookings):
    booking = bookings.get(external_id="BKNG-Q4T8ZK2M7W1C")
    response = api.get(f"/api/bookings/{booking.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert [(e["type"], e["occurred_at"]) for e in body["events"]] == [
        ("scheduled", "2026-03-02T14:05:11.204000Z"),
        ("completed", "2026-03-09T16:30:03.502000Z"),
    ]
    assert {"name": "lead_id", "value": "lead_9f2c41ab"} in body["custom_fields"]


def test_list_query_count_does_not_grow_with_bookings(
    api, bookings, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        api.get("/api/bookings/")


def test_other_accounts_see_nothing(bookings, outsider):
    client = APIClient()
    client.force_authenticate(outsider)
    booking = bookings.first()

    assert client.get("/api/bookings/").json()["count"] == 0
    assert client.get(f"/api/bookings/{booking.pk}/").status_code == 404


def test_member_of_two_accounts_can_narrow_to_one(api, member, bookings, other_account):
    Membership.objects.create(account=other_account, user=member)

    assert api.get("/api/bookings/").json()["count"] == 4
    assert api.get("/api/bookings/?account=globex").json()["count"] == 0
    assert api.get("/api/bookings/?account=acme").json()["count"] == 4


def test_anonymous_is_refused(client, bookings):
    response = client.get("/api/bookings/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_from_drf_create_token(member, bookings, capsys):
    call_command("drf_create_token", member.username)
    key = Token.objects.get(user=member).key
    client = APIClient()

    assert key in capsys.readouterr().out
    response = client.get("/api/bookings/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["count"] == 4
    bad = client.get("/api/bookings/", HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.status_code == 401


def test_bookings_of_every_provider_say_which_and_can_be_narrowed(
    api, bookings, account, client
):
    import time

    from scheduling.accounts import endpoint_create
    from scheduling.providers import calcom, calendly

    for module, name in (
        (calendly, "calendly/calendly_invitee_created.json"),
        (calcom, "calcom/calcom_booking_created.json"),
    ):
        endpoint = endpoint_create(account=account, provider=module.NAME)
        body = fixture_bytes(name)
        response = client.post(
            endpoint.get_absolute_url(),
            data=body,
            content_type="application/json",
            headers=module.signature_headers(
                secret=endpoint.secret, body=body, timestamp=int(time.time())
            ),
        )
        delivery_process(delivery_id=response.json()["delivery"])

    rows = api.get("/api/bookings/").json()["results"]
    assert {(row["provider"], row["provider_label"]) for row in rows} == {
        ("oncehub", "OnceHub"),
        ("calendly", "Calendly"),
        ("calcom", "Cal.com"),
    }
    only = api.get("/api/bookings/?provider=calcom").json()
    assert [row["external_id"] for row in only["results"]] == ["5iyX7nnFAr0ocLsXFOttoa"]


@pytest.mark.parametrize("path", ["/api/bookings/", "/api/customers/", "/api/events/"])
def test_naming_an_account_you_are_not_in_is_404(api, bookings, other_account, path):
    response = api.get(path, {"account": "globex"})

    assert response.status_code == 404
    assert response.json() == {"detail": "No such account."}
