"""Issue 11.5 over HTTP: parameters no query can take are a 4xx, never a 500 (NUL on
PostgreSQL was one), on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/api/v1/availability/next?service=%00", 400,
         "the query parameter 'service' contains control characters"),
        ("/api/v1/availability/next?service=haircut&specialist=an%00na", 400,
         "the query parameter 'specialist' contains control characters"),
        ("/api/v1/availability/slots?service=haircut&day=2026-12-01%00", 400,
         "the query parameter 'day' contains control characters"),
        ("/api/v1/availability/next?service=hair%0Acut", 400, "contains control characters"),
        ("/api/v1/availability/next?ser%00vice=haircut", 400, "'ser\\x00vice' contains control"),
        ("/api/v1/availability/next?service=%FF%FE", 400, "a query parameter is not valid UTF-8"),
        ("/api/v1/availability/next?service=%ED%A0%80", 400, "not valid UTF-8"),  # a surrogate
        ("/api/v1/services%00", 400, "the path contains control characters"),
        ("/api/v1/availability/next?service=Hair-Cut", 422, "is not a key"),
        ("/api/v1/availability/next?service=" + "x" * 65, 422, "is not a key"),
        ("/api/v1/availability/next?service=haircut&specialist=", 422, "is not a key"),
        ("/api/v1/availability/slots?service=haircut&day=9999-12-31", 422, "out of range"),
        ("/api/v1/availability/next?service=nails", 404, "unknown service 'nails'"),
    ],
)  # fmt: skip
async def test_parameters_that_cannot_be_taken(
    client: httpx.AsyncClient, url: str, status: int, detail: str
) -> None:
    response = await client.get(url)
    assert response.status_code == status, response.text
    body = response.json()["detail"]
    said = body if isinstance(body, str) else " ".join(error["msg"] for error in body)
    assert detail in said
    ok = await client.get("/api/v1/availability/next", params={"service": "haircut"})
    assert ok.status_code == 200
