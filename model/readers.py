"""Strict reading of input files: UTF-8 text, YAML without duplicate keys, CSV cells as finite numbers.

Every failure is an :class:`InputFileError` that carries one ``(key, reason)`` pair per problem, so
callers can report the file, the key and the problem without a traceback:

* bytes that are not UTF-8 are named with their value, line and offset;
* a YAML mapping that repeats a key is refused (PyYAML would keep the last value silently), with
  the dotted path of the mapping and the lines of both copies;
* YAML is read with the safe loader (no Python objects; ``!!python/...`` tags are errors);
* a CSV cell that must hold a number and does not (``N/A``, empty, ``nan``, ``inf``) is named by
  its column and line.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InputFileError(ValueError):
    """A file that cannot be used as input; ``problems`` holds ``(key, reason)`` pairs."""

    def __init__(self, path: str | Path, problems: Sequence[tuple[str, str]]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("; ".join(f"{self.path}: {k}: {r}" for k, r in self.problems))


def read_text(path: str | Path) -> str:
    """The file as text; refuses bytes that are not UTF-8, naming the byte, its line and offset.

    A UTF-8 byte-order mark at the start is dropped."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start]
        raise InputFileError(path, [(f"line {line}", f"not UTF-8: byte 0x{bad:02x} at offset {exc.start} is not "
                                                     "valid UTF-8; save the file as UTF-8")]) from None
    return text.removeprefix("\ufeff")


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.id} key>"


def duplicate_keys(node: yaml.Node | None) -> list[tuple[str, str]]:
    """``(dotted key, reason)`` for every mapping key written twice in the same mapping.

    Merge keys (``<<``) are YAML's explicit way to override and are left alone; aliases are walked
    once (so a document of nested aliases cannot make this slow)."""
    found: list[tuple[str, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(node, "")] if node is not None else []
    while stack:
        current, path = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in current.value:
                key = _key_text(key_node)
                dotted = f"{path}.{key}" if path else key
                if key == "<<":
                    continue
                line = key_node.start_mark.line + 1
                if key in first_line:
                    found.append((dotted, f"duplicate key (lines {first_line[key]} and {line}): YAML would "
                                          "keep only the last one silently; remove one"))
                else:
                    first_line[key] = line
                stack.append((value_node, dotted))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                stack.append((item, f"{path}[{i}]"))
    return sorted(found, key=lambda kr: kr[0])


def load_yaml(path: str | Path) -> Any:
    """Safe-load one YAML document from a UTF-8 file, refusing duplicate keys.

    Raises :class:`InputFileError` (not UTF-8, duplicate keys, YAML syntax, unsafe tags) and
    ``OSError`` (missing or unreadable file)."""
    text = read_text(path)
    loader = _SAFE_LOADER(text)
    try:
        try:
            node = loader.get_single_node()
            dups = duplicate_keys(node)
            if dups:
                raise InputFileError(path, dups)
            return None if node is None else loader.construct_document(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "-"
            raise InputFileError(path, [(where, f"not valid YAML: {' '.join(str(exc).split())}")]) from None
    finally:
        loader.dispose()


def finite_number(text: str | None) -> float | None:
    """``float(text)`` if it is a finite number, else ``None`` (``N/A``, empty, ``nan``, ``inf``)."""
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_csv(path: str | Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` for every data row of a UTF-8 CSV with a header that has ``required`` columns.

    Raises :class:`InputFileError` when a column is missing or there are no data rows."""
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InputFileError(path, [("header", f"missing column(s) {', '.join(missing)} "
                                               f"(found: {', '.join(header) or 'no header'})")])
    rows = []
    for row in reader:
        rows.append((reader.line_num, {k: (v if isinstance(v, str) else "") for k, v in row.items()
                                       if k is not None}))
    if not rows:
        raise InputFileError(path, [("rows", "no data rows (only a header)")])
    return rows
