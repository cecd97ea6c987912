"""The reports page and its CSV exports, as a member's browser sees them."""

import csv
import datetime as dt
import io

import pytest
from django.http import StreamingHttpResponse

from scheduling.exports import cell
from tests.scheduling.report_data import make_booking, make_event, utc

RANGE = {"start": "2026-03-02", "end": "2026-03-15"}


@pytest.fixture
def browser(client, member):
    client.force_login(member)
    return client


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_page_shows_the_figures(browser, report_data):
    response = browser.get("/reports/acme/", RANGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-figure="made">5<' in page
    assert 'data-figure="total">8<' in page
    assert 'data-figure="cancellation_rate">38%<' in page
    assert "Host ill" in page
    assert "<svg" in page
    assert response.context["report"]["summary"]["no_show"] == 1


def test_page_without_dates_shows_the_recent_weeks(browser, report_data):
    response = browser.get("/reports/acme/")

    assert response.status_code == 200
    filters = response.context["filters"]
    assert (filters.end - filters.start).days == 84


def test_bad_range_is_refused(browser, account):
    response = browser.get(
        "/reports/acme/", {"start": "2026-03-15", "end": "2026-03-01"}
    )

    assert response.status_code == 400
    assert "must not be before" in response.content.decode()
    garbage = browser.get("/reports/acme/", {"start": "soon", "end": "later"})
    assert garbage.status_code == 400


def test_unknown_owner_is_refused(browser, report_data):
    response = browser.get("/reports/acme/", {**RANGE, "owner": "USR-NOBODY"})

    assert response.status_code == 400


def test_other_accounts_report_is_not_found(client, outsider, account):
    client.force_login(outsider)

    assert client.get("/reports/acme/").status_code == 404
    assert client.get("/reports/acme/bookings.csv").status_code == 404
    assert client.get("/reports/acme/events.csv").status_code == 404


def test_anonymous_is_sent_to_log_in(client, account):
    response = client.get("/reports/acme/")

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_bookings_csv_reads_back_with_offsets(browser, report_data):
    response = browser.get("/reports/acme/bookings.csv", RANGE)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "acme-bookings-2026-03-02-2026-03-15.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row["id"] for row in rows] == [
        str(report_data[name].pk)
        for name in ("b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8")
    ]
    first, last = rows[0], rows[-1]
    # New York: winter time, then summer time; parsed back to the same instant.
    assert first["starts_at"] == "2026-03-02T10:00:00-05:00"
    assert last["starts_at"] == "2026-03-14T23:30:00-04:00"
    assert dt.datetime.fromisoformat(last["starts_at"]) == utc(2026, 3, 15, 3, 30)
    assert last["customer_email"] == "dana@example.com"
    assert last["replaces_id"] == str(report_data["b7"].pk)
    assert first["customer_email"] == ""


def test_bookings_csv_honours_the_filters(browser, report_data):
    rows = read_csv(
        browser.get("/reports/acme/bookings.csv", {**RANGE, "owner": "USR-B"})
    )

    assert {row["external_id"] for row in rows} == {
        report_data["b3"].external_id,
        report_data["b5"].external_id,
    }


def test_events_csv_is_the_log_of_the_bookings_in_range(
    browser,
    report_data,
):

    b4 = report_data["b4"]
    make_event(booking=b4, kind="scheduled", occurred_at=b4.booked_at)
    make_event(
        booking=b4,
        kind="canceled",
        occurred_at=b4.state_at,
        details={"reason": '=HYPERLINK("http://evil")'},
    )
    make_event(
        booking=report_data["b9"], kind="completed", occurred_at=utc(2026, 3, 16, 5)
    )

    rows = read_csv(browser.get("/reports/acme/events.csv", RANGE))

    assert [(row["type"], row["occurred_at"]) for row in rows] == [
        ("scheduled", "2026-03-01T09:00:00-05:00"),
        ("canceled", "2026-03-01T15:00:00-05:00"),
    ]
    assert rows[1]["booking_external_id"] == b4.external_id
    assert rows[1]["applied"] == "true"
    # JSON text never starts with "=", but a reason inside it stays inert too.
    assert rows[1]["details"].startswith("{")


def test_formula_cells_are_made_inert(browser, account):
    account.time_zone = "UTC"
    account.save()
    for subject in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "Plain"):
        make_booking(
            account=account,
            subject=subject,
            starts_at=utc(2026, 3, 3, 9),
            booked_at=utc(2026, 3, 1, 9),
        )

    rows = read_csv(browser.get("/reports/acme/bookings.csv", RANGE))

    assert sorted(row["subject"] for row in rows) == sorted(
        ["'=1+2", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "Plain"]
    )


def test_cell_formats():
    assert cell(None, tz=dt.UTC) == ""
    assert cell(True, tz=dt.UTC) == "true"
    assert cell(utc(2026, 1, 2, 3, 4, 5), tz=dt.UTC) == "2026-01-02T03:04:05+00:00"
    assert cell({"b": 1, "a": "é"}, tz=dt.UTC) == '{"a": "é", "b": 1}'
    assert cell(-5, tz=dt.UTC) == "'-5"


def test_page_query_count_is_fixed(browser, report_data, django_assert_max_num_queries):
    # Session, user, account, filter choices (3), then one query per figure.
    with django_assert_max_num_queries(16):
        browser.get("/reports/acme/", RANGE)
