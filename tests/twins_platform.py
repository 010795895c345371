"""Slow, obvious Python twins of the platform kernels.

``item_quantile`` is rewritten formula by formula (with ``scipy.stats.norm``
instead of ``erfc``), so it must agree with the kernel to rounding. The feed
selection is rewritten the brute-force way: materialise every background
item's score, sort candidates and background together, keep the top
``attention``. It uses NumPy's generator, not the kernel's counter-based
draws, so it agrees *in distribution* only (the tests compare with KS and
binomial tolerances).

``gather_candidates`` and ``select_and_act`` have exact twins: the plain
sequential loops (talker after talker, agent after agent) with the kernels'
counter-based draws, which the kernels' grouping, packing, parallel ranking
and thread blocks must reproduce number for number.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from simulator import rng
from simulator.kernels import feed as K
from simulator.state import metrics as M
from simulator.state.agents import Opinion, Source

POS, NEG = int(Opinion.POSITIVE), int(Opinion.NEGATIVE)
FRIEND, FOLLOWER, NOTIFICATION = int(Source.FRIEND), int(Source.FOLLOWER), int(Source.NOTIFICATION)
AMPLIFIED, PAID = int(Source.AMPLIFIED), int(Source.PAID)


def item_quantile_twin(policy, likes, quality, age, max_age, decay, sigma, u, u2):
    """The rank in [0, 1] of a candidate among background items (see the kernel's docstring)."""
    if policy == K.CHRONOLOGICAL:  # chronological: P(a background age drawn uniform on 0..max_age is older)
        return float(np.clip((max_age + 1.0 - age - u) / (max_age + 1.0), 0.0, 1.0))
    if policy == K.RANDOM:  # random
        return u
    score = (1.0 + likes) * quality * math.exp(-decay * age**0.4)
    if score <= 0.0:
        return 0.0
    if sigma <= 0.0:
        return 1.0 if score > 1.0 else (u if score == 1.0 else 0.0)
    # Appeal lognormal(0, sigma) via Box-Muller from (u, u2); background lognormal(0, sigma).
    z = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2.0 * math.pi * u2)
    return float(norm.cdf((math.log(score) + sigma * z) / sigma))


def top_k_background(nb, k, rng):
    """The ``k`` largest of ``nb`` explicit uniforms, descending (what the kernel draws in O(k))."""
    return np.sort(rng.random(nb))[::-1][:k]


def shortcut_background(nb, k, rng):
    """The kernel's O(k) recursion ``M1 = U^(1/nb)``, ``M(b+1) = M(b) U^(1/(nb-b))``, in Python."""
    out, level = [], 1.0
    for b in range(min(nb, k)):
        level *= (1.0 - rng.random()) ** (1.0 / (nb - b))
        out.append(level)
    return np.array(out)


def engagement_seen(scores, attention, background, sigma, rng):
    """Which candidates one agent sees under engagement ranking, by brute force.

    ``scores`` are the candidates' ``(1 + likes) x quality x recency``; each gets
    a lognormal(0, sigma) appeal, and competes with Poisson(``background``)
    background items of score lognormal(0, sigma) for ``attention`` slots.
    Returns a boolean array (seen or not), one per candidate.
    """
    r = len(scores)
    nb = rng.poisson(background)
    cand = np.asarray(scores, float) * rng.lognormal(0.0, sigma, r)
    allscores = np.concatenate([cand, rng.lognormal(0.0, sigma, nb)])
    top = np.argsort(-allscores, kind="stable")[:attention]
    return np.isin(np.arange(r), top)


def ranked_seen(quant, nb, attention, rng):
    """Which ranked candidates (quantiles ``quant``) beat ``nb`` explicit background uniforms.

    The brute-force twin of the kernel's binomial walk: materialise the
    background, rank everything, keep the top ``attention``.
    """
    allq = np.concatenate([np.asarray(quant, float), rng.random(nb)])
    top = np.argsort(-allq, kind="stable")[:attention]
    return np.isin(np.arange(len(quant)), top)


# ------------------------------------------------------------------ exact twins
# The kernels group candidates by target, pack them, rank in parallel with the
# likes of the step's start and redo what a like changed. These twins do the
# obvious thing instead: talker after talker, agent after agent, in Python, with
# the same counter-based draws, so they must agree with the kernels exactly.
# (Generator states go back into the kernels as uint64: a Python int above
# 2**63 would not convert.)

def key_for(stream, a, b):
    return np.uint64(rng.key_for(np.uint64(stream), a, b))


def uniform(state):
    u, state = rng.uniform(state)
    return u, np.uint64(state)


def randint(state, n):
    k, state = rng.randint(state, n)
    return k, np.uint64(state)


def next_success(state, pos, p, log_q):
    pos, state = rng.next_success(state, pos, p, log_q)
    return pos, np.uint64(state)


def gather_candidates_twin(indptr, indices, talkers, n_talkers, opinion, talk_until, on_platform,
                           item_likes, follower, bell, p_positive, p_negative, talk_steps, max_age,
                           amplification, n_posts, brand_quality, brand_likes, n_sponsored,
                           sponsor_pool, n_pool, wom_key, feed_key, step):
    """Candidates, a list of ``(target, author, source, sentiment, quality, age)``; word counts."""
    n = opinion.size
    cands, words = [], {POS: 0, NEG: 0}
    famp = np.uint64(feed_key) ^ np.uint64(0xA5A5A5A5)
    for i in talkers[:n_talkers]:
        s = opinion[i]
        age = step - (talk_until[i] - talk_steps) - 1
        if on_platform[i] == 0 or age > max_age or s not in (POS, NEG):
            continue
        p = p_positive if s == POS else p_negative
        if p > 0.0:
            # Each friend in turn hears with probability p: a geometric skip to the next one.
            state = key_for(wom_key, step, i)
            pos = indptr[i] - 1
            while True:
                pos, state = next_success(state, pos, p, math.log1p(-p) if p < 1.0 else -math.inf)
                if pos >= indptr[i + 1]:
                    break
                words[s] += 1
                if on_platform[indices[pos]]:
                    cands.append((indices[pos], i, FRIEND, s, 1.0, age))
        if amplification > 0.0 and item_likes[i] > 0:
            expected = amplification * item_likes[i]
            state = key_for(famp, step, i)
            u, state = uniform(state)
            for _ in range(int(expected) + (u < expected - math.floor(expected))):
                j, state = randint(state, n)
                if on_platform[j] and j != i:
                    cands.append((j, i, AMPLIFIED, s, 1.0, age))
    for j in range(n) if n_posts > 0 else ():
        if follower[j] and on_platform[j]:
            src = NOTIFICATION if bell[j] else FOLLOWER
            cands += [(j, -1, src, POS, brand_quality, 0)] * n_posts
    if amplification > 0.0 and brand_likes > 0:
        expected = amplification * brand_likes
        state = key_for(famp, step, n)
        u, state = uniform(state)
        for _ in range(int(expected) + (u < expected - math.floor(expected))):
            j, state = randint(state, n)
            if on_platform[j]:
                cands.append((j, -1, AMPLIFIED, POS, brand_quality, 0))
    if n_sponsored > 0 and n_pool > 0:
        state = key_for(np.uint64(feed_key) ^ np.uint64(0x5A5A5A5A), step, n)
        for _ in range(n_sponsored):
            r, state = randint(state, n_pool)
            if on_platform[sponsor_pool[r]]:
                cands.append((sponsor_pool[r], -1, PAID, POS, brand_quality, 0))
    return cands, words[POS], words[NEG]


def select_and_act_twin(cands, opinion, follower, bell, on_platform, attention, item_likes,
                        policy, background, max_age, decay, sigma, p_like, p_share, ad_tolerance,
                        ad_fatigue, p_leave, p_follow, p_bell, p_unbell, brand_likes_in, feed_key,
                        step, p_follow_shared=0.0, brand_share_until=None, talk_until=None):
    """What :func:`select_and_act` does, one agent after another in increasing id.

    ``cands`` is :func:`gather_candidates_twin`'s list. ``follower``, ``bell``,
    ``on_platform`` and ``item_likes`` are changed in place. Returns a dict of
    the outputs (``heard_pos``, ``heard_neg``, ``heard_brand``, ``touched``,
    ``m``, ``brand_likes``, ``brand_views``, ``sharers``, and ``share_brand``: for each
    sharer, whether the item it shared was the brand's post). With ``p_follow_shared``,
    an item of talker ``i`` with ``brand_share_until[i] == talk_until[i]`` is a share of
    the brand's post, which makes a non-follower who is not a detractor follow with
    that chance.
    """
    n = opinion.size
    heard_pos, heard_neg, heard_brand = (np.zeros(n, np.int64) for _ in range(3))
    m = np.zeros(M.N_LAYERS)
    by_target = {}
    for cand in cands:  # in gathering order within each agent
        by_target.setdefault(int(cand[0]), []).append(cand)
    touched = sorted(by_target)
    impressions = {FRIEND: M.P_IMPRESSIONS_ORGANIC, FOLLOWER: M.P_IMPRESSIONS_FOLLOWER,
                   NOTIFICATION: M.P_IMPRESSIONS_NOTIFICATION, AMPLIFIED: M.P_IMPRESSIONS_AMPLIFIED,
                   PAID: M.P_IMPRESSIONS_PAID}
    brand_likes = brand_views = 0
    sharers, share_brand = [], []
    for j in touched:
        items = by_target[j]
        R = len(items)
        state = key_for(feed_key, step, j)
        # Quantiles with the likes as they are now (earlier agents' likes count).
        quant = np.empty(R)
        seen = np.zeros(R, np.uint8)
        for r, (_, author, src, _, q, age) in enumerate(items):
            if src in (NOTIFICATION, PAID):  # placed in the feed, not ranked
                seen[r], quant[r] = 1, 2.0
                continue
            likes = item_likes[author] if author >= 0 else brand_likes_in
            u, state = uniform(state)
            u2, state = uniform(state)
            quant[r] = K.item_quantile(policy, likes, q, age, max_age, decay, sigma, u, u2)
        if policy == K.ALL:
            seen[:] = 1
        else:
            u, state = uniform(state)
            nb = 0
            if background > 50.0:  # Poisson(background), normal approximation
                u2, state = uniform(state)
                z = math.sqrt(-2.0 * math.log(max(u, 1e-300))) * math.cos(2.0 * math.pi * u2)
                nb = max(0, int(background + math.sqrt(background) * z + 0.5))
            elif background > 0.0:
                p = cum = math.exp(-background)
                while u > cum and nb < 10_000:
                    nb += 1
                    p *= background / nb
                    cum += p
            K._select_ranked(quant, seen, R, nb, attention[j], np.empty(R, np.int64),
                             key_for(np.uint64(feed_key) ^ np.uint64(0x3C3C3C3C), step, j))
        # What the seen items do.
        n_seen = int(seen.sum())
        n_paid = sum(1 for r in range(R) if seen[r] and items[r][2] == PAID)
        fatigue = 1.0
        if n_paid > 0 and n_paid > ad_tolerance * max(attention[j], n_seen):
            fatigue = ad_fatigue
            m[M.P_OVERLOADED] += 1
            if p_leave > 0.0:
                u, state = uniform(state)
                if u < p_leave:
                    on_platform[j] = 0
        shared = shared_brand = False
        for r, (_, author, src, sent, q, _) in enumerate(items):
            if not seen[r]:
                continue
            m[impressions[src]] += 1
            if author >= 0:
                if sent == POS:
                    heard_pos[j] += 1
                else:
                    heard_neg[j] += 1
            else:
                heard_brand[j] += 1
                brand_views += src in (FOLLOWER, NOTIFICATION)
            u, state = uniform(state)
            if u < p_like * q * fatigue:
                m[M.P_LIKES] += 1
                if author >= 0:
                    item_likes[author] += 1
                else:
                    brand_likes += 1
                u, state = uniform(state)
                if u < p_share and opinion[j] == sent and not shared:
                    shared = True
                    shared_brand = author < 0
                    m[M.P_SHARES] += 1
            if (p_follow_shared > 0 and author >= 0 and sent == POS and follower[j] == 0
                    and opinion[j] != NEG and brand_share_until[author] == talk_until[author]):
                u, state = uniform(state)
                if u < p_follow_shared:
                    follower[j] = 1
                    m[M.P_FOLLOWS] += 1
            if author < 0:
                if follower[j] == 0:
                    if opinion[j] != NEG:
                        u, state = uniform(state)
                        if u < p_follow * q:
                            follower[j] = 1
                            m[M.P_FOLLOWS] += 1
                elif bell[j] == 0:
                    u, state = uniform(state)
                    if u < p_bell:
                        bell[j] = 1
                elif src == NOTIFICATION and p_unbell > 0.0:
                    u, state = uniform(state)
                    if u < p_unbell:
                        bell[j] = 0
        if shared:
            sharers.append(j)
            share_brand.append(1 if shared_brand else 0)
    return {"heard_pos": heard_pos, "heard_neg": heard_neg, "heard_brand": heard_brand,
            "touched": np.array(touched, np.int64), "m": m, "brand_likes": brand_likes,
            "brand_views": brand_views, "sharers": np.array(sharers, np.int64),
            "share_brand": np.array(share_brand, np.uint8)}
