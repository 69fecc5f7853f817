"""The Keras 3 layers Reshape, Permute, RepeatVector, Rescaling, LayerNormalization,
UnitNormalization, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization
and Dropout's noise_shape: NumPy references in float32 and float64, finite-difference
gradients on the tape (inputs and weights), seeded noise, inference as the identity,
Sequential and functional models (fit / evaluate / predict, save / load, to_json /
model_from_json), argument errors, and the C engine's refusal of the models that hold
them (they train layer by layer with the same numbers; LayerNormalization and the noise
layers without noise_shape train on the engine: tests/test_engine_layers.py). Keras' own tests of these layers
are ported in tests/conformance/test_layers_*.py."""
import json

import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers
from fastnn import reference as R
from fastnn.autodiff import GradientTape, convert_to_tensor, ops
from cases import assert_reloads_alike, weight_grad_by_differences

DTYPES = ["float32", "float64"]
ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def _rand(*shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ NumPy references
def _ln_ref(x, axes, eps, gamma=None, beta=None, rms=False):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    if rms:
        y = x / np.sqrt(var + eps)
    else:
        y = (x - mean) / np.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


def _stream(kind, param, seed):
    """The noise a layer seeded `seed` adds in its first call on its own (fastnn's
    counter-based stream, csrc/noise.h: a key drawn from its generator, step 0)."""
    key = R.noise_key(int(np.random.default_rng(seed).integers(0, 2 ** 62)), 0)
    return lambda x: R.noise_forward(kind, param, key, x.reshape(-1))[0].reshape(x.shape)


def _alpha_ref(x, rate, seed, noise_shape=None):
    shape = x.shape if noise_shape is None else tuple(
        s if d is None else d for d, s in zip(noise_shape, x.shape))
    kept = (np.random.default_rng(seed).uniform(size=shape) >= rate).astype(x.dtype)
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    return a * (x * kept + ALPHA_P * (1 - kept)) + b


# name: (make layer, input shape, training, reference(x))
CASES = {
    "reshape": (lambda: layers.Reshape((3, -1)), (4, 2, 6), False,
                lambda x: x.reshape(4, 3, 4)),
    "permute": (lambda: layers.Permute((3, 1, 2)), (4, 2, 3, 5), False,
                lambda x: x.transpose(0, 3, 1, 2)),
    "repeat_vector": (lambda: layers.RepeatVector(3), (4, 5), False,
                      lambda x: np.repeat(x[:, None, :], 3, axis=1)),
    "rescaling": (lambda: layers.Rescaling(0.5, offset=-1.0), (4, 5), False,
                  lambda x: x * 0.5 - 1.0),
    "rescaling_vector": (lambda: layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, 2.0]),
                         (4, 2, 3), False,
                         lambda x: x * np.array([1.0, 2.0, 3.0]) + np.array([0.0, 1.0, 2.0])),
    "layer_norm": (lambda: layers.LayerNormalization(), (4, 6), False,
                   lambda x: _ln_ref(x, (1,), 1e-3)),
    "layer_norm_axes": (lambda: layers.LayerNormalization(axis=(1, 2), epsilon=1e-5,
                                                          beta_initializer="ones",
                                                          gamma_initializer="ones"),
                        (3, 2, 4), False, lambda x: _ln_ref(x, (1, 2), 1e-5) + 1.0),
    "layer_norm_mid_axis": (lambda: layers.LayerNormalization(axis=1), (3, 4, 2), False,
                            lambda x: _ln_ref(x, (1,), 1e-3)),
    "unit_norm": (lambda: layers.UnitNormalization(), (4, 5), False,
                  lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)),
    "unit_norm_axes": (lambda: layers.UnitNormalization(axis=[1, 2]), (3, 2, 4), False,
                       lambda x: x / np.sqrt((x ** 2).sum(axis=(1, 2), keepdims=True))),
    "gaussian_noise": (lambda: layers.GaussianNoise(0.3, seed=7), (4, 5), True,
                       _stream("GaussianNoise", 0.3, 7)),
    "gaussian_dropout": (lambda: layers.GaussianDropout(0.2, seed=7), (4, 5), True,
                         _stream("GaussianDropout", 0.2, 7)),
    "alpha_dropout": (lambda: layers.AlphaDropout(0.3, seed=7), (4, 5), True,
                      _stream("AlphaDropout", 0.3, 7)),
    "alpha_dropout_noise_shape": (lambda: layers.AlphaDropout(0.3, noise_shape=(None, 1, 5),
                                                              seed=7), (4, 3, 5), True,
                                  lambda x: _alpha_ref(x, 0.3, 7, (None, 1, 5))),
    "dropout_noise_shape": (lambda: layers.Dropout(0.4, noise_shape=(None, 1, 5), seed=7),
                            (4, 3, 5), True,
                            lambda x: x * ((np.random.default_rng(7).random((4, 1, 5)) >= 0.4)
                                           / 0.6).astype(x.dtype)),
    "activity_regularization": (lambda: layers.ActivityRegularization(l1=0.1, l2=0.2), (4, 5),
                                True, lambda x: x),
}
NAMES = list(CASES)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_matches_the_numpy_reference(name, dtype):
    make, shape, training, ref = CASES[name]
    x = _rand(*shape, dtype=dtype)
    layer = make()
    if isinstance(layer, layers.LayerNormalization):
        # a layer with weights computes in its dtype (Keras' compute dtype); stateless
        # layers keep their inputs' float dtype
        layer = layers.LayerNormalization.from_config({**layer.get_config(), "dtype": dtype})
    y = layer(x, training=training)
    want = ref(x)
    assert y.shape == want.shape and y.dtype == np.dtype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(np.asarray(y), want, rtol=tol, atol=tol)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + want.shape[1:]


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_normalization_weights_and_rms_scaling_reference(dtype):
    x = _rand(3, 5, dtype=dtype)
    layer = layers.LayerNormalization(dtype=dtype)
    layer.build((None, 5))
    layer.gamma.assign(_rand(5, seed=1, dtype=dtype))
    layer.beta.assign(_rand(5, seed=2, dtype=dtype))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(layer(x), _ln_ref(x, (1,), 1e-3, layer.gamma, layer.beta),
                               rtol=tol, atol=tol)
    with pytest.warns(UserWarning, match="rms_scaling"):
        rms = layers.LayerNormalization(rms_scaling=True, dtype=dtype)
    rms.build((None, 5))
    assert len(rms.weights) == 1 and rms.beta is None
    rms.gamma.assign(_rand(5, seed=1, dtype=dtype))
    np.testing.assert_allclose(rms(x), _ln_ref(x, (1,), 1e-3, rms.gamma, rms=True),
                               rtol=tol, atol=tol)


def test_activity_regularization_loss_is_per_sample():
    x = _rand(4, 5)
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    layer(x)
    (loss,) = layer.losses
    np.testing.assert_allclose(loss, (0.1 * np.abs(x).sum() + 0.2 * (x ** 2).sum()) / 4)
    layers.ActivityRegularization()(x)   # l1 = l2 = 0: one zero loss, as Keras


# ------------------------------------------------------------------------- gradients
def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[j] += h
        lo[j] -= h
        g[j] = (f(hi) - f(lo)) / (2 * h)
    return g


def _objective(make, training, w):
    """x -> sum(layer(x) * w) + the layer's losses, with a fresh layer (the same seed: the
    same noise) per evaluation."""
    def f(x, layer=None):
        layer = layer or make()
        y = layer(x, training=training)
        total = ops.sum(ops.multiply(y, w))
        for term in layer.losses:
            total = total + term
        return total
    return f


@pytest.mark.parametrize("name", NAMES)
def test_input_gradient_matches_finite_differences(name):
    make, shape, training, _ = CASES[name]
    if isinstance(make(), layers.LayerNormalization):      # weights in float64
        make = (lambda make: lambda: layers.LayerNormalization.from_config(
            {**make().get_config(), "dtype": "float64"}))(make)
    x = _rand(*shape, seed=3) + 0.5     # away from |x| = 0, where l1 has a kink
    w = _rand(*np.shape(make()(x, training=training)), seed=4)
    f = _objective(make, training, w)
    t = convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        total = f(t)
    got = tape.gradient(total, t)
    want = _fd(lambda v: float(f(v)), x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kwargs", [{}, {"axis": (1, 2)}, {"center": False},
                                    {"rms_scaling": True}],
                         ids=["default", "two_axes", "no_center", "rms_scaling"])
@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_layer_normalization_weight_gradients_match_finite_differences(kwargs):
    x = _rand(3, 2, 4, seed=5)
    layer = layers.LayerNormalization(dtype="float64", **kwargs)
    layer.build(x.shape)
    for i, v in enumerate(layer.trainable_weights):
        v.assign(_rand(*v.shape, seed=10 + i))
    w = _rand(*x.shape, seed=6)
    with GradientTape() as tape:
        y = layer(x)
        total = ops.sum(ops.multiply(y, w))
    grads = tape.gradient(total, layer.trainable_weights)
    assert len(grads) == len(layer.trainable_weights) >= 1
    for v, g in zip(layer.trainable_weights, grads):
        np.testing.assert_allclose(g, weight_grad_by_differences(layer, x, w, v, _fd),
                                   rtol=1e-6, atol=1e-7)


# --------------------------------------------------------- seeds and inference mode
NOISE = {
    "dropout": lambda seed=None: layers.Dropout(0.3, seed=seed),
    "dropout_noise_shape": lambda seed=None: layers.Dropout(0.3, noise_shape=(None, 1),
                                                            seed=seed),
    "gaussian_noise": lambda seed=None: layers.GaussianNoise(0.5, seed=seed),
    "gaussian_dropout": lambda seed=None: layers.GaussianDropout(0.3, seed=seed),
    "alpha_dropout": lambda seed=None: layers.AlphaDropout(0.3, seed=seed),
}


@pytest.mark.parametrize("name", list(NOISE))
def test_noise_follows_set_random_seed_and_own_seeds(name):
    x = _rand(8, 6)
    keras.utils.set_random_seed(11)
    a = NOISE[name]()(x, training=True)
    keras.utils.set_random_seed(11)
    b = NOISE[name]()(x, training=True)
    np.testing.assert_array_equal(a, b)
    c = NOISE[name]()(x, training=True)             # the stream goes on: another draw
    assert not np.array_equal(a, c)
    # a seed of its own: the same first draw whatever the global seed, then new draws
    keras.utils.set_random_seed(1)
    l1 = NOISE[name](seed=5)
    keras.utils.set_random_seed(2)
    l2 = NOISE[name](seed=5)
    first = l1(x, training=True)
    np.testing.assert_array_equal(first, l2(x, training=True))
    assert not np.array_equal(first, l1(x, training=True))


@pytest.mark.parametrize("name", list(NOISE))
def test_noise_layers_are_the_identity_at_inference(name):
    x = _rand(8, 6)
    layer = NOISE[name](seed=3)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(4), NOISE[name](), layers.Dense(2)])
    plain = keras.Sequential([keras.Input((6,)), layers.Dense(4), layers.Dense(2)])
    plain.set_weights(m.get_weights())
    np.testing.assert_array_equal(m.predict(x, verbose=0), plain.predict(x, verbose=0))
    np.testing.assert_array_equal(m(x), plain(x))


@pytest.mark.parametrize("name", list(NOISE))
def test_training_with_noise_is_reproducible(name):
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 6)).astype("float32"), rng.random((40, 2)).astype("float32")

    def run():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((6,)), layers.Dense(5), NOISE[name](),
                              layers.Dense(2)])
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
        return m.get_weights()
    for u, v in zip(run(), run()):
        np.testing.assert_array_equal(u, v)


# --------------------------------------------------------------------------- models
# name: (layers between Dense(6) and the output Dense(2), for inputs of 4 features)
MODEL_CASES = {
    "reshape": lambda: [layers.Reshape((2, -1)), layers.Flatten()],
    "permute": lambda: [layers.Reshape((2, 3)), layers.Permute((2, 1)), layers.Flatten()],
    "repeat_vector": lambda: [layers.RepeatVector(2), layers.Flatten()],
    "rescaling": lambda: [layers.Rescaling(0.5, offset=0.1)],
    "layer_norm": lambda: [layers.LayerNormalization(beta_regularizer="l2",
                                                     gamma_initializer="random_normal")],
    "unit_norm": lambda: [layers.UnitNormalization()],
    "gaussian_noise": lambda: [layers.GaussianNoise(0.1, seed=1)],
    "gaussian_dropout": lambda: [layers.GaussianDropout(0.2)],
    "alpha_dropout": lambda: [layers.AlphaDropout(0.2, noise_shape=(None, 6))],
    "dropout_noise_shape": lambda: [layers.Dropout(0.2, noise_shape=(None, 6))],
    "activity_regularization": lambda: [layers.ActivityRegularization(l1=0.01, l2=0.01)],
}


def _model(name, kind):
    keras.utils.set_random_seed(0)
    mid = MODEL_CASES[name]()
    if kind == "sequential":
        return keras.Sequential([keras.Input((4,)), layers.Dense(6, activation="tanh"), *mid,
                                 layers.Dense(2)])
    inp = keras.Input((4,))
    h = layers.Dense(6, activation="tanh")(inp)
    for layer in mid:
        h = layer(h)
    return keras.Model(inp, layers.Dense(2)(h))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    return rng.random((48, 4)).astype("float32"), rng.random((48, 2)).astype("float32")


@pytest.mark.parametrize("kind", ["sequential", "functional"])
@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_in_a_model_fit_evaluate_predict_save_load_and_json(name, kind, data, tmp_path):
    x, y = data
    m = _model(name, kind)
    m.compile(optimizer="adam", loss="mse")
    # LayerNormalization over the last axis and the noise layers without noise_shape
    # lower onto the C engine (tests/test_engine_layers.py compares it with the layer
    # path); the others run on the layer path
    on_engine = name in ("layer_norm", "gaussian_noise", "gaussian_dropout")
    assert (engine.plan_for(m, x, training=True) is not None) == on_engine, m._engine.why
    before = m.evaluate(x, y, verbose=0)
    hist = m.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert all(np.isfinite(hist.history["loss"]))
    after = m.evaluate(x, y, verbose=0)
    assert np.isfinite(after) and after < before
    pred = m.predict(x, verbose=0)
    assert pred.shape == (48, 2)
    np.testing.assert_allclose(pred, m(x), rtol=1e-6, atol=1e-6)
    if name == "activity_regularization":
        assert len(m.losses) == 1

    r = assert_reloads_alike(m, x, pred, tmp_path)
    np.testing.assert_allclose(r.evaluate(x, y, verbose=0), m.evaluate(x, y, verbose=0),
                               rtol=1e-6)

    j = keras.models.model_from_json(m.to_json())
    assert json.loads(j.to_json()) == json.loads(m.to_json())
    j.set_weights(m.get_weights())
    np.testing.assert_allclose(j.predict(x, verbose=0), pred, rtol=1e-6, atol=1e-7)


NO_OP = {
    "reshape": lambda: layers.Reshape((6,)),
    "rescaling": lambda: layers.Rescaling(1.0),
    "dropout_noise_shape": lambda: layers.Dropout(0.0, noise_shape=(None, 1)),
    "activity_regularization": lambda: layers.ActivityRegularization(),
}


@pytest.mark.parametrize("name", list(NO_OP))
def test_the_engine_refuses_them_and_the_layer_path_gives_the_same_numbers(name, data,
                                                                          monkeypatch):
    x, y = data

    def model(extra):
        keras.utils.set_random_seed(4)
        stack = [keras.Input((4,)), layers.Dense(6, activation="relu")]
        stack += [NO_OP[name]()] if extra else []
        m = keras.Sequential(stack + [layers.Dense(2)])
        m.compile(optimizer="adam", loss="mse")
        return m

    def trained(m):
        keras.utils.set_random_seed(5)
        m.fit(x, y, epochs=2, batch_size=16, verbose=0)
        return m.get_weights()
    with_layer = model(True)
    assert engine.plan_for(with_layer, x, training=True) is None
    assert with_layer._engine.why and "in this position" in with_layer._engine.why
    on_engine = model(False)
    assert engine.plan_for(on_engine, x, training=True) is not None
    w_layer, w_engine = trained(with_layer), trained(on_engine)
    monkeypatch.setattr(engine, "ENABLED", False)      # the plain model on the layer path
    w_plain = trained(model(False))
    for a, b, c in zip(w_layer, w_plain, w_engine):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- bad arguments
BAD = [
    (lambda: layers.Reshape(5), TypeError, r"Reshape: target_shape must be a tuple of ints, "
                                           r"got int 5"),
    (lambda: layers.Reshape((2, 1.5)), TypeError, r"target_shape must be a tuple of ints, "
                                                  r"got float 1.5 at index 1"),
    (lambda: layers.Reshape((-3,)), ValueError, r"target_shape.*got target_shape=\(-3,\)"),
    (lambda: layers.Permute((1, 3)), ValueError, r"dims must be consecutive and start from 1, "
                                                 r"got dims=\(1, 3\)"),
    (lambda: layers.Permute("12"), TypeError, r"dims must be a tuple of ints, got str"),
    (lambda: layers.RepeatVector(True), TypeError, r"expected an integer value for n, got "
                                                   r"bool True"),
    (lambda: layers.Rescaling("a"), TypeError, r"Rescaling: scale must be a real number or an "
                                               r"array of them, got str 'a'"),
    (lambda: layers.Rescaling(1.0, offset=float("nan")), ValueError,
     r"Rescaling: offset must be a finite number, got nan"),
    (lambda: layers.LayerNormalization(epsilon=-1), ValueError,
     r"LayerNormalization: epsilon must be a finite number >= 0, got -1"),
    (lambda: layers.LayerNormalization(center="yes"), TypeError,
     r"LayerNormalization: center must be True or False, got str 'yes'"),
    (lambda: layers.LayerNormalization(gamma_constraint="non_neg"), ValueError,
     r"gamma_constraint is not supported by fastnn"),
    (lambda: layers.LayerNormalization(axis=1.0), TypeError,
     r"LayerNormalization: expected an int or a list/tuple of ints for the argument 'axis', "
     r"got float 1.0"),
    (lambda: layers.UnitNormalization(axis="x"), TypeError,
     r"UnitNormalization: invalid value for axis argument: expected an int or a list/tuple "
     r"of ints, got str 'x'"),
    (lambda: layers.GaussianNoise(2.0), ValueError,
     r"GaussianNoise: .*stddev.*between 0 and 1, got stddev=2.0"),
    (lambda: layers.GaussianNoise("a"), TypeError, r"stddev.*got str 'a'"),
    (lambda: layers.GaussianNoise(0.1, seed=-1), ValueError,
     r"GaussianNoise: seed must be an int in \[0, .*got -1"),
    (lambda: layers.GaussianDropout(1.0), ValueError,
     r"GaussianDropout: .*rate must be a number in \[0, 1\), got 1.0"),
    (lambda: layers.AlphaDropout(None), TypeError, r"AlphaDropout: .*rate.*got NoneType None"),
    (lambda: layers.AlphaDropout(0.1, noise_shape=(2, "a")), ValueError,
     r"noise_shape.*integers or None, got 'a'"),
    (lambda: layers.ActivityRegularization(l1=-1), ValueError,
     r"L1L2: l1 must be a finite number >= 0, got -1"),
    (lambda: layers.ActivityRegularization(l2="x"), TypeError, r"l2 must be a real number"),
    (lambda: layers.Dropout(0.5, noise_shape=5), ValueError,
     r"noise_shape; expected an iterable of integers.*got noise_shape=5"),
]


@pytest.mark.parametrize("make,exc,match", BAD)
def test_bad_arguments_name_the_argument_the_expectation_and_the_value(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(ValueError, match=r"total size of the tensor must be unchanged"):
        layers.Reshape((5,))(np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match=r"RepeatVector expects inputs of rank 2 .*got shape "
                                         r"\(None, 3, 4\)"):
        layers.RepeatVector(2)(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"Permute\(dims=\(2, 1\)\) expects inputs of rank 3"):
        layers.Permute((2, 1))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 2\) does not broadcast"):
        layers.Dropout(0.5, noise_shape=(None, 2))(np.zeros((4, 3), "float32"), training=True)
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds"):
        layers.UnitNormalization(axis=2)(np.zeros((4, 3), "float32"))
