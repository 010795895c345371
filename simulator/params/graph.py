"""The ``[graph]`` section: which friend graph, and its generator's knobs.

Every key belongs to some kinds of graph; setting a key that does not apply to
the chosen ``kind`` is an error that says which kind it applies to (a silently
ignored parameter would let a typo in ``kind`` pass unnoticed). The graph is
built from it by :func:`simulator.graphs.build_graph`.

>>> GraphParams.from_dict({"kind": "erdos_renyi", "rewire": 0.2})
Traceback (most recent call last):
...
simulator.errors.ConfigError: graph.rewire = 0.2 applies only to kind = 'watts_strogatz'; kind is 'erdos_renyi'
"""

from __future__ import annotations

import dataclasses

from simulator.errors import ConfigError
from simulator.params.base import Section, param

#: Degree laws of the configuration model (:mod:`simulator.graphs.degrees` draws them).
DISTRIBUTIONS = ("lognormal", "powerlaw", "poisson", "regular")

KINDS = (
    "social",
    "clustered",
    "erdos_renyi",
    "configuration",
    "watts_strogatz",
    "holme_kim",
    "stochastic_block",
    "complete",
    "edgelist",
)
_CLUSTERED = ("social", "clustered")

#: Which kinds each kind-specific key applies to.
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "distribution": ("configuration",),
    "median": ("configuration", *_CLUSTERED),
    "exponent": ("configuration",),
    "k_min": ("configuration",),
    "cutoff": ("configuration",),
    "max_degree": ("configuration", *_CLUSTERED),
    "rewire": ("watts_strogatz",),
    "m": ("holme_kim",),
    "p_triad": ("holme_kim",),
    "communities": ("stochastic_block", *_CLUSTERED),
    "mixing": ("stochastic_block",),
    "group_size": ("clustered",),
    "weak_share": _CLUSTERED,
    "path": ("edgelist",),
    "format": ("edgelist",),
}
#: Keys of a configuration model that apply only to some distributions.
_DIST_KEYS = {
    "median": ("lognormal",),
    "exponent": ("powerlaw",),
    "k_min": ("powerlaw",),
    "cutoff": ("powerlaw",),
}


@dataclasses.dataclass(frozen=True)
class GraphParams(Section):
    """Friend graph: which generator, how big, and its own knobs."""

    SECTION = "graph"

    kind: str = param("social", choices=KINDS, doc="generator (edgelist reads graph.path)")
    n: int = param(10_000, low=1, high=2**31 - 1, doc="number of agents")
    mean_degree: float = param(130.0, low=0.0, doc="mean number of friends (Facebook: 130)",
                                source="Ugander, Karrer, Backstrom & Marlow 2011")
    distribution: str = param("lognormal", choices=DISTRIBUTIONS, doc="configuration: degree law")
    median: float | None = param(None, low=0.0, low_open=True, optional=True,
                                 doc="lognormal median degree (default: mean * 99/190, Facebook)")  # fmt: skip
    exponent: float = param(2.5, low=1.0, low_open=True, doc="powerlaw: P(k) ~ k^-exponent")
    k_min: int = param(1, low=1, doc="powerlaw: smallest degree")
    cutoff: float | None = param(None, low=0.0, low_open=True, optional=True,
                                 doc="powerlaw: exponential cutoff degree")  # fmt: skip
    max_degree: int = param(5000, low=1, doc="degree cap (Facebook: 5000)",
                          source="Facebook's friend limit")
    rewire: float = param(0.1, low=0.0, high=1.0, doc="watts_strogatz: rewiring probability")
    m: int | None = param(None, low=1, optional=True, doc="holme_kim: edges per new node (default mean_degree/2)")
    p_triad: float = param(0.5, low=0.0, high=1.0, doc="holme_kim: triad-closure probability")
    communities: int | None = param(None, low=1, optional=True,
                                    doc="number of communities (default one per 10,000 agents)")  # fmt: skip
    mixing: float = param(0.1, low=0.0, high=1.0, doc="stochastic_block: share of edges between communities")
    group_size: int = param(8, low=3, high=1000,
                            doc="clustered: members per friend group (a clique); social's "
                            "groups grow with their members' degree")  # fmt: skip
    weak_share: float | None = param(None, low=0.0, high=1.0, optional=True,
                                     doc="clustered/social: share of weak ties across groups "
                                     "(default: clustered 0.25, social 0.15)")  # fmt: skip
    path: str | None = param(None, optional=True, doc="edgelist: file, relative to the scenario file")
    format: str = param(
        "auto", choices=("auto", "edgelist", "csv", "graphml", "gml", "gexf"),
        doc="edgelist: the file's format (auto: by extension; .csv may have a source,target "
        "header as Gephi and pandas write it; anything else is a 'u v' list, SNAP style)",
    )

    def check(self) -> None:
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for key, kinds in APPLIES_TO.items():
            value = getattr(self, key)
            if self.kind not in kinds and value != defaults[key]:
                where = " or ".join(repr(k) for k in kinds)
                raise ConfigError(
                    f"graph.{key} = {value!r} applies only to kind = {where}; kind is {self.kind!r}"
                )
        if self.kind == "edgelist":
            if self.path is None:
                raise ConfigError("graph.path is required when graph.kind = 'edgelist'")
            for key in ("n", "mean_degree"):
                if getattr(self, key) != defaults[key]:
                    raise ConfigError(
                        f"graph.{key} = {getattr(self, key)!r} does not apply to kind = 'edgelist' "
                        "(the file sets the graph)"
                    )
            return
        if self.kind == "complete":
            if self.mean_degree != defaults["mean_degree"]:
                raise ConfigError(
                    f"graph.mean_degree = {self.mean_degree!r} does not apply to kind = 'complete' "
                    "(it is n - 1)"
                )
            return
        powerlaw = self.kind == "configuration" and self.distribution == "powerlaw"
        if self.mean_degree >= self.n and not powerlaw:  # a power law's mean comes from its own keys
            raise ConfigError(
                f"graph.mean_degree = {self.mean_degree:g} is not allowed; it must be below graph.n = {self.n}"
            )
        if self.kind == "configuration":
            for key, dists in _DIST_KEYS.items():
                if self.distribution not in dists and getattr(self, key) != defaults[key]:
                    raise ConfigError(
                        f"graph.{key} = {getattr(self, key)!r} applies only to distribution = "
                        f"{' or '.join(map(repr, dists))}; distribution is {self.distribution!r}"
                    )
            if self.distribution == "powerlaw" and self.mean_degree != defaults["mean_degree"]:
                raise ConfigError(
                    f"graph.mean_degree = {self.mean_degree:g} does not apply to distribution = "
                    "'powerlaw' (set graph.exponent, graph.k_min, graph.cutoff)"
                )
        if self.median is not None and not self.median < self.mean_degree:
            raise ConfigError(
                f"graph.median = {self.median:g} is not allowed; a lognormal needs median < "
                f"mean_degree = {self.mean_degree:g}"
            )
        if self.kind == "watts_strogatz" and (self.mean_degree % 2 != 0):
            raise ConfigError(
                f"graph.mean_degree = {self.mean_degree:g} is not allowed; watts_strogatz needs an "
                "even whole number"
            )
        if self.kind == "holme_kim":
            if self.m is not None and self.mean_degree != defaults["mean_degree"] and (
                2 * self.m != self.mean_degree
            ):
                raise ConfigError(
                    f"graph.m = {self.m} contradicts graph.mean_degree = {self.mean_degree:g} "
                    "(holme_kim's mean degree is about 2 m; set one of them)"
                )
            if self.holme_kim_m() >= self.n:
                raise ConfigError(f"graph.m = {self.holme_kim_m()} is not allowed; it must be below graph.n = {self.n}")
        if self.communities is not None and self.communities > self.n:
            raise ConfigError(
                f"graph.communities = {self.communities} is not allowed; it must be at most graph.n = {self.n}"
            )

    def holme_kim_m(self) -> int:
        """``m`` of a Holme–Kim graph: given, or half the mean degree (at least 1)."""
        return self.m if self.m is not None else max(1, round(self.mean_degree / 2))


