"""Feed kernels: what reaches each agent, what its feed shows, what that does.

An *item* is a friend's word (author = the talking agent, sentiment = the
author's opinion, age = steps since the author started talking), a brand post
(author = -1, positive, the brand's quality) or a sponsored post. Each step the
candidates that reach an agent (friends' word, amplified items, brand posts for
followers, notifications for bell subscribers, sponsored posts) compete with
``feed.background_items`` unrelated items for ``attention`` slots.

Background items are never materialised: in *quantile space* (the rank of a
score among background scores) the B background items are B uniforms, and
the number of them between two candidates' quantiles is binomial (the top
order statistics ``M1 = U^(1/B)``, ``M(k+1) = M(k) * U^(1/(B-k))`` give the
same law; the binomial walk costs one power per candidate instead of one per
slot). So the cost follows the candidates actually delivered, not the
background, and the selection is exact under the model "background scores
are i.i.d. lognormal".

Ranking policies (the score a candidate's quantile comes from):
* ``chronological``: newest first; background ages uniform on ``0..max_age``;
* ``random``: uniform;
* ``engagement``: ``(1 + likes) * quality * exp(-decay * age^0.4)`` (SimSoM's
  appeal x shares x recency, Truong et al. 2024), ranked against background
  scores ``lognormal(0, background_score_sigma)``.
Notifications bypass ranking: they are always seen; so are bought (paid)
impressions, which the platform places in the feed.

Speed. A step's candidates are grouped by target once: a stable counting sort
packs each candidate's fields into one word next to its target's others, so
ranking and engagement read memory in order (read through a permutation, the
six candidate buffers cost six cache misses per candidate, which was most of a
step at 10^6 agents). On large steps three loops use all of numba's threads:
the gathering of friends' word (a block of talkers per thread, each written to
its own part of the buffers, the parts then moved together), the grouping (a
block of candidates per thread) and the ranking (every agent at once, with the
likes of the step's start). Agents then act one after another in increasing
id, and one whose ranking an earlier like could have changed is ranked again
first. Every draw is keyed by ``(stream, step, agent)`` and every slot written
belongs to one agent or one block, so the numbers are those of one thread, on
any number of threads (``tests/test_platform.py`` checks them against the
plain sequential twins in ``tests/twins_platform.py``).

These are the kernels of the feed component (:mod:`simulator.components.feed`)
and of follower churn (:mod:`simulator.components.followers`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba.core import cgutils, types
from numba.extending import intrinsic

from simulator.kernels.agents import remember
from simulator.rng import key_for, next_success, randint, uniform
from simulator.state.agents import Opinion, Source
from simulator.state.metrics import (
    P_FOLLOWS,
    P_IMPRESSIONS_AMPLIFIED,
    P_IMPRESSIONS_FOLLOWER,
    P_IMPRESSIONS_NOTIFICATION,
    P_IMPRESSIONS_ORGANIC,
    P_IMPRESSIONS_PAID,
    P_LIKES,
    P_OVERLOADED,
    P_SHARES,
    P_UNFOLLOWS,
)

# Ranking policies, by name (kernels compare ``rule.policy`` against these).
ALL = 0
CHRONOLOGICAL = 1
RANDOM = 2
ENGAGEMENT = 3
POLICY_CODES = {"all": ALL, "chronological": CHRONOLOGICAL, "random": RANDOM,
                "engagement": ENGAGEMENT}
_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)
_FRIEND = np.int8(Source.FRIEND)
_FOLLOWER = np.int8(Source.FOLLOWER)
_NOTIFICATION = np.int8(Source.NOTIFICATION)
_AMPLIFIED = np.int8(Source.AMPLIFIED)
_PAID = np.int8(Source.PAID)



class Items(NamedTuple):
    """Candidate items of one step, one slot each (the gathering's output buffers)."""

    target: np.ndarray  # int32: the agent it reaches
    author: np.ndarray  # int32: the talking agent, -1 for the brand
    source: np.ndarray  # int8: a :class:`Source`
    sentiment: np.ndarray  # int8: an :class:`Opinion` (the brand's posts are positive)
    quality: np.ndarray  # float64: 1 for friends' word, the brand's quality for its posts
    age: np.ndarray  # int64: steps since the author started talking (0 for brand items)

    @classmethod
    def empty(cls, cap: int) -> Items:
        return cls(np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap, np.int8),
                   np.empty(cap, np.int8), np.empty(cap, np.float64), np.empty(cap, np.int64))


class WordReach(NamedTuple):
    """How friends' word becomes candidate items this step."""

    p_positive: float  #: per friend, as in plain word of mouth
    p_negative: float  #: per friend (louder once a page is taken down)
    talk_steps: int  #: an item's age counts from the start of its author's talk
    max_age: int  #: older items leave the feed
    amplification: float  #: impressions per like beyond the author's friends (0: off)


class BrandReach(NamedTuple):
    """The brand's and the paid items of this step."""

    n_posts: int  #: posts published this step (each reaches every follower)
    quality: float  #: the brand's content quality
    likes: int  #: likes of the visible brand post (real and bought; 0: nothing to amplify)
    n_sponsored: int  #: sponsored impressions placed this step
    pool: np.ndarray  #: int32: who sponsored impressions may reach


class FeedRule(NamedTuple):
    """``[feed]`` and the engagement part of ``[followers]`` as the ranking kernels read them."""

    policy: int  #: ALL, CHRONOLOGICAL, RANDOM or ENGAGEMENT
    background: float  #: background items competing per agent per step
    max_age: int
    decay: float  #: recency decay
    sigma: float  #: log-sd of background scores
    p_like: float
    p_share: float  #: 0 without a feed: a share restarts talk
    ad_tolerance: float
    ad_fatigue: float
    p_leave: float
    p_follow: float  #: 0 with followers off
    p_bell: float  #: 0 with followers off
    p_unbell: float
    p_follow_shared: float = 0.0  #: per friend's share of a brand post seen; 0 with followers off


@njit(cache=True, inline="always")
def _phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True)
def item_quantile(policy, likes, quality, age, max_age, decay, sigma, u, u2):
    """Rank of a candidate among background items, in [0, 1] (higher is better).

    Under ``engagement`` the score is ``(1 + likes) * quality * recency *
    appeal``, with a per-viewer appeal (EdgeRank's affinity) drawn from the
    same lognormal(0, sigma) as the background items' scores: a fresh, unliked
    item of quality 1 is then an ordinary item of the feed, and likes,
    quality and age move it up or down. ``u``, ``u2`` are uniforms.
    """
    if policy == CHRONOLOGICAL:  # background ages uniform on 0..max_age
        q = (max_age + 1.0 - age - u) / (max_age + 1.0)
        return min(max(q, 0.0), 1.0)
    if policy == RANDOM:
        return u
    score = (1.0 + likes) * quality * math.exp(-decay * age**0.4)
    if score <= 0.0:
        return 0.0
    if sigma <= 0.0:
        return 1.0 if score > 1.0 else (u if score == 1.0 else 0.0)
    z = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2.0 * math.pi * u2)  # Box-Muller
    return _phi(math.log(score) / sigma + z)


@intrinsic
def _num_threads(typingctx):
    """``numba.get_num_threads()`` for a cached kernel.

    numba's own reads a ctypes function pointer, which keeps a kernel out of the
    cache; this calls the threading layer's symbol by name, as numba's parallel
    loops do. Use it only inside a ``parallel=True`` function: loaded from the
    cache, such a function starts the threading layer first.
    """
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(types.intp.bitwidth), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "get_num_threads")
        return builder.call(fn, [])
    return types.intp(), codegen


# Below these sizes a step runs on one thread: waking the others costs more
# than it saves (each parallel loop costs tens of microseconds to start).
_PARALLEL_TALKERS = 2_000
_PARALLEL_CANDIDATES = 100_000
_PARALLEL_TARGETS = 20_000


# ------------------------------------------------------------------ gathering
@njit(cache=True)
def _gather_word(t0, t1, indptr, indices, talkers, agents, item_likes, word, keys, step, lo, hi,
                 items):
    """Friends' word and amplified word of talkers ``t0 .. t1 - 1``, written from slot ``lo``.

    Returns ``(count, n_words_pos, n_words_neg)``; candidates past slot ``hi``
    are counted, not written. The stores are written out here rather than
    through a helper taking the six buffers: such a call per candidate costs
    twelve atomic reference-count updates (measured: a third of the gathering
    at 10^6 agents).
    """
    opinion, talk_until, on_platform = agents.opinion, agents.talk_until, agents.on_platform
    p_positive, p_negative, talk_steps = word.p_positive, word.p_negative, word.talk_steps
    max_age, amplification, wom_key, famp = word.max_age, word.amplification, keys.wom, keys.amplify
    buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age = items
    n = opinion.size
    k = lo
    n_pos = 0
    n_neg = 0
    lq_pos = np.log1p(-p_positive) if p_positive < 1.0 else -np.inf
    lq_neg = np.log1p(-p_negative) if p_negative < 1.0 else -np.inf
    for t in range(t0, t1):
        i = talkers[t]
        s = opinion[i]
        if on_platform[i] == 0:
            continue
        age = step - (talk_until[i] - talk_steps) - 1
        if age > max_age:
            continue
        if s == _POS:
            p = p_positive
            lq = lq_pos
        elif s == _NEG:
            p = p_negative
            lq = lq_neg
        else:
            continue
        if p > 0.0:
            end = indptr[i + 1]
            state = key_for(wom_key, step, i)
            pos = indptr[i] - 1
            words = 0
            while True:
                pos, state = next_success(state, pos, p, lq)
                if pos >= end:
                    break
                words += 1
                j = indices[pos]
                if on_platform[j]:
                    if k < hi:
                        buf_target[k] = j
                        buf_author[k] = i
                        buf_source[k] = _FRIEND
                        buf_sent[k] = s
                        buf_quality[k] = 1.0
                        buf_age[k] = age
                    k += 1
            if s == _POS:
                n_pos += words
            else:
                n_neg += words
        # Amplification: engaged word is shown beyond the author's friends.
        if amplification > 0.0 and item_likes[i] > 0:
            expected = amplification * item_likes[i]
            state = key_for(famp, step, i)
            u, state = uniform(state)
            m = np.int64(expected) + (1 if u < expected - np.floor(expected) else 0)
            for _ in range(m):
                j, state = randint(state, n)
                if on_platform[j] and j != i:
                    if k < hi:
                        buf_target[k] = j
                        buf_author[k] = i
                        buf_source[k] = _AMPLIFIED
                        buf_sent[k] = s
                        buf_quality[k] = 1.0
                        buf_age[k] = age
                    k += 1
    return k - lo, n_pos, n_neg


@njit(cache=True, parallel=True)
def _gather_word_blocks(n_talkers, indptr, indices, talkers, agents, item_likes, word, keys, step,
                        items):
    """:func:`_gather_word` on one block of talkers per thread, block ``b`` from slot ``b * part``.

    Returns ``(found, words_pos, words_neg, part)``, the first three per block.
    """
    blocks = _num_threads()
    part = items.target.size // blocks
    found = np.zeros(blocks, np.int64)
    words_pos = np.zeros(blocks, np.int64)
    words_neg = np.zeros(blocks, np.int64)
    for b in prange(blocks):
        hi = items.target.size if b == blocks - 1 else (b + 1) * part
        found[b], words_pos[b], words_neg[b] = _gather_word(
            b * n_talkers // blocks, (b + 1) * n_talkers // blocks, indptr, indices, talkers,
            agents, item_likes, word, keys, step, b * part, hi, items,
        )
    return found, words_pos, words_neg, part


@njit(cache=True, inline="always")
def _put_brand_item(k, j, source, quality, buf_target, buf_author, buf_source, buf_sent,
                    buf_quality, buf_age):
    """Write a brand item for agent ``j`` at slot ``k`` if it fits; return ``k + 1``.

    Brand items have no author (-1), are positive and fresh. Friends' word is
    written inline in :func:`_gather_word`, its hot loop.
    """
    if k < buf_target.size:
        buf_target[k] = j
        buf_author[k] = -1
        buf_source[k] = source
        buf_sent[k] = _POS
        buf_quality[k] = quality
        buf_age[k] = 0
    return k + 1


@njit(cache=True)
def gather_candidates(indptr, indices, talker_list, agents, item_likes, word, brand, keys, step,
                      items):
    """Every candidate item that reaches an agent this step.

    Friend word uses the same draws as :func:`simulator.kernels.wom.spread_word`
    (``key_for(wom_key, step, i)``), so turning the feed on changes what is
    *seen*, not what is *said*. Returns ``(count, n_words_pos, n_words_neg)``;
    a count above the buffers' size means retry with bigger buffers.

    On many talkers each thread gathers one block of them into its own part of
    the buffers and the parts are then moved together: the candidates come out
    in talker order whatever the number of threads (measured 1.8x faster on 2
    threads at 10^6 agents).
    """
    talkers, n_talkers = talker_list.ids, talker_list.count[0]
    opinion, on_platform, follower, bell = agents.opinion, agents.on_platform, agents.follower, agents.bell
    n_posts, brand_quality, brand_likes = brand.n_posts, brand.quality, brand.likes
    n_sponsored, sponsor_pool, n_pool = brand.n_sponsored, brand.pool, brand.pool.size
    buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age = items
    amplification = word.amplification
    n = opinion.size
    cap = buf_target.size
    if n_talkers >= _PARALLEL_TALKERS:
        found, words_pos, words_neg, part = _gather_word_blocks(
            n_talkers, indptr, indices, talkers, agents, item_likes, word, keys, step, items,
        )
        n_pos = words_pos.sum()
        n_neg = words_neg.sum()
        k = 0
        fits = True
        for b in range(found.size):
            room = (cap if b == found.size - 1 else (b + 1) * part) - b * part
            fits = fits and found[b] <= room
            if fits and b > 0:  # move block b down behind the earlier ones (k <= b * part)
                src = b * part
                for x in range(found[b]):
                    buf_target[k + x] = buf_target[src + x]
                    buf_author[k + x] = buf_author[src + x]
                    buf_source[k + x] = buf_source[src + x]
                    buf_sent[k + x] = buf_sent[src + x]
                    buf_quality[k + x] = buf_quality[src + x]
                    buf_age[k + x] = buf_age[src + x]
            k += found[b]
        if not fits:  # a block ran out of room: ask for bigger buffers
            return max(k, cap + 1), n_pos, n_neg
    else:
        k, n_pos, n_neg = _gather_word(
            0, n_talkers, indptr, indices, talkers, agents, item_likes, word, keys, step, 0, cap,
            items,
        )
    # Brand posts to followers (as notifications to bell subscribers).
    if n_posts > 0:
        for j in range(n):
            if follower[j] and on_platform[j]:
                src = _NOTIFICATION if bell[j] else _FOLLOWER
                for _ in range(n_posts):
                    k = _put_brand_item(k, j, src, brand_quality, buf_target, buf_author,
                                        buf_source, buf_sent, buf_quality, buf_age)
    # Brand posts amplified on their likes (real or bought).
    if amplification > 0.0 and brand_likes > 0:
        expected = amplification * brand_likes
        state = key_for(keys.amplify, step, n)
        u, state = uniform(state)
        m = np.int64(expected) + (1 if u < expected - np.floor(expected) else 0)
        for _ in range(m):
            j, state = randint(state, n)
            if on_platform[j]:
                k = _put_brand_item(k, j, _AMPLIFIED, brand_quality, buf_target, buf_author,
                                    buf_source, buf_sent, buf_quality, buf_age)
    if n_sponsored > 0 and n_pool > 0:
        state = key_for(keys.sponsor, step, n)
        for _ in range(n_sponsored):
            r, state = randint(state, n_pool)
            j = sponsor_pool[r]
            if on_platform[j]:
                k = _put_brand_item(k, j, _PAID, brand_quality, buf_target, buf_author,
                                    buf_source, buf_sent, buf_quality, buf_age)
    return k, n_pos, n_neg


# ------------------------------------------------------------------ grouping by target
# A candidate's fields as one int64, kept next to its target's others: author
# (32 bits), source (8), sentiment (8), age (16; a step with a wider age keeps
# the ages in an array of their own, which gather_candidates never needs).
_AGE_LIMIT = 1 << 15


@njit(cache=True, inline="always")
def _author(w):
    return np.int32(w & 0xFFFFFFFF)


@njit(cache=True, inline="always")
def _source(w):
    return np.int8((w >> 32) & 0xFF)


@njit(cache=True, inline="always")
def _sentiment(w):
    return np.int8((w >> 40) & 0xFF)


@njit(cache=True, inline="always")
def _placed(src):
    """Notifications and bought impressions are placed in the feed, not ranked."""
    return src == _NOTIFICATION or src == _PAID


@njit(cache=True, inline="always")
def _count_targets(c0, c1, buf_target, buf_age, counts):
    """Add candidates ``c0 .. c1 - 1`` to ``counts[target + 1]``; return whether an age is wide."""
    wide = False
    for c in range(c0, c1):
        counts[buf_target[c] + 1] += 1
        if buf_age[c] < 0 or buf_age[c] >= _AGE_LIMIT:
            wide = True
    return wide


@njit(cache=True, inline="always")
def _move_candidates(c0, c1, items, slot, packed, qual, ages):
    """Pack candidates ``c0 .. c1 - 1`` into slot ``slot[target + 1]`` (then moved on)."""
    buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age = items
    wide = ages.size > 0
    for c in range(c0, c1):
        j = buf_target[c]
        x = slot[j + 1]
        slot[j + 1] = x + 1
        w = ((np.int64(buf_author[c]) & 0xFFFFFFFF) | ((np.int64(buf_source[c]) & 0xFF) << 32)
             | ((np.int64(buf_sent[c]) & 0xFF) << 40))
        if wide:
            ages[x] = buf_age[c]
        else:
            w |= buf_age[c] << 48
        packed[x] = w
        qual[x] = buf_quality[c]


@njit(cache=True, parallel=True)
def _count_targets_blocks(n_cand, n, buf_target, buf_age):
    """Candidates per target of each thread's block (int64, (blocks, n + 1)); any wide age."""
    blocks = _num_threads()
    counts = np.zeros((blocks, n + 1), np.int64)
    wide = np.zeros(blocks, np.bool_)
    for b in prange(blocks):
        wide[b] = _count_targets(b * n_cand // blocks, (b + 1) * n_cand // blocks, buf_target,
                                 buf_age, counts[b])
    return counts, wide.any()


@njit(cache=True, parallel=True)
def _move_candidates_blocks(n_cand, items, slots, packed, qual, ages):
    """:func:`_move_candidates` on each block (row ``b`` of ``slots``), one thread each."""
    blocks = slots.shape[0]
    for b in prange(blocks):
        _move_candidates(b * n_cand // blocks, (b + 1) * n_cand // blocks, items, slots[b], packed,
                         qual, ages)


# ------------------------------------------------------------------ ranking
@njit(cache=True)
def _select_ranked(quant, seen, R, nb, a_slots, order, state):
    """Mark in ``seen`` the ranked candidates that win one of ``a_slots`` slots.

    ``quant`` (float64, (R,)) holds each candidate's quantile among the ``nb``
    background items (placed items have 2.0 and are already seen, using no
    slot). Walking the candidates from the best down, the number of background
    items between the previous candidate's quantile ``q0`` and this one's
    ``q`` is Binomial(remaining, (q0 - q) / q0) (the remaining background
    items are uniform below ``q0``); a candidate is seen while background plus
    better candidates leave it a slot. Each binomial is drawn by inversion and
    cut at the slots left, so a candidate costs one power and at most
    ``a_slots`` multiply-adds, instead of ``a_slots`` powers per agent for the
    top order statistics (measured 2.5x faster on the 1,000,000-agent benchmark).
    ``order`` (int64, (>= R,)) is scratch.
    """
    _select_at(quant, seen, 0, R, nb, a_slots, order, state)


@njit(cache=True, inline="always")
def _select_at(quant, seen, lo, R, nb, a_slots, order, state):
    """:func:`_select_ranked` on slots ``lo .. lo + R`` of ``quant``, ``seen`` and ``order``."""
    m = 0
    for r in range(R):  # insertion sort, descending: R is small (a few items)
        q = quant[lo + r]
        if q > 1.5:
            continue
        x = m
        while x > 0 and quant[lo + order[lo + x - 1]] < q:
            order[lo + x] = order[lo + x - 1]
            x -= 1
        order[lo + x] = r
        m += 1
    slots = a_slots
    remaining = nb
    q0 = 1.0
    for x in range(m):
        r = order[lo + x]
        q = quant[lo + r]
        if remaining > 0 and q < q0:
            p = (q0 - q) / q0
            if p >= 1.0:
                above = remaining
            else:
                u, state = uniform(state)
                term = (1.0 - p) ** remaining
                cum = term
                above = 0
                ratio = p / (1.0 - p)
                while u >= cum and above < slots:
                    term *= (remaining - above) / (above + 1.0) * ratio
                    above += 1
                    cum += term
            if above >= slots:
                return
            slots -= above
            remaining -= above
            q0 = q
        seen[lo + r] = 1
        slots -= 1
        if slots <= 0:
            return


@njit(cache=True, inline="always")
def _bit(bits, i):
    return (bits[i >> 6] >> np.uint64(i & 63)) & np.uint64(1)


@njit(cache=True, inline="always")
def _set_bit(bits, i):
    bits[i >> 6] |= np.uint64(1) << np.uint64(i & 63)


@njit(cache=True, inline="always")
def _fill_feed(j, lo, R, state, rule, attention, keys, step, quant, seen, scratch):
    """Mark in ``seen`` which of target ``j``'s ranked candidates win a slot.

    ``state`` is the target's stream after its quantile draws; returns it
    after the background draw (the engagement draws follow).
    """
    if rule.policy == ALL:
        for x in range(lo, lo + R):
            seen[x] = 1
        return state
    # Poisson(background) items this step (normal approximation when large).
    u, state = uniform(state)
    nb = 0
    lam = rule.background
    if lam > 50.0:
        u2, state = uniform(state)
        z = math.sqrt(-2.0 * math.log(max(u, 1e-300))) * math.cos(2.0 * math.pi * u2)
        nb = max(0, np.int64(lam + math.sqrt(lam) * z + 0.5))
    elif lam > 0.0:
        p = math.exp(-lam)
        cum = p
        while u > cum and nb < 10_000:
            nb += 1
            p *= lam / nb
            cum += p
    # Its own stream: the draws after this one stay those of the old layout.
    _select_at(quant, seen, lo, R, nb, attention[j], scratch,
               key_for(keys.slots, step, j))
    return state


@njit(cache=True, inline="always")
def _rank_target(j, lo, R, packed, qual, ages, item_likes, has_likes, brand_likes, attention,
                 rule, keys, step, quant, seen, scratch):
    """Quantile target ``j``'s candidates (slots ``lo .. lo + R``) and mark the seen ones.

    An item's likes are read from ``item_likes`` only if its bit is set in
    ``has_likes`` (uint64 bitmap; a clear bit means no likes). Returns the
    target's stream state after the ranking draws.

    The per-target helpers take the arrays one by one, not grouped: they run
    once per agent reached, inlined in the ranking loops, where a tuple of
    arrays would add reference-count updates per agent.
    """
    policy, max_age, decay, sigma = rule.policy, rule.max_age, rule.decay, rule.sigma
    state = key_for(keys.feed, step, j)
    for x in range(lo, lo + R):
        w = packed[x]
        if _placed(_source(w)):  # always seen, uses no slot
            seen[x] = 1
            quant[x] = 2.0
            continue
        seen[x] = 0
        author = _author(w)
        likes = brand_likes
        if author >= 0:
            likes = item_likes[author] if _bit(has_likes, author) else 0
        age = ages[x] if ages.size else w >> 48
        u, state = uniform(state)
        u2, state = uniform(state)
        quant[x] = item_quantile(policy, likes, qual[x], age, max_age, decay, sigma, u, u2)
    return _fill_feed(j, lo, R, state, rule, attention, keys, step, quant, seen, scratch)


@njit(cache=True, inline="always")
def _rerank_target(j, lo, R, packed, qual, ages, item_likes, liked, attention, rule, keys, step,
                   quant, seen, scratch):
    """Redo target ``j``'s ranking if an item it ranks was liked earlier this step.

    Only the liked items' quantiles are computed again (the draws are walked
    to reach theirs); if one changed, the slots are filled again.
    """
    policy, max_age, decay, sigma = rule.policy, rule.max_age, rule.decay, rule.sigma
    state = key_for(keys.feed, step, j)
    changed = False
    for x in range(lo, lo + R):
        w = packed[x]
        if _placed(_source(w)):
            continue
        u, state = uniform(state)
        u2, state = uniform(state)
        author = _author(w)
        if author >= 0 and _bit(liked, author):
            age = ages[x] if ages.size else w >> 48
            likes = item_likes[author]
            q = item_quantile(policy, likes, qual[x], age, max_age, decay, sigma, u, u2)
            if q != quant[x]:
                quant[x] = q
                changed = True
    if changed:
        for x in range(lo, lo + R):
            if not _placed(_source(packed[x])):
                seen[x] = 0
        _fill_feed(j, lo, R, state, rule, attention, keys, step, quant, seen, scratch)


@njit(cache=True, parallel=True)
def _rank_targets_parallel(n_touched, touched, first, packed, qual, ages, item_likes, has_likes,
                           brand_likes, attention, rule, keys, step, quant, seen, scratch, after):
    """:func:`_rank_target` for every touched agent, in parallel (each writes its own slots)."""
    for t in prange(n_touched):
        after[t] = _rank_target(touched[t], first[t], first[t + 1] - first[t], packed, qual, ages,
                                item_likes, has_likes, brand_likes, attention, rule, keys, step,
                                quant, seen, scratch)


@njit(cache=True)
def select_and_act(n_cand, items, agents, item_likes, rule, brand_likes_in, keys, step, heard,
                   order, m, brand_share_until, share_brand):
    """Rank each agent's candidates, mark what is seen, apply likes, shares, follows.

    ``items`` holds the ``n_cand`` candidates (:class:`Items`), ``rule`` is a
    :class:`FeedRule`, ``brand_likes_in`` the likes of the visible brand post.
    Fills ``heard.pos`` / ``heard.neg`` (word seen; under threshold contagion
    also ``heard.memory``) and ``heard.brand`` (brand posts seen) for the
    listening step, lists the agents in ``heard.touched``,
    and adds the step's platform flows into ``m`` (float64, the layers block of
    :mod:`simulator.state.metrics`). Returns ``(n_touched, brand_likes_added,
    brand_views, sharers)``; the sharers (int32, increasing ids) start talking.
    ``order`` (int64, (>= n_cand,)) is scratch, and so become ``items.source``,
    ``items.quality`` and ``items.age`` once read.

    Follows won from shares (``rule.p_follow_shared`` > 0; the two arrays are empty
    otherwise and no draw is taken): a talker's item is a share of the brand's post
    while the talk episode the share started lasts (``brand_share_until[i] ==
    agents.talk_until[i]``); a non-follower who is not a detractor and sees such an
    item follows with ``p_follow_shared``. ``share_brand[j]`` (uint8) is set to 1 for
    a sharer whose shared item was the brand's post, else 0.

    Agents act one after another in increasing id, each with its own draws
    ``key_for(keys.feed, step, j)``, and a like counts for the rankings of the
    agents after it. On large steps the rankings are first drawn for everyone
    at once (in parallel) with the likes of the step's start; then, agent by
    agent, a ranking that an earlier like could have changed is redone before
    the agent acts, which gives the one-by-one result on any thread count
    (measured: about 9% of agents at the peak of the 10^6-agent benchmark).
    """
    buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age = items
    opinion, follower, bell = agents.opinion, agents.follower, agents.bell
    on_platform, attention = agents.on_platform, agents.attention
    policy = rule.policy
    p_like, p_share, ad_tolerance, ad_fatigue, p_leave = (
        rule.p_like, rule.p_share, rule.ad_tolerance, rule.ad_fatigue, rule.p_leave)
    p_follow, p_bell, p_unbell = rule.p_follow, rule.p_bell, rule.p_unbell
    p_follow_shared = rule.p_follow_shared
    talk_until = agents.talk_until
    heard_pos, heard_neg, heard_brand, touched = heard.pos, heard.neg, heard.brand, heard.touched
    memory = heard.memory  # threshold contagion: a friend's word seen is remembered
    remembers = memory.bar.size > 0
    n = opinion.size
    # Group the candidates by target (stable counting sort): row b of `slot`
    # counts block b's candidates per target (slot[b, j + 1]), then says where
    # they go; blocks are moved by their own threads, in candidate order.
    if n_cand >= _PARALLEL_CANDIDATES:
        slot, wide = _count_targets_blocks(n_cand, n, buf_target, buf_age)
    else:
        slot = np.zeros((1, n + 1), np.int64)
        wide = _count_targets(0, n_cand, buf_target, buf_age, slot[0])
    blocks = slot.shape[0]
    # first[t] .. first[t + 1]: where the t-th agent reached has its candidates.
    first = np.empty(min(n, n_cand) + 1, np.int64)
    n_touched = 0
    end = 0
    for j in range(n):
        r = slot[0, j + 1]
        for b in range(1, blocks):
            r += slot[b, j + 1]
        if r > 0:  # the rest of the scan reads only (most agents get nothing late in a run)
            touched[n_touched] = j
            first[n_touched] = end
            n_touched += 1
            for b in range(blocks):
                r = slot[b, j + 1]
                slot[b, j + 1] = end
                end += r
    first[n_touched] = end
    # Read through a permutation, the six buffers would cost six cache misses
    # per candidate (before this, most of the kernel's time at 10^6 agents).
    packed = order
    qual = np.empty(n_cand)
    ages = np.empty(n_cand if wide else 0, np.int64)
    if blocks > 1:
        _move_candidates_blocks(n_cand, items, slot, packed, qual, ages)
    else:
        _move_candidates(0, n_cand, items, slot[0], packed, qual, ages)
    # The buffers are read: they become the ranking's scratch.
    quant = buf_quality
    seen = buf_source
    scratch = buf_age
    after = np.empty(n_touched, np.uint64)  # each agent's stream state after its ranking
    # Few items have likes: a bitmap small enough for the cache says which may,
    # so item_likes (a cache miss each) is read only for those.
    has_likes = np.zeros((n + 63) >> 6, np.uint64)
    if policy == ENGAGEMENT:  # only engagement ranking reads the likes
        for w in range(n >> 6):
            bits = np.uint64(0)
            for b in range(64):  # branch-free: it vectorises (5x the bit-by-bit loop)
                bits |= np.uint64(item_likes[(w << 6) + b] != 0) << np.uint64(b)
            has_likes[w] = bits
        for a in range(n & ~63, n):
            if item_likes[a] != 0:
                _set_bit(has_likes, a)
    if n_touched >= _PARALLEL_TARGETS:
        _rank_targets_parallel(n_touched, touched, first, packed, qual, ages, item_likes,
                               has_likes, brand_likes_in, attention, rule, keys, step, quant, seen,
                               scratch, after)
    else:
        for t in range(n_touched):
            after[t] = _rank_target(touched[t], first[t], first[t + 1] - first[t], packed, qual,
                                    ages, item_likes, has_likes, brand_likes_in, attention, rule,
                                    keys, step, quant, seen, scratch)
    liked = np.zeros((n + 63) >> 6, np.uint64)  # bitmap: items liked so far this step
    brand_likes = 0
    brand_views = 0
    n_share = 0
    sharers = np.empty(n_touched, np.int32)
    for t in range(n_touched):
        j = touched[t]
        lo = first[t]
        hi = first[t + 1]
        state = after[t]
        if policy == ENGAGEMENT:  # only engagement ranking reads the likes
            for x in range(lo, hi):
                author = _author(packed[x])
                if author >= 0 and _bit(liked, author):
                    _rerank_target(j, lo, hi - lo, packed, qual, ages, item_likes, liked,
                                   attention, rule, keys, step, quant, seen, scratch)
                    break
        # What the seen items do.
        a_slots = attention[j]
        n_seen_paid = 0
        n_seen = 0
        for x in range(lo, hi):
            if seen[x]:
                n_seen += 1
                if _source(packed[x]) == _PAID:
                    n_seen_paid += 1
        fatigue = 1.0
        if n_seen_paid > 0 and n_seen_paid > ad_tolerance * max(a_slots, n_seen):
            fatigue = ad_fatigue
            m[P_OVERLOADED] += 1
            if p_leave > 0.0:
                u, state = uniform(state)
                if u < p_leave:
                    on_platform[j] = 0
        shared = False
        shared_brand = False
        for x in range(lo, hi):
            if not seen[x]:
                continue
            w = packed[x]
            author = _author(w)
            src = _source(w)
            sent = _sentiment(w)
            q = qual[x]
            if src == _FRIEND:
                m[P_IMPRESSIONS_ORGANIC] += 1
            elif src == _FOLLOWER:
                m[P_IMPRESSIONS_FOLLOWER] += 1
            elif src == _NOTIFICATION:
                m[P_IMPRESSIONS_NOTIFICATION] += 1
            elif src == _AMPLIFIED:
                m[P_IMPRESSIONS_AMPLIFIED] += 1
            else:
                m[P_IMPRESSIONS_PAID] += 1
            if author >= 0:
                if sent == _POS:
                    heard_pos[j] += 1
                else:
                    heard_neg[j] += 1
                if remembers:
                    remember(memory, j, author, sent)
            else:
                heard_brand[j] += 1
                if src == _FOLLOWER or src == _NOTIFICATION:
                    brand_views += 1
            u, state = uniform(state)
            if u < p_like * q * fatigue:
                m[P_LIKES] += 1
                if author >= 0:
                    item_likes[author] += 1
                    _set_bit(liked, author)
                else:
                    brand_likes += 1
                u, state = uniform(state)
                if u < p_share and opinion[j] == sent and not shared:
                    shared = True
                    shared_brand = author < 0
                    m[P_SHARES] += 1
            if (p_follow_shared > 0.0 and author >= 0 and sent == _POS and follower[j] == 0
                    and opinion[j] != _NEG and brand_share_until[author] == talk_until[author]):
                # A friend's share of the brand's post: brand content beyond the followers.
                u, state = uniform(state)
                if u < p_follow_shared:
                    follower[j] = 1
                    m[P_FOLLOWS] += 1
            if author < 0:
                if follower[j] == 0:
                    if opinion[j] != _NEG:
                        u, state = uniform(state)
                        if u < p_follow * q:
                            follower[j] = 1
                            m[P_FOLLOWS] += 1
                elif bell[j] == 0:
                    u, state = uniform(state)
                    if u < p_bell:
                        bell[j] = 1
                elif src == _NOTIFICATION and p_unbell > 0.0:
                    u, state = uniform(state)
                    if u < p_unbell:
                        bell[j] = 0
        if shared:
            sharers[n_share] = j
            n_share += 1
            if share_brand.size > 0:
                share_brand[j] = 1 if shared_brand else 0
    return n_touched, brand_likes, brand_views, sharers[:n_share]


@njit(cache=True)
def churn_followers(follower, bell, hazard, key, step, m):
    """Each follower unfollows with ``hazard`` (bell goes with it)."""
    if hazard <= 0.0:
        return
    n = follower.size
    for j in range(n):
        if follower[j]:
            u, _ = uniform(key_for(key, step, j))
            if u < hazard:
                follower[j] = 0
                bell[j] = 0
                m[P_UNFOLLOWS] += 1
