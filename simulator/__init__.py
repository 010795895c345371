"""Virality simulator: positive and negative word-of-mouth on social platforms.

Layers point one way (see the folder layout)::

    rng, errors, params (every scenario section)
      -> state (agent arrays, talker list, the table of series)
        -> kernels (numba), graphs (CSR arrays and their generators)
          -> components (one mechanism each: its phases)
            -> engine (the step plan, one replicate, a run, results)
              -> scenario files, compare, sweep, experiments
                -> Mesa model, CLI, web page

The engine never imports Mesa, Solara or matplotlib; those live behind extras.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("virality-simulator")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

from simulator._kernel_cache import drop_stale_kernels  # noqa: E402

drop_stale_kernels()  # before any kernel runs: a cached kernel must not outlive its sources

from simulator import graphs  # noqa: E402
from simulator.errors import ConfigError, InvariantError, MemoryGuardError  # noqa: E402

__all__ = [
    "ConfigError",
    "InvariantError",
    "MemoryGuardError",
    "Scenario",
    "ViralityModel",
    "graphs",
    "run",
    "__version__",
]


def __getattr__(name: str):
    # Lazy: the scenario/engine import numba kernels, the Mesa model imports mesa
    # (an extra). Importing `simulator` alone stays cheap.
    if name == "Scenario":
        from simulator.scenario import Scenario

        return Scenario
    if name == "run":
        from simulator.engine.run import run

        return run
    if name == "ViralityModel":
        from simulator.mesa_model import ViralityModel

        return ViralityModel
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
