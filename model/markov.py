"""A generic cohort state-transition (Markov) engine, vectorised over samples and strategies.

Arrays follow one layout: ``(..., S, K)`` for state vectors and ``(..., S, K, K)`` for transition
matrices, where ``S`` is the strategy axis, ``K`` the states, and ``...`` any leading axes (PSA
samples, sub-cohorts) that broadcast. Nothing loops over samples: the only Python loop is over
cycles, and each cycle's transition matrices are computed when needed (a function of the cycle),
so memory stays flat as cycles grow.

The trace is ``m[0] = initial`` and ``m[t + 1] = m[t] @ P(t)`` for ``t = 0 .. n_cycles - 1``.

* **State rewards** (costs, life years, QALYs per cycle spent in a state) are counted on the trace
  points ``m[0] .. m[n]`` with within-cycle correction weights ``w[t]`` (``CORRECTIONS``, or any
  vector of ``n + 1`` weights, which may also broadcast over leading axes) and discounted at
  ``t * cycle_years`` years.
* **Instant rewards** are counted on trace point ``t`` with weight 1 (e.g. a terminal reward for
  survivors at the end of the horizon).
* **Transition rewards** ``R[i, j]`` are paid on the flow from ``i`` to ``j`` during cycle ``t``
  (``m[t, i] * P(t)[i, j]``) and discounted to the end of that cycle. **Entry rewards** ``e[j]``
  are the common special case, paid on every flow *into* ``j`` from another state (an admission
  cost, a cost or YLL on death); they are computed from the cycle's inflows, without the
  ``K x K`` products, so prefer them when the reward depends on the destination only.
  :func:`entry_reward` turns an entry vector into the equivalent ``R``.

Before a cycle is applied its matrices are checked: every probability in [0, 1] and every row
summing to 1 within ``TOL``; a failure names the cycle, strategy, state and first bad sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

TOL = 1e-9
CORRECTIONS = ("none", "half-cycle", "simpson", "beginning", "end")

ArrayOrFn = np.ndarray | float | Callable[[int], np.ndarray]


class MarkovError(ValueError):
    """An invalid transition matrix, initial state or option."""


def rate_to_probability(rate, time=1.0) -> np.ndarray:
    """Probability of at least one event in ``time`` at constant ``rate``: ``1 - exp(-rate t)``."""
    return -np.expm1(-np.asarray(rate, dtype=float) * np.asarray(time, dtype=float))


def probability_to_rate(p, time=1.0) -> np.ndarray:
    """Constant rate giving probability ``p`` over ``time``: ``-ln(1 - p) / t``."""
    return -np.log1p(-np.asarray(p, dtype=float)) / np.asarray(time, dtype=float)


def rescale_probability(p, from_time, to_time) -> np.ndarray:
    """A probability over ``from_time`` converted to ``to_time`` through the constant rate."""
    return rate_to_probability(probability_to_rate(p, from_time), to_time)


def correction_weights(method: str | Sequence[float] | np.ndarray, n_cycles: int) -> np.ndarray:
    """Within-cycle weights on trace points ``0 .. n_cycles``.

    ``none``: 1 on every point (DARTH's default before correction); ``half-cycle``: 1/2 on the
    first and last point (trapezoid, heemod's "life-table"); ``simpson``: Simpson's 1/3 rule
    (``n_cycles`` must be even); ``beginning``: points ``0 .. n-1``; ``end``: points ``1 .. n``.
    An array is used as given (first axis ``n_cycles + 1``; further axes broadcast)."""
    if not isinstance(method, str):
        w = np.asarray(method, dtype=float)
        if w.shape[0] != n_cycles + 1:
            raise MarkovError(f"correction weights need {n_cycles + 1} entries on axis 0, got {w.shape[0]}")
        return w
    w = np.ones(n_cycles + 1)
    match method:
        case "none":
            pass
        case "half-cycle":
            w[0] = w[-1] = 0.5
        case "simpson":
            if n_cycles % 2:
                raise MarkovError("Simpson's 1/3 rule needs an even number of cycles")
            w[1:-1:2], w[2:-1:2] = 4.0, 2.0
            w /= 3.0
        case "beginning":
            w[-1] = 0.0
        case "end":
            w[0] = 0.0
        case _:
            raise MarkovError(f"unknown within-cycle correction '{method}' (expected one of {CORRECTIONS})")
    return w


def entry_reward(per_state) -> np.ndarray:
    """A transition-reward matrix paying ``per_state[j]`` on entering ``j`` from another state."""
    v = np.asarray(per_state, dtype=float)
    k = v.shape[-1]
    return v[..., None, :] * (1.0 - np.eye(k))


@dataclass(frozen=True)
class MarkovResult:
    """Discounted totals per reward, shape ``(..., S)``; the trace if it was kept."""

    totals: dict[str, np.ndarray]
    correction: str
    n_cycles: int
    trace: np.ndarray | None = None
    final: np.ndarray | None = None
    notes: dict[str, str] = field(default_factory=dict)


def _value(x: ArrayOrFn, t: int):
    return x(t) if callable(x) else x


def check_transitions(p: np.ndarray, cycle: int, states: Sequence[str] | None = None,
                      strategies: Sequence[str] | None = None, tol: float = TOL) -> None:
    """Raise :class:`MarkovError` if any probability is outside [0, 1] or any row does not sum
    to 1 (within ``tol``), naming the cycle, strategy, state and first bad sample."""
    p = np.asarray(p, dtype=float)

    def where(mask: np.ndarray, what: str, values: np.ndarray) -> None:
        idx = np.argwhere(mask)[0]
        *lead, s, i = idx[: mask.ndim]
        sname = strategies[s] if strategies is not None and s < len(strategies) else str(s)
        state = states[i] if states is not None else str(i)
        sample = f", leading index {tuple(int(x) for x in lead)}" if lead else ""
        raise MarkovError(f"cycle {cycle}, strategy '{sname}', state '{state}': {what} "
                          f"{values[tuple(idx[: mask.ndim])]:.9g}{sample}")

    bad = (p < -tol) | (p > 1 + tol)
    if bad.any():
        row_bad = bad.any(axis=-1)
        j = np.argwhere(bad)[0][-1]
        where(row_bad, f"probability to state '{states[j] if states else j}' is",
              np.take(p, j, axis=-1))
    total = p.sum(axis=-1)
    off = np.abs(total - 1.0) > tol
    if off.any():
        where(off, "row sums to", total)


def simulate(initial: np.ndarray, transitions: ArrayOrFn, n_cycles: int, *,
             state_rewards: Mapping[str, ArrayOrFn] | None = None,
             transition_rewards: Mapping[str, ArrayOrFn] | None = None,
             entry_rewards: Mapping[str, ArrayOrFn] | None = None,
             instant_rewards: Mapping[str, ArrayOrFn] | None = None,
             reward_weights: Mapping[str, np.ndarray] | None = None,
             correction: str | Sequence[float] | np.ndarray = "half-cycle",
             discount: Mapping[str, float | np.ndarray] | None = None,
             cycle_years: float = 1.0,
             states: Sequence[str] | None = None, strategies: Sequence[str] | None = None,
             check: bool = True, keep_trace: bool = False, tol: float = TOL) -> MarkovResult:
    """Run a cohort model.

    Parameters
    ----------
    initial: ``(..., S, K)`` starting distribution (proportions or counts, non-negative).
    transitions: ``(..., S, K, K)`` array, or ``f(cycle) -> array`` for time-varying models.
    n_cycles: number of transitions applied.
    state_rewards: name -> ``(..., S, K)`` reward per cycle in each state (or ``f(cycle)``).
    transition_rewards: name -> ``(..., S, K, K)`` reward per transition ``i -> j`` (or ``f(cycle)``).
    entry_rewards: name -> ``(..., S, K)`` reward per entry into each state from another state.
    instant_rewards: name -> ``(..., S, K)`` counted once on each trace point (or ``f(cycle)``;
        return 0 where nothing is due), with no within-cycle correction.
    reward_weights: name -> array whose first axis has ``n_cycles + 1`` entries: entry ``t``
        multiplies that reward's contribution at trace point ``t`` (state and instant rewards) or
        in cycle ``t`` (transition and entry rewards); further axes broadcast against its totals.
        Use it for masks and cycle-dependent scalars (e.g. sub-cohorts with different horizons,
        YLL by age at death) so the reward arrays themselves stay small.
    correction: within-cycle correction for state rewards (see :func:`correction_weights`).
    discount: name -> annual discount rate (default 0), applied as ``(1 + r) ** -(t * cycle_years)``;
        an array must broadcast against the reward's totals ``(..., S)`` (per-sample rates of shape
        ``(n,)`` are passed as ``(n, 1)``).
    cycle_years: cycle length in years (one week = 7 / 365.25).
    states, strategies: names used in error messages.
    """
    m = np.asarray(initial, dtype=float)
    if np.any(m < 0):
        raise MarkovError("initial state distribution has negative entries")
    state_rewards = dict(state_rewards or {})
    transition_rewards = dict(transition_rewards or {})
    entry_rewards = dict(entry_rewards or {})
    instant_rewards = dict(instant_rewards or {})
    names = [*state_rewards, *transition_rewards, *entry_rewards, *instant_rewards]
    if len(set(names)) != len(names):
        raise MarkovError("a reward name is used twice across state/transition/entry/instant rewards")
    discount = dict(discount or {})
    rw = {k: np.asarray(v, dtype=float) for k, v in (reward_weights or {}).items()}
    unknown = set(rw) - set(names)
    if unknown:
        raise MarkovError(f"reward_weights for unknown rewards: {sorted(unknown)}")
    bad = [k for k, v in rw.items() if v.shape[0] != n_cycles + 1]
    if bad:
        raise MarkovError(f"reward_weights {bad} need {n_cycles + 1} entries on axis 0")
    w = correction_weights(correction, n_cycles)
    label = correction if isinstance(correction, str) else "user weights"
    totals: dict[str, np.ndarray] = {k: np.zeros(()) for k in names}
    trace = [m] if keep_trace else None

    def disc(name: str, t: float, index: int):
        r = np.asarray(discount.get(name, 0.0), dtype=float)
        d = (1.0 + r) ** (-t * cycle_years)
        return d * rw[name][index] if name in rw else d

    def add(name: str, coef, value: np.ndarray) -> None:
        term = coef * value
        if np.shape(totals[name]) == np.broadcast_shapes(np.shape(totals[name]), term.shape):
            totals[name] += term  # in place once the total has its full shape
        else:
            totals[name] = totals[name] + term

    def dot(a: np.ndarray, r) -> np.ndarray:
        return np.einsum("...k,...k->...", a, np.asarray(r, dtype=float))

    for t in range(n_cycles + 1):
        for k, r in state_rewards.items():
            add(k, w[t] * disc(k, t, t), dot(m, _value(r, t)))
        for k, r in instant_rewards.items():
            add(k, disc(k, t, t), dot(m, _value(r, t)))
        if t == n_cycles:
            break
        p = np.asarray(_value(transitions, t), dtype=float)
        if check and (t == 0 or callable(transitions)):  # a constant matrix is checked once
            check_transitions(p, t, states, strategies, tol)
        for k, r in transition_rewards.items():
            flow_value = np.einsum("...i,...ij,...ij->...", m, p, np.asarray(_value(r, t), dtype=float))
            add(k, disc(k, t + 1, t), flow_value)
        if p.ndim >= 3 and p.shape[-3] == 1 and m.ndim >= 2:
            new = m @ p[..., 0, :, :]  # one matrix shared by every strategy: (S, K) @ (K, K)
        else:
            new = (m[..., None, :] @ p)[..., 0, :]
        if entry_rewards:
            inflow = new - m * np.diagonal(p, axis1=-2, axis2=-1)
            for k, r in entry_rewards.items():
                add(k, disc(k, t + 1, t), dot(inflow, _value(r, t)))
        m = new
        if keep_trace:
            trace.append(m)
    return MarkovResult(
        totals=totals, correction=label, n_cycles=n_cycles,
        trace=np.stack(trace, axis=-2) if keep_trace else None, final=m,
    )
