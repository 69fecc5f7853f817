"""The bfloat16 GEMM of the mixed_bfloat16 policy against the float32 GEMM, 2 threads.

    python -m pytest bench/test_bench_bf16.py                      # timings
    python -m pytest bench/test_bench_bf16.py --benchmark-disable  # smoke (CI): each
                                                                   # case runs once, checked
Each benchmark group holds, on the same inputs, side by side: the float32 GEMM
(fastnn's packed/direct GEMM) and the bfloat16 GEMM on each path this CPU has: AMX
('bf16-amx', TDPBF16PS tiles, the default where the CPU and OS give it), AVX512_BF16
('bf16-avx512', the vdpbf16ps micro-kernel) and the portable one (rounding plus the
float32 GEMM). The bfloat16 entries include packing (or rounding) both operands on every
call, as a Dense layer does. GFLOP/s of every entry (from its median) are in
extra_info["gflops"]. Compare medians only within one run on an idle machine: a loaded
one (shared cores) moves them by more than the differences measured. Results so far:
bench/PERFORMANCE.md, "The bfloat16 GEMM".
"""
import numpy as np
import pytest

import fastnn
from fastnn import _kernels

SHAPES = [(32, 64, 25), (128, 784, 512), (512, 512, 512), (1024, 1024, 1024)]
IDS = [f"{m}x{k}x{n}" for m, k, n in SHAPES]
U = 2.0 ** -24


@pytest.fixture(scope="module", autouse=True)
def two_threads():
    old = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    yield
    fastnn.set_num_threads(old)


@pytest.fixture
def bf16_default():
    """Restores the default bfloat16 path after a case that switched it."""
    default, default_amx = _kernels.bf16_avx512(), _kernels.bf16_amx()
    yield
    _kernels._bf16_set_avx512(default)
    _kernels._bf16_set_amx(default_amx)


def _data(M, K, N):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((M, K), dtype=np.float32)
    W = (rng.standard_normal((K, N), dtype=np.float32) / np.sqrt(K)).astype(np.float32)
    return X, W


def _run(benchmark, group, flops, fn):
    benchmark.group = group
    benchmark.extra_info["flops"] = flops
    benchmark(fn)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:                     # None under --benchmark-disable
        benchmark.extra_info["gflops"] = round(flops / stats.stats.median / 1e9, 2)


def _rounded(a):
    out = np.empty_like(a)
    _kernels.round_bf16(a.reshape(-1), out.reshape(-1))
    return out


@pytest.mark.parametrize("impl", ["float32", "bf16-amx", "bf16-avx512", "bf16-portable"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_gemm_float32_vs_bf16(benchmark, bf16_default, shape, impl):
    M, K, N = shape
    X, W = _data(M, K, N)
    C = np.empty((M, N), np.float32)
    if impl == "float32":
        fn = lambda: _kernels.gemm(False, False, X, W, C)          # noqa: E731
        A, B = X.astype(np.float64), W.astype(np.float64)
    else:
        if impl == "bf16-amx":
            if not _kernels._bf16_set_amx(True):
                pytest.skip("this CPU (or OS) gives no AMX-BF16")
        else:
            _kernels._bf16_set_amx(False)
            if not _kernels._bf16_set_avx512(impl == "bf16-avx512"):
                pytest.skip("this CPU has no AVX512_BF16")
            if impl == "bf16-avx512" and fastnn.build_info()["simd"] != "avx2+fma":
                pytest.skip("the SIMD path is the generic one")
        fn = lambda: _kernels.gemm_bf16(False, False, X, W, C)     # noqa: E731
        A, B = _rounded(X).astype(np.float64), _rounded(W).astype(np.float64)
    benchmark.extra_info["bf16_path"] = fastnn.build_info()["bf16_gemm"]
    _run(benchmark, f"gemm {M}x{K}x{N}", 2.0 * M * K * N, fn)
    # within the float32 summation bound of the float64 product of the same operands
    gamma = (K + 2) * U / (1 - (K + 2) * U)
    assert np.all(np.abs(C - A @ B) <= gamma * (np.abs(A) @ np.abs(B)) + K * 2.0 ** -126)
