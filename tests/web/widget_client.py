"""A widget visitor over the widget API: open a session, press buttons by label, type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Visitor:
    http: httpx.AsyncClient
    token: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notice: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    async def open(self, language: str = "en") -> httpx.Response:
        response = await self.http.post(
            "/api/v1/widget/sessions", json={"language": language}, headers=self._headers()
        )
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]
        self.messages = list(response.json()["messages"])
        return response

    def _headers(self) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**auth, **self.headers}

    async def send(self, body: dict[str, Any]) -> httpx.Response:
        response = await self.http.post("/api/v1/widget/events", json=body, headers=self._headers())
        if response.status_code == 200:
            answer = response.json()
            self.messages += answer["messages"]
            self.events += answer["events"]
            self.notice = answer["notice"]
        return response

    async def start(self, **extra: Any) -> httpx.Response:
        return await self.send({"type": "start", **extra})

    @property
    def screen(self) -> dict[str, Any]:
        return next(m for m in reversed(self.messages) if m["from"] == "bot")

    def action(self, label: str) -> str:
        for row in self.screen["buttons"]:
            for button in row:
                if button["label"].startswith(label) and not button.get("disabled"):
                    return str(button["action"])
        raise AssertionError(f"no button {label!r} on {self.screen}")

    async def press(self, label: str) -> httpx.Response:
        response = await self.send({"type": "press", "action": self.action(label)})
        assert response.status_code == 200, response.text
        return response

    async def type(self, text: str) -> httpx.Response:
        response = await self.send({"type": "text", "text": text})
        assert response.status_code == 200, response.text
        return response


async def book_haircut(visitor: Visitor, name: str = "Jane Doe") -> None:
    await visitor.start()
    await visitor.press("Hair studio")  # seven services: their categories first
    await visitor.press("Haircut")
    await visitor.press("Anna Petrova")
    await visitor.press("Soonest")
    if visitor.screen["expects"] == "text":
        await visitor.type(name)
    if visitor.screen["expects"] == "phone":
        await visitor.send({"type": "contact", "phone": "+49 151 23456789"})
    await visitor.press("✅")
