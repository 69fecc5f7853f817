"""Result dtypes of keras.ops' sums and products of integer and boolean tensors.

Keras accumulates booleans and 8- and 16-bit integers in int32, 8- and 16-bit unsigned
integers in uint32, and keeps the other dtypes (NumPy would give int64 / uint64);
the cumulative ones keep the input's dtype (booleans: int32). The expected table was
read off Keras 3.15.1 (JAX backend; int64 kept as int64, as its NumPy backend does).
"""
import numpy as np
import pytest

from fastnn import KerasTensor, ops as fops
from fastnn.autodiff import ops as knp

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
          "float16", "float32", "float64"]
SUM_RULE = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
            "uint16": "uint32"}
CUM_RULE = {"bool": "int32"}


def _calls():
    yield "sum", lambda o, x: o.sum(x), SUM_RULE
    yield "sum_axis", lambda o, x: o.sum(x, axis=1, keepdims=True), SUM_RULE
    yield "prod", lambda o, x: o.prod(x), SUM_RULE
    yield "prod_axis", lambda o, x: o.prod(x, axis=0), SUM_RULE
    yield "nansum", lambda o, x: o.nansum(x), SUM_RULE
    yield "nanprod", lambda o, x: o.nanprod(x, axis=1), SUM_RULE
    yield "trace", lambda o, x: o.trace(x), SUM_RULE
    yield "cumsum", lambda o, x: o.cumsum(x), CUM_RULE
    yield "cumsum_axis", lambda o, x: o.cumsum(x, axis=1), CUM_RULE
    yield "cumprod", lambda o, x: o.cumprod(x, axis=0), CUM_RULE
    yield "nancumsum", lambda o, x: o.nancumsum(x), CUM_RULE
    yield "nancumprod", lambda o, x: o.nancumprod(x, axis=1), CUM_RULE


CALLS = list(_calls())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,call,rule", CALLS, ids=[c[0] for c in CALLS])
def test_result_dtype(name, call, rule, dtype):
    x = np.array([[1, 0, 1], [1, 1, 1]]).astype(dtype)
    want = rule.get(dtype, dtype)
    got = call(knp, x)
    assert str(got.dtype) == want
    # the values are NumPy's, in that dtype
    ref = call(np, x.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(got, np.float64), ref)
    # a symbolic tensor's spec has the same dtype
    sym = call(fops, KerasTensor((None, 3), dtype=dtype))
    assert sym.dtype == want


def test_int32_sum_wraps_around_as_int32():
    # Keras (JAX) accumulates int32 in int32: a sum past 2**31 - 1 wraps around.
    x = np.array([2 ** 31 - 1, 1], np.int32)
    assert knp.sum(x).dtype == np.int32
    assert int(knp.sum(x)) == -2 ** 31
    assert knp.cumsum(x).dtype == np.int32
    np.testing.assert_array_equal(knp.cumsum(x), np.array([2 ** 31 - 1, -2 ** 31], np.int32))


def test_explicit_dtype_wins():
    x = np.array([1, 2, 3], np.int8)
    assert knp.prod(x, dtype="int64").dtype == np.int64
    assert knp.cumsum(x, dtype="float32").dtype == np.float32
    assert knp.cumprod(np.array([True, False]), dtype="int16").dtype == np.int16


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "uint8", "uint32"])
def test_vdot_keeps_the_dtype(dtype):
    # Keras (and numpy.vdot) keep the operands' dtype
    x = np.array([1, 1, 0]).astype(dtype)
    got = knp.vdot(x, x)
    assert str(got.dtype) == dtype
    assert got == np.vdot(x, x)


def test_int8_matmul_gives_int32():
    # Keras: int8 @ int8 is computed and returned in int32 (no wrap-around at 127)
    a = np.full((2, 3), 100, np.int8)
    got = knp.matmul(a, a.T)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), np.full((2, 2), 30000))
    assert fops.matmul(KerasTensor((None, 3), dtype="int8"),
                       KerasTensor((3, 2), dtype="int8")).dtype == "int32"
    assert knp.matmul(np.ones((2, 2), np.int16), np.ones((2, 2), np.int16)).dtype == np.int16


def test_square_of_booleans_is_int32():
    got = knp.square(np.array([True, False]))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), [1, 0])
    assert knp.square(np.array([3], np.int8)).dtype == np.int8
