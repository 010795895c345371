"""The one function that builds a scenario's friend graph from its ``[graph]`` section.

>>> from simulator.params import GraphParams
>>> p = GraphParams.from_dict({"kind": "erdos_renyi", "n": 1000, "mean_degree": 8})
>>> build_graph(p, seed=1).meta["kind"]
'erdos_renyi'
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from simulator.errors import ConfigError, GraphWarning
from simulator.graphs import generators as gen
from simulator.graphs.graph import Graph
from simulator.graphs.io import read_graph_file
from simulator.params.graph import KINDS, GraphParams

#: How far the built graph's mean degree may fall from the one asked before a warning.
DEGREE_TOLERANCE = 0.25


def build_graph(
    params: GraphParams, seed: int, base_dir: str | os.PathLike | None = None
) -> Graph:
    """Build the graph a ``[graph]`` section describes.

    Warns (:class:`~simulator.errors.GraphWarning`) when the graph's mean degree
    is more than 25% from ``graph.mean_degree`` (a one-community block model
    with all edges between communities has none; a lognormal with a tiny
    median has almost none): the run would otherwise answer another question
    than the one asked, silently.

    Parameters
    ----------
    params : GraphParams
    seed : int
        Seed of the graph stream.
    base_dir : path, optional
        Folder of the scenario file; a relative ``graph.path`` is resolved against it.
    """
    g = _build(params, seed, base_dir)
    p = params
    asks_degree = p.kind not in ("edgelist", "complete") and not (
        p.kind == "configuration" and p.distribution == "powerlaw")
    if asks_degree and p.mean_degree > 0:
        off = abs(g.mean_degree - p.mean_degree) / p.mean_degree
        if off > DEGREE_TOLERANCE:
            warnings.warn(GraphWarning(
                f"graph.mean_degree = {p.mean_degree:g} was asked, but the {p.kind} graph built "
                f"has mean degree {g.mean_degree:.3g} ({off:.0%} off); check the graph's other keys"
            ), stacklevel=2)
    return g


def _build(params: GraphParams, seed: int, base_dir: str | os.PathLike | None) -> Graph:
    p = params
    kind = p.kind
    clustered_kw = {
        "median": p.median,
        "max_degree": p.max_degree,
        "communities": p.communities,
    }
    if p.weak_share is not None:
        clustered_kw["weak_share"] = p.weak_share
    if kind == "social":
        return gen.social(p.n, p.mean_degree, seed, **clustered_kw)
    if kind == "clustered":
        return gen.clustered(p.n, p.mean_degree, seed, group_size=p.group_size, **clustered_kw)
    if kind == "erdos_renyi":
        return gen.erdos_renyi(p.n, p.mean_degree, seed)
    if kind == "configuration":
        dist: dict = {"max_degree": p.max_degree}
        if p.distribution == "powerlaw":
            dist.update(exponent=p.exponent, k_min=p.k_min, cutoff=p.cutoff)
        else:
            dist["mean_degree"] = p.mean_degree
        if p.distribution == "lognormal":
            dist["median"] = p.median
        return gen.configuration(n=p.n, distribution=p.distribution, seed=seed, **dist)
    if kind == "watts_strogatz":
        return gen.watts_strogatz(p.n, int(p.mean_degree), p.rewire, seed)
    if kind == "holme_kim":
        return gen.holme_kim(p.n, p.holme_kim_m(), p.p_triad, seed)
    if kind == "stochastic_block":
        communities = p.communities or min(p.n, max(2, gen.default_communities(p.n)))
        return gen.planted_partition(p.n, communities, p.mean_degree, p.mixing, seed)
    if kind == "complete":
        return gen.complete(p.n, seed)
    if kind == "edgelist":
        path = Path(p.path)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        return read_graph_file(path, p.format)
    raise ConfigError(f"graph.kind = {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
