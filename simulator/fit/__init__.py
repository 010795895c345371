"""Fitting a scenario to observed data: ABC-SMC (pyabc), reproducible and resumable.

A researcher has an observed series (how many people heard of a brand, how
many complained, by day) and a scenario whose keys are uncertain. A fit
returns the posterior of those keys: the values that make the simulator
produce series like the observed one, with the uncertainty that remains
given the data and the simulator's own randomness.

>>> import simulator.fit as fit   # cheap: pyabc loads on first use
>>> sorted(fit.__all__)
['FitSpec', 'Observed', 'read_observed', 'run_fit', 'what_if']

Layout (one job per module)::

    spec.py       the fit: priors, fit file, every check (one-line ConfigError)
    data.py       the observed CSV: columns, steps, counts or shares
    sampler.py    a pyabc sampler seeded per (generation, candidate), in process or on Dask
    inference.py  the model, distance and tolerance; the folder, resume, run_fit
    results.py    posterior summaries, diagnostics, posterior.csv and fit.json
    predict.py    posterior draws: the predictive band, what-if questions
    plots.py      marginal and pairwise posteriors, the predictive band (slide size)
    commands.py   ``virality fit`` (light: heavy imports inside the handler)
"""

from __future__ import annotations

__all__ = ["FitSpec", "Observed", "read_observed", "run_fit", "what_if"]


def __getattr__(name: str):
    if name == "FitSpec":
        from simulator.fit.spec import FitSpec

        return FitSpec
    if name in ("Observed", "read_observed"):
        from simulator.fit import data

        return getattr(data, name)
    if name == "run_fit":
        from simulator.fit.inference import run_fit

        return run_fit
    if name == "what_if":
        from simulator.fit.predict import what_if

        return what_if
    raise AttributeError(f"module 'simulator.fit' has no attribute {name!r}")
