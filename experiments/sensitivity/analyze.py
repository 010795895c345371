"""Sobol' indices of the word-of-mouth sensitivity sweep, and its figure.

Run the sweep first, then this::

    virality sweep experiments/sensitivity/sobol_wom.toml --out experiments/sensitivity/results
    python experiments/sensitivity/analyze.py

Reads ``results/results.parquet`` (one row per run) and the experiment file
(which re-creates the SALib problem), averages the replicates of each design
point, and computes first-order (S1) and total (ST) Sobol' indices with 95%
bootstrap intervals (SALib ``sobol.analyze``, Saltelli 2010 / Jansen
estimators). Writes ``sobol_indices.csv`` (every metric), ``sensitivity.png``
and prints the tables quoted in ``FINDINGS.md``.

Directions (does more of a parameter raise or lower the outcome?) are Spearman
rank correlations between each parameter and the outcome over the base sample
(Saltelli's matrix ``A``: ``N`` independent random points of the design).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from simulator.sweep.experiment import Experiment  # noqa: E402

METRICS = ("net_sentiment", "positive", "negative", "reach")
LABELS = {
    "wom.p_positive": "p_positive (how often fans talk)",
    "wom.p_negative": "p_negative (how often detractors talk)",
    "wom.talk_steps": "talk_steps (how long people talk)",
    "wom.impact_positive": "impact_positive (persuasion, +)",
    "wom.impact_negative": "impact_negative (persuasion, -)",
    "wom.p_turn_negative": "p_turn_negative (fan -> detractor)",
    "wom.p_turn_positive": "p_turn_positive (detractor -> fan)",
    "market.satisfaction": "satisfaction (buyers pleased)",
    "market.p_purchase": "p_purchase (fans buy)",
}


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    return float(np.corrcoef(rx, ry)[0, 1])


def indices(exp: Experiment, runs: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """S1, ST (with 95% half-widths) and direction per parameter and metric."""
    from SALib.analyze import sobol

    problem = exp.problem()
    means = runs.groupby("point", sort=True)[list(METRICS)].mean()
    if len(means) != exp.n_points:
        raise SystemExit(
            f"results hold {len(means)} of {exp.n_points} design points; finish the sweep first"
        )
    # SALib lays the design out per base row: A_i, then D rows AB_i, then B_i. The A rows
    # (every (D + 2)-th point) are independent uniform points: use them for directions.
    base = means.index % (len(exp.swept) + 2) == 0
    values = runs.groupby("point", sort=True)[exp.swept].first()
    rows = []
    for metric in METRICS:
        y = means[metric].to_numpy()
        si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=1000, seed=seed)
        for j, name in enumerate(exp.swept):
            rows.append(
                {
                    "metric": metric,
                    "parameter": name,
                    "S1": si["S1"][j],
                    "S1_conf": si["S1_conf"][j],
                    "ST": si["ST"][j],
                    "ST_conf": si["ST_conf"][j],
                    "spearman": spearman(values[name].to_numpy()[base], y[base]),
                }
            )
    return pd.DataFrame(rows)


def noise_share(runs: pd.DataFrame, metric: str) -> float:
    """Share of the run-to-run variance that is replicate noise (within design points)."""
    within = runs.groupby("point")[metric].var(ddof=1).mean()
    return float(within / runs[metric].var(ddof=1))


def figure(table: pd.DataFrame, runs: pd.DataFrame, exp: Experiment, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    net = table[table.metric == "net_sentiment"].sort_values("ST")
    labels = [LABELS.get(p, p) for p in net.parameter]
    y = np.arange(len(net))
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.6), gridspec_kw={"width_ratios": [1.25, 1, 1]})
    ax = axes[0]
    ax.barh(
        y + 0.2, net.ST, 0.4, xerr=net.ST_conf, label="total effect ST", color="#c0392b", capsize=2
    )
    ax.barh(
        y - 0.2, net.S1, 0.4, xerr=net.S1_conf, label="first order S1", color="#e6a39a", capsize=2
    )
    ax.set_yticks(y, labels)
    ax.set_xlabel("Sobol' index of final net sentiment (95% bootstrap interval)")
    ax.axvline(0, color="k", lw=0.6)
    ax.legend(loc="lower right")
    ax.set_title("(a) What drives final net sentiment")

    ax = axes[1]
    order = list(net.parameter)
    for k, (metric, color) in enumerate((("positive", "#2e86c1"), ("negative", "#922b21"))):
        sub = table[table.metric == metric].set_index("parameter").loc[order]
        ax.barh(
            y + (0.2 if k == 0 else -0.2),
            sub.ST,
            0.4,
            xerr=sub.ST_conf,
            color=color,
            label=f"{metric} share at the end",
            capsize=2,
        )
    ax.set_yticks(y, [p.split(".")[1] for p in order])
    ax.set_xlabel("total-effect index ST")
    ax.legend(loc="lower right")
    ax.set_title("(b) ... through fans or through detractors")

    ax = axes[2]
    top = list(net.sort_values("ST", ascending=False).parameter[:2])
    pts = runs.groupby("point")[[*exp.swept, "net_sentiment"]].mean()
    spec = {p.name: p for p in exp.params}
    norm = LogNorm() if spec[top[1]].scale == "log" else None
    sc = ax.scatter(
        pts[top[0]], pts["net_sentiment"], c=pts[top[1]], s=5, cmap="viridis", alpha=0.7, norm=norm
    )
    if spec[top[0]].scale == "log":
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(top[0])
    ax.set_ylabel("final net sentiment (positive - negative share)")
    ax.axhline(0, color="k", lw=0.6)
    fig.colorbar(sc, ax=ax, label=top[1])
    ax.set_title(f"(c) Net sentiment vs {top[0].split('.')[1]}, all {len(pts):,} points")
    fig.suptitle(
        f"Sobol' sensitivity of the word-of-mouth model: {exp.scenario.graph.kind} graph, "
        f"{exp.scenario.graph.n:,} agents, {exp.scenario.run.steps} steps, N = {exp.samples}, "
        f"{exp.n_points:,} points x {exp.replicates} replicates (seed {exp.seed})",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiment", default=str(HERE / "sobol_wom.toml"))
    ap.add_argument("--results", default=str(HERE / "results"), help="the sweep's --out folder")
    args = ap.parse_args(argv)
    exp = Experiment.load(args.experiment)
    runs = pd.read_parquet(Path(args.results) / "results.parquet")
    table = indices(exp, runs)
    table.to_csv(HERE / "sobol_indices.csv", index=False, float_format="%.4f")
    figure(table, runs, exp, HERE / "sensitivity.png")
    pd.set_option("display.width", 200)
    for metric in METRICS:
        sub = table[table.metric == metric].sort_values("ST", ascending=False)
        print(
            f"\n{metric}: sum S1 = {sub.S1.sum():.2f}; replicate noise = "
            f"{noise_share(runs, metric):.1%} of run-to-run variance"
        )
        print(sub.drop(columns="metric").to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    pts = runs.groupby("point")["net_sentiment"].mean()
    print(
        f"\nnet_sentiment over the design: mean {pts.mean():.3f}, median {pts.median():.3f}, "
        f"share of points below 0: {(pts < 0).mean():.1%}"
    )
    print(f"wrote {HERE / 'sobol_indices.csv'} and {HERE / 'sensitivity.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
