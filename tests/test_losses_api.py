"""Losses: Keras values on known numbers, names, configs, and the fused logits head."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import losses, optimizers
from fastnn.layers import Dense
from fastnn.losses import SparseCategoricalCrossentropy

from cases import central_diff


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


# ------------------------------------------- CategoricalCrossentropy over another axis
def _cce_reference(y, p, axis, from_logits, smoothing):
    """NumPy float64: -sum(y * log p) over `axis`, y smoothed by the size of that axis."""
    y = y * (1 - smoothing) + smoothing / p.shape[axis]
    if from_logits:
        z = p - p.max(axis=axis, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    else:
        logp = np.log(np.clip(p / p.sum(axis=axis, keepdims=True), 1e-7, 1 - 1e-7))
    return -(y * logp).sum(axis=axis)


def _cce_data(dtype, seed=0):
    r = np.random.default_rng(seed)
    p = r.uniform(0.05, 1.0, (3, 4, 5)).astype(dtype)       # (batch, classes, steps)
    y = np.eye(4)[r.integers(0, 4, (3, 5))].transpose(0, 2, 1).astype(dtype)
    return y, p


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("axis", [1, -2])
def test_cce_over_the_class_axis_1(dtype, from_logits, smoothing, axis):
    """axis=1 on (batch, classes, steps): the values per (batch, step), their reductions
    and sample weights, in the predictions' dtype, against NumPy; the function form too."""
    y, p = _cce_data(dtype)
    want = _cce_reference(y.astype(np.float64), p.astype(np.float64), axis, from_logits,
                          smoothing)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    kw = dict(from_logits=from_logits, label_smoothing=smoothing, axis=axis)
    per = losses.CategoricalCrossentropy(reduction="none", **kw)(y, p)
    assert per.shape == (3, 5) and per.dtype == dtype
    np.testing.assert_allclose(per, want, rtol=rtol)
    np.testing.assert_allclose(losses.categorical_crossentropy(y, p, **kw), want, rtol=rtol)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, (3, 5))
    got = losses.CategoricalCrossentropy(**kw)(y, p, sample_weight=sw)
    np.testing.assert_allclose(float(got), (want * sw).mean(), rtol=rtol)
    got = losses.CategoricalCrossentropy(reduction="sum", **kw)(y, p)
    np.testing.assert_allclose(float(got), want.sum(), rtol=rtol)
    # the loss on axis 1 is the loss on the classes moved last
    last = losses.CategoricalCrossentropy(reduction="none", from_logits=from_logits,
                                          label_smoothing=smoothing)
    np.testing.assert_allclose(per, last(np.moveaxis(y, 1, -1), np.moveaxis(p, 1, -1)),
                               rtol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_cce_over_axis_1_gradients_match_central_differences(dtype, from_logits):
    """The gradient of the batch mean over axis 1, by a GradientTape and by
    loss_and_grad, against central differences in float64."""
    y, p = _cce_data(dtype, seed=3)
    loss = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=0.1, axis=1)
    f64 = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=0.1, axis=1)

    def f(pv):
        return float(f64(y.astype(np.float64), pv))
    num = central_diff(f, p.astype(np.float64))
    tol = dict(rtol=1e-6, atol=1e-8) if dtype == "float64" else dict(rtol=2e-3, atol=2e-4)
    pt = fastnn.autodiff.convert_to_tensor(p)
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(pt)
        value = loss(y, pt)
    g = tape.gradient(value, pt)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, num, **tol)
    v2, g2 = loss.loss_and_grad(y, p)
    np.testing.assert_allclose(v2, float(value), rtol=1e-6)
    np.testing.assert_allclose(g2, num, **tol)


def test_a_model_with_cce_over_axis_1_trains_on_the_layer_path():
    """A model whose loss is CategoricalCrossentropy(axis=1) is refused by the C engine
    (its kernel reduces over the last axis) and trains on the layer path: the loss
    falls; axis=-1 stays on the engine."""
    from fastnn import engine
    r = np.random.default_rng(0)
    x = r.standard_normal((32, 6))
    y = np.eye(3)[r.integers(0, 3, 32)]

    def model(axis):
        fastnn.utils.set_random_seed(0)
        m = fastnn.Sequential([fastnn.Input((6,)), Dense(8, activation="relu"),
                               Dense(3, activation="softmax")])
        m.compile(optimizer=optimizers.Adam(0.05), loss=losses.CategoricalCrossentropy(axis=axis))
        return m
    assert engine.plan_for(model(-1), x, training=True) is not None
    m = model(1)
    assert engine.plan_for(m, x, training=True) is None
    assert "CategoricalCrossentropy with options its C kernel does not take" in m._engine.why
    h = m.fit(x, y, epochs=5, batch_size=8, verbose=0).history["loss"]
    assert m._engine.fit_plan is None and h[-1] < h[0]
    # on (N, classes) outputs axis 1 is the last: the same training as axis=-1 to rounding
    ref = model(-1)
    ref.fit(x, y, epochs=5, batch_size=8, verbose=0)
    np.testing.assert_allclose(m.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4,
                               atol=1e-5)


def test_cce_metric_over_axis_1_smooths_by_the_class_axis():
    """metrics.CategoricalCrossentropy(axis=1, label_smoothing=...) smooths by the size of
    the class axis, as the loss does (Keras' categorical_crossentropy)."""
    y, p = _cce_data("float64")
    m = fastnn.metrics.CategoricalCrossentropy(axis=1, label_smoothing=0.2)
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), _cce_reference(y, p, 1, False, 0.2).mean(),
                               rtol=1e-6)


@pytest.mark.parametrize("on_engine", [True, False])
def test_a_loss_function_sees_labels_of_the_outputs_rank(on_engine, monkeypatch):
    """compile(loss=fn) with a Python function: as Keras' LossFunctionWrapper
    (keras/src/losses/losses.py, squeeze_or_expand_to_same_rank), labels of shape (N,)
    for outputs of shape (N, 1) reach fn as (N, 1), so `y_true - y_pred` is the
    element-wise difference, not an (N, N) broadcast; on the engine (a Python loss with
    the network in C) and on the layer path alike."""
    from fastnn import engine, ops
    monkeypatch.setattr(engine, "ENABLED", on_engine)
    seen = []

    def squared(y_true, y_pred):
        seen.append((np.shape(y_true), np.shape(y_pred)))
        return ops.mean(ops.square(y_true - y_pred), axis=-1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = rng.standard_normal(40).astype("float32")
    fastnn.utils.set_random_seed(0)
    m = fastnn.Sequential([fastnn.Input((3,)), Dense(1)])
    m.compile(optimizer=optimizers.SGD(0.01), loss=squared)
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert set(seen) == {((16, 1), (16, 1)), ((8, 1), (8, 1))}
    value = m.evaluate(x, y, batch_size=40, verbose=0)
    expected = float(np.mean((m.predict(x, verbose=0)[:, 0] - y) ** 2))
    assert value == pytest.approx(expected, rel=1e-6)
