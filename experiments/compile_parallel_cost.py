"""What ``parallel=True`` costs the first run: each graph kernel compiled both ways.

Builds a 20,000-agent ``social`` graph once (so every graph kernel has its signatures),
then compiles each ``parallel=True`` kernel of the graph modules again, with and without
``parallel``, and prints the seconds. A measurement aid for the start-up work of the
performance issue; it writes nothing.

    python experiments/compile_parallel_cost.py

The serial compile runs second, so it reuses NumPy implementations the parallel one
compiled: its figure is a lower bound.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-empty-")  # before numba loads
    sys.path.insert(0, str(ROOT))
    from numba import njit
    from numba.core.registry import CPUDispatcher

    from simulator.graphs import affiliation, build_graph, csr, degrees, pairs
    from simulator.params.graph import GraphParams

    t0 = time.perf_counter()
    build_graph(GraphParams.from_dict({"kind": "social", "n": 20_000}), seed=1)
    print(f"first social build (compiling): {time.perf_counter() - t0:.1f} s")
    total = {True: 0.0, False: 0.0}
    for module in (affiliation, csr, degrees, pairs):
        for name, kernel in vars(module).items():
            if not (isinstance(kernel, CPUDispatcher) and kernel.targetoptions.get("parallel")
                    and kernel.signatures):
                continue
            seconds = {}
            for parallel in (True, False):
                fresh = njit(parallel=parallel)(kernel.py_func)
                t0 = time.perf_counter()
                for signature in kernel.signatures:
                    fresh.compile(signature)
                seconds[parallel] = time.perf_counter() - t0
                total[parallel] += seconds[parallel]
            print(f"{module.__name__}.{name}: parallel {seconds[True]:.2f} s, "
                  f"serial {seconds[False]:.2f} s")
    print(f"all: parallel {total[True]:.1f} s, serial {total[False]:.1f} s")


if __name__ == "__main__":
    main()
