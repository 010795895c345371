"""A hostile user's corpus: every case runs the public command (or API call) in a fresh
folder and is classified by how it ends.

    python experiments/hostile_input.py            # all cases, two at a time
    python experiments/hostile_input.py --family memory --jobs 1

Each case says what should happen: ``refuse`` (exit 2 and one line on stderr that holds
the given fragment; no traceback, earlier files untouched) or ``work`` (exit 0). A case
ends as one of

    refused   exit 2, one line, fragment present
    works     exit 0
    traceback a Python traceback on stderr
    hang      still running after the case's time limit (killed)
    killed    ended by a signal (for example the kernel's out-of-memory killer)
    other     any other exit code, or a refusal of more than one line / without the fragment

and passes when its ending is the one it expected. Results go to
``results/hostile_input.{json,md}``, with the count of cases and the endings per family.
The tests hold the same cases one by one (``tests/test_cli.py``, ``tests/test_scenario.py``,
``tests/test_sweep.py`` ...); this corpus is the hostile pass run end to end through the
installed command, the way a user meets it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
VIRALITY = [sys.executable, "-m", "simulator"]   # the `virality` command

# A small scenario every case starts from (about a second to run once compiled).
SMALL = """name = "small"
[graph]
kind = "erdos_renyi"
n = 2000
mean_degree = 10
[wom]
p_positive = 0.05
[run]
steps = 20
replicates = 2
seed = 1
"""

SMALL_EXPERIMENT = """name = "exp"
scenario = "small.toml"
seed = 3
replicates = 2
[fixed]
run.steps = 10
[design]
kind = "grid"
[parameters]
wom.p_positive = [0.02, 0.05, 0.1]
"""

PLAIN = ["--quiet", "--no-plots"]


@dataclass
class Case:
    family: str
    label: str
    argv: list[str]                       # after `virality`; "{d}" is the case's folder
    expect: str = "refuse"                # "refuse" or "work"
    fragment: str = ""                    # must appear in the refusal line
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], object] | None = None   # runs before; its result is kept alive
    timeout: float = 120.0
    python: str | None = None             # run this Python code instead of the command
    check: Callable[[Path], str] | None = None      # after a run that works: "" or what is wrong


def scenario_with(extra: str, base: str = SMALL) -> dict[str, str]:
    return {"s.toml": base + extra}


def replace_in_small(old: str, new: str) -> dict[str, str]:
    assert old in SMALL
    return {"s.toml": SMALL.replace(old, new)}


# --- setups -------------------------------------------------------------------------------

def run_once(d: Path, *extra: str) -> None:
    subprocess.run(VIRALITY + ["run", str(d / "s.toml"), "--out", str(d / "out"), *PLAIN, *extra],
                   cwd=d, check=True, capture_output=True)


def hold_sweep_lock(d: Path) -> subprocess.Popen:
    """Another process owning the sweep folder ``d/out`` (as a running sweep would)."""
    code = ("import sys, time; from filelock import FileLock; "
            f"l = FileLock({str(d / '.out.lock')!r}); l.acquire(); print('held', flush=True); "
            "time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc


def interrupted_sweep(d: Path, experiment: str = "e.toml") -> None:
    """A sweep that ran and then lost its metadata (as if killed before it wrote it)."""
    subprocess.run(VIRALITY + ["sweep", str(d / experiment), "--workers", "1", "--out",
                               str(d / "out"), "--quiet", "--chunk", "1"],
                   cwd=d, check=True, capture_output=True)


def other_experiment_in_folder(d: Path) -> None:
    (d / "other.toml").write_text(SMALL_EXPERIMENT.replace('name = "exp"', 'name = "other"')
                                  .replace("[0.02, 0.05, 0.1]", "[0.3, 0.4, 0.5]"))
    interrupted_sweep(d, "other.toml")
    (d / "out" / "metadata.json").unlink()
    (d / "out" / "results.parquet").unlink()


def damage_a_part(d: Path, truncate: bool) -> None:
    interrupted_sweep(d)
    (d / "out" / "results.parquet").unlink()
    meta = json.loads((d / "out" / "metadata.json").read_text())
    meta["status"] = "running"
    (d / "out" / "metadata.json").write_text(json.dumps(meta))
    part = sorted((d / "out" / "parts").glob("part-*.parquet"))[0]
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2] if truncate else bytes(b ^ 0x5A for b in data))


def changed_edge_list(d: Path) -> None:
    (d / "g.txt").write_text("".join(f"{i} {(i + 1) % 300}\n" for i in range(300)))
    interrupted_sweep(d)
    (d / "out" / "results.parquet").unlink()
    meta = json.loads((d / "out" / "metadata.json").read_text())
    meta["status"] = "running"
    (d / "out" / "metadata.json").write_text(json.dumps(meta))
    (d / "g.txt").write_text("".join(f"{i} {(i + 2) % 300}\n" for i in range(300)))


def one_folder_under_results(d: Path) -> str:
    """A run without --out writes one folder under ./results and nothing elsewhere."""
    made = sorted(p.name for p in (d / "results").iterdir()) if (d / "results").is_dir() else []
    outside = [p.name for p in d.iterdir() if p.name not in ("s.toml", "results")]
    if len(made) != 1 or outside or Path("/tmp/x").exists():
        return f"wrote {made} under results/ and {outside} beside it"
    return ""


def busy_port(d: Path) -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    (d / "port").write_text(str(sock.getsockname()[1]))
    return sock


EDGE_SMALL = SMALL.replace('kind = "erdos_renyi"\nn = 2000\nmean_degree = 10',
                           'kind = "edgelist"\npath = "g.txt"')


def api(code: str) -> str:
    """Python code run as a user would: a ConfigError is the one-line refusal."""
    return ("import sys, simulator\nfrom simulator.errors import ConfigError\n"
            "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) +
            "except ConfigError as e:\n    print(e, file=sys.stderr); sys.exit(2)\n")


S = ["{d}/s.toml"]


def cases() -> list[Case]:
    c: list[Case] = []
    add = c.append

    # --- the scenario file itself --------------------------------------------------------
    f = "file"
    add(Case(f, "empty file", ["run", *S], fragment="has no section", files={"s.toml": ""}))
    add(Case(f, "only comments", ["run", *S], fragment="has no section",
             files={"s.toml": "# nothing\n\n"}))
    add(Case(f, "only a name", ["run", *S], fragment="has no section",
             files={"s.toml": 'name = "x"\n'}))
    add(Case(f, "UTF-8 byte-order mark", ["run", *S, *PLAIN, "--out", "{d}/o"], "work",
             files={"s.toml": "\ufeff" + SMALL}))
    add(Case(f, "UTF-16 file", ["run", *S], fragment="s.toml",
             files={"s.toml": SMALL.encode("utf-16")}))
    add(Case(f, "invalid TOML", ["run", *S], fragment="is not valid TOML",
             files={"s.toml": "[wom\np = 1\n"}))
    add(Case(f, "binary garbage", ["run", *S], fragment="s.toml",
             files={"s.toml": bytes(range(256)) * 4}))
    add(Case(f, "NUL byte inside", ["run", *S], fragment="s.toml",
             files={"s.toml": SMALL + "\x00\n"}))
    add(Case(f, "missing file", ["run", "{d}/nope.toml"], fragment="not found"))
    add(Case(f, "a directory", ["run", "{d}"], fragment="is not a regular file"))
    add(Case(f, "/dev/zero", ["run", "/dev/zero"], fragment="/dev/zero"))
    add(Case(f, "/proc/self/mem", ["run", "/proc/self/mem"], fragment="/proc/self/mem"))
    add(Case(f, "a CSV as scenario", ["run", "{d}/x.csv"], fragment="x.csv",
             files={"x.csv": "a,b\n1,2\n"}))
    add(Case(f, "arrays nested 5000 deep", ["run", *S], fragment="too deeply",
             files={"s.toml": "[graph]\nn = " + "[" * 5000 + "]" * 5000 + "\n"}))
    add(Case(f, "inline tables nested 5000 deep", ["run", *S], fragment="too deeply",
             files={"s.toml": "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"}))
    add(Case(f, "10 MB of comments", ["run", *S, *PLAIN, "--out", "{d}/o"], "work",
             files={"s.toml": "# " + "x" * 78 + "\n" * 1 + ("#" * 79 + "\n") * 130_000 + SMALL}))
    add(Case(f, "validate: good file", ["validate", *S], "work", files={"s.toml": SMALL}))
    add(Case(f, "validate: bad file", ["validate", *S], fragment="wom.p_positive",
             files=replace_in_small("p_positive = 0.05", "p_positive = 2")))

    # --- keys and values -----------------------------------------------------------------
    k = "values"
    bad_values = [
        ("unknown section", "[womm]\np_positive = 0.1\n", "did you mean 'wom'"),
        ("unknown key", "[market]\np_purchse = 0.1\n", "did you mean 'p_purchase'"),
        ("probability above 1", "[market]\np_purchase = 1.5\n", "market.p_purchase = 1.5"),
        ("negative probability", "[market]\np_purchase = -0.1\n", "market.p_purchase = -0.1"),
        ("NaN", "[market]\np_purchase = nan\n", "market.p_purchase = nan"),
        ("infinity", "[market]\nsatisfaction = inf\n", "market.satisfaction = inf"),
        ("text for a number", "[market]\np_purchase = 'a lot'\n", "expected a number"),
        ("boolean for a number", "[market]\np_purchase = true\n", "market.p_purchase = True"),
        ("list for a number", "[market]\np_purchase = [0.1]\n", "market.p_purchase"),
        ("table for a number", "[market]\np_purchase = {a = 1}\n", "market.p_purchase"),
        ("fraction for an integer", "[seeding]\nn_seeds = 2.5\n", "seeding.n_seeds = 2.5"),
        ("crisis before the first step", "[crisis]\nstep = -2\n", "crisis.step = -2"),
        ("more seeds than people", "[seeding]\nn_seeds = 5000\n", "seeding.n_seeds = 5000"),
        ("unknown seeding method", "[seeding]\nmethod = 'influencer'\n", "did you mean 'influencers'"),
        ("unknown crisis response", "[crisis]\nresponse = 'panic'\n", "crisis.response = 'panic'"),
        ("unknown feed policy", "[feed]\npolicy = 'best'\n", "feed.policy = 'best'"),
        ("section as a value", "market = 3\n", "market"),
        ("name not text", "name = 5\n", "name = 5"),
        ("unknown top-level key", "label = 5\n", "label"),
        ("variants an empty list", "variants = []\n", "variants = []"),
        ("description a list", "description = [1]\n", "description"),
        ("variants a number", "variants = 5\n", "variants = 5 is not allowed"),
        ("variants a string", "variants = 'late'\n", "variants = 'late' is not allowed"),
        ("variants a list", "variants = [1, 2]\n", "variants = [1, 2] is not allowed"),
        ("a variant a number", "[variants]\nlate = 5\n", "variants.late"),
        ("a variant's unknown key", "[variants.late]\nwom.p_postive = 0.2\n", "variants.late"),
    ]
    for label, text, frag in bad_values:
        # top-level keys go before the first section, sections after the last one
        if text.startswith("["):
            files = scenario_with("\n" + text)
        else:   # a top-level key goes before the first section, in place of the name
            files = {"s.toml": text + SMALL.replace('name = "small"\n', "")}
        add(Case(k, label, ["validate", *S], fragment=frag, files=files))
    graph_values = [
        ("zero people", "n = 2000", "n = 0", "graph.n = 0"),
        ("one person", "n = 2000", "n = 1", "graph.n = 1"),
        ("negative people", "n = 2000", "n = -5", "graph.n = -5"),
        ("a trillion people", "n = 2000", "n = 1_000_000_000_000", "graph.n"),
        ("negative degree", "mean_degree = 10", "mean_degree = -3", "graph.mean_degree = -3"),
        ("degree above n", "mean_degree = 10", "mean_degree = 5000", "graph.mean_degree"),
        ("unknown graph kind", 'kind = "erdos_renyi"', 'kind = "facebook"', "graph.kind = 'facebook'"),
        ("edge list without a path", 'kind = "erdos_renyi"\nn = 2000\nmean_degree = 10',
         'kind = "edgelist"', "graph.path"),
        ("edge list not found", 'kind = "erdos_renyi"\nn = 2000\nmean_degree = 10',
         'kind = "edgelist"\npath = "missing.txt"', "missing.txt"),
        ("steps beyond the bound", "steps = 20", "steps = 100_000_000", "run.steps = 100000000"),
        ("negative seed", "seed = 1", "seed = -1", "run.seed = -1"),
        ("seed beyond int64", "seed = 1", "seed = 18446744073709551616", "run.seed"),
    ]
    for label, old, new, frag in graph_values:
        add(Case(k, label, ["run", *S, *PLAIN, "--out", "{d}/o"], fragment=frag,
                 files=replace_in_small(old, new)))
    add(Case(k, "malformed edge list line", ["run", *S, *PLAIN, "--out", "{d}/o"],
             fragment="g.txt", files={"s.toml": EDGE_SMALL,
                                     "g.txt": "".join(f"{i} {i + 1}\n" for i in range(20))
                                     + "7\n"}))
    add(Case(k, "edge-list labels beyond int64", ["run", *S, *PLAIN, "--out", "{d}/o"], "work",
             files={"s.toml": EDGE_SMALL,
                    "g.txt": "".join(f"{10**30 + i} {10**30 + (i + 1) % 50}\n" for i in range(50))}))
    add(Case(k, "empty edge list", ["run", *S, *PLAIN, "--out", "{d}/o"], fragment="g.txt",
             files={"s.toml": EDGE_SMALL, "g.txt": ""}))
    add(Case(k, "small power-law graph", ["run", *S, *PLAIN, "--out", "{d}/o"], "work",
             files=replace_in_small('kind = "erdos_renyi"\nn = 2000\nmean_degree = 10',
                                    'kind = "configuration"\ndistribution = "powerlaw"\nn = 100')))
    add(Case(k, "power law exponent 1", ["run", *S, *PLAIN, "--out", "{d}/o"], fragment="graph.",
             files=replace_in_small('kind = "erdos_renyi"\nn = 2000\nmean_degree = 10',
                                    'kind = "configuration"\ndistribution = "powerlaw"\nn = 2000\n'
                                    'exponent = 1.0')))

    # --- time units, threshold contagion, graph files ---------------------------------------
    u = "units, contagion, files"
    for label, text, frag in [
        ("rate per fortnight", "[market]\np_advertising = '0.03 per fortnight'\n",
         "units: hour, day, week, month, year"),
        ("negative rate", "[market]\np_purchase = '-1 per day'\n", "a rate >= 0"),
        ("rate on a key that is not a rate", "[market]\nsatisfaction = '0.5 per day'\n",
         "rates with a unit are allowed for"),
        ("duration shorter than a step", "[run]\nstep = 'week'\n", "shorter than one step"),
        ("a word for a number of steps", "[crisis]\nstep = 3\n[feed]\nmax_age = 'a week'\n", "feed.max_age"),
        ("fraction threshold above 1", "[seeding]\nn_seeds = 1\n[brand]\n", ""),
    ]:
        if label == "duration shorter than a step":
            files = replace_in_small("steps = 20", 'step = "week"\nsteps = "3 days"')
        elif label == "fraction threshold above 1":
            files = replace_in_small("p_positive = 0.05",
                                     'p_positive = 0.05\ncontagion = "threshold"\nthreshold = 1.5')
            frag = "for threshold_kind = 'fraction'"
        else:
            files = scenario_with("\n" + text)
        add(Case(u, label, ["validate", *S], fragment=frag, files=files))
    add(Case(u, "a year of weekly steps", ["run", *S, *PLAIN, "--out", "{d}/o"],
             "work", files=replace_in_small("steps = 20", 'step = "week"\nsteps = "1 year"')))
    add(Case(u, "threshold contagion, normal thresholds", ["run", *S, *PLAIN, "--out", "{d}/o"],
             "work", files=replace_in_small("p_positive = 0.05", 'p_positive = 0.5\n'
                                            'contagion = "threshold"\nthreshold = 0.1\n'
                                            'threshold_distribution = "normal"\n'
                                            'threshold_spread = 0.3')))
    csv_small = SMALL.replace('kind = "erdos_renyi"\nn = 2000\nmean_degree = 10',
                              'kind = "edgelist"\npath = "g.csv"')
    add(Case(u, "CSV with a Gephi header", ["run", *S, *PLAIN, "--out", "{d}/o"], "work",
             files={"s.toml": csv_small, "g.csv": "Source,Target,Weight\n" + "".join(
                 f"a{i},a{(i + 1) % 50},1.0\n" for i in range(50))}))
    add(Case(u, "CSV with only its header", ["run", *S, *PLAIN, "--out", "{d}/o"],
             fragment="no edges found", files={"s.toml": csv_small, "g.csv": "source,target\n"}))
    add(Case(u, "broken GraphML", ["run", *S, *PLAIN, "--out", "{d}/o"],
             fragment="not a readable graphml file",
             files={"s.toml": csv_small.replace("g.csv", "g.graphml"),
                    "g.graphml": "<graphml><graph"}))
    add(Case(u, "unknown graph format", ["validate", *S], fragment="graph.format = 'xls'",
             files={"s.toml": csv_small.replace('path = "g.csv"', 'path = "g.csv"\nformat = "xls"'),
                    "g.csv": "a,b\n"}))

    # --- the command line ----------------------------------------------------------------
    cl = "command line"
    base = ["run", *S, *PLAIN, "--out", "{d}/o"]
    cli_cases = [
        ("--seed -1", ["--seed", "-1"], "--seed = -1"),
        ("--seed 2**70", ["--seed", str(2**70)], "--seed ="),
        ("--seed abc", ["--seed", "abc"], "--seed"),
        ("--seed 1.5", ["--seed", "1.5"], "--seed"),
        ("--replicates 0", ["--replicates", "0"], "--replicates = 0"),
        ("--replicates 1e9", ["--replicates", "1000000000"], "--replicates"),
        ("--steps 10**9", ["--steps", "1000000000"], "--steps"),
        ("--set without '='", ["--set", "wom.p_positive"], "--set"),
        ("--set a section", ["--set", "wom=1"], "wom"),
        ("--set text for a number", ["--set", "wom.p_positive=abc"], "wom.p_positive"),
        ("--set unknown key", ["--set", "nosuch.key=1"], "nosuch"),
        ("--set out of range", ["--set", "wom.p_positive=7"], "wom.p_positive = 7"),
        ("unknown flag", ["--fast"], "--fast"),
    ]
    for label, extra, frag in cli_cases:
        add(Case(cl, label, base + extra, fragment=frag, files={"s.toml": SMALL}))
    add(Case(cl, "--set a good value", base + ["--set", "wom.p_positive=0.2"], "work",
             files={"s.toml": SMALL}))
    add(Case(cl, "no scenario", ["run"], fragment="scenario"))
    add(Case(cl, "unknown command", ["runn"], fragment="runn"))
    add(Case(cl, "--out is a file", ["run", *S, *PLAIN, "--out", "{d}/s.toml"], fragment="s.toml",
             files={"s.toml": SMALL}))
    add(Case(cl, "--out under /proc", ["run", *S, *PLAIN, "--out", "/proc/x"], fragment="/proc",
             files={"s.toml": SMALL}))
    add(Case(cl, "compare: unknown variant", ["compare", *S, *PLAIN, "--out", "{d}/o",
                                              "--variants", "nosuch"], fragment="nosuch",
             files=scenario_with("\n[variants.a]\nwom.p_positive = 0.1\n")))
    add(Case(cl, "compare: empty --variants", ["compare", *S, *PLAIN, "--out", "{d}/o",
                                               "--variants", ""], fragment="--variants",
             files=scenario_with("\n[variants.a]\nwom.p_positive = 0.1\n")))
    add(Case(cl, "animate: zero frames", ["animate", *S, "--out", "{d}/a.gif", "--fps", "0"],
             fragment="--fps", files={"s.toml": SMALL}))

    # --- names and earlier results -------------------------------------------------------
    o = "outputs"
    for label, name in [("name '../../x'", "../../x"), ("absolute name", "/tmp/x"),
                        ("name of 300 characters", "n" * 300), ("name with a NUL", "a\\u0000b"),
                        ("name '.'", ".")]:
        add(Case(o, label, ["run", *S, *PLAIN], "work",
                 files={"s.toml": SMALL.replace('name = "small"', f'name = "{name}"')},
                 check=one_folder_under_results))
    add(Case(o, "second run into a folder of results", ["run", *S, *PLAIN, "--out", "{d}/out"],
             fragment="--overwrite", files={"s.toml": SMALL}, setup=run_once))
    add(Case(o, "second run with --overwrite", ["run", *S, *PLAIN, "--out", "{d}/out",
                                                "--overwrite"], "work",
             files={"s.toml": SMALL}, setup=run_once))
    add(Case(o, "--overwrite on a folder of other files", ["run", *S, *PLAIN, "--out", "{d}",
                                                         "--overwrite"], fragment="s.toml",
             files={"s.toml": SMALL}))
    add(Case(o, "compare into a folder of results", ["compare", *S, *PLAIN, "--out", "{d}/out"],
             fragment="--overwrite", files=scenario_with("\n[variants.a]\nwom.p_positive = 0.1\n"),
             setup=run_once))

    # --- memory and size -----------------------------------------------------------------
    m = "memory"
    add(Case(m, "10^6 replicates x 10^5 steps", ["validate", *S], fragment="run.",
             files=replace_in_small("steps = 20\nreplicates = 2",
                                    "steps = 100_000\nreplicates = 1_000_000")))
    add(Case(m, "same, on the command line", ["run", *S, *PLAIN, "--out", "{d}/o", "--steps",
                                              "100000", "--replicates", "1000000"],
             fragment="run.", files={"s.toml": SMALL}))
    add(Case(m, "a billion sponsored impressions a day", ["validate", *S],
             fragment="paid.sponsored_per_step",
             files=scenario_with("\n[paid]\nsponsored_per_step = 1_000_000_000\n")))
    add(Case(m, "10^9 people", ["validate", *S], fragment="graph.",
             files=replace_in_small("n = 2000", "n = 1_000_000_000")))
    add(Case(m, "10^8 people x degree 1000", ["validate", *S], fragment="graph.",
             files=replace_in_small("n = 2000\nmean_degree = 10",
                                    "n = 100_000_000\nmean_degree = 1000")))
    add(Case(m, "grid of num = 10^8", ["sweep", "{d}/e.toml", "--out", "{d}/out", "--quiet"],
             fragment="num", files={"small.toml": SMALL, "e.toml": SMALL_EXPERIMENT.replace(
                 "[0.02, 0.05, 0.1]", "{ start = 0, stop = 1, num = 100_000_000 }")}, timeout=60))
    add(Case(m, "10^12 sampled points", ["sweep", "{d}/e.toml", "--out", "{d}/out", "--quiet"],
             fragment="design", files={"small.toml": SMALL, "e.toml": SMALL_EXPERIMENT.replace(
                 'kind = "grid"', 'kind = "lhs"\nsamples = 1_000_000_000_000').replace(
                 "[0.02, 0.05, 0.1]", "{ low = 0, high = 1 }")}, timeout=60))

    # --- sweeps --------------------------------------------------------------------------
    w = "sweeps"
    exp_files = {"small.toml": SMALL, "e.toml": SMALL_EXPERIMENT}
    sweep = ["sweep", "{d}/e.toml", "--out", "{d}/out", "--quiet", "--workers", "1"]
    add(Case(w, "a good sweep", sweep, "work", files=exp_files))
    add(Case(w, "a good sweep on a local cluster", ["sweep", "{d}/e.toml", "--out", "{d}/out",
                                                    "--quiet", "--workers", "2"], "work",
             files=exp_files))
    add(Case(w, "second process while one owns the folder", sweep, fragment="another",
             files=exp_files, setup=hold_sweep_lock))
    add(Case(w, "resume with the lock held", sweep + ["--resume"], fragment="another",
             files=exp_files, setup=hold_sweep_lock))
    add(Case(w, "resume into another experiment's parts", sweep + ["--resume"],
             fragment="out", files=exp_files, setup=other_experiment_in_folder))
    add(Case(w, "resume over a truncated part", sweep + ["--resume"], "work", files=exp_files,
             setup=lambda d: damage_a_part(d, truncate=True)))
    add(Case(w, "resume over a same-size corrupt part", sweep + ["--resume"], "work",
             files=exp_files, setup=lambda d: damage_a_part(d, truncate=False)))
    add(Case(w, "resume after the edge list changed", sweep + ["--resume"], fragment="out",
             files={"small.toml": EDGE_SMALL, "e.toml": SMALL_EXPERIMENT}, setup=changed_edge_list))
    add(Case(w, "sweep again into a finished folder", sweep, fragment="out", files=exp_files,
             setup=interrupted_sweep))
    add(Case(w, "--scheduler 'not a url'", ["sweep", "{d}/e.toml", "--out", "{d}/out", "--quiet",
                                            "--scheduler", "not a url"], fragment="--scheduler",
             files=exp_files))
    add(Case(w, "--scheduler with nobody listening", ["sweep", "{d}/e.toml", "--out", "{d}/out",
                                                      "--quiet", "--scheduler",
                                                      "tcp://127.0.0.1:9"], fragment="scheduler",
             files=exp_files, timeout=90))
    add(Case(w, "--workers 0", sweep[:-2] + ["--workers", "0"], fragment="--workers",
             files=exp_files))
    add(Case(w, "--chunk 0", sweep + ["--chunk", "0"], fragment="--chunk", files=exp_files))
    bad_exps = [
        ("experiment without a scenario", ('scenario = "small.toml"\n', ""), "scenario"),
        ("scenario not found", ('"small.toml"', '"nope.toml"'), "nope.toml"),
        ("unknown parameter", ("wom.p_positive = [", "wom.p_postive = ["), "wom.p_postive"),
        ("empty value list", ("[0.02, 0.05, 0.1]", "[]"), "wom.p_positive"),
        ("value out of range", ("[0.02, 0.05, 0.1]", "[0.5, 2.0]"), "wom.p_positive"),
        ("zero replicates", ("replicates = 2", "replicates = 0"), "replicates = 0"),
        ("unknown design", ('kind = "grid"', 'kind = "gird"'), "design.kind = 'gird'"),
        ("unknown metric", ("seed = 3", 'seed = 3\nmetrics = ["reech"]'), "reech"),
    ]
    for label, (old, new), frag in bad_exps:
        assert old in SMALL_EXPERIMENT, label
        add(Case(w, label, sweep, fragment=frag,
                 files={"small.toml": SMALL, "e.toml": SMALL_EXPERIMENT.replace(old, new)}))

    # --- the classroom page --------------------------------------------------------------
    v = "page"
    add(Case(v, "port in use", ["viz", "--port", "PORT"], fragment="port",
             setup=busy_port, timeout=60))
    add(Case(v, "port 99999", ["viz", "--port", "99999"], fragment="port"))

    # --- the Python API ------------------------------------------------------------------
    a = "python API"
    path = str(ROOT / "scenarios" / "quickstart.toml")
    small = ("sc = simulator.Scenario.from_dict({'graph': {'kind': 'erdos_renyi', 'n': 500, "
             "'mean_degree': 8}, 'run': {'steps': 5, 'replicates': 1}})")
    for label, call, expect, frag in [
        ("run(seed=1.7)", "simulator.run(sc, seed=1.7)", "refuse", "run.seed = 1.7"),
        ("run(replicates=2.9)", "simulator.run(sc, replicates=2.9)", "refuse", "run.replicates"),
        ("run(seed=2**70)", "simulator.run(sc, seed=2**70)", "refuse", "run.seed"),
        ("run(steps=True)", "simulator.run(sc, steps=True)", "refuse", "run.steps = True"),
        ("run(a path)", f"simulator.run({path!r}, replicates=1, steps=2)", "work", ""),
        ("run(a dict)", "simulator.run({'graph': {'kind': 'erdos_renyi', 'n': 300, "
         "'mean_degree': 5}}, replicates=1, steps=2)", "work", ""),
        ("run(5)", "simulator.run(5)", "refuse", "scenario = int"),
        ("from_dict with a bad key", "simulator.Scenario.from_dict({'wom': {'p': 1}})", "refuse",
         "wom.p"),
        ("ViralityModel with a bad value", "from simulator.mesa_model import ViralityModel\n"
         "ViralityModel(n=-1)", "refuse", "n"),
    ]:
        add(Case(a, label, [], expect, frag, python=api(small + "\n" + call)))
    return c


# --- running and judging ------------------------------------------------------------------

def limit_memory() -> None:
    # A guard for the machine, well above what a sound case needs: a case that slips past
    # the project's own memory checks ends as "killed" instead of taking the machine.
    gib = 12 << 30
    resource.setrlimit(resource.RLIMIT_AS, (gib, gib))


def judge(case: Case, rc: int | None, err: str) -> str:
    if rc is None:
        return "hang"
    if "Traceback (most recent call last)" in err:
        return "traceback"
    if rc < 0:
        return "killed"
    if rc == 0:
        return "works"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if rc == 2 and len(lines) == 1 and case.fragment in lines[0]:
        return "refused"
    return "other"


def run_case(case: Case) -> dict:
    d = Path(tempfile.mkdtemp(prefix="hostile-"))
    keep = None
    try:
        for name, text in case.files.items():
            (d / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        if case.setup:
            keep = case.setup(d)
        if case.python:
            argv = [sys.executable, "-c", case.python]
        else:
            port = (d / "port").read_text() if (d / "port").exists() else ""
            argv = VIRALITY + [a.replace("{d}", str(d)).replace("PORT", port) for a in case.argv]
        before = {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.is_file()}
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, errors="replace", preexec_fn=limit_memory,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=case.timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            _, err = proc.communicate()
            rc = None
        seconds = time.perf_counter() - t0
        ending = judge(case, rc, err)
        touched = [str(p.relative_to(d)) for p, t in before.items()
                   if not p.exists() or p.stat().st_mtime_ns != t]
        if ending == "refused" and touched:
            ending = "other"   # a refusal must leave earlier files as they were
        problem = case.check(d) if case.check and ending == "works" else ""
        if problem:
            ending, err = "other", problem
        expected = "refused" if case.expect == "refuse" else "works"
        last = [ln for ln in err.splitlines() if ln.strip()]
        return {"family": case.family, "case": case.label, "expect": case.expect,
                "ending": ending, "passed": ending == expected, "exit": rc,
                "seconds": round(seconds, 2), "stderr": last[-1][:300] if last else "",
                "touched": touched}
    finally:
        if hasattr(keep, "kill"):
            keep.kill()
        elif hasattr(keep, "close"):
            keep.close()
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", help="only this family")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    todo = [c for c in cases() if args.family in (None, c.family)]
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run_case, todo))
    by_family: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        by_family[r["family"]][r["ending"]] += 1
    lines = ["# Hostile input: how each case ends", "",
             "`python experiments/hostile_input.py` (each case through `python -m simulator`, "
             "in a fresh folder).", "",
             "| family | cases | passed | endings |", "|---|---:|---:|---|"]
    for fam, counts in by_family.items():
        n = sum(counts.values())
        passed = sum(r["passed"] for r in rows if r["family"] == fam)
        endings = ", ".join(f"{k} {v}" for k, v in counts.most_common())
        lines.append(f"| {fam} | {n} | {passed} | {endings} |")
    total = len(rows)
    lines += [f"| **all** | **{total}** | **{sum(r['passed'] for r in rows)}** | |", "",
              "| family | case | expected | ending | exit | last line on stderr |",
              "|---|---|---|---|---:|---|"]
    for r in rows:
        msg = r["stderr"].replace("|", "\\|")
        mark = "" if r["passed"] else " **(!)**"
        lines.append(f"| {r['family']} | {r['case']} | {r['expect']} | {r['ending']}{mark} | "
                     f"{r['exit']} | {msg} |")
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if args.family is None else f".{args.family.replace(' ', '_')}"
    (RESULTS / f"hostile_input{suffix}.json").write_text(json.dumps(rows, indent=1))
    (RESULTS / f"hostile_input{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:6 + len(by_family) + 1]))
    failed = [r for r in rows if not r["passed"]]
    for r in failed:
        print(f"FAILED {r['family']} / {r['case']}: {r['ending']} (exit {r['exit']}) {r['stderr']}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
