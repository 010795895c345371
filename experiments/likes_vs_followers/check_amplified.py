"""How much of ``new_impressions_amplified`` is the brand's own posts?

The series counts every amplified impression: brand posts shown beyond the
followers on their (real or bought) likes, and people's word shown beyond
their friends on its likes. The study's "brand impressions" add the whole
series, so this check measures the people's share. It reruns a few runs of
both strategies (with their campaigns) twice on the same seed: once as is,
once with people's amplified items relabelled as friend word just after
``gather_candidates`` builds them. The source label only picks which counter
an item adds to (ranking, likes, follows and persuasion do not read it for
these items), so both runs must be identical in every other series; the
script checks that, and then the relabelled run's amplified series is the
brand's own.

    python experiments/likes_vs_followers/check_amplified.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from simulator.components import feed as K  # noqa: E402  (the feed calls gather_candidates)
from simulator.engine.run import run  # noqa: E402
from simulator.scenario import Scenario  # noqa: E402
from simulator.state.agents import Source  # noqa: E402

_gather = K.gather_candidates


def _gather_brand_only(*args):
    """``gather_candidates``, then people's amplified items labelled as friend word."""
    k, n_pos, n_neg = _gather(*args)
    items = args[-1]  # the buffers: target, author, source, sentiment, quality, age
    author, source = items.author, items.source
    if k <= source.size:
        people = (source[:k] == Source.AMPLIFIED) & (author[:k] >= 0)
        source[:k][people] = Source.FRIEND
    return k, n_pos, n_neg


def main() -> int:
    base = Scenario.load(HERE.parent.parent / "scenarios" / "likes_vs_followers.toml")
    rows = []
    for variant in ("likes", "followers"):
        for quality in (0.5, 0.75):
            scen = base.variant(variant).with_overrides({"brand.quality": quality})
            for seed in (1, 2):
                K.gather_candidates = _gather
                plain = run(scen, seed=seed, replicates=1).timeseries
                K.gather_candidates = _gather_brand_only
                brand = run(scen, seed=seed, replicates=1).timeseries
                K.gather_candidates = _gather
                same = plain.columns.drop(["new_impressions_amplified", "new_impressions_organic"])
                if not plain[same].equals(brand[same]):
                    raise SystemExit("relabelling changed the dynamics; the check does not hold")
                moved = plain["new_impressions_amplified"] - brand["new_impressions_amplified"]
                if not (
                    moved == brand["new_impressions_organic"] - plain["new_impressions_organic"]
                ).all():
                    raise SystemExit("relabelled impressions did not move to organic")
                for window, steps in (("1-60", (1, 60)), ("61-365", (61, 365))):
                    w = plain["step"].between(*steps)
                    amp = plain.loc[w, "new_impressions_amplified"].sum()
                    rows.append(
                        {
                            "variant": variant,
                            "quality": quality,
                            "seed": seed,
                            "steps": window,
                            "amplified_per_step": amp / w.sum(),
                            "people_share": moved[w].sum() / amp if amp else np.nan,
                        }
                    )
    table = (
        pd.DataFrame(rows)
        .groupby(["variant", "quality", "steps"])[["amplified_per_step", "people_share"]]
        .mean()
    )
    print("Amplified impressions per step, and the share that is people's word (not the brand's);")
    print("mean of 2 seeds, 20,000 agents. Both runs of each pair were identical otherwise.")
    print(table.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
