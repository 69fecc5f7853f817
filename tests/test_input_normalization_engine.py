"""A BatchNormalization or LayerNormalization on the model's input (Keras' models that
normalise their raw features with a first `BatchNormalization(input_shape=...)`, as the
Kaggle deep-learning course's do) trains on the C engine: the engine puts an identity
layer first, with the normalisation as its stage (csrc/train.h: ident), so gamma, beta
and the moving statistics train and move as after a Dense layer. Checked: such models
lower, alone or with a Normalization, Flatten or Dropout around the normalisation and
Dropout further on (the layers' dropout streams numbered as the layer path numbers
them), frozen or not, in both dtypes; they train, evaluate and predict with the layer
path's bits (predict's row blocks included, at one thread and two), an element-wise
Activation after the normalisation too; LayerNormalization's step matches central
differences; and what the engine does not take keeps the layer path with a reason."""
import numpy as np
import pytest

import fastnn as keras
from cases import check_step_against_central_differences, engine_and_layer_path_runs
from fastnn import engine, layers
from test_engine_differential import _assert_logs

VARIANTS = ("plain", "dropout_after", "dropout_further", "normalization_first", "frozen",
            "no_center_no_scale", "regularized", "activation_after", "kaggle_course")


def _model(norm, variant, dtype="float32", optimizer="adam"):
    """A Sequential whose first layer after the Input is `norm` ("bn" or "ln") in the
    way `variant` says; the Kaggle course's model (narrower) for "kaggle_course"."""
    keras.utils.set_random_seed(0)
    kw = {"dtype": dtype}
    if variant == "no_center_no_scale":
        kw.update(center=False, scale=False)
    elif variant == "regularized":
        kw.update(gamma_regularizer=keras.regularizers.L2(0.01),
                  beta_regularizer=keras.regularizers.L1(0.01), epsilon=0.01)
        if norm == "bn":
            kw.update(momentum=0.9)
    first = layers.BatchNormalization(**kw) if norm == "bn" else \
        layers.LayerNormalization(**kw)
    if variant == "frozen":
        first.trainable = False
    stack = [keras.Input((10,), dtype=dtype)]
    if variant == "normalization_first":
        stack.append(layers.Normalization(mean=1.0, variance=4.0, dtype=dtype))
    stack.append(first)
    if variant == "dropout_after":
        stack.append(layers.Dropout(0.25, dtype=dtype))
    if variant == "activation_after":      # the normalised input activated, then used
        stack.append(layers.Activation("elu", dtype=dtype))
    if variant == "kaggle_course":
        for _ in range(3):
            stack += [layers.Dense(24, activation="relu", dtype=dtype),
                      layers.BatchNormalization(dtype=dtype)]
        stack.append(layers.Dense(1, dtype=dtype))
        model = keras.Sequential(stack)
        model.compile(optimizer="sgd", loss="mae", metrics=["mae"])
        return model
    stack.append(layers.Dense(16, activation="relu", dtype=dtype))
    if variant == "dropout_further":
        stack.append(layers.Dropout(0.3, dtype=dtype))
    stack += [layers.Dense(8, activation="tanh", dtype=dtype),
              layers.Dropout(0.2, dtype=dtype), layers.Dense(3, dtype=dtype)]
    model = keras.Sequential(stack)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _data(variant, n=160, dtype="float32", seed=1):
    """Raw features of other scales and offsets (what the first normalisation is for),
    with exact zeros; class labels, or values for the Kaggle course's regression."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 10)) * np.linspace(0.1, 30, 10) + np.linspace(-5, 50, 10)
    x[::9] = 0.0
    y = rng.standard_normal(n) * 5 if variant == "kaggle_course" else rng.integers(0, 3, n)
    return x.astype(dtype), y.astype(dtype)


def _lowered(m):
    spec = m._engine.plan.specs[0]
    assert spec.get("ident") and type(spec["layer"]) in (layers.BatchNormalization,
                                                         layers.LayerNormalization)


def _assert_same_bits(runs, dtype):
    """Outputs and weights bit for bit; the logs within the documented roundings (the
    regularization and the error metrics summed in another order)."""
    (p1, h1, w1, q1, e1), (p2, h2, w2, q2, e2) = runs
    assert np.array_equal(p1, p2) and np.array_equal(q1, q2)
    assert len(w1) == len(w2) and all(np.array_equal(a, b) for a, b in zip(w1, w2))
    _assert_logs(h1, h2, dtype, "history")
    np.testing.assert_allclose(e1, e2, rtol=1e-12 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("norm", ["bn", "ln"])
def test_a_normalisation_on_the_input_trains_on_the_engine_as_on_the_layer_path(
        monkeypatch, norm, variant, dtype):
    x, y = _data(variant, dtype=dtype)
    runs = engine_and_layer_path_runs(monkeypatch, lambda: _model(norm, variant, dtype), x, y,
                                      epochs=3, batch_size=32, lowered=_lowered)
    _assert_same_bits(runs, dtype)


def test_the_moving_statistics_move_and_a_frozen_layer_keeps_its_own(monkeypatch):
    x, y = _data("plain")
    m = _model("bn", "plain")
    bn = m.layers[0]
    before = [a.copy() for a in bn.get_weights()]
    m.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert m._engine.plan is not None
    assert all(not np.array_equal(a, b) for a, b in zip(before, bn.get_weights()))
    frozen = _model("bn", "frozen")
    before = [a.copy() for a in frozen.layers[0].get_weights()]
    frozen.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert frozen._engine.plan is not None
    assert all(np.array_equal(a, b) for a, b in zip(before, frozen.layers[0].get_weights()))


@pytest.mark.parametrize("norm", ["bn", "ln"])
def test_predict_over_many_rows_at_one_and_two_threads(monkeypatch, set_threads, norm):
    x, y = _data("dropout_further", n=1500)
    out = []
    for fused, threads in ((True, 1), (True, 2), (False, 2)):
        set_threads(threads)
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(norm, "dropout_further")
        m.fit(x[:300], y[:300], epochs=2, batch_size=32, verbose=0)
        out.append([m.predict(x, batch_size=1500, verbose=0)] + m.get_weights())
        assert (m._engine.plan is not None) == fused, m._engine.why
    for other in out[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(out[0], other))


def test_a_layer_normalization_step_matches_central_differences():
    """One SGD step of rate 1 moves gamma and beta of the input's LayerNormalization
    (and every other weight) by minus the gradient of the loss."""
    x, y = _data("plain", n=40, dtype="float64")
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((10,), dtype="float64"),
                          layers.LayerNormalization(dtype="float64"),
                          layers.Dense(6, activation="tanh", dtype="float64"),
                          layers.Dense(3, dtype="float64")])
    m.compile(optimizer=keras.optimizers.SGD(1.0), metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    w0 = m.get_weights()
    m.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    assert m._engine.plan is not None and m._engine.plan.specs[0].get("ident")
    check_step_against_central_differences(m, w0, x, y, np.random.default_rng(2))


def _softmax_after():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((10,)), layers.BatchNormalization(),
                          layers.Activation("softmax"), layers.Dense(3)])
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _dropout_around():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((10,)), layers.Dropout(0.2), layers.BatchNormalization(),
                          layers.Dropout(0.2), layers.Dense(3)])
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _two_inputs():
    keras.utils.set_random_seed(0)
    a, b = keras.Input((10,)), keras.Input((4,))
    h = layers.Dense(5, activation="relu")(layers.BatchNormalization()(a))
    m = keras.Model([a, b], layers.Dense(3)(layers.Concatenate()([h, b])))
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


@pytest.mark.parametrize("build, why", [
    (_softmax_after, "softmax"), (_dropout_around, "Dropout"),
    (_two_inputs, "BatchNormalization")])
def test_what_the_engine_does_not_take_keeps_the_layer_path_with_a_reason(
        monkeypatch, build, why):
    x, y = _data("plain", n=64)
    if build is _two_inputs:
        x = [x, x[:, :4]]
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = build()
        h = m.fit(x, y, epochs=2, batch_size=16, verbose=0).history
        assert m._engine.plan is None
        if fused:
            assert why in m._engine.why, m._engine.why
        out.append((h, m.get_weights()))
    assert out[0][0] == out[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(out[0][1], out[1][1]))


def _identity(n, **over):
    """The engine's identity layer spec (a LayerNormalization stage, no gamma or beta)
    for fastnn._kernels.FusedNet, with its fields overridden."""
    from cases import net_spec
    spec = net_spec(n, n, W=None, b=None, ident=True,
                    bn={"ln": True, "momentum": 0.0, "epsilon": 1e-3, "gl1": 0.0, "gl2": 0.0,
                        "btl1": 0.0, "btl2": 0.0, "gamma": None, "beta": None,
                        "mmean": None, "mvar": None, "slotsG": [None] * 3,
                        "slotsBe": [None] * 3})
    spec.update(over)
    return spec


def test_the_net_takes_an_identity_layer_first_only():
    """fnn_net_check: an identity layer is layer 0, as wide as its input, without weights
    and with its normalisation stage; anything else is refused by name, as is any other
    layer without weights."""
    from cases import fused_net, net_spec
    fused_net([_identity(4), net_spec(4, 2)])
    for specs in ([net_spec(4, 4), _identity(4), net_spec(4, 2)],          # not first
                  [_identity(4, W=np.zeros((4, 4))), net_spec(4, 2)],     # weights
                  [_identity(4, bn=None), net_spec(4, 2)],                # no stage
                  [_identity(4, act=1), net_spec(4, 2)]):                 # activated before
        with pytest.raises(ValueError, match="FusedNet: layer"):
            fused_net(specs)
    # a Dense layer without weights (the check saw a placeholder before)
    with pytest.raises(ValueError, match="FusedNet: layer 1 needs its weights W"):
        fused_net([_identity(4), net_spec(4, 2, W=None)])
