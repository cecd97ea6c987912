"""Fixtures shared by the reports, exports, feed and API tests."""

from tests.scheduling.report_data import report_data  # noqa: F401
