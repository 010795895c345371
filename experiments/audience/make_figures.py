"""Figures and tables of the audience study (``FINDINGS.md`` beside this file).

Run the sweep first, then this::

    virality sweep experiments/audience/audience.toml --workers 2 --series --out experiments/audience/results
    python experiments/audience/make_figures.py

Reads ``results/results.parquet`` and ``results/series.parquet``. For each design point
(follows from shares x churn x share rate) and replicate it measures, after the 60-day
campaign (steps 61-365):

* ``followers_60`` and ``followers_365``: the audience when the campaign ends and a
  year on, and ``growth`` = followers_365 / followers_60 (above 1: it accumulates);
* ``follows_after``: follows won after the campaign, and ``from_posts_per_day``:
  brand impressions per step (follower + notification + amplified) after it;
* ``reach_after``: people first reached after the campaign (share of the population).

Writes ``summary.csv`` (means and 95% half-widths per point), ``audience.png`` (the
audience over the year, one panel per churn rate) and prints the table FINDINGS.md quotes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
KEYS = ["followers.p_follow_from_shares", "followers.p_unfollow", "feed.p_share"]
CAMPAIGN_END = 60


def per_run(series: pd.DataFrame, results: pd.DataFrame, n: int) -> pd.DataFrame:
    s = series.set_index(["run", "step"]).sort_index()
    rows = []
    for run, g in s.groupby(level="run"):
        g = g.droplevel("run")
        after = g.loc[CAMPAIGN_END + 1:]
        f60, f365 = g.n_followers.loc[CAMPAIGN_END], g.n_followers.iloc[-1]
        rows.append({
            "run": run, "followers_60": f60, "followers_365": f365,
            "growth": f365 / f60 if f60 else np.nan,
            "follows_after": after.new_follows.sum(),
            "brand_views_per_day": (after.new_impressions_follower + after.new_impressions_notification
                                    + after.new_impressions_amplified).mean(),
            "reach_after": (g.cum_reach.iloc[-1] - g.cum_reach.loc[CAMPAIGN_END]) / n,
        })
    out = pd.DataFrame(rows).merge(results[["run", "point", "replicate", *KEYS, "profit"]], on="run")
    return out


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    measures = ["followers_60", "followers_365", "growth", "follows_after", "brand_views_per_day",
                "reach_after", "profit"]
    g = runs.groupby(KEYS)[measures]
    mean, sem, count = g.mean(), g.sem(), g.count()
    from scipy import stats

    half = sem * stats.t.ppf(0.975, count - 1)
    return mean.join(half.add_suffix("_hw")).reset_index()


def figure(series: pd.DataFrame, results: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = series.merge(results[["run", *KEYS]], on="run")
    churns = sorted(s["followers.p_unfollow"].unique(), reverse=True)
    fig, axes = plt.subplots(1, len(churns), figsize=(16, 5), dpi=120, sharey=True)
    styles = {0.0: "-", 0.05: "--", 0.2: ":"}
    colours = {0.2: "#0072B2", 0.6: "#D55E00"}
    for ax, churn in zip(axes, churns, strict=True):
        part = s[s["followers.p_unfollow"] == churn]
        for (shares, share), g in part.groupby(["followers.p_follow_from_shares", "feed.p_share"]):
            line = g.groupby("step").n_followers.mean()
            ax.plot(line.index, line.values, styles.get(shares, "-"), color=colours.get(share, "k"),
                    label=f"from shares {shares:g}, p_share {share:g}")
        ax.axvline(CAMPAIGN_END, color="grey", lw=0.8)
        ax.set(title=f"unfollow hazard {churn:g} a day", xlabel="step (day)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("followers (mean of 8 replicates)")
    axes[-1].legend(fontsize=8)
    fig.suptitle("The audience after a 60-day campaign (grey line): does it keep growing?")
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    results = pd.read_parquet(RESULTS / "results.parquet")
    series = pd.read_parquet(RESULTS / "series.parquet")
    n = int(round(series[series.step == 0].n_unaware.iloc[0] + series[series.step == 0].n_aware.iloc[0]))
    runs = per_run(series, results, n)
    table = summarise(runs)
    table.to_csv(HERE / "summary.csv", index=False)
    figure(series, results, HERE / "audience.png")
    cols = KEYS + ["followers_60", "followers_365", "growth", "growth_hw", "follows_after",
                   "brand_views_per_day", "reach_after", "profit"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].round(4).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
