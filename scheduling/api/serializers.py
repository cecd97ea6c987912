from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Booking, BookingEvent, Customer
from ..reports import EARLIEST_DATE, LATEST_DATE


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "company"]


class OwnerSchemaSerializer(serializers.Serializer):
    """How an owner looks in the OpenAPI schema."""

    id = serializers.CharField()
    name = serializers.CharField()


@extend_schema_field(OwnerSchemaSerializer(allow_null=True))
class OwnerField(serializers.Field):
    """The host as the provider names them: an id and a display name."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, booking: Booking):
        if not booking.owner_id and not booking.owner_name:
            return None
        return {"id": booking.owner_id, "name": booking.owner_name}


class BookingSerializer(serializers.ModelSerializer):
    customer = CustomerSerializer(read_only=True, allow_null=True)
    owner = OwnerField()
    provider_label = serializers.CharField(
        source="get_provider_display", read_only=True
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "provider",
            "provider_label",
            "external_id",
            "status",
            "provider_status",
            "subject",
            "starts_at",
            "ends_at",
            "time_zone",
            "customer",
            "owner",
        ]


class BookingEventSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="kind")

    class Meta:
        model = BookingEvent
        fields = ["type", "provider_type", "occurred_at", "applied", "details"]


class BookingDetailSerializer(BookingSerializer):
    events = BookingEventSerializer(many=True, read_only=True)
    # Declared so that the schema does not depend on the database's integer
    # range.
    duration_minutes = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(BookingSerializer.Meta):
        fields = BookingSerializer.Meta.fields + [
            "duration_minutes",
            "location",
            "join_url",
            "cancel_url",
            "reschedule_url",
            "cancel_reason",
            "custom_fields",
            "payment",
            "events",
        ]


class BookingLogEventSerializer(serializers.ModelSerializer):
    """An entry of the event log across bookings."""

    type = serializers.CharField(source="kind")
    booking_external_id = serializers.CharField(source="booking.external_id")
    account = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = BookingEvent
        fields = [
            "id",
            "account",
            "booking",
            "booking_external_id",
            "type",
            "provider_type",
            "occurred_at",
            "applied",
            "details",
            "created_at",
        ]


class CustomerRecordSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    booking_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "account",
            "name",
            "email",
            "phone",
            "company",
            "booking_count",
            "created_at",
            "updated_at",
        ]


class ReportQuerySerializer(serializers.Serializer):
    account = serializers.SlugField(
        required=False,
        help_text="The account's slug; needed when you belong to several.",
    )
    start = serializers.DateField(
        help_text="First day, in the account's zone.",
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )
    end = serializers.DateField(
        help_text="Last day, included.",
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )
    owner = serializers.CharField(required=False, default="", max_length=200)
    booking_page = serializers.CharField(required=False, default="", max_length=200)
    event_type = serializers.CharField(required=False, default="", max_length=200)

    MAX_DAYS = 3 * 366

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "Must not be before start."})
        if (attrs["end"] - attrs["start"]).days > self.MAX_DAYS:
            raise serializers.ValidationError(
                {"end": f"A report covers at most {self.MAX_DAYS} days."}
            )
        return attrs


class ReportSummarySerializer(serializers.Serializer):
    made = serializers.IntegerField()
    total = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    completed = serializers.IntegerField()
    no_show = serializers.IntegerField()
    canceled = serializers.IntegerField()
    rescheduled = serializers.IntegerField()
    no_show_rate = serializers.FloatField(allow_null=True)
    cancellation_rate = serializers.FloatField(allow_null=True)
    reschedule_rate = serializers.FloatField(allow_null=True)


class ReportBucketSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()


class ReportWeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    no_show = serializers.IntegerField()
    canceled = serializers.IntegerField()


class ReportCancelerSerializer(serializers.Serializer):
    by = serializers.CharField()
    count = serializers.IntegerField()


class ReportReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    account = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    time_zone = serializers.CharField()
    summary = ReportSummarySerializer()
    lead_times = ReportBucketSerializer(many=True)
    cancellation_times = ReportBucketSerializer(many=True)
    heatmap = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Seven rows, Monday first, of 24 hourly counts.",
    )
    weekly = ReportWeekSerializer(many=True)
    cancelers = ReportCancelerSerializer(many=True)
    cancel_reasons = ReportReasonSerializer(many=True)
