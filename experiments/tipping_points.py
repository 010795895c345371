"""What would flip each story's conclusion: one parameter swept until the winner changes.

Usage::

    python experiments/tipping_points.py                      # every story (about five minutes)
    python experiments/tipping_points.py crisis               # one
    python experiments/tipping_points.py --scales 0.5,2       # at half and twice each file's size

Each story compares two of its variants on one outcome (``TIPS``). For each value
of the swept parameter, ``virality compare`` runs the two (the file's replicates,
common random numbers) and the paired difference of the outcome is recorded; the
tipping point is where that difference changes sign (linear interpolation between
the two grid values around it), at each of three seeds, at the file's population and,
with ``--scales``, at other populations (rows are kept per population and seed). Results:
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


def story(name: str, scales: tuple[float, ...] = (1.0,), kept: list[dict] = ()) -> dict:
    """The tipping point of one story at each scale and seed; ``kept`` rows of other
    populations (from an earlier run) stay."""
    tip = TIPS[name]
    file = Scenario.load(ROOT / "scenarios" / f"{name}.toml")
    rows = []
    for scale in scales:
        n = int(file.graph.n * scale)
        base = file.with_overrides({"graph.n": n})
        for seed in SEEDS:
            diffs = []
            for value in tip.values:
                cmp = compare(base.with_overrides({tip.key: value}), [tip.other, tip.winner],
                              seed=seed, baseline=tip.other)
                d = cmp.differences().set_index("variant").loc[tip.winner]
                diffs.append([float(d[tip.outcome]), float(d[f"{tip.outcome}_low"]),
                              float(d[f"{tip.outcome}_high"])])
                print(f"{name} n={n} seed={cmp.seed} {tip.key}={value}: {diffs[-1][0]:,.4g}",
                      flush=True)
            rows.append({"n": n, "seed": cmp.seed, "diffs": diffs,
                         "tipping_point": crossing(tip.values, [d[0] for d in diffs])})
    done = {r["n"] for r in rows}
    rows += [r for r in kept if r.get("n", file.graph.n) not in done]
    # By population, then the file's own seed first and the others in order.
    rows.sort(key=lambda r: (r.get("n", file.graph.n), -1 if r["seed"] == file.run.seed else r["seed"]))
    return {"tip": tip._asdict(), "rows": rows}


def markdown(data: dict) -> str:
    lines = ["# Tipping points of the stories", "",
             "Command: `python experiments/tipping_points.py` (the files' populations) and `python "
             "experiments/tipping_points.py --scales 0.5,2` (half and twice). Each cell: the paired difference "
             "(winner minus other, mean and 95% interval) at that value of the parameter; the "
             "tipping point is where it changes sign.", ""]
    for name, entry in data.items():
        tip = Tip(**entry["tip"])
        file_n = Scenario.load(ROOT / "scenarios" / f"{name}.toml").graph.n
        lines += [f"## {name}: {tip.winner} vs {tip.other} on {tip.outcome}, against "
                  f"`{tip.key}` ({tip.why})", "",
                  "| n | seed | " + " | ".join(f"{v:g}" for v in tip.values) + " | tipping point |",
                  "|---" * (len(tip.values) + 3) + "|"]
        # Money in whole units; a share (net sentiment, reach) in thousandths.
        small = max(abs(v) for row in entry["rows"] for d in row["diffs"] for v in d) < 10
        spec = "+.3f" if small else "+,.0f"
        for row in entry["rows"]:
            cells = [f"{m:{spec}} ({lo:{spec}} to {hi:{spec}})" for m, lo, hi in row["diffs"]]
            point = row["tipping_point"]
            n = row.get("n", file_n)  # rows of earlier runs are at the file's population
            lines.append(f"| {n:,} | {row['seed']} | " + " | ".join(cells) + " | "
                         + (f"{point:.3g}" if point is not None else "none in the range") + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    scales = (1.0,)
    if argv[:1] == ["--scales"]:
        if len(argv) < 2:
            raise SystemExit("--scales needs a value, e.g. --scales 0.5,2")
        try:
            scales = tuple(float(x) for x in argv[1].split(","))
        except ValueError:
            raise SystemExit(f"--scales = {argv[1]!r} is not allowed; expected numbers such as 0.5,2") from None
        if not all(x > 0 for x in scales):
            raise SystemExit(f"--scales = {argv[1]!r} is out of range; allowed: numbers above 0")
        argv = argv[2:]
    path = RESULTS / "tipping_points.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    for name in argv or list(TIPS):
        if name not in TIPS:
            raise SystemExit(f"unknown story {name!r}; allowed: {', '.join(TIPS)}")
        data[name] = story(name, scales, data.get(name, {}).get("rows", []))
    path.write_text(json.dumps(data, indent=1) + "\n")
    (RESULTS / "tipping_points.md").write_text(markdown({k: data[k] for k in TIPS if k in data}))


if __name__ == "__main__":
    main(sys.argv[1:])
