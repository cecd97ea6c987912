from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from .views import BookingEventViewSet, BookingViewSet, CustomerViewSet, ReportView

router = DefaultRouter()
router.register("bookings", BookingViewSet, basename="booking")
router.register("events", BookingEventViewSet, basename="booking-event")
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = router.urls + [
    path("reports/", ReportView.as_view(), name="api-report"),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]),
        name="api-schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]
