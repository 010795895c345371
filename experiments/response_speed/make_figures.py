"""Figures and tables of the response-speed study.

Run both sweeps first, then this::

    virality sweep experiments/response_speed/experiment.toml --workers 2 --out experiments/response_speed/results/respond
    virality sweep experiments/response_speed/references.toml --workers 2 --out experiments/response_speed/results/references
    python experiments/response_speed/make_figures.py

Reads ``results/respond/results.parquet`` (respond: detection delay x
capacity) and ``results/references/results.parquet`` (silent and take_down
over the same delays) and writes, beside this file, ``damage_vs_delay.png``
(each outcome against the delay, one line per capacity, silent and take_down
as references, 95% bands), ``heatmap.png`` (the paired change against
silence over delay x capacity) and ``summary.csv`` (every point: means, 95%
intervals, paired change against silence with its interval). It prints the
tables and checks quoted in ``FINDINGS.md``.

Both files use the same master seed and common random numbers, so replicate
``r`` of every point, in either file, runs on the same graph and the same
draws as replicate ``r`` of silence: every comparison is paired by replicate,
with a Student-t 95% interval over the replicates.
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

DELAY, CAP, RESP, BOOST = (
    "crisis.detection_delay",
    "crisis.capacity_share",
    "crisis.response",
    "crisis.takedown_boost",
)
#: Outcomes, with axis labels and a scale for the axis.
OUTCOMES = {
    "negative_talk": ("negative word spoken per person (cumulative)", 1.0),
    "peak_talking_negative": ("peak share of people talking negatively", 1.0),
    "net_sentiment": ("final net sentiment (positive - negative share)", 1.0),
    "customers": ("final customers (share of people)", 1.0),
    "cost": ("cost: posts + answers (thousand currency units)", 1e-3),
}


def half_width(values: np.ndarray) -> float:
    lo, hi = ci95(values)
    return (hi - lo) / 2.0


def load(results: Path, exp: Experiment, ref: Experiment) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respond runs and reference runs, with a ``policy`` label each; checked complete."""
    runs = pd.read_parquet(results / "respond" / "results.parquet")
    refs = pd.read_parquet(results / "references" / "results.parquet")
    if "crisis.capacity" in runs and CAP not in runs:  # results of the fixed-count design
        runs[CAP] = runs.pop("crisis.capacity") / 50_000
    for df, e in ((runs, exp), (refs, ref)):
        if len(df) != e.n_runs:
            raise SystemExit(
                f"{e.name}: results hold {len(df)} of {e.n_runs} runs; finish it first"
            )
    if (
        exp.seed != ref.seed
        or exp.replicates != ref.replicates
        or not (exp.common_random_numbers and ref.common_random_numbers)
    ):
        raise SystemExit(
            "the two experiment files must share seed, replicates and common random numbers"
        )
    runs = runs.assign(policy="respond")
    refs = refs.assign(
        policy=np.where(
            refs[RESP] == "silent", "silent", "take_down, boost " + refs[BOOST].map("{:g}".format)
        )
    )
    return runs, refs


def silent_runs(refs: pd.DataFrame) -> pd.DataFrame:
    """Silence, one row per replicate; its 12 points must be the same runs (a check)."""
    sil = refs[refs.policy == "silent"]
    for m in OUTCOMES:
        spread = sil.groupby("replicate")[m].agg(lambda v: v.max() - v.min()).max()
        if spread > 1e-12:
            raise SystemExit(
                f"silent runs differ across delays/boosts on {m} (by {spread}); check the engine"
            )
    return sil[(sil[DELAY] == sil[DELAY].min()) & (sil[BOOST] == sil[BOOST].min())].set_index(
        "replicate"
    )


def summarise(runs: pd.DataFrame, refs: pd.DataFrame, silent: pd.DataFrame) -> pd.DataFrame:
    """Means, 95% half-widths and paired changes against silence, one row per point."""
    rows = []
    table = pd.concat([runs, refs[refs.policy != "silent"]], ignore_index=True)
    table[CAP] = table[CAP].where(table.policy == "respond")
    for (policy, delay, cap), g in table.groupby(["policy", DELAY, CAP], sort=True, dropna=False):
        g = g.set_index("replicate").sort_index()
        row = {"policy": policy, DELAY: delay, CAP: cap, "replicates": len(g)}
        for m in (*OUTCOMES, "responses", "word_positive_share", "profit"):
            v = g[m].to_numpy()
            row[m], row[f"{m}_ci"] = v.mean(), half_width(v)
            d = (g[m] - silent.loc[g.index, m]).to_numpy()
            row[f"{m}_vs_silent"], row[f"{m}_vs_silent_ci"] = d.mean(), half_width(d)
        rel = (g["negative_talk"] / silent.loc[g.index, "negative_talk"] - 1.0).to_numpy()
        row["negative_talk_rel"], row["negative_talk_rel_ci"] = rel.mean(), half_width(rel)
        rows.append(row)
    sil = {"policy": "silent", DELAY: np.nan, CAP: np.nan, "replicates": len(silent)}
    for m in (*OUTCOMES, "responses", "word_positive_share", "profit"):
        sil[m], sil[f"{m}_ci"] = silent[m].mean(), half_width(silent[m].to_numpy())
    return pd.concat([pd.DataFrame([sil]), pd.DataFrame(rows)], ignore_index=True)


def steps_in_delay(runs: pd.DataFrame, metric: str = "negative_talk") -> pd.DataFrame:
    """Paired change of ``metric`` from each delay to the next, per capacity (the K3 check)."""
    rows = []
    delays = sorted(runs[DELAY].unique())
    for cap, g in runs.groupby(CAP, sort=True):
        wide = g.pivot(index="replicate", columns=DELAY, values=metric)
        for a, b in zip(delays[:-1], delays[1:], strict=True):
            d = (wide[b] - wide[a]).to_numpy()
            lo, hi = ci95(d)
            rows.append(
                {
                    CAP: cap,
                    "from": a,
                    "to": b,
                    "change": d.mean(),
                    "lo": lo,
                    "hi": hi,
                    "share_of_replicates_up": float((d > 0).mean()),
                }
            )
    return pd.DataFrame(rows)


def figures(table: pd.DataFrame, exp: Experiment) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    resp = table[table.policy == "respond"]
    caps = sorted(resp[CAP].unique())
    delays = sorted(resp[DELAY].unique())
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(caps)))
    sil = table[table.policy == "silent"].iloc[0]
    title = (
        f"{exp.scenario.graph.kind} graph, {exp.scenario.graph.n:,} people, outage at step "
        f"{exp.scenario.crisis.step} ({exp.scenario.crisis.share:.0%} of customers complain for "
        f"{exp.scenario.crisis.duration} steps), {exp.scenario.run.steps} steps; "
        f"{exp.replicates} replicates per point (common random numbers, seed {exp.seed}); "
        "bands: 95% intervals"
    )
    paths = []

    def lines(ax, column: str, scale: float, paired: bool = False) -> None:
        suffix = "_vs_silent" if paired else ""
        x = np.arange(len(delays))
        for cap, color in zip(caps, colors, strict=True):
            g = resp[resp[CAP] == cap].sort_values(DELAY)
            y = g[column + suffix].to_numpy() * scale
            h = g[column + suffix + "_ci"].to_numpy() * scale
            label = (f"respond, {cap:.1%} of people a day "
                     f"({cap * exp.scenario.graph.n:,.0f} answers)")
            ax.plot(x, y, "-o", ms=3, color=color, label=label)
            ax.fill_between(x, y - h, y + h, color=color, alpha=0.2, lw=0)
        for policy, style in (("take_down, boost 0.5", "-"), ("take_down, boost 0", "--")):
            g = table[table.policy == policy].sort_values(DELAY)
            y = g[column + suffix].to_numpy() * scale
            h = g[column + suffix + "_ci"].to_numpy() * scale
            ax.plot(x, y, style, marker="x", ms=4, color="#c0392b", label=policy.replace("_", " "))
            ax.fill_between(x, y - h, y + h, color="#c0392b", alpha=0.12, lw=0)
        if paired:
            ax.axhline(0, color="k", lw=1.2, ls=":", label="silent")
        else:
            y, h = sil[column] * scale, sil[column + "_ci"] * scale
            ax.axhline(y, color="k", lw=1.2, ls=":", label="silent")
            ax.axhspan(y - h, y + h, color="k", alpha=0.1, lw=0)
        ax.set_xticks(x, [f"{d:g}" for d in delays])
        ax.set_xlabel("detection delay (steps from noticing to acting)")

    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    for ax, (m, (label, scale)) in zip(axes.flat[:-1], OUTCOMES.items(), strict=True):
        lines(ax, m, scale)
        ax.set_ylabel(label)
    ax = axes.flat[-1]
    lines(ax, "negative_talk", 1.0, paired=True)
    ax.set_ylabel("negative word per person: change against silence\n(paired by replicate)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)
    fig.suptitle("Crisis damage by response delay and capacity\n" + title, fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    paths.append(HERE / "damage_vs_delay.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    panels = (
        (
            "negative_talk_rel",
            100.0,
            "negative word per person vs silence (%)",
            "RdBu_r",
            "{:+.0f}%",
        ),
        (
            "peak_talking_negative_vs_silent",
            100.0,
            "peak share talking negatively vs silence (points)",
            "RdBu_r",
            "{:+.1f}",
        ),
        ("net_sentiment_vs_silent", 1.0, "final net sentiment vs silence", "RdBu", "{:+.2f}"),
    )
    for ax, (column, scale, label, cmap, fmt) in zip(axes, panels, strict=True):
        grid = resp.pivot(index=CAP, columns=DELAY, values=column).loc[caps[::-1], delays] * scale
        lim = float(np.nanmax(np.abs(grid.to_numpy()))) or 1.0
        im = ax.imshow(grid.to_numpy(), cmap=cmap, vmin=-lim, vmax=lim, aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                v = grid.iat[i, j]
                ax.text(
                    j,
                    i,
                    fmt.format(v),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="w" if abs(v) > 0.6 * lim else "k",
                )
        ax.set_xticks(range(len(delays)), [f"{d:g}" for d in delays])
        ax.set_yticks(range(len(caps)), [f"{c:g}" for c in caps[::-1]])
        ax.set_xlabel("detection delay (steps)")
        ax.set_ylabel("answers a day (share of people)")
        ax.set_title(label, fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.85)
    fig.suptitle(
        f"Respond: paired change against staying silent (mean of {exp.replicates} replicates)\n"
        + title.replace("; bands: 95% intervals", ""),
        fontsize=10,
    )
    fig.tight_layout()
    paths.append(HERE / "heatmap.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def report(table: pd.DataFrame, runs: pd.DataFrame) -> None:
    """Print the tables and checks FINDINGS.md quotes."""
    sil = table[table.policy == "silent"].iloc[0]
    print(
        "silent: "
        + ", ".join(f"{m} {sil[m]:.4g} ± {sil[m + '_ci']:.2g}" for m in (*OUTCOMES, "responses"))
    )
    print("\npoint means (change against silence, paired 95% half-width)")
    cols = ["negative_talk", "peak_talking_negative", "net_sentiment", "customers"]
    print(
        f"{'policy':>22s} {'delay':>5s} {'cap':>5s} "
        + " ".join(f"{c:>32s}" for c in cols)
        + f" {'neg talk vs silent':>20s} {'cost':>8s} {'answers':>8s}"
    )
    for _, r in table[table.policy != "silent"].iterrows():
        cells = " ".join(
            f"{r[c]:9.4f} ({r[c + '_vs_silent']:+8.4f} ±{r[c + '_vs_silent_ci']:7.4f})"
            for c in cols
        )
        cap = "" if np.isnan(r[CAP]) else f"{r[CAP]:g}"
        print(
            f"{r.policy:>22s} {r[DELAY]:5g} {cap:>5s} {cells} "
            f"{r.negative_talk_rel:+8.1%} ±{r.negative_talk_rel_ci:6.1%} {r.cost:8.0f} {r.responses:8.0f}"
        )
    steps = steps_in_delay(runs)
    print("\nK3: paired change of negative_talk from one delay to the next, per capacity")
    print(steps.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    up = steps[steps[CAP] > 0]
    print(
        f"  capacity > 0: {int((up.lo > 0).sum())} of {len(up)} steps significantly up, "
        f"{int((up.hi < 0).sum())} significantly down, {int(((up.lo <= 0) & (up.hi >= 0)).sum())} "
        "not distinguishable from 0"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--results",
        default=str(HERE / "results"),
        help="folder holding the sweeps' respond/ and references/ outputs",
    )
    args = ap.parse_args(argv)
    exp = Experiment.load(HERE / "experiment.toml")
    ref = Experiment.load(HERE / "references.toml")
    runs, refs = load(Path(args.results), exp, ref)
    silent = silent_runs(refs)
    cap0 = runs[runs[CAP] == 0].groupby("replicate")[list(OUTCOMES)].agg(["min", "max"])
    for m in OUTCOMES:
        if not (
            np.allclose(cap0[(m, "min")], silent[m]) and np.allclose(cap0[(m, "max")], silent[m])
        ):
            print(f"note: respond with capacity 0 differs from silent on {m}")
    table = summarise(runs, refs, silent)
    table.to_csv(HERE / "summary.csv", index=False, float_format="%.5g")
    paths = figures(table, exp)
    pd.set_option("display.width", 220)
    report(table, runs)
    print(f"\nwrote {HERE / 'summary.csv'}, " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
