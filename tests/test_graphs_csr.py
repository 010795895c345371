"""Edge lists to CSR: the kernels against their set-based twin, and the validator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.graphs.csr import (
    count_ends,
    count_ends_by_block,
    csr_problems,
    edges_to_csr,
    edges_to_rows,
    finish_rows,
    from_csr_validated,
    scatter_edges,
    scatter_edges_by_block,
)
from tests.twins_graphs import twin_edges_to_csr


def test_edges_to_csr_matches_twin_on_messy_edges():
    rng = np.random.default_rng(7)
    n = 60
    # Many repeats, both directions and self-loops on purpose.
    src = rng.integers(0, n, 800).astype(np.int32)
    dst = rng.integers(0, n, 800).astype(np.int32)
    indptr, indices, info = edges_to_csr(src, dst, n)
    t_indptr, t_indices = twin_edges_to_csr(src, dst, n)
    np.testing.assert_array_equal(indptr, t_indptr)
    np.testing.assert_array_equal(indices, t_indices)
    assert info["self_loops"] == int(np.sum(src == dst))
    assert info["multi_edges"] == int(np.sum(src != dst)) - indices.size // 2
    assert csr_problems(indptr, indices) == []


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    pairs=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=120),
)
def test_edges_to_csr_property(n, pairs):
    pairs = [(a % n, b % n) for a, b in pairs]
    src = np.array([a for a, _ in pairs], dtype=np.int32)
    dst = np.array([b for _, b in pairs], dtype=np.int32)
    indptr, indices, _ = edges_to_csr(src, dst, n)
    t_indptr, t_indices = twin_edges_to_csr(src, dst, n)
    np.testing.assert_array_equal(indptr, t_indptr)
    np.testing.assert_array_equal(indices, t_indices)
    assert csr_problems(indptr, indices) == []


def test_strided_views_are_accepted_without_copy():
    stubs = np.array([0, 1, 1, 2, 2, 0, 3, 3], dtype=np.int32)
    indptr, indices, info = edges_to_csr(stubs[0::2], stubs[1::2], 4)
    assert indices.tolist() == [1, 2, 0, 2, 0, 1]
    assert info == {"self_loops": 1, "multi_edges": 0}


def test_edges_out_of_range_rejected():
    with pytest.raises(ValueError, match="0..2"):
        edges_to_csr(np.array([0, 3]), np.array([1, 1]), 3)


def test_finish_rows_trims_in_place_to_exact_size():
    indptr = np.array([0, 3, 4, 5], dtype=np.int64)
    indices = np.array([2, 1, 2, 0, 0], dtype=np.int32)
    indptr, indices, dropped = finish_rows(indptr, indices)
    assert dropped == 1
    assert indptr.tolist() == [0, 2, 3, 4]
    assert indices.tolist() == [1, 2, 0, 0]
    assert indices.nbytes == 4 * 4  # owns exactly its entries, no hidden tail


@pytest.mark.parametrize(
    ("indptr", "indices", "problem"),
    [
        ([0, 2, 3, 4], [2, 1, 0, 0], "not strictly increasing"),  # unsorted row 0
        ([0, 2, 3, 4], [1, 1, 0, 0], "not strictly increasing"),  # repeated edge
        ([0, 1, 2], [0, 1], "self-loop"),
        ([0, 1, 1], [1], "not symmetric"),
        ([0, 1, 2], [5, 0], "outside 0..n-1"),
        ([0, 2, 1, 2], [1, 0], "non-decreasing"),
        ([0, 1], [0, 0], "start at 0 and end"),
    ],
)
def test_validator_names_each_problem(indptr, indices, problem):
    with pytest.raises(ValueError, match=problem):
        from_csr_validated(np.array(indptr), np.array(indices))


def test_validator_accepts_a_valid_graph_and_keeps_extras():
    g = from_csr_validated(
        np.array([0, 1, 2]), np.array([1, 0]), community=np.array([0, 1]), meta={"kind": "x"}
    )
    assert g.n_edges == 1 and g.community.tolist() == [0, 1] and g.meta["kind"] == "x"


def test_symmetry_check_catches_a_missing_mirror_deep_in_a_big_graph():
    # A valid ring plus one chord present only in one direction.
    n = 1000
    src = np.arange(n, dtype=np.int32)
    indptr, indices, _ = edges_to_csr(src, (src + 1) % n, n)
    assert csr_problems(indptr, indices) == []
    rows = [list(indices[indptr[i] : indptr[i + 1]]) for i in range(n)]
    rows[10] = sorted(rows[10] + [500])
    bad_ptr = np.concatenate(([0], np.cumsum([len(r) for r in rows])))
    bad = np.array([j for r in rows for j in r], dtype=np.int32)
    problems = csr_problems(bad_ptr, bad)
    assert problems and "not symmetric" in problems[0]


def _rows(start, length, indices, n):
    return [indices[start[i]:start[i] + length[i]].tolist() for i in range(n)]


@pytest.mark.parametrize(("n", "m"), [(1, 5), (50, 700), (20_000, 60_000), (40_000, 3_000)])
def test_edges_to_rows_matches_twin_across_row_blocks(n, m):
    """The bucketed, radix-sorted rows are the twin's rows, also past one row block
    (8,192 rows) and with ids needing two radix passes; repeats and loops included."""
    rng = np.random.default_rng(n)
    src = rng.integers(0, n, m).astype(np.int32)
    dst = np.where(rng.random(m) < 0.2, src, rng.integers(0, n, m)).astype(np.int32)
    src[: m // 10] = src[m // 10 : 2 * (m // 10)]  # repeats of earlier edges
    dst[: m // 10] = dst[m // 10 : 2 * (m // 10)]
    start, length, indices = edges_to_rows(src, dst, n)
    t_indptr, t_indices = twin_edges_to_csr(src, dst, n)
    assert _rows(start, length, indices, n) == [
        t_indices[t_indptr[i]:t_indptr[i + 1]].tolist() for i in range(n)]


def test_block_scatter_equals_the_serial_scatter():
    """Each row gets its entries in edge order, whatever the number of row blocks."""
    rng = np.random.default_rng(1)
    n, m = 500, 4000
    src = rng.integers(0, n, m).astype(np.int32)
    dst = rng.integers(0, n, m).astype(np.int32)
    counts = np.zeros(n, np.int64)
    loops = count_ends(src, dst, counts)
    indptr = np.concatenate(([0], np.cumsum(counts)))
    serial = np.empty(indptr[-1], np.int32)
    scatter_edges(src, dst, indptr[:-1].copy(), serial)
    for blocks in (1, 2, 7):
        bounds = np.linspace(0, n, blocks + 1).astype(np.int64)
        c = np.zeros(n, np.int64)
        assert count_ends_by_block(src, dst, bounds, c) == loops
        np.testing.assert_array_equal(c, counts)
        out = np.empty_like(serial)
        scatter_edges_by_block(src, dst, bounds, indptr[:-1].copy(), out)
        np.testing.assert_array_equal(out, serial)
