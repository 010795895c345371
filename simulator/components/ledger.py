"""What the brand spends and what it gains: ``cum_cost``, ``cum_value`` and ``cum_npv``.

Parameters: ``brand.value_per_customer``, ``brand.discount_rate`` and each
mechanism's prices (cost per post, per answer, per sponsored impression, per
bought like, per influencer), which the mechanisms pay through
:meth:`Ledger.spend` in the order of the step plan. Value is that of the
customers won since step 0; the net present value discounts each step's
value gained minus cost by ``(1 + discount_rate) ** -t`` (Goldenberg, Libai,
Moldovan & Muller 2007 value word of mouth this way).
"""

from __future__ import annotations

import numpy as np

from simulator.state import metrics as M


class Ledger:
    """The money of one replicate."""

    def __init__(self, value_per_customer: float, customers_at_start: int,
                 discount_rate: float = 0.0) -> None:
        self.value_per_customer = value_per_customer
        self.customers_at_start = customers_at_start
        self.cum_cost = 0.0
        self.step_cost = 0.0
        self.discount = 1.0 / (1.0 + discount_rate)  # one step's discount factor
        self.weight = 1.0  # discount of the step being closed, (1 + r) ** -t
        self.value = 0.0
        self.npv = 0.0

    def open_step(self) -> None:
        self.step_cost = 0.0

    def spend(self, amount: float) -> None:
        """Pay ``amount`` this step (summed in call order, then added to the total)."""
        self.step_cost += amount

    def record_unpaid(self, counts: np.ndarray, layers: np.ndarray) -> None:
        """Close several steps at once in which nothing was paid (the compiled plan): rows of
        ``counts`` (int64) and ``layers`` (float64), in step order.

        The same numbers as :meth:`record` step by step, to the bit: the discount weights
        are a running product and the NPV a running sum, in the same order.
        """
        if len(counts) == 0:
            return
        if (self.discount == 1.0 and self.value == 0.0
                and counts[-1, M.CUM_CUSTOMERS] == self.customers_at_start):
            # No customer won (the running total never falls) and nothing discounted, as in
            # a sweep's plain cascade: the general case below without its seven NumPy calls,
            # to the bit (signed zeros too: a value of -0.0 per customer makes every value
            # -0.0). Every weight stays self.weight; the NPV gains one term, then zeros.
            zero = self.value_per_customer * 0.0
            npv = self.npv + self.weight * (zero - self.value)
            layers[:, M.P_COST] = self.cum_cost
            layers[:, M.P_VALUE] = zero
            layers[0, M.P_NPV] = npv
            if len(counts) > 1:
                npv += 0.0
                layers[1:, M.P_NPV] = npv
            self.value, self.npv = zero, npv
            self.step_cost = 0.0
            return
        value = self.value_per_customer * (counts[:, M.CUM_CUSTOMERS] - self.customers_at_start)
        weight = np.cumprod(np.concatenate(([self.weight], np.full(len(counts), self.discount))))[1:]
        gained = np.diff(np.concatenate(([self.value], value)))
        npv = np.cumsum(np.concatenate(([self.npv], weight * gained)))[1:]
        layers[:, M.P_COST] = self.cum_cost
        layers[:, M.P_VALUE] = value
        layers[:, M.P_NPV] = npv
        self.weight, self.value, self.npv = float(weight[-1]), float(value[-1]), float(npv[-1])
        self.step_cost = 0.0

    def record(self, c: np.ndarray, m: np.ndarray) -> None:
        """Close the step: the running cost and the value of the customers won."""
        self.cum_cost += self.step_cost
        value = self.value_per_customer * (c[M.CUM_CUSTOMERS] - self.customers_at_start)
        self.weight *= self.discount
        self.npv += self.weight * (value - self.value - self.step_cost)
        self.value = value
        m[M.P_COST] = self.cum_cost
        m[M.P_VALUE] = value
        m[M.P_NPV] = self.npv
