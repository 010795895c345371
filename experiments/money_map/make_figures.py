"""Tables and the figure of the money map (``FINDINGS.md`` beside this file).

Run the three sweeps first (the commands are in ``invest.toml``), then this::

    python experiments/money_map/make_figures.py

Reads ``results/<arm>/results.parquet`` for the arms ``invest``, ``burst`` and
``always_on``. The three files share the grid and the seed, with common random numbers,
so run (point p, replicate r) of every arm is on the same graph with the same streams:
each contrast below is paired replicate by replicate, with a Student-t 95% interval.

* ``invest - always_on``: building an audience against paying for reach all year, the
  money map's question (same money, same posts);
* ``invest - burst``: what the audience is worth (same campaign, same timing, with and
  without follows);
* ``burst - always_on``: what front-loading the same impressions is worth, without any
  audience.

Writes ``summary.csv`` (per point and arm: means), ``differences.csv`` (per point and
contrast: mean, 95% half-width, pairs where the first arm is higher), ``money_map.png``
and prints the table FINDINGS.md quotes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ARMS = ("invest", "burst", "always_on")
CONTRASTS = (("invest", "always_on"), ("invest", "burst"), ("burst", "always_on"))
#: The grid's keys; ``paid.sponsored_per_step`` differs by arm (always_on has a sixth of
#: it for six times as long), so points are matched by their index, and ``impressions``
#: (the campaign's total sponsored impressions per person) labels them for every arm.
KEYS = ["followers.p_unfollow", "graph.n", "brand.promo_share"]
MEASURES = ["npv", "profit", "reach", "customers", "net_sentiment", "followers"]
CAMPAIGN_DAYS = 60


def load() -> pd.DataFrame:
    frames = []
    for arm in ARMS:
        path = RESULTS / arm / "results.parquet"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run the sweeps in invest.toml's header first")
        df = pd.read_parquet(path)
        df["arm"] = arm
        frames.append(df)
    runs = pd.concat(frames, ignore_index=True)
    invest = runs[runs.arm == "invest"]
    sponsored = invest.groupby("point")["paid.sponsored_per_step"].first()
    runs["impressions"] = (runs.point.map(sponsored) * CAMPAIGN_DAYS / runs["graph.n"]).round(3)
    return runs


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    return (runs.groupby(["point", "impressions", *KEYS, "arm"])[MEASURES].mean()
            .reset_index())


def differences(runs: pd.DataFrame) -> pd.DataFrame:
    wide = runs.set_index(["point", "replicate", "arm"])[MEASURES].unstack("arm")
    labels = runs[runs.arm == "invest"].groupby("point")[["impressions", *KEYS]].first()
    rows = []
    for first, second in CONTRASTS:
        for point, g in wide.groupby(level="point"):
            row = {"point": point, **labels.loc[point].to_dict(), "contrast": f"{first} - {second}"}
            for m in MEASURES:
                d = (g[(m, first)] - g[(m, second)]).to_numpy(float)
                half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
                row[m] = d.mean()
                row[f"{m}_hw"] = half
                row[f"{m}_wins"] = int((d > 0).sum())
                row["pairs"] = d.size
            rows.append(row)
    return pd.DataFrame(rows)


def figure(diff: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(diff["graph.n"].unique())
    churns = sorted(diff["followers.p_unfollow"].unique(), reverse=True)
    promos = sorted(diff["brand.promo_share"].unique())
    fig, axes = plt.subplots(len(promos), len(CONTRASTS), figsize=(16, 4.2 * len(promos)),
                             dpi=120, squeeze=False)  # own y scales: the audience panel is small
    colours = {sizes[0]: "#0072B2", sizes[-1]: "#D55E00"}
    styles = {churns[0]: "-", churns[-1]: "--"}
    for row, promo in zip(axes, promos, strict=True):
        for ax, (first, second) in zip(row, CONTRASTS, strict=True):
            part = diff[(diff.contrast == f"{first} - {second}") & (diff["brand.promo_share"] == promo)]
            for (n, churn), g in part.groupby(["graph.n", "followers.p_unfollow"]):
                g = g.sort_values("impressions")
                ax.errorbar(g.impressions, g.npv / 1000, yerr=g.npv_hw / 1000, capsize=3,
                            color=colours[n], ls=styles[churn], marker="o",
                            label=f"{int(n):,} people, unfollow {churn:g}/day")
            ax.axhline(0, color="0.4", lw=0.8)
            ax.set_xscale("log")
            ax.set_title(f"{first} minus {second}, promotions {promo:.0%} of posts", fontsize=11)
            ax.grid(alpha=0.3)
        for ax in row:
            ax.set_ylabel("NPV difference (thousands, 10% a year)")
    for ax in axes[-1]:
        ax.set_xlabel("campaign: sponsored impressions per person")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=10)
    fig.suptitle("Same money, same posts: when does building an audience pay? (paired, 95%)")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    runs = load()
    summary(runs).to_csv(HERE / "summary.csv", index=False, float_format="%.6g")
    diff = differences(runs)
    diff.to_csv(HERE / "differences.csv", index=False, float_format="%.6g")
    figure(diff, HERE / "money_map.png")
    print("| promotions | people | unfollow a day | impressions per person | contrast | NPV (k) | "
          "reach | customers | followers at the end |")
    print("|---|---|---|---|---|---|---|---|---|")
    for _, r in diff.sort_values(["brand.promo_share", "graph.n", "followers.p_unfollow",
                                  "impressions", "contrast"]).iterrows():
        print(f"| {r['brand.promo_share']:g} | {int(r['graph.n']):,} | "
              f"{r['followers.p_unfollow']:g} | {r.impressions:g} | "
              f"{r.contrast} | {r.npv / 1000:+.1f} ± {r.npv_hw / 1000:.1f} ({r.npv_wins}/{r.pairs}) | "
              f"{r.reach:+.3f} ± {r.reach_hw:.3f} | {r.customers:+.3f} ± {r.customers_hw:.3f} | "
              f"{r.followers:+.4f} |")


if __name__ == "__main__":
    sys.exit(main())
