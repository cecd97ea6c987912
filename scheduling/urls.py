from django.urls import path

from . import report_views, views

urlpatterns = [
    path(
        "webhooks/<slug:provider>/<str:token>/",
        views.webhook_receive,
        name="webhook-receive",
    ),
    # The same without the trailing slash: a provider's POST must never meet
    # the redirect APPEND_SLASH would send, which it counts as a failure.
    path("webhooks/<slug:provider>/<str:token>", views.webhook_receive),
]

# Reports and exports, the calendar feed, settings, customers.
urlpatterns += [
    path("reports/", report_views.reports_home, name="reports-home"),
    path("reports/<slug:slug>/", report_views.reports, name="reports"),
    path(
        "reports/<slug:slug>/bookings.csv",
        report_views.bookings_export,
        name="reports-bookings-csv",
    ),
    path(
        "reports/<slug:slug>/events.csv",
        report_views.events_export,
        name="reports-events-csv",
    ),
    path(
        "feeds/<slug:token>/bookings.ics",
        report_views.calendar_feed,
        name="calendar-feed",
    ),
    path(
        "settings/calendar-feed/",
        report_views.calendar_feed_settings,
        name="calendar-feed-settings",
    ),
    path("settings/api-tokens/", report_views.api_tokens, name="api-tokens"),
    path(
        "customers/<slug:slug>/<int:customer_id>/",
        report_views.customer_detail,
        name="customer-page",
    ),
]
