"""A Bass fit: recover p and q on the complete graph from Bass's closed-form curve.

The "observed" series is not a simulation but the analytic Bass (1969) curve
F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t) with the meta-analysis means
p = 0.03, q = 0.38 per year (Sultan, Farley & Lehmann 1990), read monthly for
10 years as shares of the population. The model is
``scenarios/reference/bass_per_year.toml``: the complete graph, in weekly steps
(where it follows the continuous curve within 2%, tests/test_theory.py), n = 2,000.
The fitted keys are the per-step chances ``market.p_advertising`` (p) and
``wom.p_positive`` (q / n), with log-uniform priors two decades wide around
the truth; the answer is turned back into rates per year.

    python experiments/fit_bass.py [--workers 2]

Writes ``experiments/results/fit_bass.json`` and ``.md``, and the fit's
posterior, fit.json and figures in ``experiments/results/fit_bass/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results"
P, Q, N = 0.03, 0.38, 2000
STEPS_PER_YEAR = 365.25 / 7
KEEP = ("posterior.csv", "fit.json", "predictive.csv", "posterior_marginals.png",
        "posterior_pairs.png", "posterior_predictive.png")


def relative_paths(folder: Path) -> None:
    """Record paths in the kept fit.json relative to the repository, not this machine."""
    path = folder / "fit.json"
    path.write_text(path.read_text().replace(str(ROOT) + "/", ""))


def continuous_bass(p: float, q: float, t: np.ndarray) -> np.ndarray:
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + q / p * e)


def per_step(rate: float) -> float:
    """A rate per year as the chance per weekly step (as the scenario's units convert it)."""
    return float(1 - np.exp(-rate / STEPS_PER_YEAR))


def per_year(chance) -> np.ndarray:
    return -np.log1p(-np.asarray(chance, float)) * STEPS_PER_YEAR


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    import simulator
    from simulator.fit.data import write_observed
    from simulator.fit.inference import run_fit
    from simulator.fit.spec import FitSpec

    t0 = time.perf_counter()
    scenario = simulator.Scenario.load(
        ROOT / "scenarios" / "reference" / "bass_per_year.toml",
        overrides={"graph.n": N, "wom.p_positive": f"{Q / N} per year", "run.steps": "10 years"})
    months = np.arange(0, 121) / 12
    steps = np.round(months * STEPS_PER_YEAR).astype(int)
    truth = {"market.p_advertising": per_step(P), "wom.p_positive": per_step(Q / N)}
    priors = {"market.p_advertising": {"low": per_step(P / 10), "high": per_step(P * 10),
                                       "scale": "log"},
              "wom.p_positive": {"low": per_step(Q / N / 10), "high": per_step(Q / N * 10),
                                 "scale": "log"}}
    with tempfile.TemporaryDirectory() as tmp:
        # The curve at the step each month falls on (the step's own time, not the month's).
        data = write_observed(Path(tmp) / "bass.csv", steps,
                              {"n_positive": continuous_bass(P, Q, steps / STEPS_PER_YEAR)})
        spec = FitSpec.create(scenario, data, priors, shares=True, population=300,
                              generations=10, seed=1, predictive_draws=100, name="fit_bass",
                              data_label="Bass (1969) closed form, p = 0.03, q = 0.38 per year")
        result = run_fit(spec, Path(tmp) / "fit", workers=args.workers, truth=truth)
        (RESULTS / "fit_bass").mkdir(parents=True, exist_ok=True)
        for name in KEEP:
            shutil.copy2(Path(tmp) / "fit" / name, RESULTS / "fit_bass" / name)
    relative_paths(RESULTS / "fit_bass")
    found = {}
    for name, key, true, scale in (("p", "market.p_advertising", P, 1),
                                   ("q", "wom.p_positive", Q, N)):
        s = result.summary[key]
        lo, hi = (float(per_year(v) * scale) for v in s["ci90"])
        median = float(per_year(s["median"]) * scale)
        found[name] = {"true_per_year": true, "median_per_year": median,
                       "ci90_per_year": [lo, hi], "covered": lo <= true <= hi,
                       "relative_error_of_median": median / true - 1}
    d = result.diagnostics
    record = {"command": "python experiments/fit_bass.py", "n": N, "step": "week",
              "observed": "n_positive share, monthly for 10 years, from the closed form",
              "found": found, "diagnostics": d, "seconds": round(time.perf_counter() - t0, 1)}
    (RESULTS / "fit_bass.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Bass fit: p and q recovered from the closed-form curve",
        "",
        f"`{record['command']}` ({record['seconds']:.0f} s): the complete graph of "
        f"{N:,} agents in weekly steps (`scenarios/reference/bass_per_year.toml`), fitted to "
        "Bass's F(t) with p = 0.03, q = 0.38 per year, observed monthly for 10 years as "
        f"shares; log-uniform priors a decade either side of the truth; {d['generations']} "
        f"generations of {d['population']} particles, {d['simulations']:,} simulations.",
        "",
        "| | true (per year) | posterior median | 90% interval | median's error |",
        "|---|---|---|---|---|",
    ]
    for name, f in found.items():
        lines.append(f"| {name} | {f['true_per_year']:g} | {f['median_per_year']:.4f} | "
                     f"[{f['ci90_per_year'][0]:.4f}, {f['ci90_per_year'][1]:.4f}] | "
                     f"{f['relative_error_of_median']:+.1%} |")
    lines += ["", "Figures: `fit_bass/posterior_marginals.png`, `fit_bass/posterior_pairs.png`, "
              "`fit_bass/posterior_predictive.png`.", ""]
    (RESULTS / "fit_bass.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
