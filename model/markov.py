"""A generic cohort state-transition (Markov) engine, vectorised over samples and strategies.

Arrays follow one layout: ``(..., S, K)`` for state vectors and ``(..., S, K, K)`` for transition
matrices, where ``S`` is the strategy axis, ``K`` the states, and ``...`` any leading axes (PSA
samples, sub-cohorts) that broadcast. Nothing loops over samples: the only Python loop is over
cycles, and each cycle's transition matrices are computed when needed (a function of the cycle),
so memory stays flat as cycles grow. Only the current state vector is held unless
``keep_trace=True``.

Inputs and results keep that layout; inside :func:`simulate` each cycle is a few whole-array
operations over all samples at once, in one of two arrangements chosen from the matrices' shape.
When every strategy has its own matrices the state axes are moved to the front (``(K, ..., S)``,
samples and strategies contiguous), as in a hand-written draws-last loop; when one matrix serves
every strategy (``(..., 1, K, K)`` or ``(K, K)``) the public layout is kept and each cycle is one
``(S x K) @ (K x K)`` product per sample. Both give the same results (to rounding).

The trace is ``m[0] = initial`` and ``m[t + 1] = m[t] @ P(t)`` for ``t = 0 .. n_cycles - 1``.

* **State rewards** (costs, life years, QALYs per cycle spent in a state) are counted on the trace
  points ``m[0] .. m[n]`` with within-cycle correction weights ``w[t]`` (a name in
  ``CORRECTIONS``, or an array of ``n + 1`` weights, which may also broadcast over leading axes)
  and discounted at ``t * cycle_years`` years.
* **Instant rewards** are counted on trace point ``t`` with weight 1 (e.g. a terminal reward for
  survivors at the end of the horizon), discounted at ``t * cycle_years`` years.
* **Transition rewards** ``R[i, j]`` are paid on the flow from ``i`` to ``j`` during cycle ``t``
  (``m[t, i] * P(t)[i, j]``) and discounted to the end of that cycle, ``(t + 1) * cycle_years``.
  **Entry rewards** ``e[j]`` are the common special case, paid on every flow *into* ``j`` from
  another state (an admission cost, a cost or YLL on death), also at the end of the cycle; they
  are computed from the cycle's inflows, without the ``K x K`` products, so prefer them when the
  reward depends on the destination only. :func:`entry_reward` turns an entry vector into the
  equivalent ``R``.

Before a cycle is applied its matrices are checked: every probability in [0, 1] (NaN fails) and
every row summing to 1 within ``TOL``; a failure names the cycle, strategy, state and first bad
sample. Every name-keyed argument is checked too: a ``discount`` or ``reward_weights`` key that is
not a reward, a reward name used twice, ``states``/``strategies`` labels of the wrong length, or a
reward array of the wrong shape is an error naming it, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from model.names import UnknownNameError, check_names, unknown_message

TOL = 1e-9
CORRECTIONS = ("none", "half-cycle", "simpson", "simpson-darth", "beginning", "end")

ArrayOrFn = np.ndarray | float | Callable[[int], np.ndarray]


class MarkovError(ValueError):
    """An invalid transition matrix, initial state, reward or option."""


def rate_to_probability(rate, time=1.0) -> np.ndarray:
    """Probability of at least one event in ``time`` at constant ``rate``: ``1 - exp(-rate t)``."""
    return -np.expm1(-np.asarray(rate, dtype=float) * np.asarray(time, dtype=float))


def probability_to_rate(p, time=1.0) -> np.ndarray:
    """Constant rate giving probability ``p`` over ``time``: ``-ln(1 - p) / t``."""
    return -np.log1p(-np.asarray(p, dtype=float)) / np.asarray(time, dtype=float)


def rescale_probability(p, from_time, to_time) -> np.ndarray:
    """A probability over ``from_time`` converted to ``to_time`` through the constant rate."""
    return rate_to_probability(probability_to_rate(p, from_time), to_time)


def _array_hint(n_cycles: int) -> str:
    return (f"an array of n_cycles + 1 = {n_cycles + 1} weights (one per trace point "
            f"0 .. {n_cycles}) is accepted as well")


def correction_weights(method: str | Sequence[float] | np.ndarray, n_cycles: int) -> np.ndarray:
    """Within-cycle weights on trace points ``0 .. n_cycles`` (a state reward at point ``t`` is
    multiplied by ``w[t]``).

    * ``none``: 1 on every point (DARTH's default before correction);
    * ``half-cycle``: 1/2 on the first and last point, 1 elsewhere (trapezoid; heemod's
      "life-table");
    * ``simpson``: Simpson's 1/3 rule, ``[1, 4, 2, 4, ..., 2, 4, 1] / 3`` (``n_cycles`` must be
      even);
    * ``simpson-darth``: the weights of the DARTH cohort tutorials (``darthtools::gen_wcc(n,
      "Simpson1/3")``, Alarid-Escudero et al. 2023): 1/3 on the first and last point and, from the
      second point, alternately 2/3 and 4/3 (``[1, 2, 4, 2, 4, ..., 1] / 3``), for any number of
      cycles. This is *not* the textbook rule: the 2/3 and 4/3 are swapped on interior points,
      and with an odd number of cycles the weights do not sum to ``n_cycles``. Use it to
      reproduce models built with those tutorials;
    * ``beginning``: 1 on points ``0 .. n-1`` (0 on the last);
    * ``end``: 1 on points ``1 .. n`` (0 on the first).

    An array is used as given: its first axis has ``n_cycles + 1`` entries, further axes broadcast
    against the reward totals."""
    if not isinstance(method, str):
        w = np.asarray(method, dtype=float)
        if w.ndim == 0 or w.shape[0] != n_cycles + 1:
            got = "a scalar" if w.ndim == 0 else f"{w.shape[0]}"
            raise MarkovError(f"correction weights need {n_cycles + 1} entries on axis 0 (one per trace "
                              f"point 0 .. {n_cycles}), got {got}")
        return w
    w = np.ones(n_cycles + 1)
    match method:
        case "none":
            pass
        case "half-cycle":
            w[0] = w[-1] = 0.5
        case "simpson":
            if n_cycles % 2:
                raise MarkovError(
                    f"Simpson's 1/3 rule needs an even number of cycles (got {n_cycles}); use "
                    f"'simpson-darth' (the DARTH tutorials' weights, any number of cycles) or "
                    f"'half-cycle'; {_array_hint(n_cycles)}")
            w[1:-1:2], w[2:-1:2] = 4.0, 2.0
            w /= 3.0
        case "simpson-darth":
            w[1:-1:2], w[2:-1:2] = 2.0, 4.0
            w[0] = w[-1] = 1.0
            w /= 3.0
        case "beginning":
            w[-1] = 0.0
        case "end":
            w[0] = 0.0
        case _:
            raise MarkovError(f"unknown within-cycle correction '{method}': expected one of "
                              f"{', '.join(repr(c) for c in CORRECTIONS)}; {_array_hint(n_cycles)}")
    return w


def entry_reward(per_state) -> np.ndarray:
    """A transition-reward matrix paying ``per_state[j]`` on entering ``j`` from another state."""
    v = np.asarray(per_state, dtype=float)
    k = v.shape[-1]
    return v[..., None, :] * (1.0 - np.eye(k))


class Totals(dict):
    """Reward totals by name; looking up a name that is not a reward lists the rewards."""

    def __missing__(self, key):
        raise UnknownNameError(unknown_message("reward", [key], self))


@dataclass(frozen=True)
class MarkovResult:
    """Discounted totals per reward, shape ``(..., S)``; the trace ``(..., S, n_cycles + 1, K)``
    if it was kept; ``final`` the state vector after the last cycle, ``(..., S, K)``."""

    totals: dict[str, np.ndarray]
    correction: str
    n_cycles: int
    trace: np.ndarray | None = None
    final: np.ndarray | None = None
    notes: dict[str, str] = field(default_factory=dict)


def check_transitions(p: np.ndarray, cycle: int, states: Sequence[str] | None = None,
                      strategies: Sequence[str] | None = None, tol: float = TOL) -> None:
    """Raise :class:`MarkovError` if any probability is outside [0, 1] or not a number, or any
    row does not sum to 1 (within ``tol``), naming the cycle, strategy, state and first bad
    sample. ``p`` has the public layout ``(..., S, K, K)``."""
    p = np.asarray(p, dtype=float)

    def where(mask: np.ndarray, what: str, values: np.ndarray) -> None:
        idx = np.argwhere(mask)[0]
        *lead, s, i = idx[: mask.ndim]
        sname = strategies[s] if strategies is not None and s < len(strategies) else str(s)
        state = states[i] if states is not None else str(i)
        sample = f", leading index {tuple(int(x) for x in lead)}" if lead else ""
        raise MarkovError(f"cycle {cycle}, strategy '{sname}', state '{state}': {what} "
                          f"{values[tuple(idx[: mask.ndim])]:.9g}{sample}")

    if p.ndim < 3:
        p = p.reshape((1,) * (3 - p.ndim) + p.shape)
    bad = ~((p >= -tol) & (p <= 1 + tol))  # NaN is bad too
    if bad.any():
        row_bad = bad.any(axis=-1)
        j = np.argwhere(bad)[0][-1]
        where(row_bad, f"probability to state '{states[j] if states else j}' is",
              np.take(p, j, axis=-1))
    total = p.sum(axis=-1)
    off = ~(np.abs(total - 1.0) <= tol)
    if off.any():
        where(off, "row sums to", total)


class _StatesLast:
    """Kernels in the public layout ``(..., S, K)``, used when one matrix serves every strategy
    (``(..., 1, K, K)`` or ``(K, K)``): each cycle is then one ``(S x K) @ (K x K)`` product per
    sample (or a single product), which BLAS does well."""

    @staticmethod
    def vector(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def matrix(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def public(m: np.ndarray) -> np.ndarray:
        return m

    @staticmethod
    def dot(m: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.einsum("...k,...k->...", m, r)

    @staticmethod
    def step(m: np.ndarray, p: np.ndarray) -> np.ndarray:
        if p.ndim >= 3 and p.shape[-3] == 1 and m.ndim >= 2:
            return m @ p[..., 0, :, :]  # one matrix shared by every strategy: (S, K) @ (K, K)
        if p.ndim == 2:
            return m @ p
        return (m[..., None, :] @ p)[..., 0, :]

    @staticmethod
    def flow(m: np.ndarray, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.einsum("...i,...ij,...ij->...", m, p, r)

    @staticmethod
    def stay(m: np.ndarray, p: np.ndarray) -> np.ndarray:
        return m * np.diagonal(p, axis1=-2, axis2=-1)

    @staticmethod
    def ok(p: np.ndarray, tol: float) -> bool:
        """True when every probability is in [0, 1] and every row sums to 1 (NaN: False)."""
        if not (p.min() >= -tol and p.max() <= 1 + tol):
            return False
        return bool(np.abs(np.einsum("...ij->...i", p) - 1.0).max() <= tol)


class _StatesFirst:
    """Kernels with the state axes first, ``(K, ..., S)`` and ``(K, K, ..., S)``: samples and
    strategies contiguous, so each cycle is a few whole-array operations over all samples at once,
    as in a hand-written draws-last loop. Used when every strategy has its own matrices, where
    the public layout would need one tiny ``(1 x K) @ (K x K)`` product per sample and strategy."""

    @staticmethod
    def vector(x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, -1, 0)

    @staticmethod
    def matrix(x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, (-2, -1), (0, 1))

    @staticmethod
    def public(m: np.ndarray) -> np.ndarray:
        return np.moveaxis(m, 0, -1)

    @staticmethod
    def dot(m: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.einsum("k...,k...->...", m, r)

    @staticmethod
    def step(m: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.einsum("i...,ij...->j...", m, p)

    @staticmethod
    def flow(m: np.ndarray, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.einsum("i...,ij...,ij...->...", m, p, r)

    @staticmethod
    def stay(m: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.einsum("i...,ii...->i...", m, p)

    @staticmethod
    def ok(p: np.ndarray, tol: float) -> bool:
        """True when every probability is in [0, 1] and every row sums to 1 (NaN: False); row sums
        in this layout when it is contiguous, else in the public one."""
        if not (p.min() >= -tol and p.max() <= 1 + tol):
            return False
        rows = p.sum(axis=1) if p.flags.c_contiguous else np.einsum("ij...->i...", p)
        return bool(np.abs(rows - 1.0).max() <= tol)


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
    transitions: ``(..., S, K, K)`` array of per-cycle probabilities, or ``f(cycle) -> array``
        for time-varying models (a constant array is checked once, a function every cycle). A
        function is fastest when it builds each cycle's matrices states first, ``(K, K, ..., S)``
        (writing whole blocks of samples), and returns ``np.moveaxis(p, (0, 1), (-2, -1))``: the
        public layout as a view, which ``simulate`` then uses without a copy.
    n_cycles: number of transitions applied (the trace has ``n_cycles + 1`` points).
    state_rewards: name -> ``(..., S, K)`` reward per cycle in each state (or ``f(cycle)``), e.g.
        cost per cycle, or utility x ``cycle_years`` for QALYs.
    transition_rewards: name -> ``(..., S, K, K)`` reward per transition ``i -> j`` (or ``f(cycle)``).
    entry_rewards: name -> ``(..., S, K)`` reward per entry into each state from another state
        (or ``f(cycle)``).
    instant_rewards: name -> ``(..., S, K)`` counted once on each trace point (or ``f(cycle)``;
        return 0 where nothing is due), with no within-cycle correction.
    reward_weights: name -> array whose first axis has ``n_cycles + 1`` entries: entry ``t``
        multiplies that reward's contribution at trace point ``t`` (state and instant rewards) or
        in cycle ``t`` (transition and entry rewards); further axes broadcast against its totals.
        Use it for masks and cycle-dependent scalars (e.g. sub-cohorts with different horizons,
        YLL by age at death) so the reward arrays themselves stay small.
    correction: within-cycle correction for state rewards: one of ``CORRECTIONS`` or an array of
        ``n_cycles + 1`` weights (see :func:`correction_weights`).
    discount: reward name -> annual discount rate (rewards not named are undiscounted), applied as
        ``(1 + r) ** -(years)``; an array must broadcast against the reward's totals ``(..., S)``
        (per-sample rates of shape ``(n,)`` are passed as ``(n, 1)``). A name that is not a
        reward is an error.
    cycle_years: cycle length in years (one week = 7 / 365.25).
    states, strategies: labels used in error messages (``K`` and ``S`` of them).
    check: check every transition matrix before it is applied.
    keep_trace: keep the whole trace (memory ``n_cycles + 1`` state vectors); otherwise only the
        current state vector is held.

    Returns a :class:`MarkovResult`: ``totals[name]`` of shape ``(..., S)`` (the broadcast of every
    input's leading axes, and of any axes added by discount rates or reward weights).
    """
    m = np.asarray(initial, dtype=float)
    if m.ndim == 0:
        raise MarkovError("initial state distribution must have a state axis (..., S, K)")
    if np.any(m < 0):
        raise MarkovError("initial state distribution has negative entries")
    k_states = m.shape[-1]
    kinds = {"state": dict(state_rewards or {}), "transition": dict(transition_rewards or {}),
             "entry": dict(entry_rewards or {}), "instant": dict(instant_rewards or {})}
    seen: dict[str, str] = {}
    for kind, rewards in kinds.items():
        for name in rewards:
            if name in seen:
                article = {"entry": "an", "instant": "an"}
                raise MarkovError(f"reward '{name}' is given as both {article.get(seen[name], 'a')} {seen[name]} "
                                  f"reward and {article.get(kind, 'a')} {kind} reward: reward names must be unique")
            seen[name] = kind
    names = list(seen)
    discount = dict(discount or {})
    check_names("discount names reward", discount, names, MarkovError)
    rw = {k: np.asarray(v, dtype=float) for k, v in (reward_weights or {}).items()}
    check_names("reward_weights names reward", rw, names, MarkovError)
    bad = [k for k, v in rw.items() if v.ndim == 0 or v.shape[0] != n_cycles + 1]
    if bad:
        raise MarkovError(f"reward_weights {bad} need {n_cycles + 1} entries on axis 0 (one per "
                          f"trace point or cycle 0 .. {n_cycles})")
    if states is not None and len(states) != k_states:
        raise MarkovError(f"{len(states)} state labels {list(states)} for {k_states} states")
    w = correction_weights(correction, n_cycles)
    label = correction if isinstance(correction, str) else "user weights"

    def reward_array(kind: str, name: str, value, t: int) -> np.ndarray:
        """A reward with its shape checked."""
        x = np.asarray(value, dtype=float)
        axes = 2 if kind == "transition" else 1
        want = (k_states,) * axes
        if x.ndim < axes or x.shape[-axes:] != want:
            raise MarkovError(f"{kind} reward '{name}' (cycle {t}) has shape {x.shape}: its last "
                              f"{'two axes' if axes == 2 else 'axis'} must be {want} (the states)")
        return x

    def transition_array(value, t: int) -> np.ndarray:
        p = np.asarray(value, dtype=float)
        if p.ndim < 2 or p.shape[-2:] != (k_states, k_states):
            raise MarkovError(f"transitions (cycle {t}) have shape {p.shape}: the last two axes must be "
                              f"({k_states}, {k_states}) for the {k_states} states of the initial distribution")
        return p

    p0 = transition_array(transitions(0) if callable(transitions) else transitions, 0)
    shape = np.broadcast_shapes(m.shape[:-1], p0.shape[:-2])
    n_strategies = shape[-1] if shape else 1
    if strategies is not None and len(strategies) != n_strategies:
        raise MarkovError(f"{len(strategies)} strategy labels {list(strategies)} for {n_strategies} "
                          f"strategies (axis -2 of the initial distribution and axis -3 of the transitions)")
    shared = p0.ndim == 2 or (p0.shape[-3] == 1 and n_strategies > 1)
    lay = _StatesLast if shared else _StatesFirst

    def laid_out(kind: str, x: np.ndarray, copy: bool) -> np.ndarray:
        """``x`` in the chosen layout; constant inputs are made contiguous there once."""
        y = lay.matrix(x) if kind == "transition" else lay.vector(x)
        return np.ascontiguousarray(y) if copy and lay is _StatesFirst else y

    const = {kind: {k: laid_out(kind, reward_array(kind, k, r, 0), copy=True)
                    for k, r in rewards.items() if not callable(r)}
             for kind, rewards in kinds.items()}

    def reward_at(kind: str, name: str, t: int) -> np.ndarray:
        r = kinds[kind][name]
        return laid_out(kind, reward_array(kind, name, r(t), t), copy=False) if callable(r) else const[kind][name]

    p0_laid = laid_out("transition", p0, copy=not callable(transitions))
    mi = np.ascontiguousarray(lay.vector(m)) if lay is _StatesFirst else m
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

    for t in range(n_cycles + 1):
        for k in kinds["state"]:
            add(k, w[t] * disc(k, t, t), lay.dot(mi, reward_at("state", k, t)))
        for k in kinds["instant"]:
            add(k, disc(k, t, t), lay.dot(mi, reward_at("instant", k, t)))
        if t == n_cycles:
            break
        if t == 0 or not callable(transitions):  # public layout (for messages) and the chosen one
            p, pl = p0, p0_laid
        else:
            p = transition_array(transitions(t), t)
            pl = laid_out("transition", p, copy=False)
        if check and (t == 0 or callable(transitions)) and not lay.ok(pl, tol):
            check_transitions(p, t, states, strategies, tol)
        for k in kinds["transition"]:
            add(k, disc(k, t + 1, t), lay.flow(mi, pl, reward_at("transition", k, t)))
        new = lay.step(mi, pl)
        if kinds["entry"]:
            inflow = new - lay.stay(mi, pl)  # flows into each state from the others
            for k in kinds["entry"]:
                add(k, disc(k, t + 1, t), lay.dot(inflow, reward_at("entry", k, t)))
        mi = new
        if callable(transitions):
            p0 = p0_laid = p = pl = None  # hold one cycle's matrices at a time
        if keep_trace:
            trace.append(lay.public(mi))
    return MarkovResult(
        totals=Totals(totals), correction=label, n_cycles=n_cycles,
        trace=np.stack(np.broadcast_arrays(*trace), axis=-2) if keep_trace else None, final=lay.public(mi),
    )
