"""Figures and tables of the likes-vs-followers study.

Run the two sweeps first (with ``--series``), then this::

    virality sweep experiments/likes_vs_followers/likes.toml --workers 2 --series --out experiments/likes_vs_followers/results/likes
    virality sweep experiments/likes_vs_followers/followers.toml --workers 2 --series --out experiments/likes_vs_followers/results/followers
    python experiments/likes_vs_followers/make_figures.py --out experiments/likes_vs_followers/results

Reads ``<out>/<strategy>/results.parquet`` (one row per run) and
``<out>/<strategy>/series.parquet`` (one row per run and step) for both
strategies. An *arm* is a strategy, with or without its paid campaign, posting
all year or stopping after the campaign (step 60), at one content quality.
Writes, beside this file:

* ``brand_impressions.png``: brand impressions per step (follower +
  notification + amplified + paid; 7-step rolling mean) over the year, one
  panel per content quality, one line per strategy with and without its
  campaign (posting all year); bands are 95% intervals of the mean;
* ``audience.png``: followers, bell subscribers and reach over time (same arms);
* ``outcomes.png``: final reach, customers, net sentiment and profit, brand
  impressions per step and per post after the campaign, and what posting
  after the campaign adds (paired: all year - stop at 60), against quality;
* ``summary.csv``: every arm: means and 95% half-widths of the final outcomes
  and of the per-run window measures (:data:`MEASURES`);
* ``differences.csv``: paired differences with 95% half-widths: followers -
  likes, campaign - none, and posting all year - stopping at step 60;

and prints the tables quoted in ``FINDINGS.md``.

"Brand impressions" add ``new_impressions_amplified`` whole. That series also
counts people's word amplified on its likes; ``check_amplified.py`` measures
that share: under 0.5% of all brand impressions during either campaign, and
at most about half an impression per step after them.

Both files use the same master seed and common random numbers, so replicate
``r`` of every arm of both files runs on the same graph and random streams
(and an arm that stops posting at step 60 is the same run as its all-year
twin up to step 60); differences are paired by replicate and their intervals
are Student-t intervals over the replicates' differences.
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

#: strategy -> the swept parameter that switches its paid campaign on (> 0) or off (0).
STRATEGIES = {"likes": "paid.bought_likes_per_step", "followers": "paid.sponsored_per_step"}
COLORS = {"likes": "tab:red", "followers": "tab:blue"}
#: An arm: strategy, campaign on/off, posting all year (True) or stopping at step 60.
ARM = ["strategy", "campaign", "all_year", "quality"]
#: Impressions of the brand's own content (the study's definition).
BRAND_SOURCES = (
    "new_impressions_follower",
    "new_impressions_notification",
    "new_impressions_amplified",
    "new_impressions_paid",
)
#: What one post reaches beyond paid placement (amplified includes bought likes' effect).
POST_SOURCES = BRAND_SOURCES[:3]
ROLL = 7  # steps of the rolling mean in the impressions figure (a week)
#: Final outcomes: axis label and scale.
OUTCOMES = {
    "reach": ("final reach (share ever aware)", 1.0),
    "customers": ("final customers (share of people)", 1.0),
    "net_sentiment": ("final net sentiment\n(positive - negative share)", 1.0),
    "profit": ("profit over the year\n(thousand currency units)", 1e-3),
}
#: Per-run measures from the series (see :func:`window_measures`).
MEASURES = {
    "brand_camp": "brand impressions per step, steps 1-60",
    "brand_after": "brand impressions per step, steps 61-365",
    "brand_early": "brand impressions per step, steps 61-120",
    "brand_late": "brand impressions per step, steps 306-365",
    "per_post_start": "impressions per post (follower + notification + amplified), steps 1-10",
    "per_post_after": "impressions per post (follower + notification + amplified), steps 61-365",
    "per_100_camp": "brand impressions per 100 currency units spent, steps 1-60",
    "per_100_after": "brand impressions per 100 currency units spent, steps 61-365",
    "followers_60": "followers at step 60 (share)",
    "bell_60": "bell subscribers at step 60 (share)",
    "reach_60": "reach at step 60 (share)",
    "customers_60": "customers at step 60 (share)",
    "net_sentiment_60": "net sentiment at step 60",
    "reach_gain_after": "reach gained after step 60 (share)",
    "customers_gain_after": "customers gained after step 60 (share)",
}


def half_width(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan")
    lo, hi = ci95(values)
    return (hi - lo) / 2.0


def load(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Experiment]]:
    """Runs and series of both strategies, labelled by :data:`ARM`."""
    runs, series, exps = [], [], {}
    for strategy, paid_key in STRATEGIES.items():
        exp = Experiment.load(HERE / f"{strategy}.toml")
        exps[strategy] = exp
        folder = out / strategy
        r = pd.read_parquet(folder / "results.parquet")
        if len(r) != exp.n_runs:
            raise SystemExit(f"{folder}: {len(r)} of {exp.n_runs} runs; finish the sweep first")
        if not (folder / "series.parquet").is_file():
            raise SystemExit(f"{folder}/series.parquet is missing; run the sweep with --series")
        s = pd.read_parquet(folder / "series.parquet")
        r = r.rename(columns={"brand.quality": "quality"})
        r.insert(0, "strategy", strategy)
        r.insert(1, "campaign", r.pop(paid_key) > 0)
        r.insert(2, "all_year", r.pop("brand.strategy") == "spontaneous")
        s = s.merge(r[["run", *ARM, "replicate"]], on="run")
        runs.append(r)
        series.append(s)
    return pd.concat(runs, ignore_index=True), pd.concat(series, ignore_index=True), exps


def window_measures(series: pd.DataFrame, n: int, stop: int) -> pd.DataFrame:
    """Per run: brand impressions in and after the campaign, reach per post, stocks at ``stop``."""
    s = series.sort_values(["strategy", "run", "step"])
    s = s.assign(
        brand=s[list(BRAND_SOURCES)].sum(axis=1),
        post_imp=s[list(POST_SOURCES)].sum(axis=1),
        step_cost=s.groupby(["strategy", "run"])["cum_cost"].diff().fillna(0.0),
    )
    keys = ["strategy", "run"]
    last = int(s["step"].max())
    camp = s[s["step"].between(1, stop)].groupby(keys)
    after = s[s["step"] > stop].groupby(keys)
    start = s[s["step"].between(1, 10)].groupby(keys)
    at_stop = s[s["step"] == stop].set_index(keys)
    at_end = s[s["step"] == last].set_index(keys)
    with np.errstate(divide="ignore", invalid="ignore"):  # no posts after 60: NaN, not a number
        out = pd.DataFrame(
            {
                "brand_camp": camp["brand"].mean(),
                "brand_after": after["brand"].mean(),
                "brand_early": s[s["step"].between(stop + 1, stop + 60)]
                .groupby(keys)["brand"]
                .mean(),
                "brand_late": s[s["step"] > last - 60].groupby(keys)["brand"].mean(),
                "per_post_start": start["post_imp"].sum() / start["new_brand_posts"].sum(),
                "per_post_after": after["post_imp"].sum() / after["new_brand_posts"].sum(),
                "per_100_camp": 100.0 * camp["brand"].sum() / camp["step_cost"].sum(),
                "per_100_after": 100.0 * after["brand"].sum() / after["step_cost"].sum(),
                "followers_60": at_stop["n_followers"] / n,
                "bell_60": at_stop["n_bell"] / n,
                "reach_60": at_stop["cum_reach"] / n,
                "customers_60": at_stop["n_customers"] / n,
                "net_sentiment_60": (at_stop["n_positive"] - at_stop["n_negative"]) / n,
                "reach_gain_after": (at_end["cum_reach"] - at_stop["cum_reach"]) / n,
                "customers_gain_after": (at_end["n_customers"] - at_stop["n_customers"]) / n,
            }
        )
    return out.replace([np.inf, -np.inf], np.nan).reset_index()


def _mean_ci(d: pd.DataFrame, cols: list[str]) -> dict[str, float]:
    out = {}
    for m in cols:
        out[m] = d[m].mean()
        out[f"{m}_ci"] = half_width(d[m].to_numpy())
    return out


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Means and 95% half-widths per arm."""
    cols = [*OUTCOMES, "followers", "bell", "cost", *MEASURES]
    rows = []
    for arm, g in runs.groupby(ARM, sort=True):
        rows.append(dict(zip(ARM, arm, strict=True)) | {"replicates": len(g)} | _mean_ci(g, cols))
    return pd.DataFrame(rows)


def paired(runs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences by replicate, per quality: followers - likes (same campaign
    setting, posting all year); campaign - none and all year - stop at 60 (same strategy)."""
    cols = [*OUTCOMES, *MEASURES]
    idx = runs.set_index([*ARM, "replicate"]).sort_index()
    rows = []

    def add(contrast, campaign, q, a, b):
        d = idx.loc[a][cols] - idx.loc[b][cols]
        rows.append({"contrast": contrast, "campaign": campaign, "quality": q} | _mean_ci(d, cols))

    for q in sorted(runs["quality"].unique()):
        for camp in (True, False):
            add(
                "followers - likes", camp, q, ("followers", camp, True, q), ("likes", camp, True, q)
            )
        for s in STRATEGIES:
            add(f"{s}: campaign - none", True, q, (s, True, True, q), (s, False, True, q))
        for s in STRATEGIES:
            for camp in (True, False):
                add(f"{s}: all year - stop at 60", camp, q, (s, camp, True, q), (s, camp, False, q))
    return pd.DataFrame(rows)


def _arm_label(strategy: str, campaign: bool) -> str:
    return f"{strategy}, " + ("with its campaign" if campaign else "no campaign (posting only)")


def _style(campaign: bool) -> dict:
    return {"ls": "-", "lw": 1.4} if campaign else {"ls": "--", "lw": 1.0}


def _band(ax, x, table: np.ndarray, color, campaign: bool, label: str) -> None:
    """Mean over replicates (rows of ``table``) and its 95% interval, per column."""
    lo, hi = np.array([ci95(table[:, j]) for j in range(table.shape[1])]).T
    ax.plot(x, table.mean(axis=0), color=color, label=label, **_style(campaign))
    ax.fill_between(x, lo, hi, color=color, alpha=0.25 if campaign else 0.12, lw=0)


def _per_step(series: pd.DataFrame, column: str, scale: float = 1.0, roll: int = 1):
    """``{(strategy, campaign, quality): (steps, replicates x steps array)}``, all-year arms."""
    out = {}
    year = series[series["all_year"]]
    for (s, c, q), g in year.groupby(["strategy", "campaign", "quality"], sort=True):
        wide = g.pivot(index="replicate", columns="step", values=column).sort_index(axis=1)
        if roll > 1:
            wide = wide.T.rolling(roll, min_periods=1).mean().T
        out[(s, c, q)] = (wide.columns.to_numpy(), wide.to_numpy(dtype=float) * scale)
    return out


def figures(
    series: pd.DataFrame, table: pd.DataFrame, diffs: pd.DataFrame, exps: dict[str, Experiment]
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scen = exps["likes"].scenario
    n, stop = scen.graph.n, scen.paid.stop_step
    qualities = sorted(table["quality"].unique())
    title = (
        f"{scen.graph.kind} graph, {n:,} people, {scen.run.steps} steps; paid campaign on steps "
        f"{scen.paid.start_step}-{stop} (shaded); {exps['likes'].replicates} replicates per line "
        "(common random numbers); bands: 95% intervals of the mean"
    )
    arms = [(s, c) for s in STRATEGIES for c in (True, False)]
    paths = []

    def save(fig, name):
        fig.tight_layout()
        paths.append(HERE / name)
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)

    # (a) brand impressions per step over time.
    series = series.assign(brand=series[list(BRAND_SOURCES)].sum(axis=1))
    curves = _per_step(series, "brand", roll=ROLL)
    fig, axes = plt.subplots(1, len(qualities), figsize=(4.2 * len(qualities), 4.6), sharey=True)
    for ax, q in zip(axes, qualities, strict=True):
        for s, c in arms:
            _band(ax, *curves[(s, c, q)], COLORS[s], c, _arm_label(s, c))
        ax.axvspan(scen.paid.start_step, stop, color="0.92", lw=0)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
        ax.set_title(f"brand.quality = {q:g}")
        ax.set_xlabel("step (day)")
        ax.grid(alpha=0.3, which="both", lw=0.5)
    axes[0].set_ylabel(f"brand impressions per step\n({ROLL}-step rolling mean; symlog axis)")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle(
        "Brand impressions (follower + notification + amplified + paid) over a year, "
        "posting all year\n" + title,
        fontsize=10,
    )
    save(fig, "brand_impressions.png")

    # (b) followers, bell subscribers and reach over time.
    rows = [
        ("n_followers", "followers (share of people)"),
        ("n_bell", "bell subscribers (share of people)"),
        ("cum_reach", "reach (share ever aware)"),
    ]
    fig, axes = plt.subplots(
        len(rows), len(qualities), figsize=(4.2 * len(qualities), 10), sharey="row", sharex=True
    )
    for i, (col, label) in enumerate(rows):
        cv = _per_step(series, col, scale=1.0 / n)
        for ax, q in zip(axes[i], qualities, strict=True):
            for s, c in arms:
                _band(ax, *cv[(s, c, q)], COLORS[s], c, _arm_label(s, c))
            ax.axvspan(scen.paid.start_step, stop, color="0.92", lw=0)
            ax.grid(alpha=0.3, lw=0.5)
            if i == 0:
                ax.set_title(f"brand.quality = {q:g}")
            if i == len(rows) - 1:
                ax.set_xlabel("step (day)")
        axes[i, 0].set_ylabel(label)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(
        "Audience over a year, posting all year: followers, bell subscribers, reach\n" + title,
        fontsize=10,
    )
    save(fig, "audience.png")

    # (c) outcomes against quality.
    bars = title.replace(" (shaded); ", "; ").replace(
        "bands: 95% intervals of the mean", "bars: 95% intervals"
    )
    year = table[table["all_year"]]
    panels = [
        *((m, lab, sc, year, "arm") for m, (lab, sc) in OUTCOMES.items()),
        (
            "brand_after",
            "brand impressions per step\nafter the campaign (steps 61-365)",
            1.0,
            year,
            "arm",
        ),
        (
            "per_post_after",
            "impressions per post after the campaign\n(follower + notification + amplified)",
            1.0,
            year,
            "arm",
        ),
        (
            "customers",
            "customers won by posting after step 60\n(all year - stop at 60, share)",
            1.0,
            diffs,
            "stop",
        ),
        (
            "profit",
            "profit of posting after step 60\n(all year - stop at 60, thousands)",
            1e-3,
            diffs,
            "stop",
        ),
    ]
    fig, axes = plt.subplots(2, 4, figsize=(19, 8.5))
    for ax, (m, label, scale, data, kind) in zip(axes.flat, panels, strict=True):
        for s, c in arms:
            if kind == "arm":
                g = data[(data["strategy"] == s) & (data["campaign"] == c)]
            else:
                g = data[
                    (data["contrast"] == f"{s}: all year - stop at 60") & (data["campaign"] == c)
                ]
            g = g.sort_values("quality")
            off = (-0.006 if s == "likes" else 0.006) + (0.0 if c else 0.003)
            ax.errorbar(
                g["quality"] + off,
                g[m] * scale,
                g[f"{m}_ci"] * scale,
                color=COLORS[s],
                marker="o" if c else "s",
                ms=4,
                capsize=3,
                label=_arm_label(s, c),
                **_style(c),
            )
        if kind == "stop":
            ax.axhline(0, color="k", lw=0.6)
        ax.set_ylabel(label)
        ax.set_xlabel("brand.quality (content quality)")
        ax.set_xticks(qualities)
        ax.grid(alpha=0.3, lw=0.5)
    for ax in axes[1, :2]:
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(
        "Outcomes against content quality (top and bottom left: posting all year; "
        "bottom right: paired effect of posting after the campaign)\n" + bars,
        fontsize=10,
    )
    save(fig, "outcomes.png")
    return paths


def _fmt(row, m: str, scale: float = 1.0, digits: int = 3) -> str:
    return f"{row[m] * scale:.{digits}f} ± {row[f'{m}_ci'] * scale:.{digits}f}"


def _print(table: pd.DataFrame, keys: list[str], cols: list[tuple[str, float, int]]) -> None:
    print("  ".join(f"{k:>10s}" for k in keys) + "  " + "  ".join(f"{m:>19s}" for m, _, _ in cols))
    for _, r in table.iterrows():
        head = "  ".join(
            f"{r[k]:>10.2f}" if isinstance(r[k], float) else f"{r[k]!s:>10s}" for k in keys
        )
        print(head + "  " + "  ".join(f"{_fmt(r, m, sc, d):>19s}" for m, sc, d in cols))


def report(table: pd.DataFrame, diffs: pd.DataFrame) -> None:
    """Print the tables FINDINGS.md quotes."""
    year = table[table["all_year"]]
    print(
        "Posting all year: impressions (mean ± 95% half-width); followers and bell in % of people"
    )
    _print(
        year,
        ["strategy", "campaign", "quality"],
        [
            ("brand_camp", 1, 0),
            ("brand_after", 1, 1),
            ("brand_early", 1, 1),
            ("brand_late", 1, 1),
            ("per_post_start", 1, 1),
            ("per_post_after", 1, 1),
            ("per_100_camp", 1, 0),
            ("per_100_after", 1, 1),
        ],
    )
    print("\nPosting all year: audience and the state at step 60 (followers and bell in %)")
    _print(
        year,
        ["strategy", "campaign", "quality"],
        [
            ("followers_60", 100, 2),
            ("bell_60", 100, 2),
            ("followers", 100, 2),
            ("bell", 100, 2),
            ("reach_60", 1, 3),
            ("reach_gain_after", 1, 3),
            ("customers_60", 1, 3),
            ("customers_gain_after", 1, 3),
        ],
    )
    print("\nEvery arm: final outcomes; profit and cost in thousands")
    _print(
        table,
        ["strategy", "campaign", "all_year", "quality"],
        [
            ("reach", 1, 3),
            ("customers", 1, 3),
            ("net_sentiment", 1, 3),
            ("profit", 1e-3, 1),
            ("cost", 1e-3, 1),
        ],
    )
    print("\nPaired differences (mean ± 95% half-width over replicates)")
    _print(
        diffs,
        ["contrast", "campaign", "quality"],
        [
            ("brand_after", 1, 1),
            ("reach", 1, 3),
            ("reach_60", 1, 3),
            ("customers", 1, 3),
            ("customers_60", 1, 3),
            ("net_sentiment", 1, 3),
            ("net_sentiment_60", 1, 3),
            ("profit", 1e-3, 1),
        ],
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--out",
        default=str(HERE / "results"),
        help="folder holding the two sweeps' --out folders, likes/ and followers/",
    )
    args = ap.parse_args(argv)
    runs, series, exps = load(Path(args.out))
    scen = exps["likes"].scenario
    runs = runs.merge(
        window_measures(series, scen.graph.n, scen.paid.stop_step), on=["strategy", "run"]
    )
    table = summarise(runs)
    diffs = paired(runs)
    table.to_csv(HERE / "summary.csv", index=False, float_format="%.5g")
    diffs.to_csv(HERE / "differences.csv", index=False, float_format="%.5g")
    paths = figures(series, table, diffs, exps)
    pd.set_option("display.width", 250)
    report(table, diffs)
    print(
        f"\nwrote {HERE / 'summary.csv'}, {HERE / 'differences.csv'}, "
        + ", ".join(str(p) for p in paths)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
