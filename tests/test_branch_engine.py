"""A functional model with parallel branches (Dense layers that take the model's input or
an earlier layer's output, joined again by an Add or a Concatenate, as in two-tower and
multi-branch networks) trains on the C engine: the engine runs the branches one after
the other, each branch's first layer reading the earlier tensor, and in the backward
pass hands that layer's input gradient back to the tensor it read, where it is added to
the gradient from the tensor's next layer. Predictions and training are the layer path's
bit for bit, the gradient is checked against finite differences, and graphs the engine
does not run keep the layer path."""
import numpy as np
import pytest

import fastnn as keras
from cases import (assert_logits_taken_on_both_paths, assert_the_same_bits_at_team_sizes,
                   assert_trained_alike, check_step_against_central_differences,
                   engine_and_layer_path_runs, fused_net as _net, net_spec as _spec)
from fastnn import engine, layers


def _branched(kind, dtype="float64", rate=0.0, width=6, optimizer="adam", loss="mse",
              out_units=3, out_act=None, bn=True, frozen=False):
    keras.utils.set_random_seed(0)
    inp = keras.Input((7,), dtype=dtype)

    def dense(units, act, x, **kw):
        return layers.Dense(units, activation=act, dtype=dtype, **kw)(x)

    h = dense(width + 2, "relu", inp, trainable=not frozen)
    if kind == "add":                   # two branches of one hidden tensor, summed
        m = layers.Add(dtype=dtype)([dense(width, "tanh", h), dense(width, "relu", h)])
    elif kind == "concatenate":         # the same, joined
        m = layers.Concatenate(dtype=dtype)([dense(width, "tanh", h),
                                             dense(width - 1, "relu", h)])
    elif kind == "towers":              # two towers on the model's input, joined
        a = dense(width - 2, "relu", dense(width, "tanh", inp))
        m = layers.Concatenate(dtype=dtype)([dense(width - 1, "relu", inp), a])
    elif kind == "many_of_one":         # four branches of one tensor: three summed, the
        # fourth joined to the sum (the engine sums the branches' gradients in the
        # tape's order: from the last branch to the first)
        s = layers.Add(dtype=dtype)([layers.Add(dtype=dtype)([dense(width, "tanh", h),
                                                              dense(width, "relu", h)]),
                                     dense(width, "elu", h)])
        m = layers.Concatenate(dtype=dtype)([s, dense(width - 1, "relu", h)])
    elif kind == "deep":                # two branches of two layers each, with dropout
        # and batch normalization inside, summed
        a = dense(width, "tanh", h)
        if bn:
            a = layers.BatchNormalization(dtype=dtype)(a)
        if rate:
            a = layers.Dropout(rate, dtype=dtype)(a)
        a = dense(width, "relu", a)
        b = dense(width, "elu", dense(width, "relu", h))
        m = layers.Add(dtype=dtype)([a, b])
    else:                               # a branch, then a residual block and a
        # concatenation with the model's input after the join
        s = layers.Add(dtype=dtype)([dense(width, "tanh", h), dense(width, "relu", h)])
        r = layers.Add(dtype=dtype)([s, dense(width, "relu", s)])
        j = layers.Concatenate(dtype=dtype)([dense(width - 1, "relu", r), inp])
        m = dense(width, "relu", j)
    out = layers.Dense(out_units, activation=out_act, dtype=dtype)(m)
    model = keras.Model(inp, out)
    model.compile(optimizer=optimizer, loss=loss, metrics=["mae"])
    return model


def _data(n=96, dtype="float64", out_units=3):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((n, 7)) * 2 + 0.5).astype(dtype)
    return x, rng.standard_normal((n, out_units)).astype(dtype)


KINDS = ["add", "concatenate", "towers", "deep", "then_residual_and_concatenate", "many_of_one"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rate", [0.0, 0.25])
@pytest.mark.parametrize("kind", KINDS)
def test_a_branched_model_trains_on_the_engine_as_on_the_layer_path(monkeypatch, kind, rate,
                                                                    dtype):
    x, y = _data(dtype=dtype)
    runs = engine_and_layer_path_runs(monkeypatch, lambda: _branched(kind, dtype, rate), x, y,
                                      "src")
    assert_trained_alike(runs, 1e-12 if dtype == "float64" else 1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_the_engine_gradient_through_branches_matches_finite_differences(kind):
    """One SGD step of rate 1 on all rows: the weights move by minus the gradient, which
    central differences of the loss reproduce for the weights of every layer, in both
    branches and below them."""
    x, y = _data(40)
    # (no BatchNormalization: it trains on batch statistics, evaluate uses moving ones)
    m = _branched(kind, optimizer=keras.optimizers.SGD(1.0), width=5, bn=False)
    rng = np.random.default_rng(3)
    m.set_weights([w if w.ndim == 2 else rng.normal(0, 0.5, w.shape) for w in m.get_weights()])
    w0 = [w.copy() for w in m.get_weights()]
    m.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    assert m._engine.plan is not None and any(s.get("src") for s in m._engine.plan.specs)
    trained = [k for k, w in enumerate(m.weights) if w.trainable]
    check_step_against_central_differences(m, w0, x, y, rng, trained)


@pytest.mark.parametrize("kind", ["add", "deep"])
def test_a_frozen_layer_below_the_branches_trains_as_on_the_layer_path(monkeypatch, kind):
    """The layers below the lowest trained one get no gradient: the branches' own input
    gradients go nowhere, the frozen layer keeps its weights."""
    x, y = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _branched(kind, frozen=True, bn=False)
        w0 = m.get_weights()[:2]
        m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        if fused:
            assert m._engine.plan is not None
        assert all(np.array_equal(a, b) for a, b in zip(w0, m.get_weights()[:2]))
        out.append(m.get_weights())
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_softmax_branched_model_takes_its_logits_on_both_paths(monkeypatch):
    x, _ = _data()
    y = np.random.default_rng(2).integers(0, 3, len(x))
    assert_logits_taken_on_both_paths(
        monkeypatch, lambda: _branched("towers", loss="sparse_categorical_crossentropy",
                                       out_act="softmax"), x * 40, y)


def test_team_sizes_change_nothing(set_threads):
    x, y = _data(dtype="float32")
    assert_the_same_bits_at_team_sizes(set_threads,
                                       lambda: _branched("deep", "float32", 0.25, width=40), x, y)


def test_train_on_batch_and_a_custom_loss_run_a_branched_model_on_the_engine(monkeypatch):
    x, y = _data()

    def huber(y_true, y_pred):
        return keras.ops.mean(keras.losses.huber(y_true, y_pred))

    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _branched("concatenate")
        logs = [m.train_on_batch(x[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]
        if fused:
            assert m._engine.plan is not None
        c = _branched("add", loss=huber)
        c.fit(x, y, batch_size=16, epochs=2, verbose=0)
        if fused:
            assert c._engine.custom_plan is not None
        out.append((logs, m.get_weights(), c.get_weights()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12)
    for a, b in zip(out[0][1] + out[0][2], out[1][1] + out[1][2]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _graph(case):
    inp = keras.Input((6,))
    h1 = layers.Dense(6, activation="relu")(inp)
    h2 = layers.Dense(6)(h1)
    if case == "a_tensor_taken_by_an_add_and_a_concatenate":   # one of them a tensor
        s = layers.Add()([h1, layers.Dense(6)(h2)])
        out = layers.Dense(2)(layers.Concatenate()([h1, layers.Dense(3)(s)]))
    elif case == "a_branch_into_a_dropout":        # branches start at a Dense layer
        h3 = layers.Dense(6)(layers.Dropout(0.2)(h1))
        out = layers.Dense(2)(layers.Add()([h2, h3]))
    elif case == "a_branch_on_the_raw_input_with_a_normalization":
        n = layers.Normalization(mean=0.5, variance=2.0)(inp)
        g = layers.Dense(6)(layers.Dense(6, activation="relu")(n))
        out = layers.Dense(2)(layers.Concatenate()([g, layers.Dense(3)(inp)]))
    elif case == "a_branch_before_a_dropout":      # the engine hands on the dropped out one
        d = layers.Dropout(0.3)(h1)
        h3 = layers.Dense(6)(d)
        out = layers.Dense(2)(layers.Add()([layers.Dense(6)(h1), h3]))
    else:                                           # the two branches' outputs both taken
        h3 = layers.Dense(6)(h1)
        s = layers.Add()([h2, h3])
        out = layers.Dense(2)(layers.Concatenate()([h2, layers.Dense(3)(s)]))
    m = keras.Model(inp, out)
    m.compile(optimizer="adam", loss="mse")
    return m


@pytest.mark.parametrize("case", ["a_tensor_taken_by_an_add_and_a_concatenate",
                                  "a_branch_into_a_dropout",
                                  "a_branch_on_the_raw_input_with_a_normalization",
                                  "a_branch_before_a_dropout", "one_output_taken_twice"])
def test_other_graphs_keep_the_layer_path(case):
    m = _graph(case)
    x = np.random.default_rng(0).random((32, 6)).astype(np.float32)
    y = np.random.default_rng(1).random((32, 2)).astype(np.float32)
    h = m.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    assert np.all(np.isfinite(h["loss"]))
    assert m._engine.plan is None


def _mixed(kind, dtype="float64"):
    """A tensor taken by branches and by an Add or a Concatenate too (the backward pass
    sums their gradients in the order the layer path's tape does)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((7,), dtype=dtype)

    def dense(units, act, x):
        return layers.Dense(units, activation=act, dtype=dtype)(x)

    h = dense(6, "relu", inp)
    if kind == "add_and_branches":          # a residual sum and two branches of h
        s = layers.Add(dtype=dtype)([h, dense(6, "tanh", dense(5, "relu", h))])
        b = layers.Add(dtype=dtype)([dense(6, "elu", h), dense(6, "relu", h)])
        out = dense(3, None, layers.Concatenate(dtype=dtype)([s, b]))
    elif kind == "concatenate_and_branch":  # h joined later, and a branch of it
        t = layers.Add(dtype=dtype)([dense(5, "relu", h), dense(5, "tanh", h)])
        out = dense(3, None, layers.Concatenate(dtype=dtype)([h, t]))
    elif kind == "concatenate_read_twice":  # two layers on one Concatenate's output
        # (the engine raised here before, taking the Dense layer's output before it: a
        # differential sweep found it) and a third on it, in a later branch
        t = layers.Concatenate(dtype=dtype)([dense(5, "tanh", h), inp])
        a = layers.Add(dtype=dtype)([dense(6, "relu", t), dense(6, "elu", t)])
        out = dense(3, None, layers.Concatenate(dtype=dtype)([a, dense(2, "relu", t)]))
    else:                                   # an auxiliary output on a tensor that a
        # Concatenate takes too (Keras' wide-and-deep model with an auxiliary output)
        h2 = dense(6, "relu", h)
        main = layers.Dense(3, dtype=dtype, name="main")(
            layers.Concatenate(dtype=dtype)([inp, h2]))
        model = keras.Model(inp, [main, layers.Dense(3, dtype=dtype, name="aux")(h2)])
        model.compile(optimizer="adam", loss=["mse", "mse"], loss_weights=[0.9, 0.1])
        return model
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["add_and_branches", "concatenate_and_branch", "aux_output",
                                  "concatenate_read_twice"])
def test_a_tensor_taken_by_branches_and_an_add_or_concatenate(monkeypatch, kind, dtype):
    x, y = _data(dtype=dtype)
    y = [y, y] if kind == "aux_output" else y
    runs = engine_and_layer_path_runs(monkeypatch, lambda: _mixed(kind, dtype), x, y, "src")
    (p1, h1, w1, q1, e1), (p2, h2, w2, q2, e2) = runs
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=1e-12)
    np.testing.assert_allclose(e1, e2, rtol=1e-12)
    for a, b in zip(w1 + list(np.atleast_3d(p1)) + list(np.atleast_3d(q1)),
                    w2 + list(np.atleast_3d(p2)) + list(np.atleast_3d(q2))):
        assert np.array_equal(a, b)      # (the weights and outputs bit for bit)
    monkeypatch.setattr(engine, "ENABLED", True)
    m = _mixed(kind)
    if kind == "aux_output":
        m.compile(optimizer=keras.optimizers.SGD(1.0), loss=["mse", "mse"],
                  loss_weights=[0.9, 0.1])
    else:
        m.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse", metrics=["mae"])
    xd, yd = _data(n=24)
    yd = [yd, yd] if kind == "aux_output" else yd
    w0 = m.get_weights()
    m.fit(xd, yd, batch_size=24, epochs=1, shuffle=False, verbose=0)
    assert m._engine.plan is not None
    check_step_against_central_differences(m, w0, xd, yd, np.random.default_rng(3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_of_many_rows_keeps_a_concatenation_later_branches_read(monkeypatch, dtype):
    """predict over many rows (the engine's row blocks, each block's concatenation kept
    where a later branch reads it) gives the layer path's outputs bit for bit."""
    x, _ = _data(n=1000, dtype=dtype)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _mixed("concatenate_read_twice", dtype)
        out.append(m.predict(x, batch_size=64, verbose=0))
        assert (m._engine.plan is not None) == fused
    assert np.array_equal(out[0], out[1])


def test_the_net_takes_good_branches():
    _net([_spec(4, 5), _spec(5, 3), _spec(5, 3, src=2, skip=2), _spec(3, 2)])
    # layer 0's output taken by a residual sum and a branch
    _net([_spec(4, 5), _spec(5, 5), _spec(5, 5, skip=1), _spec(5, 5, src=2, skip=3),
          _spec(5, 2)])
    _net([_spec(4, 5), _spec(4, 3, src=1), _spec(8, 2, cat=2)])


@pytest.mark.parametrize("specs", [
    [_spec(4, 5, src=1), _spec(5, 2)],                                  # into layer 0
    [_spec(4, 5), _spec(5, 3), _spec(3, 3, src=3, skip=2), _spec(3, 2)],  # the previous one
    [_spec(4, 5), _spec(5, 3), _spec(3, 3, src=5), _spec(3, 2)],        # a later one
    [_spec(4, 5), _spec(5, 3), _spec(5, 3, src=2), _spec(3, 2)],        # layer 1 feeds nothing
    [_spec(4, 5), _spec(4, 3, src=1, cat=2), _spec(3, 2)],              # with a concatenation
    [_spec(4, 5), _spec(5, 3), _spec(5, 3, src=-1, skip=2), _spec(3, 2)],
])
def test_the_net_refuses_a_bad_branch(specs):
    with pytest.raises(ValueError, match="branch"):
        _net(specs)


def test_the_net_refuses_a_branch_of_the_wrong_width():
    with pytest.raises(ValueError, match="input width"):
        _net([_spec(4, 5), _spec(5, 3), _spec(4, 3, src=2, skip=2), _spec(3, 2)])


def _random_graph(seed, dtype):
    """A random functional model of Dense layers (random activations, some followed by
    Dropout or BatchNormalization) with chains, residual connections, parallel branches
    of one tensor joined by Add or Concatenate, and towers on the input."""
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    acts = ["relu", "tanh", "elu", None, "sigmoid"]

    def dense(units, x):
        d = layers.Dense(int(units), activation=acts[rng.integers(len(acts))], dtype=dtype)(x)
        r = rng.random()
        if r < 0.15:
            d = layers.Dropout(0.2, dtype=dtype)(d)
        elif r < 0.25:
            d = layers.BatchNormalization(dtype=dtype)(d)
        return d

    def widths():
        return int(rng.integers(3, 9))

    inp = keras.Input((7,), dtype=dtype)
    cur = dense(widths(), inp)
    for _ in range(rng.integers(1, 4)):
        kind = rng.choice(["chain", "branch_add", "branch_cat", "residual", "tower"])
        w = cur.shape[-1]
        if kind == "chain":
            cur = dense(widths(), cur)
        elif kind == "residual":
            r = dense(w, cur)
            cur = layers.Add(dtype=dtype)([cur, r] if rng.random() < 0.5 else [r, cur])
        elif kind == "tower":
            t = dense(widths(), inp)
            cur = layers.Concatenate(dtype=dtype)([cur, t] if rng.random() < 0.5 else [t, cur])
        else:
            ends = []
            for _ in range(2):
                b = cur
                for _ in range(rng.integers(1, 3)):
                    b = dense(w if kind == "branch_add" else widths(), b)
                ends.append(b)
            cur = (layers.Add if kind == "branch_add" else layers.Concatenate)(dtype=dtype)(ends)
        cur = dense(widths(), cur)
    m = keras.Model(inp, layers.Dense(3, dtype=dtype)(cur))
    m.compile(optimizer=["adam", "sgd", "rmsprop"][rng.integers(3)], loss="mse")
    return m


@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6, 8, 10, 13])     # graphs with branches
def test_random_branched_graphs_train_as_on_the_layer_path(monkeypatch, seed):
    """(A scratch run of the same check over 400 graphs found no difference.)"""
    dtype = "float64" if seed % 2 else "float32"
    rng = np.random.default_rng(1000 + seed)
    x = rng.standard_normal((80, 7)).astype(dtype)
    y = rng.standard_normal((80, 3)).astype(dtype)
    runs = engine_and_layer_path_runs(monkeypatch, lambda: _random_graph(seed, dtype), x, y,
                                      "src", epochs=2)
    assert_trained_alike(runs, 1e-12 if dtype == "float64" else 2e-5, atol_floor=1.0)


@pytest.mark.parametrize("kind", ["add", "towers"])
def test_a_mixed_bfloat16_branched_model_trains_as_on_the_layer_path(monkeypatch, kind):
    """The bfloat16 products' backward (fnn_dense_backward_bf16) hands a branch's input
    gradient to the tensor it read, as the float32 one does: the same bits."""
    from fastnn import mixed_precision
    x, y = _data(dtype="float32")
    before = mixed_precision._GLOBAL[0]     # (None: following floatx, as before any set)
    try:
        mixed_precision.set_global_policy("mixed_bfloat16")
        runs = engine_and_layer_path_runs(monkeypatch, lambda: _branched(kind, None),
                                          x, y, "src")
        monkeypatch.setattr(engine, "ENABLED", True)
        m = _branched(kind, None)
        m.fit(x[:16], y[:16], verbose=0)
        assert all(s["bf16"] for s in m._engine.plan.specs)    # the policy's layers
    finally:
        mixed_precision._GLOBAL[0] = before
    assert_trained_alike(runs, 1e-5)
    (_, h1, w1, _, _), (_, h2, w2, _, _) = runs
    assert h1["loss"] == h2["loss"] and all(np.array_equal(a, b) for a, b in zip(w1, w2))
