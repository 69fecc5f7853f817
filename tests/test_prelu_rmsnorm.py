"""keras.layers.PReLU and keras.layers.RMSNormalization in fastnn.layers: Keras 3's own
tests of the two layers (ported, each naming its Keras source), NumPy references in
float32 and float64, the gradients with respect to the inputs and the weights against
central differences, argument errors that name the argument, models that train with
fit and predict the same after save / load, and a model Keras 3.15.1 wrote and trained
(tests/fixtures/keras/prelu_rms_normalization.keras, make_fixtures.py) that fastnn
loads, predicts and trains on as Keras does.

Keras' sources: keras-team/keras, `keras/src/layers/activations/prelu.py`,
`keras/src/layers/normalization/rms_normalization.py` and `keras/src/ops/nn.py`
(`rms_normalization`); their tests `prelu_test.py` and `rms_normalization_test.py`.
Where fastnn departs from Keras on purpose (shared_axes below 1, RMSNormalization
over axes other than the last ones, a negative epsilon, an empty axis list) the tests
say so; docs/DIFFERENCES.md lists the differences.
"""
import json
import os

import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers
from fastnn.autodiff import GradientTape, convert_to_tensor, ops

from cases import (assert_reloads_alike, away_from, vjp_central_diff,
                   weight_grad_by_differences)
from tests.conformance.layer_testing import assert_all_close, run_layer_test

DTYPES = ["float32", "float64"]
PRELU_TEST = "keras/src/layers/activations/prelu_test.py::PReLUTest"
RMS_TEST = "keras/src/layers/normalization/rms_normalization_test.py::RMSNormalizationTest"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras")


def _rand(*shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)


# ------------------------------------------------------------------ NumPy references
def _prelu_ref(x, alpha):
    """f(x) = x for x >= 0, alpha * x for x < 0 (alpha broadcast from the last axis)."""
    return np.where(x >= 0, x, alpha * x)


def _rms_ref(x, axes, eps, scale):
    """x / sqrt(mean(x**2 over axes) + eps) * scale, scale along the axes."""
    axes = tuple(sorted(a % x.ndim for a in axes))
    bshape = [1] * x.ndim
    for a in axes:
        bshape[a] = x.shape[a]
    ms = np.mean(np.square(x), axis=axes, keepdims=True)
    return x / np.sqrt(ms + eps) * np.reshape(scale, bshape)


# =========================================================== Keras' tests, ported
def test_prelu():
    # Keras: keras/src/layers/activations/prelu_test.py::PReLUTest::test_prelu
    run_layer_test(layers.PReLU,
                   init_kwargs={"alpha_initializer": "zeros", "alpha_regularizer": "L1",
                                "alpha_constraint": "MaxNorm", "shared_axes": 1},
                   input_shape=(2, 3, 4), supports_masking=True)


def test_prelu_correctness():
    # Keras: keras/src/layers/activations/prelu_test.py::PReLUTest::test_prelu_correctness
    def np_prelu(x, alpha):
        return (x > 0) * x + (x <= 0) * alpha * x

    inputs = np.random.randn(2, 10, 5, 3)
    prelu_layer = layers.PReLU(alpha_initializer="glorot_uniform", alpha_regularizer="l1",
                               alpha_constraint="non_neg", shared_axes=(1, 2))
    prelu_layer.build(inputs.shape)
    weights = np.random.random((1, 1, 3))
    prelu_layer.alpha.assign(weights)
    ref_out = np_prelu(inputs, weights)
    assert_all_close(prelu_layer(inputs), ref_out)


@pytest.mark.parametrize("init_kwargs", [{}, {"axis": -1}], ids=["default", "axis_-1"])
def test_ln_basics(init_kwargs):
    # Keras: keras/src/layers/normalization/rms_normalization_test.py::RMSNormalizationTest::test_ln_basics
    # (expected_num_seed_generators=0 left out: layer_testing does not count them)
    run_layer_test(layers.RMSNormalization, init_kwargs=init_kwargs, input_shape=(4, 2),
                   expected_output_shape=(4, 2), expected_num_trainable_weights=1)


def test_correctness():
    # Keras: keras/src/layers/normalization/rms_normalization_test.py::RMSNormalizationTest::test_correctness
    layer = layers.RMSNormalization()
    layer.build(input_shape=(2, 2, 2))
    inputs = np.random.normal(loc=5.0, scale=10.0, size=(1000, 2, 2, 2)).astype("float32")
    inputs = ops.convert_to_tensor(inputs)
    out = layer(inputs)
    expected = ops.multiply(
        ops.multiply(inputs, ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True))),
        layer.scale)
    assert_all_close(out, expected, atol=1e-1)


def test_output():
    # Keras: keras/src/layers/normalization/rms_normalization_test.py::RMSNormalizationTest::test_output
    layer = layers.RMSNormalization()
    inputs = np.arange(10).astype("float32")[None, :]
    out = layer(inputs)
    assert_all_close(out, [[0.0, 0.18731716, 0.37463433, 0.5619515, 0.74926865, 0.9365858,
                            1.123903, 1.3112202, 1.4985373, 1.6858544]])


def test_unsorted_axis():
    # Keras: keras/src/layers/normalization/rms_normalization_test.py::RMSNormalizationTest::test_unsorted_axis
    x = np.random.randn(2, 3, 4).astype("float32")
    layer_sorted = layers.RMSNormalization(axis=[-2, -1])
    layer_unsorted = layers.RMSNormalization(axis=[-1, -2])
    out_sorted = layer_sorted(x)
    out_unsorted = layer_unsorted(x)
    assert out_sorted.shape == (2, 3, 4)
    assert out_unsorted.shape == (2, 3, 4)
    assert_all_close(out_sorted, out_unsorted)


# ======================================================================= values
# name: (make layer, input shape, shared_axes or axes for the reference)
PRELU_CASES = {
    "per_entry": (lambda dt: layers.PReLU(dtype=dt), (4, 5), None),
    "rank3": (lambda dt: layers.PReLU(dtype=dt), (3, 2, 4), None),
    "shared_1": (lambda dt: layers.PReLU(shared_axes=1, dtype=dt), (3, 2, 4), [1]),
    "shared_12": (lambda dt: layers.PReLU(shared_axes=[1, 2], dtype=dt), (2, 3, 4, 5), [1, 2]),
    "shared_all": (lambda dt: layers.PReLU(shared_axes=(1, 2), dtype=dt), (3, 2, 4), [1, 2]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(PRELU_CASES))
def test_prelu_matches_the_numpy_reference(name, dtype):
    make, shape, shared = PRELU_CASES[name]
    layer = make(dtype)
    x = _rand(*shape, dtype=dtype)
    x.reshape(-1)[:3] = (0.0, -0.0, 1e-30)          # the kink itself
    layer.build(x.shape)
    want_shape = tuple(1 if d in (shared or ()) else n for d, n in enumerate(shape) if d)
    assert layer.alpha.shape == want_shape and layer.alpha.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(layer.alpha, 0)            # 'Zeros': a ReLU at first
    np.testing.assert_array_equal(layer(x), np.maximum(x, 0))
    alpha = np.random.default_rng(1).uniform(-1, 2, size=want_shape).astype(dtype)
    layer.alpha.assign(alpha)
    y = layer(x)
    assert y.shape == x.shape and y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(np.asarray(y), _prelu_ref(x, alpha), **_tol(dtype))
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]


# name: (make layer, input shape, normalised axes, epsilon of the reference)
RMS_CASES = {
    "last": (lambda dt: layers.RMSNormalization(dtype=dt), (4, 6), [-1], 1e-6),
    "last_rank3": (lambda dt: layers.RMSNormalization(dtype=dt), (3, 2, 5), [-1], 1e-6),
    "two_axes": (lambda dt: layers.RMSNormalization(axis=[1, 2], epsilon=1e-3, dtype=dt),
                 (3, 2, 4), [1, 2], 1e-3),
    "unsorted_negative": (lambda dt: layers.RMSNormalization(axis=(-1, -2), dtype=dt),
                          (3, 2, 4), [1, 2], 1e-6),
    # fastnn scales along the normalised axis (Keras broadcasts scale against the last
    # axis: an error for these shapes, docs/DIFFERENCES.md)
    "mid_axis": (lambda dt: layers.RMSNormalization(axis=1, epsilon=0.5, dtype=dt),
                 (3, 4, 2), [1], 0.5),
    "epsilon_none": (lambda dt: layers.RMSNormalization(epsilon=None, dtype=dt), (4, 3), [-1],
                     1e-7),
    "epsilon_zero": (lambda dt: layers.RMSNormalization(epsilon=0, dtype=dt), (4, 3), [-1],
                     0.0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(RMS_CASES))
def test_rms_normalization_matches_the_numpy_reference(name, dtype):
    make, shape, axes, eps = RMS_CASES[name]
    layer = make(dtype)
    x = _rand(*shape, dtype=dtype) * 3 + 0.5
    layer.build(x.shape)
    sizes = tuple(shape[a] for a in sorted(a % len(shape) for a in axes))
    assert layer.scale.shape == sizes and layer.scale.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(layer.scale, 1)           # 'ones'
    np.testing.assert_allclose(np.asarray(layer(x)), _rms_ref(x, axes, eps, np.ones(sizes)), **_tol(dtype))
    scale = np.random.default_rng(2).uniform(0.5, 2, size=sizes).astype(dtype)
    layer.scale.assign(scale)
    y = layer(x)
    assert y.shape == x.shape and y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(np.asarray(y), _rms_ref(x, axes, eps, scale), **_tol(dtype))
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]


def test_rms_normalization_of_zeros_is_zero_and_epsilon_zero_gives_nan_as_keras():
    zeros = np.zeros((2, 3), "float32")
    np.testing.assert_array_equal(layers.RMSNormalization()(zeros), zeros)
    with np.errstate(all="ignore"):
        assert np.isnan(np.asarray(layers.RMSNormalization(epsilon=0.0)(zeros))).all()


@pytest.mark.parametrize("make", [lambda dt=None: layers.PReLU(alpha_initializer="ones",
                                                               dtype=dt),
                                  lambda dt=None: layers.RMSNormalization(dtype=dt)],
                         ids=["PReLU", "RMSNormalization"])
def test_inputs_take_the_layer_dtype(make):
    """Keras autocasts float inputs to the layer's compute dtype."""
    x = _rand(3, 4)
    assert make()(x).dtype == np.float32
    assert make("float64")(x.astype("float32")).dtype == np.float64
    assert make()(np.arange(12).reshape(3, 4)).dtype == np.float32     # ints


def test_prelu_passes_masks_on_and_rms_normalization_does_not_support_them():
    """Keras: PReLU sets supports_masking = True; RMSNormalization leaves Layer's False."""
    assert layers.PReLU().supports_masking
    assert not layers.RMSNormalization().supports_masking


def test_keras_gradient_at_the_kink():
    """relu'(0) = 0 (Keras' relu on jax, tensorflow, torch): with Keras' formula
    relu(x) - alpha * relu(-x) the gradient at x = 0 is 0 with respect to x and to alpha
    (Keras 3.15.1 on jax gives [[0, 1, 0.5]] for x = [[0, 1, -1]], alpha = 0.5)."""
    layer = layers.PReLU(alpha_initializer=keras.initializers.Constant(0.5), dtype="float64")
    x = convert_to_tensor(np.array([[0.0, 1.0, -1.0]]))
    with GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(layer(x))
    dx, dalpha = tape.gradient(total, [x, layer.alpha])
    np.testing.assert_array_equal(dx, [[0.0, 1.0, 0.5]])
    np.testing.assert_array_equal(dalpha, [0.0, 0.0, -1.0])


# ==================================================================== gradients
GRAD_CASES = {
    "prelu": (lambda: layers.PReLU(dtype="float64"), (3, 4)),
    "prelu_shared": (lambda: layers.PReLU(shared_axes=[1], dtype="float64"), (3, 2, 4)),
    "rms_last": (lambda: layers.RMSNormalization(dtype="float64"), (3, 5)),
    "rms_two_axes": (lambda: layers.RMSNormalization(axis=[1, 2], epsilon=1e-3,
                                                     dtype="float64"), (3, 2, 4)),
    "rms_mid_axis": (lambda: layers.RMSNormalization(axis=1, epsilon=0.1, dtype="float64"),
                     (3, 4, 2)),
}


def _set_weights(layer, shape, seed=10):
    layer.build(shape)
    for i, v in enumerate(layer.trainable_weights):
        v.assign(np.random.default_rng(seed + i).uniform(-1.0, 2.0, size=v.shape))


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_input_gradient_matches_central_differences(name):
    make, shape = GRAD_CASES[name]
    layer = make()
    _set_weights(layer, shape)
    x = away_from(_rand(*shape, seed=3), 0.0, gap=0.05)      # no x at PReLU's kink
    w = _rand(*shape, seed=4)
    t = convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        total = ops.sum(ops.multiply(layer(t), w))
    got = tape.gradient(total, t)
    want = vjp_central_diff(lambda v: np.asarray(layer(v)), x, w)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_weight_gradient_matches_central_differences(name):
    make, shape = GRAD_CASES[name]
    layer = make()
    _set_weights(layer, shape)
    x = away_from(_rand(*shape, seed=5), 0.0, gap=0.05)
    w = _rand(*shape, seed=6)
    with GradientTape() as tape:
        total = ops.sum(ops.multiply(layer(x), w))
    (var,) = layer.trainable_weights
    (got,) = tape.gradient(total, [var])
    np.testing.assert_allclose(got, weight_grad_by_differences(layer, x, w, var), rtol=1e-6,
                               atol=1e-8)


def test_prelu_alpha_gradient_is_the_negative_part_summed_over_shared_axes():
    """d sum(prelu(x)) / d alpha = sum of min(x, 0) over the batch and shared axes."""
    layer = layers.PReLU(shared_axes=[1], dtype="float64")
    x = _rand(4, 3, 2, seed=7)
    layer.build(x.shape)
    with GradientTape() as tape:
        total = ops.sum(layer(x))
    (got,) = tape.gradient(total, [layer.alpha])
    np.testing.assert_allclose(got, np.minimum(x, 0).sum(axis=(0, 1), keepdims=True)[0],
                               rtol=1e-12)


# =============================================================== config and errors
def test_configs_have_keras_keys_and_round_trip():
    p = layers.PReLU(alpha_initializer="glorot_uniform", alpha_regularizer="l2",
                     alpha_constraint="non_neg", shared_axes=(1, 2), name="p")
    cfg = p.get_config()
    assert set(cfg) == {"name", "trainable", "dtype", "alpha_initializer",
                        "alpha_regularizer", "alpha_constraint", "shared_axes"}
    assert cfg["shared_axes"] == [1, 2]
    assert cfg["alpha_initializer"]["class_name"] == "GlorotUniform"
    assert cfg["alpha_constraint"]["class_name"] == "NonNeg"
    assert layers.PReLU().get_config()["alpha_initializer"] == {"class_name": "Zeros",
                                                                "config": {}}
    assert layers.PReLU(shared_axes=2).get_config()["shared_axes"] == [2]
    assert layers.PReLU().get_config()["shared_axes"] is None
    r = layers.RMSNormalization(axis=(2, 1), epsilon=1e-4, name="r")
    cfg = r.get_config()
    assert set(cfg) == {"name", "trainable", "dtype", "axis", "epsilon"}
    assert cfg["axis"] == [2, 1] and cfg["epsilon"] == 1e-4
    r.build((None, 3, 4))
    assert r.get_config()["axis"] == [1, 2]        # sorted by build, as Keras
    d = layers.RMSNormalization()
    assert d.get_config()["axis"] == -1
    d.build((None, 3))
    assert d.get_config()["axis"] == [-1]          # a list after build, as Keras
    for layer in (p, r, d, layers.RMSNormalization(epsilon=None)):
        cfg = layer.get_config()
        assert type(layer).from_config(cfg).get_config() == cfg
        back = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
        assert type(back) is type(layer) and back.get_config() == cfg
    assert layers.ALL_OBJECTS["PReLU"] is layers.PReLU
    assert layers.ALL_OBJECTS["RMSNormalization"] is layers.RMSNormalization
    assert keras.layers.PReLU is layers.PReLU


def test_prelu_regularizer_and_constraint():
    layer = layers.PReLU(alpha_initializer=keras.initializers.Constant(-0.5),
                         alpha_regularizer=keras.regularizers.L2(0.1),
                         alpha_constraint="non_neg", dtype="float64")
    layer(_rand(2, 3))
    (loss,) = layer.losses
    np.testing.assert_allclose(loss, 0.1 * 3 * 0.25)
    assert layer.alpha.constraint is not None
    np.testing.assert_array_equal(layer.alpha.constraint(layer.alpha), 0)


BAD = [
    (lambda: layers.PReLU(shared_axes=0), ValueError,
     r"PReLU: shared_axes counts axes from the batch axis \(0\): each must be at least 1, "
     r"got 0"),
    (lambda: layers.PReLU(shared_axes=[1, -1]), ValueError,
     r"PReLU: shared_axes .*at least 1, got \[1, -1\]"),
    (lambda: layers.PReLU(shared_axes="1"), TypeError,
     r"PReLU: shared_axes must be an int or a list or tuple of ints, got str '1'"),
    (lambda: layers.PReLU(shared_axes=[1.5]), TypeError,
     r"PReLU: shared_axes must be an int or a list or tuple of ints, got list \[1.5\]"),
    (lambda: layers.PReLU(shared_axes=True), TypeError, r"shared_axes must be an int"),
    (lambda: layers.PReLU(alpha_initializer="no_such_init"), ValueError,
     r"PReLU: alpha_initializer: .*unknown initializer 'no_such_init'"),
    (lambda: layers.PReLU(alpha_regularizer=3), TypeError,
     r"PReLU: alpha_regularizer: .*expected a name, a Regularizer, a function or None, got 3"),
    (lambda: layers.PReLU(alpha_constraint="no_such"), ValueError,
     r"PReLU: alpha_constraint: .*'no_such'"),
    (lambda: layers.RMSNormalization(epsilon=-1e-6), ValueError,
     r"RMSNormalization: epsilon must be a finite number >= 0, got -1e-06"),
    (lambda: layers.RMSNormalization(epsilon=float("nan")), ValueError,
     r"RMSNormalization: epsilon must be a finite number >= 0, got nan"),
    (lambda: layers.RMSNormalization(epsilon="small"), TypeError,
     r"RMSNormalization: epsilon must be a real number >= 0 or None, got str 'small'"),
    (lambda: layers.RMSNormalization(axis="x"), TypeError,
     r"RMSNormalization: expected an int or a list/tuple of ints for the argument 'axis', "
     r"got str 'x'"),
    (lambda: layers.RMSNormalization(axis=[1, 2.0]), TypeError, r"for the argument 'axis'"),
    (lambda: layers.RMSNormalization(axis=[]), ValueError,
     r"RMSNormalization: axis must name at least one axis, got \[\]"),
    (lambda: layers.RMSNormalization(foo=1), TypeError, r"unexpected keyword argument"),
]


@pytest.mark.parametrize("make,exc,match", BAD)
def test_bad_arguments_name_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_name_the_layer_and_what_it_expected():
    x = np.zeros((2, 3), "float32")
    with pytest.raises(ValueError, match=r"p1: shared_axes=\[2\] names axis 2, but the inputs "
                                         r"have rank 2"):
        layers.PReLU(shared_axes=2, name="p1")(x)
    with pytest.raises(ValueError, match=r"axis 1 of the inputs has no known size.*shared_axes"):
        layers.PReLU()(keras.Input((None, 3)))
    p = layers.PReLU(name="p2")
    p(x)
    with pytest.raises(ValueError, match=r'layer "p2" is incompatible.*expected shape '
                                         r'\(None, 3\).*received input with shape \(2, 1\)'):
        p(np.zeros((2, 1), "float32"))           # Keras broadcasts it to (2, 3)
    with pytest.raises(ValueError, match=r'layer "p2" is incompatible'):
        p(np.zeros((2, 3, 1), "float32"))
    shared = layers.PReLU(shared_axes=1)
    shared(np.zeros((2, 3, 4), "float32"))
    assert shared(np.zeros((5, 7, 4), "float32")).shape == (5, 7, 4)   # shared: any size
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds"):
        layers.RMSNormalization(axis=2)(x)
    with pytest.raises(ValueError, match=r"duplicate axes"):
        layers.RMSNormalization(axis=[1, -1])(x)
    r = layers.RMSNormalization(name="r1")
    r(x)
    with pytest.raises(ValueError, match=r"r1: the layer was built for sizes \(3,\) along "
                                         r"axis \[-1\], got inputs of shape \(2, 4\)"):
        r(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"normalised axes \[1\] need known sizes"):
        layers.RMSNormalization(axis=1)(keras.Input((None, 3)))


# ======================================================================== models
MODEL_CASES = {
    "prelu": lambda: [layers.PReLU(alpha_initializer="random_uniform")],
    "prelu_shared": lambda: [layers.Reshape((2, 3)),
                             layers.PReLU(shared_axes=[1], alpha_regularizer="l2",
                                          alpha_constraint="non_neg"),
                             layers.Flatten()],
    "rms_normalization": lambda: [layers.RMSNormalization()],
    "rms_normalization_mid_axis": lambda: [layers.Reshape((2, 3)),
                                           layers.RMSNormalization(axis=1, epsilon=1e-3),
                                           layers.Flatten()],
}


def _model(name, kind, dtype):
    keras.utils.set_random_seed(0)
    # the layers in the model's dtype (their configs with it)
    mid = [type(layer).from_config({**layer.get_config(), "dtype": dtype})
           for layer in MODEL_CASES[name]()]
    if kind == "sequential":
        return keras.Sequential([keras.Input((4,), dtype=dtype),
                                 layers.Dense(6, activation="tanh", dtype=dtype), *mid,
                                 layers.Dense(2, dtype=dtype)])
    inp = keras.Input((4,), dtype=dtype)
    h = layers.Dense(6, activation="tanh", dtype=dtype)(inp)
    for layer in mid:
        h = layer(h)
    return keras.Model(inp, layers.Dense(2, dtype=dtype)(h))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["sequential", "functional"])
@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_in_a_model_fit_lowers_the_loss_and_save_load_predicts_the_same(name, kind, dtype,
                                                                        tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.random((48, 4)).astype(dtype), rng.random((48, 2)).astype(dtype)
    m = _model(name, kind, dtype)
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    # the C engine has no kernels for them: the model trains layer by layer
    assert engine.plan_for(m, x, training=True) is None
    assert "in this position" in m._engine.why
    before = m.evaluate(x, y, verbose=0)
    hist = m.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert all(np.isfinite(hist.history["loss"]))
    after = m.evaluate(x, y, verbose=0)
    assert after < before
    pred = m.predict(x, verbose=0)
    assert pred.shape == (48, 2) and pred.dtype == np.dtype(dtype)
    if name == "prelu_shared":
        alpha = next(layer for layer in m.layers if isinstance(layer, layers.PReLU)).alpha
        assert alpha.shape == (1, 3) and np.all(np.asarray(alpha) >= 0)   # the constraint
        assert len(m.losses) == 1                                         # the regularizer

    r = assert_reloads_alike(m, x, pred, tmp_path, dtypes=True)
    # training goes on from the restored state as it would have
    r.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    np.testing.assert_allclose(r.predict(x, verbose=0), m.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)

    j = keras.models.model_from_json(m.to_json())
    j.set_weights(m.get_weights())
    np.testing.assert_array_equal(j.predict(x, verbose=0), m.predict(x, verbose=0))

    m.save_weights(tmp_path / "m.weights.h5")
    fresh = _model(name, kind, dtype)
    fresh.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), m.predict(x, verbose=0))


def test_keras_made_model_predicts_and_trains_on_as_in_keras():
    """A Sequential with PReLU (per entry, and shared with a regularizer and a
    constraint) and RMSNormalization (two axes, the last axis), trained by Keras 3.15.1
    with Adam (tests/fixtures/keras/make_fixtures.py, prelu_rms_normalization): fastnn
    reads it, predicts Keras' numbers, and one more step gives Keras' next weights."""
    pytest.importorskip("h5py")
    name = os.path.join(FIXTURES, "prelu_rms_normalization.keras")
    model = keras.models.load_model(name)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("PReLU") == 2 and kinds.count("RMSNormalization") == 2
    shared = model.layers[4]
    assert shared.shared_axes == [1] and shared.alpha.shape == (1, 4)
    assert model.layers[3].axis == [1, 2] and model.layers[3].epsilon == 1e-3
    x, y = np.load(name + ".x.npy"), np.load(name + ".y.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(name + ".pred.npy"),
                               rtol=0, atol=1e-6)
    assert model.optimizer.iterations == 9
    model.train_on_batch(x, y)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(name + ".step.npy"),
                               rtol=0, atol=2e-6)
