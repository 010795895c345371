"""The classroom page: Mesa's ``SolaraViz`` around :class:`~simulator.ViralityModel`.

Served by ``virality viz`` (which runs ``solara run simulator.viz.app``); the
scenario comes from the environment variables it sets:

- ``VIRALITY_SCENARIO``: path of the scenario file (default: the built-in
  classroom scenario);
- ``VIRALITY_OVERRIDES``: JSON ``{"section.key": value}`` from ``--set``;
- ``VIRALITY_SEED``: the seed (default: the scenario's ``[run] seed``).

Every browser tab gets its own model. The sliders are the word-of-mouth and
market parameters of :class:`~simulator.ViralityModel`; the platform layers
(brand strategy, feed, followers, paid, crisis) come from the scenario file,
so a lesson about them is a scenario with those sections (``--set`` changes
them at start).
"""

from __future__ import annotations

import json
import os
import time
import warnings

import solara

with warnings.catch_warnings():
    # solara's hook check flags Mesa 3.3.1's ComponentsView (a use_state after an
    # early return that never happens in practice); it is Mesa's code, not ours.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"solara\.")
    from mesa.visualization import SolaraViz, solara_viz
    from mesa.visualization.utils import update_counter

from simulator.mesa_model import ViralityModel, resolve_scenario
from simulator.viz.drawing import (
    FramePNG,
    chart_figure,
    legend_html,
    network_figure,
    title_for,
)

SCENARIO_ENV = "VIRALITY_SCENARIO"
OVERRIDES_ENV = "VIRALITY_OVERRIDES"
SEED_ENV = "VIRALITY_SEED"


def page_scenario():
    """The scenario the page starts from (file and ``--set`` from the environment)."""
    scenario = resolve_scenario(os.environ.get(SCENARIO_ENV) or None)
    overrides = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")
    return scenario.with_overrides(overrides)


def page_seed(scenario) -> int:
    text = os.environ.get(SEED_ENV)
    return int(text) if text else scenario.run.seed


def model_params(scenario, seed: int) -> dict:
    """SolaraViz's inputs: the parameters a lesson plays with, started at the scenario's values."""
    wom, market, seeding = scenario.wom, scenario.market, scenario.seeding
    n = scenario.graph.n
    return {
        "scenario": scenario,  # fixed: everything without a slider comes from the file
        "p_positive": {"type": "SliderFloat", "label": "p_positive (a fan tells a friend)",
                       "value": wom.p_positive, "min": 0.0, "max": 0.5, "step": 0.01},
        "p_negative": {"type": "SliderFloat", "label": "p_negative (a detractor tells)",
                       "value": wom.p_negative, "min": 0.0, "max": 0.5, "step": 0.01},
        "satisfaction": {"type": "SliderFloat", "label": "satisfaction (happy buyers)",
                         "value": market.satisfaction, "min": 0.0, "max": 1.0, "step": 0.05},
        "talk_steps": {"type": "SliderInt", "label": "talk_steps (days of talk)",
                       "value": wom.talk_steps, "min": 1, "max": 10, "step": 1},
        "seeding_method": {"type": "Select", "label": "seeding: who starts talking",
                           "value": seeding.method, "values": ["random", "influencers"]},
        "n_seeds": {"type": "SliderInt", "label": "n_seeds (first talkers)",
                    "value": seeding.n_seeds, "min": 1, "max": max(1, min(50, n)), "step": 1},
        "seed": {"type": "SliderInt", "label": "seed (same seed, same story)",
                 "value": seed, "min": 0, "max": max(100, seed), "step": 1},
    }


def _picture(model: ViralityModel):
    # One figure per model, built on first draw: the layout is cached per graph,
    # so a Reset to the same graph does not recompute it.
    pic = getattr(model, "_viz_network", None)
    if pic is None:
        fig, picture = network_figure(model.graph, dpi=90, legend=False)
        frames = FramePNG(fig, [picture.nodes, picture.customers, picture.followers,
                                picture.title])
        pic = model._viz_network = (frames, picture)
    return pic


def _chart(model: ViralityModel):
    chart = getattr(model, "_viz_chart", None)
    if chart is None:
        fig, lines = chart_figure(model.graph.n, model.scenario.run.steps, dpi=90)
        chart = model._viz_chart = (FramePNG(fig, lines.lines.values()), lines)
    return chart


def draw_network(model: ViralityModel) -> bytes:
    """The network picture at the model's current step, as PNG bytes."""
    frames, picture = _picture(model)
    picture.update(model.state, model.talking(), title_for(model))
    return frames.png()


def draw_chart(model: ViralityModel) -> bytes:
    """The chart up to the model's current step, as PNG bytes."""
    frames, chart = _chart(model)
    chart.update(model.datacollector.get_model_vars_dataframe())
    return frames.png()


@solara.component
def NetworkView(model: ViralityModel):
    """The friend graph coloured by opinion."""
    update_counter.get()
    png = solara.use_memo(lambda: draw_network(model), [model, model.steps])
    with solara.Column(gap="4px"):
        solara.Image(png, format="png", classes=["virality-network"])
        solara.HTML(tag="div", unsafe_innerHTML=legend_html(), classes=["virality-legend"])


@solara.component
def ChartView(model: ViralityModel):
    """Aware, positive and negative agents over time."""
    update_counter.get()
    png = solara.use_memo(lambda: draw_chart(model), [model, model.steps])
    solara.Image(png, format="png", classes=["virality-chart"])


@solara.component
def LessonView(model: ViralityModel):
    """The step, the counts and the parameters of the model on screen (text)."""
    update_counter.get()
    c = model.counts()
    p = model.parameters()
    n = model.graph.n
    state = "running" if model.running else "finished: nothing more can happen"
    g = model.scenario.graph
    solara.HTML(
        tag="div",
        classes=["virality-lesson"],
        unsafe_innerHTML=(
            f"<p><b class='virality-step'>Step {model.t}</b> of {model.scenario.run.steps} "
            f"({state})<br>"
            f"aware <b>{c['n_aware']}</b> of {n} · positive <b>{c['n_positive']}</b> · "
            f"negative <b>{c['n_negative']}</b> · undecided {c['n_neutral']} · "
            f"customers {c['n_customers']} · talking now {c['n_talking_positive']} positive, "
            f"{c['n_talking_negative']} negative</p>"
            f"<p class='virality-params'>This run: p_positive = {p['p_positive']:.2f} · "
            f"p_negative = {p['p_negative']:.2f} · satisfaction = {p['satisfaction']:.2f} · "
            f"talk_steps = {p['talk_steps']} · seeding = {p['seeding_method']} × "
            f"{p['n_seeds']} · seed = {p['seed']}<br>"
            f"Graph: {g.kind}, {n} people, {model.graph.n_edges} friendships "
            f"(mean degree {model.graph.mean_degree:.1f})</p>"
            "<p style='color:#666'>Move a slider, then press <b>Reset</b> to start again "
            "with the new value.</p>"
        ),
    )


#: Where the three views go on Mesa's draggable grid (12 columns, 30 px rows):
#: the network large on the left, the chart and the text on the right. Mesa
#: 3.3.1 gives every component half the width; this replaces its default.
GRID_LAYOUT = [
    {"i": 0, "x": 0, "y": 0, "w": 7, "h": 17, "moved": False},
    {"i": 1, "x": 7, "y": 0, "w": 5, "h": 9, "moved": False},
    {"i": 2, "x": 7, "y": 9, "w": 5, "h": 8, "moved": False},
]
_mesa_grid_layout = solara_viz.make_initial_grid_layout


def _grid_layout(num_components: int) -> list[dict]:
    if num_components != len(GRID_LAYOUT):
        return _mesa_grid_layout(num_components)
    return [dict(item) for item in GRID_LAYOUT]


solara_viz.make_initial_grid_layout = _grid_layout

CSS = """
.virality-network, .virality-chart { max-width: 100%; height: auto; }
.virality-lesson { font-size: 15px; line-height: 1.5; }
.virality-legend { font-size: 13px; text-align: center; }
"""


def make_page(scenario=None, seed: int | None = None):
    """The page as a Solara component (one model per browser tab)."""

    @solara.component
    def Page():
        sc = solara.use_memo(lambda: scenario if scenario is not None else page_scenario(), [])
        s = seed if seed is not None else page_seed(sc)
        model = solara.use_memo(lambda: ViralityModel(scenario=sc, seed=s), [])
        solara.Style(CSS)
        SolaraViz(
            model,
            components=[(NetworkView, 0), (ChartView, 0), (LessonView, 0)],
            model_params=model_params(sc, s),
            name=f"Word of mouth in class: {sc.name}",
            play_interval=200,
        )

    return Page


Page = make_page()


def step_timing(model: ViralityModel, steps: int = 20) -> dict[str, float]:
    """Mean seconds per step: the engine step, the network redraw, the chart redraw.

    What one press of Step costs the server (the page also sends the PNGs).
    """
    draw_network(model)  # first draw: layout and figure
    draw_chart(model)
    total = {"step_s": 0.0, "network_s": 0.0, "chart_s": 0.0}
    done = 0
    for _ in range(steps):
        if not model.running:
            break
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        draw_network(model)
        t2 = time.perf_counter()
        draw_chart(model)
        t3 = time.perf_counter()
        total["step_s"] += t1 - t0
        total["network_s"] += t2 - t1
        total["chart_s"] += t3 - t2
        done += 1
    out = {k: v / max(done, 1) for k, v in total.items()}
    out["steps"] = done
    return out
