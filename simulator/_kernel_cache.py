"""Drop numba's cached kernels when a module they depend on has changed.

numba's on-disk cache checks only the source file of each function. A kernel
also depends on what it reads from other modules at compile time: the column
positions of :mod:`simulator.state.metrics`, the opinion codes, the random
number helpers of :mod:`simulator.rng`, and kernels of other files it calls
(:func:`simulator.kernels.wom.advance` embeds
:func:`simulator.kernels.cascade.run_cascade`). Edit one of those and the
cached kernels would run the old code, silently. So before any kernel runs,
this module hashes every source file compiled code depends on and, if the
hash differs from the one stored beside the cache, deletes the package's
cached kernels (they are compiled again on first use).

Cheap (about a millisecond per process) and silent when the cache cannot be
written (a read-only install keeps whatever it has).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: Folders whose modules hold compiled code or what compiled code reads (of the
#: package's top level only ``rng.py``: the rest of it is plain Python).
_FOLDERS = (_PACKAGE, _PACKAGE / "state", _PACKAGE / "kernels", _PACKAGE / "graphs")
_TOP_LEVEL = ("rng.py",)
_MARKER = "virality-kernel-sources.sha256"


def _cache_dir(folder: Path) -> Path:
    """Where numba caches the kernels of ``folder``'s modules (its own rule)."""
    from numba.core import config

    if config.CACHE_DIR:
        from numba.core.caching import _CacheLocator

        return Path(config.CACHE_DIR) / _CacheLocator.get_suitable_cache_subpath(
            str(folder / "x.py"))
    return folder / "__pycache__"


def sources_digest() -> str:
    """SHA-256 of every source file in the folders compiled code depends on."""
    h = hashlib.sha256()
    for folder in _FOLDERS:
        paths = sorted(folder.glob("*.py"))
        if folder == _PACKAGE:
            paths = [p for p in paths if p.name in _TOP_LEVEL]
        for path in paths:
            h.update(str(path.relative_to(_PACKAGE)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def drop_stale_kernels() -> bool:
    """Delete the cached kernels if their sources changed; return whether it did."""
    try:
        digest = sources_digest()
        marker = _cache_dir(_PACKAGE / "kernels") / _MARKER
        if marker.is_file() and marker.read_text().strip() == digest:
            return False
        for folder in _FOLDERS:
            cache = _cache_dir(folder)
            if cache.is_dir():
                for stale in (*cache.glob("*.nbi"), *cache.glob("*.nbc")):
                    stale.unlink(missing_ok=True)
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_name(f"{_MARKER}.{os.getpid()}.tmp")
        tmp.write_text(digest + "\n")
        tmp.replace(marker)
        return True
    except OSError:  # a read-only install: keep the cache as it is
        return False
