"""Scheduling providers. Each module turns its deliveries into neutral events.

A provider module offers ``NAME``, ``LABEL``, ``EVENT_TYPES``,
``verify(headers=, body=, secrets=, now=, max_age=)``, ``sign(...)`` and
``parse(body) -> BookingEvent | Ignored``. Adding a provider means adding a
module here and listing it below.
"""

from types import ModuleType

from . import oncehub

PROVIDERS: dict[str, ModuleType] = {module.NAME: module for module in (oncehub,)}

CHOICES = [(name, module.LABEL) for name, module in PROVIDERS.items()]


def get(name: str) -> ModuleType | None:
    return PROVIDERS.get(name)
