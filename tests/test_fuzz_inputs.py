"""Property-based fuzzing of the parameter files (hypothesis).

Each example mutates one file of a small valid tree (three units, three scenarios): a value (any
type: NaN, infinities, huge numbers, booleans, text, lists, maps, formula- and path-like strings),
a key (deleted, renamed, written twice), the bytes (Latin-1, a stray byte, NUL, truncation, a BOM)
or the structure (the document or a mapping replaced by a list, a scalar or nothing); CSV tables
get a cell, a row or a column changed. Then:

* ``cea validate --root`` exits 0 or 2 and never raises (a traceback fails the test);
* exit 2: every problem names a file and a key, and ``cea run`` refuses the tree too (exit 2) with
  nothing written;
* exit 0: every unit's base case under every scenario is finite, and so are a small PSA and the
  budget impact of one (unit, scenario).

The number of examples is bounded for CI (``CEA_FUZZ_EXAMPLES``, default 30, derandomised so CI
is reproducible); set ``CEA_FUZZ_EXAMPLES=1000 CEA_FUZZ_RANDOM=1`` for a longer, random search.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from model import budget, cea, continuum
from model import parameters as P
from tests.test_bad_inputs import RUN, SCENARIOS, UNITS, run_cli, small_tree

EXAMPLES = int(os.environ.get("CEA_FUZZ_EXAMPLES", "30"))
RANDOM = bool(os.environ.get("CEA_FUZZ_RANDOM"))
PROBLEM_LINE = re.compile(r"^  (?P<file>[^:]+): (?P<key>.+?): (?P<reason>.+)$")

SPECIAL_TEXT = ["=1+1", "=HYPERLINK(\"http://x\")", "javascript:alert(1)", "../../etc/passwd", "N/A", "1e400",
                "-1e400", ".nan", "nan", "", " ", "0x10", "1,5", "yes", "\u00e9", "a\nb"]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, 5e7, 1e6, 0.25, 1000.0, 2**53]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(SPECIAL_TEXT),
    st.lists(st.floats(allow_nan=False, width=32), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "mu", "sigma", "value", "x"]), st.floats(width=32), max_size=2),
)


def _paths(data, prefix=()):
    """Every (path, value) in a YAML document, containers included."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


def _set(data, path, value):
    if not path:
        return value
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return data


def _mutate_yaml(draw, path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    kind = draw(st.sampled_from(["value", "value", "value", "delete", "rename", "duplicate", "bytes", "structure"]))
    paths = list(_paths(data))
    if kind == "value":
        where, _ = paths[draw(st.integers(0, len(paths) - 1))]
        data = _set(data, where, draw(VALUES))
    elif kind in ("delete", "rename"):
        keyed = [(p, v) for p, v in paths if p and isinstance(p[-1], str)]
        if not keyed:
            return "nothing to delete"
        where, value = keyed[draw(st.integers(0, len(keyed) - 1))]
        parent = data
        for k in where[:-1]:
            parent = parent[k]
        del parent[where[-1]]
        if kind == "rename":
            parent[where[-1] + draw(st.sampled_from(["x", "_", "s", " ", "-1"]))] = value
        where = (*where, kind)
    elif kind == "duplicate":
        lines = text.splitlines(keepends=True)
        keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z_][\w-]*:", line)]
        i = keyed[draw(st.integers(0, len(keyed) - 1))]
        indent = re.match(r"^\s*", lines[i]).group(0)
        key = lines[i].strip().split(":")[0]
        lines.insert(i + 1, f"{indent}{key}: {draw(st.sampled_from(['1', 'x', '.nan', '[]']))}\n")
        path.write_text("".join(lines), encoding="utf-8")
        return f"duplicate line {i + 1} ({key})"
    elif kind == "bytes":
        raw = path.read_bytes()
        how = draw(st.sampled_from(["latin-1", "stray byte", "NUL", "truncate", "BOM", "CRLF"]))
        at = draw(st.integers(0, len(raw)))
        raw = {"latin-1": raw.replace(b"\n", "\n# caf\u00e9\n".encode("latin-1"), 1),
               "stray byte": raw[:at] + bytes([draw(st.integers(0x80, 0xFF))]) + raw[at:],
               "NUL": raw[:at] + b"\x00" + raw[at:], "truncate": raw[:at],
               "BOM": b"\xef\xbb\xbf" + raw, "CRLF": raw.replace(b"\n", b"\r\n")}[how]
        path.write_bytes(raw)
        return f"bytes: {how} at {at}"
    else:
        containers = [(p, v) for p, v in paths if isinstance(v, dict)]
        where, _ = containers[draw(st.integers(0, len(containers) - 1))]
        data = _set(data, where, draw(st.sampled_from([[], [1, 2], "text", None, 0, {}])))
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return f"{kind} at {'.'.join(map(str, where)) or 'top level'}"


def _mutate_csv(draw, path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kind = draw(st.sampled_from(["cell", "cell", "delete row", "duplicate row", "truncate", "drop column"]))
    i = draw(st.integers(1, len(lines) - 1))
    if kind == "cell":
        cells = lines[i].rstrip("\n").split(",")
        j = draw(st.integers(0, min(3, len(cells) - 1)))  # year/table, series/age, ... the numeric columns
        cells[j] = draw(st.one_of(st.sampled_from(["N/A", "", "nan", "inf", "-1", "0", "1e400", "abc"]),
                                  st.floats(allow_nan=True, allow_infinity=True).map(repr)))
        lines[i] = ",".join(cells) + "\n"
    elif kind == "delete row":
        del lines[i]
    elif kind == "duplicate row":
        lines.insert(i, lines[i])
    elif kind == "truncate":
        lines = lines[:i]
    else:
        lines = [",".join(line.rstrip("\n").split(",")[1:]) + "\n" for line in lines]
    path.write_text("".join(lines), encoding="utf-8")
    return f"{kind} at line {i + 1}"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return small_tree(tmp_path_factory.mktemp("fuzz") / "parameters")


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.suffix in (".yaml", ".csv") and not p.name.startswith("_"))


def _finite(frame) -> bool:
    return bool(np.all(np.isfinite(frame.select_dtypes("number").to_numpy())))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_parameter_files_are_refused_by_name_or_give_finite_results(template, data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "parameters"
        shutil.copytree(template, root)
        rel = data.draw(st.sampled_from(_files(root)), label="file")
        what = (_mutate_csv if rel.endswith(".csv") else _mutate_yaml)(data.draw, root / rel)
        note(f"{rel}: {what}")
        code, out, err = run_cli(["validate", "--root", str(root)])
        assert code in (0, 2), err
        event(f"exit {code}")
        event(f"mutation: {what.split(' ')[0]}")
        if code == 2:
            problems = [PROBLEM_LINE.match(line) for line in err.splitlines() if line.startswith("  ")]
            assert problems and all(problems), err
            assert all(m["file"].strip() and m["key"].strip() for m in problems), err
            out_dir = Path(tmp) / "out"
            r_code, _, r_err = run_cli(["run", "--root", str(root), *RUN, "--out", str(out_dir)])
            assert r_code == 2 and not out_dir.exists(), r_err
            return
        for unit in UNITS:
            for scenario in SCENARIOS:
                ps = P.load(unit, scenario, root)
                assert _finite(continuum.run_set(ps).summary()), (unit, scenario)
                label, lam = cea.decision_threshold(ps)
                assert np.isfinite(lam) and lam > 0
        unit, scenario = data.draw(st.sampled_from(UNITS)), data.draw(st.sampled_from(SCENARIOS))
        ps = P.load(unit, scenario, root)
        psa = continuum.run_set(ps, draws=32, seed=data.draw(st.integers(0, 2**32 - 1)))
        assert all(np.all(np.isfinite(v)) for v in psa.outcomes.values()), (unit, scenario)
        assert _finite(budget.budget_impact(ps)), (unit, scenario)
