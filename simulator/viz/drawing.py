"""The network picture and the opinion chart, for the page and the animation.

One look everywhere (the page, ``virality animate`` and the run plots of
:mod:`simulator.plots`), chosen to survive colour blindness and a projector:

===========  ==========================  ======================================
opinion      colour (Okabe-Ito)          second cue
===========  ==========================  ======================================
unaware      grey ``#BBBBBB``            a smaller circle
undecided    yellow ``#F0E442``          a circle with a dark outline
positive     blue ``#0072B2``            a circle; its word: solid lines
negative     vermillion ``#D55E00``      a diamond; its word: dashed lines
===========  ==========================  ======================================

A talking person wears a ring in their own colour (solid for a fan, dashed
for a detractor) and lines run from them to the friends who may hear them
this step; a white dot marks a customer, a black star a brand follower; the
area of a person grows with their number of friends. On the charts, positive
is a solid line and negative a dashed one. Blue and vermillion sit on the
blue-yellow axis that red-green colour blindness keeps, and
:func:`simulate_colour_vision` (Machado, Oliveira & Fernandes 2009) checks it:
under deuteranopia the old green and red were 7 CIELAB units apart, the blue
and vermillion are over 100 (``tests/test_viz_palette.py``).

The friend circles (communities of a ``stochastic_block`` graph) are laid out
side by side on a ring, each outlined and numbered, so word can be seen
jumping from one circle to the next over the few friendships between them.
The layout is computed once per graph (cached by the graph's arrays, so a
Reset that rebuilds the same graph reuses it).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Polygon
from numba import njit

from simulator.errors import ConfigError
from simulator.state.agents import Opinion

#: Above this many agents the picture is a hairball and the layout slow.
MAX_DRAWN_AGENTS = 3000

COLORS = {
    Opinion.UNAWARE: "#BBBBBB",
    Opinion.POSITIVE: "#0072B2",
    Opinion.NEGATIVE: "#D55E00",
    Opinion.NEUTRAL: "#F0E442",
}
LABELS = {
    Opinion.UNAWARE: "unaware",
    Opinion.POSITIVE: "positive",
    Opinion.NEGATIVE: "negative",
    Opinion.NEUTRAL: "undecided",
}
#: Marker of each opinion (matplotlib names): the cue that does not need colour.
MARKERS = {
    Opinion.UNAWARE: "o",
    Opinion.POSITIVE: "o",
    Opinion.NEGATIVE: "D",
    Opinion.NEUTRAL: "o",
}
#: Dash pattern of each sign of word, on the network and the charts (matplotlib style).
WORD_DASHES = {Opinion.POSITIVE: "-", Opinion.NEGATIVE: (0, (4, 2.5))}
OUTLINE = "#333333"  # the dark edge that keeps yellow visible on white
AWARE = "#000000"
CUSTOMERS = "#009E73"  # Okabe-Ito bluish green
FOLLOWER = "#000000"
CIRCLE_EDGE = "#8c8c8c"
CIRCLE_FILL = "#f4f4f4"
#: Opinions in the order keys and legends list them.
ORDER = (Opinion.UNAWARE, Opinion.NEUTRAL, Opinion.POSITIVE, Opinion.NEGATIVE)

#: The series of the live chart: (column, label, colour, dash, line width), per panel.
PEOPLE_SERIES = (
    ("n_aware", "aware", AWARE, (0, (1, 1.6)), 2.2),
    ("n_positive", "positive", COLORS[Opinion.POSITIVE], "-", 3.2),
    ("n_negative", "negative", COLORS[Opinion.NEGATIVE], WORD_DASHES[Opinion.NEGATIVE], 3.2),
    ("n_customers", "customers", CUSTOMERS, (0, (6, 2, 1.5, 2)), 2.2),
)
WORD_SERIES = (
    ("new_word_positive", "positive word", COLORS[Opinion.POSITIVE], "-", 2.6),
    ("new_word_negative", "negative word", COLORS[Opinion.NEGATIVE],
     WORD_DASHES[Opinion.NEGATIVE], 2.6),
)

_PALETTE = np.array([to_rgba(COLORS[Opinion(k)]) for k in range(len(Opinion))])
_EDGE = np.array([to_rgba(OUTLINE if Opinion(k) == Opinion.NEUTRAL else "white")
                  for k in range(len(Opinion))])
_CLEAR = np.array(to_rgba("white", 0.0))

_LAYOUTS: OrderedDict[str, np.ndarray] = OrderedDict()
_LAYOUTS_LOCK = threading.Lock()
_LAYOUTS_KEPT = 16
#: Friend circles are drawn apart when a graph has between 2 and this many communities.
MAX_DRAWN_CIRCLES = 12


# ----------------------------------------------------------------- colour vision
#: Machado, Oliveira & Fernandes (2009), severity 1.0: linear-RGB matrices that
#: show what a person with each dichromacy sees.
CVD_MATRICES = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def simulate_colour_vision(rgb, deficiency: str) -> np.ndarray:
    """sRGB colours (floats 0-1, last axis 3) as seen with a colour-vision deficiency.

    Works on one colour or on a whole screenshot (``(h, w, 3)``).

    >>> simulate_colour_vision([1.0, 1.0, 1.0], "deuteranopia").round(2).tolist()
    [1.0, 1.0, 1.0]
    """
    if deficiency not in CVD_MATRICES:
        raise ConfigError(f"deficiency = {deficiency!r} is not allowed; allowed: "
                          + ", ".join(CVD_MATRICES))
    rgb = np.asarray(rgb, dtype=np.float64)
    return _to_srgb(_to_linear(rgb) @ CVD_MATRICES[deficiency].T)


def to_lab(rgb) -> np.ndarray:
    """CIELAB (D65) of sRGB colours (floats 0-1, last axis 3)."""
    linear = _to_linear(np.asarray(rgb, dtype=np.float64))
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805],
                             [0.2126, 0.7152, 0.0722],
                             [0.0193, 0.1192, 0.9505]]).T
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def colour_distance(a, b, deficiency: str | None = None) -> float:
    """CIELAB distance (Delta E 1976) between two colours, as seen with ``deficiency``.

    About 2 is the smallest difference one notices side by side; 20 and more
    reads as two different colours at a glance.

    >>> round(colour_distance("#0072B2", "#D55E00", "deuteranopia"))
    108
    >>> round(colour_distance("#2ca02c", "#d62728", "deuteranopia"))  # green and red
    7
    """
    a, b = (np.array(to_rgba(c)[:3]) for c in (a, b))
    if deficiency is not None:
        a, b = simulate_colour_vision(a, deficiency), simulate_colour_vision(b, deficiency)
    return float(np.linalg.norm(to_lab(a) - to_lab(b)))


# ------------------------------------------------------------------------ layout
def check_drawable(n: int) -> None:
    """Refuse populations too large to draw (one line, names the key and the limit)."""
    if n > MAX_DRAWN_AGENTS:
        raise ConfigError(
            f"graph.n = {n} is too large to draw; allowed: n <= {MAX_DRAWN_AGENTS} "
            "(use --set graph.n=300 for a class)"
        )


def graph_fingerprint(graph) -> str:
    """A digest of the CSR arrays and the communities: equal graphs share one cached layout."""
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(graph.indptr).tobytes())
    h.update(np.ascontiguousarray(graph.indices).tobytes())
    if graph.community is not None:
        h.update(np.ascontiguousarray(graph.community).tobytes())
    return h.hexdigest()


def edge_pairs(graph) -> np.ndarray:
    """Each undirected edge once, as an (m, 2) array with ``i < j``."""
    deg = np.diff(graph.indptr)
    src = np.repeat(np.arange(graph.n), deg)
    dst = np.asarray(graph.indices, dtype=np.int64)
    keep = src < dst
    return np.column_stack([src[keep], dst[keep]])


def friend_circles(graph) -> list[np.ndarray]:
    """The members of each friend circle (community) worth drawing apart, or ``[]``.

    A graph without communities, with one, or with more than
    :data:`MAX_DRAWN_CIRCLES` (too many to tell apart) has none.
    """
    if graph.community is None:
        return []
    labels, inverse = np.unique(graph.community, return_inverse=True)
    if not 2 <= labels.size <= MAX_DRAWN_CIRCLES:
        return []
    return [np.flatnonzero(inverse == k) for k in range(labels.size)]


def layout(graph, seed: int = 0) -> np.ndarray:
    """Node positions (float64, (n, 2), within [-1, 1]) from a force-directed layout, cached.

    Fruchterman-Reingold (spring) layout puts communities in visible clumps.
    It is compiled (:func:`spring_layout`): 0.1 s for 500 agents where
    networkx's sparse version takes 3 s; it runs once per graph, never per
    frame. Small components (which the spring pushes far away, squashing the
    rest) are set on a ring just outside the largest one. Friend circles
    (:func:`friend_circles`) are laid out one by one and set side by side on
    a ring: a spring layout of the whole graph lets two circles overlap and
    read as one.
    """
    key = f"{graph_fingerprint(graph)}:{seed}"
    with _LAYOUTS_LOCK:
        if key in _LAYOUTS:
            _LAYOUTS.move_to_end(key)
            return _LAYOUTS[key]
    circles = friend_circles(graph)
    if circles:
        xy = _circles_layout(graph, circles, seed)
    else:
        xy = _spring(graph.indptr, graph.indices, seed)
    xy -= (xy.max(axis=0) + xy.min(axis=0)) / 2
    xy /= max(float(np.abs(xy).max()), 1e-12)
    with _LAYOUTS_LOCK:
        _LAYOUTS[key] = xy
        while len(_LAYOUTS) > _LAYOUTS_KEPT:
            _LAYOUTS.popitem(last=False)
    return xy


def _spring(indptr: np.ndarray, indices: np.ndarray, seed: int) -> np.ndarray:
    """Spring layout of one CSR graph, components gathered, centred, within the unit disc."""
    import networkx as nx

    n = indptr.size - 1
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2))
    spring_layout(indptr, indices, xy, 100)
    xy -= xy.mean(axis=0)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    src = np.repeat(np.arange(n), np.diff(indptr))
    keep = src < indices
    g.add_edges_from(zip(src[keep].tolist(), np.asarray(indices)[keep].tolist(), strict=True))
    _gather_components(xy, sorted(nx.connected_components(g), key=len, reverse=True))
    xy -= (xy.max(axis=0) + xy.min(axis=0)) / 2
    xy /= max(float(np.linalg.norm(xy, axis=1).max()), 1e-12)
    return xy


def _circles_layout(graph, circles: list[np.ndarray], seed: int) -> np.ndarray:
    """Each circle's own spring layout, the circles set on a ring (the first at the top)."""
    n = graph.n
    xy = np.zeros((n, 2))
    circle_of = np.empty(n, dtype=np.int64)
    for c, members in enumerate(circles):
        circle_of[members] = c
    src = np.repeat(np.arange(n), np.diff(graph.indptr))
    dst = np.asarray(graph.indices, dtype=np.int64)
    inside = circle_of[src] == circle_of[dst]
    k = len(circles)
    # Neighbouring discs on a ring of radius 1 stay apart while their radius is below sin(pi/k).
    radius = 0.8 * np.sin(np.pi / k) if k > 2 else 0.75
    largest = max(members.size for members in circles)
    local = np.empty(n, dtype=np.int64)
    for c, members in enumerate(circles):
        # The circle's own friendships as a CSR graph of its members, numbered 0..size-1
        # in node order (so rows and their entries stay sorted).
        local[members] = np.arange(members.size)
        keep = inside & (circle_of[src] == c)
        rows = local[src[keep]]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=members.size))])
        indices = local[dst[keep]].astype(np.int32)
        inner = _even_out(_spring(indptr.astype(np.int64), indices, seed + c))
        angle = np.pi / 2 - 2 * np.pi * c / k
        centre = np.array([np.cos(angle), np.sin(angle)])
        xy[members] = centre + inner * radius * np.sqrt(members.size / largest)
    return xy


def _even_out(xy: np.ndarray) -> np.ndarray:
    """Spread points evenly over the unit disc, keeping each one's direction and rank from the centre.

    A spring layout packs a small community's core tightly and pushes its
    few loners far out, so at classroom size most people would overlap in
    the middle of their circle.
    """
    distance = np.linalg.norm(xy, axis=1)
    ranks = np.empty(len(xy))
    ranks[np.argsort(distance, kind="stable")] = np.arange(len(xy))
    target = np.sqrt((ranks + 0.5) / max(len(xy), 1))
    return xy * (target / np.maximum(distance, 1e-12))[:, None]


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


def convex_hull(points: np.ndarray) -> np.ndarray:
    """The convex hull of 2-D points, counter-clockwise (Andrew's monotone chain).

    >>> convex_hull(np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]])).tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    """
    pts = np.unique(np.asarray(points, dtype=np.float64), axis=0)
    if len(pts) < 3:
        return pts

    def turn(o, a, b) -> float:  # > 0: o -> a -> b turns left
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def half(rows):
        out: list[np.ndarray] = []
        for p in rows:
            while len(out) >= 2 and turn(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def circle_outlines(graph, pos: np.ndarray, pad: float = 0.06) -> list[dict]:
    """Per friend circle: its ``label``, an ``outline`` (its hull pushed out by ``pad``), and an
    ``anchor`` for the label, centred just above the outline (``above`` True) or, for the
    circles in the lower half of the picture, just below it, where no other circle is."""
    out = []
    middle = (pos.max(axis=0) + pos.min(axis=0)) / 2
    for k, members in enumerate(friend_circles(graph)):
        hull = convex_hull(pos[members])
        centre = pos[members].mean(axis=0)
        away = hull - centre
        length = np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-9)
        outline = hull + pad * away / length
        above = bool(centre[1] >= middle[1] - 0.05)
        y = outline[:, 1].max() + 0.03 if above else outline[:, 1].min() - 0.03
        out.append({"label": f"circle {k + 1}", "outline": outline,
                    "anchor": np.array([centre[0], y]), "above": above})
    return out


def node_sizes(degrees: np.ndarray) -> np.ndarray:
    """Marker areas (points^2) growing with degree: hubs stand out, leaves stay visible."""
    d = np.asarray(degrees, dtype=np.float64)
    top = max(d.max(initial=0.0), 1.0)
    return 16.0 + 130.0 * np.sqrt(d / top)


def word_edges(pairs: np.ndarray, opinion: np.ndarray, talking: np.ndarray,
               sign: Opinion) -> np.ndarray:
    """The friendships word of ``sign`` may travel along this step: (k, 2), talker first."""
    speaks = talking & (opinion == sign)
    forward = pairs[speaks[pairs[:, 0]]]
    backward = pairs[speaks[pairs[:, 1]]][:, ::-1]
    return np.concatenate([forward, backward])


# ----------------------------------------------------------- matplotlib picture
def _marker_path(marker: str):
    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform())


class NetworkPicture:
    """The friend graph drawn on ``ax``; :meth:`update` recolours it from an agent state.

    Parameters
    ----------
    graph : simulator.graphs.Graph
        The friend graph (CSR).
    ax : matplotlib.axes.Axes
        Where to draw.
    legend : bool
        Add the key under the picture.
    followers : bool
        List brand followers in the key (a scenario without them need not).
    """

    def __init__(self, graph, ax, legend: bool = True, followers: bool = True) -> None:
        check_drawable(graph.n)
        self.graph = graph
        self.ax = ax
        self.pos = layout(graph)
        self.pairs = edge_pairs(graph)
        for circle in circle_outlines(graph, self.pos):
            ax.add_patch(Polygon(circle["outline"], closed=True, facecolor=CIRCLE_FILL,
                                 edgecolor=CIRCLE_EDGE, linewidth=1.0, joinstyle="round",
                                 zorder=0))
            x, y = circle["anchor"]
            ax.text(x, y, circle["label"], fontsize=10, color="#444444", zorder=0,
                    ha="center", va="bottom" if circle["above"] else "top")
        self.edges = LineCollection(
            self.pos[self.pairs], colors="#9a9a9a", linewidths=0.35, alpha=0.45, zorder=1
        )
        ax.add_collection(self.edges)
        self.word = {
            sign: LineCollection(np.empty((0, 2, 2)), colors=COLORS[sign], linewidths=1.1,
                                 linestyles=WORD_DASHES[sign], alpha=0.7, zorder=1.5)
            for sign in (Opinion.POSITIVE, Opinion.NEGATIVE)
        }
        for collection in self.word.values():
            ax.add_collection(collection)
        self.sizes = node_sizes(graph.degrees())
        self.shapes = [_marker_path(MARKERS[Opinion(k)]) for k in range(len(Opinion))]
        n = graph.n
        self.rings = ax.scatter(
            self.pos[:, 0], self.pos[:, 1], s=(np.sqrt(self.sizes) + 5.0) ** 2,
            facecolors="none", edgecolors=np.tile(_CLEAR, (n, 1)), linewidths=1.6, zorder=2,
        )
        self.nodes = ax.scatter(
            self.pos[:, 0], self.pos[:, 1], s=self.sizes,
            c=np.tile(_PALETTE[Opinion.UNAWARE], (n, 1)),
            edgecolors=np.tile(_EDGE[Opinion.UNAWARE], (n, 1)), linewidths=0.5, zorder=3,
        )
        empty = np.empty((0, 2))
        self.customers = ax.scatter(empty[:, 0], empty[:, 1], s=7, c="white", zorder=4,
                                    linewidths=0.4, edgecolors=OUTLINE)
        self.followers = ax.scatter(empty[:, 0], empty[:, 1], s=34, c=FOLLOWER, marker="*",
                                    zorder=5, linewidths=0)
        pad = 0.09  # and room above and below for the circles' labels and the title
        ax.set_xlim(-1 - pad, 1 + pad)
        ax.set_ylim(-1 - pad - 0.1, 1 + pad + 0.1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        self.title = ax.set_title("", fontsize=13)
        if legend:
            ax.legend(handles=legend_handles(followers), loc="upper center", bbox_to_anchor=(0.5, 0.0),
                      ncol=4, frameon=False, fontsize=10, handletextpad=0.3, columnspacing=1.0)

    @property
    def artists(self) -> list:
        """What :meth:`update` changes (for blitting)."""
        return [*self.word.values(), self.rings, self.nodes, self.customers, self.followers,
                self.title]

    def update(self, state, talking: np.ndarray, title: str = "") -> None:
        """Recolour nodes from ``state`` (an ``AgentState``) and who is ``talking`` (bool)."""
        opinion = np.asarray(state.opinion)
        talking = np.asarray(talking, dtype=bool)
        self.nodes.set_facecolors(_PALETTE[opinion])
        self.nodes.set_edgecolors(_EDGE[opinion])
        self.nodes.set_paths([self.shapes[k] for k in opinion])
        unaware = opinion == Opinion.UNAWARE
        self.nodes.set_sizes(np.where(unaware, 0.6 * self.sizes, self.sizes))
        self.rings.set_edgecolors(np.where(talking[:, None], _PALETTE[opinion], _CLEAR))
        self.rings.set_linestyles([WORD_DASHES[Opinion.NEGATIVE] if o == Opinion.NEGATIVE
                                   else "-" for o in opinion])
        for sign, collection in self.word.items():
            collection.set_segments(self.pos[word_edges(self.pairs, opinion, talking, sign)])
        self.customers.set_offsets(self.pos[state.customer.astype(bool)])
        self.followers.set_offsets(self.pos[state.follower.astype(bool)])
        self.title.set_text(title)


def legend_handles(followers: bool = True) -> list[Line2D]:
    """The key: opinions (colour and shape), talk, word, customers and followers."""
    def dot(color, label, edge="white", width=0.5, marker="o", size=9, face=None):
        return Line2D([], [], linestyle="", marker=marker, markersize=size,
                      markerfacecolor=color if face is None else face, markeredgecolor=edge,
                      markeredgewidth=width, label=label)

    handles = [dot(COLORS[o], LABELS[o], edge=OUTLINE if o == Opinion.NEUTRAL else "white",
                   marker=MARKERS[o], size=7 if o == Opinion.UNAWARE else 9) for o in ORDER]
    handles.append(dot("none", "talking (ring)", edge=COLORS[Opinion.POSITIVE], width=1.6,
                       size=12))
    for sign in (Opinion.POSITIVE, Opinion.NEGATIVE):
        handles.append(Line2D([], [], color=COLORS[sign], linestyle=WORD_DASHES[sign], lw=1.6,
                              label=f"{LABELS[sign]} word"))
    handles.append(dot("white", "customer (white dot)", edge=OUTLINE, size=5))
    if followers:
        handles.append(dot(FOLLOWER, "brand follower", edge=FOLLOWER, marker="*", size=10))
    return handles


class OpinionChart:
    """People by opinion over time, on fixed axes (0..steps, 0..n); word per step below.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The people panel (aware, positive, negative, customers).
    n, steps : int
        The axes' ranges.
    word_ax : matplotlib.axes.Axes, optional
        A panel for the word passed to friends each step (positive and negative).
    """

    SERIES = PEOPLE_SERIES

    def __init__(self, ax, n: int, steps: int, word_ax=None) -> None:
        self.ax = ax
        self.word_ax = word_ax
        self.lines = {
            key: ax.plot([], [], color=color, lw=width, ls=dash, label=label)[0]
            for key, label, color, dash, width in PEOPLE_SERIES
        }
        panels = [(ax, n * 1.02, "people")]
        if word_ax is not None:
            self.lines.update({
                key: word_ax.plot([], [], color=color, lw=width, ls=dash, label=label)[0]
                for key, label, color, dash, width in WORD_SERIES
            })
            panels.append((word_ax, 1.0, "words passed this step"))
        for axis, top, ylabel in panels:
            axis.set_xlim(0, max(steps, 1))
            axis.set_ylim(0, top)
            axis.set_ylabel(ylabel, fontsize=12)
            axis.grid(alpha=0.3)
            axis.tick_params(labelsize=11)
            axis.legend(loc="upper left", fontsize=11, frameon=False)
        panels[-1][0].set_xlabel("step (day)", fontsize=12)

    def update(self, frame) -> None:
        """Redraw from a mapping of metric name -> sequence (e.g. the DataCollector frame)."""
        for key, line in self.lines.items():
            y = np.asarray(frame[key])
            line.set_data(np.arange(y.size), y)
        if self.word_ax is not None:
            top = max(float(np.max(np.asarray(frame[k]), initial=0)) for k, *_ in WORD_SERIES)
            if top * 1.1 > self.word_ax.get_ylim()[1]:
                self.word_ax.set_ylim(0, nice_ceiling(top * 1.1))


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``value`` (an axis top).

    >>> nice_ceiling(37), nice_ceiling(0), nice_ceiling(120)
    (50.0, 1.0, 200.0)
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def title_for(model) -> str:
    """'step t: aware a, positive p, negative q' for a :class:`ViralityModel`."""
    c = model.counts()
    return (f"step {model.t}: aware {c['n_aware']}, positive {c['n_positive']}, "
            f"negative {c['n_negative']}")


# ------------------------------------------------------------- the page's scene
#: Side of the page's network picture in SVG units (the browser scales it).
SCENE_SIZE = 1000


def palette() -> dict[str, str]:
    """The colours the page's pictures use, by name (one source for page and animation)."""
    return {
        "unaware": COLORS[Opinion.UNAWARE], "positive": COLORS[Opinion.POSITIVE],
        "negative": COLORS[Opinion.NEGATIVE], "neutral": COLORS[Opinion.NEUTRAL],
        "outline": OUTLINE, "aware": AWARE, "customers": CUSTOMERS, "follower": FOLLOWER,
        "circle_edge": CIRCLE_EDGE, "circle_fill": CIRCLE_FILL,
    }


def network_scene(graph) -> dict:
    """What the page's network picture never redraws: positions, sizes, friendships, circles.

    Coordinates are SVG units of a ``SCENE_SIZE`` square (y down). Sent once per
    model; each step then sends only :func:`network_frame`.

    >>> from simulator.graphs import erdos_renyi
    >>> scene = network_scene(erdos_renyi(30, 4, seed=1))
    >>> len(scene["nodes"]), scene["circles"], len(scene["edges"]) % 2
    (30, [], 0)
    """
    check_drawable(graph.n)
    pos = layout(graph)
    margin = 0.09 * SCENE_SIZE  # room for the circles' labels outside their outlines
    half = SCENE_SIZE / 2 - margin

    def to_scene(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([SCENE_SIZE / 2 + half * xy[:, 0],
                                SCENE_SIZE / 2 - half * xy[:, 1]])

    xy = to_scene(pos)
    deg = graph.degrees().astype(np.float64)
    # Radius in SVG units: about 1% of the picture for 300 people, smaller for more.
    base = float(np.clip(170.0 / np.sqrt(max(graph.n, 1)), 3.0, 18.0))
    radius = base * (0.75 + 0.75 * np.sqrt(deg / max(deg.max(initial=0.0), 1.0)))
    circles = []
    for circle in circle_outlines(graph, pos, pad=0.07):
        pts = to_scene(circle["outline"])
        (x, y), = to_scene(circle["anchor"][None, :])
        circles.append({
            "label": circle["label"],
            "d": "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in pts) + " Z",
            # y is the text's baseline: a label below its circle hangs under the anchor.
            "x": round(float(x), 1), "y": round(float(y) + (0.0 if circle["above"] else 26.0), 1),
        })
    return {
        "size": SCENE_SIZE,
        "nodes": np.column_stack([xy.round(1), radius.round(2)]).tolist(),
        "edges": edge_pairs(graph).ravel().tolist(),
        "circles": circles,
    }


def network_frame(model) -> dict:
    """What changes each step on the network picture of ``model`` (a ViralityModel)."""
    state = model.state
    return {
        "step": int(model.t),
        "opinion": np.asarray(state.opinion, dtype=np.int64).tolist(),
        "talking": model.talking().astype(np.int64).tolist(),
        "customer": np.asarray(state.customer, dtype=np.int64).tolist(),
        "follower": np.asarray(state.follower, dtype=np.int64).tolist(),
    }
