"""Do the stories hold at other seeds and other sizes? Every story at half, once and twice
its population and at three seeds, with the paired differences from its first variant.

Usage::

    python experiments/story_sizes.py                 # every story (about 10 minutes)
    python experiments/story_sizes.py crisis          # one

A story's claim may be written in the README only if it holds in every row of its
table here, or the README says where it stops holding. Each row is one
``virality compare scenarios/<story>.toml --seed S --set graph.n=N`` (the file's
own replicates and steps). Results: ``experiments/results/story_sizes.md`` and
``.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import Scenario  # noqa: E402
from simulator.compare import compare  # noqa: E402
from simulator.compare.outcomes import format_interval  # noqa: E402

RESULTS = ROOT / "experiments" / "results"
STORIES = ("adoption_strategies", "crisis", "half_hearted", "likes_vs_followers", "paid_boost",
           "presence")
#: The outcomes each row reports (means per variant, paired differences from the first).
SHOWN = ("reach", "net_sentiment", "customers", "profit")
#: Further paired contrasts a story's claims need, besides the one from its first variant.
ALSO_AGAINST = {"crisis": ("silent",)}  # does taking the page down end worse than silence?
SEEDS = (None, 1, 2)  # None: the file's own seed
SCALES = (0.5, 1.0, 2.0)


def _paired(diff, name: str) -> dict[str, list[float]]:
    """``name``'s paired difference per shown outcome: mean, 95% low and high, wins."""
    return {m: [float(diff.loc[name, c]) for c in (m, f"{m}_low", f"{m}_high", f"{m}_wins")]
            for m in SHOWN if m in diff}


def rows_of(story: str) -> list[dict]:
    base = Scenario.load(ROOT / "scenarios" / f"{story}.toml")
    out = []
    for scale in SCALES:
        n = int(base.graph.n * scale)
        scenario = base.with_overrides({"graph.n": n})
        for seed in SEEDS:
            t0 = time.perf_counter()
            cmp = compare(scenario, seed=seed)
            table = cmp.table.set_index("variant")
            diff = cmp.differences().set_index("variant")
            also = {b: cmp.differences(baseline=b).set_index("variant")
                    for b in ALSO_AGAINST.get(story, ())}
            row = {"n": n, "seed": cmp.seed, "seconds": round(time.perf_counter() - t0, 1),
                   "baseline": cmp.baseline_name, "variants": {}}
            for name in cmp.variants:
                cells = {m: [float(table.loc[name, m]), float(table.loc[name, f"{m}_low"]),
                             float(table.loc[name, f"{m}_high"])]
                         for m in SHOWN if m in table}
                if name in diff.index:
                    cells["paired"] = _paired(diff, name)
                for b, d_b in also.items():
                    if name != b and name in d_b.index:
                        cells.setdefault("paired_also", {})[b] = _paired(d_b, name)
                row["variants"][name] = cells
            out.append(row)
            print(f"{story}: n={n:,} seed={cmp.seed}: {row['seconds']} s", flush=True)
    return out


def markdown(story: str, rows: list[dict]) -> list[str]:
    names = list(rows[0]["variants"])
    base = rows[0]["baseline"]
    lines = [f"## {story}", "", f"Means (95% interval) per variant; paired difference from "
             f"**{base}** below each other variant's means.", ""]
    for m in SHOWN:
        if m not in rows[0]["variants"][names[0]]:
            continue
        lines += [f"**{m}**", "", "| n | seed | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 2) + "|"]
        for row in rows:
            cells = []
            for name in names:
                v = row["variants"][name]
                text = format_interval(*v[m])
                if "paired" in v:
                    d = v["paired"][m]
                    text += f"<br>vs {base}: {format_interval(*d[:3], signed=True)}"
                for b, d_b in v.get("paired_also", {}).items():
                    text += f"<br>vs {b}: {format_interval(*d_b[m][:3], signed=True)}"
                cells.append(text)
            lines.append(f"| {row['n']:,} | {row['seed']} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def main(names: list[str]) -> None:
    stories = names or list(STORIES)
    path = RESULTS / "story_sizes.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    for story in stories:
        if story not in STORIES:
            raise SystemExit(f"unknown story {story!r}; allowed: {', '.join(STORIES)}")
        data[story] = rows_of(story)
    path.write_text(json.dumps(data, indent=1) + "\n")
    md = ["# The stories at other seeds and sizes", "",
          "Command: `python experiments/story_sizes.py`. Each row: `virality compare "
          "scenarios/<story>.toml --seed S --set graph.n=N`, the file's replicates and steps.", ""]
    for story in STORIES:
        if story in data:
            md += markdown(story, data[story])
    (RESULTS / "story_sizes.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
