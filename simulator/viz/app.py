"""The classroom page: :class:`~simulator.ViralityModel` on a Solara page a teacher can teach from.

Served by ``virality viz`` (which runs ``solara run simulator.viz.app``); the
scenario comes from the environment variables it sets:

- ``VIRALITY_SCENARIO``: path of the scenario file (default: the built-in
  classroom scenario);
- ``VIRALITY_OVERRIDES``: JSON ``{"section.key": value}`` from ``--set``;
- ``VIRALITY_SEED``: the seed (default: the scenario's ``[run] seed``).

Every browser tab gets its own model. The page has the network (people
coloured and shaped by opinion, the word travelling from talkers to their
friends, the friend circles outlined), a chart of people and word over time,
Play / Step / Reset, and four tabs: the scenario's ``[lesson]``, the
settings, one person (click them on the network), and two runs compared.

Settings that say how people behave (how often they talk, how satisfied
buyers are) apply from the next step, even while playing (:func:`apply_live`);
settings that make a new class or a new start (people, friends, circles, who
starts, the seed) apply at Reset, and the page says so until it is pressed.

The page is Mesa's ``SolaraViz`` (:func:`Classroom`): SolaraViz holds the
model in its reactive, and its controller (Reset, Play / Pause, Step) steps,
plays and resets it; Reset builds a :class:`ClassroomModel` from the page's
settings. The rest of the page is one SolaraViz component on page 0
(:func:`classroom_view`). What SolaraViz shows that a class should not see is
hidden by :data:`CSS` and :class:`Layout`: its developer controls (play and
render intervals, threads) and parameter cards, the "Page 0" tab, its app bar;
its grid of fixed 30-pixel rows is one block as wide as the window, pinned
(:class:`GridPin`); and at the last step, where its controller leaves a
disabled pause button, Play / Pause is hidden and the page says the run is over.

The numba kernels compile on first use (seconds on a fresh install). The
server imports this module at start, and importing it starts
:func:`warm_up` in the background; the page shows "Preparing" until it is
done, so the first Step in class is as fast as the next ones.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import os
import random
import threading
import time
from collections.abc import Mapping
from typing import Any

import ipyvue
import numpy as np
import solara
import traitlets

from simulator.errors import ConfigError
from simulator.kernels.wom import MarketRule, WomRule
from simulator.mesa_model import ViralityModel, resolve_scenario
from simulator.state.agents import Opinion
from simulator.viz.drawing import (
    COLORS,
    LABELS,
    MAX_DRAWN_AGENTS,
    OUTLINE,
    PEOPLE_SERIES,
    WORD_SERIES,
    check_drawable,
    network_frame,
    network_scene,
    palette,
)

SCENARIO_ENV = "VIRALITY_SCENARIO"
OVERRIDES_ENV = "VIRALITY_OVERRIDES"
SEED_ENV = "VIRALITY_SEED"
#: Replicates behind the "over many seeds" line of the comparison.
COMPARE_REPLICATES = 20
#: Play speeds a teacher can pick, in steps per second.
SPEEDS = (1, 2, 4, 8, 15)
DEFAULT_SPEED = 4

_log = logging.getLogger(__name__)


def page_scenario():
    """The scenario the page starts from (file and ``--set`` from the environment)."""
    scenario = resolve_scenario(os.environ.get(SCENARIO_ENV) or None)
    overrides = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")
    return scenario.with_overrides(overrides)


def page_seed(scenario) -> int:
    text = os.environ.get(SEED_ENV)
    return int(text) if text else scenario.run.seed


# ---------------------------------------------------------------------- settings
@dataclasses.dataclass(frozen=True)
class Control:
    """One slider of the settings tab.

    Attributes
    ----------
    key : str
        The scenario key it sets (``"wom.p_positive"``).
    label : str
        What it means, in words a class understands.
    low, high, step : float
        The slider's range.
    live : bool
        Applies from the next step (True) or at Reset (False).
    digits : int
        Decimals shown (0: an integer).
    kinds : tuple of str
        The graph kinds it applies to (empty: all).
    """

    key: str
    label: str
    low: float
    high: float
    step: float
    live: bool
    digits: int = 2
    kinds: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The key without its section (``p_positive``)."""
        return self.key.rpartition(".")[2]

    def show(self, value) -> str:
        return f"{value:.{self.digits}f}"

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


_GENERATED = ("social", "clustered", "erdos_renyi", "configuration", "watts_strogatz",
              "holme_kim", "stochastic_block", "complete")

#: How people behave: the engine reads these each step, so they apply while running.
LIVE_CONTROLS = (
    Control("wom.p_positive", "How often a talking fan tells each friend, per day",
            0.0, 0.5, 0.01, True),
    Control("wom.p_negative", "How often a talking detractor tells each friend, per day",
            0.0, 0.5, 0.01, True),
    Control("market.satisfaction", "Share of buyers who are happy (the others complain)",
            0.0, 1.0, 0.05, True),
    Control("market.p_purchase", "Chance a fan buys, per day", 0.0, 0.5, 0.01, True),
    Control("wom.talk_steps", "Days a person talks after making up their mind",
            1, 10, 1, True, digits=0),
)
#: Who the people are and how it starts: a new graph or a new start, so they wait for Reset.
RESET_CONTROLS = (
    Control("graph.n", "People", 60, 1000, 10, False, 0, _GENERATED),
    Control("graph.mean_degree", "Friends per person, on average", 2, 20, 1, False, 0,
            _GENERATED),
    Control("graph.communities", "Friend circles", 1, 10, 1, False, 0, ("stochastic_block",)),
    Control("graph.mixing", "Share of friendships between circles", 0.0, 0.5, 0.01, False, 2,
            ("stochastic_block",)),
    Control("seeding.n_seeds", "People who start talking", 1, 30, 1, False, 0),
)
CONTROLS = {c.key: c for c in (*LIVE_CONTROLS, *RESET_CONTROLS)}
LIVE_KEYS = frozenset(c.key for c in LIVE_CONTROLS)
SEEDING_CHOICES = {"random": "random people", "influencers": "the best connected"}
#: Keys of the page's settings that are not sliders: they apply at Reset.
OTHER_RESET_KEYS = ("seeding.method", "seed")
#: Short names of every setting, for the notices and the run's summary line.
SHORT_NAMES = {
    "wom.p_positive": "p_positive", "wom.p_negative": "p_negative",
    "market.satisfaction": "satisfaction", "market.p_purchase": "p_purchase",
    "wom.talk_steps": "talk_steps", "graph.n": "people", "graph.mean_degree": "friends each",
    "graph.communities": "circles", "graph.mixing": "mixing", "seeding.n_seeds": "first talkers",
    "seeding.method": "who starts", "seed": "seed",
}


def circles_of(graph) -> int:
    """How many friend circles (communities) the graph has (1 without communities)."""
    return 1 if graph.community is None else int(np.unique(graph.community).size)


def current_values(model: ViralityModel) -> dict[str, Any]:
    """The value of every setting in the run on screen (the effective number of circles)."""
    flat = model.scenario.flat()
    values = {key: flat[key] for key in CONTROLS if key in flat}
    values["graph.communities"] = circles_of(model.graph)
    values["seeding.method"] = flat["seeding.method"]
    values["seed"] = model.seed
    return values


def visible_controls(scenario) -> list[Control]:
    """The sliders that apply to the scenario's graph."""
    return [c for c in CONTROLS.values() if c.applies_to(scenario.graph.kind)]


def slider_range(control: Control, value) -> tuple[float, float]:
    """The control's range, widened to hold the scenario's own value."""
    high = control.high
    if control.key == "graph.n":
        high = min(max(high, value), MAX_DRAWN_AGENTS)
    return min(control.low, value), max(high, value)


def pending_changes(settings: Mapping[str, Any], model: ViralityModel) -> dict[str, Any]:
    """Settings on the page that the run on screen does not use yet (they need Reset)."""
    now = current_values(model)
    return {k: v for k, v in settings.items() if k in now and not _same(v, now[k])}


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def scenario_for(base, settings: Mapping[str, Any]):
    """``base`` with the page's settings (all but the seed) applied and checked."""
    flat = base.flat()
    overrides = {}
    for key, value in settings.items():
        if key == "seed" or key not in flat:
            continue
        if key == "graph.communities" and base.graph.kind != "stochastic_block":
            continue  # shown as 1 for a graph without circles; nothing to set
        control = CONTROLS.get(key)
        if key == "graph.mean_degree":
            value = float(value)
        elif control is not None and control.digits == 0:
            value = int(value)  # a slider may hand back 300.0
        # communities = None means the generator's default: the page shows the actual number.
        if flat[key] is None or not _same(value, flat[key]):
            overrides[key] = value
    return base.with_overrides(overrides)


def build_model(base, settings: Mapping[str, Any]) -> ViralityModel:
    """A new model from the page's settings (raises :class:`ConfigError` on an impossible one)."""
    scenario = scenario_for(base, settings)
    check_drawable(scenario.graph.n)
    return ViralityModel(scenario=scenario, seed=int(settings["seed"]))


def initial_settings(model: ViralityModel) -> dict[str, Any]:
    """Every setting the page shows, at the values of ``model`` (the start of a lesson)."""
    return current_values(model)


def apply_live(model: ViralityModel, changes: Mapping[str, Any]) -> bool:
    """Use new word-of-mouth and market values from the next step on; False if it cannot.

    The engine reads these values from its rules at every step (and draws its
    random numbers by step, not by value), so swapping the rules changes what
    happens from the next step and nothing before. The model's scenario is
    updated too, so :meth:`~simulator.ViralityModel.parameters` tells the
    truth. Keys that change the graph or the start cannot apply mid-run.

    >>> model = ViralityModel(n=100, mean_degree=6, graph_kind="erdos_renyi", seed=1)
    >>> model.step()
    >>> apply_live(model, {"wom.p_positive": 0.3}), model.parameters()["p_positive"]
    (True, 0.3)
    >>> apply_live(model, {"graph.n": 50})
    False
    """
    if not changes or not set(changes) <= LIVE_KEYS:
        return False
    plan = getattr(model.simulation, "plan", None)
    wom, market = getattr(plan, "wom", None), getattr(plan, "market", None)
    if not (isinstance(getattr(wom, "rule", None), WomRule)
            and isinstance(getattr(market, "rule", None), MarketRule)):
        return False  # an engine this page does not know: the change waits for Reset
    scenario = model.scenario.with_overrides(dict(changes))  # checks the values
    try:
        model.scenario = scenario
    except AttributeError:  # a model whose scenario cannot be replaced: wait for Reset
        return False
    wom.rule = WomRule.of(scenario.wom)
    market.rule = MarketRule.of(scenario.market)
    model.simulation.model = scenario.model
    return True


# -------------------------------------------------------------------- page texts
def run_status(model: ViralityModel, playing: bool = False) -> tuple[str, str]:
    """The step headline and what the run is doing, e.g. ``("Step 40 of 40", "the run is over ...")``.

    >>> model = ViralityModel(n=100, mean_degree=6, graph_kind="erdos_renyi", steps=2, seed=1)
    >>> run_status(model)
    ('Step 0 of 2', 'ready: press Step or Play')
    >>> model.step(); model.step()
    >>> run_status(model)
    ('Step 2 of 2', 'the run is over: it has reached its last step (Reset to start again)')
    """
    steps = model.scenario.run.steps
    head = f"Step {model.t} of {steps}"
    if model.running:
        if playing:
            return head, "playing"
        return head, "ready: press Step or Play" if model.t == 0 else "paused"
    if model.t >= steps:
        return head, "the run is over: it has reached its last step (Reset to start again)"
    return head, ("the word has died out: nobody talks any more, so nothing will change "
                  "(Reset to start again)")


def counts_html(model: ViralityModel) -> str:
    """The counts under the network: aware, each opinion, customers, who is talking."""
    c = model.counts()
    n = model.graph.n

    def count(label: str, value: int, opinion: Opinion | None = None) -> str:
        icon = _icon(opinion) if opinion is not None else ""
        return f"<span class='vr-count'>{icon}{label} <b>{value}</b></span>"

    return "".join([
        f"<span class='vr-count'>aware <b>{c['n_aware']}</b> of {n}</span>",
        count("positive", c["n_positive"], Opinion.POSITIVE),
        count("negative", c["n_negative"], Opinion.NEGATIVE),
        count("undecided", c["n_neutral"], Opinion.NEUTRAL),
        f"<span class='vr-count'>customers <b>{c['n_customers']}</b></span>",
        f"<span class='vr-count'>talking now: <b>{c['n_talking_positive']}</b> positive, "
        f"<b>{c['n_talking_negative']}</b> negative</span>",
    ])


def _icon(opinion: Opinion, size: int = 18) -> str:
    """The opinion's mark as inline SVG: its colour and its shape (diamond for negative)."""
    colour = COLORS[opinion]
    edge = OUTLINE if opinion == Opinion.NEUTRAL else "#ffffff"
    if opinion == Opinion.NEGATIVE:
        shape = f"<path d='M9 1.5 L16.5 9 L9 16.5 L1.5 9 Z' fill='{colour}' stroke='{edge}'/>"
    else:
        r = 5 if opinion == Opinion.UNAWARE else 7
        shape = f"<circle cx='9' cy='9' r='{r}' fill='{colour}' stroke='{edge}'/>"
    return (f"<svg class='vr-icon' width='{size}' height='{size}' viewBox='0 0 18 18' "
            f"aria-hidden='true'>{shape}</svg>")


def _line_icon(colour: str, dash: str, width: float = 3.0) -> str:
    return (f"<svg class='vr-icon' width='30' height='14' viewBox='0 0 30 14' aria-hidden='true'>"
            f"<line x1='1' y1='7' x2='29' y2='7' stroke='{colour}' stroke-width='{width}' "
            f"stroke-dasharray='{dash}'/></svg>")


def legend_html(scenario=None) -> str:
    """The network's key as HTML: every colour has a shape or a line style beside it."""
    pos, neg = COLORS[Opinion.POSITIVE], COLORS[Opinion.NEGATIVE]
    items = [f"<span class='vr-key-item'>{_icon(o)} {LABELS[o]}</span>"
             for o in (Opinion.UNAWARE, Opinion.NEUTRAL, Opinion.POSITIVE, Opinion.NEGATIVE)]
    items.append(
        "<span class='vr-key-item'><svg class='vr-icon' width='22' height='22' "
        "viewBox='0 0 22 22' aria-hidden='true'>"
        f"<circle cx='11' cy='11' r='9' fill='none' stroke='{pos}' stroke-width='2.5'/>"
        f"<circle cx='11' cy='11' r='5' fill='{pos}'/></svg> talking (ring)</span>")
    items.append(f"<span class='vr-key-item'>{_line_icon(pos, '')} positive word</span>")
    items.append(f"<span class='vr-key-item'>{_line_icon(neg, svg_dash(WORD_SERIES[1][3], 3))} "
                 "negative word</span>")
    items.append(
        "<span class='vr-key-item'><svg class='vr-icon' width='18' height='18' "
        "viewBox='0 0 18 18' aria-hidden='true'>"
        f"<circle cx='9' cy='9' r='7' fill='{pos}' stroke='#fff'/>"
        f"<circle cx='9' cy='9' r='3' fill='#fff' stroke='{OUTLINE}' stroke-width='0.8'/></svg>"
        " customer</span>")
    if scenario is not None and scenario.followers.enabled:
        items.append("<span class='vr-key-item'>&#9733; brand follower</span>")
    note = "bigger people have more friends"
    if scenario is not None and scenario.graph.kind == "stochastic_block":
        note = "grey outlines: the friend circles; " + note
    return "".join(items) + f"<span class='vr-key-note'>({note})</span>"


def svg_dash(dash, width: float) -> str:
    """An SVG ``stroke-dasharray`` for a matplotlib line style (one source for both).

    >>> svg_dash("-", 3), svg_dash((0, (4, 2.5)), 2)
    ('', '8 5')
    """
    if isinstance(dash, str):
        return ""
    return " ".join(f"{v * width:g}" for v in dash[1])


def lesson_html(scenario) -> str:
    """The lesson tab: the scenario's introduction, what to watch, what to ask, what to try."""
    lesson = scenario.lesson
    parts = []
    intro = lesson.intro or scenario.description
    if intro:
        parts.append(f"<p class='vr-intro'>{html.escape(intro)}</p>")
    sections = (("What to watch", lesson.watch), ("Ask the class", lesson.ask),
                ("Try this", lesson.explore))
    for title, items in sections:
        if items:
            rows = "".join(f"<li>{html.escape(item)}</li>" for item in items)
            parts.append(f"<h3>{title}</h3><ul>{rows}</ul>")
    if lesson.empty:
        parts.append(
            "<p>Press <b>Play</b> and watch the colours spread from the first talkers to their "
            "friends. Change a setting (the Settings tab) and press <b>Reset</b> to see "
            "another story; Compare runs two settings side by side.</p>")
    return "".join(parts)


def parameters_html(model: ViralityModel, changes: list[tuple[int, int, str, Any]]) -> str:
    """The run on screen in one line, and the settings changed while it ran."""
    p = model.parameters()
    g = model.scenario.graph
    circles = circles_of(model.graph)
    where = f" in {circles} friend circles" if circles > 1 else ""
    text = (f"This run: seed = {model.seed} · {model.graph.n} people{where} "
            f"({g.kind}, {model.graph.n_edges} friendships, mean degree "
            f"{model.graph.mean_degree:.1f}) · seeding = {p['seeding_method']} × {p['n_seeds']}"
            f" · p_positive = {p['p_positive']:.2f} · p_negative = {p['p_negative']:.2f} · "
            f"satisfaction = {p['satisfaction']:.2f} · p_purchase = {p['p_purchase']:.2f} · "
            f"talk_steps = {p['talk_steps']}")
    out = f"<p class='vr-params'>{text}</p>"
    if changes:
        rows = "".join(
            f"<li>from step {first + 1}: {SHORT_NAMES.get(key, key)} = "
            f"{CONTROLS[key].show(value)}"
            + (f" (moved until step {last + 1})" if last > first else "") + "</li>"
            for first, last, key, value in changes)
        out += f"<p class='vr-changes-title'>Changed during the run:</p><ul class='vr-changes'>{rows}</ul>"
    return out


def person_html(model: ViralityModel, i: int) -> str:
    """One person (:meth:`~simulator.ViralityModel.agent_info`) in words a class reads."""
    info = model.agent_info(i)
    opinion = Opinion[info["opinion"].upper()]
    meaning = {
        Opinion.UNAWARE: "has not heard of the brand",
        Opinion.NEUTRAL: "heard of the brand but is undecided",
        Opinion.POSITIVE: "is a fan of the brand",
        Opinion.NEGATIVE: "is a detractor: they dislike the brand",
    }[opinion]
    rows = [f"<p class='vr-person-head'>{_icon(opinion, 22)} <b>Person {i}</b> {meaning}.</p>"]
    if info["talking"]:
        sign = "good" if opinion == Opinion.POSITIVE else "bad"
        rows.append(f"<p>Talking now: speaks {sign} of it to friends until step "
                    f"{info['talking_until']}.</p>")
    else:
        rows.append("<p>Not talking now.</p>")
    rows.append(f"<p>{'Has bought (a customer).' if info['customer'] else 'Has not bought.'}</p>")
    by = info["friends_by_opinion"]
    parts = [f"{by['positive']} positive", f"{by['negative']} negative",
             f"{by['neutral']} undecided", f"{by['unaware']} unaware"]
    rows.append(f"<p class='vr-person-friends'><b>{info['degree']} friends</b>: "
                + ", ".join(parts) + "</p>")
    if info["degree"]:
        total = info["degree"]
        bar = "".join(
            f"<span class='vr-bar-{name}' style='flex:{by[name]} 0 0;background-color:"
            f"{COLORS[Opinion[name.upper()]]}' title='{by[name]} {LABELS[Opinion[name.upper()]]}'>"
            f"</span>" for name in ("positive", "negative", "neutral", "unaware") if by[name])
        rows.append(f"<div class='vr-bar' role='img' aria-label='friends by opinion, "
                    f"{total} in all'>{bar}</div>")
    return "".join(rows)


# ---------------------------------------------------------------------- charts
def chart_panels(frame, n: int) -> list[dict]:
    """The live chart's two panels (people, word) from a DataCollector frame."""
    def series(spec) -> list[dict]:
        return [{"key": key, "label": label, "color": colour, "dash": svg_dash(dash, width),
                 "width": width, "values": [int(v) for v in frame[key]]}
                for key, label, colour, dash, width in spec]

    return [
        {"title": "people", "top": n, "weight": 3, "series": series(PEOPLE_SERIES)},
        {"title": "words passed to friends this step", "top": None, "weight": 2,
         "series": series(WORD_SERIES)},
    ]


def chart_legend_html(panels: list[dict], values: bool = True) -> str:
    """The chart's key as HTML, each line with its latest value (unless ``values`` is False)."""
    items = []
    for panel in panels:
        for s in panel["series"]:
            latest = s["values"][-1] if s["values"] else 0
            shown = f" <b>{latest}</b>" if values else ""
            items.append(f"<span class='vr-key-item vr-legend-{s['key']}'>"
                         f"{_line_icon(s['color'], s['dash'], min(s['width'], 3.2))} "
                         f"{s['label']}{shown}</span>")
    return "".join(items)


# -------------------------------------------------------------------- comparing
#: What the comparison offers when a scenario declares no variants: name -> overrides.
BUILT_IN_CHANGES = {
    "the best connected start": {"seeding.method": "influencers"},
    "unhappy buyers": {"market.satisfaction": 0.6},
}


def variant_choices(scenario) -> dict[str, dict[str, Any]]:
    """What the comparison can set against the page's settings: a title -> its overrides.

    The scenario's ``[variants]`` (``unhappy_buyers`` is titled "unhappy
    buyers"), or two built-in changes when it declares none.
    """
    if not scenario.variants:
        return dict(BUILT_IN_CHANGES)
    return {name.replace("_", " "): dict(overrides) for name, overrides in scenario.variants.items()}


def first_choice(scenario) -> str:
    """The comparison the page opens with: the lesson's ``compare``, else the first variant."""
    if scenario.lesson.compare is not None:
        return scenario.lesson.compare.replace("_", " ")
    return next(iter(variant_choices(scenario)))


def describe_overrides(overrides: Mapping[str, Any]) -> str:
    """``{"market.satisfaction": 0.6}`` as ``market.satisfaction = 0.6``."""
    return ", ".join(f"{key} = {value}" for key, value in overrides.items())


def compare_runs(scenario_a, scenario_b, seed: int,
                 replicates: int = COMPARE_REPLICATES) -> dict[str, dict]:
    """Run A and B to the end with the same seed, and each over ``replicates`` seeds.

    Returns, per run, its chart panel (the run with this seed) and its final
    counts: this seed's and the mean, lowest and highest over the replicates
    (which share their random numbers between A and B, so the difference is the
    choice, not luck).
    """
    import simulator

    out = {}
    for name, scenario in (("a", scenario_a), ("b", scenario_b)):
        check_drawable(scenario.graph.n)
        model = ViralityModel(scenario=scenario, seed=seed, agents=False)
        while model.running:
            model.step()
        frame = model.datacollector.get_model_vars_dataframe()
        res = simulator.run(scenario, seed=seed, replicates=replicates)
        last = res.timeseries[res.timeseries["step"] == res.timeseries["step"].max()]
        finals = {key: int(frame[key].iloc[-1]) for key in ("n_aware", "n_positive",
                                                              "n_negative", "n_customers")}
        spread = {key: (float(last[key].mean()), int(last[key].min()), int(last[key].max()))
                  for key in finals}
        panel = chart_panels(frame, model.graph.n)[0]
        panel["series"] = [s for s in panel["series"] if s["key"] != "n_customers"]
        panel["title"] = "people (this seed)"
        out[name] = {"panel": panel, "steps": model.scenario.run.steps, "final": finals,
                     "spread": spread, "n": model.graph.n}
    return out


def compare_table_html(result: dict, label_a: str, label_b: str, seed: int) -> str:
    """The comparison's numbers: this seed at the end, and over many seeds."""
    names = {"n_aware": "aware", "n_positive": "positive", "n_negative": "negative",
             "n_customers": "customers"}
    head = (f"<tr><th></th><th>A: {html.escape(label_a)}</th>"
            f"<th>B: {html.escape(label_b)}</th></tr>")
    rows = []
    for key, name in names.items():
        a, b = result["a"]["final"][key], result["b"]["final"][key]
        rows.append(f"<tr><td>{name} at the end (seed {seed})</td><td>{a}</td><td>{b}</td></tr>")
    for key in ("n_positive", "n_negative"):
        cells = []
        for run in ("a", "b"):
            mean, low, high = result[run]["spread"][key]
            cells.append(f"<td>{mean:.0f} <span class='vr-range'>({low} to {high})</span></td>")
        rows.append(f"<tr><td>{names[key]}, average of {COMPARE_REPLICATES} seeds</td>"
                    + "".join(cells) + "</tr>")
    return f"<table class='vr-compare-table'>{head}{''.join(rows)}</table>"


# ---------------------------------------------------------------- the pictures
NETWORK_TEMPLATE = """
<template>
  <div class="vr-net">
    <svg class="vr-net-svg" :viewBox="'0 0 ' + scene.size + ' ' + scene.size" role="img"
         :aria-label="'The friend network at step ' + frame.step">
      <g v-for="(c, k) in scene.circles" :key="'c' + k" class="vr-circle">
        <path :d="c.d" :fill="palette.circle_fill" :stroke="palette.circle_edge"
              stroke-width="3" stroke-linejoin="round" />
        <text :x="c.x" :y="c.y" text-anchor="middle" class="vr-circle-label">{{ c.label }}</text>
      </g>
      <path class="vr-edges" :d="edgePath" />
      <path class="vr-word vr-word-positive" :d="word.positive" :stroke="palette.positive" />
      <path class="vr-word vr-word-negative" :d="word.negative" :stroke="palette.negative"
            :stroke-dasharray="negativeDash" />
      <path v-if="selected >= 0" class="vr-friend-edges" :d="friends.path" />
      <g v-for="(p, i) in scene.nodes" :key="i" class="vr-node" :data-node="i"
         :data-opinion="names[op(i)]" @click.stop="pick(i)">
        <circle class="vr-hit" :cx="p[0]" :cy="p[1]" :r="p[2] + 7" />
        <circle v-if="frame.talking[i]" :class="'vr-ring vr-ring-' + names[op(i)]"
                :cx="p[0]" :cy="p[1]" :r="p[2] * (op(i) === 2 ? 1.3 : 1) + 6" :stroke="colour(i)"
                :stroke-dasharray="op(i) === 2 ? '5 3.5' : ''" />
        <path :class="'vr-person vr-' + names[op(i)] + (friends.set[i] ? ' vr-friend' : '')"
              :d="shape(i, p)" :fill="colour(i)" :stroke="edge(i)" />
        <circle v-if="frame.customer[i]" class="vr-customer" :cx="p[0]" :cy="p[1]"
                :r="Math.max(p[2] * 0.38, 2.6)" />
        <text v-if="frame.follower[i]" class="vr-follower" :x="p[0] + p[2]" :y="p[1] - p[2]">&#9733;</text>
        <title>{{ describe(i) }}</title>
      </g>
      <circle v-if="selected >= 0 && selected < scene.nodes.length" class="vr-selected"
              :cx="scene.nodes[selected][0]" :cy="scene.nodes[selected][1]"
              :r="scene.nodes[selected][2] + 9" />
    </svg>
  </div>
</template>
<script>
module.exports = {
  data() {
    return { names: ["unaware", "positive", "negative", "neutral"],
             words: ["has not heard of the brand", "a fan", "a detractor", "undecided"] };
  },
  computed: {
    edgePath() {
      const n = this.scene.nodes, e = this.scene.edges, out = [];
      for (let k = 0; k < e.length; k += 2) {
        const a = n[e[k]], b = n[e[k + 1]];
        out.push("M" + a[0] + "," + a[1] + "L" + b[0] + "," + b[1]);
      }
      return out.join("");
    },
    degree() {
      const d = new Array(this.scene.nodes.length).fill(0), e = this.scene.edges;
      for (let k = 0; k < e.length; k++) d[e[k]] += 1;
      return d;
    },
    word() {
      /* Lines from each talker to each friend: where their word may go this step. */
      const n = this.scene.nodes, e = this.scene.edges, f = this.frame;
      const pos = [], neg = [];
      const add = (from, to) => {
        const a = n[from], b = n[to], seg = "M" + a[0] + "," + a[1] + "L" + b[0] + "," + b[1];
        if (f.opinion[from] === 1) pos.push(seg); else if (f.opinion[from] === 2) neg.push(seg);
      };
      for (let k = 0; k < e.length; k += 2) {
        if (f.talking[e[k]]) add(e[k], e[k + 1]);
        if (f.talking[e[k + 1]]) add(e[k + 1], e[k]);
      }
      return { positive: pos.join(""), negative: neg.join("") };
    },
    friends() {
      const set = {}, out = [], s = this.selected, n = this.scene.nodes, e = this.scene.edges;
      if (s < 0) return { set: set, path: "" };
      for (let k = 0; k < e.length; k += 2) {
        let other = -1;
        if (e[k] === s) other = e[k + 1]; else if (e[k + 1] === s) other = e[k];
        if (other >= 0) {
          set[other] = true;
          out.push("M" + n[s][0] + "," + n[s][1] + "L" + n[other][0] + "," + n[other][1]);
        }
      }
      return { set: set, path: out.join("") };
    },
    negativeDash() { return "9 6"; },
  },
  methods: {
    op(i) { return this.frame.opinion ? this.frame.opinion[i] : 0; },
    colour(i) { return this.palette[this.names[this.op(i)]]; },
    edge(i) { return this.op(i) === 3 ? this.palette.outline : "#ffffff"; },
    shape(i, p) {
      const x = p[0], y = p[1];
      let r = p[2];
      if (this.op(i) === 2) {
        const d = r * 1.3;  /* a diamond of about the area of the circle */
        return "M" + x + "," + (y - d) + "L" + (x + d) + "," + y + "L" + x + "," + (y + d)
          + "L" + (x - d) + "," + y + "Z";
      }
      if (this.op(i) === 0) r = r * 0.72;
      return "M" + (x - r) + "," + y + "a" + r + "," + r + " 0 1,0 " + (2 * r) + ",0a" + r
        + "," + r + " 0 1,0 " + (-2 * r) + ",0";
    },
    describe(i) {
      const f = this.frame;
      let t = "Person " + i + ": " + this.words[this.op(i)];
      if (f.talking[i]) t += ", talking";
      if (f.customer[i]) t += ", a customer";
      return t + ", " + this.degree[i] + " friends (click to see them)";
    },
    pick(i) { this.selected = i; },
  },
};
</script>
"""

CHART_TEMPLATE = """
<template>
  <div class="vr-chart" ref="box">
    <svg class="vr-chart-svg" :width="w" :height="h" role="img" :aria-label="aria">
      <g v-for="(p, k) in laid" :key="k" :class="'vr-panel vr-panel-' + k">
        <text class="vr-panel-title" :x="p.x0" :y="p.y0 - 9">{{ p.title }}</text>
        <g v-for="t in p.yticks" :key="'y' + t.v">
          <line class="vr-grid" :x1="p.x0" :x2="p.x1" :y1="t.y" :y2="t.y" />
          <text class="vr-tick vr-ytick" :x="p.x0 - 7" :y="t.y + 5" text-anchor="end">{{ t.v }}</text>
        </g>
        <g v-for="t in xticks" :key="'x' + t.v">
          <line class="vr-grid" :x1="t.x" :x2="t.x" :y1="p.y0" :y2="p.y1" />
          <text v-if="k === laid.length - 1" class="vr-tick vr-xtick" :x="t.x" :y="p.y1 + 20"
                text-anchor="middle">{{ t.v }}</text>
        </g>
        <line class="vr-axis" :x1="p.x0" :x2="p.x1" :y1="p.y1" :y2="p.y1" />
        <line class="vr-axis" :x1="p.x0" :x2="p.x0" :y1="p.y0" :y2="p.y1" />
        <g v-for="(m, j) in marks" :key="'m' + j">
          <line class="vr-mark" :x1="xOf(m.step)" :x2="xOf(m.step)" :y1="p.y0" :y2="p.y1" />
          <text v-if="k === 0 && labelled[j]" class="vr-mark-label" :x="xOf(m.step) + 4" :y="p.y0 + 16">{{ m.label }}</text>
        </g>
        <polyline v-for="s in p.series" :key="s.key" :class="'vr-line vr-line-' + s.key"
                  :points="s.points" fill="none" :stroke="s.color" :stroke-width="s.width"
                  :stroke-dasharray="s.dash" stroke-linejoin="round" />
      </g>
      <text class="vr-axis-title" :x="(left + w - right) / 2" :y="h - 6"
            text-anchor="middle">step (day)</text>
    </svg>
  </div>
</template>
<script>
module.exports = {
  data() { return { w: 480, h: 300, left: 56, right: 16 }; },
  mounted() {
    const box = this.$refs.box;
    const measure = () => {
      if (box.clientWidth > 0) { this.w = box.clientWidth; this.h = box.clientHeight; }
    };
    this.observer = new ResizeObserver(measure);
    this.observer.observe(box);
    measure();
  },
  beforeDestroy() { if (this.observer) this.observer.disconnect(); },
  computed: {
    aria() {
      return this.panels.map(p => p.title + ": " + p.series.map(
        s => s.label + " " + (s.values.length ? s.values[s.values.length - 1] : 0)).join(", ")
      ).join("; ");
    },
    labelled() {
      /* A mark's label only where it does not run into the previous one. */
      let last = -1e9;
      return this.marks.map(m => {
        const x = this.xOf(m.step);
        if (x - last < 8 + 8 * (m.label.length + 1)) return false;
        last = x;
        return true;
      });
    },
    xticks() {
      const room = this.w - this.left - this.right;
      return this.ticks(this.steps, Math.max(2, Math.min(8, Math.floor(room / 60))))
        .map(v => ({ v: v, x: this.xOf(v) }));
    },
    laid() {
      const top = 30, bottom = 50, gap = 40;
      const total = this.panels.reduce((a, p) => a + (p.weight || 1), 0);
      const room = Math.max(this.h - top - bottom - gap * (this.panels.length - 1), 40);
      let y = top;
      return this.panels.map(p => {
        const height = room * (p.weight || 1) / total;
        let peak = 0;
        p.series.forEach(s => s.values.forEach(v => { if (v > peak) peak = v; }));
        const ymax = p.top ? p.top : this.nice(Math.max(peak * 1.1, 4));
        const y0 = y, y1 = y + height;
        y = y1 + gap;
        const yOf = v => y1 - (v / ymax) * (y1 - y0);
        const yticks = this.ticks(ymax, Math.max(2, Math.floor(height / 38)))
          .map(v => ({ v: v, y: yOf(v) }));
        const series = p.series.map(s => ({
          key: s.key, color: s.color, width: s.width, dash: s.dash,
          points: s.values.map((v, i) => this.xOf(i).toFixed(1) + "," + yOf(v).toFixed(1)).join(" "),
        }));
        return { title: p.title, x0: this.left, x1: this.w - this.right, y0: y0, y1: y1,
                 yticks: yticks, series: series };
      });
    },
  },
  methods: {
    xOf(step) { return this.left + (step / Math.max(this.steps, 1)) * (this.w - this.left - this.right); },
    nice(v) {
      const p = Math.pow(10, Math.floor(Math.log10(v)));
      for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
      return 10 * p;
    },
    ticks(max, count) {
      const raw = max / Math.max(count, 1);
      const p = Math.pow(10, Math.floor(Math.log10(raw)));
      let step = p;
      for (const m of [1, 2, 5, 10]) { if (m * p >= raw) { step = m * p; break; } }
      const out = [];
      for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
      return out;
    },
  },
};
</script>
"""


class NetworkWidget(ipyvue.VueTemplate):
    """The friend network as SVG drawn in the browser: sharp at any size, a person per click."""

    template = traitlets.Unicode(NETWORK_TEMPLATE).tag(sync=True)
    scene = traitlets.Dict().tag(sync=True)
    frame = traitlets.Dict().tag(sync=True)
    palette = traitlets.Dict().tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)


class ChartWidget(ipyvue.VueTemplate):
    """Line charts as SVG sized to their box in the browser (text stays the same size)."""

    template = traitlets.Unicode(CHART_TEMPLATE).tag(sync=True)
    panels = traitlets.List().tag(sync=True)
    steps = traitlets.Int(1).tag(sync=True)
    marks = traitlets.List().tag(sync=True)


GRID_PIN_TEMPLATE = """
<template><span class="vr-grid-pin" style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    /* SolaraViz lays its views on a draggable, resizable grid: pin the view in place, so a
       slider or a person dragged with the mouse does not drag the whole view. */
    let tries = 0;
    const pin = () => {
      const item = this.$el.closest && this.$el.closest(".vue-grid-item");
      const grid = item && item.__vue__;
      if (grid) { grid.draggable = false; grid.resizable = false; return; }
      if (++tries < 100) setTimeout(pin, 100);
    };
    pin();
  },
};
</script>
"""


class GridPin(ipyvue.VueTemplate):
    """Turns off dragging and resizing of the SolaraViz grid item it sits in."""

    template = traitlets.Unicode(GRID_PIN_TEMPLATE).tag(sync=True)


# ----------------------------------------------------------------- warming up
_warm = threading.Event()
#: Seconds the warm-up took (None until done), and what went wrong, if anything.
warm_up_report: dict[str, Any] = {"seconds": None, "problem": None}


def warm_up(scenario=None, seed: int | None = None) -> float:
    """Build and run the page's model once, so the first Step in class is as fast as the rest.

    Compiles (or loads from numba's cache) every kernel a step, a Reset and
    a comparison use, and caches the network layout of the page's graph.
    Returns the seconds it took.
    """
    started = time.perf_counter()
    scenario = page_scenario() if scenario is None else scenario
    seed = page_seed(scenario) if seed is None else seed
    model = ViralityModel(scenario=scenario, seed=seed, agents=False)
    network_scene(model.graph)
    while model.running:
        model.step()
    network_frame(model)
    chart_panels(model.datacollector.get_model_vars_dataframe(), model.graph.n)
    compare_runs(scenario, scenario, seed, replicates=2)  # the replicates' own code paths
    return time.perf_counter() - started


def _warm_up_in_background() -> None:
    try:
        warm_up_report["seconds"] = warm_up()
        _log.info("warm-up done in %.1f s", warm_up_report["seconds"])
    except Exception as exc:  # the page builds its own model and reports the problem
        warm_up_report["problem"] = str(exc)
    finally:
        _warm.set()


def _hide_solara_banner() -> None:
    """No "This website runs on Solara" over the chart (read per page request)."""
    try:
        from solara.server import settings

        settings.theme.show_banner = False
        settings.theme.title = "Word of mouth in class"
    except ImportError:  # solara without its server (a notebook): nothing to hide
        pass


_hide_solara_banner()
threading.Thread(target=_warm_up_in_background, name="virality-warm-up", daemon=True).start()


# ------------------------------------------------------------------------ page
CSS = """
.vr-page { padding: 6px 18px 28px; box-sizing: border-box; width: 100%; max-width: 100vw;
  font-size: 17px; line-height: 1.45; color: #1a1a1a; }
.vr-page * { box-sizing: border-box; }
.vr-header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 18px;
  padding: 4px 0 8px; border-bottom: 1px solid #ddd; margin-bottom: 10px; background: #fff; }
@media (min-height: 600px) { .vr-header { position: sticky; top: 62px; z-index: 5; } }
.vr-title { font-size: clamp(19px, 1.7vw, 26px); font-weight: 600; margin: 0; flex: 1 1 220px;
  min-width: 0; }
.vr-run { display: flex; gap: 10px; flex-wrap: wrap; }
.vr-page .v-btn { text-transform: none !important; letter-spacing: 0 !important; }
.vr-page .v-btn-toggle { flex-wrap: wrap; max-width: 100%; }
.vr-run .v-btn { font-size: 18px !important; height: 46px !important; min-width: 112px !important;
  text-transform: none !important; letter-spacing: 0 !important; }
.vr-status-line { flex: 1 1 300px; min-width: 0; font-size: 18px; }
.vr-step { font-size: 24px; font-weight: 700; margin-right: 8px; white-space: nowrap; }
.vr-state { color: #333; }
.vr-state-over { color: #7a2e00; font-weight: 600; }
.vr-main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px 22px;
  align-items: start; }
@media (min-width: 1500px) { .vr-main { grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); } }
@media (max-width: 759px) { .vr-main { grid-template-columns: minmax(0, 1fr); } }
@media (max-height: 560px) {
  .vr-run .v-btn { height: 38px !important; min-width: 92px !important; }
  .vr-step { font-size: 20px; }
}
.vr-network-panel, .vr-side { min-width: 0; }
.vr-counts { display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 17px; margin-bottom: 4px; }
.vr-count { white-space: nowrap; }
.vr-icon { vertical-align: -3px; margin-right: 3px; }
/* As wide as its column, and short enough that the key below it stays on screen. */
.vr-net { width: min(100%, max(calc(100vh - 235px), 380px),
  max(calc(100vh - 585px + 25vw), 380px)); margin: 0 auto; }
.vr-net-svg { width: 100%; height: auto; display: block; user-select: none; }
.vr-edges { stroke: #9a9a9a; stroke-width: 1.1; stroke-opacity: 0.5; fill: none; }
.vr-word { stroke-width: 4; stroke-opacity: 0.75; fill: none; }
.vr-friend-edges { stroke: #000; stroke-width: 3; fill: none; }
.vr-circle-label { font-size: 32px; fill: #333; }
.vr-hit { fill: transparent; cursor: pointer; }
.vr-person { stroke-width: 1.2; cursor: pointer; }
.vr-person.vr-friend { stroke: #000 !important; stroke-width: 3; }
.vr-ring { fill: none; stroke-width: 3.6; pointer-events: none; }
.vr-customer { fill: #fff; stroke: #333; stroke-width: 0.9; pointer-events: none; }
.vr-follower { font-size: 18px; fill: #000; pointer-events: none; }
.vr-selected { fill: none; stroke: #000; stroke-width: 4; pointer-events: none; }
.vr-legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 16px; margin-top: 6px; }
.vr-key-item { white-space: nowrap; }
.vr-key-note { color: #444; }
.vr-chart { width: 100%; height: clamp(270px, 44vh, 560px); }
.vr-chart-small .vr-chart { height: 250px; }
.vr-chart-svg { display: block; overflow: visible; }
.vr-chart text { font-size: 15px; fill: #222; }
.vr-chart .vr-panel-title { font-size: 16px; font-weight: 600; }
.vr-chart .vr-axis-title { font-size: 15px; }
.vr-chart .vr-mark-label { font-size: 14px; fill: #444; }
.vr-grid { stroke: #000; stroke-opacity: 0.09; }
.vr-axis { stroke: #555; }
.vr-mark { stroke: #444; stroke-dasharray: 2 3; }
.vr-chart-legend { display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 16px; margin: 2px 0 6px; }
.vr-tabs .v-window, .vr-tabs .v-window * { transition: none !important; }
/* The tabs wrap on a narrow window (no hidden tabs behind scroll arrows); the chosen one is
   shaded, since vuetify's underline does not follow a wrapped tab. */
.vr-tabs .v-tabs-bar { height: auto !important; }
.vr-tabs .v-slide-group__content { flex-wrap: wrap; }
.vr-tabs .v-slide-group__prev, .vr-tabs .v-slide-group__next { display: none !important; }
.vr-tabs .v-tabs-slider-wrapper { display: none !important; }
.vr-tabs .v-tab { height: 42px; border-bottom: 3px solid transparent; }
.vr-tabs .v-tab--active { background: #e6f0f8; border-bottom-color: #0072B2; color: #00466e !important; }
.vr-tabs .v-tab { font-size: 16px !important; text-transform: none !important;
  letter-spacing: 0 !important; min-width: 0 !important; padding: 0 12px !important; }
.vr-tab-body { padding: 10px 2px 4px; font-size: 17px; }
.vr-tab-body h3 { font-size: 18px; margin: 12px 0 4px; }
.vr-tab-body ul { margin: 0 0 6px; padding-left: 22px; }
.vr-tab-body li { margin-bottom: 4px; }
.vr-intro { font-size: 18px; }
.vr-group { margin: 4px 0 14px; }
.vr-group-title { font-size: 17px; font-weight: 700; margin: 6px 0 2px; }
.vr-group-note { color: #444; font-size: 15px; margin-bottom: 6px; }
.vr-control { margin: 2px 0 4px; }
.vr-control-head { display: flex; gap: 8px; align-items: baseline; font-size: 16px; }
.vr-control-head .vr-label { flex: 1 1 auto; min-width: 0; }
.vr-control-head .vr-keyname { color: #555; font-size: 13px; font-family: monospace; }
.vr-value { font-size: 18px; font-weight: 700; min-width: 3.2em; text-align: right; }
.vr-control .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.vr-control .v-input__slot { margin-bottom: 0 !important; }
.vr-pending { background: #fff4d6; border: 2px solid #b36b00; border-radius: 6px; padding: 6px 10px;
  margin: 6px 0; font-size: 16px; }
.vr-notice { background: #fde8e0; border: 2px solid #a33a00; border-radius: 6px; padding: 6px 10px;
  margin: 6px 0; font-size: 16px; }
.vr-params { font-size: 15px; color: #333; }
.vr-changes { font-size: 15px; }
.vr-person-head { font-size: 19px; }
.vr-bar { display: flex; height: 18px; border: 1px solid #333; max-width: 420px; margin: 4px 0 8px; }
.vr-bar-negative { background-image: repeating-linear-gradient(45deg, transparent 0 4px,
  rgba(255,255,255,0.55) 4px 7px); }
.vr-friend-buttons { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 8px; }
.vr-friend-buttons .v-btn { font-size: 16px !important; min-width: 52px !important; }
.vr-control-seed .v-input, .vr-person .v-input { margin-top: 12px !important; }
.vr-page .v-input input, .vr-page .v-select__selection { font-size: 17px !important; }
.vr-compare-runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 10px; }
.vr-compare-title { font-weight: 700; font-size: 16px; }
.vr-compare-table { border-collapse: collapse; font-size: 16px; margin-top: 8px; width: 100%; }
.vr-compare-table td, .vr-compare-table th { border-bottom: 1px solid #ddd; padding: 3px 6px;
  text-align: left; vertical-align: top; }
.vr-range { color: #555; font-size: 14px; white-space: nowrap; }
.vr-preparing { font-size: 22px; padding: 40px; text-align: center; }
/* Mesa's SolaraViz. Its sidebar is a strip across the top (see Layout): its Reset, Play / Pause
   and Step, big; its developer controls (play and render intervals, threads) and its
   "Model Parameters" and "Information" cards hidden. */
.vr-topbar { display: flex; flex-wrap: nowrap; align-items: center; gap: 6px 18px;
  height: 62px; padding: 6px 18px; background: #fff; border-bottom: 1px solid #ddd;
  box-sizing: border-box; }
@media (min-height: 600px) { .vr-topbar { position: sticky; top: 0; z-index: 6; } }
.vr-topbar .vr-title { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.vr-mesa-controls { flex: 0 0 auto; }
.vr-mesa-controls > .v-sheet { row-gap: 0 !important; background: transparent !important; }
.vr-mesa-controls .v-card { margin: 0 !important; box-shadow: none !important;
  background: transparent !important; }
.vr-mesa-controls .v-card:not(:first-child), .vr-mesa-controls .v-card__title,
.vr-mesa-controls .v-card__text > .v-input, .vr-mesa-controls .v-card__text > span {
  display: none !important; }
.vr-mesa-controls .v-card__text { padding: 0 !important; }
.vr-mesa-controls .v-card__text > .v-sheet { column-gap: 10px !important; background: transparent !important; }
.vr-mesa-controls .v-btn { font-size: 20px !important; height: 46px !important;
  min-width: 104px !important; text-transform: none !important; letter-spacing: 0 !important; }
@media (max-width: 900px) { .vr-mesa-controls .v-btn { min-width: 76px !important; } }
@media (max-height: 560px) { .vr-topbar { height: 52px; } .vr-mesa-controls .v-btn { height: 38px !important; } }
/* SolaraViz's pages: one page, so no "Page 0" tab; its draggable grid of 30-pixel rows
   becomes one block as wide as the window, growing with what it holds. */
.vr-layout .v-tabs:not(.vr-tabs .v-tabs) { display: none !important; }
.vr-layout .v-window:not(.vr-tabs .v-window),
.vr-layout .v-window:not(.vr-tabs .v-window) > .v-window__container { overflow: visible !important; }
.vr-layout .v-sheet:has(.vue-grid-layout) { row-gap: 0 !important; }
.vr-layout .vue-grid-layout { height: auto !important; }
.vr-layout .vue-grid-item { position: relative !important; transform: none !important;
  left: 0 !important; top: 0 !important; width: 100% !important; height: auto !important;
  touch-action: auto !important; user-select: auto !important; }
.vr-layout .vue-grid-item > .vue-resizable-handle, .vr-layout .vue-grid-placeholder {
  display: none !important; }
"""


@solara.component
def Layout(children=()):
    """The page fills the window itself: no Solara app bar, no side drawer.

    SolaraViz puts its controller in ``solara.Sidebar``; this layout takes
    that content from Solara's sidebar portal and shows it as a strip across
    the top (its Reset / Play / Step buttons; its developer sliders are hidden
    by :data:`CSS`). What SolaraViz puts in the app bar (its title and a theme
    switch) is not shown: the page has its own title.
    """
    from solara.components.applayout import sidebar_portal

    controls = sidebar_portal.use_portal()
    name = solara.use_memo(_page_title, [])
    with solara.Div(classes=["vr-layout"], style={"width": "100%"}) as main:
        with solara.Div(classes=["vr-topbar"]):
            solara.HTML(tag="h1", classes=["vr-title"], unsafe_innerHTML=html.escape(name))
            solara.Div(classes=["vr-mesa-controls"], children=list(controls))
        solara.Div(children=list(children), style={"width": "100%"})
    return main


def _page_title() -> str:
    try:
        return f"Word of mouth: {page_scenario().name}"
    except (ConfigError, ValueError, OSError):  # the page itself reports the problem
        return "Word of mouth"


@solara.component
def ControlSlider(control: Control, value, low, high, on_value, disabled: bool = False):
    """A slider with its meaning, its key and its value always shown."""
    slider = solara.SliderInt if control.digits == 0 else solara.SliderFloat
    with solara.Div(classes=["vr-control", f"vr-control-{control.name}"]):
        solara.HTML(tag="div", classes=["vr-control-head"], unsafe_innerHTML=(
            f"<span class='vr-label'>{html.escape(control.label)} "
            f"<span class='vr-keyname'>{control.key}</span></span>"
            f"<span class='vr-value'>{control.show(value)}</span>"))
        slider(label="", value=int(value) if control.digits == 0 else float(value),
               min=low, max=high, step=control.step, on_value=on_value, thumb_label=False,
               disabled=disabled)


class ClassroomModel(ViralityModel):
    """The page's :class:`~simulator.ViralityModel`: built from the page's settings.

    SolaraViz's Reset makes the new model as ``type(model)(**model_params)``;
    the page hands it one fixed parameter, ``page`` (its :class:`PageState`),
    so that Reset builds the run from the settings on the page. A step holds
    :attr:`lock`: the page reads the model (and changes it live) while Mesa's
    play thread steps it.
    """

    def __init__(self, *, page: PageState | None = None, **kwargs):
        self.lock = threading.RLock()
        if page is None:
            super().__init__(**kwargs)
            return
        problem = ""
        try:
            scenario = scenario_for(page.base, page.settings.value)
            check_drawable(scenario.graph.n)
            seed = int(page.settings.value["seed"])
            super().__init__(scenario=scenario, seed=seed)
        except ConfigError as exc:  # Reset cannot build it: start again with what worked
            problem = (f"That setting cannot be built, so the run starts again with the last "
                       f"settings that worked: {exc}")
            scenario, seed = page.last_good
            super().__init__(scenario=scenario, seed=seed)
        page.last_good = (scenario, seed)
        page.new_run(self, problem)

    def step(self) -> None:
        with self.lock:
            super().step()


@dataclasses.dataclass
class PageState:
    """What one browser tab's page remembers across SolaraViz's Resets."""

    base: Any
    settings: solara.Reactive
    speed: solara.Reactive
    changes: solara.Reactive
    selected: solara.Reactive
    tab: solara.Reactive
    notice: solara.Reactive
    compare_name: solara.Reactive
    compare_result: solara.Reactive
    compare_busy: solara.Reactive
    last_good: tuple = ()

    def new_run(self, model: ViralityModel, problem: str = "") -> None:
        """A new run (the first, or Mesa's Reset): no changes logged, the person kept if there."""
        self.changes.set([])
        self.notice.set(problem)
        if self.selected.value >= model.graph.n:
            self.selected.set(-1)


def play_interval_ms(steps_per_second: int) -> int:
    """SolaraViz's ``play_interval`` for a play speed.

    >>> play_interval_ms(4)
    250
    """
    return max(1, round(1000 / max(steps_per_second, 1)))


def make_page(scenario=None, seed: int | None = None):
    """The page as a Solara component (one model per browser tab)."""

    @solara.component
    def Page():
        ready = solara.use_reactive(_warm.is_set())

        def wait_for_warm_up():
            _warm.wait()
            ready.set(True)

        solara.use_thread(wait_for_warm_up, dependencies=[], intrusive_cancel=False)
        solara.Style(CSS)
        solara.Title("Word of mouth in class")
        if not ready.value:
            with solara.Div(classes=["vr-page"]):
                solara.HTML(tag="div", classes=["vr-preparing"], unsafe_innerHTML=(
                    "<b>Preparing the simulation…</b><br>The first start after an install or an "
                    "update compiles the model; this takes up to a minute, once."))
                solara.ProgressLinear(True)
            return
        Classroom(scenario, seed)

    return Page


@solara.component
def Classroom(scenario=None, seed: int | None = None):
    """The classroom page proper, once the kernels are ready: Mesa's SolaraViz.

    SolaraViz holds the model in its reactive and gives the page its
    controller (Reset, Play / Pause, Step; Reset builds a
    :class:`ClassroomModel` from the page's settings). The rest is one
    SolaraViz component on page 0 (:func:`classroom_view`).
    """
    from mesa.visualization import SolaraViz

    base = solara.use_memo(lambda: scenario if scenario is not None else page_scenario(), [])
    start_seed = seed if seed is not None else page_seed(base)
    first = solara.use_memo(lambda: ViralityModel(scenario=base, seed=start_seed, agents=False), [])
    state = PageState(
        base=base,
        settings=solara.use_reactive(initial_settings(first)),
        speed=solara.use_reactive(DEFAULT_SPEED),
        changes=solara.use_reactive([]),
        selected=solara.use_reactive(-1),
        tab=solara.use_reactive(0),
        notice=solara.use_reactive(""),
        compare_name=solara.use_reactive(first_choice(base)),
        compare_result=solara.use_reactive(None),
        compare_busy=solara.use_reactive(False),
    )
    state = solara.use_memo(lambda: state, [])  # the same object (and reactives) every render
    model = solara.use_reactive(solara.use_memo(lambda: ClassroomModel(page=state), []))
    view = solara.use_memo(lambda: classroom_view(state), [])
    SolaraViz(model, components=[(view, 0)], play_interval=play_interval_ms(state.speed.value),
              render_interval=1, model_params={"page": state}, name=base.name)


def classroom_view(state: PageState):
    """The page's SolaraViz component (a function of the model, as SolaraViz wants it).

    A Solara component of its own (not a plain function, which SolaraViz would
    wrap anew at every render of its page, rebuilding the views and losing a
    slider's focus); it redraws after each step by reading Mesa's update counter.
    """
    from mesa.visualization.utils import force_update, update_counter

    base = state.base
    settings, changes, selected, tab, notice = (state.settings, state.changes, state.selected,
                                                 state.tab, state.notice)

    @solara.component
    def ClassroomView(model: ViralityModel):
        update_counter.get()  # every step (Mesa's force_update) redraws this component
        m = model
        lock = getattr(m, "lock", None) or threading.RLock()
        scene = solara.use_memo(lambda: network_scene(m.graph), [m])

        def change(key: str, value) -> None:
            settings.set({**settings.value, key: value})
            notice.set("")
            if key not in LIVE_KEYS:
                return
            before = current_values(m).get(key)
            if _same(value, before):
                return
            try:
                with lock:
                    applied = apply_live(m, {key: value})
            except ConfigError as exc:
                notice.set(f"That value is not allowed: {exc}")
                return
            if applied:
                if m.t > 0:
                    changes.set(log_change(changes.value, m.t, key, value))
                force_update()

        def select(i) -> None:
            selected.set(int(i))
            if int(i) >= 0:
                tab.set(2)

        def run_compare():
            state.compare_busy.set(True)
            try:
                choices = variant_choices(base)
                name = state.compare_name.value
                title_b = name if name in choices else next(iter(choices))
                a = scenario_for(base, settings.value)
                b = a.with_overrides(choices[title_b])
                seed_now = int(settings.value["seed"])
                state.compare_result.set({**compare_runs(a, b, seed_now), "title_b": title_b,
                                          "seed": seed_now})
                notice.set("")
            except ConfigError as exc:
                notice.set(f"That comparison cannot be run: {exc}")
            finally:
                state.compare_busy.set(False)

        with lock:
            frame = network_frame(m)
            data = m.datacollector.get_model_vars_dataframe()
        panels = chart_panels(data, m.graph.n)
        head, status = page_status(m)
        pending = pending_changes(settings.value, m)

        with solara.Div(classes=["vr-page"]):
            # Mesa's controller leaves a disabled pause button at the end of a run (it keeps
            # "playing" once the model stops): the page hides its Play / Pause then, and says
            # why. Reset turns orange while settings wait for it.
            solara.Style(controller_css(m.running, bool(pending)))
            GridPin.element()
            with solara.Div(classes=["vr-header"]):
                over = "" if m.running else " vr-state-over"
                solara.HTML(tag="div", classes=["vr-status-line"], unsafe_innerHTML=(
                    f"<span class='vr-step'>{head}</span>"
                    f"<span class='vr-state{over}'>{html.escape(status)}</span>"))
                # Both notices are always there (empty when there is nothing to say): an
                # element appearing above the views would make Solara rebuild them, and a
                # slider being dragged or stepped with the keyboard would lose its focus.
                solara.HTML(tag="div", classes=["vr-notices"], unsafe_innerHTML=notices_html(
                    notice.value, pending))
            with solara.Div(classes=["vr-main"]):
                with solara.Div(classes=["vr-network-panel"]):
                    solara.HTML(tag="div", classes=["vr-counts"], unsafe_innerHTML=counts_html(m))
                    NetworkWidget.element(scene=scene, frame=frame, palette=palette(),
                                          selected=selected.value, on_selected=select)
                    solara.HTML(tag="div", classes=["vr-legend"],
                                unsafe_innerHTML=legend_html(m.scenario))
                with solara.Div(classes=["vr-side"]):
                    ChartWidget.element(
                        panels=panels, steps=m.scenario.run.steps,
                        marks=[{"step": first + 1, "label": SHORT_NAMES.get(key, key)}
                               for first, _, key, _ in changes.value])
                    solara.HTML(tag="div", classes=["vr-chart-legend"],
                                unsafe_innerHTML=chart_legend_html(panels))
                    with solara.Div(classes=["vr-tabs"]), solara.lab.Tabs(
                            value=tab.value, on_value=tab.set, lazy=True):
                        with solara.lab.Tab("Lesson"):
                            solara.HTML(tag="div", classes=["vr-tab-body", "vr-lesson"],
                                        unsafe_innerHTML=lesson_html(base))
                        with solara.lab.Tab("Settings"):
                            SettingsTab(m, base, settings.value, change, state.speed,
                                        changes.value)
                        with solara.lab.Tab("A person"):
                            PersonTab(m, selected.value, select)
                        with solara.lab.Tab("Compare two runs"):
                            CompareTab(base, settings.value, state.compare_name,
                                       state.compare_result.value, state.compare_busy.value,
                                       run_compare)

    return ClassroomView


def page_status(model: ViralityModel) -> tuple[str, str]:
    """:func:`run_status` as the page shows it under Mesa's controller.

    Mesa's controller does not tell the page whether it is playing, so a run
    under way says what the buttons do rather than "playing" or "paused".
    """
    head, status = run_status(model)
    if model.running and model.t > 0:
        status = "under way: ▶ plays, ❚❚ pauses, Step goes one day"
    return head, status


#: Mesa's Reset, Play / Pause and Step (the row in its "Controls" card).
MESA_BUTTONS = ".vr-mesa-controls .v-card__text > .v-sheet"


def controller_css(running: bool, pending: bool) -> str:
    """CSS for Mesa's controller buttons: Play / Pause hidden once the run is over,
    Reset orange while settings wait for it."""
    out = ""
    if not running:
        out += f"{MESA_BUTTONS} > .v-btn:nth-child(2) {{ display: none !important; }}\n"
    if pending:
        out += f"{MESA_BUTTONS} > .v-btn:nth-child(1) {{ background-color: #b36b00 !important; }}\n"
    return out


#: A slider moved again within this many steps continues the same change (one mark, one line).
SAME_CHANGE_STEPS = 3


def log_change(log: list[tuple], step: int, key: str, value) -> list[tuple]:
    """The changes made during the run, with ``key = value`` made after step ``step``.

    Entries are ``(first_step, last_step, key, value)``: a slider moved in
    several small steps while playing is one change, from its first move to
    its last.

    >>> log = log_change([], 4, "wom.p_positive", 0.2)
    >>> log_change(log, 6, "wom.p_positive", 0.3)
    [(4, 6, 'wom.p_positive', 0.3)]
    >>> len(log_change(log, 12, "wom.p_positive", 0.3))
    2
    """
    log = list(log)
    if log and log[-1][2] == key and step - log[-1][1] <= SAME_CHANGE_STEPS:
        first = log.pop()[0]
        return [*log, (first, step, key, value)]
    return [*log, (step, step, key, value)]


def notices_html(problem: str, pending: Mapping[str, Any]) -> str:
    """What went wrong, and the settings waiting for Reset (empty when neither)."""
    out = ""
    if problem:
        out += f"<div class='vr-notice'>{html.escape(problem)}</div>"
    if pending:
        listed = ", ".join(f"{SHORT_NAMES.get(k, k)} {_shown(k, v)}" for k, v in pending.items())
        out += (f"<div class='vr-pending'>Press <b>Reset</b> to start a new run with: "
                f"{html.escape(listed)}</div>")
    return out


def _shown(key: str, value) -> str:
    if key in CONTROLS:
        return CONTROLS[key].show(value)
    if key == "seeding.method":
        return SEEDING_CHOICES.get(value, value)
    return str(value)


@solara.component
def SettingsTab(m: ViralityModel, base, settings: dict, change, speed, changes: list):
    """The sliders: those that apply now, then those that wait for Reset."""
    visible = visible_controls(base)

    def slider(control: Control):
        value = settings[control.key]
        low, high = slider_range(control, value)
        if control.key == "seeding.n_seeds":
            high = min(high, int(settings.get("graph.n", m.graph.n)))
        ControlSlider(control, value, low, high, on_value=lambda v, k=control.key: change(k, v))

    def set_seed(value):
        if value is not None and value >= 0:
            change("seed", int(value))

    with solara.Div(classes=["vr-tab-body", "vr-settings"]):
        with solara.Div(classes=["vr-group"]):
            solara.HTML(tag="div", classes=["vr-group-title"],
                        unsafe_innerHTML="Change now: applies from the next step, even while playing")
            for control in visible:
                if control.live:
                    slider(control)
        with solara.Div(classes=["vr-group"]):
            solara.HTML(tag="div", classes=["vr-group-title"],
                        unsafe_innerHTML="Change, then press Reset: a new class or a new start")
            for control in visible:
                if not control.live:
                    slider(control)
            with solara.Div(classes=["vr-control", "vr-control-method"]):
                solara.HTML(tag="div", classes=["vr-control-head"], unsafe_innerHTML=(
                    "<span class='vr-label'>Who starts talking <span class='vr-keyname'>"
                    "seeding.method</span></span>"))
                with solara.ToggleButtonsSingle(value=settings["seeding.method"],
                                                on_value=lambda v: change("seeding.method", v)):
                    for value, label in SEEDING_CHOICES.items():
                        solara.Button(label, value=value, classes=[f"vr-method-{value}"])
            with solara.Div(classes=["vr-control", "vr-control-seed"]):
                solara.HTML(tag="div", classes=["vr-control-head"], unsafe_innerHTML=(
                    "<span class='vr-label'>Seed: the same seed tells the same story; another "
                    "seed, another story <span class='vr-keyname'>run.seed</span></span>"))
                with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                    solara.InputInt("seed (type a number, then Enter)", value=settings["seed"],
                                    on_value=set_seed, classes=["vr-seed-input"],
                                    style={"max-width": "260px"})
                    solara.Button("New seed", on_click=lambda: change("seed", random.randint(0, 9999)),
                                  outlined=True, classes=["vr-new-seed"])
        with solara.Div(classes=["vr-group"]):
            solara.HTML(tag="div", classes=["vr-group-title"], unsafe_innerHTML="Play speed")
            with solara.ToggleButtonsSingle(value=speed.value, on_value=speed.set):
                for steps_per_second in SPEEDS:
                    solara.Button(f"{steps_per_second} steps/s", value=steps_per_second,
                                  classes=[f"vr-speed-{steps_per_second}"])
        solara.HTML(tag="div", unsafe_innerHTML=parameters_html(m, changes))


@solara.component
def PersonTab(m: ViralityModel, selected: int, select):
    """One person: what they think, whether they talk, their friends (click to follow)."""
    with solara.Div(classes=["vr-tab-body", "vr-person"]):
        solara.InputInt(f"person number (0 to {m.graph.n - 1}), or click a person on the network",
                        value=selected if selected >= 0 else None, optional=True,
                        on_value=lambda v: select(v if v is not None and 0 <= v < m.graph.n else -1),
                        classes=["vr-person-input"])
        if 0 <= selected < m.graph.n:
            solara.HTML(tag="div", unsafe_innerHTML=person_html(m, selected))
            friends = [int(f) for f in m.friends(selected)]
            if friends:
                solara.HTML(tag="div", unsafe_innerHTML="Look at a friend:")
                with solara.Div(classes=["vr-friend-buttons"]):
                    for f in friends[:30]:
                        solara.Button(str(f), on_click=lambda f=f: select(f), outlined=True,
                                      classes=["vr-friend-button"])
            solara.Button("Clear", on_click=lambda: select(-1), text=True)
        else:
            solara.HTML(tag="p", unsafe_innerHTML=(
                "Click a person on the network to see what they think, whether they are "
                "talking, and what their friends think."))


@solara.component
def CompareTab(base, settings: dict, compare_name, result, busy: bool, run_compare):
    """Two runs side by side, same seed: the settings now (A) and one change (B)."""
    choices = variant_choices(base)
    title_b = compare_name.value if compare_name.value in choices else next(iter(choices))
    with solara.Div(classes=["vr-tab-body", "vr-compare"]):
        solara.HTML(tag="p", unsafe_innerHTML=(
            "Run the settings on screen (A) and the same with one change (B) to the end, "
            f"with the same seed ({settings['seed']}), then {COMPARE_REPLICATES} seeds each: "
            "does the choice matter, or is it luck?"))
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select("B: the change", values=list(choices), value=title_b,
                          on_value=compare_name.set, classes=["vr-compare-select"],
                          style={"min-width": "240px", "max-width": "360px"})
            solara.Button("Run both", on_click=run_compare, color="primary", disabled=busy,
                          classes=["vr-compare-run"])
        solara.HTML(tag="div", classes=["vr-compare-choice"], unsafe_innerHTML=(
            f"B sets {html.escape(describe_overrides(choices[title_b]))}"))
        solara.ProgressLinear(busy)
        if result is not None:
            with solara.Div(classes=["vr-compare-runs"]):
                for run, title in (("a", "A: the settings now"), ("b", f"B: {result['title_b']}")):
                    with solara.Div(classes=["vr-chart-small", f"vr-compare-{run}"]):
                        solara.HTML(tag="div", classes=["vr-compare-title"],
                                    unsafe_innerHTML=html.escape(title))
                        ChartWidget.element(panels=[result[run]["panel"]],
                                            steps=result[run]["steps"], marks=[])
            solara.HTML(tag="div", classes=["vr-chart-legend"],
                        unsafe_innerHTML=chart_legend_html([result["a"]["panel"]], values=False))
            solara.HTML(tag="div", unsafe_innerHTML=compare_table_html(
                result, "the settings now", result["title_b"], result["seed"]))


Page = make_page()


def step_timing(model: ViralityModel, steps: int = 20) -> dict[str, float]:
    """Mean seconds per step: the engine step, and what the page sends (frame and chart).

    What one press of Step costs the server (the browser then draws the SVG).
    """
    network_scene(model.graph)
    total = {"step_s": 0.0, "frame_s": 0.0}
    done = 0
    for _ in range(steps):
        if not model.running:
            break
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        network_frame(model)
        chart_panels(model.datacollector.get_model_vars_dataframe(), model.graph.n)
        total["step_s"] += t1 - t0
        total["frame_s"] += time.perf_counter() - t1
        done += 1
    out = {k: v / max(done, 1) for k, v in total.items()}
    out["steps"] = done
    return out
