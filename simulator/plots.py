"""Plots for results (matplotlib; kept out of the core, imported by the CLI).

Bands show the spread of outcomes across replicates: the 2.5%–97.5% quantiles
per step, around the mean curve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: Okabe-Ito colours, the same as the classroom page and ``virality animate``
#: (:mod:`simulator.viz.drawing`): blue for positive and vermillion for negative stay
#: apart under red-green colour blindness. Word (who is talking) has its opinion's colour.
COLORS = {
    "n_aware": "#000000",
    "n_positive": "#0072B2",
    "n_negative": "#D55E00",
    "n_neutral": "#F0E442",
    "n_customers": "#009E73",
    "n_talking_positive": "#0072B2",
    "n_talking_negative": "#D55E00",
    "n_followers": "#CC79A7",
}
LABELS = {
    "n_aware": "aware",
    "n_positive": "positive",
    "n_negative": "negative",
    "n_neutral": "undecided",
    "n_customers": "customers",
    "n_talking_positive": "talking positive",
    "n_talking_negative": "talking negative",
    "n_followers": "followers",
}
#: Line style of each series: the cue besides colour (positive solid, negative dashed).
STYLES = {
    "n_aware": ":",
    "n_positive": "-",
    "n_negative": "--",
    "n_neutral": "-",
    "n_customers": "-.",
    "n_talking_positive": "-",
    "n_talking_negative": "--",
    "n_followers": (0, (3, 1, 1, 1)),
}


def bands(ts: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """Mean and 2.5/97.5% quantiles of ``column / n`` per step."""
    g = (ts[column] / n).groupby(ts["step"])
    return pd.DataFrame({"mean": g.mean(), "low": g.quantile(0.025), "high": g.quantile(0.975)})


def _panel(ax, ts: pd.DataFrame, columns: list[str], n: int, title: str, color=None, label=None):
    for col in columns:
        if col not in ts:
            continue
        b = bands(ts, col, n)
        c = color or COLORS.get(col)
        ax.plot(b.index, b["mean"], color=c, lw=2.4, ls=STYLES.get(col, "-"),
                label=label or LABELS.get(col, col))
        ax.fill_between(b.index, b["low"], b["high"], color=c, alpha=0.15, lw=0)
    ax.set_title(title, fontsize=14)
    ax.set_xlabel("step", fontsize=12)
    ax.set_ylabel("share of population", fontsize=12)
    ax.tick_params(labelsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=11)


def curves_figure(ts: pd.DataFrame, n: int, title: str = ""):
    """Opinion curves and talk curves with uncertainty bands (a matplotlib Figure)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    _panel(axes[0], ts, ["n_aware", "n_positive", "n_negative", "n_customers"], n, "opinion")
    _panel(axes[1], ts, ["n_talking_positive", "n_talking_negative"], n, "who is talking")
    if title:
        fig.suptitle(title, fontsize=15)
    return fig


def plot_curves(ts: pd.DataFrame, n: int, path: str | Path, title: str = "") -> Path:
    """:func:`curves_figure`, saved as PNG."""
    fig = curves_figure(ts, n, title)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---------------------------------------------------------------- comparisons
#: Panels of the comparison curves: (title, series column, optional). An optional
#: panel is drawn only when its column is non-zero in some variant (the
#: follower layer is off in most scenarios, and a flat zero line says nothing).
COMPARISON_PANELS = (
    ("reach (ever aware)", "cum_reach", False),
    ("positive", "n_positive", False),
    ("negative", "n_negative", False),
    ("talking negative", "n_talking_negative", False),
    ("customers", "n_customers", False),
    ("followers", "n_followers", True),
)
#: Titles of the outcome bars (any other outcome is titled by its name).
OUTCOME_TITLES = {
    "reach": "reach (share ever aware)",
    "net_sentiment": "net sentiment (positive - negative)",
    "customers": "customers (share)",
    "followers": "followers",
    "cost": "cost",
    "negative_talk": "negative word (per person)",
    "roi": "ROI",
}


#: Line styles cycled over variants: under common random numbers variants often
#: coincide for a while, and a dashed line stays visible on top of a solid one.
VARIANT_STYLES = ("-", "--", ":", "-.")


def variant_colors(count: int) -> list:
    """One colour per variant, the same in every comparison figure."""
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(count)]


#: Slide size of the comparison figures: 16:9, 1920 x 1080 pixels in the PNG.
SLIDE_INCHES, SLIDE_DPI = (16.0, 9.0), 120


def _grid(panels: int, size: tuple[float, float] = SLIDE_INCHES):
    """A figure of slide size holding ``panels`` axes (up to 3 across)."""
    ncols = 4 if panels in (7, 8) else max(1, min(panels, 3))  # two full rows on a 16:9 slide
    nrows = max(1, -(-panels // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=size, constrained_layout=True, squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[panels:]:
        ax.set_visible(False)
    return fig, flat[:panels]


def slide_text(fig) -> None:
    """Type sized for the back of a meeting room (about 14 pt at 1920 x 1080)."""
    for ax in fig.axes:
        ax.title.set_fontsize(17)
        ax.xaxis.label.set_fontsize(14)
        ax.yaxis.label.set_fontsize(14)
        ax.tick_params(labelsize=13)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_fontsize(13)
    if fig._suptitle is not None:
        fig._suptitle.set_fontsize(19)


def _save_atomic(fig, path: str | Path) -> Path:
    """Save a PNG (and an SVG beside it, same name) via temporary files, so an
    interrupted run never leaves half a picture."""
    path = Path(path)
    for target, kwargs in ((path, {"dpi": SLIDE_DPI, "format": "png"}),
                           (path.with_suffix(".svg"), {"format": "svg"})):
        tmp = target.with_name(target.name + ".tmp")
        fig.savefig(tmp, **kwargs)
        tmp.replace(target)
    plt.close(fig)
    return path


class Event(NamedTuple):
    """A step worth marking on the curves: the outage, the brand's entry, its detection."""

    step: float
    label: str
    variant: str | None = None  #: whose event (None: every variant's)


#: Line style of each kind of event (the text before any ":" in its label).
EVENT_STYLES = {
    "outage": (0, (5, 3)),
    "detection, mean": (0, (1, 2)),
    "brand enters": (0, (8, 2, 2, 2)),
    "brand leaves": (0, (2, 2, 8, 2)),
}


def _mark_events(ax, events: Sequence[Event], colors: Mapping[str, object], label: bool):
    """Vertical lines at the events; ``label`` names them (in the figure's legend)."""
    for event in events:
        color = colors.get(event.variant, "#444444") if event.variant else "#444444"
        kind = event.label.split(":")[0]
        step = f"{event.step:g}"
        ax.axvline(event.step, color=color, lw=1.8, ls=EVENT_STYLES.get(kind, (0, (5, 3))),
                   label=f"{event.label} (step {step})" if label else None)


def plot_comparison_curves(
    series: Mapping[str, tuple[pd.DataFrame, int]], path: str | Path, title: str = "",
    events: Sequence[Event] = (),
) -> Path:
    """Every variant's main curves overlaid, mean with 2.5-97.5% bands, at slide size
    (PNG 1920 x 1080 and SVG), with the scenario's events marked.

    Parameters
    ----------
    series : mapping of str to (DataFrame, int)
        Per variant, its time-series table (``replicate``, ``step``, metrics)
        and its population size (curves are shares of the population).
    path : str or Path
        Where the PNG goes (the SVG goes beside it).
    title : str, optional
        Figure title.
    events : sequence of Event, optional
        Vertical dashed lines, in the variant's colour when the event is one
        variant's; labelled on the first panel.
    """
    panels = []
    for panel_title, column, optional in COMPARISON_PANELS:
        present = [ts for ts, _ in series.values() if column in ts]
        if not present or (optional and not any(ts[column].to_numpy().any() for ts in present)):
            continue
        panels.append((panel_title, column))
    fig, axes = _grid(len(panels))
    colors = variant_colors(len(series))
    by_name = dict(zip(series, colors, strict=True))
    for k, (ax, (panel_title, column)) in enumerate(zip(axes, panels, strict=True)):
        for i, (color, (name, (ts, n))) in enumerate(zip(colors, series.items(), strict=True)):
            if column in ts:
                b = bands(ts, column, n)
                ax.plot(b.index, b["mean"], color=color, lw=2.5, label=name,
                        ls=VARIANT_STYLES[i % len(VARIANT_STYLES)])
                ax.fill_between(b.index, b["low"], b["high"], color=color, alpha=0.2, lw=0)
        _mark_events(ax, events, by_name, label=k == 0)
        ax.set_title(panel_title)
        ax.set_xlabel("step")
        ax.set_ylabel("share of population")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    slide_text(fig)
    if axes:  # one legend for all panels (variants, then events), below them
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", frameon=False, fontsize=14,
                   ncols=min(len(labels), 5))
    return _save_atomic(fig, path)


def _thousands(ax) -> None:
    """Tick labels with thousands separators once the axis reaches 10,000."""
    from matplotlib.ticker import FuncFormatter

    if max(abs(v) for v in ax.get_ylim()) >= 10_000:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def plot_comparison_outcomes(
    table: pd.DataFrame, outcomes: Sequence[str], path: str | Path, title: str = ""
) -> Path:
    """Bars of each outcome per variant with 95% interval error bars, at slide size
    (PNG 1920 x 1080 and SVG beside it).

    ROI gets no bars of its own: it is written over the profit bars, so that a
    variant that spends almost nothing (a large ROI on a small profit) cannot
    look best at a glance.

    Parameters
    ----------
    table : DataFrame
        One row per variant: ``variant``, and per outcome ``<m>``, ``<m>_low``,
        ``<m>_high`` (the comparison table).
    outcomes : sequence of str
        Which outcomes to draw, one panel each; an outcome missing from the
        table is skipped, a NaN value is marked "n/a".
    path : str or Path
        Where the PNG goes.
    title : str, optional
        Figure title.
    """
    from simulator.compare.outcomes import info

    roi_on_profit = "roi" in outcomes and "roi" in table and "profit" in outcomes and "profit" in table
    shown = [m for m in outcomes if m in table and not (m == "roi" and roi_on_profit)]
    fig, axes = _grid(len(shown))
    names = table["variant"].astype(str).tolist()
    x = np.arange(len(names))
    colors = np.array(variant_colors(len(names)))
    for ax, m in zip(axes, shown, strict=True):
        mean = table[m].to_numpy(dtype=float)
        low = table.get(f"{m}_low", table[m]).to_numpy(dtype=float)
        high = table.get(f"{m}_high", table[m]).to_numpy(dtype=float)
        ok = np.isfinite(mean)
        ax.bar(x[ok], mean[ok], color=colors[ok], width=0.7)
        below = np.nan_to_num(mean - low, nan=0.0).clip(min=0.0)
        above = np.nan_to_num(high - mean, nan=0.0).clip(min=0.0)
        if ok.any():
            ax.errorbar(x[ok], mean[ok], yerr=[below[ok], above[ok]], fmt="none",
                        ecolor="black", capsize=4, lw=1)
        for i in np.flatnonzero(~ok):
            ax.text(x[i], 0.02, "n/a", ha="center", va="bottom", fontsize=12, color="#555555",
                    transform=ax.get_xaxis_transform())  # x in data, y in axes units
        if m == "profit" and roi_on_profit:
            roi = table["roi"].to_numpy(dtype=float)
            bottom, top = ax.get_ylim()
            ax.set_ylim(bottom, top + 0.15 * (top - bottom))  # room for the ROI line
            for i in range(len(names)):
                text = "ROI n/a" if not np.isfinite(roi[i]) else f"ROI {roi[i]:,.1f}"
                ax.text(x[i], 0.97, text, ha="center", va="top", fontsize=12,
                        transform=ax.get_xaxis_transform())
        ax.axhline(0.0, color="black", lw=0.6)
        _thousands(ax)
        ax.set_xticks(x, names, rotation=30 if len(names) > 3 else 0,
                      ha="right" if len(names) > 3 else "center")
        unit = info(m).unit
        ax.set_title(OUTCOME_TITLES.get(m, info(m).title)
                     + (" (ROI = profit / cost)" if m == "profit" and roi_on_profit else ""))
        if unit:
            ax.set_ylabel(unit)
        ax.grid(axis="y", alpha=0.3)
    if title:
        fig.suptitle(title)
    slide_text(fig)
    return _save_atomic(fig, path)
