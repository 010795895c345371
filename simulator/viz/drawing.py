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
from numba import njit

from simulator.errors import ConfigError
from simulator.state.agents import Opinion

#: Above this many agents the picture is a hairball and the layout slow.
MAX_DRAWN_AGENTS = 3000

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

    Fruchterman-Reingold (spring) layout puts communities in visible clumps.
    It is compiled (:func:`spring_layout`): 0.1 s for 500 agents where
    networkx's sparse version takes 3 s; it runs once per graph, never per
    frame. Small components (which the spring pushes far away, squashing the
    rest) are set on a ring just outside the largest one.
    """
    key = f"{graph_fingerprint(graph)}:{seed}"
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    import networkx as nx

    rng = np.random.default_rng(seed)
    xy = rng.random((graph.n, 2))
    spring_layout(graph.indptr, graph.indices, xy, 100)
    xy -= xy.mean(axis=0)
    xy /= max(float(np.abs(xy).max()), 1e-12)
    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    g.add_edges_from(edge_pairs(graph).tolist())
    _gather_components(xy, sorted(nx.connected_components(g), key=len, reverse=True))
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = xy
        while len(_LAYOUTS) > _LAYOUTS_KEPT:
            _LAYOUTS.popitem(last=False)
    return xy


@njit(cache=True)
def spring_layout(indptr, indices, pos, iterations):
    """Fruchterman-Reingold in place on ``pos`` (float64, (n, 2)), as networkx's dense version.

    Every pair repels with ``k^2 / d``, friends attract with ``d^2 / k``
    (``k = 1 / sqrt(n)``); the step ``t`` cools linearly to zero.
    O(n^2) per iteration: fine for the few thousand agents a picture can show.
    """
    n = pos.shape[0]
    if n < 2:
        return
    k = np.sqrt(1.0 / n)
    span = max(pos[:, 0].max() - pos[:, 0].min(), pos[:, 1].max() - pos[:, 1].min())
    t = max(span, 1e-3) * 0.1
    dt = t / (iterations + 1)
    disp = np.zeros((n, 2))
    for _ in range(iterations):
        disp[:] = 0.0
        for i in range(n):
            xi = pos[i, 0]
            yi = pos[i, 1]
            for j in range(n):
                if j == i:
                    continue
                dx = xi - pos[j, 0]
                dy = yi - pos[j, 1]
                d = max(np.sqrt(dx * dx + dy * dy), 0.01)
                f = k * k / (d * d)
                disp[i, 0] += dx * f
                disp[i, 1] += dy * f
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                dx = xi - pos[j, 0]
                dy = yi - pos[j, 1]
                d = max(np.sqrt(dx * dx + dy * dy), 0.01)
                f = d / k
                disp[i, 0] -= dx * f
                disp[i, 1] -= dy * f
        for i in range(n):
            length = max(np.sqrt(disp[i, 0] ** 2 + disp[i, 1] ** 2), 0.01)
            pos[i, 0] += disp[i, 0] * t / length
            pos[i, 1] += disp[i, 1] * t / length
        t -= dt


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
                      ncol=4, frameon=False, fontsize=9, handletextpad=0.3, columnspacing=1.0)

    def update(self, state, talking: np.ndarray, title: str = "") -> None:
        """Recolour nodes from ``state`` (an ``AgentState``) and who is ``talking`` (bool)."""
        self.nodes.set_facecolors(_PALETTE[state.opinion])
        talking = np.asarray(talking, dtype=bool)
        self.nodes.set_edgecolors(np.where(talking[:, None], _RING_ON, _RING_OFF))
        self.nodes.set_linewidths(np.where(talking, 1.6, 0.4))
        self.customers.set_offsets(self.pos[state.customer.astype(bool)])
        self.followers.set_offsets(self.pos[state.follower.astype(bool)])
        self.title.set_text(title)


def legend_html() -> str:
    """The colour key as HTML (the page's legend, cheaper than matplotlib's per frame)."""
    def item(style: str, label: str) -> str:
        return (f"<span style='display:inline-block;margin-right:14px'><span style='display:"
                f"inline-block;width:12px;height:12px;border-radius:50%;vertical-align:middle;"
                f"{style}'></span> {label}</span>")

    items = [item(f"background:{COLORS[o]}", LABELS[o]) for o in
             (Opinion.UNAWARE, Opinion.NEUTRAL, Opinion.POSITIVE, Opinion.NEGATIVE)]
    items.append(item(f"background:white;border:2px solid {TALK_RING}", "talking"))
    items.append(item("background:radial-gradient(circle, white 22%, #888 30%)",
                      "customer (white dot)"))
    items.append(f"<span style='color:{FOLLOWER}'>&#9733;</span> brand follower")
    return "".join(items) + "<br>Bigger circles have more friends."


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


def network_figure(
    graph, size: float = 6.0, dpi: int = 80, legend: bool = True
) -> tuple[Figure, NetworkPicture]:
    """A figure with the network picture alone (the page's main view).

    No layout engine and (on the page) no legend: matplotlib's legend and
    constrained layout took 2/3 of the 65 ms a frame cost; the page shows the
    key as HTML instead.
    """
    fig = Figure(figsize=(size, size + (0.5 if legend else 0.2)), dpi=dpi)
    ax = fig.add_axes((0.01, 0.08 if legend else 0.01, 0.98, 0.86 if legend else 0.93))
    return fig, NetworkPicture(graph, ax, legend=legend)


def chart_figure(n: int, steps: int, dpi: int = 80) -> tuple[Figure, OpinionChart]:
    """A figure with the opinion chart alone (the page's live chart)."""
    fig = Figure(figsize=(6.0, 3.6), dpi=dpi)
    ax = fig.add_axes((0.12, 0.15, 0.84, 0.8))
    return fig, OpinionChart(ax, n, steps)


class FramePNG:
    """PNG frames of a figure whose background never changes (the page's fast path).

    The static part (edges, axes, ticks, legend) is rendered once; each frame
    restores it and draws only ``artists`` (matplotlib blitting). Text layout
    was most of the 60 ms a chart frame cost; this makes a frame a few ms.
    The artists are marked animated, so use this figure only through here.
    """

    def __init__(self, fig: Figure, artists) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.artists = list(artists)
        for artist in self.artists:
            artist.set_animated(True)
        self.background = None

    def png(self, compress_level: int = 1) -> bytes:
        import io

        from PIL import Image

        if self.background is None:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self.background)
        for artist in self.artists:
            self.fig.draw_artist(artist)
        rgba = self.canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=compress_level)
        return buf.getvalue()


def title_for(model) -> str:
    """'step t: aware a, positive p, negative q' for a :class:`ViralityModel`."""
    c = model.counts()
    return (f"step {model.t}: aware {c['n_aware']}, positive {c['n_positive']}, "
            f"negative {c['n_negative']}")
