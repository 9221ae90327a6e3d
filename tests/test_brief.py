"""Briefs, the run index and spreadsheets: numbers equal the result files, text is escaped, the PDF has
the expected pages, and a real browser (headless Chromium) shows the pages without errors."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from model.brief import build_brief, data, render, words
from model.brief import pdf as brief_pdf

SCREENSHOTS = os.environ.get("CEA_SCREENSHOTS")  # keep the browser test's screenshots here when set


def expected_headline(folder: Path) -> dict[str, float]:
    """The brief's headline numbers worked out directly from the result files."""
    out: dict[str, float] = {}
    pairs = {"mms": ("antenatal", "MMS", "IFA"), "mami": ("continuum", "IFA + MAMI", "IFA + inpatient"),
             "care": ("continuum", "IFA + MAMI", "IFA + no programme")}
    ctx = json.loads((folder / "context.json").read_text())
    lam = ctx["decision_threshold"]["value"]
    for key, (prefix, new, old) in pairs.items():
        for scope, suffix in (("per_100k", ""), ("national", "_national")):
            base = pd.read_csv(folder / f"{prefix}_base{suffix}.csv").set_index("strategy")
            out[f"{key}.{scope}.cost"] = base.loc[new, "cost"] - base.loc[old, "cost"]
            for col in ("infant_deaths", "stillbirths", "lbw_births", "dalys"):
                out[f"{key}.{scope}.{col}"] = base.loc[old, col] - base.loc[new, col]
        psa = pd.read_parquet(folder / f"{prefix}_psa.parquet").set_index(["strategy", "sample"])
        d_cost = psa.loc[new, "cost"] - psa.loc[old, "cost"]
        d_dalys = psa.loc[old, "dalys"] - psa.loc[new, "dalys"]
        out[f"{key}.probability_ce"] = float(np.mean(lam * d_dalys - d_cost > 0))
    inc = pd.read_csv(folder / "antenatal_incremental.csv").set_index("strategy")
    if out["mms.per_100k.dalys"] > 0 and out["mms.per_100k.cost"] > 0:  # an ICER is shown only then
        out["mms.icer"] = inc.loc["MMS", "cost_per_dalys_averted"] * 1.0  # the cea module's own ICER
    budget = pd.read_csv(folder / "budget_impact.csv")
    totals = json.loads((folder / "budget_impact_totals.json").read_text())
    if totals["strategy"] != "IFA + inpatient":  # today's practice recommended: no budget numbers, "nothing changes"
        for phase, total in budget.groupby("phase")["total_cost"].sum().items():
            out[f"budget.{phase}"] = total
        out["budget.total"] = totals["total_cost"]
        for k in ("infant_deaths_averted", "stillbirths_averted", "dalys_averted"):
            if abs(totals[k]) > 1e-9:  # a sentence names only the outcomes that change
                out[f"budget.{k}"] = budget[k].sum()  # the year-by-year file (the totals file is rounded)
    out["threshold"] = lam
    # population EVPI at the decision threshold: per-pregnancy EVPI from the continuum draws, scaled to the
    # country and horizon by the ratio the uncertainty notebook used (population / per-unit EVPI)
    psa = pd.read_parquet(folder / "continuum_psa.parquet")
    nmb = (-lam * psa.pivot(index="sample", columns="strategy", values="dalys")
           - psa.pivot(index="sample", columns="strategy", values="cost")).to_numpy()
    evpi = pd.read_csv(folder / "uncertainty_continuum_evpi.csv").query("evpi_per_unit > 0").iloc[-1]
    out["evpi.population"] = (nmb.max(axis=1).mean() - nmb.mean(axis=0).max()) * (
        evpi["evpi_population"] / evpi["evpi_per_unit"])
    # which research is worth paying for: notebook 06's summary, per study
    for row in pd.read_csv(folder / "research_summary.csv").to_dict("records"):
        for k in ("n_best", "evsi_population", "study_cost", "enbs_max"):
            out[f"research.{row['study']}.{k}"] = row[k]
    return out


def displayed(text: str) -> tuple[float, float]:
    """A number as shown (``US$1,234``, ``-US$0.52``, ``78%``) and half a unit of its last digit."""
    t = text.strip().replace("US$", "").replace(",", "")
    scale = 0.01 if t.endswith("%") else 1.0
    t = t.rstrip("%")
    decimals = len(t.split(".")[1]) if "." in t else 0
    return float(t) * scale, 0.5 * 10 ** -decimals * scale


def check_numbers(shown: dict[str, tuple[str, str]], expected: dict[str, float],
                  magnitudes: set[str] = frozenset()) -> int:
    """Every expected number is in the page, its data-value equals it (signed), its text rounds from
    it; for ``magnitudes`` (``data-shown="magnitude"``: the words around it say which way) from its size."""
    checked = 0
    for key, value in expected.items():
        assert key in shown, f"{key} not in the page"
        raw, text = shown[key]
        assert math.isclose(float(raw), value, rel_tol=1e-9, abs_tol=1e-9), (key, raw, value)
        number, half = displayed(text)
        target = abs(value) if key in magnitudes else value
        assert abs(number - target) <= half * 1.0001 + 1e-9, (key, text, value)
        checked += 1
    return checked


class _Numbers(HTMLParser):
    """``data-key -> (data-value, text)`` of the numbers in a page, and every <img>."""

    def __init__(self):
        super().__init__()
        self.numbers: dict[str, tuple[str, str]] = {}
        self.magnitudes: set[str] = set()
        self.images: list[dict] = []
        self._open: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if "data-key" in a and "data-value" in a:
            self._open = (a["data-key"], a["data-value"])
            self.numbers[a["data-key"]] = (a["data-value"], "")
            if a.get("data-shown") == "magnitude":
                self.magnitudes.add(a["data-key"])

    def handle_data(self, text):
        if self._open:
            key, raw = self._open
            self.numbers[key] = (raw, self.numbers[key][1] + text)

    def handle_endtag(self, tag):
        self._open = None


def parse(path: Path) -> _Numbers:
    p = _Numbers()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def run_dir(local_run):
    code, run = local_run
    assert code == 0
    return run


@pytest.fixture
def job_copy(run_dir, tmp_path):
    dst = tmp_path / "job"
    shutil.copytree(run_dir / "BGD" / "base", dst)
    for f in ("brief.html", "brief.pdf", "results.xlsx"):
        (dst / f).unlink(missing_ok=True)
    return dst


def test_run_writes_briefs_index_and_spreadsheets(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for job in manifest["jobs"]:
        folder = run_dir / job["unit"] / "base"
        for f in ("brief.html", "results.xlsx", "context.json"):
            assert (folder / f).exists() and f in job["files"], f
        assert job["brief"]["html"] == "brief.html"
    for f in ("index.html", "results.xlsx", "league.png"):
        assert (run_dir / f).exists(), f
    assert not list(run_dir.rglob(".tmp*"))
    umask = os.umask(0)
    os.umask(umask)  # results are readable as the user's umask allows, not 0600 as mkstemp makes them
    for f in ("index.html", "BGD/base/brief.html", "BGD/base/results.xlsx", "BGD/base/antenatal_base.csv"):
        assert (run_dir / f).stat().st_mode & 0o777 == 0o666 & ~umask, f


@pytest.mark.parametrize("unit", ["BGD", "KEN"])
def test_brief_numbers_equal_the_result_files(run_dir, unit):
    folder = run_dir / unit / "base"
    page = parse(folder / "brief.html")
    assert check_numbers(page.numbers, expected_headline(folder), page.magnitudes) >= 37
    research = pd.read_csv(folder / "research_summary.csv")
    html = (folder / "brief.html").read_text()
    for row in research.to_dict("records"):
        assert f'data-key="research.{row["study"]}.fund">{"yes" if row["fund"] else "no"}<' in html
    ctx = json.loads((folder / "context.json").read_text())
    acc = pd.read_csv(folder / "continuum_acceptability.csv").set_index("strategy")
    best = page.numbers["best.probability_ce"][0]
    html = (folder / "brief.html").read_text()
    strategy = re.search(r'data-key="best.strategy">([^<]+)<', html).group(1)
    assert math.isclose(float(best), acc.loc[strategy, ctx["decision_threshold"]["label"]])
    params = pd.read_csv(folder / "parameters.csv")
    q = {k: int((params["status"] == k).sum()) for k in ("verified", "unverified", "assumption")}
    for k, n in q.items():
        assert f'data-key="quality.{k}">{n}<' in html
    appendix = html.split('<table class="params">')[1].split("</table>")[0]
    assert appendix.count("<tr><td") == len(params)  # full parameter appendix, a row each
    assert all(f"<code>{p}</code>" in appendix for p in params["parameter"])
    assert all(img["src"].startswith("data:image/png;base64,") and img.get("alt") for img in page.images)
    assert len(page.images) == len(render.FIGURES)


def test_index_lists_every_job_with_numbers_from_the_briefs(run_dir):
    html = (run_dir / "index.html").read_text()
    for unit in ("BGD", "KEN"):
        d = data.load(run_dir / unit / "base")
        m = re.search(rf'data-sort="([^"]+)" data-key="{unit}/base.mms_icer"', html)
        if math.isnan(d.comparisons[0].icer):  # MMS averts no DALYs: no ICER, a dash
            assert m is None
        else:
            assert m and math.isclose(float(m.group(1)), d.comparisons[0].icer, rel_tol=1e-12)
        assert f'href="{unit}/base/brief.html"' in html
        assert f'href="{unit}/base/notebooks/04_uncertainty.ipynb"' in html


def test_spreadsheets_hold_the_tables_and_live_formulas(run_dir):
    folder = run_dir / "BGD" / "base"
    wb = openpyxl.load_workbook(folder / "results.xlsx")
    for sheet in ("About", "Headline", "Check", "Parameters", "antenatal incremental", "continuum PSA",
                  "Budget impact", "EVPPI", "All strategies", "Drivers (one-way)"):
        assert sheet in wb.sheetnames, sheet
    assert wb.sheetnames[:5] == ["About", "Headline", "Check", "Budget impact", "All strategies"]  # reading order
    assert wb.sheetnames[-1] == "Parameters"
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("B2", "C3"), ws.title  # header row (and first column) frozen
    base = wb["antenatal base"]
    assert base["B1"].value == "Cost (US$ 2023) per 100,000 pregnancies"  # units and price year in the header
    assert base["B2"].number_format == "#,##0" and base.column_dimensions["B"].width >= 12
    assert wb["Parameters"]["A1"].value == "Label"
    params = pd.read_csv(folder / "parameters.csv")
    assert wb["Parameters"].max_row == len(params) + 1
    check = wb["Check"]
    assert check["E4"].value == "=C4-C3" and check["F4"].value == "=D3-D4"
    cost = check["C4"].value - check["C3"].value
    dalys = check["D3"].value - check["D4"].value
    inc = pd.read_csv(folder / "antenatal_incremental.csv").set_index("strategy")
    assert math.isclose(cost / dalys, inc.loc["MMS", "cost_per_dalys_averted"], rel_tol=1e-9)
    headline = pd.read_excel(folder / "results.xlsx", sheet_name="Headline").set_index("Key")["Value"]
    expected = {k: v for k, v in expected_headline(folder).items()
                if k not in ("threshold", "evpi.population") and not k.endswith("_averted")}
    assert len(expected) > 20
    for key, value in expected.items():
        assert math.isclose(headline[key], value, rel_tol=1e-9, abs_tol=1e-12), key
    run_book = pd.read_excel(run_dir / "results.xlsx", sheet_name="Summary")
    assert list(run_book["Unit"]) == ["BGD", "KEN"]
    statuses = set(run_book["MMS vs IFA: status"])
    assert statuses <= set(words.STATUSES)


def test_text_from_parameter_files_is_escaped(job_copy):
    ctx = json.loads((job_copy / "context.json").read_text())
    ctx["scenario_description"] = '<script>alert("x")</script> & more'
    (job_copy / "context.json").write_text(json.dumps(ctx))
    html = render.brief_html(data.load(job_copy))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html


def test_missing_result_file_is_named(job_copy):
    (job_copy / "continuum_base.csv").unlink()
    with pytest.raises(data.BriefDataError, match=r"continuum_base\.csv: missing \(result files are written by"):
        data.load(job_copy)


def test_brief_of_a_job_without_notebook_06_leaves_the_research_section_out(job_copy):
    for f in job_copy.glob("research_*"):
        f.unlink()
    d = data.load(job_copy)
    assert d.research is None
    html = render.brief_html(d)
    assert "Which research is worth paying for" not in html
    assert '<section aria-labelledby="abstract" class="newpage">' in html  # page 3 still starts with the abstract


def _edit_json(path: Path, **changes) -> None:
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


@pytest.mark.parametrize("damage,message", [
    (lambda f: _edit_json(f / "context.json", decision_threshold={"label": None, "value": None}),
     r"context\.json: decision_threshold needs a label and a value"),
    (lambda f: (f / "context.json").write_text("{}"), r"context\.json: no key 'unit', 'scenario'"),
    (lambda f: pd.read_csv(f / "budget_impact.csv").drop(columns="total_cost").to_csv(f / "budget_impact.csv"),
     r"budget_impact\.csv: no column 'total_cost'"),
    (lambda f: (f / "antenatal_psa.parquet").write_text("not parquet"), r"antenatal_psa\.parquet: cannot read it"),
    (lambda f: (f / "infant_findings.json").write_text("[]"), r"infant_findings\.json: no key 'findings'"),
    (lambda f: pd.read_csv(f / "research_summary.csv").drop(columns="enbs_max").to_csv(f / "research_summary.csv"),
     r"research_summary\.csv: no column 'enbs_max'"),
])
def test_damaged_result_files_are_named_with_the_problem(job_copy, damage, message):
    damage(job_copy)
    with pytest.raises(data.BriefDataError, match=message):
        data.load(job_copy)


def test_without_chromium_the_html_is_still_written(job_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("CEA_CHROMIUM", str(job_copy / "no-such-browser"))
    out = build_brief(job_copy)
    missing = job_copy / "no-such-browser"
    assert out["pdf"] == f"no PDF: CEA_CHROMIUM={missing} does not exist; the HTML brief is written"
    assert (job_copy / "brief.html").exists() and (job_copy / "results.xlsx").exists()
    assert not (job_copy / "brief.pdf").exists()
    monkeypatch.delenv("CEA_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on PATH
    assert build_brief(job_copy, pdf=True)["pdf"].startswith("no PDF: Chromium not found (install Debian's")
    assert not (job_copy / "brief.pdf").exists()


@pytest.mark.parametrize("value,money,number", [
    (1234.567, "US$1,235", "1,235"), (-86842.2, "-US$86,842", "-86,842"), (0.5234, "US$0.52", "0.52"),
    (12.34, "US$12", "12.3"), (-0.004, "US$0.00", "0.00"), (float("nan"), "n/a", "n/a"),
])
def test_number_formats(value, money, number):
    assert render.fmt_money(value) == money
    assert render.fmt_number(value) == number


def test_discount_rates_keep_their_decimal():
    assert [render.fmt_rate(r) for r in (0.03, 0.035, 0.0, 0.05)] == ["3%", "3.5%", "0%", "5%"]
    assert render.fmt_percent(0.035) == "4%"  # probabilities are whole percentages, rates are not


def test_verdicts_cover_the_four_quadrants():
    def comp(cost, dalys):
        per = {"cost": cost, "dalys": dalys}
        return data.Comparison("k", "q", "continuum", "new", "old", per, per, 0.5, "t", 100.0)

    assert comp(-1, 1).verdict == "dominant" and comp(1, -1).verdict == "dominated"
    assert comp(50, 1).verdict == "cost-effective" and comp(150, 1).verdict == "not cost-effective"
    assert comp(-150, -1).verdict == "cost-effective" and comp(-50, -1).verdict == "not cost-effective"
    assert comp(150, 1).icer == 150 and math.isnan(comp(1, 0).icer)


# ----------------------------------------------------------------------------------------------
# PDF and browser checks: they need Debian's chromium (and chromium-driver for the browser test).

needs_chromium = pytest.mark.skipif(brief_pdf.find_chromium() is None,
                                    reason="Chromium not installed (apt-get install chromium chromium-driver)")


@needs_chromium
def test_pdf_has_two_brief_pages_then_methods_and_appendix(run_dir):
    from pypdf import PdfReader

    folder = run_dir / "BGD" / "base"
    reader = PdfReader(folder / "brief.pdf")
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 3
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
    first_two = " ".join(pages[:2])
    for text in ("Bangladesh", "The answer", "What it buys", "Budget impact", "What drives the uncertainty",
                 "Key assumptions and data quality"):
        assert text in first_two, text
    assert pages[2].lstrip().startswith("Abstract")  # page 3 opens with the structured abstract
    assert "Methods (CHEERS 2022 items)" in pages[2] + pages[3]  # after the research section
    assert "Appendix: every input and its source" in " ".join(pages[2:])
    mms = data.load(folder).comparisons[0]
    shown = render.fmt_money(mms.icer) if not math.isnan(mms.icer) else mms.verdict.upper()
    assert shown.replace(" ", "") in first_two.replace(" ", "")


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        pytest.skip("chromedriver not installed (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = brief_pdf.find_chromium()
    for flag in brief_pdf.FLAGS:
        if flag not in ("--no-pdf-header-footer", "--headless"):
            options.add_argument(flag)
    options.add_argument("--headless=new")
    options.add_argument("--window-size=1280,1600")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def _open(driver, path: Path, shots: Path, name: str) -> list[dict]:
    driver.get(path.as_uri())
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 100, 12000))
    driver.save_screenshot(str(shots / f"{name}.png"))
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    return driver.execute_script(
        "return Array.from(document.images).map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0,"
        " w: i.getBoundingClientRect().width}))")


@needs_chromium
def test_brief_and_index_in_a_real_browser(run_dir, tmp_path):
    from selenium.webdriver.common.by import By

    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    try:
        folder = run_dir / "BGD" / "base"
        images = _open(driver, folder / "brief.html", shots, "brief_BGD")
        assert len(images) == len(render.FIGURES)
        assert all(i["ok"] and i["alt"] and i["w"] > 100 for i in images), images
        shown = {e.get_attribute("data-key"): (e.get_attribute("data-value"), e.text)
                 for e in driver.find_elements(By.CSS_SELECTOR, "[data-value]")}
        magnitudes = {e.get_attribute("data-key")
                      for e in driver.find_elements(By.CSS_SELECTOR, '[data-shown="magnitude"]')}
        assert check_numbers(shown, expected_headline(folder), magnitudes) >= 25
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h1, h2")]
        assert headings[:3] == [headings[0], "The answer", "What it buys"] and "Bangladesh" in headings[0]

        images = _open(driver, run_dir / "index.html", shots, "index")
        assert len(images) == 1 and images[0]["ok"] and images[0]["alt"]
        button = driver.find_element(By.CSS_SELECTOR, 'button[data-col="7"]')  # P(MMS cost-effective)
        assert button.text == "P(MMS cost-effective)"
        button.click()
        values = [float(td.get_attribute("data-sort"))
                  for td in driver.find_elements(By.CSS_SELECTOR, "#results tbody tr td:nth-child(8)")]
        assert values == sorted(values) and len(values) == 2
        button.click()
        values = [float(td.get_attribute("data-sort"))
                  for td in driver.find_elements(By.CSS_SELECTOR, "#results tbody tr td:nth-child(8)")]
        assert values == sorted(values, reverse=True)
        assert driver.find_element(By.CSS_SELECTOR, "th:nth-child(8)").get_attribute("aria-sort") == "descending"
        link = driver.find_element(By.LINK_TEXT, "brief.html")
        link.click()
        assert driver.current_url.endswith("/base/brief.html")
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()


def test_cea_brief_rerenders_a_run_without_running_models(run_dir, tmp_path, capsys):
    from model import cli

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for f in [copy / "index.html", *copy.glob("*/base/brief.*"), *copy.glob("*/base/results.xlsx")]:
        f.unlink()
    before = {p: p.read_bytes() for p in copy.rglob("*.csv")}
    assert cli.main(["brief", str(copy), "--no-pdf"]) == 0
    assert "BGD/base: brief.html, results.xlsx, skipped (--no-pdf)" in capsys.readouterr().out
    assert (copy / "index.html").exists() and (copy / "KEN" / "base" / "brief.html").exists()
    assert {p: p.read_bytes() for p in copy.rglob("*.csv")} == before
    assert cli.main(["brief", str(tmp_path / "nowhere")]) == 2
    assert "manifest.json: not a run manifest" in capsys.readouterr().err


@needs_chromium
def test_the_two_brief_pages_also_fit_letter_paper(run_dir, tmp_path):
    from pypdf import PdfReader

    html = (run_dir / "BGD" / "base" / "brief.html").read_text()
    assert "@page { size: A4;" in html
    letter = tmp_path / "letter.html"
    letter.write_text(html.replace("@page { size: A4;", "@page { size: letter;"))
    reader = PdfReader(brief_pdf.html_to_pdf(letter, tmp_path / "letter.pdf"))
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == (612, 792)
    pages = [p.extract_text() for p in reader.pages]
    assert "Key assumptions and data quality" in pages[1]
    assert pages[2].lstrip().startswith("Abstract")


@needs_chromium
def test_the_kept_browser_prints_what_a_one_off_chromium_prints(run_dir, tmp_path):
    """Briefs are printed by one browser per worker thread (DevTools over a pipe); its PDF has the
    pages, page sizes and text of ``chromium --print-to-pdf``. A kept browser that stops
    answering is dropped and the brief printed once-off, with the same text."""
    from pypdf import PdfReader

    def pages(path):
        reader = PdfReader(path)
        return [(tuple(map(float, p.mediabox)), p.extract_text()) for p in reader.pages]

    html = (run_dir / "BGD" / "base" / "brief.html").resolve()
    once = tmp_path / "once.pdf"
    brief_pdf._print_once(brief_pdf.find_chromium(), html, once)
    browser = brief_pdf.Browser.for_this_thread(brief_pdf.find_chromium())  # this thread's, maybe used before
    printed = browser.printed
    kept = brief_pdf.html_to_pdf(html, tmp_path / "kept.pdf")
    assert browser.printed == printed + 1 and browser.proc.poll() is None  # it printed, and waits for the next
    assert len(pages(once)) > 4 and pages(kept) == pages(once)
    reader, writer = os.pipe()
    os.close(reader)
    os.close(browser._to)
    browser._to = writer  # the pipe to the kept browser breaks: writing to it fails
    assert pages(brief_pdf.html_to_pdf(html, tmp_path / "after.pdf")) == pages(once)
    assert brief_pdf.Browser._local.browser is None and browser.proc.poll() is not None  # dropped, stopped
    assert not list(tmp_path.glob(".*.pdf"))  # no temporary file left behind


def test_subnational_unit_with_inherited_births_is_flagged():
    params = pd.DataFrame({"parameter": ["live_births", "nmr"],
                           "file": ["parameters/countries/IND.yaml", "parameters/countries/IND-MH.yaml"]})
    warning = data.cohort_warning({"unit": "IND-MH", "unit_name": "Maharashtra"}, params)
    assert "IND-sized" in warning and "Maharashtra" in warning
    own = params.assign(file="parameters/countries/IND-MH.yaml")
    assert data.cohort_warning({"unit": "IND-MH"}, own) == ""
    assert data.cohort_warning({"unit": "IND"}, params) == ""


def test_text_that_looks_like_a_formula_or_a_script_link_stays_text(job_copy):
    """A note starting with '=' became a live formula in results.xlsx; a javascript: address a live link."""
    params = pd.read_csv(job_copy / "parameters.csv")
    params.loc[0, "note"] = '=HYPERLINK("http://example.org","click")'
    params.loc[0, "url"] = "javascript:alert(1)"
    params.loc[1, "url"] = "https://example.org/ok"
    params.to_csv(job_copy / "parameters.csv", index=False)
    _edit_json(job_copy / "context.json", unit_name="=1+1")
    build_brief(job_copy, pdf=False)
    wb = openpyxl.load_workbook(job_copy / "results.xlsx")
    cells = [c for ws in wb.worksheets if ws.title != "Check" for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert '=HYPERLINK("http://example.org","click")' in texts and "=1+1" in texts
    assert any(c.data_type == "f" for row in wb["Check"].iter_rows() for c in row)  # its own arithmetic stays live
    html = (job_copy / "brief.html").read_text()
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html
    assert '<a href="https://example.org/ok">' in html
