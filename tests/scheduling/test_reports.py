"""Each report figure, checked against answers worked out by hand."""

import datetime as dt

import pytest

from scheduling.reports import (
    ReportFilters,
    cancel_reasons_for_report,
    cancelers_for_report,
    cancellation_times_for_report,
    filter_choices_for_account,
    heatmap_for_report,
    lead_times_for_report,
    summary_for_report,
    weekly_for_report,
)


@pytest.fixture
def filters(account, report_data):
    return ReportFilters(
        account=account, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15)
    )


def test_summary_counts_and_rates(filters):
    assert summary_for_report(filters=filters) == {
        "made": 5,  # b2, b5, b7, b8, b9 were booked inside the range
        "total": 8,
        "scheduled": 1,
        "completed": 2,
        "no_show": 1,
        "canceled": 3,
        "rescheduled": 2,
        "no_show_rate": 0.3333,
        "cancellation_rate": 0.375,
        "reschedule_rate": 0.25,
    }


def test_summary_narrowed_to_one_owner(filters):
    narrowed = ReportFilters(**{**filters.__dict__, "owner_id": "USR-B"})

    summary = summary_for_report(filters=narrowed)

    assert (summary["made"], summary["total"]) == (1, 2)
    assert (summary["no_show"], summary["canceled"]) == (1, 1)
    assert summary["no_show_rate"] == 1.0
    assert summary["cancellation_rate"] == 0.5


def test_summary_narrowed_to_a_page(filters):
    narrowed = ReportFilters(**{**filters.__dict__, "page_id": "BKC-1"})

    summary = summary_for_report(filters=narrowed)

    assert summary["total"] == 3  # b1, b3, b8
    assert summary["scheduled"] == 1


def test_empty_range_has_no_rates(account, report_data):
    empty = ReportFilters(
        account=account, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31)
    )

    summary = summary_for_report(filters=empty)

    assert summary["total"] == 0
    assert summary["no_show_rate"] is None
    assert summary["cancellation_rate"] is None


def test_lead_time_distribution(filters):
    assert lead_times_for_report(filters=filters) == [
        {"label": "under 1 hour", "count": 1},
        {"label": "1 to 24 hours", "count": 0},
        {"label": "1 to 3 days", "count": 2},
        {"label": "3 to 7 days", "count": 1},
        {"label": "1 to 2 weeks", "count": 3},
        {"label": "2 to 4 weeks", "count": 0},
        {"label": "4 weeks or more", "count": 1},
    ]


def test_time_to_cancellation_distribution(filters):
    counts = {
        row["label"]: row["count"]
        for row in cancellation_times_for_report(filters=filters)
    }

    assert counts == {
        "under 1 hour": 0,
        "1 to 24 hours": 1,
        "1 to 3 days": 1,
        "3 to 7 days": 0,
        "1 to 2 weeks": 0,
        "2 to 4 weeks": 0,
        "4 weeks or more": 1,
    }


def test_heatmap_is_in_the_accounts_time_zone(filters):
    grid = heatmap_for_report(filters=filters)

    cells = {
        (day, hour): count
        for day, row in enumerate(grid)
        for hour, count in enumerate(row)
        if count
    }
    assert cells == {
        (0, 10): 1,  # b1, Monday
        (1, 9): 1,  # b2
        (1, 10): 1,  # b4, after the change to summer time
        (2, 10): 1,  # b3
        (2, 14): 1,  # b5
        (3, 10): 1,  # b6
        (4, 10): 1,  # b7
        (5, 23): 1,  # b8: Sunday 03:30 UTC is Saturday evening in New York
    }


def test_weekly_trend(filters):
    assert weekly_for_report(filters=filters) == [
        {
            "week": dt.date(2026, 3, 2),
            "total": 3,
            "completed": 2,
            "no_show": 1,
            "canceled": 0,
        },
        {
            "week": dt.date(2026, 3, 9),
            "total": 5,
            "completed": 0,
            "no_show": 0,
            "canceled": 3,
        },
    ]


def test_who_cancels_and_why(filters):
    assert cancelers_for_report(filters=filters) == [
        {"by": "user", "count": 2},
        {"by": "customer", "count": 1},
    ]
    assert cancel_reasons_for_report(filters=filters) == [
        {"reason": "Host ill", "count": 2},
        {"reason": "Found another provider", "count": 1},
    ]


def test_filter_choices_name_each_owner_once(account, report_data):
    choices = filter_choices_for_account(account=account)

    assert choices["owners"] == [("USR-A", "Avery Host"), ("USR-B", "Blake Host")]
    assert choices["pages"] == [("BKC-1", "Sales calendar")]
    assert choices["event_types"] == []
