"""Words from results: briefs rendered from hand-made result files in every quadrant of the CE plane
and with dominated, dominant and extendedly dominated strategies; losses read as losses, no sentence
twice, one dominance vocabulary in the brief, the index, summary rows and spreadsheets.

The result files are written here by hand (no model runs), so every expected sentence is worked out
from the numbers below: per 100,000 pregnancies, a national cohort of 1,000,000 pregnancies a year
(national = 10 x per 100,000) and a threshold of US$300 per DALY averted.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from model import cea, published
from model.brief import INDEX_COLUMNS, _row, build_brief, cheers, data, render, words

THRESHOLD = 300.0
SCALE = 10.0  # national cohort / 100,000
IFA = {"cost": 1_000_000.0, "dalys": 50_000.0, "infant_deaths": 2_000.0, "stillbirths": 1_000.0, "lbw_births": 9_000.0}
QUADRANTS = {  # MMS minus IFA per 100,000: cost, DALYs (positive = more DALYs, i.e. worse), infant deaths
    "north-east": (100_000.0, -1_000.0, -30.0),  # costs more, averts 1,000 DALYs: US$100 per DALY averted
    "north-west": (100_000.0, 500.0, 20.0),  # costs more, loses 500 DALYs: dominated
    "south-east": (-50_000.0, -200.0, -5.0),  # saves money and averts DALYs: dominant
    "south-west": (-100_000.0, 100.0, 4.0),  # saves US$1,000 per DALY lost, more than US$300
}
# continuum per 100,000: cost, DALYs, infant deaths. Against IFA + inpatient (today) the frontier is
# IFA + no programme -> IFA + MAMI -> MMS + MAMI; IFA + inpatient is dominated by IFA + MAMI (cheaper and
# better); MMS + no programme and MMS + inpatient are extendedly dominated (ICERs worked by hand:
# 2,000 > 571 and 3,667 > 3,000). At US$300 the highest net benefit is IFA + no programme.
CONTINUUM = {
    "IFA + no programme": (2_000_000.0, 60_000.0, 2_400.0),
    "IFA + inpatient": (2_150_000.0, 59_900.0, 2_395.0),
    "IFA + MAMI": (2_140_000.0, 59_880.0, 2_394.0),
    "MMS + no programme": (2_100_000.0, 59_950.0, 2_398.0),
    "MMS + inpatient": (2_250_000.0, 59_850.0, 2_393.0),
    "MMS + MAMI": (2_400_000.0, 59_800.0, 2_390.0),
}


def _frame(rows: dict[str, dict[str, float]], scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": s, **{k: v * scale for k, v in r.items()}} for s, r in rows.items()])


def write_job(folder: Path, quadrant: str = "north-east", continuum: dict | None = None, cautions: bool = False,
              declarations: dict | None = None) -> Path:
    """A finished job's result files, by hand."""
    folder.mkdir(parents=True, exist_ok=True)
    d_cost, d_dalys, d_deaths = QUADRANTS[quadrant]
    mms = IFA | {"cost": IFA["cost"] + d_cost, "dalys": IFA["dalys"] + d_dalys,
                 "infant_deaths": IFA["infant_deaths"] + d_deaths}
    ante = {"IFA": IFA, "MMS": mms, "IFA+AS": IFA | {"cost": IFA["cost"] + 5e5}, "MMS+AS": mms | {"cost": 3e6}}
    cont = {s: {"cost": c, "dalys": e, "infant_deaths": n, "stillbirths": 1_000.0, "lbw_births": 9_000.0}
            for s, (c, e, n) in (continuum or CONTINUUM).items()}
    for prefix, rows in (("antenatal", ante), ("continuum", cont)):
        _frame(rows).to_csv(folder / f"{prefix}_base.csv", index=False)
        _frame(rows, SCALE).to_csv(folder / f"{prefix}_base_national.csv", index=False)
        psa = pd.concat([_frame(rows, 1e-5).assign(sample=i) for i in range(2)])  # per pregnancy, two draws
        if prefix == "continuum":  # IFA + MAMI US$2 cheaper in draw 0, dearer in draw 1: same mean, an EVPI
            mami = psa["strategy"] == "IFA + MAMI"
            psa.loc[mami, "cost"] += [-2.0 if i == 0 else 2.0 for i in psa.loc[mami, "sample"]]
        psa[["sample", "strategy", "cost", "dalys"]].to_parquet(folder / f"{prefix}_psa.parquet")
    infant = {"no programme": {"cost": 0.0, "dalys": 300.0, "deaths": 10.0},
              "inpatient": {"cost": 20_000.0, "dalys": 280.0, "deaths": 9.0},
              "MAMI": {"cost": 19_000.0, "dalys": 270.0, "deaths": 8.5}}  # per 1,000 infants
    _frame(infant).to_csv(folder / "infant_base.csv", index=False)
    _frame(infant, 2.0).to_csv(folder / "infant_base_national.csv", index=False)
    for prefix, rows, scale, ref, averted in (
            ("antenatal", ante, 1e-5, "IFA", ("dalys", "infant_deaths")), ("infant", infant, 1e-3, "no programme",
                                                                        ("dalys", "deaths")),
            ("continuum", cont, 1e-5, "IFA + inpatient", ("dalys", "infant_deaths"))):
        per_unit = _frame(rows, scale).set_index("strategy")
        cea.incremental(per_unit, ref, averted=averted).reset_index().to_csv(
            folder / f"{prefix}_incremental.csv", index=False)
        summary, acceptability = cea.psa_tables(list(per_unit.index), per_unit["cost"].to_numpy(),
                                                per_unit["dalys"].to_numpy(), {"opportunity cost": THRESHOLD},
                                                reference=list(per_unit.index).index(ref))
        summary.reset_index().to_csv(folder / f"{prefix}_psa_summary.csv", index=False)
        acceptability.reset_index().to_csv(folder / f"{prefix}_acceptability.csv", index=False)
    per_preg = _frame(cont, 1e-5).set_index("strategy")
    nmb = -THRESHOLD * per_preg["dalys"] - per_preg["cost"]
    best = str(nmb.idxmax())
    inc = per_preg.loc[best] - per_preg.loc["IFA + inpatient"]
    budget = pd.DataFrame({"year": [1, 2], "phase": ["exploration", "pilot"], "coverage": [0.0, 0.5],
                           "pregnancies": [1e6, 1e6]})
    budget["total_cost"] = budget["coverage"] * 1e6 * inc["cost"]
    for k in ("infant_deaths", "stillbirths", "dalys"):
        budget[f"{k}_averted"] = -budget["coverage"] * 1e6 * inc[k]
    budget.to_csv(folder / "budget_impact.csv", index=False)
    (folder / "budget_impact_totals.json").write_text(json.dumps({"strategy": best}))
    pd.DataFrame({"parameter": ["rr_nmr_mms_vs_ifa60", "price_mms_180", "uptake_mami"],
                  "inmb_swing": [50.0, 5.0, 0.0]}).to_csv(folder / "uncertainty_continuum_one_way.csv", index=False)
    pd.DataFrame({"index": ["rr_nmr_mms_vs_ifa60", "costs", "uptake_mami"], "evppi": [1.0, 0.5, 1e-14]}).to_csv(
        folder / "uncertainty_continuum_evppi_at_threshold.csv", index=False)
    pd.DataFrame({"threshold": [0.0, 300.0], "evpi_per_unit": [0.0, 2.0], "evpi_population": [0.0, 2e6]}).to_csv(
        folder / "uncertainty_continuum_evpi.csv", index=False)
    (folder / "uncertainty_continuum_notes.json").write_text(json.dumps(
        {"reference": "IFA + inpatient", "comparator": "MMS + MAMI", "evpi_horizon_years": 5}))
    params = pd.DataFrame([
        ("rr_nmr_mms_vs_ifa60", "MMS vs 60 mg IFA: neonatal death RR", 1.12, 0.9, 1.4, "relative risk", "verified"),
        ("price_mms_180", "MMS price, 180 tablets", 4.0, 3.0, 5.0, "US$ per 180 tablets", "verified"),
        ("uptake_mami", "Pairs offered MAMI who start it", 0.8, 0.6, 0.95, "proportion", "assumption"),
        ("anc1_coverage", "Antenatal care coverage, 1+ visit", 80.0, 75.0, 85.0, "% of women", "verified"),
        ("p_identified", "At-risk infants identified", 0.5, 0.3, 0.7, "proportion", "assumption"),
        ("household_cost_ratio_community", "Household cost, community vs inpatient", 0.17, 0.1, 0.3, "proportion",
         "unverified"),
        ("antenatal_iron_dose_mg", "National antenatal iron dose", 60.0, None, None, "mg", "verified"),
    ], columns=["parameter", "label", "value", "low", "high", "unit", "status"])
    params = params.assign(note="why", citation="A source.", url="", distribution="beta", cost_year_original=None,
                           file="parameters/countries/BGD.yaml")
    params.to_csv(folder / "parameters.csv", index=False)
    findings = {"findings": "Line one.\nLine two.", "thresholds_usd_per_daly": {"opportunity cost": THRESHOLD}}
    (folder / "antenatal_findings.json").write_text(json.dumps(findings | {
        "comparator_dose_mg": 60.0, "adherence_among_reached": 0.5, "coherence_redrawn_share": 0.0,
        "calibration_clipped_share": 0.2 if cautions else 0.0}))
    (folder / "infant_findings.json").write_text(json.dumps(findings | {"natural_history_clipped_share": 0.0}))
    (folder / "continuum_findings.json").write_text(json.dumps(findings))
    ours = published.this_run(pd.read_csv(folder / "antenatal_incremental.csv").set_index("strategy"), "MMS",
                              "MMS vs IFA")
    published.compare("mms", ours, 2023, "Testland").reset_index().to_csv(folder / "published_mms.csv", index=False)
    (folder / "context.json").write_text(json.dumps({
        "unit": "BGD", "unit_name": "Testland", "scenario": "base", "scenario_description": "By hand.",
        "decision_threshold": {"label": "opportunity cost", "value": THRESHOLD},
        "settings": {"price_year": 2023, "perspective": "provider", "infant_correction": "half-cycle",
                     "stillbirths_in_dalys": False, "comparator_iron_mg": "national"},
        "draws": 2, "seed": 1, "version": "test", "discount_rate_costs": 0.03, "discount_rate_effects": 0.03,
        **({"declarations": declarations} if declarations else {})}))
    return folder


def text_of(page: str) -> str:
    """The page as a reader sees it: tags out, entities decoded, white space collapsed."""
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).replace(" .", ".").replace(" ,", ",")


def rendered(folder: Path) -> str:
    return text_of(render.brief_html(data.load(folder)))


ANSWERS = {  # the MMS answer line, worked by hand from QUADRANTS
    "north-east": ("cost-effective", "MMS instead of IFA costs US$100,000 more and averts 1,000 DALYs per 100,000 "
                   "pregnancies: US$100 per DALY averted, below the threshold of US$300."),
    "north-west": ("dominated", "MMS instead of IFA costs US$100,000 more and loses 500 healthy life-years (DALYs) "
                   "per 100,000 pregnancies: IFA dominates it."),
    "south-east": ("dominant", "MMS instead of IFA saves US$50,000 and averts 200 DALYs per 100,000 pregnancies: "
                   "it dominates IFA."),
    "south-west": ("cost-effective", "MMS instead of IFA saves US$100,000 and loses 100 healthy life-years (DALYs) "
                   "per 100,000 pregnancies: US$1,000 saved for each DALY lost, more than the threshold of US$300 per "
                   "DALY, so the saving is worth the health lost."),
}


@pytest.mark.parametrize("quadrant", list(QUADRANTS))
def test_the_answer_reads_right_in_each_quadrant(tmp_path, quadrant):
    folder = write_job(tmp_path / quadrant, quadrant)
    text = rendered(folder)
    verdict, sentence = ANSWERS[quadrant]
    assert f"Should pregnant women receive MMS instead of IFA? {verdict}. {sentence}" in text
    # the table says which way each outcome moves, and the status row carries a cost per DALY only in the NE
    d = data.load(folder)
    mms = d.comparisons[0]
    assert mms.status == {"north-east": words.NORTH_EAST, "north-west": words.DOMINATED,
                          "south-east": words.DOMINANT, "south-west": words.SOUTH_WEST}[quadrant]
    assert (quadrant == "north-east") == (not math.isnan(mms.icer))
    assert not re.search(r"(averts?|avert) -\d", text) and "-US$" not in text.split("Appendix")[0]


def test_losses_read_as_losses_in_the_recommendation_and_the_budget(tmp_path):
    text = rendered(write_job(tmp_path / "job"))
    # IFA + no programme against IFA + inpatient: -150,000 US$, +5 deaths, +100 DALYs per 100,000 (x10 nationally)
    assert ("Recommended at this threshold: IFA + no programme, the strategy with the highest expected net benefit"
            in text)
    assert ("for one year's national cohort it saves US$1,500,000 but causes 50.0 more infant deaths and loses "
            "1,000 healthy life-years (DALYs)." in text)
    # budget: half of 1,000,000 pregnancies in year 2 -> saves US$750,000, 25 more deaths, 500 DALYs lost
    assert "Budget impact of the recommended strategy: IFA + no programme instead of IFA + inpatient, 2 years" in text
    assert "US$750,000 saved" in text
    assert "Over these years it causes 25.0 more infant deaths and loses 500 healthy life-years (DALYs)" in text


def test_the_table_says_fewer_or_more_never_a_negative_count(tmp_path):
    page = render.brief_html(data.load(write_job(tmp_path / "job", "north-west")))
    buys = text_of(page.split('id="numbers"')[1].split("<h3")[0])
    assert "Infant deaths 20.0 more 200 more" in buys  # MMS vs IFA: 20 more per 100,000, 200 nationally
    assert "US$100,000 more US$1,000,000 more" in buys
    assert "dominated" in buys and not re.search(r"\s-\d", buys)


def test_no_sentence_is_said_twice(tmp_path):
    text = rendered(write_job(tmp_path / "job", "north-west", cautions=True))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 40]
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert repeated == set()
    assert text.count("of the probabilistic draws") == 3  # once per decision, each naming its strategies


def test_nothing_changes_when_todays_practice_is_recommended(tmp_path):
    dearer = {s: (c + (0 if s == "IFA + inpatient" else 1e6), e, n) for s, (c, e, n) in CONTINUUM.items()}
    folder = write_job(tmp_path / "job", continuum=dearer)
    text = rendered(folder)
    assert "Recommended at this threshold: IFA + inpatient" in text
    assert "It is today's practice: nothing changes." in text
    assert "nothing changes and there is no budget impact" in text
    assert data.load(folder).changes_nothing


def test_dominated_dominant_and_extendedly_dominated_strategies_are_named_with_no_icer(tmp_path):
    d = data.load(write_job(tmp_path / "job"))
    rows = {r["strategy"]: r for r in render._strategies(d)}
    assert rows["IFA + inpatient"]["status"] == cea.D and rows["IFA + inpatient"]["icer"] is None
    assert rows["MMS + no programme"]["status"] == cea.ED and rows["MMS + no programme"]["icer"] is None
    assert rows["MMS + inpatient"]["status"] == cea.ED and rows["MMS + inpatient"]["icer"] is None
    assert rows["IFA + MAMI"]["icer"] == pytest.approx(140_000 / 120)  # vs IFA + no programme, by hand
    assert rows["MMS + MAMI"]["icer"] == pytest.approx(260_000 / 80)  # vs IFA + MAMI
    text = rendered(tmp_path / "job")
    assert text.count("extendedly dominated: a mix of the strategies either side of it") == 2
    # the MAMI decision is dominant, the care decision above the threshold
    mami, care = d.comparisons[1], d.comparisons[2]
    assert (mami.status, mami.verdict) == (words.DOMINANT, words.DOMINANT)
    assert (care.status, care.verdict, round(care.icer, 2)) == (words.NORTH_EAST, "not cost-effective", 1166.67)
    assert ("IFA + MAMI instead of IFA + inpatient saves US$10,000 and averts 20.0 DALYs per 100,000 pregnancies: "
            "it dominates IFA + inpatient.") in text


def test_one_vocabulary_in_summary_rows_index_and_spreadsheet(tmp_path):
    folder = write_job(tmp_path / "BGD" / "base", "north-west", cautions=True)
    row = data.load(folder).summary_row()
    assert row["mms_status"] == "dominated" and row["mms_cost_per_daly_averted"] is None
    assert row["care_status"] == "more costly, more effective"
    assert row["care_cost_per_daly_averted"] == pytest.approx(140_000 / 120)
    assert row["recommended"] == "IFA + no programme" and row["cautions"] == 1
    index_row = _row({"unit": "BGD", "scenario": "base", "status": "ok", "quality": {}}, tmp_path)
    assert index_row["mms_status"] == "dominated" and index_row["mms_icer"] is None
    page = render.index_html({"run": "r", "seed": 1, "draws": 2, "executor": "x", "version": "t"}, [index_row],
                             INDEX_COLUMNS, None)
    assert 'data-key="BGD/base.cautions"' in page and "&#9888; 1" in page and "clipped into range" in page
    assert 'data-key="BGD/base.mms_icer"' not in page  # blank, not a number
    build_brief(folder, pdf=False)
    check = openpyxl.load_workbook(folder / "results.xlsx")["Check"]
    assert check["G4"].value.startswith("=IF(AND(E4>0,F4>0)")  # ICER blank unless more costly and more effective
    frontier = pd.read_excel(folder / "results.xlsx", sheet_name="All strategies").set_index("Strategy")
    icer = [c for c in frontier.columns if c.startswith("US$ 2023 per DALY averted")][0]
    assert frontier.loc["IFA + no programme", "Status vs IFA + inpatient"] == "less costly, less effective"
    assert math.isnan(frontier.loc["IFA + no programme", icer])  # saves money, loses health: no cost per DALY


def test_cautions_travel_to_page_one(tmp_path):
    page = render.brief_html(data.load(write_job(tmp_path / "job", cautions=True)))
    first = page.split('id="numbers"')[0]  # everything before "What it buys"
    assert "Read with care" in first and "In 20.0% of the draws the birth-outcome inputs" in first


def test_evppi_below_the_floor_is_not_shown(tmp_path):
    d = data.load(write_job(tmp_path / "job"))
    # net benefit per pregnancy at US$300, by hand: IFA + no programme -200.0 (best on average); IFA + MAMI
    # -199.04 in draw 0 and -203.04 in draw 1, so EVPI = mean(-199.04, -200.0) - (-200.0) = 0.48
    assert d.best["evpi"] == pytest.approx(0.48)
    assert d.evppi_floor == pytest.approx(0.0048)  # 1% of the EVPI at the threshold
    assert list(d.evppi_shown()["input"]) == ["rr_nmr_mms_vs_ifa60", "costs"]
    text = rendered(tmp_path / "job")
    assert "MMS vs 60 mg IFA: neonatal death RR" in text and "rr_nmr_mms_vs_ifa60" not in text.split("Appendix")[0]


def test_declarations_print_not_stated_when_empty(tmp_path):
    text = rendered(write_job(tmp_path / "a"))
    assert "27. Who paid for the analysis and their role in it not stated" in text
    text = rendered(write_job(tmp_path / "b", declarations={"funding": "The Testland Ministry of Health."}))
    assert "27. Who paid for the analysis and their role in it The Testland Ministry of Health." in text


def test_report_yaml_is_read_and_checked(tmp_path):
    (tmp_path / "report.yaml").write_text("funding: '  A  foundation '\nconflicts_of_interest: null\n")
    got = cheers.declarations(tmp_path)
    assert got["funding"] == "A foundation" and got["conflicts_of_interest"] == cheers.NOT_STATED
    assert set(got) == set(cheers.DECLARATIONS)
    (tmp_path / "report.yaml").write_text("fundng: x\n")
    with pytest.raises(cheers.DeclarationsError, match=r"report\.yaml: unknown key\(s\) \['fundng'\]"):
        cheers.declarations(tmp_path)
    (tmp_path / "report.yaml").write_text("funding: [1, 2]\n")
    with pytest.raises(cheers.DeclarationsError, match="funding: must be text"):
        cheers.declarations(tmp_path)
    assert set(cheers.declarations()) == set(cheers.DECLARATIONS)  # the project's own file is valid


def test_all_28_cheers_items_are_answered_somewhere_in_the_brief(tmp_path):
    page = render.brief_html(data.load(write_job(tmp_path / "job")))
    assert [n for n, *_ in cheers.ITEMS] == list(range(1, 29))
    for n, topic, where, _ in cheers.ITEMS:
        assert f'id="{where}"' in page, (n, topic, where)


def test_every_validation_claim_names_a_test_that_exists():
    tests = Path(__file__).resolve().parent
    for _, test in cheers.VALIDATION:
        path, name = test.split("::")
        assert f"def {name}(" in (tests.parent / path).read_text(), test


@pytest.mark.parametrize("d_cost,d_effect,expected", [
    (1, 1, words.NORTH_EAST), (1, -1, words.DOMINATED), (-1, 1, words.DOMINANT), (-1, -1, words.SOUTH_WEST),
    (0, 1, words.DOMINANT), (1, 0, words.DOMINATED), (0, 0, words.SAME), (0, -1, words.DOMINATED),
    (-1, 0, words.DOMINANT),
])
def test_status_on_the_axes_and_in_each_quadrant(d_cost, d_effect, expected):
    assert words.status(d_cost, d_effect) == expected
    assert (words.icer(d_cost, d_effect) is not None) == (expected == words.NORTH_EAST)


@pytest.mark.parametrize("averted,outcome,expected", [
    (10162.4, "infant_deaths", "averts 10,162 infant deaths"),
    (-10162.4, "infant_deaths", "causes 10,162 more infant deaths"),
    (-315374, "dalys", "loses 315,374 healthy life-years (DALYs)"),
    (1.0, "stillbirths", "averts 1.0 stillbirth"), (0.0, "dalys", "changes no DALYs"),
])
def test_outcome_changes_in_words(averted, outcome, expected):
    assert words.outcome_change(averted, outcome) == expected


def test_published_results_sit_beside_this_run_converted_and_sourced(tmp_path):
    page = render.brief_html(data.load(write_job(tmp_path / "job", "north-west")))
    table = page.split('id="published"')[1].split("</table>")[0]
    text = text_of(table)
    assert "this run MMS vs IFA (dominated); Testland none none" in text  # no ratio for a dominated result
    kashi = published.load().loc["kashi2019_bgd"]
    converted = published.compare("mms", {}, 2023, "x").loc["kashi2019_bgd", "US$ per DALY averted (2023)"]
    assert f"Kashi 2019 {kashi['compared']}; {kashi['population']} {render.fmt_money(converted)}" in text
    assert "USD 21 per DALY (2016)" in text and kashi["why_differs"][:40] in text
    assert "nan" not in text.split() and "Kashi B, Godin CM" in text_of(page.split('id="published"')[1])
