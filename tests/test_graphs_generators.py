"""Generators: invariants, agreement with theory, twins, reproducibility, thread independence."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy import stats

from simulator.errors import ConfigError
from simulator.graphs import affiliation as aff
from simulator.graphs import (
    clustered,
    clustering,
    clustering_by_degree,
    complete,
    configuration,
    erdos_renyi,
    holme_kim,
    planted_partition,
    social,
    stochastic_block,
    watts_strogatz,
)
from simulator.graphs.csr import cap_degrees, csr_problems, edges_to_rows
from simulator.graphs.degrees import (
    SHUFFLE_BLOCK,
    degree_table,
    fill_stubs,
    pmf_from_cdf,
    sample_degrees,
    shuffle_stubs,
)
from simulator.rng import seed_key
from tests.twins_graphs import (
    twin_block_graph,
    twin_cap_degrees,
    twin_configuration,
    twin_group_counts,
    twin_group_edges,
    twin_holme_kim,
    twin_sample_degrees,
    twin_shuffle,
    twin_watts_strogatz,
)

BUILDERS = {
    "erdos_renyi": lambda seed: erdos_renyi(3000, 12, seed),
    "complete": lambda seed: complete(60, seed),
    "stochastic_block": lambda seed: stochastic_block([1000, 700, 300], 0.02, 0.002, seed),
    "planted_partition": lambda seed: planted_partition(3000, 6, 12.0, 0.2, seed),
    "configuration": lambda seed: configuration(
        n=3000, distribution="lognormal", mean_degree=12, seed=seed
    ),
    "configuration_powerlaw": lambda seed: configuration(
        n=3000, distribution="powerlaw", exponent=2.3, k_min=2, cutoff=300, seed=seed
    ),
    "watts_strogatz": lambda seed: watts_strogatz(3000, 12, 0.1, seed),
    "holme_kim": lambda seed: holme_kim(3000, 6, 0.5, seed),
    "clustered": lambda seed: clustered(3000, 40, seed, communities=3),
    "social": lambda seed: social(3000, 40, seed),
}


def arrays(g):
    return g.indptr, g.indices


@pytest.mark.parametrize("name", BUILDERS)
def test_simple_symmetric_sorted_and_reproducible(name):
    g = BUILDERS[name](5)
    assert csr_problems(g.indptr, g.indices) == []
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32
    kind = {"planted_partition": "stochastic_block", "configuration_powerlaw": "configuration"}
    assert g.meta["seed"] == 5 and g.meta["kind"] == kind.get(name, name)
    again = BUILDERS[name](5)
    np.testing.assert_array_equal(g.indptr, again.indptr)
    np.testing.assert_array_equal(g.indices, again.indices)
    if name != "complete":  # the complete graph has no randomness
        other = BUILDERS[name](6)
        assert other.indices.size != g.indices.size or not np.array_equal(other.indices, g.indices)


@pytest.mark.parametrize("name", ["erdos_renyi", "stochastic_block", "watts_strogatz", "configuration", "social"])
def test_one_and_two_threads_give_the_same_graph(name):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = BUILDERS[name](11)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = BUILDERS[name](11)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.indptr, two.indptr)
    np.testing.assert_array_equal(one.indices, two.indices)


# --- twins: exact agreement on small graphs -------------------------------------------


def test_erdos_renyi_matches_its_twin():
    g = erdos_renyi(150, 6, seed=3)
    key = seed_key(3)
    indptr, indices = twin_block_graph([0, 150], [[6 / 149]], key)
    np.testing.assert_array_equal(g.indptr, indptr)
    np.testing.assert_array_equal(g.indices, indices)


def test_stochastic_block_matches_its_twin():
    probs = [[0.2, 0.01, 0.0], [0.01, 0.3, 0.05], [0.0, 0.05, 1.0]]
    g = stochastic_block([40, 30, 10], probs=probs, seed=4)
    indptr, indices = twin_block_graph([0, 40, 70, 80], probs, seed_key(4))
    np.testing.assert_array_equal(g.indptr, indptr)
    np.testing.assert_array_equal(g.indices, indices)
    assert g.community.tolist() == [0] * 40 + [1] * 30 + [2] * 10


def test_watts_strogatz_matches_its_twin():
    g = watts_strogatz(120, 6, 0.3, seed=2)
    indptr, indices = twin_watts_strogatz(120, 3, 0.3, seed_key(2))
    np.testing.assert_array_equal(g.indptr, indptr)
    np.testing.assert_array_equal(g.indices, indices)


def test_configuration_pairing_matches_its_twin():
    degrees = np.random.default_rng(1).integers(1, 9, 100)
    degrees[0] += degrees.sum() % 2  # even sum: no adjustment, so the twin sees the same stubs
    g = configuration(degrees, seed=9)
    indptr, indices = twin_configuration(degrees.tolist(), seed_key(9))
    np.testing.assert_array_equal(g.indptr, indptr)
    np.testing.assert_array_equal(g.indices, indices)
    lost = g.meta["self_loops"] + g.meta["multi_edges"]
    assert g.indices.size + 2 * lost == degrees.sum()


@pytest.mark.parametrize("size", [0, 1, 2, 33, SHUFFLE_BLOCK, SHUFFLE_BLOCK + 1, SHUFFLE_BLOCK + 2,
                                  2 * SHUFFLE_BLOCK + 1])
def test_blocked_shuffle_is_the_plain_fisher_yates(size):
    """Drawing places a block ahead (for the prefetch) must not change the shuffle or the state."""
    stubs = np.arange(size, dtype=np.int64)
    state = seed_key(5)
    items = stubs.tolist()
    assert int(shuffle_stubs(stubs, np.uint64(state))) == twin_shuffle(items, state)
    assert stubs.tolist() == items


def test_degree_sampling_matches_its_twin():
    k_min, cdf = degree_table("lognormal", mean_degree=20, max_degree=400)
    key = seed_key(12)
    assert sample_degrees(300, k_min, cdf, key).tolist() == twin_sample_degrees(300, k_min, cdf, key)


def test_holme_kim_matches_its_twin():
    g = holme_kim(300, 4, 0.7, seed=8)
    indptr, indices = twin_holme_kim(300, 4, 0.7, seed_key(8))
    np.testing.assert_array_equal(g.indptr, indptr)
    np.testing.assert_array_equal(g.indices, indices)


def test_group_cliques_match_their_twin():
    rng = np.random.default_rng(3)
    n, s = 90, 5
    counts = rng.integers(0, 4, n).astype(np.int64)
    starts = np.array([0, 30, 90])
    seg = np.concatenate(([0], np.cumsum(counts)))[starts]
    members = np.empty(int(counts.sum()), dtype=np.int32)
    fill_stubs(counts, members)
    aff.shuffle_segments(members, seg, np.uint64(77))
    # the per-community shuffle is Fisher–Yates with key_for(key, c, 2)
    from tests.twins_graphs import key_for

    expected = list(np.repeat(np.arange(n), counts))
    for c in range(2):
        part = expected[seg[c] : seg[c + 1]]
        twin_shuffle(part, key_for(77, c, 2))
        expected[seg[c] : seg[c + 1]] = part
    assert members.tolist() == expected
    # One size for all, and each node its own size (groups grow with degree).
    for sizes in (np.full(n, s, np.int64), rng.integers(2, 7, n).astype(np.int64)):
        deg = np.zeros(n, dtype=np.int64)
        aff.count_group_ends(members, seg, sizes, deg)
        nbrs = twin_group_edges(members, seg, sizes.tolist(), n)
        # count_group_ends counts every clique friend, repeats included.
        assert deg.tolist() == twin_group_counts(members, seg, sizes.tolist(), n)
        # The per-community build: the same friends, each row sorted, repeats squeezed out.
        start = np.concatenate(([0], np.cumsum(deg)))
        rows = np.empty(int(start[-1]), dtype=np.int32)
        length = np.empty(n, dtype=np.int64)
        aff.strong_rows(members, seg, sizes, starts, start, rows, length)
        assert [rows[start[i]:start[i] + length[i]].tolist() for i in range(n)] == [
            sorted(x) for x in nbrs]


def test_merging_new_rows_counts_only_friends_not_met_before():
    """merge_new_rows: the union of two row sets, and a degree that grows by the friends
    of the new rows found in none of the strong, weak and old rows (twin: sets)."""
    rng = np.random.default_rng(4)
    n = 40

    def random_rows(k):
        src = rng.integers(0, n, k).astype(np.int32)
        dst = rng.integers(0, n, k).astype(np.int32)
        return edges_to_rows(src, dst, n)

    strong, weak, old, new = random_rows(150), random_rows(40), random_rows(60), random_rows(60)

    def sets(rows):
        start, length, idx = rows
        return [set(idx[start[i]:start[i] + length[i]].tolist()) for i in range(n)]

    before = [a | b | c for a, b, c in zip(sets(strong), sets(weak), sets(old), strict=True)]
    degree = np.array([len(x) for x in before], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(old[1] + new[1])))
    out = (start, np.empty(n, dtype=np.int64), np.empty(int(start[-1]), dtype=np.int32))
    aff.merge_new_rows(strong, weak, old, new, *out, degree)
    assert sets(out) == [a | b for a, b in zip(sets(old), sets(new), strict=True)]
    assert [sorted(x) for x in sets(out)] == [
        out[2][out[0][i]:out[0][i] + out[1][i]].tolist() for i in range(n)]
    assert degree.tolist() == [len(x | y) for x, y in zip(before, sets(new), strict=True)]
    # ... and the three sets merged into place are their union, sorted.
    union = [a | b | c for a, b, c in zip(sets(strong), sets(weak), sets(out), strict=True)]
    indptr = np.concatenate(([0], np.cumsum([len(x) for x in union])))
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    aff.merge_three(strong, weak, out, indptr, indices)
    assert [indices[indptr[i]:indptr[i + 1]].tolist() for i in range(n)] == [
        sorted(x) for x in union]


def test_clustered_is_the_same_with_the_shuffle_beside_or_first(monkeypatch):
    """The weak stubs' shuffle runs in a thread beside the clique rows where numba allows
    it; run first instead, it gives the same graph."""
    from simulator.graphs import generators

    beside = social(12_000, 60, seed=5)
    monkeypatch.setattr(generators, "_layer_takes_threads", lambda: False)
    first = social(12_000, 60, seed=5)
    np.testing.assert_array_equal(beside.indptr, first.indptr)
    np.testing.assert_array_equal(beside.indices, first.indices)


def test_ordering_by_degree_puts_each_person_once_per_round():
    """order_by_noisy_degree: a permutation of each segment; round r holds only people with
    more than r memberships, each once; within a round, degree rises (no noise)."""
    n = 60
    counts = np.arange(n) % 4 + 1
    log_degree = np.log(np.arange(n) + 2.0)
    starts = np.array([0, 30, 60])
    seg = np.concatenate(([0], np.cumsum(counts)))[starts]
    members = np.empty(int(counts.sum()), dtype=np.int32)
    fill_stubs(counts, members)
    aff.shuffle_segments(members, seg, np.uint64(5))
    out = np.empty_like(members)
    aff.order_by_noisy_degree(members, seg, log_degree, 0.0, np.uint64(9), 4096, out)
    for c in range(2):
        part = out[seg[c]:seg[c + 1]].tolist()
        assert sorted(part) == sorted(members[seg[c]:seg[c + 1]].tolist())
        rounds, seen = [], {}
        for m in part:  # rounds follow one another; a new round starts where degree drops
            if not rounds or m in seen.get(len(rounds) - 1, set()) or m < rounds[-1][-1]:
                rounds.append([])
            rounds[-1].append(m)
            seen.setdefault(len(rounds) - 1, set()).add(m)
        for r, people in enumerate(rounds):
            assert len(people) == len(set(people))
            assert all(counts[p] > r for p in people)


@pytest.mark.slow
def test_facebook_like_mixing_at_10_to_the_5():
    """degree_mixing + group sizes that follow degree: positive assortativity (Ugander et
    al. 2011: about 0.23; G6 asks > 0, the issue at least 0.15), clustering near 0.14 at
    degree 90-110 (G3: 0.14 +- 0.04) and falling with degree, no dip in the degree
    distribution, mean and median kept."""
    from simulator.graphs import clustered

    g = clustered(100_000, 130, seed=3, degree_mixing=0.3, group_clustering=0.22,
                  weak_share=0.15)
    deg = g.degrees()
    rows = np.repeat(np.arange(g.n), deg)
    r = np.corrcoef(deg[rows].astype(float), deg[g.indices].astype(float))[0, 1]
    assert r >= 0.15
    assert abs(deg.mean() - 130) < 0.5 and 60 <= np.median(deg) <= 80

    def local(i):
        nb = g.indices[g.indptr[i]:g.indptr[i + 1]]
        links = sum(np.isin(g.indices[g.indptr[j]:g.indptr[j + 1]], nb).sum() for j in nb)
        return links / (nb.size * (nb.size - 1))

    rng = np.random.default_rng(0)
    by_degree = {}
    for lo, hi in ((10, 20), (90, 110), (400, 600)):
        pool = np.flatnonzero((deg >= lo) & (deg <= hi))
        by_degree[lo] = np.mean([local(i) for i in rng.choice(pool, 150, replace=False)])
    assert 0.10 <= by_degree[90] <= 0.18
    assert by_degree[10] > by_degree[90] > by_degree[400]
    hist = np.bincount(deg, minlength=16)
    assert hist[4:8].sum() > 0.3 * hist[8:12].sum()  # the old dip: 68 against 3,000


# --- agreement with theory -------------------------------------------------------------


def test_erdos_renyi_degrees_are_binomial_by_chi_square():
    n, k = 20_000, 10.0
    g = erdos_renyi(n, k, seed=21)
    deg = g.degrees()
    edges = np.arange(0, 26)  # bins 0..24, then everything >= 25 together
    observed = np.array([np.sum(deg == d) for d in edges[:-1]] + [np.sum(deg >= 25)])
    pmf = stats.binom.pmf(edges[:-1], n - 1, k / (n - 1))
    expected = n * np.append(pmf, 1 - pmf.sum())
    keep = expected >= 5  # chi-square needs expected counts >= 5 per bin
    observed = np.append(observed[keep], observed[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    _, p_value = stats.chisquare(observed, expected)
    # One fixed seed: a correct generator fails this 0.1% of the time over seeds;
    # a wrong p or a biased skip sampler gives p-values far below.
    assert p_value > 1e-3


def test_erdos_renyi_mean_degree_within_one_percent():
    g = erdos_renyi(100_000, 20, seed=1)
    # sd of the mean degree is sqrt(2 k / n) = 0.02, i.e. 0.1%: 1% is 10 sd.
    assert abs(g.mean_degree - 20) / 20 < 0.01


def test_configuration_degrees_follow_the_requested_lognormal():
    n = 20_000
    g = configuration(n=n, distribution="lognormal", mean_degree=10, seed=2)
    k_min, cdf = degree_table("lognormal", mean_degree=10)
    emp = np.searchsorted(np.sort(g.degrees()), np.arange(k_min, k_min + cdf.size), side="right") / n
    d_stat = np.max(np.abs(emp - cdf))
    # 1.63 / sqrt(n) is the 1% KS critical value (conservative for a discrete law).
    # Erasing self-loops and repeats (meta lost_edge_fraction ~0.3%) moves the
    # CDF by well under that.
    assert d_stat < 1.63 / np.sqrt(n)
    assert g.meta["lost_edge_fraction"] < 0.01


def test_facebook_lognormal_default_has_median_99_and_cap_5000():
    k_min, cdf = degree_table("lognormal")
    pmf = pmf_from_cdf(cdf)
    k = np.arange(k_min, k_min + cdf.size)
    assert k[-1] == 5000
    assert abs(k[np.searchsorted(cdf, 0.5)] - 99) <= 1
    # Truncating at 5000 trims the mean from 190 to about 188 (the tail above the cap).
    assert 185 < float(np.sum(k * pmf)) < 190


@pytest.mark.parametrize(("builder", "mean"), [(clustered, 100.0), (social, 100.0)])
def test_clustered_mean_degree_and_clustering(builder, mean):
    g = builder(20_000, mean, seed=3)
    assert abs(g.mean_degree - mean) / mean < 0.01
    c = clustering(g)  # exact at this size
    assert 0.1 <= c <= 0.25
    by_degree = clustering_by_degree(g, bins=[4, 16, 64, 256, 1024])
    values = [row["clustering"] for row in by_degree]
    # Falls with degree, as Facebook's does. For `social` at 20,000 agents this holds up to
    # degree 256; its few hubs, in small communities, meet each other in many groups, so
    # the 256-1024 band rises again (at 10^5 and 10^6 it falls: experiments/facebook_graph.py).
    upto = 3 if builder is social else 4
    assert values[:upto] == sorted(values[:upto], reverse=True)


def test_social_at_mean_degree_130_is_heavy_tailed_clustered_and_connected():
    from simulator.graphs import degree_summary, giant_component_fraction

    g = social(50_000, seed=4)
    s = degree_summary(g)
    assert abs(s["mean"] - 130) / 130 < 0.01
    # Facebook: mean / median = 190 / 99 = 1.92; the cap and top-up pull it a little.
    assert 1.6 < s["mean"] / s["median"] < 2.2
    assert s["max"] > 10 * s["median"]
    assert 0.1 <= clustering(g) <= 0.25
    assert giant_component_fraction(g) > 0.995
    deg = g.degrees()
    rows = np.repeat(np.arange(g.n), deg)
    assert np.corrcoef(deg[rows], deg[g.indices])[0, 1] > 0.15  # Facebook: about 0.23
    assert g.community is not None and g.community.max() == 4  # 5 communities of 10,000


def test_watts_strogatz_without_rewiring_is_the_ring_lattice():
    g = watts_strogatz(1000, 10, 0.0, seed=0)
    assert set(g.degrees().tolist()) == {10}
    assert clustering(g) == pytest.approx(3 * (10 - 2) / (4 * (10 - 1)))  # 2/3 for k=10


def test_holme_kim_triads_raise_clustering_and_keep_the_edge_count():
    low = holme_kim(5000, 5, 0.0, seed=1)
    high = holme_kim(5000, 5, 0.9, seed=1)
    assert clustering(high) > 3 * clustering(low)
    assert 5 * 4995 * 0.98 < high.n_edges <= 5 * 4995


def test_planted_partition_mixing_share():
    g = planted_partition(20_000, 10, 20.0, 0.2, seed=5)
    rows = np.repeat(np.arange(g.n), g.degrees())
    between = np.mean(g.community[rows] != g.community[g.indices])
    # 400k edge ends; binomial sd of the share is about 0.001.
    assert abs(between - 0.2) < 0.01
    assert abs(g.mean_degree - 20) / 20 < 0.01


def test_complete_graph():
    g = complete(50)
    assert g.n_edges == 50 * 49 // 2 and set(g.degrees().tolist()) == {49}


def test_odd_degree_sum_is_made_even():
    g = configuration([3, 2, 2, 2, 2, 2], seed=0)
    assert (g.indices.size + 2 * (g.meta["self_loops"] + g.meta["multi_edges"])) == 14


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: erdos_renyi(100, 100, 0), "graph.mean_degree"),
        (lambda: erdos_renyi(0, 1, 0), "graph.n"),
        (lambda: erdos_renyi(100, -1, 0), "graph.mean_degree"),
        (lambda: watts_strogatz(100, 5, 0.1, 0), "even"),
        (lambda: watts_strogatz(100, 4, 1.5, 0), "graph.rewire"),
        (lambda: holme_kim(10, 10, 0.5, 0), "graph.m"),
        (lambda: clustered(1000, 20, 0, group_size=2), "graph.group_size"),
        (lambda: configuration(n=100, distribution="zipf", seed=0), "graph.distribution"),
        (lambda: configuration(n=100, distribution="poisson", mean_degree=5, sigma=1, seed=0), "sigma"),
        (lambda: erdos_renyi(100, 5, seed="x"), "seed"),
    ],
)
def test_impossible_graphs_are_config_errors(call, key):
    with pytest.raises(ConfigError, match=key):
        call()


@pytest.mark.parametrize("builder", [social, clustered])
def test_one_agent_has_no_friends_whatever_the_mean_asked(builder):
    g = builder(1, 0.5, seed=0)
    assert g.n == 1 and g.n_edges == 0


@pytest.mark.parametrize("cap", [0, 1, 3, 7, 40])
def test_degree_cap_matches_its_twin(cap):
    g = holme_kim(400, 5, 0.5, seed=3)  # heavy-tailed: hubs far over small caps
    indptr, indices = g.indptr.copy(), g.indices.copy()
    entries = cap_degrees(indptr, indices, cap)
    want_indptr, want_indices = twin_cap_degrees(g.indptr, g.indices, cap)
    np.testing.assert_array_equal(indptr, want_indptr)
    np.testing.assert_array_equal(indices[:entries], want_indices)
    assert np.diff(indptr).max() <= cap


@pytest.mark.parametrize("kind", ["social", "clustered"])
def test_max_degree_is_a_cap_not_a_target(kind):
    """Groups and top-ups used to give hundreds of agents more friends than the cap."""
    from simulator.graphs import build_graph
    from simulator.params.graph import GraphParams

    g = build_graph(GraphParams.from_dict({"kind": kind, "n": 5000, "mean_degree": 60,
                                           "max_degree": 120}), seed=4)
    assert g.degrees().max() <= 120
    assert g.meta["capped_edges"] > 0
    assert csr_problems(g.indptr, g.indices) == []
    assert abs(g.mean_degree - 60) < 60 * 0.1  # the cap takes little from the mean
