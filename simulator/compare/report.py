"""The comparison as a table for the terminal and a one-page report (Markdown, HTML).

The HTML page embeds its figures as base64 PNGs, so the single file can be
emailed or dropped into a deck; the Markdown page links the PNGs next to it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from simulator.compare.outcomes import format_interval, info, magnitude
from simulator.compare.variants import Comparison
from simulator.engine.results import _atomic_write


def outcome_table(comparison: Comparison) -> pd.DataFrame:
    """One row per variant, one column per outcome: ``mean (low to high)`` as text."""
    table = comparison.table
    cells = {}
    for m in comparison.outcomes:
        columns = (table[m], table[f"{m}_low"], table[f"{m}_high"])
        scale = magnitude([x for column in columns for x in column])  # one precision per column
        cells[m] = [format_interval(*values, scale=scale) for values in zip(*columns, strict=True)]
    return pd.DataFrame(cells, index=pd.Index(table["variant"], name="variant"))


def difference_table(comparison: Comparison, short: bool = False) -> pd.DataFrame:
    """One row per variant but the baseline: its paired difference from the baseline per
    outcome, ``+mean (low to high), higher in k of n`` as text (``short``: ``, k/n``)."""
    diff = comparison.differences()
    cells = {}
    pairs = comparison.replicates
    for m in comparison.outcomes:
        columns = (diff[m], diff[f"{m}_low"], diff[f"{m}_high"])
        scale = magnitude([x for column in columns for x in column])
        texts = []
        for mean, low, high, wins in zip(*columns, diff[f"{m}_wins"], strict=True):
            text = format_interval(mean, low, high, scale=scale, signed=True)
            if text != "n/a":
                k = round(wins * pairs)
                text += f", {k}/{pairs}" if short else f", higher in {k} of {pairs}"
            texts.append(text)
        cells[m] = texts
    return pd.DataFrame(cells, index=pd.Index(diff["variant"], name="variant"))


def definitions_table(comparison: Comparison) -> pd.DataFrame:
    """Unit and definition of every outcome shown."""
    return pd.DataFrame(
        {"unit": [info(m).unit for m in comparison.outcomes],
         "definition": [info(m).definition for m in comparison.outcomes]},
        index=pd.Index([info(m).title for m in comparison.outcomes], name="outcome"),
    )


def _blocks(table: pd.DataFrame, width: int) -> list[str]:
    """``table`` (outcomes down, variants across) in blocks of as many columns as fit."""
    label = max(len(str(i)) for i in table.index) + 2
    cell = max(max(len(str(v)) for v in table.to_numpy().ravel()),
               max(len(str(c)) for c in table.columns)) + 2
    per_block = max(1, (width - label) // cell)
    return [table.iloc[:, k:k + per_block].to_string() for k in range(0, table.shape[1], per_block)]


def format_comparison(comparison: Comparison, width: int = 100) -> str:
    """The terminal tables, each in blocks that fit ``width`` columns: every variant's
    outcomes (mean and 95% interval), then each variant's paired difference from the
    baseline."""
    table = outcome_table(comparison).T  # outcomes down, variants across
    table.index.name = "outcome"
    parts = _blocks(table, width)
    parts[-1] += "\n(mean (95% interval) over replicates)"
    if len(comparison.results) > 1:
        diff = difference_table(comparison, short=True).T
        diff.index.name = "outcome"
        blocks = _blocks(diff, width)
        blocks[0] = f"difference from {comparison.baseline_name}:\n" + blocks[0]
        blocks[-1] += ("\n(paired replicate by replicate: mean difference (95% interval), "
                       "k/n = higher in k of n pairs)")
        parts += blocks
    return "\n\n".join(parts)


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
    definitions = definitions_table(comparison)
    diff = difference_table(comparison) if len(comparison.results) > 1 else None
    base = comparison.baseline_name
    variants = [(name, _overrides_text(scenario.variants[name])) for name in comparison.variants]
    facts = _facts(comparison)
    note = ("Each cell is the mean over replicates and its 95% interval. Every metric per "
            "variant: comparison.csv; each variant's time series and summary: its folder.")
    diff_note = (f"Each variant minus {base}, replicate by replicate: replicate r of every "
                 "variant shares its random streams and friend graph (common random numbers), "
                 "so the paired difference is much more precise than the two intervals above "
                 "suggest. Mean difference, its 95% interval, and in how many pairs the "
                 "variant is higher. Per pair: differences.csv.")

    md = [f"# {title}", ""]
    if scenario.description:
        md += [scenario.description, ""]
    md += ["```", command, "```", ""]
    md += [f"- {fact}" for fact in facts] + [""]
    md += ["## Variants", ""] + [
        f"- **{name}**: {text}" + (" (baseline)" if name == base and diff is not None else "")
        for name, text in variants] + [""]
    md += ["## Outcomes", "", _markdown_table(table), "", note, ""]
    if diff is not None:
        md += [f"## Difference from {base}", "", _markdown_table(diff), "", diff_note, ""]
    md += ["## What the outcomes mean", "", _markdown_table(definitions), ""]
    if figures:
        md += ["## Figures", ""]
        for caption, path in figures.items():
            svg = Path(path).with_suffix(".svg").name
            md += [f"![{caption}]({Path(path).name})", "", f"{caption}; also as SVG: `{svg}`", ""]
    else:
        md += ["(plots skipped: --no-plots)", ""]

    esc = html.escape
    page = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:90em;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:right;white-space:nowrap}th:first-child,td:first-child"
        "{text-align:left}table.text td,table.text th{text-align:left;white-space:normal}"
        ".scroll{overflow-x:auto}pre{background:#f4f4f4;padding:.6em;overflow-x:auto}"
        "img{max-width:100%}figcaption{color:#555}</style>", "</head>", "<body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if scenario.description:
        page.append(f"<p>{esc(scenario.description)}</p>")
    page.append(f"<pre>{esc(command)}</pre>")
    page.append("<ul>" + "".join(f"<li>{esc(fact)}</li>" for fact in facts) + "</ul>")
    page.append("<h2>Variants</h2><ul>" + "".join(
        f"<li><b>{esc(name)}</b>: {esc(text)}"
        + (" (baseline)" if name == base and diff is not None else "") + "</li>"
        for name, text in variants) + "</ul>")
    titles = {m: info(m).title for m in comparison.outcomes}
    page += ["<h2>Outcomes</h2>", _html_table(table, titles), f"<p>{esc(note)}</p>"]
    if diff is not None:
        page += [f"<h2>Difference from {esc(base)}</h2>", _html_table(diff, titles),
                 f"<p>{esc(diff_note)}</p>"]
    page += ["<h2>What the outcomes mean</h2>", _html_table(definitions, text_columns=True)]
    if figures:
        page.append("<h2>Figures</h2>")
        for caption, path in figures.items():
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            svg = Path(path).with_suffix(".svg").name
            page.append(f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
                        f'<figcaption>{esc(caption)} (<a href="{esc(svg)}">SVG</a>, '
                        f"{esc(Path(path).name)}: 1920 x 1080)</figcaption></figure>")
    else:
        page.append("<p>(plots skipped: --no-plots)</p>")
    page += ["</body>", "</html>"]

    paths = {"report_md": out / "report.md", "report_html": out / "report.html"}
    _atomic_write(paths["report_md"], "\n".join(md))
    _atomic_write(paths["report_html"], "\n".join(page) + "\n")
    return paths


def _html_table(frame: pd.DataFrame, titles: Mapping[str, str] | None = None,
                text_columns: bool = False) -> str:
    """``frame`` as one header row (the index's name first) and one row per index entry;
    cells never wrap (an interval stays on one line) but text columns do."""
    esc = html.escape
    titles = titles or {}
    head = "".join(f"<th>{esc(str(titles.get(c, c)))}</th>" for c in frame.columns)
    rows = []
    for name, row in frame.iterrows():
        cells = "".join(f"<td>{esc(str(v))}</td>" for v in row)
        rows.append(f"<tr><th>{esc(str(name))}</th>{cells}</tr>")
    cls = ' class="text"' if text_columns else ""
    return (f'<div class="scroll"><table{cls}><thead><tr><th>{esc(frame.index.name or "")}</th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
