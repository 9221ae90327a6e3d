"""One tidy outcomes type for every model: per strategy, per sample, with its population.

``outcomes[name]`` has shape ``(*samples, S)`` (``S`` = ``len(strategies)``, samples may be absent
for a base case) and is *per unit* of the model (per pregnancy reached, per identified infant);
``population`` is the number of such units in the country in one year (same sample shape), used
for national totals. The antenatal, infant and continuum results extend this class with what is
particular to them; the reporting layer reads only this interface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcomes:
    """Per-unit outcomes by strategy and sample, and the country's annual number of units."""

    outcomes: dict[str, np.ndarray]
    strategies: tuple[str, ...]
    population: np.ndarray

    def _flat(self, name: str, scale=1.0) -> np.ndarray:
        return (np.asarray(self.outcomes[name]) * scale).reshape(-1, len(self.strategies))

    def summary(self, scale: float | np.ndarray = 1.0) -> pd.DataFrame:
        """Mean outcomes per strategy (rows) times ``scale`` (e.g. 100,000 units)."""
        data = {k: self._flat(k, scale).mean(axis=0) for k in self.outcomes}
        return pd.DataFrame(data, index=pd.Index(list(self.strategies), name="strategy"))

    def national(self) -> pd.DataFrame:
        """Mean outcomes for the country's units in one year (outcome x population, per sample)."""
        return self.summary(np.asarray(self.population)[..., None])

    def long(self) -> pd.DataFrame:
        """Tidy per-sample outcomes: columns sample, strategy, and one per outcome."""
        n = len(self.strategies)
        flat = {k: self._flat(k) for k in self.outcomes}
        m = next(iter(flat.values())).shape[0]
        frame = {"sample": np.repeat(np.arange(m), n), "strategy": np.tile(list(self.strategies), m)}
        frame.update({k: v.ravel() for k, v in flat.items()})
        return pd.DataFrame(frame)
