"""Every shipped scenario and variant gives the numbers of the checked-in baseline.

Bit for bit: the whole time-series table of each case must hash to the same
SHA-256 as in ``tests/baseline/scenarios.json``. A deliberate change of the
dynamics regenerates it (``python tests/baseline/make_baseline.py``) in a
commit that says why.
"""

from __future__ import annotations

import json

import pytest

from tests.baseline.make_baseline import BASELINE, cases, measure

EXPECTED = json.loads(BASELINE.read_text(encoding="utf-8"))
CASES = cases()


def test_baseline_covers_every_shipped_case():
    assert sorted(cid for cid, _ in CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("cid,scenario", CASES, ids=[cid for cid, _ in CASES])
def test_shipped_case_matches_baseline(cid, scenario):
    got = measure(scenario)
    want = EXPECTED[cid]
    assert got["columns"] == want["columns"]
    assert got["rows"] == want["rows"]
    # The readable part first: which final metric moved, and by how much.
    assert got["final_means"] == want["final_means"]
    assert got["timeseries_sha256"] == want["timeseries_sha256"]
