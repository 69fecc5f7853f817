"""Tolerances and shapes shared by the kernel tests (a plain module, not conftest, so
that `pytest tests bench` in one run does not pick up bench/conftest.py instead)."""
import numpy as np


def tol(dtype):
    """assert_allclose tolerances for kernel-vs-reference in `dtype` (a few ulps, with
    room for the different order of a row's sum)."""
    return dict(rtol=2e-5, atol=2e-6) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-12, atol=1e-13)


# Shapes: batch 1, odd sizes, tall, wide.
SHAPES = [(1, 1), (1, 7), (5, 3), (67, 2), (3, 129)]


def central_diff(f, x, h=1e-6):
    """d f / d x by central differences, element by element (f: array -> float)."""
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g
