"""Graph statistics against networkx and the slow twin."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest

from simulator.graphs import (
    clustering,
    clustering_by_degree,
    degree_assortativity,
    degree_summary,
    from_networkx,
    giant_component_fraction,
    holme_kim,
    local_clustering,
    social,
    to_networkx,
)
from simulator.graphs.stats import triangles
from tests.twins_graphs import twin_local_clustering


def test_local_clustering_matches_twin_and_networkx():
    g = holme_kim(400, 4, 0.8, seed=2)
    exact = local_clustering(g)
    np.testing.assert_allclose(exact, twin_local_clustering(g.indptr, g.indices), rtol=0, atol=1e-12)
    nodes = np.arange(0, 400, 3)
    # The per-node kernel used for samples gives the same values as the triangle count.
    np.testing.assert_allclose(local_clustering(g, nodes), exact[nodes], rtol=0, atol=1e-12)
    assert clustering(g) == pytest.approx(nx.average_clustering(to_networkx(g)), abs=1e-12)


def test_triangles_match_networkx_and_do_not_depend_on_threads():
    g = social(3000, 30, seed=1)
    nx_tri = nx.triangles(to_networkx(g))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = triangles(g)
    finally:
        numba.set_num_threads(before)
    assert one.tolist() == [nx_tri[i] for i in range(g.n)]
    np.testing.assert_array_equal(triangles(g), one)


def test_sampled_clustering_is_close_to_exact():
    g = social(20_000, 60, seed=5)
    exact = clustering(g)
    sampled = clustering(g, sample=4000, seed=1)
    # Local clustering has sd about 0.2 here, so the sample mean's se is 0.2/sqrt(4000) = 0.003;
    # 0.015 is 5 se.
    assert abs(sampled - exact) < 0.015


def test_degree_summary_and_components():
    G = nx.disjoint_union(nx.complete_graph(5), nx.path_graph(3))
    g = from_networkx(G)
    s = degree_summary(g)
    assert s["max"] == 4 and s["min"] == 1 and s["mean"] == pytest.approx(24 / 8)
    assert giant_component_fraction(g) == pytest.approx(5 / 8)
    rows = clustering_by_degree(g, bins=[1, 2, 4, 8])
    assert rows == [
        {"lo": 1, "hi": 2, "nodes": 2, "clustering": 0.0},
        {"lo": 2, "hi": 4, "nodes": 1, "clustering": 0.0},
        {"lo": 4, "hi": 8, "nodes": 5, "clustering": 1.0},
    ]


def test_assortativity_matches_networkx():
    g = holme_kim(2000, 3, 0.3, seed=4)
    expected = nx.degree_assortativity_coefficient(to_networkx(g))
    assert degree_assortativity(g) == pytest.approx(expected, abs=1e-9)
