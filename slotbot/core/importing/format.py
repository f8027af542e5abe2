"""Reading the YAML import file: a loader that keeps the node tree so every problem gets
its line number, and the ``parse_*`` / ``load_*`` entry points.

Nothing here touches the database; see :mod:`slotbot.core.importing.importer` for applying a file.
"""

from __future__ import annotations

import difflib
import os
import stat
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError
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
from slotbot.core.limits import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_DEPTH,
    InvalidInput,
    bounded_int,
    has_control,
)

# --- the YAML loader ----------------------------------------------------------------------


IMPORT_MAX_VALUES = 1_000_000
"""How many values (scalars, lists, mappings) a file may hold once aliases are expanded."""


# libyaml's parser (when PyYAML has it) reads ten times faster than the pure-Python one;
# either way the nodes are composed here, in Python, so nesting stays bounded.
try:
    from yaml._yaml import CParser as _Events
except ImportError:  # PyYAML without libyaml

    class _Events(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class _Loader(
    yaml.composer.Composer, _Events, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
):
    """A safe loader that keeps ``10:00`` a string (YAML 1.1 reads it as 600), rejects a key
    given twice in one mapping, and bounds what a file can make us do: nesting at most
    :data:`~slotbot.core.limits.IMPORT_MAX_DEPTH` deep, at most :data:`IMPORT_MAX_VALUES`
    values with aliases expanded, integers within 64 bits, real dates, and text without
    control characters. Each refusal carries the line it was found on."""

    def __init__(self, stream: str) -> None:
        _Events.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._depth = 0
        self._weights: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self._depth >= IMPORT_MAX_DEPTH:
            event = self.peek_event()
            mark: Any = event.start_mark if event is not None else None
            raise yaml.composer.ComposerError(
                None, None, f"lists and mappings nest more than {IMPORT_MAX_DEPTH} deep", mark
            )
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and id(node) not in self._weights:
            self._weights[id(node)] = weight = 1 + sum(
                self._weights.get(id(child), 1) for child in _children(node)
            )
            if weight > IMPORT_MAX_VALUES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {IMPORT_MAX_VALUES} values (with aliases expanded)",
                    node.start_mark,
                )  # fmt: skip
        return node

    def construct_yaml_int(self, node: ScalarNode) -> int:
        value: int = super().construct_yaml_int(node)
        try:
            return bounded_int(value, what="integer")
        except InvalidInput as error:
            raise ConstructorError(None, None, str(error), node.start_mark) from None

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as error:
            raise ConstructorError(
                None, None, f"{node.value} is not a date ({error})", node.start_mark
            ) from None

    def construct_yaml_str(self, node: ScalarNode) -> str:
        value: str = super().construct_yaml_str(node)
        if has_control(value, lines=True):
            raise ConstructorError(
                None, None, "the text contains control characters", node.start_mark
            )
        return value

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


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


_Loader.yaml_constructors = {
    **yaml.constructor.SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:int": _Loader.construct_yaml_int,
    "tag:yaml.org,2002:timestamp": _Loader.construct_yaml_timestamp,
    "tag:yaml.org,2002:str": _Loader.construct_yaml_str,
}
_Loader.yaml_implicit_resolvers = {
    first: list(resolvers)
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
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
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as error:
        raise ImportFileError(filename, [_reader_issue(error, text)]) from None
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.reader.ReaderError as error:
        raise ImportFileError(filename, [_reader_issue(error, text)]) from None
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


def _reader_issue(error: yaml.reader.ReaderError, text: str) -> ImportIssue:
    """A character YAML does not allow (NUL, other control characters), with its line."""
    line = text.count("\n", 0, error.position) + 1
    what = f"#x{error.character:04x}" if isinstance(error.character, int) else "a character"
    return ImportIssue("", f"{what} is not allowed in the file (control character)", line)


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"the file is too big: {size} bytes, at most {max_bytes}"
        " (SLOTBOT_IMPORT_MAX_BYTES raises the cap)"
    )


def read_import_bytes(path: str | Path, *, max_bytes: int = IMPORT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, checked before reading; a
    directory, device, FIFO or socket is refused without waiting on it. Raises
    :class:`ImportFileError`."""
    filename = str(path)

    def refuse(reason: str) -> ImportFileError:
        return ImportFileError(filename, [ImportIssue("", reason)])

    try:
        # O_NONBLOCK: opening a FIFO nobody writes to must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise refuse(f"cannot read the file: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refuse("not a regular file (a directory, device, pipe or socket)")
        if info.st_size > max_bytes:
            raise refuse(_too_big(info.st_size, max_bytes))
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise refuse(f"cannot read the file: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew after the check
        raise refuse(_too_big(len(data), max_bytes))
    return data


def load_import_file(path: str | Path, *, max_bytes: int = IMPORT_MAX_BYTES) -> ImportSpec:
    """Read and parse an import file of at most ``max_bytes``; raises
    :class:`ImportFileError`, also if it is unreadable, too big or not a regular file."""
    data = read_import_bytes(path, max_bytes=max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        issue = ImportIssue("", f"not UTF-8 text (byte 0x{data[error.start]:02x})", line)
        raise ImportFileError(str(path), [issue]) from None
    return parse_import_text(text, filename=str(path))
