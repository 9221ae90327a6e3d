"""The orchestrated uncertainty analysis on a real model: internal consistency."""

from __future__ import annotations

import numpy as np
import pytest

from model import analysis
from model import parameters as P


@pytest.fixture(scope="module")
def result():
    # MMS vs 30 mg IFA averts DALYs, so a price at which it is "just cost-effective" exists
    return analysis.run(P.load("BGD", "ifa30-comparator"), "antenatal", draws=4000, seed=3, sobol_n=64,
                        morris_trajectories=6, evppi_top=10)


def test_value_of_information_is_consistent(result):
    f = result.frames
    evpi = f["evpi"]["evpi_per_unit"]
    assert (evpi >= 0).all()
    grid_evppi = f["evppi_grid"]
    assert (grid_evppi.to_numpy() <= evpi.to_numpy()[None, :] + 1e-12).all()
    assert (grid_evppi.to_numpy() >= 0).all()
    at = f["evppi_at_threshold"]["evppi"]
    # a group is worth at least its most valuable member (regression noise allowed)
    for label, members in analysis.groups_for(P.load("BGD", "base").uncertain).items():
        inside = [m for m in members if m in at.index]
        if label in at.index and inside:
            assert at[label] >= max(at[m] for m in inside) - 0.02 * max(at.max(), 1e-9)
    assert (f["evpi"]["evpi_population"] >= evpi).all()
    # estimates above the EVPI are clipped; how many is reported, and must be few (a poor fit otherwise)
    assert result.notes["evppi_clipped_share"] < 0.01


def test_acceptability_and_frontier(result):
    f = result.frames
    np.testing.assert_allclose(f["ceac"].sum(axis=1), 1.0)
    assert set(f["ceaf"]["optimal"]) <= set(result.strategies)
    assert (f["expected_loss"].to_numpy() >= -1e-12).all()
    # the expected loss of the CEAF's optimal strategy is the EVPI
    for lam in f["ceaf"].index[::10]:
        best = f["ceaf"].loc[lam, "optimal"]
        evpi = f["evpi"].loc[lam, "evpi_per_unit"]
        assert f["expected_loss"].loc[lam, best] == pytest.approx(evpi, abs=1e-9)


def test_threshold_answers_are_real_roots(result):
    t = result.frames["thresholds"]
    assert t["root"].notna().all()
    neutral = t.loc[t["question"].str.contains("cost-neutral"), "root"].iloc[0]
    effective = t.loc[t["question"].str.contains("just cost-effective"), "root"].iloc[0]
    assert neutral < effective


def test_write_names_every_file(result, tmp_path):
    files = result.write(tmp_path)
    names = {f.name for f in files}
    assert names >= {"uncertainty_antenatal_one_way.csv", "uncertainty_antenatal_notes.json"}
