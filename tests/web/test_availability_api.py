"""The public availability API over HTTP."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from slotbot.bootstrap import create_app
from slotbot.core.settings import Settings
from tests.web.conftest import NOW


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_services(client: httpx.AsyncClient) -> None:
    services = (await client.get("/api/v1/services")).json()
    assert [s["key"] for s in services] == ["haircut", "massage"]
    assert services[0]["name"] == {"en": "Haircut", "ru": "Стрижка"}
    assert (services[0]["price"], services[0]["currency"]) == ("30.00", "EUR")


async def test_slots_days_and_next(client: httpx.AsyncClient) -> None:
    slots = await client.get(
        "/api/v1/availability/slots", params={"service": "haircut", "day": "2026-12-01"}
    )
    assert [s["specialists"] for s in slots.json()] == [
        ["anna"],
        ["anna", "boris"],
        ["anna", "boris"],
    ]
    days = await client.get(
        "/api/v1/availability/days",
        params={"service": "haircut", "from": "2026-12-01", "to": "2026-12-02"},
    )
    assert days.json() == [
        {"date": "2026-12-01", "available": True},
        {"date": "2026-12-02", "available": False},
    ]
    soonest = await client.get("/api/v1/availability/next", params={"service": "massage"})
    assert soonest.json()["start"] == "2026-12-01T09:00:00Z"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/availability/slots", {"service": "nails", "day": "2026-12-01"}, 404),
        ("/api/v1/availability/slots", {"service": "haircut", "day": "2026-12-41"}, 422),
        ("/api/v1/availability/next", {"service": "haircut", "specialist": "zoe"}, 404),
        (
            "/api/v1/availability/days",
            {"service": "haircut", "from": "2026-12-05", "to": "2026-12-01"},
            422,
        ),
        (
            "/api/v1/availability/days",
            {"service": "haircut", "from": "2026-01-01", "to": "2026-12-01"},
            422,
        ),
    ],
)
async def test_bad_requests_get_clear_errors(
    client: httpx.AsyncClient, path: str, params: dict[str, str], status: int
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/availability/slots", {"day": "0001-01-01"}),
        ("/api/v1/availability/slots", {"day": "9999-12-31"}),
        ("/api/v1/availability/slots", {"day": "1999-12-31"}),
        ("/api/v1/availability/slots", {"day": "2101-01-01"}),
        ("/api/v1/availability/days", {"from": "9999-12-01", "to": "9999-12-31"}),
        ("/api/v1/availability/days", {"from": "0001-01-01", "to": "0001-01-31"}),
        ("/api/v1/availability/days", {"from": "2100-12-20", "to": "2101-01-05"}),
    ],
)
async def test_dates_out_of_range_are_422_not_500(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    """Issue 6.4: the ends of the calendar overflowed into a 500."""
    response = await client.get(path, params={"service": "haircut", **params})
    assert response.status_code == 422
    assert "2000-01-01 to 2100-12-31" in str(response.json()["detail"])


async def test_the_last_bookable_day_answers(client: httpx.AsyncClient) -> None:
    for params in ({"day": "2100-12-31"}, {"day": "2000-01-01"}):
        response = await client.get(
            "/api/v1/availability/slots", params={"service": "haircut", **params}
        )
        assert (response.status_code, response.json()) == (200, [])
    response = await client.get(
        "/api/v1/availability/days",
        params={"service": "haircut", "from": "2100-12-01", "to": "2100-12-31"},
    )
    assert response.status_code == 200 and len(response.json()) == 31


async def test_the_app_starts_and_stops_its_jobs(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url), clock=lambda: NOW)
    async with app.router.lifespan_context(app):
        assert app.state.scheduler.running
        assert [job.id for job in app.state.scheduler.get_jobs()] == ["housekeeping", "dispatch"]
    await asyncio.sleep(0)  # AsyncIOScheduler.shutdown takes effect on the loop's next turn
    assert not app.state.scheduler.running
