"""The cohort engine against hand-written numpy: ``python -m benchmarks.markov [--draws N ...]``.

The model is the DARTH Sick-Sicker cohort model (Alarid-Escudero et al. 2023, MDM 43(1):3-20):
4 states, 4 strategies, 75 annual cycles, costs and QALYs discounted at 3%, the tutorial's Simpson
weights, with a PSA over its published distributions. The same draws go, side by side in one
process, to

* ``simulate`` with inputs in its public layout (samples, strategies, states), and
* hand-written draws-last loops over cycles (states first, draws on the last, contiguous axis), in
  three styles: ``einsum``, broadcast-multiply-and-sum, and a loop over source states. The engine
  is compared with the fastest of them.

Building the inputs is outside both timings; everything ``simulate`` does (moving inputs to its
internal layout, checking the matrices, rewards) is inside.

``--time-varying`` adds a variant with background mortality rising with age (an illustrative
Gompertz slope, not the tutorial's): the matrices are then built every cycle, inside both timings
(it is part of running such a model either way). The hand-written loop builds them draws-last;
``simulate`` gets a function of the cycle that builds them states first, ``(K, K, n, S)``, and
returns the public layout as a view (``np.moveaxis``), as its docstring recommends. Two more lines
show that engine run with ``check=False`` (the matrices of a function are otherwise checked every
cycle, which the hand-written loop never does), and a function writing the public layout entry by
entry, which costs more in the function itself (strided writes) and in the engine (a strided pass
per cycle). Each timing is the best of
``--repeat`` runs, alternating engine and loops. The results must agree to 1e-12 (relative) or the
script stops. Peak memory is what numpy allocated during the run (tracemalloc), so it shows that
no trace is kept. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from model.markov import correction_weights, rate_to_probability, simulate

STATES = ("H", "S1", "S2", "D")
STRATEGIES = ("Standard of care", "Strategy A", "Strategy B", "Strategy AB")
N_CYCLES = 75
DISCOUNT = 0.03


def draws(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """PSA draws from the tutorial's distributions (gamma rates and costs, lognormal hazard ratios,
    beta utilities; numpy's generator, so not the tutorial's own draws)."""
    g = np.random.default_rng(seed)
    return {
        "r_HD": g.gamma(20, 1 / 10000, n), "r_HS1": g.gamma(30, 1 / 200, n),
        "r_S1H": g.gamma(60, 1 / 120, n), "r_S1S2": g.gamma(84, 1 / 800, n),
        "hr_S1": g.lognormal(np.log(3), 0.01, n), "hr_S2": g.lognormal(np.log(10), 0.02, n),
        "hr_S1S2_trtB": g.lognormal(np.log(0.6), 0.02, n),
        "c_H": g.gamma(100, 20, n), "c_S1": g.gamma(177.8, 22.5, n), "c_S2": g.gamma(225, 66.7, n),
        "c_trtA": g.gamma(73.5, 163.3, n), "c_trtB": g.gamma(86.2, 150.8, n),
        "u_H": g.beta(200, 3, n), "u_S1": g.beta(130, 45, n), "u_S2": g.beta(230, 230, n),
        "u_trtA": g.beta(300, 15, n),
    }


def _transition_entries(p: dict[str, np.ndarray], mortality: float = 1.0):
    """Per strategy, the non-zero (i, j) transition probabilities, each an array over draws;
    ``mortality`` multiplies every death rate."""
    r_hd = p["r_HD"] * mortality
    p_hd, p_hs1, p_s1h = rate_to_probability(r_hd), rate_to_probability(p["r_HS1"]), rate_to_probability(p["r_S1H"])
    p_s1d, p_s2d = rate_to_probability(r_hd * p["hr_S1"]), rate_to_probability(r_hd * p["hr_S2"])
    for s, name in enumerate(STRATEGIES):
        treat_b = name in ("Strategy B", "Strategy AB")
        p_s1s2 = rate_to_probability(p["r_S1S2"] * (p["hr_S1S2_trtB"] if treat_b else 1.0))
        yield s, {(0, 0): (1 - p_hd) * (1 - p_hs1), (0, 1): (1 - p_hd) * p_hs1, (0, 3): p_hd,
                  (1, 0): (1 - p_s1d) * p_s1h, (1, 1): (1 - p_s1d) * (1 - (p_s1h + p_s1s2)),
                  (1, 2): (1 - p_s1d) * p_s1s2, (1, 3): p_s1d,
                  (2, 2): 1 - p_s2d, (2, 3): p_s2d, (3, 3): np.ones_like(p_hd)}


def _reward_entries(p: dict[str, np.ndarray]):
    """Per strategy, the non-zero cost and utility per state, each an array over draws."""
    for s, name in enumerate(STRATEGIES):
        treat_a, treat_b = name in ("Strategy A", "Strategy AB"), name in ("Strategy B", "Strategy AB")
        extra = p["c_trtA"] * treat_a + p["c_trtB"] * treat_b
        cost = {0: p["c_H"], 1: p["c_S1"] + extra, 2: p["c_S2"] + extra}
        qaly = {0: p["u_H"], 1: p["u_trtA"] if treat_a else p["u_S1"], 2: p["u_S2"]}
        yield s, cost, qaly


def public_transitions(p: dict[str, np.ndarray], mortality: float = 1.0) -> np.ndarray:
    """Transition matrices in the engine's layout (n, S, K, K)."""
    trans = np.zeros((p["r_HD"].size, len(STRATEGIES), len(STATES), len(STATES)))
    for s, entries in _transition_entries(p, mortality):
        for (i, j), v in entries.items():
            trans[:, s, i, j] = v
    return trans


def states_first_view(p: dict[str, np.ndarray], mortality: float = 1.0) -> np.ndarray:
    """The matrices built states first in memory, ``(K, K, n, S)``, returned in the public layout
    ``(n, S, K, K)`` as a view: what ``simulate`` uses without a copy."""
    trans = np.zeros((len(STATES), len(STATES), p["r_HD"].size, len(STRATEGIES)))
    for s, entries in _transition_entries(p, mortality):
        for (i, j), v in entries.items():
            trans[i, j, :, s] = v
    return np.moveaxis(trans, (0, 1), (-2, -1))


def draws_last_transitions(p: dict[str, np.ndarray], mortality: float = 1.0) -> np.ndarray:
    """The same matrices built draws-last, as a hand-written loop would: (K, K, S, n)."""
    trans = np.zeros((len(STATES), len(STATES), len(STRATEGIES), p["r_HD"].size))
    for s, entries in _transition_entries(p, mortality):
        for (i, j), v in entries.items():
            trans[i, j, s] = v
    return trans


def public_inputs(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Inputs in the engine's layout: transitions (n, S, K, K), rewards (n, S, K)."""
    n, k, s_ = p["r_HD"].size, len(STATES), len(STRATEGIES)
    cost, qaly = np.zeros((n, s_, k)), np.zeros((n, s_, k))
    for s, c, q in _reward_entries(p):
        for i, v in c.items():
            cost[:, s, i] = v
        for i, v in q.items():
            qaly[:, s, i] = v
    initial = np.zeros((s_, k))
    initial[:, 0] = 1.0
    return {"initial": initial, "transitions": public_transitions(p), "cost": cost, "qalys": qaly}


def draws_last_inputs(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same inputs built draws-last: (K, K, S, n) and (K, S, n)."""
    n, k, s_ = p["r_HD"].size, len(STATES), len(STRATEGIES)
    cost, qaly = np.zeros((k, s_, n)), np.zeros((k, s_, n))
    for s, c, q in _reward_entries(p):
        for i, v in c.items():
            cost[i, s] = v
        for i, v in q.items():
            qaly[i, s] = v
    initial = np.zeros((k, s_, n))
    initial[0] = 1.0
    return {"initial": initial, "transitions": draws_last_transitions(p), "cost": cost, "qalys": qaly}


WEIGHTS = correction_weights("simpson-darth", N_CYCLES)
MORTALITY = np.exp(0.08 * np.arange(N_CYCLES))  # time-varying variant: death rates x e^(0.08 t)


def run_engine(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``simulate`` on public-layout inputs: totals (n, S). With ``x["draws"]`` the matrices are
    built every cycle by a function of the cycle (the time-varying variant)."""
    transitions = x["transitions"]
    if "draws" in x:
        build = x.get("build", states_first_view)

        def transitions(t: int) -> np.ndarray:
            return build(x["draws"], MORTALITY[t])
    res = simulate(x["initial"], transitions, N_CYCLES,
                   state_rewards={"cost": x["cost"], "qalys": x["qalys"]}, correction="simpson-darth",
                   discount={"cost": DISCOUNT, "qalys": DISCOUNT}, states=STATES, strategies=STRATEGIES,
                   check=x.get("check", True))
    return dict(res.totals)


def _hand(x: dict[str, np.ndarray], step) -> dict[str, np.ndarray]:
    m, p, c, q = x["initial"], x["transitions"], x["cost"], x["qalys"]
    coef = WEIGHTS / (1 + DISCOUNT) ** np.arange(N_CYCLES + 1)
    cost, qalys = np.zeros(m.shape[1:]), np.zeros(m.shape[1:])
    for t in range(N_CYCLES + 1):
        cost += coef[t] * np.einsum("ksn,ksn->sn", m, c)
        qalys += coef[t] * np.einsum("ksn,ksn->sn", m, q)
        if t < N_CYCLES:
            m = step(m, draws_last_transitions(x["draws"], MORTALITY[t]) if "draws" in x else p)
    return {"cost": cost.T, "qalys": qalys.T}


def _step_einsum(m, p):
    return np.einsum("isn,ijsn->jsn", m, p)


def _step_sum(m, p):
    return (m[:, None] * p).sum(axis=0)


def _step_rows(m, p):
    new = m[0] * p[0]
    for i in range(1, m.shape[0]):
        new += m[i] * p[i]
    return new


HAND = {"einsum": _step_einsum, "multiply-sum": _step_sum, "loop over states": _step_rows}


def _peak_mb(fn, x) -> float:
    """What numpy allocated at most while ``fn(x)`` ran (MB), measured in a separate, untimed run."""
    tracemalloc.start()
    fn(x)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def compare(n: int, repeat: int = 3, time_varying: bool = False) -> dict[str, float]:
    """Time the engine and each hand-written loop on ``n`` draws; return the figures."""
    p = draws(n)
    pub, last = public_inputs(p), draws_last_inputs(p)
    if time_varying:
        pub, last = pub | {"draws": p}, last | {"draws": p}
    runs = {"engine": (run_engine, pub)}
    if time_varying:
        runs["engine, check=False"] = (run_engine, pub | {"check": False})
        runs["engine, public build"] = (run_engine, pub | {"build": public_transitions})
    runs |= {k: (lambda x, s=s: _hand(x, s), last) for k, s in HAND.items()}
    best = dict.fromkeys(runs, np.inf)
    outputs = {}
    for _ in range(repeat):
        for name, (fn, x) in runs.items():
            t0 = time.perf_counter()
            outputs[name] = fn(x)
            best[name] = min(best[name], time.perf_counter() - t0)
    peak = {name: _peak_mb(fn, x) for name, (fn, x) in runs.items()}
    worst = 0.0
    for name in [*HAND, *(n for n in runs if n.startswith("engine,"))]:
        for key in ("cost", "qalys"):
            a, b = outputs["engine"][key], outputs[name][key]
            worst = max(worst, float(np.max(np.abs(a - b) / np.abs(b))))
    if worst > 1e-12:
        raise SystemExit(f"engine and hand-written loops disagree: max relative difference {worst:.3g}")
    fastest = min(HAND, key=best.get)
    ratio = best["engine"] / best[fastest]
    print(f"{n:>9,} draws x {len(STRATEGIES)} strategies x {N_CYCLES} cycles"
          f"{', time-varying matrices' if time_varying else ''} (max relative difference {worst:.1e})")
    for name, dt in best.items():
        print(f"    {name:22} {dt:8.3f} s   peak numpy memory {peak[name]:7.1f} MB")
    print(f"    simulate / fastest hand-written loop ({fastest}): {ratio:.2f}x")
    return {"draws": n, "engine": best["engine"], "hand": best[fastest], "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-varying", action="store_true", help="also the time-varying variant")
    args = parser.parse_args()
    print(f"numpy {np.__version__}")
    for n in args.draws:
        compare(n, args.repeat)
    if args.time_varying:
        for n in args.draws:
            compare(n, args.repeat, time_varying=True)


if __name__ == "__main__":
    main()
