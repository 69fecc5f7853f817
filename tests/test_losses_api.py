"""Losses: Keras values on known numbers, names, configs, and the fused logits head."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import losses, optimizers
from fastnn.layers import Dense
from fastnn.losses import SparseCategoricalCrossentropy


def test_sparse_cce_probabilities():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    got = SparseCategoricalCrossentropy()([0, 1], p)
    assert got == pytest.approx((-math.log(0.9) - math.log(0.8)) / 2, rel=1e-6)
    # labels shaped (N, 1) too
    assert SparseCategoricalCrossentropy()([[0], [1]], p) == pytest.approx(got, rel=1e-12)


def test_sparse_cce_logits():
    z = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    lse = np.log(np.exp(z).sum(axis=1))
    want = np.mean([lse[0] - 2.0, lse[1] - 3.0])
    assert SparseCategoricalCrossentropy(from_logits=True)([0, 2], z) == pytest.approx(want, rel=1e-6)


def test_cce_renormalises_and_clips():
    y = np.array([[0, 1, 0], [1, 0, 0]], dtype=float)
    p = np.array([[0.2, 0.6, 0.2], [1.0, 0.0, 0.0]]) * 2  # unnormalised: renormalised first
    want = (-math.log(0.6) - math.log(1 - 1e-7)) / 2
    assert losses.CategoricalCrossentropy()(y, p) == pytest.approx(want, rel=1e-6)


def test_bce_probabilities_and_logits():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.3]])
    assert losses.BinaryCrossentropy()(y, p) == pytest.approx((-math.log(0.8) - math.log(0.7)) / 2, rel=1e-6)
    z = np.array([[2.0], [-1.0]])
    want = (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.0))) / 2
    assert losses.BinaryCrossentropy(from_logits=True)(y, z) == pytest.approx(want, rel=1e-6)
    # clipping at epsilon 1e-7 on probabilities
    assert losses.BinaryCrossentropy()([[1.0]], [[0.0]]) == pytest.approx(-math.log(1e-7), rel=1e-4)


def test_regression_losses():
    y = np.array([[1.0, 2.0], [0.0, 0.0]])
    p = np.array([[1.5, 4.0], [0.0, -1.0]])
    # per-sample mean over the last axis, then the batch mean
    assert losses.MeanSquaredError()(y, p) == pytest.approx(((0.25 + 4) / 2 + 1 / 2) / 2)
    assert losses.MeanAbsoluteError()(y, p) == pytest.approx(((0.5 + 2) / 2 + 1 / 2) / 2)
    # huber delta=1: 0.5 e^2 if |e|<=1 else |e| - 0.5
    assert losses.Huber()(y, p) == pytest.approx(((0.125 + 1.5) / 2 + 0.5 / 2) / 2)
    assert losses.Huber(delta=2.0)(y, p) == pytest.approx(((0.125 + 2.0) / 2 + 0.5 / 2) / 2)
    np.testing.assert_allclose(losses.mse(y, p), [(0.25 + 4) / 2, 0.5], rtol=1e-6)
    np.testing.assert_allclose(losses.mae(y, p), [1.25, 0.5], rtol=1e-6)


def test_sample_weight_is_sum_over_batch_size():
    y = np.array([[1.0], [0.0], [2.0]])
    p = np.zeros((3, 1))
    sw = np.array([1.0, 5.0, 0.5])
    assert losses.MeanSquaredError()(y, p, sample_weight=sw) == pytest.approx((1 + 0 + 4 * 0.5) / 3)


@pytest.mark.parametrize("name,cls", [("mse", losses.MeanSquaredError), ("MSE", losses.MeanSquaredError),
                                      ("mean_squared_error", losses.MeanSquaredError),
                                      ("mae", losses.MeanAbsoluteError), ("bce", losses.BinaryCrossentropy),
                                      ("binary_crossentropy", losses.BinaryCrossentropy),
                                      ("categorical_crossentropy", losses.CategoricalCrossentropy),
                                      ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
                                      ("huber", losses.Huber), ("Huber", losses.Huber)])
def test_get_by_name(name, cls):
    assert type(losses.get(name)) is cls


def test_get_function_and_unknown():
    assert type(losses.get(losses.mse)) is losses.MeanSquaredError
    with pytest.raises(ValueError, match=r"unknown loss 'msee'.*mean_squared_error"):
        losses.get("msee")


@pytest.mark.parametrize("loss", [losses.SparseCategoricalCrossentropy(from_logits=True), losses.Huber(0.3),
                                  losses.BinaryCrossentropy(), losses.MeanAbsoluteError()])
def test_config_round_trip(loss):
    new = losses.get(losses.serialize(loss))
    assert type(new) is type(loss) and new.get_config() == loss.get_config()


def _two_models(last_activation, loss_a, loss_b, dtype="float64", seed=3):
    fastnn.utils.set_random_seed(seed)
    a = fastnn.Sequential([fastnn.Input((6,), dtype=dtype), Dense(5, activation="tanh"),
                           Dense(4, activation=last_activation)])
    b = fastnn.Sequential([fastnn.Input((6,), dtype=dtype), Dense(5, activation="tanh"), Dense(4)])
    b.set_weights(a.get_weights())
    a.compile(optimizer=optimizers.SGD(0.5), loss=loss_a)
    b.compile(optimizer=optimizers.SGD(0.5), loss=loss_b)
    return a, b


def test_fused_softmax_head_matches_from_logits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 6))
    y = rng.integers(0, 4, size=20)
    a, b = _two_models("softmax", SparseCategoricalCrossentropy(),
                       SparseCategoricalCrossentropy(from_logits=True))
    ha = a.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    hb = b.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-10)
    # the softmax model outputs probabilities, the linear one logits
    np.testing.assert_allclose(a(x), fastnn.nn.softmax(b(x)), rtol=1e-10)


def test_fused_sigmoid_head_matches_from_logits():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 6))
    y = (rng.random((16, 4)) > 0.5).astype(float)
    a, b = _two_models("sigmoid", losses.BinaryCrossentropy(), losses.BinaryCrossentropy(from_logits=True))
    a.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    b.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-10, atol=1e-12)


def test_fused_categorical_head_matches_from_logits():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 6))
    y = np.eye(4)[rng.integers(0, 4, size=12)]
    a, b = _two_models("softmax", losses.CategoricalCrossentropy(),
                       losses.CategoricalCrossentropy(from_logits=True))
    a.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    b.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-10, atol=1e-12)


def test_fused_head_is_accurate_where_probabilities_saturate():
    # Logits 200 apart: softmax probabilities underflow, so a loss on probabilities would
    # be clipped at -log(1e-7) = 16.1; the fused head gives the exact 200.
    m = fastnn.Sequential([fastnn.Input((1,)), Dense(2, activation="softmax")])
    m.set_weights([np.array([[100.0, -100.0]]), np.zeros(2)])
    m.compile(loss=SparseCategoricalCrossentropy())
    loss = m.evaluate(np.ones((1, 1)), np.array([1]), verbose=0)
    assert loss == pytest.approx(200.0, rel=1e-5)
    assert SparseCategoricalCrossentropy()([1], m(np.ones((1, 1)))) == pytest.approx(-math.log(1e-7), rel=1e-3)


def test_fused_head_through_activation_layer():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(10, 6))
    y = rng.integers(0, 4, size=10)
    fastnn.utils.set_random_seed(2)
    a = fastnn.Sequential([fastnn.Input((6,), dtype="float64"), Dense(4), fastnn.layers.Activation("softmax")])
    b = fastnn.Sequential([fastnn.Input((6,), dtype="float64"), Dense(4)])
    b.set_weights(a.get_weights())
    a.compile(optimizer=optimizers.SGD(0.3), loss=SparseCategoricalCrossentropy())
    b.compile(optimizer=optimizers.SGD(0.3), loss=SparseCategoricalCrossentropy(from_logits=True))
    assert a._trains_on_logits() and not b._trains_on_logits()
    a.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    b.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-10, atol=1e-12)
