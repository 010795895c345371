"""How Facebook-like the friend graphs are: the `social` default (groups whose size grows
with degree, mixed by degree) and the groups of one size it had before (`clustered`'s
defaults), beside Ugander, Karrer, Backstrom & Marlow (2011).

    python experiments/facebook_graph.py          # 10^5 and 10^6 agents, mean degree 130

For each graph: median and mean degree, degree assortativity, mean local clustering
by degree (a sample of 200 agents per band), the share in the giant component, the
share of agents with fewer friends than the median of their friends' (the friendship
paradox, G4), the average distance from sampled breadth-first searches, and the build
time against Erdős–Rényi of the same size. Facebook's numbers are for its full graph
(mean 190, median 99); ours keep Facebook's mean/median ratio at mean 130.
Results: ``experiments/results/facebook_graph.{json,md,png}`` (``docs/references.md``
section 7 gives the published numbers and checks G1-G6).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results"

from simulator.graphs import clustered, erdos_renyi, social  # noqa: E402

BANDS = [(5, 10), (10, 20), (20, 50), (50, 90), (90, 110), (110, 200), (200, 500),
         (500, 1000), (1000, 5000)]
FACEBOOK = {"median": 99, "mean": 190.6, "assortativity": 0.226, "clustering_90_110": 0.14,
            "giant": 0.9991, "paradox": 0.836, "distance": 4.7}


def stats(g, rng) -> dict:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components, shortest_path

    deg = g.degrees()
    rows = np.repeat(np.arange(g.n), deg)
    r = float(np.corrcoef(deg[rows].astype(float), deg[g.indices].astype(float))[0, 1])
    ip, ind = g.indptr, g.indices

    def local(i):
        nb = ind[ip[i]:ip[i + 1]]
        if nb.size < 2:
            return 0.0
        links = sum(np.isin(ind[ip[j]:ip[j + 1]], nb, assume_unique=True).sum() for j in nb)
        return links / (nb.size * (nb.size - 1))

    clustering = {}
    for lo, hi in BANDS:
        pool = np.flatnonzero((deg >= lo) & (deg < hi))
        if pool.size:
            pick = rng.choice(pool, size=min(200, pool.size), replace=False)
            clustering[f"{lo}-{hi}"] = float(np.mean([local(i) for i in pick]))
    adj = sp.csr_matrix((np.ones(ind.size, np.int8), ind, ip), shape=(g.n, g.n))
    _, labels = connected_components(adj, directed=False)
    giant = float(np.bincount(labels).max() / g.n)
    sample = rng.choice(g.n, size=2000, replace=False)
    paradox = float(np.mean([deg[i] < np.median(deg[ind[ip[i]:ip[i + 1]]]) for i in sample
                             if deg[i] > 0]))
    sources = rng.choice(g.n, size=4, replace=False)
    d = shortest_path(adj, unweighted=True, directed=False, indices=sources)
    distance = float(d[np.isfinite(d) & (d > 0)].mean())
    hist = np.bincount(np.minimum(deg, 16), minlength=17)
    return {"n": g.n, "mean": float(deg.mean()), "median": float(np.median(deg)),
            "max": int(deg.max()), "assortativity": r, "clustering": clustering,
            "giant": giant, "paradox": paradox, "distance": distance,
            "degrees_2_3": int(hist[2:4].sum()), "degrees_4_7": int(hist[4:8].sum()),
            "degrees_8_15": int(hist[8:16].sum())}


def timed(build):
    t0 = time.perf_counter()
    g = build()
    return g, time.perf_counter() - t0


def main() -> None:
    rng = np.random.default_rng(1)
    social(3000, 40, seed=0), clustered(3000, 40, seed=0), erdos_renyi(3000, 40, seed=0)
    rows = []
    for n in (10**5, 10**6):
        _, t_er = timed(lambda n=n: erdos_renyi(n, 130, seed=1))
        for name, build in (("one group size (social before)", lambda n=n: clustered(n, 130, seed=1)),
                            ("social (default)", lambda n=n: social(n, 130, seed=1))):
            g, t = timed(build)
            row = {"graph": name, "seconds": t, "er_seconds": t_er, **stats(g, rng)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            del g
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "facebook_graph.json").write_text(json.dumps({"facebook": FACEBOOK, "rows": rows},
                                                           indent=1))
    lines = ["# How Facebook-like the friend graphs are", "",
             "`python experiments/facebook_graph.py`: mean degree 130 (Facebook's mean/median "
             "ratio); Facebook's column is Ugander et al. 2011's full graph (mean 190).", "",
             "| graph | n | median | assortativity | clustering at degree 90-110 | giant "
             "component | fewer friends than their friends' median | average distance | "
             "agents of degree 4-7 (8-15) | build (x Erdős–Rényi) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
             f"| Facebook 2011 | 721M | {FACEBOOK['median']} | {FACEBOOK['assortativity']} | "
             f"{FACEBOOK['clustering_90_110']} | {FACEBOOK['giant']} | {FACEBOOK['paradox']} | "
             f"{FACEBOOK['distance']} | | |"]
    for r in rows:
        lines.append(
            f"| {r['graph']} | {r['n']:,} | {r['median']:.0f} | {r['assortativity']:.3f} | "
            f"{r['clustering'].get('90-110', float('nan')):.3f} | {r['giant']:.4f} | "
            f"{r['paradox']:.3f} | {r['distance']:.2f} | {r['degrees_4_7']:,} "
            f"({r['degrees_8_15']:,}) | {r['seconds']:.1f} s ({r['seconds'] / r['er_seconds']:.1f}x) |")
    lines += ["", "Mean local clustering by degree band:", "",
              "| graph | n | " + " | ".join(f"{lo}-{hi}" for lo, hi in BANDS) + " |",
              "|---|---:|" + "---:|" * len(BANDS)]
    for r in rows:
        lines.append(f"| {r['graph']} | {r['n']:,} | " + " | ".join(
            f"{r['clustering'].get(f'{lo}-{hi}', float('nan')):.3f}" for lo, hi in BANDS) + " |")
    (RESULTS / "facebook_graph.md").write_text("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    mids = [np.sqrt(lo * hi) for lo, hi in BANDS]
    for r, style in zip(rows, ("o--", "s-", "o--", "s-"), strict=True):
        ys = [r["clustering"].get(f"{lo}-{hi}", np.nan) for lo, hi in BANDS]
        ax.plot(mids, ys, style, label=f"{r['graph']}, n = {r['n']:,}")
    ax.plot([100], [0.14], "k*", markersize=14, label="Facebook (Ugander et al. 2011): 0.14")
    ax.set_xscale("log")
    ax.set_xlabel("degree (friends)")
    ax.set_ylabel("mean local clustering")
    ax.legend()
    fig.savefig(RESULTS / "facebook_graph.png", dpi=120)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
