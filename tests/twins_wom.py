"""Slow, obvious Python twins of the word-of-mouth kernels.

They use the same counter-based draws (``simulator.rng``) so they must agree
with the numba kernels number for number; the logic is written the plain way
(dicts, sets, loops over agents) so a reader can check it against the step
plan in ``simulator/engine/simulation.py``.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.rng import geometric_skip, key_for, uniform
from simulator.state.agents import Opinion

POS, NEG, UNAWARE, NEUTRAL = Opinion.POSITIVE, Opinion.NEGATIVE, Opinion.UNAWARE, Opinion.NEUTRAL


def skip_positions(key, step, i, degree, p):
    """Positions in a row of length ``degree`` that a talker reaches (same draws as the kernel)."""
    if p <= 0:
        return []
    if p >= 1:
        return list(range(degree))
    lq = math.log1p(-p)
    state = key_for(np.uint64(key), step, i)
    pos, out = -1, []
    while True:
        skip, state = geometric_skip(np.uint64(state), lq)
        pos += int(skip) + 1
        if pos >= degree:
            return out
        out.append(pos)


def population_hits(n, p, key, step):
    """Agents hit by a per-agent chance ``p`` (same draws as ``sample_agents``)."""
    if p <= 0:
        return []
    if p >= 1:
        return list(range(n))
    lq = math.log1p(-p)
    state = key_for(np.uint64(key), step, n)
    j, out = -1, []
    while True:
        skip, state = geometric_skip(np.uint64(state), lq)
        j += int(skip) + 1
        if j >= n:
            return out
        out.append(j)


def twin_run(graph, opinion, talk_until, customer, talkers, wom, market, keys, steps, final=None,
             bars=None):
    """Run the whole step plan in plain Python; return the list of per-step dicts.

    If ``final`` is a dict, it receives the end state: ``opinion``,
    ``talk_until`` and ``customer`` arrays and the ``talkers`` list in order.
    ``bars`` (each agent's threshold in friends) switches to threshold
    contagion: ``said[j][i]`` is the latest word ``j`` heard from friend ``i``.
    """
    threshold = bars is not None
    said = {}
    opinion = opinion.copy()
    talk_until = talk_until.copy()
    customer = customer.copy()
    talkers = list(talkers)
    n = graph.n
    rows = []
    for t in range(1, steps + 1):
        # 1. talk
        inbox = {}
        for i in talkers:
            s = opinion[i]
            p = wom.p_positive if s == POS else wom.p_negative
            friends = graph.neighbors(i)
            for pos in skip_positions(keys.wom, t, i, len(friends), p):
                j = int(friends[pos])
                box = inbox.setdefault(j, [0, 0, 0])
                box[0 if s == POS else 1] += 1
                if threshold:
                    said.setdefault(j, {})[int(i)] = s
        words = sum(b[0] + b[1] for b in inbox.values())
        # 2. advertise
        for j in population_hits(n, market.p_advertising, keys.external, t):
            if opinion[j] in (UNAWARE, NEUTRAL):
                inbox.setdefault(j, [0, 0, 0])[2] = 1
        # 3. listen
        started = []
        for j, (a, b, ad) in inbox.items():
            op = opinion[j]
            state = key_for(np.uint64(keys.listen), t, j)
            new = op
            if threshold:
                heard = said.get(j, {}).values()
                net = sum(w == POS for w in heard) - sum(w == NEG for w in heard)
                pos_met = net > 0 and net >= bars[j]
                neg_met = net < 0 and -net >= bars[j]
                if op in (UNAWARE, NEUTRAL):
                    if (ad or pos_met) and neg_met:
                        u3, state = uniform(np.uint64(state))
                        p_ = sum(w == POS for w in heard)
                        q_ = sum(w == NEG for w in heard)
                        new = POS if u3 * (p_ + ad + q_) < (p_ + ad) else NEG
                    elif ad or pos_met:
                        new = POS
                    elif neg_met:
                        new = NEG
                    else:
                        new = NEUTRAL
                elif op == POS and neg_met:
                    new = NEG
                elif op == NEG and pos_met:
                    new = POS
            elif op in (UNAWARE, NEUTRAL):
                pos_ok = neg_ok = False
                if ad:
                    pos_ok = True
                elif a > 0:
                    if wom.impact_positive >= 1:
                        pos_ok = True
                    else:
                        u1, state = uniform(np.uint64(state))
                        pos_ok = u1 >= (1 - wom.impact_positive) ** a
                if b > 0:
                    if wom.impact_negative >= 1:
                        neg_ok = True
                    else:
                        u2, state = uniform(np.uint64(state))
                        neg_ok = u2 >= (1 - wom.impact_negative) ** b
                if pos_ok and neg_ok:
                    u3, state = uniform(np.uint64(state))
                    new = POS if u3 * (a + ad + b) < (a + ad) else NEG
                elif pos_ok:
                    new = POS
                elif neg_ok:
                    new = NEG
                else:
                    new = NEUTRAL
            elif op == POS and b > 0:
                u1, state = uniform(np.uint64(state))
                if u1 >= (1 - wom.p_turn_negative) ** b:
                    new = NEG
            elif op == NEG and a > 0:
                u1, state = uniform(np.uint64(state))
                if u1 >= (1 - wom.p_turn_positive) ** a:
                    new = POS
            if new != op:
                opinion[j] = new
                if new in (POS, NEG):
                    talk_until[j] = t + wom.talk_steps
                    started.append(j)
        # 4. buy
        if market.p_purchase > 0:
            for j in population_hits(n, market.p_purchase, keys.purchase, t):
                if opinion[j] == POS and not customer[j]:
                    customer[j] = 1
                    u, _ = uniform(np.uint64(key_for(np.uint64(keys.purchase), t, j)))
                    if u >= market.satisfaction:
                        opinion[j] = NEG
                        talk_until[j] = t + wom.talk_steps
                        started.append(j)
        # 5. retire (order: old talkers first, then new ones in order of starting)
        seen = set()
        order = []
        for j in talkers + started:
            if j not in seen:
                seen.add(j)
                order.append(j)
        talkers = [j for j in order if talk_until[j] >= t + 1 and opinion[j] in (POS, NEG)]
        rows.append({
            "n_positive": int((opinion == POS).sum()),
            "n_negative": int((opinion == NEG).sum()),
            "n_neutral": int((opinion == NEUTRAL).sum()),
            "n_customers": int(customer.sum()),
            "n_talking_positive": sum(1 for j in talkers if opinion[j] == POS),
            "n_talking_negative": sum(1 for j in talkers if opinion[j] == NEG),
            "words": words,
        })
    if final is not None:
        final.update(opinion=opinion, talk_until=talk_until, customer=customer, talkers=talkers)
    return rows


def twin_recount(opinion, customer) -> dict[str, int]:
    """The ``n_`` counts, each counted on its own with NumPy."""
    return {
        "n_unaware": int(np.sum(opinion == Opinion.UNAWARE)),
        "n_aware": int(np.sum(opinion != Opinion.UNAWARE)),
        "n_neutral": int(np.sum(opinion == Opinion.NEUTRAL)),
        "n_positive": int(np.sum(opinion == Opinion.POSITIVE)),
        "n_negative": int(np.sum(opinion == Opinion.NEGATIVE)),
        "n_customers": int(np.sum(customer != 0)),
        "n_buyers_left": int(np.sum((opinion == Opinion.POSITIVE) & (customer == 0))),
    }
