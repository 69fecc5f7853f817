"""Layers, initialisers, regularisers, activations registry: Keras semantics."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import activations, initializers, layers, regularizers
from fastnn.layers import Activation, Dense, Dropout, Flatten, Input


def test_dense_build_shapes_and_defaults():
    d = Dense(25, activation="relu")
    assert not d.built
    out = d(np.ones((3, 64), dtype=np.float32))
    assert out.shape == (3, 25) and d.built
    k, b = d.get_weights()
    assert k.shape == (64, 25) and b.shape == (25,)
    assert k.dtype == np.float32 and d.kernel.flags.c_contiguous
    np.testing.assert_array_equal(b, 0)
    assert d.count_params() == 64 * 25 + 25


def test_dense_math():
    d = Dense(2, activation="relu", use_bias=True)
    d.build((None, 3))
    k = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0]])
    d.set_weights([k, np.array([0.5, -4.0])])
    x = np.array([[1.0, 1.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(d(x), np.maximum(x @ k + [0.5, -4.0], 0), rtol=1e-6)
    nb = Dense(2, use_bias=False)
    nb.build((None, 3))
    assert len(nb.get_weights()) == 1


def test_auto_names_count_up():
    a, b = Dense(1), Dense(1)
    na, nb = a.name, b.name
    ia = 0 if na == "dense" else int(na.split("_")[1])
    assert nb == f"dense_{ia + 1}"
    assert Dense(1, name="out").name == "out"
    assert Dropout(0.1).name.startswith("dropout")


def test_glorot_uniform_limits_and_statistics():
    fastnn.utils.set_random_seed(0)
    w = initializers.GlorotUniform()((200, 300))
    limit = math.sqrt(6 / 500)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    # U(-l, l): mean 0, variance l^2/3 = 2/(fan_in+fan_out)
    assert abs(w.mean()) < 0.01 * limit
    assert w.var() == pytest.approx(limit ** 2 / 3, rel=0.02)
    d = Dense(25)
    d.build((None, 64))
    assert np.abs(d.kernel).max() <= math.sqrt(6 / 89)


@pytest.mark.parametrize("cls,std", [
    (initializers.HeNormal, math.sqrt(2 / 400)), (initializers.LecunNormal, math.sqrt(1 / 400)),
    (initializers.GlorotNormal, math.sqrt(2 / 700))])
def test_variance_scaling_normals(cls, std):
    w = cls(seed=1)((400, 300))
    # truncated at 2 sigma of the rescaled normal: the final std equals the target
    assert w.std() == pytest.approx(std, rel=0.02)
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_uniform_variants_and_constants():
    assert np.abs(initializers.HeUniform(seed=0)((100, 50))).max() <= math.sqrt(6 / 100)
    assert np.abs(initializers.LecunUniform(seed=0)((100, 50))).max() <= math.sqrt(3 / 100)
    r = initializers.RandomUniform(seed=0)((1000,))
    assert r.min() >= -0.05 and r.max() <= 0.05
    assert initializers.RandomNormal(seed=0)((20000,)).std() == pytest.approx(0.05, rel=0.03)
    assert np.abs(initializers.TruncatedNormal(seed=0)((5000,))).max() <= 0.1
    np.testing.assert_array_equal(initializers.Zeros()((2, 2)), 0)
    np.testing.assert_array_equal(initializers.Ones()((2,)), 1)
    np.testing.assert_array_equal(initializers.Constant(3.5)((2,)), 3.5)
    # seeded initialisers repeat themselves
    np.testing.assert_array_equal(initializers.GlorotUniform(seed=5)((3, 3)),
                                  initializers.GlorotUniform(seed=5)((3, 3)))
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    with pytest.raises(ValueError, match="unknown initializer"):
        initializers.get("glorot")


@pytest.mark.parametrize("value,dtype,expected", [
    (2.7, "int32", [2, 2]), (-2.7, "int32", [-2, -2]), (3, "uint8", [3, 3]),
    (1.0, "bool", [True, True]), (0.0, "bool", [False, False]), ([1.5, 2.5], "int64", [1, 2]),
])
def test_constant_fills_integer_and_bool_dtypes_as_keras_casts(value, dtype, expected):
    # Keras 3: ops.cast(value, dtype) * ops.ones(shape, dtype): integers truncated toward
    # zero, bool True where the value is not 0 (the expected values are Keras 3.15's)
    out = initializers.Constant(value)((2,), dtype=dtype)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, np.array(expected, dtype=dtype))


def test_constant_refuses_a_value_that_does_not_fit_the_integer_dtype():
    # (Keras raises NumPy's OverflowError from inside)
    with pytest.raises(ValueError, match=r"value=300.0 does not fit in uint8 \(from 0 to 255\)"):
        initializers.Constant(300)((2,), dtype="uint8")


def test_set_random_seed_repeats_initialisation():
    fastnn.utils.set_random_seed(42)
    a = Dense(4)
    a.build((None, 3))
    fastnn.utils.set_random_seed(42)
    b = Dense(4)
    b.build((None, 3))
    np.testing.assert_array_equal(a.kernel, b.kernel)


def test_tf_random_set_seed_seeds_fastnn_only():
    """`tf.random.set_seed(1234)` (TensorFlow code's usual first line) repeats fastnn's
    draws and, like TensorFlow's, leaves NumPy's and Python's global state alone."""
    import random
    import fastnn as tf
    draws = []
    for _ in range(2):
        np.random.seed(7)
        random.seed(7)
        tf.random.set_seed(1234)
        d = Dense(4)
        d.build((None, 3))
        draws.append((d.kernel.copy(), np.random.rand(), random.random()))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    assert draws[0][1:] == draws[1][1:]
    np.random.seed(7)
    random.seed(7)
    assert (np.random.rand(), random.random()) == draws[0][1:]   # untouched by set_seed
    with pytest.raises(ValueError, match=r"set_seed: seed must be a non-negative int, got -1"):
        tf.random.set_seed(-1)


def test_get_set_weights_round_trip_and_errors():
    d = Dense(3)
    d.build((None, 2))
    new = [np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])]
    kernel_id = id(d.kernel)
    d.set_weights(new)
    assert id(d.kernel) == kernel_id  # in place
    for got, want in zip(d.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    before = d.get_weights()
    with pytest.raises(ValueError, match=r"expected shape \(2, 3\), got \(3, 2\)"):
        d.set_weights([np.zeros((3, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match="expected 2 arrays"):
        d.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"bias.*expected shape \(3,\)"):
        d.set_weights([np.zeros((2, 3)), np.zeros(4)])
    for got, want in zip(d.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_input_shape_kwargs_like_keras2():
    m = fastnn.Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    assert m.built and m.get_weights()[0].shape == (3, 4)
    m2 = fastnn.Sequential([Dense(4, input_dim=5)])
    assert m2.built and m2.get_weights()[0].shape == (5, 4)
    m3 = fastnn.Sequential([Input(shape=(7,)), Dense(1)])
    assert m3.built and m3.input_shape == (None, 7)


def test_dropout_inverted_and_training_only():
    x = np.ones((200, 50), dtype=np.float32)
    d = Dropout(0.25, seed=1)
    np.testing.assert_array_equal(d(x), x)               # inference: identity
    y = d(x, training=True)
    vals = set(np.unique(y).tolist())
    assert vals <= {0.0, np.float32(1 / 0.75)}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert y.mean() == pytest.approx(1.0, abs=0.03)       # expectation preserved
    # same seed -> same mask; backward uses the mask
    y2 = Dropout(0.25, seed=1)(x, training=True)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\), got 1.0"):
        Dropout(1.0)


def test_dropout_backward_uses_mask():
    d = Dropout(0.5, seed=3)
    x = fastnn.autodiff.convert_to_tensor(np.ones((4, 6)))
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(x)
        y = d(x, training=True)
    g = tape.gradient(y, x)
    np.testing.assert_array_equal(g, y)


def test_flatten_and_activation_layers():
    f = Flatten()
    x = np.arange(24.0).reshape(2, 3, 4)
    assert f(x).shape == (2, 12)
    assert f.compute_output_shape((None, 3, 4)) == (None, 12)
    a = Activation("relu")
    np.testing.assert_array_equal(a(np.array([[-1.0, 2.0]])), [[0.0, 2.0]])
    m = fastnn.Sequential([Input((3, 4)), Flatten(), Dense(2)])
    assert m.get_weights()[0].shape == (12, 2)
    assert m(x).shape == (2, 2)


@pytest.mark.parametrize("layer", [Dense(3, activation="tanh", kernel_regularizer=regularizers.L2(0.1)),
                                   Dropout(0.3, seed=2), Flatten(), Activation("softmax")])
def test_layer_config_round_trip(layer):
    cfg = layers.serialize(layer)
    new = layers.deserialize(cfg)
    assert type(new) is type(layer)
    c1, c2 = layer.get_config(), new.get_config()
    assert c1 == c2


def test_activations_registry():
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get(None) is activations.linear
    with pytest.raises(ValueError, match=r"unknown activation 'rellu'.*relu.*sigmoid"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="unknown activation"):
        Dense(2, activation="sigmoidd")
    assert activations.serialize(activations.gelu) == "gelu"
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(activations.leaky_relu(x), [-0.4, 0.0, 3.0])  # function slope 0.2
    np.testing.assert_allclose(activations.hard_sigmoid(x), np.clip(x / 6 + 0.5, 0, 1))
    np.testing.assert_allclose(activations.softmax(np.array([[1.0, 1.0]])), [[0.5, 0.5]])
    np.testing.assert_allclose(activations.relu(x, max_value=2.0), [0.0, 0.0, 2.0])


def test_regularizer_values():
    w = np.array([[1.0, -2.0]])
    assert regularizers.L2()(w) == pytest.approx(0.01 * 5)    # Keras default l2 = 0.01
    assert regularizers.L1(0.1)(w) == pytest.approx(0.3)
    assert regularizers.L1L2(l1=0.1, l2=0.2)(w) == pytest.approx(0.3 + 1.0)
    np.testing.assert_allclose(regularizers.L2(0.5).grad(w), w)


def test_regularizer_in_loss_and_gradient():
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = np.array([[1.0], [0.0]])
    m = fastnn.Sequential([Input((2,), dtype="float64"),
                           Dense(1, kernel_regularizer=regularizers.L2(0.1))])
    k0 = np.array([[0.3], [-0.2]])
    m.set_weights([k0, np.zeros(1)])
    m.compile(optimizer=fastnn.optimizers.SGD(1.0), loss="mse")
    data = np.mean((x @ k0 - y) ** 2)
    assert m.evaluate(x, y, verbose=0) == pytest.approx(data + 0.1 * np.sum(k0 ** 2))
    m.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    grad = 2 * x.T @ (x @ k0 - y) / 2 + 2 * 0.1 * k0
    np.testing.assert_allclose(m.get_weights()[0], k0 - grad, rtol=1e-12)


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "elu", "selu", "softplus", "softsign",
                                 "silu", "gelu", "leaky_relu", "exponential", "linear"])
def test_backprop_matches_finite_differences(act):
    # The whole layer-by-layer step in float64: SGD(lr=1) moves each weight by its
    # gradient; compare with central differences of the evaluated loss.
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6, 3)) * 0.5
    y = rng.integers(0, 3, size=6)
    fastnn.utils.set_random_seed(11)
    m = fastnn.Sequential([Input((3,), dtype="float64"), Dense(4, activation=act), Dense(3, activation="softmax")])
    m.compile(optimizer=fastnn.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    w0 = m.get_weights()
    num = []
    h = 1e-6
    for i, w in enumerate(w0):
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            for sgn in (1, -1):
                ws = [a.copy() for a in w0]
                ws[i][idx] += sgn * h
                m.set_weights(ws)
                g[idx] += sgn * m.evaluate(x, y, batch_size=6, verbose=0) / (2 * h)
        num.append(g)
    m.set_weights(w0)
    m.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    for w_before, w_after, g in zip(w0, m.get_weights(), num):
        np.testing.assert_allclose(w_before - w_after, g, rtol=1e-5, atol=1e-8)


def test_activation_layers_keras_defaults():
    x = np.array([[-2.0, 0.5]])
    np.testing.assert_allclose(layers.LeakyReLU()(x), [[-0.6, 0.5]])          # layer slope 0.3
    np.testing.assert_allclose(layers.LeakyReLU(negative_slope=0.1)(x), [[-0.2, 0.5]])
    np.testing.assert_allclose(layers.ReLU()(x), [[0.0, 0.5]])
    np.testing.assert_allclose(layers.ELU(alpha=2.0)(x), [[2 * np.expm1(-2.0), 0.5]])
    np.testing.assert_allclose(layers.Softmax()(x).sum(), 1.0)
    for layer in (layers.LeakyReLU(0.1), layers.ELU(0.5), layers.ReLU(), layers.Softmax()):
        new = layers.deserialize(layers.serialize(layer))
        assert type(new) is type(layer) and new.get_config() == layer.get_config()


def test_leaky_relu_layer_gradient_uses_its_slope():
    d = layers.LeakyReLU(0.1)
    x = fastnn.autodiff.convert_to_tensor(np.array([[-1.0, 2.0]]))
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(x)
        y = d(x)
    np.testing.assert_allclose(tape.gradient(y, x), [[0.1, 1.0]])


# -- Keras 3's rules the conformance files found missing (test_layers_activations.py,
# test_layers_reshaping.py, test_layers_pooling.py) -----------------------------------

def _softmax_ref(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis, ref_axis", [(0, 0), (1, 1), (-2, 1), ((1, 2), (1, 2)),
                                            ([0], 0), ((2,), 2), ((0, -1), (0, 2))])
def test_softmax_layer_over_any_axis_values_and_gradient(axis, ref_axis):
    # Keras: an int axis is activations.softmax over it; a list or tuple of one axis the
    # same; of several, exp(x - logsumexp(x, axis))
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    layer = layers.Softmax(axis=axis)
    np.testing.assert_allclose(layer(x), _softmax_ref(x, ref_axis), rtol=1e-12, atol=1e-15)
    assert layer.get_config()["axis"] == axis
    assert layers.deserialize(layers.serialize(layer)).axis == axis
    t = fastnn.autodiff.convert_to_tensor(x)
    w = np.random.default_rng(1).standard_normal(x.shape)
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(t)
        y = fastnn.autodiff.ops.sum(layer(t) * w)
    g = np.asarray(tape.gradient(y, t))
    p = _softmax_ref(x, ref_axis)
    want = p * (w - (p * w).sum(axis=ref_axis, keepdims=True))
    np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


def test_softmax_layer_axis_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"Softmax: axis must be an int or a list or tuple of "
                                        r"ints, got float 1.5"):
        layers.Softmax(axis=1.5)
    with pytest.raises(TypeError, match=r"got tuple \(1, 'a'\)"):
        layers.Softmax(axis=(1, "a"))
    with pytest.raises(ValueError, match=r"axis must name at least one axis, got \(\)"):
        layers.Softmax(axis=())
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds for inputs of rank 3 "
                                         r"\(Softmax axis=3\)"):
        layers.Softmax(axis=3)(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"repeated axis in axis=\(1, -2\)"):
        layers.Softmax(axis=(1, -2))(np.ones((2, 3, 4)))


def test_softmax_layer_over_the_batch_axis_trains_on_the_layer_path():
    # the engine's softmax and the trainer's logits shortcut take the last axis only
    from fastnn import engine
    x = np.random.default_rng(0).standard_normal((16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]

    def model(axis):
        fastnn.utils.set_random_seed(3)
        m = fastnn.Sequential([Input((4,)), Dense(3), layers.Softmax(axis=axis)])
        m.compile(optimizer="sgd", loss="categorical_crossentropy")
        return m
    last = model(-1)
    assert engine.plan_for(last, x, training=True) is not None
    assert model(1)._trains_on_logits() is False
    m = model(0)
    assert m._trains_on_logits() is False
    assert engine.plan_for(m, x, training=True) is None
    assert "softmax over axis 0" in m._engine.why
    w0 = [w.copy() for w in m.get_weights()]
    m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    # one SGD step on categorical_crossentropy of softmax over the batch axis (NumPy)
    k, b = w0
    z = x.astype(np.float64) @ k + b
    p = _softmax_ref(z, 0)
    pc = np.clip(p / p.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    # d(mean_i -sum_j y log pc)/dp, through the row renormalisation and the softmax
    gpc = -y / pc / len(x)
    s = p.sum(axis=-1, keepdims=True)
    gp = gpc / s - (gpc * p).sum(axis=-1, keepdims=True) / s ** 2
    gz = p * (gp - (p * gp).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(m.get_weights()[0], k - 0.01 * (x.T @ gz), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m.get_weights()[1], b - 0.01 * gz.sum(0), rtol=1e-4, atol=1e-6)


def test_flatten_channels_first_moves_the_channels_last():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    f = Flatten(data_format="Channels_First")    # lower-cased, as Keras
    assert f.data_format == "channels_first"
    np.testing.assert_array_equal(f(x), np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))
    np.testing.assert_array_equal(Flatten(data_format="channels_first")(x[:, :, 0]),
                                  np.transpose(x[:, :, 0], (0, 2, 1)).reshape(2, -1))
    assert Flatten().get_config()["data_format"] == "channels_last"
    assert layers.deserialize(layers.serialize(f)).data_format == "channels_first"
    with pytest.raises(ValueError, match=r"Flatten: The `data_format` argument must be one of "
                                         r"\{'channels_first', 'channels_last'\}. Received: "
                                         r"data_format='nhwc'"):
        Flatten(data_format="nhwc")
    with pytest.raises(ValueError, match=r"at least 1 dimension"):
        Flatten()(np.float32(1.0))


def test_flatten_channels_first_fits_on_the_layer_path_like_a_permute():
    from fastnn import engine
    x = np.random.default_rng(0).standard_normal((8, 3, 4)).astype("float32")
    y = np.random.default_rng(1).standard_normal((8, 2)).astype("float32")

    def model(*head):
        fastnn.utils.set_random_seed(3)
        m = fastnn.Sequential([Input((3, 4)), *head, Dense(2)])
        m.compile(optimizer="sgd", loss="mse")
        return m
    cf = model(Flatten(data_format="channels_first"))
    assert engine.plan_for(cf, x, training=True) is None
    assert "data_format='channels_first'" in cf._engine.why
    ref = model(layers.Permute((2, 1)), Flatten())
    for m in (cf, ref):
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(cf.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(cf.predict(x, verbose=0), ref.predict(x, verbose=0))


def test_global_average_pooling1d_mask_drops_masked_inf_and_nan():
    # Keras: where(mask, inputs, 0), so a masked step's inf or NaN does not reach the mean
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    x[0, 2, :] = np.inf
    x[1, 0, 0] = np.nan
    mask = np.array([[1, 1, 0], [0, 1, 1]])
    out = layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(out, [x[0, :2].mean(0), x[1, 1:].mean(0)], rtol=1e-6)
    out = layers.GlobalAveragePooling1D(data_format="channels_first")(
        np.swapaxes(x, 1, 2), mask=mask)
    np.testing.assert_allclose(out, [x[0, :2].mean(0), x[1, 1:].mean(0)], rtol=1e-6)


def test_stateless_layers_are_built_when_created():
    # Keras' _build_at_init (Flatten is not: Keras builds it on its first call)
    for layer in (Activation("relu"), layers.ELU(), layers.LeakyReLU(), layers.Softmax(),
                  layers.ReLU(), layers.GlobalAveragePooling1D(), layers.GlobalMaxPooling1D()):
        assert layer.built, type(layer).__name__
    assert not Flatten().built


def test_leaky_relu_keras_checks_and_alpha_warning():
    for bad in (None, -1, -0.5):
        with pytest.raises(ValueError, match=r"The negative_slope value of a Leaky ReLU layer "
                                             r"cannot be None or negative value. Expected a "
                                             r"float. Received: negative_slope="):
            layers.LeakyReLU(negative_slope=bad)
    with pytest.warns(UserWarning, match="Argument `alpha` is deprecated. Use "
                                         "`negative_slope` instead."):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a real number"):
        layers.LeakyReLU(negative_slope="0.1")


# -- Keras 3's core-layer rules (tests/conformance/test_layers_core.py has Keras' own) --

def test_dense_symbolic_call_checks_the_built_feature_count():
    d = Dense(2)
    d(fastnn.Input(batch_shape=(1, 2)))
    with pytest.raises(ValueError, match=r'Input 0 of layer "[a-z_0-9]+" is incompatible with '
                       r"the layer: expected axis -1 of input shape to have value 2, but "
                       r"received input with shape \(1, 3\)"):
        d(fastnn.Input(batch_shape=(1, 3)))
    assert d(fastnn.Input(shape=(2,))).shape == (None, 2)     # an unknown batch is fine


def test_input_layer_keras3_arguments():
    from fastnn.layers import InputLayer
    from fastnn.layers.symbolic import KerasTensor
    with pytest.raises(ValueError, match=r"both `shape` and `batch_shape`.*shape=\(2, 3\)"):
        InputLayer(shape=(2, 3), batch_shape=(None, 2, 3))
    with pytest.raises(ValueError, match=r"both `batch_size` and `batch_shape`.*batch_size=4"):
        InputLayer(batch_size=4, batch_shape=(None, 3))
    with pytest.raises(ValueError, match="you must pass a `shape` argument"):
        InputLayer()
    with pytest.warns(UserWarning, match="`input_shape` is deprecated"):
        layer = InputLayer(input_shape=(3,))
    assert layer.batch_shape == (None, 3) and not layer.sparse and not layer.ragged
    assert InputLayer(batch_input_shape=(None, 5)).batch_shape == (None, 5)
    assert InputLayer(shape=(2,)).call() is None
    t = KerasTensor((None, 4), "float32")
    layer = InputLayer(input_tensor=t)
    assert layer.output is t and layer.batch_shape == (None, 4)
    assert fastnn.Input(tensor=KerasTensor((2, 4))).shape == (2, 4)
    with pytest.raises(ValueError, match="`input_tensor` must be a KerasTensor, got ndarray"):
        InputLayer(input_tensor=np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"incompatible `dtype`.*dtype='int32'"):
        InputLayer(input_tensor=KerasTensor((None, 4)), dtype="int32")
    with pytest.raises(ValueError, match=r"incompatible `shape`.*shape=\(5,\)"):
        InputLayer(input_tensor=KerasTensor((None, 4)), shape=(5,))


def test_identity_is_built_at_instantiation():
    from fastnn.layers import Identity
    layer = Identity()
    assert layer.built and layer.weights == []


def test_embedding_dims_constraint_and_weights_like_keras3():
    from fastnn import constraints
    from fastnn.layers import Embedding
    for bad in (4.0, "3", True, None, 0, -1):
        with pytest.raises(ValueError, match=r"Embedding: `input_dim` must be a positive "
                                             r"integer, got"):
            Embedding(bad, 2)
        with pytest.raises(ValueError, match=r"Embedding: `output_dim` must be a positive "
                                             r"integer, got"):
            Embedding(3, bad)
    assert Embedding(np.int64(3), 2).input_dim == 3          # NumPy integers pass
    # weights=: built at once with those values
    layer = Embedding(3, 2, weights=np.arange(6.0).reshape(3, 2))
    assert layer.built
    np.testing.assert_array_equal(layer.embeddings, np.arange(6.0).reshape(3, 2))
    layer.build((None, 4))                                    # a second build keeps them
    assert len(layer.weights) == 1
    # embeddings_constraint: kept in the config and applied after each update
    layer = Embedding(5, 2, embeddings_constraint="non_neg")
    assert isinstance(layer.embeddings_constraint, constraints.NonNeg)
    assert layer.get_config()["embeddings_constraint"] == {"class_name": "NonNeg", "config": {}}
    assert isinstance(Embedding.from_config(layer.get_config()).embeddings_constraint,
                      constraints.NonNeg)
    for constraint, nonneg in (("non_neg", True), (None, False)):
        model = fastnn.Sequential([
            Input((3,), dtype="int32"),
            Embedding(5, 2, embeddings_constraint=constraint, embeddings_initializer="ones"),
            fastnn.layers.Flatten(),
            Dense(1, kernel_initializer="ones", trainable=False)])
        model.compile("sgd", "mse")
        model.fit(np.array([[1, 2, 3]] * 8), np.full((8, 1), -100.0), epochs=2, verbose=0)
        assert (np.asarray(model.layers[0].embeddings).min() >= 0) == nonneg


def test_layer_trainable_argument_is_a_boolean_like_keras3():
    for bad in ("yes", 1, None):
        with pytest.raises(ValueError, match=r"Dense: Expected `trainable` to be a boolean"):
            Dense(2, trainable=bad)
    assert Dense(2, trainable=np.bool_(False)).trainable is False


def test_a_weights_trainable_flag_follows_its_layer_like_keras3():
    """Setting layer.trainable sets the flag of each weight made trainable (and the
    layer's sublayers'); weights made non-trainable stay so; the weight lists do not
    count a weight twice."""
    class Inner(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,), initializer="ones")
            self.frozen = self.add_weight(shape=(), initializer="ones", trainable=False)

        def call(self, x):
            return x * self.w

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner()

        def build(self, input_shape):
            self.inner.build(input_shape)
            self.v = self.add_weight(shape=(2,), initializer="ones")

        def call(self, x):
            return self.inner(x) * self.v

    layer = Outer()
    layer.build((None, 2))
    flags = lambda: (layer.v.trainable, layer.inner.w.trainable, layer.inner.frozen.trainable)
    assert flags() == (True, True, False)
    layer.trainable = False
    assert flags() == (False, False, False) and not layer.inner.trainable
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    layer.trainable = True
    assert flags() == (True, True, False) and layer.inner.trainable
    assert len(layer.trainable_weights) == 2 and len(layer.weights) == 3
    # a weight made in a frozen layer is frozen until the layer is unfrozen
    dense = Dense(3, trainable=False)
    dense.build((None, 2))
    assert not dense.kernel.trainable and not dense.bias.trainable
    dense.trainable = True
    assert dense.kernel.trainable and dense.bias.trainable
    # a model made of layers leaves their flags as they are
    inp = Input((2,))
    frozen = Dense(1, trainable=False)
    model = fastnn.Model(inp, frozen(Dense(2)(inp)))
    assert not frozen.trainable and not frozen.kernel.trainable
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    # and the flags survive pickling a layer
    import pickle
    copy = pickle.loads(pickle.dumps(dense))
    dense.trainable = False
    copy2 = pickle.loads(pickle.dumps(dense))
    assert copy.kernel.trainable and not copy2.kernel.trainable and not copy2.trainable


def test_a_gradient_tape_does_not_watch_the_weights_of_a_frozen_layer():
    dense = Dense(2, kernel_initializer="ones")
    x = np.ones((3, 4), np.float32)
    dense(x)
    for trainable in (True, False, True):
        dense.trainable = trainable
        with fastnn.GradientTape() as tape:
            loss = fastnn.ops.sum(dense(x))
        grads = tape.gradient(loss, [dense.kernel, dense.bias])
        if trainable:
            np.testing.assert_allclose(grads[0], np.full((4, 2), 3.0))
            np.testing.assert_allclose(grads[1], [3.0, 3.0])
        else:
            assert grads == [None, None]


@pytest.mark.parametrize("on_engine", [True, False])
def test_freezing_and_unfreezing_a_layer_between_fits(monkeypatch, on_engine):
    """fit after layer.trainable changes trains the weights the flags say (the engine's
    plan and the layer-by-layer path alike)."""
    from fastnn import engine
    monkeypatch.setattr(engine, "ENABLED", on_engine)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    first, second = Dense(3), Dense(1)
    model = fastnn.Sequential([Input((4,)), first, second])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    first.trainable = False
    assert not first.kernel.trainable and second.kernel.trainable
    before = [np.array(w) for w in model.weights]
    model.fit(x, y, epochs=1, verbose=0)
    after = [np.array(w) for w in model.weights]
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert not np.array_equal(before[2], after[2])
    first.trainable = True
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(after[0], np.array(first.kernel))


@pytest.mark.parametrize("on_engine", [True, False])
def test_a_weight_frozen_on_its_own_is_not_trained(monkeypatch, on_engine):
    """As in Keras, setting one weight's trainable flag moves it between the weight
    lists, and fit leaves it as it is (the engine hands such a model to the layer-by-layer
    path); setting the layer's flag again sets the weight's."""
    from fastnn import engine
    monkeypatch.setattr(engine, "ENABLED", on_engine)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.normal(size=(64, 2)).astype(np.float32)
    dense = Dense(2)
    model = fastnn.Sequential([Input((4,)), dense])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    dense.kernel.trainable = False
    assert [id(w) for w in dense.trainable_weights] == [id(dense.bias)]
    assert [id(w) for w in dense.non_trainable_weights] == [id(dense.kernel)]
    assert [id(w) for w in model.trainable_weights] == [id(dense.bias)]
    assert len(dense.weights) == 2 and dense.weights[0] is dense.kernel
    kernel, bias = np.array(dense.kernel), np.array(dense.bias)
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(dense.kernel, kernel)
    assert not np.array_equal(dense.bias, bias)
    assert model._engine.fit_plan is None
    dense.trainable = True                 # the layer's flag sets its weights' again
    assert dense.kernel.trainable and len(model.trainable_weights) == 2
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(dense.kernel, kernel)
    assert (model._engine.fit_plan is not None) == on_engine


def test_reshape_rejects_a_0d_array_target_shape_by_name():
    # a 0-d array has __iter__ but cannot be iterated: the error names the argument
    with pytest.raises(TypeError, match="target_shape must be a tuple of ints"):
        fastnn.layers.Reshape(target_shape=np.array(1.5))
    assert fastnn.layers.Reshape(target_shape=np.array([3])).target_shape == (3,)
