"""What would flip each story's conclusion: one parameter swept until the winner changes.

Usage::

    python experiments/tipping_points.py            # every story (about five minutes)
    python experiments/tipping_points.py crisis     # one

Each story compares two of its variants on one outcome (``TIPS``). For each value
of the swept parameter, ``virality compare`` runs the two (the file's replicates,
common random numbers) and the paired difference of the outcome is recorded; the
tipping point is where that difference changes sign (linear interpolation between
the two grid values around it), at each of three seeds. Results:
``experiments/results/tipping_points.md`` and ``.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import Scenario  # noqa: E402
from simulator.compare import compare  # noqa: E402

RESULTS = ROOT / "experiments" / "results"


class Tip(NamedTuple):
    """The question of one story: does ``winner`` beat ``other`` on ``outcome`` as ``key`` grows?"""

    winner: str
    other: str
    outcome: str
    key: str
    values: tuple[float, ...]
    why: str


TIPS = {
    "adoption_strategies": Tip(
        "spontaneous", "ignore", "profit", "brand.cost_per_post", (100, 400, 800, 1600, 3200),
        "the cost of one post (content and community management)"),
    "crisis": Tip(
        "respond", "silent", "profit", "crisis.p_win_back", (0.0, 0.05, 0.1, 0.2, 0.5),
        "the chance an answer wins a complainer back"),
    "half_hearted": Tip(
        "committed", "abandon", "profit", "brand.cost_per_post", (100, 400, 800, 1600, 3200),
        "the cost of one post"),
    "likes_vs_followers": Tip(
        "followers", "likes", "profit", "paid.cost_per_impression", (0.01, 0.1, 1.0, 3.0, 10.0),
        "the price of a sponsored impression (0.01 = 10 per thousand)"),
    "paid_boost": Tip(
        "sponsored", "bought_likes", "profit", "paid.cost_per_impression",
        (0.01, 0.1, 1.0, 3.0, 10.0), "the price of a sponsored impression"),
    "presence": Tip(
        "pushy", "ignore", "net_sentiment", "brand.annoyance", (0.0, 0.025, 0.05, 0.1, 0.2),
        "the chance a promotion seen puts its viewer off"),
}
SEEDS = (None, 1, 2)  # None: the file's own seed


def crossing(values, diffs) -> float | None:
    """Where the paired difference first changes sign (linear between grid values)."""
    for k in range(len(values) - 1):
        x0, x1, d0, d1 = values[k], values[k + 1], diffs[k], diffs[k + 1]
        if d0 == 0:
            return float(x0)
        if (d0 > 0) != (d1 > 0):
            return float(x0 + (x1 - x0) * d0 / (d0 - d1))
    return None


def story(name: str) -> dict:
    tip = TIPS[name]
    base = Scenario.load(ROOT / "scenarios" / f"{name}.toml")
    rows = []
    for seed in SEEDS:
        diffs = []
        for value in tip.values:
            cmp = compare(base.with_overrides({tip.key: value}), [tip.other, tip.winner],
                          seed=seed, baseline=tip.other)
            d = cmp.differences().set_index("variant").loc[tip.winner]
            diffs.append([float(d[tip.outcome]), float(d[f"{tip.outcome}_low"]),
                          float(d[f"{tip.outcome}_high"])])
            print(f"{name} seed={cmp.seed} {tip.key}={value}: {diffs[-1][0]:,.4g}", flush=True)
        rows.append({"seed": cmp.seed, "diffs": diffs,
                     "tipping_point": crossing(tip.values, [d[0] for d in diffs])})
    return {"tip": tip._asdict(), "rows": rows}


def markdown(data: dict) -> str:
    lines = ["# Tipping points of the stories", "",
             "Command: `python experiments/tipping_points.py`. Each cell: the paired difference "
             "(winner minus other, mean and 95% interval) at that value of the parameter; the "
             "tipping point is where it changes sign.", ""]
    for name, entry in data.items():
        tip = Tip(**entry["tip"])
        lines += [f"## {name}: {tip.winner} vs {tip.other} on {tip.outcome}, against "
                  f"`{tip.key}` ({tip.why})", "",
                  "| seed | " + " | ".join(f"{v:g}" for v in tip.values) + " | tipping point |",
                  "|---" * (len(tip.values) + 2) + "|"]
        # Money in whole units; a share (net sentiment, reach) in thousandths.
        small = max(abs(v) for row in entry["rows"] for d in row["diffs"] for v in d) < 10
        spec = "+.3f" if small else "+,.0f"
        for row in entry["rows"]:
            cells = [f"{m:{spec}} ({lo:{spec}} to {hi:{spec}})" for m, lo, hi in row["diffs"]]
            point = row["tipping_point"]
            lines.append(f"| {row['seed']} | " + " | ".join(cells) + " | "
                         + (f"{point:.3g}" if point is not None else "none in the range") + " |")
        lines.append("")
    return "\n".join(lines)


def main(names: list[str]) -> None:
    path = RESULTS / "tipping_points.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    for name in names or list(TIPS):
        if name not in TIPS:
            raise SystemExit(f"unknown story {name!r}; allowed: {', '.join(TIPS)}")
        data[name] = story(name)
    path.write_text(json.dumps(data, indent=1) + "\n")
    (RESULTS / "tipping_points.md").write_text(markdown({k: data[k] for k in TIPS if k in data}))


if __name__ == "__main__":
    main(sys.argv[1:])
