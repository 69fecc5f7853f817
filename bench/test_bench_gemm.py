"""GEMM and the fused dense layer against NumPy (OpenBLAS), float32, 2 threads.

    python -m pytest bench/test_bench_gemm.py                      # timings
    python -m pytest bench/test_bench_gemm.py --benchmark-disable  # smoke (CI): each
                                                                   # case runs once, checked
Each benchmark group holds fastnn and NumPy on the same inputs, side by side; the
GFLOP/s of every entry (from its median) is in extra_info["gflops"]. Shapes (M, K, N):
the digit network's first layer (batch 32, 64 -> 25), an MNIST-sized layer and two squares.
NumPy's own thread count is whatever OpenBLAS picked (both cores here); fastnn is set to
2 threads for the module and restored afterwards.
"""
import numpy as np
import pytest

import fastnn
from fastnn import _kernels
from fastnn._codes import ACTIVATIONS

SHAPES = [(32, 64, 25), (128, 784, 512), (512, 512, 512), (1024, 1024, 1024)]
IDS = [f"{m}x{k}x{n}" for m, k, n in SHAPES]
RELU = ACTIVATIONS["relu"][0]


@pytest.fixture(scope="module", autouse=True)
def two_threads():
    old = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    yield
    fastnn.set_num_threads(old)


def _data(M, K, N):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((M, K), dtype=np.float32)
    W = (rng.standard_normal((K, N), dtype=np.float32) / np.sqrt(K)).astype(np.float32)
    b = rng.standard_normal(N, dtype=np.float32)
    dZ = rng.standard_normal((M, N), dtype=np.float32)
    return X, W, b, dZ


def _run(benchmark, group, flops, fn):
    benchmark.group = group
    benchmark.extra_info["flops"] = flops
    out = benchmark(fn)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:                     # None under --benchmark-disable
        benchmark.extra_info["gflops"] = round(flops / stats.stats.median / 1e9, 2)
    return out


def _close(got, want, K):
    """float32 results against NumPy's: both round, error grows like sqrt(K) u."""
    scale = np.abs(want).max() + 1e-30
    assert np.abs(got - want).max() <= 1e-5 * np.sqrt(K) * scale


@pytest.mark.parametrize("impl", ["fastnn", "numpy"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_gemm(benchmark, shape, impl):
    M, K, N = shape
    X, W, _, _ = _data(M, K, N)
    C = np.empty((M, N), np.float32)
    if impl == "fastnn":
        fn = lambda: _kernels.gemm(False, False, X, W, C)   # noqa: E731
    else:
        fn = lambda: np.matmul(X, W, out=C)                  # noqa: E731
    _run(benchmark, f"gemm {M}x{K}x{N}", 2.0 * M * K * N, fn)
    _close(C, X.astype(np.float64) @ W, K)


@pytest.mark.parametrize("impl", ["fastnn", "fastnn.ops", "numpy"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_dense_forward_relu(benchmark, shape, impl):
    """matmul + bias + relu: fused kernel (raw binding and the public fastnn.ops.dense)
    against the NumPy expression."""
    M, K, N = shape
    X, W, b, _ = _data(M, K, N)
    A = np.empty((M, N), np.float32)
    if impl == "fastnn":
        fn = lambda: _kernels.dense_forward(X, W, b, RELU, 0.0, None, A)   # noqa: E731
    elif impl == "fastnn.ops":
        ops = pytest.importorskip("fastnn.ops")
        fn = lambda: ops.dense(X, W, b, "relu")                            # noqa: E731
    else:
        fn = lambda: np.maximum(X @ W + b, 0)                              # noqa: E731
    out = _run(benchmark, f"dense_forward relu {M}x{K}x{N}", 2.0 * M * K * N, fn)
    if out is not None:
        A = out
    _close(A, np.maximum(X.astype(np.float64) @ W + b, 0), K)


@pytest.mark.parametrize("impl", ["fastnn", "numpy"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_dense_backward(benchmark, shape, impl):
    """dW = X^T dZ, db = sum(dZ, 0), dX = dZ W^T (two GEMMs: 4 M K N flops)."""
    M, K, N = shape
    X, W, _, dZ = _data(M, K, N)
    dW, db, dX = np.empty((K, N), np.float32), np.empty(N, np.float32), np.empty((M, K), np.float32)
    if impl == "fastnn":
        fn = lambda: _kernels.dense_backward(X, W, dZ, dW, db, dX)   # noqa: E731
    else:
        def fn():
            np.matmul(X.T, dZ, out=dW)
            np.sum(dZ, axis=0, out=db)
            np.matmul(dZ, W.T, out=dX)
    _run(benchmark, f"dense_backward {M}x{K}x{N}", 4.0 * M * K * N, fn)
    x, dz = X.astype(np.float64), dZ.astype(np.float64)
    _close(dW, x.T @ dz, M)
    _close(db, dz.sum(0), M)
    _close(dX, dz @ W.T, N)
