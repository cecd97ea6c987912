"""The calendar: days cut in the viewer's zone, filters, live updates, cost."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.core.cache import cache
from django.urls import reverse

from scheduling.models import Booking, Profile

from .conftest import BERLIN, CHICAGO, local

pytestmark = pytest.mark.django_db


def calendar_url(view: str, day: dt.date, slug: str = "acme") -> str:
    return reverse("calendar", kwargs={"account_slug": slug, "view": view, "day": day})


def day_cells(html: str) -> dict[str, str]:
    """The HTML of each day of a month or week page, by its ISO date."""
    cells = {}
    for match in re.finditer(
        r'href="/a/\w+/calendar/day/(\d{4}-\d{2}-\d{2})/[^"]*"(?:(?!href="/a/\w+/'
        r"calendar/day/).)*",
        html,
        flags=re.S,
    ):
        cells.setdefault(match.group(1), "")
        cells[match.group(1)] += match.group(0)
    return cells


def agenda_sections(html: str) -> dict[str, str]:
    sections = {}
    for match in re.finditer(
        r'<section class="agenda-day[^"]*" aria-labelledby="day-(\d{4}-\d{2}-\d{2})">'
        r"(.*?)</section>",
        html,
        flags=re.S,
    ):
        sections[match.group(1)] = match.group(2)
    return sections


def set_zone(user, name: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"time_zone": name})


def test_root_leads_a_member_to_this_months_calendar(member_client, account):
    response = member_client.get("/", follow=True)
    assert response.status_code == 200
    path = response.redirect_chain[-1][0]
    assert path.startswith("/a/acme/calendar/month/")
    assert "<h1>" in response.content.decode()


def test_pages_need_a_login(client, account):
    response = client.get(calendar_url("month", dt.date(2026, 3, 1)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_chicago_evening_is_the_next_day_in_berlin(
    member_client, member, account, make_booking
):
    make_booking(local(CHICAGO, 2026, 3, 10, 20, 30), customer_name="Avery Late")

    set_zone(member, "America/Chicago")
    chicago = day_cells(
        member_client.get(calendar_url("month", dt.date(2026, 3, 1))).content.decode()
    )
    assert "Avery Late" in chicago["2026-03-10"]
    assert "Avery Late" not in chicago["2026-03-11"]
    assert "20:30" in chicago["2026-03-10"]

    set_zone(member, "Europe/Berlin")
    berlin = day_cells(
        member_client.get(calendar_url("month", dt.date(2026, 3, 1))).content.decode()
    )
    assert "Avery Late" in berlin["2026-03-11"]
    assert "Avery Late" not in berlin["2026-03-10"]
    assert "02:30" in berlin["2026-03-11"]


def test_the_account_zone_applies_until_the_user_picks_one(
    member_client, account, make_booking
):
    account.time_zone = "Europe/Berlin"
    account.save()
    make_booking(local(CHICAGO, 2026, 3, 10, 20, 30), customer_name="Avery Late")
    html = member_client.get(calendar_url("day", dt.date(2026, 3, 11))).content
    assert b"Avery Late" in html
    assert b"Europe/Berlin" in html


@pytest.mark.parametrize("view", ["month", "week", "day", "agenda"])
def test_a_booking_ending_at_midnight_stays_on_its_day(
    member_client, member, account, make_booking, view
):
    set_zone(member, "Europe/Berlin")
    make_booking(local(BERLIN, 2026, 6, 10, 23, 0), minutes=60, customer_name="Nia Owl")
    html = member_client.get(calendar_url(view, dt.date(2026, 6, 10))).content.decode()
    if view in ("day",):
        assert "Nia Owl" in html
        next_day = member_client.get(calendar_url(view, dt.date(2026, 6, 11)))
        assert "Nia Owl" not in next_day.content.decode()
        return
    cells = agenda_sections(html) if view == "agenda" else day_cells(html)
    assert "Nia Owl" in cells["2026-06-10"]
    assert "Nia Owl" not in cells.get("2026-06-11", "")


def test_a_booking_across_midnight_shows_on_both_days_of_the_day_view(
    member_client, member, account, make_booking
):
    set_zone(member, "Europe/Berlin")
    make_booking(
        local(BERLIN, 2026, 6, 10, 23, 30), minutes=60, customer_name="Kai Owl"
    )
    for day in (10, 11):
        html = member_client.get(calendar_url("day", dt.date(2026, 6, day))).content
        assert b"Kai Owl" in html


# Each case: a zone and the day its clocks change, spring then autumn.
DST_WEEKS = [
    ("America/Chicago", dt.date(2026, 3, 8)),
    ("America/Chicago", dt.date(2026, 11, 1)),
    ("Europe/Berlin", dt.date(2026, 3, 29)),
    ("Europe/Berlin", dt.date(2026, 10, 25)),
]


@pytest.mark.parametrize(("zone", "change_day"), DST_WEEKS)
def test_dst_weeks_show_every_booking_once_at_its_local_time(
    member_client, member, account, make_booking, zone, change_day
):
    tz = zoneinfo.ZoneInfo(zone)
    set_zone(member, zone)
    monday = change_day - dt.timedelta(days=change_day.weekday())
    expected = {}
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        for hour in (0, 9, 23):
            name = f"Guest{day:%d}h{hour:02d}"
            make_booking(
                dt.datetime.combine(day, dt.time(hour, 15), tzinfo=tz),
                customer_name=name,
            )
            expected[name] = (day.isoformat(), f"{hour:02d}:15")

    for view in ("week", "agenda"):
        anchor = monday
        html = member_client.get(calendar_url(view, anchor)).content.decode()
        cells = day_cells(html) if view == "week" else agenda_sections(html)
        for name, (day, time) in expected.items():
            assert html.count(f"{name}<") == 1, (view, name)
            assert name in cells[day], (view, name, day)
            (item,) = [li for li in html.split("<li") if f"{name}<" in li]
            assert f">{time}</time>" in item, (view, name, time)


def test_a_busy_day_shows_a_few_and_counts_the_rest(
    member_client, account, make_booking
):
    for minute in range(0, 50, 5):
        make_booking(local(BERLIN, 2026, 6, 10, 9, minute))
    account.time_zone = "Europe/Berlin"
    account.save()
    cells = day_cells(
        member_client.get(calendar_url("month", dt.date(2026, 6, 1))).content.decode()
    )
    assert cells["2026-06-10"].count('class="booking ') == 3
    assert "+7 more" in cells["2026-06-10"]
    day = member_client.get(calendar_url("day", dt.date(2026, 6, 10))).content
    assert day.decode().count('class="agenda-item') == 10


def test_canceled_and_no_show_bookings_look_different_and_can_be_hidden(
    member_client, account, make_booking
):
    day = dt.date(2026, 6, 10)
    make_booking(local(BERLIN, 2026, 6, 10, 9), customer_name="Sam Kept")
    make_booking(
        local(BERLIN, 2026, 6, 10, 10),
        customer_name="Lee Gone",
        status=Booking.Status.CANCELED,
    )
    make_booking(
        local(BERLIN, 2026, 6, 10, 11),
        customer_name="Ola Absent",
        status=Booking.Status.NO_SHOW,
    )
    html = member_client.get(calendar_url("week", day)).content.decode()
    assert re.search(
        r'class="booking status-canceled[^"]*"[^>]*>(?:(?!</a>).)*Lee Gone', html, re.S
    )
    assert re.search(
        r'class="booking status-no_show[^"]*"[^>]*>(?:(?!</a>).)*Ola Absent', html, re.S
    )
    assert "Canceled</span>" in html and "No-show</span>" in html

    hidden = member_client.get(calendar_url("week", day), {"hide_canceled": "on"})
    text = hidden.content.decode()
    assert "Sam Kept" in text and "Ola Absent" in text
    assert "Lee Gone" not in text


def test_filters_narrow_the_calendar_and_survive_navigation(
    member_client, account, make_booking
):
    day = dt.date(2026, 6, 10)
    make_booking(
        local(BERLIN, 2026, 6, 10, 9),
        customer_name="Ada Host",
        owner_id="USR-1",
        owner_name="Jordan Host",
        page_id="BP-1",
        page_name="Sales page",
        event_type_id="ET-1",
        event_type_name="Demo",
    )
    make_booking(
        local(BERLIN, 2026, 6, 10, 10),
        customer_name="Bo Other",
        owner_id="USR-2",
        owner_name="Casey Host",
        page_id="BP-2",
        page_name="Support page",
        event_type_id="ET-2",
        event_type_name="Check-in",
        status=Booking.Status.COMPLETED,
    )
    url = calendar_url("month", day)
    for params in (
        {"owner": "USR-1"},
        {"page": "BP-1"},
        {"event_type": "ET-1"},
        {"status": "scheduled"},
        {"q": "ada"},
        {"q": "ada.1@EXAMPLE"},
    ):
        response = member_client.get(url, params)
        html = response.content.decode()
        assert response.status_code == 200, params
        assert "Ada Host" in html and "Bo Other" not in html, params

    html = member_client.get(url, {"owner": "USR-2", "q": "bo"}).content.decode()
    # Every calendar link but the one that clears the filters keeps them.
    links = re.findall(r'href="(/a/acme/calendar/[^"]+)"[^>]*>(?!Clear)', html)
    assert len(links) >= 7 + 35  # previous, today, next, four views, the days
    for link in links:
        assert "owner=USR-2" in link and "q=bo" in link, link
    assert "Jordan Host" in html and "Casey Host" in html  # the host choices


def test_an_unknown_filter_value_is_a_400_that_says_why(member_client, account):
    response = member_client.get(
        calendar_url("month", dt.date(2026, 6, 1)), {"status": "lost"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_bad_date_in_the_url_is_a_404(member_client, account):
    assert member_client.get("/a/acme/calendar/month/2026-02-30/").status_code == 404
    assert member_client.get("/a/acme/calendar/year/2026-02-01/").status_code == 404


def test_today_is_highlighted_in_the_viewers_zone(member_client, account):
    from django.utils import timezone

    account.time_zone = "Pacific/Kiritimati"
    account.save()
    response = member_client.get("/a/acme/calendar/week/", follow=True)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo("Pacific/Kiritimati")).date()
    assert response.redirect_chain[-1][0].endswith(f"/week/{today.isoformat()}/")
    html = response.content.decode()
    assert f'/day/{today.isoformat()}/" aria-current="date"' in html


def test_polling_answers_204_until_something_new_arrives_then_marks_it(
    member_client, account, make_booking, make_event
):
    day = dt.date(2026, 6, 10)
    old = make_booking(local(BERLIN, 2026, 6, 10, 9), customer_name="Old Timer")
    make_event(old)
    page = member_client.get(calendar_url("month", day)).content.decode()
    (poll_url,) = re.findall(r'hx-get="([^"]+)"', page)
    poll_url = poll_url.replace("&amp;", "&")

    quiet = member_client.get(poll_url, headers={"HX-Request": "true"})
    assert quiet.status_code == 204

    fresh = make_booking(local(BERLIN, 2026, 6, 10, 15), customer_name="Fresh Face")
    make_event(fresh)
    update = member_client.get(poll_url, headers={"HX-Request": "true"})
    html = update.content.decode()
    assert update.status_code == 200
    assert "<html" not in html  # only the live region
    assert re.search(
        r'class="booking [^"]*is-new"[^>]*>(?:(?!</a>).)*Fresh Face', html, re.S
    )
    assert not re.search(r'is-new"[^>]*>(?:(?!</a>).)*Old Timer', html, re.S)
    assert "New</mark>" in html
    (next_poll,) = re.findall(r'hx-get="([^"]+)"', html)
    assert (
        member_client.get(
            next_poll.replace("&amp;", "&"), headers={"HX-Request": "true"}
        ).status_code
        == 204
    )


def test_a_malformed_poll_parameter_is_a_400(member_client, account):
    response = member_client.get(
        calendar_url("month", dt.date(2026, 6, 1)), {"since": "x"}
    )
    assert response.status_code == 400


def fill_month(make_booking, make_event, *, count: int) -> None:
    hosts = [("USR-1", "Jordan"), ("USR-2", "Casey"), ("USR-3", "Robin")]
    for n in range(count):
        host_id, host = hosts[n % 3]
        booking = make_booking(
            local(BERLIN, 2026, 6, 1 + (9 + n) % 28, 8 + n % 10, 0),
            customer_name=f"Person{n} Example",
            owner_id=host_id,
            owner_name=host,
            status=Booking.Status.CANCELED if n % 5 == 0 else "scheduled",
        )
        make_event(booking)


@pytest.mark.parametrize("view", ["month", "week", "day", "agenda"])
def test_the_query_count_does_not_grow_with_the_bookings_shown(
    member_client,
    account,
    make_booking,
    make_event,
    django_assert_max_num_queries,
    view,
):
    url = calendar_url(view, dt.date(2026, 6, 10))
    fill_month(make_booking, make_event, count=6)
    member_client.get(url)  # remembers the account in the session once
    cache.clear()  # both counts include finding the filter choices
    with django_assert_max_num_queries(8) as small:
        assert member_client.get(url, {"since": "0"}).status_code == 200
    fill_month(make_booking, make_event, count=120)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = member_client.get(url, {"since": "0", "owner": "USR-1"})
        assert response.status_code == 200


def test_a_new_host_is_offered_as_a_filter_once_its_booking_arrives(
    member_client, account, make_booking, make_event
):
    url = calendar_url("month", dt.date(2026, 6, 10))
    first = make_booking(
        local(BERLIN, 2026, 6, 10, 9), owner_id="U-1", owner_name="Ann"
    )
    make_event(first)
    assert ">Ann</option>" in member_client.get(url).content.decode()

    second = make_booking(
        local(BERLIN, 2026, 6, 11, 9), owner_id="U-2", owner_name="Ben"
    )
    make_event(second)
    html = member_client.get(url).content.decode()
    assert ">Ann</option>" in html and ">Ben</option>" in html


def test_filter_by_scheduler_and_the_provider_is_named(
    member_client, account, make_booking
):
    make_booking(local(CHICAGO, 2026, 3, 10, 9), subject="Morning call")
    calendly = make_booking(
        local(CHICAGO, 2026, 3, 11, 9), subject="Evening call", provider="calendly"
    )

    page = member_client.get(
        calendar_url("month", dt.date(2026, 3, 1)), {"provider": "calendly"}
    ).content.decode()

    assert "Evening call" in page
    assert "Morning call" not in page
    detail = member_client.get(
        reverse(
            "booking-detail", kwargs={"account_slug": "acme", "booking_id": calendly.pk}
        )
    ).content.decode()
    assert "<dt>Provider</dt><dd>Calendly" in detail


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "9999-12-27"])
@pytest.mark.parametrize("view", ["month", "week", "day", "agenda"])
def test_dates_at_the_ends_of_time_are_404(member_client, account, view, day):
    url = f"/a/{account.slug}/calendar/{view}/{day}/"

    assert member_client.get(url).status_code == 404
