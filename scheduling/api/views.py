from django.db.models import F, Prefetch
from rest_framework import viewsets

from ..models import BookingEvent
from ..selectors import bookings_for_user
from .serializers import BookingDetailSerializer, BookingSerializer


class BookingViewSet(viewsets.ReadOnlyModelViewSet):
    """Bookings of the caller's accounts, newest start first.

    ``?account=<slug>`` narrows the list to one of them, ``?provider=<name>``
    to the bookings one scheduler sent.
    """

    def get_queryset(self):
        bookings = bookings_for_user(
            self.request.user, account_slug=self.request.query_params.get("account", "")
        ).select_related("customer")
        provider = self.request.query_params.get("provider", "")
        if provider:
            bookings = bookings.filter(provider=provider)
        if self.action == "retrieve":
            bookings = bookings.prefetch_related(
                Prefetch(
                    "events",
                    queryset=BookingEvent.objects.order_by("occurred_at", "id"),
                )
            )
        return bookings.order_by(F("starts_at").desc(nulls_last=True), "-id")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BookingDetailSerializer
        return BookingSerializer
