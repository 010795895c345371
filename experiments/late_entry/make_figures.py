"""Figures and tables of the late-entry study.

Run the sweeps first, then this::

    virality sweep experiments/late_entry/experiment.toml --workers 2 --out experiments/late_entry/results
    virality sweep experiments/late_entry/no_answers.toml --workers 2 --out experiments/late_entry/results/no_answers
    python experiments/late_entry/make_figures.py

Reads ``results/results.parquet`` (one row per run) and writes, beside this
file, ``late_entry.png`` (each outcome against the entry step, one line per
``wom.p_negative``, 95% bands), ``cost_of_lateness.png`` (the paired loss
against entering at step 0) and ``summary.csv`` (every point: means and 95%
intervals, and the paired loss against entry at 0 with its interval). It
prints the tables quoted in ``FINDINGS.md``.

If the companion sweep ``no_answers.toml`` (the same late brand, but one that
never answers complaints) has been run into ``results/no_answers``, it also
writes ``answers_vs_posts.png`` and ``answers_vs_posts.csv`` and prints the
paired split of the cost of lateness into answering complaints and posting.

The experiment uses common random numbers, so replicate ``r`` of every point
runs on the same draws: the cost of lateness is the mean over replicates of
``outcome(enter at e, r) - outcome(enter at 0, r)``, with a Student-t 95%
interval over the replicates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from simulator.engine.results import ci95  # noqa: E402
from simulator.sweep.experiment import Experiment  # noqa: E402

ENTER, PNEG = "brand.enter_step", "wom.p_negative"
#: The outcomes the study reports, with axis labels and a scale for the axis.
OUTCOMES = {
    "net_sentiment": ("final net sentiment\n(positive - negative share)", 1.0),
    "customers": ("final customers (share of people)", 1.0),
    "negative_talk": ("negative word spoken per person\n(cumulative, log scale)", 1.0),
    "profit": ("profit (thousand currency units)", 1e-3),
}
#: Where "never" (an entry step beyond the horizon) is drawn on the step axis.
NEVER_X = 135


def half_width(values: np.ndarray) -> float:
    lo, hi = ci95(values)
    return (hi - lo) / 2.0


def summarise(runs: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Means, 95% half-widths and paired losses against entry at 0, one row per point."""
    base = runs[runs[ENTER] == 0].set_index([PNEG, "replicate"])
    rows = []
    for (pn, enter), g in runs.groupby([PNEG, ENTER], sort=True):
        g = g.set_index([PNEG, "replicate"]).sort_index()
        row = {PNEG: pn, ENTER: enter, "never": enter > horizon, "replicates": len(g)}
        for m in (*OUTCOMES, "word_positive_share", "followers", "responses", "cost", "value"):
            v = g[m].to_numpy()
            row[m] = v.mean()
            row[f"{m}_ci"] = half_width(v)
            if m in OUTCOMES:
                d = (g[m] - base.loc[g.index, m]).to_numpy()
                row[f"{m}_loss"] = d.mean()
                row[f"{m}_loss_ci"] = half_width(d)
        row["detected"] = g["detection_step"].notna().mean()
        rows.append(row)
    return pd.DataFrame(rows)


def _xs(table: pd.DataFrame) -> np.ndarray:
    return np.where(table["never"], NEVER_X, table[ENTER]).astype(float)


def _axis(ax, exp: Experiment) -> None:
    ticks = [0, 15, 30, 45, 60, 90, NEVER_X]
    ax.set_xticks(ticks, [str(t) for t in ticks[:-1]] + ["never"])
    ax.axvline(exp.scenario.crisis.step, color="0.6", lw=0.8, ls=":")
    ax.set_xlim(-4, NEVER_X + 5)
    ax.set_xlabel("step the brand's page opens (outage at step 30, dotted)")


def _lines(ax, table: pd.DataFrame, exp: Experiment, column: str, scale: float, colors) -> None:
    for (pn, g), color in zip(table.groupby(PNEG, sort=True), colors, strict=True):
        g = g.sort_values(ENTER)
        x, y, h = _xs(g), g[column].to_numpy() * scale, g[f"{column}_ci"].to_numpy() * scale
        share = g.loc[g[ENTER] == 0, "word_positive_share"].iloc[0]
        share_never = g.loc[g["never"], "word_positive_share"].iloc[0]
        label = f"p_negative {pn:g}: {share:.0%} / {share_never:.0%} of word positive"
        ax.plot(x[:-1], y[:-1], "-o", ms=3, color=color, label=label)
        ax.plot(x[-2:], y[-2:], ":", color=color)
        ax.plot(x[-1:], y[-1:], "s", ms=5, color=color)
        ax.fill_between(x[:-1], (y - h)[:-1], (y + h)[:-1], color=color, alpha=0.2, lw=0)
        ax.errorbar(x[-1:], y[-1:], h[-1:], color=color, capsize=3, lw=1)
    _axis(ax, exp)


def figures(table: pd.DataFrame, exp: Experiment) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = plt.cm.plasma(np.linspace(0.0, 0.85, table[PNEG].nunique()))
    title = (
        f"{exp.scenario.graph.kind} graph, {exp.scenario.graph.n:,} people, "
        f"{exp.scenario.run.steps} steps; {exp.n_points} points x {exp.replicates} replicates "
        f"(common random numbers, seed {exp.seed}); bands: 95% intervals"
    )
    paths = []

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for ax, (m, (label, scale)) in zip(axes.flat, OUTCOMES.items(), strict=True):
        _lines(ax, table, exp, m, scale, colors)
        ax.set_ylabel(label)
    axes[0, 0].axhline(0, color="k", lw=0.6)
    axes[1, 0].set_yscale("log")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=3,
        fontsize=9,
        title="how often unhappy people talk (p_positive = 0.035), and the share of all "
        "word that is positive with entry at 0 / never",
        title_fontsize=9,
    )
    fig.suptitle("Outcomes by the step the brand enters social media\n" + title, fontsize=11)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    paths.append(HERE / "late_entry.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for ax, (m, (label, scale)) in zip(axes.flat, OUTCOMES.items(), strict=True):
        for (pn, g), color in zip(table.groupby(PNEG, sort=True), colors, strict=True):
            g = g.sort_values(ENTER)
            x = _xs(g)
            y, h = g[f"{m}_loss"].to_numpy() * scale, g[f"{m}_loss_ci"].to_numpy() * scale
            ax.plot(x[:-1], y[:-1], "-o", ms=3, color=color, label=f"p_negative {pn:g}")
            ax.plot(x[-2:], y[-2:], ":", color=color)
            ax.fill_between(x[:-1], (y - h)[:-1], (y + h)[:-1], color=color, alpha=0.2, lw=0)
            ax.errorbar(x[-1:], y[-1:], h[-1:], fmt="s", ms=5, color=color, capsize=3, lw=1)
        ax.axhline(0, color="k", lw=0.6)
        _axis(ax, exp)
        label = label.replace("\n", " ").replace(", log scale", "")
        ax.set_ylabel("change against entry at step 0:\n" + label)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(
        "Cost of lateness: outcome(enter at e) - outcome(enter at 0), paired by replicate\n"
        + title,
        fontsize=11,
    )
    fig.tight_layout()
    paths.append(HERE / "cost_of_lateness.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def report(table: pd.DataFrame) -> None:
    """Print the tables FINDINGS.md quotes."""
    for pn, g in table.groupby(PNEG, sort=True):
        g = g.sort_values(ENTER)
        first, never = g.iloc[0], g[g["never"]].iloc[0]
        print(
            f"\np_negative = {pn:g}: positive share of word {first.word_positive_share:.3f} "
            f"(entry at 0) .. {never.word_positive_share:.3f} (never)"
        )
        print(
            "  enter  " + "  ".join(f"{m:>28s}" for m in OUTCOMES) + "   lost share of day-one gain"
        )
        for _, r in g.iterrows():
            cells = []
            for m, (_, scale) in OUTCOMES.items():
                cells.append(
                    f"{r[m] * scale:9.3f} ({r[f'{m}_loss'] * scale:+8.3f} ±{r[f'{m}_loss_ci'] * scale:6.3f})"
                )
            gap = never["net_sentiment_loss"]
            lost = r["net_sentiment_loss"] / gap if gap else float("nan")
            name = "never" if r["never"] else f"{int(r[ENTER]):5d}"
            print(
                f"  {name:>5s}  " + "  ".join(cells) + f"   {lost:6.0%} (net), "
                f"{r['profit_loss'] / never['profit_loss']:6.0%} (profit), detected {r['detected']:.0%}"
            )


def split(runs: pd.DataFrame, silent: pd.DataFrame) -> pd.DataFrame:
    """Answering brand vs the same brand never answering, paired by point and replicate."""
    key = [PNEG, ENTER, "replicate"]
    both = runs.merge(silent, on=key, suffixes=("", "_silent"))
    if len(both) != len(silent):
        raise SystemExit("no_answers.toml points are not all in experiment.toml; check the files")
    rows = []
    for (pn, enter), g in both.groupby([PNEG, ENTER], sort=True):
        row = {PNEG: pn, ENTER: enter}
        for m in OUTCOMES:
            for name, v in (
                ("answers", g[m]),
                ("silent", g[f"{m}_silent"]),
                ("gain", g[m] - g[f"{m}_silent"]),
            ):
                row[f"{m}_{name}"], row[f"{m}_{name}_ci"] = v.mean(), half_width(v.to_numpy())
        row["responses"] = g["responses"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def split_figure(table: pd.DataFrame, exp: Experiment) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = plt.cm.plasma(np.linspace(0.0, 0.85, 5))[[1, 3, 4]]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    for ax, m in zip(axes, ("net_sentiment", "negative_talk", "profit"), strict=True):
        label, scale = OUTCOMES[m]
        for (pn, g), color in zip(table.groupby(PNEG, sort=True), colors, strict=False):
            g = g.sort_values(ENTER)
            x = np.where(g[ENTER] > exp.scenario.run.steps, NEVER_X, g[ENTER]).astype(float)
            for kind, style in (("answers", "-o"), ("silent", "--s")):
                y = g[f"{m}_{kind}"].to_numpy() * scale
                h = g[f"{m}_{kind}_ci"].to_numpy() * scale
                what = "answers complaints" if kind == "answers" else "never answers"
                ax.plot(x, y, style, ms=3, color=color, label=f"p_negative {pn:g}, {what}")
                ax.fill_between(x, y - h, y + h, color=color, alpha=0.15, lw=0)
        _axis(ax, exp)
        ax.set_ylabel(label.replace("\n", " "))
        if m == "negative_talk":
            ax.set_yscale("log")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.suptitle(
        "What a late brand loses: answering complaints (solid) vs only posting (dashed); "
        f"{exp.replicates} replicates per point, paired; bands: 95% intervals",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.12, 1, 0.95))
    path = HERE / "answers_vs_posts.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def report_split(table: pd.DataFrame, horizon: int) -> None:
    print("\nAnswering complaints vs never answering (same brand, same entry, paired):")
    for _, r in table.iterrows():
        name = "never" if r[ENTER] > horizon else f"{int(r[ENTER])}"
        print(
            f"  p_negative {r[PNEG]:<5g} enter {name:>5s}: "
            + "; ".join(
                f"{m} {r[f'{m}_answers'] * s:.3f} vs {r[f'{m}_silent'] * s:.3f} "
                f"(gain {r[f'{m}_gain'] * s:+.3f} ± {r[f'{m}_gain_ci'] * s:.3f})"
                for m, (_, s) in OUTCOMES.items()
            )
            + f"; answers {r['responses']:.0f}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiment", default=str(HERE / "experiment.toml"))
    ap.add_argument("--results", default=str(HERE / "results"), help="the sweep's --out folder")
    args = ap.parse_args(argv)
    exp = Experiment.load(args.experiment)
    runs = pd.read_parquet(Path(args.results) / "results.parquet")
    if len(runs) != exp.n_runs:
        raise SystemExit(f"results hold {len(runs)} of {exp.n_runs} runs; finish the sweep first")
    table = summarise(runs, exp.scenario.run.steps)
    table.to_csv(HERE / "summary.csv", index=False, float_format="%.5g")
    paths = figures(table, exp)
    pd.set_option("display.width", 220)
    report(table)
    companion = Path(args.results) / "no_answers" / "results.parquet"
    if companion.is_file():
        silent = pd.read_parquet(companion)
        n_silent = Experiment.load(HERE / "no_answers.toml").n_runs
        if len(silent) != n_silent:
            raise SystemExit(f"no_answers holds {len(silent)} of {n_silent} runs; finish it first")
        parts = split(runs, silent)
        parts.to_csv(HERE / "answers_vs_posts.csv", index=False, float_format="%.5g")
        paths.append(split_figure(parts, exp))
        report_split(parts, exp.scenario.run.steps)
    print(f"\nwrote {HERE / 'summary.csv'}, " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
