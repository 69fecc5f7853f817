"""The C kernels of Keras 3's newer activations (csrc/activations.h: relu6, hard_silu,
mish, celu, log_sigmoid, sparse_plus, sparse_sigmoid, squareplus, soft_shrink,
hard_shrink, tanh_shrink, hard_tanh, threshold, and relu with its options): values and
derivatives against the NumPy reference (fastnn.reference) in float32 and float64,
boundaries as Keras 3 defines them, derivatives by finite differences, results that do
not depend on an element's position, the thread count or the SIMD path, the codes read
from the extension, and the C engine training models with them bitwise as the layer
path does."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import _kernels, activations, engine
from fastnn import kernel_ops as ops
from fastnn import layers as L
from fastnn import optimizers as O
from fastnn import reference as R
from fastnn._codes import ACTIVATIONS

from cases import tol, vjp_central_diff

# (Keras name, parameters): every new kernel, with default and other parameters.
CASES = [
    ("relu6", {}), ("hard_silu", {}), ("mish", {}), ("celu", {}), ("celu", {"alpha": 0.5}),
    ("celu", {"alpha": 2.5}), ("log_sigmoid", {}), ("sparse_plus", {}),
    ("sparse_sigmoid", {}), ("squareplus", {}), ("squareplus", {"b": 0.0}),
    ("squareplus", {"b": 0.7}), ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.5}),
    ("hard_shrink", {}), ("hard_shrink", {"threshold": 2.0}), ("tanh_shrink", {}),
    ("hard_tanh", {}), ("threshold", {"threshold": 0.3, "default_value": -1.0}),
    ("threshold", {"threshold": -2.0, "default_value": 4.0}),
    ("relu", {"max_value": 2.0}), ("relu", {"threshold": 1.0}),
    ("relu", {"threshold": -1.0}), ("relu", {"threshold": -1.0, "max_value": 1.5}),
    ("relu", {"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5}),
    ("relu", {"negative_slope": 0.5, "threshold": 1.0}),
    ("relu", {"negative_slope": 0.5, "max_value": 1.0}),
    ("relu", {"max_value": 6.0}), ("relu", {"max_value": 0.0}),
]
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CASES]


def _kinks(name, params):
    """Where the activation (or its derivative) changes formula."""
    if name == "relu":
        pts = [0.0, params.get("threshold", 0.0)]
        if params.get("max_value") is not None:
            pts.append(params["max_value"])
        return pts
    t = params.get("threshold", 0.5)
    return {"relu6": [0.0, 6.0], "hard_silu": [-3.0, 3.0], "celu": [0.0],
            "sparse_plus": [-1.0, 1.0], "sparse_sigmoid": [-1.0, 1.0],
            "squareplus": [0.0] if params.get("b", 4.0) == 0 else [],
            "soft_shrink": [-t, t], "hard_shrink": [-t, t], "hard_tanh": [-1.0, 1.0],
            "threshold": [params.get("threshold", 0.0)]}.get(name, [])


def _values(name, params, dtype):
    """Random values, the boundary points themselves, and large |x|."""
    rng = np.random.default_rng(0)
    big = 3e38 if np.dtype(dtype) == np.float32 else 1e300
    x = np.concatenate([rng.normal(scale=3.0, size=301), _kinks(name, params),
                        np.linspace(-8, 8, 97), [0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8],
                        [30.0, -30.0, 90.0, -90.0, 1e4, -1e4, 1e30, -1e30, big, -big]])
    return x.astype(dtype).reshape(1, -1)


def _resolved(name, params):
    kname, code, param, _ = ops._resolve_activation(name, dict(params))
    return kname, code, param


def _fwd(code, param, z):
    a = np.empty_like(z)
    _kernels.act_forward(code, param, z, a)
    return a


def _bwd(code, param, z, a, da):
    dz = np.empty_like(z)
    _kernels.act_backward(code, param, z, a, da, dz)
    return dz


# ---------------------------------------------------------------------------- codes
def test_every_c_code_has_exactly_one_name():
    codes = _kernels.ACT_CODES
    assert sorted(codes.values()) == list(range(_kernels.ACT_COUNT))
    assert set(ACTIVATIONS) == set(codes)
    assert all(ACTIVATIONS[name][0] == code for name, code in codes.items())
    assert [c for c, _ in ACTIVATIONS.values()] == list(range(_kernels.ACT_COUNT))
    for name, (_, default) in ACTIVATIONS.items():
        n = len(default) if isinstance(default, tuple) else 1
        assert 1 <= n <= _kernels.ACT_NPARAM, name


def test_resolver_packs_the_parameters():
    assert _resolved("relu", {}) == ("relu", ACTIVATIONS["relu"][0], 0.0)
    assert _resolved("relu", {"negative_slope": 0.3}) == \
        ("leaky_relu", ACTIVATIONS["leaky_relu"][0], 0.3)     # as Keras' relu hands it on
    name, code, p = _resolved("relu", {"max_value": 2.0, "threshold": 0.5})
    assert (name, code, p) == ("relu_general", ACTIVATIONS["relu_general"][0], (0.0, 2.0, 0.5))
    name, _, p = _resolved("relu", {"threshold": 0.5})
    assert name == "relu_general" and p[0] == 0.0 and math.isnan(p[1]) and p[2] == 0.5
    assert _resolved("threshold", {"threshold": 1.0, "default_value": -3.0})[2] == (1.0, -3.0)
    assert _resolved("celu", {"alpha": 0.25})[2] == 0.25
    assert _resolved("squareplus", {})[2] == 4.0
    assert _resolved("hard_swish", {})[0] == "hard_silu"


# ------------------------------------------------------------ values and derivatives
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_forward_and_derivative_match_the_reference(name, params, dtype, threads):
    z = _values(name, params, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        a = ops.activation_forward(name, z, **params)
        ref = R.activation_forward(name, z, **params)
    assert a.dtype == dtype
    np.testing.assert_allclose(a, ref, **tol(dtype))
    da = np.random.default_rng(1).normal(size=z.shape).astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        g = ops.activation_grad(name, z, a, da, **params)
        ref_g = R.activation_grad(name, z, ref, da, **params)
    np.testing.assert_allclose(g, ref_g, **tol(dtype))
    assert np.isfinite(a).all() and np.isfinite(g).all()     # no overflow for any finite x


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_float32_within_ulps_of_float64(name, params, simd_path):
    """float32 results against the float64 reference: a few ulp, also for |x| from 1e-20
    to 1e4 (tanh_shrink: where x - tanh(x) cancels)."""
    z = np.concatenate([np.linspace(-60, 60, 1001), np.linspace(-2, 2, 333),
                        np.logspace(-20, 4, 60), -np.logspace(-20, 4, 60)])
    for k in _kinks(name, params):
        z = z[np.abs(z - k) > 1e-3]
    z32 = z.astype(np.float32).reshape(1, -1)
    a = ops.activation_forward(name, z32, **params)
    ref = R.activation_forward(name, z32.astype(np.float64), **params)
    # hard_silu is Keras' x * (x / 6 + 0.5), whose second factor cancels near x = -3 in
    # float32 (as in Keras): the error there is absolute, ~ |x| ulp(0.5) / 2 < 1e-7
    atol = 2e-7 if name == "hard_silu" else 1e-30
    np.testing.assert_allclose(a, ref, rtol=1e-6, atol=atol)
    g = ops.activation_grad(name, z32, a, np.ones_like(z32), **params)
    ref_g = R.activation_grad(name, z32.astype(np.float64), ref, np.ones_like(ref), **params)
    # mish' has a root near x = -1.19: absolute error there
    np.testing.assert_allclose(g, ref_g, rtol=2e-6, atol=1e-7 if name == "mish" else atol)



@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_backward_matches_finite_differences(name, params):
    _, code, param = _resolved(name, params)
    z = np.random.default_rng(2).normal(scale=3.0, size=(5, 13))
    for k in _kinks(name, params):       # central differences must not straddle a kink
        near = np.abs(z - k) < 1e-3
        z[near] += 0.01
    da = np.random.default_rng(3).normal(size=z.shape)
    a = _fwd(code, param, z)
    np.testing.assert_allclose(_bwd(code, param, z, a, da),
                               vjp_central_diff(lambda t: _fwd(code, param, t), z, da),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,params,x,value,slope", [
    # Keras' ReLU.static_call: x == threshold gives 0 (strict >)
    ("relu", {"threshold": 5.0}, 5.0, 0.0, 0.0),
    ("relu", {"threshold": 5.0}, 5.5, 5.5, 1.0),
    ("relu", {"max_value": 2.0}, 2.0, 2.0, 0.0),
    ("relu", {"threshold": -1.0}, -0.5, -0.5, 1.0),     # kept, not clipped: no max_value
    ("relu", {"threshold": -1.0, "max_value": 1.5}, -0.5, 0.0, 0.0),
    ("relu", {"negative_slope": 0.5, "threshold": 1.0}, -1.0, -1.0, 0.5),
    ("relu", {"max_value": 0.0}, 3.0, 0.0, 0.0),
    ("relu6", {}, 6.0, 6.0, 0.0), ("relu6", {}, 0.0, 0.0, 0.0), ("relu6", {}, 7.0, 6.0, 0.0),
    ("hard_silu", {}, -3.0, 0.0, 0.0), ("hard_silu", {}, 3.0, 3.0, 1.0),
    ("hard_silu", {}, 1.5, 1.125, 1.0),
    ("celu", {}, 0.0, 0.0, 1.0),
    ("sparse_plus", {}, -1.0, 0.0, 0.0), ("sparse_plus", {}, 1.0, 1.0, 1.0),
    ("sparse_plus", {}, 0.0, 0.25, 0.5),
    ("sparse_sigmoid", {}, -1.0, 0.0, 0.0), ("sparse_sigmoid", {}, 1.0, 1.0, 0.0),
    ("sparse_sigmoid", {}, 0.0, 0.5, 0.5),
    ("squareplus", {}, 0.0, 1.0, 0.5), ("squareplus", {"b": 0.0}, 0.0, 0.0, 0.5),
    ("squareplus", {"b": 0.0}, -2.0, 0.0, 0.0),
    ("soft_shrink", {}, 0.5, 0.0, 0.0), ("soft_shrink", {}, -0.5, 0.0, 0.0),
    ("soft_shrink", {}, -2.0, -1.5, 1.0),
    ("hard_shrink", {}, 0.5, 0.0, 0.0), ("hard_shrink", {}, -0.75, -0.75, 1.0),
    ("hard_tanh", {}, 1.0, 1.0, 0.0), ("hard_tanh", {}, -1.0, -1.0, 0.0),
    ("hard_tanh", {}, 0.25, 0.25, 1.0),
    ("threshold", {"threshold": 1.5, "default_value": 7.0}, 1.5, 7.0, 0.0),
    ("tanh_shrink", {}, 0.0, 0.0, 0.0), ("log_sigmoid", {}, 0.0, -math.log(2.0), 0.5),
])
def test_boundaries_as_keras_defines_them(name, params, x, value, slope, dtype):
    """Values at the points where the formula changes (keras/src/backend/numpy/nn.py),
    and the derivative there: that of the formula the forward takes (csrc/activations.h)."""
    z = np.asarray([[x]], dtype)
    a = ops.activation_forward(name, z, **params)
    assert a[0, 0] == np.asarray(value, dtype), a
    g = ops.activation_grad(name, z, a, np.ones_like(z), **params)
    assert g[0, 0] == np.asarray(slope, dtype), g


def test_nan_as_keras_numpy_formulas_give_it():
    """min/max/clip forms keep NaN; the where() forms give their else branch."""
    z = np.asarray([np.nan], np.float32)
    for name in ("relu6", "hard_tanh", "mish", "celu", "sparse_plus", "squareplus",
                 "tanh_shrink", "log_sigmoid", "hard_silu", "sparse_sigmoid"):
        assert np.isnan(ops.activation_forward(name, z)[0]), name
    assert ops.activation_forward("soft_shrink", z)[0] == 0.0
    assert ops.activation_forward("hard_shrink", z)[0] == 0.0
    assert ops.activation_forward("threshold", z, threshold=0.0, default_value=3.0)[0] == 3.0
    assert ops.activation_forward("relu", z, threshold=1.0)[0] == 0.0
    assert np.isnan(ops.activation_forward("relu", z, max_value=1.0)[0])


def test_tanh_shrink_and_squareplus_where_keras_formula_loses_precision():
    """x - tanh(x) for small |x| by its series; squareplus for large negative x as
    b / (2 (s - x)), and no overflow of x**2."""
    x = np.asarray([1e-3, -1e-6, 1e-12, 0.2], np.float64)
    want = x ** 3 / 3 - 2 * x ** 5 / 15 + 17 * x ** 7 / 315 - 62 * x ** 9 / 2835
    np.testing.assert_allclose(activations.tanh_shrink(x), want, rtol=2e-6)
    np.testing.assert_allclose(activations.tanh_shrink(x[:3].astype(np.float32)),
                               want[:3], rtol=1e-6)
    sp = activations.squareplus(np.asarray([-1e4, -1e20, 3e38, -3e38], np.float32))
    np.testing.assert_allclose(sp[:2], [1e-4, 1e-20], rtol=1e-6)
    assert sp[2] == np.float32(3e38) and 0 <= sp[3] < 1e-38


def test_celu_with_negative_alpha_matches_its_formula():
    x = np.linspace(-3, 3, 25)
    want = np.maximum(x, 0) + (-0.5) * np.expm1(np.minimum(x, 0) / -0.5)
    np.testing.assert_allclose(activations.celu(x, alpha=-0.5), want, rtol=1e-13)


# --------------------------------------------------- position, threads, SIMD, aliasing
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_element_result_does_not_depend_on_its_position(name, params, dtype, simd_path):
    """An element gives the same bits wherever it sits (vector body, odd tails, chunks),
    on each SIMD path; the paths agree to a few ulp (float32 has AVX2 forms of mish,
    log_sigmoid and celu; float64 runs the same C on both)."""
    _, code, param = _resolved(name, params)
    z = np.random.default_rng(12).normal(scale=3.0, size=(1, 8195)).astype(dtype)
    da = np.random.default_rng(13).normal(size=z.shape).astype(dtype)
    full = _fwd(code, param, z)
    full_grad = _bwd(code, param, z, full, da)
    for lo, hi in [(3, 8), (5, 4101), (8190, 8195), (0, 1), (1, 16), (7, 30)]:
        part = np.ascontiguousarray(z[:, lo:hi])
        np.testing.assert_array_equal(_fwd(code, param, part), full[:, lo:hi])
        np.testing.assert_array_equal(
            _bwd(code, param, part, full[:, lo:hi].copy(), np.ascontiguousarray(da[:, lo:hi])),
            full_grad[:, lo:hi])
    _kernels.set_simd_path("generic")
    if np.dtype(dtype) == np.float64:
        np.testing.assert_array_equal(_fwd(code, param, z), full)
        np.testing.assert_array_equal(_bwd(code, param, z, full, da), full_grad)
    else:
        np.testing.assert_allclose(_fwd(code, param, z), full, rtol=2e-6, atol=1e-30)
        np.testing.assert_allclose(_bwd(code, param, z, full, da), full_grad, rtol=4e-6,
                                   atol=1e-6)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_thread_count_changes_nothing(name, params, dtype):
    _, code, param = _resolved(name, params)
    z = np.random.default_rng(4).normal(scale=3.0, size=(301, 257)).astype(dtype)
    out = []
    for nt in (1, 2):
        fastnn.set_num_threads(nt)
        a = _fwd(code, param, z)
        out.append((a, _bwd(code, param, z, a, np.ones_like(z))))
    for x, y in zip(out[0], out[1]):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_in_place_forward_and_backward(name, params, dtype):
    _, code, param = _resolved(name, params)
    z = np.random.default_rng(6).normal(scale=3.0, size=(4, 7)).astype(dtype)
    da = np.random.default_rng(7).normal(size=z.shape).astype(dtype)
    a = _fwd(code, param, z)
    dz = _bwd(code, param, z, a, da)
    inplace = z.copy()
    _kernels.act_forward(code, param, inplace, inplace)
    np.testing.assert_array_equal(inplace, a)
    g = da.copy()
    _kernels.act_backward(code, param, z, a, g, g)
    np.testing.assert_array_equal(g, dz)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_dense_epilogue_is_the_activation_kernel(name, params, dtype, simd_path):
    """dense_forward's activation (in the GEMM epilogue, parameters passed on) gives the
    bits of act_forward on its Z."""
    _, code, param = _resolved(name, params)
    rng = np.random.default_rng(8)
    X = rng.normal(size=(29, 11)).astype(dtype)
    W = rng.normal(size=(11, 13)).astype(dtype)
    b = rng.normal(size=13).astype(dtype)
    Z, A = np.empty((29, 13), dtype), np.empty((29, 13), dtype)
    _kernels.dense_forward(X, W, b, code, param, Z, A)
    np.testing.assert_array_equal(A, _fwd(code, param, Z))
    A_only = np.empty_like(A)
    _kernels.dense_forward(X, W, b, code, param, None, A_only)
    np.testing.assert_array_equal(A_only, A)


def test_raw_bindings_check_the_parameters():
    z = np.zeros((2, 3))
    code = ACTIVATIONS["threshold"][0]
    with pytest.raises(ValueError, match="at most 3 numbers, got 4"):
        _kernels.act_forward(code, (1.0, 2.0, 3.0, 4.0), z, z.copy())
    with pytest.raises(TypeError, match="activation parameters must be real numbers, got str"):
        _kernels.act_backward(code, ("a", 1.0), z, z, z, z.copy())
    with pytest.raises(TypeError, match="real numbers"):
        _kernels.dense_forward(z, np.zeros((3, 2)), None, code, None, None, np.zeros((2, 2)))
    a = np.empty_like(z)
    _kernels.act_forward(code, [0.5, 2.0], np.full((2, 3), 0.25), a)   # a list is taken too
    np.testing.assert_array_equal(a, np.full((2, 3), 2.0))


@pytest.mark.parametrize("call,exc,match", [
    (lambda x: activations.relu(x, max_value="2"), TypeError, "relu: max_value"),
    (lambda x: activations.relu(x, threshold=math.inf), ValueError, "relu: threshold"),
    (lambda x: activations.celu(x, alpha=0.0), ValueError, "alpha must not be 0"),
    (lambda x: activations.squareplus(x, b=-1.0), ValueError, "b must be >= 0"),
    (lambda x: activations.soft_shrink(x, threshold=1e39), ValueError, "threshold"),
    (lambda x: activations.threshold(x, 0.5, None), TypeError, "default_value"),
    (lambda x: ops.activation_forward("threshold", x), TypeError,
     "needs its parameters threshold and default_value"),
    (lambda x: ops.activation_forward("threshold", x, threshold=1.0), TypeError,
     "needs its parameter.s. default_value"),
    (lambda x: ops.activation_forward("mish", x, alpha=1.0), TypeError,
     "activation 'mish' takes no parameter 'alpha'"),
])
def test_bad_parameters_raise_naming_them(call, exc, match):
    with pytest.raises(exc, match=match):
        call(np.ones((2, 3), np.float32))


# ---------------------------------------------------------------------------- autodiff
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_tape_records_the_c_backward(name, params, dtype):
    """Under a GradientTape the activation's gradient is its C backward kernel's."""
    z = np.random.default_rng(9).normal(scale=3.0, size=(3, 5)).astype(dtype)
    w = np.random.default_rng(10).normal(size=z.shape).astype(dtype)
    v = fastnn.Variable(z)
    fn = getattr(activations, name)
    with fastnn.GradientTape() as tape:
        y = fn(v, **params)
        loss = fastnn.ops.sum(fastnn.ops.multiply(y, w))
    a = ops.activation_forward(name, z, **params)
    np.testing.assert_array_equal(np.asarray(y), a)
    np.testing.assert_array_equal(np.asarray(tape.gradient(loss, v)),
                                  ops.activation_grad(name, z, a, w, **params))


@pytest.mark.parametrize("name,params", [("mish", {}), ("celu", {"alpha": 0.5}),
                                         ("squareplus", {"b": 2.0}), ("tanh_shrink", {}),
                                         ("log_sigmoid", {})])
def test_second_derivative_through_nested_tapes(name, params):
    x = np.linspace(-2.5, 2.5, 11) + 0.05    # not 0: the formulas' kinks (max, |x|) are there
    fn = getattr(activations, name)

    def first(t):
        a = ops.activation_forward(name, t, **params)
        return ops.activation_grad(name, t, a, np.ones_like(t), **params)
    v = fastnn.Variable(x)
    with fastnn.GradientTape() as outer:
        with fastnn.GradientTape() as inner:
            y = fastnn.ops.sum(fn(v, **params))
        g = inner.gradient(y, v)
        gs = fastnn.ops.sum(g)
    h = 1e-5
    np.testing.assert_allclose(np.asarray(outer.gradient(gs, v)),
                               (first(x + h) - first(x - h)) / (2 * h), rtol=1e-6, atol=1e-8)


# --------------------------------------------------------- engine against layer path
def _data(dtype, n=97, d=6, k=3, seed=1):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, d)).astype(dtype), r.integers(0, k, n)


def _fit(monkeypatch, fused, make, x, y):
    monkeypatch.setattr(engine, "ENABLED", fused)
    fastnn.utils.set_random_seed(0)
    model = make()
    model.compile(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=13, epochs=2, verbose=0)
    if fused:
        assert model._engine.fit_plan is not None and model._engine.why is None, \
            model._engine.why
    else:
        assert model._engine.fit_plan is None
    return model, hist.history


def _act_layer(name, params):
    """An Activation layer with parameters (as LeakyReLU / ELU set theirs)."""
    layer = L.Activation(name)
    layer.activation_params = dict(params)
    return layer


@pytest.mark.parametrize("name,params", CASES + [("hard_swish", {})],
                         ids=IDS + ["hard_swish"])
def test_engine_trains_bitwise_as_the_layer_path(monkeypatch, name, params, dtype):
    """A hidden Dense layer with the activation (by name when it takes its defaults, else
    an Activation layer with the parameters folded into the Dense before it): the C
    engine lowers the model and trains it to the layer path's bits."""
    x, y = _data(dtype)

    def make():
        hidden = [L.Dense(8, activation=name)] if not params else \
            [L.Dense(8), _act_layer(name, params)]
        return fastnn.Sequential([L.Input((6,), dtype=dtype.name), *hidden,
                                  L.Dense(3, activation="softmax")])
    ma, ha = _fit(monkeypatch, True, make, x, y)
    mb, hb = _fit(monkeypatch, False, make, x, y)
    spec = ma._engine.fit_plan.specs[0]
    assert spec["act"] == ACTIVATIONS[spec["act_name"]][0]
    for wa, wb in zip(ma.get_weights(), mb.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_allclose(ha["loss"], hb["loss"], rtol=1e-13)
    np.testing.assert_array_equal(ha["accuracy"], hb["accuracy"])
    np.testing.assert_array_equal(ma.predict(x, verbose=0), mb.predict(x, verbose=0))


def test_glu_stays_on_the_layer_path(monkeypatch):
    x, y = _data(np.float32)
    model = fastnn.Sequential([L.Input((6,)), L.Dense(8, activation="glu"),
                               L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert model._engine.fit_plan is None
    assert "activation 'glu' halves the layer's width" in model._engine.why


@pytest.mark.parametrize("kw", [dict(max_value=6.0), dict(threshold=0.5),
                                dict(max_value=2.0, negative_slope=0.1, threshold=0.5),
                                dict(negative_slope=0.2)])
def test_relu_layer_options_as_keras(monkeypatch, kw, dtype):
    """keras.layers.ReLU(max_value, negative_slope, threshold): the values of
    keras.activations.relu, its config, and the engine folding it into the Dense before."""
    x = np.asarray([[-10, -5, -0.5, 0.0, 0.5, 1.0, 5, 10]], dtype)
    layer = L.ReLU(**kw)
    np.testing.assert_array_equal(layer(x), activations.relu(x, **kw))
    cfg = layer.get_config()
    assert {k: cfg[k] for k in ("max_value", "negative_slope", "threshold")} == \
        {"max_value": None, "negative_slope": 0.0, "threshold": 0.0, **kw}
    back = L.ReLU.from_config(cfg)
    np.testing.assert_array_equal(back(x), layer(x))
    xs, y = _data(dtype)

    def make():
        return fastnn.Sequential([L.Input((6,), dtype=dtype.name), L.Dense(8), L.ReLU(**kw),
                                  L.Dense(3, activation="softmax")])
    ma, ha = _fit(monkeypatch, True, make, xs, y)
    mb, hb = _fit(monkeypatch, False, make, xs, y)
    assert len(ma._engine.fit_plan.specs) == 2     # folded into the first Dense
    for wa, wb in zip(ma.get_weights(), mb.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_allclose(ha["loss"], hb["loss"], rtol=1e-13)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(max_value=-1.0), ValueError, "max_value of a ReLU layer cannot be a negative value"),
    (dict(negative_slope=-0.1), ValueError, "negative_slope of a ReLU layer cannot be None"),
    (dict(threshold=None), ValueError, "threshold of a ReLU layer cannot be None"),
    (dict(max_value="6"), TypeError, "ReLU: max_value must be a real number"),
    (dict(max_value=1e39), ValueError, "ReLU: max_value must be a finite number"),
])
def test_relu_layer_refuses_what_keras_refuses(kw, exc, match):
    with pytest.raises(exc, match=match):
        L.ReLU(**kw)


@pytest.mark.parametrize("name,params", [("relu", {"max_value": 2.0, "threshold": 0.5}),
                                         ("threshold", {"threshold": 0.3,
                                                        "default_value": -1.0}),
                                         ("celu", {"alpha": 0.5}), ("mish", {})])
def test_bfloat16_dense_passes_the_parameters_on(name, params):
    """The mixed_bfloat16 Dense kernel's activation (csrc/bf16.h) is act_forward with the
    same parameters on its Z."""
    _, code, param = _resolved(name, params)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9, 7)).astype(np.float32)
    k = rng.normal(size=(7, 6)).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    z, a = np.empty((9, 6), np.float32), np.empty((9, 6), np.float32)
    _kernels.dense_forward_bf16(x, k, b, code, param, z, a)
    np.testing.assert_array_equal(a, _fwd(code, param, z))
