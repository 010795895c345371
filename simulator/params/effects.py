"""Choices that validate but do nothing: a crisis after the last step, a late brand that
never enters, threshold keys under simple contagion. ``virality validate`` and ``run``
warn about each, in one line, so a marketer does not read a comparison of two identical
runs as a finding.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from simulator.params import CrisisParams, WomParams


def _default(klass: type, name: str) -> Any:
    return next(f.default for f in dataclasses.fields(klass) if f.name == name)


def without_effect(scenario: Any) -> list[str]:
    """One sentence per setting of ``scenario`` that cannot change its results."""
    out = []
    steps = scenario.run.steps
    crisis, brand, paid, wom = scenario.crisis, scenario.brand, scenario.paid, scenario.wom
    if crisis.step > steps:
        out.append(f"crisis.step = {crisis.step} is after the last step (run.steps = {steps}): "
                   "the crisis never happens")
    if crisis.step == -1:
        changed = [f.name for f in dataclasses.fields(CrisisParams)
                   if f.name != "step" and getattr(crisis, f.name) != _default(CrisisParams, f.name)]
        if changed:
            out.append(f"crisis.{changed[0]} has no effect without a crisis (crisis.step = -1)")
    elif 0 <= crisis.step <= steps and scenario.market.p_purchase == 0 and \
            scenario.seeding.initial_customers == 0:
        out.append("crisis.step: the failure strikes customers, and there are none "
                   "(market.p_purchase = 0, seeding.initial_customers = 0)")
    if crisis.capacity_share is not None and crisis.capacity != _default(CrisisParams, "capacity"):
        out.append(f"crisis.capacity = {crisis.capacity} has no effect: crisis.capacity_share "
                   f"= {crisis.capacity_share} sets the answers per step")
    if crisis.step != -1:
        fol = scenario.followers
        answer_keys = ("answer_exposure", "compensation", "p_win_back_compensated", "p_copycat")
        changed = [k for k in answer_keys if getattr(crisis, k) != _default(CrisisParams, k)]
        if changed and crisis.response != "respond":
            out.append(f"crisis.{changed[0]} has no effect with crisis.response = "
                       f"'{crisis.response}' (it shapes the answers of 'respond')")
        elif crisis.response == "respond":
            if crisis.answer_exposure > 0 and not fol.enabled:
                out.append("crisis.answer_exposure has no effect without followers "
                           "(followers.enabled = false): a thread is seen by the page's followers")
            if crisis.p_copycat > 0 and (crisis.compensation == 0 or crisis.answer_exposure == 0):
                out.append("crisis.p_copycat has no effect unless answers are compensated "
                           "(crisis.compensation > 0) and seen (crisis.answer_exposure > 0)")
        # A file whose variants take the page down sets the take-down's keys once, in its
        # base: there they act in the take_down variant, so they are not "without effect".
        responses = {crisis.response, *(v.get("crisis.response")
                                        for v in getattr(scenario, "variants", {}).values())}
        if crisis.takedown_outrage > 0 and "take_down" not in responses:
            out.append(f"crisis.takedown_outrage has no effect with crisis.response = "
                       f"'{crisis.response}' (and no variant takes the page down)")
    if brand.strategy in ("late", "abandon") and brand.enter_step > steps:
        out.append(f"brand.enter_step = {brand.enter_step} is after the last step "
                   f"(run.steps = {steps}): the {brand.strategy} brand never enters")
    if brand.strategy == "abandon" and brand.exit_step >= steps:
        out.append(f"brand.exit_step = {brand.exit_step} is not before the last step "
                   f"(run.steps = {steps}): the brand never abandons")
    if paid.active:
        if paid.start_step > paid.stop_step:
            out.append(f"paid.start_step = {paid.start_step} is after paid.stop_step = "
                       f"{paid.stop_step}: no paid promotion runs")
        elif paid.start_step > steps:
            out.append(f"paid.start_step = {paid.start_step} is after the last step "
                       f"(run.steps = {steps}): no paid promotion runs")
    if wom.contagion == "simple":
        changed = [k for k in ("threshold", "threshold_kind", "threshold_distribution",
                               "threshold_spread") if getattr(wom, k) != _default(WomParams, k)]
        if changed:
            out.append(f"wom.{changed[0]} has no effect with wom.contagion = 'simple'")
    else:
        changed = [k for k in ("impact_positive", "impact_negative", "p_turn_negative")
                   if getattr(wom, k) != _default(WomParams, k)]
        if changed:
            out.append(f"wom.{changed[0]} has no effect with wom.contagion = 'threshold' "
                       "(friends' word persuades at the threshold)")
    return out
