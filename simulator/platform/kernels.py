"""Platform kernels: what reaches each agent, what its feed shows, what that does.

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
Notifications bypass ranking: they are always seen.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.core.state import Opinion, Source
from simulator.rng import key_for, next_success, randint, uniform

POLICY_CODES = {"all": 0, "chronological": 1, "random": 2, "engagement": 3}
_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)
_FRIEND = np.int8(Source.FRIEND)
_FOLLOWER = np.int8(Source.FOLLOWER)
_NOTIFICATION = np.int8(Source.NOTIFICATION)
_AMPLIFIED = np.int8(Source.AMPLIFIED)
_PAID = np.int8(Source.PAID)

# Platform metric columns (float64 series).
P_IMPRESSIONS_ORGANIC = 0
P_IMPRESSIONS_FOLLOWER = 1
P_IMPRESSIONS_NOTIFICATION = 2
P_IMPRESSIONS_AMPLIFIED = 3
P_IMPRESSIONS_PAID = 4
P_LIKES = 5
P_SHARES = 6
P_FOLLOWERS = 7
P_BELL = 8
P_FOLLOWS = 9
P_UNFOLLOWS = 10
P_BRAND_POSTS = 11
P_ORGANIC_REACH = 12
P_ON_PLATFORM = 13
P_OVERLOADED = 14
PLATFORM_METRICS = (
    "new_impressions_organic",
    "new_impressions_follower",
    "new_impressions_notification",
    "new_impressions_amplified",
    "new_impressions_paid",
    "new_likes",
    "new_shares",
    "n_followers",
    "n_bell",
    "new_follows",
    "new_unfollows",
    "new_brand_posts",
    "organic_reach",
    "n_on_platform",
    "new_ad_overloaded",
)


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
    if policy == 1:  # chronological: background ages uniform on 0..max_age
        q = (max_age + 1.0 - age - u) / (max_age + 1.0)
        return min(max(q, 0.0), 1.0)
    if policy == 2:
        return u
    score = (1.0 + likes) * quality * math.exp(-decay * age**0.4)
    if score <= 0.0:
        return 0.0
    if sigma <= 0.0:
        return 1.0 if score > 1.0 else (u if score == 1.0 else 0.0)
    z = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2.0 * math.pi * u2)  # Box-Muller
    return _phi(math.log(score) / sigma + z)


@njit(cache=True)
def add_candidate(buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age, k,
                  target, author, source, sentiment, quality, age):
    """Append one candidate if there is room; return the new count (may exceed capacity)."""
    if k < buf_target.size:
        buf_target[k] = target
        buf_author[k] = author
        buf_source[k] = source
        buf_sent[k] = sentiment
        buf_quality[k] = quality
        buf_age[k] = age
    return k + 1


@njit(cache=True)
def gather_candidates(
    indptr, indices, talkers, n_talkers, opinion, talk_until, on_platform, item_likes,
    follower, bell, p_positive, p_negative, talk_steps, max_age, amplification,
    n_posts, brand_quality, brand_likes, n_sponsored, sponsor_pool, n_pool,
    wom_key, feed_key, step,
    buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age,
):
    """Every candidate item that reaches an agent this step.

    Friend word uses the same draws as :func:`simulator.core.wom.spread_word`
    (``key_for(wom_key, step, i)``), so turning the feed on changes what is
    *seen*, not what is *said*. Returns ``(count, n_words_pos, n_words_neg)``;
    a count above the buffers' size means retry with bigger buffers.
    """
    n = opinion.size
    k = 0
    n_pos = 0
    n_neg = 0
    lq_pos = np.log1p(-p_positive) if p_positive < 1.0 else -np.inf
    lq_neg = np.log1p(-p_negative) if p_negative < 1.0 else -np.inf
    famp = feed_key ^ np.uint64(0xA5A5A5A5)
    for t in range(n_talkers):
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
            while True:
                pos, state = next_success(state, pos, p, lq)
                if pos >= end:
                    break
                if s == _POS:
                    n_pos += 1
                else:
                    n_neg += 1
                j = indices[pos]
                if on_platform[j]:
                    k = add_candidate(buf_target, buf_author, buf_source, buf_sent, buf_quality,
                                      buf_age, k, j, i, _FRIEND, s, 1.0, age)
        # Amplification: engaged word is shown beyond the author's friends.
        if amplification > 0.0 and item_likes[i] > 0:
            expected = amplification * item_likes[i]
            state = key_for(famp, step, i)
            u, state = uniform(state)
            m = np.int64(expected) + (1 if u < expected - np.floor(expected) else 0)
            for _ in range(m):
                j, state = randint(state, n)
                if on_platform[j] and j != i:
                    k = add_candidate(buf_target, buf_author, buf_source, buf_sent, buf_quality,
                                      buf_age, k, j, i, _AMPLIFIED, s, 1.0, age)
    if n_posts > 0:
        for j in range(n):
            if follower[j] and on_platform[j]:
                src = _NOTIFICATION if bell[j] else _FOLLOWER
                for _ in range(n_posts):
                    k = add_candidate(buf_target, buf_author, buf_source, buf_sent, buf_quality,
                                      buf_age, k, j, -1, src, _POS, brand_quality, 0)
    # Brand posts amplified on their likes (real or bought).
    if amplification > 0.0 and brand_likes > 0:
        expected = amplification * brand_likes
        state = key_for(famp, step, n)
        u, state = uniform(state)
        m = np.int64(expected) + (1 if u < expected - np.floor(expected) else 0)
        for _ in range(m):
            j, state = randint(state, n)
            if on_platform[j]:
                k = add_candidate(buf_target, buf_author, buf_source, buf_sent, buf_quality,
                                  buf_age, k, j, -1, _AMPLIFIED, _POS, brand_quality, 0)
    if n_sponsored > 0 and n_pool > 0:
        state = key_for(feed_key ^ np.uint64(0x5A5A5A5A), step, n)
        for _ in range(n_sponsored):
            r, state = randint(state, n_pool)
            j = sponsor_pool[r]
            if on_platform[j]:
                k = add_candidate(buf_target, buf_author, buf_source, buf_sent, buf_quality,
                                  buf_age, k, j, -1, _PAID, _POS, brand_quality, 0)
    return k, n_pos, n_neg


@njit(cache=True)
def _select_ranked(quant, seen, R, nb, a_slots, order, state):
    """Mark in ``seen`` the ranked candidates that win one of ``a_slots`` slots.

    ``quant`` (float64, (R,)) holds each candidate's quantile among the ``nb``
    background items (notifications have 2.0 and are already seen, using no
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
    m = 0
    for r in range(R):  # insertion sort, descending: R is small (a few items)
        if quant[r] > 1.5:
            continue
        x = m
        while x > 0 and quant[order[x - 1]] < quant[r]:
            order[x] = order[x - 1]
            x -= 1
        order[x] = r
        m += 1
    slots = a_slots
    remaining = nb
    q0 = 1.0
    for x in range(m):
        r = order[x]
        q = quant[r]
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
        seen[r] = 1
        slots -= 1
        if slots <= 0:
            return


@njit(cache=True)
def select_and_act(
    n_cand, buf_target, buf_author, buf_source, buf_sent, buf_quality, buf_age,
    opinion, talk_until, follower, bell, on_platform, attention, item_likes,
    policy, background, max_age, decay, sigma, p_like, p_share, ad_tolerance, ad_fatigue, p_leave,
    p_follow, p_bell, p_unbell, brand_likes_in, talk_steps,
    feed_key, step,
    heard_pos, heard_neg, heard_brand, touched, order, m,
):
    """Rank each agent's candidates, mark what is seen, apply likes, shares, follows.

    Fills ``heard_pos`` / ``heard_neg`` (word seen) and ``heard_brand`` (brand
    posts seen) for the listening step, lists the agents in ``touched``, and
    adds the step's platform flows into ``m`` (float64, PLATFORM_METRICS).
    Returns ``(n_touched, brand_likes_added, brand_views, sharers_list_len)``;
    agents who share start talking (their ids are returned in ``order``'s tail).
    """
    n = opinion.size
    # Group candidates by target (counting sort): cost follows the candidates.
    counts = np.zeros(n + 1, np.int64)
    for c in range(n_cand):
        counts[buf_target[c] + 1] += 1
    n_touched = 0
    for j in range(n):
        if counts[j + 1] > 0:
            touched[n_touched] = j
            n_touched += 1
        counts[j + 1] += counts[j]
    fill = counts[:-1].copy()
    for c in range(n_cand):
        j = buf_target[c]
        order[fill[j]] = c
        fill[j] += 1
    brand_likes = 0
    brand_views = 0
    n_share = 0
    sharers = np.empty(n_touched, np.int32)
    # Per-agent scratch sized once for the busiest agent (no allocation per agent).
    r_max = 0
    for t in range(n_touched):
        r_max = max(r_max, counts[touched[t] + 1] - counts[touched[t]])
    seen_buf = np.zeros(r_max, np.uint8)
    quant_buf = np.empty(r_max)
    order_buf = np.empty(r_max, np.int64)
    for t in range(n_touched):
        j = touched[t]
        lo = counts[j]
        hi = counts[j + 1]
        state = key_for(feed_key, step, j)
        cands = order[lo:hi]
        R = hi - lo
        seen = seen_buf[:R]
        seen[:] = 0
        quant = quant_buf[:R]
        n_notif = 0
        for r in range(R):
            c = cands[r]
            # Notifications bypass ranking; so does a bought impression, which
            # the platform places in the feed (it still takes an attention slot).
            if buf_source[c] == _NOTIFICATION or buf_source[c] == _PAID:
                seen[r] = 1
                n_notif += 1
                quant[r] = 2.0
                continue
            likes = item_likes[buf_author[c]] if buf_author[c] >= 0 else brand_likes_in
            u, state = uniform(state)
            u2, state = uniform(state)
            quant[r] = item_quantile(policy, likes, buf_quality[c], buf_age[c], max_age, decay, sigma,
                                     u, u2)
        a_slots = attention[j]
        if policy == 0:
            for r in range(R):
                seen[r] = 1
        else:
            # Top background quantiles (descending), as many as could matter.
            u, state = uniform(state)
            nb = 0
            lam = background
            # Poisson(background) items this step (normal approximation when large).
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
            _select_ranked(quant, seen, R, nb, a_slots, order_buf,
                           key_for(feed_key ^ np.uint64(0x3C3C3C3C), step, j))
        # What the seen items do.
        n_seen_paid = 0
        n_seen = 0
        for r in range(R):
            if seen[r]:
                n_seen += 1
                if buf_source[cands[r]] == _PAID:
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
        for r in range(R):
            if not seen[r]:
                continue
            c = cands[r]
            src = buf_source[c]
            sent = buf_sent[c]
            q = buf_quality[c]
            author = buf_author[c]
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
            else:
                heard_brand[j] += 1
                if src == _FOLLOWER or src == _NOTIFICATION:
                    brand_views += 1
            u, state = uniform(state)
            if u < p_like * q * fatigue:
                m[P_LIKES] += 1
                if author >= 0:
                    item_likes[author] += 1
                else:
                    brand_likes += 1
                u, state = uniform(state)
                if u < p_share and opinion[j] == sent and not shared:
                    shared = True
                    m[P_SHARES] += 1
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
