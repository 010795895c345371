"""The one function that builds a scenario's friend graph from its ``[graph]`` section.

>>> from simulator.params import GraphParams
>>> p = GraphParams.from_dict({"kind": "erdos_renyi", "n": 1000, "mean_degree": 8})
>>> build_graph(p, seed=1).meta["kind"]
'erdos_renyi'
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.errors import ConfigError
from simulator.graphs import generators as gen
from simulator.graphs.graph import Graph
from simulator.graphs.io import read_edgelist
from simulator.params.graph import KINDS, GraphParams


def build_graph(
    params: GraphParams, seed: int, base_dir: str | os.PathLike | None = None
) -> Graph:
    """Build the graph a ``[graph]`` section describes.

    Parameters
    ----------
    params : GraphParams
    seed : int
        Seed of the graph stream.
    base_dir : path, optional
        Folder of the scenario file; a relative ``graph.path`` is resolved against it.
    """
    p = params
    kind = p.kind
    clustered_kw = {
        "median": p.median,
        "max_degree": p.max_degree,
        "group_size": p.group_size,
        "weak_share": p.weak_share,
        "communities": p.communities,
    }
    if kind == "social":
        return gen.social(p.n, p.mean_degree, seed, **clustered_kw)
    if kind == "clustered":
        return gen.clustered(p.n, p.mean_degree, seed, **clustered_kw)
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
        return read_edgelist(path)
    raise ConfigError(f"graph.kind = {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
