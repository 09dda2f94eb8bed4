"""YAML loading that remembers where every value came from, so errors can name file and line.

`load_with_lines(text)` returns the plain Python value plus a map from key path
(`("resources", "gateway", "name")`) to the 1-based line of that key (or list item).

Stack files may come from a pull request, so they are treated as hostile: files are read only if
regular and at most MAX_BYTES, aliases are refused (a few hundred bytes of nested aliases expand to
gigabytes), and nesting deeper than MAX_DEPTH is refused before Python's recursion limit is hit.
"""

from __future__ import annotations

import copy
import os
import stat
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Any

import yaml

SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, libyaml's where PyYAML was built with it (about ten times faster)."""

Path = tuple[str | int, ...]
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
ALIASES = "YAML aliases (*name) are not allowed here: write the value out"
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"


class YamlError(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """Composes without aliases and with bounded depth."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlError(ALIASES, mark.line + 1)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlError(TOO_DEEP, mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_text(path: FilePath) -> str:
    """The file's text, if it is a regular file of at most MAX_BYTES (not a device, FIFO or /proc file
    that never ends); raises OSError with a message for people."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path} is not a regular file")
    if info.st_size > MAX_BYTES:
        raise OSError(f"{path} is {info.st_size} bytes; at most {MAX_BYTES} are read")
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise OSError(f"{path} is larger than {MAX_BYTES} bytes; at most that is read")
    return data.decode("utf-8")


def unreadable(exc: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, without echoing any of its content."""
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return exc.strerror or str(exc)


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """The document and the line of every key path. Each text is parsed once per process (a plan and its apply,
    or a test run's hundreds of plans, read the same stack and OpenAPI files); callers get their own copy."""
    document, lines = _parsed(text)
    return copy.deepcopy(document), dict(lines)


@lru_cache(maxsize=32)
def _parsed(text: str) -> tuple[Any, dict[Path, int]]:
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(str(exc.problem or exc), mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), None) from exc
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    return _convert(node, (), lines), lines


def _compose(text: str) -> yaml.Node | None:
    """With libyaml (PyYAML's C parser), about ten times faster: its events are checked for aliases and depth
    first, then it composes; without it, the pure-Python composer checks as it goes."""
    if not yaml.__with_libyaml__:
        return yaml.compose(text, Loader=_StrictLoader)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent):
                raise YamlError(ALIASES, line)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlError(TOO_DEEP, line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" not in str(exc.problem):  # libyaml's own bound (1000), met while looking ahead
            raise
        raise YamlError(TOO_DEEP, exc.problem_mark.line + 1 if exc.problem_mark else None) from exc
    return yaml.compose(text, Loader=yaml.CSafeLoader)


def _convert(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        _plain(node, "tag:yaml.org,2002:map")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            if key in result:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        _plain(node, "tag:yaml.org,2002:seq")
        return [_convert(item, path + (i,), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _plain(node: yaml.Node, *tags: str) -> None:
    """Only plain YAML's tags (`!!python/object/apply:...` and the like are refused, never ignored)."""
    if node.tag not in tags:
        raise YamlError(f"the YAML tag {node.tag!r} is not allowed: write the value plainly", node.start_mark.line + 1)


def _scalar(node: yaml.Node) -> Any:
    """The node's value as SafeLoader makes it (int, float, bool, null, timestamp, str)."""
    _plain(node, *SCALAR_TAGS)
    return _SAFE.yaml_constructors[node.tag](_SAFE, node)


SCALAR_TAGS = tuple(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp", "str"))
_SAFE = yaml.SafeLoader("")
"""One constructor for every scalar (a loader per scalar cost more than the parse)."""


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of the deepest known ancestor of `path` (pydantic locations may go below YAML)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
