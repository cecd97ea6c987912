"""Run the whole local demo: web server, worker and scheduler, fed sample webhooks.

Every process is a child of this command, which stops them all on Ctrl-C or
SIGTERM, and stops the rest when one of them dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from scheduling.followups.demo import demo_standin_port
from scheduling.followups.standin import StandIn
from scheduling.models import Account

from .demo_setup import DEMO_ACCOUNT_SLUG, DEMO_PASSWORD, DEMO_USERNAME

SERVER_START_SECONDS = 60
STOP_GRACE_SECONDS = 10


class StopRequested(Exception):
    """A signal asked the demo to stop."""


class Children:
    """Child processes, each in its own process group, started and stopped together.

    Each child leads its own group so that a terminal's Ctrl-C reaches only
    this process, which then stops the children in an orderly way, and so
    that anything a child starts in turn is stopped with it.
    """

    def __init__(self, *, say: Callable[[str], None], signals: Sequence[int] = ()):
        self.say = say
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.stop_signal: int | None = None
        for signum in signals:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.stop_signal = signum

    def start(self, name: str, command: Sequence[str]) -> None:
        self.say(f"Starting {name}: {' '.join(command)}")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, start_new_session=True
        )
        self.processes.append((name, process))

    def check(self) -> None:
        """Raise if a stop was asked for or a child has exited."""
        if self.stop_signal is not None:
            raise StopRequested(signal.Signals(self.stop_signal).name)
        for name, process in self.processes:
            code = process.poll()
            if code is not None:
                raise CommandError(
                    f"{name} exited early with code {code}; stopping the demo"
                )

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, checking the children twice a second."""
        deadline = time.monotonic() + seconds
        while True:
            self.check()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.5, left))

    def stop(self, *, grace: float = STOP_GRACE_SECONDS) -> None:
        """Terminate every child still running, then kill those that linger."""
        running = [(name, p) for name, p in self.processes if p.poll() is None]
        for name, process in running:
            self.say(f"Stopping {name} (pid {process.pid})")
            _signal_group(process, signal.SIGTERM)

        deadline = time.monotonic() + grace
        for name, process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{name} did not stop in {grace:g}s; killing it")
                _signal_group(process, signal.SIGKILL)
                process.wait()
        # Whatever a child left behind in its group goes too.
        for _name, process in self.processes:
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # Already gone.


class Command(BaseCommand):
    help = (
        "Run the demo: web server, Celery worker and beat as child processes, "
        "then post the sample webhooks. Stops everything on Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="port of the web server (default: $PORT or 8000)",
        )

    def handle(self, *args, **options):
        port = options["port"]
        base_url = f"http://127.0.0.1:{port}"
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        celery = [python, "-m", "celery", "-A", "bookingsync"]

        children = Children(
            say=self._say, signals=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        )
        standin = self._start_standin()
        try:
            children.start(
                "web server",
                [python, manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            )
            children.start(
                "worker", [*celery, "worker", "--loglevel=INFO", "--pool=solo"]
            )
            children.start("scheduler", [*celery, "beat", "--loglevel=INFO"])

            self._wait_for_server(children, base_url)
            call_command(
                "replay_webhooks",
                url=base_url,
                account=DEMO_ACCOUNT_SLUG,
                shift_to_now=True,
                stdout=self.stdout,
            )
            self.stdout.flush()
            self._banner(base_url)
            while True:
                children.wait(3600)
        except StopRequested as stop:
            self._say(f"Received {stop}; stopping the demo.")
        finally:
            children.stop()
            standin.stop()
        self._say("Demo stopped.")

    def _start_standin(self) -> StandIn:
        """Answer follow-ups as Slack, HubSpot and the others would, and say so."""

        def show(record) -> None:
            self._say(f"[follow-up stand-in] {record.method} {record.path}")

        standin = StandIn(port=demo_standin_port(), on_request=show).start()
        self._say(f"Follow-up stand-in listening at {standin.url}")
        return standin

    def _wait_for_server(self, children: Children, base_url: str) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            children.check()
            try:
                requests.get(f"{base_url}/admin/login/", timeout=2)
            except requests.RequestException:
                children.wait(0.5)
            else:
                return
        raise CommandError(
            f"the web server did not answer within {SERVER_START_SECONDS}s"
        )

    def _banner(self, base_url: str) -> None:
        account = Account.objects.get(slug=DEMO_ACCOUNT_SLUG)
        endpoints = account.endpoints.filter(is_active=True).order_by("id")
        rule = "=" * 72
        lines = [
            "",
            rule,
            f"  BookingSync demo is running ({account.name})",
            "",
            f"  Calendar:     {base_url}/",
            f"  Admin:        {base_url}/admin/",
            f"  Bookings API: {base_url}/api/bookings/",
            f"  Login:        {DEMO_USERNAME} / {DEMO_PASSWORD}",
            *(
                f"  {endpoint.get_provider_display() + ' webhook:':<18}"
                f"{base_url}{endpoint.get_absolute_url()}"
                for endpoint in endpoints
            ),
            f"  {'Follow-ups:':<18}{base_url}/admin/scheduling/followupdelivery/",
            "",
            "  Press Ctrl-C to stop the web server, worker and scheduler.",
            rule,
            "",
        ]
        self._say("\n".join(lines))

    def _say(self, text: str) -> None:
        # Flush at once: the children write to the same terminal or log file.
        self.stdout.write(text)
        self.stdout.flush()
