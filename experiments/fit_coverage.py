"""Coverage of ``virality fit``'s 90% intervals over repeated synthetic data sets.

Simulation-based calibration: for each data set, true values of three keys
are drawn from the fit's own prior, the simulator makes an "observed" series
from them (with a seed the fit never uses), and the fit runs as
``tests/test_fit.py``'s recovery test does. If the posterior were exact, each
key's 90% interval would hold its true value in 90% of the data sets;
ABC-SMC stops at a finite tolerance, which widens the posterior, so a
coverage above 90% (conservative intervals) is what is expected, and one well
below 90% would be a bug (overconfident intervals).

    python experiments/fit_coverage.py            # 100 data sets, ~10 min on 2 cores
    python experiments/fit_coverage.py --quick    # 20 data sets

Writes ``experiments/results/fit_coverage.json`` (every data set: truth,
interval, median) and ``experiments/results/fit_coverage.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"
sys.path.insert(0, str(ROOT))

SCENARIO = {
    "name": "coverage",
    "graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 10},
    "seeding": {"n_seeds": 10},
    "run": {"steps": 30, "replicates": 1, "seed": 5},
}
PRIORS = {"wom.p_positive": (0.001, 0.2), "wom.p_negative": (0.001, 0.2),
          "market.p_advertising": (0.0, 0.03)}
SERIES = ("n_aware", "n_positive", "n_negative")
STEPS = np.arange(0, 31, 2)
POPULATION, GENERATIONS = 200, 7
LEVEL = 0.90


def one_data_set(index: int) -> dict:
    """Draw a truth from the prior, make its data, fit, and report the intervals."""
    import simulator
    from simulator.fit.data import write_observed
    from simulator.fit.inference import run_fit
    from simulator.fit.spec import FitSpec

    rng = np.random.default_rng(np.random.SeedSequence(2026, spawn_key=(index,)))
    truth = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in PRIORS.items()}
    scenario = simulator.Scenario.from_dict(SCENARIO)
    data_seed = 10_000 + index  # never a fit's seed
    ts = simulator.run(scenario.with_overrides(truth), seed=data_seed, replicates=1).timeseries
    with tempfile.TemporaryDirectory() as tmp:
        data = write_observed(Path(tmp) / "observed.csv", STEPS,
                              {c: ts[c].to_numpy()[STEPS] for c in SERIES})
        spec = FitSpec.create(scenario, data, PRIORS, population=POPULATION,
                              generations=GENERATIONS, seed=index, predictive_draws=1)
        t0 = time.perf_counter()
        result = run_fit(spec, Path(tmp) / "fit", progress=False, plots=False)
        seconds = time.perf_counter() - t0
    keys = {}
    for key, true in truth.items():
        s = result.summary[key]
        lo, hi = s["ci90"]
        keys[key] = {"truth": true, "median": s["median"], "ci90": [lo, hi],
                     "covered": bool(lo <= true <= hi)}
    return {"index": index, "data_seed": data_seed, "keys": keys, "seconds": round(seconds, 2),
            "simulations": result.diagnostics["simulations"],
            "final_tolerance": result.diagnostics["epsilon"][-1]}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a binomial proportion."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 data sets instead of 100")
    parser.add_argument("--sets", type=int, help="number of data sets")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    sets = args.sets or (20 if args.quick else 100)
    t0 = time.perf_counter()
    rows = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.processes, mp_context=ctx) as pool:
        for row in pool.map(one_data_set, range(sets)):
            rows.append(row)
            covered = {k: sum(r["keys"][k]["covered"] for r in rows) for k in PRIORS}
            print(f"data set {row['index'] + 1}/{sets}: "
                  + ", ".join(f"{k} {v}/{len(rows)}" for k, v in covered.items())
                  + f" ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    summary = {}
    for key, (lo, hi) in PRIORS.items():
        k = sum(r["keys"][key]["covered"] for r in rows)
        widths = [(r["keys"][key]["ci90"][1] - r["keys"][key]["ci90"][0]) / (hi - lo)
                  for r in rows]
        summary[key] = {"covered": k, "data_sets": sets, "coverage": k / sets,
                        "coverage_95ci": list(wilson(k, sets)),
                        "mean_width_over_prior_width": float(np.mean(widths))}
    all_three = sum(all(v["covered"] for v in r["keys"].values()) for r in rows)
    record = {
        "what": "share of synthetic data sets whose 90% interval holds the true value "
                "(truth drawn from the prior; simulation-based calibration)",
        "command": "python experiments/fit_coverage.py" + (" --quick" if args.quick else ""),
        "scenario": SCENARIO, "priors": PRIORS, "series": SERIES, "steps": STEPS.tolist(),
        "population": POPULATION, "generations": GENERATIONS, "level": LEVEL,
        "per_key": summary,
        "all_keys_covered": {"covered": all_three, "data_sets": sets,
                             "share": all_three / sets},
        "seconds": round(time.perf_counter() - t0, 1),
        "data_sets": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fit_coverage.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Coverage of the fit's 90% intervals",
        "",
        f"`{record['command']}`: {sets} synthetic data sets, each made from true values drawn "
        "from the prior (so an exact posterior's 90% interval holds the truth 90% of the "
        f"time), fitted with {POPULATION} particles x {GENERATIONS} generations (ABC-SMC, "
        "rmse distance). Scenario: Erdős–Rényi, n = 2,000, mean degree 10, 10 seeds, 30 steps; "
        "observed n_aware, n_positive, n_negative every other step.",
        "",
        "| key | prior | covered | coverage | 95% interval of the coverage | mean interval width / prior width |",
        "|---|---|---|---|---|---|",
    ]
    for key, s in summary.items():
        lo, hi = s["coverage_95ci"]
        lines.append(f"| `{key}` | uniform {PRIORS[key][0]:g}..{PRIORS[key][1]:g} | "
                     f"{s['covered']}/{sets} | {s['coverage']:.0%} | {lo:.0%}-{hi:.0%} | "
                     f"{s['mean_width_over_prior_width']:.2f} |")
    lines += [
        "",
        f"All three keys inside their intervals at once: {all_three}/{sets} "
        f"({all_three / sets:.0%}; 0.9^3 = 73% if the three were independent and exact).",
        "",
        "Reading: a coverage at or above 90% means the intervals are honest (ABC's finite "
        "tolerance makes them, if anything, a little wide); one well below 90% would mean "
        "overconfident intervals. "
        f"Time: {record['seconds']:.0f} s on {args.processes} processes.",
        "",
    ]
    (RESULTS / "fit_coverage.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
