"""Where a first run's compile time goes: seconds of numba compilation per kernel.

Runs the README's main job in this process with an empty numba cache and times every
kernel's first compilation (numba compiles a kernel, and the kernels it calls, the first
time it is called with new argument types). Times nest: a kernel's figure includes the
kernels compiled under it.

    python experiments/compile_times.py

Prints the 25 slowest; writes nothing. It wraps ``numba``'s private
``Dispatcher._compile_for_args``: a measurement aid, not part of the simulator.
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
    from numba.core.dispatcher import Dispatcher

    compile_for_args = Dispatcher._compile_for_args
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}

    def timed(self, *args, **kws):
        t0 = time.perf_counter()
        try:
            return compile_for_args(self, *args, **kws)
        finally:
            name = f"{self.py_func.__module__}.{self.py_func.__name__}"
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
            counts[name] = len(self.overloads)

    Dispatcher._compile_for_args = timed
    sys.path.insert(0, str(ROOT))
    from simulator.cli import main as virality

    out = tempfile.mkdtemp(prefix="compile-times-")
    t0 = time.perf_counter()
    code = virality(["run", str(ROOT / "scenarios" / "quickstart.toml"), "--out", out, "--quiet"])
    print(f"main job, first run: {time.perf_counter() - t0:.1f} s (exit {code})")
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])[:25]:
        print(f"{s:7.2f} s  {name}  ({counts[name]} signature(s))")


if __name__ == "__main__":
    main()
