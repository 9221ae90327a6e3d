"""Where a job's time goes: named spans of wall-clock time, in seconds.

The model code marks its costly steps (``with span("psa"): ...`` or ``@timed("figures")``). A
span is always kept in this process (:func:`recorded`); when the environment variable
``CEA_TIMINGS`` names a file, it is also appended there as one JSON line, which is how a
notebook's kernel reports to the batch job that runs it (:func:`read` sums the lines per name).
Timings never enter a result file: they go to the job's ``manifest.json`` only, beside the run's
other clock readings.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ENV = "CEA_TIMINGS"
_RECORDED: list[tuple[str, float]] = []


_DEPTH = threading.local()


@contextmanager
def span(name: str) -> Iterator[None]:
    """Time the ``with`` block (wall seconds) under ``name``. Only the outermost span of a thread is
    kept: a span inside another (a figure saved inside "figures", inputs loaded inside an
    analysis) is part of the outer one, so the spans of a job never count a second twice."""
    depth = getattr(_DEPTH, "value", 0)
    _DEPTH.value = depth + 1
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _DEPTH.value = depth
        if depth == 0:
            record(name, time.perf_counter() - t0)


def timed(name: str) -> Callable[[F], F]:
    """Decorator: time every call of the function under ``name``."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with span(name):
                return fn(*args, **kwargs)
        return inner  # type: ignore[return-value]
    return wrap


def record(name: str, seconds: float) -> None:
    """Keep one span; append it to the ``CEA_TIMINGS`` file when that is set."""
    _RECORDED.append((name, seconds))
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:  # one short line per span: appends do not interleave
            fh.write(json.dumps({"span": name, "seconds": round(seconds, 4), "end": time.time()}) + "\n")


def recorded(clear: bool = False) -> dict[str, float]:
    """Seconds per span name kept in this process (summed over repeats); ``clear`` forgets them."""
    out = _sum(_RECORDED)
    if clear:
        _RECORDED.clear()
    return out


def read(path: str | Path) -> dict[str, float]:
    """Seconds per span name in a ``CEA_TIMINGS`` file (summed over repeats); {} when it is missing."""
    return _sum([(name, seconds) for name, seconds, _ in read_spans(path)])


def read_spans(path: str | Path) -> list[tuple[str, float, float]]:
    """Every span in a ``CEA_TIMINGS`` file as (name, seconds, end as a Unix time), in order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            item = json.loads(line)
            out.append((str(item["span"]), float(item["seconds"]), float(item.get("end", 0.0))))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a killed kernel is not a timing
    return out


def _sum(pairs: list[tuple[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, seconds in pairs:
        out[name] = round(out.get(name, 0.0) + seconds, 4)
    return out
