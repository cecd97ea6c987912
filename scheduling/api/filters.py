"""Query parameters of the API's lists, validated by django-filter."""

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from .. import providers
from ..models import Booking, BookingEvent, Customer


class IdFilter(django_filters.Filter):
    """A database id: a whole number that fits a 64-bit column."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned into UTC before it reaches the database.

    PostgreSQL refuses UTC offsets of 16 hours or more, which Python accepts.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as error:
            raise forms.ValidationError("This time is out of range.") from error


class TimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class BookingFilter(django_filters.FilterSet):
    starts_after = TimeFilter(
        field_name="starts_at",
        lookup_expr="gte",
        help_text="Meetings starting at or after this time (ISO 8601).",
    )
    starts_before = TimeFilter(
        field_name="starts_at",
        lookup_expr="lt",
        help_text="Meetings starting before this time (ISO 8601).",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Booking.Status.choices,
        help_text="One or more statuses; repeat the parameter for several.",
    )
    provider = django_filters.ChoiceFilter(
        choices=providers.choices, help_text="The scheduler the booking came from."
    )
    owner = django_filters.CharFilter(
        field_name="owner_id", help_text="The provider's id of the host."
    )
    # Not "page", which is the page number of the list.
    booking_page = django_filters.CharFilter(
        field_name="page_id", help_text="The booking page or calendar id."
    )
    event_type = django_filters.CharFilter(field_name="event_type_id")
    customer_email = django_filters.CharFilter(
        field_name="customer__email", lookup_expr="iexact"
    )
    updated_since = TimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Bookings changed at or after this time, for incremental sync.",
    )

    class Meta:
        model = Booking
        fields = []


class BookingEventFilter(django_filters.FilterSet):
    type = django_filters.MultipleChoiceFilter(
        field_name="kind", choices=BookingEvent.Kind.choices
    )
    booking = IdFilter(field_name="booking_id")
    provider = django_filters.ChoiceFilter(choices=providers.choices)
    occurred_since = TimeFilter(field_name="occurred_at", lookup_expr="gte")

    class Meta:
        model = BookingEvent
        fields = []


class CustomerFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")
    updated_since = TimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Customer
        fields = []
