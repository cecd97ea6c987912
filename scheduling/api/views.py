import re

from django.db.models import Count, F, Prefetch
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import pagination, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Booking, BookingEvent, Customer
from ..reports import ReportFilters, report_for_filters
from ..selectors import account_for_user, accounts_for_user
from .filters import BookingEventFilter, BookingFilter, CustomerFilter
from .serializers import (
    BookingDetailSerializer,
    BookingEventSerializer,
    BookingLogEventSerializer,
    BookingSerializer,
    CustomerRecordSerializer,
    ReportQuerySerializer,
    ReportSerializer,
)

ACCOUNT_PARAMETER = OpenApiParameter(
    "account",
    OpenApiTypes.STR,
    description="Narrow to one of your accounts, by slug.",
)


def _accounts(request):
    """The caller's accounts, or the one the ``account`` parameter names.

    Anything that is not a slug is a 400 before it reaches the database
    (PostgreSQL refuses text with NUL characters outright). An account the
    caller is not in is a 404, as in the reports, rather than an empty list
    that looks like an account with no data.
    """
    slug = request.query_params.get("account", "")
    if not slug:
        return accounts_for_user(request.user)
    if not re.fullmatch(r"[-a-zA-Z0-9_]+", slug):
        raise ValidationError({"account": ["Not a valid account slug."]})
    account = account_for_user(request.user, slug=slug)
    if account is None:
        raise NotFound("No such account.")
    return [account]


@extend_schema_view(
    list=extend_schema(parameters=[ACCOUNT_PARAMETER]),
    retrieve=extend_schema(parameters=[ACCOUNT_PARAMETER]),
    events=extend_schema(
        parameters=[ACCOUNT_PARAMETER], responses=BookingEventSerializer(many=True)
    ),
)
class BookingViewSet(viewsets.ReadOnlyModelViewSet):
    """Bookings of the caller's accounts, newest start first.

    ``?account=<slug>`` narrows the list to one of them, ``?provider=<name>``
    to the bookings one scheduler sent.
    """

    filter_backends = [DjangoFilterBackend]
    filterset_class = BookingFilter

    def get_queryset(self):
        bookings = Booking.objects.filter(
            account__in=_accounts(self.request)
        ).select_related("customer")
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

    @action(detail=True, pagination_class=None, filter_backends=[])
    def events(self, request, pk=None):
        """The booking's events, in the order they happened."""
        booking = self.get_object()
        events = booking.events.order_by("occurred_at", "id")
        return Response(BookingEventSerializer(events, many=True).data)


class EventLogPagination(pagination.CursorPagination):
    # Rows are only ever added, so the id order is stable: a client that
    # keeps the last ``next`` link resumes exactly where it stopped.
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


@extend_schema_view(
    list=extend_schema(parameters=[ACCOUNT_PARAMETER]),
    retrieve=extend_schema(parameters=[ACCOUNT_PARAMETER]),
)
class BookingEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The event log across all bookings, oldest first, for syncing."""

    serializer_class = BookingLogEventSerializer
    pagination_class = EventLogPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = BookingEventFilter

    def get_queryset(self):
        return BookingEvent.objects.filter(
            account__in=_accounts(self.request)
        ).select_related("booking", "account")


@extend_schema_view(
    list=extend_schema(parameters=[ACCOUNT_PARAMETER]),
    retrieve=extend_schema(parameters=[ACCOUNT_PARAMETER]),
)
class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """The people who booked, one per email address and account."""

    serializer_class = CustomerRecordSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerFilter

    def get_queryset(self):
        return (
            Customer.objects.filter(account__in=_accounts(self.request))
            .select_related("account")
            .annotate(booking_count=Count("bookings"))
            .order_by("email", "id")
        )


class ReportView(APIView):
    """Every figure of the reports page, for one account and date range."""

    @extend_schema(
        parameters=[ReportQuerySerializer], responses={200: ReportSerializer}
    )
    def get(self, request):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data

        accounts = accounts_for_user(request.user)
        if params.get("account"):
            account = accounts.filter(slug=params["account"]).first()
            if account is None:
                raise Http404
        else:
            found = list(accounts[:2])
            if len(found) != 1:
                raise ValidationError(
                    {"account": "Name the account: you belong to several or none."}
                )
            account = found[0]

        filters = ReportFilters(
            account=account,
            start=params["start"],
            end=params["end"],
            owner_id=params["owner"],
            page_id=params["booking_page"],
            event_type_id=params["event_type"],
        )
        report = {
            "account": account.slug,
            "start": filters.start,
            "end": filters.end,
            "time_zone": str(filters.tz),
            **report_for_filters(filters=filters),
        }
        return Response(ReportSerializer(report).data)
