"""The NPV of bad news (Goldenberg, Libai, Moldovan & Muller 2007): checks N2 and N3, and
the mechanism that decides whether the loss is more than proportional.

Usage::

    python experiments/goldenberg_2007/study.py      # about three minutes on two cores

On ``scenarios/reference/goldenberg_2007.toml``:

1. **N2**, the NPV against the disappointed share ``d`` (``1 - market.satisfaction``)
   at three seeds and at half, once and twice the population: the loss
   ``1 - NPV(d) / NPV(0)`` should rise with ``d`` and be more than ``d`` (more
   than 2% at d = 2%).
2. **The mechanism**: the same loss when negative word is short-lived (``talk_steps =
   3`` months, the project's default), against the negative word's reproduction
   number ``R- = p_negative x mean_degree x talk_steps`` (each rejecter's expected
   new rejecters among unaware friends at the start).
3. **N3**, weak ties: the NPV at weak shares 0.05, 0.2 and 0.5 against ``d``.

Writes ``experiments/results/goldenberg_2007.md`` and ``.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402
from simulator.engine.results import ci95  # noqa: E402

RESULTS = ROOT / "experiments" / "results"
SCENARIO = ROOT / "scenarios" / "reference" / "goldenberg_2007.toml"
SHARES = (0.0, 0.01, 0.02, 0.05, 0.1)


def npv(scenario, seed: int, d: float, **over) -> tuple[float, float, float]:
    """Mean NPV over the scenario's replicates at disappointed share ``d`` (and its interval)."""
    sc = scenario.with_overrides({**over, "market.satisfaction": 1.0 - d})
    values = simulator.run(sc, seed=seed).finals["npv"].to_numpy()
    low, high = ci95(values)
    return float(values.mean()), low, high


def loss_curve(scenario, seed: int, **over) -> dict[str, float]:
    """``1 - NPV(d) / NPV(0)`` for every ``d`` of :data:`SHARES`, paired by seed."""
    ref = npv(scenario, seed, 0.0, **over)[0]
    return {f"{d:g}": 1.0 - npv(scenario, seed, d, **over)[0] / ref for d in SHARES}


def main() -> None:
    base = simulator.Scenario.load(SCENARIO)
    out: dict = {"n2": [], "mechanism": [], "n3": []}
    for scale in (0.5, 1.0, 2.0):
        n = int(base.graph.n * scale)
        for seed in (base.run.seed, 1, 2):
            row = {"n": n, "seed": seed,
                   "loss": loss_curve(base.with_overrides({"graph.n": n}), seed)}
            out["n2"].append(row)
            print("N2", row, flush=True)
    degree = base.graph.mean_degree
    for r_neg in (0.25, 0.5, 1.0, 2.0, 4.0):
        over = {"wom.talk_steps": 3, "wom.p_positive": 0.05,
                "wom.p_negative": r_neg / (degree * 3)}
        row = {"r_negative": r_neg, "loss": loss_curve(base, base.run.seed, **over)}
        out["mechanism"].append(row)
        print("mechanism", row, flush=True)
    for weak in (0.05, 0.2, 0.5):
        row = {"weak_share": weak,
               "npv": {f"{d:g}": npv(base, base.run.seed, d, **{"graph.weak_share": weak})
                       for d in (0.0, 0.05, 0.1, 0.2)}}
        out["n3"].append(row)
        print("N3", row, flush=True)
    (RESULTS / "goldenberg_2007.json").write_text(json.dumps(out, indent=1) + "\n")
    (RESULTS / "goldenberg_2007.md").write_text(markdown(out))


def markdown(out: dict) -> str:
    ds = [f"{d:g}" for d in SHARES]
    lines = ["# The NPV of bad news: N2, N3 and the mechanism", "",
             "Command: `python experiments/goldenberg_2007/study.py`, on "
             "`scenarios/reference/goldenberg_2007.toml` (10 replicates per cell).", "",
             "## N2: NPV loss against the disappointed share d", "",
             "| n | seed | " + " | ".join(f"d = {d}" for d in ds[1:]) + " |",
             "|---" * (len(ds) + 1) + "|"]
    for row in out["n2"]:
        lines.append(f"| {row['n']:,} | {row['seed']} | "
                     + " | ".join(f"{row['loss'][d]:.1%}" for d in ds[1:]) + " |")
    lines += ["", "## The mechanism: short-lived negative word (talk_steps = 3 months)", "",
              "Loss against R- = p_negative x mean degree x talk_steps (positive word "
              "fixed: p_positive = 0.05).", "",
              "| R- | " + " | ".join(f"d = {d}" for d in ds[1:]) + " |",
              "|---" * len(ds) + "|"]
    for row in out["mechanism"]:
        lines.append(f"| {row['r_negative']:g} | "
                     + " | ".join(f"{row['loss'][d]:.1%}" for d in ds[1:]) + " |")
    lines += ["", "## N3: weak ties", "", "Mean NPV (95% interval).", "",
              "| weak share | d = 0 | d = 0.05 | d = 0.1 | d = 0.2 |", "|---|---|---|---|---|"]
    for row in out["n3"]:
        lines.append(f"| {row['weak_share']:g} | " + " | ".join(
            f"{m:,.0f} ({lo:,.0f} to {hi:,.0f})" for m, lo, hi in row["npv"].values()) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
