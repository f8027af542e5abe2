"""Liveness and database reachability."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from slotbot.web.deps import SessionDep

router = APIRouter(tags=["health"])

HEALTH: dict[int | str, dict[str, Any]] = {
    200: {"description": "the database answers"},
    503: {"description": "the database does not answer"},
}


@router.get("/healthz", responses=HEALTH)
@router.get("/health", include_in_schema=False)
async def health(session: SessionDep) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not healthy"
        return JSONResponse({"status": "error", "database": type(error).__name__}, 503)
    return JSONResponse({"status": "ok"})
