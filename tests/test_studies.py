"""Study designs as data: simulated counts follow the design, the likelihood is the binomial one,
and bad study files fail with the file, the key and the problem."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml
from scipy import stats

from model import continuum, studies
from model import parameters as P


# ------------------------------------------------------------------ study data
def test_simulated_counts_follow_the_design():
    study = studies.load("mami-study", P.load("BGD", "base"))
    draws = 200_000
    # the episode shares the infant model derives (given here directly): 2% die, 20% default, 10% are
    # referred and 0.68 x 0.8 recover in MAMI; 3% die, 5% default and 0.92 x 0.75 recover in hospital
    params = {p: np.full(draws, v) for p, v in
              {"mami_episode_death": 0.02, "mami_episode_default": 0.2, "mami_episode_referral": 0.1,
               "mami_episode_recovery": 0.68 * 0.8, "inpatient_episode_death": 0.03,
               "inpatient_episode_default": 0.05, "inpatient_episode_recovery": 0.92 * 0.75}.items()}
    small, big = studies.simulate(study, params, [10, 100], seed=3)
    c = {k: v.mean() for k, v in big.counts.items()}
    # multinomial split: 2% die, 20% default, 10% referred, the remaining 68% recover with 0.8
    assert c["mami_deaths"] == pytest.approx(2.0, rel=0.02)
    assert c["mami_defaults"] == pytest.approx(20.0, rel=0.01)
    assert c["mami_referrals"] == pytest.approx(10.0, rel=0.01)
    assert c["mami_recoveries"] == pytest.approx(68 * 0.8, rel=0.01)
    assert big.denominators["mami_recoveries"].mean() == pytest.approx(68, rel=0.01)
    assert c["inpatient_deaths"] == pytest.approx(3.0, rel=0.02)
    for k in big.counts:  # nested designs: the larger study contains the smaller one
        assert (big.counts[k] >= small.counts[k]).all()
    again = studies.simulate(study, params, [10, 100], seed=3)[1]
    assert all((again.counts[k] == big.counts[k]).all() for k in big.counts)


def test_episode_shares_come_from_the_model_inputs():
    """The MAMI study's probabilities are the infant model's episode shares of the drawn inputs."""
    from model import infant

    ps = P.load("BGD", "base")
    study = studies.load("mami-study", ps)
    p = ps.sample(300, seed=4, names=continuum.REQUIRED)
    q = studies.probabilities(study, p)
    shares = infant.study_quantities(p)
    np.testing.assert_allclose(q["mami_deaths"], shares["mami_episode_death"], rtol=1e-12)
    np.testing.assert_allclose(q["mami_defaults"], shares["mami_episode_default"]
                               / (1 - shares["mami_episode_death"]), rtol=1e-12)
    total = sum(shares[k] for k in ("mami_episode_death", "mami_episode_default", "mami_episode_referral",
                                    "mami_episode_recovery"))
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    # faster death in MAMI care shows up in the study's death endpoint
    worse = studies.probabilities(study, {**p, "hr_death_mami": p["hr_death_mami"] * 2})
    assert np.all(worse["mami_deaths"] > q["mami_deaths"])


def test_log_likelihood_is_the_binomial_one():
    study = studies.load("mami-study", P.load("BGD", "base"))
    rng = np.random.default_rng(0)
    names = {n for e in study.endpoints for n in e.parameters}  # the episode shares, given directly
    params = {p: rng.uniform(0.05, 0.2, 50) for p in names}
    data = studies.simulate(study, params, [40], seed=1)[0]
    ll = studies.log_likelihood(study, params, data, np.arange(3))
    q = studies.probabilities(study, params)
    for j in range(3):
        direct = sum(stats.binom.logpmf(data.counts[e.name][j], data.denominators[e.name][j], q[e.name])
                     for e in study.endpoints)
        diff = ll[j] - direct  # equal up to the binomial coefficients, a constant in the parameters
        np.testing.assert_allclose(diff, diff[0], atol=1e-8)


# ------------------------------------------------------------------ study files fail loudly
def _study_root(tmp_path, name: str, change) -> tuple:
    root = tmp_path / "parameters"
    shutil.copytree(P.DEFAULT_ROOT, root)
    path = root / "studies" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root, P.load("BGD", "base", root)


@pytest.mark.parametrize("name,change,key,message", [
    ("mami-study", lambda d: d["endpoints"][0]["probability"].__setitem__(0, "cfr_mamii"),
     "endpoints.0.probability.0", "unknown parameter 'cfr_mamii'"),
    ("mms-trial", lambda d: d["endpoints"][1].__setitem__("arm", "MMMS"), "endpoints.1.arm", "unknown arm 'MMMS'"),
    ("mami-study", lambda d: d["endpoints"][1].__setitem__("competes_with", ["mami_referrals"]),
     "endpoints.1.competes_with.0", "not an endpoint listed before"),
    ("adherence-survey", lambda d: d["sample_size"].__setitem__("values", [200, 100]), "sample_size",
     "strictly increasing"),
    ("adherence-survey", lambda d: d["costs"]["fixed"].pop("cost_year"), "costs.fixed", "cost_year"),
    ("adherence-survey", lambda d: d["endpoints"][0].__setitem__("scale", 1.0), "endpoints.0.probability",
     "not a probability"),
    ("mms-trial", lambda d: d["endpoints"][0]["probability"].append("gdp_per_capita"),
     "endpoints.0.probability.1", "not an input of the continuum model"),
    ("mms-trial", lambda d: d.__setitem__("name", "other"), "name", "does not match the file name"),
    ("mms-trial", lambda d: d.__setitem__("endpoint", []), "-", "unknown key 'endpoint'"),
    ("mms-trial", lambda d: d["costs"]["per_participant"].__setitem__("source", "nowhere"),
     "costs.per_participant.source", "unknown source 'nowhere'"),
])
def test_bad_study_files_name_the_file_the_key_and_the_problem(tmp_path, name, change, key, message):
    root, ps = _study_root(tmp_path, name, change)
    with pytest.raises(studies.StudyError) as info:
        studies.load(name, ps, root)
    text = str(info.value)
    assert f"studies/{name}.yaml: {key}" in text and message in text, text


def test_every_shipped_study_is_valid_for_every_unit():
    for unit in P.units():
        ps = P.load(unit, "base")
        for name in studies.names():
            study = studies.load(name, ps)
            assert set(study.parameters) <= set(continuum.REQUIRED)
            assert study.fixed_cost > 0 and study.per_participant_cost > 0


def test_unknown_study_lists_the_known_ones():
    with pytest.raises(studies.StudyError, match="file not found .*mms-trial"):
        studies.load("no-such-study", P.load("BGD", "base"))
    with pytest.raises(studies.StudyError, match="bad study name"):
        studies.load("../base", P.load("BGD", "base"))
