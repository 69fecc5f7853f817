"""fastnn's own tests of keras.ops' cdist, erfc, gammainc, fmax / fmin, angle, slogdet,
unique, vectorize, view, view_as_complex / view_as_real, polar, depth_to_space /
space_to_depth and fold / unfold: errors, edge cases, both float dtypes, gradients where
Keras' tests do not pin them (the registry tests, tests/test_autodiff_ops.py, compare
each with NumPy and finite differences), and backend.compute_output_spec with the
symbolic tensors' operators."""
import math

import numpy as np
import pytest

from fastnn import KerasTensor, backend, layers, metrics, models
from fastnn import ops as fops
from fastnn.autodiff import GradientTape, ops as k
from fastnn.tensor import Tensor

FLOATS = [np.float32, np.float64]


def _fd(f, x, h=1e-6):
    x = np.array(x, np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        up, dn = x.copy(), x.copy()
        up.flat[i] += h
        dn.flat[i] -= h
        g.flat[i] = (f(up) - f(dn)) / (2 * h)
    return g


def _grad(f, x):
    t = np.asarray(x).view(Tensor)
    with GradientTape() as tape:
        tape.watch(t)
        y = k.sum(f(t))
    return tape.gradient(y, t)


# --------------------------------------------------------------------- gammainc
@pytest.mark.parametrize("dtype", FLOATS)
def test_gammainc_closed_forms(dtype):
    a = np.array([1.0, 2.0, 3.0, 0.5, 7.0, 30.0], dtype)
    x = np.array([0.3, 4.0, 10.0, 2.0, 50.0, 25.0], dtype)
    got = k.gammainc(a, x)
    assert got.dtype == dtype
    want = []
    for ai, xi in zip(a.astype(np.float64), x.astype(np.float64)):
        if ai == 0.5:
            want.append(math.erf(math.sqrt(xi)))     # P(1/2, x) = erf(sqrt(x))
        else:
            n = int(ai)
            want.append(1 - math.exp(-xi) * math.fsum(xi ** j / math.factorial(j)
                                                      for j in range(n)))
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=rtol)


def test_gammainc_edges():
    a = np.array([1.0, 1.0, 1.0, 0.0, -1.0, 2.0, np.nan])
    x = np.array([0.0, np.inf, -1.0, 1.0, 1.0, np.nan, 1.0])
    got = np.asarray(k.gammainc(a, x))
    np.testing.assert_array_equal(got[:2], [0.0, 1.0])
    assert np.isnan(got[2:]).all()


def test_gammainc_python_number_takes_the_tensor_dtype():
    x = np.array([0.5, 1.5], np.float64)
    got = k.gammainc(0.7, x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(np.asarray(k.gammainc(np.array(0.7), x)), got, rtol=1e-15)
    assert k.gammainc(np.array([1, 2], np.int32), np.array([1, 2], np.int32)).dtype == \
        np.float32


@pytest.mark.parametrize("dtype", FLOATS)
def test_gammainc_gradient_with_respect_to_x(dtype):
    a = np.array([[0.6, 1.0, 2.5]], np.float64)
    x = np.array([[0.3, 1.7, 4.0], [2.2, 0.9, 1.1]])
    g = _grad(lambda t: k.gammainc(a.astype(dtype), t), x.astype(dtype))
    assert g.dtype == dtype and g.shape == x.shape
    want = _fd(lambda v: float(np.sum(np.asarray(k.gammainc(a, v)))), x)
    np.testing.assert_allclose(np.asarray(g, np.float64), want,
                               rtol=1e-3 if dtype == np.float32 else 1e-6, atol=1e-7)


def test_gammainc_broadcast_gradient_sums_over_the_broadcast_axes():
    x = np.array([0.4, 1.3])
    a = np.array([[0.5], [1.5], [3.0]])
    g = _grad(lambda t: k.gammainc(a, t), x)
    want = _fd(lambda v: float(np.sum(np.asarray(k.gammainc(a, v)))), x)
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ erfc, cdist
@pytest.mark.parametrize("dtype", FLOATS)
def test_erfc_has_no_cancellation(dtype):
    x = np.array([5.0, 9.0], dtype)
    got = np.asarray(k.erfc(x), np.float64)
    want = [math.erfc(5.0), math.erfc(9.0)]          # 1.5e-12, 4.1e-37: 1 - erf gives 0
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert k.erfc(x).dtype == dtype


@pytest.mark.parametrize("dtype", FLOATS)
def test_cdist_broadcasts_batches(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 3, 4)).astype(dtype)
    y = rng.standard_normal((5, 2, 4)).astype(dtype)
    got = k.cdist(x, y)
    assert got.shape == (2, 5, 3, 2) and got.dtype == dtype
    want = np.sqrt(((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)


def test_cdist_errors():
    with pytest.raises(ValueError, match="rank 2"):
        k.cdist(np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match="same last axis"):
        k.cdist(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="broadcast"):
        k.cdist(np.ones((2, 2, 3)), np.ones((3, 2, 3)))


# ------------------------------------------------------------ fmax, fmin, angle
@pytest.mark.parametrize("dtype", FLOATS)
def test_fmax_fmin_gradient_goes_to_the_non_nan_side(dtype):
    x = np.array([1.0, np.nan, 3.0], dtype)
    y = np.array([2.0, 5.0, np.nan], dtype)
    tx, ty = x.view(Tensor), y.view(Tensor)
    with GradientTape(persistent=True) as tape:
        tape.watch([tx, ty])
        hi = k.fmax(tx, ty)
        lo = k.fmin(tx, ty)
    np.testing.assert_array_equal(np.asarray(hi), [2.0, 5.0, 3.0])
    np.testing.assert_array_equal(np.asarray(lo), [1.0, 5.0, 3.0])
    gx, gy = tape.gradient(hi, [tx, ty])
    np.testing.assert_array_equal(np.asarray(gx), [0, 0, 1])
    np.testing.assert_array_equal(np.asarray(gy), [1, 1, 0])
    gx, gy = tape.gradient(lo, [tx, ty])
    np.testing.assert_array_equal(np.asarray(gx), [1, 0, 1])
    np.testing.assert_array_equal(np.asarray(gy), [0, 1, 0])


def test_fmax_keeps_integer_dtypes_and_both_nans():
    assert k.fmax(np.array([1, 5], np.int8), np.array([3, 0], np.int8)).dtype == np.int8
    assert np.isnan(np.asarray(k.fmin(np.array([np.nan]), np.array([np.nan])))).all()


def test_angle_dtypes():
    assert k.angle(np.array([1 + 1j], np.complex128)).dtype == np.float64
    assert k.angle(np.array([1 + 1j], np.complex64)).dtype == np.float32
    assert k.angle(np.array([-2], np.int64)).dtype == np.float32
    np.testing.assert_allclose(np.asarray(k.angle(np.array([-2.0, 0.0, 3.0]))),
                               [np.pi, 0.0, 0.0])


# ------------------------------------------------------------------------ slogdet
@pytest.mark.parametrize("dtype", FLOATS)
def test_slogdet_singular_and_negative(dtype):
    s, l = k.slogdet(np.array([[[1, 2], [2, 4]], [[0, 1], [1, 0]]], dtype))
    np.testing.assert_array_equal(np.asarray(s), [0.0, -1.0])
    assert np.asarray(l)[0] == -np.inf and np.asarray(l)[1] == 0.0
    assert s.dtype == dtype and l.dtype == dtype


def test_slogdet_errors_and_integers():
    with pytest.raises(ValueError, match="square"):
        k.slogdet(np.ones((2, 3)))
    s, l = k.slogdet(np.array([[2, 0], [0, 3]], np.int32))
    assert l.dtype == np.float32
    np.testing.assert_allclose(float(l), math.log(6), rtol=1e-6)


# ------------------------------------------------------------------------- unique
def test_unique_errors():
    with pytest.raises(TypeError, match="return_counts"):
        k.unique(np.array([1, 2]), return_counts=1)
    with pytest.raises(ValueError, match="axis"):
        k.unique(np.array([[1, 2]]), axis=2)
    with pytest.raises(ValueError, match="size"):
        k.unique(np.array([1, 2]), size=-1)
    with pytest.raises(TypeError, match="size"):
        k.unique(np.array([1, 2]), size=2.5)


def test_unique_is_not_differentiable_and_keeps_the_dtype():
    x = np.array([2.0, 1.0, 2.0], np.float64)
    v = k.unique(x)
    assert v.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    idx = k.unique(x, return_index=True, size=4)[1]
    np.testing.assert_array_equal(np.asarray(idx), [1, 0, 1, 1])
    assert idx.dtype == np.int32


def test_unique_in_a_functional_model_with_size():
    inp = layers.Input(shape=(4,), dtype="int32")
    out = fops.unique(fops.reshape(inp, (-1,)), size=3, fill_value=-1)
    assert out.shape == (3,)
    model = models.Model(inp, out)
    got = model(np.array([[4, 4, 1, 4]], np.int32))
    np.testing.assert_array_equal(np.asarray(got), [1, 4, -1])


# ---------------------------------------------------------------------- vectorize
def test_vectorize_gradient_flows_through_pyfunc():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    g = _grad(lambda t: k.vectorize(lambda v: k.multiply(v, k.exp(v)))(t), x)
    np.testing.assert_allclose(np.asarray(g), (1 + x) * np.exp(x), rtol=1e-12)


def test_vectorize_excluded_and_multiple_outputs():
    def f(v, scale, shift=0.0):
        return v * scale + shift, v - shift
    vf = k.vectorize(f, excluded={1, "shift"})
    a, b = vf(np.array([1.0, 2.0]), 3.0, shift=1.0)
    np.testing.assert_array_equal(np.asarray(a), [4.0, 7.0])
    np.testing.assert_array_equal(np.asarray(b), [0.0, 1.0])
    vf = k.vectorize(lambda m: (k.sum(m), k.max(m)), signature="(n)->(),()")
    s, m = vf(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(s), [3.0, 12.0])
    np.testing.assert_array_equal(np.asarray(m), [2.0, 5.0])


def test_vectorize_errors():
    with pytest.raises(ValueError, match="callable"):
        k.vectorize(3)
    with pytest.raises(ValueError, match="signature"):
        k.vectorize(k.trace, signature="(d,d)")
    with pytest.raises(ValueError, match="core dimension"):
        k.vectorize(k.matmul, signature="(m,n),(n)->(m)")(np.ones((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match="broadcast"):
        k.vectorize(k.add)(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="excluded"):
        k.vectorize(k.add, excluded={1.5})


# --------------------------------------------------------------------------- view
def test_view_shares_the_bytes():
    x = np.array([1.0, -2.0], np.float32)
    v = k.view(x, "int32")
    np.testing.assert_array_equal(np.asarray(v), x.view(np.int32))
    assert k.view(x).dtype == np.float32
    with pytest.raises(ValueError, match="bytes"):
        k.view(np.ones(3, np.int16), "int32")
    with pytest.raises(TypeError, match="dtype"):
        k.view(x, "not-a-dtype")


# ------------------------------------------------------- view_as_complex / real, polar
def test_view_as_complex_errors_and_roundtrip():
    with pytest.raises(TypeError, match="real"):
        k.view_as_complex(np.array([1 + 1j, 2j]))
    x = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(np.asarray(k.view_as_real(k.view_as_complex(x))), x)
    assert k.view_as_real(np.array([1j], np.complex128)).dtype == np.float64


@pytest.mark.parametrize("dtype,cdtype", [(np.float32, np.complex64),
                                          (np.float64, np.complex128)])
def test_polar_dtypes_and_broadcasting(dtype, cdtype):
    r = np.array([[1.0], [2.0]], dtype)
    t = np.array([0.0, np.pi / 2, np.pi], dtype)
    z = k.polar(r, t)
    assert z.dtype == cdtype and z.shape == (2, 3)
    np.testing.assert_allclose(np.asarray(z), r * np.exp(1j * t.astype(np.float64)),
                               atol=1e-6)


# ----------------------------------------------------- depth/space, unfold / fold
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_depth_space_roundtrip_and_gradient(fmt):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 4, 6) if fmt == "channels_first" else (2, 4, 6, 8))
    y = k.depth_to_space(x, 2, data_format=fmt)
    np.testing.assert_array_equal(np.asarray(k.space_to_depth(y, 2, data_format=fmt)), x)
    w = rng.standard_normal(y.shape)
    g = _grad(lambda t: k.multiply(k.depth_to_space(t, 2, data_format=fmt), w), x)
    # a permutation: the gradient is the weights moved back
    np.testing.assert_array_equal(np.asarray(g),
                                  np.asarray(k.space_to_depth(w, 2, data_format=fmt)))


def test_depth_space_errors():
    x = np.ones((1, 2, 2, 6))
    with pytest.raises(ValueError, match="multiple of block_size"):
        k.depth_to_space(x, 2)
    with pytest.raises(ValueError, match="multiples of block_size"):
        k.space_to_depth(np.ones((1, 3, 4, 1)), 2)
    with pytest.raises(TypeError, match="block_size"):
        k.depth_to_space(np.ones((1, 2, 2, 8)), 2.0)
    with pytest.raises(ValueError, match="data_format"):
        k.space_to_depth(np.ones((1, 4, 4, 1)), 2, data_format="NHWC")
    with pytest.raises(ValueError, match="4D"):
        k.space_to_depth(np.ones((4, 4, 1)), 2)


@pytest.mark.parametrize("dtype", FLOATS)
def test_fold_is_the_transpose_of_unfold(dtype):
    # <unfold(x), y> == <x, fold(y)> for every x, y: fold is unfold's adjoint
    rng = np.random.default_rng(5)
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1))
    x = rng.standard_normal((2, 3, 5, 7)).astype(dtype)
    u = k.unfold(x, **kw)
    assert u.dtype == dtype
    y = rng.standard_normal(u.shape).astype(dtype)
    f = k.fold(y, (5, 7), **kw)
    assert f.shape == x.shape and f.dtype == dtype
    lhs = float(np.sum(np.asarray(u, np.float64) * y))
    rhs = float(np.sum(x.astype(np.float64) * np.asarray(f)))
    assert lhs == pytest.approx(rhs, rel=1e-5 if dtype == np.float32 else 1e-12)


def test_fold_unfold_errors():
    with pytest.raises(ValueError, match="4D"):
        k.unfold(np.ones((3, 4, 4)), 2)
    with pytest.raises(ValueError, match="does not fit"):
        k.unfold(np.ones((1, 1, 2, 2)), 3)
    with pytest.raises(TypeError, match="kernel_size"):
        k.unfold(np.ones((1, 1, 4, 4)), (2, 2, 2))
    with pytest.raises(ValueError, match="stride"):
        k.unfold(np.ones((1, 1, 4, 4)), 2, stride=0)
    with pytest.raises(ValueError, match="multiple of"):
        k.fold(np.ones((1, 5, 4)), (3, 3), 2)
    with pytest.raises(ValueError, match="number of block"):
        k.fold(np.ones((1, 4, 5)), (3, 3), 2)


def test_symbolic_shapes_of_the_image_ops():
    assert fops.unfold(KerasTensor((None, 3, 8, 8)), 2, stride=2).shape == (None, 12, 16)
    assert fops.fold(KerasTensor((None, 12, 16)), (8, 8), 2, stride=2).shape == \
        (None, 3, 8, 8)
    assert fops.depth_to_space(KerasTensor((None, 2, 3, 8)), 2).shape == (None, 4, 6, 2)
    assert fops.space_to_depth(KerasTensor((None, 4, 6, 3)), 2).shape == (None, 2, 3, 12)


# ------------------------------------------- compute_output_spec, symbolic operators
def test_compute_output_spec_of_a_function():
    def f(a, b):
        return {"sum": k.sum(a, axis=-1), "cat": k.concatenate([a, b], axis=0), "n": 3}
    spec = backend.compute_output_spec(f, KerasTensor((None, 4)), KerasTensor((2, 4)))
    assert spec["sum"].shape == (None,)
    assert spec["cat"].shape == (None, 4)
    assert spec["n"].shape == () and spec["n"].dtype == "int32"
    with pytest.raises(TypeError, match="callable"):
        backend.compute_output_spec(3, KerasTensor((2,)))


def test_compute_output_spec_leaves_a_metric_unchanged():
    m = metrics.Mean()
    m.update_state([1.0, 3.0])
    before = [np.array(v) for v in m.variables]
    spec = backend.compute_output_spec(m, KerasTensor((None, 2)), KerasTensor((None, 2)))
    assert spec.shape == ()
    for v, b in zip(m.variables, before):
        np.testing.assert_array_equal(np.asarray(v), b)
    assert float(m.result()) == 2.0


def test_symbolic_comparisons_in_a_model():
    inp = layers.Input(shape=(3,))
    outs = [inp > 0.5, inp <= 0.2, (inp >= 0) & ~(inp < 0.9), inp != 0.5,
            (inp > 0.5) | (inp < 0.1), (inp > 0.5) ^ True, inp // 0.25, inp % 0.5,
            2.0 ** inp, round(inp, 1)]
    for o in outs[:6]:
        assert o.dtype == "bool" and o.shape == (None, 3)
    model = models.Model(inp, outs)
    x = np.array([[0.1, 0.5, 0.95]], np.float32)
    got = model.predict(x, verbose=0)
    want = [x > 0.5, x <= 0.2, (x >= 0) & ~(x < 0.9), x != 0.5, (x > 0.5) | (x < 0.1),
            (x > 0.5) ^ True, x // np.float32(0.25), x % np.float32(0.5),
            np.float32(2.0) ** x, np.round(x, 1)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                                   rtol=1e-6)
    t = KerasTensor((2,))
    assert t == t and t in [t] and {t: 1}[t] == 1     # == stays identity, as in Keras
