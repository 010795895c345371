"""Names and column positions of the per-step metrics the kernels record.

Vocabulary (starsim's): ``n_`` is a count at the end of a step, ``new_`` a
flow during the step, ``cum_`` a running total. A series has ``steps + 1``
rows; row 0 is the starting state (flows are 0 there).

The positions are module constants so numba kernels can index the metrics
array by name without a dict lookup.
"""

from __future__ import annotations

N_UNAWARE = 0
N_AWARE = 1
N_NEUTRAL = 2
N_POSITIVE = 3
N_NEGATIVE = 4
N_TALKING_POSITIVE = 5
N_TALKING_NEGATIVE = 6
N_CUSTOMERS = 7
NEW_AWARE = 8
NEW_POSITIVE = 9
NEW_NEGATIVE = 10
NEW_CUSTOMERS = 11
NEW_DISAPPOINTED = 12
NEW_WORD_POSITIVE = 13
NEW_WORD_NEGATIVE = 14
NEW_ADVERTISING = 15
CUM_REACH = 16
CUM_POSITIVE = 17
CUM_NEGATIVE = 18
CUM_CUSTOMERS = 19
CUM_WORD_POSITIVE = 20
CUM_WORD_NEGATIVE = 21
N_BUYERS_LEFT = 22  # positive non-customers: internal, tells when purchases can still happen

WOM_METRICS = (
    "n_unaware",
    "n_aware",
    "n_neutral",
    "n_positive",
    "n_negative",
    "n_talking_positive",
    "n_talking_negative",
    "n_customers",
    "new_aware",
    "new_positive",
    "new_negative",
    "new_customers",
    "new_disappointed",
    "new_word_positive",
    "new_word_negative",
    "new_advertising",
    "cum_reach",
    "cum_positive",
    "cum_negative",
    "cum_customers",
    "cum_word_positive",
    "cum_word_negative",
    "n_buyers_left",
)
N_WOM_METRICS = len(WOM_METRICS)

#: Columns kept internal (not written to result tables).
INTERNAL_METRICS = frozenset({"n_buyers_left"})


def is_flow(name: str) -> bool:
    """Flows (``new_``) are 0 in row 0 and are summed, not carried, over idle steps."""
    return name.startswith("new_")
