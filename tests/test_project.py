"""Project-wide checks that keep the repository honest."""

from django.core.management import call_command


def test_models_and_migrations_agree(db):
    # Raises SystemExit when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")
