"""Slow, obvious Python twins of the platform kernels.

``item_quantile`` is rewritten formula by formula (with ``scipy.stats.norm``
instead of ``erfc``), so it must agree with the kernel to rounding. The feed
selection is rewritten the brute-force way: materialise every background
item's score, sort candidates and background together, keep the top
``attention``. It uses NumPy's generator, not the kernel's counter-based
draws, so it agrees *in distribution* only (the tests compare with KS and
binomial tolerances).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm


def item_quantile_twin(policy, likes, quality, age, max_age, decay, sigma, u, u2):
    """The rank in [0, 1] of a candidate among background items (see the kernel's docstring)."""
    if policy == 1:  # chronological: P(a background age drawn uniform on 0..max_age is older)
        return float(np.clip((max_age + 1.0 - age - u) / (max_age + 1.0), 0.0, 1.0))
    if policy == 2:  # random
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
