"""The booking page: every field the provider sent, the timeline, the chain."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scheduling.models import BookingEvent

from .conftest import CHICAGO, local

pytestmark = pytest.mark.django_db


def booking_url(booking) -> str:
    return reverse(
        "booking-detail",
        kwargs={"account_slug": booking.account.slug, "booking_id": booking.pk},
    )


def test_shows_every_field_links_and_payment(member_client, account, make_booking):
    account.time_zone = "America/Chicago"
    account.save()
    booking = make_booking(
        local(CHICAGO, 2026, 3, 10, 20, 30),
        minutes=45,
        customer_name="Dana Example",
        subject="Product demo",
        owner_name="Jordan Host",
        page_name="Sales page",
        event_type_name="Demo",
        location="Room 4, Main Street",
        join_url="https://video.example.com/j/5550123",
        cancel_url="https://oncehub.com/m/BKNG-1/cancel",
        reschedule_url="https://oncehub.com/m/BKNG-1",
        custom_fields=[{"name": "Goal", "value": "Expand to two markets"}],
        payment={"amount_charged": 15000, "currency": "USD"},
        guests=["sam@example.com"],
        note="Bring the numbers",
        time_zone="America/Los_Angeles",
    )
    booking.customer.phone = "+1-202-555-0118"
    booking.customer.save()

    html = member_client.get(booking_url(booking)).content.decode()
    for text in (
        "Product demo",
        "Tuesday 10 March 2026, 20:30",
        "21:15",
        "America/Chicago",
        "Dana Example",
        booking.customer.email,
        "+1-202-555-0118",
        "Jordan Host",
        "Sales page",
        "Demo",
        "Room 4, Main Street",
        'href="https://video.example.com/j/5550123"',
        'href="https://oncehub.com/m/BKNG-1/cancel"',
        'href="https://oncehub.com/m/BKNG-1"',
        "Goal</dt><dd>Expand to two markets",
        "Amount charged</dt><dd>15000",
        "Currency</dt><dd>USD",
        "sam@example.com",
        "Bring the numbers",
        "America/Los_Angeles",
        "OnceHub",
        "Cancel on OnceHub",
    ):
        assert text in html, text


def test_shows_the_timeline_and_the_reschedule_chain(
    member_client, account, make_booking, make_event
):
    first = make_booking(local(CHICAGO, 2026, 3, 10, 9), status="rescheduled")
    second = make_booking(
        local(CHICAGO, 2026, 3, 11, 9), replaces=first, status="rescheduled"
    )
    third = make_booking(local(CHICAGO, 2026, 3, 12, 9), replaces=second)
    make_event(second, occurred_at=local(CHICAGO, 2026, 3, 1, 9))
    make_event(
        second,
        kind=BookingEvent.Kind.CANCELED,
        occurred_at=local(CHICAGO, 2026, 3, 2, 9),
        reason="Travel",
    )

    html = member_client.get(booking_url(second)).content.decode()
    assert html.index("Scheduled</span>") < html.index("Canceled</span>")
    assert "Travel" in html
    chain = html[html.index('class="chain"') :]
    assert chain.index(booking_url(first)) < chain.index("This booking")
    assert chain.index("This booking") < chain.index(booking_url(third))
    assert "Replaced booking" in chain and "Replaced by" in chain


def test_a_booking_of_another_account_is_a_404(
    member_client, account, other_account, make_booking
):
    foreign = make_booking(local(CHICAGO, 2026, 3, 10, 9), in_account=other_account)
    response = member_client.get(
        reverse(
            "booking-detail", kwargs={"account_slug": "acme", "booking_id": foreign.pk}
        )
    )
    assert response.status_code == 404
    assert member_client.get(booking_url(foreign)).status_code == 404


def test_provider_actions_are_offered_only_while_the_booking_stands(
    member_client, account, make_booking
):
    links = {
        "cancel_url": "https://oncehub.com/m/BKNG-9/cancel",
        "reschedule_url": "https://oncehub.com/m/BKNG-9",
    }
    standing = make_booking(local(CHICAGO, 2026, 3, 10, 9), **links)
    gone = make_booking(local(CHICAGO, 2026, 3, 11, 9), status="canceled", **links)

    assert (
        "Cancel on OnceHub" in member_client.get(booking_url(standing)).content.decode()
    )
    html = member_client.get(booking_url(gone)).content.decode()
    assert "Cancel on OnceHub" not in html
    assert 'href="https://oncehub.com/m/BKNG-9/cancel"' in html  # still listed


def test_booking_page_links_to_its_customers_page(member_client, account, make_booking):
    import datetime as dt

    booking = make_booking(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC))
    page = member_client.get(
        reverse(
            "booking-detail", kwargs={"account_slug": "acme", "booking_id": booking.pk}
        )
    ).content.decode()

    customer_url = reverse(
        "customer-page", kwargs={"slug": "acme", "customer_id": booking.customer.pk}
    )
    assert f'href="{customer_url}"' in page
    assert member_client.get(customer_url).status_code == 200
