"""The pages people read: calendar, activity stream, booking, profile.

Every page is scoped to one account the user belongs to, named in the URL;
any other account, or an id from one, is a 404. Times are shown in the
viewer's zone: their own choice, else the account's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import zoneinfo
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from .. import calendars
from ..models import Account, Booking, BookingEvent, Profile
from ..selectors import accounts_for_user
from . import queries
from .filters import CANCELED_STATUSES, BookingFilter, EventFilter

logger = logging.getLogger(__name__)

# How many bookings a day shows before "+N more", by calendar view.
PER_DAY = {calendars.MONTH: 3, calendars.WEEK: 8}
STREAM_PAGE_SIZE = 50
# Query parameters that steer paging and live updates, not filtering.
CONTROL_PARAMS = ("since", "latest", "before")
ACCOUNT_SESSION_KEY = "scheduling_account"


@dataclasses.dataclass(frozen=True)
class Viewer:
    """Who is looking at which account, and in which time zone."""

    account: Account
    accounts: list[Account]
    tz: zoneinfo.ZoneInfo
    # The zone the user chose, or "" when they follow the account's.
    own_time_zone: str

    @property
    def tz_name(self) -> str:
        return self.tz.key


def viewer_resolve(*, request: HttpRequest, account_slug: str) -> Viewer:
    """The viewer of ``account_slug``; a 404 unless the user is a member."""
    accounts = list(accounts_for_user(request.user))
    account = next((a for a in accounts if a.slug == account_slug), None)
    if account is None:
        raise Http404("No such account.")

    own = (
        Profile.objects.filter(user=request.user)
        .values_list("time_zone", flat=True)
        .first()
    ) or ""
    tz = calendars.time_zone_or_none(own) or calendars.time_zone_or_none(
        account.time_zone
    )
    if tz is None:
        logger.warning(
            "no valid time zone, showing UTC account_id=%s user_id=%s",
            account.pk,
            request.user.pk,
        )
        tz = zoneinfo.ZoneInfo("UTC")
    return Viewer(account=account, accounts=accounts, tz=tz, own_time_zone=own)


def account_page(view):
    """Resolve the account and zone, then run ``view`` with that zone active."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, account_slug: str, **kwargs):
        viewer = viewer_resolve(request=request, account_slug=account_slug)
        if request.session.get(ACCOUNT_SESSION_KEY) != viewer.account.slug:
            request.session[ACCOUNT_SESSION_KEY] = viewer.account.slug
        with timezone.override(viewer.tz):
            return view(request, viewer, **kwargs)

    return wrapper


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the calendar of their account, or let them pick one."""
    accounts = list(accounts_for_user(request.user))
    slugs = [account.slug for account in accounts]
    remembered = request.session.get(ACCOUNT_SESSION_KEY)
    if remembered in slugs:
        return redirect("calendar-home", account_slug=remembered)
    if len(accounts) == 1:
        return redirect("calendar-home", account_slug=slugs[0])
    return render(request, "scheduling/account_picker.html", {"accounts": accounts})


@login_required
def account_picker(request: HttpRequest) -> HttpResponse:
    accounts = list(accounts_for_user(request.user))
    return render(request, "scheduling/account_picker.html", {"accounts": accounts})


@account_page
def calendar_today(
    request: HttpRequest, viewer: Viewer, view: str = calendars.MONTH
) -> HttpResponse:
    url = reverse(
        "calendar",
        kwargs={
            "account_slug": viewer.account.slug,
            "view": view,
            "day": timezone.localdate(),
        },
    )
    query = _filter_query(request)
    return redirect(f"{url}?{query}" if query else url)


@account_page
def calendar(
    request: HttpRequest, viewer: Viewer, view: str, day: dt.date
) -> HttpResponse:
    since = _int_param(request, "since")
    latest_seen = _int_param(request, "latest")
    polling = _is_poll(request) and latest_seen is not None
    latest = queries.latest_event_id(account=viewer.account)
    if polling and latest == latest_seen:
        return HttpResponse(status=204)

    period = calendars.period_for(view, day)
    bookings = queries.bookings_for_account(account=viewer.account, since=since)
    filterset = BookingFilter(
        request.GET,
        queryset=bookings,
        choices=queries.filter_choices_for_account(
            account=viewer.account, latest_event_id=latest
        ),
    )
    status = 200
    if filterset.is_valid():
        bookings = filterset.qs
    else:
        bookings, status = bookings.none(), 400

    if view in PER_DAY:
        days = queries.bookings_for_start_days(
            bookings=bookings, period=period, tz=viewer.tz, per_day=PER_DAY[view]
        )
    else:
        days = queries.bookings_for_days(bookings=bookings, period=period, tz=viewer.tz)

    query = _filter_query(request)

    def link(target_view: str, target_day: dt.date) -> str:
        url = reverse(
            "calendar",
            kwargs={
                "account_slug": viewer.account.slug,
                "view": target_view,
                "day": target_day,
            },
        )
        return f"{url}?{query}" if query else url

    today = timezone.localdate()
    # One reverse() for all the booking links rather than one per booking.
    booking_prefix = reverse(
        "booking-detail",
        kwargs={"account_slug": viewer.account.slug, "booking_id": 0},
    ).removesuffix("0/")
    for cell in days:
        cell.link = link(calendars.DAY, cell.date)
        for booking in cell.bookings:
            booking.url = f"{booking_prefix}{booking.pk}/"
            # Set for every booking: a template's lookup of a missing
            # attribute is slow, and this one is read for each booking.
            booking.is_new = getattr(booking, "is_new", False)
    new_count = sum(1 for cell in days for booking in cell.bookings if booking.is_new)
    context = {
        "viewer": viewer,
        "view": view,
        "period": period,
        "days": days,
        "weeks": [days[start : start + 7] for start in range(0, len(days), 7)],
        "today": today,
        "filterset": filterset,
        "filter_query": query,
        "canceled_statuses": CANCELED_STATUSES,
        "view_links": [
            (name, name.capitalize(), link(name, period.anchor))
            for name in calendars.VIEWS
        ],
        "previous_link": link(view, period.previous),
        "next_link": link(view, period.next),
        "today_link": link(view, today),
        "poll_url": _poll_url(
            request, since=latest if since is None else since, latest=latest
        ),
        "new_count": new_count,
        "period_total": sum(cell.total for cell in days),
        "nav": "calendar",
    }
    template = (
        "scheduling/_calendar_live.html" if polling else "scheduling/calendar.html"
    )
    return render(request, template, context, status=status)


@account_page
def stream(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    since = _int_param(request, "since")
    latest_seen = _int_param(request, "latest")
    polling = _is_poll(request) and latest_seen is not None
    latest = queries.latest_event_id(account=viewer.account)
    if polling and latest == latest_seen:
        return HttpResponse(status=204)

    before = None
    if request.GET.get("before"):
        try:
            before = queries.Cursor.decode(request.GET["before"])
        except ValueError:
            raise BadRequest("The page cursor 'before' is malformed.") from None

    filterset = EventFilter(
        request.GET, queryset=BookingEvent.objects.filter(account=viewer.account)
    )
    status = 200
    events_qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    if not filterset.is_valid():
        status = 400
    events, next_cursor = queries.events_for_stream(
        events=events_qs, before=before, limit=STREAM_PAGE_SIZE, since=since
    )
    for event in events:
        event.changes = event_changes(event)

    query = _filter_query(request)
    base = reverse("stream", kwargs={"account_slug": viewer.account.slug})
    older_link = None
    if next_cursor is not None:
        older_query = "&".join(
            part
            for part in (query, urlencode({"before": next_cursor.encode()}))
            if part
        )
        older_link = f"{base}?{older_query}"
    context = {
        "viewer": viewer,
        "events": events,
        "filterset": filterset,
        "filter_query": query,
        "older_link": older_link,
        "newest_link": f"{base}?{query}" if query else base,
        "is_first_page": before is None,
        "poll_url": _poll_url(
            request, since=latest if since is None else since, latest=latest
        ),
        "new_count": sum(1 for event in events if event.is_new),
        "nav": "stream",
    }
    template = "scheduling/_stream_live.html" if polling else "scheduling/stream.html"
    return render(request, template, context, status=status)


@account_page
def booking_detail(request: HttpRequest, viewer: Viewer, booking_id: int):
    booking = get_object_or_404(
        Booking.objects.select_related("customer"),
        account=viewer.account,
        pk=booking_id,
    )
    events = list(booking.events.order_by("occurred_at", "id"))
    for event in events:
        event.changes = event_changes(event)
    context = {
        "viewer": viewer,
        "booking": booking,
        "events": events,
        "chain": queries.reschedule_chain(booking=booking),
        "payment_items": [
            (str(key).replace("_", " ").capitalize(), value)
            for key, value in (booking.payment or {}).items()
        ],
        "replacements": list(booking.replacements.all()),
        "canceled_statuses": CANCELED_STATUSES,
        "nav": "calendar",
    }
    return render(request, "scheduling/booking_detail.html", context)


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        widget=forms.Select(attrs={"aria-describedby": "tz-help"}),
        help_text="Every date and time on every page is shown in this zone.",
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", f"The account's zone ({account.time_zone})"),
            *((name, name) for name in calendars.time_zone_names()),
        ]


@account_page
def profile(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    initial = {"time_zone": viewer.own_time_zone}
    form = ProfileForm(request.POST or None, initial=initial, account=viewer.account)
    if request.method == "POST" and form.is_valid():
        Profile.objects.update_or_create(
            user=request.user, defaults={"time_zone": form.cleaned_data["time_zone"]}
        )
        logger.info(
            "profile time zone set user_id=%s time_zone=%s",
            request.user.pk,
            form.cleaned_data["time_zone"] or "(account)",
        )
        messages.success(request, "Your time zone is saved.")
        return redirect("profile", account_slug=viewer.account.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "scheduling/profile.html",
        {"viewer": viewer, "form": form, "nav": "profile"},
        status=status,
    )


def event_changes(event: BookingEvent) -> dict:
    """What an event changed, from its details, with times as datetimes."""
    details = event.details or {}
    changes = {}
    for key in ("previous_starts_at", "starts_at"):
        value = details.get(key)
        if value:
            try:
                changes[key] = dt.datetime.fromisoformat(value)
            except (TypeError, ValueError):
                logger.debug("unreadable time in details event_id=%s", event.pk)
    for key in ("reason", "actioned_by", "owner", "previous_owner", "replaces"):
        if details.get(key):
            changes[key] = details[key]
    return changes


def _is_poll(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number.") from None
    if number < 0:
        raise BadRequest(f"'{name}' must not be negative.")
    return number


def _filter_query(request: HttpRequest) -> str:
    """The query string of the filters alone, to carry across navigation."""
    params = request.GET.copy()
    for name in CONTROL_PARAMS:
        params.pop(name, None)
    return params.urlencode()


def _poll_url(request: HttpRequest, *, since: int, latest: int) -> str:
    params = request.GET.copy()
    params.pop("before", None)
    params["since"] = str(since)
    params["latest"] = str(latest)
    return f"{request.path}?{params.urlencode()}"
