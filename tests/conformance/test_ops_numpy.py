"""Keras 3's own tests of keras.ops' NumPy functions, ported to fastnn.autodiff.ops.

Each test names its source: keras/src/ops/numpy_test.py, class and test name. Ported are
the assertions on the functions themselves (`knp.add(x, y)`); the operation-class form
(`knp.Add()(x, y)`), symbolic KerasTensors, sparse tensors and backend-specific cases
are Keras internals fastnn does not have. Keras' assertAllClose defaults are rtol = atol
= 1e-6; they are kept.
"""
import numpy as np
import pytest

from fastnn.autodiff import ops as knp
from fastnn.tensor import Tensor

SRC = "keras/src/ops/numpy_test.py"


def assert_all_close(a, b, rtol=1e-6, atol=1e-6):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_all_close(x, y, rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, np.float64),
                               rtol=rtol, atol=atol)
    assert np.shape(a) == np.shape(b)


X23 = np.array([[1, 2, 3], [3, 2, 1]])
Y23 = np.array([[4, 5, 6], [3, 2, 1]])
Z123 = np.array([[[1, 2, 3], [3, 2, 1]]])


# ------------------------------------------------- NumpyTwoInputOpsCorrectnessTest
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "power", "divide",
                                  "true_divide"])
def test_two_input_broadcasting(name):
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_add, test_subtract,
    # test_multiply, test_power, test_divide, test_true_divide
    f, g = getattr(knp, name), getattr(np, name)
    assert_all_close(f(X23, Y23), g(X23, Y23))
    assert_all_close(f(X23, Z123), g(X23, Z123))


def test_hypot():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_hypot
    x = np.array([[1, 2, 3], [3, 2, 1]])
    y = np.array([[4, 5, 6], [6, 5, 4]])
    assert_all_close(knp.hypot(x, y), np.hypot(x, y))
    assert_all_close(knp.hypot(x, np.array(4)), np.hypot(x, np.array(4)))
    x = np.array([np.nan, np.inf, np.nan, -0.0], dtype=np.float32)
    y = np.array([1.0, -np.inf, np.inf, 0.0], dtype=np.float32)
    assert_all_close(knp.hypot(x, y), np.hypot(x, y))


def test_matmul():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_matmul
    x, y = np.ones([2, 3, 4, 5]), np.ones([2, 3, 5, 6])
    z, p = np.ones([5, 6]), np.ones([4])
    assert_all_close(knp.matmul(x, y), np.matmul(x, y))
    assert_all_close(knp.matmul(x, z), np.matmul(x, z))
    assert_all_close(knp.matmul(p, x), np.matmul(p, x))


def test_arctan2():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_arctan2
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    y = np.array([[4.0, 5.0, 6.0], [3.0, 2.0, 1.0]])
    assert_all_close(knp.arctan2(x, y), np.arctan2(x, y))
    a = np.array([0.0, 0.0, 0.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    b = np.array([0.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.0, 0.0])
    assert_all_close(knp.arctan2(a, b), np.arctan2(a, b))
    m = np.array([[3, 4], [7, 8]], dtype=np.int8)
    n = np.array([[1, 2], [3, 4]], dtype=float)
    assert_all_close(knp.arctan2(m, n), np.arctan2(m, n))
    x = np.array([1.0, 2.0, np.nan])
    y = np.array([3.0, np.nan, 4.0])
    assert_all_close(knp.arctan2(x, y), np.arctan2(x, y))


def test_full_like():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_full_like
    assert_all_close(knp.full_like(X23, 2), np.full_like(X23, 2))
    assert_all_close(knp.full_like(X23, 2, dtype="float32"),
                     np.full_like(X23, 2, dtype="float32"))
    assert_all_close(knp.full_like(X23, np.ones([2, 3])), np.full_like(X23, np.ones([2, 3])))


@pytest.mark.parametrize("name", ["greater", "greater_equal", "less", "less_equal"])
def test_comparisons(name):
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_greater,
    # test_greater_equal, test_less, test_less_equal
    f, g = getattr(knp, name), getattr(np, name)
    assert_all_close(f(X23, Y23), g(X23, Y23))
    assert_all_close(f(X23, 2), g(X23, 2))
    assert_all_close(f(2, X23), g(2, X23))


def test_allclose():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_allclose
    x, y = np.array([1], dtype="int32"), np.array([2], dtype="int32")
    assert_all_close(knp.allclose(x, y, rtol=0.1, atol=1e-8), False)
    x, y = np.array([1.0], dtype="float32"), np.array([1.0000001], dtype="float32")
    assert_all_close(knp.allclose(x, y, rtol=0.1, atol=1e-8), True)
    x_nan = np.array([np.nan, 1.0])
    y_nan = np.array([np.nan, 1.0])
    assert_all_close(knp.allclose(x_nan, y_nan), False)
    assert_all_close(knp.allclose(x_nan, y_nan, equal_nan=True), True)


def test_isclose():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_isclose
    assert_all_close(knp.isclose(X23, Y23), np.isclose(X23, Y23))
    assert_all_close(knp.isclose(X23, 2), np.isclose(X23, 2))
    assert_all_close(knp.isclose(2, X23), np.isclose(2, X23))
    sx = np.array([np.nan, np.inf, -np.inf, 0.0, np.inf, np.inf, -np.inf], dtype="float32")
    sy = np.array([np.nan, np.inf, -np.inf, np.inf, 0.0, -np.inf, np.inf], dtype="float32")
    assert_all_close(knp.isclose(sx, sy), np.isclose(sx, sy))


def test_linspace():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_linspace
    assert_all_close(knp.linspace(0, 10, 5), np.linspace(0, 10, 5))
    assert_all_close(knp.linspace(0, 10, 5, endpoint=False),
                     np.linspace(0, 10, 5, endpoint=False))
    start, stop = np.zeros([2, 3, 4]), np.ones([2, 3, 4])
    assert_all_close(knp.linspace(start, stop, 5, retstep=True)[0],
                     np.linspace(start, stop, 5, retstep=True)[0])
    assert_all_close(knp.linspace(start, stop, 5, endpoint=False, retstep=True)[0],
                     np.linspace(start, stop, 5, endpoint=False, retstep=True)[0])
    assert_all_close(
        knp.linspace(start, stop, 5, endpoint=False, retstep=True, dtype="int32")[0],
        np.linspace(start, stop, 5, endpoint=False, retstep=True, dtype="int32")[0])
    assert_all_close(knp.linspace(0, 10, knp.convert_to_tensor(5)), np.linspace(0, 10, 5))
    assert_all_close(knp.linspace(0, 10, knp.convert_to_tensor(5), endpoint=False),
                     np.linspace(0, 10, 5, endpoint=False))


@pytest.mark.parametrize("name", ["logical_and", "logical_or"])
def test_logical_binary(name):
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_logical_and,
    # test_logical_or
    x = np.array([[True, False], [True, True]])
    y = np.array([[False, False], [True, False]])
    f, g = getattr(knp, name), getattr(np, name)
    assert_all_close(f(x, y), g(x, y))
    assert_all_close(f(x, True), g(x, True))
    assert_all_close(f(True, x), g(True, x))


@pytest.mark.parametrize("name", ["maximum", "minimum", "mod", "not_equal"])
def test_binary_with_scalars(name):
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_maximum,
    # test_minimum, test_mod, test_not_equal
    x = np.array([[1, 2], [3, 4]])
    y = np.array([[5, 6], [7, 8]])
    f, g = getattr(knp, name), getattr(np, name)
    assert_all_close(f(x, y), g(x, y))
    assert_all_close(f(x, 1), g(x, 1))
    assert_all_close(f(1, x), g(1, x))


def test_outer():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_outer
    x, y = np.array([1, 2, 3]), np.array([4, 5, 6])
    assert_all_close(knp.outer(x, y), np.outer(x, y))
    x, y = np.ones([2, 3, 4]), np.ones([2, 3, 4, 5, 6])
    assert_all_close(knp.outer(x, y), np.outer(x, y))


def test_take():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_take
    x = np.arange(24).reshape([1, 2, 3, 4])
    indices = np.array([0, 1])
    assert_all_close(knp.take(x, indices), np.take(x, indices))
    assert_all_close(knp.take(x, 0), np.take(x, 0))
    assert_all_close(knp.take(x, 0, axis=1), np.take(x, 0, axis=1))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5))
    indices = rng.integers(0, 4, (6, 7))
    assert_all_close(knp.take(x, indices, axis=2), np.take(x, indices, axis=2))
    assert_all_close(knp.take(x, indices, axis=-2), np.take(x, indices, axis=-2))
    x = np.array(([1, 2], [3, 4]))
    indices = np.array([2, 3])
    assert_all_close(knp.take(x, indices, axis=None), np.take(x, indices, axis=None))
    x = rng.standard_normal((2, 3, 4, 5))
    indices = rng.integers(-3, 0, (6, 7))
    assert_all_close(knp.take(x, indices, axis=2), np.take(x, indices, axis=2))


def test_take_along_axis():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_take_along_axis
    x = np.arange(24).reshape([1, 2, 3, 4])
    indices = np.ones([1, 4, 1, 1], dtype=np.int32)
    assert_all_close(knp.take_along_axis(x, indices, axis=1),
                     np.take_along_axis(x, indices, axis=1))
    x = np.arange(12).reshape([1, 1, 3, 4])
    assert_all_close(knp.take_along_axis(x, indices, axis=2),
                     np.take_along_axis(x, indices, axis=2))
    indices = np.array([1, 2, 3], dtype=np.int32)
    assert_all_close(knp.take_along_axis(x, indices, axis=None),
                     np.take_along_axis(x, indices, axis=None))
    indices = np.full([1, 4, 1, 1], -1, dtype=np.int32)
    assert_all_close(knp.take_along_axis(x, indices, axis=2),
                     np.take_along_axis(x, indices, axis=2))


def test_tensordot():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_tensordot
    x = np.arange(24).reshape([1, 2, 3, 4]).astype("float32")
    y = np.arange(24).reshape([3, 4, 1, 2]).astype("float32")
    assert_all_close(knp.tensordot(x, y, axes=2), np.tensordot(x, y, axes=2))
    assert_all_close(knp.tensordot(x, y, axes=([0, 1], [2, 3])),
                     np.tensordot(x, y, axes=([0, 1], [2, 3])))
    assert_all_close(knp.tensordot(x, y, axes=[0, 2]), np.tensordot(x, y, axes=[0, 2]))


def test_inner():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_inner
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    assert_all_close(knp.inner(x, y), np.inner(x, y))
    x, y = np.arange(12.0).reshape(3, 4), np.arange(20.0).reshape(5, 4)
    assert_all_close(knp.inner(x, y), np.inner(x, y))
    assert knp.inner(x, y).shape == (3, 5)


def test_where():
    # keras/src/ops/numpy_test.py::NumpyTwoInputOpsCorrectnessTest::test_where
    x, y = np.array([1, 2, 3]), np.array([4, 5, 6])
    assert_all_close(knp.where(x > 1, x, y), np.where(x > 1, x, y))
    assert_all_close(knp.where(x > 1), np.where(x > 1))
    with pytest.raises(ValueError, match="x1 and x2 must be given together"):
        knp.where(x > 1, x, None)


# ------------------------------------------------- NumpyOneInputOpsCorrectnessTest
@pytest.mark.parametrize("name", ["mean", "var", "sum", "amax", "amin", "prod"])
def test_reductions(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_mean, test_var,
    # test_sum, test_amax, test_amin, test_prod
    f, g = getattr(knp, name), getattr(np, name)
    assert_all_close(f(X23), g(X23))
    assert_all_close(f(X23, axis=()), g(X23, axis=()))
    assert_all_close(f(X23, axis=1), g(X23, axis=1))
    assert_all_close(f(X23, axis=(1,)), g(X23, axis=(1,)))
    assert_all_close(f(X23, axis=1, keepdims=True), g(X23, axis=1, keepdims=True))


def test_mean_float16_overflow():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_mean (overflow)
    x = np.array([65504, 65504, 65504], dtype="float16")
    assert_all_close(knp.mean(x), np.mean(x))


def test_prod_multi_axis():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_prod (multi-axis)
    x = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    for axes in ((0, 1), (0, 2), (1, 2)):
        assert_all_close(knp.prod(x, axis=axes), np.prod(x, axis=axes))


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_all, test_any
    f, g = getattr(knp, name), getattr(np, name)
    x = np.array([[True, False, True], [True, True, True]])
    assert_all_close(f(x), g(x))
    assert_all_close(f(x, axis=()), g(x, axis=()))
    assert_all_close(f(x, axis=1), g(x, axis=1))
    assert_all_close(f(x, axis=(1,)), g(x, axis=(1,)))
    assert_all_close(f(x, axis=1, keepdims=True), g(x, axis=1, keepdims=True))
    x = np.array([[[True, True], [True, False]], [[True, True], [True, True]]])
    for axes in ((0, 1), (0, 2), (1, 2)):
        assert_all_close(f(x, axis=axes), g(x, axis=axes))


@pytest.mark.parametrize("name", ["square", "negative", "abs", "absolute", "ravel", "copy",
                                  "cos", "cosh", "exp", "exp2", "expm1", "log", "log10",
                                  "log1p", "log2", "ones_like", "flip"])
def test_elementwise_on_ints(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_square,
    # test_negative, test_abs, test_absolute, test_ravel, test_copy, test_cos, test_cosh,
    # test_exp, test_exp2, test_expm1, test_log, test_log10, test_log1p, test_log2,
    # test_ones_like, test_flip (first assertion)
    assert_all_close(getattr(knp, name)(X23), getattr(np, name)(X23))


@pytest.mark.parametrize("name", ["sign", "sin", "sinh", "tan", "tanh"])
def test_elementwise_signed(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_sign, test_sin,
    # test_sinh, test_tan, test_tanh
    x = np.array([[1, -2, 3], [-3, 2, -1]])
    assert_all_close(getattr(knp, name)(x), getattr(np, name)(x))


@pytest.mark.parametrize("name", ["arccos", "arccosh", "arcsin", "arcsinh", "arctan",
                                  "arctanh"])
def test_inverse_trigonometric(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_arccos,
    # test_arccosh, test_arcsin, test_arcsinh, test_arctan, test_arctanh
    x = np.array([[1, 0.5, -0.7], [0.9, 0.2, -1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_all_close(getattr(knp, name)(x), getattr(np, name)(x))


def test_squeeze():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_squeeze
    x = np.ones([1, 3, 1, 5])
    assert_all_close(knp.squeeze(x), np.squeeze(x))
    assert_all_close(knp.squeeze(x, axis=0), np.squeeze(x, axis=0))
    x = np.ones([2, 1, 1, 1])
    for axes in ((1, 2), (-1, -2), (1, 2, 3), (-1, 1)):
        assert_all_close(knp.squeeze(x, axes), np.squeeze(x, axes))


def test_transpose():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_transpose
    x = np.ones([1, 2, 3, 4, 5])
    assert_all_close(knp.transpose(x), np.transpose(x))
    assert_all_close(knp.transpose(x, axes=(1, 0, 3, 2, 4)),
                     np.transpose(x, axes=(1, 0, 3, 2, 4)))
    assert_all_close(knp.transpose(x, axes=(-4, -5, -2, -3, -1)),
                     np.transpose(x, axes=(-4, -5, -2, -3, -1)))


def test_transpose_rejects_invalid_axes():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::
    # test_transpose_rejects_invalid_axes (eager inputs; fastnn's own messages)
    x = np.zeros((2, 3, 4))
    for axes in ([0, 0, 0], [0, 1, 5], [0, 1]):
        with pytest.raises(ValueError, match="transpose: axes"):
            knp.transpose(x, axes=axes)


def test_argmax_argmin():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_argmax, test_argmin
    x = np.array([[1, 2, 3], [3, 2, 1], [4, 5, 6]])
    assert_all_close(knp.argmax(x), np.argmax(x))
    assert_all_close(knp.argmax(x, axis=1), np.argmax(x, axis=1))
    assert_all_close(knp.argmax(x, axis=1, keepdims=True), np.argmax(x, axis=1, keepdims=True))
    assert_all_close(knp.argmax(x, keepdims=True), np.argmax(x, keepdims=True))
    x = np.array([[1, 2, 3], [3, 2, 1]])
    assert_all_close(knp.argmin(x), np.argmin(x))
    assert_all_close(knp.argmin(x, axis=1), np.argmin(x, axis=1))
    assert_all_close(knp.argmin(x, keepdims=True), np.argmin(x, keepdims=True))


def test_argsort():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_argsort
    x = np.array([[1, 2, 3], [4, 5, 6]])
    assert_all_close(knp.argsort(x), np.argsort(x))
    assert_all_close(knp.argsort(x, axis=1), np.argsort(x, axis=1))
    assert_all_close(knp.argsort(x, axis=None), np.argsort(x, axis=None))
    x = np.array(1)
    assert_all_close(knp.argsort(x), np.argsort(x))


def test_array():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_array
    assert_all_close(knp.array(X23), np.array(X23))
    assert isinstance(knp.array(X23), Tensor)
    x = [[1, 0, 1], [1, 1, 0]]
    for dt in ("int32", "float32", "bool"):
        assert knp.array(x, dtype=dt).dtype == np.dtype(dt)


def test_broadcast_to():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_broadcast_to
    assert_all_close(knp.broadcast_to(X23, [2, 2, 3]), np.broadcast_to(X23, [2, 2, 3]))


def test_ceil_floor():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_ceil, test_floor
    x = np.array([[1.2, 2.1, -2.5], [2.4, -11.9, -5.5]])
    assert_all_close(knp.ceil(x), np.ceil(x))
    x = np.array([[1.1, 2.2, -3.3], [3.3, 2.2, -1.1]])
    assert_all_close(knp.floor(x), np.floor(x))


def test_clip():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_clip
    x = np.array([[1.2, 2.1, 0.5], [2.4, 11.9, 0.5]])
    assert_all_close(knp.clip(x, 1, 2), np.clip(x, 1, 2))


def test_concatenate():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_concatenate
    x, y = X23, np.array([[4, 5, 6], [6, 5, 4]])
    z = np.array([[7, 8, 9], [9, 8, 7]])
    assert_all_close(knp.concatenate([x, y], axis=0), np.concatenate([x, y], axis=0))
    assert_all_close(knp.concatenate([x, y, z], axis=0), np.concatenate([x, y, z], axis=0))
    assert_all_close(knp.concatenate([x, y], axis=1), np.concatenate([x, y], axis=1))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", [None, "int32", "float32"])
def test_cumsum(axis, dtype):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_cumsum
    assert_all_close(knp.cumsum(X23, axis=axis, dtype=dtype),
                     np.cumsum(X23, axis=axis, dtype=dtype or X23.dtype))


def test_diagonal():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_diagonal
    x = X23
    assert_all_close(knp.diagonal(x), np.diagonal(x))
    assert_all_close(knp.diagonal(x, offset=1), np.diagonal(x, offset=1))
    assert_all_close(knp.diagonal(x, offset=-1), np.diagonal(x, offset=-1))
    x = np.ones([2, 3, 4, 5])
    assert_all_close(knp.diagonal(x), np.diagonal(x))
    assert_all_close(knp.diagonal(x, offset=1, axis1=2, axis2=3),
                     np.diagonal(x, offset=1, axis1=2, axis2=3))
    assert_all_close(knp.diagonal(x, offset=-1, axis1=2, axis2=3),
                     np.diagonal(x, offset=-1, axis1=2, axis2=3))
    with pytest.raises(ValueError):
        knp.diagonal(x, axis1=0, axis2=0)
    with pytest.raises(ValueError):
        knp.diagonal(x, axis1=-1, axis2=3)


def test_dot():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_dot
    x = np.arange(24).reshape([2, 3, 4]).astype("float32")
    y = np.arange(12).reshape([4, 3]).astype("float32")
    z = np.arange(4).astype("float32")
    assert_all_close(knp.dot(x, y), np.dot(x, y))
    assert_all_close(knp.dot(x, z), np.dot(x, z))
    assert_all_close(knp.dot(x, 2), np.dot(x, 2))
    x_hr = np.ones((2, 3, 4), dtype="float32")
    y_hr = np.ones((2, 4, 5), dtype="float32")
    assert_all_close(knp.dot(x_hr, y_hr), np.dot(x_hr, y_hr))
    x_1d = np.ones((4,), dtype="float32")
    assert_all_close(knp.dot(x_1d, y_hr), np.dot(x_1d, y_hr))


def test_expand_dims():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_expand_dims
    x = np.ones([2, 3, 4])
    for axis in (0, 1, -2, (1, 2), (-1, -2), (-1, 1)):
        assert_all_close(knp.expand_dims(x, axis), np.expand_dims(x, axis))


def test_flip():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_flip
    assert_all_close(knp.flip(X23), np.flip(X23))
    assert_all_close(knp.flip(X23, 0), np.flip(X23, 0))
    assert_all_close(knp.flip(X23, 1), np.flip(X23, 1))
    assert_all_close(knp.flip(X23, axis=[0, 1]), np.flip(X23, axis=(0, 1)))
    assert_all_close(knp.flip(X23, axis=(0, 1)), np.flip(X23, axis=(0, 1)))


@pytest.mark.parametrize("name", ["isfinite", "isinf", "isnan"])
def test_float_classes(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_isfinite,
    # test_isinf, test_isnan
    x = np.array([[1, 2, np.inf], [np.nan, np.nan, np.nan]])
    assert_all_close(getattr(knp, name)(x), getattr(np, name)(x))


def test_logaddexp():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_logaddexp
    assert_all_close(knp.logaddexp(X23, X23), np.logaddexp(X23, X23))


def test_logical_not():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_logical_not
    x = np.array([[True, False], [False, True]])
    assert_all_close(knp.logical_not(x), np.logical_not(x))


def test_max():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_max
    assert_all_close(knp.max(X23), np.max(X23))
    assert_all_close(knp.max(X23, 0), np.max(X23, 0))
    assert_all_close(knp.max(X23, 1), np.max(X23, 1))
    assert_all_close(knp.max(X23, initial=4), 4)
    x = np.array([[]])
    assert_all_close(knp.max(x, initial=1), np.max(x, initial=1))
    assert_all_close(knp.max(x, initial=1, keepdims=True), np.max(x, initial=1, keepdims=True))


def test_min():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_min
    assert_all_close(knp.min(X23), np.min(X23))
    assert_all_close(knp.min(X23, axis=(0, 1)), np.min(X23, (0, 1)))
    assert_all_close(knp.min(X23, axis=()), np.min(X23, axis=()))
    assert_all_close(knp.min(X23, 0), np.min(X23, 0))
    assert_all_close(knp.min(X23, 1), np.min(X23, 1))
    assert_all_close(knp.min(X23, initial=0), 0)
    x = np.array([[]])
    assert_all_close(knp.min(x, initial=1), np.min(x, initial=1))
    assert_all_close(knp.min(x, initial=1, keepdims=True), np.min(x, initial=1, keepdims=True))


def test_moveaxis():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_moveaxis
    x = np.array([[[0, 1], [2, 3]], [[4, 5], [6, 7]]])
    for src, dst in ((0, -1), (-1, 0), ((0, 1), (1, 0)), ([0, 1, 2], [2, 0, 1])):
        assert_all_close(knp.moveaxis(x, src, dst), np.moveaxis(x, src, dst))


def test_ndim_size():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_ndim, test_size
    x = np.array([1, 2, 3])
    assert knp.ndim(x) == np.ndim(x)
    assert_all_close(knp.size(X23), np.size(X23))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int8",
                                   "int16", "int32"])
@pytest.mark.parametrize("constant_values", [None, 0, 2])
def test_pad(dtype, constant_values):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_pad
    # (mode="constant"; fastnn pads with constants only)
    kwargs = {"constant_values": constant_values or 0}
    x = (np.arange(6).reshape([2, 3]) % 5).astype(dtype)
    pw = ((1, 1), (2, 2))
    assert_all_close(knp.pad(x, pw, mode="constant", constant_values=constant_values),
                     np.pad(x, pw, mode="constant", **kwargs))
    x = np.ones([2, 3, 4, 5, 6], dtype=dtype)
    for pw in (((0, 0), (0, 0), (2, 3), (1, 1), (1, 1)),
               ((1, 1), (2, 1), (3, 2), (4, 3), (5, 4))):
        assert_all_close(knp.pad(x, pw, mode="constant", constant_values=constant_values),
                         np.pad(x, pw, mode="constant", **kwargs))


def test_reciprocal():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_reciprocal
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    assert_all_close(knp.reciprocal(x), np.reciprocal(x))


def test_repeat():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_repeat
    x = np.array([[1, 2], [3, 4]])
    assert_all_close(knp.repeat(x, 2), np.repeat(x, 2))
    assert_all_close(knp.repeat(x, np.array([2])), np.repeat(x, np.array([2])))
    assert_all_close(knp.repeat(x, 3, axis=1), np.repeat(x, 3, axis=1))
    assert_all_close(knp.repeat(x, np.array([1, 2]), axis=-1),
                     np.repeat(x, np.array([1, 2]), axis=-1))


def test_reshape():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_reshape
    assert_all_close(knp.reshape(X23, [3, 2]), np.reshape(X23, [3, 2]))
    assert_all_close(knp.reshape(X23, -1), np.reshape(X23, -1))


def test_reshape_rejects_invalid_newshape():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::
    # test_reshape_rejects_invalid_newshape
    x = np.zeros(20, dtype="float32")
    with pytest.raises(ValueError, match=r"non-negative integer.*-1.*newshape=\(-2, 5\)"):
        knp.reshape(x, (-2, 5))
    with pytest.raises(ValueError,
                       match=r"at most one unknown dimension.*newshape=\(-1, -1, 5\)"):
        knp.reshape(x, (-1, -1, 5))


def test_round():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_round
    x = np.array([[1.1, 2.5, 3.9], [3.2, 2.3, 1.8]])
    assert_all_close(knp.round(x), np.round(x))
    assert_all_close(knp.round(x, decimals=1), np.round(x, decimals=1))
    x = np.array([[1, 2, 3], [3, 2, 1]], dtype="int32")
    assert_all_close(knp.round(x, decimals=1), np.round(x, decimals=1))
    x = np.array([[123, 234, 345], [345, 234, 123]], dtype="int32")
    assert_all_close(knp.round(x, decimals=-1), np.round(x, decimals=-1))


def test_sort():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_sort
    assert_all_close(knp.sort(X23), np.sort(X23))
    assert_all_close(knp.sort(X23, axis=0), np.sort(X23, axis=0))
    assert_all_close(knp.sort(X23, axis=None), np.sort(X23, axis=None))


def test_split():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_split
    assert isinstance(knp.split(X23, 2), list)
    assert_all_close(knp.split(X23, 2), np.split(X23, 2))
    assert_all_close(knp.split(X23, [1, 2], axis=1), np.split(X23, [1, 2], axis=1))
    with pytest.raises(ValueError):
        knp.split(X23, 3)
    assert len(knp.split(np.ones(shape=(0,)), 2)) == 2
    x = knp.array([[1, 2, 3], [3, 2, 1]])
    assert_all_close(knp.split(x, knp.array([1, 2]), axis=1),
                     np.split(X23, np.array([1, 2]), axis=1))


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_sqrt(dtype):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_sqrt,
    # test_sqrt_int32
    x = np.array([[1, 4, 9], [16, 25, 36]], dtype=dtype)
    y = knp.sqrt(x)
    assert y.dtype == np.float32
    assert_all_close(y, np.sqrt(x))


def test_stack():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_stack
    y = np.array([[4, 5, 6], [6, 5, 4]])
    assert_all_close(knp.stack([X23, y]), np.stack([X23, y]))
    assert_all_close(knp.stack([X23, y], axis=1), np.stack([X23, y], axis=1))


def test_std():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_std
    assert_all_close(knp.std(X23), np.std(X23))
    assert_all_close(knp.std(X23, axis=1), np.std(X23, axis=1))
    assert_all_close(knp.std(X23, axis=1, keepdims=True), np.std(X23, axis=1, keepdims=True))


def test_swapaxes():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_swapaxes
    x = np.arange(24).reshape([1, 2, 3, 4])
    assert_all_close(knp.swapaxes(x, 0, 1), np.swapaxes(x, 0, 1))


def test_tile():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_tile
    for reps in (2, [2, 3], [2, 3, 4], [2]):
        assert_all_close(knp.tile(X23, reps), np.tile(X23, reps))


def test_trace():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_trace
    x = np.arange(24).reshape([1, 2, 3, 4])
    assert_all_close(knp.trace(x), np.trace(x))
    assert_all_close(knp.trace(x, axis1=2, axis2=3), np.trace(x, axis1=2, axis2=3))


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu(name):
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_tril, test_triu
    f, g = getattr(knp, name), getattr(np, name)
    for x in (np.arange(24).reshape([1, 2, 3, 4]), np.ones([5, 5])):
        assert_all_close(f(x), g(x))
        assert_all_close(f(x, -1), g(x, -1))


def test_floor_divide():
    # keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_floor_divide
    assert_all_close(knp.floor_divide(X23, Y23), np.floor_divide(X23, Y23))
    assert_all_close(knp.floor_divide(X23, Z123), np.floor_divide(X23, Z123))


# ---------------------------------------------- NumpyArrayCreateOpsCorrectnessTest
def test_ones_zeros_identity():
    # keras/src/ops/numpy_test.py::NumpyArrayCreateOpsCorrectnessTest::test_ones,
    # test_zeros, test_identity
    assert_all_close(knp.ones([2, 3]), np.ones([2, 3]))
    assert_all_close(knp.zeros([2, 3]), np.zeros([2, 3]))
    assert_all_close(knp.identity(3), np.identity(3))


def test_eye():
    # keras/src/ops/numpy_test.py::NumpyArrayCreateOpsCorrectnessTest::test_eye
    for args, kw in (((3,), {}), ((3, 4), {}), ((3, 4, 1), {}), ((3,), {"k": 3}),
                     ((3,), {"k": 1}), ((3, 4), {"k": 2}), ((3,), {"k": -1}),
                     ((4, 3), {"k": -2})):
        assert_all_close(knp.eye(*args, **kw), np.eye(*args, **kw))


def test_eye_raises_error_with_floats():
    # keras/src/ops/numpy_test.py::NumpyArrayCreateOpsCorrectnessTest::
    # test_eye_raises_error_with_floats (bfloat16 has no NumPy dtype: left out)
    with pytest.raises(TypeError):
        knp.eye(3.0)
    with pytest.raises(TypeError):
        knp.eye(3.0, 2.0)
    with pytest.raises(TypeError):
        knp.eye(3, 2.0)
    with pytest.raises(TypeError):
        knp.eye(knp.max(knp.arange(4.0)))


def test_arange():
    # keras/src/ops/numpy_test.py::NumpyArrayCreateOpsCorrectnessTest::test_arange
    import warnings
    assert_all_close(knp.arange(3), np.arange(3))
    assert_all_close(knp.arange(3, 7), np.arange(3, 7))
    assert_all_close(knp.arange(3, 7, 2), np.arange(3, 7, 2))
    assert knp.arange(3).dtype == np.int32
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        knp.arange(3, dtype="int")
    assert len(record) == 0


def test_full():
    # keras/src/ops/numpy_test.py::NumpyArrayCreateOpsCorrectnessTest::test_full
    assert_all_close(knp.full([2, 3], 0), np.full([2, 3], 0))
    assert_all_close(knp.full([2, 3], 0.1), np.full([2, 3], 0.1))
    assert_all_close(knp.full([2, 3], np.array([1, 4, 5])), np.full([2, 3], np.array([1, 4, 5])))


def test_tri():
    # keras/src/ops/numpy_test.py::NumpyArrayCreateOpsCorrectnessTest::test_tri
    for args, kw in (((3,), {}), ((3, 4), {}), ((3, 4, 1), {}), ((3,), {"k": -1}),
                     ((3,), {"k": -5}), ((3,), {"k": 4})):
        assert_all_close(knp.tri(*args, **kw), np.tri(*args, **kw))
