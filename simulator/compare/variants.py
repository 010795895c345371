"""Run a scenario's variants side by side with common random numbers.

A scenario file may declare named variants, each a table of overrides of the
base (``[variants.late]`` with ``brand.strategy = "late"``). :func:`compare`
runs every variant on the *same* master seed, so replicate ``r`` of every
variant draws from the same named streams (``replicate_keys(seed, r)``) and,
when the variants' ``[graph]`` sections are equal, on the same friend graph
object. Two variants then coincide exactly until the step where their
parameters first make a difference, and the differences between their
outcomes are due to the parameters, not to luck: the paired design a
marketer's "what if we enter late?" needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.precompile import compiling_beside
from simulator.engine.results import Results, _atomic_write, ci95
from simulator.engine.run import make_graph, run, run_settings
from simulator.errors import ConfigError
from simulator.outputs import COMPARISON_FILES

ProgressCallback = Callable[[int, int], None]

#: The outcomes a marketer asks about, in the order tables and bar charts show them.
#: Only those present in the finals are used (the platform layers add some).
OUTCOMES = (
    "reach", "net_sentiment", "customers", "followers", "negative_talk", "cost", "profit", "npv",
    "roi",
)

#: ``[run]`` keys one comparison shares across variants (one seed, one design).
SHARED_RUN_KEYS = ("run.seed", "run.replicates", "run.steps")

#: Files a comparison writes next to the variants' folders (no variant may take these names).
RESERVED_NAMES = COMPARISON_FILES


@dataclass
class Comparison:
    """What :func:`compare` returns: one :class:`Results` per variant, same seed.

    Attributes
    ----------
    scenario : Scenario
        The base scenario (``--set`` overrides applied, variants not).
    results : dict of str to Results
        Per variant, in the order they were run.
    seed, replicates, steps : int
        Shared by every variant.
    graphs_built : int
        Shared friend graphs built for the comparison: 1 when the variants agree
        on ``[graph]``; graphs resampled per replicate (``run.resample_graph``)
        are built inside each run and not counted.
    baseline : str, optional
        The variant :meth:`differences` measures the others against (default:
        the first one run).
    """

    scenario: Any
    results: dict[str, Results]
    seed: int
    replicates: int
    steps: int
    graphs_built: int = 0
    #: The variant the others are measured against (default: the first one run).
    baseline: str | None = None

    @property
    def variants(self) -> list[str]:
        """Variant names, in the order they were run."""
        return list(self.results)

    @property
    def metrics(self) -> list[str]:
        """Final metrics of any variant, in the order the finals list them."""
        names: list[str] = []
        for res in self.results.values():
            names += [c for c in res.finals.columns if c != "replicate" and c not in names]
        return names

    @property
    def outcomes(self) -> list[str]:
        """The :data:`OUTCOMES` present in these results (in that order); ``npv`` only when
        some variant discounts (at rate 0 it is the profit again)."""
        discounted = any(getattr(getattr(res.scenario, "brand", None), "discount_rate", 0) > 0
                         for res in self.results.values())
        return [m for m in OUTCOMES if m in self.metrics and (m != "npv" or discounted)]

    @property
    def table(self) -> pd.DataFrame:
        """One row per variant: ``variant``, then ``<m>, <m>_low, <m>_high`` per final metric.

        ``<m>`` is the mean over replicates (NaN values skipped, as in
        ``summary.json``), ``<m>_low``/``<m>_high`` its 95% interval (:func:`ci95`).
        A metric a variant lacks, or that is NaN in all its replicates, is NaN.
        """
        rows = []
        for name, res in self.results.items():
            row: dict[str, Any] = {"variant": name}
            for m in self.metrics:
                values = (res.finals[m] if m in res.finals else pd.Series(dtype=float)).dropna()
                values = values.to_numpy(dtype=float)
                if values.size:
                    low, high = ci95(values)
                    row.update({m: float(values.mean()), f"{m}_low": low, f"{m}_high": high})
                else:
                    row.update({m: np.nan, f"{m}_low": np.nan, f"{m}_high": np.nan})
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def baseline_name(self) -> str:
        """:attr:`baseline`, or the first variant when none was named."""
        return self.baseline if self.baseline is not None else self.variants[0]

    def differences(self, baseline: str | None = None) -> pd.DataFrame:
        """Each variant minus the baseline, paired replicate by replicate.

        Under common random numbers replicate ``r`` of every variant shares its
        streams and graph, so the difference of replicate ``r``'s outcomes is
        free of most of the luck both carry: its interval is much narrower than
        the two variants' intervals suggest (and two overlapping intervals can
        still hide a sure difference).

        Returns
        -------
        DataFrame
            One row per other variant: ``variant``, then per outcome ``<m>``
            (mean paired difference), ``<m>_low``, ``<m>_high`` (its 95%
            interval, :func:`ci95`) and ``<m>_wins`` (share of the pairs in
            which the variant is higher). Replicates where either side is NaN
            are left out; no pair at all gives NaN.
        """
        base = self.baseline_name if baseline is None else baseline
        if base not in self.results:
            raise ConfigError(f"baseline = {base!r} is not one of the variants run; "
                              f"allowed: {', '.join(self.variants)}")
        ref = self.results[base].finals.set_index("replicate")
        rows = []
        for name, res in self.results.items():
            if name == base:
                continue
            other = res.finals.set_index("replicate")
            row: dict[str, Any] = {"variant": name}
            for m in self.outcomes:
                if m in other and m in ref:
                    diff = (other[m] - ref[m]).dropna().to_numpy(dtype=float)
                else:
                    diff = np.empty(0)
                if diff.size:
                    low, high = ci95(diff)
                    row.update({m: float(diff.mean()), f"{m}_low": low, f"{m}_high": high,
                                f"{m}_wins": float((diff > 0).mean())})
                else:
                    row.update({m: np.nan, f"{m}_low": np.nan, f"{m}_high": np.nan,
                                f"{m}_wins": np.nan})
            rows.append(row)
        return pd.DataFrame(rows, columns=["variant"] + [
            f"{m}{s}" for m in self.outcomes for s in ("", "_low", "_high", "_wins")])

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``comparison.csv`` (:attr:`table`) and, with two variants or more,
        ``differences.csv`` (:meth:`differences` from the baseline) into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "comparison.csv"
        _atomic_write(path, self.table.to_csv(index=False))
        written = [path]
        if len(self.results) > 1:
            diff = self.differences()
            diff.insert(1, "baseline", self.baseline_name)
            written.append(out / "differences.csv")
            _atomic_write(written[-1], diff.to_csv(index=False))
        return written


def select_variants(scenario: Any, names: Sequence[str] | None = None) -> list[str]:
    """The variants to run: ``names`` in that order, or every declared one.

    Raises :class:`ConfigError` (one line) when the scenario declares no
    variants, when a name is unknown (naming the allowed ones) or repeated.

    >>> from simulator.scenario import Scenario
    >>> sc = Scenario.from_dict({"variants": {"a": {}, "b": {"wom.p_positive": 0.02}}})
    >>> select_variants(sc), select_variants(sc, ["b", "a"])
    (['a', 'b'], ['b', 'a'])
    >>> select_variants(sc, ["c"])
    Traceback (most recent call last):
    ...
    simulator.errors.ConfigError: unknown variant 'c'; allowed: a, b
    """
    if not scenario.variants:
        where = f" ({scenario.source})" if scenario.source else ""
        raise ConfigError(
            f"scenario '{scenario.name}'{where} declares no [variants.*] tables; add one per "
            "what-if, e.g. [variants.late] with brand.strategy = \"late\""
        )
    if names is None:
        return list(scenario.variants)
    chosen: list[str] = []
    for name in names:
        if name in chosen:
            raise ConfigError(f"variant '{name}' is listed twice; allowed: each variant once")
        scenario.variant(name)  # unknown name -> one line naming the allowed ones
        chosen.append(name)
    if not chosen:
        raise ConfigError(
            "no variant selected; allowed: a comma-separated list of " + ", ".join(scenario.variants)
        )
    return chosen


def variant_scenarios(scenario: Any, names: Sequence[str]) -> dict[str, Any]:
    """Each variant's scenario, checked before anything runs.

    A variant may not change ``run.seed``, ``run.replicates`` or ``run.steps``:
    a comparison shares them (a different seed would undo the common random
    numbers), and silently ignoring the override would hide that.
    """
    out = {}
    for name in names:
        if name in (".", "..") or "/" in name or "\\" in name or name in RESERVED_NAMES:
            raise ConfigError(
                f"variant name '{name}' is not allowed; expected a folder name (no '/', not "
                f"{', '.join(sorted(RESERVED_NAMES))})"
            )
        shared = [k for k in SHARED_RUN_KEYS if k in scenario.variants[name]]
        if shared:
            raise ConfigError(
                f"variants.{name} sets {shared[0]}; allowed: only the base [run] (or "
                f"--{shared[0].split('.')[1]}) sets it, one value for every variant"
            )
        try:
            out[name] = scenario.variant(name)
        except ConfigError as exc:  # e.g. a cross-section check after --set
            raise ConfigError(f"variants.{name}: {exc}") from None
    return out


def compare(
    scenario: Any,
    variants: Sequence[str] | None = None,
    seed: int | None = None,
    replicates: int | None = None,
    steps: int | None = None,
    progress: ProgressCallback | None = None,
    baseline: str | None = None,
) -> Comparison:
    """Run the scenario's variants with common random numbers.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario that declares ``[variants.*]`` tables.
    variants : sequence of str, optional
        Which variants to run, in this order (default: all, in file order).
    seed, replicates, steps : int, optional
        Override the base ``[run]``; shared by every variant.
    progress : callable, optional
        Called as ``progress(done, total)`` after each replicate, with
        ``total = len(variants) * replicates``.
    baseline : str, optional
        The variant the others are measured against
        (:meth:`Comparison.differences`; default: the first one run).

    Returns
    -------
    Comparison
        Per-variant results and the comparison table.

    Notes
    -----
    Every variant runs on the same master seed, so replicate ``r`` of each uses
    the stream keys ``replicate_keys(seed, r)``. Variants with equal ``[graph]``
    sections share one graph object, built once; a variant that changes
    ``[graph]`` gets its own (from the same graph seed). With
    ``run.resample_graph`` each replicate's graph comes from the seed as well,
    so replicate ``r`` still sees the same graph in every variant that agrees on
    ``[graph]``.

    Examples
    --------
    >>> from simulator.scenario import Scenario
    >>> sc = Scenario.from_dict({"graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 10},
    ...     "run": {"steps": 20, "replicates": 2},
    ...     "variants": {"quiet": {}, "loud": {"wom.p_positive": 0.05}}})
    >>> cmp = compare(sc, seed=1)
    >>> cmp.variants, cmp.graphs_built
    (['quiet', 'loud'], 1)
    >>> list(cmp.table.columns[:4])
    ['variant', 'reach', 'reach_low', 'reach_high']
    >>> bool(cmp.table.loc[1, "reach"] > cmp.table.loc[0, "reach"])
    True
    """
    names = select_variants(scenario, variants)
    if baseline is not None and baseline not in names:
        raise ConfigError(f"--baseline {baseline!r} is not one of the variants run; "
                          f"allowed: {', '.join(names)}")
    scenarios = variant_scenarios(scenario, names)
    seed, replicates, steps = run_settings(scenario, seed, replicates, steps)
    total = len(names) * replicates
    # One graph per distinct [graph] section (compared with ==, never rebuilt).
    graphs: list[tuple[Any, Any]] = []
    results: dict[str, Results] = {}
    first = scenarios[names[0]]
    if not first.run.resample_graph:
        # A first comparison compiles the variants' kernels beside the graph's (precompile.py).
        with compiling_beside(list(scenarios.values()), steps):
            graphs.append((first.graph, make_graph(first, seed)))
    for index, name in enumerate(names):
        sc = scenarios[name]
        graph = None
        if not sc.run.resample_graph:
            graph = next((g for params, g in graphs if params == sc.graph), None)
            if graph is None:
                graph = make_graph(sc, seed)
                graphs.append((sc.graph, graph))
        done_before = index * replicates
        step_progress = None
        if progress is not None:
            def step_progress(done: int, _total: int, _offset: int = done_before) -> None:
                progress(_offset + done, total)
        results[name] = run(sc, seed=seed, replicates=replicates, graph=graph, steps=steps,
                            progress=step_progress, graph_is_scenarios=True)
    return Comparison(scenario=scenario, results=results, seed=seed, replicates=replicates,
                      steps=steps, graphs_built=len(graphs), baseline=baseline)
