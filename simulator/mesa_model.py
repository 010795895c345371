"""``ViralityModel``: the engine as a Mesa model (for notebooks, ``batch_run`` and the web page).

The model holds one :class:`~simulator.engine.simulation.Simulation` (replicate
0 of a run) and advances it one engine step per ``model.step()``. The state
stays in the engine's arrays and the numba engine steps everyone at once; each
person of the friend graph is also a Mesa agent, a :class:`Person` that reads
its own slot of those arrays. So ``model.agents`` and the DataCollector's
``agent_reporters`` work as in any Mesa model, and the numbers do not change.
:meth:`ViralityModel.agent_info` and :meth:`ViralityModel.opinions_table` let a
teacher look at single people.

Same seed, same numbers: ``ViralityModel(scenario=sc, seed=s)`` steps through
exactly the series of replicate 0 of ``simulator.run(sc, seed=s)``, and its
DataCollector records every column of that run's ``timeseries.csv`` (the
counts, then the platform's feed, followers, brand, paid, crisis and money
series) under the same names.

>>> from simulator import ViralityModel
>>> model = ViralityModel(n=200, mean_degree=6, graph_kind="erdos_renyi", steps=5, seed=1)
>>> model.step(); model.steps
1
>>> frame = model.datacollector.get_model_vars_dataframe()
>>> len(frame), int(frame["n_aware"].iloc[0])  # the classroom's 3 seeds
(2, 3)
>>> len(model.agents), model.people[0].opinion
(200, 'unaware')
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Mapping
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

#: The count metrics :meth:`ViralityModel.counts` returns (the engine's public counts).
PUBLIC_COUNTS = tuple(M.COUNT_NAMES[i] for i in M.PUBLIC_COUNT_POSITIONS)

#: Metrics the DataCollector records every step: every column of ``timeseries.csv``
#: but ``replicate`` and ``step`` (the counts, then the platform layers), in its order.
REPORTED = M.PUBLIC_COLUMNS

#: Up to this many nodes a model makes one :class:`Person` per node unless told
#: otherwise. A Mesa agent costs 1.5 to 3 µs and 0.5 kB (0.15 s and 50 MB for
#: 100,000 people, 3 s and 0.5 GB for a million), while the engine keeps 14
#: bytes per person and steps a million people in tens of milliseconds: above
#: the limit the agents would cost more than the run, so ``agents=True`` (or an
#: agent reporter) asks for them.
AGENT_LIMIT = 200_000

OPINION_NAMES = {int(o): o.name.lower() for o in Opinion}

# Opinions whose holders pass word while their talk lasts (the undecided and the unaware do not).
_SPEAKING = (int(Opinion.POSITIVE), int(Opinion.NEGATIVE))


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


class _IdCounters:
    """Mesa's per-model counters of ``unique_id``, kept on each model instead of on the class.

    Mesa 3.3.1 keeps them in ``Agent._ids``, a dict on the class keyed by the
    model, so a model that made an agent is never freed: every model of a
    ``batch_run`` and every Reset of the classroom page would stay in memory
    with all its people (a Mesa bug, fixed after 3.3.1). ``Agent.__init__``
    reads the counter as ``self._ids[model]``, so :class:`Person` puts this
    table in its place; the counter lives and dies with its model, and ids
    still count from 1 in creation order.
    """

    def __getitem__(self, model: mesa.Model) -> Iterator[int]:
        counter = model.__dict__.get("_person_ids")
        if counter is None:
            counter = model._person_ids = itertools.count(1)
        return counter


def _is_talking(simulation: Simulation, i: int) -> bool:
    """Whether agent ``i`` talks in the next step (one slot of :meth:`ViralityModel.talking`)."""
    s = simulation.state
    return int(s.opinion[i]) in _SPEAKING and int(s.talk_until[i]) > simulation.t


class Person(mesa.Agent):
    """One person of the friend graph as a Mesa agent: a read-only view of the engine's arrays.

    The numba engine steps everyone at once, so a Person has no behaviour of its
    own: ``step`` is Mesa's no-op, nothing here writes to the state, and
    ``model.agents.do("step")`` changes nothing. Every property reads this
    person's slot (:attr:`node`) of ``model.state`` at the model's current step,
    so an agent reporter sees the very state the model reporters count, and
    the properties equal the entries of :meth:`ViralityModel.agent_info` (its
    ``agent`` is :attr:`node`).

    Parameters
    ----------
    model : ViralityModel
    node : int
        The person's index in the friend graph and in every engine array.

    Attributes
    ----------
    node : int
        As given. Mesa numbers agents from 1 and the people are a model's first
        agents, so ``unique_id`` (the ``AgentID`` of
        ``datacollector.get_agent_vars_dataframe()``) is ``node + 1``.

    Examples
    --------
    >>> model = ViralityModel(n=50, mean_degree=4, graph_kind="erdos_renyi", n_seeds=2, seed=3)
    >>> fan = next(p for p in model.agents if p.opinion == "positive")
    >>> fan.talking, fan.unique_id == fan.node + 1, fan.info()["friends"] == fan.friends
    (True, True, True)
    """

    _ids = _IdCounters()

    def __init__(self, model: ViralityModel, node: int) -> None:
        super().__init__(model)
        self.node = node

    def __repr__(self) -> str:
        return f"Person(node={self.node}, opinion={self.opinion!r})"

    @property
    def opinion(self) -> str:
        """``"unaware"``, ``"positive"``, ``"negative"`` or ``"neutral"`` (undecided)."""
        return OPINION_NAMES[int(self.model.simulation.state.opinion[self.node])]

    @property
    def talking(self) -> bool:
        """Whether this person passes word in the next step."""
        return _is_talking(self.model.simulation, self.node)

    @property
    def talking_until(self) -> int | None:
        """The last step this person talks in, or ``None`` when silent."""
        if not self.talking:
            return None
        return int(self.model.simulation.state.talk_until[self.node])

    @property
    def customer(self) -> bool:
        """Whether this person has bought."""
        return bool(self.model.simulation.state.customer[self.node])

    @property
    def follower(self) -> bool:
        """Whether this person follows the brand's page."""
        return bool(self.model.simulation.state.follower[self.node])

    @property
    def bell(self) -> bool:
        """Whether this person has the page's notifications on."""
        return bool(self.model.simulation.state.bell[self.node])

    @property
    def ever_aware(self) -> bool:
        """Whether this person has ever heard of the brand."""
        return bool(self.model.simulation.state.ever_aware[self.node])

    @property
    def on_platform(self) -> bool:
        """False once this person has left the platform."""
        return bool(self.model.simulation.state.on_platform[self.node])

    @property
    def degree(self) -> int:
        """How many friends this person has."""
        g = self.model.graph
        return int(g.indptr[self.node + 1] - g.indptr[self.node])

    @property
    def friends(self) -> list[int]:
        """The friends' nodes."""
        return self.model.graph.neighbors(self.node).tolist()

    @property
    def friend_agents(self) -> list[Person]:
        """The friends as :class:`Person` agents."""
        people = self.model.people
        return [people[j] for j in self.friends]

    @property
    def friends_opinions(self) -> list[str]:
        """Each friend's :attr:`opinion`, in the order of :attr:`friends`."""
        codes = self.model.simulation.state.opinion[self.model.graph.neighbors(self.node)]
        return [OPINION_NAMES[int(o)] for o in codes]

    @property
    def friends_by_opinion(self) -> dict[str, int]:
        """How many friends hold each opinion."""
        ops = self.friends_opinions
        return {name: ops.count(name) for name in OPINION_NAMES.values()}

    def info(self) -> dict[str, Any]:
        """Everything about this person at once: :meth:`ViralityModel.agent_info` of :attr:`node`."""
        return self.model.agent_info(self.node)


#: What a string agent reporter can name: the Person's properties, then Mesa's attributes.
PERSON_ATTRIBUTES = (
    tuple(name for name, value in vars(Person).items() if isinstance(value, property))
    + ("node", "unique_id")
)


class ViralityModel(mesa.Model):
    """Positive and negative word of mouth on a friend graph, as a Mesa model.

    Every keyword but ``scenario``, ``seed``, ``agents`` and
    ``agent_reporters`` is a scenario key written as a Python name (``graph_kind`` is ``graph.kind``, ``seeding_method`` is
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
    agents : bool, optional
        Make one :class:`Person` agent per node (``model.agents``,
        ``model.people``). ``None``: yes up to :data:`AGENT_LIMIT` nodes, or
        whenever ``agent_reporters`` are given; above the limit a Mesa agent
        per person would cost more time and memory than the run itself. The
        agents only read the engine's arrays: with or without them the
        numbers are the same.
    agent_reporters : mapping, optional
        Passed to the ``mesa.DataCollector`` as they are: a reporter name to a
        :class:`Person` property name (``{"opinion": "opinion"}``) or a
        function of a Person. Collected at every step like the model
        reporters. None by default: Mesa's ``batch_run`` writes one row per
        agent per step as soon as there is one.

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
    people : tuple of Person
        ``people[i]`` is node ``i``'s agent (``model.agents`` holds the same
        agents; the tuple finds one without a scan). Empty without agents.
    datacollector : mesa.DataCollector
        Model reporters: one row per step (row 0 is the starting state) with
        every series of :data:`REPORTED`, named and typed as in
        ``timeseries.csv``; agent reporters as given.
    running : bool
        False once nothing more can happen or the last step is reached.

    Examples
    --------
    The DataCollector's frame is replicate 0 of ``simulator.run``, platform series included:

    >>> model = ViralityModel(n=100, mean_degree=6, graph_kind="erdos_renyi", n_seeds=2,
    ...                       steps=10, seed=1, agent_reporters={"opinion": "opinion"})
    >>> model.step(); model.step()
    >>> frame = model.datacollector.get_model_vars_dataframe()
    >>> frame.shape, frame.columns[-3:].tolist()
    ((3, 43), ['cum_cost', 'cum_value', 'cum_npv'])

    Each person is a Mesa agent, and an agent reporter reads one of its properties:

    >>> len(model.agents), model.people[7].degree == len(model.people[7].friends)
    (100, True)
    >>> people = model.datacollector.get_agent_vars_dataframe()  # index: Step, AgentID
    >>> len(people), int((people.loc[0, "opinion"] == "positive").sum())  # steps 0-2; 2 seeds
    (300, 2)
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
        agents: bool | None = None,
        agent_reporters: Mapping[str, Any] | None = None,
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
        make_agents = _wants_agents(agents, agent_reporters)
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
        if make_agents is None:
            make_agents = self.graph.n <= AGENT_LIMIT
        # Made before the first collect, so agent reporters see everyone from step 0.
        self.people: tuple[Person, ...] = _make_people(self) if make_agents else ()
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _series_reporter(name) for name in REPORTED},
            agent_reporters=dict(agent_reporters) if agent_reporters else None,
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
        """The count metrics (:data:`PUBLIC_COUNTS`) at the current step, by name."""
        row = self.simulation.series[self.simulation.t]
        return {name: int(row[i]) for i, name in enumerate(M.COUNT_NAMES) if name in PUBLIC_COUNTS}

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
        talking = _is_talking(self.simulation, i)  # one slot, not self.talking()'s n
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
            "on_platform": bool(s.on_platform[i]),
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


def _wants_agents(agents: Any, agent_reporters: Any) -> bool | None:
    """Whether to make :class:`Person` agents: True, False, or ``None`` (by the graph's size).

    Checked before the graph is built, so a wrong keyword fails at once.
    """
    if agents is not None and not isinstance(agents, (bool, np.bool_)):
        raise ConfigError(f"agents = {agents!r} is not allowed; expected True, False or None")
    if agent_reporters is not None and not isinstance(agent_reporters, Mapping):
        raise ConfigError(
            f"agent_reporters = {agent_reporters!r} is not allowed; expected a mapping of "
            "names to Person properties or functions, e.g. {'opinion': 'opinion'}"
        )
    if agent_reporters:
        _check_agent_reporters(agent_reporters)
        if agents is not None and not agents:
            raise ConfigError("agent_reporters need agents; pass agents=True or no agents keyword")
        return True
    return None if agents is None else bool(agents)


def _check_agent_reporters(agent_reporters: Mapping[str, Any]) -> None:
    """A reporter naming an attribute a Person lacks is an error, not a column of ``None``.

    (Mesa's own string reporters read ``getattr(agent, name, None)``: a typo
    would quietly collect ``None`` for everyone.)
    """
    for name, reporter in agent_reporters.items():
        if isinstance(reporter, str) and reporter not in PERSON_ATTRIBUTES:
            raise ConfigError(
                f"agent_reporters[{name!r}] = {reporter!r} is not a Person attribute; "
                f"allowed: {', '.join(PERSON_ATTRIBUTES)}, or a function of a Person"
            )


def _make_people(model: ViralityModel) -> tuple[Person, ...]:
    """One :class:`Person` per node, in node order (so ``unique_id`` is ``node + 1``)."""
    # Every new agent is kept, so the cycle collector's passes over the growing
    # heap find nothing to free; pausing it makes 10^5 agents about 2.5x faster.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return tuple([Person(model, node) for node in range(model.graph.n)])
    finally:
        if collecting:
            gc.enable()


def _series_reporter(name: str):
    """A model reporter for series ``name`` at the engine's current step.

    Typed as ``timeseries.csv`` types the column (integers but for the float
    series), so the DataCollector's frame equals the run's table column for column.
    """
    series = M.BY_NAME[name]
    as_type = float if series.dtype == "float64" else int
    if series.block == "counts":
        column = M.COUNT_NAMES.index(name)

        def report(model: ViralityModel) -> int | float:
            sim = model.simulation
            return as_type(sim.series[sim.t, column])
    else:
        column = M.LAYER_NAMES.index(name)

        def report(model: ViralityModel) -> int | float:
            sim = model.simulation
            return as_type(sim.layers[sim.t, column])

    report.__name__ = name
    return report
