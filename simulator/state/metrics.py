"""The one table of per-step series: name, dtype, kind, and how each is summarised.

Every series a run records is declared once, in :data:`SERIES`, in column
order. Everything else is derived from it: the column positions the kernels
index by name (``N_UNAWARE``, ``P_LIKES``, ...), the public column list of
result tables (:data:`PUBLIC_COLUMNS`), which columns are written as floats,
what a step where nothing happens records, and the starting row of the layers
block.

Vocabulary (starsim's): ``n_`` is a count at the end of a step, ``new_`` a
flow during the step, ``cum_`` a running total, ``_step`` a time. A series has
``steps + 1`` rows; row 0 is the starting state (flows are 0 there).

Two blocks, because the kernels keep them apart: ``counts`` (int64), the
running counts of opinions, talk, customers and word that every word-of-mouth
kernel updates in place; and ``layers`` (float64), what the platform layers,
the crisis and the money add. Positions are module constants so numba kernels
index the arrays by name without a dict lookup (numba freezes them as
compile-time constants).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Series:
    """One per-step series.

    Attributes
    ----------
    name : str
        Its column name; the prefix gives its :attr:`kind`.
    block : {"counts", "layers"}
        The array that holds it during a run.
    doc : str
        What it counts, with its unit.
    dtype : {"int64", "float64"}
        How result tables store it.
    aggregate : {"last", "sum", "max", "mean"}
        How a summary of a whole run reads it: the final value (states and
        running totals), the total over steps (flows), the peak, or the mean.
    idle : {"carry", "zero", "start"}
        What a step where nothing can happen any more records: the last value
        carried forward, zero (flows, and talk once nobody talks), or the
        starting value (:attr:`start`).
    start : float
        The value at step 0 when no layer sets it (``"n"``: the population).
    internal : bool
        Kept by the kernels, not written to result tables.
    """

    name: str
    block: str
    doc: str
    dtype: str = "int64"
    aggregate: str = ""
    idle: str = ""
    start: float | str = 0.0
    internal: bool = False

    @property
    def kind(self) -> str:
        """``n``, ``new``, ``cum`` or ``step`` (a time)."""
        if self.name.endswith("_step"):
            return "step"
        return self.name.split("_", 1)[0] if self.name.split("_", 1)[0] in ("n", "new", "cum") else "n"

    def __post_init__(self) -> None:
        flow = self.kind == "new"
        if not self.aggregate:
            object.__setattr__(self, "aggregate", "sum" if flow else "last")
        if not self.idle:
            object.__setattr__(self, "idle", "zero" if flow else "carry")


def _c(name: str, doc: str, **kw) -> Series:
    return Series(name, "counts", doc, **kw)


def _l(name: str, doc: str, **kw) -> Series:
    return Series(name, "layers", doc, **kw)


#: Every series, in column order within each block. Append; never reorder
#: without regenerating the baseline (``tests/baseline/make_baseline.py``).
SERIES: tuple[Series, ...] = (
    # -- counts: word of mouth and the market (int64, updated in place by the kernels)
    _c("n_unaware", "agents who never heard of the brand"),
    _c("n_aware", "agents who heard of it (n - n_unaware)"),
    _c("n_neutral", "aware, undecided"),
    _c("n_positive", "fans"),
    _c("n_negative", "detractors"),
    _c("n_talking_positive", "fans talking in the next step", aggregate="max", idle="zero"),
    _c("n_talking_negative", "detractors talking in the next step", aggregate="max", idle="zero"),
    _c("n_customers", "agents who bought"),
    _c("new_aware", "agents who heard of the brand this step"),
    _c("new_positive", "agents who turned fan this step"),
    _c("new_negative", "agents who turned detractor this step"),
    _c("new_customers", "purchases this step"),
    _c("new_disappointed", "purchases this step that disappointed"),
    _c("new_word_positive", "positive words passed to friends this step"),
    _c("new_word_negative", "negative words passed to friends this step"),
    _c("new_advertising", "unaware or undecided agents reached by outside advertising"),
    _c("cum_reach", "agents ever aware"),
    _c("cum_positive", "agents ever a fan"),
    _c("cum_negative", "agents ever a detractor"),
    _c("cum_customers", "agents who ever bought"),
    _c("cum_word_positive", "positive words passed so far"),
    _c("cum_word_negative", "negative words passed so far"),
    _c("n_buyers_left", "fans who are not customers: whether purchases can still happen",
       internal=True),
    # -- layers: feed, followers, brand, paid, crisis and money (float64)
    _l("new_impressions_organic", "friends' word seen in feeds"),
    _l("new_impressions_follower", "brand posts seen by followers"),
    _l("new_impressions_notification", "brand posts pushed to bell subscribers"),
    _l("new_impressions_amplified", "items shown beyond the author's friends"),
    _l("new_impressions_paid", "sponsored impressions seen"),
    _l("new_likes", "likes given this step"),
    _l("new_shares", "shares this step (a sharer talks again)"),
    _l("n_followers", "followers of the brand page"),
    _l("n_bell", "followers with the bell (notifications) on"),
    _l("new_follows", "new followers this step"),
    _l("new_unfollows", "followers lost this step"),
    _l("new_brand_posts", "brand posts published this step"),
    _l("organic_reach", "share of followers who saw this step's brand posts",
       dtype="float64", aggregate="mean"),
    _l("n_on_platform", "agents still on the platform", start="n"),
    _l("new_ad_overloaded", "agents shown more paid items than they tolerate"),
    _l("new_responses", "complaints the brand answered this step"),
    _l("cum_responses", "complaints answered so far"),
    _l("detection_step", "step from which the brand acts on the crisis (-1: not yet)",
       start=-1.0),
    _l("cum_cost", "money spent so far: posts, answers, paid promotion (currency units)",
       dtype="float64"),
    _l("cum_value", "value of the customers won since step 0 (currency units)",
       dtype="float64"),
    _l("cum_npv", "profit so far discounted to step 0 at brand.discount_rate (currency units)",
       dtype="float64"),
)

#: The series of each block, in column order.
COUNTS = tuple(s for s in SERIES if s.block == "counts")
LAYERS = tuple(s for s in SERIES if s.block == "layers")
COUNT_NAMES = tuple(s.name for s in COUNTS)
LAYER_NAMES = tuple(s.name for s in LAYERS)
N_COUNTS = len(COUNTS)
N_LAYERS = len(LAYERS)

#: The columns result tables hold, in order: public counts, then the layers.
PUBLIC_COLUMNS = tuple(s.name for s in SERIES if not s.internal)
#: Columns written as floats (the rest are integers).
FLOAT_COLUMNS = frozenset(s.name for s in SERIES if s.dtype == "float64")
#: Positions in the counts block of the columns results keep.
PUBLIC_COUNT_POSITIONS = tuple(i for i, s in enumerate(COUNTS) if not s.internal)
BY_NAME = {s.name: s for s in SERIES}

_C = {name: i for i, name in enumerate(COUNT_NAMES)}
_L = {name: i for i, name in enumerate(LAYER_NAMES)}

# Positions in the counts block (int64 running counts ``c``).
N_UNAWARE = _C["n_unaware"]
N_AWARE = _C["n_aware"]
N_NEUTRAL = _C["n_neutral"]
N_POSITIVE = _C["n_positive"]
N_NEGATIVE = _C["n_negative"]
N_TALKING_POSITIVE = _C["n_talking_positive"]
N_TALKING_NEGATIVE = _C["n_talking_negative"]
N_CUSTOMERS = _C["n_customers"]
NEW_AWARE = _C["new_aware"]
NEW_POSITIVE = _C["new_positive"]
NEW_NEGATIVE = _C["new_negative"]
NEW_CUSTOMERS = _C["new_customers"]
NEW_DISAPPOINTED = _C["new_disappointed"]
NEW_WORD_POSITIVE = _C["new_word_positive"]
NEW_WORD_NEGATIVE = _C["new_word_negative"]
NEW_ADVERTISING = _C["new_advertising"]
CUM_REACH = _C["cum_reach"]
CUM_POSITIVE = _C["cum_positive"]
CUM_NEGATIVE = _C["cum_negative"]
CUM_CUSTOMERS = _C["cum_customers"]
CUM_WORD_POSITIVE = _C["cum_word_positive"]
CUM_WORD_NEGATIVE = _C["cum_word_negative"]
N_BUYERS_LEFT = _C["n_buyers_left"]

#: The flows of the counts block: zeroed at the start of every step. The
#: kernels loop ``range(FLOWS_START, FLOWS_STOP)``, so the flows sit together.
FLOWS_START = NEW_AWARE
FLOWS_STOP = CUM_REACH
assert all(COUNTS[i].kind == "new" for i in range(FLOWS_START, FLOWS_STOP))
assert not any(s.kind == "new" for i, s in enumerate(COUNTS) if not FLOWS_START <= i < FLOWS_STOP)

# Positions in the layers block (float64 ``m``).
P_IMPRESSIONS_ORGANIC = _L["new_impressions_organic"]
P_IMPRESSIONS_FOLLOWER = _L["new_impressions_follower"]
P_IMPRESSIONS_NOTIFICATION = _L["new_impressions_notification"]
P_IMPRESSIONS_AMPLIFIED = _L["new_impressions_amplified"]
P_IMPRESSIONS_PAID = _L["new_impressions_paid"]
P_LIKES = _L["new_likes"]
P_SHARES = _L["new_shares"]
P_FOLLOWERS = _L["n_followers"]
P_BELL = _L["n_bell"]
P_FOLLOWS = _L["new_follows"]
P_UNFOLLOWS = _L["new_unfollows"]
P_BRAND_POSTS = _L["new_brand_posts"]
P_ORGANIC_REACH = _L["organic_reach"]
P_ON_PLATFORM = _L["n_on_platform"]
P_OVERLOADED = _L["new_ad_overloaded"]
P_NEW_RESPONSES = _L["new_responses"]
P_CUM_RESPONSES = _L["cum_responses"]
P_DETECTION = _L["detection_step"]
P_COST = _L["cum_cost"]
P_VALUE = _L["cum_value"]
P_NPV = _L["cum_npv"]

#: Counts columns a step where nothing can happen records as zero.
IDLE_ZERO_COUNTS = tuple(i for i, s in enumerate(COUNTS) if s.idle == "zero")


def _runs(positions: tuple[int, ...]) -> tuple[slice, ...]:
    """Consecutive positions as slices (slice assignment is several times faster than a list)."""
    out: list[slice] = []
    for p in positions:
        if out and out[-1].stop == p:
            out[-1] = slice(out[-1].start, p + 1)
        else:
            out.append(slice(p, p + 1))
    return tuple(out)


_IDLE_ZERO_SLICES = _runs(IDLE_ZERO_COUNTS)


_LAYERS_START = np.array([0.0 if s.start == "n" else float(s.start) for s in LAYERS])
_LAYERS_START_AT_N = np.array([s.start == "n" for s in LAYERS])


def layers_start(n: int) -> np.ndarray:
    """The layers row at step 0 (and of every step of a run without platform layers)."""
    row = _LAYERS_START.copy()
    row[_LAYERS_START_AT_N] = float(n)
    return row


def new_counts() -> np.ndarray:
    """A zeroed counts row (int64)."""
    return np.zeros(N_COUNTS, np.int64)


def carry_forward(counts: np.ndarray, last: int) -> None:
    """After an early stop at row ``last``, later rows repeat it; idle-zero columns are 0."""
    if last + 1 < counts.shape[0]:
        counts[last + 1 :] = counts[last]
        for columns in _IDLE_ZERO_SLICES:
            counts[last + 1 :, columns] = 0


def reduce_series(values: np.ndarray, name: str) -> float:
    """Series ``name`` over a whole run (its ``steps + 1`` values), reduced as the table says.

    >>> reduce_series(np.array([0, 3, 1]), "n_talking_positive"), reduce_series(np.array([0, 3, 1]), "new_likes")
    (3.0, 4.0)
    """
    how = BY_NAME[name].aggregate
    if how == "last":
        return float(values[-1])
    if how == "sum":
        return float(values.sum())
    if how == "max":
        return float(values.max())
    return float(values.mean())
