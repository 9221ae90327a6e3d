"""The research-value analysis of one unit: its frames agree with each other and with the
uncertainty notebook, and longer horizons never make a study worth less."""

from __future__ import annotations

import numpy as np
import pytest

from model import analysis, research, voi
from model import parameters as P


@pytest.fixture(scope="module")
def bgd():
    ps = P.load("BGD", "base")
    return ps, research.run(ps, draws=1000, seed=8)


def test_ceilings_equal_the_uncertainty_notebooks_evpi(bgd):
    ps, r = bgd
    a = analysis.run(ps, "continuum", draws=1000, seed=8, sobol_n=16, morris_trajectories=2, evppi_top=2)
    evpi = a.frames["evpi"]
    lam = r.threshold
    s = r.frames["summary"].set_index("study")
    # same PSA draws and the same population: the brief's EVPI and notebook 06's agree
    per_unit = evpi["evpi_per_unit"].to_numpy()
    scale = (evpi["evpi_population"].to_numpy() / per_unit)[per_unit > 0][0]
    assert s["evpi_population"].iloc[0] == pytest.approx(s["evpi"].iloc[0] * scale, rel=1e-9)
    assert r.notes["population_evpi_factor"] == pytest.approx(scale, rel=1e-9)
    assert lam == a.threshold
    for name in s.index:
        assert s.loc[name, "evppi"] <= s.loc[name, "evpi"] + 1e-9


def test_summary_is_the_best_row_of_the_long_frames(bgd):
    _, r = bgd
    evsi, summary = r.frames["evsi"], r.frames["summary"].set_index("study")
    for name, s in summary.iterrows():
        at = evsi[(evsi["study"] == name) & (evsi["threshold"] == r.threshold)].set_index("n")
        assert s["n_best"] == at["enbs"].idxmax()
        assert s["enbs_max"] == pytest.approx(at["enbs"].max())
        assert s["fund"] == (s["enbs_max"] > 0) and s["n_optimal"] == (s["n_best"] if s["fund"] else 0)
        assert s["evsi_population"] == pytest.approx(at.loc[s["n_best"], "evsi_population"])
        assert s["study_cost"] == pytest.approx(r.designs[name].cost(s["n_best"]))
        assert s["population_horizon"] == pytest.approx(voi.horizon_population(
            r.notes["pregnancies_per_year"], r.notes["horizon_years"], r.notes["discount_rate"],
            r.designs[name].years_to_report))
    optimal = r.frames["optimal"]
    assert len(optimal) == len(summary) * evsi["threshold"].nunique()


def test_longer_horizons_never_lower_the_value_of_a_study(bgd):
    _, r = bgd
    h = r.frames["horizons"]
    for _, rows in h.groupby("study"):
        assert (np.diff(rows.sort_values("horizon_years")["enbs_max"].to_numpy()) >= -1e-6).all()
    five = h[h["horizon_years"] == 5].set_index("study")["enbs_max"]
    s = r.frames["summary"].set_index("study")["enbs_max"]
    assert (five.sort_index() - s.sort_index()).abs().max() < 1e-6


def test_unknown_study_and_bad_model_are_errors():
    ps = P.load("BGD", "base")
    with pytest.raises(Exception, match="no-such-study"):
        research.run(ps, draws=50, designs=["no-such-study"])
    with pytest.raises(ValueError, match="inform another model"):
        research.run(ps, draws=50, designs=["mms-trial"], model="antenatal")


def test_evsi_is_valued_at_most_at_its_ceiling(bgd):
    _, r = bgd
    s = r.frames["summary"]
    assert (s["evsi"] <= s["evppi"] + 1e-12).all()
    evsi = r.frames["evsi"]
    assert (evsi["enbs"] <= evsi["evsi_population"] - evsi["study_cost"] + 1e-6).all()
    assert set(r.frames["checks"].columns) >= {"max_evsi_minus_evppi", "share_evsi_capped"}
