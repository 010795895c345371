"""The network picture and the opinion chart (matplotlib), for the page and the animation.

One picture per model: the layout is computed once per graph (and cached by
the graph's arrays, so a Reset that rebuilds the same graph reuses it), the
edges are drawn once, and each frame only recolours the nodes. Colours:
unaware grey, positive green, negative red, undecided yellow; a dark ring
marks an agent who is talking, a white dot a customer, a blue star a brand
follower; node area grows with the number of friends.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.core.state import Opinion
from simulator.errors import ConfigError

#: Above this many agents the picture is a hairball and the layout slow.
MAX_DRAWN_AGENTS = 5000

COLORS = {
    Opinion.UNAWARE: "#c9c9c9",
    Opinion.POSITIVE: "#2ca02c",
    Opinion.NEGATIVE: "#d62728",
    Opinion.NEUTRAL: "#f2c12e",
}
LABELS = {
    Opinion.UNAWARE: "unaware",
    Opinion.POSITIVE: "positive",
    Opinion.NEGATIVE: "negative",
    Opinion.NEUTRAL: "undecided",
}
TALK_RING = "#1a1a1a"
FOLLOWER = "#1f77b4"
_PALETTE = np.array([to_rgba(COLORS[Opinion(k)]) for k in range(len(Opinion))])
_RING_ON = np.array(to_rgba(TALK_RING))
_RING_OFF = np.array(to_rgba("white"))

_LAYOUTS: OrderedDict[str, np.ndarray] = OrderedDict()
_LAYOUTS_LOCK = threading.Lock()
_LAYOUTS_KEPT = 16


def check_drawable(n: int) -> None:
    """Refuse populations too large to draw (one line, names the key and the limit)."""
    if n > MAX_DRAWN_AGENTS:
        raise ConfigError(
            f"graph.n = {n} is too large to draw; allowed: n <= {MAX_DRAWN_AGENTS} "
            "(use --set graph.n=300 for a class)"
        )


def graph_fingerprint(graph) -> str:
    """A digest of the CSR arrays: equal graphs share one cached layout."""
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(graph.indptr).tobytes())
    h.update(np.ascontiguousarray(graph.indices).tobytes())
    return h.hexdigest()


def edge_pairs(graph) -> np.ndarray:
    """Each undirected edge once, as an (m, 2) array with ``i < j``."""
    deg = np.diff(graph.indptr)
    src = np.repeat(np.arange(graph.n), deg)
    dst = np.asarray(graph.indices, dtype=np.int64)
    keep = src < dst
    return np.column_stack([src[keep], dst[keep]])


def layout(graph, seed: int = 0) -> np.ndarray:
    """Node positions (float64, (n, 2)) from a force-directed layout, cached per graph.

    Spring (Fruchterman-Reingold) layout puts communities in visible clumps;
    300 agents take about 0.3 s, so it runs once per graph, never per frame.
    Small components (which the spring pushes far away, squashing the rest)
    are set on a ring just outside the largest one.
    """
    key = f"{graph_fingerprint(graph)}:{seed}"
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    g.add_edges_from(edge_pairs(graph).tolist())
    pos = nx.spring_layout(g, seed=seed, iterations=100)
    xy = np.array([pos[i] for i in range(graph.n)], dtype=np.float64).reshape(graph.n, 2)
    _gather_components(xy, sorted(nx.connected_components(g), key=len, reverse=True))
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = xy
        while len(_LAYOUTS) > _LAYOUTS_KEPT:
            _LAYOUTS.popitem(last=False)
    return xy


def _gather_components(xy: np.ndarray, components: list[set]) -> None:
    """Move every component but the largest onto a ring around it (in place)."""
    if len(components) < 2:
        return
    main = np.fromiter(components[0], dtype=np.int64)
    centre = xy[main].mean(axis=0)
    radius = max(float(np.linalg.norm(xy[main] - centre, axis=1).max()), 1e-3)
    rest = components[1:]
    for k, comp in enumerate(rest):
        nodes = np.fromiter(comp, dtype=np.int64)
        local = xy[nodes] - xy[nodes].mean(axis=0)
        span = float(np.abs(local).max()) if nodes.size > 1 else 1.0
        local *= 0.04 * radius * np.sqrt(nodes.size) / max(span, 1e-9)
        angle = 2 * np.pi * k / len(rest)
        xy[nodes] = centre + 1.12 * radius * np.array([np.cos(angle), np.sin(angle)]) + local


def node_sizes(degrees: np.ndarray) -> np.ndarray:
    """Marker areas (points^2) growing with degree: hubs stand out, leaves stay visible."""
    d = np.asarray(degrees, dtype=np.float64)
    top = max(d.max(initial=0.0), 1.0)
    return 10.0 + 110.0 * np.sqrt(d / top)


class NetworkPicture:
    """The friend graph drawn on ``ax``; :meth:`update` recolours it from an agent state.

    Parameters
    ----------
    graph : simulator.graphs.Graph
        The friend graph (CSR).
    ax : matplotlib.axes.Axes
        Where to draw.
    legend : bool
        Add the colour key under the picture.
    """

    def __init__(self, graph, ax, legend: bool = True) -> None:
        check_drawable(graph.n)
        self.graph = graph
        self.ax = ax
        self.pos = layout(graph)
        pairs = edge_pairs(graph)
        self.edges = LineCollection(
            self.pos[pairs], colors="#9a9a9a", linewidths=0.35, alpha=0.45, zorder=1
        )
        ax.add_collection(self.edges)
        self.sizes = node_sizes(graph.degrees())
        n = graph.n
        self.nodes = ax.scatter(
            self.pos[:, 0], self.pos[:, 1], s=self.sizes,
            c=np.tile(_PALETTE[Opinion.UNAWARE], (n, 1)),
            edgecolors=np.tile(_RING_OFF, (n, 1)), linewidths=0.4, zorder=2,
        )
        empty = np.empty((0, 2))
        self.customers = ax.scatter(empty[:, 0], empty[:, 1], s=4, c="white", zorder=3,
                                    linewidths=0)
        self.followers = ax.scatter(empty[:, 0], empty[:, 1], s=30, c=FOLLOWER, marker="*",
                                    zorder=4, linewidths=0)
        pad = 0.05
        lo, hi = self.pos.min(axis=0), self.pos.max(axis=0)
        span = np.maximum(hi - lo, 1e-9)
        ax.set_xlim(lo[0] - pad * span[0], hi[0] + pad * span[0])
        ax.set_ylim(lo[1] - pad * span[1], hi[1] + pad * span[1])
        ax.set_aspect("equal")
        ax.set_axis_off()
        self.title = ax.set_title("", fontsize=11)
        if legend:
            ax.legend(handles=legend_handles(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
                      ncol=3, frameon=False, fontsize=8, handletextpad=0.3, columnspacing=1.0)

    def update(self, state, talking: np.ndarray, title: str = "") -> None:
        """Recolour nodes from ``state`` (an ``AgentState``) and who is ``talking`` (bool)."""
        self.nodes.set_facecolors(_PALETTE[state.opinion])
        talking = np.asarray(talking, dtype=bool)
        self.nodes.set_edgecolors(np.where(talking[:, None], _RING_ON, _RING_OFF))
        self.nodes.set_linewidths(np.where(talking, 1.6, 0.4))
        self.customers.set_offsets(self.pos[state.customer.astype(bool)])
        self.followers.set_offsets(self.pos[state.follower.astype(bool)])
        self.title.set_text(title)


def legend_handles() -> list[Line2D]:
    """The colour key: opinions, the talking ring, customers and followers."""
    def dot(color, label, edge="white", width=0.5, marker="o", size=8):
        return Line2D([], [], linestyle="", marker=marker, markersize=size, markerfacecolor=color,
                      markeredgecolor=edge, markeredgewidth=width, label=label)

    handles = [dot(COLORS[o], LABELS[o]) for o in
               (Opinion.UNAWARE, Opinion.NEUTRAL, Opinion.POSITIVE, Opinion.NEGATIVE)]
    handles.append(dot("white", "talking", edge=TALK_RING, width=1.6))
    handles.append(dot("#555555", "customer (white dot)", edge="#555555", size=6))
    handles.append(dot(FOLLOWER, "brand follower", edge=FOLLOWER, marker="*", size=9))
    return handles


class OpinionChart:
    """Aware, positive and negative agents over time, on fixed axes (0..steps, 0..n)."""

    SERIES = (
        ("n_aware", "aware", "#7f7f7f"),
        ("n_positive", "positive", COLORS[Opinion.POSITIVE]),
        ("n_negative", "negative", COLORS[Opinion.NEGATIVE]),
    )

    def __init__(self, ax, n: int, steps: int) -> None:
        self.ax = ax
        self.lines = {
            key: ax.plot([], [], color=color, lw=2, label=label)[0]
            for key, label, color in self.SERIES
        }
        ax.set_xlim(0, max(steps, 1))
        ax.set_ylim(0, n * 1.02)
        ax.set_xlabel("step")
        ax.set_ylabel("agents")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, frameon=False)

    def update(self, frame) -> None:
        """Redraw from a mapping of metric name -> sequence (e.g. the DataCollector frame)."""
        for key, line in self.lines.items():
            y = np.asarray(frame[key])
            line.set_data(np.arange(y.size), y)


def network_figure(graph, size: float = 6.0, dpi: int = 80) -> tuple[Figure, NetworkPicture]:
    """A figure with the network picture alone (the page's main view)."""
    fig = Figure(figsize=(size, size + 0.4), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    return fig, NetworkPicture(graph, ax)


def chart_figure(n: int, steps: int, dpi: int = 80) -> tuple[Figure, OpinionChart]:
    """A figure with the opinion chart alone (the page's live chart)."""
    fig = Figure(figsize=(6.0, 3.6), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    return fig, OpinionChart(ax, n, steps)


def title_for(model) -> str:
    """'step t: aware a, positive p, negative q' for a :class:`ViralityModel`."""
    c = model.counts()
    return (f"step {model.t}: aware {c['n_aware']}, positive {c['n_positive']}, "
            f"negative {c['n_negative']}")
