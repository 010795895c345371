"""Do the audience study's findings hold at other seeds and sizes?

Four points of ``audience.toml`` (follows from shares, unfollow hazard, share rate), each
at 10,000, 20,000 (the study's) and 40,000 agents and at seeds 2026, 1 and 2, four
replicates each: the audience's growth from the end of the campaign (step 60) to step 365.

    python experiments/audience/check_sizes.py

Writes ``check_sizes.csv`` beside this file and prints it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402

FIXED = {"paid.sponsored_per_step": 1500, "followers.p_bell": 0.02, "brand.quality": 0.75,
         "brand.promo_share": 0.1}
POINTS = [  # (follows from shares, unfollow hazard, share rate)
    (0.0, 0.0025, 0.2), (0.2, 0.0025, 0.6), (0.2, 0.001, 0.6), (0.2, 0.0, 0.6)]
SIZES = (10_000, 20_000, 40_000)
SEEDS = (2026, 1, 2)


def main() -> None:
    base = simulator.Scenario.load(ROOT / "scenarios" / "likes_vs_followers.toml").with_overrides(FIXED)
    rows = []
    for shares, churn, share in POINTS:
        for n in SIZES:
            for seed in SEEDS:
                sc = base.with_overrides({"followers.p_follow_from_shares": shares,
                                          "followers.p_unfollow": churn, "feed.p_share": share,
                                          "graph.n": n})
                ts = simulator.run(sc, seed=seed, replicates=4).timeseries
                by = ts.pivot(index="step", columns="replicate", values="n_followers")
                growth = by.loc[365] / by.loc[60]
                rows.append({"p_follow_from_shares": shares, "p_unfollow": churn, "p_share": share,
                             "n": n, "seed": seed, "growth_mean": growth.mean(),
                             "growth_min": growth.min(), "growth_max": growth.max()})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "check_sizes.csv", index=False)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
