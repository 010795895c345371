"""Compare a scenario's variants with common random numbers (``virality compare``).

* :mod:`simulator.compare.variants`: :func:`compare` and :class:`Comparison`
  (the library; re-exported here);
* :mod:`simulator.compare.report`: the terminal table and the one-page report;
* :mod:`simulator.compare.commands`: the ``virality compare`` command.

The re-exports are lazy: the CLI imports :mod:`simulator.compare.commands` to
build its parser, and that must not pull in the numba engine. (The library
module is not called ``compare.py`` because a submodule of that name would
shadow the function as ``simulator.compare.compare``.)
"""

from __future__ import annotations

__all__ = ["Comparison", "compare"]


def __getattr__(name: str):
    if name in __all__:
        from simulator.compare import variants

        return getattr(variants, name)
    raise AttributeError(f"module 'simulator.compare' has no attribute {name!r}")
