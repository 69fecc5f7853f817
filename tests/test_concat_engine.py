"""A functional model that is a chain of layers with concatenations (Keras' Concatenate
of a layer's output and the model's input or an earlier layer's output, on the last
axis, as in a wide-and-deep network) trains on the C engine: the engine joins the two
tensors row by row into the next Dense layer's input, and in the backward pass hands
each part of that input's gradient back to the tensor it came from. Predictions and
training are the layer path's bit for bit (the same GEMMs on the same joined rows), its
gradient is checked against finite differences, and graphs the engine does not run keep
the layer path."""
import numpy as np
import pytest

import fastnn as keras
from cases import (assert_logits_taken_on_both_paths, assert_the_same_bits_at_team_sizes,
                   assert_trained_alike, check_step_against_central_differences,
                   engine_and_layer_path_runs, fused_net as _net, net_spec as _spec)
from fastnn import engine, layers


def _wide_and_deep(kind="normalized_input", dtype="float64", rate=0.0, width=10,
                   optimizer="adam", loss="mse", out_units=1, out_act=None, adapt_on=None,
                   bn=True):
    keras.utils.set_random_seed(0)
    inp = keras.Input((7,), dtype=dtype)
    if kind == "normalized_input":      # the wide-and-deep network of a common textbook
        norm = layers.Normalization(dtype=dtype)
        norm.adapt(adapt_on)
        n = norm(inp)
        h1 = layers.Dense(width, activation="relu", dtype=dtype)(n)
        h2 = layers.Dense(width, activation="relu", dtype=dtype)(h1)
        c = layers.Concatenate(dtype=dtype)([n, h2])
    elif kind == "input_last":
        h1 = layers.Dense(width, activation="relu", dtype=dtype)(inp)
        if rate:
            h1 = layers.Dropout(rate, dtype=dtype)(h1)
        h2 = layers.Dense(width + 3, activation="tanh", dtype=dtype)(h1)
        c = layers.Concatenate(dtype=dtype)([h2, inp])
    elif kind == "hidden":              # an earlier hidden layer's output, BN and dropout
        h1 = layers.Dense(width, activation="relu", dtype=dtype)(inp)
        if bn:
            h1 = layers.BatchNormalization(dtype=dtype)(h1)
        if rate:
            h1 = layers.Dropout(rate, dtype=dtype)(h1)
        h2 = layers.Dense(width - 2, activation="tanh", dtype=dtype)(h1)
        h3 = layers.Dense(width + 1, activation="relu", dtype=dtype)(h2)
        c = layers.Concatenate(dtype=dtype)([h1, h3])
    elif kind == "add_then_concatenate":  # the residual sum joined to the input at once
        h1 = layers.Dense(width, activation="relu", dtype=dtype)(inp)
        h2 = layers.Dense(width, activation="tanh", dtype=dtype)(h1)
        if rate:
            h2 = layers.Dropout(rate, dtype=dtype)(h2)
        s = layers.Add(dtype=dtype)([h1, h2])
        j = layers.Concatenate(dtype=dtype)([inp, s])
        c = layers.Dense(width, activation="relu", dtype=dtype)(j)
    else:                               # a residual block, then a concatenation mid-network
        h1 = layers.Dense(width, activation="relu", dtype=dtype)(inp)
        h2 = layers.Dense(width, activation="tanh", dtype=dtype)(h1)
        s = layers.Add(dtype=dtype)([h1, h2])
        h3 = layers.Dense(width - 3, activation="relu", dtype=dtype)(s)
        j = layers.Concatenate(dtype=dtype)([h3, inp])
        c = layers.Dense(width, activation="relu", dtype=dtype)(j)
    out = layers.Dense(out_units, activation=out_act, dtype=dtype)(c)
    m = keras.Model(inp, out)
    m.compile(optimizer=optimizer, loss=loss, metrics=["mae"])
    return m


def _data(n=96, dtype="float64", out_units=1):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((n, 7)) * 3 + 1).astype(dtype)
    return x, rng.standard_normal((n, out_units)).astype(dtype)


KINDS = ["normalized_input", "input_last", "hidden", "residual_then_concat",
         "add_then_concatenate"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rate", [0.0, 0.25])
@pytest.mark.parametrize("kind", KINDS)
def test_a_concatenating_model_trains_on_the_engine_as_on_the_layer_path(monkeypatch, kind,
                                                                           rate, dtype):
    x, y = _data(dtype=dtype)
    runs = engine_and_layer_path_runs(
        monkeypatch, lambda: _wide_and_deep(kind, dtype, rate, adapt_on=x), x, y, "cat")
    assert_trained_alike(runs, 1e-12 if dtype == "float64" else 1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_the_engine_gradient_through_a_concatenation_matches_finite_differences(kind):
    """One SGD step of rate 1 on all rows: the weights move by minus the gradient, which
    central differences of the loss reproduce for weights of every layer."""
    x, y = _data(40)
    # (no BatchNormalization: it trains on batch statistics, evaluate uses moving ones)
    m = _wide_and_deep(kind, optimizer=keras.optimizers.SGD(1.0), width=6, adapt_on=x, bn=False)
    rng = np.random.default_rng(3)
    m.set_weights([w if w.ndim == 2 else rng.normal(0, 0.5, w.shape) if w.shape != (7,) else w
                   for w in m.get_weights()])
    w0 = [w.copy() for w in m.get_weights()]
    m.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    assert m._engine.plan is not None and any(s.get("cat") for s in m._engine.plan.specs)
    trained = [k for k, w in enumerate(m.weights) if w.trainable]
    check_step_against_central_differences(m, w0, x, y, rng, trained)


def test_a_softmax_wide_and_deep_model_takes_its_logits_on_both_paths(monkeypatch):
    x, _ = _data()
    y = np.random.default_rng(2).integers(0, 3, len(x))
    assert_logits_taken_on_both_paths(
        monkeypatch, lambda: _wide_and_deep("input_last", loss="sparse_categorical_crossentropy",
                                            out_units=3, out_act="softmax"), x * 40, y)


def test_team_sizes_change_nothing(set_threads):
    x, y = _data(dtype="float32")
    assert_the_same_bits_at_team_sizes(
        set_threads, lambda: _wide_and_deep("hidden", "float32", 0.25, width=40), x, y)


def test_train_on_batch_of_a_wide_and_deep_model_runs_on_the_engine(monkeypatch):
    x, y = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _wide_and_deep("normalized_input", adapt_on=x)
        logs = [m.train_on_batch(x[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]
        if fused:
            assert m._engine.plan is not None
        out.append((logs, m.get_weights()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12)
    for a, b in zip(out[0][1], out[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _graph(case):
    inp = keras.Input((6,))
    n = layers.Normalization(mean=0.5, variance=2.0)(inp)
    h1 = layers.Dense(6, activation="relu")(n)
    h2 = layers.Dense(5)(h1)
    if case == "raw_input_with_a_normalization":    # the engine has only the normalised one
        out = layers.Dense(2)(layers.Concatenate()([inp, h2]))
    elif case == "concatenate_at_the_output":
        out = layers.Concatenate()([h1, h2])
    elif case == "dropout_after_the_concatenate":
        out = layers.Dense(2)(layers.Dropout(0.2)(layers.Concatenate()([h1, h2])))
    elif case == "three_tensors":
        out = layers.Dense(2)(layers.Concatenate()([n, h1, h2]))
    elif case == "an_output_before_its_dropout":    # the engine hands on the dropped out one
        h3 = layers.Dense(4)(layers.Dropout(0.3)(h2))
        out = layers.Dense(2)(layers.Concatenate()([h2, h3]))
    else:                       # one output taken by an Add and a Concatenate
        h3 = layers.Dense(6)(h1)
        s = layers.Add()([h1, h3])
        out = layers.Dense(2)(layers.Concatenate()([h1, layers.Dense(3)(s)]))
    m = keras.Model(inp, out)
    m.compile(optimizer="adam", loss="mse")
    return m


@pytest.mark.parametrize("case", ["raw_input_with_a_normalization", "concatenate_at_the_output",
                                  "dropout_after_the_concatenate", "three_tensors",
                                  "an_output_before_its_dropout",
                                  "one_output_taken_twice"])
def test_other_graphs_keep_the_layer_path(case):
    m = _graph(case)
    x = np.random.default_rng(0).random((32, 6)).astype(np.float32)
    n_out = m.outputs[0].shape[-1]
    y = np.random.default_rng(1).random((32, n_out)).astype(np.float32)
    h = m.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    assert np.all(np.isfinite(h["loss"]))
    assert m._engine.plan is None


@pytest.mark.parametrize("specs", [
    [_spec(4, 4, cat=1), _spec(4, 2)],                   # into the first layer
    [_spec(4, 5), _spec(10, 3, cat=2), _spec(3, 2)],     # from the previous layer itself
    [_spec(4, 5), _spec(5, 3), _spec(6, 2, cat=4)],      # from a later layer
    [_spec(4, 5), _spec(5, 5), _spec(5, 5, skip=1), _spec(10, 2, cat=2)],  # taken twice
    [_spec(4, 5), _spec(5, 3), _spec(3, 2, cat=-1)],
])
def test_the_net_refuses_a_bad_concatenation(specs):
    with pytest.raises(ValueError, match="concatenation"):
        _net(specs)


@pytest.mark.parametrize("specs", [
    [_spec(4, 5), _spec(5, 3), _spec(7, 2, cat=1)],      # widths: 3 + the input's 4
    [_spec(4, 5), _spec(5, 3), _spec(9, 2, cat=2)],      # 3 + layer 0's 5 is 8, not 9
])
def test_the_net_refuses_a_concatenation_of_the_wrong_width(specs):
    if specs[-1]["in"] == 7:
        _net(specs)                  # the right width: taken
        specs[-1] = _spec(6, 2, cat=1)
    with pytest.raises(ValueError, match="input width"):
        _net(specs)
