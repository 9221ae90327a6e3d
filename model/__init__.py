"""Maternal and infant nutrition cost-effectiveness workbook: models and analyses.

Stable API: five engines that work for any model. Their names below are kept; new options come as
keyword arguments whose defaults keep today's meaning. The README has a worked example of each,
run by ``tests/test_readme.py``. Everything else in the package (the antenatal, infant and
continuum models, parameter files, reports, batch runs, briefs) belongs to the workbook and may
change.

* ``model.tree``: decision trees as data, vectorised over samples (``Decision``, ``Chance``,
  ``Terminal``, ``REST``, ``evaluate``, ``TreeResult``, ``mermaid``, ``mermaid_markdown``).
* ``model.markov``: cohort state-transition models (``simulate``, ``MarkovResult``,
  ``correction_weights``, ``CORRECTIONS``, ``entry_reward``, ``check_transitions``, rate and
  probability conversions).
* ``model.cea``: efficiency frontier with strong and extended dominance, ICERs, net monetary
  benefit, incremental and PSA tables, for outcomes gained or averted (``more_is_better``).
* ``model.uncertainty``: CEAC, CEAF, expected loss, EVPI (per decision and population), EVPPI by
  regression, on PSA arrays ``(samples, strategies)``, for outcomes gained or averted.
* ``model.distributions``: distributions fitted from a value and a 95% range, seeded
  chunk-invariant sampling, the SALib unit-cube mapping.

Every name-keyed argument of these modules is checked: an unknown name is an error naming it and
listing the known ones (``model.names``).
"""

__version__ = "0.1.0"

STABLE: dict[str, tuple[str, ...]] = {
    "tree": ("Decision", "Chance", "Terminal", "REST", "evaluate", "TreeResult", "TreeError", "mermaid",
             "mermaid_markdown"),
    "markov": ("simulate", "MarkovResult", "MarkovError", "correction_weights", "CORRECTIONS", "entry_reward",
               "check_transitions", "rate_to_probability", "probability_to_rate", "rescale_probability"),
    "cea": ("frontier", "incremental", "nmb", "inmb", "best_at", "health_gain", "psa_tables",
            "cost_per_unit_averted", "ND", "D", "ED"),
    "uncertainty": ("net_benefit", "ceac", "ceaf", "expected_loss", "evpi", "population_evpi", "evppi"),
    "distributions": ("Distribution", "DistributionError", "DISTRIBUTIONS", "fit", "sample", "uniforms",
                      "salib_problem", "from_unit_cube"),
}
"""The stable modules of the package and the names each keeps."""
