"""Keras 3's newer activations (C kernels, and glu and sparsemax composed of
fastnn.autodiff ops): values against NumPy references in float32 and float64, gradients
through the tape against finite differences, Dense / Activation layers with them train
(in the C engine; glu and sparsemax on the layer path, the engine saying why), saving
keeps their names, bad arguments."""
import numpy as np
import pytest

import fastnn
from fastnn import activations, layers
from fastnn.tensor import Tensor


def _softplus(x):
    return np.logaddexp(x, 0.0)


def _sig(x):
    return 1 / (1 + np.exp(-x))


REFS = {
    "relu6": (lambda x: np.minimum(np.maximum(x, 0), 6), [0.0, 6.0]),
    "hard_silu": (lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6, [-3.0, 3.0]),
    "mish": (lambda x: x * np.tanh(_softplus(x)), []),
    "celu": (lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)), [0.0]),
    "log_sigmoid": (lambda x: -_softplus(-x), []),
    "sparse_plus": (lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
                    [-1.0, 1.0]),
    "sparse_sigmoid": (lambda x: np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2)),
                       [-1.0, 1.0]),
    "squareplus": (lambda x: (x + np.sqrt(x * x + 4)) / 2, []),
    "soft_shrink": (lambda x: np.where(x > .5, x - .5, np.where(x < -.5, x + .5, 0)),
                    [-0.5, 0.5]),
    "hard_shrink": (lambda x: np.where(np.abs(x) > .5, x, 0), [-0.5, 0.5]),
    "tanh_shrink": (lambda x: x - np.tanh(x), []),
    "hard_tanh": (lambda x: np.clip(x, -1, 1), [-1.0, 1.0]),
}
NAMES = sorted(REFS) + ["glu", "threshold", "sparsemax"]


def _inputs(dtype, kinks=(), n=64, seed=0):
    """Values over [-8, 8], at least 0.05 away from each kink (for finite differences)."""
    x = np.random.default_rng(seed).uniform(-8, 8, size=(4, n // 4))
    for k in kinks:
        near = np.abs(x - k) < 0.05
        x[near] = k + 0.1
    return x.astype(dtype)


@pytest.mark.parametrize("dtype,rtol", [("float32", 2e-6), ("float64", 1e-12)])
@pytest.mark.parametrize("name", sorted(REFS))
def test_values_match_numpy(name, dtype, rtol):
    ref, kinks = REFS[name]
    x = np.concatenate([_inputs(dtype, ()).ravel(), np.asarray(kinks, dtype),
                        np.asarray([0.0, -1e4, 1e4, 30, -30], dtype)])
    out = getattr(activations, name)(x)
    assert isinstance(out, Tensor) and out.dtype == np.dtype(dtype)
    # squareplus: Keras' formula (x + sqrt(x*x + b)) / 2 cancels to 0 for large negative
    # x in float32; fastnn's kernel computes the same function as b / (2 (s - x)) there,
    # so float32 matches the formula evaluated in float64
    want = ref(x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(out, np.float64), want, rtol=rtol,
                               atol=rtol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_glu_and_threshold_match_numpy(dtype):
    x = _inputs(dtype)
    a, b = np.split(x.astype(np.float64), 2, axis=-1)
    np.testing.assert_allclose(activations.glu(x), a * _sig(b), rtol=2e-6)
    a, b = np.split(x.astype(np.float64), 2, axis=0)
    np.testing.assert_allclose(activations.glu(x, axis=0), a * _sig(b), rtol=2e-6)
    out = activations.threshold(x, 1.5, -2.0)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, np.where(x > 1.5, x, -2.0).astype(dtype))
    assert activations.threshold(np.asarray([1.5], dtype), 1.5, 7.0)[0] == 7.0  # x == t


def _sparsemax(z):
    """The projection onto the simplex of each row, by bisection on tau (independent
    of the sort-based formula fastnn uses)."""
    lo = z.max(axis=-1, keepdims=True) - 1
    hi = z.max(axis=-1, keepdims=True)
    for _ in range(200):
        mid = (lo + hi) / 2
        over = np.maximum(z - mid, 0).sum(axis=-1, keepdims=True) > 1
        lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
    return np.maximum(z - (lo + hi) / 2, 0)


@pytest.mark.parametrize("dtype,rtol", [("float32", 2e-6), ("float64", 1e-12)])
def test_sparsemax_matches_numpy(dtype, rtol):
    x = _inputs(dtype) / 4
    out = activations.sparsemax(x)
    assert isinstance(out, Tensor) and out.dtype == np.dtype(dtype)
    want = _sparsemax(x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(out, np.float64), want, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(np.asarray(out, np.float64).sum(axis=-1), 1, rtol=rtol * 10)
    assert (np.asarray(out) == 0).any()       # exact zeros, unlike softmax
    np.testing.assert_allclose(np.asarray(activations.sparsemax(x, axis=0), np.float64),
                               _sparsemax(x.astype(np.float64).T).T, rtol=rtol, atol=rtol)


def test_parameters_change_the_values():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(activations.celu(x, alpha=0.5),
                               np.maximum(x, 0) + 0.5 * np.expm1(np.minimum(x, 0) / 0.5))
    np.testing.assert_allclose(activations.squareplus(x, b=1), (x + np.sqrt(x * x + 1)) / 2)
    np.testing.assert_allclose(activations.soft_shrink(x, threshold=1.0),
                               np.sign(x) * np.maximum(np.abs(x) - 1, 0))
    np.testing.assert_allclose(activations.hard_shrink(x, threshold=1.0),
                               np.where(np.abs(x) > 1, x, 0))
    assert activations.hard_shrink(np.asarray([0.5, -0.5]))[0] == 0.0   # |x| == t: 0


@pytest.mark.parametrize("name", sorted(REFS))
def test_a_scalar_stays_a_scalar(name):
    out = getattr(activations, name)(np.float64(0.7))
    assert out.shape == () and out.dtype == np.float64
    np.testing.assert_allclose(out, REFS[name][0](np.float64(0.7)), rtol=1e-12)


def test_python_numbers_and_lists_give_float32():
    assert activations.mish([1.0, 2.0]).dtype == np.float32
    assert activations.relu6(7).dtype == np.float32
    assert float(activations.relu6(7)) == 6.0


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name):
    kinks = REFS.get(name, (None, []))[1]
    if name == "threshold":
        kinks = [0.0]
    x = _inputs("float64", kinks, seed=1)
    w = np.random.default_rng(2).normal(size=(4, 8 if name == "glu" else 16))
    fn = getattr(activations, name)
    call = (lambda t: fn(t, 0.0, -1.0)) if name == "threshold" else fn
    xv = fastnn.Variable(x)
    with fastnn.GradientTape() as tape:
        loss = fastnn.ops.sum(fastnn.ops.multiply(call(xv), w))
    g = np.asarray(tape.gradient(loss, xv))
    eps = 1e-6
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        num[i] = (np.sum(np.asarray(call(xp)) * w) - np.sum(np.asarray(call(xm)) * w)) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.float32([[1.0], [-2.0], [0.5], [1.5]]) > 0).astype("float32")
    return x, y


@pytest.mark.parametrize("name", sorted(REFS) + ["glu", "hard_swish", "sparsemax"])
def test_dense_model_trains(name):
    x, y = _data()
    fastnn.utils.set_random_seed(1)
    # the activation in a Dense layer and in an Activation layer after a linear one
    model = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(16, activation=name),
                               layers.Dense(16), layers.Activation(name),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=fastnn.optimizers.Adam(0.01), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < loss[0], loss
    if name == "glu":    # it halves the width: the layer path
        assert model._engine.why == f"layer {model.layers[0].name!r}: activation 'glu' " \
            f"halves the layer's width (the engine's activations keep it)", model._engine.why
    elif name == "sparsemax":    # no C kernel: the layer path
        assert model._engine.why == f"layer {model.layers[0].name!r}: activation " \
            f"'sparsemax' has no C kernel", model._engine.why
    else:                # a C kernel: the engine trains it
        assert model._engine.why is None, model._engine.why
    assert model.layers[0].activation is activations.get(name)
    # the output shape: glu halves the units
    assert model.output_shape == (None, 1)
    assert model.layers[0].compute_output_shape((None, 4)) == \
        ((None, 8) if name == "glu" else (None, 16))


def test_layer_path_matches_the_function():
    x, _ = _data()
    dense = layers.Dense(6, activation="mish")
    out = dense(x)
    z = x @ np.asarray(dense.kernel) + np.asarray(dense.bias)
    np.testing.assert_allclose(out, REFS["mish"][0](z.astype(np.float64)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(layers.Activation("celu")(z), REFS["celu"][0](z), rtol=1e-6)


def test_sparsemax_layer_path_gradients_match_finite_differences():
    """A Dense layer with sparsemax trains on the layer path: its output is the
    function's, and its gradients (through the tape) match finite differences."""
    x, _ = _data()
    x = x[:6].astype(np.float64)
    dense = layers.Dense(5, activation="sparsemax", dtype="float64")
    out = dense(x)
    w0, b0 = np.asarray(dense.kernel), np.asarray(dense.bias)
    np.testing.assert_allclose(out, _sparsemax(x @ w0 + b0), rtol=1e-10, atol=1e-12)
    wts = np.random.default_rng(3).normal(size=(6, 5))
    with fastnn.GradientTape() as tape:
        loss = fastnn.ops.sum(fastnn.ops.multiply(dense(x), wts))
    gk, gb = tape.gradient(loss, [dense.kernel, dense.bias])

    def f(w, b):
        return float(np.sum(_sparsemax(x @ w + b) * wts))
    eps = 1e-6
    for got, base, which in ((gk, w0, 0), (gb, b0, 1)):
        num = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            up, dn = base.copy(), base.copy()
            up[i] += eps
            dn[i] -= eps
            args_up = (up, b0) if which == 0 else (w0, up)
            args_dn = (dn, b0) if which == 0 else (w0, dn)
            num[i] = (f(*args_up) - f(*args_dn)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(got), num, rtol=1e-5, atol=1e-6)


def test_engine_still_takes_activations_with_c_kernels():
    x, y = _data()
    model = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(8, activation="relu"),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert model._engine.why is None


def test_saving_keeps_the_activation(tmp_path):
    x, y = _data()
    model = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(8, activation="mish"),
                               layers.Activation("hard_swish"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    cfg = model.get_config()["layers"]
    assert cfg[1]["config"]["activation"] == "mish"
    assert cfg[2]["config"]["activation"] == "hard_silu"
    path = tmp_path / "m.keras"
    model.save(path)
    back = fastnn.models.load_model(path)
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert back.layers[0].activation is activations.mish


def test_registry_and_aliases():
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.hard_swish is activations.hard_silu
    for name in NAMES:
        fn = activations.get(name)
        assert activations.serialize(fn) == name
        assert fastnn.keras.activations.get(name) is fn
    with pytest.raises(ValueError, match="unknown activation"):
        activations.get("mishh")


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible by 2"):
        activations.glu(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        activations.glu(np.float32(1.0))
    with pytest.raises(ValueError, match="axis"):
        activations.glu(np.ones((2, 4)), axis=2)
    with pytest.raises(ValueError, match="alpha must not be 0"):
        activations.celu(np.ones(3), alpha=0.0)
    with pytest.raises(ValueError, match="alpha must not be 0"):
        activations.celu(np.ones(3), alpha=1e-75)         # 0 in float32
    with pytest.raises(ValueError, match="alpha"):
        activations.celu(np.ones(3), alpha=1e39)          # inf in float32
    with pytest.raises(TypeError, match="alpha"):
        activations.celu(np.ones(3), alpha="1")
    with pytest.raises(ValueError, match="repeated axis"):
        activations.softmax(np.ones((2, 3)), axis=(1, -1))
    with pytest.raises(ValueError, match="axis"):
        activations.log_softmax(np.ones((2, 3)), axis=(0, 2))
    with pytest.raises(ValueError, match="at least one axis"):
        activations.softmax(np.ones((2, 3)), axis=())
    with pytest.raises(TypeError, match="axis"):
        activations.softmax(np.ones((2, 3)), axis=[[1]])
    with pytest.raises(ValueError, match="b must be >= 0"):
        activations.squareplus(np.ones(3), b=-1)
    with pytest.raises(TypeError, match="threshold"):
        activations.soft_shrink(np.ones(3), threshold=None)
    with pytest.raises(TypeError):
        activations.threshold(np.ones(3))            # threshold, default_value required
    with pytest.raises(TypeError):
        activations.mish("abc")
    # "threshold" as a layer's activation: called with x only, as in Keras (TypeError)
    with pytest.raises(TypeError):
        layers.Activation("threshold")(np.ones((2, 3), np.float32))


@pytest.mark.parametrize("kwargs,want", [
    # Keras' ReLU.static_call at the boundaries: x == threshold gives 0 (strict >)
    ({"threshold": 1.0}, [0.0, 0.0, 0.0, 0.0, 2.0]),
    ({"threshold": -1.0}, [0.0, -0.5, 0.0, 1.0, 2.0]),
    ({"threshold": -1.0, "max_value": 1.5}, [0.0, 0.0, 0.0, 1.0, 1.5]),
    ({"threshold": 1.0, "negative_slope": 0.5}, [-1.5, -0.75, -0.5, 0.0, 2.0]),
    ({"negative_slope": 0.5, "max_value": 1.0}, [-1.0, -0.25, 0.0, 1.0, 1.0]),
    ({"max_value": 0.0}, [0.0, 0.0, 0.0, 0.0, 0.0]),
])
def test_relu_boundaries_as_keras(kwargs, want):
    x = np.asarray([-2.0, -0.5, 0.0, 1.0, 2.0], np.float32)
    out = activations.relu(x, **kwargs)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.float32(want))
    xv = fastnn.Variable(x)
    with fastnn.GradientTape() as tape:
        y = activations.relu(xv, **kwargs)
    np.testing.assert_array_equal(np.asarray(y), np.float32(want))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_any_axis(name):
    x = np.random.default_rng(3).normal(size=(2, 3, 4)).astype("float32")
    fn = getattr(activations, name)
    for axis in (0, 1, -1, (1, 2), [0, 2]):
        ax = tuple(axis) if isinstance(axis, (tuple, list)) else axis
        m = x.astype(np.float64).max(axis=ax, keepdims=True)
        lse = m + np.log(np.exp(x - m).sum(axis=ax, keepdims=True))
        want = x - lse if name == "log_softmax" else np.exp(x - lse)
        np.testing.assert_allclose(fn(x, axis=axis), want, rtol=2e-6, atol=1e-6)
