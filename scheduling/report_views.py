"""Pages for people: reports and their exports, settings, a customer's page.

Each view checks its input, calls the functions that do the work, and shapes
the answer; another account's slug or id is a 404.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from . import charts
from .api_tokens import api_token_create, api_token_revoke, api_tokens_for_user
from .booking_links import (
    TRACKING_FIELD,
    BookingLinkError,
    booking_link_for_customer,
)
from .exports import bookings_csv_lines, events_csv_lines
from .feeds import calendar_feed_for_user, calendar_feed_regenerate, feed_lines_for_user
from .forms import ApiTokenForm, BookingLinkForm, ReportForm
from .models import CalendarFeed, Customer
from .reports import SHORT_LABELS, WEEKDAYS, report_for_filters
from .selectors import account_for_user, accounts_for_user

logger = logging.getLogger(__name__)


def _account_or_404(request, slug: str):
    account = account_for_user(request.user, slug=slug)
    if account is None:
        raise Http404("No such account.")
    return account


@login_required
@require_GET
def reports_home(request):
    """Open the reports of the user's first account."""
    account = accounts_for_user(request.user).first()
    if account is None:
        raise Http404("You are not a member of any account.")
    return redirect("reports", slug=account.slug)


@login_required
@require_GET
def reports(request, slug: str):
    account = _account_or_404(request, slug)
    form = ReportForm(request.GET, account=account)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "scheduling/reports/report.html",
            {"account": account, "form": form},
            status=400,
        )

    filters = form.report_filters()
    report = report_for_filters(filters=filters)
    summary = report["summary"]
    outcomes = [
        ("Made", summary["made"]),
        ("Completed", summary["completed"]),
        ("No-show", summary["no_show"]),
        ("Canceled", summary["canceled"]),
        ("Rescheduled", summary["rescheduled"]),
        ("Still scheduled", summary["scheduled"]),
    ]
    query = request.GET.urlencode()
    context = {
        "account": account,
        "accounts": list(accounts_for_user(request.user)),
        "form": form,
        "filters": filters,
        "report": report,
        "outcomes": outcomes,
        "outcome_chart": charts.bar_chart(outcomes),
        "lead_chart": charts.bar_chart(
            [(SHORT_LABELS[row["label"]], row["count"]) for row in report["lead_times"]]
        ),
        "cancel_chart": charts.bar_chart(
            [
                (SHORT_LABELS[row["label"]], row["count"])
                for row in report["cancellation_times"]
            ]
        ),
        "heatmap": charts.heatmap(report["heatmap"], days=WEEKDAYS),
        "heatmap_rows": list(zip(WEEKDAYS, report["heatmap"], strict=True)),
        "weekly_chart": charts.weekly_chart(report["weekly"]),
        "export_query": query,
    }
    return render(request, "scheduling/reports/report.html", context)


def _export(request, slug: str, *, lines, name: str):
    account = _account_or_404(request, slug)
    form = ReportForm(request.GET, account=account)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "Bad filters: " + form.errors.as_text(),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = form.report_filters()
    logger.info(
        "csv export started account_id=%s user_id=%s export=%s start=%s end=%s",
        account.pk,
        request.user.pk,
        name,
        filters.start,
        filters.end,
    )
    response = StreamingHttpResponse(
        lines(filters=filters), content_type="text/csv; charset=utf-8"
    )
    filename = f"{account.slug}-{name}-{filters.start}-{filters.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def bookings_export(request, slug: str):
    return _export(request, slug, lines=bookings_csv_lines, name="bookings")


@login_required
@require_GET
def events_export(request, slug: str):
    return _export(request, slug, lines=events_csv_lines, name="events")


@require_GET
def calendar_feed(request, token: str):
    """The feed itself. The secret token is the only credential."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("No such feed.")
    response = StreamingHttpResponse(
        feed_lines_for_user(user=feed.user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="bookings.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed_settings(request):
    if request.method == "POST":
        calendar_feed_regenerate(user=request.user)
        messages.success(
            request, "Your feed has a new address; the old one no longer works."
        )
        return redirect("calendar-feed-settings")
    feed = calendar_feed_for_user(user=request.user)
    feed_url = request.build_absolute_uri(
        reverse("calendar-feed", kwargs={"token": feed.token})
    )
    return render(
        request,
        "scheduling/settings/calendar_feed.html",
        {"feed_url": feed_url, "webcal_url": "webcal://" + feed_url.split("://", 1)[1]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm()
    new_key = ""
    status = 200
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                token_id = int(request.POST["revoke"])
            except ValueError:
                token_id = 0
            if not api_token_revoke(user=request.user, token_id=token_id):
                raise Http404("No such token.")
            messages.success(request, "The key was revoked.")
            return redirect("api-tokens")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _token, new_key = api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
            form = ApiTokenForm()
        else:
            status = 400
    response = render(
        request,
        "scheduling/settings/api_tokens.html",
        {
            "form": form,
            "tokens": api_tokens_for_user(user=request.user),
            # Shown once, in this response only.
            "new_key": new_key,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def customer_detail(request, slug: str, customer_id: int):
    account = _account_or_404(request, slug)
    customer = get_object_or_404(Customer, account=account, pk=customer_id)
    form = BookingLinkForm()
    link = ""
    status = 200
    if request.method == "POST":
        form = BookingLinkForm(request.POST)
        if form.is_valid():
            try:
                link = booking_link_for_customer(
                    customer=customer, page_url=form.cleaned_data["page_url"]
                )
            except BookingLinkError as error:
                form.add_error("page_url", str(error))
        if form.errors:
            status = 400
    bookings = customer.bookings.order_by("-starts_at", "-id")[:50]
    return render(
        request,
        "scheduling/customers/detail.html",
        {
            "account": account,
            "customer": customer,
            "bookings": bookings,
            "form": form,
            "link": link,
            "tracking_field": TRACKING_FIELD,
        },
        status=status,
    )
