"""keras.ops' NumPy functions beyond the basic ones (einsum, the nan-reductions,
quantiles, splitting and stacking, bit operations, windows, ...): their result dtypes
(Keras' rules: integer inputs of float functions in float32, floats kept, small
integer accumulations kept in the input's dtype), their errors on bad arguments, and
their use on the functional API's symbolic tensors. Values and gradients against NumPy
are in tests/test_autodiff_ops.py (the registry) and tests/conformance/test_ops_numpy.py.
"""
import numpy as np
import pytest

import fastnn
from fastnn.autodiff import ops as knp

I32 = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
I8 = I32.astype(np.int8)
F32 = (I32 / 7).astype(np.float32)
F64 = I32 / 7.0
B = np.array([[True, False, True], [False, True, True]])


# Keras' result dtypes (keras/src/ops/numpy.py compute_output_spec), by input dtype.
UNARY_DTYPES = {
    # name: (int32, int8, float32, float64, bool)
    "cumprod": ("int32", "int8", "float32", "float64", "int32"),
    "diff": ("int32", "int8", "float32", "float64", "bool"),
    "median": ("float32", "float32", "float32", "float64", "float32"),
    "nan_to_num": ("int32", "int8", "float32", "float64", "bool"),
    "count_nonzero": ("int32", "int32", "int32", "int32", "int32"),
    "signbit": ("bool", "bool", "bool", "bool", "bool"),
    "deg2rad": ("float32", "float32", "float32", "float64", "float32"),
    "cbrt": ("float32", "float32", "float32", "float64", "float32"),
    "fabs": ("float32", "float32", "float32", "float64", "float32"),
    "rot90": ("int32", "int8", "float32", "float64", "bool"),
    "trapezoid": ("float32", "float32", "float32", "float64", "float32"),
    "sinc": ("float32", "float32", "float32", "float64", "float32"),
    "trunc": ("int32", "int8", "float32", "float64", "bool"),
    "real": ("int32", "int8", "float32", "float64", "bool"),
    "imag": ("int32", "int8", "float32", "float64", "bool"),
    "conj": ("int32", "int8", "float32", "float64", "bool"),
    "corrcoef": ("float32", "float32", "float32", "float64", "float32"),
    "average": ("float32", "float32", "float32", "float64", "float32"),
    "nanmax": ("int32", "int8", "float32", "float64", "bool"),
    "nanmean": ("float32", "float32", "float32", "float64", "float32"),
    "nansum": ("int32", "int32", "float32", "float64", "int32"),
    "nanprod": ("int32", "int32", "float32", "float64", "int32"),
    "nanvar": ("float32", "float32", "float32", "float64", "float32"),
    "nanargmin": ("int32", "int32", "int32", "int32", "int32"),
    "nancumsum": ("int32", "int8", "float32", "float64", "int32"),
    "nancumprod": ("int32", "int8", "float32", "float64", "int32"),
    "nanmedian": ("float32", "float32", "float32", "float64", "float32"),
    "i0": ("float32", "float32", "float32", "float64", "float32"),
    "isposinf": ("bool", "bool", "bool", "bool", "bool"),
    "empty_like": ("int32", "int8", "float32", "float64", "bool"),
}


@pytest.mark.parametrize("name", sorted(UNARY_DTYPES))
def test_unary_result_dtypes(name):
    f = getattr(knp, name)
    for x, want in zip((I32, I8, F32, F64, B), UNARY_DTYPES[name]):
        assert str(f(x).dtype) == want, (name, x.dtype)


BINARY_DTYPES = {
    # name: {(dtype1, dtype2): result}
    "append": {("int32", "float32"): "float32", ("int8", "int32"): "int32",
               ("bool", "int32"): "int32", ("int8", "bool"): "int8",
               ("bool", "bool"): "bool", ("float32", "float64"): "float64"},
    "kron": {("int32", "float32"): "float32", ("int8", "bool"): "int8",
             ("bool", "bool"): "bool"},
    "heaviside": {("int32", "int32"): "float32", ("bool", "bool"): "bool",
                  ("float64", "float64"): "float64"},
    "logaddexp2": {("int32", "int32"): "float32", ("bool", "bool"): "float32",
                   ("float32", "float64"): "float64"},
    "fmod": {("int32", "int32"): "int32", ("bool", "bool"): "int32",
             ("int32", "float32"): "float32"},
    "gcd": {("int32", "int32"): "int32", ("int8", "bool"): "int8", ("bool", "bool"): "bool"},
    "bitwise_and": {("int8", "int32"): "int32", ("bool", "bool"): "bool"},
    "left_shift": {("int8", "int32"): "int32", ("int32", "int32"): "int32"},
    "nextafter": {("int32", "int32"): "float32", ("float64", "float64"): "float64"},
    "isin": {("int32", "float32"): "bool"},
    "hstack": {("int32", "float32"): "float32", ("bool", "int32"): "int32"},
    "einsum": {("int8", "int8"): "int32", ("int32", "int32"): "int32",
               ("int8", "float32"): "float32", ("bool", "bool"): "bool"},
}


def _call(name, a, b):
    if name == "hstack":
        return knp.hstack([a, b])
    if name == "einsum":
        return knp.einsum("ij,ij->i", a, b)
    return getattr(knp, name)(a, b)


@pytest.mark.parametrize("name", sorted(BINARY_DTYPES))
def test_binary_result_dtypes(name):
    for (d1, d2), want in BINARY_DTYPES[name].items():
        out = _call(name, np.ones((2, 3), d1), np.ones((2, 3), d2))
        assert str(out.dtype) == want, (name, d1, d2)


def test_creation_dtypes():
    for f in (knp.bartlett, knp.blackman, knp.hamming, knp.hanning):
        assert f(5).dtype == np.float32
    assert knp.kaiser(5, 2.0).dtype == np.float32
    assert knp.empty((2, 3)).dtype == np.float32 and knp.empty((2,)).shape == (2,)
    assert knp.empty((2, 3), "int32").dtype == np.int32
    assert knp.logspace(0, 2, 3).dtype == np.float32
    assert knp.geomspace(1, 100, 3, dtype="float64").dtype == np.float64
    idx = knp.unravel_index(np.array([1, 5], np.int64), (2, 3))
    assert [i.dtype for i in idx] == [np.int64, np.int64]
    assert knp.bincount(np.array([1, 2, 2])).dtype == np.int32
    assert knp.bincount(np.array([1, 2, 2]), weights=np.ones(3, np.float64)).dtype == np.float64
    assert knp.bincount(np.array([1, 2, 2]), weights=np.ones(3, np.int8)).dtype == np.int32
    counts, edges = knp.histogram(np.array([1.0, 2.0, 3.0, 7.0], np.float32), bins=3)
    np.testing.assert_array_equal(counts, [2, 1, 1])
    assert counts.dtype == np.int32 and edges.dtype == np.float32
    np.testing.assert_allclose(edges, [1, 3, 5, 7])
    np.testing.assert_array_equal(knp.nonzero(np.array([[0, 1], [1, 1]]))[1], [1, 0, 1])
    assert knp.searchsorted(np.arange(4.0), np.array([1.5])).dtype == np.int32


@pytest.mark.parametrize("call,error,words", [
    (lambda: knp.quantile(np.arange(4.0), 1.5), ValueError, "q must be in [0, 1]"),
    (lambda: knp.percentile(np.arange(4.0), 150), ValueError, "q must be in [0, 100]"),
    (lambda: knp.quantile(np.arange(4.0), 0.5, method="foo"), ValueError, "method must be"),
    (lambda: knp.searchsorted(np.ones((2, 2)), np.array([1.0])), ValueError,
     "sorted_sequence must be 1-D"),
    (lambda: knp.searchsorted(np.arange(3.0), 1.0, side="x"), ValueError, "side must be"),
    (lambda: knp.correlate(np.arange(3.0), np.arange(2.0), mode="x"), ValueError,
     "mode must be"),
    (lambda: knp.correlate(np.ones((2, 2)), np.arange(2.0)), ValueError, "must be 1-D"),
    (lambda: knp.vander(np.ones((2, 2))), ValueError, "x must be 1-D"),
    (lambda: knp.cross(np.arange(4.0), np.arange(3.0)), ValueError, "2 or 3 components"),
    (lambda: knp.rot90(np.arange(2.0)), ValueError, "at least 2 dimensions"),
    (lambda: knp.rot90(np.ones((2, 3)), axes=(0, 0)), ValueError, "two different axes"),
    (lambda: knp.fliplr(np.arange(2.0)), ValueError, "at least 2 dimensions"),
    (lambda: knp.flipud(np.array(1.0)), ValueError, "at least 1 dimension"),
    (lambda: knp.select([np.array([True])], [np.ones(1), np.ones(1)]), ValueError,
     "same, non-zero length"),
    (lambda: knp.select([np.array([1])], [np.ones(1)]), TypeError, "boolean tensors"),
    (lambda: knp.meshgrid(np.arange(2), indexing="foo"), ValueError, "indexing must be"),
    (lambda: knp.average(np.ones((2, 3)), axis=1, weights=np.ones(2)), ValueError,
     "1-D of length 3"),
    (lambda: knp.bincount(np.array([-1, 2])), ValueError, "non-negative"),
    (lambda: knp.bincount(np.array([1.0, 2.0])), TypeError, "x must hold integers"),
    (lambda: knp.bincount(np.array([1, 2]), sparse=True), ValueError, "sparse=True"),
    (lambda: knp.array_split(np.arange(5), 0), ValueError, "positive int"),
    (lambda: knp.hsplit(np.arange(6).reshape(2, 3), 2), ValueError, "equal parts"),
    (lambda: knp.vsplit(np.arange(6), 3), ValueError, "at least 2 dimensions"),
    (lambda: knp.dsplit(np.ones((2, 3)), 3), ValueError, "at least 3 dimensions"),
    (lambda: knp.ldexp(np.ones(2), np.array([1.5, 2.0])), TypeError, "x2 must hold integers"),
    (lambda: knp.gcd(np.array([4.0]), np.array([6.0])), TypeError, "x1 must hold integers"),
    (lambda: knp.left_shift(np.array([4.0]), 1), TypeError, "x must hold integers"),
    (lambda: knp.bitwise_invert(np.array([4.0])), TypeError, "x must hold integers"),
    (lambda: knp.argpartition(np.array([3, 1, 2]), 5), ValueError, "kth must be in"),
    (lambda: knp.diff(np.arange(3.0), n=-1), ValueError, "n must be an int >= 0"),
    (lambda: knp.diag(np.ones((2, 2, 2))), ValueError, "1-D or 2-D"),
    (lambda: knp.unravel_index(np.array([6]), (2, 3)), ValueError, "indices must be in"),
    (lambda: knp.histogram(np.ones((2, 2))), ValueError, "x must be 1-D"),
    (lambda: knp.geomspace(0, 2, 3), ValueError, "non-zero"),
    (lambda: knp.roll(np.ones((2, 3)), (1, 2, 3), axis=(0, 1)), ValueError, "same length"),
    (lambda: knp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))), ValueError,
     "do not fit"),
    (lambda: knp.ptp(np.array([True, False])), TypeError, "numeric"),
    (lambda: knp.kaiser(4, "x"), TypeError, "beta must be a number"),
    (lambda: knp.hamming(2.5), TypeError, "x must be an int"),
])
def test_bad_arguments_name_the_argument(call, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_on_symbolic_tensors_in_a_functional_model():
    inp = fastnn.keras.Input((3, 4))
    a = fastnn.ops.einsum("bij,jk->bik", inp, np.arange(8, dtype=np.float32).reshape(4, 2))
    b = fastnn.ops.nanmean(fastnn.ops.roll(inp, 1, axis=2), axis=-1)
    c = fastnn.ops.quantile(inp, [0.25, 0.5], axis=(1, 2))
    assert type(a).__name__ == "KerasTensor" and a.shape == (None, 3, 2)
    assert b.shape == (None, 3) and c.shape == (2, None)
    model = fastnn.keras.Model(inp, [a, b, c])
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    x[0, 1, 2] = np.nan
    ya, yb, yc = model(x)
    np.testing.assert_allclose(ya, np.einsum("bij,jk->bik", x, np.arange(8).reshape(4, 2)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(yb, np.nanmean(np.roll(x, 1, axis=2), axis=-1), rtol=1e-6)
    np.testing.assert_allclose(yc, np.quantile(x, [0.25, 0.5], axis=(1, 2)), rtol=1e-6)


def test_gradients_through_cumprod_with_zeros_and_quantile_ties_are_finite():
    # cumprod's zero branch (each element's gradient sums the products of the others)
    x = knp.convert_to_tensor(np.array([2.0, 0.0, 3.0, 0.0, 5.0]))
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(x)
        y = knp.sum(knp.cumprod(x))
    g = np.asarray(tape.gradient(y, x))
    # d/dx_j sum_k prod_{i<=k} x_i by hand: x_1 = 0 kills every product from k = 1 on
    # except in its own gradient; x_3 = 0 as well
    np.testing.assert_allclose(g, [1.0, 2.0 + 2 * 3, 0.0, 0.0, 0.0])
    # nanmedian ignores the NaN in its gradient too
    x = knp.convert_to_tensor(np.array([1.0, np.nan, 4.0, 2.0]))
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(x)
        y = knp.nanmedian(x)
    np.testing.assert_allclose(np.asarray(tape.gradient(y, x)), [0.0, 0.0, 0.0, 1.0])
