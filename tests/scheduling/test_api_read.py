"""The full read API: filters, event log sync, customers, figures, keys."""

import datetime as dt

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from scheduling.api_tokens import api_token_create
from scheduling.models import ApiToken, Booking, BookingEvent, Customer, Membership
from tests.scheduling.report_data import make_event, utc


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(member):
    client = APIClient()
    client.force_authenticate(member)
    return client


def ids(response, data) -> set[str]:
    assert response.status_code == 200, response.content
    names = {booking.pk: name for name, booking in data.items()}
    return {names[row["id"]] for row in response.json()["results"]}


def test_bookings_by_start_range_status_and_owner(api, report_data):
    in_range = api.get(
        "/api/bookings/",
        {
            "starts_after": "2026-03-10T00:00:00Z",
            "starts_before": "2026-03-12T00:00:00Z",
        },
    )
    assert ids(in_range, report_data) == {"b4", "b5"}

    canceled = api.get("/api/bookings/?status=canceled&status=reschedule_requested")
    assert ids(canceled, report_data) == {"b4", "b5", "b6"}

    by_owner = api.get("/api/bookings/", {"owner": "USR-B"})
    assert ids(by_owner, report_data) == {"b3", "b5"}

    by_page = api.get(
        "/api/bookings/", {"booking_page": "BKC-1", "status": "scheduled"}
    )
    assert ids(by_page, report_data) == {"b8"}


def test_bookings_by_customer_email_and_updated_since(api, report_data):
    by_email = api.get("/api/bookings/", {"customer_email": "DANA@example.com"})
    assert ids(by_email, report_data) == {"b8"}

    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    Booking.objects.filter(pk=report_data["b2"].pk).update(updated_at=later)
    changed = api.get("/api/bookings/", {"updated_since": later.isoformat()})
    assert ids(changed, report_data) == {"b2"}


def test_bad_filter_values_are_400(api, report_data):
    for params in (
        {"starts_after": "yesterday"},
        {"status": "lost"},
        {"updated_since": "2026-13-01"},
    ):
        response = api.get("/api/bookings/", params)
        assert response.status_code == 400, params
        assert set(response.json()) == set(params)


def test_list_and_detail_fields_are_unchanged(api, report_data):
    row = api.get("/api/bookings/", {"owner": "USR-B"}).json()["results"][0]

    assert list(row) == [
        "id",
        "provider",
        "provider_label",
        "external_id",
        "status",
        "provider_status",
        "subject",
        "starts_at",
        "ends_at",
        "time_zone",
        "customer",
        "owner",
    ]


def test_a_bookings_events(api, report_data, outsider):
    b4 = report_data["b4"]
    make_event(booking=b4, kind="canceled", occurred_at=b4.state_at)
    make_event(booking=b4, kind="scheduled", occurred_at=b4.booked_at)

    response = api.get(f"/api/bookings/{b4.pk}/events/")

    assert response.status_code == 200
    assert [event["type"] for event in response.json()] == ["scheduled", "canceled"]
    stranger = APIClient()
    stranger.force_authenticate(outsider)
    assert stranger.get(f"/api/bookings/{b4.pk}/events/").status_code == 404


def test_event_log_pages_by_cursor_without_gaps_or_repeats(
    api,
    report_data,
    other_account,
):
    for number, name in enumerate(["b1", "b2", "b3", "b4", "b5", "b6", "b7"]):
        make_event(
            booking=report_data[name],
            kind="scheduled",
            occurred_at=utc(2026, 2, 1) + dt.timedelta(hours=number),
        )
    foreign = Booking.objects.get(account=other_account)
    make_event(booking=foreign, kind="scheduled", occurred_at=utc(2026, 2, 1))

    seen, url, pages = [], "/api/events/?page_size=3", 0
    while url:
        body = api.get(url).json()
        seen += [event["id"] for event in body["results"]]
        url, pages = body["next"], pages + 1

    mine = list(
        BookingEvent.objects.filter(account=report_data["b1"].account)
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert seen == mine
    assert pages == 3

    # A client that kept the last cursor sees only what was added since.
    last_page = api.get("/api/events/?page_size=3").json()
    make_event(
        booking=report_data["b8"], kind="rescheduled", occurred_at=utc(2026, 3, 8)
    )
    while last_page["next"]:
        last_page = api.get(last_page["next"]).json()
    assert last_page["results"][-1]["type"] == "rescheduled"


def test_event_log_filters(api, report_data):
    make_event(booking=report_data["b4"], kind="canceled", occurred_at=utc(2026, 3, 1))
    make_event(booking=report_data["b5"], kind="scheduled", occurred_at=utc(2026, 3, 9))

    canceled = api.get("/api/events/", {"type": "canceled"}).json()["results"]
    assert [event["booking"] for event in canceled] == [report_data["b4"].pk]
    assert canceled[0]["account"] == "acme"
    assert api.get("/api/events/", {"booking": "0"}).status_code == 400


def test_customers(api, report_data, outsider, other_account):
    Customer.objects.create(account=other_account, email="else@example.com")

    rows = api.get("/api/customers/").json()["results"]

    assert [(row["email"], row["booking_count"]) for row in rows] == [
        ("dana@example.com", 1)
    ]
    dana = Customer.objects.get(email="dana@example.com")
    assert api.get(f"/api/customers/{dana.pk}/").json()["name"] == "Dana Example"
    assert api.get("/api/customers/", {"email": "nobody@x.com"}).json()["count"] == 0
    stranger = APIClient()
    stranger.force_authenticate(outsider)
    assert stranger.get(f"/api/customers/{dana.pk}/").status_code == 404


def test_report_figures(api, report_data):
    response = api.get(
        "/api/reports/", {"start": "2026-03-02", "end": "2026-03-15", "owner": "USR-A"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "acme"
    assert body["time_zone"] == "America/New_York"
    assert body["summary"]["total"] == 6  # b1, b2, b4, b6, b7, b8
    assert body["summary"]["cancellation_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert body["weekly"][0] == {
        "week": "2026-03-02",
        "total": 2,
        "completed": 2,
        "no_show": 0,
        "canceled": 0,
    }
    assert len(body["heatmap"]) == 7 and len(body["heatmap"][0]) == 24


def test_report_needs_valid_dates_and_an_account_of_yours(
    api,
    member,
    report_data,
    other_account,
):
    assert api.get("/api/reports/", {"start": "2026-03-02"}).status_code == 400
    backwards = api.get("/api/reports/", {"start": "2026-03-02", "end": "2026-03-01"})
    assert backwards.status_code == 400
    dates = {"start": "2026-03-02", "end": "2026-03-15"}
    assert api.get("/api/reports/", {**dates, "account": "globex"}).status_code == 404

    Membership.objects.create(account=other_account, user=member)
    assert api.get("/api/reports/", dates).status_code == 400
    assert api.get("/api/reports/", {**dates, "account": "globex"}).status_code == 200


def test_keys_made_on_the_settings_page(client, member, report_data):
    client.force_login(member)

    page = client.post("/settings/api-tokens/", {"name": "CRM sync"})

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    key = page.context["new_key"]
    assert key in page.content.decode()
    token = ApiToken.objects.get(user=member)
    assert token.name == "CRM sync"
    assert key not in (token.key_hash, token.prefix)
    # The key is shown once only.
    assert key not in client.get("/settings/api-tokens/").content.decode()

    program = APIClient()
    program.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert program.get("/api/bookings/").json()["count"] == 10
    token.refresh_from_db()
    assert token.last_used_at is not None

    revoked = client.post("/settings/api-tokens/", {"revoke": token.pk})
    assert revoked.status_code == 302
    assert program.get("/api/bookings/").status_code == 401


def test_keys_of_others_cannot_be_revoked(client, member, outsider):
    token, _key = api_token_create(user=outsider, name="theirs")
    client.force_login(member)

    response = client.post("/settings/api-tokens/", {"revoke": token.pk})

    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_key_without_a_name_is_refused(client, member):
    client.force_login(member)

    response = client.post("/settings/api-tokens/", {"name": ""})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_unknown_key_is_401(report_data):
    program = APIClient()
    program.credentials(HTTP_AUTHORIZATION="Token bsk_not-a-real-key")

    assert program.get("/api/bookings/").status_code == 401


def test_session_login_works_for_the_browser(client, member, report_data):
    client.force_login(member)

    assert client.get("/api/bookings/").json()["count"] == 10


def test_requests_beyond_the_rate_are_throttled(api, report_data, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})

    answers = [api.get("/api/customers/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_times_with_any_offset_are_compared_in_utc(api, report_data):
    # PostgreSQL itself refuses offsets of 16 hours or more.
    response = api.get("/api/bookings/", {"starts_after": "2026-03-15T03:00:00-16:55"})
    assert ids(response, report_data) == {"b9"}  # 19:55 UTC on 15 March
    earlier = api.get("/api/bookings/", {"starts_before": "2026-03-02T21:30:00+16:55"})
    assert ids(earlier, report_data) == {"b10"}  # 04:35 UTC on 2 March
    overflowing = api.get(
        "/api/bookings/", {"starts_after": "9999-12-31T23:00:00-05:00"}
    )
    assert overflowing.status_code == 400


def test_report_dates_far_from_today_are_refused(api, report_data):
    response = api.get("/api/reports/", {"start": "2026-03-02", "end": "9999-12-31"})

    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/bookings/", "/api/customers/", "/api/events/"])
def test_account_that_cannot_be_a_slug_is_400(api, path):
    response = api.get(path, {"account": "acme\x00"})

    assert response.status_code == 400
    assert "account" in response.json()


def test_list_queries_do_not_grow_with_rows(
    api, report_data, django_assert_max_num_queries
):
    for name in ("b1", "b2", "b3", "b4", "b5"):
        make_event(
            booking=report_data[name], kind="scheduled", occurred_at=utc(2026, 2, 1)
        )

    for path in ("/api/events/", "/api/customers/", "/api/bookings/?status=completed"):
        with django_assert_max_num_queries(4):
            assert api.get(path).status_code == 200
    with django_assert_max_num_queries(12):
        api.get("/api/reports/", {"start": "2026-03-02", "end": "2026-03-15"})
