"""The reference models' numbers, printed: Watts (2002)'s cascade window and the Bass peak.

    python experiments/reference_checks.py

The tests assert the bounds (``tests/test_threshold.py``, ``tests/test_theory.py``); this
script prints the values behind them. Watts: ``scenarios/reference/watts_2002.toml``
(10^4 agents, one seed, a new graph per run), 300 runs per mean degree, "global" meaning
more than 10% adopt; the literature's Monte Carlo (``docs/references.md`` section 3.3)
beside it. Bass: ``scenarios/reference/bass_per_year.toml`` with p = 0.005, q = 0.84 per
year on 6,000 agents, 20 replicates, in weekly and in yearly steps; the time the mean
curve reaches F(t*) = 1/2 - p/(2q) against t* = ln(q/p)/(p+q).
Results: ``experiments/results/reference_checks.md``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402

LITERATURE = {1.5: 0.55, 3: 0.86, 5: 0.70, 6: 0.10, 7: 0.0, 8: 0.0}


def watts(z: float, phi: float, runs: int = 300) -> float:
    sc = simulator.Scenario.load(ROOT / "scenarios/reference/watts_2002.toml",
                                 overrides={"graph.mean_degree": z, "wom.threshold": phi})
    adopted = simulator.run(sc, replicates=runs).finals["positive"].to_numpy()
    return float((adopted > 0.1).mean())


def bass_peak(step: str, p: float = 0.005, q: float = 0.84, n: int = 6000) -> float:
    over = {"graph.n": n, "market.p_advertising": f"{p} per year",
            "wom.p_positive": f"{q / n} per year", "run.steps": "12 years", "run.replicates": 20,
            "run.step": step}
    sc = simulator.Scenario.load(ROOT / "scenarios/reference/bass_per_year.toml", overrides=over)
    res = simulator.run(sc)
    F = res.timeseries.groupby("step")["n_positive"].mean().to_numpy() / res.n
    dt = {"week": 7 / 365.25, "year": 1.0}[step]
    target = 0.5 - p / (2 * q)
    k = int(np.argmax(F >= target))
    return (k - 1 + (target - F[k - 1]) / (F[k] - F[k - 1])) * dt


def main() -> None:
    lines = ["# Reference models: the numbers behind the tests", "",
             "`python experiments/reference_checks.py`", "",
             "## Watts (2002): P(global cascade), 10^4 agents, one seed, 300 runs", "",
             "| mean degree z | phi = 0.18 | literature (phi = 0.18) | phi = 0.3 |",
             "|---:|---:|---:|---:|"]
    for z, lit in LITERATURE.items():
        row = f"| {z:g} | {watts(z, 0.18):.3f} | {lit:.2f} | {watts(z, 0.3, 100):.3f} |"
        lines.append(row)
        print(row, flush=True)
    p, q = 0.005, 0.84
    t_star = math.log(q / p) / (p + q)
    lines += ["", "## Bass, p = 0.005, q = 0.84 per year, 6,000 agents, 20 replicates", "",
              f"t* = ln(q/p)/(p+q) = {t_star:.3f} years", "",
              "| step | peak time (years) | off t* |", "|---|---:|---:|"]
    for step in ("week", "year"):
        peak = bass_peak(step)
        lines.append(f"| {step} | {peak:.3f} | {100 * (peak / t_star - 1):+.1f}% |")
        print(lines[-1], flush=True)
    out = ROOT / "experiments" / "results" / "reference_checks.md"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
