"""CHEERS 2022 (Husereau et al., BMJ 2022;376:e067975): the 28 items, where a brief answers each,
what the engines reproduce (the validation section), and the declarations a user fills in.

``ITEMS`` is the checklist the brief prints in its appendix: (number, item, section id in the
brief, how it is answered). ``VALIDATION`` lists published or worked-by-hand models that the test
suite reproduces, each with the test that shows it (a test checks every named test exists).
``parameters/report.yaml`` holds the declarations only the authors can make (analysis plan,
engagement, funding, conflicts of interest); :func:`declarations` reads and checks it, and an
empty field is printed as "not stated".
"""

from __future__ import annotations

from pathlib import Path

import yaml

NOT_STATED = "not stated"

ITEMS = (  # number, item, section id in the brief, how the brief answers it
    (1, "Title", "title", "The title names the study as a cost-effectiveness analysis and the strategies compared."),
    (2, "Abstract", "abstract", "Structured abstract: objective, methods, results, conclusions."),
    (3, "Background and objectives", "m-background", "The three decisions and why they matter for the country."),
    (4, "Health economic analysis plan", "m-plan", "Declared by the authors in parameters/report.yaml."),
    (5, "Study population", "m-population", "Pregnancies reached by antenatal care and the at-risk infants born "
                                              "from them."),
    (6, "Setting and location", "m-setting", "The country's health system: antenatal care and infant care."),
    (7, "Comparators", "m-comparators", "Status quo, each alternative and a no-programme arm."),
    (8, "Perspective", "m-perspective", "Provider (household costs apart) or societal, by scenario."),
    (9, "Time horizon", "m-horizon", "Pregnancy to 1 year of age; lifetime years of life lost."),
    (10, "Discount rate", "m-discount", "Costs and effects, with the reason."),
    (11, "Selection of outcomes", "m-outcomes", "DALYs averted; deaths, stillbirths, LBW births alongside."),
    (12, "Measurement of outcomes", "m-measurement", "Trial meta-analyses and cohort studies behind each effect."),
    (13, "Valuation of outcomes", "m-valuation", "DALYs from the GBD reference life table and disability weights."),
    (14, "Measurement and valuation of resources and costs", "m-costs", "Costing narrative: resources, unit "
                                                                         "costs, sources."),
    (15, "Currency, price date and conversion", "m-currency", "US$ of the price year; CPI-U conversion; no "
                                                              "exchange-rate conversion needed."),
    (16, "Rationale and description of model", "m-model", "Decision tree and weekly Markov cohort model, linked."),
    (17, "Analytics and assumptions", "m-analytics", "Calibration, within-cycle correction, key assumptions."),
    (18, "Characterising heterogeneity", "heterogeneity", "Results by infant risk class; subgroup scenarios."),
    (19, "Characterising distributional effects", "distribution", "Who benefits, and why no wealth gradient is "
                                                                   "modelled."),
    (20, "Characterising uncertainty", "m-uncertainty", "PSA, one-way, threshold, VOI and global sensitivity."),
    (21, "Approach to engagement with patients and others affected", "declarations",
     "Declared by the authors in parameters/report.yaml."),
    (22, "Study parameters", "parameters", "Every input with value, range, distribution and source (appendix)."),
    (23, "Summary of main results", "results", "Costs, DALYs, increments, status and ICERs of every strategy."),
    (24, "Effect of uncertainty", "drivers", "Figures, drivers, EVPI and EVPPI; which research is worth paying for "
                                              "(EVSI, page 3); scenario results in notebook 04."),
    (25, "Effect of engagement with patients and others affected", "declarations",
     "Declared by the authors in parameters/report.yaml."),
    (26, "Study findings, limitations, generalisability and current knowledge", "discussion",
     "Discussion, with published results side by side."),
    (27, "Source of funding", "declarations", "Declared by the authors in parameters/report.yaml."),
    (28, "Conflicts of interest", "declarations", "Declared by the authors in parameters/report.yaml."),
)

VALIDATION = (  # what is reproduced, the test that shows it
    ("Markov engine: the Chancellor 1997 HIV model (Briggs, Claxton & Sculpher, Exercise 2.5): costs, life "
     "years and the ICER of GBP 6,276 per life year", "tests/test_markov.py::test_reproduces_the_published_hiv_model"),
    ("Markov engine: life expectancy of a one-state cohort in closed form",
     "tests/test_markov.py::test_life_expectancy_of_one_state_plus_death_matches_closed_form"),
    ("Decision-tree engine: a screening tree worked by hand", "tests/test_tree.py::test_screening_tree_by_hand"),
    ("Incremental analysis: strong and extended dominance, and the frontier's choice equal to the highest net "
     "benefit at every threshold", "tests/test_cea.py::test_frontier_matches_the_nmb_optimum_at_every_threshold"),
    ("Global sensitivity: the Ishigami function's analytical Sobol indices",
     "tests/test_uncertainty.py::test_ishigami_sobol_indices_match_their_analytical_values"),
    ("Value of information: EVPI worked by hand", "tests/test_uncertainty.py::test_evpi_by_hand"),
    ("Antenatal model: the status quo reproduces each country's stillbirth, preterm, LBW, neonatal and "
     "infant mortality rates", "tests/test_antenatal.py::test_status_quo_reproduces_the_country"),
    ("Antenatal model: at full adherence each trial's relative risk comes back out",
     "tests/test_antenatal.py::test_full_adherence_reproduces_each_trial_effect"),
    ("Infant model: an untreated cohort reproduces its calibration targets in every PSA draw",
     "tests/test_natural_history.py::test_calibrated_hazards_reproduce_every_target_over_psa_draws"),
    ("Continuum: the link reproduces the country's at-risk prevalence under the status quo",
     "tests/test_continuum.py::test_link_reproduces_the_at_risk_prevalence"),
    ("Published analysis of the same decision: the step-by-step replication of Kashi et al. 2019 ends at its "
     "conventions (scenario kashi2019)",
     "tests/test_antenatal_evidence.py::test_kashi_decomposition_ends_at_the_kashi2019_scenario"),
)

DECLARATIONS = {  # key in report.yaml -> (CHEERS item, what it asks)
    "authors": (None, "Who prepared this brief"),
    "analysis_plan": (4, "Whether a health economic analysis plan was written, and where it is"),
    "engagement_approach": (21, "How patients, communities or others affected were engaged"),
    "engagement_effect": (25, "What their engagement changed"),
    "funding": (27, "Who paid for the analysis and their role in it"),
    "conflicts_of_interest": (28, "Conflicts of interest of the authors"),
}


class DeclarationsError(ValueError):
    """A malformed ``parameters/report.yaml`` (names the file, the key and the problem)."""


def declarations(root: str | Path | None = None) -> dict[str, str]:
    """``parameters/report.yaml`` as ``key -> text``, every key of :data:`DECLARATIONS` present and
    an empty or missing one as :data:`NOT_STATED`. A missing file means nothing was declared."""
    from model.parameters import DEFAULT_ROOT

    path = Path(root or DEFAULT_ROOT) / "report.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except yaml.YAMLError as exc:
        raise DeclarationsError(f"{path}: not valid YAML ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DeclarationsError(f"{path}: the top level must be a mapping of {', '.join(DECLARATIONS)}")
    unknown = sorted(set(data) - set(DECLARATIONS))
    if unknown:
        raise DeclarationsError(f"{path}: unknown key(s) {unknown} (expected {', '.join(DECLARATIONS)})")
    out = {}
    for key in DECLARATIONS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise DeclarationsError(f"{path}: {key}: must be text, got {type(value).__name__}")
        out[key] = " ".join(value.split()) if value and value.strip() else NOT_STATED
    return out
