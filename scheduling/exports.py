"""CSV exports of bookings and of the event log, written row by row.

Rows are read from the database in chunks and written as they come, so an
export of any size holds only one chunk in memory. Times are ISO 8601 with the
account's UTC offset. Text that a spreadsheet would run as a formula is
prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from .models import BookingEvent
from .reports import ReportFilters, bookings_for_report

CHUNK_SIZE = 2000

# A cell starting with one of these is a formula to Excel, LibreOffice or
# Google Sheets (tab and carriage return too, after trimming by some).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

BOOKING_COLUMNS = (
    ("id", "id"),
    ("provider", "provider"),
    ("external_id", "external_id"),
    ("status", "status"),
    ("provider_status", "provider_status"),
    ("subject", "subject"),
    ("starts_at", "starts_at"),
    ("ends_at", "ends_at"),
    ("duration_minutes", "duration_minutes"),
    ("booked_at", "booked_at"),
    ("time_zone", "time_zone"),
    ("owner_id", "owner_id"),
    ("owner_name", "owner_name"),
    ("page_id", "page_id"),
    ("page_name", "page_name"),
    ("event_type_id", "event_type_id"),
    ("event_type_name", "event_type_name"),
    ("customer_name", "customer__name"),
    ("customer_email", "customer__email"),
    ("customer_phone", "customer__phone"),
    ("customer_company", "customer__company"),
    ("location", "location"),
    ("join_url", "join_url"),
    ("cancel_reason", "cancel_reason"),
    ("actioned_by", "actioned_by"),
    ("replaces_id", "replaces_id"),
    ("updated_at", "updated_at"),
)

EVENT_COLUMNS = (
    ("event_id", "id"),
    ("booking_id", "booking_id"),
    ("booking_external_id", "booking__external_id"),
    ("type", "kind"),
    ("provider_type", "provider_type"),
    ("occurred_at", "occurred_at"),
    ("applied", "applied"),
    ("booking_status", "booking__status"),
    ("starts_at", "booking__starts_at"),
    ("owner_id", "booking__owner_id"),
    ("page_id", "booking__page_id"),
    ("event_type_id", "booking__event_type_id"),
    ("customer_email", "booking__customer__email"),
    ("details", "details"),
)


def cell(value, *, tz: dt.tzinfo) -> str:
    """One value as spreadsheet-safe text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object whose ``write`` hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(
    *, header: Iterable[str], rows: Iterable[tuple], tz: dt.tzinfo
) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value, tz=tz) for value in row])


def booking_rows_for_export(*, filters: ReportFilters) -> QuerySet:
    fields = [field for _name, field in BOOKING_COLUMNS]
    return (
        bookings_for_report(filters=filters)
        .order_by("starts_at", "id")
        .values_list(*fields)
    )


def event_rows_for_export(*, filters: ReportFilters) -> QuerySet:
    """Events of the bookings in the report, in the order they happened."""
    bookings = bookings_for_report(filters=filters)
    fields = [field for _name, field in EVENT_COLUMNS]
    return (
        BookingEvent.objects.filter(
            account=filters.account, booking__in=bookings.values("id")
        )
        .order_by("occurred_at", "id")
        .values_list(*fields)
    )


def bookings_csv_lines(*, filters: ReportFilters) -> Iterator[str]:
    rows = booking_rows_for_export(filters=filters).iterator(chunk_size=CHUNK_SIZE)
    header = [name for name, _field in BOOKING_COLUMNS]
    return _csv_lines(header=header, rows=rows, tz=filters.tz)


def events_csv_lines(*, filters: ReportFilters) -> Iterator[str]:
    rows = event_rows_for_export(filters=filters).iterator(chunk_size=CHUNK_SIZE)
    header = [name for name, _field in EVENT_COLUMNS]
    return _csv_lines(header=header, rows=rows, tz=filters.tz)
