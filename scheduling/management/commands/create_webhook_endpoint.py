import json
import os

from django.core.management.base import BaseCommand, CommandError

from scheduling import providers
from scheduling.accounts import account_get_or_create, endpoint_create


class Command(BaseCommand):
    help = (
        "Create a webhook endpoint for an account (creating the account if "
        "needed) and print its URL and signing secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="account slug")
        parser.add_argument("--account-name", default="", help="name for a new account")
        parser.add_argument(
            "--provider", required=True, choices=sorted(providers.PROVIDERS)
        )
        parser.add_argument("--name", default="", help="a label for the endpoint")
        parser.add_argument(
            "--secret-env",
            default="",
            metavar="VAR",
            help="take the signing secret from this environment variable (for "
            "a secret the provider generated) instead of generating one",
        )
        parser.add_argument(
            "--allow-unsigned",
            action="store_true",
            help="accept deliveries that carry no signature (a provider "
            "subscription without a secret)",
        )
        parser.add_argument(
            "--base-url",
            default=os.environ.get("BOOKINGSYNC_BASE_URL", "http://127.0.0.1:8000"),
            help="public address of this deployment, for the printed URL",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        secret = ""
        if options["secret_env"]:
            secret = os.environ.get(options["secret_env"], "")
            if not secret:
                raise CommandError(
                    f"environment variable {options['secret_env']} is empty or unset"
                )
        account, created = account_get_or_create(
            slug=options["account"], name=options["account_name"]
        )
        endpoint = endpoint_create(
            account=account,
            provider=options["provider"],
            name=options["name"],
            secret=secret,
            allow_unsigned=options["allow_unsigned"],
        )
        url = options["base_url"].rstrip("/") + endpoint.get_absolute_url()

        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "account": account.slug,
                        "provider": endpoint.provider,
                        "url": url,
                        "secret": endpoint.secret,
                    }
                )
            )
            return
        if created:
            self.stdout.write(f"Created account {account.slug}.")
        self.stdout.write(f"URL:    {url}")
        self.stdout.write(f"Secret: {endpoint.secret}")
        self.stdout.write("The secret is not shown again; store it now.")
