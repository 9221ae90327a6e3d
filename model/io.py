"""Atomic file output: write to a temporary name in the target folder, then rename.

A run killed part-way leaves no half-written file under a final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)


def temp_beside(path: str | Path, suffix: str = ".tmp") -> Path:
    """A new, empty file with a unique name (``.<name>.<random><suffix>``) in ``path``'s folder,
    readable like any other output (``mkstemp`` alone makes it 0600). Two processes never get the
    same name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # results are for the whole team to read
    return Path(tmp)


def write_atomic(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` then rename ``tmp_path`` to ``path`` (same folder, same disk)."""
    path = Path(path)
    tmp = temp_beside(path)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (indented, keys in insertion order) atomically."""
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def write_frame(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a data frame as CSV or Parquet (by suffix) atomically."""
    path = Path(path)
    if path.suffix == ".parquet":
        return write_atomic(path, lambda p: frame.to_parquet(p, index=False))
    return write_atomic(path, lambda p: frame.to_csv(p, index=False))
