"""The JSON shapes of the public API, as documented in its OpenAPI schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """Every error answer: one sentence for a person, the details for a program."""

    detail: str = Field(examples=["unknown service 'nails'"])
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ServiceOut(BaseModel):
    key: str = Field(examples=["haircut"])
    name: dict[str, str] = Field(description="by language code", examples=[{"en": "Haircut"}])
    duration: int = Field(description="minutes", examples=[60])
    price: str | None = Field(description="decimal, as a string", examples=["30.00"])
    currency: str | None = Field(examples=["EUR"])


class SpecialistOut(BaseModel):
    key: str = Field(examples=["anna"])
    name: str = Field(examples=["Anna Petrova"])
    title: dict[str, str] = Field(description="by language code")
    timezone: str = Field(examples=["Europe/Berlin"])
    services: list[str] = Field(description="keys of the services they provide")


class SlotOut(BaseModel):
    start: str = Field(description="ISO instant in UTC", examples=["2026-12-01T08:00:00Z"])
    end: str = Field(description="ISO instant in UTC", examples=["2026-12-01T09:00:00Z"])
    specialists: list[str] = Field(description="keys of the specialists free then")


class DayOut(BaseModel):
    date: str = Field(description="local date", examples=["2026-12-01"])
    available: bool


#: The error answers every public route may give, for the OpenAPI schema.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "a parameter holds control characters or is not UTF-8"},
    404: {"model": Problem, "description": "an unknown service or specialist"},
    422: {"model": Problem, "description": "a parameter is missing or out of range"},
}
