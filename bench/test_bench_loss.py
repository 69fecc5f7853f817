"""The loss kernel of the digit networks against the NumPy reference, float32, 1 thread.

    python -m pytest bench/test_bench_loss.py                      # timings
    python -m pytest bench/test_bench_loss.py --benchmark-disable  # smoke (CI)

Each group holds one loss on one shape (the training step's call: value, gradient with
the 1/n batch mean, no per-sample output): fastnn on its AVX2+FMA path (skipped where the
CPU has none), fastnn forced onto the generic C path, and the loss head of the in-repo
NumPy reference (bench/numpy_mlp.py, the same work: loss, gradient, correct count).
Shapes: W2's 32 x 10 sparse CE from logits, W1's 32 x 1 BCE from logits, and 1024-row
versions where the per-call cost no longer hides the kernel. Every entry's result is
checked against fastnn.reference.
"""
import numpy as np
import pytest

import fastnn
from fastnn import _kernels
from fastnn import reference as R
from fastnn._codes import LOSSES
from numpy_mlp import NumpyMLP

CASES = [("sparse_categorical_crossentropy", 32, 10), ("binary_crossentropy", 32, 1),
         ("sparse_categorical_crossentropy", 1024, 10), ("binary_crossentropy", 1024, 1)]
IDS = [f"{'scce' if n.startswith('sparse') else 'bce'}-{m}x{k}" for n, m, k in CASES]
IMPLS = ["fastnn-avx2", "fastnn-generic", "numpy"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread: the training step's loss call is serial at these sizes anyway."""
    old, path = fastnn.get_num_threads(), _kernels.simd_path()
    fastnn.set_num_threads(1)
    yield
    fastnn.set_num_threads(old)
    _kernels.set_simd_path(path)


def _data(name, m, k):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(m, k)).astype(np.float32)
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, k, size=m), z
    return rng.integers(0, 2, size=(m, k)).astype(np.float32), z


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_kernel(benchmark, case, impl):
    name, m, k = case
    y, z = _data(name, m, k)
    grad = np.empty_like(z)
    if impl.startswith("fastnn"):
        path = "avx2+fma" if impl == "fastnn-avx2" else "generic"
        if not _kernels.set_simd_path(path):
            pytest.skip(f"CPU cannot run the {path} path")
        code = LOSSES[name + "_logits"]
        yt = y.reshape(m, -1).astype(np.float32)
        fn = lambda: _kernels.loss(code, 0.0, yt, z, None, 1.0 / m, grad, None) / m  # noqa: E731
    else:
        net = NumpyMLP(k, [(k, "linear" if k > 1 else "sigmoid")], name)
        net._workspace(m)
        yn = y if k > 1 else y.reshape(m, 1)
        fn = lambda: net._loss_head(z, yn, grad, m)[0]  # noqa: E731
    benchmark.group = f"loss {IDS[CASES.index(case)]}"
    loss = benchmark(fn)
    ref_loss, ref_grad = R.loss_and_grad(name, y, z.astype(np.float64), from_logits=True)
    np.testing.assert_allclose(loss, ref_loss, rtol=2e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=2e-5, atol=2e-6)
