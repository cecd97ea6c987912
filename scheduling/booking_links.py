"""Personalised OnceHub booking links that bring the booking back to a customer.

The link prefills the booking form through URL parameters and carries a hidden
custom field holding the customer's id, signed with the site's secret key.
OnceHub returns hidden fields in ``form_submission.custom_fields``, so the
booking that comes back can be attached to that customer even when the guest
types another email. The field is a hint: anyone can change a URL, which is
why it is signed and checked against the account.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core import signing

from .models import Account, Customer

logger = logging.getLogger(__name__)

# The name of the hidden custom field to add to the OnceHub booking form.
TRACKING_FIELD = "bs_customer"
_SALT = "scheduling.booking_links"

# Booking Pages live on go.oncehub.com, Booking Calendars on oncehub.com.
ONCEHUB_HOSTS = ("oncehub.com", "go.oncehub.com", "www.oncehub.com")


class BookingLinkError(ValueError):
    """The page URL is not an OnceHub booking page or calendar."""


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT)


def tracking_value(*, customer: Customer) -> str:
    return _signer().sign(f"{customer.account_id}.{customer.pk}")


def booking_link_for_customer(*, customer: Customer, page_url: str) -> str:
    """The page URL with the customer's details and the tracking field added."""
    parts = urlsplit(page_url.strip())
    if parts.scheme != "https" or parts.hostname not in ONCEHUB_HOSTS:
        raise BookingLinkError(
            "Enter the https address of an OnceHub booking page or booking "
            "calendar, such as https://go.oncehub.com/YourPage."
        )
    if not parts.path.strip("/"):
        raise BookingLinkError("The address names no booking page or calendar.")

    params = dict(parse_qsl(parts.query))
    prefill = {"name": customer.name, "email": customer.email}
    if customer.phone:
        # Booking Pages call it "phone"; Booking Calendars only know the
        # mobile number.
        prefill["phone"] = customer.phone
        prefill["mobile_phone"] = customer.phone
    if customer.company:
        prefill["company"] = customer.company
    params.update({key: value for key, value in prefill.items() if value})
    params[TRACKING_FIELD] = tracking_value(customer=customer)
    return urlunsplit(parts._replace(query=urlencode(params)))


def customer_from_tracking(
    *, account: Account, custom_fields: tuple[tuple[str, str], ...]
) -> Customer | None:
    """The customer a booking's hidden tracking field names, if it is genuine."""
    for name, value in custom_fields:
        if name.strip().lower() != TRACKING_FIELD or not value:
            continue
        try:
            account_id, customer_id = _signer().unsign(value.strip()).split(".")
        except (signing.BadSignature, ValueError):
            logger.warning(
                "booking link tracking field has a bad signature account_id=%s",
                account.pk,
            )
            return None
        if str(account.pk) != account_id:
            logger.warning(
                "booking link tracking field names another account account_id=%s",
                account.pk,
            )
            return None
        return Customer.objects.filter(account=account, pk=customer_id).first()
    return None
