"""Matplotlib figures, saved as PNG and SVG with atomic writes. Greyscale-readable: strategies
differ by marker as well as colour, threshold lines by dash pattern. Text is never parsed as
mathematics, so 'US$327 per DALY' keeps its dollar signs. Fonts are sized for a figure printed a
third to a half of an A4 page wide (the brief's PDF)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model.io import write_atomic  # noqa: E402
from model.timing import timed  # noqa: E402

# svg.hashsalt: the SVG's element ids are hashes of their content with this salt, not of a random
# one, so the same figure gives the same bytes in every run (with no date in its metadata, below)
matplotlib.rcParams.update({"text.parse_math": False, "font.size": 11, "axes.titlesize": 12,
                            "axes.labelsize": 11, "legend.fontsize": 10, "xtick.labelsize": 10,
                            "ytick.labelsize": 10, "svg.hashsalt": "cea-workbook"})
# no creation date in a file: a figure is a result, and the same inputs give the same bytes
NO_DATE = {"png": None, "svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
# one dash pattern per threshold line, none of them the ellipses' solid line or each other's
THRESHOLD_STYLES = ((0, (6, 3)), (0, (1, 2)), (0, (8, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (12, 4)))


@timed("figures")
def save(fig, stem: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` (or ``formats``) atomically, without a date in their
    metadata (byte-identical across runs); close the figure."""
    stem = Path(stem)
    out = []
    for ext in formats:
        out.append(write_atomic(stem.with_suffix(f".{ext}"),
                                lambda p, e=ext: fig.savefig(p, format=e, dpi=150, bbox_inches="tight",
                                                             metadata=NO_DATE.get(e))))
    plt.close(fig)
    return out


def _ellipse(ax, x: np.ndarray, y: np.ndarray, colour, level: float = 0.95) -> None:
    """The ``level`` covariance ellipse of a PSA cloud (bivariate normal approximation)."""
    from matplotlib.patches import Ellipse
    from scipy.stats import chi2

    cov = np.cov(x, y)
    if not np.all(np.isfinite(cov)) or np.linalg.det(cov) <= 0:
        return
    vals, vecs = np.linalg.eigh(cov)
    scale = np.sqrt(chi2.ppf(level, 2))
    angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
    ax.add_patch(Ellipse((x.mean(), y.mean()), 2 * scale * np.sqrt(vals[-1]), 2 * scale * np.sqrt(vals[0]),
                         angle=angle, fill=False, edgecolor=colour, lw=1.2, ls="-"))


def ce_plane(strategies: Sequence[str], cost: np.ndarray, dalys: np.ndarray, reference: int = 0,
             thresholds: dict[str, float] | None = None, title: str = "", unit: str = "per pregnancy"):
    """Cost-effectiveness plane: incremental DALYs averted (x) vs incremental cost (y) against
    ``reference``. ``cost`` and ``dalys`` are ``(strategies,)`` (base case) or
    ``(samples, strategies)`` (a PSA cloud, with the means drawn larger and 95% covariance
    ellipses). Threshold lines optional, each with its own dash pattern; the legend sits under the
    plot so it stays readable when the figure is printed small."""
    cost, dalys = np.atleast_2d(cost), np.atleast_2d(dalys)
    d_cost = cost - cost[:, [reference]]
    d_eff = dalys[:, [reference]] - dalys
    fig, ax = plt.subplots(figsize=(6, 5.6))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, name in enumerate(strategies):
        if j == reference:
            continue
        m, col = MARKERS[j % len(MARKERS)], colours[j % len(colours)]
        if d_cost.shape[0] > 1:
            ax.scatter(d_eff[:, j], d_cost[:, j], s=4, alpha=0.2, marker=m, color=col, label=None)
        ax.scatter(d_eff[:, j].mean(), d_cost[:, j].mean(), s=90, marker=m, color=col, edgecolor="black",
                   label=f"{name} (mean)")
        if d_cost.shape[0] > 2:
            _ellipse(ax, d_eff[:, j], d_cost[:, j], col)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    if thresholds:
        x, y = np.array(ax.get_xlim()), np.array(ax.get_ylim())
        for (label, lam), ls in zip(thresholds.items(), THRESHOLD_STYLES, strict=False):
            ax.plot(x, lam * x, color="black", lw=1.1, ls=ls, label=f"{label}: US${lam:,.0f}")
        ax.set_xlim(*x)
        ax.set_ylim(*y)
    ax.set_xlabel(f"DALYs averted {unit}, against {strategies[reference]}")
    ax.set_ylabel(f"incremental cost (US$) {unit}")
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize=9.5,
              title="strategy means; thresholds in US$ per DALY averted", title_fontsize=9.5)
    fig.tight_layout()
    return fig


def trace(trace: np.ndarray, strategies: Sequence[str], states: Sequence[str], start_week: int = 0):
    """Markov trace per strategy: ``trace`` is ``(strategies, points, states)``; one panel each,
    a line per state (different line styles for greyscale)."""
    styles = ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 1)), (0, (3, 1, 1, 1)), (0, (5, 3)))
    fig, axes = plt.subplots(1, len(strategies), figsize=(5 * len(strategies), 4), sharey=True)
    weeks = start_week + np.arange(trace.shape[1])
    for ax, name, tr in zip(np.atleast_1d(axes), strategies, trace, strict=True):
        for k, state in enumerate(states):
            ax.plot(weeks, tr[:, k], ls=styles[k % len(styles)], label=state)
        ax.set_title(name)
        ax.set_xlabel("age (weeks)")
    np.atleast_1d(axes)[0].set_ylabel("share of the cohort")
    np.atleast_1d(axes)[-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def survival(frame, title: str = ""):
    """Share alive by age (weeks), one panel per risk class, a line per strategy (line styles for
    greyscale; strategies with identical curves share one line, labelled ``a = b``); ``frame`` has
    columns age_weeks, risk, strategy, alive (``model.infant.survival``)."""
    styles = ("-", "--", ":", "-.")
    risks = list(dict.fromkeys(frame["risk"]))
    order = list(dict.fromkeys(frame["strategy"]))
    fig, axes = plt.subplots(1, len(risks), figsize=(5 * len(risks), 4))
    for ax, risk in zip(np.atleast_1d(axes), risks, strict=True):
        sub = frame[frame["risk"] == risk]
        lines: list[tuple[list[str], object]] = []
        for name in order:
            g = sub[sub["strategy"] == name]
            same = next((names for names, other in lines if np.allclose(other["alive"], g["alive"], rtol=0,
                                                                        atol=1e-12)), None)
            if same is None:
                lines.append(([name], g))
            else:
                same.append(name)
        for k, (names, g) in enumerate(lines):
            ax.plot(g["age_weeks"], 100 * g["alive"], ls=styles[k % len(styles)], color="black",
                    label=" = ".join(names))
        ax.set_title(f"{risk}-risk infants")
        ax.set_xlabel("age (weeks)")
        ax.set_ylabel("alive (% of those identified)")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def tornado(table, value: str = "inmb", top: int = 12, title: str = "",
            labels: dict[str, str] | None = None, xlabel: str | None = None):
    """Tornado diagram from :func:`model.uncertainty.one_way`: bars from the low-input to the
    high-input result around the base case, largest swing on top (hatched bar = high input).
    Rows read ``labels[name]`` (a parameter's human label) with its low and high value; inputs
    that move nothing are left out."""
    t = table[table[f"{value}_low"] != table[f"{value}_high"]].head(top).iloc[::-1]
    base = float(table[f"{value}_base"].iloc[0])
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(t) + 1.6))
    y = np.arange(len(t))
    ax.barh(y, t[f"{value}_low"] - base, left=base, color="0.75", edgecolor="black", label="input at low")
    ax.barh(y, t[f"{value}_high"] - base, left=base, color="white", edgecolor="black", hatch="//",
            label="input at high")
    ax.axvline(base, color="black", lw=0.8)
    names = [(labels or {}).get(k, k) for k in t.index]
    ax.set_yticks(y, [f"{n} ({lo:.3g} to {hi:.3g})" for n, lo, hi in zip(names, t["low"], t["high"], strict=True)])
    ax.set_xlabel(xlabel or value.replace("_", " "))
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def curves(frame, ylabel: str, title: str = "", xlabel: str = "threshold (US$ per DALY averted)",
           marker: tuple[str, float] | None = None, probability: bool = False):
    """One line per column of ``frame`` against its index (CEACs, expected loss, EVPI ...).
    ``marker`` = (label, x) draws the decision threshold as a broad grey vertical line (unlike any
    curve); ``probability`` fixes the vertical axis to 0-1."""
    styles = ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 1)))
    fig, ax = plt.subplots(figsize=(6, 4.4))
    for k, col in enumerate(frame.columns):
        ax.plot(frame.index, frame[col], ls=styles[k % len(styles)], lw=1.6, label=str(col))
    if probability:
        ax.set_ylim(0, 1.02)
    if marker is not None:
        ax.axvline(marker[1], color="0.55", lw=3, alpha=0.6, label=f"{marker[0]}: US${marker[1]:,.0f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def ceaf(frame, title: str = "", marker: tuple[str, float] | None = None,
         xlabel: str = "threshold (US$ per DALY averted)"):
    """Cost-effectiveness acceptability frontier from :func:`model.uncertainty.ceaf`: the
    probability that the strategy with the highest expected net benefit is the most
    cost-effective, on a 0-1 axis, with each stretch labelled by that strategy (line style per
    strategy) and the decision threshold marked."""
    styles = ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 1)))
    fig, ax = plt.subplots(figsize=(6, 4.4))
    x = frame.index.to_numpy(dtype=float)
    prob = frame["probability_cost_effective"].to_numpy(dtype=float)
    for k, name in enumerate(dict.fromkeys(frame["optimal"])):
        on = (frame["optimal"] == name).to_numpy()
        ax.plot(np.where(on, x, np.nan), np.where(on, prob, np.nan), color="black", lw=2,
                ls=styles[k % len(styles)], label=f"optimal: {name}")
    ax.set_ylim(0, 1.02)
    if marker is not None:
        ax.axvline(marker[1], color="0.55", lw=3, alpha=0.6, label=f"{marker[0]}: US${marker[1]:,.0f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("probability the optimal strategy is cost-effective")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def heatmap(grid, title: str = "", label: str = "INMB (US$)"):
    """Two-way sensitivity: a grid (rows y, columns x) as a heat map with the zero contour."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    x, y = grid.columns.to_numpy(dtype=float), grid.index.to_numpy(dtype=float)
    mesh = ax.pcolormesh(x, y, grid.to_numpy(), shading="auto", cmap="Greys")
    if grid.to_numpy().min() < 0 < grid.to_numpy().max():
        ax.contour(x, y, grid.to_numpy(), levels=[0.0], colors="black", linewidths=1.5)
    fig.colorbar(mesh, ax=ax, label=label)
    ax.set_xlabel(grid.columns.name)
    ax.set_ylabel(grid.index.name)
    ax.set_title(title)
    return fig


def bars(series, xlabel: str, title: str = "", labels: dict[str, str] | None = None):
    """Horizontal bars of a series (e.g. EVPPI by input), largest on top; rows read
    ``labels[name]`` where given."""
    s = series.sort_values()
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(s) + 1.8))
    ax.barh(np.arange(len(s)), s.to_numpy(), color="0.6", edgecolor="black")
    ax.set_yticks(np.arange(len(s)), [(labels or {}).get(k, k) for k in s.index])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def budget(table, title: str = ""):
    """Budget impact by year: stacked recurrent and one-off cost bars (left axis), DALYs averted
    line (right axis), phase under each year."""
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    years = table.index.to_numpy()
    ax.bar(years, table["recurrent_cost"] / 1e6, color="0.7", edgecolor="black", label="recurrent cost")
    ax.bar(years, table["one_off_cost"] / 1e6, bottom=table["recurrent_cost"] / 1e6, color="white",
           edgecolor="black", hatch="//", label="one-off (transition) cost")
    ax.set_xticks(years, [f"{y}\n{p}" for y, p in zip(years, table["phase"], strict=True)])
    ax.set_ylabel("US$ million (below 0: saved)")
    ax.axhline(0, color="black", lw=0.8)
    ax2 = ax.twinx()
    ax2.plot(years, table["dalys_averted"], color="black", marker="o", ls="--", label="DALYs averted")
    ax2.set_ylabel("DALYs averted (below 0: added)")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper center", bbox_to_anchor=(0.5, -0.22),
              ncol=2, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def league(labels: Sequence[str], mms_icer: Sequence[float], mami_icer: Sequence[float],
           thresholds: Sequence[float], mms_status: Sequence[str] = (), mami_status: Sequence[str] = ()):
    """League chart across units: MMS vs IFA and MAMI vs inpatient cost per DALY averted (US$),
    solid vs hatched bars, each unit's decision threshold as a marker. A cost per DALY exists only
    where a strategy costs more and averts DALYs; elsewhere (NaN) the bar is absent and its status
    (``mms_status``, ``mami_status``: 'dominated', 'dominant', ...) is written at zero instead."""
    n = len(labels)
    fig, ax = plt.subplots(figsize=(8, 0.5 * n + 1.8))
    y = np.arange(n)
    mms = np.asarray(mms_icer, dtype=float)
    mami = np.asarray(mami_icer, dtype=float)
    ax.barh(y - 0.2, np.nan_to_num(mms), height=0.38, color="0.35", label="MMS vs IFA")
    ax.barh(y + 0.2, np.nan_to_num(mami), height=0.38, color="white", edgecolor="black", hatch="///",
            label="MAMI vs inpatient")
    ax.scatter(thresholds, y, marker="|", s=300, color="black", zorder=3, label="decision threshold")
    for name, values, statuses, dy in (("MMS", mms, mms_status, -0.2), ("MAMI", mami, mami_status, 0.2)):
        for i, (v, st) in enumerate(zip(values, statuses, strict=False)):
            if not np.isfinite(v):
                ax.text(0, i + dy, f" {name}: {st}", va="center", ha="left", fontsize=9, style="italic")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("US$ per DALY averted (where a strategy costs more and averts DALYs; otherwise its status)")
    ax.set_title("Cost per DALY averted by country and scenario", pad=24)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    return fig


def evsi_enbs(evsi, summary, threshold: float, title: str = ""):
    """One row per study at ``threshold``: population EVSI by sample size with the EVPPI of the
    inputs the study informs (its ceiling) and the study's cost (left); ENBS by sample size with
    the best size marked (right). ``evsi`` and ``summary`` are the research frames."""
    names = list(summary["study"])
    fig, axes = plt.subplots(len(names), 2, figsize=(10, 2.8 * len(names)), squeeze=False)
    for (left, right), name in zip(axes, names, strict=True):
        s = summary.set_index("study").loc[name]
        d = evsi[(evsi["study"] == name) & np.isclose(evsi["threshold"], threshold)]
        left.plot(d["n"], d["evsi_population"], marker="o", color="black", label="EVSI (population)")
        left.plot(d["n"], d["study_cost"], marker="s", ls="--", color="grey", label="study cost")
        left.axhline(s["evppi_population"], ls=":", color="black", label="EVPPI of the inputs it informs")
        left.set_xscale("log")
        left.set_ylabel("US$")
        left.set_title(f"{s['title']}", fontsize=9)
        left.legend(fontsize=7)
        right.plot(d["n"], d["enbs"], marker="o", color="black", label="ENBS")
        right.axhline(0, color="grey", lw=0.8)
        right.scatter([s["n_best"]], [s["enbs_max"]], s=90, marker="*", color="black", zorder=3,
                      label="fund at this size" if s["fund"] else "best size: still not worth its cost")
        right.set_xscale("log")
        right.set_ylabel("US$")
        right.legend(fontsize=7)
        for ax in (left, right):
            ax.set_xlabel(f"sample size ({s['sample_size_unit']})", fontsize=8)
    fig.suptitle(f"{title}: value of research at US${threshold:,.0f} per DALY averted", fontsize=10)
    fig.tight_layout()
    return fig


def optimal_n(optimal, summary, threshold: float, title: str = ""):
    """One panel per study: the sample size with the highest ENBS at each threshold (0 where no
    size is worth its cost), with the decision threshold marked."""
    names = list(summary["study"])
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.4 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        s = summary.set_index("study").loc[name]
        d = optimal[optimal["study"] == name]
        ax.step(d["threshold"], d["n_optimal"], where="mid", color="black", label="over the decision horizon")
        ax.step(d["threshold"], d["n_optimal_rollout"], where="mid", color="grey", ls="--",
                label="over the rollout's covered pregnancies")
        ax.axvline(threshold, color="black", ls=":", lw=0.8, label=f"decision threshold {threshold:,.0f}")
        ax.set_ylim(bottom=0, top=max(1.0, float(d[["n_optimal", "n_optimal_rollout"]].to_numpy().max())) * 1.1)
        ax.set_ylabel(f"optimal n\n({s['sample_size_unit']})", fontsize=7)
        ax.set_title(s["title"], fontsize=9)
        ax.legend(fontsize=7)
    axes[-1, 0].set_xlabel("threshold (US$ per DALY averted); 0 = not worth funding")
    fig.suptitle(f"{title}: optimal study size", fontsize=10)
    fig.tight_layout()
    return fig
