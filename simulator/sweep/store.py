"""The output folder of a sweep: part files, resume, consolidation, metadata.

Layout::

    DIR/metadata.json         the experiment file's text, version, times, runs total/done
    DIR/design.parquet        one row per design point (applied values, unit coordinates)
    DIR/parts/part-00001.parquet    rows of the runs finished so far, one file per chunk
    DIR/parts/series-00001.parquet  their per-step series (with --series)
    DIR/results.parquet       every run once, sorted by run (written at the end)
    DIR/series.parquet        every run's series (with --series)

Why it never loses or duplicates a row: one process at a time owns the folder
(:meth:`Store.lock`, an OS file lock released when the process dies, so a
killed sweep leaves nothing stuck); a part is written to a temporary name and
renamed, so a part either exists whole or not at all; a series part is written
before its rows part and ignored without it; a part that cannot be read whole
is set aside in ``parts/damaged/`` and its runs run again; a resumed sweep
skips every run already in a part, so each run is in exactly one part; and
consolidation checks that every planned run is there exactly once before the
sweep says "complete". A killed sweep loses only the chunks in flight.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import ConfigError

_PART = re.compile(r"^part-(\d+)\.parquet$")


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write atomically: a temporary name in the same folder, then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False, engine="pyarrow")
    os.replace(tmp, path)


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Store:
    """Read and write one sweep's output folder."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.metadata_path = self.out / "metadata.json"
        self.results_path = self.out / "results.parquet"
        self.series_path = self.out / "series.parquet"
        self.design_path = self.out / "design.parquet"
        self._seq = 0

    # ------------------------------------------------------------------ owner
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Own the folder for the block, or refuse at once if another process owns it.

        The lock file sits beside the folder (``.<name>.lock``), so a refused or
        failed start leaves no folder behind.
        """
        from filelock import FileLock, Timeout

        self.out.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.out.with_name(f".{self.out.name}.lock")))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise ConfigError(
                f"--out '{self.out}' is in use by another sweep; allowed: wait until it ends "
                "(then --resume), or another --out"
            ) from None
        try:
            yield
        finally:
            lock.release()

    # ------------------------------------------------------------------ state
    def part_files(self) -> list[tuple[int, Path]]:
        """``(sequence number, path)`` of every complete rows part, in order."""
        if not self.parts.is_dir():
            return []
        found = []
        for p in self.parts.iterdir():
            m = _PART.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return sorted(found)

    def has_output(self) -> bool:
        return self.metadata_path.exists() or bool(self.part_files()) or self.results_path.exists()

    def read_metadata(self) -> dict[str, Any] | None:
        if not self.metadata_path.exists():
            return None
        try:
            return json.loads(self.metadata_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise ConfigError(
                f"'{self.metadata_path}' is unreadable; cannot resume this sweep"
            ) from None

    def write_metadata(self, data: dict[str, Any]) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.metadata_path, data)

    def prepare(self) -> None:
        """Create the folders, drop leftovers of a killed write, continue the part numbering."""
        self.parts.mkdir(parents=True, exist_ok=True)
        for p in self.parts.iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp"):  # (we own the folder)
                p.unlink()  # a part that was being written when the sweep died
        have = {seq for seq, _ in self.part_files()}
        for p in self.parts.glob("series-*.parquet"):
            seq = int(p.stem.split("-")[1])
            if seq not in have:
                p.unlink()  # its rows part was never written: those runs will run again
        self._seq = max(have, default=0)

    def _read_part(self, path: Path) -> pd.DataFrame | None:
        """A rows part read whole, or None after setting a damaged one aside (with a notice)."""
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several kinds for a truncated or garbled file
            damaged = self.parts / "damaged"
            damaged.mkdir(exist_ok=True)
            os.replace(path, damaged / path.name)
            series = path.with_name(path.name.replace("part-", "series-"))
            if series.exists():
                os.replace(series, damaged / series.name)
            print(f"virality sweep: set aside damaged {path.name} ({type(exc).__name__}); "
                  "its runs will run again", file=sys.stderr)
            return None

    def done_runs(self) -> set[int]:
        """Run indices already written in a part (a damaged part is set aside, its runs not done)."""
        done: set[int] = set()
        for _, path in self.part_files():
            part = self._read_part(path)
            if part is not None:
                done.update(part["run"].tolist())
        return done

    # ------------------------------------------------------------------ write
    def write_part(self, rows: pd.DataFrame, series: pd.DataFrame | None = None) -> Path:
        """Write one chunk's rows (and series) as the next part; returns the rows part."""
        self._seq += 1
        if series is not None:
            _write_parquet(series, self.parts / f"series-{self._seq:05d}.parquet")
        path = self.parts / f"part-{self._seq:05d}.parquet"
        _write_parquet(rows, path)
        return path

    def write_design(self, design: pd.DataFrame) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        _write_parquet(design, self.design_path)

    def consolidate(self, total: int, series: bool = False) -> pd.DataFrame:
        """Every part into ``results.parquet`` (and ``series.parquet``), sorted by run.

        Refuses unless runs ``0 .. total - 1`` are each there exactly once;
        raises if a run appears twice with different values (which would be a bug).
        """
        files = self.part_files()
        if not files:
            raise ConfigError(f"no results in '{self.parts}' to consolidate")
        parts = [part for part in (self._read_part(p) for _, p in files) if part is not None]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"run": []})
        dup = table["run"].duplicated(keep=False)
        if dup.any():
            twins = table[dup].drop_duplicates()
            if twins["run"].duplicated().any():
                raise RuntimeError(
                    f"runs written twice with different values: {sorted(set(twins['run']))[:5]}"
                )
            table = table.drop_duplicates("run")
        table = table.sort_values("run", kind="stable").reset_index(drop=True)
        missing = sorted(set(range(total)) - set(table["run"].tolist()))
        if missing or len(table) != total:
            raise ConfigError(
                f"--out '{self.out}': {len(missing)} of {total} runs are missing (first: "
                f"{missing[:3]}); run the sweep again with --resume to finish them"
            )
        _write_parquet(table, self.results_path)
        if series:
            frames = [
                pd.read_parquet(self.parts / f"series-{seq:05d}.parquet")
                for seq, _ in files
                if (self.parts / f"series-{seq:05d}.parquet").exists()
            ]
            if frames:
                ts = pd.concat(frames, ignore_index=True)
                ts = ts.drop_duplicates(["run", "step"]).sort_values(["run", "step"], kind="stable")
                _write_parquet(ts.reset_index(drop=True), self.series_path)
        return table
