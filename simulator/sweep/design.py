"""Design points: a grid, or a sample of the unit hypercube mapped onto the parameters.

Every sampled design (random, Latin hypercube, Sobol, Morris) first draws
points ``U`` in ``[0, 1]^D`` and then maps each column onto its parameter
(:meth:`ParamSpec.from_unit`): a float range linearly or logarithmically, an
integer range onto equally likely integers, a list onto equally likely
choices. Sobol and Morris indices are therefore computed on ``U`` (the SALib
problem has unit bounds), which makes Morris' ``mu_star`` comparable across
parameters: the change of the metric across each parameter's whole range.

>>> p = ParamSpec("wom.talk_steps", low=1, high=3, integer=True)
>>> p.from_unit(np.array([0.0, 0.34, 0.99, 1.0]))
[1, 2, 3, 3]
>>> ParamSpec("seeding.method", values=("random", "influencers")).from_unit(np.array([0.2, 0.7]))
['random', 'influencers']
>>> [pt["wom.p_positive"] for pt in grid([ParamSpec("wom.p_positive", values=(0.1, 0.2))])]
[0.1, 0.2]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DESIGNS = ("grid", "random", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class ParamSpec:
    """One varied parameter: explicit ``values``, or a range ``low .. high``.

    ``integer`` ranges cover ``low, low + 1, ..., high`` with equal weight;
    ``scale = "log"`` spaces a float range geometrically.
    """

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.values is None

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map unit values ``u`` (in ``[0, 1]``) onto this parameter's values."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(np.int64), len(self.values) - 1)
            return [self.values[i] for i in idx]
        lo, hi = float(self.low), float(self.high)
        if self.integer:
            k = np.floor(lo + u * (hi - lo + 1.0)).astype(np.int64)
            return [int(v) for v in np.minimum(k, int(hi))]
        if self.scale == "log":
            x = lo * (hi / lo) ** u
        else:
            x = lo + u * (hi - lo)
        return [float(v) for v in x]


def grid(params: list[ParamSpec]) -> list[dict[str, Any]]:
    """Every combination of the parameters' values; the last parameter varies fastest."""
    names = [p.name for p in params]
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(p.values for p in params))
    ]


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points in ``[0, 1)^d``, one in each of the ``n`` strata of every axis (McKay 1979)."""
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def salib_problem(params: list[ParamSpec]) -> dict[str, Any]:
    """The SALib problem on the unit hypercube (see the module docstring)."""
    return {
        "num_vars": len(params),
        "names": [p.name for p in params],
        "bounds": [[0.0, 1.0]] * len(params),
    }


def unit_sample(
    kind: str,
    params: list[ParamSpec],
    samples: int,
    seed: int,
    *,
    second_order: bool = False,
    levels: int = 4,
) -> np.ndarray:
    """The unit-hypercube points of a sampled design, shape ``(points, len(params))``.

    ``samples`` is the number of points for ``random`` and ``lhs``, the base
    sample ``N`` for ``sobol`` (``N (D + 2)`` points, ``N (2D + 2)`` with
    second-order indices) and the number of trajectories for ``morris``
    (``N (D + 1)`` points).
    """
    d = len(params)
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.random((samples, d))
    if kind == "lhs":
        return latin_hypercube(samples, d, rng)
    problem = salib_problem(params)
    if kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(
            problem, samples, calc_second_order=second_order, scramble=True, seed=seed
        )
    if kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, samples, num_levels=levels, seed=seed)
    raise ValueError(f"not a sampled design: {kind!r}")


def design_size(kind: str, n_params: int, samples: int, *, second_order: bool = False) -> int:
    """Number of design points a sampled design will have (for checks before sampling)."""
    if kind == "sobol":
        return samples * ((2 * n_params + 2) if second_order else (n_params + 2))
    if kind == "morris":
        return samples * (n_params + 1)
    return samples


def is_power_of_two(n: int) -> bool:
    """Sobol' sequences keep their balance only for ``N = 2^k`` (SALib warns otherwise)."""
    return n >= 1 and 2 ** int(round(math.log2(n))) == n
