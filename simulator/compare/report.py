"""The comparison as a table for the terminal and a one-page report (Markdown, HTML).

The HTML page embeds its figures as base64 PNGs, so the single file can be
emailed or dropped into a deck; the Markdown page links the PNGs next to it.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from simulator.compare.variants import Comparison
from simulator.engine.results import _atomic_write


def format_interval(mean: float, low: float, high: float, scale: float | None = None) -> str:
    """``mean [low, high]``: 3 decimals, or whole numbers when ``scale`` >= 100.

    ``scale`` (default: the largest of the three) lets a column share one
    precision. No thousands separators: in ``1419 [1170, 2030]`` a comma would
    read as a list.

    >>> format_interval(0.51234, 0.5, 0.52), format_interval(1800.0, 717.1, 2883.0)
    ('0.512 [0.500, 0.520]', '1800 [717, 2883]')
    >>> format_interval(float("nan"), float("nan"), float("nan"))
    'n/a'
    """
    values = (mean, low, high)
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if scale is None:
        scale = _magnitude(values)
    fmt = "{:.0f}" if scale >= 100 else "{:.3f}"
    low_text, high_text = (
        fmt.format(x) if x is not None and math.isfinite(x) else "n/a" for x in (low, high)
    )
    return f"{fmt.format(mean)} [{low_text}, {high_text}]"


def _magnitude(values) -> float:
    finite = [abs(float(x)) for x in values if x is not None and math.isfinite(x)]
    return max(finite, default=0.0)


def outcome_table(comparison: Comparison) -> pd.DataFrame:
    """One row per variant, one column per outcome: ``mean [low, high]`` as text."""
    table = comparison.table
    cells = {}
    for m in comparison.outcomes:
        columns = (table[m], table[f"{m}_low"], table[f"{m}_high"])
        scale = _magnitude([x for column in columns for x in column])  # one precision per column
        cells[m] = [format_interval(*values, scale=scale) for values in zip(*columns, strict=True)]
    return pd.DataFrame(cells, index=pd.Index(table["variant"], name="variant"))


def format_comparison(comparison: Comparison, width: int = 100) -> str:
    """The terminal table: one row per outcome, one column per variant (mean and 95%
    interval), in blocks of as many variants as fit in ``width`` columns."""
    table = outcome_table(comparison).T  # outcomes down, variants across
    table.index.name = "outcome"
    label = max(len(str(i)) for i in table.index) + 2
    cell = max(max(len(str(v)) for v in table.to_numpy().ravel()),
               max(len(str(c)) for c in table.columns)) + 2
    per_block = max(1, (width - label) // cell)
    blocks = [table.iloc[:, k:k + per_block].to_string()
              for k in range(0, table.shape[1], per_block)]
    return "\n\n".join(blocks) + "\n(mean [95% interval] over replicates)"


def _markdown_table(frame: pd.DataFrame) -> str:
    header = [frame.index.name or "", *frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in frame.iterrows():
        lines.append("| " + " | ".join([str(name), *map(str, row)]) + " |")
    return "\n".join(lines)


def _overrides_text(overrides: Mapping[str, object]) -> str:
    if not overrides:
        return "the base scenario"
    return ", ".join(f"{key} = {value!r}" for key, value in overrides.items())


def _facts(comparison: Comparison) -> list[str]:
    first = next(iter(comparison.results.values()))
    sizes = sorted({res.n for res in comparison.results.values()})
    from simulator import __version__

    return [
        f"seed {comparison.seed}, {comparison.replicates} replicates per variant, "
        f"{comparison.steps} steps",
        f"{', '.join(f'{n:,}' for n in sizes)} agents "
        f"({comparison.scenario.graph.kind} graph, mean degree "
        f"{first.graph_meta['mean_degree']:.1f})",
        "common random numbers: every variant uses the same seed, streams and "
        + ("graph" if comparison.graphs_built <= 1 else "graph per [graph] section"),
        f"virality {__version__}",
    ]


def write_report(
    comparison: Comparison,
    out_dir: str | Path,
    command: str,
    figures: Mapping[str, Path] | None = None,
) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    comparison : Comparison
        What :func:`simulator.compare.compare` returned.
    out_dir : str or Path
        The comparison's folder (the figures are expected there).
    command : str
        The command line that reproduces the comparison.
    figures : mapping of str to Path, optional
        Caption -> PNG path; without figures the report says the plots were skipped.

    Returns
    -------
    dict of str to Path
        ``{"report_md": ..., "report_html": ...}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = dict(figures or {})
    scenario = comparison.scenario
    title = f"Comparison: {scenario.name}"
    table = outcome_table(comparison)
    variants = [(name, _overrides_text(scenario.variants[name])) for name in comparison.variants]
    facts = _facts(comparison)
    note = ("Outcomes are shares of the population unless named otherwise; each cell is the mean "
            "over replicates and its 95% interval. Every metric per variant: comparison.csv; "
            "each variant's time series and summary: its folder.")

    md = [f"# {title}", ""]
    if scenario.description:
        md += [scenario.description, ""]
    md += ["```", command, "```", ""]
    md += [f"- {fact}" for fact in facts] + [""]
    md += ["## Variants", ""] + [f"- **{name}**: {text}" for name, text in variants] + [""]
    md += ["## Outcomes", "", _markdown_table(table), "", note, ""]
    if figures:
        md += ["## Figures", ""]
        for caption, path in figures.items():
            md += [f"![{caption}]({Path(path).name})", ""]
    else:
        md += ["(plots skipped: --no-plots)", ""]

    esc = html.escape
    page = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:right}th:first-child,td:first-child{text-align:left}"
        "pre{background:#f4f4f4;padding:.6em;overflow-x:auto}img{max-width:100%}"
        "</style>", "</head>", "<body>", f"<h1>{esc(title)}</h1>",
    ]
    if scenario.description:
        page.append(f"<p>{esc(scenario.description)}</p>")
    page.append(f"<pre>{esc(command)}</pre>")
    page.append("<ul>" + "".join(f"<li>{esc(fact)}</li>" for fact in facts) + "</ul>")
    page.append("<h2>Variants</h2><ul>" + "".join(
        f"<li><b>{esc(name)}</b>: {esc(text)}</li>" for name, text in variants) + "</ul>")
    page += ["<h2>Outcomes</h2>", table.to_html(escape=True, border=0), f"<p>{esc(note)}</p>"]
    if figures:
        page.append("<h2>Figures</h2>")
        for caption, path in figures.items():
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            page.append(f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{esc(caption)}</figcaption></figure>")
    else:
        page.append("<p>(plots skipped: --no-plots)</p>")
    page += ["</body>", "</html>"]

    paths = {"report_md": out / "report.md", "report_html": out / "report.html"}
    _atomic_write(paths["report_md"], "\n".join(md))
    _atomic_write(paths["report_html"], "\n".join(page) + "\n")
    return paths
