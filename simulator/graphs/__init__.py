"""Friend graphs: CSR arrays built in compiled code, plus networkx and edge-list I/O.

Every generator takes a ``seed`` and returns a :class:`Graph` (``indptr``
int64, ``indices`` int32; rows sorted, symmetric, no self-loops, no repeats)
whose ``meta`` records the kind, parameters and seed. Same seed, same arrays,
on any number of threads.

>>> from simulator import graphs
>>> g = graphs.social(5000, 40, seed=1)
>>> g.n, round(g.mean_degree)
(5000, 40)
"""

from simulator.graphs.build import build_graph
from simulator.graphs.csr import edges_to_csr, from_csr_validated
from simulator.graphs.generators import (
    clustered,
    complete,
    configuration,
    erdos_renyi,
    holme_kim,
    planted_partition,
    social,
    stochastic_block,
    watts_strogatz,
)
from simulator.graphs.graph import Graph
from simulator.graphs.io import (
    from_networkx,
    read_edgelist,
    read_graph_file,
    to_networkx,
    write_edgelist,
)
from simulator.graphs.memory import check_memory
from simulator.graphs.stats import (
    clustering,
    clustering_by_degree,
    degree_assortativity,
    degree_summary,
    giant_component_fraction,
    local_clustering,
)
from simulator.params.graph import GraphParams

__all__ = [
    "Graph",
    "GraphParams",
    "build_graph",
    "check_memory",
    "clustered",
    "clustering",
    "clustering_by_degree",
    "complete",
    "configuration",
    "degree_assortativity",
    "degree_summary",
    "edges_to_csr",
    "erdos_renyi",
    "from_csr_validated",
    "from_networkx",
    "giant_component_fraction",
    "holme_kim",
    "local_clustering",
    "planted_partition",
    "read_edgelist",
    "read_graph_file",
    "social",
    "stochastic_block",
    "to_networkx",
    "watts_strogatz",
    "write_edgelist",
]
