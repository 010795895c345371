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
from simulator.graphs.memory import INT32_MAX, check_memory, check_size

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


#: Formats a graph file may have (``graph.format``), and the extensions ``auto`` reads them by.
FORMATS = ("edgelist", "csv", "graphml", "gml", "gexf")
_BY_EXTENSION = {".csv": "csv", ".graphml": "graphml", ".gml": "gml", ".gexf": "gexf"}
#: Header names of the two ends of an edge, as Gephi, pandas and igraph write them.
_END_NAMES = (("source", "target"), ("from", "to"), ("u", "v"), ("node1", "node2"))


def read_graph_file(path: str | os.PathLike, format: str = "auto") -> Graph:
    """Read a friend graph from a file: an edge list (SNAP style or CSV) or GraphML/GML/GEXF.

    ``format = "auto"`` goes by the extension (``.csv``, ``.graphml``, ``.gml``,
    ``.gexf``; anything else is a whitespace or comma separated edge list).
    Edge lists go through :func:`read_edgelist` (fast for large files, no
    networkx); the XML and GML formats are read with networkx and converted.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"graph.path = '{path}': no such file")
    kind = _BY_EXTENSION.get(p.suffix.lower(), "edgelist") if format == "auto" else format
    if kind in ("edgelist", "csv"):
        return read_edgelist(p)
    if kind not in FORMATS:
        raise ConfigError(f"graph.format = {format!r} is not allowed; allowed: auto, "
                          + ", ".join(FORMATS))
    import networkx as nx

    reader = {"graphml": nx.read_graphml, "gml": nx.read_gml, "gexf": nx.read_gexf}[kind]
    try:
        G = reader(p)
    except Exception as exc:  # noqa: BLE001 - each reader has its own errors; all are bad input
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not a readable {kind} file ({reason[:200]})") from None
    if G.number_of_nodes() == 0:
        raise ConfigError(f"{path}: the {kind} file has no nodes")
    g = from_networkx(G)
    g.meta.update({"kind": "edgelist", "params": {"path": str(path), "format": kind}})
    return g


def _first_line(p: Path) -> str | None:
    """The first line that holds data (not blank, not a ``#`` comment)."""
    with p.open("r", encoding="utf-8-sig") as fh:  # a byte-order mark is not text
        for line in fh:
            text = line.split("#", 1)[0].strip()
            if text:
                return text
    return None


def _header(first: str) -> tuple[int, int] | None:
    """Positions of the two ends if ``first`` is a header naming them (case-insensitive)."""
    names = [t.strip().strip('"').lower() for t in
             (first.split(",") if "," in first else first.split())]
    for a, b in _END_NAMES:
        if a in names and b in names:
            return names.index(a), names.index(b)
    return None


def read_edgelist(path: str | os.PathLike) -> Graph:
    """Read an undirected edge list: one ``u v`` pair per line.

    Separators are whitespace or commas; ``#`` starts a comment; blank lines
    are skipped; columns after the second (e.g. weights) are ignored. A first
    line naming the ends (``source,target`` as Gephi and pandas write it, or
    ``from,to``) is a header: the ends are read from the named columns. Labels
    (integers or strings) are relabelled ``0..n-1`` in order of first
    appearance and kept in ``labels`` (int64 if all are integers, else str).
    Self-loops and repeated edges are dropped and counted in ``meta``.

    Large files are parsed by pandas' C reader, a few seconds per 10^7 edges
    (``experiments/bench_edgelist.py``); a file it cannot take as a clean
    table (mixed separators, a short line) is read line by line, which also
    names the line at fault. In the fast path labels that are numbers are
    compared as numbers (``01`` and ``1`` are one person).

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
    try:
        first = _first_line(p)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text edge list ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    if first is None:
        raise ConfigError(f"{path}: no edges found (expected lines 'u v')")
    header = _header(first)
    ends = _read_fast(p, first, header)
    if ends is None:
        ends = _read_lines(p, path, header)
    src, dst, labels, lines = ends
    n = labels.size
    if n == 0:
        raise ConfigError(f"{path}: no edges found (expected lines 'u v')")
    check_size(n)
    check_memory(n, 2 * src.size / n, "edgelist")
    indptr, indices, info = edges_to_csr(src, dst, n)
    meta = {"kind": "edgelist", "params": {"path": str(path)}, "lines": lines, **info}
    return Graph(indptr, indices, labels=labels, meta=meta)


def _read_fast(p: Path, first: str, header: tuple[int, int] | None):
    """``(src, dst, labels, lines)`` through pandas' C reader, or None if the file is not a
    clean table (then the line reader takes it, exactly)."""
    import pandas as pd

    comma = "," in first
    a, b = header if header else (0, 1)
    try:
        table = pd.read_csv(
            p, sep="," if comma else r"\s+", comment="#", header=0 if header else None,
            usecols=[a, b], skip_blank_lines=True, skipinitialspace=True, engine="c",
            encoding="utf-8-sig", low_memory=False,
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError):
        return None  # ragged rows, odd quoting ...: the line reader says exactly what
    if table.shape[1] != 2 or table.isna().to_numpy().any():
        return None  # a line with one label, or an empty field
    # usecols keeps the file's column order: a target column left of the source comes first.
    u, v = (table.iloc[:, 0], table.iloc[:, 1]) if a < b else (table.iloc[:, 1], table.iloc[:, 0])
    both_int = all(str(c.dtype) == "int64" for c in (u, v))
    if not both_int:
        if any(c.dtype.kind in "fbu" for c in (u, v)):
            return None  # "1.5", "true" or a label beyond int64: keep the text, line by line
        u, v = u.astype(str).str.strip(), v.astype(str).str.strip()
    m = len(table)
    flat = np.empty(2 * m, dtype=np.int64 if both_int else object)
    flat[0::2] = u.to_numpy()
    flat[1::2] = v.to_numpy()
    del table, u, v
    codes, uniques = pd.factorize(flat, sort=False)  # codes in order of first appearance
    del flat
    labels = np.asarray(uniques, dtype=np.int64) if both_int else np.asarray(uniques, dtype=str)
    if codes.size and codes.max() > INT32_MAX:
        raise ConfigError(f"{p}: more than {INT32_MAX} people")
    return (np.ascontiguousarray(codes[0::2], dtype=np.int32),
            np.ascontiguousarray(codes[1::2], dtype=np.int32), labels, m)


def _read_lines(p: Path, path, header: tuple[int, int] | None):
    """The exact reader, line by line: ``(src, dst, labels, lines)``."""
    index: dict[str, int] = {}
    src = array("i")
    dst = array("i")
    a, b = header if header else (0, 1)
    need = max(a, b) + 1
    skip_header = header is not None
    try:
        with p.open("r", encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, 1):
                body = line.split("#", 1)[0]
                if "," in body:
                    text = [t.strip() for t in body.split(",")]
                    if not header and len(text) >= 2 and text[0] and not text[1]:
                        raise ConfigError(f"{path}, line {lineno}: expected two node labels "
                                          f"(u v), got {line.strip()!r}")
                    text = text if header else [t for t in " ".join(text).split()]
                else:
                    text = body.split()
                if not text or not any(text):
                    continue
                if skip_header:
                    skip_header = False
                    continue
                if len(text) < need or not text[a] or not text[b]:
                    raise ConfigError(
                        f"{path}, line {lineno}: expected two node labels (u v), got {line.strip()!r}"
                    )
                src.append(index.setdefault(text[a], len(index)))
                dst.append(index.setdefault(text[b], len(index)))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text edge list ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    tokens = list(index)
    try:
        ints = [int(t) for t in tokens]
        labels = (np.array(ints, dtype=np.int64) if len(set(ints)) == len(tokens)
                  else np.array(tokens, dtype=str))
    except (ValueError, OverflowError):  # not all integers, or one beyond int64: keep the text
        labels = np.array(tokens, dtype=str)
    return np.frombuffer(src, dtype=np.int32), np.frombuffer(dst, dtype=np.int32), labels, len(src)


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
