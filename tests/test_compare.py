"""``virality compare``: variants side by side with common random numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli import main
from simulator.compare import compare
from simulator.compare.variants import Comparison
from simulator.engine.results import Results
from simulator.plots import plot_comparison_outcomes

# A brand that enters late, at step 10 or at step 20, on a feed that ranks by
# engagement with the follower layer on: the platform runs from step 0 in both
# variants, and the brand's first post (step 10) is the first thing that differs.
# Word spreads fast (p_positive = 0.3, few background items) so the steps before
# the divergence are far from trivial.
LATE = """\
name = "late"
description = "Enter at step 10 or at step 20."

[graph]
kind = "erdos_renyi"
n = 2000
mean_degree = 10

[seeding]
n_seeds = 10

[wom]
p_positive = 0.3
p_negative = 0.3

[feed]
policy = "engagement"
background_items = 20

[followers]
enabled = true

[brand]
strategy = "late"
enter_step = 10

[run]
steps = 25
replicates = 3
seed = 3

[variants.early]
brand.enter_step = 10

[variants.later]
brand.enter_step = 20

[variants.never]
brand.strategy = "ignore"
"""
VARIANTS = ["early", "later", "never"]
ENTER_EARLY = 10
RUN_FILES = {"timeseries.csv", "summary.json", "curves.png"}


def write(tmp_path, text: str, name: str = "late.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """One CLI comparison with --report, shared by the tests that only read its files."""
    tmp = tmp_path_factory.mktemp("compare")
    scenario = write(tmp, LATE)
    out = tmp / "out"
    assert main(["compare", str(scenario), "--out", str(out), "--report", "--quiet"]) == 0
    return scenario, out


def test_cli_writes_every_file(compared, tmp_path):
    scenario, out = compared
    for name in ("comparison.csv", "comparison_curves.png", "comparison_outcomes.png"):
        assert (out / name).stat().st_size > 1000, name
    # Each variant's folder holds exactly what `virality run` writes.
    run_out = tmp_path / "run"
    assert main(["run", str(scenario), "--set", "brand.enter_step=20", "--out", str(run_out),
                 "--quiet"]) == 0
    assert {p.name for p in run_out.iterdir()} == RUN_FILES
    for name in VARIANTS:
        assert {p.name for p in (out / name).iterdir()} == RUN_FILES, name
    # ... and the same numbers: variant 'later' is the base run with enter_step = 20, same seed.
    assert (out / "later" / "timeseries.csv").read_bytes() == (run_out / "timeseries.csv").read_bytes()
    summary = json.loads((out / "later" / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["scenario"] == "late/later"
    assert summary["parameters"]["brand"]["enter_step"] == 20


def test_comparison_csv_one_row_per_variant_with_intervals(compared):
    _, out = compared
    table = pd.read_csv(out / "comparison.csv")
    assert table["variant"].tolist() == VARIANTS
    assert table.columns[0] == "variant"
    metrics = [c for c in table.columns[1:] if not c.endswith(("_low", "_high"))]
    assert {"reach", "positive", "negative", "net_sentiment", "customers"} <= set(metrics)
    # Columns come in triples: <m>, <m>_low, <m>_high.
    assert list(table.columns[1:]) == [f"{m}{s}" for m in metrics for s in ("", "_low", "_high")]
    for m in metrics:
        finite = table[m].notna()
        assert (table.loc[finite, f"{m}_low"] <= table.loc[finite, m] + 1e-12).all(), m
        assert (table.loc[finite, m] <= table.loc[finite, f"{m}_high"] + 1e-12).all(), m
    # The intervals are the ones summary.json gives for the same variant.
    summary = json.loads((out / "early" / "summary.json").read_text())
    row = table.set_index("variant").loc["early"]
    assert row["reach"] == pytest.approx(summary["mean"]["reach"], rel=1e-12)
    assert [row["reach_low"], row["reach_high"]] == pytest.approx(summary["ci95"]["reach"], rel=1e-12)


def test_report_md_links_and_html_embeds(compared):
    _, out = compared
    md = (out / "report.md").read_text()
    assert md.startswith("# Comparison: late")
    assert "Enter at step 10 or at step 20." in md
    assert "virality compare" in md and "--seed 3" in md and "--variants early,later,never" in md
    assert "](comparison_curves.png)" in md and "](comparison_outcomes.png)" in md
    assert "| early |" in md
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "<table" in page and "<th>reach</th>" in page
    for name in VARIANTS:
        assert f"<th>{name}</th>" in page


def test_common_random_numbers_identical_until_the_brand_enters():
    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 10},
        "seeding": {"n_seeds": 10},
        "wom": {"p_positive": 0.3, "p_negative": 0.3},
        "feed": {"policy": "engagement", "background_items": 20},
        # Initial followers give the brand's posts an audience; without any, posts reach
        # nobody, nobody can follow, and only the cost would differ.
        "followers": {"enabled": True, "initial_followers": 0.2},
        "brand": {"strategy": "late"},
        "run": {"steps": 25, "replicates": 3, "seed": 3},
        "variants": {"early": {"brand.enter_step": ENTER_EARLY}, "later": {"brand.enter_step": 20}},
    })
    cmp = compare(sc)
    early, later = (cmp.results[v].timeseries for v in ("early", "later"))
    assert early.shape == later.shape
    before = early["step"] < ENTER_EARLY
    pd.testing.assert_frame_equal(early[before], later[before])
    # Not trivially equal: word of mouth has spread before the brand enters.
    assert early.loc[before, "n_aware"].max() > 500
    # From the brand's entry on the variants differ, in every replicate.
    differs = (early != later).any(axis=1)
    first = early.loc[differs].groupby("replicate")["step"].min()
    assert first.index.tolist() == [0, 1, 2]
    assert (first >= ENTER_EARLY).all() and (first < 20).all()
    # ... in the word of mouth itself, not only in the brand's bookkeeping (posts, cost).
    assert (early["n_positive"] != later["n_positive"]).groupby(early["replicate"]).any().all()
    # The common seed: each variant is exactly the standalone run of its scenario.
    alone = simulator.run(sc.variant("later"), seed=3)
    pd.testing.assert_frame_equal(alone.timeseries, later)


def test_graph_built_once_when_variants_share_it(monkeypatch):
    import simulator.engine.run as engine_run

    built = []
    real = engine_run.build_graph

    def counting(params, *args, **kwargs):
        built.append(params.n)
        return real(params, *args, **kwargs)

    monkeypatch.setattr(engine_run, "build_graph", counting)
    base = {"graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 8},
            "run": {"steps": 10, "replicates": 2}}
    shared = simulator.Scenario.from_dict({**base, "variants": {
        "a": {}, "b": {"wom.p_positive": 0.05}, "c": {"market.p_advertising": 0.01}}})
    cmp = compare(shared, seed=5)
    assert built == [2000] and cmp.graphs_built == 1
    built.clear()
    # A variant that changes [graph] gets its own graph; the others still share one.
    mixed = simulator.Scenario.from_dict({**base, "variants": {
        "a": {}, "small": {"graph.n": 1500}, "b": {"wom.p_positive": 0.05}}})
    cmp = compare(mixed, seed=5)
    assert built == [2000, 1500] and cmp.graphs_built == 2
    assert cmp.results["small"].n == 1500 and cmp.results["b"].n == 2000


def test_progress_counts_variants_times_replicates():
    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 1000, "mean_degree": 8},
        "run": {"steps": 5, "replicates": 3},
        "variants": {"a": {}, "b": {"wom.p_positive": 0.05}},
    })
    calls = []
    compare(sc, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(k, 6) for k in range(1, 7)]


def test_variants_option_picks_and_orders(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", str(write(tmp_path, LATE)), "--variants", "never, early",
                 "--replicates", "2", "--steps", "12", "--out", str(out), "--no-plots"]) == 0
    assert pd.read_csv(out / "comparison.csv")["variant"].tolist() == ["never", "early"]
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "differences.csv", "early",
                                                     "never"]
    assert not (out / "early" / "curves.png").exists()  # --no-plots, as for `virality run`
    assert len(pd.read_csv(out / "early" / "timeseries.csv")) == 2 * 13
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    header = next(line for line in lines if line.startswith("variant "))
    assert header.split()[1:] == ["never", "early"]  # the variants in the order asked
    assert any(line.startswith("reach ") for line in lines)
    assert "95% interval" in printed
    assert max(len(line) for line in lines if not line.startswith("wrote ")) <= 100


def test_set_applies_to_the_base_before_variants(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", str(write(tmp_path, LATE)), "--set", "graph.n=1200",
                 "--set", "brand.enter_step=5", "--variants", "later,never", "--replicates", "1",
                 "--steps", "5", "--out", str(out), "--quiet", "--no-plots"]) == 0
    # Said, not silent: where a variant sets the key itself, --set does not hold.
    assert capsys.readouterr().err.strip() == (
        "virality: note: --set brand.enter_step = 5 holds in never; variant(s) later set "
        "brand.enter_step themselves")
    later = json.loads((out / "later" / "summary.json").read_text())
    never = json.loads((out / "never" / "summary.json").read_text())
    assert later["n"] == never["n"] == 1200
    assert later["parameters"]["brand"]["enter_step"] == 20  # the variant wins over --set
    assert never["parameters"]["brand"]["enter_step"] == 5


@pytest.mark.parametrize(
    "text, args, fragment",
    [
        (LATE, ["--variants", "early,latr"],
         "unknown variant 'latr' (did you mean 'later'?); allowed: early, later, never"),
        (LATE, ["--variants", "early,early"], "variant 'early' is listed twice"),
        (LATE, ["--variants", " , "], "--variants = ' , ' is not allowed"),
        (LATE.split("[variants.early]")[0], [], "declares no [variants.*] tables"),
        (LATE + "[variants.lucky]\nrun.seed = 9\n", [], "variants.lucky sets run.seed"),
        (LATE + "[variants.big]\nseeding.n_seeds = 1500\n",
         ["--set", "graph.n=1000"], "variants.big: seeding.n_seeds = 1500 is out of range"),
        (LATE, ["--replicates", "0"], "--replicates = 0 is out of range"),
        (LATE, ["--set", "wom.p_postive=0.1"], "did you mean 'p_positive'"),
        (LATE, ["--set", "brand.enter_step=5", "--variants", "early,later"],
         "--set brand.enter_step = 5 has no effect: every variant compared (early, later) sets "
         "brand.enter_step"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, text, args, fragment):
    out = tmp_path / "out"
    assert main(["compare", str(write(tmp_path, text)), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # checked before anything runs or is written


def test_bad_input_keeps_earlier_results(tmp_path, capsys):
    scenario = write(tmp_path, LATE)
    out = tmp_path / "out"
    assert main(["compare", str(scenario), "--replicates", "1", "--steps", "5", "--out", str(out),
                 "--quiet", "--no-plots"]) == 0
    before = (out / "comparison.csv").read_bytes()
    assert main(["compare", str(scenario), "--variants", "nope", "--out", str(out)]) == 2
    assert (out / "comparison.csv").read_bytes() == before


def test_out_is_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    assert main(["compare", str(write(tmp_path, LATE)), "--out", str(blocker), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "is a file" in err and len(err.splitlines()) == 1
    assert blocker.read_text() == "keep me"


def _results(finals: pd.DataFrame) -> Results:
    return Results(timeseries=pd.DataFrame(), finals=finals, scenario=None, seed=0, n=1,
                   graph_meta={}, replicate_seeds=[], version="test")


def test_table_handles_missing_and_nan_metrics(tmp_path):
    # 'roi' only in one variant and NaN in all its replicates there; 'cost' partly NaN.
    with_money = pd.DataFrame({"replicate": [0, 1, 2], "reach": [0.2, 0.3, 0.4],
                               "cost": [10.0, np.nan, 30.0], "roi": [np.nan] * 3})
    without = pd.DataFrame({"replicate": [0, 1, 2], "reach": [0.5, 0.5, 0.5]})
    cmp = Comparison(scenario=None, results={"paid": _results(with_money),
                                             "organic": _results(without)},
                     seed=0, replicates=3, steps=1)
    table = cmp.table.set_index("variant")
    assert cmp.outcomes == ["reach", "cost", "roi"]
    assert table.loc["paid", "cost"] == pytest.approx(20.0)  # NaN replicates skipped
    assert math.isnan(table.loc["paid", "roi"]) and math.isnan(table.loc["paid", "roi_low"])
    assert math.isnan(table.loc["organic", "cost"]) and math.isnan(table.loc["organic", "cost_high"])
    assert table.loc["organic", "reach_low"] == table.loc["organic", "reach_high"] == 0.5
    # The bar chart draws what exists and marks NaN as n/a; any warning fails the test.
    path = plot_comparison_outcomes(cmp.table, ["reach", "followers", "cost", "roi"],
                                    tmp_path / "outcomes.png")
    assert path.stat().st_size > 1000 and not (tmp_path / "outcomes.png.tmp").exists()


def test_a_second_comparison_replaces_the_first_only_when_asked(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["compare", str(write(tmp_path, LATE)), "--replicates", "1", "--steps", "5",
            "--out", str(out), "--quiet", "--no-plots"]
    assert main([*args, "--variants", "never,early"]) == 0
    before = (out / "comparison.csv").read_bytes()
    assert main([*args, "--variants", "early"]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert (out / "comparison.csv").read_bytes() == before
    assert main([*args, "--variants", "early", "--overwrite"]) == 0
    # The whole folder is the new comparison: the dropped variant's folder is gone.
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "early"]


def test_variants_record_their_graph_section_not_a_given_graph(tmp_path):
    out = tmp_path / "out"
    assert main(["compare", str(write(tmp_path, LATE)), "--variants", "never", "--replicates", "1",
                 "--steps", "5", "--out", str(out), "--quiet", "--no-plots"]) == 0
    graph = json.loads((out / "never" / "summary.json").read_text())["parameters"]["graph"]
    assert "given" not in graph and graph["kind"]


def test_paired_differences_from_the_baseline(compared, capsys):
    """differences.csv: each variant minus the baseline (the first variant), replicate by
    replicate, with the share of pairs in which the variant is higher."""
    _, out = compared
    diff = pd.read_csv(out / "differences.csv")
    assert diff["variant"].tolist() == ["later", "never"]
    assert set(diff["baseline"]) == {"early"}
    for name in ("later", "never"):
        mine = pd.read_csv(out / name / "timeseries.csv")
        base = pd.read_csv(out / "early" / "timeseries.csv")
        last = mine["step"].max()
        reach = (mine[mine.step == last].set_index("replicate")["cum_reach"]
                 - base[base.step == last].set_index("replicate")["cum_reach"]) / 2000
        row = diff.set_index("variant").loc[name]
        assert row["reach"] == pytest.approx(reach.mean(), abs=1e-12)
        assert row["reach_wins"] == pytest.approx((reach > 0).mean())
        assert row["reach_low"] <= row["reach"] <= row["reach_high"]
    # A brand that never enters spends nothing: every pair says so.
    never = diff.set_index("variant").loc["never"]
    assert never["cost"] < 0 and never["cost_wins"] == 0 and never["cost_high"] < 0


def test_baseline_flag_and_its_one_line_refusal(tmp_path, capsys):
    scenario = write(tmp_path, LATE)
    args = ["compare", str(scenario), "--replicates", "2", "--steps", "12", "--no-plots"]
    out = tmp_path / "a"
    assert main([*args, "--out", str(out), "--baseline", "never"]) == 0
    printed = capsys.readouterr().out
    assert "difference from never:" in printed
    assert max(len(line) for line in printed.splitlines() if not line.startswith("wrote")) <= 100
    diff = pd.read_csv(out / "differences.csv")
    assert diff["variant"].tolist() == ["early", "later"] and set(diff["baseline"]) == {"never"}
    assert main([*args, "--out", str(tmp_path / "b"), "--baseline", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--baseline = 'nope'" in err[0] and "early, later, never" in err[0]
    assert not (tmp_path / "b").exists()


def test_report_is_deck_ready(compared):
    """Slide-size figures in PNG and SVG, units and definitions, paired differences,
    intervals that cannot wrap, no stray header row, ROI written over the profit bars."""
    from PIL import Image

    _, out = compared
    for name in ("comparison_curves", "comparison_outcomes"):
        assert Image.open(out / f"{name}.png").size == (1920, 1080)
        assert (out / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    page = (out / "report.html").read_text()
    assert "<h2>Difference from early</h2>" in page and "higher in" in page
    assert "What the outcomes mean" in page and "share of people" in page
    assert "white-space:nowrap" in page
    assert page.count("<thead>") == 3 and "<th></th><th>reach" not in page
    md = (out / "report.md").read_text()
    assert "## Difference from early" in md and "(baseline)" in md


def test_events_mark_the_outage_and_each_variant_s_entry():
    from simulator.compare.outcomes import events

    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 500, "mean_degree": 8},
        "market": {"p_purchase": 0.2}, "crisis": {"step": 6},
        "brand": {"strategy": "late", "enter_step": 3},
        "run": {"steps": 12, "replicates": 2},
        "variants": {"soon": {}, "later": {"brand.enter_step": 9}, "never": {
            "brand.strategy": "ignore"}},
    })
    marks = events(compare(sc, seed=1))
    assert ("outage", 6) in [(e.label, e.step) for e in marks if e.variant is None]
    entries = {e.variant: e.step for e in marks if e.label.startswith("brand enters")}
    assert entries == {"soon": 3, "later": 9}


def test_number_formats_for_a_deck():
    from simulator.compare.outcomes import format_interval

    assert format_interval(120772.4, 112722.0, 128822.0) == "120,772 (112,722 to 128,822)"
    assert format_interval(-0.0001, -0.0002, 0.0001, signed=True) == "0.000 (0.000 to 0.000)"
    assert format_interval(0.02, 0.001, 0.04, signed=True) == "+0.020 (+0.001 to +0.040)"
