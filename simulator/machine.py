"""Facts about the machine a run is on that several layers need."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may use (its CPU affinity on Linux, else the machine's count).

    Why not ``os.cpu_count()``: a container or a batch job may be given fewer cores
    than the machine has, and a sweep or the compile helper that counted them all
    would oversubscribe the ones it has.
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
