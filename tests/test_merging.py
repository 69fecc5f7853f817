"""fastnn's own tests of the merging layers (fastnn/layers/merging.py) and Lambda
(fastnn/layers/lambda_layer.py): eager values against NumPy, symbolic shapes, argument
errors, gradients from a GradientTape against central finite differences (float64),
functional models with two inputs merged by each layer trained with fit, and the config
round trip of such models. Keras' own tests are ported in tests/conformance/."""
import json

import numpy as np
import pytest

import fastnn
from fastnn import layers, models
from fastnn.autodiff import GradientTape, convert_to_tensor, ops
from fastnn.layers.symbolic import KerasTensor
from fastnn.tensor import Tensor

RNG = np.random.default_rng(1234)

ELEMENTWISE = {
    "Add": (layers.Add, layers.add, lambda xs: sum(xs[1:], xs[0])),
    "Subtract": (layers.Subtract, layers.subtract, lambda xs: xs[0] - xs[1]),
    "Multiply": (layers.Multiply, layers.multiply, lambda xs: np.prod(np.broadcast_arrays(*xs), 0)),
    "Average": (layers.Average, layers.average, lambda xs: sum(xs[1:], xs[0]) / len(xs)),
    "Maximum": (layers.Maximum, layers.maximum, lambda xs: np.max(np.broadcast_arrays(*xs), 0)),
    "Minimum": (layers.Minimum, layers.minimum, lambda xs: np.min(np.broadcast_arrays(*xs), 0)),
}
TWO_ONLY = {"Subtract"}


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def ref_dot(x, y, a1, a2):
    """Per sample tensordot over x's axis a1 and y's axis a2 (non-negative, > 0)."""
    out = np.stack([np.tensordot(x[i], y[i], (a1 - 1, a2 - 1)) for i in range(x.shape[0])])
    return out.reshape(-1, 1) if out.ndim == 1 else out


# ------------------------------------------------------------------ eager values
@pytest.mark.parametrize("name,n", [(name, n) for name in ELEMENTWISE for n in (1, 2, 3)
                                    if name not in TWO_ONLY or n == 2])
def test_elementwise_values(name, n, dtype):
    cls, fn, ref = ELEMENTWISE[name]
    xs = [rand(3, 4, 5, dtype=dtype) for _ in range(n)]
    for out in (cls()(xs), fn(xs), cls()(tuple(xs))):
        assert isinstance(out, Tensor)
        assert out.shape == (3, 4, 5) and out.dtype == dtype
        np.testing.assert_allclose(out, ref(xs), rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("shapes", [((3, 4, 5), (3, 1, 5)), ((3, 4, 5), (3, 5)),
                                    ((3, 5), (3, 4, 5)), ((3, 4, 1), (3, 1, 5)),
                                    ((3, 4, 5), (3, 1)), ((3,), (3, 2))])
def test_elementwise_broadcasting(name, shapes):
    # Keras' rules: sizes 1 broadcast; an input of lower rank gets axes of size 1 after
    # its batch axis (so its axes line up from the right).
    cls, _, ref = ELEMENTWISE[name]
    xs = [rand(*s) for s in shapes]
    aligned = [x.reshape((x.shape[0],) + (1,) * (max(map(len, shapes)) - x.ndim) + x.shape[1:])
               for x in xs]
    out = cls()(xs)
    np.testing.assert_allclose(out, ref(aligned), rtol=1e-12)
    sym = cls()([layers.Input(batch_shape=(None,) + s[1:]) for s in shapes])
    assert sym.shape == (None,) + out.shape[1:]


def test_integer_inputs_become_the_layer_dtype():
    out = layers.Add()([np.arange(6).reshape(2, 3), np.ones((2, 3), dtype=np.int64)])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.arange(6).reshape(2, 3) + 1)


@pytest.mark.parametrize("axis", [-1, 1, 2, -2, 0])
def test_concatenate_values(axis, dtype):
    shapes = {-1: [(2, 3, 4), (2, 3, 1)], 2: [(2, 3, 4), (2, 3, 2)], 1: [(2, 3, 4), (2, 5, 4)],
              -2: [(2, 1, 4), (2, 2, 4)], 0: [(2, 3, 4), (1, 3, 4)]}[axis]
    xs = [rand(*s, dtype=dtype) for s in shapes] + [rand(*shapes[0], dtype=dtype)]
    if axis != 0:
        xs[2] = rand(*shapes[1], dtype=dtype)
    for out in (layers.Concatenate(axis=axis)(xs), layers.concatenate(xs, axis=axis)):
        np.testing.assert_array_equal(out, np.concatenate(xs, axis=axis))
        assert out.dtype == dtype


@pytest.mark.parametrize("shapes,axes", [
    (((4, 5), (4, 5)), 1), (((4, 5), (4, 5)), -1), (((4, 3, 5), (4, 3, 6)), 1),
    (((4, 3, 5), (4, 6, 5)), (2, 2)), (((4, 3, 5), (4, 10, 3)), (1, 2)),
    (((4, 5), (4, 5, 7)), (1, 1)), (((4, 7, 5), (4, 5)), (-1, -1)),
    (((2, 3, 4, 5), (2, 6, 4)), (2, 2)), (((1, 3, 2), (1, 1, 2, 3)), (-2, -1)),
    (((3, 2, 3, 4), (3, 4, 2, 5)), (3, 1))])
def test_dot_values(shapes, axes):
    x, y = rand(*shapes[0]), rand(*shapes[1])
    pair = (axes, axes) if isinstance(axes, int) else axes
    a1, a2 = pair[0] % x.ndim, pair[1] % y.ndim
    for out in (layers.Dot(axes=axes)([x, y]), layers.dot([x, y], axes=axes)):
        np.testing.assert_allclose(out, ref_dot(x, y, a1, a2), rtol=1e-12, atol=1e-12)
    sym = layers.Dot(axes=axes)([layers.Input(batch_shape=(None,) + s[1:]) for s in shapes])
    assert sym.shape == (None,) + ref_dot(x, y, a1, a2).shape[1:]


def test_dot_default_axes_and_normalize():
    x, y = rand(5, 7), rand(5, 7)
    np.testing.assert_allclose(layers.dot([x, y]), np.sum(x * y, 1, keepdims=True), rtol=1e-12)
    cos = np.sum(x * y, 1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(layers.Dot(axes=1, normalize=True)([x, y])[:, 0], cos, rtol=1e-12)
    np.testing.assert_allclose(layers.dot([x, y], axes=1, normalize=True)[:, 0], cos,
                               rtol=1e-12)
    # normalised along each input's own axis
    a, b = rand(3, 4, 6), rand(3, 6, 2)
    an = a / np.linalg.norm(a, axis=2, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(layers.Dot(axes=(2, 1), normalize=True)([a, b]), an @ bn,
                               rtol=1e-12)
    # a zero sample stays finite (divided by max(norm, epsilon))
    z = layers.Dot(axes=1, normalize=True)([np.zeros((1, 3)), np.ones((1, 3))])
    assert np.all(np.isfinite(z)) and z[0, 0] == 0


def test_functional_forms_pass_layer_arguments():
    a, b = layers.Input((3,)), layers.Input((3,))
    out = layers.concatenate([a, b], axis=1, name="joined")
    assert out._keras_history[0].name == "joined" and out.shape == (None, 6)
    out = layers.add([a, b], name="summed")
    assert out._keras_history[0].name == "summed"
    assert layers.dot([a, b], axes=1, normalize=True)._keras_history[0].normalize is True


# ----------------------------------------------------------------- symbolic shapes
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_output_shapes(name):
    cls = ELEMENTWISE[name][0]
    layer = cls()
    assert layer.compute_output_shape([(None, 4, 5), (None, 4, 5)]) == (None, 4, 5)
    assert layer.compute_output_shape([(None, 4, 1), (8, 1, 5)]) == (8, 4, 5)
    assert layer.compute_output_shape([(None, None, 5), (None, 4, 5)]) == (None, None, 5)
    assert layer.compute_output_shape([(2, 4, 5), (None, 5)]) == (2, 4, 5)
    a, b = layers.Input((4, 5)), layers.Input((1, 5), batch_size=6)
    out = cls()([a, b])
    assert isinstance(out, KerasTensor) and out.shape == (6, 4, 5) and out.dtype == "float32"


def test_concatenate_and_dot_output_shapes():
    c = layers.Concatenate(axis=1)
    assert c.compute_output_shape([(None, 2, 3), (None, 4, 3)]) == (None, 6, 3)
    assert c.compute_output_shape([(None, None, 3), (None, 4, 3)]) == (None, None, 3)
    assert layers.Concatenate().compute_output_shape([(None, 2), (None, 3), (None, 4)]) == \
        (None, 9)
    d = layers.Dot(axes=(1, 2))
    assert d.compute_output_shape([(None, 3, 5), (None, 10, 3)]) == (None, 5, 10)
    assert layers.Dot(axes=1).compute_output_shape([(None, 3), (None, 3)]) == (None, 1)
    out = layers.Concatenate()([layers.Input((3,), dtype="float64"),
                                layers.Input((2,), dtype="float64")])
    assert out.shape == (None, 5) and out.dtype == "float64"


# ------------------------------------------------------------------------ errors
def test_merge_errors_name_what_is_wrong():
    x = rand(2, 3)
    with pytest.raises(ValueError, match=r"add\w*: A merge layer should be called on a list "
                                         r"of inputs. Received: input_shape=\(None, 3\)"):
        layers.Add()(x)
    with pytest.raises(ValueError, match="called on one list of inputs.*got 2 positional"):
        layers.Add()(x, x)
    with pytest.raises(ValueError, match="at least 1 input. Received 0 inputs"):
        layers.Add().compute_output_shape([])
    with pytest.raises(ValueError, match=r"Cannot merge tensors with different batch sizes. "
                                         r"Received tensors with shapes \[\(2, 3\), \(4, 3\)\]"):
        layers.Add()([x, rand(4, 3)])
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes "
                                         r"\(3,\) and \(4,\)"):
        layers.Multiply()([x, rand(2, 4)])
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Maximum()([layers.Input((3,)), layers.Input((4,))])
    with pytest.raises(ValueError, match="exactly 2 inputs. Received: input_shape"):
        layers.Subtract()([x, x, x])
    # a layer built for two inputs still checks each eager call
    add = layers.Add()
    add([x, x])
    with pytest.raises(ValueError, match="incompatible shapes"):
        add([x, rand(2, 5)])
    with pytest.raises(ValueError, match="batch axis"):
        layers.Add()([np.float64(1.0), x])


def test_concatenate_errors():
    with pytest.raises(TypeError, match="Concatenate: axis must be an int, got str 'x'"):
        layers.Concatenate(axis="x")
    with pytest.raises(TypeError, match="axis must be an int, got bool"):
        layers.Concatenate(axis=True)
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\) for inputs of rank 2, "
                                         r"got axis=2"):
        layers.Concatenate(axis=2)([rand(2, 3), rand(2, 3)])
    with pytest.raises(ValueError, match="requires inputs with matching shapes except for the "
                                         "concatenation axis"):
        layers.Concatenate()([rand(2, 3), rand(2, 3, 1)])
    with pytest.raises(ValueError, match="requires inputs with matching shapes"):
        layers.Concatenate()([layers.Input((3, 4)), layers.Input((2, 4))])
    with pytest.raises(ValueError, match="should be called on a list"):
        layers.Concatenate()(rand(2, 3))
    # unknown sizes match anything
    assert layers.Concatenate()([layers.Input((None, 4)), layers.Input((2, 4))]).shape == \
        (None, None, 8)


def test_dot_errors():
    x = rand(2, 3)
    with pytest.raises(TypeError, match="Invalid type for argument `axes`: it should be a "
                                        "list or an int. Received: axes='1'"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="it should contain two elements. Received: "
                                         r"axes=\(1, 2, 3\)"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="list elements should be integers"):
        layers.Dot(axes=(1, 2.0))
    with pytest.raises(TypeError, match="axes must be an int or a list of two ints, got True"):
        layers.Dot(axes=True)
    with pytest.raises(TypeError, match="Dot: normalize must be"):
        layers.Dot(axes=1, normalize="yes")
    with pytest.raises(ValueError, match="Cannot perform batch_dot over axis 0"):
        layers.Dot(axes=0)([x, x])
    with pytest.raises(ValueError, match=r"axes=3 is out of range for the first input, of "
                                         r"rank 2"):
        layers.Dot(axes=3)([x, x])
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 3 \(at axis "
                                         r"1\) != 4 \(at axis 1\)"):
        layers.Dot(axes=1)([x, rand(2, 4)])
    with pytest.raises(ValueError, match="rank < 2"):
        layers.Dot(axes=1)([rand(2), rand(2)])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Dot(axes=1)([x, rand(3, 3)])
    with pytest.raises(ValueError, match="should be called on a list of 2 inputs"):
        layers.Dot(axes=1)([x, x, x])
    with pytest.raises(ValueError, match="should be called on a list of 2 inputs"):
        layers.Dot(axes=1)([layers.Input((3,))])


# ------------------------------------------------------------- gradients (tape vs FD)
def tape_grads(layer, xs, w):
    ts = [convert_to_tensor(x) for x in xs]
    with GradientTape() as tape:
        tape.watch(ts)
        loss = ops.sum(ops.multiply(layer(ts), w))
    return tape.gradient(loss, ts)


def fd_grads(layer, xs, w, eps=1e-6):
    out = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            hi = [np.array(v) for v in xs]
            lo = [np.array(v) for v in xs]
            hi[i][j] += eps
            lo[i][j] -= eps
            up, down = np.asarray(layer(hi)), np.asarray(layer(lo))
            g[j] = (np.sum(up * w) - np.sum(down * w)) / (2 * eps)
        out.append(g)
    return out


def check_grads(layer, xs):
    w = rand(*np.shape(layer(xs)))
    got = tape_grads(layer, xs, w)
    want = fd_grads(layer, xs, w)
    assert len(got) == len(xs)
    for g, f, x in zip(got, want, xs):
        assert g is not None and g.shape == x.shape and g.dtype == np.float64
        np.testing.assert_allclose(g, f, rtol=1e-6, atol=1e-8)


GRAD_SHAPES = [((3, 4), (3, 4)), ((3, 4), (3, 4), (3, 4)), ((3, 2, 4), (3, 1, 4)),
               ((3, 2, 4), (3, 4))]


@pytest.mark.parametrize("name,shapes", [(name, s) for name in ELEMENTWISE for s in GRAD_SHAPES
                                         if name not in TWO_ONLY or len(s) == 2])
def test_elementwise_gradients(name, shapes):
    xs = [rand(*s) for s in shapes]     # continuous draws: no ties for max / min
    check_grads(ELEMENTWISE[name][0](), xs)


def test_maximum_minimum_tie_gradient_goes_to_the_first_input():
    x = np.array([[1.0, 2.0, 3.0]])
    for cls in (layers.Maximum, layers.Minimum):
        ts = [convert_to_tensor(x.copy()) for _ in range(3)]
        with GradientTape() as tape:
            tape.watch(ts)
            y = ops.sum(cls()(ts))
        g = tape.gradient(y, ts)
        np.testing.assert_array_equal(g[0], np.ones_like(x))
        np.testing.assert_array_equal(g[1], np.zeros_like(x))
        np.testing.assert_array_equal(g[2], np.zeros_like(x))


@pytest.mark.parametrize("axis", [1, -1, 0])
def test_concatenate_gradients(axis):
    shapes = {1: [(2, 3, 4), (2, 1, 4)], -1: [(2, 3, 4), (2, 3, 2)], 0: [(2, 3), (1, 3)]}[axis]
    check_grads(layers.Concatenate(axis=axis), [rand(*s) for s in shapes])


@pytest.mark.parametrize("shapes,axes,normalize", [
    (((3, 4), (3, 4)), 1, False), (((3, 4), (3, 4)), 1, True),
    (((2, 3, 4), (2, 5, 3)), (1, 2), False), (((2, 3, 4), (2, 5, 3)), (1, 2), True),
    (((2, 4), (2, 4, 3)), (1, 1), True), (((2, 2, 3, 4), (2, 4, 2)), (3, 1), False)])
def test_dot_gradients(shapes, axes, normalize):
    check_grads(layers.Dot(axes=axes, normalize=normalize), [rand(*s) for s in shapes])


def test_second_derivative_through_multiply():
    # The ops are recorded with differentiable VJPs: d2/dx2 of sum(x * x * y) = 2y.
    x, y = convert_to_tensor(rand(2, 3)), convert_to_tensor(rand(2, 3))
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            inner.watch(x)
            z = ops.sum(layers.Multiply()([x, x, y]))
        gx = inner.gradient(z, x)
    np.testing.assert_allclose(gx, 2 * x * y, rtol=1e-12)
    np.testing.assert_allclose(outer.gradient(gx, x), 2 * y, rtol=1e-12)


# ------------------------------------------------- functional models with merges
MERGES = {
    "Add": lambda: layers.Add(), "Subtract": lambda: layers.Subtract(),
    "Multiply": lambda: layers.Multiply(), "Average": lambda: layers.Average(),
    "Maximum": lambda: layers.Maximum(), "Minimum": lambda: layers.Minimum(),
    "Concatenate": lambda: layers.Concatenate(), "Dot": lambda: layers.Dot(axes=1),
    "DotNormalized": lambda: layers.Dot(axes=1, normalize=True),
}


def two_input_model(merge, dtype="float32", seed=3):
    fastnn.utils.set_random_seed(seed)
    a = layers.Input((3,), dtype=dtype, name="left")
    b = layers.Input((5,), dtype=dtype, name="right")
    h1 = layers.Dense(4, activation="tanh", dtype=dtype)(a)
    h2 = layers.Dense(4, activation="tanh", dtype=dtype)(b)
    out = layers.Dense(1, dtype=dtype)(merge([h1, h2]))
    return models.Model([a, b], out)


def two_input_data(n=96, dtype="float32"):
    rng = np.random.default_rng(7)
    x1 = rng.standard_normal((n, 3)).astype(dtype)
    x2 = rng.standard_normal((n, 5)).astype(dtype)
    y = (np.tanh(x1[:, :1]) * x2[:, 1:2] + 0.5 * x2[:, :1]).astype(dtype)
    return x1, x2, y


@pytest.mark.parametrize("name", list(MERGES))
def test_functional_model_trains_with_fit(name):
    model = two_input_model(MERGES[name]())
    x1, x2, y = two_input_data()
    model.compile(optimizer="adam", loss="mse")
    before = model.evaluate([x1, x2], y, verbose=0)
    hist = model.fit([x1, x2], y, epochs=15, batch_size=16, verbose=0)
    after = model.evaluate([x1, x2], y, verbose=0)
    assert len(hist.history["loss"]) == 15
    assert after < 0.95 * before, (before, after)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


@pytest.mark.parametrize("name", list(MERGES))
def test_functional_model_weight_gradients_match_finite_differences(name):
    model = two_input_model(MERGES[name](), dtype="float64")
    x1, x2, y = two_input_data(n=6, dtype="float64")

    def loss_value():
        return float(np.mean((np.asarray(model([x1, x2])) - y) ** 2))
    with GradientTape() as tape:
        loss = ops.mean(ops.square(ops.subtract(model([x1, x2]), y)))
    weights = model.trainable_weights
    grads = tape.gradient(loss, weights)
    assert len(grads) == len(weights) == 6
    eps = 1e-6
    for w, g in zip(weights, grads):
        assert g is not None and g.shape == w.shape
        fd = np.zeros(w.shape)
        for j in np.ndindex(w.shape):
            old = float(w[j])
            w[j] = old + eps
            hi = loss_value()
            w[j] = old - eps
            lo = loss_value()
            w[j] = old
            fd[j] = (hi - lo) / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", list(MERGES))
def test_functional_config_round_trip(name):
    model = two_input_model(MERGES[name]())
    x1, x2, _ = two_input_data(n=10)
    cfg = model.get_config()
    cfg = json.loads(json.dumps(cfg))                      # JSON-serialisable
    merge_cfg = [lc for lc in cfg["layers"] if lc["class_name"] in layers.ALL_OBJECTS
                 and lc["class_name"] not in ("InputLayer", "Dense")]
    assert len(merge_cfg) == 1
    clone = models.Functional.from_config(cfg)
    assert [type(la).__name__ for la in clone.layers] == [type(la).__name__ for la in model.layers]
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict([x1, x2], verbose=0),
                                  model.predict([x1, x2], verbose=0))
    fresh = models.Functional.from_config(cfg)
    assert not np.allclose(fresh.predict([x1, x2], verbose=0), model.predict([x1, x2], verbose=0))


def test_layer_configs():
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1
    cfg = layers.Dot(axes=(1, 2), normalize=True, name="d").get_config()
    assert cfg["axes"] == [1, 2] and cfg["normalize"] is True and cfg["name"] == "d"
    for layer in (layers.Add(), layers.Subtract(), layers.Multiply(), layers.Average(),
                  layers.Maximum(), layers.Minimum(), layers.Concatenate(axis=2),
                  layers.Dot(axes=-1), layers.Dot(axes=[2, 1], normalize=True)):
        s = json.loads(json.dumps(layers.serialize(layer)))
        back = layers.deserialize(s)
        assert type(back) is type(layer) and back.get_config() == layer.get_config()
    x, y = rand(2, 3, 4), rand(2, 4, 3)
    d = layers.deserialize(layers.serialize(layers.Dot(axes=[2, 1])))
    np.testing.assert_allclose(d([x, y]), x @ y, rtol=1e-12)


def test_merge_inside_a_model_called_twice_shares_nothing_but_the_layer():
    # one Concatenate layer used at two places of a graph: two nodes, no weights
    a, b, c = layers.Input((2,)), layers.Input((3,)), layers.Input((1,))
    cat = layers.Concatenate()
    out = cat([cat([a, b]), c])
    model = models.Model([a, b, c], out)
    xs = [rand(4, 2), rand(4, 3), rand(4, 1)]
    np.testing.assert_array_equal(model(xs), np.concatenate(xs, axis=1))
    assert len(cat._inbound_nodes) == 2 and cat.weights == []
    clone = models.Functional.from_config(model.get_config())
    np.testing.assert_array_equal(clone(xs), np.concatenate(xs, axis=1))


# ------------------------------------------------------------------------- Lambda
def _square_plus(x, offset=0.0):
    return ops.add(ops.square(x), offset)


def test_lambda_eager_arguments_and_training():
    x = rand(2, 3)
    np.testing.assert_allclose(layers.Lambda(_square_plus, arguments={"offset": 1.5})(x),
                               x ** 2 + 1.5, rtol=1e-12)
    seen = []

    def f(x, training=None):
        seen.append(training)
        return x
    lam = layers.Lambda(f)
    lam(x)
    lam(x, training=True)
    assert seen == [False, True]
    # NumPy on the inputs works too
    np.testing.assert_allclose(layers.Lambda(np.tanh)(x), np.tanh(x), rtol=1e-12)


def test_lambda_symbolic_shapes_by_probing():
    a = layers.Input((None, 3))
    assert layers.Lambda(lambda t: t[:, :, :2])(a).shape == (None, None, 2)
    assert layers.Lambda(lambda t: ops.sum(t, axis=0))(a).shape == (None, 3)
    assert layers.Lambda(lambda t: ops.reshape(t, (-1,)))(layers.Input((2, 3))).shape == (None,)
    out = layers.Lambda(lambda t: t > 0)(a)
    assert out.dtype == "bool"
    b = layers.Input((4,))
    pair = layers.Lambda(lambda ts: (ts[0][:, 0], ops.concatenate(ts, axis=-1)))(
        [layers.Input((3,)), b])
    assert isinstance(pair, tuple) and [t.shape for t in pair] == [(None,), (None, 7)]
    # the function is not run at an eager build, only when a shape is asked for
    calls = []

    def counted(t):
        calls.append(t.shape)
        return t
    lam = layers.Lambda(counted)
    lam(rand(5, 3))
    assert calls == [(5, 3)]
    assert lam.output_shape == (None, 3)
    assert calls[1:] == [(2, 3), (3, 3)]


def test_lambda_output_shape_argument():
    a = layers.Input((3,))
    assert layers.Lambda(_square_plus, output_shape=(3,))(a).shape == (None, 3)
    assert layers.Lambda(_square_plus, output_shape=lambda s: (s[0], 3))(a).shape == (None, 3)
    lam = layers.Lambda(lambda ts: ts, output_shape=[(3,), (4,)])
    assert lam.compute_output_shape([(7, 3), (7, 4)]) == [(7, 3), (7, 4)]
    with pytest.raises(TypeError, match="Lambda: output_shape must be the output's shape"):
        layers.Lambda(_square_plus, output_shape="3")
    with pytest.raises(NotImplementedError, match="could not infer the shape.*give the Lambda "
                                                  "an output_shape"):
        layers.Lambda(lambda t: t.reshape(5, 7))(a)


def test_lambda_argument_errors():
    with pytest.raises(TypeError, match="Lambda: function must be callable, got int 3"):
        layers.Lambda(3)
    with pytest.raises(TypeError, match="Lambda: arguments must be a dict"):
        layers.Lambda(_square_plus, arguments=[1])


def test_lambda_gradients_match_finite_differences():
    lam = layers.Lambda(lambda t: ops.sin(t) * t[:, :1])        # ops and NumPy operators
    check_grads(lambda xs: lam(xs[0]), [rand(3, 4)])


def test_lambda_in_models_trains_and_round_trips():
    fastnn.utils.set_random_seed(0)
    x1, x2, y = two_input_data()
    model = fastnn.Sequential([layers.Dense(8, activation="tanh"), layers.Lambda(ops.square),
                               layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(x1, y, epochs=10, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # functional, with a merge, saved through the config
    a, b = layers.Input((3,)), layers.Input((5,))
    h = layers.Concatenate()([layers.Lambda(np.tanh)(a), b])
    out = layers.Dense(1)(layers.Lambda(_square_plus, output_shape=(8,),
                                        arguments={"offset": 0.25})(h))
    fmodel = models.Model([a, b], out)
    fmodel.compile(optimizer="adam", loss="mse")
    first = fmodel.fit([x1, x2], y, epochs=10, verbose=0).history["loss"]
    assert first[-1] < first[0]
    cfg = json.loads(json.dumps(fmodel.get_config()))
    with pytest.raises(ValueError, match="cannot find the function.*_square_plus.*"
                                         "custom_objects"):
        models.Functional.from_config(cfg)
    # keras.ops (fastnn.ops and fastnn.autodiff.ops) and NumPy ufuncs load back by name
    from fastnn import ops as keras_ops
    for fn in (keras_ops.square, ops.square):
        cfg = json.loads(json.dumps(layers.Lambda(fn).get_config()))
        assert cfg["function"]["module"] == "keras.ops"
        assert layers.Lambda.from_config(cfg).function is keras_ops.square
    with pytest.raises(ValueError, match="cannot find the function 'keras.ops.adam_update'"):
        layers.Lambda.from_config({"function": {"module": "keras.ops", "class_name": "function",
                                                "config": "adam_update"}})
    a = layers.Input((3,))
    m2 = models.Model(a, layers.Dense(2)(layers.Lambda(np.tanh)(layers.Lambda(ops.square)(a))))
    clone = models.Functional.from_config(json.loads(json.dumps(m2.get_config())))
    clone.set_weights(m2.get_weights())
    np.testing.assert_array_equal(clone.predict(x1, verbose=0), m2.predict(x1, verbose=0))


def _shifted(x, offset, k):
    return ops.add(ops.multiply(x, k[1][0]), offset)


def test_lambda_config():
    lam = layers.Lambda(_shifted, output_shape=(3,), mask=np.array([True, False]),
                        arguments={"offset": np.array([1.0, 2.0, 3.0]), "k": [1, (2, 3)]})
    cfg = json.loads(json.dumps(lam.get_config()))
    assert cfg["function"] == {"module": __name__, "class_name": "function",
                               "config": "_shifted", "registered_name": "_shifted"}
    assert cfg["output_shape"] == [3]
    back = layers.Lambda.from_config(cfg, custom_objects={"_shifted": _shifted})
    assert back.function is _shifted and back._output_shape == (3,)
    np.testing.assert_array_equal(back.mask, [True, False])
    np.testing.assert_array_equal(back.arguments["offset"], [1.0, 2.0, 3.0])
    assert back.arguments["k"] == [1, [2, 3]]
    x = rand(2, 3)
    np.testing.assert_allclose(back(x), lam(x), rtol=1e-12)
    assert layers.Lambda(ops.square).get_config()["function"]["module"] == "keras.ops"
    assert layers.Lambda(np.exp).get_config()["function"]["module"] == "numpy"
    assert layers.Lambda.from_config({"function": "square"}).function is fastnn.ops.square
    assert layers.Lambda.from_config({"function": {"module": "keras.activations",
                                                   "class_name": "function",
                                                   "config": "relu"}}).function is \
        fastnn.activations.relu


def test_lambda_refuses_code_and_unknown_functions():
    with pytest.raises(ValueError, match="Lambda: cannot serialise the function .*Python "
                                         "lambda.*never runs code read from a file"):
        layers.Lambda(lambda t: t).get_config()
    with pytest.raises(ValueError, match="cannot serialise output_shape.*lambda"):
        layers.Lambda(ops.square, output_shape=lambda s: s).get_config()
    with pytest.raises(ValueError, match="only named Python functions.*got partial"):
        import functools
        layers.Lambda(functools.partial(_square_plus, offset=1.0)).get_config()
    code = {"class_name": "__lambda__", "config": {"code": "AAAA", "defaults": None,
                                                   "closure": None}}
    for safe_mode in (None, True, False):
        with pytest.raises(ValueError, match="refusing to load the function stored as Python "
                                             "bytecode"):
            layers.Lambda.from_config({"function": code}, safe_mode=safe_mode)
    with pytest.raises(ValueError, match="refusing to load mask"):
        layers.Lambda.from_config({"function": "square", "mask": code})
    # a module named in a config is never imported or searched
    for module, name in (("os", "system"), ("subprocess", "run"), ("builtins", "eval"),
                         ("numpy", "load"), ("keras.ops", "_private"), (None, "__import__")):
        entry = {"module": module, "class_name": "function", "config": name}
        with pytest.raises(ValueError, match="cannot find the function"):
            layers.Lambda.from_config({"function": entry})
    with pytest.raises(ValueError, match="must be a function entry"):
        layers.Lambda.from_config({"function": 3})
    with pytest.raises(TypeError, match=r"custom_objects\['f'\] must be callable"):
        layers.Lambda.from_config({"function": "f"}, custom_objects={"f": 1})
    with pytest.raises(ValueError, match="Lambda: cannot serialise arguments\\['o'\\] of type "
                                         "object"):
        layers.Lambda(_square_plus, arguments={"o": object()}).get_config()
    # layers.deserialize refuses through the registry too
    with pytest.raises(ValueError, match="never runs code"):
        layers.deserialize({"class_name": "Lambda", "config": {"function": code}})
