"""The public API against its own OpenAPI schema: generated requests never get a 5xx, and
every answer matches what the schema documents (status, content type, body)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.openapi import from_dict
from schemathesis.specs.openapi.checks import positive_data_acceptance

from slotbot.bootstrap import create_app
from slotbot.core.settings import Settings
from tests.web.live import demo_database, live_server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_database(tmp_path_factory.mktemp("openapi"))) as url:
        yield url


# The schema as the app documents it (no database needed to build it); the calls go to a
# live server. (schemathesis.pytest.from_fixture does not work with pytest 9.)
schema = from_dict(create_app(Settings(environment="test")).openapi()).include(
    path_regex="^/(api/v1/(services|specialists|availability)|healthz)"
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_public_api_conforms(case: schemathesis.Case, base_url: str) -> None:
    # Dates are bounded to 2000..2100 and 'to' must follow 'from': constraints a JSON schema
    # of a date string cannot state, so a schema-valid request may rightly get a 422.
    case.call_and_validate(base_url=base_url, excluded_checks=[positive_data_acceptance])


def test_schema_documents_every_public_route(base_url: str) -> None:
    paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]
    assert {
        "/api/v1/services",
        "/api/v1/specialists",
        "/api/v1/availability/slots",
        "/api/v1/availability/days",
        "/api/v1/availability/next",
        "/api/v1/widget/sessions",
        "/api/v1/widget/events",
        "/api/v1/widget/messages",
        "/api/v1/widget/stream",
        "/healthz",
    } <= set(paths)
    days = paths["/api/v1/availability/days"]["get"]
    assert {"404", "422"} <= set(days["responses"])
    assert days["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Problem"
    )
