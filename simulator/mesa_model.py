"""``ViralityModel``: the engine as a Mesa model (for notebooks, ``batch_run`` and the web page).

The model holds one :class:`~simulator.engine.simulation.Simulation` (replicate
0 of a run) and advances it one engine step per ``model.step()``. Agents stay
arrays: there is no Mesa ``Agent`` per person on the hot path. For a small
population, :meth:`ViralityModel.agent_info` and
:meth:`ViralityModel.opinions_table` let a teacher look at single people.

Same seed, same numbers: ``ViralityModel(scenario=sc, seed=s)`` steps through
exactly the series of replicate 0 of ``simulator.run(sc, seed=s)``.

>>> from simulator import ViralityModel
>>> model = ViralityModel(n=200, mean_degree=6, graph_kind="erdos_renyi", steps=5, seed=1)
>>> model.step(); model.steps
1
>>> frame = model.datacollector.get_model_vars_dataframe()
>>> len(frame), int(frame["n_aware"].iloc[0])  # the classroom's 3 seeds
(2, 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from simulator.engine.run import make_graph
from simulator.engine.simulation import Simulation
from simulator.errors import ConfigError
from simulator.params import check_seeds_fit
from simulator.rng import graph_seed, replicate_keys
from simulator.scenario import Scenario
from simulator.state import metrics as M
from simulator.state.agents import Opinion

#: Model keyword -> scenario key. Keywords are the scenario keys as Python names.
PARAMETERS: dict[str, str] = {
    "graph_kind": "graph.kind",
    "n": "graph.n",
    "mean_degree": "graph.mean_degree",
    "seeding_method": "seeding.method",
    "n_seeds": "seeding.n_seeds",
    "seeding_sentiment": "seeding.sentiment",
    "initial_customers": "seeding.initial_customers",
    "p_positive": "wom.p_positive",
    "p_negative": "wom.p_negative",
    "talk_steps": "wom.talk_steps",
    "impact_positive": "wom.impact_positive",
    "impact_negative": "wom.impact_negative",
    "p_turn_negative": "wom.p_turn_negative",
    "p_turn_positive": "wom.p_turn_positive",
    "p_advertising": "market.p_advertising",
    "p_purchase": "market.p_purchase",
    "satisfaction": "market.satisfaction",
    "steps": "run.steps",
}

#: The scenario used when none is given: the classroom graph
#: (``scenarios/classroom.toml`` spells out the same values with comments).
DEFAULT_SCENARIO: dict[str, Any] = {
    "name": "classroom",
    "graph": {"kind": "stochastic_block", "n": 300, "mean_degree": 8, "communities": 6,
              "mixing": 0.06},
    "seeding": {"method": "random", "n_seeds": 3},
    "wom": {
        "p_positive": 0.15, "p_negative": 0.15, "talk_steps": 3,
        "impact_positive": 0.6, "impact_negative": 0.6,
        "p_turn_negative": 0.1, "p_turn_positive": 0.05,
    },
    "market": {"p_advertising": 0.0, "p_purchase": 0.1, "satisfaction": 0.9},
    "run": {"steps": 40, "replicates": 20, "seed": 7},
}

#: Metrics the DataCollector records every step (the engine's public metrics).
REPORTED = tuple(M.COUNT_NAMES[i] for i in M.PUBLIC_COUNT_POSITIONS)

OPINION_NAMES = {int(o): o.name.lower() for o in Opinion}


def resolve_scenario(scenario: str | Path | Scenario | Mapping | None) -> Scenario:
    """A :class:`Scenario` from a path, a mapping, a Scenario, or ``None`` (the default)."""
    if scenario is None:
        return Scenario.from_dict(DEFAULT_SCENARIO)
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    if isinstance(scenario, (str, Path)):
        return Scenario.load(scenario)
    raise ConfigError(
        f"scenario = {scenario!r} is not allowed; expected a TOML path, a Scenario or a mapping"
    )


class ViralityModel(mesa.Model):
    """Positive and negative word of mouth on a friend graph, as a Mesa model.

    Every keyword but ``scenario`` and ``seed`` is a scenario key written as a
    Python name (``graph_kind`` is ``graph.kind``, ``seeding_method`` is
    ``seeding.method``, the others are the key itself, see :data:`PARAMETERS`).
    ``None`` keeps the scenario's value.

    Parameters
    ----------
    scenario : str, Path, Scenario or mapping, optional
        Where to start from; explicit keywords override it. Default: the
        classroom scenario (:data:`DEFAULT_SCENARIO`: 300 agents, social graph).
    seed : int, optional
        Master seed of the graph and the dynamics. ``None`` takes the
        scenario's ``[run] seed`` when ``scenario`` is given; without a
        scenario it draws fresh entropy as Mesa does (recorded in ``self.seed``),
        so ``batch_run`` iterations differ.

    Attributes
    ----------
    scenario : Scenario
        The scenario actually run (with the keyword overrides applied).
    seed : int
        The master seed actually used.
    graph : simulator.graphs.Graph
        The friend graph (CSR arrays).
    simulation : Simulation
        The engine; ``simulation.state`` holds the agent arrays.
    datacollector : mesa.DataCollector
        One row per step (row 0 is the starting state) with the engine's metrics.
    running : bool
        False once nothing more can happen or the last step is reached.
    """

    def __init__(
        self,
        *,
        scenario: str | Path | Scenario | Mapping | None = None,
        graph_kind: str | None = None,
        n: int | None = None,
        mean_degree: float | None = None,
        seeding_method: str | None = None,
        n_seeds: int | None = None,
        seeding_sentiment: str | None = None,
        initial_customers: float | None = None,
        p_positive: float | None = None,
        p_negative: float | None = None,
        talk_steps: int | None = None,
        impact_positive: float | None = None,
        impact_negative: float | None = None,
        p_turn_negative: float | None = None,
        p_turn_positive: float | None = None,
        p_advertising: float | None = None,
        p_purchase: float | None = None,
        satisfaction: float | None = None,
        steps: int | None = None,
        seed: int | None = None,
    ) -> None:
        given = {
            "graph_kind": graph_kind, "n": n, "mean_degree": mean_degree,
            "seeding_method": seeding_method, "n_seeds": n_seeds,
            "seeding_sentiment": seeding_sentiment, "initial_customers": initial_customers,
            "p_positive": p_positive, "p_negative": p_negative, "talk_steps": talk_steps,
            "impact_positive": impact_positive, "impact_negative": impact_negative,
            "p_turn_negative": p_turn_negative, "p_turn_positive": p_turn_positive,
            "p_advertising": p_advertising, "p_purchase": p_purchase,
            "satisfaction": satisfaction, "steps": steps,
        }
        base = resolve_scenario(scenario)
        overrides = {PARAMETERS[k]: v for k, v in given.items() if v is not None}
        if graph_kind is not None:
            overrides = {**_keys_left_behind(base, graph_kind), **overrides}
        self.scenario = base.with_overrides(overrides)
        if seed is None:
            seed = (
                self.scenario.run.seed if scenario is not None
                else int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
            )
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"seed = {seed!r} is out of range; allowed: an integer >= 0")
        self.seed = int(seed)
        super().__init__(seed=self.seed)

        sc = self.scenario
        # As simulator.run builds it: one shared graph, or replicate 0's own graph.
        replicate = 0 if sc.run.resample_graph else None
        self.graph = make_graph(sc, self.seed, replicate)
        self.graph_seed = graph_seed(self.seed, replicate)
        check_seeds_fit(sc.seeding, self.graph.n)
        self.simulation = Simulation(
            self.graph, sc.model, sc.run.steps, replicate_keys(self.seed, 0),
            validate=sc.run.validate,
        )
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(i) for i, name in enumerate(M.COUNT_NAMES)
                             if name in REPORTED}
        )
        self.datacollector.collect(self)
        self.running = not self.simulation.done

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Run one engine step and record its metrics (nothing once the run is over)."""
        sim = self.simulation
        if sim.done:
            self.running = False
            return
        sim.step()
        self.datacollector.collect(self)
        self.running = not sim.done
        if not self.running and sim.validate:
            sim.run_to_end()  # checks the invariants

    # ------------------------------------------------------------------- reading
    @property
    def t(self) -> int:
        """The engine's step (equals ``self.steps`` unless stepped past the end)."""
        return self.simulation.t

    @property
    def state(self):
        """The agent arrays (:class:`~simulator.state.AgentState`)."""
        return self.simulation.state

    def talking(self) -> np.ndarray:
        """Who talks in the next step (bool, (n,)): the engine's ``n_talking_`` agents."""
        s = self.simulation.state
        speaks = (s.opinion == Opinion.POSITIVE) | (s.opinion == Opinion.NEGATIVE)
        return speaks & (s.talk_until > self.simulation.t)

    def counts(self) -> dict[str, int]:
        """The metrics at the current step, by name."""
        row = self.simulation.series[self.simulation.t]
        return {name: int(row[i]) for i, name in enumerate(M.COUNT_NAMES) if name in REPORTED}

    def parameters(self) -> dict[str, Any]:
        """The model's keywords and their values in this run (plus ``seed``)."""
        flat = self.scenario.flat()
        out = {k: flat[key] for k, key in PARAMETERS.items()}
        out["seed"] = self.seed
        return out

    def _check_agent(self, i: int) -> int:
        n = self.graph.n
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
            raise ConfigError(f"agent = {i!r} is out of range; allowed: 0 <= agent < {n}")
        return int(i)

    def friends(self, i: int) -> np.ndarray:
        """Agent ``i``'s friends (int32 ids)."""
        i = self._check_agent(i)
        g = self.graph
        return g.indices[g.indptr[i] : g.indptr[i + 1]]

    def agent_info(self, i: int) -> dict[str, Any]:
        """One person, as a teacher would look them up in a notebook.

        >>> m = ViralityModel(n=50, mean_degree=4, graph_kind="erdos_renyi", n_seeds=2, seed=3)
        >>> info = m.agent_info(0)
        >>> info["opinion"], info["talking"], info["degree"] == len(info["friends"])
        ('unaware', False, True)
        """
        i = self._check_agent(i)
        s = self.simulation.state
        friends = self.friends(i)
        until = int(s.talk_until[i])
        talking = bool(self.talking()[i])
        friend_ops = [OPINION_NAMES[int(o)] for o in s.opinion[friends]]
        return {
            "agent": i,
            "opinion": OPINION_NAMES[int(s.opinion[i])],
            "talking": bool(talking),
            "talking_until": until if talking else None,
            "customer": bool(s.customer[i]),
            "follower": bool(s.follower[i]),
            "bell": bool(s.bell[i]),
            "ever_aware": bool(s.ever_aware[i]),
            "degree": int(friends.size),
            "friends": [int(f) for f in friends],
            "friends_opinions": friend_ops,
            "friends_by_opinion": {
                name: friend_ops.count(name) for name in OPINION_NAMES.values()
            },
        }

    def opinions_table(self):
        """One row per agent: opinion, talking, customer, follower, bell, degree (pandas).

        >>> m = ViralityModel(n=50, mean_degree=4, graph_kind="erdos_renyi", n_seeds=2, seed=3)
        >>> table = m.opinions_table()
        >>> len(table), int(table["talking"].sum())
        (50, 2)
        """
        import pandas as pd

        s = self.simulation.state
        talking = self.talking()
        table = pd.DataFrame({
            "opinion": pd.Categorical.from_codes(
                s.opinion.astype(np.int64), categories=[OPINION_NAMES[k] for k in sorted(OPINION_NAMES)]
            ),
            "talking": talking,
            "talking_until": np.where(talking, s.talk_until, -1),
            "customer": s.customer.astype(bool),
            "follower": s.follower.astype(bool),
            "bell": s.bell.astype(bool),
            "degree": self.graph.degrees(),
        })
        table.index.name = "agent"
        return table


def _keys_left_behind(scenario: Scenario, kind: str) -> dict[str, Any]:
    """Reset ``[graph]`` keys that do not apply to a new ``kind`` (e.g. ``mixing`` when
    leaving ``stochastic_block``), so changing ``graph_kind`` alone is enough."""
    import dataclasses

    from simulator.params.graph import APPLIES_TO, GraphParams

    defaults = {f.name: f.default for f in dataclasses.fields(GraphParams)}
    current = scenario.graph
    return {
        f"graph.{key}": defaults[key]
        for key, kinds in APPLIES_TO.items()
        if kind not in kinds and getattr(current, key) != defaults[key]
    }


def _reporter(column: int):
    def report(model: ViralityModel) -> int:
        sim = model.simulation
        return int(sim.series[sim.t, column])

    report.__name__ = M.COUNT_NAMES[column]
    return report
