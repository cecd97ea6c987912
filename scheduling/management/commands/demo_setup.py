"""Create what the local demo needs: an account, a login and a webhook endpoint."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from scheduling import providers
from scheduling.accounts import account_get_or_create, endpoint_create
from scheduling.followups.demo import demo_standin_url, demo_subscriptions_ensure
from scheduling.models import Membership

DEMO_ACCOUNT_SLUG = "demo"
DEMO_ACCOUNT_NAME = "Demo Coaching"
DEMO_TIME_ZONE = "America/New_York"
# A well-known login for a local demo only: never run this against a real
# deployment's database.
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"


def demo_base_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


class Command(BaseCommand):
    help = (
        "Create the demo account, the demo admin user and a webhook endpoint "
        "per provider. Safe to run again: what exists is kept."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            account, created = account_get_or_create(
                slug=DEMO_ACCOUNT_SLUG, name=DEMO_ACCOUNT_NAME
            )
            if created:
                account.time_zone = DEMO_TIME_ZONE
                account.save(update_fields=["time_zone"])

            user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
            # Reset what the printed login promises, in case it was changed.
            if not (
                user.is_staff
                and user.is_superuser
                and user.is_active
                and user.check_password(DEMO_PASSWORD)
            ):
                user.is_staff = user.is_superuser = user.is_active = True
                user.set_password(DEMO_PASSWORD)
                user.save()
            Membership.objects.update_or_create(
                account=account, user=user, defaults={"role": Membership.Role.ADMIN}
            )

            endpoints = []
            for name, provider in providers.PROVIDERS.items():
                endpoint = account.endpoints.filter(
                    provider=name, is_active=True
                ).first()
                if endpoint is None:
                    endpoint = endpoint_create(
                        account=account, provider=name, name=f"Demo {provider.LABEL}"
                    )
                endpoints.append(endpoint)
            demo_subscriptions_ensure(account=account)

        base_url = demo_base_url()
        self.stdout.write(f"Demo account: {account.name} ({account.slug})")
        self.stdout.write(f"Admin:        {base_url}/admin/")
        self.stdout.write(f"Login:        {DEMO_USERNAME} / {DEMO_PASSWORD}")
        for endpoint in endpoints:
            label = f"{endpoint.get_provider_display()} webhook:"
            self.stdout.write(f"{label:<18}{base_url}{endpoint.get_absolute_url()}")
        label = "Follow-ups:"
        self.stdout.write(f"{label:<18}sent to the stand-in at {demo_standin_url()}")
