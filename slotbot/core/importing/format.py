"""Reading the YAML import file: a loader that keeps the node tree so every problem gets
its line number, and the ``parse_*`` / ``load_*`` entry points.

Nothing here touches the database; see :mod:`slotbot.core.importing.importer` for applying a file.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from slotbot.core.importing.spec import (
    TIME_RE,
    ImportFileError,
    ImportIssue,
    ImportSpec,
    Loc,
    format_loc,
    spec_problems,
)

# --- the YAML loader ----------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps ``10:00`` a string (YAML 1.1 reads it as 600) and rejects
    a key given twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} given twice", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _digit in "0123456789":
    _Loader.yaml_implicit_resolvers.setdefault(_digit, []).insert(
        0, ("tag:yaml.org,2002:str", TIME_RE)
    )


@dataclass(frozen=True, slots=True)
class SourceMap:
    """The file's name and YAML node tree, to turn a path into a line number."""

    filename: str
    root: Node | None = None

    def line(self, loc: Loc) -> int | None:
        """The line of the deepest node on ``loc`` that exists (1-based)."""
        node = self.root
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for item in loc:
            if isinstance(node, MappingNode) and isinstance(item, str):
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode) and key_node.value == item:
                        line, node = key_node.start_mark.line + 1, value_node
                        break
                else:
                    break
            elif isinstance(node, SequenceNode) and isinstance(item, int):
                if not 0 <= item < len(node.value):
                    break
                node = node.value[item]
                line = node.start_mark.line + 1
            else:
                break
        return line


# --- parsing ------------------------------------------------------------------------------


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that the mapping at ``loc`` is validated as."""
    model: type[BaseModel] = ImportSpec
    for item in loc:
        if isinstance(item, int):
            continue
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        if item not in fields:
            return None
        found = _find_model(fields[item].annotation)
        if found is None:
            return None
        model = found
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


def _reason(error: Any) -> str:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return "this key is required"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = [f.alias or n for n, f in model.model_fields.items()] if model else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
        return f"unknown key {loc[-1]!r}; {hint}" if allowed else f"unknown key {loc[-1]!r}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    message = str(error["msg"])
    message = message[:1].lower() + message[1:]
    value = error.get("input")
    if isinstance(value, str | int | float | bool | date | types.NoneType):
        message += f" (got {value!r})"
    return message


def parse_import_data(data: Any, *, source: SourceMap | None = None) -> ImportSpec:
    """Validate already-loaded data (a dict) as an import file; raises :class:`ImportFileError`."""
    source = source or SourceMap("<data>")
    if not isinstance(data, dict):
        raise ImportFileError(
            source.filename,
            [
                ImportIssue(
                    "",
                    "expected a mapping with timezone, settings, services, specialists",
                    source.line(()),
                )
            ],
        )
    try:
        spec = ImportSpec.model_validate(data)
    except ValidationError as error:
        raise ImportFileError(
            source.filename,
            [
                ImportIssue(format_loc(tuple(e["loc"])), _reason(e), source.line(tuple(e["loc"])))
                for e in error.errors()
            ],
        ) from None
    spec.attach_source(source.filename, source.line)
    problems = spec_problems(spec)
    if problems:
        raise spec.error(problems)
    return spec


def parse_import_text(text: str, filename: str = "<string>") -> ImportSpec:
    """Parse and check an import file's text; raises :class:`ImportFileError`."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = error.problem or "invalid YAML"
        if error.context:
            reason += f" ({error.context})"
        raise ImportFileError(filename, [ImportIssue("", f"YAML: {reason}", line)]) from None
    except yaml.YAMLError as error:
        raise ImportFileError(filename, [ImportIssue("", f"YAML: {error}")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise ImportFileError(filename, [ImportIssue("", "the file is empty", 1)])
    return parse_import_data(data, source=SourceMap(filename, root))


def load_import_file(path: str | Path) -> ImportSpec:
    """Read and parse an import file; raises :class:`ImportFileError`, also if unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFileError(
            str(path), [ImportIssue("", f"cannot read the file: {error}")]
        ) from None
    return parse_import_text(text, filename=str(path))
