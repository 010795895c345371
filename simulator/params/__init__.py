"""Every parameter of a scenario: one frozen, validated section per mechanism.

* :mod:`~simulator.params.base`: how a section is declared (:func:`param`)
  and validated; errors name the key, the value and what is allowed;
* :mod:`~simulator.params.graph`: ``[graph]``, the friend graph;
* :mod:`~simulator.params.core`: ``[run]``, ``[seeding]``, ``[wom]``, ``[market]``;
* :mod:`~simulator.params.platform`: ``[feed]``, ``[followers]``, ``[brand]``,
  ``[paid]``, ``[crisis]``.

:data:`SECTIONS` is the registry a scenario file is read against; a new
mechanism adds its section here. Checks that span sections are written once,
here or in :mod:`~simulator.params.core` (:func:`check_seeds_fit`,
:func:`check_run_value`).
"""

from dataclasses import dataclass, field

from simulator.params.base import Section, param
from simulator.params.core import (
    MarketParams,
    RunParams,
    SeedingParams,
    WomParams,
    check_run_value,
    check_seeds_fit,
)
from simulator.params.graph import GraphParams
from simulator.params.platform import (
    BrandParams,
    CrisisParams,
    FeedParams,
    FollowerParams,
    PaidParams,
)

#: Section name -> parameter class, in the order scenario files and results list them.
SECTIONS: dict[str, type[Section]] = {
    "graph": GraphParams,
    "run": RunParams,
    "seeding": SeedingParams,
    "wom": WomParams,
    "market": MarketParams,
    "feed": FeedParams,
    "followers": FollowerParams,
    "brand": BrandParams,
    "paid": PaidParams,
    "crisis": CrisisParams,
}



@dataclass(frozen=True)
class ModelParams:
    """The sections the step plan reads: everything but ``[graph]`` and ``[run]``.

    A section left out takes its defaults, under which every platform layer
    is off: ``ModelParams(wom=WomParams(p_positive=0.1))`` is plain word of mouth.
    """

    seeding: SeedingParams = field(default_factory=SeedingParams)
    wom: WomParams = field(default_factory=WomParams)
    market: MarketParams = field(default_factory=MarketParams)
    feed: FeedParams = field(default_factory=FeedParams)
    followers: FollowerParams = field(default_factory=FollowerParams)
    brand: BrandParams = field(default_factory=BrandParams)
    paid: PaidParams = field(default_factory=PaidParams)
    crisis: CrisisParams = field(default_factory=CrisisParams)

    @property
    def platform_on(self) -> bool:
        """Whether any platform layer (feed, followers, brand, paid, crisis) changes the dynamics."""
        return (self.feed.active or self.followers.enabled or self.brand.strategy != "ignore"
                or self.paid.active or self.crisis.active)


__all__ = [
    "SECTIONS", "ModelParams", "BrandParams", "CrisisParams", "FeedParams", "FollowerParams", "GraphParams",
    "MarketParams", "PaidParams", "RunParams", "Section", "SeedingParams", "WomParams",
    "check_run_value", "check_seeds_fit", "param",
]
