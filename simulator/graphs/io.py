"""Graphs in and out: networkx graphs and edge-list files.

Node labels of any kind are relabelled ``0..n-1`` (in networkx's node order,
or in order of first appearance in a file) and the originals are kept in
``Graph.labels``, so results can be mapped back.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simulator.errors import ConfigError
from simulator.graphs.csr import edges_to_csr
from simulator.graphs.graph import Graph
from simulator.graphs.memory import check_memory, check_size

if TYPE_CHECKING:  # networkx is imported only when a conversion needs it (import cost)
    import networkx as nx


def _label_array(labels: list) -> np.ndarray:
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in labels):
        return np.array(labels, dtype=np.int64)
    if all(isinstance(x, str) for x in labels):
        return np.array(labels, dtype=str)
    out = np.empty(len(labels), dtype=object)
    out[:] = labels
    return out


def from_networkx(G: nx.Graph) -> Graph:
    """A CSR :class:`Graph` from any networkx graph.

    Nodes are relabelled ``0..n-1`` in ``G.nodes`` order (originals in
    ``labels``); directed graphs are symmetrised (an arc either way is a
    friendship); self-loops and parallel edges are dropped.

    Examples
    --------
    >>> import networkx as nx
    >>> g = from_networkx(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "c")]))
    >>> g.n, g.n_edges, g.labels.tolist()
    (3, 2, ['a', 'b', 'c'])
    """
    nodes = list(G.nodes())
    n = len(nodes)
    check_size(max(n, 1))
    index = {v: i for i, v in enumerate(nodes)}
    m = G.number_of_edges()
    check_memory(n, 2 * m / max(n, 1), "edgelist")
    src = np.empty(m, dtype=np.int32)
    dst = np.empty(m, dtype=np.int32)
    for e, (u, v) in enumerate(G.edges()):
        src[e] = index[u]
        dst[e] = index[v]
    indptr, indices, info = edges_to_csr(src, dst, n)
    meta = {"kind": "networkx", "params": {"n": n, "directed": G.is_directed()}, **info}
    community = None
    values = [G.nodes[v].get("community") for v in nodes]
    if n and all(isinstance(c, (int, np.integer)) for c in values):
        community = np.array(values, dtype=np.int32)
    return Graph(indptr, indices, community=community, labels=_label_array(nodes), meta=meta)


def to_networkx(g: Graph) -> nx.Graph:
    """An undirected networkx graph; nodes carry the original labels if the graph has them.

    A ``community`` node attribute is set when the graph has communities.

    >>> from simulator.graphs.generators import complete
    >>> to_networkx(complete(4)).number_of_edges()
    6
    """
    import networkx as nx

    labels = g.labels.tolist() if g.labels is not None else list(range(g.n))
    G = nx.Graph()
    if g.community is not None:
        G.add_nodes_from((labels[i], {"community": int(c)}) for i, c in enumerate(g.community))
    else:
        G.add_nodes_from(labels)
    rows = np.repeat(np.arange(g.n), g.degrees())
    upper = g.indices > rows
    G.add_edges_from(zip([labels[i] for i in rows[upper]], [labels[j] for j in g.indices[upper]], strict=True))
    return G


def read_edgelist(path: str | os.PathLike) -> Graph:
    """Read an undirected edge list: one ``u v`` pair per line.

    Separators are whitespace or commas; ``#`` starts a comment; blank lines
    are skipped; columns after the second (e.g. weights) are ignored. Labels
    (integers or strings) are relabelled ``0..n-1`` in order of first
    appearance and kept in ``labels`` (int64 if all are integers, else str).
    Self-loops and repeated edges are dropped and counted in ``meta``.

    Raises
    ------
    ConfigError
        For a missing or unreadable file, or a line without two labels,
        naming the file and the line number.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "g.csv")
    ...     with open(p, "w") as fh:
    ...         _ = fh.write("# friends\\nann,bob,0.5\\nbob\\tcid\\n\\ncid ann\\n")
    ...     g = read_edgelist(p)
    >>> g.n, g.n_edges, g.labels.tolist()
    (3, 3, ['ann', 'bob', 'cid'])
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"graph.path = '{path}': no such file")
    index: dict[str, int] = {}
    src = array("i")
    dst = array("i")
    try:
        with p.open("r", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                text = line.split("#", 1)[0].replace(",", " ").split()
                if not text:
                    continue
                if len(text) < 2:
                    raise ConfigError(
                        f"{path}, line {lineno}: expected two node labels (u v), got {line.strip()!r}"
                    )
                a = index.setdefault(text[0], len(index))
                b = index.setdefault(text[1], len(index))
                src.append(a)
                dst.append(b)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text edge list ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    n = len(index)
    if n == 0:
        raise ConfigError(f"{path}: no edges found (expected lines 'u v')")
    check_size(n)
    check_memory(n, 2 * len(src) / n, "edgelist")
    tokens = list(index)
    try:
        ints = [int(t) for t in tokens]
        labels = np.array(ints, dtype=np.int64) if len(set(ints)) == n else np.array(tokens, dtype=str)
    except (ValueError, OverflowError):  # not all integers, or one beyond int64: keep the text
        labels = np.array(tokens, dtype=str)
    indptr, indices, info = edges_to_csr(
        np.frombuffer(src, dtype=np.int32), np.frombuffer(dst, dtype=np.int32), n
    )
    meta = {"kind": "edgelist", "params": {"path": str(path)}, "lines": len(src), **info}
    return Graph(indptr, indices, labels=labels, meta=meta)


def write_edgelist(g: Graph, path: str | os.PathLike, *, labels: bool = True) -> None:
    """Write each friendship once as ``u v`` (``u < v`` by index), with a ``#`` header.

    Original labels are written when the graph has them and ``labels`` is
    true, so :func:`read_edgelist` gives the same graph back.

    >>> import tempfile, os
    >>> from simulator.graphs.generators import complete
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_edgelist(complete(3), os.path.join(d, "k3.txt"))
    ...     with open(os.path.join(d, "k3.txt")) as fh:
    ...         print(fh.read())
    # complete n=3 edges=3
    0 1
    0 2
    1 2
    """
    rows = np.repeat(np.arange(g.n), g.degrees())
    upper = g.indices > rows
    u, v = rows[upper], g.indices[upper]
    names = g.labels if (labels and g.labels is not None) else None
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"# {g.meta.get('kind', 'graph')} n={g.n} edges={g.n_edges}\n")
        if names is None:
            np.savetxt(fh, np.column_stack((u, v)), fmt="%d")
        else:
            fh.writelines(f"{names[a]} {names[b]}\n" for a, b in zip(u, v, strict=True))
