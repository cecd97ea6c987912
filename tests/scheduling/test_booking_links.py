"""Personalised booking links, and the bookings that come back through them."""

from urllib.parse import parse_qs, urlsplit

import pytest

from scheduling.booking_links import (
    TRACKING_FIELD,
    BookingLinkError,
    booking_link_for_customer,
    tracking_value,
)
from scheduling.deliveries import delivery_process
from scheduling.models import Booking, Customer
from tests.conftest import as_body, fixture_json


@pytest.fixture
def jamie(account):
    return Customer.objects.create(
        account=account,
        email="jamie@example.com",
        name="Jamie Rivera",
        phone="+1 202 555 0199",
        company="Rivera & Co",
    )


def test_link_prefills_the_form_and_carries_the_tracking_field(jamie):
    link = booking_link_for_customer(
        customer=jamie, page_url="https://go.oncehub.com/AcmeIntro?skip=1"
    )

    parts = urlsplit(link)
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "go.oncehub.com",
        "/AcmeIntro",
    )
    assert params == {
        "skip": "1",
        "name": "Jamie Rivera",
        "email": "jamie@example.com",
        "phone": "+1 202 555 0199",
        "mobile_phone": "+1 202 555 0199",
        "company": "Rivera & Co",
        TRACKING_FIELD: tracking_value(customer=jamie),
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://go.oncehub.com/AcmeIntro",
        "https://evil.example.com/AcmeIntro",
        "https://oncehub.com.evil.example/x",
        "https://go.oncehub.com/",
    ],
)
def test_only_oncehub_pages_are_accepted(jamie, url):
    with pytest.raises(BookingLinkError):
        booking_link_for_customer(customer=jamie, page_url=url)


def _deliver(post_webhook, *, tracking: str, email: str) -> Booking:
    payload = fixture_json("oncehub/booking_scheduled.json")
    form = payload["data"]["form_submission"]
    form["email"] = email
    form["custom_fields"].append({"name": TRACKING_FIELD, "value": tracking})
    delivery = post_webhook(as_body(payload)).json()["delivery"]
    delivery_process(delivery_id=delivery)
    return Booking.objects.get(external_id=payload["data"]["id"])


def test_booking_through_the_link_goes_to_that_customer(post_webhook, jamie):
    booking = _deliver(
        post_webhook, tracking=tracking_value(customer=jamie), email="typo@example.com"
    )

    assert booking.customer == jamie
    # The customer's own details are left as they were.
    jamie.refresh_from_db()
    assert jamie.email == "jamie@example.com"
    assert not Customer.objects.filter(email="typo@example.com").exists()


def test_forged_tracking_field_is_ignored(post_webhook, jamie):
    booking = _deliver(
        post_webhook, tracking=f"{jamie.account_id}.{jamie.pk}:forged", email="x@y.com"
    )

    assert booking.customer.email == "x@y.com"


def test_another_accounts_customer_is_never_attached(
    post_webhook, jamie, other_account
):
    stranger = Customer.objects.create(account=other_account, email="s@example.com")

    booking = _deliver(
        post_webhook, tracking=tracking_value(customer=stranger), email="x@y.com"
    )

    assert booking.customer.email == "x@y.com"
    assert booking.customer.account_id == jamie.account_id


def test_customer_page_makes_the_link(client, member, jamie):
    client.force_login(member)
    url = f"/customers/acme/{jamie.pk}/"

    assert client.get(url).status_code == 200
    response = client.post(url, {"page_url": "https://oncehub.com/acme-sales"})
    assert response.status_code == 200
    assert response.context["link"].startswith("https://oncehub.com/acme-sales?")
    bad = client.post(url, {"page_url": "https://example.com/x"})
    assert bad.status_code == 400


def test_customer_page_of_another_account_is_not_found(client, outsider, jamie):
    client.force_login(outsider)

    assert client.get(f"/customers/acme/{jamie.pk}/").status_code == 404
    assert client.get(f"/customers/globex/{jamie.pk}/").status_code == 404
