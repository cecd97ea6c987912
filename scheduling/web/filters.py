"""The filters of the calendar and the stream, read from the query string."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from .. import calendars, providers
from ..models import Booking, BookingEvent

# Statuses of bookings that will not take place at their time any more.
CANCELED_STATUSES = (
    Booking.Status.CANCELED,
    Booking.Status.RESCHEDULE_REQUESTED,
    Booking.Status.RESCHEDULED,
)


class BookingFilter(django_filters.FilterSet):
    """Narrow a calendar by status, host, page, event type or customer."""

    status = django_filters.MultipleChoiceFilter(
        choices=Booking.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Status",
    )
    owner = django_filters.ChoiceFilter(
        field_name="owner_id", label="Host", empty_label="Any host"
    )
    page = django_filters.ChoiceFilter(
        field_name="page_id", label="Booking page", empty_label="Any page"
    )
    event_type = django_filters.ChoiceFilter(
        field_name="event_type_id", label="Event type", empty_label="Any type"
    )
    provider = django_filters.ChoiceFilter(
        choices=providers.choices, label="Scheduler", empty_label="Any scheduler"
    )
    q = django_filters.CharFilter(method="search_customer", label="Customer")
    hide_canceled = django_filters.BooleanFilter(
        method="filter_hide_canceled",
        widget=forms.CheckboxInput,
        label="Hide canceled and moved",
    )

    def __init__(self, *args, choices: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.filters[name].extra["choices"] = options
        self.form.fields["q"].widget.attrs.update(
            type="search", placeholder="Name or email"
        )

    def search_customer(self, queryset: QuerySet, name: str, value: str):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer__name__icontains=value) | Q(customer__email__icontains=value)
        )

    def filter_hide_canceled(self, queryset: QuerySet, name: str, value: bool):
        if value:
            return queryset.exclude(status__in=CANCELED_STATUSES)
        return queryset


class EventFilter(django_filters.FilterSet):
    """Narrow the activity stream by kind of event and by local day."""

    kind = django_filters.ChoiceFilter(
        choices=BookingEvent.Kind.choices, label="Event", empty_label="All events"
    )
    provider = django_filters.ChoiceFilter(
        choices=providers.choices, label="Scheduler", empty_label="Any scheduler"
    )
    date = django_filters.DateFilter(
        method="filter_local_day",
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def filter_local_day(self, queryset: QuerySet, name: str, value):
        tz = timezone.get_current_timezone()
        start = calendars.day_start(value, tz)
        end = calendars.day_start(value + dt.timedelta(days=1), tz)
        return queryset.filter(occurred_at__gte=start, occurred_at__lt=end)
