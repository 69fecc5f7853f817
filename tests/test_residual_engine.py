"""A functional model that is a chain of layers with residual connections (Keras' Add of
a layer's output and an earlier layer's output, as in a residual MLP) trains on the C
engine: the engine adds the earlier output after the later layer's activation,
normalisation and dropout, and in the backward pass hands the sum's gradient to both.
Its predictions are the layer path's bit for bit; its training follows the layer path's
(the layer path computes the loss's gradient through the tape, in another order of the
same operations: rounding apart), and its gradient is checked against finite
differences. Other graphs keep the layer path."""
import numpy as np
import pytest

import fastnn as keras
from cases import (assert_the_same_bits_at_team_sizes, assert_trained_alike,
                   check_step_against_central_differences, engine_and_layer_path_runs,
                   fused_net as _net, net_spec as _spec)
from fastnn import _kernels, engine, layers


def _residual(kind="one", rate=0.0, dtype="float64", width=12, optimizer="adam", loss=None):
    keras.utils.set_random_seed(0)
    inp = keras.Input((9,), dtype=dtype)
    h1 = layers.Dense(width, activation="relu", dtype=dtype)(inp)
    if kind == "bn":
        h1 = layers.BatchNormalization(dtype=dtype)(h1)
    if rate:
        h1 = layers.Dropout(rate, dtype=dtype)(h1)
    h2 = layers.Dense(width, activation="tanh", dtype=dtype)(h1)
    if rate:
        h2 = layers.Dropout(rate, dtype=dtype)(h2)
    s = layers.Add(dtype=dtype)([h1, h2])
    if kind == "activated":     # the residual block's activation after the sum
        s = layers.Activation("relu", dtype=dtype)(s)
    if kind in ("two", "activated"):    # a second block, its sum second in the Add
        h3 = layers.Dense(width, activation="relu", dtype=dtype)(s)
        h4 = layers.Dense(width, dtype=dtype)(h3)
        s = layers.Add(dtype=dtype)([h4, s])
        if kind == "activated":
            s = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(s)
    out = layers.Dense(3, activation="softmax", dtype=dtype)(s)
    m = keras.Model(inp, out)
    m.compile(optimizer=optimizer, loss=loss or "sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def _data(n=120, dtype="float64"):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, 9)).astype(dtype), rng.integers(0, 3, n)


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-4)])
@pytest.mark.parametrize("rate", [0.0, 0.3])
@pytest.mark.parametrize("kind", ["one", "bn", "two", "activated"])
def test_a_residual_model_trains_on_the_engine_as_on_the_layer_path(monkeypatch, kind, rate,
                                                                      dtype, rtol):
    x, y = _data(dtype=dtype)
    runs = engine_and_layer_path_runs(monkeypatch, lambda: _residual(kind, rate, dtype), x, y,
                                      "skip")
    assert_trained_alike(runs, rtol)


@pytest.mark.parametrize("kind", ["one", "two", "activated"])
def test_the_engine_gradient_through_a_residual_connection_matches_finite_differences(kind):
    """One SGD step of rate 1 on all rows: the weights move by minus the gradient, which
    central differences of the loss reproduce for every weight of every layer. (Random
    biases: with zero ones, a row whose ReLU units are all off gives exact zeros after
    the sum, on the ReLU's kink, where differences do not tell its derivative.)"""
    x, y = _data(40)
    m = _residual(kind, optimizer=keras.optimizers.SGD(1.0), width=5)
    rng = np.random.default_rng(3)
    m.set_weights([w if w.ndim == 2 else rng.normal(0, 0.5, w.shape) for w in m.get_weights()])
    w0 = [w.copy() for w in m.get_weights()]
    m.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    assert m._engine.plan is not None
    check_step_against_central_differences(m, w0, x, y, np.random.default_rng(0))


def test_team_sizes_change_nothing(set_threads):
    x, y = _data(dtype="float32")
    for kind in ("two", "activated"):
        assert_the_same_bits_at_team_sizes(set_threads,
                                           lambda: _residual(kind, 0.3, "float32"), x, y)


def test_a_custom_loss_trains_a_residual_model_on_the_engine(monkeypatch):
    def loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred))
    x, _ = _data()
    y = np.random.default_rng(2).random((120, 3))
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _residual(loss=loss)
        m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        if fused:
            assert m._engine.custom_plan is not None
        out.append(m.get_weights())
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _graph(case):
    inp = keras.Input((6,))
    h1 = layers.Dense(6, activation="relu")(inp)
    h2 = layers.Dense(6)(h1)
    if case == "add_at_the_output":
        out = layers.Add()([h1, h2])
    elif case == "add_of_the_input":
        out = layers.Dense(2)(layers.Add()([inp, h2]))
    elif case == "dropout_after_the_add":
        out = layers.Dense(2)(layers.Dropout(0.2)(layers.Add()([h1, h2])))
    elif case == "softmax_after_the_add":          # the engine's is element-wise
        out = layers.Dense(2)(layers.Activation("softmax")(layers.Add()([h1, h2])))
    elif case == "two_activations_after_the_add":
        out = layers.Dense(2)(layers.ReLU()(layers.Activation("tanh")(layers.Add()([h1, h2]))))
    elif case == "a_branch_into_an_activation":     # branches start at a Dense layer
        h3 = layers.Dense(6)(layers.Activation("tanh")(h1))
        out = layers.Dense(2)(layers.Add()([h2, h3]))
    elif case == "three_inputs":
        out = layers.Dense(2)(layers.Add()([h1, h2, layers.Dense(6)(h2)]))
    else:                       # one output added twice
        s = layers.Add()([h1, h2])
        h3 = layers.Dense(6)(s)
        out = layers.Dense(2)(layers.Add()([h1, h3]))
    m = keras.Model(inp, out)
    m.compile(optimizer="adam", loss="mse")
    return m


@pytest.mark.parametrize("case", ["add_at_the_output", "add_of_the_input",
                                  "dropout_after_the_add", "softmax_after_the_add",
                                  "two_activations_after_the_add", "a_branch_into_an_activation",
                                  "three_inputs",
                                  "one_output_added_twice"])
def test_other_graphs_keep_the_layer_path(case):
    m = _graph(case)
    x = np.random.default_rng(0).random((32, 6)).astype(np.float32)
    y = np.random.default_rng(1).random((32, m.outputs[0].shape[-1])).astype(np.float32)
    h = m.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    assert np.all(np.isfinite(h["loss"]))
    assert m._engine.plan is None


@pytest.mark.parametrize("skips", [(0, 2, 0), (0, 0, 1), (1, 0, 0), (0, 1, 1, 0), (0, -1, 0)])
def test_the_net_refuses_a_bad_residual_connection(skips):
    # a connection from a later layer (or the layer itself), into the last layer, or
    # two from one layer; widths all equal so only the connection is wrong
    specs = [_spec(4, 4, skip=s) for s in skips]
    with pytest.raises(ValueError, match="residual connection"):
        _net(specs)


def test_the_net_takes_a_good_residual_connection():
    _net([_spec(4, 4, skip=s) for s in (0, 1, 0, 3, 0)])
    _net([_spec(4, 4, skip=s, skip_act=a) for s, a in ((0, 0), (1, 1), (0, 0))])


@pytest.mark.parametrize("skip_act", [1, _kernels.ACT_CODES["softmax"],
                                      _kernels.ACT_CODES["log_softmax"], -1, 10**6])
def test_the_net_refuses_an_activation_after_no_sum_or_a_row_wise_one(skip_act):
    with pytest.raises(ValueError, match="residual connection"):
        _net([_spec(4, 4), _spec(4, 4, skip=1 if skip_act != 1 else 0, skip_act=skip_act),
              _spec(4, 2)])


def test_train_on_batch_of_a_residual_model_runs_on_the_engine(monkeypatch):
    x, y = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _residual("two", 0.0)
        logs = [m.train_on_batch(x[i:i + 40], y[i:i + 40]) for i in range(0, 120, 40)]
        if fused:
            assert m._engine.plan is not None
        out.append((logs, m.get_weights()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12)
    for a, b in zip(out[0][1], out[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_fit_calls_a_functional_model_once_per_batch():
    """A functional model's output shape is its graph's: fit does not probe it with an
    extra call (a layer counting its calls sees one per batch)."""
    calls = []

    class Counting(layers.Layer):
        def call(self, x):
            calls.append(1)
            return x * 1.0

    inp = keras.Input((6,))
    h = layers.Dense(4)(inp)
    out = layers.Dense(2)(layers.Add()([layers.Dense(4)(h), Counting()(h)]))
    m = keras.Model(inp, out)
    m.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((32, 6)).astype(np.float32)
    y = np.zeros((32, 2), np.float32)
    assert m._output_shape_for((None, 6)) == (None, 2)
    calls.clear()
    m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert len(calls) == 8
