"""Epoch orders: fastnn.utils.epoch_orders and the C permutation behind it
(fnn_permutation in csrc/train.c)."""
import itertools
import math

import numpy as np
import pytest

import fastnn
from fastnn import _kernels, utils


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 64, 1000, 65537])
def test_each_row_is_a_permutation(n):
    seeds = np.array([0, 1, 2 ** 62, 12345], dtype=np.int64)
    p = _kernels.permutations(seeds, n)
    assert p.shape == (4, n) and p.dtype == np.int64
    for row in p:
        assert np.array_equal(np.sort(row), np.arange(n))


def test_same_seed_same_order_other_seed_other_order():
    a = _kernels.permutations(np.array([7, 7, 8], dtype=np.int64), 500)
    assert np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], a[2])


def test_all_orders_equally_likely():
    """n = 4: each of the 24 orders about 1/24 of the time (chi-square, 23 degrees of
    freedom: the 99.99% quantile is about 57), and each position uniform."""
    draws = 48000
    p = _kernels.permutations(np.arange(draws, dtype=np.int64), 4)
    index = {perm: i for i, perm in enumerate(itertools.permutations(range(4)))}
    counts = np.bincount([index[tuple(r)] for r in p], minlength=24)
    expected = draws / 24
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 57, counts
    # where row 0 lands: uniform over the 4 places
    place = np.argmax(p == 0, axis=1)
    assert np.abs(np.bincount(place, minlength=4) / draws - 0.25).max() < 0.01


def test_large_n_moves_everything():
    p = _kernels.permutations(np.array([3], dtype=np.int64), 100000)[0]
    # a uniform permutation has ~1 fixed point on average; far from sorted
    assert np.count_nonzero(p == np.arange(100000)) < 20
    assert abs(np.corrcoef(p, np.arange(100000))[0, 1]) < 0.02


def test_epoch_orders_one_at_a_time_equals_many_at_once():
    fastnn.utils.set_random_seed(11)
    many = utils.epoch_orders(5, 33)
    after_many = utils.get_rng().integers(0, 2 ** 62)
    fastnn.utils.set_random_seed(11)
    one_by_one = np.stack([utils.epoch_orders(1, 33)[0] for _ in range(5)])
    assert np.array_equal(many, one_by_one)
    assert utils.get_rng().integers(0, 2 ** 62) == after_many
    assert len({tuple(r) for r in many}) == 5


def test_no_shuffle_draws_nothing():
    fastnn.utils.set_random_seed(2)
    state = utils.get_rng().bit_generator.state
    o = utils.epoch_orders(3, 10, shuffle=False)
    assert np.array_equal(o, np.tile(np.arange(10), (3, 1)))
    assert utils.get_rng().bit_generator.state == state


def test_fit_shuffles_reproducibly():
    """Same seed: the same weights; shuffle=False trains on another order (so shuffling
    took effect)."""
    from fastnn import layers as L
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)

    def run(shuffle):
        fastnn.utils.set_random_seed(4)
        m = fastnn.Sequential([L.Input((3,)), L.Dense(1, activation="sigmoid")])
        m.compile(optimizer="sgd", loss="binary_crossentropy")
        m.fit(x, y, batch_size=7, epochs=3, verbose=0, shuffle=shuffle)
        return np.concatenate([w.ravel() for w in m.get_weights()])

    a, b, c = run(True), run(True), run(False)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("seed", [0, 1, 11, 2 ** 40 + 3])
@pytest.mark.parametrize("count", [0, 1, 5, 1000])
def test_epoch_keys_are_generator_integers(seed, count):
    """The epoch keys are Generator.integers(0, 2**63) draws, taken from the bit
    generator's raw output (cheaper): the same values, and the stream left where
    integers leaves it."""
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    want = a.integers(0, 2 ** 63, size=count)
    got = utils._epoch_keys(b, count)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    assert a.integers(0, 2 ** 63) == b.integers(0, 2 ** 63)


def test_epoch_keys_of_other_bit_generators_are_generator_integers():
    a, b = np.random.Generator(np.random.Philox(5)), np.random.Generator(np.random.Philox(5))
    assert np.array_equal(utils._epoch_keys(a, 7), b.integers(0, 2 ** 63, size=7))


@pytest.mark.parametrize("count", [0, 1, 2, 8, 9, 40])
def test_epoch_keys_are_numpy_bounded_draws_whatever_the_count(count):
    # a few keys are drawn as Python ints, many as one array: the same values as
    # rng.integers(0, 2**63, size=count), and the stream left at the same place
    r1, r2 = np.random.default_rng(11), np.random.default_rng(11)
    keys = utils._epoch_keys(r1, count)
    assert keys.dtype == np.int64 and keys.shape == (count,)
    np.testing.assert_array_equal(keys, r2.integers(0, 2 ** 63, size=count))
    assert r1.integers(0, 2 ** 63) == r2.integers(0, 2 ** 63)


def test_one_row_orders_move_the_stream_as_any_other():
    utils.set_random_seed(3)
    one = utils.epoch_orders(4, 1)
    after_one = utils.get_rng().integers(0, 2 ** 63)
    utils.set_random_seed(3)
    utils.epoch_orders(4, 5)
    assert after_one == utils.get_rng().integers(0, 2 ** 63)
    np.testing.assert_array_equal(one, np.zeros((4, 1), np.int64))
