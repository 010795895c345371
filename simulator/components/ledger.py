"""What the brand spends and what it gains: ``cum_cost`` and ``cum_value``.

Parameters: ``brand.value_per_customer`` and each mechanism's prices (cost per
post, per answer, per sponsored impression, per bought like, per influencer),
which the mechanisms pay through :meth:`Ledger.spend` in the order of the step
plan. Value is that of the customers won since step 0.
"""

from __future__ import annotations

import numpy as np

from simulator.state import metrics as M


class Ledger:
    """The money of one replicate."""

    def __init__(self, value_per_customer: float, customers_at_start: int) -> None:
        self.value_per_customer = value_per_customer
        self.customers_at_start = customers_at_start
        self.cum_cost = 0.0
        self.step_cost = 0.0

    def open_step(self) -> None:
        self.step_cost = 0.0

    def spend(self, amount: float) -> None:
        """Pay ``amount`` this step (summed in call order, then added to the total)."""
        self.step_cost += amount

    def record(self, c: np.ndarray, m: np.ndarray) -> None:
        """Close the step: the running cost and the value of the customers won."""
        self.cum_cost += self.step_cost
        m[M.P_COST] = self.cum_cost
        m[M.P_VALUE] = self.value_per_customer * (c[M.CUM_CUSTOMERS] - self.customers_at_start)
