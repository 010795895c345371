"""Where a first run's compile time goes: seconds of numba compilation per kernel.

Runs the README's main job (``virality run scenarios/quickstart.toml``) in this process
with an empty numba cache, and records every compilation through numba's event API
(``numba.core.event``, the ``numba:compile`` events): per kernel its *self* time (its
own compilation, without the kernels compiled under it) and whether it is a
``parallel=True`` kernel. Kernels are grouped by what builds the graph
(``simulator.graphs``) and what runs the simulation (everything else). It also logs when
the compile helper (``simulator.engine.precompile``) starts and when the run stops
waiting for it, which shows which of the two is the first run's critical path.

    python experiments/compile_times.py       # writes experiments/results/compile_times.md
    VIRALITY_PRECOMPILE=0 python experiments/compile_times.py   # ... compile_times_no_helper.md

The helper compiles in its own process, so with it on, the simulation's kernels mostly
load from the cache here and their compile time is the helper's, not listed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--top", type=int, default=25, help="kernels listed (default 25)")
    args = ap.parse_args()
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-empty-")  # before numba loads
    from numba.core import event

    t_start = time.perf_counter()
    self_s: Counter[str] = Counter()
    parallel: dict[str, bool] = {}
    stack: list[list] = []  # [name, start, seconds of the compilations nested in it]
    timeline: list[tuple[float, str]] = []

    class Compiles(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            d = ev.data["dispatcher"]
            stack.append([f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                          time.perf_counter(), 0.0])
            parallel[stack[-1][0]] = bool(d.targetoptions.get("parallel", False))

        def on_end(self, ev: event.Event) -> None:
            name, t0, nested = stack.pop()
            took = time.perf_counter() - t0
            self_s[name] += took - nested
            if stack:
                stack[-1][2] += took

    event.register("numba:compile", Compiles())
    sys.path.insert(0, str(ROOT))
    from simulator.cli import main as virality
    from simulator.engine import precompile

    started, waited = precompile.compile_beside, precompile.Helper.wait

    def compile_beside(*a, **k):
        helper = started(*a, **k)
        timeline.append((time.perf_counter() - t_start,
                         "helper started" if helper else "no helper (cache warm, one core, or off)"))
        return helper

    def wait(self):
        timeline.append((time.perf_counter() - t_start, "graph built; waiting for the helper"))
        waited(self)
        timeline.append((time.perf_counter() - t_start, "helper done"))

    precompile.compile_beside, precompile.Helper.wait = compile_beside, wait
    out = tempfile.mkdtemp(prefix="compile-times-")
    t0 = time.perf_counter()
    code = virality(["run", str(ROOT / "scenarios" / "quickstart.toml"), "--out", out, "--quiet"])
    total = time.perf_counter() - t0
    timeline.append((time.perf_counter() - t_start, f"main job done (exit {code})"))

    def group(name: str) -> str:
        return "graph" if name.startswith("simulator.graphs") else "simulation and the rest"

    by_group: Counter[str] = Counter()
    n_parallel: Counter[str] = Counter()
    parallel_s: Counter[str] = Counter()
    for name, s in self_s.items():
        by_group[group(name)] += s
        if parallel[name]:
            n_parallel[group(name)] += 1
            parallel_s[group(name)] += s
    helper = os.environ.get("VIRALITY_PRECOMPILE", "1") != "0"
    lines = [
        "# Where the main job's first run spends its compile time",
        "",
        f"Command: `{'' if helper else 'VIRALITY_PRECOMPILE=0 '}python experiments/compile_times.py`"
        f" ({os.cpu_count()} CPUs). The main job in one process with an empty numba cache, "
        f"{'with' if helper else 'without'} the compile helper: {total:.1f} s in all, "
        f"{sum(self_s.values()):.1f} s of it compiling in this process.",
        "",
        "| compiled here | seconds | `parallel=True` kernels | their seconds |",
        "|---|---:|---:|---:|",
    ]
    for g, s in by_group.most_common():
        lines.append(f"| {g} | {s:.1f} | {n_parallel[g]} | {parallel_s[g]:.1f} |")
    lines += ["", "Timeline (seconds from the start of the process):", ""]
    lines += [f"- {t:5.1f} s: {what}" for t, what in timeline]
    lines += ["", f"The {args.top} slowest compilations (self time):", "",
              "| seconds | kernel | parallel |", "|---:|---|---|"]
    for name, s in self_s.most_common(args.top):
        lines.append(f"| {s:.2f} | `{name}` | {'yes' if parallel[name] else ''} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"compile_times{'' if helper else '_no_helper'}.md").write_text(text)


if __name__ == "__main__":
    main()
