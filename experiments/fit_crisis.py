"""Fit the crisis story to an outage series, then answer a what-if with the posterior.

1. Make the "observed" outage: ``scenarios/crisis.toml`` as the brand lived it
   (silent), at n = 5,000, with known values of the two keys to be fitted
   (``crisis.share`` = 0.3, ``wom.p_negative`` = 0.05), one run with a seed the
   fit never uses; keep days 14 to 40 of ``n_negative`` and ``cum_negative``.
2. Fit ``experiments/fit_crisis.toml`` (ABC-SMC, 200 particles x 8 generations).
3. What if the brand had answered the complaints within a day
   (``crisis.response = "respond"``, ``detection_delay = 1``), or only after a
   week? 200 posterior draws, each run silent and answering with the same seed
   (common random numbers): the difference is what answering saved, and its
   spread over the draws is the uncertainty left by the data.
4. The same question at the true values (200 seeds): the check that the
   posterior's answer holds the truth.

    python experiments/fit_crisis.py [--workers 2]

Writes ``experiments/results/fit_crisis/`` (outage.csv, the fit's posterior.csv,
fit.json, predictive.csv and figures, what_if.csv) and
``experiments/results/fit_crisis.md`` / ``.json``.
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
HERE = ROOT / "experiments"
FIT_FILE = HERE / "fit_crisis.toml"
OUT = HERE / "results" / "fit_crisis"
TRUTH = {"crisis.share": 0.3, "wom.p_negative": 0.05}
OBSERVED = ("n_negative", "cum_negative")
DAYS = np.arange(14, 41)
DATA_SEED = 777
CHANGES = {
    "silent": {},
    "answer_within_a_day": {"crisis.response": "respond", "crisis.detection_delay": 1},
    "answer_after_a_week": {"crisis.response": "respond", "crisis.detection_delay": 7},
}
METRICS = ("ever_negative", "negative", "negative_talk", "responses")
DRAWS = 200
KEEP = ("posterior.csv", "fit.json", "predictive.csv", "posterior_marginals.png",
        "posterior_pairs.png", "posterior_predictive.png")


def relative_paths(folder: Path) -> None:
    """Record paths in the kept fit.json relative to the repository, not this machine."""
    path = folder / "fit.json"
    path.write_text(path.read_text().replace(str(ROOT) + "/", ""))


def make_outage() -> Path:
    """The synthetic observed series (the truth's run, days 14-40)."""
    import simulator
    from simulator.fit.data import write_observed

    scenario = simulator.Scenario.load(ROOT / "scenarios" / "crisis.toml",
                                       overrides={"graph.n": 5000, **TRUTH})
    ts = simulator.run(scenario, seed=DATA_SEED, replicates=1).timeseries
    OUT.mkdir(parents=True, exist_ok=True)
    return write_observed(OUT / "outage.csv", DAYS, {c: ts[c].to_numpy()[DAYS] for c in OBSERVED})


def effects(table, n: int) -> dict:
    """Per change against silence: people saved from turning detractor, and words."""
    from simulator.fit.predict import interval

    out = {}
    for name in CHANGES:
        if name == "silent":
            continue
        saved_people = (table["silent.ever_negative"] - table[f"{name}.ever_negative"]) * n
        saved_words = (table["silent.negative_talk"] - table[f"{name}.negative_talk"]) * n
        end_people = (table["silent.negative"] - table[f"{name}.negative"]) * n
        out[name] = {
            "people_spared_turning_detractor": interval(saved_people.to_numpy()),
            "fewer_detractors_at_the_end": interval(end_people.to_numpy()),
            "negative_words_not_spoken": interval(saved_words.to_numpy()),
            "complaints_answered": interval(table[f"{name}.responses"].to_numpy()),  # a count
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    import pandas as pd

    from simulator.fit.inference import run_fit
    from simulator.fit.predict import what_if
    from simulator.fit.spec import FitSpec

    t0 = time.perf_counter()
    make_outage()
    spec = FitSpec.load(FIT_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_fit(spec, Path(tmp) / "fit", workers=args.workers, truth=TRUTH)
        for name in KEEP:
            shutil.copy2(Path(tmp) / "fit" / name, OUT / name)
    relative_paths(OUT)
    fit_seconds = time.perf_counter() - t0
    n = spec.observed.n
    print(f"fit done in {fit_seconds:.0f} s; what-if with {DRAWS} posterior draws",
          file=sys.stderr, flush=True)
    table = what_if(spec, result.posterior, CHANGES, METRICS, draws=DRAWS)
    table.to_csv(OUT / "what_if.csv", index=False, float_format="%.8g")
    posterior_answer = effects(table, n)
    # The same question at the true values, over seeds: what the answer should hold.
    truth_table = pd.DataFrame({k: [v] * DRAWS for k, v in TRUTH.items()})
    truth_table["weight"] = 1.0 / DRAWS
    at_truth = what_if(spec, truth_table, CHANGES, METRICS, draws=DRAWS, seed=spec.seed + 1)
    true_answer = effects(at_truth, n)

    record = {
        "command": "python experiments/fit_crisis.py",
        "truth": TRUTH, "data_seed": DATA_SEED, "observed": list(OBSERVED),
        "observed_days": [int(DAYS[0]), int(DAYS[-1])], "n": n,
        "posterior": result.summary, "diagnostics": result.diagnostics,
        "what_if": {"draws": DRAWS, "changes": CHANGES, "posterior": posterior_answer,
                    "at_the_true_values": true_answer},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (HERE / "results" / "fit_crisis.json").write_text(json.dumps(record, indent=2) + "\n")

    def fmt(q):
        return f"{q['median']:,.0f} (90%: {q['low']:,.0f} to {q['high']:,.0f})"

    d = result.diagnostics
    lines = [
        "# Fitting the crisis story, then asking what answering would have saved",
        "",
        f"`python experiments/fit_crisis.py` ({record['seconds']:.0f} s). The outage of "
        "`scenarios/crisis.toml` at n = 5,000, the brand silent, made with crisis.share = 0.3 "
        f"and wom.p_negative = 0.05 (seed {DATA_SEED}); observed: {', '.join(OBSERVED)} on "
        f"days {DAYS[0]}-{DAYS[-1]} (`fit_crisis/outage.csv`). Fit: "
        f"`experiments/fit_crisis.toml`, {d['generations']} generations of {d['population']} "
        f"particles, {d['simulations']:,} simulations, last acceptance "
        f"{d['acceptance_rate']:.0%}, effective sample size {d['effective_sample_size']:.0f}.",
        "",
        "| key | true | posterior median | 90% interval |",
        "|---|---|---|---|",
    ]
    for key, true in TRUTH.items():
        s = result.summary[key]
        lines.append(f"| `{key}` | {true:g} | {s['median']:.4g} | "
                     f"[{s['ci90'][0]:.4g}, {s['ci90'][1]:.4g}] |")
    lines += [
        "",
        f"## What if the brand had answered? ({DRAWS} posterior draws, each with common random "
        "numbers against silence)",
        "",
        "| | answer within a day | answer after a week |",
        "|---|---|---|",
    ]
    labels = {"people_spared_turning_detractor": "people spared turning detractor",
              "fewer_detractors_at_the_end": "fewer detractors on day 60",
              "negative_words_not_spoken": "negative words not spoken",
              "complaints_answered": "complaints answered"}
    for key, label in labels.items():
        lines.append(f"| {label} (posterior) | {fmt(posterior_answer['answer_within_a_day'][key])} "
                     f"| {fmt(posterior_answer['answer_after_a_week'][key])} |")
        lines.append(f"| {label} (at the true values) | "
                     f"{fmt(true_answer['answer_within_a_day'][key])} | "
                     f"{fmt(true_answer['answer_after_a_week'][key])} |")
    lines += [
        "",
        "Reading: the posterior's answer carries two uncertainties, what the data leave "
        "open about the keys and the luck of one outage; the rows at the true values carry "
        "only the luck. Figures: `fit_crisis/posterior_marginals.png`, "
        "`fit_crisis/posterior_pairs.png`, `fit_crisis/posterior_predictive.png`.",
        "",
    ]
    (HERE / "results" / "fit_crisis.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
