"""The activity stream: newest first, what changed, filters, pages, cost."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from scheduling.models import BookingEvent

from .conftest import BERLIN, CHICAGO, local

pytestmark = pytest.mark.django_db

URL = reverse("stream", kwargs={"account_slug": "acme"})


def event_items(html: str) -> list[str]:
    return re.findall(r'<li class="event .*?</li>\n', html, flags=re.S)


def test_events_are_listed_newest_first_with_what_changed(
    member_client, account, make_booking, make_event
):
    account.time_zone = "America/Chicago"
    account.save()
    old = make_booking(local(CHICAGO, 2026, 3, 10, 9), customer_name="Dana Moved")
    new = make_booking(
        local(CHICAGO, 2026, 3, 12, 14), customer_name="Dana Moved", replaces=old
    )
    make_event(old, occurred_at=local(CHICAGO, 2026, 3, 1, 8))
    make_event(
        new,
        kind=BookingEvent.Kind.RESCHEDULED,
        occurred_at=local(CHICAGO, 2026, 3, 2, 8),
        previous_starts_at=old.starts_at.isoformat(),
        starts_at=new.starts_at.isoformat(),
        reason="Conflict with another meeting",
        actioned_by="customer",
    )
    make_event(
        new,
        kind=BookingEvent.Kind.REASSIGNED,
        occurred_at=local(CHICAGO, 2026, 3, 3, 8),
        owner="Casey Host",
        previous_owner="Jordan Host",
    )
    canceled = make_booking(local(CHICAGO, 2026, 3, 20, 9), customer_name="Lee Gone")
    make_event(
        canceled,
        kind=BookingEvent.Kind.CANCELED,
        occurred_at=local(CHICAGO, 2026, 3, 4, 8),
        reason="Found another coach",
        actioned_by="user",
    )

    html = member_client.get(URL).content.decode()
    items = event_items(html)
    kinds = [re.search(r'kind-badge">([^<]+)<', item).group(1) for item in items]
    assert kinds == ["Canceled", "Reassigned", "Rescheduled", "Scheduled"]

    assert "Found another coach" in items[0] and "the host" in items[0]
    assert "<del>Jordan Host</del>" in items[1] and "<ins>Casey Host</ins>" in items[1]
    rescheduled = items[2]
    assert "<del>Tue 10 Mar 2026, 09:00</del>" in rescheduled
    assert "<ins>Thu 12 Mar 2026, 14:00</ins>" in rescheduled
    assert "Conflict with another meeting" in rescheduled
    assert "the customer" in rescheduled
    assert "Mon 2 Mar 2026, 08:00" in rescheduled
    assert all("OnceHub" in item for item in items)
    assert f'href="/a/acme/bookings/{new.pk}/"' in rescheduled


def test_filter_by_kind_and_local_day(
    member_client, member, account, make_booking, make_event
):
    account.time_zone = "Europe/Berlin"
    account.save()
    booking = make_booking(local(BERLIN, 2026, 3, 20, 9))
    make_event(booking, occurred_at=local(BERLIN, 2026, 3, 10, 23, 30))
    make_event(
        booking,
        kind=BookingEvent.Kind.CANCELED,
        occurred_at=local(BERLIN, 2026, 3, 11, 0, 30),
    )

    canceled = event_items(
        member_client.get(URL, {"kind": "canceled"}).content.decode()
    )
    assert len(canceled) == 1 and "Canceled" in canceled[0]

    on_tenth = event_items(
        member_client.get(URL, {"date": "2026-03-10"}).content.decode()
    )
    assert len(on_tenth) == 1 and "Scheduled" in on_tenth[0]
    on_eleventh = event_items(
        member_client.get(URL, {"date": "2026-03-11"}).content.decode()
    )
    assert len(on_eleventh) == 1 and "Canceled" in on_eleventh[0]

    bad = member_client.get(URL, {"kind": "exploded"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()


def test_long_histories_are_paged_without_gaps_or_repeats(
    member_client, account, make_booking, make_event
):
    booking = make_booking(local(BERLIN, 2026, 3, 20, 9))
    start = local(BERLIN, 2026, 1, 1, 9)
    for n in range(120):
        # Pairs share a time, so the page edge must also order by id.
        make_event(booking, occurred_at=start + dt.timedelta(hours=n // 2))
    seen = []
    url = URL + "?kind=scheduled"
    while url:
        html = member_client.get(url.replace("&amp;", "&")).content.decode()
        seen += re.findall(r'data-event-id="(\d+)"', html)
        older = re.search(r'href="([^"]+)" rel="next">Older', html)
        url = older.group(1) if older else None
        if url:
            assert "kind=scheduled" in url
    expected = list(
        BookingEvent.objects.order_by("-occurred_at", "-id").values_list(
            "id", flat=True
        )
    )
    assert [int(i) for i in seen] == expected


def test_a_malformed_cursor_is_a_400(member_client, account):
    assert member_client.get(URL, {"before": "yesterday"}).status_code == 400


def test_new_events_arrive_by_polling_marked_new(
    member_client, account, make_booking, make_event
):
    booking = make_booking(local(BERLIN, 2026, 3, 20, 9))
    make_event(booking)
    page = member_client.get(URL).content.decode()
    (poll_url,) = re.findall(r'hx-get="([^"]+)"', page)
    poll_url = poll_url.replace("&amp;", "&")
    assert (
        member_client.get(poll_url, headers={"HX-Request": "true"}).status_code == 204
    )

    make_event(booking, kind=BookingEvent.Kind.CANCELED, reason="Ill")
    html = member_client.get(poll_url, headers={"HX-Request": "true"}).content.decode()
    items = event_items(html)
    assert "New</mark>" in items[0] and "Ill" in items[0]
    assert "New</mark>" not in items[1]


def test_the_query_count_does_not_grow_with_the_events_shown(
    member_client, account, make_booking, make_event, django_assert_max_num_queries
):
    def add(count):
        for n in range(count):
            booking = make_booking(local(BERLIN, 2026, 3, 1 + n % 28, 9))
            make_event(booking, kind=BookingEvent.Kind.CANCELED, reason="Busy")

    add(3)
    member_client.get(URL)
    with django_assert_max_num_queries(6) as small:
        assert member_client.get(URL, {"since": "0"}).status_code == 200
    add(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = member_client.get(URL, {"since": "0"})
    assert len(event_items(response.content.decode())) == 50


def test_filter_by_scheduler(member_client, account, make_booking, make_event):
    from_oncehub = make_booking(local(BERLIN, 2026, 3, 20, 9), subject="Morning call")
    from_calcom = make_booking(
        local(BERLIN, 2026, 3, 21, 9), subject="Evening call", provider="calcom"
    )
    make_event(from_oncehub)
    make_event(from_calcom)

    items = event_items(member_client.get(URL, {"provider": "calcom"}).content.decode())

    assert len(items) == 1
    assert "Evening call" in items[0]
    assert "Via</dt><dd>Cal.com" in items[0]
