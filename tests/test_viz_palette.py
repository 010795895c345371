"""The opinion palette survives colour blindness, and every picture uses the same one.

Colour-vision deficiencies are simulated with the Machado, Oliveira & Fernandes
(2009) matrices (:func:`simulator.viz.drawing.simulate_colour_vision`) and
colours compared in CIELAB (Delta E 1976): about 2 is the smallest difference
one notices side by side, 20 reads as two colours at a glance.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the pictures need matplotlib")

from simulator.state.agents import Opinion  # noqa: E402
from simulator.viz import drawing  # noqa: E402
from simulator.viz.drawing import COLORS, colour_distance, simulate_colour_vision  # noqa: E402

DEFICIENCIES = ("deuteranopia", "protanopia", "tritanopia")
#: Positive and negative must read as two colours even to a colour-blind student.
SIGN_APART = 40.0
#: Any two opinions must stay distinguishable.
OPINIONS_APART = 20.0


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_positive_and_negative_stay_far_apart_under_colour_blindness(deficiency):
    distance = colour_distance(COLORS[Opinion.POSITIVE], COLORS[Opinion.NEGATIVE], deficiency)
    assert distance >= SIGN_APART, f"{deficiency}: {distance:.1f}"


@pytest.mark.parametrize("deficiency", (None, *DEFICIENCIES))
def test_every_two_opinions_stay_distinguishable(deficiency):
    for a, b in itertools.combinations(Opinion, 2):
        distance = colour_distance(COLORS[a], COLORS[b], deficiency)
        assert distance >= OPINIONS_APART, f"{a.name}/{b.name} under {deficiency}: {distance:.1f}"


def test_the_check_fails_the_old_green_and_red():
    """The page's old green and red became one olive under deuteranopia: the check sees it."""
    assert colour_distance("#2ca02c", "#d62728", "deuteranopia") < OPINIONS_APART
    assert colour_distance("#2ca02c", "#d62728") > 100  # for typical colour vision


def test_simulation_keeps_greys_and_rejects_unknown_deficiencies():
    grey = np.array([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    for deficiency in DEFICIENCIES:
        np.testing.assert_allclose(simulate_colour_vision(grey, deficiency), grey, atol=0.02)
    with pytest.raises(Exception, match="allowed: deuteranopia"):
        simulate_colour_vision(grey, "achromatopsia")


def _rendered_network(steps: int = 12) -> np.ndarray:
    """The animation's network picture after ``steps`` steps, as an RGB array (0-1)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from simulator.mesa_model import ViralityModel

    model = ViralityModel(scenario="scenarios/classroom.toml", seed=7)
    for _ in range(steps):
        model.step()
    fig = Figure(figsize=(6, 6), dpi=100)
    canvas = FigureCanvasAgg(fig)
    picture = drawing.NetworkPicture(model.graph, fig.add_subplot(), legend=False)
    picture.update(model.state, model.talking())
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3] / 255.0


@pytest.mark.parametrize("deficiency", ("deuteranopia", "protanopia"))
def test_a_drawn_network_keeps_fans_and_detractors_apart_when_simulated(deficiency):
    """The whole picture transformed as a colour-blind student sees it, then compared."""
    from matplotlib.colors import to_rgb

    image = _rendered_network()
    seen = simulate_colour_vision(image, deficiency)
    means = {}
    for sign in (Opinion.POSITIVE, Opinion.NEGATIVE):
        mask = np.abs(image - np.array(to_rgb(COLORS[sign]))).max(axis=-1) < 0.02
        assert mask.sum() > 50, f"no {sign.name} pixels drawn"
        means[sign] = seen[mask].mean(axis=0)
    distance = float(np.linalg.norm(drawing.to_lab(means[Opinion.POSITIVE])
                                    - drawing.to_lab(means[Opinion.NEGATIVE])))
    assert distance >= SIGN_APART


def test_the_sign_has_a_second_cue_besides_colour():
    assert drawing.MARKERS[Opinion.POSITIVE] != drawing.MARKERS[Opinion.NEGATIVE]
    assert drawing.WORD_DASHES[Opinion.POSITIVE] != drawing.WORD_DASHES[Opinion.NEGATIVE]
    people = {key: dash for key, _, _, dash, _ in drawing.PEOPLE_SERIES}
    assert people["n_positive"] != people["n_negative"]
    words = {key: dash for key, _, _, dash, _ in drawing.WORD_SERIES}
    assert words["new_word_positive"] != words["new_word_negative"]


def test_the_run_plots_and_the_page_use_the_same_colours_and_styles():
    from simulator import plots
    from simulator.viz.app import palette

    assert plots.COLORS["n_positive"] == COLORS[Opinion.POSITIVE]
    assert plots.COLORS["n_negative"] == COLORS[Opinion.NEGATIVE]
    assert plots.COLORS["n_neutral"] == COLORS[Opinion.NEUTRAL]
    assert plots.COLORS["n_talking_positive"] == COLORS[Opinion.POSITIVE]
    assert plots.COLORS["n_talking_negative"] == COLORS[Opinion.NEGATIVE]
    assert plots.COLORS["n_customers"] == drawing.CUSTOMERS
    assert plots.LABELS["n_neutral"] == drawing.LABELS[Opinion.NEUTRAL]
    assert plots.STYLES["n_positive"] != plots.STYLES["n_negative"]
    assert plots.STYLES["n_talking_positive"] != plots.STYLES["n_talking_negative"]
    page = palette()
    assert page["positive"] == COLORS[Opinion.POSITIVE]
    assert page["negative"] == COLORS[Opinion.NEGATIVE]


def test_the_run_plot_draws_positive_and_negative_with_different_lines(tmp_path):
    import pandas as pd

    from simulator import plots

    steps = np.arange(5)
    ts = pd.DataFrame({"replicate": 0, "step": steps, "n_aware": steps * 10,
                       "n_positive": steps * 6, "n_negative": steps * 2, "n_customers": steps,
                       "n_talking_positive": steps, "n_talking_negative": steps})
    fig = plots.curves_figure(ts, 100, "test")
    styles = {line.get_label(): line.get_linestyle() for ax in fig.axes for line in ax.lines}
    colours = {line.get_label(): line.get_color() for ax in fig.axes for line in ax.lines}
    assert styles["positive"] != styles["negative"]
    assert colours["positive"] == COLORS[Opinion.POSITIVE]
    assert plots.plot_curves(ts, 100, tmp_path / "c.png").stat().st_size > 1000
