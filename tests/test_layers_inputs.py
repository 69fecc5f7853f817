"""Layers and functional-model inputs: integer and bool weights (add_weight), InputSpec
and model.input_spec, rank standardization of model inputs, size-0 axes, optional
inputs and the input structure of functional models (Keras 3's behaviours, with the
errors fastnn gives)."""
import numpy as np
import pytest

import fastnn
from fastnn import layers


# ------------------------------------------------------------ integer and bool weights
class _Counter(layers.Layer):
    """A layer with a float kernel, an int32 counter of its training calls and a bool
    flag vector."""

    def build(self, input_shape):
        self.k = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.n = self.add_weight(shape=(), dtype="int32", trainable=False, name="count")
        self.flag = self.add_weight(shape=(2,), dtype="bool", trainable=False, name="flag")

    def call(self, x, training=False):
        if training:
            self.n.assign(self.n + 1)
        return x * self.k


def test_integer_and_bool_weights_count_through_fit_and_keep_their_dtype():
    m = fastnn.Sequential([fastnn.Input((3,)), _Counter(), layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    c = m.layers[0]
    assert c.n.dtype == np.int32 and c.flag.dtype == np.bool_
    assert int(c.n) == 0 and c.flag.tolist() == [False, False]     # zeros by default
    assert [w.name for w in c.trainable_weights] == [c.k.name]
    r = np.random.default_rng(0)
    x, y = r.random((8, 3)), r.random((8, 1))
    m.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert int(c.n) == 4 and c.n.dtype == np.int32            # 2 epochs of 2 batches
    w = m.get_weights()
    assert [a.dtype.name for a in w[:3]] == ["float32", "int32", "bool"]
    w[1], w[2] = np.array(7), np.array([True, False])
    m.set_weights(w)
    assert int(c.n) == 7 and c.n.dtype == np.int32 and c.flag.tolist() == [True, False]


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8", "bool", np.int16])
def test_add_weight_of_an_exact_dtype(dtype):
    layer = layers.Layer()
    w = layer.add_weight(shape=(2, 2), dtype=dtype, trainable=False, initializer="ones")
    assert w.dtype == np.dtype(dtype) and np.all(w == 1)
    assert layer.non_trainable_weights[0] is w


def test_add_weight_dtype_errors_name_the_argument():
    layer = layers.Layer(name="lay")
    with pytest.raises(ValueError, match=r"lay.add_weight: a weight of dtype int32 cannot be "
                                         r"trainable .*pass trainable=False"):
        layer.add_weight(shape=(), dtype="int32")
    with pytest.raises(ValueError, match=r"lay.add_weight: dtype must be 'float32', 'float64', "
                                         r"an integer dtype such as 'int32', or 'bool', got "
                                         r"'float16'"):
        layer.add_weight(shape=(), dtype="float16")
    with pytest.raises(ValueError, match=r"dtype must be .*got 'string'"):
        layer.add_weight(shape=(), dtype="string", trainable=False)
    with pytest.raises(TypeError, match="GlorotUniform: dtype must be a floating-point dtype"):
        layer.add_weight(shape=(2,), dtype="int32", trainable=False,
                         initializer="glorot_uniform")


# -------------------------------------------------------------------------- InputSpec
class _Spec4(layers.Layer):
    """A layer that takes rank-2 inputs of 4 features (its InputSpec)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.input_spec = layers.InputSpec(ndim=2, axes={-1: 4})

    def call(self, x):
        return x


def test_a_layer_input_spec_checks_eager_and_symbolic_calls():
    assert layers.Layer().input_spec is None
    _Spec4()(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"input 0 \(name None\) is incompatible with the "
                                         r"layer: expected axis -1 of the input shape to have "
                                         r"value 4, but received input with shape \(2, 3\)"):
        _Spec4(name="s4")(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3; the shape received "
                                         r"is \(2, 4, 1\)"):
        _Spec4()(np.zeros((2, 4, 1)))
    with pytest.raises(ValueError, match=r"value 4, but received input with shape \(None, 5\)"):
        _Spec4()(fastnn.Input((5,)))
    out = _Spec4()(fastnn.Input((4,)))
    assert out.shape == (None, 4)


@pytest.mark.parametrize("spec, x, match", [
    (dict(dtype="float64"), np.zeros((2, 3), "float32"), r"expected dtype=float64, found "
                                                          r"dtype=float32"),
    (dict(min_ndim=3), np.zeros((2, 3)), r"expected min_ndim=3, found ndim=2"),
    (dict(max_ndim=1), np.zeros((2, 3)), r"expected max_ndim=1, found ndim=2"),
    (dict(shape=(None, 4)), np.zeros((2, 3)), r"expected shape=\(None, 4\), found shape=\(2, 3\)"),
    (dict(axes={2: 3}), np.zeros((2, 3)), r"expected an axis 2 of size 3"),
])
def test_input_spec_mismatches_name_what_was_expected(spec, x, match):
    layer = layers.Identity(name="ident")
    layer.input_spec = layers.InputSpec(**spec)
    with pytest.raises(ValueError, match="ident: input 0 .*" + match):
        layer(x)


def test_input_spec_last_axis_squeeze_names_and_structures():
    layer = layers.Identity()
    layer.input_spec = layers.InputSpec(shape=(None, 3, 1), allow_last_axis_squeeze=True)
    layer(np.zeros((2, 3)))               # the last axis of 1 dropped
    layer(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3, 1\), found shape=\(2, 4\)"):
        layer(np.zeros((2, 4)))
    two = layers.Concatenate(name="cat")
    two.input_spec = [layers.InputSpec(ndim=2, name="a"), layers.InputSpec(ndim=2, name="b")]
    two([np.zeros((2, 1)), np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"cat: expects 2 named input\(s\) with keys \['a', "
                                         r"'b'\], got 1 input tensors"):
        two([np.zeros((2, 1))])


def test_input_spec_arguments_and_config():
    s = layers.InputSpec(dtype="float32", shape=(None, 3), axes={-1: 3})
    assert (s.ndim, s.shape, s.dtype) == (2, (None, 3), "float32")
    assert repr(s) == "InputSpec(dtype=float32, shape=(None, 3), ndim=2, axes={-1: 3})"
    assert s.get_config() == {"dtype": "float32", "shape": (None, 3), "ndim": 2,
                              "max_ndim": None, "min_ndim": None, "axes": {-1: 3},
                              "optional": False}
    assert layers.InputSpec.from_config(s.get_config()).get_config() == s.get_config()
    assert fastnn.InputSpec is layers.InputSpec
    with pytest.raises(TypeError, match="axes must be a dict"):
        layers.InputSpec(axes={"x": 1})
    with pytest.raises(ValueError, match=r"axis 3 of axes is greater than the largest axis"):
        layers.InputSpec(ndim=2, axes={3: 1})
    with pytest.raises(TypeError, match="ndim must be an int >= 0 or None, got 2.5"):
        layers.InputSpec(ndim=2.5)
    with pytest.raises(TypeError, match="shape must hold ints >= 0 or None"):
        layers.InputSpec(shape=(None, "3"))


def test_functional_input_spec_from_its_inputs_and_set_by_hand():
    a = fastnn.Input((3, 1), name="a")
    b = fastnn.Input((2,), name="b")
    m = fastnn.Model({"b": b, "a": a}, layers.Dense(2)(layers.Flatten()(a)))
    specs = m.input_spec
    assert [(s.shape, s.name, s.allow_last_axis_squeeze, s.optional) for s in specs] == [
        ((None, 3, 1), "a", True, False), ((None, 2), "b", True, False)]
    one = fastnn.Model(b, layers.Dense(2)(b))
    assert [s.shape for s in one.input_spec] == [(None, 2)]
    one.input_spec = layers.InputSpec(shape=(5, 2))
    one(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"expected shape=\(5, 2\), found shape=\(4, 2\)"):
        one(np.zeros((4, 2)))
    assert one.input_spec.shape == (5, 2)


# --------------------------------------------------------------- rank standardization
def test_functional_inputs_get_a_last_axis_of_1_dropped_or_added():
    """Keras' rank standardization: one more axis of size 1 at the end is dropped, one
    fewer is added where the Input's last axis is 1; in calls and in predict/fit, the
    values unchanged."""
    r = np.random.default_rng(0)
    inp = fastnn.Input((3,), batch_size=2)
    dense = layers.Dense(2)
    m = fastnn.Model(inp, dense(inp))
    x = r.random((2, 3)).astype("float32")
    want = np.asarray(m(x))
    np.testing.assert_array_equal(np.asarray(m(x[..., None])), want)
    np.testing.assert_array_equal(m.predict(x[..., None], verbose=0), want)
    col = fastnn.Input((3, 1))
    m2 = fastnn.Model(col, layers.Flatten()(col))
    np.testing.assert_array_equal(np.asarray(m2(x)), x)
    np.testing.assert_array_equal(np.asarray(m2([x])), x)
    # two inputs, one of them squeezed
    a, b = fastnn.Input((3,), name="a"), fastnn.Input((2,), name="b")
    m3 = fastnn.Model([a, b], layers.Concatenate()([a, b]))
    got = np.asarray(m3([x[..., None], r.random((2, 2))]))
    assert got.shape == (2, 5)
    np.testing.assert_array_equal(got[:, :3], x)
    m3.compile(optimizer="sgd", loss="mse")
    m3.fit([x[..., None], r.random((2, 2))], r.random((2, 5)), verbose=0)


def test_an_input_of_another_rank_names_the_input_and_its_path():
    foo = fastnn.Input((3,), name="foo")
    m = fastnn.Model(foo, layers.Dense(3)(foo))
    with pytest.raises(ValueError, match=r"invalid input shape for the input with name 'foo' and "
                                         r"path '': expected shape \(None, 3\), but the input has "
                                         r"the incompatible shape \(2, 3, 4\)"):
        m(np.zeros((2, 3, 4)))
    a, b = fastnn.Input((3,), name="a"), fastnn.Input((2, 2), name="b")
    m2 = fastnn.Model({"x": [a, b]}, layers.Dense(1)(a))
    with pytest.raises(ValueError, match=r"name 'b' and path 'x.1'"):
        m2({"x": [np.zeros((2, 3)), np.zeros((2, 2, 2, 2))]})


# ---------------------------------------------------------------------- size-0 axes
def test_an_input_with_a_size_0_axis():
    x = fastnn.Input(batch_shape=(1, 0, 10))
    assert x.shape == (1, 0, 10)
    assert layers.LayerNormalization()(x).shape == (1, 0, 10)
    assert layers.Dense(3)(fastnn.Input((0,))).shape == (None, 3)
    assert layers.Dense(3)(np.zeros((2, 0), "float32")).shape == (2, 3)
    with pytest.raises(ValueError, match=r"Input: shape\[0\] must be an int in \[0, "):
        fastnn.Input((-1, 3))
    with pytest.raises(ValueError, match=r"Input: batch_shape\[0\] \(the batch size\) must be an "
                                         r"int in \[1, "):
        fastnn.Input(batch_shape=(0, 3))


# ---------------------------------------------------------- a list for a dict of inputs
def test_a_list_for_a_dict_of_inputs_is_taken_in_key_order_with_a_warning():
    """As Keras: a model made with a dict of inputs whose keys are in sorted order takes
    a list in that order, with a warning; keys in another order refuse a list."""
    i1, i2 = fastnn.Input((2,), name="i1"), fastnn.Input((2,), name="i2")
    m = fastnn.Model({"i1": i1, "i2": i2}, layers.Subtract()([i1, i2]))
    with pytest.warns(UserWarning, match=r"The structure of `inputs` doesn't match the expected "
                                         r"structure.\nExpected: \{'i1': 'i1', 'i2': 'i2'\}"):
        got = np.asarray(m([np.ones((3, 2)), np.zeros((3, 2))]))
    np.testing.assert_array_equal(got, np.ones((3, 2)))
    m2 = fastnn.Model({"i2": i2, "i1": i1}, layers.Subtract()([i1, i2]))
    with pytest.raises(ValueError, match=r"expected a dict of inputs with keys \['i1', 'i2'\]"):
        m2([np.ones((3, 2)), np.zeros((3, 2))])


# ----------------------------------------------------- models from intermediate tensors
def test_a_model_from_intermediate_tensors_shares_the_layers():
    """Model(x1, outputs) with x1 a layer's output: a new Input in its place, the same
    layers (weights shared), the outputs of the full model's tail, trainable and
    saved like any functional model."""
    r = np.random.default_rng(0)
    inp = fastnn.Input((4,), name="inp")
    d1, d2, d3 = layers.Dense(3, name="d1"), layers.Dense(5, name="d2"), layers.Dense(2, name="d3")
    x1 = d1(inp)
    x2 = d2(x1)
    out = layers.Add(name="add")([d3(x2), layers.Dense(2, name="side")(x1)])
    full = fastnn.Model(inp, out)
    tail = fastnn.Model(x1, out)
    assert isinstance(tail.layers[0], layers.InputLayer)
    assert sorted(la.name for la in tail.layers[1:]) == ["add", "d2", "d3", "side"]
    assert tail.inputs[0].shape == (None, 3)
    x = r.random((6, 4)).astype("float32")
    h = np.asarray(d1(x))
    np.testing.assert_allclose(np.asarray(tail(h)), np.asarray(full(x)), rtol=1e-6)
    # the layers are the full model's: training the tail moves them
    before = d3.kernel.copy()
    tail.compile(optimizer="sgd", loss="mse")
    tail.fit(h, r.random((6, 2)), verbose=0)
    assert not np.array_equal(before, d3.kernel)
    assert d1.input is inp           # the first call stays the layer's first
    # a model from an intermediate tensor to another
    mid = fastnn.Model(x1, x2)
    assert [la.name for la in mid.layers[1:]] == ["d2"]
    again = fastnn.Model.from_config(mid.get_config())
    again.set_weights(mid.get_weights())
    np.testing.assert_allclose(np.asarray(again(h)), np.asarray(mid(h)), rtol=1e-6)


def test_a_model_from_intermediate_tensors_needs_every_input_the_outputs_use():
    a, b = fastnn.Input((2,), name="a"), fastnn.Input((2,), name="b")
    xa = layers.Dense(2)(a)
    out = layers.Add()([xa, b])
    with pytest.raises(ValueError, match=r"the outputs depend on the input 'b', which is not "
                                         r"among the model's inputs"):
        fastnn.Model(xa, out)
    m = fastnn.Model([xa, b], out)
    np.testing.assert_allclose(np.asarray(m([np.ones((1, 2)), np.ones((1, 2))])), [[2.0, 2.0]])


# ------------------------------------------------------------------- optional inputs
class _Offset(layers.Layer):
    """x + o, or x where o is None."""

    def call(self, x, o=None):
        return x if o is None else x + o

    def compute_output_shape(self, x_shape, o_shape=None):
        return x_shape


def _optional_model():
    x = fastnn.Input((2,), name="x")
    o = fastnn.Input((2,), name="o", optional=True)
    return fastnn.Model({"x": x, "o": o}, layers.Dense(2, name="d")(_Offset()(x, o)))


def test_an_optional_input_takes_none_in_calls_and_fit():
    m = _optional_model()
    d = m.get_layer("d")
    x = np.ones((4, 2), "float32")
    want = x @ d.kernel + d.bias
    np.testing.assert_allclose(np.asarray(m({"x": x, "o": None})), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(m({"x": x, "o": x})), 2 * x @ d.kernel + d.bias,
                               rtol=1e-6)
    m.compile(optimizer="sgd", loss="mse")
    before = d.kernel.copy()
    m.fit({"x": x, "o": None}, np.zeros((4, 2)), verbose=0)
    assert not np.array_equal(before, d.kernel)
    assert m.predict({"x": x, "o": None}, verbose=0).shape == (4, 2)
    assert [s.optional for s in m.input_spec] == [True, False]      # keys sorted: o, x
    with pytest.raises(ValueError, match=r"the input 'x' is not optional, but None was passed"):
        m({"x": None, "o": x})


def test_optional_in_the_config_and_its_errors():
    m = _optional_model()
    cfgs = {c["name"]: c["config"] for c in m.get_config()["layers"]}
    assert cfgs["o"]["optional"] is True and "optional" not in cfgs["x"]
    assert fastnn.layers.InputLayer.from_config(cfgs["o"]).optional is True
    with pytest.raises(TypeError, match="Input: optional must be True or False, got 'yes'"):
        fastnn.Input((2,), optional="yes")


def test_an_input_no_output_uses_is_still_the_models():
    """A model's input that no output depends on (an unused optional input) is among
    its layers and in its config, as in Keras."""
    x = fastnn.Input((2,), name="x")
    o = fastnn.Input((2,), name="o", optional=True)
    m = fastnn.Model({"x": x, "o": o}, layers.Dense(2, name="d")(x))
    assert [la.name for la in m.layers] == ["x", "o", "d"]
    cfg = m.get_config()
    assert cfg["input_layers"] == {"x": ["x", 0, 0], "o": ["o", 0, 0]}
    again = fastnn.Model.from_config(cfg)
    assert [la.name for la in again.layers] == ["x", "o", "d"]
    assert again.get_layer("o").optional
    assert np.asarray(again({"x": np.ones((1, 2)), "o": None})).shape == (1, 2)


# ------------------------------------------------ input_spec set on a built model's layer
def test_an_input_spec_set_on_a_layer_is_checked_in_every_loop():
    keras = fastnn
    # Keras checks a layer's input_spec at every call; set on a layer of a built
    # Sequential, predict, fit, evaluate and model(x) refuse inputs it does not accept
    # (the engine, which would not check it, leaves such a model to the layer path)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(4), layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((5, 6), "float32"), np.ones((5, 2), "float32")
    m.fit(x, y, verbose=0)
    assert m._engine.plan is not None
    before = [w.copy() for w in m.get_weights()]
    m.layers[1].input_spec = keras.InputSpec(axes={-1: 5})
    for call in (lambda: m.predict(x, verbose=0), lambda: m.fit(x, y, verbose=0),
                 lambda: m.evaluate(x, y, verbose=0), lambda: m(x),
                 lambda: m.train_on_batch(x, y)):
        with pytest.raises(ValueError, match=f"{m.layers[1].name}: .*expected axis -1 of "
                                             f"the input shape to have value 5"):
            call()
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "input_spec" in m._engine.why
    m.layers[1].input_spec = keras.InputSpec(axes={-1: 4})     # one the inputs meet
    m.fit(x, y, verbose=0)
    assert m._engine.plan is None
    m.layers[1].input_spec = None
    m.fit(x, y, verbose=0)
    assert m._engine.plan is not None
