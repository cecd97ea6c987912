"""The pages in a real headless Chromium, fed by a real worker.

Screenshots of every page go to test-artifacts/ for a person to look at.
Without /usr/bin/chromium these tests skip, except in CI, where a missing
browser is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zoneinfo
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from scheduling.models import Booking, WebhookDelivery
from tests.conftest import fixture_json, signed_headers, wait_for

from .conftest import local

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Long enough for a few polls of the page (every 5 s) and the worker.
LIVE_TIMEOUT_MS = 40_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install it with apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's
    # own database calls are still plain synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def seed(account, make_booking, make_event, today: dt.date) -> Booking:
    """A few bookings around today, one of each look, with their events."""
    account.time_zone = "America/New_York"
    account.save()
    rows = [
        (0, 9, "Avery Stone", "Intro call", "scheduled"),
        (0, 13, "Blake Rivers", "Quarterly review", "canceled"),
        (1, 10, "Casey Moore", "Onboarding", "scheduled"),
        (2, 11, "Drew Park", "Follow-up", "no_show"),
        (-2, 15, "Emery Hale", "Strategy session", "completed"),
        (-1, 8, "Finley Cho", "Coaching", "scheduled"),
    ]
    first = None
    for offset, hour, name, subject, status in rows:
        day = today + dt.timedelta(days=offset)
        booking = make_booking(
            local(NEW_YORK, day.year, day.month, day.day, hour),
            minutes=45,
            customer_name=name,
            subject=subject,
            status=status,
            owner_id="USR-1",
            owner_name="Jordan Host",
            location="Video call",
            join_url="https://video.example.com/j/1",
            cancel_url="https://oncehub.com/m/example/cancel",
            reschedule_url="https://oncehub.com/m/example",
            custom_fields=[{"name": "Goal", "value": "Grow the team"}],
        )
        make_event(booking, occurred_at=timezone.now() - dt.timedelta(days=3))
        first = first or booking
    for minute in range(0, 60, 10):  # a busy day for "+N more"
        day = today + dt.timedelta(days=3)
        make_booking(
            local(NEW_YORK, day.year, day.month, day.day, 14, minute),
            customer_name=f"Guest{minute} Crowd",
            subject="Office hours",
        )
    return first


def webhook_body(today: dt.date) -> bytes:
    """The bundled scheduled sample, moved to 16:00 New York time today."""
    envelope = fixture_json("oncehub/booking_scheduled.json")
    starts = local(NEW_YORK, today.year, today.month, today.day, 16)
    envelope["id"] = "EVNT-BROWSER-1"
    now = timezone.now().isoformat()
    envelope["creation_time"] = envelope["data"]["last_updated_time"] = now
    envelope["data"]["id"] = "BKNG-BROWSER-1"
    envelope["data"]["starting_time"] = starts.astimezone(dt.UTC).isoformat()
    envelope["data"]["form_submission"]["name"] = "Webhook Walker"
    envelope["data"]["form_submission"]["email"] = "walker@example.com"
    return json.dumps(envelope).encode()


def log_in(page, base_url: str, *, screenshot: str = "") -> None:
    page.goto(base_url + "/")
    if screenshot:
        shot(page, screenshot)
    page.get_by_label("Username").fill("riley")
    page.get_by_label("Password").fill("pw-riley-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/calendar/month/**")


def test_a_day_with_the_pages_and_a_webhook_arriving_live(
    browser,
    live_server,
    account,
    member,
    endpoint,
    make_booking,
    make_event,
    celery_worker,
):
    today = timezone.now().astimezone(NEW_YORK).date()
    seed(account, make_booking, make_event, today)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    log_in(page, base, screenshot="00-login")
    today_cell = page.locator("td.today")
    assert today_cell.get_by_text("Avery Stone").is_visible()
    assert page.get_by_text("Times in America/New_York", exact=True).is_visible()
    shot(page, "01-month")

    page.get_by_role("navigation", name="Calendar view").get_by_role(
        "link", name="Week"
    ).click()
    page.wait_for_url(f"**/calendar/week/{today.isoformat()}/")
    assert page.locator("li.day.today").get_by_text("Avery Stone").is_visible()
    shot(page, "02-week")

    page.get_by_role("navigation", name="Calendar view").get_by_role(
        "link", name="Day"
    ).click()
    page.wait_for_url(f"**/calendar/day/{today.isoformat()}/")
    assert page.get_by_text("Quarterly review").is_visible()
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(f"**/day/{(today + dt.timedelta(days=1)).isoformat()}/")
    assert page.get_by_text("Casey Moore").is_visible()
    page.get_by_role("link", name="Today").click()
    page.wait_for_url(f"**/day/{today.isoformat()}/")
    shot(page, "03-day")

    page.get_by_role("navigation", name="Calendar view").get_by_role(
        "link", name="Agenda"
    ).click()
    shot(page, "04-agenda")

    # Filter by customer, then move on: the filter stays.
    page.get_by_role("navigation", name="Calendar view").get_by_role(
        "link", name="Month"
    ).click()
    page.locator("details.filters > summary").click()
    page.get_by_label("Customer").fill("avery")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**q=avery**")
    assert page.get_by_text("Avery Stone").is_visible()
    assert page.get_by_text("Casey Moore").count() == 0
    shot(page, "05-month-filtered")
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**q=avery**")
    page.get_by_role("link", name="Previous").click()
    page.wait_for_url("**q=avery**")
    page.get_by_role("link", name="Clear").click()

    # Open a booking from the month.
    page.locator("td.today a.booking", has_text="Avery Stone").click()
    page.wait_for_url("**/bookings/**")
    assert page.get_by_role("heading", name="Intro call").is_visible()
    assert page.get_by_role("link", name="Cancel on OnceHub").is_visible()
    shot(page, "06-booking")

    page.get_by_role("link", name="America/New_York").click()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Your time zone is saved.").is_visible()
    shot(page, "06-profile")
    page.get_by_label("Time zone").select_option("")
    page.get_by_role("button", name="Save").click()

    # Calendar and stream stay open while a signed webhook comes in.
    page.goto(f"{base}/a/acme/calendar/month/{today.isoformat()}/")
    stream = context.new_page()
    stream.goto(f"{base}/a/acme/stream/")
    shot(stream, "07-stream-before")
    for tab in (page, stream):
        tab.evaluate("window.notReloaded = true")

    body = webhook_body(today)
    response = requests.post(
        base + endpoint.get_absolute_url(),
        data=body,
        headers={
            "Content-Type": "application/json",
            "Oncehub-Signature": signed_headers(body)["HTTP_ONCEHUB_SIGNATURE"],
        },
        timeout=10,
    )
    assert response.status_code == 202, response.text
    assert wait_for(
        lambda: WebhookDelivery.objects.filter(status="processed").exists()
    ), "".join(celery_worker)

    arrived = page.locator("td.today a.booking.is-new", has_text="Webhook Walker")
    arrived.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert arrived.get_by_text("New").is_visible()
    assert "16:00" in arrived.inner_text()
    shot(page, "08-month-live")

    event = stream.locator("li.event.is-new", has_text="Webhook Walker")
    event.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert "scheduled" in event.inner_text().lower()
    assert "OnceHub" in event.inner_text()
    shot(stream, "09-stream-live")
    for tab in (page, stream):
        assert tab.evaluate("window.notReloaded") is True

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, storage_state=context.storage_state()
    )
    small = phone.new_page()
    small.goto(f"{base}/a/acme/calendar/month/{today.isoformat()}/")
    assert small.get_by_text("Webhook Walker").is_visible()
    shot(small, "10-month-phone")
    phone.close()
    context.close()


def test_the_pages_work_with_javascript_off(
    browser, live_server, account, member, make_booking, make_event
):
    today = timezone.now().astimezone(NEW_YORK).date()
    seed(account, make_booking, make_event, today)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url)

    page.get_by_role("link", name="Next").click()
    page.get_by_role("link", name="Today").click()
    page.locator("details.filters > summary").click()
    page.get_by_label("Hide canceled and moved").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**hide_canceled=on**")
    assert page.get_by_text("Blake Rivers").count() == 0
    assert page.get_by_text("Avery Stone").is_visible()
    page.get_by_role("link", name="Activity").click()
    assert page.get_by_role("heading", name="Activity").is_visible()
    shot(page, "11-stream-no-js")
    context.close()
