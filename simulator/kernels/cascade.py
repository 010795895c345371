"""The purely positive cascade in one call: the independent cascade's fast path.

When every word persuades (``impact_positive = 1``), nobody is a detractor or
undecided, and nothing but word reaches the unaware (no advertising, no
purchases), a step only turns unaware friends of talkers into fans, and that
stays true for the rest of the run. :func:`run_cascade` then runs all the
remaining steps in one call and gives exactly the counts, series, final state
and talker order of the general step (:func:`simulator.kernels.wom.advance`), with
the same draws ``key_for(wom_key, step, talker)``; ``tests/test_kernels_cascade.py``
checks it against the general path and the slow twin.

Why it is faster. Kernel time per replicate, ER n = 10^5, mean degree 20,
T = 0.1 (the ``experiments/bench_peers.py`` graph; medians of 60 interleaved
runs): the general step's fused loop, one step per iteration, 9.4 ms.

- One call for the whole cascade (8.4 ms). The hot loop writes only
  ``opinion`` and the talker list; the flags (``ever_aware``,
  ``ever_positive``), ``talk_until`` and ``in_list`` of the agents it
  activates are written once, at the end. Talkers who started during the call
  retire as a block (the list is ordered by start step), so retiring reads no
  per-agent state.
- No branch on the listener (6.0 ms): everyone is unaware or a fan, so a word
  marks its listener a fan and counts it as new by its old opinion.
- Geometric skips from a small table (:func:`build_skip_table`) instead of a
  logarithm and a division (3.9 ms), with the same results: the table stores
  where the skip changes, found with that same logarithm. A process keeps the
  tables it built (:func:`skip_table_for`), so the next run with the same
  ``p`` uses one from its first draw: a sweep's small runs spend a third of
  their kernel time before a table would pay for its build.
- Prefetching the friend lists of talkers a few places down the list (2.9 ms):
  the list order is known, the rows are scattered over the graph's arrays.

numba's on-disk cache keys each function on its own file's source only, and
:func:`simulator.kernels.wom.advance` embeds :func:`run_cascade`;
:mod:`simulator._kernel_cache` drops the package's cached kernels whenever a
source they depend on changes, so an edit here is never hidden by a stale
``advance``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

from simulator.rng import _TO_UNIT, key_for, mix64, next_state
from simulator.state import metrics as M
from simulator.state.agents import Opinion

_POS = np.int8(Opinion.POSITIVE)

#: The skip table has one bucket per value of the top bits of a draw's 53 bits.
#: 1024 buckets (16 KB with the thresholds) stay in L1; at T = 0.1, 99% of the
#: draws fall in a bucket the table resolves.
SKIP_TABLE_BITS = 10
_BUCKET_SHIFT = uint64(53 - SKIP_TABLE_BITS)
#: Skips above this are left to the logarithm: it bounds the build at ~64 binary searches.
_TABLE_MAX_SKIP = 64
#: Build the table once a call has drawn this many skips the slow way: a build
#: costs up to ~4,000 logarithms (15-50 us), so small runs never pay for it and
#: large ones pay it once.
_TABLE_AFTER_DRAWS = 4096
#: Prefetch distances, in talkers: the friend list (``indices``) of the talker
#: this far ahead, and its row bounds (``indptr``) twice as far ahead. Anything
#: from 4 to 24 ahead did about as well; fetching the row's last cache line too
#: saved another 8%.
_PREFETCH_ROW = 8
_PREFETCH_BOUNDS = 16
#: Built skip tables a process keeps (16 KB each), one per ``p``: a sweep's points.
SKIP_TABLES_KEPT = 64


class SkipTable(NamedTuple):
    """The skip table of one ``p`` (:func:`build_skip_table`), built or still to build.

    A kernel given an unbuilt table builds it in place once it has drawn
    :data:`_TABLE_AFTER_DRAWS` skips and sets ``built``; a built table is only read.
    """

    base: np.ndarray  # int64, (2**SKIP_TABLE_BITS,)
    cut: np.ndarray  # uint64, (2**SKIP_TABLE_BITS,)
    built: np.ndarray  # uint8, (1,): 1 once filled

    @staticmethod
    def unbuilt() -> SkipTable:
        """A table every lookup of which takes the logarithm (``base`` all -1)."""
        size = 1 << SKIP_TABLE_BITS
        return SkipTable(np.full(size, -1, np.int64), np.zeros(size, np.uint64),
                         np.zeros(1, np.uint8))


_TABLES: OrderedDict[float, SkipTable] = OrderedDict()
_TABLES_LOCK = threading.Lock()  # the classroom page and a user's threads may run at once


def skip_table_for(p: float) -> SkipTable:
    """This process's built table for ``p``, or an unbuilt one (its own: never shared
    until built, so no run reads a table another is filling)."""
    with _TABLES_LOCK:
        table = _TABLES.get(p)
        if table is not None:
            _TABLES.move_to_end(p)
            return table
    return SkipTable.unbuilt()


def keep_skip_table(p: float, table: SkipTable) -> None:
    """Keep ``table`` for the next run with ``p`` if the kernel built it."""
    if not table.built[0]:
        return
    with _TABLES_LOCK:
        if p not in _TABLES:
            _TABLES[p] = table
            while len(_TABLES) > SKIP_TABLES_KEPT:
                _TABLES.popitem(last=False)


def forget_skip_tables() -> None:
    """Drop the kept tables (tests compare runs with and without them)."""
    with _TABLES_LOCK:
        _TABLES.clear()


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to fetch ``arr[idx]`` into cache; no effect on results.

    ``llvm.prefetch`` (read, high locality, data cache). A prefetch never
    faults, so ``idx`` need not be in bounds. Spelled with the typed-pointer
    suffix ``p0i8``, which LLVM 14 (numba 0.59) expects and newer LLVMs remangle.
    """
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # Arguments: address, read (0), high temporal locality (3), data cache (1).
        hints = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
        builder.call(fn, [builder.bitcast(ptr, i8p), *hints])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, inline="always")
def skip_from_bits(r, log_q):
    """The geometric skip for a draw whose top 53 bits are ``r``.

    The same arithmetic as :func:`simulator.rng.geometric_skip` after its
    ``uniform``: ``floor(log(1 - r * 2**-53) / log_q)``, capped at 9e18.
    """
    u = float(r) * _TO_UNIT
    skip = np.floor(np.log(1.0 - u) / log_q)
    if skip > 9.0e18:
        skip = 9.0e18
    return np.int64(skip)


@njit(cache=True)
def build_skip_table(log_q, base, cut):
    """Fill the skip table for ``log_q = log(1 - p)``, ``0 < p < 1``.

    Bucket ``b`` holds the draws whose 53 bits ``r`` have top bits ``b``. Where
    the skip takes at most two values in a bucket, ``base[b]`` (int64,
    ``(2**SKIP_TABLE_BITS,)``) is the lower one and ``cut[b]`` (uint64, same
    shape) the first ``r`` with the higher one; elsewhere ``base[b] = -1``
    (use the logarithm). Each cut is found by binary search with
    :func:`skip_from_bits` itself, which is exact because the skip never falls
    as ``r`` grows: ``1 - u`` is exact and falls, and the computed logarithm
    falls with it, since neighbouring inputs here differ by at least 1.36 ulp of
    the output and glibc's ``log`` is within 0.52 ulp (a libm within 0.68 ulp
    would do); division and floor keep the order.
    """
    base[:] = -1
    bucket = uint64(1) << _BUCKET_SHIFT
    s_lo = skip_from_bits(uint64(0), log_q)
    # The binary search inside keeps this loop scalar (LLVM vectorises innermost
    # loops only), so every logarithm here is the libm call the draws make.
    for b in range(base.size):
        lo = uint64(b) * bucket
        hi = lo + bucket - uint64(1)
        s_hi = skip_from_bits(hi, log_q)
        if s_hi == s_lo:
            base[b] = s_lo
            cut[b] = hi + uint64(1)
        elif s_hi == s_lo + 1 and s_hi <= _TABLE_MAX_SKIP:
            a = lo
            z = hi
            while a < z:
                mid = a + (z - a) // uint64(2)
                if skip_from_bits(mid, log_q) >= s_hi:
                    z = mid
                else:
                    a = mid + uint64(1)
            base[b] = s_lo
            cut[b] = a
        else:
            # The skip grows ever faster with r, so later buckets would mostly
            # need the logarithm too: leave them all to it.
            break
        s_lo = skip_from_bits(hi + uint64(1), log_q)


@njit(cache=True, inline="always")
def lookup_skip(r, log_q, base, cut):
    """:func:`skip_from_bits` through the table (the logarithm where it has no entry)."""
    b = r >> _BUCKET_SHIFT
    skip = base[b]
    if skip < 0:
        return skip_from_bits(r, log_q)
    if r >= cut[b]:
        skip += 1
    return skip


@njit(cache=True, inline="always")
def table_skip(state, log_q, base, cut):
    """``geometric_skip(state, log_q)`` through the table: returns ``(skip, new_state)``."""
    state = next_state(state)
    return lookup_skip(mix64(state) >> uint64(11), log_q, base, cut), state


@njit(cache=True)
def run_cascade(indptr, indices, agents, talker_list, c, p_positive, talk_steps, wom_key, t_start,
                t_stop, series, skips):
    """Run steps ``t_start .. t_stop-1`` of a purely positive cascade.

    Valid when every agent is unaware or a fan, every listed talker is a fan,
    every word persuades and nothing else reaches the unaware (see the module
    docstring); the caller checks this. Arguments are those of
    :func:`simulator.kernels.wom.advance`: ``talker_list`` lists the agents
    talking at ``t_start`` in the general path's order,
    ``c`` (int64, (N_COUNTS,)) holds the running counts and row ``t`` of
    ``series`` receives them at the end of step ``t``; ``skips`` is the
    :class:`SkipTable` for ``p_positive``. Stops when nobody talks.

    Returns the last step recorded; the talker list and the agent arrays are
    left as the general path leaves them.
    """
    opinion, talk_until = agents.opinion, agents.talk_until
    ever_aware, ever_positive = agents.ever_aware, agents.ever_positive
    talkers, in_list, n_talkers = talker_list.ids, talker_list.in_list, talker_list.count[0]
    cap = talkers.size
    # The talker list, as the general path keeps it, is talkers[0:n_entry]
    # (agents talking on entry, in order, retired one by one by talk_until)
    # followed by talkers[lo:hi] (agents activated here, in order of
    # activation, so they retire as a block: those activated at step s stop
    # after step s + talk_steps).
    n_entry = n_talkers
    first_new = n_talkers
    lo = first_new
    hi = first_new
    # ends[t - t_start + 1]: hi at the end of step t (ends[0]: before t_start).
    ends = np.empty(max(t_stop - t_start, 0) + 1, np.int64)
    ends[0] = first_new
    # Unbuilt, base is all -1 and every draw takes the logarithm (with the same results).
    base, cut = skips.base, skips.cut
    has_table = skips.built[0] != 0
    draws = 0
    log_q = np.log1p(-p_positive) if p_positive < 1.0 else -np.inf
    last = t_start - 1
    for t in range(t_start, t_stop):
        if n_entry == 0 and lo == hi:
            break
        for f in range(M.FLOWS_START, M.FLOWS_STOP):
            c[f] = 0
        if not has_table and draws >= _TABLE_AFTER_DRAWS and p_positive < 1.0:
            build_skip_table(log_q, base, cut)
            skips.built[0] = 1
            has_table = True
        step_lo = hi
        n_words = 0
        if p_positive > 0.0:
            n_list = n_entry + (step_lo - lo)
            for k in range(n_list):
                i = talkers[k] if k < n_entry else talkers[lo + k - n_entry]
                ahead = lo + k - n_entry + _PREFETCH_BOUNDS
                if lo <= ahead < step_lo:
                    prefetch(indptr, talkers[ahead])
                ahead = lo + k - n_entry + _PREFETCH_ROW
                if lo <= ahead < step_lo:
                    a = talkers[ahead]
                    prefetch(indices, indptr[a])  # a row spans 2-3 cache lines at degree 20
                    prefetch(indices, indptr[a + 1] - 1)
                end = indptr[i + 1]
                pos = indptr[i] - 1
                state = key_for(wom_key, t, i)
                while True:
                    if p_positive >= 1.0:  # every friend hears, no draw (as next_success)
                        pos += 1
                    else:
                        skip, state = table_skip(state, log_q, base, cut)
                        pos += skip + 1
                    if pos >= end:
                        break
                    n_words += 1
                    j = indices[pos]
                    # Everyone here is unaware (0) or a fan (1): mark j a fan and
                    # keep it on the list only if it was unaware. No branch on
                    # the listener, whose opinion is a cache miss away.
                    was = opinion[j]
                    opinion[j] = _POS
                    if hi < cap:  # a full list means everyone is a fan already
                        talkers[hi] = j
                    hi += 1 - was
            draws += n_words + n_list
        ends[t - t_start + 1] = hi
        activated = hi - step_lo
        c[M.N_UNAWARE] -= activated
        c[M.N_AWARE] += activated
        c[M.NEW_AWARE] += activated
        c[M.N_POSITIVE] += activated
        c[M.NEW_POSITIVE] += activated
        c[M.N_BUYERS_LEFT] += activated
        c[M.CUM_POSITIVE] += activated
        c[M.CUM_REACH] += activated
        c[M.NEW_WORD_POSITIVE] = n_words
        # Retire before step t + 1: entry talkers by their own talk_until...
        kept = 0
        for k in range(n_entry):
            i = talkers[k]
            if talk_until[i] >= t + 1:
                talkers[kept] = i
                kept += 1
            else:
                in_list[i] = 0
                talk_until[i] = -1
        n_entry = kept
        # ...and agents activated at step t - talk_steps or before, as a block.
        if t - talk_steps >= t_start:
            lo = ends[t - talk_steps - t_start + 1]
        c[M.N_TALKING_POSITIVE] = n_entry + hi - lo
        c[M.N_TALKING_NEGATIVE] = 0
        c[M.CUM_WORD_POSITIVE] += n_words
        for k in range(c.size):  # not series[t, :] = c: numba compiles a slice copy's
            series[t, k] = c[k]  # shape check slowly (about 2.5 s of a first run)
        last = t
    # Write what the general path writes on activation, once per activated agent.
    # Those that already retired end silent and off the list, as they started.
    s = t_start
    for k in range(first_new, hi):
        j = talkers[k]
        ever_aware[j] = 1
        ever_positive[j] = 1
        if k >= lo:
            while ends[s - t_start + 1] <= k:
                s += 1
            talk_until[j] = s + talk_steps
            in_list[j] = 1
    # Close the gap: the list is the entry talkers still talking, then the new ones.
    for k in range(lo, hi):
        talkers[n_entry + k - lo] = talkers[k]
    talker_list.count[0] = n_entry + hi - lo
    return last
