"""Reads scoped to what a user may see: the accounts they are a member of."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Account


def accounts_for_user(user) -> QuerySet[Account]:
    if not user.is_authenticated:
        return Account.objects.none()
    return Account.objects.filter(membership__user=user)


def account_for_user(user, *, slug: str) -> Account | None:
    """One of the user's accounts by slug, or None (shown as a 404)."""
    return accounts_for_user(user).filter(slug=slug).first()
