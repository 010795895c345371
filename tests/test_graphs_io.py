"""networkx round trips and edge-list files, including messy ones and bad ones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from simulator.errors import ConfigError
from simulator.graphs import (
    erdos_renyi,
    from_networkx,
    read_edgelist,
    read_graph_file,
    stochastic_block,
    to_networkx,
    write_edgelist,
)
from simulator.graphs.csr import csr_problems


def test_networkx_round_trip_keeps_the_graph():
    g = erdos_renyi(500, 6, seed=1)
    back = from_networkx(to_networkx(g))
    np.testing.assert_array_equal(back.indptr, g.indptr)
    np.testing.assert_array_equal(back.indices, g.indices)
    assert back.labels.tolist() == list(range(500))


def test_networkx_communities_travel_as_node_attributes():
    g = stochastic_block([20, 30], 0.3, 0.02, seed=2)
    back = from_networkx(to_networkx(g))
    np.testing.assert_array_equal(back.community, g.community)


def test_from_networkx_relabels_symmetrises_and_drops_loops():
    G = nx.DiGraph()
    G.add_edges_from([("x", "y"), ("y", "z"), ("z", "y"), ("z", "z"), (("t", 1), "x")])
    g = from_networkx(G)
    assert g.labels.tolist() == ["x", "y", "z", ("t", 1)]
    assert csr_problems(g.indptr, g.indices) == []
    assert g.n_edges == 3  # x-y, y-z (both arcs), t-x; z-z dropped
    assert g.meta["self_loops"] == 1 and g.meta["multi_edges"] == 1
    G2 = to_networkx(g)
    assert set(map(frozenset, G2.edges())) == {
        frozenset({"x", "y"}), frozenset({"y", "z"}), frozenset({("t", 1), "x"})
    }


def test_networkx_karate_club_matches():
    G = nx.karate_club_graph()
    g = from_networkx(G)
    assert g.n == 34 and g.n_edges == G.number_of_edges()
    assert sorted(g.degrees().tolist()) == sorted(d for _, d in G.degree())


MESSY = """# a messy friend list
# comment lines, blank lines, commas, tabs, weights, loops and repeats

alice,bob,0.9
bob\tcarol
carol  alice   2.5  extra
dave dave
alice bob
bob alice # trailing comment
eve,alice
"""


def test_read_messy_edgelist(tmp_path):
    path = tmp_path / "friends.csv"
    path.write_text(MESSY)
    g = read_edgelist(path)
    assert g.labels.tolist() == ["alice", "bob", "carol", "dave", "eve"]
    assert csr_problems(g.indptr, g.indices) == []
    assert g.n_edges == 4  # a-b, b-c, c-a, e-a
    assert g.degrees().tolist() == [3, 2, 2, 0, 1]  # dave only had a self-loop
    assert g.meta["self_loops"] == 1 and g.meta["multi_edges"] == 2 and g.meta["lines"] == 7


def test_integer_labels_are_kept_in_order_of_first_appearance(tmp_path):
    path = tmp_path / "ints.txt"
    path.write_text("10 3\n3 7\n7 10\n")
    g = read_edgelist(path)
    assert g.labels.dtype == np.int64 and g.labels.tolist() == [10, 3, 7]
    assert g.n_edges == 3


def test_write_then_read_gives_the_same_graph(tmp_path):
    g = erdos_renyi(300, 5, seed=3)
    path = tmp_path / "g.txt"
    write_edgelist(g, path)
    back = read_edgelist(path)
    # Labels are the old ids in order of first appearance; map back and compare edge sets.
    old = back.labels
    rows = np.repeat(np.arange(back.n), back.degrees())
    got = {(min(a, b), max(a, b)) for a, b in zip(old[rows], old[back.indices], strict=True)}
    rows = np.repeat(np.arange(g.n), g.degrees())
    want = {(min(a, b), max(a, b)) for a, b in zip(rows, g.indices, strict=True)}
    assert got == want


def test_missing_file_is_a_config_error(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(ConfigError, match="nope.txt") as err:
        read_edgelist(missing)
    assert "\n" not in str(err.value)


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("# header\n1 2\n\n3\n4 5\n")
    with pytest.raises(ConfigError, match=r"bad\.txt, line 4: expected two node labels") as err:
        read_edgelist(path)
    assert "\n" not in str(err.value)


def test_empty_and_binary_files_are_config_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(ConfigError, match="no edges"):
        read_edgelist(empty)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81 \x92\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        read_edgelist(binary)


def test_labels_beyond_int64_are_kept_as_text(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("1 99999999999999999999\n2 3\n")
    g = read_edgelist(path)
    assert g.n == 4 and g.labels.tolist() == ["1", "99999999999999999999", "2", "3"]


def test_csv_with_a_header_as_gephi_and_pandas_write_it(tmp_path):
    import pandas as pd

    gephi = tmp_path / "gephi.csv"
    gephi.write_text("Source,Target,Type,Id,Weight\nann,bob,Undirected,0,1.0\n"
                     "bob,cid,Undirected,1,2.5\ncid,ann,Undirected,2,1.0\n")
    g = read_graph_file(gephi)
    assert g.n == 3 and g.n_edges == 3 and g.labels.tolist() == ["ann", "bob", "cid"]
    # pandas' to_csv with its index: an unnamed first column.
    frame = pd.DataFrame({"target": [2, 3, 1], "weight": [1.0, 0.5, 2.0], "source": [1, 2, 3]})
    written = tmp_path / "pandas.csv"
    frame.to_csv(written)
    g = read_graph_file(written)
    assert g.labels.tolist() == [1, 2, 3]  # source before target on each line
    assert sorted(map(tuple, np.sort(edge_pairs(g), axis=1).tolist())) == [(0, 1), (0, 2), (1, 2)]


def edge_pairs(g):
    rows = np.repeat(np.arange(g.n), g.degrees())
    keep = g.indices > rows
    return np.column_stack([rows[keep], g.indices[keep]])


def test_fast_and_line_readers_agree(tmp_path):
    """The same file, clean (pandas' C reader) and with one mixed-separator line (the line
    reader): the same graph, labels and order."""
    rng = np.random.default_rng(3)
    pairs = rng.integers(0, 500, size=(3000, 2))
    clean = tmp_path / "clean.txt"
    clean.write_text("# SNAP style\n# FromNodeId\tToNodeId\n"
                     + "".join(f"{a}\t{b}\n" for a, b in pairs))
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("".join(f"{a}\t{b}\n" for a, b in pairs[:-1]) + f"{pairs[-1][0]},{pairs[-1][1]}\n")
    a, b = read_edgelist(clean), read_edgelist(mixed)
    assert a.labels.tolist() == b.labels.tolist()
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a.meta["lines"] == b.meta["lines"] == 3000


@pytest.mark.parametrize("ext", ["graphml", "gml", "gexf"])
def test_networkx_formats_by_extension(tmp_path, ext):
    import networkx as nx

    G = nx.karate_club_graph()
    path = tmp_path / f"karate.{ext}"
    getattr(nx, f"write_{ext}")(G, path)
    g = read_graph_file(path)
    assert g.n == 34 and g.n_edges == 78 and g.meta["params"]["format"] == ext
    broken = tmp_path / f"broken.{ext}"
    broken.write_text("<graphml><not closed")
    with pytest.raises(ConfigError, match=f"not a readable {ext} file"):
        read_graph_file(broken)


def test_a_scenario_reads_a_csv_graph(tmp_path):
    import simulator

    (tmp_path / "friends.csv").write_text("source,target\n" + "".join(
        f"p{i},p{(i + 1) % 40}\n" for i in range(40)))
    (tmp_path / "s.toml").write_text('[graph]\nkind = "edgelist"\npath = "friends.csv"\n'
                                     "[seeding]\nn_seeds = 1\n[run]\nsteps = 5\nreplicates = 1\n")
    res = simulator.run(tmp_path / "s.toml")
    assert res.n == 40
    with pytest.raises(ConfigError, match="graph.format = 'xml' is not allowed"):
        simulator.Scenario.from_dict({"graph": {"kind": "edgelist", "path": "x", "format": "xml"}})


@pytest.mark.parametrize("data, n, edges, labels", [
    (b"\xef\xbb\xbfsource,target\na,b\nb,c\n", 3, 2, ["a", "b", "c"]),   # a BOM before a header
    (b"\xef\xbb\xbf1 2\n2 3.5\n1 3.5\n", 3, 3, ["1", "2", "3.5"]),       # a BOM, line reader
    (b"ann ,bob \nbob,cid\n", 3, 2, ["ann", "bob", "cid"]),               # spaces around labels
    (b"true x\nTRUE y\n", 4, 2, ["true", "x", "TRUE", "y"]),              # text, not booleans
    (b"18446744073709551615 1\n1 2\n", 3, 2, ["18446744073709551615", "1", "2"]),
])
def test_awkward_files_give_the_graph_as_written(tmp_path, data, n, edges, labels):
    path = tmp_path / "g.txt"
    path.write_bytes(data)
    g = read_graph_file(path)
    assert (g.n, g.n_edges, g.labels.tolist()) == (n, edges, labels)


def test_an_empty_second_column_is_refused_not_filled_from_the_third(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(b"a,b,1.0\nc,,2.0\n")
    with pytest.raises(ConfigError, match=r"g\.csv, line 2: expected two node labels"):
        read_graph_file(path)
