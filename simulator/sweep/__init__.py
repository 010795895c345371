"""Parameter sweeps: experiment files, designs, and runs on Dask.

An experiment file (TOML) names a base scenario, the parameters to vary and
how (a grid, a random or Latin-hypercube sample, a Sobol or Morris design),
the replicates per design point, the final metrics to keep and a master seed.
Every run (design point x replicate) is an independent task whose seed comes
from the master seed and the run's index alone, so the result table is the
same on one process, on a local cluster or on a remote Dask cluster.

Layout (one job per module)::

    experiment.py   read and validate the file (one-line ConfigError)
    design.py       design points: grid, random, lhs, sobol, morris
    worker.py       one chunk of runs on a worker, with a per-process graph cache
    store.py        part files, resume, consolidation, metadata
    execute.py      in-process or Dask execution, progress bar
    commands.py     ``virality sweep`` (light: heavy imports inside the handler)

Importing this package stays cheap; the public names load on first use.
"""

from __future__ import annotations

__all__ = ["Experiment", "run_sweep", "FINAL_METRICS"]


def __getattr__(name: str):
    if name in ("Experiment", "FINAL_METRICS"):
        from simulator.sweep import experiment

        return getattr(experiment, name)
    if name == "run_sweep":
        from simulator.sweep.execute import run_sweep

        return run_sweep
    raise AttributeError(f"module 'simulator.sweep' has no attribute {name!r}")
