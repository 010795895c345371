"""The immutable CSR friend graph every layer of the simulator reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Graph:
    """An undirected simple graph in compressed sparse row form.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n + 1,)
        Row ``i`` holds the friends of agent ``i`` in ``indices[indptr[i]:indptr[i+1]]``.
    indices : ndarray of int32, shape (2 * n_edges,)
        Friend ids; every row is sorted, has no repeats and no self-loop, and
        ``j`` is in row ``i`` exactly when ``i`` is in row ``j``.
    community : ndarray of int32, shape (n,), optional
        Audience segment of each agent (for targeting and community structure).
    labels : ndarray, optional
        Original node labels when the graph was read from a file or networkx.
    meta : dict
        How the graph was made (generator, parameters, seed).

    The arrays are made read-only so no layer can change the friendships.

    Examples
    --------
    >>> import numpy as np
    >>> g = Graph(np.array([0, 1, 2], dtype=np.int64), np.array([1, 0], dtype=np.int32))
    >>> g.n, g.n_edges, g.degrees().tolist()
    (2, 1, [1, 1])
    """

    indptr: np.ndarray
    indices: np.ndarray
    community: np.ndarray | None = None
    labels: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        indptr = np.ascontiguousarray(self.indptr, dtype=np.int64)
        indices = np.ascontiguousarray(self.indices, dtype=np.int32)
        if indptr.ndim != 1 or indptr.size < 1 or indptr[0] != 0 or indptr[-1] != indices.size:
            raise ValueError("indptr must start at 0 and end at len(indices)")
        indptr.flags.writeable = False
        indices.flags.writeable = False
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        if self.community is not None:
            community = np.ascontiguousarray(self.community, dtype=np.int32)
            if community.shape != (indptr.size - 1,):
                raise ValueError("community must have one entry per node")
            community.flags.writeable = False
            object.__setattr__(self, "community", community)

    @property
    def n(self) -> int:
        """Number of agents."""
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        """Number of undirected friendships."""
        return int(self.indices.size // 2)

    @property
    def mean_degree(self) -> float:
        """Mean number of friends."""
        return float(self.indices.size / self.n) if self.n else 0.0

    @property
    def nbytes(self) -> int:
        """Bytes held by the CSR arrays."""
        return int(self.indptr.nbytes + self.indices.nbytes)

    def degrees(self) -> np.ndarray:
        """Degree of every agent (int64)."""
        return np.diff(self.indptr)

    def neighbors(self, i: int) -> np.ndarray:
        """Friends of agent ``i`` (a read-only view)."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def __repr__(self) -> str:
        kind = self.meta.get("kind", "graph")
        return f"Graph(kind={kind!r}, n={self.n}, n_edges={self.n_edges}, mean_degree={self.mean_degree:.2f})"
