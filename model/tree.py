"""A generic decision-tree evaluator, vectorised over a leading sample axis.

A tree is data: a :class:`Decision` at the root whose options lead to :class:`Chance` and
:class:`Terminal` nodes. Branch probabilities and payoffs are *values*: a number, the name of a
key in the parameter mapping (looked up, never evaluated), :data:`REST` (one minus the other
branches of the node), or a function of the mapping returning an array. Payoffs (costs, deaths,
DALYs, ...) may sit on any node and add up along each path, as in TreeAge.

Every value broadcasts over the sample axis, so one evaluation serves the base case (0-d arrays),
a one-way sensitivity table, or 100,000 PSA draws. Before payoffs are summed, every chance node is
checked for every sample: branch probabilities in [0, 1] and summing to 1 (tolerance ``TOL``).
Names are checked too: a parameter name the mapping lacks (given as a value, or looked up by a
function value) is an error naming the node and listing the parameters; ``evaluate(...,
payoffs=[...])`` declares the payoff names, so a misspelt payoff on one node is an error instead of
a new column; asking a result for a payoff it does not have lists the ones it has.

A two-strategy screening tree in a dozen lines::

    from model.tree import Chance, Decision, Terminal, REST, evaluate

    def outcome(p_detect):
        return Chance("disease", [
            ("sick", "prevalence", Chance("found", [
                ("yes", p_detect, Terminal("treated", cost=500, dalys=0.2)),
                ("no", REST, Terminal("missed", cost=0, dalys=1.0))])),
            ("well", REST, Terminal("healthy", cost=0, dalys=0.0))])

    tree = Decision("screen?", [
        ("no screening", outcome(0.0)),
        ("screening", Chance("test", [("tested", 1.0, outcome("sensitivity"))], cost="test_cost")),
    ])
    result = evaluate(tree, {"prevalence": 0.1, "sensitivity": 0.9, "test_cost": 20})
    result.expected  # DataFrame: rows = strategies, columns = payoffs
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from model.names import UnknownNameError, check_names, known_list, unknown_message

TOL = 1e-9
REST = "#"  # a branch probability equal to one minus the node's other branches

Value = float | int | str | Callable[[Mapping[str, Any]], Any]


class TreeError(ValueError):
    """A tree whose probabilities are invalid for some sample, or whose structure is wrong."""


class UnknownParameterError(TreeError, KeyError):
    """A parameter name the mapping lacks (a ``KeyError`` too, so ``mapping.get`` still works)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class Terminal:
    """An end of a path, with payoffs accrued there (keyword arguments: name -> value)."""

    name: str
    payoffs: dict[str, Value] = field(default_factory=dict)

    def __init__(self, name: str, **payoffs: Value):
        self.name, self.payoffs = name, payoffs


@dataclass
class Chance:
    """A chance node: branches of (label, probability, child); payoffs accrue on reaching it."""

    name: str
    branches: list[tuple[str, Value, Node]]
    payoffs: dict[str, Value] = field(default_factory=dict)

    def __init__(self, name: str, branches: Sequence[tuple[str, Value, Node]], **payoffs: Value):
        self.name, self.branches, self.payoffs = name, list(branches), payoffs
        rests = sum(1 for _, p, _ in self.branches if isinstance(p, str) and p == REST)
        if rests > 1:
            raise TreeError(f"chance node '{name}': at most one branch may use REST")
        if not self.branches:
            raise TreeError(f"chance node '{name}' has no branches")


@dataclass
class Decision:
    """The root decision: options of (strategy label, subtree)."""

    name: str
    options: list[tuple[str, Node]]

    def __init__(self, name: str, options: Sequence[tuple[str, Node]]):
        self.name, self.options = name, list(options)
        labels = [label for label, _ in self.options]
        if len(set(labels)) != len(labels):
            raise TreeError(f"decision '{name}' has repeated strategy labels: {labels}")


Node = Terminal | Chance


class _Checked(Mapping):
    """The parameter mapping as a function value sees it: a missing name is an error naming the
    node and listing the parameters."""

    def __init__(self, params: Mapping[str, Any], where: str):
        self._params, self._where = params, where

    def __getitem__(self, key: str) -> Any:
        try:
            return self._params[key]
        except KeyError:
            raise UnknownParameterError(f"{self._where}: no parameter named '{key}'; "
                                        f"{known_list(self._params, [key])}") from None

    def __iter__(self):
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def _value(v: Value, params: Mapping[str, Any], where: str) -> np.ndarray:
    if callable(v):
        return np.asarray(v(_Checked(params, where)), dtype=float)
    if isinstance(v, str):
        if v not in params:
            raise UnknownParameterError(f"{where}: no parameter named '{v}'; {known_list(params, [v])}")
        return np.asarray(params[v], dtype=float)
    return np.asarray(v, dtype=float)


@dataclass(frozen=True)
class TreeResult:
    """Path probabilities and expected payoffs of an evaluated tree.

    ``paths`` has one row per terminal path: strategy, path (labels joined by ' > '), terminal.
    ``probability[i]`` is the array (over the sample axis) of path ``i``'s probability;
    ``path_payoff[name][i]`` is the sample mean of the payoff accrued along path ``i``;
    ``expected_payoff[name]`` has shape ``(*sample_shape, n_strategies)``.
    """

    paths: pd.DataFrame
    probability: list[np.ndarray]
    path_payoff: dict[str, list[float]]
    expected_payoff: dict[str, np.ndarray]
    strategies: list[str]

    def expected(self, payoff: str) -> np.ndarray:
        """Expected ``payoff`` per strategy: array of shape ``(*sample_shape, n_strategies)``; a
        payoff the tree does not have is an error listing the ones it has."""
        if payoff not in self.expected_payoff:
            raise UnknownNameError(unknown_message("payoff", [payoff], self.expected_payoff))
        return self.expected_payoff[payoff]

    @property
    def table(self) -> pd.DataFrame:
        """Expected payoffs per strategy (sample means), strategies as rows."""
        n = len(self.strategies)
        data = {k: v.reshape(-1, n).mean(axis=0) for k, v in self.expected_payoff.items()}
        return pd.DataFrame(data, index=pd.Index(self.strategies, name="strategy"))

    def pathways(self) -> pd.DataFrame:
        """One row per path with its probability and payoffs (sample means if sampled)."""
        out = self.paths.copy()
        out["probability"] = [float(np.mean(p)) for p in self.probability]
        for k, vals in self.path_payoff.items():
            out[k] = vals
        return out


def _payoff_names(node: Node | Decision, acc: set[str]) -> set[str]:
    if isinstance(node, Decision):
        for _, child in node.options:
            _payoff_names(child, acc)
    else:
        acc.update(node.payoffs)
        if isinstance(node, Chance):
            for _, _, child in node.branches:
                _payoff_names(child, acc)
    return acc


def _check_payoffs(tree: Decision, declared: Sequence[str]) -> None:
    """Raise if any node carries a payoff that is not ``declared``, naming the node."""

    def walk(node: Node, strategy: str) -> None:
        where = f"strategy '{strategy}', node '{node.name}'"
        check_names(f"{where}: payoff", node.payoffs, declared, TreeError)
        if isinstance(node, Chance):
            for _, _, child in node.branches:
                walk(child, strategy)

    for label, child in tree.options:
        walk(child, label)


def evaluate(tree: Decision, params: Mapping[str, Any], *, payoffs: Sequence[str] | None = None) -> TreeResult:
    """Roll the tree out for every sample: path probabilities, expected payoffs, and checks.

    ``payoffs``, if given, lists the payoff names the tree may use: a node with any other payoff
    (a misspelt ``costs`` on one terminal) is an error naming the node, instead of a payoff column
    of its own. Expected payoffs are accumulated path by path, so memory holds one probability
    array per path, not one array per path and payoff."""
    if payoffs is not None:
        _check_payoffs(tree, payoffs)
    names = sorted(_payoff_names(tree, set()))
    rows: list[dict] = []
    probs: list[np.ndarray] = []
    path_pay: dict[str, list[float]] = {k: [] for k in names}
    expected: dict[str, dict[str, np.ndarray]] = {}

    def walk(node: Node, strategy: str, labels: list[str], prob: np.ndarray,
             acc: dict[str, np.ndarray]) -> None:
        where = f"strategy '{strategy}', node '{node.name}'"
        acc = dict(acc)
        for k, v in node.payoffs.items():
            acc[k] = acc[k] + _value(v, params, where)
        if isinstance(node, Terminal):
            rows.append({"strategy": strategy, "path": " > ".join(labels), "terminal": node.name})
            probs.append(prob)
            exp = expected[strategy]
            for k in names:
                path_pay[k].append(float(np.mean(acc[k])))
                exp[k] = exp[k] + prob * acc[k]
            return
        given = [(lab, p) for lab, p, _ in node.branches if not (isinstance(p, str) and p == REST)]
        values = {lab: _value(p, params, f"{where}, branch '{lab}'") for lab, p in given}
        total = sum(values.values()) if values else np.asarray(0.0)
        for lab, p, _ in node.branches:
            if isinstance(p, str) and p == REST:
                values[lab] = 1.0 - total
        _check(values, where)
        for lab, _, child in node.branches:
            walk(child, strategy, [*labels, lab], prob * values[lab], acc)

    zero = {k: np.asarray(0.0) for k in names}
    strategies = [label for label, _ in tree.options]
    for label, child in tree.options:
        expected[label] = dict(zero)
        walk(child, label, [label], np.asarray(1.0), zero)
    stacked = {k: np.stack(np.broadcast_arrays(*[expected[s][k] for s in strategies]), axis=-1)
               for k in names}
    return TreeResult(pd.DataFrame(rows), probs, path_pay, stacked, strategies)


def _check(values: Mapping[str, np.ndarray], where: str) -> None:
    for lab, v in values.items():
        bad = ~((v >= -TOL) & (v <= 1 + TOL))
        if np.any(bad):
            i = np.flatnonzero(np.broadcast_to(bad, np.shape(bad)).ravel())[0]
            got = np.broadcast_to(v, np.shape(bad)).ravel()[i]
            raise TreeError(f"{where}: probability of branch '{lab}' is {got:.6g}, outside [0, 1] "
                            f"(first bad sample: {i})")
    total = sum(np.asarray(v) for v in values.values())
    off = np.abs(total - 1.0) > TOL
    if np.any(off):
        i = np.flatnonzero(np.asarray(off).ravel())[0]
        raise TreeError(f"{where}: branch probabilities sum to {np.asarray(total).ravel()[i]:.9g}, "
                        f"not 1 (first bad sample: {i})")


def mermaid(tree: Decision, max_depth: int | None = None,
            describe: Callable[[Value], str | None] | None = None) -> str:
    """The tree as a Mermaid flowchart (JupyterLab renders it in a Markdown cell or output).

    Decision nodes are squares, chance nodes circles, terminals flags; edges carry the branch
    label and its probability (a parameter name, a number, REST shown as '#', or 'f(...)').
    ``describe`` may turn a probability into words (e.g. a parameter name into its value as a
    percentage); where it returns ``None`` the default text is used."""
    lines = ["flowchart LR"]
    counter = [0]

    def nid() -> str:
        counter[0] += 1
        return f"n{counter[0]}"

    def text(p: Value) -> str:
        if describe is not None and (said := describe(p)) is not None:
            return said
        if callable(p):
            return "f(params)"
        return str(p)

    def esc(s: str) -> str:
        return s.replace('"', "'")

    def draw(node: Node, depth: int) -> str:
        me = nid()
        if isinstance(node, Terminal):
            lines.append(f'    {me}>"{esc(node.name)}"]')
            return me
        lines.append(f'    {me}(("{esc(node.name)}"))')
        if max_depth is not None and depth >= max_depth:
            return me
        for lab, p, child in node.branches:
            c = draw(child, depth + 1)
            lines.append(f'    {me} -->|"{esc(lab)}: {esc(text(p))}"| {c}')
        return me

    root = nid()
    lines.append(f'    {root}["{esc(tree.name)}"]')
    for label, child in tree.options:
        c = draw(child, 1)
        lines.append(f'    {root} -->|"{esc(label)}"| {c}')
    return "\n".join(lines)


def mermaid_markdown(tree: Decision, max_depth: int | None = None,
                     describe: Callable[[Value], str | None] | None = None) -> str:
    """:func:`mermaid` wrapped in a fenced block, for ``IPython.display.Markdown``."""
    return f"```mermaid\n{mermaid(tree, max_depth, describe)}\n```"
