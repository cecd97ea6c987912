import datetime as dt

from django.urls import path, register_converter

from .. import calendars
from . import views


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> dt.date:
        # A ValueError (say 2026-02-30) makes the URL not match: a 404.
        day = dt.date.fromisoformat(value)
        # A calendar around the first or last representable day would reach
        # past it; no booking lives there anyway.
        if not 1900 <= day.year <= 2999:
            raise ValueError(f"{value} is outside the calendar")
        return day

    def to_url(self, value: dt.date | str) -> str:
        # Templates pass dates already formatted as text.
        return value if isinstance(value, str) else value.isoformat()


class CalendarViewConverter:
    regex = "|".join(calendars.VIEWS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IsoDateConverter, "isodate")
register_converter(CalendarViewConverter, "calview")

urlpatterns = [
    path("", views.home, name="home"),
    path("a/", views.account_picker, name="account-picker"),
    path("a/<slug:account_slug>/", views.calendar_today, name="calendar-home"),
    path(
        "a/<slug:account_slug>/calendar/<calview:view>/",
        views.calendar_today,
        name="calendar-today",
    ),
    path(
        "a/<slug:account_slug>/calendar/<calview:view>/<isodate:day>/",
        views.calendar,
        name="calendar",
    ),
    path("a/<slug:account_slug>/stream/", views.stream, name="stream"),
    path(
        "a/<slug:account_slug>/bookings/<int:booking_id>/",
        views.booking_detail,
        name="booking-detail",
    ),
    path("a/<slug:account_slug>/profile/", views.profile, name="profile"),
]
