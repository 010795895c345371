"""Seeds and stream keys: the compiled SeedSequence hash against NumPy's own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.rng import (
    REPLICATE_SPAWN_KEY,
    _seed_state,
    numpy_generator,
    replicate_keys,
    run_seed,
    stream_keys,
)


def numpy_keys(seed: int, replicate: int):
    """The definition: NumPy's SeedSequence, spawned and read as :func:`stream_keys` does."""
    return stream_keys(np.random.SeedSequence(seed, spawn_key=(REPLICATE_SPAWN_KEY, replicate)))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**140), replicate=st.integers(0, 2**70))
def test_replicate_keys_are_numpys_seed_sequence(seed, replicate):
    assert replicate_keys(seed, replicate) == numpy_keys(seed, replicate)


@pytest.mark.parametrize("seed, replicate", [
    (0, 0), (1, 0), (0, 1), (2**32 - 1, 2**32 - 1), (2**32, 2**32),  # word boundaries
    (2**64 - 1, 3), (2**96, 0), (2**128 + 5, 1),  # entropy filling and overflowing the pool
])
def test_replicate_keys_at_word_boundaries(seed, replicate):
    keys = replicate_keys(seed, replicate)
    assert keys == numpy_keys(seed, replicate)
    assert all(type(k) is np.uint64 for k in keys)  # numba reads them as uint64 fields


def test_negative_seeds_fail_as_numpy_does():
    with pytest.raises(ValueError):
        replicate_keys(-1, 0)


@settings(max_examples=300, deadline=None)
@given(entropy=st.integers(0, 2**140),
       spawn_key=st.lists(st.integers(0, 2**70), min_size=0, max_size=4).map(tuple))
def test_seed_state_is_numpys_generate_state(entropy, spawn_key):
    ss = np.random.SeedSequence(entropy, spawn_key=spawn_key)
    assert _seed_state(entropy, spawn_key) == int(ss.generate_state(1, dtype=np.uint64)[0])


@pytest.mark.parametrize("crn", [False, True])
def test_run_seeds_are_the_documented_seed_sequence(crn):
    for master, run in [(0, 0), (7, 1), (2**33, 2**32 + 3), (12345, 99)]:
        key = (2, run % 5) if crn else (1, run)
        expected = int(np.random.SeedSequence(master, spawn_key=key)
                       .generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        assert run_seed(master, run, 5, crn) == expected


@settings(max_examples=300, deadline=None)
@given(key=st.integers(0, 2**64 - 1), more=st.lists(st.integers(0, 2**40), max_size=2))
def test_numpy_generator_is_pcg64_seeded_by_numpys_seed_sequence(key, more):
    """The generator for a key (and a step, ...) is ``Generator(PCG64(seed))``, to the bit."""
    want = np.random.PCG64([key, *more] if more else key)
    got = numpy_generator(np.uint64(key), *more)
    assert got.bit_generator.state == want.state
    assert got.integers(0, 2**62, size=3).tolist() == np.random.Generator(want).integers(
        0, 2**62, size=3).tolist()


@pytest.mark.parametrize("key, more", [(0, ()), (2**32 - 1, ()), (2**32, (0,)), (2**64 - 1, (7, 2**33)),
                                       (5, (0, 0, 0))])
def test_numpy_generator_at_word_boundaries(key, more):
    want = np.random.PCG64([key, *more] if more else key)
    assert numpy_generator(key, *more).bit_generator.state == want.state


def test_numpy_generator_with_negative_entropy_fails_as_numpy_does():
    with pytest.raises(ValueError):
        numpy_generator(1, -1)
