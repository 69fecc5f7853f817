"""ONNX export (fastnn/export/onnx.py, model.export(path, format="onnx")): for every
activation of fastnn.activations and every layer class of fastnn.layers, ONNX Runtime's
output equals model.predict's; what has no ONNX form is refused by name. Keras' own
tests (keras/src/export/onnx_test.py) export Sequential, functional and subclassed
models of Dense / BatchNormalization layers and compare with the model's output: the
same checks are made here, over fastnn's registries."""
import inspect
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the ONNX export needs the onnx package "
                                          "(pip install \"fastnn-cpu[onnx]\")")
ort = pytest.importorskip("onnxruntime", reason="the exported graphs are run by onnxruntime")

from fastnn import activations, layers, models  # noqa: E402
from fastnn.export import onnx as fx  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
DTYPES = ["float32", "float64"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _export(model, tmp_path, **kwargs):
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", verbose=False, **kwargs)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    return path, proto


def _run(path, xs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    xs = xs if isinstance(xs, list) else [xs]
    return session.run(None, {i.name: x for i, x in zip(session.get_inputs(), xs)})


def _matches(model, xs, tmp_path, **kwargs):
    """Export, check, run: ONNX Runtime's outputs equal model.predict's (values and
    dtypes). Returns the ModelProto."""
    path, proto = _export(model, tmp_path, **kwargs)
    got = _run(path, xs)
    want = model.predict(xs, verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.dtype == w.dtype
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
    return proto


def _ops(proto):
    return [n.op_type for n in proto.graph.node]


# ====================================================================== activations
def _data(shape, dtype, seed=0):
    """Normal values spread over [-6, 6], plus the points where the piecewise
    activations change form (ties included)."""
    x = _rng(seed).normal(scale=2.5, size=shape)
    edges = np.array([-6, -3, -1, -0.5, -0.3, 0, 0.3, 0.5, 1, 3, 6], dtype=np.float64)
    flat = x.reshape(-1)
    flat[:edges.size] = edges
    return x.astype(dtype)


def _needs_arguments(fn):
    """Whether an activation has parameters without defaults (threshold): a layer
    cannot use it by name."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    return any(p.default is inspect.Parameter.empty for p in params)


BY_NAME = sorted(activations.ALL_OBJECTS)
LAYER_USABLE = [n for n in BY_NAME if not _needs_arguments(activations.ALL_OBJECTS[n])]

# non-default parameters, to check the ONNX forms follow them
PARAMS = {
    "relu": [{}, {"negative_slope": 0.1}, {"max_value": 4.0}, {"threshold": 0.5},
             {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5}],
    "leaky_relu": [{}, {"negative_slope": 0.3}],
    "elu": [{}, {"alpha": 0.7}],
    "gelu": [{"approximate": False}, {"approximate": True}],
    "softmax": [{}, {"axis": 0}],
    "log_softmax": [{}, {"axis": 0}],
    "celu": [{}, {"alpha": 0.5}, {"alpha": -0.5}],
    "glu": [{}, {"axis": 0}],
    "sparsemax": [{}, {"axis": 0}],
    "squareplus": [{}, {"b": 1.0}],
    "soft_shrink": [{}, {"threshold": 0.3}],
    "hard_shrink": [{}, {"threshold": 0.3}],
    "threshold": [{"threshold": 0.2, "default_value": -1.0}],
}


def test_every_activation_has_an_onnx_form():
    assert set(fx._ACTIVATIONS) == set(activations.ALL_OBJECTS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LAYER_USABLE)
def test_dense_with_each_activation(name, dtype, tmp_path):
    model = models.Sequential([layers.Input((5,), dtype=dtype),
                               layers.Dense(6, activation=name, bias_initializer="glorot_uniform")])
    _matches(model, _data((9, 5), dtype), tmp_path)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LAYER_USABLE)
def test_activation_layer_with_each_activation(name, dtype, tmp_path):
    model = models.Sequential([layers.Input((4, 6), dtype=dtype), layers.Activation(name)])
    _matches(model, _data((3, 4, 6), dtype, seed=1), tmp_path)


def _activation_cases():
    for name in BY_NAME:
        for params in PARAMS.get(name, [dict(activations.ALL_OBJECTS[name]._fastnn_defaults)]):
            for dtype in DTYPES:
                for opset in (13, fx.DEFAULT_OPSET, 21):
                    yield pytest.param(name, params, dtype, opset,
                                       id=f"{name}-{params}-{dtype}-opset{opset}")


@pytest.mark.parametrize("name,params,dtype,opset", list(_activation_cases()))
def test_activation_function_with_parameters(name, params, dtype, opset):
    """The ONNX form of each activation function, with its parameters, against the
    function itself (threshold has no default parameters, so no layer uses it by name),
    at opsets where the forms differ (HardSwish from 14, Mish and Split's num_outputs
    from 18, Gelu from 20)."""
    x = _data((6, 8), dtype, seed=2)
    want = np.asarray(activations.get(name)(x, **params))
    g = fx._Graph(onnx, opset, {"x", "y"})
    out = fx._emit_activation(g, name, params, fx._Value("x", dtype, (None, 8)))
    h = onnx.helper
    t = h.np_dtype_to_tensor_dtype(np.dtype(dtype))
    nodes = list(g.nodes) + [h.make_node("Identity", [out.name], ["y"])]
    graph = h.make_graph(nodes, "activation", [h.make_tensor_value_info("x", t, [None, 8])],
                         [h.make_tensor_value_info("y", t, [None, None])], g.initializers)
    opset_id = h.make_opsetid("", opset)
    proto = h.make_model(graph, opset_imports=[opset_id])
    proto.ir_version = h.find_min_ir_version_for([opset_id])
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": x})[0]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name,params,opset,dtype,op", [
    ("gelu", {"approximate": False}, 17, "float32", "Erf"),
    ("gelu", {"approximate": False}, 20, "float32", "Gelu"),
    ("gelu", {"approximate": True}, 20, "float64", "Gelu"),
    ("gelu", {"approximate": False}, 20, "float64", "Erf"),
    ("hard_silu", {}, 13, "float32", "HardSigmoid"),
    ("hard_silu", {}, 14, "float32", "HardSwish"),
    ("mish", {}, 17, "float32", "Softplus"),
    ("mish", {}, 18, "float32", "Mish"),
    ("elu", {}, 17, "float32", "Elu"),
    ("elu", {}, 17, "float64", "Exp"),
    ("selu", {}, 17, "float32", "Selu"),
    ("softplus", {}, 17, "float32", "Softplus"),
    ("leaky_relu", {}, 17, "float32", "LeakyRelu"),
])
def test_onnx_operator_chosen(name, params, opset, dtype, op):
    """The ONNX operator of the activation where the opset has it and ONNX Runtime runs
    it in that dtype; the composed formula otherwise."""
    g = fx._Graph(onnx, opset, {"x"})
    fx._emit_activation(g, name, params, fx._Value("x", dtype, (None, 4)))
    assert op in [n.op_type for n in g.nodes]


def test_hard_sigmoid_is_keras_3s_formula(tmp_path):
    """clip(x / 6 + 0.5, 0, 1), not ONNX's default alpha of 0.2 (Keras 2's)."""
    model = models.Sequential([layers.Input((3,)), layers.Activation("hard_sigmoid")])
    x = np.array([[-3.0, 1.5, 2.9]], np.float32)
    path, proto = _export(model, tmp_path)
    np.testing.assert_allclose(_run(path, x)[0], [[0.0, 0.75, 2.9 / 6 + 0.5]], rtol=1e-6)
    node = next(n for n in proto.graph.node if n.op_type == "HardSigmoid")
    alpha = next(a.f for a in node.attribute if a.name == "alpha")
    assert alpha == pytest.approx(1 / 6)


def test_foreign_activation_is_refused(tmp_path):
    model = models.Sequential([layers.Input((3,)),
                               layers.Dense(2, activation=lambda x: x * 2, name="doubled")])
    with pytest.raises(ValueError, match="doubled.*activation"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_softmax_layer_over_several_axes_is_refused(tmp_path):
    # ONNX's Softmax normalises over one axis; Keras' Softmax(axis=(1, 2)) over both
    model = models.Sequential([layers.Input((2, 3)), layers.Softmax(axis=(1, 2))])
    with pytest.raises(ValueError, match=r"softmax over the axes \(1, 2\)"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


# ====================================================================== layers
def _seq(dtype, input_shape, *stack, input_dtype=None):
    return models.Sequential([layers.Input(input_shape, dtype=input_dtype or dtype), *stack])


def _randomize_bn(layer, seed=3):
    rng = _rng(seed)
    n = layer.moving_mean.shape[0]
    layer.moving_mean[...] = rng.normal(size=n)
    layer.moving_variance[...] = rng.uniform(0.3, 3.0, size=n)
    if layer.gamma is not None:
        layer.gamma[...] = rng.uniform(0.5, 2.0, size=n)
    if layer.beta is not None:
        layer.beta[...] = rng.normal(size=n)
    return layer


def _case_dense(dt):
    yield _seq(dt, (5,), layers.Dense(4, activation="relu"), layers.Dense(3)), (8, 5)
    yield _seq(dt, (3, 5), layers.Dense(4, use_bias=False)), (2, 3, 5)   # MatMul


def _case_batchnorm(dt):
    bn = layers.BatchNormalization()
    m = _seq(dt, (6,), layers.Dense(6), bn)
    _randomize_bn(bn)
    yield m, (7, 6)
    bn = layers.BatchNormalization(center=False, scale=False, epsilon=0.1)
    m = _seq(dt, (2, 4), bn)
    _randomize_bn(bn)
    yield m, (3, 2, 4)
    bn = layers.BatchNormalization(axis=1)        # channels first: a feature axis not last
    m = _seq(dt, (3, 2, 4), bn)
    _randomize_bn(bn)
    yield m, (5, 3, 2, 4)


def _case_normalization(dt):
    x = _rng(4).normal(loc=3.0, scale=2.0, size=(50, 4))
    for kwargs in ({}, {"axis": None}, {"invert": True}):
        norm = layers.Normalization(**kwargs)
        norm.adapt(x)
        yield _seq(dt, (4,), norm, layers.Dense(2)), (6, 4)
    yield _seq(dt, (4,), layers.Normalization(mean=[1, 2, 3, 4], variance=[1, 4, 9, 0])), (5, 4)


def _case_layernorm(dt):
    ln = layers.LayerNormalization()
    m = _seq(dt, (6,), layers.Dense(6), ln)
    ln.gamma[...] = _rng(5).uniform(0.5, 2, size=6)
    ln.beta[...] = _rng(6).normal(size=6)
    yield m, (4, 6)
    yield _seq(dt, (3, 4), layers.LayerNormalization(axis=[1, 2], center=False)), (2, 3, 4)
    with pytest.warns(UserWarning):
        rms = layers.LayerNormalization(rms_scaling=True)
    yield _seq(dt, (5,), rms), (3, 5)


def _case_prelu(dt):
    p = layers.PReLU()
    m = _seq(dt, (5,), p)
    p.alpha[...] = _rng(7).uniform(-0.5, 1.5, size=5)
    yield m, (4, 5)
    shared = layers.PReLU(alpha_initializer="random_uniform", shared_axes=[1])
    yield _seq(dt, (3, 4), shared), (2, 3, 4)


def _case_rms_normalization(dt):
    r = layers.RMSNormalization()
    m = _seq(dt, (6,), layers.Dense(6), r)
    r.scale[...] = _rng(8).uniform(0.5, 2, size=6)
    yield m, (4, 6)
    mid = layers.RMSNormalization(axis=1, epsilon=0.1)
    m = _seq(dt, (3, 4), mid)
    mid.scale[...] = _rng(9).uniform(0.5, 2, size=3)
    yield m, (2, 3, 4)
    yield _seq(dt, (3, 4), layers.RMSNormalization(axis=[1, 2], epsilon=None)), (2, 3, 4)


def _case_merge(cls, n=2, **kwargs):
    def case(dt):
        ins = [layers.Input((4,), dtype=dt, name=f"in{i}") for i in range(n)]
        h = [layers.Dense(4, activation="tanh")(t) for t in ins]
        yield models.Model(ins, cls(**kwargs)(h)), [(3, 4)] * n
    return case


def _case_add(dt):
    yield from _case_merge(layers.Add, n=3)(dt)
    a = layers.Input((2, 4), dtype=dt)
    b = layers.Input((4,), dtype=dt)
    yield models.Model([a, b], layers.Add()([a, b])), [(3, 2, 4), (3, 4)]   # ranks differ


def _case_dot(dt):
    yield from _case_merge(layers.Dot, axes=1)(dt)
    yield from _case_merge(layers.Dot, axes=1, normalize=True)(dt)
    a = layers.Input((3, 5), dtype=dt)
    b = layers.Input((4, 3), dtype=dt)
    yield models.Model([a, b], layers.Dot(axes=(1, 2))([a, b])), [(2, 3, 5), (2, 4, 3)]


def _case_embedding(dt):
    i = layers.Input((5,), dtype="int64")
    e = layers.Embedding(10, 3)(i)
    yield models.Model(i, layers.GlobalAveragePooling1D()(e)), ("int", (4, 5), 10)
    # as fit gives them: indices as floats of the model's dtype
    yield _seq(dt, (5,), layers.Embedding(10, 3), layers.GlobalMaxPooling1D(keepdims=True),
               layers.Flatten()), ("int", (4, 5), 10)


def _case_category_encoding(dt):
    i = layers.Input((3,), dtype="int64")
    for mode in ("one_hot", "multi_hot", "count"):
        shape = (1,) if mode == "one_hot" else (3,)
        i = layers.Input(shape, dtype="int64")
        yield models.Model(i, layers.CategoryEncoding(5, output_mode=mode)(i)), \
            ("int", (6,) + shape, 5)
    yield _seq(dt, (2, 3), layers.CategoryEncoding(4, output_mode="count")), ("int", (5, 2, 3), 4)
    yield _seq(dt, (3,), layers.CategoryEncoding(4, output_mode="one_hot"), layers.Flatten()), \
        ("int", (5, 3), 4)


def _case_discretization(dt):
    for mode in ("int", "one_hot", "multi_hot", "count"):
        yield _seq(dt, (4,), layers.Discretization(bin_boundaries=[-1.0, 0.0, 0.5, 2.0],
                                                   output_mode=mode)), (7, 4)
    d = layers.Discretization(num_bins=4)
    d.adapt(_rng(9).normal(size=(200, 3)))
    yield _seq(dt, (3,), d), (5, 3)


def _case_integer_lookup(dt):
    vocab = [12, 36, 1138, 42, 7]
    tokens = ("tokens", (6, 4), [12, 36, 1138, 42, 7, 0, -1, 5, 9, -13, 1000])
    for kwargs in ({}, {"num_oov_indices": 3}, {"mask_token": 0}, {"num_oov_indices": 0},
                   {"mask_token": 0, "oov_token": -2}):
        i = layers.Input((4,), dtype="int64")
        if kwargs.get("num_oov_indices") == 0:
            data = ("tokens", (6, 4), vocab)       # fastnn raises on unknown tokens then
        else:
            data = tokens
        yield models.Model(i, layers.IntegerLookup(vocabulary=vocab, **kwargs)(i)), data
    for mode in ("one_hot", "multi_hot", "count"):
        shape = (1,) if mode == "one_hot" else (4,)
        for kwargs in ({}, {"mask_token": 0}, {"max_tokens": 12, "pad_to_max_tokens": True}):
            i = layers.Input(shape, dtype="int64")
            layer = layers.IntegerLookup(vocabulary=vocab, output_mode=mode, **kwargs)
            yield models.Model(i, layer(i)), ("tokens", (6,) + shape, tokens[2])
    for kwargs in ({}, {"mask_token": 0}, {"max_tokens": 12, "pad_to_max_tokens": True}):
        i = layers.Input((4,), dtype="int64")
        layer = layers.IntegerLookup(vocabulary=vocab, output_mode="tf_idf",
                                     idf_weights=[0.5, 1.5, 2.0, 0.25, 1.0], **kwargs)
        yield models.Model(i, layer(i)), ("tokens", (6, 4), tokens[2])
    i = layers.Input((4,), dtype="int64")
    inv = layers.IntegerLookup(vocabulary=vocab, invert=True)
    yield models.Model(i, inv(i)), ("int", (6, 4), 9)      # 6, 7, 8: outside the vocabulary
    adapted = layers.IntegerLookup(max_tokens=4)
    adapted.adapt(np.array([[1, 1, 2], [3, 3, 3], [4, 2, 2]]))
    yield _seq(dt, (3,), adapted), ("tokens", (5, 3), [1, 2, 3, 4, 5, 6])


def _case_pooling(cls):
    def case(dt):
        yield _seq(dt, (4, 3), cls()), (2, 4, 3)
        yield _seq(dt, (4, 3), cls(data_format="channels_first", keepdims=True)), (2, 4, 3)
    return case


LAYER_CASES = {
    "InputLayer": lambda dt: iter([(_seq(dt, (3,), layers.Dense(2)), (4, 3))]),
    "Dense": _case_dense,
    "Identity": lambda dt: iter([(_seq(dt, (3,), layers.Identity(), layers.Dense(2)), (4, 3))]),
    "Activation": lambda dt: iter([(_seq(dt, (3,), layers.Activation("elu")), (4, 3))]),
    "ReLU": lambda dt: iter([(_seq(dt, (3,), layers.ReLU()), (4, 3))]),
    "LeakyReLU": lambda dt: iter([(_seq(dt, (3,), layers.LeakyReLU()), (4, 3))]),
    "ELU": lambda dt: iter([(_seq(dt, (3,), layers.ELU(alpha=0.5)), (4, 3))]),
    "PReLU": _case_prelu,
    "Softmax": lambda dt: iter([(_seq(dt, (2, 3), layers.Softmax()), (4, 2, 3)),
                                (_seq(dt, (2, 3), layers.Softmax(axis=1)), (4, 2, 3)),
                                (_seq(dt, (2, 3), layers.Softmax(axis=(-2,))), (4, 2, 3))]),
    "Dropout": lambda dt: iter([(_seq(dt, (3,), layers.Dense(4), layers.Dropout(0.5),
                                      layers.Dense(2)), (4, 3))]),
    "GaussianNoise": lambda dt: iter([(_seq(dt, (3,), layers.GaussianNoise(0.5)), (4, 3))]),
    "GaussianDropout": lambda dt: iter([(_seq(dt, (3,), layers.GaussianDropout(0.3),
                                              layers.Dense(2)), (4, 3))]),
    "AlphaDropout": lambda dt: iter([(_seq(dt, (3,), layers.Dense(3, activation="selu"),
                                           layers.AlphaDropout(0.2)), (4, 3))]),
    "ActivityRegularization": lambda dt: iter([(_seq(dt, (3,), layers.Dense(3),
                                                     layers.ActivityRegularization(l1=0.1)),
                                                (4, 3))]),
    "BatchNormalization": _case_batchnorm,
    "Normalization": _case_normalization,
    "LayerNormalization": _case_layernorm,
    "UnitNormalization": lambda dt: iter([
        (_seq(dt, (3, 4), layers.UnitNormalization()), (2, 3, 4)),
        (_seq(dt, (3, 4), layers.UnitNormalization(axis=[1, 2])), (2, 3, 4))]),
    "RMSNormalization": _case_rms_normalization,
    "Rescaling": lambda dt: iter([
        (_seq(dt, (3,), layers.Rescaling(1 / 127.5, offset=-1)), (4, 3)),
        (_seq(dt, (2, 3), layers.Rescaling([1.0, 2.0, 3.0], offset=[[0.5], [1.5]])),
         (4, 2, 3))]),
    "Flatten": lambda dt: iter([(_seq(dt, (2, 3), layers.Flatten(), layers.Dense(2)),
                                 (4, 2, 3)),
                                (_seq(dt, (2, 3, 4), layers.Flatten(data_format="channels_first"),
                                      layers.Dense(2)), (4, 2, 3, 4))]),
    "Reshape": lambda dt: iter([(_seq(dt, (6,), layers.Reshape((2, -1)), layers.Dense(2)),
                                 (4, 6)),
                                (_seq(dt, (2, 3), layers.Reshape((3, 2))), (4, 2, 3))]),
    "Permute": lambda dt: iter([(_seq(dt, (2, 3), layers.Permute((2, 1))), (4, 2, 3))]),
    "RepeatVector": lambda dt: iter([(_seq(dt, (3,), layers.RepeatVector(4)), (2, 3))]),
    "Add": _case_add,
    "Subtract": _case_merge(layers.Subtract),
    "Multiply": _case_merge(layers.Multiply, n=3),
    "Average": _case_merge(layers.Average, n=3),
    "Maximum": _case_merge(layers.Maximum, n=3),
    "Minimum": _case_merge(layers.Minimum),
    "Concatenate": _case_merge(layers.Concatenate, n=3),
    "Dot": _case_dot,
    "Embedding": _case_embedding,
    "CategoryEncoding": _case_category_encoding,
    "Discretization": _case_discretization,
    "IntegerLookup": _case_integer_lookup,
    "GlobalAveragePooling1D": _case_pooling(layers.GlobalAveragePooling1D),
    "GlobalMaxPooling1D": _case_pooling(layers.GlobalMaxPooling1D),
}


def test_every_layer_class_is_converted_or_refused():
    """A new layer class fails here until it gets a converter (and a case above) or a
    reason to be refused."""
    assert set(LAYER_CASES) | set(fx.REFUSED_LAYERS) == set(layers.ALL_OBJECTS)
    assert not set(LAYER_CASES) & set(fx.REFUSED_LAYERS)
    converted = {cls.__name__ for cls in fx._layer_converters()}
    assert converted == set(LAYER_CASES)


def _inputs(spec, dtype, seed):
    if isinstance(spec, list):
        return [_inputs(s, dtype, seed + i) for i, s in enumerate(spec)]
    if spec[0] == "int":
        _, shape, n = spec
        return _rng(seed).integers(0, n, size=shape)
    if spec[0] == "tokens":
        _, shape, choices = spec
        return _rng(seed).choice(np.asarray(choices, np.int64), size=shape)
    return _rng(seed).normal(scale=2.0, size=spec).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_each_layer(name, dtype, tmp_path):
    cases = list(LAYER_CASES[name](dtype))
    assert cases
    for i, (model, spec) in enumerate(cases):
        xs = _inputs(spec, dtype, seed=i)
        if not isinstance(spec, list) and spec[0] in ("int", "tokens") \
                and not getattr(model, "_input_layer", None) is None \
                and model._input_layer._int_dtype is None:
            xs = xs.astype(dtype)         # a float input holding indices
        sub = tmp_path / str(i)
        sub.mkdir()
        _matches(model, xs, sub)


@pytest.mark.parametrize("name", sorted(fx.REFUSED_LAYERS))
def test_layers_without_onnx_form_are_refused(name, tmp_path):
    make = {"Lambda": lambda: layers.Lambda(lambda x: x * 2, name="twice"),
            "Masking": lambda: layers.Masking(name="pad"),
            "StringLookup": lambda: layers.StringLookup(vocabulary=["a"], name="words"),
            "Hashing": lambda: layers.Hashing(num_bins=4, name="buckets")}[name]
    layer = make()
    model = _seq("float32", (3,), layer)
    if name not in ("StringLookup", "Hashing"):    # string inputs: no float model runs it
        model.predict(np.zeros((2, 3), np.float32), verbose=0)
    with pytest.raises(ValueError, match=f"{layer.name}.*{name}.*no ONNX form"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_inputs_to_float_layers(dtype, tmp_path):
    """An int64 Input feeding float layers: cast to the layers' dtype, as fastnn's
    layer call does."""
    a = layers.Input((3,), dtype="int64", name="counts")
    b = layers.Input((3,), dtype="int64", name="more")
    h = layers.Dense(4, dtype=dtype)(a)
    s = layers.Add(dtype=dtype)([layers.Activation("softplus", dtype=dtype)(b),
                                 layers.Rescaling(0.5, dtype=dtype)(a)])
    model = models.Model([a, b], [h, s])
    xs = [_rng(1).integers(-5, 5, size=(4, 3)), _rng(2).integers(-5, 5, size=(4, 3))]
    _matches(model, xs, tmp_path)


def test_training_only_layers_are_left_out(tmp_path):
    model = _seq("float32", (3,), layers.Dense(4), layers.Dropout(0.5),
                 layers.GaussianNoise(0.1), layers.GaussianDropout(0.2), layers.AlphaDropout(0.1),
                 layers.ActivityRegularization(l2=0.1), layers.Dense(2))
    proto = _matches(model, _inputs((5, 3), "float32", 0), tmp_path)
    assert _ops(proto) == ["Gemm", "Gemm"]


def test_dense_is_one_gemm_with_its_weights(tmp_path):
    model = _seq("float32", (5,), layers.Dense(4, name="hidden"))
    _, proto = _export(model, tmp_path)
    assert _ops(proto) == ["Gemm"]
    weights = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    kernel = next(v for k, v in weights.items() if k.endswith("kernel"))
    np.testing.assert_array_equal(kernel, model.layers[0].kernel)


# ====================================================================== models
def test_names_and_symbolic_batch(tmp_path):
    a = layers.Input((4,), name="features")
    b = layers.Input((2,), name="extra")
    h = layers.Dense(3, name="hidden")(a)
    out1 = layers.Dense(1, activation="sigmoid", name="score")(layers.Concatenate()([h, b]))
    out2 = layers.Softmax(name="probs")(h)
    model = models.Model([a, b], [out1, out2])
    path, proto = _export(model, tmp_path)
    graph = proto.graph
    assert [i.name for i in graph.input] == ["features", "extra"]
    assert [o.name for o in graph.output] == ["score", "probs"]
    for v in list(graph.input) + list(graph.output):
        assert v.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.opset_import[0].version == 17
    for batch in (1, 9):
        xs = [_inputs((batch, 4), "float32", 1), _inputs((batch, 2), "float32", 2)]
        got = _run(path, xs)
        want = model.predict(xs, verbose=0)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def test_output_that_is_an_input_or_repeated(tmp_path):
    a = layers.Input((3,), name="a")
    h = layers.Dense(2, name="h")(a)
    model = models.Model(a, [h, a, h])
    path, proto = _export(model, tmp_path)
    assert [o.name for o in proto.graph.output] == ["h", "a_1", "h_1"]
    x = _inputs((4, 3), "float32", 0)
    got = _run(path, x)
    want = model.predict(x, verbose=0)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclass"])
def test_keras_model_kinds(kind, tmp_path):
    """Keras: keras/src/export/onnx_test.py::test_standard_model_export (sequential,
    functional, subclass; its lstm case: fastnn has no recurrent layers)."""
    stack = [layers.Dense(10, activation="relu"), layers.BatchNormalization(),
             layers.Dense(1, activation="sigmoid")]
    if kind == "sequential":
        model = models.Sequential(stack)
    elif kind == "functional":
        x = inp = layers.Input((10,), name="features")
        for layer in stack:
            x = layer(x)
        model = models.Model(inp, x)
    else:
        class CustomModel(models.Model):
            def __init__(self, layer_list):
                super().__init__()
                self.layer_list = layer_list

            def call(self, inputs):
                out = inputs
                for layer in self.layer_list:
                    out = layer(out)
                return out
        model = CustomModel(stack)
    x = _inputs((3, 10), "float32", 0)
    model(x)
    _randomize_bn(stack[1])
    proto = _matches(model, x, tmp_path)
    names = {"sequential": "input_layer", "functional": "features", "subclass": "input_0"}
    assert [i.name for i in proto.graph.input] == [names[kind]]
    assert [o.name for o in proto.graph.output] == [stack[-1].name]
    assert _ops(proto).count("Gemm") == 2
    bigger = np.concatenate([x, x], axis=0)           # another batch size
    np.testing.assert_allclose(_run(tmp_path / "model.onnx", bigger)[0],
                               model.predict(bigger, verbose=0), rtol=RTOL, atol=ATOL)


def test_subclassed_model_that_is_not_a_chain_is_refused(tmp_path):
    class Residual(models.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def call(self, inputs):
            return self.dense(inputs) + inputs

    model = Residual()
    model(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="subclassed model.*Residual"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


def test_custom_layer_is_refused(tmp_path):
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    model = _seq("float32", (3,), Doubler(name="doubler"))
    with pytest.raises(ValueError, match="doubler.*Doubler.*no ONNX form"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


# building the model probes each op's output shape on zeros (0 / 0, log(0))
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
@pytest.mark.parametrize("dtype", DTYPES)
def test_ops_calls_on_symbolic_tensors(dtype, tmp_path):
    from fastnn import ops as K
    a = layers.Input((3,), dtype=dtype, name="a")
    b = layers.Input((3,), name="b")                 # float32 next to `dtype`
    h = layers.Dense(3, activation="softplus")(a)
    outs = [a * 2.0, a + b, 1.5 - h, -a, abs(a), h ** 2, a / (h + 1.0), K.exp(a),
            K.log(h), K.sqrt(h), K.square(a), K.tanh(a), K.sigmoid(a), K.relu(a),
            K.maximum(a, b), K.minimum(a, 0.5), layers.Reshape((3, 1))(a) @ layers.Reshape((1, 3))(b)]
    model = models.Model([a, b], outs)
    _matches(model, [_inputs((4, 3), dtype, 1), _inputs((4, 3), "float32", 2)], tmp_path)


def test_other_ops_calls_are_refused(tmp_path):
    from fastnn import ops as K
    a = layers.Input((4,))
    model = models.Model(a, K.sum(layers.Dense(2)(a), axis=1))
    with pytest.raises(ValueError, match="keras.ops call, 'sum'.*no ONNX form"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    model = models.Model(a, a[:, 1:])
    with pytest.raises(ValueError, match="keras.ops call.*no ONNX form"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not os.listdir(tmp_path)


def test_shared_layer_writes_its_weights_once(tmp_path):
    a = layers.Input((4,), name="a")
    b = layers.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    model = models.Model([a, b], layers.Subtract()([shared(a), shared(b)]))
    proto = _matches(model, [_inputs((5, 4), "float32", 1), _inputs((5, 4), "float32", 2)],
                     tmp_path)
    assert _ops(proto) == ["Gemm", "Gemm", "Sub"]
    assert sorted(i.name for i in proto.graph.initializer) == ["shared/bias", "shared/kernel"]


def test_nested_models(tmp_path):
    inner_seq = models.Sequential([layers.Input((4,)), layers.Dense(3, activation="tanh")])
    i = layers.Input((3,))
    inner_fn = models.Model(i, layers.Dense(2)(i), name="head")
    a = layers.Input((4,), name="x")
    model = models.Model(a, inner_fn(inner_seq(a)))
    _matches(model, _inputs((5, 4), "float32", 0), tmp_path)


def test_export_with_input_names(tmp_path):
    """Keras: keras/src/export/onnx_test.py::test_export_with_input_names (an Input
    tensor in place of Keras' InputSpec, which fastnn does not have)."""
    model = models.Sequential([layers.Dense(10, activation="relu"),
                               layers.BatchNormalization(),
                               layers.Dense(1, activation="sigmoid")])
    x = _inputs((3, 10), "float32", 0)
    want = model(x)
    path = tmp_path / "exported_model"
    model.export(path, format="onnx", verbose=False,
                 input_signature=[layers.Input((10,), name="custom_input")])
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["custom_input"]
    np.testing.assert_allclose(_run(path, x)[0], want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_dynamic_shapes_export(kind, tmp_path):
    """Keras: keras/src/export/onnx_test.py::test_dynamic_shapes_export ("height_width",
    with a steps axis of unknown size and the layers fastnn has in place of Conv2D):
    the unknown sizes stay symbolic, and a signature may fix them."""
    stack = [layers.Dense(16, activation="relu"), layers.GlobalAveragePooling1D(),
             layers.Dense(10, activation="softmax")]
    if kind == "sequential":
        model = models.Sequential([layers.Input((None, 3))] + stack)
    else:
        x = inp = layers.Input((None, 3))
        for layer in stack:
            x = layer(x)
        model = models.Model(inp, x)
    path, _ = _export(model, tmp_path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    info = session.get_inputs()[0]
    assert info.shape == ["batch", "dim_0_1", 3]
    for shape in [(1, 28, 3), (2, 64, 3), (4, 5, 3)]:
        x = _inputs(shape, "float32", 0)
        got = session.run(None, {info.name: x})[0]
        np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=RTOL, atol=ATOL)
    fixed = tmp_path / "fixed.onnx"
    model.export(fixed, format="onnx", verbose=False,
                 input_signature=layers.Input((7, 3), name="steps7"))
    info = ort.InferenceSession(str(fixed), providers=["CPUExecutionProvider"]).get_inputs()[0]
    assert (info.name, info.shape) == ("steps7", ["batch", 7, 3])


@pytest.mark.parametrize("opset", [13, 14, 17, 18, 20, 21])
def test_opset_versions(opset, tmp_path):
    """Keras: keras/src/export/onnx_test.py::test_export_with_opset_version, over the
    opsets where operators fastnn uses changed: Reduce* axes, Split, HardSwish, Mish."""
    model = _seq("float32", (3, 8), layers.Dense(8, activation="hard_silu"),
                 layers.Activation("mish"), layers.Activation("glu"),
                 layers.LayerNormalization(), layers.GlobalMaxPooling1D(),
                 layers.Reshape((2, 2)), layers.Flatten())
    proto = _matches(model, _inputs((4, 3, 8), "float32", 0), tmp_path, opset_version=opset)
    assert proto.opset_import[0].version == opset


def test_verbose_prints_the_path(tmp_path, capsys):
    model = _seq("float32", (3,), layers.Dense(2))
    path = tmp_path / "model.onnx"
    model.export(str(path), format="onnx")
    assert f"Saved artifact at '{path}'." in capsys.readouterr().out
    model.export(path, format="onnx", verbose=False)
    assert capsys.readouterr().out == ""


# ====================================================================== bad arguments
def _model():
    return _seq("float32", (3,), layers.Dense(2))


@pytest.mark.parametrize("fmt", ["tf_saved_model", "openvino", "litert", "torch"])
def test_other_keras_formats_are_refused(fmt, tmp_path):
    with pytest.raises(ValueError, match=f"format='{fmt}' is not supported.*'onnx'"):
        _model().export(tmp_path / "m", format=fmt)


def test_default_format_is_keras_and_refused(tmp_path):
    with pytest.raises(ValueError, match="tf_saved_model"):
        _model().export(tmp_path / "m")


@pytest.mark.parametrize("fmt", ["bad_format", "ONNX", "pb", None, 3])
def test_unknown_format(fmt, tmp_path):
    """Keras: keras/src/models/model_test.py::test_export_error (the bad format)."""
    with pytest.raises(ValueError, match="Unrecognized format="):
        _model().export(tmp_path / "m", format=fmt)


@pytest.mark.parametrize("opset,err", [(12, ValueError), (10 ** 6, ValueError),
                                       (True, TypeError), (17.0, TypeError), ("17", TypeError)])
def test_bad_opset_version(opset, err, tmp_path):
    with pytest.raises(err, match="opset_version"):
        _model().export(tmp_path / "m.onnx", format="onnx", opset_version=opset)
    assert not (tmp_path / "m.onnx").exists()


def test_other_bad_arguments(tmp_path):
    model = _model()
    with pytest.raises(TypeError, match="input_signature must be keras.Input tensors"):
        model.export(tmp_path / "m.onnx", format="onnx", input_signature=[(None, 3)])
    for spec, match in (([layers.Input((4,))], r"shape \(None, 4\).*takes \(None, 3\)"),
                        ([layers.Input((3,), dtype="float64")], "dtype float64.*float32"),
                        ([layers.Input((3,)), layers.Input((3,))], "one tensor per model "
                                                                   "input \\(1\\), got 2")):
        with pytest.raises(ValueError, match=match):
            model.export(tmp_path / "m.onnx", format="onnx", input_signature=spec)
    with pytest.raises(TypeError, match="unexpected keyword.*dynamo"):
        model.export(tmp_path / "m.onnx", format="onnx", dynamo=True)
    with pytest.raises(TypeError, match="filepath"):
        model.export(3, format="onnx")
    with pytest.raises(TypeError, match="verbose"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose="yes")
    assert not os.listdir(tmp_path)


def test_bad_filepath(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _model().export(tmp_path / "missing" / "m.onnx", format="onnx", verbose=False)
    with pytest.raises(IsADirectoryError):
        _model().export(tmp_path, format="onnx", verbose=False)
    assert not os.listdir(tmp_path)


def test_onnx_is_imported_only_by_export():
    import subprocess
    import sys
    code = ("import sys, numpy as np, fastnn, fastnn.export\n"
            "m = fastnn.Sequential([fastnn.Input((3,)), fastnn.layers.Dense(2)])\n"
            "m.compile(loss='mse')\n"
            "m.fit(np.zeros((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)\n"
            "print('onnx' in sys.modules)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root, env={**os.environ, "PYTHONPATH": root})
    assert out.stdout.strip() == "False"


def test_unbuilt_model_is_refused(tmp_path):
    model = models.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        model.export(tmp_path / "m.onnx", format="onnx")


def test_a_hashed_integer_lookup_is_refused(tmp_path):
    """oov_method='farmhash' spreads unknown tokens by a hash ONNX cannot compute: refused
    rather than exported as floormod; with one OOV index there is nothing to hash."""
    i = layers.Input((4,), dtype="int64")
    hashed = layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=3, oov_method="farmhash",
                                  name="ids")
    with pytest.raises(ValueError, match="ids.*IntegerLookup.*farmhash.*no ONNX form"):
        models.Model(i, hashed(i)).export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()
    one = layers.IntegerLookup(vocabulary=[1, 2], oov_method="farmhash")
    _matches(models.Model(i, one(i)), np.array([[1, 2, 3, -4]] * 3), tmp_path)


def test_a_masked_embedding_is_refused(tmp_path):
    """Masks are not exported, and a graph without them would average over the padding:
    refused rather than silently different from predict."""
    model = models.Sequential([layers.Input((4,), dtype="int32"),
                              layers.Embedding(5, 2, mask_zero=True, name="tokens"),
                              layers.GlobalAveragePooling1D()])
    with pytest.raises(ValueError, match="tokens.*mask_zero=True.*no ONNX form"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()
