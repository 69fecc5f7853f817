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


@pytest.fixture(autouse=True)
def _restore_kernel_state():
    """Every test leaves the SIMD path, the forced GEMM algorithm and the thread count
    as it found them."""
    from fastnn import _kernels
    simd, nt = _kernels.simd_path(), fastnn.get_num_threads()
    yield
    _kernels.set_simd_path(simd)
    _kernels._gemm_force_path("auto")
    fastnn.set_num_threads(nt)
