"""The OpenAPI schema: valid, committed, and honoured by every operation."""

from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from scheduling.api_tokens import api_token_create
from tests.scheduling.report_data import make_event

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def test_schema_is_valid_and_committed(tmp_path):
    generated = tmp_path / "openapi.yaml"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(generated)
    )

    assert generated.read_text() == COMMITTED.read_text(), (
        "The API changed but docs/openapi.yaml did not. Regenerate it with "
        "`DEBUG=1 python manage.py spectacular --validate --fail-on-warn "
        "--file docs/openapi.yaml` and review the difference."
    )


def test_docs_page_uses_local_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
    assert client.get("/api/schema/").status_code == 200


@pytest.fixture
def api_key(member, report_data):
    make_event(
        booking=report_data["b1"],
        kind="scheduled",
        occurred_at=report_data["b1"].booked_at,
    )
    _token, key = api_token_create(user=member, name="schemathesis")
    return key


@pytest.fixture
def wsgi_app(api_key):
    # Requests go straight to the WSGI application inside the test's
    # transaction, so the start and end of a request must not close the connection
    # (Django's own test client does the same).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield get_wsgi_application()
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


# The committed schema, which the test above keeps equal to the generated one.
schema = schemathesis.openapi.from_path(COMMITTED)


@schema.parametrize()
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_fails_on_the_server(case, api_key, wsgi_app):
    case.call_and_validate(
        app=wsgi_app,
        headers={"Authorization": f"Token {api_key}"},
        # No 5xx, and every answer is one the schema documents, shaped as
        # documented. Malformed ids never reach the API (Django answers its
        # own HTML 404), so the content type is not checked.
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
        ],
    )
