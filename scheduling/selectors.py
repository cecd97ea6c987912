"""Reads scoped to what a user may see: the accounts they are a member of."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Account, Booking


def accounts_for_user(user) -> QuerySet[Account]:
    if not user.is_authenticated:
        return Account.objects.none()
    return Account.objects.filter(membership__user=user)


def bookings_for_user(user, *, account_slug: str = "") -> QuerySet[Booking]:
    """Bookings of the user's accounts, or of one of them by slug."""
    accounts = accounts_for_user(user)
    if account_slug:
        accounts = accounts.filter(slug=account_slug)
    return Booking.objects.filter(account__in=accounts)


def account_for_user(user, *, slug: str) -> Account | None:
    """One of the user's accounts by slug, or None (shown as a 404)."""
    return accounts_for_user(user).filter(slug=slug).first()
