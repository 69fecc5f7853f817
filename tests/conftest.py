"""Shared fixtures: dtypes, thread counts, tolerances."""
import os
import sys

import numpy as np
import pytest

# `tests.conformance...` imports work wherever pytest is started (python -m pytest
# /path/to/tests, as on an installed wheel): the folder holding tests/ goes last on the
# path, so an installed fastnn still comes first.
_PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _PROJECT not in sys.path:
    sys.path.append(_PROJECT)

import fastnn

# The Python processes the tests start import the fastnn under test (the one imported
# here: a checkout's, or an installed wheel's), whatever else is installed.
_HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))
_PATH = os.environ.get("PYTHONPATH", "")
if _PATH.split(os.pathsep)[:1] != [_HOME]:
    os.environ["PYTHONPATH"] = _HOME + (os.pathsep + _PATH if _PATH else "")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: starts worker processes or a cluster (seconds); runs by default, "
        "-m 'not slow' leaves it out")


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return np.dtype(request.param)


def _set_count():
    """fastnn.set_num_threads' count, or None while fastnn follows OpenMP's count."""
    return fastnn._kernels.num_threads_set() or None


@pytest.fixture(params=[1, 2], ids=["1thr", "2thr"])
def threads(request):
    """Run the test at 1 and at 2 threads; restores the previous setting afterwards."""
    old = _set_count()
    fastnn.set_num_threads(request.param)
    try:
        yield request.param
    finally:
        fastnn.set_num_threads(old)


@pytest.fixture
def set_threads():
    """set_threads(n) inside a test; the previous setting is restored afterwards."""
    old = _set_count()
    yield fastnn.set_num_threads
    fastnn.set_num_threads(old)


# Whether the packed GEMM runs its AVX-512 micro-kernel by default here (FASTNN_AVX512).
from fastnn import _kernels as _k  # noqa: E402
AVX512_DEFAULT = _k.gemm_avx512()


@pytest.fixture(params=["generic", "avx2+fma", "avx2+fma+avx512"])
def simd_path(request):
    """Run the test on the portable C path, on the AVX2 path with its own micro-kernel
    and with the AVX-512 one (each skipped where the CPU cannot run it); restores the
    path in use before."""
    from fastnn import _kernels
    old = _kernels.simd_path()
    path = request.param.replace("+avx512", "")
    if not _kernels.set_simd_path(path):
        pytest.skip(f"CPU cannot run the {path} path")
    if not _kernels._gemm_set_avx512(request.param.endswith("+avx512")):
        pytest.skip("CPU has no AVX-512F")
    try:
        yield request.param
    finally:
        _kernels.set_simd_path(old)
        _kernels._gemm_set_avx512(AVX512_DEFAULT)


@pytest.fixture(autouse=True)
def _restore_kernel_state():
    """Every test leaves the SIMD path, the GEMM's micro-kernel, the forced GEMM
    algorithm and the thread count as it found them."""
    from fastnn import _kernels
    simd, nt = _kernels.simd_path(), fastnn.get_num_threads()
    yield
    _kernels.set_simd_path(simd)
    _kernels._gemm_set_avx512(AVX512_DEFAULT)
    _kernels._gemm_force_path("auto")
    fastnn.set_num_threads(nt)
