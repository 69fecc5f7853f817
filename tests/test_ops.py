"""fastnn.ops: conversion and validation rules, any-ndim activations, matmul/dense, and
hypothesis properties."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastnn import kernel_ops as ops
from fastnn import reference as R
from fastnn._codes import ACTIVATIONS

from cases import tol

ELEMENTWISE = [n for n in sorted(ACTIVATIONS) if n not in ("softmax", "log_softmax")]
# parameters an activation requires (keras.activations.threshold has no defaults)
REQUIRED = {"threshold": {"threshold": 0.3, "default_value": -1.0}}


# ------------------------------------------------------------------ dtype rules
@pytest.mark.parametrize("x, expected", [
    ([1, -2, 3], np.float32),
    ([[True, False]], np.float32),
    ([0.5, 1.5], np.float32),
    (np.array([1, 2], dtype=np.int64), np.float32),
    (np.array([1, 2], dtype=np.float16), np.float32),
    (np.array([1, 2], dtype=np.float32), np.float32),
    (np.array([1, 2], dtype=np.float64), np.float64),
    (3.0, np.float32),
])
def test_result_dtype(x, expected):
    assert ops.relu(x).dtype == expected
    assert ops.softmax(x if np.ndim(x) else [x]).dtype == expected


def test_mixed_float32_float64_gives_float64():
    a32 = np.ones((2, 3), np.float32)
    a64 = np.ones((3, 2), np.float64)
    assert ops.matmul(a32, a64).dtype == np.float64
    assert ops.dense(a32, a64, np.zeros(2, np.float32)).dtype == np.float64
    z = np.ones((2, 2), np.float32)
    assert ops.activation_grad("relu", z, z, z.astype(np.float64)).dtype == np.float64


def test_scalar_and_empty_inputs():
    assert ops.sigmoid(0.0) == 0.5 and ops.sigmoid(0.0).shape == ()
    assert ops.relu(np.zeros((0, 3))).shape == (0, 3)
    for shape in [(0, 3), (3, 0), (0,)]:
        e = np.zeros(shape)
        assert ops.softmax(e).shape == shape
        assert ops.activation_grad("log_softmax", e, e, e).shape == shape
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ops.softmax(1.0)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_non_contiguous_inputs_are_copied_not_misread(name):
    base = np.random.default_rng(0).normal(size=(6, 10))
    for view in (base[:, ::2], base.T, base[::-1]):
        kw = REQUIRED.get(name, {})
        got = ops.activation_forward(name, view, **kw)
        np.testing.assert_allclose(got, R.activation_forward(name, np.ascontiguousarray(view), **kw),
                                   rtol=1e-12, atol=1e-14)


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        ops.relu(["a", "b"])
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        ops.relu(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        ops.sigmoid([[1, 2], [3]])
    with pytest.raises(TypeError, match="axis must be an int"):
        ops.softmax(np.ones((2, 2)), axis=1.0)
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\)"):
        ops.softmax(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="approximate must be a bool"):
        ops.gelu(np.ones(2), approximate="tanh")
    with pytest.raises(TypeError, match="negative_slope must be a real number"):
        ops.leaky_relu(np.ones(2), negative_slope=None)


def test_activation_registry():
    with pytest.raises(ValueError, match="unknown activation 'nope'.*relu.*swish"):
        ops.activation_forward("nope", np.ones(2))
    with pytest.raises(TypeError, match="takes no parameter 'alpha'"):
        ops.activation_forward("relu", np.ones(2), alpha=1.0)
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(ops.activation_forward("swish", x), ops.silu(x))
    np.testing.assert_array_equal(ops.activation_forward(None, x), x)
    np.testing.assert_array_equal(ops.activation_forward("gelu", x, approximate=True),
                                  ops.activation_forward("gelu_tanh", x))
    np.testing.assert_array_equal(ops.dense(x[None], np.eye(7), activation=ops.relu),
                                  ops.relu(x[None]))
    with pytest.raises(ValueError, match="a must have the shape of z"):
        ops.activation_grad("relu", x, x[:3], x)


# ---------------------------------------------------------- any-ndim activations
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_on_3d(name, dtype):
    z = np.random.default_rng(1).normal(size=(2, 3, 5)).astype(dtype)
    kw = REQUIRED.get(name, {})
    a = ops.activation_forward(name, z, **kw)
    assert a.shape == z.shape and a.dtype == dtype
    np.testing.assert_allclose(a, R.activation_forward(name, z, **kw), **tol(dtype))
    da = np.ones_like(z)
    np.testing.assert_allclose(ops.activation_grad(name, z, a, da, **kw),
                               R.activation_grad(name, z, a, da, **kw), **tol(dtype))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1, -3])
def test_rowwise_on_any_axis(name, axis, dtype, threads):
    z = np.random.default_rng(2).normal(size=(4, 3, 5)).astype(dtype)
    a = ops.activation_forward(name, z, axis=axis)
    assert a.flags.c_contiguous and a.shape == z.shape
    np.testing.assert_allclose(a, R.activation_forward(name, z, axis=axis), **tol(dtype))
    da = np.random.default_rng(3).normal(size=z.shape).astype(dtype)
    np.testing.assert_allclose(ops.activation_grad(name, z, a, da, axis=axis),
                               R.activation_grad(name, z, a, da, axis=axis), **tol(dtype))
    assert np.allclose(getattr(ops, name)(z, axis=axis), a)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp(axis, keepdims, dtype):
    x = np.random.default_rng(4).normal(size=(3, 4)).astype(dtype)
    got = ops.logsumexp(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(got, R.logsumexp(x, axis=axis, keepdims=keepdims), **tol(dtype))
    np.testing.assert_allclose(got, np.log(np.sum(np.exp(x.astype(np.float64)), axis=axis,
                                                  keepdims=keepdims)), rtol=1e-5)


def test_logsumexp_extremes():
    np.testing.assert_allclose(ops.logsumexp(np.array([1e4, 1e4, -1e4])), 1e4 + np.log(2))
    np.testing.assert_array_equal(ops.logsumexp(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]),
                                                axis=1), [-np.inf, 0.0])
    with pytest.raises(ValueError, match="x must not be empty"):
        ops.logsumexp(np.zeros((0,)))


# --------------------------------------------------------------- matmul / dense
DENSE_SHAPES = [(1, 1, 1), (1, 7, 3), (5, 3, 1), (130, 9, 4), (3, 17, 70), (32, 64, 25)]


@pytest.mark.parametrize("m, k, n", DENSE_SHAPES)
@pytest.mark.parametrize("activation", ["linear", "relu", "softmax", "tanh"])
def test_dense_matches_reference(m, k, n, activation, dtype, threads):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(m, k)).astype(dtype)
    w = rng.normal(size=(k, n)).astype(dtype)
    b = rng.normal(size=n).astype(dtype)
    rtol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ops.matmul(x, w), x @ w, **rtol)
    z, a = ops.dense_forward(x, w, b, activation)
    rz, ra = R.dense_forward(x, w, b, activation)
    np.testing.assert_allclose(z, rz, **rtol)
    np.testing.assert_allclose(a, ra, **rtol)
    np.testing.assert_allclose(ops.dense(x, w, None, activation),
                               R.dense(x, w, None, activation), **rtol)
    dz = rng.normal(size=(m, n)).astype(dtype)
    for got, ref in zip(ops.dense_backward(x, w, dz), R.dense_backward(x, w, dz)):
        np.testing.assert_allclose(got, ref, **rtol)
    dw, db, dx = ops.dense_backward(x, w, dz, need_dx=False)
    assert dx is None


def test_dense_gradient_matches_finite_differences():
    rng = np.random.default_rng(6)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    da = rng.normal(size=(4, 2))
    f = lambda x_, w_, b_: np.sum(ops.dense(x_, w_, b_, "tanh") * da)  # noqa: E731
    z, a = ops.dense_forward(x, w, b, "tanh")
    dz = ops.activation_grad("tanh", z, a, da)
    dw, db, dx = ops.dense_backward(x, w, dz)
    h = 1e-6
    for arr, grad, pos in ((x, dx, 0), (w, dw, 1), (b, db, 2)):
        fd = np.empty_like(arr)
        for idx in np.ndindex(arr.shape):
            args_p = [x.copy(), w.copy(), b.copy()]
            args_m = [x.copy(), w.copy(), b.copy()]
            args_p[pos][idx] += h
            args_m[pos][idx] -= h
            fd[idx] = (f(*args_p) - f(*args_m)) / (2 * h)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n,k,m", [(4, 0, 3), (0, 2, 3), (4, 2, 0), (0, 0, 0), (1, 0, 1)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dense_with_empty_dimensions_against_reference(n, k, m, dt):
    """No features (K = 0): z = bias and the bias gradient is still the column sums of dz
    (it came back as zeros); no rows or no units give empty results, as in reference."""
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    x, w = rng.normal(size=(n, k)).astype(dt), rng.normal(size=(k, m)).astype(dt)
    b, dz = rng.normal(size=m).astype(dt), rng.normal(size=(n, m)).astype(dt)
    for act in ("linear", "relu", "tanh", "softmax"):
        z, a = ops.dense_forward(x, w, b, act)
        assert z.shape == a.shape == (n, m) and a.dtype == dt
        if n and m:
            rz, ra = R.dense_forward(x, w, b, act)
            np.testing.assert_allclose(z, rz, **tol(dt))
            np.testing.assert_allclose(a, ra, **tol(dt))
        np.testing.assert_array_equal(ops.dense(x, w, b, act), a)
    dw, db, dx = ops.dense_backward(x, w, dz)
    rw, rb, rx = R.dense_backward(x, w, dz)
    assert (dw.shape, db.shape, dx.shape) == (rw.shape, rb.shape, rx.shape)
    for got, ref in ((dw, rw), (db, rb), (dx, rx)):
        np.testing.assert_allclose(got, ref, **tol(dt))
    if n and m and k == 0:
        assert np.any(db != 0)


def test_matmul_dense_validation():
    with pytest.raises(ValueError, match=r"b must have 3 rows"):
        ops.matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="a must be 1 or 2-D"):
        ops.matmul(np.ones((2, 2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="x must be 2-D"):
        ops.dense(np.ones(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"kernel must have 3 rows"):
        ops.dense(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        ops.dense(np.ones((2, 3)), np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="unknown activation"):
        ops.dense(np.ones((2, 3)), np.ones((3, 2)), activation="rectifier")
    with pytest.raises(ValueError, match=r"dz must have shape \(2, 2\)"):
        ops.dense_backward(np.ones((2, 3)), np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="need_dx must be a bool"):
        ops.dense_backward(np.ones((2, 3)), np.ones((3, 2)), np.ones((2, 2)), need_dx=None)
    x = np.arange(12.0).reshape(3, 4)
    w = np.arange(8.0).reshape(2, 4).T  # non-contiguous kernel
    np.testing.assert_allclose(ops.matmul(x, w), x @ w)
    np.testing.assert_allclose(ops.matmul(x[:, ::2], w[::2]), x[:, ::2] @ w[::2])


# ------------------------------------------------------------------- properties
finite = st.floats(-1e4, 1e4, allow_nan=False, width=64)
matrices = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1,
                                                     max_side=8), elements=finite)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_softmax_rows_are_distributions(x):
    p = ops.softmax(x)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    ls = ops.log_softmax(x)
    assert np.all(ls <= 1e-12) and np.all(np.isfinite(ls))
    ok = p > 1e-300
    np.testing.assert_allclose(ls[ok], np.log(p[ok]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ops.logsumexp(x, axis=1), np.max(x, axis=1) - np.max(ls, axis=1),
                               rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_elementwise_properties(x):
    s = ops.sigmoid(x)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s + ops.sigmoid(-x), 1.0, atol=1e-15)
    sp = ops.softplus(x)
    assert np.all(sp >= ops.relu(x)) and np.all(np.isfinite(sp))
    assert np.all(np.abs(sp - ops.softplus(-x) - x) <= 1e-12 * (1 + np.abs(x)))
    hs = ops.hard_sigmoid(x)
    assert np.all((hs >= 0) & (hs <= 1))
    assert np.all(np.abs(ops.softsign(x)) < 1)
    assert np.all(np.isfinite(ops.gelu(x))) and np.all(np.isfinite(ops.selu(x)))


@settings(max_examples=30, deadline=None)
@given(matrices, st.data())
def test_cross_entropies_are_nonnegative_and_match_reference(z, data):
    n, k = z.shape
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    per = ops.sparse_categorical_crossentropy(labels, z, from_logits=True)
    assert np.all(per >= 0) and np.all(np.isfinite(per))
    np.testing.assert_allclose(per, R.sparse_categorical_crossentropy(labels, z, True),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(per, ops.categorical_crossentropy(np.eye(k)[labels], z, True),
                               rtol=1e-12, atol=1e-12)
    yb = (z > 0).astype(np.float64)
    bce = ops.binary_crossentropy(yb, z, from_logits=True)
    assert np.all(bce >= 0) and np.all(np.isfinite(bce))


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@settings(max_examples=50, deadline=None)
@given(shapes, shapes)
def test_any_shapes_either_work_or_raise_value_error(sa, sb):
    a = np.ones(sa)
    b = np.ones(sb)
    try:
        c = ops.matmul(a, b)
    except ValueError as exc:
        assert "must" in str(exc)
    else:
        np.testing.assert_allclose(c, np.matmul(a, b))
    try:
        per = ops.mean_squared_error(a, b)
    except ValueError as exc:
        assert "must" in str(exc)
    else:
        np.testing.assert_allclose(per, R.mean_squared_error(a, b))
    try:
        loss, grad = ops.loss_and_grad("sparse_categorical_crossentropy", a, b)
    except ValueError as exc:
        assert "must" in str(exc)
    else:
        assert np.isfinite(loss) and grad.shape == b.shape


# ------------------------------------------- the public ops' one-call fast paths
# fastnn.ops.matmul / relu / ... / add and kernel_ops.dense / matmul take float arrays of
# one dtype straight to one C entry (fastnn._kernels.fast_*); everything else goes the
# general way. Both must give the same bits, the same types and the same errors.
import fastnn  # noqa: E402
from fastnn import _kernels  # noqa: E402
from fastnn.autodiff import GradientTape  # noqa: E402
from fastnn.tensor import Tensor, Variable  # noqa: E402

FAST_ACTS = ("relu", "sigmoid", "tanh", "selu", "softplus", "softsign", "silu",
             "hard_sigmoid")


def _layouts(rng, shape, dtype):
    """The same values C-contiguous, as the transpose of a C-contiguous array, and
    strided (which the fast path leaves to the general one)."""
    a = rng.standard_normal(shape).astype(dtype)
    t = np.ascontiguousarray(a.T).T
    big = np.zeros((shape[0], 2 * shape[1] + 1), dtype)
    big[:, ::2][:, :shape[1]] = a
    return {"c": a, "t": t, "strided": big[:, ::2][:, :shape[1]]}


def _bits(x):
    return np.asarray(x).tobytes(), np.asarray(x).shape, np.asarray(x).dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K, N", [(1, 1, 1), (4, 4, 4), (32, 64, 25), (7, 300, 13),
                                     (130, 257, 70), (0, 3, 2), (3, 0, 2), (3, 2, 0),
                                     (1, 5, 9), (9, 5, 1)])
def test_fast_matmul_gives_the_general_paths_bits(dtype, M, K, N):
    rng = np.random.default_rng(M * 1000 + K * 10 + N)
    A, B = _layouts(rng, (M, K), dtype), _layouts(rng, (K, N), dtype)
    general = fastnn.ops.matmul.__wrapped__          # the autodiff op, unchanged
    want = np.matmul(A["c"].astype(np.float64), B["c"].astype(np.float64))
    for la in A:
        for lb in B:
            got = fastnn.ops.matmul(A[la], B[lb])
            assert type(got) is Tensor
            assert _bits(got) == _bits(general(A[la], B[lb])), (la, lb)
            # kernel_ops.matmul: the fast entry reads transposed operands in place, the
            # general path copies them to C order first; the GEMM sums in the same order
            k = ops.matmul(A[la], B[lb])
            assert type(k) is np.ndarray
            assert _bits(k) == _bits(got), (la, lb)
            u = np.finfo(dtype).eps
            np.testing.assert_allclose(got, want, rtol=0, atol=4 * u * max(K, 1) *
                                       (np.abs(want).max() if want.size else 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FAST_ACTS)
def test_fast_activations_give_the_general_paths_bits(dtype, name):
    rng = np.random.default_rng(1)
    fn = getattr(fastnn.ops, name)
    for shape in [(), (0, 3), (5,), (3, 4), (2, 3, 5)]:
        x = (rng.standard_normal(shape) * 4).astype(dtype)
        for arg in (x, x.view(Tensor), Variable(x) if x.ndim else x):
            got = fn(arg)
            assert type(got) is Tensor and got.dtype == dtype and got.shape == x.shape
            assert _bits(got) == _bits(fn.__wrapped__(arg)), (name, shape)
    x = rng.standard_normal((6, 8)).astype(dtype)[:, ::2]      # strided: general path
    assert _bits(fn(x)) == _bits(fn.__wrapped__(np.ascontiguousarray(x)))
    ints = np.arange(-3, 3)                                       # ints: float32
    assert fn(ints).dtype == np.float32
    assert _bits(fn(ints)) == _bits(fn(ints.astype(np.float32)))
    assert fastnn.ops.swish is fastnn.ops.silu


@pytest.mark.parametrize("name, ufunc", [("add", np.add), ("subtract", np.subtract),
                                         ("multiply", np.multiply)])
def test_fast_arithmetic_is_the_ufunc(name, ufunc):
    rng = np.random.default_rng(2)
    fn = getattr(fastnn.ops, name)
    for a, b in [(rng.standard_normal((3, 4)).astype(np.float32),
                  rng.standard_normal(4).astype(np.float32)),
                 (np.float64(2.5) * np.ones(()), np.ones(())),
                 (np.arange(6).reshape(2, 3), np.arange(3))]:
        for x1, x2 in [(a, b), (a.view(Tensor), b), (a, b.view(Tensor))]:
            got = fn(x1, x2)
            assert type(got) is Tensor
            assert _bits(got) == _bits(ufunc(a, b))
            assert _bits(got) == _bits(fn.__wrapped__(x1, x2))
    # mixed dtypes keep Keras' promotion (the general path)
    i, f = np.arange(3, dtype=np.int64), np.ones(3, np.float32)
    assert fn(i, f).dtype == fn.__wrapped__(i, f).dtype == np.float32
    with pytest.raises(ValueError):
        fn(np.ones((2, 3), np.float32), np.ones((4,), np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "softmax", "tanh"])
def test_fast_dense_gives_the_general_paths_bits(dtype, act):
    rng = np.random.default_rng(3)
    for M, K, N in [(32, 64, 25), (1, 3, 1), (130, 200, 70), (0, 4, 3), (4, 0, 3), (4, 3, 0)]:
        x = rng.standard_normal((M, K)).astype(dtype)
        w = rng.standard_normal((K, N)).astype(dtype)
        b = rng.standard_normal(N).astype(dtype)
        for bias in (b, None):
            got = ops.dense(x, w, bias, act)
            assert type(got) is np.ndarray and got.dtype == dtype and got.shape == (M, N)
            # an activation given as a function, not a name, takes the general path
            slow = ops.dense(x, w, bias, getattr(ops, act))
            assert _bits(got) == _bits(slow)
            assert _bits(got) == _bits(fastnn.ops.dense(x.view(Tensor), w, bias, act))
            z, a = ops.dense_forward(x, w, bias, act)
            assert _bits(got) == _bits(a)


def test_fast_entries_decline_what_they_do_not_take():
    f32 = np.ones((2, 3), np.float32)
    g32 = np.ones((3, 2), np.float32)
    assert _kernels.fast_matmul(f32, g32, Tensor) is not None
    for a, b in [(f32, g32.astype(np.float64)), (f32.astype(np.int32), g32),
                 (f32, np.ones((4, 2), np.float32)), (f32[None], g32),
                 (f32[:, ::2], np.ones((2, 2), np.float32)), ([[1.0]], [[2.0]]),
                 (f32.astype(np.float16), g32.astype(np.float16)), (f32, None)]:
        assert _kernels.fast_matmul(a, b, Tensor) is None
    assert _kernels.fast_act(0, 0.0, f32, Tensor) is not None
    for x in (f32[:, ::2], f32.astype(np.int64), [1.0, 2.0], f32.astype(">f4"), None):
        assert _kernels.fast_act(0, 0.0, x, Tensor) is None
    b2 = np.ones(2, np.float32)
    assert _kernels.fast_dense(f32, g32, b2, 0, 0.0, np.ndarray) is not None
    for x, w, b in [(f32, g32, np.ones(3, np.float32)), (f32, g32, b2.astype(np.float64)),
                    (f32, g32.T, None), (f32, np.ones((4, 2), np.float32), None),
                    (f32.T, f32, None), (f32, g32, np.ones((1, 2), np.float32))]:
        assert _kernels.fast_dense(x, w, b, 0, 0.0, np.ndarray) is None
    with pytest.raises(ValueError, match="act"):
        _kernels.fast_act(10 ** 6, 0.0, f32, Tensor)
    with pytest.raises(ValueError, match="act"):
        _kernels.fast_dense(f32, g32, None, -1, 0.0, np.ndarray)


def test_fast_paths_keep_the_errors_that_name_the_argument():
    f32 = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="x2"):
        fastnn.ops.matmul(f32, f32)
    with pytest.raises(ValueError, match="b must have 3 rows"):
        ops.matmul(f32, f32)
    with pytest.raises(ValueError, match="kernel must have 3 rows"):
        ops.dense(f32, f32, None, "relu")
    with pytest.raises(ValueError, match="bias must have shape"):
        ops.dense(f32, f32.T, np.ones(3, np.float32), "relu")
    with pytest.raises(ValueError, match="activation"):
        ops.dense(f32, f32.T, None, "no_such_activation")
    with pytest.raises(TypeError, match="x"):
        ops.dense("abc", f32.T)


def test_fast_paths_still_record_on_a_tape_and_build_graphs():
    x = np.arange(6, dtype=np.float32).reshape(2, 3).view(Tensor)
    w = np.ones((3, 2), np.float32).view(Tensor)
    with GradientTape() as tape:
        tape.watch([x, w])
        y = fastnn.ops.add(fastnn.ops.relu(fastnn.ops.matmul(x, w)), x[:, :2])
    gx, gw = tape.gradient(y, [x, w])
    np.testing.assert_array_equal(gx, [[3, 3, 2], [3, 3, 2]])
    np.testing.assert_array_equal(gw, np.repeat(x.sum(0)[:, None], 2, 1))
    # after the tape, the fast path again (and the same values)
    np.testing.assert_array_equal(fastnn.ops.matmul(x, w), np.asarray(x) @ np.asarray(w))
    inp = fastnn.keras.Input((3,))
    out = fastnn.ops.relu(fastnn.ops.matmul(inp, np.ones((3, 2), np.float32)))
    assert type(out).__name__ == "KerasTensor" and out.shape == (None, 2)
    model = fastnn.keras.Model(inp, out)
    np.testing.assert_array_equal(model(np.asarray(x)), np.maximum(np.asarray(x) @ w, 0))


def test_op_on_keras_tensors_knows_which_dimensions_are_unknown():
    # Keras' compute_output_spec: an unknown dimension anywhere stays unknown, and a
    # reduced batch axis has its real size (fastnn probes the op with the unknown
    # dimensions 2, then 3)
    x = fastnn.KerasTensor((None, 3, None))
    assert fastnn.ops.relu(x).shape == (None, 3, None)
    assert fastnn.ops.cast(fastnn.KerasTensor((3, 5, None)), "float64").shape == (3, 5, None)
    x = fastnn.KerasTensor((None, 3, 4))
    assert fastnn.ops.moments(x, axes=[0])[1].shape == (3, 4)
    assert fastnn.ops.logsumexp(x, keepdims=True).shape == (1, 1, 1)
    assert fastnn.ops.sum(x, axis=(0, 1)).shape == (4,)
    # a reshape that only the first probe allows keeps the first dimension unknown
    assert fastnn.ops.reshape(fastnn.KerasTensor((None, 2)), (-1, 4)).shape == (None, 4)
    for name in ("Layer", "Loss", "Metric", "Optimizer", "Initializer", "Regularizer"):
        assert isinstance(getattr(fastnn, name), type)


def test_normalize_follows_keras():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    # L2: x * rsqrt(max(sum(x**2), eps**2)); the zero row stays zero
    np.testing.assert_allclose(fastnn.ops.normalize(x), [[0.6, 0.8], [0, 0]], rtol=1e-6)
    # any int order >= 1 (a vector norm over one axis), epsilon the lower bound
    np.testing.assert_allclose(fastnn.ops.normalize(x, order=3),
                               x / np.maximum(np.cbrt(np.sum(x ** 3, -1, keepdims=True)),
                                              1e-7), rtol=1e-6)
    np.testing.assert_allclose(fastnn.ops.normalize(x, order=1, epsilon=100.0), x / 100.0)
    # order 1 over all the axes of a matrix is numpy's matrix 1-norm (max column sum)
    np.testing.assert_allclose(fastnn.ops.normalize(x, axis=None, order=1), x / 4.0)
    assert fastnn.ops.normalize(np.float32(2.0)).shape == (1,)
    for bad in (np.inf, 2.5, 0, True, "2"):
        with pytest.raises(ValueError, match="Argument `order` must be an int >= 1"):
            fastnn.ops.normalize(x, order=bad)
    with pytest.raises(ValueError, match="matrix norm, of order 1 or 2 only"):
        fastnn.ops.normalize(x, axis=None, order=3)
    with pytest.raises(ValueError, match=r"normalize: axis 2 is out of bounds"):
        fastnn.ops.normalize(x, axis=2)
    # the default epsilon is fastnn.backend.epsilon(), read at the call
    old = fastnn.backend.epsilon()
    try:
        fastnn.backend.set_epsilon(10.0)
        np.testing.assert_allclose(fastnn.ops.normalize(x), x / 10.0, rtol=1e-6)
    finally:
        fastnn.backend.set_epsilon(old)


def test_softmax_over_an_axis_of_size_one_warns_as_keras():
    with pytest.warns(UserWarning, match=r"softmax over axis 1 of a tensor of shape \(2, 1\)"):
        fastnn.ops.softmax(np.ones((2, 1)), axis=1)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastnn.ops.softmax(np.ones((2, 1)), axis=0)
        fastnn.ops.softmax(np.ones((2, 1)), axis=(0, 1))


def test_spec_functions_read_a_keras_tensor_without_making_a_node():
    # Keras: ops.shape / ops.dtype of a KerasTensor are its shape and dtype, is_tensor is
    # False for it (not a backend tensor), convert_to_numpy refuses it (no values)
    x = fastnn.KerasTensor((None, 3, None), dtype="float64")
    assert fastnn.ops.shape(x) == (None, 3, None)
    assert fastnn.ops.dtype(x) == "float64"
    assert fastnn.ops.is_tensor(x) is False
    with pytest.raises(ValueError, match="convert_to_numpy: x is a symbolic KerasTensor"):
        fastnn.ops.convert_to_numpy(x)
    assert fastnn.ops.shape(np.ones((2, 3))) == (2, 3)
    assert fastnn.ops.dtype(np.ones(2, np.int32)) == "int32"
