"""``virality animate``: the page's network picture stepped through time, as a GIF or MP4.

Each frame is the friend graph as the classroom page draws it (the same
colour-blind-safe colours, diamonds for detractors, rings on talkers, the
word's lines, the friend circles outlined) next to the chart so far: people
by opinion, and the positive and negative words passed each step. GIFs are written with Pillow,
MP4s with ffmpeg (when it is on the PATH). The file is written next to its
destination and moved into place at the end, so a failed run never leaves a
half-written file over an earlier one.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from simulator.errors import ConfigError

FORMATS = (".gif", ".mp4")


def check_output(out: str | Path) -> Path:
    """The output path, checked: .gif or .mp4 (with ffmpeg), in an existing folder."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"--out = '{out}' has an unknown format; allowed: {', '.join(FORMATS)}")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise ConfigError(f"--out = '{out}' needs ffmpeg, which is not installed; allowed: .gif")
    if out.is_dir():
        raise ConfigError(f"--out = '{out}' is a folder; allowed: a .gif or .mp4 file name")
    if not out.parent.exists():
        raise ConfigError(f"--out = '{out}': folder '{out.parent}' does not exist")
    return out


def animate(
    scenario,
    out: str | Path,
    *,
    steps: int | None = None,
    seed: int | None = None,
    fps: float = 4.0,
    dpi: int = 80,
    progress: bool = True,
) -> Path:
    """Write the spread of ``scenario`` (replicate 0 of ``simulator.run``) as an animation.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its graph must be small enough to draw (``graph.n <= 5000``).
    out : path
        ``.gif`` (Pillow) or ``.mp4`` (ffmpeg).
    steps, seed : int, optional
        Override ``[run] steps`` / ``[run] seed``. Frames stop early when
        nothing more can happen.
    fps : float
        Frames per second.
    progress : bool
        A tqdm bar on stderr.

    Returns
    -------
    Path
        The file written.
    """
    out = check_output(out)
    if not fps > 0 or fps > 60:
        raise ConfigError(f"--fps = {fps} is out of range; allowed: 0 < fps <= 60")
    from simulator.params import check_run_value

    for key, value in (("steps", steps), ("seed", seed)):
        if value is not None:
            check_run_value(key, value, f"--{key}")
    from simulator.viz.drawing import check_drawable

    check_drawable(scenario.graph.n)

    from matplotlib import animation
    from matplotlib.figure import Figure
    from tqdm import tqdm

    from simulator.mesa_model import ViralityModel
    from simulator.viz.drawing import NetworkPicture, OpinionChart, title_for

    model = ViralityModel(scenario=scenario, steps=steps, seed=seed)
    horizon = model.scenario.run.steps
    fig = Figure(figsize=(12.0, 6.75), dpi=dpi, layout="constrained")  # 16:9, for slides
    grid = fig.add_gridspec(2, 2, width_ratios=[1.2, 1.0], height_ratios=[1.5, 1.0])
    ax_net = fig.add_subplot(grid[:, 0])
    ax_people = fig.add_subplot(grid[0, 1])
    ax_word = fig.add_subplot(grid[1, 1], sharex=ax_people)
    picture = NetworkPicture(model.graph, ax_net, followers=model.scenario.followers.enabled)
    chart = OpinionChart(ax_people, model.graph.n, horizon, word_ax=ax_word)
    fig.suptitle(f"{model.scenario.name}: {model.graph.n} people, seed {model.seed}",
                 fontsize=14)

    if out.suffix.lower() == ".gif":
        writer = animation.PillowWriter(fps=fps)
    else:
        writer = animation.FFMpegWriter(fps=fps)
    fd, tmp_name = tempfile.mkstemp(suffix=out.suffix, prefix=f".{out.stem}-", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with tqdm(total=horizon + 1, desc="frames", unit="frame", file=sys.stderr,
                  disable=not progress) as bar, writer.saving(fig, str(tmp), dpi):
            while True:
                picture.update(model.state, model.talking(), title_for(model))
                chart.update(model.datacollector.get_model_vars_dataframe())
                writer.grab_frame()
                bar.update(1)
                if not model.running:
                    break
                model.step()
        mask = os.umask(0)  # mkstemp makes the file private; give it the usual mode
        os.umask(mask)
        tmp.chmod(0o666 & ~mask)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
