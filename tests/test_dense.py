"""Fused dense layer (csrc/dense.c through fastnn._kernels.dense_forward/backward).

Forward: Z = X W + b against a float64 oracle (error bound as in test_gemm.py), and
A = act(Z) from the GEMM epilogue against the stand-alone activation kernel on the same
Z (bitwise: the epilogue calls it on row blocks) and against fastnn.reference.
Backward: dW, db, dX against the NumPy formulas, and against central finite
differences of a scalar loss in float64.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
from fastnn import _kernels, reference
from fastnn._codes import ACTIVATIONS

# The seed's layers (batch 32, 64 -> 25 -> 15 -> 10), batch 1, odd, and shapes that take
# the packed GEMM (rows split across threads, or few rows with columns split).
SHAPES = [(32, 64, 25), (32, 25, 15), (32, 15, 10), (1, 1, 1), (1, 7, 3), (7, 13, 33),
          (150, 70, 45), (20, 300, 130)]


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dt(request):
    return request.param


def _act_tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


def _layer(rng, M, K, N, dtype):
    X = rng.standard_normal((M, K)).astype(dtype)
    W = (rng.standard_normal((K, N)) / np.sqrt(K)).astype(dtype)
    b = rng.standard_normal(N).astype(dtype)
    return X, W, b


def _z_bound(X, W, b):
    """float64 Z and the error bound (K + 3) u (|X| |W| + |b|) (see test_gemm.py)."""
    u = np.finfo(X.dtype).eps / 2
    x, w = X.astype(np.float64), W.astype(np.float64)
    z = x @ w + (b.astype(np.float64) if b is not None else 0.0)
    mag = np.abs(x) @ np.abs(w) + (np.abs(b.astype(np.float64)) if b is not None else 0.0)
    return z, (X.shape[1] + 3) * u * mag + 10 * np.finfo(X.dtype).tiny


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("M,K,N", SHAPES)
def test_dense_forward_every_activation(simd_path, dt, name, M, K, N):
    code, param = ACTIVATIONS[name]
    rng = np.random.default_rng(M * 7 + K * 3 + N)
    X, W, b = _layer(rng, M, K, N, dt)
    Z = np.full((M, N), np.nan, dt)
    A = np.full((M, N), np.nan, dt)
    _kernels.dense_forward(X, W, b, code, param, Z, A)
    zref, bound = _z_bound(X, W, b)
    assert np.all(np.abs(Z - zref) <= bound)
    # The epilogue is the activation kernel on row blocks of Z: identical bits.
    A2 = np.empty_like(A)
    _kernels.act_forward(code, param, Z, A2)
    np.testing.assert_array_equal(A, A2)
    # ... and it is the NumPy formula (fastnn.reference) of that Z.
    kw = {"leaky_relu": {"negative_slope": param}, "elu": {"alpha": param}}.get(name, {})
    np.testing.assert_allclose(A, reference.activation_forward(name, Z, **kw), **_act_tol(dt))


@pytest.mark.parametrize("algo", ["direct", "packed"])
@pytest.mark.parametrize("name", ["linear", "relu", "softmax"])
def test_dense_forward_output_variants(simd_path, dt, algo, name):
    """b None, Z None (A only), A is Z, Z and A distinct: same A every time."""
    _kernels._gemm_force_path(algo)
    code, param = ACTIVATIONS[name]
    rng = np.random.default_rng(2)
    M, K, N = 29, 40, 23
    X, W, b = _layer(rng, M, K, N, dt)
    for bias in (b, None):
        zref, bound = _z_bound(X, W, bias)
        Z, A = np.empty((M, N), dt), np.empty((M, N), dt)
        _kernels.dense_forward(X, W, bias, code, param, Z, A)
        assert np.all(np.abs(Z - zref) <= bound)
        A_only = np.empty((M, N), dt)
        _kernels.dense_forward(X, W, bias, code, param, None, A_only)
        np.testing.assert_array_equal(A_only, A)
        same = np.empty((M, N), dt)
        _kernels.dense_forward(X, W, bias, code, param, same, same)
        np.testing.assert_array_equal(same, A)


@pytest.mark.parametrize("nt", [1, 2])
@pytest.mark.parametrize("name", ["softmax", "relu"])
def test_dense_forward_wider_than_one_packed_panel(simd_path, name, nt):
    """N > NC (1 thread), or columns split between threads (2 threads): rows are whole
    only after every column block; the activation still gets whole rows."""
    fastnn.set_num_threads(nt)
    _kernels._gemm_force_path("packed")
    code, param = ACTIVATIONS[name]
    rng = np.random.default_rng(3)
    for dtype, N in ((np.float32, 4100), (np.float64, 2050)):
        X, W, b = _layer(rng, 7, 5, N, dtype)
        Z, A = np.empty((7, N), dtype), np.empty((7, N), dtype)
        _kernels.dense_forward(X, W, b, code, param, Z, A)
        A2 = np.empty_like(A)
        _kernels.act_forward(code, param, Z, A2)
        np.testing.assert_array_equal(A, A2)


def test_dense_forward_empty_and_k_zero(dt):
    b = np.arange(3, dtype=dt)
    A = np.empty((4, 3), dt)
    _kernels.dense_forward(np.empty((4, 0), dt), np.empty((0, 3), dt), b, 1, 0.0, None, A)
    np.testing.assert_array_equal(A, np.tile(b, (4, 1)))      # Z = b, relu(b) = b here
    _kernels.dense_forward(np.empty((0, 5), dt), np.ones((5, 3), dt), b, 1, 0.0, None,
                           np.empty((0, 3), dt))


@pytest.mark.parametrize("M,K,N", SHAPES)
def test_dense_backward_against_numpy(simd_path, dt, M, K, N):
    rng = np.random.default_rng(M + K + N)
    X, W, _ = _layer(rng, M, K, N, dt)
    dZ = rng.standard_normal((M, N)).astype(dt)
    dW = np.full((K, N), np.nan, dt)
    db = np.full(N, np.nan, dt)
    dX = np.full((M, K), np.nan, dt)
    _kernels.dense_backward(X, W, dZ, dW, db, dX)
    x, w, dz = X.astype(np.float64), W.astype(np.float64), dZ.astype(np.float64)
    u = np.finfo(dt).eps / 2
    assert np.all(np.abs(dW - x.T @ dz) <= (M + 3) * u * (np.abs(x.T) @ np.abs(dz)) + 1e-300)
    assert np.all(np.abs(db - dz.sum(0)) <= (M + 3) * u * np.abs(dz).sum(0) + 1e-300)
    assert np.all(np.abs(dX - dz @ w.T) <= (N + 3) * u * (np.abs(dz) @ np.abs(w.T)) + 1e-300)
    # NULL outputs are skipped (and the others unchanged).
    dW2, dX2 = np.empty_like(dW), np.full((M, K), 5.0, dt)
    _kernels.dense_backward(X, W, dZ, dW2, None, None)
    np.testing.assert_array_equal(dW2, dW)
    db2 = np.empty_like(db)
    _kernels.dense_backward(X, W, dZ, dW2, db2, None)
    np.testing.assert_array_equal(db2, db)


@pytest.mark.parametrize("name", ["linear", "tanh"])
def test_dense_backward_finite_differences(name):
    """Loss L = sum(G * act(X W + b)) in float64: dZ = G * act'(Z) by hand, then the
    kernel's dW, db, dX against central differences of L computed with dense_forward."""
    code, param = ACTIVATIONS[name]
    rng = np.random.default_rng(4)
    M, K, N = 5, 4, 3
    X, W, b = _layer(rng, M, K, N, np.float64)
    G = rng.standard_normal((M, N))

    def loss(X, W, b):
        A = np.empty((M, N))
        _kernels.dense_forward(X, W, b, code, param, None, A)
        return float(np.sum(G * A))

    A = np.empty((M, N))
    _kernels.dense_forward(X, W, b, code, param, None, A)
    dZ = G if name == "linear" else G * (1 - A * A)
    dW, db, dX = np.empty((K, N)), np.empty(N), np.empty((M, K))
    _kernels.dense_backward(X, W, dZ, dW, db, dX)
    h = 1e-6
    for arr, grad in ((X, dX), (W, dW), (b, db)):
        num = np.empty_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            lp = loss(X, W, b)
            arr[idx] = old - h
            lm = loss(X, W, b)
            arr[idx] = old
            num[idx] = (lp - lm) / (2 * h)
        np.testing.assert_allclose(grad, num, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("algo", ["auto", "direct", "packed"])
@pytest.mark.parametrize("M,K,N", [(150, 70, 45), (20, 300, 130), (64, 200, 33)])
def test_dense_bitwise_identical_across_threads(simd_path, dt, algo, M, K, N):
    """Packed with 2 threads splits rows for (150, 70, 45) and columns for (20, 300, 130)
    (the softmax then runs after both column blocks are done)."""
    if not fastnn.build_info()["openmp"]:
        pytest.skip("built without OpenMP")
    _kernels._gemm_force_path(algo)
    rng = np.random.default_rng(5)
    X, W, b = _layer(rng, M, K, N, dt)
    dZ = rng.standard_normal((M, N)).astype(dt)
    code, param = ACTIVATIONS["softmax"]
    outs = []
    for nt in (1, 2, 3):
        fastnn.set_num_threads(nt)
        Z, A = np.empty((M, N), dt), np.empty((M, N), dt)
        _kernels.dense_forward(X, W, b, code, param, Z, A)
        dW, db, dX = np.empty((K, N), dt), np.empty(N, dt), np.empty((M, K), dt)
        _kernels.dense_backward(X, W, dZ, dW, db, dX)
        outs.append((Z, A, dW, db, dX))
    for out in outs[1:]:
        for got, want in zip(out, outs[0]):
            assert np.array_equal(got, want)


@settings(max_examples=30, deadline=None)
@given(M=st.integers(1, 40), K=st.integers(1, 40), N=st.integers(1, 40),
       f64=st.booleans(), has_b=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_dense_property_random_shapes(M, K, N, f64, has_b, seed):
    dtype = np.float64 if f64 else np.float32
    rng = np.random.default_rng(seed)
    X, W, b = _layer(rng, M, K, N, dtype)
    b = b if has_b else None
    Z, A = np.empty((M, N), dtype), np.empty((M, N), dtype)
    _kernels.dense_forward(X, W, b, ACTIVATIONS["relu"][0], 0.0, Z, A)
    zref, bound = _z_bound(X, W, b)
    assert np.all(np.abs(Z - zref) <= bound)
    np.testing.assert_array_equal(A, np.maximum(Z, 0))
    dW, db, dX = np.empty((K, N), dtype), np.empty(N, dtype), np.empty((M, K), dtype)
    _kernels.dense_backward(X, W, Z, dW, db, dX)
    tol = _act_tol(dtype)
    scale = np.abs(X).max() * np.abs(Z).max() * M
    np.testing.assert_allclose(dW, X.astype(np.float64).T @ Z, rtol=tol["rtol"] * 10,
                               atol=scale * np.finfo(dtype).eps)


def test_dense_forward_bad_inputs_raise():
    f = np.float32
    X, W, b = np.ones((4, 3), f), np.ones((3, 5), f), np.ones(5, f)
    Z, A = np.zeros((4, 5), f), np.zeros((4, 5), f)
    fwd = _kernels.dense_forward
    with pytest.raises(ValueError, match=r"W must have shape \(3, N\).*got \(2, 5\)"):
        fwd(X, np.ones((2, 5), f), b, 0, 0.0, Z, A)
    with pytest.raises(ValueError, match=r"b must have shape \(5,\), got \(4,\)"):
        fwd(X, W, np.ones(4, f), 0, 0.0, Z, A)
    with pytest.raises(ValueError, match=r"Z must have shape \(4, 5\), got \(4, 6\)"):
        fwd(X, W, b, 0, 0.0, np.zeros((4, 6), f), A)
    with pytest.raises(ValueError, match=r"A must have shape \(4, 5\), got \(5, 4\)"):
        fwd(X, W, b, 0, 0.0, Z, np.zeros((5, 4), f))
    n_act = len(ACTIVATIONS)
    with pytest.raises(ValueError, match=rf"act must be an activation code in \[0, {n_act}\), "
                                         rf"got {n_act}"):
        fwd(X, W, b, n_act, 0.0, Z, A)
    with pytest.raises(ValueError, match="act must be"):
        fwd(X, W, b, -1, 0.0, Z, A)
    with pytest.raises(ValueError, match="output A must not share memory with X"):
        sq = np.ones((4, 4), f)
        fwd(sq, np.ones((4, 4), f), None, 0, 0.0, None, sq)
    with pytest.raises(ValueError, match="output Z must not share memory with W"):
        sq = np.ones((4, 4), f)
        fwd(np.ones((4, 4), f), sq, None, 0, 0.0, sq, np.zeros((4, 4), f))
    with pytest.raises(ValueError, match="A must not share memory with Z"):
        flat = np.zeros(21, f)       # Z and A offset by one element
        fwd(X, W, b, 0, 0.0, flat[:20].reshape(4, 5), flat[1:].reshape(4, 5))
    with pytest.raises(ValueError, match="X must be C-contiguous"):
        fwd(np.ones((4, 6), f)[:, :3], W, b, 0, 0.0, Z, A)
    with pytest.raises(TypeError, match="W is float64, expected float32"):
        fwd(X, W.astype(np.float64), b, 0, 0.0, Z, A)
    with pytest.raises(TypeError, match="b is float64, expected float32"):
        fwd(X, W, b.astype(np.float64), 0, 0.0, Z, A)
    with pytest.raises(TypeError, match="X must be a float32 or float64 NumPy array"):
        fwd(None, W, b, 0, 0.0, Z, A)
    with pytest.raises(ValueError, match="b must be 1-D"):
        fwd(X, W, b.reshape(1, 5), 0, 0.0, Z, A)
    with pytest.raises(ValueError, match="output A must be writable"):
        ro = np.zeros((4, 5), f)
        ro.flags.writeable = False
        fwd(X, W, b, 0, 0.0, Z, ro)


def test_dense_backward_bad_inputs_raise():
    f = np.float32
    X, W, dZ = np.ones((4, 3), f), np.ones((3, 5), f), np.ones((4, 5), f)
    dW, db, dX = np.zeros((3, 5), f), np.zeros(5, f), np.zeros((4, 3), f)
    bwd = _kernels.dense_backward
    with pytest.raises(ValueError, match=r"W must have shape \(3, N\)"):
        bwd(X, np.ones((4, 5), f), dZ, dW, db, dX)
    with pytest.raises(ValueError, match=r"dZ must have shape \(4, 5\), got \(3, 5\)"):
        bwd(X, W, np.ones((3, 5), f), dW, db, dX)
    with pytest.raises(ValueError, match=r"dW must have shape \(3, 5\), got \(5, 3\)"):
        bwd(X, W, dZ, np.zeros((5, 3), f), db, dX)
    with pytest.raises(ValueError, match=r"db must have shape \(5,\), got \(3,\)"):
        bwd(X, W, dZ, dW, np.zeros(3, f), dX)
    with pytest.raises(ValueError, match=r"dX must have shape \(4, 3\), got \(4, 5\)"):
        bwd(X, W, dZ, dW, db, np.zeros((4, 5), f))
    with pytest.raises(ValueError, match="output dW must not share memory with W"):
        bwd(X, W, dZ, W, db, dX)
    with pytest.raises(ValueError, match="output dX must not share memory with X"):
        bwd(X, W, dZ, dW, db, X)
    with pytest.raises(ValueError, match="output db must not share memory with dZ"):
        bwd(X, W, dZ, dW, dZ[0], dX)
    with pytest.raises(TypeError, match="dW must be a float32 or float64 NumPy array"):
        bwd(X, W, dZ, None, db, dX)
    with pytest.raises(TypeError, match="dX is float64, expected float32"):
        bwd(X, W, dZ, dW, db, dX.astype(np.float64))
    with pytest.raises(ValueError, match="dW must be C-contiguous"):
        bwd(X, W, dZ, np.zeros((3, 10), f)[:, ::2], db, dX)
