"""The private calendar feed, parsed back as a calendar app would."""

import datetime as dt
import zoneinfo

import icalendar
import pytest

from scheduling.feeds import calendar_feed_for_user
from scheduling.models import Booking, Customer
from tests.scheduling.report_data import make_booking, make_event

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def read_feed(client, user) -> icalendar.Calendar:
    feed = calendar_feed_for_user(user=user)
    response = client.get(f"/feeds/{feed.token}/bookings.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(b"".join(response.streaming_content))


def events_by_summary(calendar) -> dict[str, icalendar.Event]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def chain(account):
    """A meeting booked, rescheduled twice, and a separate canceled one."""
    account.time_zone = "America/New_York"
    account.save()
    dana = Customer.objects.create(
        account=account, email="dana@example.com", name="Dana Example"
    )
    start = NOW + dt.timedelta(days=3)
    first = make_booking(
        account=account,
        subject="Intro",
        status=Booking.Status.RESCHEDULED,
        starts_at=start,
        booked_at=NOW - dt.timedelta(days=2),
        customer=dana,
    )
    make_event(booking=first, kind="scheduled", occurred_at=NOW - dt.timedelta(2))
    second = make_booking(
        account=account,
        subject="Intro",
        status=Booking.Status.RESCHEDULED,
        starts_at=start + dt.timedelta(days=1),
        replaces=first,
        customer=dana,
    )
    make_event(booking=second, kind="rescheduled", occurred_at=NOW - dt.timedelta(1))
    third = make_booking(
        account=account,
        subject="Intro",
        status=Booking.Status.SCHEDULED,
        starts_at=start + dt.timedelta(days=2),
        replaces=second,
        customer=dana,
        join_url="https://video.example.com/j/777",
    )
    make_event(booking=third, kind="rescheduled", occurred_at=NOW)
    canceled = make_booking(
        account=account,
        subject="Review",
        status=Booking.Status.CANCELED,
        starts_at=start,
        cancel_reason="Double booked",
    )
    return {"first": first, "second": second, "third": third, "canceled": canceled}


def test_feed_parses_and_describes_each_meeting(client, member, chain):
    calendar = read_feed(client, member)

    events = events_by_summary(calendar)
    assert set(events) == {"Intro with Dana Example", "Review"}
    intro = events["Intro with Dana Example"]
    third = chain["third"]
    assert intro.decoded("DTSTART") == third.starts_at
    assert intro.decoded("DTSTART").tzinfo.key == "America/New_York"
    assert intro.decoded("DTEND") - intro.decoded("DTSTART") == dt.timedelta(minutes=30)
    assert str(intro["URL"]) == "https://video.example.com/j/777"
    assert "https://video.example.com/j/777" in str(intro["DESCRIPTION"])
    assert "Dana Example <dana@example.com>" in str(intro["DESCRIPTION"])
    assert str(intro["ATTENDEE"]) == "mailto:dana@example.com"
    assert intro["ATTENDEE"].params["CN"] == "Dana Example"
    assert str(intro["STATUS"]) == "CONFIRMED"
    # The zone is described in the feed itself.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [
        "America/New_York"
    ]


def test_rescheduled_meeting_keeps_its_uid_and_counts_up(client, member, chain):
    events = events_by_summary(read_feed(client, member))

    intro = events["Intro with Dana Example"]
    assert str(intro["UID"]) == f"booking-{chain['first'].pk}@bookingsync"
    assert intro["SEQUENCE"] == 2


def test_canceled_meeting_is_marked_canceled(client, member, chain):
    review = events_by_summary(read_feed(client, member))["Review"]

    assert str(review["STATUS"]) == "CANCELLED"
    assert review["SEQUENCE"] == 1
    assert "Canceled: Double booked" in str(review["DESCRIPTION"])


def test_uid_survives_a_reschedule_between_two_reads(client, member, chain):
    before = events_by_summary(read_feed(client, member))["Review"]
    review = chain["canceled"]
    moved = make_booking(
        account=review.account,
        subject="Review again",
        starts_at=review.starts_at + dt.timedelta(days=1),
        replaces=review,
    )
    make_event(booking=moved, kind="rescheduled", occurred_at=NOW)
    Booking.objects.filter(pk=review.pk).update(status=Booking.Status.RESCHEDULED)

    after = events_by_summary(read_feed(client, member))["Review again"]

    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > 0
    assert after.decoded("DTSTART") == moved.starts_at


def test_feed_holds_only_the_users_accounts(client, member, chain, other_account):
    make_booking(account=other_account, subject="Secret", starts_at=NOW)

    summaries = set(events_by_summary(read_feed(client, member)))

    assert "Secret" not in summaries


def test_regenerating_retires_the_old_address(client, member, chain):
    old = calendar_feed_for_user(user=member).token
    client.force_login(member)

    page = client.get("/settings/calendar-feed/")
    assert old in page.content.decode()
    response = client.post("/settings/calendar-feed/")

    assert response.status_code == 302
    new = calendar_feed_for_user(user=member).token
    assert new != old
    assert client.get(f"/feeds/{old}/bookings.ics").status_code == 404
    assert client.get(f"/feeds/{new}/bookings.ics").status_code == 200


def test_unknown_or_inactive_feed_is_not_found(client, member):
    token = calendar_feed_for_user(user=member).token
    member.is_active = False
    member.save()

    assert client.get(f"/feeds/{token}/bookings.ics").status_code == 404
    assert client.get("/feeds/nope/bookings.ics").status_code == 404
    assert client.get("/feeds/no%00pe/bookings.ics").status_code == 404


def test_settings_page_needs_a_login(client):
    assert client.get("/settings/calendar-feed/").status_code == 302


def test_reschedule_in_place_counts_up_too(client, member, account):
    booking = make_booking(
        account=account, subject="Check-in", starts_at=NOW + dt.timedelta(days=1)
    )
    make_event(booking=booking, kind="scheduled", occurred_at=NOW)
    before = events_by_summary(read_feed(client, member))["Check-in"]
    make_event(booking=booking, kind="rescheduled", occurred_at=NOW)

    after = events_by_summary(read_feed(client, member))["Check-in"]

    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert after["UID"] == before["UID"] == f"booking-{booking.pk}@bookingsync"
