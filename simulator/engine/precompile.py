"""Compile a run's simulation kernels in a second process while this one builds the graph.

A first run (numba's cache empty) spends most of its time compiling: first the graph
generator's kernels, then the simulation's (word of mouth, the feed, the crisis). The two
sets hardly overlap, and compiling holds one core. So, on a machine with a second core,
:func:`compile_beside` starts a helper process that runs the same scenario in miniature:
a small Erdős–Rényi graph, one replicate, the same layers and steps. The kernels it
compiles go to numba's on-disk cache; when this process reaches them (after its own graph
is built) it waits for the helper and loads them from the cache instead of compiling them
a second time.

A sweep's workers would each compile everything side by side on cores they share, so a
local sweep first calls :func:`compile_once`: the helper compiles the simulation's kernels
while the sweep's own process builds the scenario's graph kind in miniature (the graph
generator's kernels); the workers then load both from the cache.

The helper changes no result: it writes nothing but the cache, and a run that does not
wait for it (or whose helper fails) compiles what it needs itself. It is skipped when
there is nothing to gain: a warm cache, a cache that cannot be written, a single core, a
graph given by the caller, or ``VIRALITY_PRECOMPILE=0``. The helper is a plain
``python -m simulator.engine.precompile`` child reading its scenarios from stdin (not
:mod:`multiprocessing`, which would re-import a user's script that lacks a main guard).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from simulator.machine import usable_cores

#: The helper's graph: small enough to build in milliseconds, with the same array types.
MINIATURE = {"kind": "erdos_renyi", "n": 2_000, "mean_degree": 10}
#: Most steps the helper runs: enough to reach the phases a scenario starts late (a crisis,
#: a late entry, a campaign), few enough that a run of a million steps does not wait for it.
MAX_STEPS = 1_000
#: Longest wait for the helper (seconds); past it the run compiles for itself.
WAIT_SECONDS = 300.0


def _index_path(dispatcher: Any) -> str | None:
    """Where numba keeps the cache index of ``dispatcher`` (an ``@njit(cache=True)``
    kernel); ``None`` if numba's cache layout changed."""
    try:
        return dispatcher._cache._cache_file._index_path
    except AttributeError:
        return None


def _cached(dispatcher: Any) -> bool:
    """Whether ``dispatcher`` has an index in the cache (unknown layout: assume it has, and
    start no helper)."""
    path = _index_path(dispatcher)
    return path is None or os.path.isfile(path)


def _cache_writable(dispatcher: Any) -> bool:
    path = _index_path(dispatcher)
    if path is None:
        return False
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _kernels_for(scenarios: Sequence[Any]) -> list[Any]:
    """One representative kernel per kind of step loop the scenarios will run."""
    from simulator.kernels import feed, wom

    kernels = [wom.decide]
    if any(sc.model.platform_on for sc in scenarios):
        kernels.append(feed.select_and_act)
    return kernels


class Helper:
    """A running helper process; :meth:`wait` before the simulation's first kernel."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def wait(self) -> None:
        """Let the helper finish compiling (its kernels are then loaded from the cache)."""
        try:
            self.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        except BaseException:  # Ctrl+C while waiting: stop the helper too
            self.stop()
            raise

    def stop(self) -> None:
        """End the helper now (the run failed or was interrupted before it needed it)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def compiling_beside(scenarios: Sequence[Any], steps: int) -> Iterator[None]:
    """Run the block (the graph's build) while the helper compiles; then wait for it. An
    error in the block stops the helper."""
    helper = compile_beside(scenarios, steps)
    if helper is None:
        yield
        return
    with _waiting_for(helper):
        yield


@contextlib.contextmanager
def _waiting_for(helper: Helper) -> Iterator[None]:
    """Run the block, then wait for ``helper``; an error (or Ctrl+C) in the block stops it."""
    try:
        yield
    except BaseException:
        helper.stop()
        raise
    helper.wait()


def compile_beside(scenarios: Sequence[Any], steps: int) -> Helper | None:
    """Start the helper for ``scenarios`` (their layers, for ``steps`` steps, in
    miniature), or return ``None`` when it would not help."""
    if os.environ.get("VIRALITY_PRECOMPILE", "1") == "0" or usable_cores() < 2:
        return None
    kernels = _kernels_for(scenarios)
    if all(_cached(k) for k in kernels) or not _cache_writable(kernels[0]):
        return None
    try:
        payload = pickle.dumps((list(scenarios), steps))
        # The package's own folder first, so a run from a source tree that is not
        # installed (a script that put it on sys.path) finds the same code.
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator.engine.precompile"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
        process.stdin.write(payload)
        process.stdin.close()
    except (OSError, pickle.PicklingError):
        return None
    return Helper(process)


#: Agents of the scenario's own graph built in miniature to compile its generator.
MINIATURE_GRAPH_N = 2_000


def compile_once(scenario: Any, steps: int) -> None:
    """Compile what runs of ``scenario`` use before many processes need it (a sweep's
    workers): the graph generator's kernels here, on the scenario's own graph kind in
    miniature, while the helper compiles the simulation's. Otherwise each worker compiles
    all of them, side by side, on cores they share. Nothing happens when the cache is
    warm (or :func:`compile_beside` would not help); a graph the miniature cannot
    build is left to the workers."""
    helper = compile_beside([scenario], steps)
    if helper is None:
        return
    graph = scenario.graph.to_dict()
    # A graph the miniature cannot build is left to the workers, which build (and compile)
    # it themselves; Ctrl+C passes through and stops the helper.
    with _waiting_for(helper), contextlib.suppress(Exception):
        if graph.get("kind") != "edgelist":  # nothing to compile, and a file to read
            from simulator.params.graph import GraphParams

            n = min(int(graph.get("n") or MINIATURE_GRAPH_N), MINIATURE_GRAPH_N)
            build_graph_for_compile(GraphParams.from_dict({**graph, "n": n}), scenario.base_dir)


def build_graph_for_compile(params: Any, base_dir: Any) -> Any:
    """Build a graph only to compile its generator (the result is dropped)."""
    from simulator.graphs import build_graph

    return build_graph(params, seed=1, base_dir=base_dir)


def miniature(scenario: Any) -> Any:
    """``scenario`` on the helper's small graph; every other section unchanged."""
    from simulator.params.graph import GraphParams

    return dataclasses.replace(scenario, graph=GraphParams.from_dict(MINIATURE))


def _compile(scenarios: Sequence[Any], steps: int) -> None:
    from simulator.engine.run import run_replicates

    for scenario in scenarios:
        try:
            run_replicates(miniature(scenario), seed=1, replicates=1, steps=min(steps, MAX_STEPS))
        except Exception:  # noqa: BLE001 - a scenario the miniature cannot run: the run compiles it
            continue


if __name__ == "__main__":
    _compile(*pickle.load(sys.stdin.buffer))
