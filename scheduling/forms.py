"""Forms of the reports, settings and customer pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from .models import Account
from .reports import (
    EARLIEST_DATE,
    LATEST_DATE,
    ReportFilters,
    filter_choices_for_account,
)

# Longest range a report or export covers.
MAX_REPORT_DAYS = 3 * 366
DEFAULT_REPORT_DAYS = 84


class ReportForm(forms.Form):
    start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )
    end = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )
    owner = forms.ChoiceField(required=False, label="Host")
    page = forms.ChoiceField(required=False, label="Page or calendar")
    event_type = forms.ChoiceField(required=False, label="Event type")

    def __init__(self, data=None, *, account: Account):
        self.account = account
        if data is not None and not data.get("start") and not data.get("end"):
            data = None
        super().__init__(data, initial=self._default_range())
        choices = filter_choices_for_account(account=account)
        for field, key in (
            ("owner", "owners"),
            ("page", "pages"),
            ("event_type", "event_types"),
        ):
            self.fields[field].choices = [("", "All"), *choices[key]]

    def _default_range(self) -> dict:
        today = timezone.localdate()
        return {"start": today - dt.timedelta(days=DEFAULT_REPORT_DAYS), "end": today}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The last day must not be before the first.")
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error(
                    "end", f"A report covers at most {MAX_REPORT_DAYS} days."
                )
        return cleaned

    def report_filters(self) -> ReportFilters:
        """The filters asked for, or the default range when the form is unbound."""
        values = self.cleaned_data if self.is_bound else self.initial
        return ReportFilters(
            account=self.account,
            start=values["start"],
            end=values["end"],
            owner_id=values.get("owner", ""),
            page_id=values.get("page", ""),
            event_type_id=values.get("event_type", ""),
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the key is for, e.g. “CRM sync”.",
    )


class BookingLinkForm(forms.Form):
    page_url = forms.URLField(
        label="OnceHub page or calendar address",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://go.oncehub.com/YourPage"}),
    )
