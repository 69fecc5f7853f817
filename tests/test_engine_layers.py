"""LayerNormalization, GaussianNoise, GaussianDropout and AlphaDropout on the C engine.

Their C kernels (csrc/layernorm.h, csrc/noise.h) against the NumPy references of
fastnn.reference in float32 and float64, their gradients by central differences, and
models holding them trained by the engine and by the layer-by-layer path (which calls
the same kernels, with the noise keyed by the same seeds and steps): bit for bit the
same weights, losses, evaluations and predictions, with Adam and with SGD and momentum,
at 1 and at 2 threads; the noise only in training; the layers' seeds carried by model
files and pickles; and the models the engine leaves to the layer path, with why."""
import pickle

import numpy as np
import pytest

import fastnn
import fastnn as keras
from fastnn import _kernels as K
from fastnn import engine
from fastnn import layers as L
from fastnn import reference as R
from fastnn.autodiff import GradientTape
from fastnn.layers import regularization

from cases import central_diff

# rms_scaling is deprecated (Keras warns, so does fastnn, whenever such a layer is made)
pytestmark = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-12, atol=1e-12)}
NOISE_KINDS = {"GaussianNoise": 0.4, "GaussianDropout": 0.3, "AlphaDropout": 0.2}
# Reported losses and metrics (float64 bookkeeping, as tests/test_fused.py explains): the
# layer path adds (batch sum / n) * n per batch, the engine the batch sum, so a reported
# loss may differ by an ulp of a double per batch; the weights are compared bit for bit.
LOSS_RTOL, METRIC_RTOL = 1e-13, 1e-12


# ------------------------------------------------------------ layer-norm kernels
def _ln_inputs(n, k, dtype, affine, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, k)) * 3 + rng.standard_normal(k)).astype(dtype)
    gamma = rng.standard_normal(k).astype(dtype) if affine else None
    beta = rng.standard_normal(k).astype(dtype) if affine else None
    return x, gamma, beta


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rms", [False, True], ids=["plain", "rms"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "bare"])
@pytest.mark.parametrize("n,k", [(1, 1), (7, 5), (33, 300)])
def test_ln_kernels_match_the_numpy_reference(dtype, rms, affine, n, k):
    x, gamma, beta = _ln_inputs(n, k, dtype, affine)
    y, xhat, stat = np.empty_like(x), np.empty_like(x), np.empty(2 * n, dtype)
    K.ln_forward(x, gamma, beta, 1e-3, rms, xhat, stat, y)
    np.testing.assert_allclose(y, R.layer_norm(x, gamma, beta, 1e-3, rms), **TOL[dtype])
    np.testing.assert_allclose(stat[0::2], x.astype(np.float64).mean(axis=1), **TOL[dtype])
    # inference (nothing kept) and in place give the same bits as training
    y2 = np.empty_like(x)
    K.ln_forward(x, gamma, beta, 1e-3, rms, None, None, y2)
    np.testing.assert_array_equal(y2, y)
    x3 = x.copy()
    K.ln_forward(x3, gamma, beta, 1e-3, rms, None, None, x3)
    np.testing.assert_array_equal(x3, y)

    dy = np.random.default_rng(1).standard_normal((n, k)).astype(dtype)
    dx, dg, db = np.empty_like(x), np.empty(k, dtype), np.empty(k, dtype)
    K.ln_backward(dy, xhat, stat, gamma, rms, dx, dg, db)
    rdx, rdg, rdb = R.layer_norm_backward(dy, x, gamma, 1e-3, rms)
    scale = max(1.0, float(np.abs(rdx).max()))
    np.testing.assert_allclose(dx, rdx, rtol=TOL[dtype]["rtol"] * 10,
                               atol=TOL[dtype]["atol"] * 10 * scale)
    np.testing.assert_allclose(dg, rdg, rtol=TOL[dtype]["rtol"] * 10,
                               atol=TOL[dtype]["atol"] * 10 * n)
    np.testing.assert_allclose(db, rdb, rtol=TOL[dtype]["rtol"] * 10,
                               atol=TOL[dtype]["atol"] * 10 * n)
    # dx in place of dy, and without the parameter gradients: the same bits
    dy2 = dy.copy()
    K.ln_backward(dy2, xhat, stat, gamma, rms, dy2, None, None)
    np.testing.assert_array_equal(dy2, dx)


def test_ln_of_a_constant_row_is_finite():
    """A row with no variance: 1/sqrt(epsilon), no division by zero."""
    x = np.full((2, 4), 3.0)
    y = np.empty_like(x)
    K.ln_forward(x, None, None, 1e-3, False, None, None, y)
    np.testing.assert_array_equal(y, 0.0)


def test_ln_kernel_arguments_are_checked():
    x = np.zeros((3, 4))
    y = np.empty_like(x)
    with pytest.raises(ValueError, match="gamma must have 4 values"):
        K.ln_forward(x, np.ones(3), None, 1e-3, False, None, None, y)
    with pytest.raises(ValueError, match="y must have shape"):
        K.ln_forward(x, None, None, 1e-3, False, None, None, np.empty((3, 5)))
    with pytest.raises(ValueError, match="xhat and stat"):
        K.ln_forward(x, None, None, 1e-3, False, np.empty_like(x), None, y)
    with pytest.raises(ValueError, match="stat must have 6 values"):
        K.ln_forward(x, None, None, 1e-3, False, np.empty_like(x), np.empty(3), y)
    with pytest.raises(ValueError, match="eps must be a number >= 0"):
        K.ln_forward(x, None, None, float("nan"), False, None, None, y)
    with pytest.raises(ValueError, match="stat must have 6 values"):
        K.ln_backward(x, x, np.empty(2), None, False, y, None, None)
    with pytest.raises(ValueError, match="dgamma must have 4 values"):
        K.ln_backward(x, x, np.empty(6), None, False, y, np.empty(2), None)


@pytest.mark.parametrize("rms", [False, True], ids=["plain", "rms"])
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False),
                                          (False, False)])
def test_ln_layer_gradients_match_central_differences(rms, center, scale):
    """The layer on the tape (the C backward kernel): d loss / d (x, gamma, beta)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5)) * 2
    w = rng.standard_normal((4, 5))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # rms_scaling is deprecated (Keras warns)
        layer = L.LayerNormalization(center=center, scale=scale, rms_scaling=rms,
                                     dtype="float64")
    layer.build((None, 5))
    for v in layer.weights:
        v[...] = rng.standard_normal(v.shape)

    def loss(xv):
        return float(np.sum(np.asarray(layer(xv)) * w))
    xt = fastnn.tensor.as_tensor(x)
    with GradientTape() as tape:
        tape.watch(xt)
        out = layer(xt)
        total = fastnn.ops.sum(out * w)
    grads = tape.gradient(total, [xt] + list(layer.trainable_weights))
    np.testing.assert_allclose(grads[0], central_diff(loss, x), rtol=1e-6, atol=1e-7)
    for v, g in zip(layer.trainable_weights, grads[1:]):
        keep = np.array(v)

        def f(val, v=v):
            v[...] = val
            out = loss(x)
            v[...] = keep
            return out
        np.testing.assert_allclose(g, central_diff(f, keep), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ noise kernels
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(NOISE_KINDS))
def test_noise_kernel_matches_the_numpy_reference(dtype, kind):
    param = NOISE_KINDS[kind]
    key = K.noise_key(123, 7)
    assert key == R.noise_key(123, 7)
    x = np.random.default_rng(3).standard_normal(20000).astype(dtype)
    y, m = np.empty_like(x), np.empty_like(x)
    K.noise_forward(K.NOISE_CODES[kind], param, key, x, m, y)
    ry, rm = R.noise_forward(kind, param, key, x)
    # the same draws; NumPy's log / cos may differ from the C library's by an ulp
    np.testing.assert_allclose(y, ry, **TOL[dtype])
    if kind != "GaussianNoise":
        np.testing.assert_allclose(m, rm, **TOL[dtype])
    # and the noise has the distribution Keras draws it from
    if kind == "GaussianNoise":
        z = (y.astype(np.float64) - x) / param
        assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    elif kind == "GaussianDropout":
        z = m.astype(np.float64)
        assert abs(z.mean() - 1) < 0.02 and abs(z.std() - np.sqrt(param / (1 - param))) < 0.02
    else:
        assert abs(np.mean(m == 0) - param) < 0.02
        # alpha dropout keeps a SELU network's mean 0 and variance 1
        ones = np.random.default_rng(4).standard_normal(20000).astype(dtype)
        K.noise_forward(K.NOISE_CODES[kind], param, key, ones, None, y)
        assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05


@pytest.mark.parametrize("kind", list(NOISE_KINDS))
def test_noise_is_a_function_of_the_key_and_the_index_alone(kind):
    code, param = K.NOISE_CODES[kind], NOISE_KINDS[kind]
    x = np.ones(1000)

    def draw(key, n=1000):
        y = np.empty(n)
        K.noise_forward(code, param, key, x[:n], None, y)
        return y
    a = draw(K.noise_key(5, 1))
    np.testing.assert_array_equal(draw(K.noise_key(5, 1), 10), a[:10])   # a prefix
    assert not np.array_equal(a, draw(K.noise_key(5, 2)))                 # another step
    assert not np.array_equal(a, draw(K.noise_key(6, 1)))                 # another seed
    y = x.copy()
    K.noise_forward(code, param, K.noise_key(5, 1), y, None, y)           # in place
    np.testing.assert_array_equal(y, a)


@pytest.mark.parametrize("n", [5000, 200_000])        # (200,000: split over the threads)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9, 0.5, 1 / 3, 2.0 ** -53 * 3.5])
def test_dropout_kernel_matches_the_numpy_reference(dtype, rate, n, set_threads):
    """Dropout's stream (the engine's masks, which the layer path now draws too)."""
    key = K.dropout_key(99, 5, 2)
    assert key == R.dropout_key(99, 5, 2)
    x = np.random.default_rng(6).standard_normal(n).astype(dtype)
    mask, y = np.empty_like(x), np.empty_like(x)
    K.dropout_forward(rate, key, x, mask, y)
    ry, rmask = R.dropout_forward(rate, key, x)
    np.testing.assert_array_equal(mask, rmask)       # comparisons and one product: exact
    np.testing.assert_array_equal(y, ry)
    assert abs(np.mean(mask == 0) - rate) < 0.03
    if n > 5000:        # the same bits at one thread
        set_threads(1)
        m1, y1 = np.empty_like(x), np.empty_like(x)
        K.dropout_forward(rate, key, x, m1, y1)
        assert np.array_equal(m1, mask) and np.array_equal(y1, y)
        set_threads(2)
    with pytest.raises(ValueError, match="rate must be in"):
        K.dropout_forward(1.0, key, x, mask, y)
    with pytest.raises(ValueError, match="mask and y must have"):
        K.dropout_forward(rate, key, x, mask[:3], y)


def test_noise_kernel_arguments_are_checked():
    x = np.zeros(4)
    with pytest.raises(ValueError, match="kind must be one of"):
        K.noise_forward(9, 0.1, 0, x, None, np.empty(4))
    with pytest.raises(ValueError, match="stddev must be in"):
        K.noise_forward(K.NOISE_CODES["GaussianNoise"], 1.5, 0, x, None, np.empty(4))
    with pytest.raises(ValueError, match="rate must be in"):
        K.noise_forward(K.NOISE_CODES["AlphaDropout"], 1.0, 0, x, None, np.empty(4))
    with pytest.raises(ValueError, match="y and mult must have"):
        K.noise_forward(K.NOISE_CODES["GaussianDropout"], 0.1, 0, x, np.empty(3), np.empty(4))


@pytest.mark.parametrize("kind", list(NOISE_KINDS))
def test_noise_layer_gradients_match_central_differences(kind):
    """Inside a model's training step the noise is a function of (seed, step): the
    layer's gradient on the tape against central differences of that function."""
    layer = getattr(L, kind)(NOISE_KINDS[kind], seed=3)
    model = keras.Sequential([keras.Input((5,)), L.Dense(5), layer, L.Dense(2)])
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))

    def loss(xv):
        with regularization.training_step(model, 11):
            return float(np.sum(np.asarray(layer(xv, training=True)) * w))
    xt = fastnn.tensor.as_tensor(x)
    with regularization.training_step(model, 11), GradientTape() as tape:
        tape.watch(xt)
        total = fastnn.ops.sum(layer(xt, training=True) * w)
    g = tape.gradient(total, xt)
    np.testing.assert_allclose(g, central_diff(loss, x), rtol=1e-6, atol=1e-7)
    assert loss(x) == loss(x)                        # the same step: the same noise
    with regularization.training_step(model, 12):
        other = float(np.sum(np.asarray(layer(x, training=True)) * w))
    assert other != loss(x)                          # another step: other noise


# -------------------------------------------------------- engine vs layer path
def _ln(**kw):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # rms_scaling's deprecation
        return L.LayerNormalization(**kw)


# name: the layers of the model between its input (6 features) and its output Dense(3)
MODELS = {
    "ln_after_act": lambda dt: [L.Dense(16, activation="tanh", dtype=dt), _ln(dtype=dt)],
    "ln_before_act": lambda dt: [L.Dense(16, dtype=dt), _ln(epsilon=1e-5, dtype=dt),
                                 L.Activation("relu", dtype=dt)],
    "ln_rms": lambda dt: [L.Dense(16, activation="relu", dtype=dt),
                          _ln(rms_scaling=True, dtype=dt)],
    "ln_bare": lambda dt: [L.Dense(16, activation="elu", dtype=dt),
                           _ln(center=False, scale=False, dtype=dt)],
    "ln_regularized": lambda dt: [L.Dense(16, activation="tanh", dtype=dt),
                                  _ln(gamma_regularizer=keras.regularizers.L2(0.01),
                                      beta_regularizer=keras.regularizers.L1(0.01),
                                      gamma_initializer="random_normal", dtype=dt)],
    "gaussian_noise": lambda dt: [L.Dense(16, activation="relu", dtype=dt),
                                  L.GaussianNoise(0.3, dtype=dt)],
    "gaussian_dropout": lambda dt: [L.Dense(16, activation="tanh", dtype=dt),
                                    L.GaussianDropout(0.3, dtype=dt)],
    "alpha_dropout": lambda dt: [L.Dense(16, activation="selu", dtype=dt),
                                 L.AlphaDropout(0.2, dtype=dt)],
    "seeded_noise": lambda dt: [L.Dense(16, activation="tanh", dtype=dt),
                                L.GaussianNoise(0.2, seed=17, dtype=dt)],
    "all_together": lambda dt: [
        L.Dense(16, dtype=dt), _ln(dtype=dt), L.Activation("tanh", dtype=dt),
        L.GaussianNoise(0.1, dtype=dt), L.Dense(12, activation="relu", dtype=dt),
        L.Dropout(0.2, dtype=dt), L.Dense(12, activation="selu", dtype=dt),
        L.AlphaDropout(0.1, dtype=dt), L.Dense(10, dtype=dt),
        L.BatchNormalization(dtype=dt), L.GaussianDropout(0.2, dtype=dt),
        L.Dense(8, activation="tanh", dtype=dt), _ln(rms_scaling=True, dtype=dt)],
    "noisy_stack": lambda dt: [
        L.Dense(16, activation="relu", dtype=dt), _ln(dtype=dt), L.GaussianNoise(0.1, dtype=dt),
        L.Dense(12, activation="relu", dtype=dt), L.Dropout(0.2, dtype=dt),
        L.Dense(12, activation="selu", dtype=dt), L.AlphaDropout(0.1, dtype=dt),
        L.Dense(10, activation="tanh", dtype=dt), L.GaussianDropout(0.2, dtype=dt)],
}
OPTIMIZERS = {"adam": lambda: keras.optimizers.Adam(0.01),
              "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9)}


def _data(dtype, n=45):
    rng = np.random.default_rng(7)
    return rng.standard_normal((n, 6)).astype(dtype), rng.standard_normal((n, 3)).astype(dtype)


def _make(name, dtype, opt="adam", loss="mse"):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((6,)), *MODELS[name](dtype), L.Dense(3, dtype=dtype)])
    m.compile(optimizer=OPTIMIZERS[opt](), loss=loss, metrics=["mae"])
    return m


def _fit(monkeypatch, on_engine, name, dtype, opt="adam", epochs=3, **kw):
    monkeypatch.setattr(engine, "ENABLED", on_engine)
    x, y = _data(dtype)
    m = _make(name, dtype, opt, **kw)
    keras.utils.set_random_seed(1)
    h = m.fit(x, y, epochs=epochs, batch_size=8, verbose=0)
    if on_engine:
        assert m._engine.why is None and m._engine.fit_plan is not None, m._engine.why
    else:
        assert m._engine.fit_plan is None
    return m, h.history


def _assert_same_model(a, b, x, y):
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(a.optimizer.variables, b.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MODELS))
def test_engine_trains_bitwise_like_the_layer_path(monkeypatch, name, dtype, opt):
    me, he = _fit(monkeypatch, True, name, dtype, opt)
    ml, hl = _fit(monkeypatch, False, name, dtype, opt)
    np.testing.assert_allclose(he["loss"], hl["loss"], rtol=LOSS_RTOL, atol=0)
    np.testing.assert_allclose(he["mae"], hl["mae"], rtol=METRIC_RTOL, atol=0)
    x, y = _data(dtype)
    _assert_same_model(me, ml, x, y)
    # inference (the noise off) on both paths: the same bits
    monkeypatch.setattr(engine, "ENABLED", True)
    pe, ee = me.predict(x, verbose=0), me.evaluate(x, y, verbose=0)
    assert me._engine.why is None
    monkeypatch.setattr(engine, "ENABLED", False)
    np.testing.assert_array_equal(pe, ml.predict(x, verbose=0))
    el = ml.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(ee, el, rtol=METRIC_RTOL, atol=0)


def test_the_noise_changes_training_and_each_step_draws_anew(monkeypatch):
    """The engine's noise is there (training differs from the same model without it)
    and not the same at every step (two epochs over one batch differ from one)."""
    x, y = _data("float64")
    m, _ = _fit(monkeypatch, True, "gaussian_dropout", "float64", epochs=1)
    keras.utils.set_random_seed(0)
    plain = keras.Sequential([keras.Input((6,)), L.Dense(16, activation="tanh",
                                                         dtype="float64"),
                              L.Dense(3, dtype="float64")])
    plain.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    keras.utils.set_random_seed(1)
    plain.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(m.get_weights()[0], plain.get_weights()[0])
    # the noise layer's key per step: the engine's noise at step t is the kernel's
    seeds = regularization.stream_seeds(m)
    layer = m.layers[1]
    assert isinstance(layer, L.GaussianDropout) and list(seeds) == [id(layer)]
    assert m._dropout_draws == [seeds[id(layer)]]


@pytest.mark.parametrize("name", ["gaussian_noise", "alpha_dropout", "ln_after_act",
                                  "all_together"])
def test_inference_has_no_noise(monkeypatch, name):
    """predict / evaluate / a call without training: the noise layers are the identity
    (the same outputs as the model without them), on the engine and on the layer path."""
    x, y = _data("float32")
    m, _ = _fit(monkeypatch, True, name, "float32", epochs=1)
    chain = [layer for layer in m.layers
             if not isinstance(layer, (L.GaussianNoise, L.GaussianDropout, L.AlphaDropout,
                                       L.Dropout))]
    plain = keras.Sequential([keras.Input((6,))] + [type(layer).from_config(layer.get_config())
                                                    for layer in chain])
    plain.compile(optimizer="adam", loss="mse", metrics=["mae"])
    plain.set_weights(m.get_weights())
    for on in (True, False):
        monkeypatch.setattr(engine, "ENABLED", on)
        np.testing.assert_array_equal(m.predict(x, verbose=0), plain.predict(x, verbose=0))
        np.testing.assert_allclose(m.evaluate(x, y, verbose=0), plain.evaluate(x, y, verbose=0),
                                   rtol=METRIC_RTOL, atol=0)
        np.testing.assert_array_equal(m(x), plain(x))


@pytest.mark.parametrize("name", ["ln_before_act", "gaussian_noise", "all_together"])
def test_one_and_two_threads_train_the_same_bits(monkeypatch, set_threads, name):
    out = []
    for n in (1, 2):
        set_threads(n)
        m, h = _fit(monkeypatch, True, name, "float32")
        out.append((m.get_weights(), h))
    assert out[0][1] == out[1][1]       # the same path: the same sums, exactly
    for u, v in zip(out[0][0], out[1][0]):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("name", ["ln_regularized", "alpha_dropout", "all_together"])
def test_train_on_batch_and_custom_losses_are_bitwise_too(monkeypatch, name):
    """train_on_batch (a step keyed by the optimizer's count) and a loss written in
    Python (the engine's custom step): the same bits on both paths."""
    x, y = _data("float64", 16)

    def custom_mse(yt, yp):
        return fastnn.ops.mean(fastnn.ops.square(yt - yp), axis=-1)
    runs = []
    for on in (True, False):
        monkeypatch.setattr(engine, "ENABLED", on)
        m = _make(name, "float64")
        for _ in range(3):
            m.train_on_batch(x, y)
        c = _make(name, "float64", loss=custom_mse)
        keras.utils.set_random_seed(2)
        c.fit(x, y, epochs=2, batch_size=5, verbose=0)
        if on:
            assert m._engine.why is None
            assert c._engine.custom_plan is not None
        runs.append((m.get_weights(), c.get_weights()))
    for u, v in zip(runs[0][0] + runs[0][1], runs[1][0] + runs[1][1]):
        np.testing.assert_array_equal(u, v)


def test_frozen_dense_and_layer_norm_pass_gradients_on(monkeypatch):
    """A frozen Dense + LayerNormalization between trained layers: its gamma and beta do
    not move, the layers before it still train, the same on both paths."""
    x, y = _data("float64")
    runs = []
    for on in (True, False):
        monkeypatch.setattr(engine, "ENABLED", on)
        keras.utils.set_random_seed(0)
        mid_dense, mid_ln = L.Dense(8, activation="tanh", trainable=False), \
            L.LayerNormalization(trainable=False, gamma_initializer="random_normal")
        m = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), mid_dense,
                              mid_ln, L.Dense(3)])
        m.compile(optimizer="adam", loss="mse")
        before = [np.array(w) for w in m.get_weights()]
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
        if on:
            assert m._engine.why is None
        after = m.get_weights()
        np.testing.assert_array_equal(after[4], before[4])     # gamma
        assert not np.array_equal(after[0], before[0])         # the first Dense trains
        runs.append(after)
    for u, v in zip(*runs):
        np.testing.assert_array_equal(u, v)


def test_noise_of_stddev_or_rate_zero_lowers_as_nothing(monkeypatch):
    x, y = _data("float32")
    runs = []
    for mid in ([L.GaussianNoise(0.0)], [L.GaussianDropout(0.0)], []):
        monkeypatch.setattr(engine, "ENABLED", True)
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), *mid,
                              L.Dense(3)])
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
        assert m._engine.why is None
        assert m._engine.fit_plan.specs[0]["noise"] == 0
        runs.append(m.get_weights())
    for r in runs[:2]:
        for u, v in zip(r, runs[2]):
            np.testing.assert_array_equal(u, v)


# ------------------------------------------------------------------ seeds and files
def test_seeds_follow_the_layer_seed_or_the_global_generator(monkeypatch):
    x, y = _data("float32")

    def run(seed, global_seed):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"),
                              L.GaussianNoise(0.5, seed=seed), L.Dense(3)])
        m.compile(optimizer="sgd", loss="mse")
        keras.utils.set_random_seed(global_seed)
        m.fit(x, y, epochs=1, batch_size=45, shuffle=False, verbose=0)
        return m.get_weights()[0]
    np.testing.assert_array_equal(run(4, 1), run(4, 2))        # its own seed: the same
    assert not np.array_equal(run(4, 1), run(5, 1))            # another seed: other noise
    np.testing.assert_array_equal(run(None, 1), run(None, 1))  # the global generator
    assert not np.array_equal(run(None, 1), run(None, 2))


@pytest.mark.parametrize("clone", [lambda m: pickle.loads(pickle.dumps(m)),
                                   "save", "keras"], ids=["pickle", "model_file", "keras_file"])
def test_a_copy_goes_on_training_bitwise(monkeypatch, tmp_path, clone):
    """A copy trained on from the same state of fastnn's generator equals the original:
    every training call draws the unseeded layers' seeds anew (they also travel with
    the model, model._dropout_draws, in fastnn's model files and pickles)."""
    if clone == "keras":
        pytest.importorskip("h5py")      # .keras files are HDF5 inside
    x, y = _data("float32")
    m, _ = _fit(monkeypatch, True, "noisy_stack", "float32", epochs=1)
    assert len(m._dropout_draws) == 4        # 3 noise layers and a Dropout, unseeded
    if clone in ("save", "keras"):
        path = tmp_path / ("m.fastnn" if clone == "save" else "m.keras")
        m.save(path)
        r = keras.models.load_model(path)
    else:
        r = clone(m)
    if clone != "keras":            # Keras' own file format has no place for them
        assert r._dropout_draws == m._dropout_draws
    for model in (m, r):
        keras.utils.set_random_seed(9)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for u, v in zip(m.get_weights(), r.get_weights()):
        np.testing.assert_array_equal(u, v)


# ----------------------------------------------------------------- what stays off it
REFUSED = {
    "ln_last": (lambda: [L.Dense(3), L.LayerNormalization()],
                "LayerNormalization after the last Dense layer"),
    "noise_last": (lambda: [L.Dense(3), L.GaussianNoise(0.1)], "in this position"),
    "noise_shape": (lambda: [L.Dense(8), L.AlphaDropout(0.1, noise_shape=(None, 1)),
                             L.Dense(3)], "noise_shape"),
    "noise_then_dropout": (lambda: [L.Dense(8), L.GaussianNoise(0.1), L.Dropout(0.1),
                                    L.Dense(3)], "in this position"),
    "softmax_after_ln": (lambda: [L.Dense(8), L.LayerNormalization(),
                                  L.Activation("softmax"), L.Dense(3)],
                         "softmax after a LayerNormalization"),
    "ln_trainable_unlike_dense": (lambda: [L.Dense(8), L.LayerNormalization(trainable=False),
                                           L.Dense(3)], "trainable unlike the Dense"),
    "ln_custom_regularizer": (lambda: [L.Dense(8), L.LayerNormalization(
        gamma_regularizer=lambda w: fastnn.ops.sum(w)), L.Dense(3)], "regularizer"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_models_the_engine_leaves_to_the_layer_path_say_why(name):
    make, why = REFUSED[name]
    x, _ = _data("float32")
    m = keras.Sequential([keras.Input((6,)), *make()])
    m.compile(optimizer="adam", loss="mse")
    assert engine.plan_for(m, x, training=True) is None
    assert why in m._engine.why


def test_each_training_call_draws_new_seeds_and_inference_draws_none(monkeypatch):
    """An evaluate or predict before fit draws nothing (on the engine as on the layer
    path, so the two stay bit for bit alike); each fit / train_on_batch draws the
    unseeded layers' seeds anew, seeded layers keep theirs."""
    x, y = _data("float32")
    runs = []
    for on in (True, False):
        monkeypatch.setattr(engine, "ENABLED", on)
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"),
                              L.GaussianNoise(0.2), L.Dense(8, activation="relu"),
                              L.GaussianDropout(0.2, seed=3), L.Dense(3)])
        m.compile(optimizer="adam", loss="mse")
        m.evaluate(x, y, verbose=0)
        m.predict(x, verbose=0)
        assert not m.__dict__.get("_dropout_draws")
        m.fit(x, y, epochs=1, batch_size=8, verbose=0)
        first = list(m._dropout_draws)
        assert len(first) == 1                       # the seeded layer takes none
        m.train_on_batch(x, y)
        assert len(m._dropout_draws) == 1 and m._dropout_draws != first
        m.fit(x, y, epochs=1, batch_size=8, verbose=0)
        runs.append(m.get_weights())
    for u, v in zip(*runs):
        np.testing.assert_array_equal(u, v)


def _raw_net(**extra):
    """A one-layer FusedNet from a raw spec (as fastnn/engine builds them) with `extra`."""
    W, b = np.zeros((3, 2)), np.zeros(2)
    spec = {"in": 3, "out": 2, "act": 0, "act_param": 0.0, "dropout": 0.0, "kl1": 0.0,
            "kl2": 0.0, "bl1": 0.0, "bl2": 0.0, "W": W, "b": b, "slotsW": [None] * 3,
            "slotsb": [None] * 3, **extra}
    return K.FusedNet([spec], 0, 1.0, False, 2, 0, {"kind": K.OPT_CODES["sgd"]}, 1,
                      np.float64)


@pytest.mark.parametrize("extra,match", [
    (dict(noise=7, noise_param=0.1), "noise kind must be 0..3"),
    (dict(noise=K.NOISE_CODES["GaussianDropout"], noise_param=1.0), "noise_param must be"),
    (dict(noise=K.NOISE_CODES["GaussianNoise"], noise_param=-0.1), "noise_param must be"),
    (dict(noise=K.NOISE_CODES["GaussianNoise"], noise_param=0.1, dropout=0.2),
     "both a dropout and a noise layer"),
])
def test_the_engine_checks_its_noise_description(extra, match):
    with pytest.raises(ValueError, match=match):
        _raw_net(**extra)
    net = _raw_net(noise=K.NOISE_CODES["GaussianNoise"], noise_param=0.1)
    net.set_noise_seed(0, 5)
    with pytest.raises(ValueError, match="layer 1 has no noise layer"):
        net.set_noise_seed(1, 5)


def test_mixed_bfloat16_models_with_them_train_bitwise_alike(monkeypatch):
    """Under mixed_bfloat16 (Dense products on bfloat16 operands, the rest float32) the
    engine trains LayerNormalization and the noise layers as the layer path does."""
    x, y = _data("float32")
    from fastnn import mixed_precision
    runs = []
    old = mixed_precision._GLOBAL[0]       # None while the policy follows floatx
    try:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        for on in (True, False):
            monkeypatch.setattr(engine, "ENABLED", on)
            keras.utils.set_random_seed(0)
            m = keras.Sequential([keras.Input((6,)), L.Dense(16), L.LayerNormalization(),
                                  L.Activation("relu"), L.GaussianDropout(0.2),
                                  L.Dense(8, activation="tanh"), L.AlphaDropout(0.1),
                                  L.Dense(3)])
            m.compile(optimizer="adam", loss="mse")
            keras.utils.set_random_seed(1)
            m.fit(x, y, epochs=2, batch_size=8, verbose=0)
            if on:
                assert m._engine.why is None and m._engine.fit_plan is not None
            runs.append(m.get_weights())
    finally:
        mixed_precision._GLOBAL[0] = old    # as it was, "not set" included
    for u, v in zip(*runs):
        np.testing.assert_array_equal(u, v)


def test_a_changed_stddev_or_rate_rebuilds_the_plan(monkeypatch):
    """The plan bakes in the noise layers' settings: changed between fits, they are
    what the next fit's engine uses."""
    x, y = _data("float32")
    m, _ = _fit(monkeypatch, True, "gaussian_noise", "float32", epochs=1)
    assert m._engine.fit_plan.specs[0]["noise_param"] == pytest.approx(0.3)
    m.layers[1].stddev = 0.1
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert m._engine.fit_plan.specs[0]["noise_param"] == pytest.approx(0.1)
    m.layers[1].stddev = 0.0
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert m._engine.fit_plan.specs[0]["noise"] == 0


@pytest.mark.parametrize("kind", list(NOISE_KINDS) + ["Dropout"])
def test_noise_split_over_the_threads_has_the_same_bits(kind, set_threads):
    """200,000 elements are split over the threads: the same noise, masks and outputs as
    at one thread, element for element."""
    x = np.random.default_rng(9).standard_normal(200_000)
    out = []
    for n in (2, 1):
        set_threads(n)
        y, m = np.empty_like(x), np.empty_like(x)
        if kind == "Dropout":
            K.dropout_forward(0.3, K.dropout_key(1, 2, 3), x, m, y)
        else:
            K.noise_forward(K.NOISE_CODES[kind], NOISE_KINDS[kind], K.noise_key(5, 1), x, m, y)
        out.append((y, m))
    assert np.array_equal(out[0][0], out[1][0])
    if kind != "GaussianNoise":        # (whose derivative, 1, is not written)
        assert np.array_equal(out[0][1], out[1][1])
