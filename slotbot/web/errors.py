"""Error answers in one shape (``schemas.Problem``): a clear sentence, never a stack trace."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from slotbot.core.limits import InvalidInput


def _where(error: dict[str, Any]) -> str:
    place = [str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path", "header")]
    return ".".join(place) or "request"


def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """The error answer of every route and middleware (also an ASGI app of its own)."""
    return JSONResponse({"detail": detail, "errors": errors or []}, status_code=status)


async def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in error.errors()
    ]
    # pydantic wraps our own InvalidInput messages as "Value error, ...": show them plainly
    lines = [f"{_where(e)}: {str(e.get('msg', '')).removeprefix('Value error, ')}"
             for e in error.errors()]  # fmt: skip
    return problem(422, "; ".join(lines[:5]) or "invalid request", errors)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    response = problem(error.status_code, str(error.detail))
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid_input(_request: Request, error: Exception) -> JSONResponse:
    return problem(422, str(error))


def install(app: FastAPI) -> None:
    """Answer request validation errors, HTTP errors and ``InvalidInput`` as a Problem."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(InvalidInput, _invalid_input)
