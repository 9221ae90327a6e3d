"""Probability distributions of uncertain parameters: fitting, seeded sampling, SALib export.

Conventions (ISPOR-SMDM Task Force 6, Briggs et al. 2012):

* ``beta`` for probabilities and proportions: mean = value; the concentration ``a + b`` is chosen
  so that the 2.5% and 97.5% quantiles come as close as possible to ``low`` and ``high``. An
  optional ``scale`` stretches it to a percentage (100) or a rate per 1,000 (1000), so a bounded
  input stays in its bounds.
* ``lognormal`` for relative risks (and, if asked, costs): median = value,
  ``sigma = (ln high - ln low) / (2 * 1.959964)``.
* ``gamma`` for costs and rates: mean = value; the shape is fitted to the 95% range as for beta.
* ``normal``: mean = value, ``sd = (high - low) / (2 * 1.959964)``.
* ``uniform`` on ``[low, high]`` (the range is the support, so no quantile check); ``fixed`` at
  value.

A fit is checked: each fitted quantile must land within ``QUANTILE_TOLERANCE`` (5%) of its
target, relative to the target (or to the range width when the target is 0). When it cannot, a
:class:`FitWarning` names the parameter and both quantiles.

Sampling is by inversion: each parameter has its own stream of uniforms, keyed by its *name* and
the run seed through :class:`numpy.random.SeedSequence`, generated in fixed blocks of
``BLOCK`` draws. Draw ``i`` of a parameter is therefore the same whether the draws are produced
in one chunk, in many, or in other processes, and adding a parameter does not move the draws of
the others.

Correlated inputs (:class:`Correlation`, stated in the parameter files) are drawn through a
Gaussian copula: each member's own uniforms become normal scores, the scores are mixed by the
Cholesky factor of the stated correlation matrix, and each member's quantile function is applied
to the mixed scores' normal probabilities. Marginals are unchanged; for lognormal marginals this is
exactly a multivariate normal on the logs. Draw ``i`` still depends only on index ``i``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

DISTRIBUTIONS = ("beta", "lognormal", "gamma", "normal", "uniform", "fixed")
PARAMS = {
    "beta": ("a", "b"),
    "lognormal": ("mu", "sigma"),
    "gamma": ("shape", "scale"),
    "normal": ("mean", "sd"),
    "uniform": ("low", "high"),
    "fixed": ("value",),
}
Z975 = float(stats.norm.ppf(0.975))
QUANTILE_TOLERANCE = 0.05
BLOCK = 4096
_U_MIN, _U_MAX = 2.0**-54, 1.0 - 2.0**-53  # inverted uniforms stay strictly inside (0, 1)


class FitWarning(UserWarning):
    """A distribution whose fitted 95% interval misses the stated range."""


class DistributionError(ValueError):
    """A distribution that cannot be built from the numbers given."""


POSITIVE = {"beta": ("a", "b", "scale"), "lognormal": ("sigma",), "gamma": ("shape", "scale"), "normal": ("sd",)}


def _domain_problems(family: str, params: Mapping[str, float]) -> list[str]:
    """Why ``params`` do not define a proper ``family`` distribution (empty when they do): every
    parameter a finite number, scales and shapes positive, a uniform's low below its high.
    Without this, scipy returns NaN draws for, say, ``beta(a=-1)`` and every result is NaN."""
    out = []
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
            out.append(f"{k} must be a number (got {v!r})")
        elif not np.isfinite(v):
            out.append(f"{k} must be a finite number (got {v!r})")
    if out:
        return out
    out += [f"{k} must be > 0 (got {params[k]:g})" for k in POSITIVE.get(family, ()) if k in params and params[k] <= 0]
    if family == "uniform" and not params["low"] < params["high"]:
        out.append(f"low must be below high (got {params['low']:g} and {params['high']:g})")
    return out


@dataclass(frozen=True)
class Distribution:
    """A named distribution with its parameters (see ``PARAMS`` for the names per family)."""

    family: str
    params: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.family not in DISTRIBUTIONS:
            raise DistributionError(
                f"unknown distribution '{self.family}' (expected one of {', '.join(DISTRIBUTIONS)})"
            )
        expected = set(PARAMS[self.family])
        if self.family == "beta" and "scale" in self.params:
            expected = expected | {"scale"}
        if set(self.params) != expected:
            raise DistributionError(
                f"{self.family} needs parameters {sorted(expected)}, got {sorted(self.params)}"
            )
        bad = _domain_problems(self.family, self.params)
        if bad:
            raise DistributionError(f"{self.family}({', '.join(f'{k}={v!r}' for k, v in self.params.items())}): "
                                    + "; ".join(bad))

    def _frozen(self):
        p = self.params
        match self.family:
            case "beta":
                return stats.beta(p["a"], p["b"], scale=p.get("scale", 1.0))
            case "lognormal":
                return stats.lognorm(s=p["sigma"], scale=np.exp(p["mu"]))
            case "gamma":
                return stats.gamma(p["shape"], scale=p["scale"])
            case "normal":
                return stats.norm(p["mean"], p["sd"])
            case "uniform":
                return stats.uniform(p["low"], p["high"] - p["low"])
        return None

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function applied to uniforms ``u`` in (0, 1); same shape as ``u``."""
        u = np.asarray(u, dtype=float)
        p = self.params
        match self.family:
            case "fixed":
                return np.full(u.shape, float(p["value"]))
            case "lognormal":
                return np.exp(p["mu"] + p["sigma"] * special.ndtri(u))
            case "normal":
                return p["mean"] + p["sd"] * special.ndtri(u)
            case "beta":
                return special.betaincinv(p["a"], p["b"], u) * p.get("scale", 1.0)
            case "gamma":
                return special.gammaincinv(p["shape"], u) * p["scale"]
        return p["low"] + (p["high"] - p["low"]) * u

    def extremes(self) -> tuple[float, float]:
        """The smallest and largest values sampling can draw (the quantiles of the most extreme
        uniforms :func:`uniforms` produces)."""
        with np.errstate(over="ignore", under="ignore"):
            lo, hi = self.ppf(np.array([_U_MIN, _U_MAX]))
        return float(lo), float(hi)

    def mean(self) -> float:
        """Expected value."""
        if self.family == "fixed":
            return float(self.params["value"])
        return float(self._frozen().mean())

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Central interval holding ``level`` of the mass."""
        if self.family == "fixed":
            v = float(self.params["value"])
            return v, v
        lo, hi = self._frozen().interval(level)
        return float(lo), float(hi)

    def scaled(self, factor: float) -> Distribution:
        """The distribution of ``factor * X`` for ``factor > 0`` (used for price-year conversion)."""
        p = dict(self.params)
        match self.family:
            case "lognormal":
                p["mu"] += float(np.log(factor))
            case "gamma":
                p["scale"] *= factor
            case "normal":
                p["mean"] *= factor
                p["sd"] *= factor
            case "uniform":
                p["low"] *= factor
                p["high"] *= factor
            case "fixed":
                p["value"] *= factor
            case "beta":
                raise DistributionError("a beta distribution (a bounded proportion) cannot be rescaled")
        return Distribution(self.family, p)

    def describe(self) -> str:
        """Short text such as ``beta(a=12.3, b=45.6)``."""
        inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{self.family}({inner})"


def _misses(fitted: tuple[float, float], low: float, high: float) -> list[str]:
    """Which fitted quantiles fall outside the tolerance around ``low`` and ``high``."""
    width = high - low
    out = []
    for name, q, target in (("2.5%", fitted[0], low), ("97.5%", fitted[1], high)):
        scale = abs(target) if target != 0 else width
        if abs(q - target) > QUANTILE_TOLERANCE * scale:
            out.append(f"{name} quantile {q:.4g} vs {target:.4g}")
    return out


def _fit_concentration(make, low: float, high: float, lo_bound: float, hi_bound: float):
    """Find the one free parameter of ``make(x)`` whose 95% interval best matches [low, high]."""
    width = high - low

    def loss(log_x: float) -> float:
        q_lo, q_hi = make(np.exp(log_x)).interval(0.95)
        return ((q_lo - low) / width) ** 2 + ((q_hi - high) / width) ** 2

    res = optimize.minimize_scalar(
        loss, bounds=(np.log(lo_bound), np.log(hi_bound)), method="bounded",
        options={"xatol": 1e-10},
    )
    return make(float(np.exp(res.x)))


def fit(family: str, value: float, low: float | None = None, high: float | None = None,
        *, label: str = "parameter", scale: float = 1.0) -> Distribution:
    """Fit ``family`` to a point estimate ``value`` and a 95% range ``[low, high]``.

    ``scale`` (beta only): the numbers are on ``[0, scale]`` (100 for a percentage), and the
    fitted beta carries the scale.

    Raises :class:`DistributionError` when the family cannot hold the numbers (for example a beta
    for a value outside (0, 1)); warns with :class:`FitWarning` when the fitted 2.5% and 97.5%
    quantiles miss ``low`` and ``high`` by more than 5%. Fits are cached (they are pure).
    """
    if scale != 1.0:
        if family != "beta":
            raise DistributionError(f"only a beta distribution takes a scale (got {family})")
        shares = (None if x is None else float(x) / scale for x in (value, low, high))
        dist, _ = _fit(family, *shares)
        dist = Distribution("beta", {**dist.params, "scale": float(scale)})
        misses = tuple(_misses(dist.interval(0.95), float(low), float(high)))
    else:
        dist, misses = _fit(family, float(value), None if low is None else float(low),
                            None if high is None else float(high))
    if misses:
        warnings.warn(
            f"{label}: {dist.describe()} cannot match the stated 95% range within "
            f"{QUANTILE_TOLERANCE:.0%}: " + "; ".join(misses),
            FitWarning,
            stacklevel=2,
        )
    return dist


@functools.lru_cache(maxsize=4096)
def _fit(family: str, value: float, low: float | None, high: float | None
         ) -> tuple[Distribution, tuple[str, ...]]:
    if family not in DISTRIBUTIONS:
        raise DistributionError(
            f"unknown distribution '{family}' (expected one of {', '.join(DISTRIBUTIONS)})"
        )
    if family == "fixed":
        return Distribution("fixed", {"value": float(value)}), ()
    if low is None or high is None or not low < high:
        raise DistributionError(f"{family} needs low < high (got low={low}, high={high})")
    match family:
        case "beta":
            if not 0 < value < 1:
                raise DistributionError(f"beta needs 0 < value < 1 (got {value})")

            def make(k: float) -> Distribution:
                return Distribution("beta", {"a": value * k, "b": (1 - value) * k})

            dist = _fit_concentration(make, low, high, 1e-2, 1e9)
        case "gamma":
            if value <= 0:
                raise DistributionError(f"gamma needs value > 0 (got {value})")

            def make(k: float) -> Distribution:
                return Distribution("gamma", {"shape": k, "scale": value / k})

            dist = _fit_concentration(make, low, high, 1e-2, 1e9)
        case "lognormal":
            if low <= 0 or value <= 0:
                raise DistributionError(f"lognormal needs value > 0 and low > 0 (got {low})")
            sigma = (np.log(high) - np.log(low)) / (2 * Z975)
            dist = Distribution("lognormal", {"mu": float(np.log(value)), "sigma": float(sigma)})
        case "normal":
            dist = Distribution("normal", {"mean": float(value), "sd": (high - low) / (2 * Z975)})
        case _:  # uniform: low and high are the support, not 95% quantiles; nothing to check
            return Distribution("uniform", {"low": float(low), "high": float(high)}), ()
    return dist, tuple(_misses(dist.interval(0.95), low, high))


def _stream_key(name: str) -> tuple[int, ...]:
    """A stable 128-bit key for a parameter name (same in every process and Python version)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:16]
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def uniforms(seed: int, name: str, start: int, stop: int) -> np.ndarray:
    """Uniforms in (0, 1) for draws ``start .. stop-1`` of parameter ``name`` under ``seed``."""
    if not 0 <= start <= stop:
        raise ValueError(f"need 0 <= start <= stop (got {start}, {stop})")
    if start == stop:
        return np.empty(0)
    key = _stream_key(name)
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [
        np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(*key, b)))
        ).random(BLOCK)
        for b in range(first, last + 1)
    ]
    u = np.concatenate(blocks)[start - first * BLOCK : stop - first * BLOCK]
    return np.minimum(u + _U_MIN, _U_MAX)


THREADED_FROM = 20_000  # draws; below this, threads cost more than they save


@dataclass(frozen=True)
class Correlation:
    """Inputs drawn together: ``names`` (in the order of ``matrix``) and their correlation
    matrix on the normal-score scale (symmetric, unit diagonal, positive definite)."""

    names: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=float)
        k = len(self.names)
        if len(set(self.names)) != k or k < 2:
            raise DistributionError(f"a correlation needs two or more distinct names (got {list(self.names)})")
        if m.shape != (k, k):
            raise DistributionError(f"the correlation matrix must be {k} x {k} for {list(self.names)}, "
                                    f"got shape {m.shape}")
        if not np.all(np.isfinite(m)) or not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1.0):
            raise DistributionError("the correlation matrix must be finite, symmetric and have 1 on the diagonal")
        if np.any(np.abs(m) > 1):
            raise DistributionError("correlations must lie in [-1, 1]")
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            raise DistributionError(f"the correlation matrix of {list(self.names)} is not positive definite") from None

    @property
    def cholesky(self) -> np.ndarray:
        return np.linalg.cholesky(np.asarray(self.matrix, dtype=float))


def correlated_uniforms(corr: Correlation, seed: int, start: int, stop: int, tag: str = "") -> dict[str, np.ndarray]:
    """Uniforms of every member of ``corr`` for draws ``start .. stop-1``, mixed through the
    Gaussian copula (each member's own stream, keyed by its name and ``tag``)."""
    z = np.stack([special.ndtri(uniforms(seed, name + tag, start, stop)) for name in corr.names], axis=-1)
    mixed = z @ corr.cholesky.T
    u = np.clip(special.ndtr(mixed), _U_MIN, _U_MAX)
    return {name: u[:, j] for j, name in enumerate(corr.names)}


def sample(dists: Mapping[str, Distribution], n: int, seed: int, start: int = 0,
           threads: int | None = None, correlations: Sequence[Correlation] = (),
           tag: str = "") -> dict[str, np.ndarray]:
    """Draws ``start .. start+n-1`` of every distribution, as arrays of shape ``(n,)``.

    Parameters are drawn independently unless a :class:`Correlation` names them; then the whole
    group's normal scores are mixed (from every member's own stream, asked for or not, so a
    member's draws do not depend on which others are requested). ``tag`` selects an
    alternative stream per name (used to redraw inconsistent draws). Large samples are spread over
    ``threads`` (default: the number of CPUs) with identical results."""
    grouped: dict[str, np.ndarray] = {}
    for corr in correlations:
        if not any(name in dists for name in corr.names):
            continue
        for name, u in correlated_uniforms(corr, seed, start, start + n, tag).items():
            if name in dists:
                grouped[name] = u

    def one(item: tuple[str, Distribution]) -> tuple[str, np.ndarray]:
        name, d = item
        if d.family == "fixed":
            return name, np.full(n, float(d.params["value"]))
        u = grouped[name] if name in grouped else uniforms(seed, name + tag, start, start + n)
        return name, d.ppf(u)

    threads = threads or os.cpu_count() or 1
    if threads > 1 and n >= THREADED_FROM:
        with ThreadPoolExecutor(threads) as pool:
            return dict(pool.map(one, dists.items()))
    return dict(map(one, dists.items()))


def salib_problem(names: Sequence[str], groups: Mapping[str, Sequence[str]] | None = None
                  ) -> dict:
    """A SALib problem over the unit cube: map its samples with :func:`from_unit_cube`.

    SALib has no beta or gamma sampler, so every input is sampled as U(0, 1) and pushed through
    the parameter's own quantile function. ``groups`` maps a group name to parameter names that
    move together (each name in at most one group; ungrouped names form their own group).
    """
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    if groups:
        owner: dict[str, str] = {}
        for group, members in groups.items():
            for m in members:
                if m not in names:
                    raise KeyError(f"group '{group}' names unknown parameter '{m}'")
                if m in owner:
                    raise ValueError(f"parameter '{m}' is in groups '{owner[m]}' and '{group}'")
                owner[m] = group
        problem["groups"] = [owner.get(n, n) for n in names]
    return problem


def from_unit_cube(dists: Mapping[str, Distribution], names: Sequence[str], u: np.ndarray
                   ) -> dict[str, np.ndarray]:
    """Map a SALib sample ``u`` (rows = runs, columns = ``names``) to parameter values."""
    u = np.clip(np.asarray(u, dtype=float), _U_MIN, _U_MAX)
    if u.ndim != 2 or u.shape[1] != len(names):
        raise ValueError(f"expected a (runs, {len(names)}) matrix, got shape {u.shape}")
    return {name: dists[name].ppf(u[:, j]) for j, name in enumerate(names)}
