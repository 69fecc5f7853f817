"""Shared fixtures: dtypes, thread counts, tolerances."""
import numpy as np
import pytest

import fastnn


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(params=[1, 2], ids=["1thr", "2thr"])
def threads(request):
    """Run the test at 1 and at 2 threads; restores the previous count afterwards."""
    old = fastnn.get_num_threads()
    fastnn.set_num_threads(request.param)
    try:
        yield request.param
    finally:
        fastnn.set_num_threads(old)


@pytest.fixture
def set_threads():
    """set_threads(n) inside a test; the count is restored afterwards."""
    old = fastnn.get_num_threads()
    yield fastnn.set_num_threads
    fastnn.set_num_threads(old)


def tol(dtype):
    """assert_allclose tolerances for kernel-vs-reference in `dtype` (a few ulps, with
    room for the different order of a row's sum)."""
    return dict(rtol=2e-5, atol=2e-6) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-12, atol=1e-13)


# Shapes: batch 1, odd sizes, tall, wide.
SHAPES = [(1, 1), (1, 7), (5, 3), (67, 2), (3, 129)]


@pytest.fixture(params=["generic", "avx2+fma"])
def simd_path(request):
    """Run the test on the portable C path and on the AVX2 path (skipped where the CPU
    has no AVX2+FMA); restores the path in use before."""
    from fastnn import _kernels
    old = _kernels.simd_path()
    if not _kernels.set_simd_path(request.param):
        pytest.skip(f"CPU cannot run the {request.param} path")
    try:
        yield request.param
    finally:
        _kernels.set_simd_path(old)
