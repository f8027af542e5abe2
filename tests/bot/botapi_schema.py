"""Checks a Bot API call against the official method and type list (api.min.json).

Parameters arrive either as JSON values or, from form-urlencoded and multipart bodies, as
strings whose non-string values are JSON-encoded (as python-telegram-bot sends them). Each
call is checked for: a known method, required parameters present, no unknown parameters,
types (recursively into nested objects, with unions and subtypes) and the documented limits
that matter to us (callback_data 1-64 bytes, text 1-4096 characters, 100 inline buttons).
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = Path("/work/shared/telegram-bot-api/api.min.json")
_CANDIDATES = (SPEC_FILE, Path(__file__).parents[3] / "shared/telegram-bot-api/api.min.json")
#: A file part uploaded in a multipart body stands for an InputFile.
UPLOADED = object()
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_TEXT_FIELDS = {"sendMessage": "text", "editMessageText": "text"}


@cache
def spec() -> dict[str, Any]:
    """The parsed api.min.json."""
    for path in _CANDIDATES:
        if path.exists():
            return dict(json.loads(path.read_text(encoding="utf-8")))
    raise FileNotFoundError(f"api.min.json not found in {[str(p) for p in _CANDIDATES]}")


def check_call(method: str, params: dict[str, Any], *, form: bool) -> list[str]:
    """Every problem with calling ``method`` with ``params`` (empty if the call is valid)."""
    definition = spec()["methods"].get(method)
    if definition is None:
        return [f"unknown method {method!r}"]
    fields = {f["name"]: f for f in definition.get("fields", [])}
    problems = [f"{method}: unknown parameter {name!r}" for name in params if name not in fields]
    for name, field in fields.items():
        if name not in params:
            if field["required"]:
                problems.append(f"{method}: required parameter {name!r} missing")
            continue
        problems += _check(params[name], field["types"], f"{method}.{name}", form=form)
    if not problems:
        problems += _limits(method, params)
    return problems


def _check(value: Any, types: list[str], path: str, *, form: bool) -> list[str]:
    """Problems of ``value`` against a union of types; the closest alternative's if none fit."""
    if form and isinstance(value, str) and "String" not in types:
        if types == ["InputFile"] or value.startswith("attach://"):
            return []
        try:
            value = json.loads(value)
        except ValueError:
            return [f"{path}: {value[:40]!r} is not JSON for {' or '.join(types)}"]
    best: list[str] | None = None
    for kind in types:
        problems = _check_one(value, kind, path)
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = problems
    return best or [f"{path}: no type"]


def _check_one(value: Any, kind: str, path: str) -> list[str]:
    if kind.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{path}: expected {kind}, got {type(value).__name__}"]
        inner = kind.removeprefix("Array of ")
        return [p for i, item in enumerate(value) for p in _check_one(item, inner, f"{path}[{i}]")]
    if kind == "InputFile":
        return [] if value is UPLOADED else [f"{path}: expected an uploaded file"]
    primitive = _primitive(value, kind)
    if primitive is not None:
        return [] if primitive else [f"{path}: expected {kind}, got {value!r:.40}"]
    return _check_object(value, kind, path)


def _primitive(value: Any, kind: str) -> bool | None:
    """Whether ``value`` is a ``kind``; None when ``kind`` is not a primitive type."""
    if kind == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("Float", "Float number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "String":
        return isinstance(value, str)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "True":
        return value is True
    return None


def _check_object(value: Any, kind: str, path: str) -> list[str]:
    definition = spec()["types"].get(kind)
    if definition is None:
        return [f"{path}: unknown type {kind!r}"]
    if "subtypes" in definition:
        return _check(value, list(definition["subtypes"]), path, form=False)
    if not isinstance(value, dict):
        return [f"{path}: expected {kind} object, got {type(value).__name__}"]
    fields = {f["name"]: f for f in definition.get("fields", [])}
    problems = [f"{path}: unknown field {name!r} of {kind}" for name in value if name not in fields]
    for name, field in fields.items():
        if name in value:
            problems += _check(value[name], field["types"], f"{path}.{name}", form=False)
        elif field["required"]:
            problems.append(f"{path}: required field {name!r} of {kind} missing")
    return problems + _object_limits(value, kind, path)


def _object_limits(value: dict[str, Any], kind: str, path: str) -> list[str]:
    problems: list[str] = []
    if kind == "InlineKeyboardButton":
        kinds = set(value) - {"text", "icon_custom_emoji_id", "style"}
        if len(kinds) != 1:
            problems.append(f"{path}: exactly one action field needed, got {sorted(kinds)}")
        data = value.get("callback_data")
        if isinstance(data, str) and not 1 <= len(data.encode()) <= 64:
            problems.append(f"{path}.callback_data: {len(data.encode())} bytes (1-64 allowed)")
    if kind == "InlineKeyboardMarkup":
        count = sum(len(row) for row in value.get("inline_keyboard", []) if isinstance(row, list))
        if count > 100:
            problems.append(f"{path}: {count} buttons (at most 100)")
    if kind == "BotCommand":
        if not _COMMAND.fullmatch(str(value.get("command", ""))):
            problems.append(f"{path}.command: {value.get('command')!r} is not a command name")
        if not 1 <= len(str(value.get("description", ""))) <= 256:
            problems.append(f"{path}.description: 1-256 characters")
    if kind in ("KeyboardButton", "InlineKeyboardButton") and not value.get("text"):
        problems.append(f"{path}.text: empty button label")
    return problems


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text as the user sees it, after entity parsing (plain or simple HTML)."""
    if parse_mode and parse_mode.upper() == "HTML":
        return html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def _limits(method: str, params: dict[str, Any]) -> list[str]:
    problems = []
    name = _TEXT_FIELDS.get(method)
    if name is not None and name in params:
        shown = visible_text(str(params[name]), params.get("parse_mode"))
        if not shown.strip() or len(shown) > 4096:
            problems.append(f"{method}.{name}: {len(shown)} characters (1-4096, not blank)")
    if method == "editMessageText" and "text" not in params:
        problems.append("editMessageText: required parameter 'text' missing")
    if method == "answerCallbackQuery" and len(str(params.get("text", ""))) > 200:
        problems.append("answerCallbackQuery.text: over 200 characters")
    if "caption" in params and len(str(params["caption"])) > 1024:
        problems.append(f"{method}.caption: over 1024 characters")
    return problems
