from rest_framework import serializers

from ..models import Booking, BookingEvent, Customer


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "company"]


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
    customer = CustomerSerializer(read_only=True)
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
