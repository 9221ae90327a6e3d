"""Every kind of bad input of issue 15, as a table: refused with exit 2, the file, key and problem
named, nothing written, never a traceback.

``PARAMETER_CASES`` break a copy of the parameter tree one way each; both ``cea validate --root``
and ``cea run --root`` must refuse it before anything runs. ``CLI_CASES`` are bad command lines.
``python -m tests.test_bad_inputs`` prints the table for a closing note.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from model import cli
from model import parameters as P

UNITS = ("BGD", "IND", "IND-MH")
SCENARIOS = ("base", "mms-price-high", "anaemia-weighted")
RUN = ["--countries", "all", "--scenarios", "base", "--draws", "5", "--sobol-n", "4", "--no-pdf"]


# ----------------------------------------------------------------------------------------- helpers
def small_tree(dst: Path) -> Path:
    """The project's parameter folder with three units (one subnational) and three scenarios."""
    src = P.DEFAULT_ROOT
    dst.mkdir(parents=True)
    shutil.copytree(src / "global", dst / "global")
    shutil.copy(src / "sources.yaml", dst / "sources.yaml")
    (dst / "countries").mkdir()
    for name in (*UNITS, "_template"):
        shutil.copy(src / "countries" / f"{name}.yaml", dst / "countries" / f"{name}.yaml")
    (dst / "scenarios").mkdir()
    for name in SCENARIOS:
        shutil.copy(src / "scenarios" / f"{name}.yaml", dst / "scenarios" / f"{name}.yaml")
    if (src / "studies").is_dir():
        shutil.copytree(src / "studies", dst / "studies")
    return dst


def edit_yaml(rel: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return setup


def entry(rel: str, key: str, **changes) -> Callable[[Path], None]:
    return edit_yaml(rel, lambda d: d["parameters"][key].update(changes))


def drop(rel: str, *path: str) -> Callable[[Path], None]:
    def change(d: dict) -> None:
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]
    return edit_yaml(rel, change)


def edit_text(rel: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        new = change(text)
        assert new != text, f"the edit of {rel} changed nothing"
        path.write_text(new, encoding="utf-8")
    return setup


def write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return setup


def edit_rows(rel: str, change: Callable[[list[dict]], list[dict]]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header, rows = reader.fieldnames, list(reader)
        rows = change(rows)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, header)
            w.writeheader()
            w.writerows(rows)
    return setup


def cell(rel: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    return edit_rows(rel, lambda rows: [dict(r, **{column: value}) if i == row else r for i, r in enumerate(rows)])


def template_copy(root: Path) -> None:
    text = (root / "countries" / "_template.yaml").read_text(encoding="utf-8")
    text = text.replace("code: XXX", "code: GHA").replace("name: Country name", "name: Ghana")
    (root / "countries" / "GHA.yaml").write_text(text, encoding="utf-8")


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for s in setups:
            s(root)
    return setup


def latin1_note(root: Path) -> None:
    path = root / "countries" / "BGD.yaml"
    path.write_bytes(path.read_bytes().replace(b"name: Bangladesh", b"name: Bangladesh caf\xe9"))


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, what must be named (``file: key: reason`` in stderr)."""

    id: str
    setup: Callable[[Path], None] | None
    file: str
    key: str
    reason: str
    args: tuple[str, ...] = ()  # CLI cases: the command line ({root}, {out}, {tmp} filled in)
    code: int = 2


BGD, IND, MH = "parameters/countries/BGD.yaml", "parameters/countries/IND.yaml", "parameters/countries/IND-MH.yaml"
INFANT, PRICES = "parameters/global/infant.yaml", "parameters/global/prices.yaml"
ECON, SOURCES = "parameters/global/economics.yaml", "parameters/sources.yaml"
HIGH, ANAEMIA = "parameters/scenarios/mms-price-high.yaml", "parameters/scenarios/anaemia-weighted.yaml"
BASE = "parameters/scenarios/base.yaml"
LIFE, DEFL = "parameters/global/life_table.csv", "parameters/global/deflators.csv"
FINITE = "must be a finite number"

PARAMETER_CASES = [
    # --- accepted with wrong results before (exit 0)
    Case("live_births .nan", entry("countries/BGD.yaml", "live_births", value=float("nan")),
         BGD, "live_births.value", f"{FINITE} (got nan)"),
    Case("live_births .inf", entry("countries/BGD.yaml", "live_births", value=float("inf")),
         BGD, "live_births.value", f"{FINITE} (got inf)"),
    Case("live_births 1e300", entry("countries/BGD.yaml", "live_births", value=1e300),
         BGD, "live_births", "value=1e+300 is above 5e+07, the most for live births per year: India"),
    Case("live_births 0", entry("countries/BGD.yaml", "live_births", value=0.0),
         BGD, "live_births", "value=0 is below 1, the least for live births per year"),
    Case("duplicate name: in a country file", edit_text("countries/BGD.yaml", lambda t: t + "name: Atlantis\n"),
         BGD, "name", "duplicate key (lines 2 and "),
    Case("duplicate field in an entry", edit_text(
        "countries/BGD.yaml", lambda t: t.replace("  nmr:\n", "  nmr:\n    value: 99.0\n", 1)),
         BGD, "parameters.nmr.value", "duplicate key (lines"),
    Case("duplicate parameter in a file", edit_text(
        "global/infant.yaml", lambda t: t + "  p_identified:\n    value: 0.5\n"),
         INFANT, "parameters.p_identified", "duplicate key (lines"),
    Case("beta dist_params a=-1", entry("global/infant.yaml", "p_identified", dist_params={"a": -1.0, "b": 5.0}),
         INFANT, "p_identified", "dist_params: beta(a=-1.0, b=5.0): a must be > 0 (got -1)"),
    Case("life table with an age missing", edit_rows("global/life_table.csv", lambda rows: [
        r for r in rows if r["age"] != "5"]), LIFE, "table GBD2019_TMRLT", "age(s) 5 missing"),
    Case("life table header only", edit_rows("global/life_table.csv", lambda rows: []),
         LIFE, "rows", "no data rows (only a header)"),
    Case("javascript: URL in sources.yaml", edit_yaml("sources.yaml", lambda d: d["who2020_mms"].update(
        url="javascript:alert(document.cookie)")), SOURCES, "who2020_mms.url", "url must be an http:// or https://"),
    Case("file: URL in sources.yaml", edit_yaml("sources.yaml", lambda d: d["who2020_mms"].update(
        url="file:///etc/passwd")), SOURCES, "who2020_mms.url", "url must be an http:// or https://"),
    Case("national unit with a parent", edit_yaml("countries/IND.yaml", lambda d: d.update(parent="BGD")),
         IND, "parent", "only subnational units have a parent"),
    # --- valid by `cea validate` before, failing later in a notebook (exit 1)
    Case("required input deleted (nmr)", drop("countries/BGD.yaml", "parameters", "nmr"),
         BGD, "nmr", "missing: notebook(s) 01, 03, 04, 05, 06 need this input"),
    Case("required global input deleted", drop("global/infant.yaml", "parameters", "relapse_3m"),
         BGD, "relapse_3m", "missing: notebook(s) 02, 03, 04, 05, 06 need this input"),
    Case("country copied from _template.yaml", template_copy,
         "parameters/countries/GHA.yaml", "live_births", "missing: notebook(s) 01, 02, 03, 04, 05, 06 need this input"),
    Case("input needed only by a scenario's settings", drop("countries/BGD.yaml", "parameters", "anaemia_pregnant"),
         BGD, "anaemia_pregnant", "missing: notebook(s) 01, 03, 04, 06 need this input"),
    Case("non-numeric life-table value", cell("global/life_table.csv", 3, "remaining_life_expectancy", "n/a"),
         LIFE, "remaining_life_expectancy (line 5)", "'n/a' is not a finite non-negative number"),
    Case("price high: 1e400", edit_text("scenarios/mms-price-high.yaml", lambda t: t.replace(
        "  high: 5.13", "  high: 1e400")), HIGH, "price_mms_180.high", f"{FINITE} (got '1e400')"),
    Case("calibration impossible in a scenario", write("scenarios/broken.yaml", yaml.safe_dump({
        "name": "broken", "description": "LBW prevalence no calibration can reproduce.", "parameters": {
            "lbw_prevalence": {"value": 90.0, "low": 85.0, "high": 95.0, "source": "workbook_assumption",
                               "status": "assumption", "note": "test"}}})),
         "parameters/scenarios/broken.yaml", "lbw_prevalence",
         "the antenatal model fails on the base case with these inputs (CalibrationError: calibration:"),
    Case("calibration impossible (LBW 90%)", entry("countries/BGD.yaml", "lbw_prevalence", value=90.0, low=85.0,
                                                   high=95.0),
         BGD, "anc1_coverage, antenatal_iron_dose_mg, cost_bed_day, ifa_adherence_90d, lbw_prevalence, live_births, "
              "nmr, pnmr, preterm_prevalence, sbr",
         "the antenatal model fails on the base case with these inputs (CalibrationError: calibration:"),
    # --- tracebacks before
    Case("bytes that are not UTF-8", latin1_note, BGD, "line 2", "not UTF-8: byte 0xe9 at offset"),
    Case("N/A in deflators.csv", cell("global/deflators.csv", 3, "index_value", "N/A"),
         DEFL, "index_value (line 5)", "'N/A' is not a positive number (CPI-U 2010)"),
    Case("deflator column missing", write("global/deflators.csv",
                                          "year,series_id,value\n2010,BLS CUUR0000SA0,218.056\n"),
         DEFL, "header", "missing column(s) index_value"),
    Case("deflators.csv deleted", lambda root: (root / "global" / "deflators.csv").unlink(),
         DEFL, "-", "file not found"),
    Case("life table deleted", lambda root: (root / "global" / "life_table.csv").unlink(), LIFE, "-", "file not found"),
    Case("life expectancy rising with age", cell("global/life_table.csv", 1, "remaining_life_expectancy", "95"),
         LIFE, "table GBD2019_TMRLT, age 1", "remaining life expectancy 95 is not below 88.87"),
    # --- numbers and types
    Case("value as text", entry("global/infant.yaml", "uptake_inpatient", value="low"),
         INFANT, "uptake_inpatient.value", "Input should be a valid number, unable to parse string as a number"),
    Case("value as a list", entry("global/infant.yaml", "uptake_inpatient", value=[0.04, 0.05]),
         INFANT, "uptake_inpatient.value", "Input should be a valid number (got [0.04, 0.05])"),
    Case("value as a boolean", entry("global/infant.yaml", "uptake_inpatient", value=True),
         INFANT, "uptake_inpatient.value", "expected a number, got a boolean (true)"),
    Case("value null", entry("global/infant.yaml", "uptake_inpatient", value=None),
         INFANT, "uptake_inpatient.value", "Input should be a valid number (got None)"),
    Case("low above value", entry("global/infant.yaml", "uptake_inpatient", low=0.2),
         INFANT, "uptake_inpatient", "low (0.2) > value (0.17)"),
    Case("probability above 1", entry("global/infant.yaml", "uptake_inpatient", value=1.5, high=1.6),
         INFANT, "uptake_inpatient", "probability value=1.5 is outside [0, 1]"),
    Case("negative cost", entry("global/prices.yaml", "price_mms_180", value=-1.0, low=-2.0),
         PRICES, "price_mms_180", "negative cost: value=-1"),
    Case("unit cost above its bound", entry("countries/BGD.yaml", "cost_bed_day", high=5e6),
         BGD, "cost_bed_day", "high=5e+06 is above 1e+06, the most for a unit cost"),
    Case("discount rate typed as a percentage", entry("global/economics.yaml", "discount_rate_costs", value=3.0),
         ECON, "discount_rate_costs", "value=3 is above 0.25, the most for a discount rate"),
    Case("relative risk of 0", entry("global/effects_mms.yaml", "rr_lbw_mms", value=0.0, low=0.0),
         "parameters/global/effects_mms.yaml", "rr_lbw_mms", "relative risk value=0 must be > 0"),
    Case("duration longer than a life", entry("global/infant.yaml", "los_inpatient_days", high=1e6),
         INFANT, "los_inpatient_days", "high=1e+06 is above 45656.2, the most for a duration in days"),
    # --- schema
    Case("unknown key in an entry", entry("global/infant.yaml", "uptake_inpatient", valu=0.3),
         INFANT, "uptake_inpatient", "unknown key 'valu'"),
    Case("unknown top-level key", edit_yaml("countries/BGD.yaml", lambda d: d.update(colour="red")),
         BGD, "colour", "unknown key 'colour'"),
    Case("missing unit", drop("global/infant.yaml", "parameters", "uptake_inpatient", "unit"),
         INFANT, "uptake_inpatient", "missing field 'unit'"),
    Case("unknown distribution", entry("global/infant.yaml", "uptake_inpatient", distribution="weibull"),
         INFANT, "uptake_inpatient.distribution", "unknown distribution 'weibull'"),
    Case("unknown status", entry("global/infant.yaml", "uptake_inpatient", status="probably"),
         INFANT, "uptake_inpatient.status", "unknown status 'probably'"),
    Case("assumption without a note", both(entry("global/infant.yaml", "uptake_inpatient", status="assumption"),
                                           drop("global/infant.yaml", "parameters", "uptake_inpatient", "note")),
         INFANT, "uptake_inpatient", "status 'assumption' needs a 'note' saying why"),
    Case("unknown source key", entry("global/infant.yaml", "uptake_inpatient", source="nobody2099"),
         INFANT, "uptake_inpatient", "unknown source key 'nobody2099'"),
    Case("cost year outside the deflator table", entry("global/prices.yaml", "price_mms_180", cost_year=1990),
         PRICES, "price_mms_180", "price year 1990 is not in the deflator table"),
    Case("cost without a currency", drop("global/prices.yaml", "parameters", "price_mms_180", "currency"),
         PRICES, "price_mms_180", "a cost must carry 'currency'"),
    Case("currency with no exchange rate (EUR)", entry("global/prices.yaml", "price_mms_180", currency="EUR"),
         PRICES, "price_mms_180", "unknown currency 'EUR' (expected one of USD): the workbook has no exchange-rate "
                                  "table"),
    Case("dist_params with wrong names", entry("countries/BGD.yaml", "cost_bed_day",
                                               dist_params={"mu": 2.3, "sd": 0.4}),
         BGD, "cost_bed_day", "dist_params for lognormal must be ['mu', 'sigma']"),
    Case("dist_params not finite", entry("countries/BGD.yaml", "cost_bed_day",
                                         dist_params={"mu": 2.3, "sigma": float("nan")}),
         BGD, "cost_bed_day.dist_params.sigma", f"{FINITE} (got nan)"),
    Case("dist_params that miss the value", entry("countries/BGD.yaml", "cost_bed_day",
                                                  dist_params={"mu": 12.0, "sigma": 0.1}),
         BGD, "cost_bed_day", "dist_params: lognormal(mu=12, sigma=0.1) has its central 99% in [1.258e+05, "
                              "2.106e+05], which does not hold value 4.4"),
    Case("a range so wide draws overflow", entry("global/infant.yaml", "mami_setup_cost_per_pair", low=1e-300),
         INFANT, "mami_setup_cost_per_pair", "lognormal("),
    # --- settings
    Case("unknown setting in a scenario", edit_yaml("scenarios/anaemia-weighted.yaml", lambda d: d["settings"].update(
        effect_weigting="anaemia")), ANAEMIA, "settings.effect_weigting", "unknown setting 'effect_weigting'"),
    Case("price year outside the deflators", edit_yaml("global/economics.yaml", lambda d: d["settings"].update(
        price_year=2050)), ECON, "settings.price_year", "price year 2050 is not in parameters/global/deflators.csv"),
    Case("price year as a boolean", edit_yaml("global/economics.yaml", lambda d: d["settings"].update(
        price_year=True)), ECON, "settings.price_year", "expected a number, got a boolean (true)"),
    Case("enrolment weights not summing to 1", edit_yaml("scenarios/base.yaml", lambda d: d.update(settings={
        "enrolment_age_weights": [0.5, 0.5, 0.5]})), BASE, "settings.enrolment_age_weights",
         "enrolment_age_weights must be non-negative and sum to 1"),
    Case("unknown decision threshold", edit_yaml("scenarios/base.yaml", lambda d: d.update(settings={
        "decision_threshold": "2 x GDP per capita"})), BASE, "settings.decision_threshold", "Input should be"),
    Case("roll-out of zero years", edit_yaml("scenarios/base.yaml", lambda d: d.update(settings={
        "rollout_years": 0})), BASE, "settings.rollout_years", "the budget's roll-out path: rollout years"),
    # --- files and names
    Case("scenario overrides an unknown parameter", edit_yaml("scenarios/mms-price-high.yaml", lambda d: d[
        "parameters"].update(price_mms_18=d["parameters"]["price_mms_180"])), HIGH, "price_mms_18",
         "unknown parameter (not defined in the global or country files)"),
    Case("scenario name unlike its file", edit_yaml("scenarios/mms-price-high.yaml", lambda d: d.update(
        name="mms-price-low")), HIGH, "name", "name 'mms-price-low' does not match the file name"),
    Case("scenario description on two lines", edit_yaml("scenarios/base.yaml", lambda d: d.update(
        description="two\nlines")), BASE, "description", "a scenario description is one non-empty line"),
    Case("country code unlike its file", edit_yaml("countries/BGD.yaml", lambda d: d.update(code="PAK")),
         BGD, "code", "code 'PAK' does not match the file name 'BGD'"),
    Case("not an ISO3 code", both(template_copy, edit_text("countries/GHA.yaml", lambda t: t.replace(
        "code: GHA", "code: XYZ")), lambda root: (root / "countries" / "GHA.yaml").rename(
        root / "countries" / "XYZ.yaml")), "parameters/countries/XYZ.yaml", "code", "bad ISO3 code 'XYZ'"),
    Case("subnational unit without its parent", drop("countries/IND-MH.yaml", "parent"),
         MH, "parent", "a subnational unit must name parent 'IND'"),
    Case("unit name empty", edit_yaml("countries/BGD.yaml", lambda d: d.update(name=" ")),
         BGD, "name", "a unit's name is one non-empty line"),
    Case("top level is a list", write("countries/BGD.yaml", "- code: BGD\n"),
         BGD, "-", "top level must be a mapping (got list)"),
    Case("YAML syntax error", edit_text("countries/BGD.yaml", lambda t: t.replace("code: BGD", "code: [BGD")),
         BGD, "line 2", "not valid YAML: while parsing a flow sequence"),
    Case("empty country file", write("countries/BGD.yaml", ""), BGD, "code", "missing field 'code'"),
    Case("entry that is not a mapping", edit_yaml("countries/BGD.yaml", lambda d: d["parameters"].update(nmr=18.0)),
         BGD, "parameters.nmr", "Input should be a valid dictionary"),
    Case("parameter name not snake_case", edit_yaml("countries/BGD.yaml", lambda d: d["parameters"].update(
        NMR=d["parameters"]["nmr"])), BGD, "NMR", "parameter names are lower_snake_case"),
    Case("unsafe YAML tag", write("countries/BGD.yaml", "code: !!python/object/apply:os.system ['true']\n"),
         BGD, "line 1", "not valid YAML: could not determine a constructor"),
    Case("source without a citation", drop("sources.yaml", "who2020_mms", "citation"),
         SOURCES, "who2020_mms", "missing field 'citation'"),
    Case("study design naming an unknown input", edit_text("studies/mms-trial.yaml", lambda t: t.replace(
        "probability: [nmr, rr_nmr_mms_vs_ifa60]", "probability: [nmr, rr_nmr_mms_vs_ifa90]")),
         "parameters/studies/mms-trial.yaml", "endpoints.1.probability.1", "unknown parameter 'rr_nmr_mms_vs_ifa90'"),
    Case("study cost that is not a number", edit_text("studies/mms-trial.yaml", lambda t: t.replace(
        "    value: 750000", "    value: .nan", 1)), "parameters/studies/mms-trial.yaml", "costs.fixed.value",
         f"{FINITE} (got nan)"),
    Case("study design that is not valid YAML (one line per problem)", write("studies/trial.yaml",
                                                                          "name: trial\ndescription: a: b\n"),
         "parameters/studies/trial.yaml", "line 2", "not valid YAML: mapping values are not allowed in this context"),
    Case("study design with NaN and a duplicate key", write("studies/trial.yaml",
                                                            "name: trial\nsize: .nan\nname: again\n"),
         "parameters/studies/trial.yaml", "name", "duplicate key (lines 1 and 3)"),
    Case("study design with a non-finite number", write("studies/trial.yaml", "name: trial\nsize: .nan\n"),
         "parameters/studies/trial.yaml", "size", f"{FINITE} (got nan)"),
    Case("study design with a javascript: url", write("studies/trial.yaml", "source:\n  url: 'javascript:x()'\n"),
         "parameters/studies/trial.yaml", "source.url", "url must be an http:// or https:// address"),
]


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``cea`` in this process: (exit code, stdout, stderr). An exception escaping is a test failure."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(args)
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def one_line_each(stderr: str) -> bool:
    """Whether every problem is printed on one line: as many indented lines as 'cea: N problem(s)' says."""
    counts = re.findall(r"^cea: (\d+) problem\(s\)", stderr, re.M)
    listed = [line for line in stderr.splitlines() if line.startswith("  ")]
    return len(counts) == 1 and len(listed) == int(counts[0])


def check_parameter_case(case: Case, tmp: Path) -> dict:
    """Apply ``case`` to a fresh small tree; return what validate and run did."""
    root = small_tree(tmp / "parameters")
    case.setup(root)
    before = _tree_digest(root)
    v_code, v_out, v_err = run_cli(["validate", "--root", str(root)])
    out = tmp / "out"
    r_code, _, r_err = run_cli(["run", "--root", str(root), *RUN, "--out", str(out)])
    line = f"{case.file}: {case.key}: {case.reason}"
    return {"validate": v_code, "run": r_code, "named": line in v_err and line in r_err,
            "written": out.exists() or _tree_digest(root) != before, "stderr": v_err, "run_stderr": r_err,
            "traceback": "Traceback" in v_err + r_err + v_out}


@pytest.mark.parametrize("case", PARAMETER_CASES, ids=[c.id for c in PARAMETER_CASES])
def test_bad_parameter_input_is_refused_with_file_key_and_problem(case, tmp_path):
    got = check_parameter_case(case, tmp_path)
    assert (got["validate"], got["run"]) == (2, 2), got["stderr"]
    assert got["named"], f"expected '{case.file}: {case.key}: {case.reason}' in\n{got['stderr']}\n{got['run_stderr']}"
    assert not got["written"] and not got["traceback"]
    assert one_line_each(got["stderr"]) and one_line_each(got["run_stderr"]), got["stderr"]


def test_the_small_tree_is_valid(tmp_path):
    """The cases above break a valid tree: without the break, both commands accept it."""
    root = small_tree(tmp_path / "parameters")
    code, out, err = run_cli(["validate", "--root", str(root)])
    assert code == 0, err
    assert "ok: 3 unit(s) x 3 scenario(s) valid" in out


# ------------------------------------------------------------------------------ command lines
def _locked(tmp: Path) -> subprocess.Popen:
    """A live process holding ``tmp/out/r1``'s lock until killed."""
    code = ("import sys, time\nfrom model.runlock import hold\nwith hold(sys.argv[1]):\n"
            "    print('held', flush=True)\n    time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp / "out" / "r1")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _victim_manifest(tmp: Path) -> None:
    run = tmp / "out" / "r1"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"run": "r1", "jobs": [
        {"unit": "../../victim", "scenario": "base", "status": "ok"}]}))


def _empty_manifest(tmp: Path) -> None:
    (tmp / "out" / "r1").mkdir(parents=True)
    (tmp / "out" / "r1" / "manifest.json").write_text(json.dumps({"run": "r1", "jobs": []}))


def _copy_elsewhere(tmp: Path) -> None:
    """A broken copy of the tree outside the project (and outside --root)."""
    small_tree(tmp / "elsewhere" / "parameters")
    entry("countries/BGD.yaml", "live_births", value=float("nan"))(tmp / "elsewhere" / "parameters")


CLI_CASES = [
    Case("--workers 0", None, "-", "--workers", "--workers must be >= 1 (got 0)", ("run", *RUN, "--workers", "0")),
    Case("--workers -3", None, "-", "--workers", "--workers must be >= 1 (got -3)", ("run", *RUN, "--workers", "-3")),
    Case("--seed -1", None, "-", "--seed", "--seed must be between 0 and 2**32 - 1", ("run", *RUN, "--seed", "-1")),
    Case("--seed 2**32", None, "-", "--seed", "--seed must be between 0 and 2**32 - 1",
         ("run", *RUN, "--seed", str(2**32))),
    Case("--draws 1000000000", None, "-", "--draws", "--draws must be between 1 and 100,000 (got 1,000,000,000)",
         ("run", *RUN, "--draws", "1000000000")),
    Case("--draws 0", None, "-", "--draws", "--draws must be between 1 and 100,000 (got 0)",
         ("run", *RUN, "--draws", "0")),
    Case("--draws -5", None, "-", "--draws", "--draws must be between 1 and 100,000 (got -5)",
         ("run", *RUN, "--draws", "-5")),
    Case("--draws abc", None, "-", "--draws", "argument --draws: invalid int value: 'abc'",
         ("run", *RUN, "--draws", "abc")),
    Case("--sobol-n 0", None, "-", "--sobol-n", "--sobol-n must be between 1 and 65,536 (got 0)",
         ("run", *RUN, "--sobol-n", "0")),
    Case("--sobol-n 10000000", None, "-", "--sobol-n", "--sobol-n must be between 1 and 65,536",
         ("run", *RUN, "--sobol-n", "10000000")),
    Case("--countries ','", None, "-", "--countries", "--countries names no country (got ',')",
         ("run", *RUN, "--countries", ",")),
    Case("--countries ''", None, "-", "--countries", "--countries names no country (got '')",
         ("run", *RUN, "--countries", "")),
    Case("--scenarios ','", None, "-", "--scenarios", "--scenarios names no scenario (got ',')",
         ("run", *RUN, "--scenarios", ",")),
    Case("--countries ../etc", None, "-", "--countries", "bad country name: '../etc' is not a unit name",
         ("run", *RUN, "--countries", "../etc")),
    Case("--countries ZZZ", None, "-", "--countries", "unknown country: ZZZ (available: BGD, IND, IND-MH)",
         ("run", *RUN, "--countries", "BGD,ZZZ")),
    Case("--scenarios nope", None, "-", "--scenarios", "unknown scenario: nope", ("run", *RUN, "--scenarios", "nope")),
    Case("--out pointing at a file", lambda tmp: (tmp / "afile").write_text("x"), "-", "--out",
         "is a file, not a folder", ("run", *RUN, "--out", "{tmp}/afile")),
    Case("--out below a file", lambda tmp: (tmp / "afile").write_text("x"), "-", "--out",
         "afile is a file, not a folder", ("run", *RUN, "--out", "{tmp}/afile/sub")),
    Case("--out not writable (read-only /sys)", None, "-", "--out", "cannot write in /sys",
         ("run", *RUN, "--out", "/sys/cea-out")),
    Case("--out where nothing can be created (/proc)", None, "-", "--out", "cannot write in /proc",
         ("run", *RUN, "--out", "/proc/cea-out")),
    Case("--run-id a/b", None, "-", "--run-id", "--run-id may hold letters, digits, '-' and '_' only",
         ("run", *RUN, "--run-id", "a/b")),
    Case("--scheduler without a scheme", None, "-", "--scheduler", "--scheduler must be an address such as",
         ("run", *RUN, "--scheduler", "127.0.0.1:8786")),
    Case("unknown option", None, "-", "--drawz", "unrecognized arguments: --drawz 5", ("run", *RUN, "--drawz", "5")),
    Case("a second run into a locked run folder", _locked, "-", "--run-id",
         "is in use by PID", ("run", *RUN, "--run-id", "r1")),
    Case("cea validate PATH in another tree", _copy_elsewhere, BGD, "live_births.value", f"{FINITE} (got nan)",
         ("validate", "{tmp}/elsewhere/parameters/countries/BGD.yaml")),
    Case("cea validate PATH outside --root", _copy_elsewhere, "{tmp}/elsewhere/parameters/countries/BGD.yaml", "-",
         "not inside the parameter tree given by --root", ("validate", "--root", "{root}",
                                                           "{tmp}/elsewhere/parameters/countries/BGD.yaml")),
    Case("cea validate PATH in no tree", lambda tmp: (tmp / "loose.yaml").write_text("a: 1\n"),
         "{tmp}/loose.yaml", "-", "not inside a parameter tree", ("validate", "{tmp}/loose.yaml")),
    Case("cea validate PATH that does not exist", None, "{tmp}/nope.yaml", "-", "file not found",
         ("validate", "{tmp}/nope.yaml")),
    Case("cea countries with one invalid unit", lambda tmp: entry("countries/BGD.yaml", "live_births",
                                                                  value=float("nan"))(tmp / "parameters"),
         BGD, "live_births.value", f"{FINITE} (got nan)", ("countries", "--root", "{root}")),
    Case("cea brief with a manifest naming ../victim", _victim_manifest, "{tmp}/out/r1/manifest.json",
         "jobs[0].unit", "'../../victim' is not a valid unit name", ("brief", "{tmp}/out/r1", "--no-pdf")),
    Case("cea brief into a run folder a run holds", lambda tmp: (_empty_manifest(tmp), _locked(tmp))[1], "-", "",
         "is in use by PID", ("brief", "{tmp}/out/r1", "--no-pdf")),
    Case("cea brief without a manifest", None, "{tmp}/out/r1/manifest.json", "", "not a run manifest",
         ("brief", "{tmp}/out/r1")),
]


def check_cli_case(case: Case, tmp: Path) -> dict:
    root = small_tree(tmp / "parameters")
    holder = case.setup(tmp) if case.setup else None
    try:
        before = _tree_digest(tmp)
        fill = {"{root}": str(root), "{tmp}": str(tmp), "{out}": str(tmp / "out")}
        args = list(case.args)
        if args[0] == "run" and "--root" not in args:
            args[1:1] = ["--root", str(root)]
        if args[0] == "run" and "--out" not in args:
            args += ["--out", str(tmp / "out")]
        for k, v in fill.items():
            args = [a.replace(k, v) for a in args]
        code, out, err = run_cli(args)
        file = case.file.replace("{tmp}", str(tmp))
        expected = (case.reason if case.file == "-" else f"{file}: {case.reason}" if not case.key
                    else f"{file}: {case.key}: {case.reason}")
        return {"code": code, "named": expected in err, "expected": expected, "stdout": out, "stderr": err,
                "written": _tree_digest(tmp) != before, "traceback": "Traceback" in out + err}
    finally:
        if isinstance(holder, subprocess.Popen):
            holder.kill()
            holder.wait()


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_bad_command_line_is_refused_before_anything_is_written(case, tmp_path):
    got = check_cli_case(case, tmp_path)
    assert got["code"] == case.code, got["stderr"]
    assert got["named"], f"expected {got['expected']!r} in\n{got['stderr']}"
    assert not got["written"] and not got["traceback"]


def test_validate_path_says_which_tree_and_units_it_checks(tmp_path):
    root = small_tree(tmp_path / "parameters")
    code, out, _ = run_cli(["validate", str(root / "countries" / "IND.yaml")])
    assert code == 0
    assert out.splitlines()[:3] == [
        f"checking {root}: 2 unit(s) x 3 scenario(s) (the given unit(s) and any below them, under every scenario)",
        "  IND      ok", "  IND-MH   ok"]
    code, out, _ = run_cli(["validate", str(root / "scenarios" / "mms-price-high.yaml")])
    assert code == 0 and out.startswith(f"checking {root}: 3 unit(s) x 1 scenario(s) (every unit under the given")


def test_countries_lists_every_unit_and_marks_the_invalid_one(tmp_path):
    root = small_tree(tmp_path / "parameters")
    entry("countries/IND-MH.yaml", "nmr", value=float("nan"))(root)
    code, out, err = run_cli(["countries", "--root", str(root)])
    assert code == 2
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(rows) == set(UNITS)
    assert rows["BGD"].endswith("ok") and rows["IND"].endswith("ok") and "Bangladesh" in rows["BGD"]
    assert "INVALID" in rows["IND-MH"] and "Maharashtra" in rows["IND-MH"]
    assert f"{MH}: nmr.value: {FINITE} (got nan)" in err


# ------------------------------------------------------------------------------ the table
def table() -> str:
    """Markdown table of every case: exit codes, whether file and key are named, whether anything
    was written (run each case once)."""
    import tempfile

    lines = ["| # | input | exit (validate / run) | file named | key named | written |", "|---|---|---|---|---|---|"]
    for i, case in enumerate(PARAMETER_CASES, 1):
        with tempfile.TemporaryDirectory() as tmp:
            got = check_parameter_case(case, Path(tmp))
        named = "yes" if got["named"] else "NO"
        key = "yes" if got["named"] and case.key not in ("-",) else ("whole file" if case.key == "-" else "NO")
        lines.append(f"| P{i} | {case.id} | {got['validate']} / {got['run']} | {named} | {key} | "
                     f"{'YES' if got['written'] else 'nothing'} |")
    for i, case in enumerate(CLI_CASES, 1):
        with tempfile.TemporaryDirectory() as tmp:
            got = check_cli_case(case, Path(tmp))
        file = "n/a (option)" if case.file == "-" else ("yes" if got["named"] else "NO")
        key = case.key if case.key not in ("-", "") else "whole file"
        lines.append(f"| C{i} | {case.id} | {got['code']} | {file} | {key if got['named'] else 'NO'} | "
                     f"{'YES' if got['written'] else 'nothing'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    t0 = time.perf_counter()
    print(table())
    print(f"\n{len(PARAMETER_CASES)} parameter cases, {len(CLI_CASES)} command-line cases, "
          f"{time.perf_counter() - t0:.0f} s")
