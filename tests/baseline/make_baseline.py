"""The checked-in baseline of the shipped scenarios: a number never changes by accident.

Every shipped scenario (``scenarios/**/*.toml``), its base and each of its
variants, runs shrunk to test size (at most 3,000 agents, its own number of
steps, two replicates, seed 7); one larger case (the full platform model at
60,000 agents) takes the kernels' multi-threaded branches. For each, ``scenarios.json`` keeps a SHA-256
fingerprint of the whole time-series table (every column, every row, every
bit) and the mean final metrics, so a failing comparison says *what* moved.

``tests/test_baseline.py`` runs the same and compares. A deliberate change of
the dynamics regenerates the file with::

    python tests/baseline/make_baseline.py
    python tests/baseline/make_baseline.py --only crisis.toml/respond   # named cases only

and the commit that does so says why the numbers moved. A new scenario or case
is added without recomputing the others: ``make_baseline.py --add``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("scenarios.json")
SEED = 7
REPLICATES = 2
MAX_AGENTS = 3_000


def scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").rglob("*.toml"))


def cases() -> list[tuple[str, object]]:
    """``(case id, scenario)`` for every shipped scenario's base and variants, shrunk."""
    import simulator

    out = []
    for path in scenario_files():
        sc = simulator.Scenario.load(path)
        over = {"run.replicates": REPLICATES, "run.seed": SEED}
        if sc.graph.kind != "edgelist":
            over["graph.n"] = min(sc.graph.n, MAX_AGENTS)
        sc = sc.with_overrides(over)
        rel = path.relative_to(ROOT / "scenarios").as_posix()
        out.append((rel, sc))
        for name in sc.variants:
            out.append((f"{rel}/{name}", sc.variant(name)))
    out.append(("large/full_platform", large_full_platform()))
    out.append(("threshold/full_platform", threshold_full_platform()))
    for response in ("respond", "take_down"):
        out.append((f"backfire/{response}", backfire(response)))
    return out


def backfire(response: str):
    """The mechanisms by which a presence or an answer can fail, all on: annoying posts,
    the cost of a presence, public and compensated answers with copycats, outrage at a
    take-down."""
    import simulator

    return simulator.Scenario.from_dict({
        "graph": {"kind": "social", "n": 3_000, "mean_degree": 40},
        "seeding": {"n_seeds": 20, "initial_customers": 0.2},
        "feed": {"policy": "engagement", "amplification": 0.5},
        "followers": {"enabled": True, "initial_followers": 0.2, "initial_bell": 0.1},
        "brand": {"strategy": "spontaneous", "quality": 0.4, "promo_share": 0.5,
                  "annoyance": 0.1, "cost_per_step": 20.0},
        "crisis": {"step": 10, "response": response, "answer_exposure": 10.0,
                   "compensation": 10.0, "p_copycat": 0.1,
                   "capacity_share": 0.01} if response == "respond" else
                  {"step": 10, "response": response, "takedown_outrage": 0.2},
        "market": {"p_purchase": 0.05},
        "run": {"steps": 40, "replicates": REPLICATES, "seed": SEED},
    })


def threshold_full_platform():
    """Threshold contagion through every platform layer and a crisis (remembered word of
    both signs, seen through the ranked feed)."""
    import simulator

    return simulator.Scenario.from_dict({
        "graph": {"kind": "social", "n": 3_000, "mean_degree": 40},
        "seeding": {"n_seeds": 30},
        "wom": {"contagion": "threshold", "threshold": 0.08, "threshold_distribution": "normal",
                "threshold_spread": 0.04, "p_positive": 0.3, "p_negative": 0.4},
        "feed": {"policy": "engagement", "amplification": 1.0},
        "followers": {"enabled": True, "initial_followers": 0.1, "initial_bell": 0.02},
        "brand": {"strategy": "spontaneous"},
        "crisis": {"step": 15, "response": "respond"},
        "market": {"p_purchase": 0.1},
        "run": {"steps": 40, "replicates": REPLICATES, "seed": SEED},
    })


def large_full_platform():
    """The full platform model of ``experiments/bench_platform.py``, big enough that
    every kernel takes its multi-threaded branch (many talkers, candidates, targets)."""
    import simulator

    return simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 60_000, "mean_degree": 60},
        "seeding": {"n_seeds": 100},
        "wom": {"p_positive": 0.1},
        "feed": {"policy": "engagement", "amplification": 1.0},
        "followers": {"enabled": True, "initial_followers": 0.1, "initial_bell": 0.02},
        "brand": {"strategy": "spontaneous"},
        "paid": {"sponsored_per_step": 10_000, "influencers": 100, "bought_likes_per_step": 100},
        "run": {"steps": 40, "replicates": 1, "seed": SEED},
    })


def fingerprint(timeseries) -> str:
    """SHA-256 of every column of the table (name, dtype and bytes), in name order."""
    h = hashlib.sha256()
    for col in sorted(timeseries.columns):
        values = np.ascontiguousarray(timeseries[col].to_numpy())
        h.update(col.encode())
        h.update(str(values.dtype).encode())
        h.update(values.tobytes())
    return h.hexdigest()


def _clean(x: float):
    return None if isinstance(x, float) and math.isnan(x) else float(f"{x:.12g}")


def measure(scenario) -> dict:
    """The fingerprint and the mean finals of one case."""
    import simulator

    res = simulator.run(scenario, validate=True)
    finals = res.finals.drop(columns=["replicate"]).mean(numeric_only=True)
    return {
        "timeseries_sha256": fingerprint(res.timeseries),
        "columns": list(res.timeseries.columns),
        "rows": int(len(res.timeseries)),
        "final_means": {k: _clean(float(v)) for k, v in finals.items()},
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--add"]:
        # Cases new to the baseline only; every case already in it keeps its numbers.
        data = json.loads(BASELINE.read_text(encoding="utf-8"))
        data.update({cid: measure(sc) for cid, sc in cases() if cid not in data})
    elif argv[:1] == ["--only"]:
        # The named cases only (a deliberate change to them); the others keep their numbers.
        data = json.loads(BASELINE.read_text(encoding="utf-8"))
        known = dict(cases())
        unknown = [cid for cid in argv[1:] if cid not in known]
        if unknown or len(argv) < 2:
            print(f"--only: unknown case {unknown[:1] or 'none given'}; allowed: {', '.join(known)}",
                  file=sys.stderr)
            return 2
        data.update({cid: measure(known[cid]) for cid in argv[1:]})
    else:
        data = {cid: measure(sc) for cid, sc in cases()}
    BASELINE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE.relative_to(ROOT)}: {len(data)} cases")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
