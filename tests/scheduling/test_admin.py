"""The admin: pages render, secrets are shown once, provider data stays read-only."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.deliveries import delivery_process, delivery_record
from scheduling.models import (
    Account,
    Booking,
    BookingEvent,
    Customer,
    Membership,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.conftest import SAMPLE_SECRET, fixture_bytes

Status = WebhookDelivery.Status
SAMPLE = "oncehub/booking_scheduled.json"
SAMPLE_BOOKING = "BKNG-Q4T8ZK2M7W1C"


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture
def stored_delivery(post_webhook):
    """Post the signed sample and return the delivery, not yet processed."""

    def store(body: bytes | None = None) -> WebhookDelivery:
        response = post_webhook(body or fixture_bytes(SAMPLE))
        assert response.status_code == 202, response.content
        return WebhookDelivery.objects.get(pk=response.json()["delivery"])

    return store


@pytest.fixture
def processed(stored_delivery, member):
    """One of every row the admin shows: the sample stored and processed."""
    delivery = stored_delivery()
    delivery_process(delivery_id=delivery.pk)
    return delivery


def run_action(client, model, action: str, objects):
    return client.post(
        admin_url(model, "changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


# Every page renders


PAGES = [
    (Account, lambda: Account.objects.get()),
    (WebhookEndpoint, lambda: WebhookEndpoint.objects.get()),
    (WebhookDelivery, lambda: WebhookDelivery.objects.get()),
    (Customer, lambda: Customer.objects.get()),
    (Booking, lambda: Booking.objects.get()),
    (BookingEvent, lambda: BookingEvent.objects.get()),
]


@pytest.mark.parametrize(
    ("model", "pick"), PAGES, ids=lambda p: getattr(p, "__name__", "")
)
def test_changelist_and_change_page_render(admin_client, processed, model, pick):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "change", pick().pk)).status_code == 200


@pytest.mark.parametrize("model", [Account, WebhookEndpoint])
def test_add_page_renders(admin_client, db, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_account_list_counts_endpoints(admin_client, endpoint):
    response = admin_client.get(admin_url(Account, "changelist"))

    assert '<td class="field-endpoint_count">1</td>' in response.content.decode()


def test_account_membership_inline_saves(admin_client, account):
    user = get_user_model().objects.create_user("casey")
    data = {
        "name": account.name,
        "slug": account.slug,
        "time_zone": "Europe/Berlin",
        "membership_set-TOTAL_FORMS": "1",
        "membership_set-INITIAL_FORMS": "0",
        "membership_set-0-user": str(user.pk),
        "membership_set-0-role": Membership.Role.ADMIN,
    }

    response = admin_client.post(admin_url(Account, "change", account.pk), data)

    assert response.status_code == 302, response.context["errors"]
    assert Membership.objects.get(account=account).user == user


def test_account_rejects_unknown_time_zone(admin_client, account):
    data = {
        "name": account.name,
        "slug": account.slug,
        "time_zone": "Mars/Olympus",
        "membership_set-TOTAL_FORMS": "0",
        "membership_set-INITIAL_FORMS": "0",
    }

    response = admin_client.post(admin_url(Account, "change", account.pk), data)

    assert response.status_code == 200
    assert "Not a time zone name" in response.content.decode()


# Endpoints: the secret is shown once


def add_endpoint(client, account, secret: str = ""):
    return client.post(
        admin_url(WebhookEndpoint, "add"),
        {
            "account": account.pk,
            "provider": "oncehub",
            "name": "Main",
            "new_secret": secret,
        },
        follow=True,
    )


def test_adding_endpoint_shows_url_and_generated_secret_once(admin_client, account):
    response = add_endpoint(admin_client, account)

    endpoint = WebhookEndpoint.objects.get()
    url = "http://testserver" + endpoint.get_absolute_url()
    page = response.content.decode()
    assert len(endpoint.secret) == 32
    assert endpoint.secret in page
    assert url in page
    assert not endpoint.allow_unsigned

    change_page = admin_client.get(admin_url(WebhookEndpoint, "change", endpoint.pk))
    assert change_page.status_code == 200
    assert endpoint.secret not in change_page.content.decode()
    assert url in change_page.content.decode()
    changelist = admin_client.get(admin_url(WebhookEndpoint, "changelist"))
    assert endpoint.secret not in changelist.content.decode()


def test_adding_endpoint_keeps_a_pasted_provider_secret(admin_client, account):
    response = add_endpoint(admin_client, account, secret=SAMPLE_SECRET)

    assert WebhookEndpoint.objects.get().secret == SAMPLE_SECRET
    assert SAMPLE_SECRET in response.content.decode()


def test_change_page_never_shows_current_or_previous_secret(admin_client, endpoint):
    run_action(admin_client, WebhookEndpoint, "rotate_signing_secret", [endpoint])
    endpoint.refresh_from_db()

    page = admin_client.get(admin_url(WebhookEndpoint, "change", endpoint.pk))

    html = page.content.decode()
    assert endpoint.secret not in html
    assert endpoint.previous_secret not in html
    assert "still accepted until" in html


def test_rotate_action_shows_new_secret_and_keeps_old_one(admin_client, endpoint):
    response = run_action(
        admin_client, WebhookEndpoint, "rotate_signing_secret", [endpoint]
    )

    endpoint.refresh_from_db()
    accepted = endpoint.accepted_secrets()
    assert endpoint.secret != SAMPLE_SECRET
    assert set(accepted) == {endpoint.secret, SAMPLE_SECRET}
    page = response.content.decode()
    assert endpoint.secret in page
    assert "previous secret stays accepted until" in page


def test_pasting_a_new_secret_on_the_change_form_rotates(admin_client, endpoint):
    new_secret = "0123456789abcdef0123456789abcdef"
    data = {"name": "Renamed", "is_active": "on", "new_secret": new_secret}

    response = admin_client.post(
        admin_url(WebhookEndpoint, "change", endpoint.pk), data, follow=True
    )

    endpoint.refresh_from_db()
    assert endpoint.name == "Renamed"
    assert set(endpoint.accepted_secrets()) == {new_secret, SAMPLE_SECRET}
    assert new_secret in response.content.decode()


def test_change_form_refuses_the_current_secret_as_new(admin_client, endpoint):
    data = {"name": "", "is_active": "on", "new_secret": SAMPLE_SECRET}

    response = admin_client.post(
        admin_url(WebhookEndpoint, "change", endpoint.pk), data
    )

    assert response.status_code == 200
    assert "already the current secret" in response.content.decode()
    assert SAMPLE_SECRET not in response.content.decode().replace(
        "already the current secret", ""
    )
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == ""


# Deliveries: read-only, reprocessable, kept


def test_delivery_page_shows_body_and_headers(admin_client, stored_delivery):
    delivery = stored_delivery()

    page = admin_client.get(admin_url(WebhookDelivery, "change", delivery.pk))

    html = page.content.decode()
    assert "Oncehub-Signature" in html
    assert "EVNT-7QK2M4ZP8D" in html
    assert "30-minute discovery call" in html
    assert 'name="_save"' not in html


def test_delivery_page_decodes_cut_and_broken_bodies(admin_client, endpoint):
    delivery = delivery_record(
        endpoint=endpoint,
        provider="oncehub",
        method="POST",
        path=endpoint.get_absolute_url(),
        remote_addr="203.0.113.9",
        headers={"Content-Type": "application/json"},
        body=b'{"id": "cut \xff',
        body_size=9000,
        status=Status.REJECTED,
        response_status=413,
        error="body too large",
    )

    page = admin_client.get(admin_url(WebhookDelivery, "change", delivery.pk))

    html = page.content.decode()
    assert "9000 bytes arrived" in html
    assert "cut \ufffd" in html
    assert "203.0.113.9" in html
    assert "body too large" in html


def test_delivery_page_links_the_booking_events_it_produced(admin_client, processed):
    event = BookingEvent.objects.get()

    page = admin_client.get(admin_url(WebhookDelivery, "change", processed.pk))

    assert admin_url(BookingEvent, "change", event.pk) in page.content.decode()
    assert admin_url(Booking, "change", event.booking_id) in page.content.decode()


def test_process_again_action_processes_a_stored_delivery(
    admin_client, stored_delivery
):
    delivery = stored_delivery()
    assert delivery.status == Status.RECEIVED

    response = run_action(admin_client, WebhookDelivery, "process_again", [delivery])

    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED
    assert Booking.objects.filter(external_id=SAMPLE_BOOKING).exists()
    assert "Resulting status: processed 1" in response.content.decode()

    # Running it again changes nothing: processing is idempotent.
    run_action(admin_client, WebhookDelivery, "process_again", [delivery])
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED
    assert delivery.attempts == 2
    assert BookingEvent.objects.count() == 1


def test_process_again_reports_failures(admin_client, stored_delivery):
    delivery = stored_delivery(b"not json")

    response = run_action(admin_client, WebhookDelivery, "process_again", [delivery])

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "Resulting status: failed 1" in response.content.decode()


def test_deliveries_cannot_be_added_changed_or_deleted(
    admin_client, admin_user, rf, stored_delivery
):
    delivery = stored_delivery()
    model_admin = admin.site.get_model_admin(WebhookDelivery)
    request = rf.get(admin_url(WebhookDelivery, "changelist"))
    request.user = admin_user

    assert not model_admin.has_delete_permission(request, delivery)
    assert "delete_selected" not in model_admin.get_actions(request)
    delete_url = admin_url(WebhookDelivery, "delete", delivery.pk)
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    run_action(admin_client, WebhookDelivery, "delete_selected", [delivery])
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()
    assert admin_client.get(admin_url(WebhookDelivery, "add")).status_code == 403
    change_url = admin_url(WebhookDelivery, "change", delivery.pk)
    assert admin_client.post(change_url, {"status": "ignored"}).status_code == 403


def test_delivery_list_skips_bodies_and_does_not_grow_queries(
    admin_client, stored_delivery
):
    url = admin_url(WebhookDelivery, "changelist")
    stored_delivery()
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for _ in range(4):
        stored_delivery()
    with CaptureQueriesContext(connection) as five:
        response = admin_client.get(url)

    assert len(response.context["cl"].result_list) == 5
    assert len(five) == len(one)
    listing = [
        q["sql"] for q in five if 'FROM "scheduling_webhookdelivery"' in q["sql"]
    ]
    assert listing
    assert not any('"scheduling_webhookdelivery"."body"' in sql for sql in listing)


# Provider data: read-only


def test_booking_pages_are_read_only(admin_client, processed):
    booking = Booking.objects.get()
    change_url = admin_url(Booking, "change", booking.pk)

    page = admin_client.get(change_url).content.decode()

    assert 'name="_save"' not in page
    assert "30-minute discovery call" in page
    assert admin_url(WebhookDelivery, "change", processed.pk) in page
    assert admin_client.post(change_url, {"subject": "edited"}).status_code == 403
    assert admin_client.get(admin_url(Booking, "add")).status_code == 403
    assert admin_client.get(admin_url(Booking, "delete", booking.pk)).status_code == 403


def test_customer_page_lists_their_bookings(admin_client, processed):
    customer = Customer.objects.get()

    page = admin_client.get(admin_url(Customer, "change", customer.pk))

    html = page.content.decode()
    assert "30-minute discovery call" in html
    assert admin_url(Booking, "change", Booking.objects.get().pk) in html
    assert 'name="_save"' not in html


def test_booking_list_filters_and_searches(admin_client, processed):
    url = admin_url(Booking, "changelist")

    found = admin_client.get(url, {"q": "dana.example@example.com"})
    missed = admin_client.get(url, {"q": "nobody@example.com", "status": "canceled"})

    assert len(found.context["cl"].result_list) == 1
    assert len(missed.context["cl"].result_list) == 0


@pytest.mark.parametrize("provider", ["calendly", "calcom"])
def test_adding_an_endpoint_for_another_provider(admin_client, account, provider):
    response = admin_client.post(
        admin_url(WebhookEndpoint, "add"),
        {"account": account.pk, "provider": provider, "name": "Second scheduler"},
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.provider == provider
    assert endpoint.get_absolute_url() == f"/webhooks/{provider}/{endpoint.token}/"
    assert endpoint.secret in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000 + b"]" * 5000, b'{"subject": "\\ud800"}', b'{"a": 1, "\\u0000": 2}'],
    ids=["deeply nested", "unpaired surrogate", "NUL key"],
)
def test_delivery_page_shows_bodies_built_to_break_it(admin_client, endpoint, body):
    delivery = delivery_record(
        endpoint=endpoint,
        provider="oncehub",
        method="POST",
        path=endpoint.get_absolute_url(),
        remote_addr="203.0.113.9",
        headers={"Content-Type": "application/json"},
        body=body,
        body_size=len(body),
        status=Status.RECEIVED,
        response_status=202,
    )

    page = admin_client.get(admin_url(WebhookDelivery, "change", delivery.pk))

    assert page.status_code == 200
