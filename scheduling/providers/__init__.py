"""Scheduling providers. Each module turns its deliveries into neutral events.

A provider module offers:

- ``NAME`` (the URL segment and stored value), ``LABEL`` (for people) and
  ``EVENT_TYPES`` (the provider's event names it turns into booking events);
- ``SIGNATURE_MAX_AGE_SECONDS``: how old a signed timestamp may be, or
  ``None`` for the ``WEBHOOK_SIGNATURE_MAX_AGE_SECONDS`` setting;
- ``is_signed(headers) -> bool``: whether a delivery claims a signature at
  all, for endpoints that accept unsigned deliveries;
- ``verify(headers=, body=, secrets=, now=, max_age=)``, raising
  ``SignatureError``;
- ``signature_headers(secret=, body=, timestamp=) -> dict``: the headers the
  provider would send, for replaying samples and for tests;
- ``parse(body) -> BookingEvent | Ignored``, pure, raising ``PayloadError``.

Adding a provider means adding a module here and listing it below; no code
outside this package depends on which providers there are.
"""

from types import ModuleType

from . import calcom, calendly, oncehub

PROVIDERS: dict[str, ModuleType] = {
    module.NAME: module for module in (oncehub, calendly, calcom)
}

CHOICES = [(name, module.LABEL) for name, module in PROVIDERS.items()]


def choices() -> list[tuple[str, str]]:
    """The providers as field choices. Model fields take this callable, so a
    new provider changes no migration."""
    return list(CHOICES)


def get(name: str) -> ModuleType | None:
    return PROVIDERS.get(name)
