"""fastnn._kernels.all_finite (csrc/checks.c) against numpy.isfinite."""
import numpy as np
import pytest

from fastnn import _kernels

# Crosses the 65,536-value chunks the threads split the array into.
SIZES = [1, 2, 7, 8, 9, 65535, 65536, 65537, 3 * 65536 + 5]


@pytest.mark.parametrize("n", SIZES)
def test_one_bad_value_anywhere_is_found(n, dtype, threads):
    rng = np.random.default_rng(n)
    for bad in (np.nan, np.inf, -np.inf):
        for pos in {0, n // 2, n - 1, int(rng.integers(0, n))}:
            x = rng.standard_normal(n).astype(dtype)
            x[pos] = bad
            assert _kernels.all_finite(x) is False
            assert _kernels.all_finite(x) == bool(np.isfinite(x).all())


def test_extreme_finite_values_pass(dtype, threads):
    fi = np.finfo(dtype)
    x = np.array([fi.max, -fi.max, fi.tiny, fi.smallest_subnormal, -0.0, 0.0, fi.eps] * 20000,
                 dtype=dtype)
    assert _kernels.all_finite(x) is True
    assert _kernels.all_finite(x[:0]) is True


def test_nan_payloads_and_signs(dtype):
    # Every NaN bit pattern is non-finite, whatever its sign or payload.
    bits = np.uint32 if dtype == np.float32 else np.uint64
    patterns = ([0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001] if dtype == np.float32 else
                [0x7ff8000000000000, 0xfff8000000000000, 0x7ff0000000000001, 0xfff0000000000001])
    for p in patterns:
        x = np.zeros(100, dtype)
        x.view(bits)[37] = p
        assert _kernels.all_finite(x) is False


def test_model_input_check_uses_it(dtype):
    import fastnn
    from fastnn import layers as L
    m = fastnn.Sequential([L.Input((3,), dtype=dtype.name), L.Dense(2)])
    x = np.ones((70000, 3), dtype)
    x[69999, 2] = np.nan
    with pytest.raises(ValueError, match="x must be finite, got 1 NaN/Inf"):
        m.predict(x, verbose=0)
