"""Do the money map's findings hold at other seeds and sizes?

The middle campaign (600 sponsored impressions a day for 60 days in ``invest`` and
``burst``, 100 a day for 360 days in ``always_on``) at Kwak's churn, for the well-run and
the pushy page (promotions 10% and 60% of posts), at 50,000 and
200,000 agents (the map has 20,000 and 100,000) and at seeds 2026 (the map's), 1 and 2,
four replicates each. Then the one point where the audience was worth nothing, the pushy
page in a saturated market (4.5 sponsored impressions per person), at 10,000 and 40,000
agents (the map has 20,000) and the same seeds. The three arms run with the same seed, so replicate r is the same
graph and the same streams in each: the contrasts are paired.

    python experiments/money_map/check_sizes.py

Writes ``check_sizes.csv`` beside this file (one row per page, size, seed and contrast: the
mean NPV difference, its smallest and largest pair, and pairs where the first arm is
higher) and prints it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402
from simulator.sweep.experiment import Experiment  # noqa: E402

ARMS = ("invest", "burst", "always_on")
CONTRASTS = (("invest", "always_on"), ("invest", "burst"), ("burst", "always_on"))
POINT = {"invest": 600}  # paid.sponsored_per_step of invest and burst; always_on: a sixth
CHURN = 0.0025
PROMOS = (0.1, 0.6)
SIZES = (50_000, 200_000)
#: The saturated pushy point: (agents, sponsored impressions a day for 60 days).
SATURATED = ((10_000, 750), (40_000, 3_000))
SEEDS = (2026, 1, 2)
REPLICATES = 4


def main() -> None:
    bases = {arm: Experiment.load(HERE / f"{arm}.toml").scenario for arm in ARMS}
    rows = []
    for promo in PROMOS:
        for n in SIZES:
            for seed in SEEDS:
                _contrast(bases, promo, n, seed, rows)
    for n, per_day in SATURATED:
        for seed in SEEDS:
            _contrast(bases, 0.6, n, seed, rows, per_day)
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "check_sizes.csv", index=False, float_format="%.6g")
    print(table.round(1).to_string(index=False))


def _contrast(bases: dict, promo: float, n: int, seed: int, rows: list[dict],
              per_day: int = POINT["invest"]) -> None:
    npv = {}
    for arm in ARMS:
        spend = per_day // 6 if arm == "always_on" else per_day  # the same money
        sc = bases[arm].with_overrides({"paid.sponsored_per_step": spend,
                                        "followers.p_unfollow": CHURN, "graph.n": n,
                                        "brand.promo_share": promo})
        npv[arm] = simulator.run(sc, seed=seed, replicates=REPLICATES).finals["npv"]
    for first, second in CONTRASTS:
        d = npv[first] - npv[second]
        rows.append({"promo_share": promo, "n": n, "impressions": per_day * 60 / n, "seed": seed,
                     "contrast": f"{first} - {second}",
                     "npv_mean": d.mean(), "npv_min": d.min(), "npv_max": d.max(),
                     "first_higher": int((d > 0).sum()), "pairs": d.size})
        print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
