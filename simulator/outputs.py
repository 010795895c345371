"""Output folders: earlier results are never lost, by accident or by an interrupted write.

``virality run`` and ``virality compare`` write into one folder. Before any
simulation runs, :func:`check_out_dir` refuses a folder that already holds
results unless ``--overwrite`` is given, and refuses, even with it, a folder
that holds anything else (``--overwrite`` replaces earlier results, never a
user's other files). The results are then written into a fresh hidden folder
beside it and swapped in at the end (:func:`replacing`), so Ctrl+C or a
crash while writing leaves the earlier results whole and no mix of old and
new files (say, an old ``curves.png`` beside new data written with
``--no-plots``).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulator.errors import ConfigError

#: What a run writes into its folder.
RUN_FILES = frozenset({"timeseries.csv", "summary.json", "curves.png"})
#: What a comparison writes beside its variants' run folders.
COMPARISON_FILES = frozenset({
    "comparison.csv", "differences.csv", "comparison_curves.png", "comparison_outcomes.png",
    "comparison_curves.svg", "comparison_outcomes.svg", "report.md", "report.html",
})


def _foreign(folder: Path) -> str | None:
    """The first entry of ``folder`` that no run or comparison writes, or None."""
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if any(sub.name not in RUN_FILES or not sub.is_file() for sub in entry.iterdir()):
                return entry.name + "/"
        elif entry.name not in RUN_FILES | COMPARISON_FILES or not entry.is_file():
            return entry.name
    return None


def check_out_dir(out: Path, overwrite: bool) -> None:
    """Fail before running, not after, when ``out`` cannot take the results.

    ``out`` may be new or empty; with ``overwrite`` it may also hold earlier
    results, and nothing else.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' is a file; expected a folder (or a new path)")
    _check_writable(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    other = _foreign(out)
    if other is not None:
        raise ConfigError(
            f"--out = '{out}' holds '{other}', which is not a result of this tool; allowed: a "
            "new or empty folder, or a folder of earlier results with --overwrite"
        )
    if not overwrite:
        raise ConfigError(
            f"--out = '{out}' already holds results; allowed: a new or empty folder, or "
            "--overwrite to replace them"
        )


def _check_writable(out: Path) -> None:
    """Refuse, before the run, a folder whose results could not be written.

    The results are written beside ``out`` (see :func:`replacing`), so the probe
    makes and removes a folder in the nearest existing ancestor: nothing is left
    behind, and permissions, read-only mounts and pseudo file systems such as
    ``/proc`` all show up here instead of after the simulation.
    """
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:
        Path(tempfile.mkdtemp(prefix=".virality-probe-", dir=parent)).rmdir()
    except OSError as exc:
        raise ConfigError(
            f"--out = '{out}' cannot be written ({exc.strerror or exc}); allowed: a folder "
            "you can write to"
        ) from None


@contextmanager
def _no_interrupt() -> Iterator[None]:
    """Defer Ctrl+C for the two renames of the swap (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


@contextmanager
def replacing(out: Path, overwrite: bool = True) -> Iterator[Path]:
    """A fresh folder to write into; on success it becomes ``out``.

    On any error or interrupt inside the block, the fresh folder is removed
    and ``out`` is left as it was. With ``overwrite`` earlier results in ``out``
    are replaced; without it, results that another process put in ``out`` while
    this one ran are kept, and so are this run's: the move is one rename, which
    the OS refuses onto a folder that is not empty, and the run's results stay
    in the fresh folder, named in the error.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}.writing-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    fresh.chmod(0o777 & ~umask)   # mkdtemp's 0700 would make the results private
    try:
        yield fresh
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    if not overwrite:
        try:
            with _no_interrupt():
                fresh.rename(out)   # onto a missing or empty folder only
            return
        except OSError:
            raise ConfigError(
                f"--out = '{out}' was given results by another process while this one ran; "
                f"both are kept: this run's are in '{fresh}'"
            ) from None
    old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
    with _no_interrupt():
        had_old = out.exists()
        if had_old:
            out.rename(old)
        fresh.rename(out)
    if had_old:
        shutil.rmtree(old, ignore_errors=True)
