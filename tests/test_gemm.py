"""GEMM kernel (csrc/gemm.c through fastnn._kernels.gemm) against a float64 NumPy oracle.

Covers both SIMD paths (AVX2+FMA and the portable C path), both algorithms (direct and
packed, forced with a test hook so small shapes reach the packed code and its edge
tiles), all transposes, alpha/beta, leading dimensions, determinism across thread
counts, and the validation of the raw binding.

Tolerance. For a K-term dot product summed in any order, |fl(s) - s| <= gamma_K *
sum_k |a_k b_k| with gamma_K = K u / (1 - K u), u the unit roundoff (Higham, Accuracy
and Stability of Numerical Algorithms, 2nd ed., eq. 3.5). The alpha/beta/bias epilogue
adds at most three more roundings, so we allow (K + 3) u (|alpha| |op(A)| |op(B)| +
|beta C|) per element, plus a tiny absolute floor. The oracle is computed in float64 from
the same (float32) inputs, so its own error is negligible at float32 and a few u at
float64. The bound is rigorous, so it never flakes, and any indexing bug is off by
O(|a||b|), far above it.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastnn
from fastnn import _kernels

SIMD_PATHS = ["avx2+fma", "avx2+fma+avx512", "generic"]
ALGOS = ["auto", "direct", "packed"]


def _can_run(simd):
    if simd == "generic":
        return True
    if fastnn.build_info()["simd_best"] != "avx2+fma":
        return False
    return not simd.endswith("+avx512") or _kernels.gemm_avx512_supported()


def _use(simd):
    """The SIMD path, with ("+avx512") or without the AVX-512 micro-kernel (conftest's
    autouse fixture restores both)."""
    assert _kernels.set_simd_path(simd.replace("+avx512", ""))
    assert _kernels._gemm_set_avx512(simd.endswith("+avx512"))


@pytest.fixture(params=ALGOS)
def algo(request):
    _kernels._gemm_force_path(request.param)
    return request.param


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _operands(rng, M, N, K, ta, tb, dtype):
    A = _rand(rng, (K, M) if ta else (M, K), dtype)
    B = _rand(rng, (N, K) if tb else (K, N), dtype)
    return A, B


def _oracle_and_bound(A, B, C0, ta, tb, alpha, beta):
    """float64 reference and the per-element error bound described above."""
    a = (A.T if ta else A).astype(np.float64)
    b = (B.T if tb else B).astype(np.float64)
    c = C0.astype(np.float64)
    ref = alpha * (a @ b) + (beta * c if beta != 0 else 0.0)
    K = a.shape[1]
    u = np.finfo(A.dtype).eps / 2
    mag = abs(alpha) * (np.abs(a) @ np.abs(b)) + (abs(beta) * np.abs(c) if beta != 0 else 0.0)
    return ref, (K + 3) * u * mag + 10 * np.finfo(A.dtype).tiny


def _check_gemm(rng, M, N, K, ta, tb, dtype, alpha=1.0, beta=0.0):
    A, B = _operands(rng, M, N, K, ta, tb, dtype)
    C0 = _rand(rng, (M, N), dtype)
    C = C0.copy()
    if beta == 0:
        C[...] = np.nan       # beta == 0: C is write-only, NaNs must not leak through
    _kernels.gemm(ta, tb, A, B, C, alpha, beta)
    ref, bound = _oracle_and_bound(A, B, C0, ta, tb, alpha, beta)
    err = np.abs(C.astype(np.float64) - ref)
    assert np.all(err <= bound), (
        f"M={M} N={N} K={K} ta={ta} tb={tb} {np.dtype(dtype).name}: max err "
        f"{err.max():.3g}, worst err/bound {(err / bound).max():.3g}")


# Shapes around the register tiles (AVX2 6x16 f32, 6x8 f64; portable 4x8 / 4x4), the
# cache blocks (KC 256 f32 / 192 f64, MC 144 / 96 rows) and the seed's layers.
EDGE_SHAPES = [
    (1, 1, 1), (1, 17, 5), (7, 1, 9), (5, 5, 1),
    (6, 16, 8), (6, 8, 8), (7, 17, 3), (12, 33, 31), (13, 15, 40), (4, 9, 2), (3, 7, 13),
    (32, 25, 64), (32, 15, 25), (32, 10, 15), (64, 25, 32), (32, 64, 25),
    (19, 23, 255), (11, 20, 256), (9, 18, 257), (8, 9, 385), (5, 6, 513),
    (97, 21, 30), (145, 17, 12), (150, 40, 200),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("M,N,K", EDGE_SHAPES)
def test_gemm_edge_shapes_all_paths(simd_path, algo, dtype, M, N, K):
    rng = np.random.default_rng(M * 1000003 + N * 1009 + K)
    _check_gemm(rng, M, N, K, 0, 0, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("ta,tb", list(itertools.product([0, 1], [0, 1])))
@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (7, 19, 13), (33, 17, 70), (130, 40, 260)])
def test_gemm_transposes(simd_path, algo, dtype, ta, tb, M, N, K):
    rng = np.random.default_rng(11 + ta + 2 * tb)
    _check_gemm(rng, M, N, K, ta, tb, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.5, -2.0), (-1.5, 0.0), (2.0, 0.25)])
@pytest.mark.parametrize("M,N,K", [(7, 19, 13), (61, 35, 300)])
def test_gemm_alpha_beta(simd_path, algo, dtype, alpha, beta, M, N, K):
    rng = np.random.default_rng(5)
    for ta, tb in [(0, 0), (1, 1)]:
        _check_gemm(rng, M, N, K, ta, tb, dtype, alpha, beta)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gemm_wider_than_one_packed_panel(simd_path, dtype):
    """N beyond NC (4080 f32 / 2040 f64): several jc panels."""
    _kernels._gemm_force_path("packed")
    rng = np.random.default_rng(3)
    _check_gemm(rng, 8, 4100, 7, 0, 0, dtype, 1.0, 0.5)
    _check_gemm(rng, 8, 4100, 7, 1, 1, dtype)


def test_gemm_tall_and_wide_auto(simd_path):
    rng = np.random.default_rng(4)
    _check_gemm(rng, 700, 3, 20, 0, 0, np.float32)     # tall
    _check_gemm(rng, 3, 900, 20, 0, 1, np.float32)     # wide
    _check_gemm(rng, 2, 3, 1500, 1, 0, np.float32)     # deep


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gemm_zero_sizes_and_alpha_zero(dtype):
    rng = np.random.default_rng(6)
    C = _rand(rng, (4, 5), dtype)
    C0 = C.copy()
    _kernels.gemm(False, False, np.empty((4, 0), dtype), np.empty((0, 5), dtype), C, 1.0, 0.5)
    np.testing.assert_array_equal(C, (0.5 * C0).astype(dtype))     # K == 0: C = beta C
    _kernels.gemm(False, False, np.empty((4, 0), dtype), np.empty((0, 5), dtype), C, 1.0, 0.0)
    np.testing.assert_array_equal(C, np.zeros((4, 5), dtype))
    # alpha == 0 does not read A or B (BLAS semantics): NaNs there do not matter.
    A = np.full((4, 3), np.nan, dtype)
    B = np.full((3, 5), np.nan, dtype)
    C[...] = C0
    _kernels.gemm(False, False, A, B, C, 0.0, 2.0)
    np.testing.assert_array_equal(C, (2 * C0).astype(dtype))
    # Empty outputs are a no-op.
    _kernels.gemm(False, False, np.empty((0, 3), dtype), np.ones((3, 5), dtype),
                  np.empty((0, 5), dtype))
    _kernels.gemm(False, False, np.ones((4, 3), dtype), np.empty((3, 0), dtype),
                  np.empty((4, 0), dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gemm_leading_dimensions(simd_path, algo, dtype):
    """Row strides larger than the row (column slices of bigger arrays) are honoured,
    and nothing outside C's view is written."""
    rng = np.random.default_rng(8)
    M, N, K = 23, 19, 37
    for ta, tb in itertools.product([0, 1], [0, 1]):
        Abig = _rand(rng, (K + 3, M + 5) if ta else (M + 3, K + 5), dtype)
        Bbig = _rand(rng, (N + 2, K + 4) if tb else (K + 2, N + 4), dtype)
        A = Abig[1:1 + (K if ta else M), 2:2 + (M if ta else K)]
        B = Bbig[:(N if tb else K), 3:3 + (K if tb else N)]
        Cbig = np.full((M + 2, N + 7), 7.0, dtype)
        C = Cbig[1:1 + M, 4:4 + N]
        assert not A.flags.c_contiguous and not C.flags.c_contiguous
        C0 = _rand(rng, (M, N), dtype)
        C[...] = C0
        _kernels.gemm(ta, tb, A, B, C, 1.5, -0.5)
        ref, bound = _oracle_and_bound(A, B, C0, ta, tb, 1.5, -0.5)
        assert np.all(np.abs(C - ref) <= bound)
        untouched = np.ones(Cbig.shape, bool)
        untouched[1:1 + M, 4:4 + N] = False
        assert np.all(Cbig[untouched] == 7.0)


# Bitwise determinism: shapes big enough for several threads (work above
# FNN_PAR_MIN_WORK), K spanning several KC blocks, both packed modes (threads splitting
# rows when M is large, sharing the A block and splitting columns when M is small).
DET_SHAPES = [(150, 70, 600), (20, 300, 530), (61, 33, 70), (13, 45, 200)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("M,N,K", DET_SHAPES)
def test_gemm_bitwise_identical_across_threads(simd_path, algo, dtype, M, N, K):
    if not fastnn.build_info()["openmp"]:
        pytest.skip("built without OpenMP")
    rng = np.random.default_rng(9)
    for ta, tb in [(0, 0), (1, 0), (0, 1)]:
        A, B = _operands(rng, M, N, K, ta, tb, dtype)
        C0 = _rand(rng, (M, N), dtype)
        outs = []
        for nt in (1, 2, 3):
            fastnn.set_num_threads(nt)
            C = C0.copy()
            _kernels.gemm(ta, tb, A, B, C, 1.0, 0.5)
            outs.append(C)
        for C in outs[1:]:
            assert np.array_equal(C, outs[0])


def test_paths_agree_within_bound():
    """The generic and AVX2 kernels, direct and packed, all sit within the bound of the
    oracle on one shape (they round differently, so not bitwise)."""
    rng = np.random.default_rng(10)
    M, N, K = 40, 50, 300
    A, B = _operands(rng, M, N, K, 0, 0, np.float32)
    ref, bound = _oracle_and_bound(A, B, np.zeros((M, N), np.float32), 0, 0, 1.0, 0.0)
    for simd in SIMD_PATHS:
        if not _can_run(simd):
            continue
        _use(simd)
        for algo in ("direct", "packed"):
            _kernels._gemm_force_path(algo)
            C = np.empty((M, N), np.float32)
            _kernels.gemm(False, False, A, B, C)
            assert np.all(np.abs(C - ref) <= bound), (simd, algo)


# K of one, two and several packed K blocks (KC: 256 float32, 192 float64), tails on
# every edge; one output column (a binary classifier's layer: its own direct kernel).
@pytest.mark.parametrize("M,N,K", [(7, 9, 100), (30, 25, 300), (13, 40, 513), (64, 17, 1000),
                                   (40, 1, 300), (15, 1, 32), (33, 1, 15), (5, 1, 3)])
@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1)])
def test_direct_and_packed_paths_give_the_same_bits(simd_path, dtype, threads, M, N, K, ta, tb):
    """The direct kernel sums K in the packed path's blocks, so a GEMM's result does not
    depend on which path its row count picks: bitwise equal for alpha = 1 (every use in
    fastnn: layers, matmul), with beta 0 or 1. Another alpha is applied to edge tiles by
    a separate multiply on the packed path (an FMA elsewhere): then both stay within the
    bound, one rounding apart."""
    rng = np.random.default_rng(M * N + K)
    A, B = _operands(rng, M, N, K, ta, tb, dtype)
    C0 = _rand(rng, (M, N), dtype)
    for alpha, beta in ((1.0, 0.0), (1.0, 1.0), (-1.5, 0.25)):
        out = {}
        for algo in ("direct", "packed"):
            _kernels._gemm_force_path(algo)
            C = C0.copy()
            _kernels.gemm(bool(ta), bool(tb), A, B, C, alpha, beta)
            out[algo] = C
        _kernels._gemm_force_path("auto")
        if alpha == 1.0:
            assert np.array_equal(out["direct"], out["packed"]), (alpha, beta)
        ref, bound = _oracle_and_bound(A, B, C0, ta, tb, alpha, beta)
        for C in out.values():
            assert np.all(np.abs(C - ref) <= bound), (alpha, beta)


needs_avx512 = pytest.mark.skipif(not _can_run("avx2+fma+avx512"), reason="no AVX-512F")


@needs_avx512
@pytest.mark.parametrize("M,N,K", [(6, 32, 1), (128, 512, 784), (23, 784, 300), (13, 47, 513),
                                   (50, 17, 70), (7, 16, 9), (150, 33, 260),
                                   (97, 64, 1031)])
@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_avx512_kernel_gives_the_avx2_bits(dtype, M, N, K, ta, tb):
    """The AVX-512 micro-kernel changes speed only: the same K blocks and per-element FMA
    chains as the AVX2 one, so the same bits for alpha = 1 (every use in fastnn), with
    beta 0 or 1, on full tiles, on edges of 1-15 and 17-31 columns (the half-width
    remainder takes the AVX2 kernel), on pairs of full tiles (the 12 x 32 float kernel,
    with K blocks that are not a multiple of its 8-step loop) and with op(B) = B^T
    packing."""
    rng = np.random.default_rng(M + N + K)
    A, B = _operands(rng, M, N, K, ta, tb, dtype)
    C0 = _rand(rng, (M, N), dtype)
    _kernels._gemm_force_path("packed")
    for beta in (0.0, 1.0):
        out = []
        for simd in ("avx2+fma", "avx2+fma+avx512"):
            _use(simd)
            C = C0.copy()
            _kernels.gemm(bool(ta), bool(tb), A, B, C, 1.0, beta)
            out.append(C)
        assert np.array_equal(out[0], out[1]), beta


@needs_avx512
@pytest.mark.parametrize("M", [1, 5, 6, 7, 13, 32])
@pytest.mark.parametrize("K", [1, 9, 300])
def test_avx512_direct_strips_give_the_avx2_bits(dtype, M, K):
    """The direct path's AVX-512 strips (6 x 2-zmm tiles, the last N % 32 float or
    N % 16 double columns under lane masks) against the AVX2 strips (6 x 2-ymm tiles, an
    overlapping or zero-padded last tile): bitwise equal for alpha = 1 with beta 0, 1 and
    0.5, every transpose, with and without a bias and activation (dense_forward), for
    column counts around both tile widths; another alpha runs the AVX2 strip itself."""
    rng = np.random.default_rng(M * 1000 + K)
    _kernels._gemm_force_path("direct")
    for N in (1, 3, 8, 15, 16, 17, 24, 25, 31, 32, 33, 40, 47, 48, 64, 70):
        for ta, tb in ((0, 0), (1, 0), (0, 1)):
            A, B = _operands(rng, M, N, K, ta, tb, dtype)
            C0 = _rand(rng, (M, N), dtype)
            for alpha, beta in ((1.0, 0.0), (1.0, 1.0), (1.0, 0.5), (-1.5, 0.25)):
                out = []
                for simd in ("avx2+fma", "avx2+fma+avx512"):
                    _use(simd)
                    C = C0.copy()
                    _kernels.gemm(bool(ta), bool(tb), A, B, C, alpha, beta)
                    out.append(C)
                assert np.array_equal(out[0], out[1]), (N, ta, tb, alpha, beta)
        X, W = _rand(rng, (M, K), dtype), _rand(rng, (K, N), dtype)
        bias = _rand(rng, (N,), dtype)
        for act in ("linear", "relu", "softmax"):
            code = fastnn._codes.ACTIVATIONS[act][0]
            out = []
            for simd in ("avx2+fma", "avx2+fma+avx512"):
                _use(simd)
                Z, Y = np.empty((M, N), dtype), np.empty((M, N), dtype)
                _kernels.dense_forward(X, W, bias, code, 0.0, Z, Y)
                out.append((Z, Y))
            assert np.array_equal(out[0][0], out[1][0]) and \
                np.array_equal(out[0][1], out[1][1]), (N, act)
    _kernels._gemm_force_path("auto")


@needs_avx512
@pytest.mark.parametrize("M", [32, 37, 100, 256])
@pytest.mark.parametrize("K", [1, 128, 300])
def test_avx512_weight_gradient_columns_give_the_avx2_bits(dtype, threads, M, K):
    """dW = X^T dZ of a layer with few units (2..10 columns) runs vectors down the rows
    with the AVX-512 kernels (rows split over the threads): bitwise the AVX2 direct
    path's result and the packed path's, for every thread count, row counts off the
    vector width (masked last rows), one and several K blocks; 11 and 12 columns (the
    column tiles) and beta != 0 are checked alongside."""
    from fastnn import kernel_ops as ops
    rng = np.random.default_rng(M + K)
    for N in range(1, 13):
        X, dZ = _rand(rng, (M, K), dtype), _rand(rng, (M, N), dtype)
        out = []
        for simd, algo in (("avx2+fma", "direct"), ("avx2+fma+avx512", "auto"),
                           ("avx2+fma+avx512", "packed")):
            _use(simd)
            _kernels._gemm_force_path(algo)
            C = np.full((K, N), np.nan, dtype)
            _kernels.gemm(True, False, X, dZ, C, 1.0, 0.0)
            C1 = _rand(np.random.default_rng(N), (K, N), dtype)
            _kernels.gemm(True, False, X, dZ, C1, 1.0, 1.0)
            dw, db, _ = ops.dense_backward(X, np.zeros((K, N), dtype), dZ, need_dx=False)
            out.append((C, C1, dw))
        _kernels._gemm_force_path("auto")
        for got in out[1:]:
            for a, b in zip(out[0], got):
                assert np.array_equal(a, b), N
        ref, bound = _oracle_and_bound(X, dZ, np.zeros((K, N), dtype), True, False, 1.0, 0.0)
        assert np.all(np.abs(out[1][0] - ref) <= bound), N


@needs_avx512
def test_avx512_kernel_trains_and_predicts_the_avx2_bits(dtype):
    """A fit and a predict large enough for the packed path (and its pre-packed inference
    weights) end with the same weights and outputs bitwise with either micro-kernel."""
    from fastnn import Sequential
    from fastnn.layers import Dense, Input
    rng = np.random.default_rng(5)
    x = rng.standard_normal((600, 300)).astype(dtype)
    y = rng.integers(0, 10, 600)
    results = []
    for simd in ("avx2+fma", "avx2+fma+avx512"):
        _use(simd)
        fastnn.utils.set_random_seed(3)
        m = Sequential([Input((300,), dtype=dtype.name), Dense(200, activation="relu"),
                        Dense(40, activation="relu"), Dense(10)])
        m.compile(optimizer="adam",
                  loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(x, y, batch_size=128, epochs=1, verbose=0)
        results.append(m.get_weights() + [m.predict(x, batch_size=600, verbose=0)])
    for a, b in zip(*results):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("act,units", [("relu", 37), ("tanh", 37), ("softmax", 37),
                                       ("sigmoid", 1)])
def test_dense_forward_same_bits_for_any_row_count(simd_path, dtype, act, units):
    """A dense layer with K > KC (bias and activation in the epilogue): each row's output
    is the same whether it is computed alone, in a small batch (direct GEMM) or in a
    large one (packed)."""
    from fastnn import kernel_ops as ops
    rng = np.random.default_rng(4)
    x = _rand(rng, (300, 600), dtype)
    w = _rand(rng, (600, units), dtype) * 0.05
    b = _rand(rng, (units,), dtype)
    whole = ops.dense(x, w, b, activation=act)
    for rows in (slice(0, 1), slice(5, 12), slice(100, 164), slice(0, 300)):
        assert np.array_equal(ops.dense(x[rows], w, b, activation=act), whole[rows]), rows


@settings(max_examples=40, deadline=None)
@given(M=st.integers(1, 40), N=st.integers(1, 40), K=st.integers(1, 60),
       ta=st.booleans(), tb=st.booleans(), f64=st.booleans(),
       algo=st.sampled_from(ALGOS), simd=st.sampled_from(SIMD_PATHS),
       beta=st.sampled_from([0.0, 1.0, -0.5]), seed=st.integers(0, 2**31 - 1))
def test_gemm_property_random_shapes(M, N, K, ta, tb, f64, algo, simd, beta, seed):
    if not _can_run(simd):
        simd = "generic"
    _use(simd)
    _kernels._gemm_force_path(algo)
    try:
        _check_gemm(np.random.default_rng(seed), M, N, K, int(ta), int(tb),
                    np.float64 if f64 else np.float32, 1.0, beta)
    finally:
        _kernels._gemm_force_path("auto")
        _kernels.set_simd_path(fastnn.build_info()["simd_best"])


@settings(max_examples=30, deadline=None)
@given(M=st.integers(0, 6), N=st.integers(0, 6), K=st.integers(0, 6),
       K2=st.integers(0, 6), Mc=st.integers(0, 6), Nc=st.integers(0, 6),
       ta=st.booleans(), tb=st.booleans())
def test_gemm_property_shape_validation(M, N, K, K2, Mc, Nc, ta, tb):
    """Any shape mismatch raises ValueError before C runs; matching shapes succeed."""
    A = np.ones((K, M) if ta else (M, K), np.float32)
    B = np.ones((N, K2) if tb else (K2, N), np.float32)
    C = np.zeros((Mc, Nc), np.float32)
    if K == K2 and (Mc, Nc) == (M, N):
        _kernels.gemm(ta, tb, A, B, C)
        np.testing.assert_array_equal(C, np.full((M, N), K, np.float32))
    else:
        with pytest.raises(ValueError, match="gemm: "):
            _kernels.gemm(ta, tb, A, B, C)


def test_gemm_bad_inputs_raise():
    f = np.float32
    A, B, C = np.ones((3, 4), f), np.ones((4, 5), f), np.zeros((3, 5), f)
    with pytest.raises(ValueError, match=r"inner dimensions.*\(3, 4\).*\(5, 5\)"):
        _kernels.gemm(False, False, A, np.ones((5, 5), f), C)
    with pytest.raises(ValueError, match=r"C must have shape \(3, 5\).*got \(5, 3\)"):
        _kernels.gemm(False, False, A, B, np.zeros((5, 3), f))
    with pytest.raises(ValueError, match=r"C must have shape \(4, 5\)"):
        _kernels.gemm(True, False, np.ones((3, 4), f), np.ones((3, 5), f), C)
    with pytest.raises(ValueError, match="output C must not share memory with A"):
        big = np.ones((3, 9), f)
        _kernels.gemm(False, False, big[:, :4], np.ones((4, 5), f), big[:, 4:])
    with pytest.raises(ValueError, match="output C must not share memory with B"):
        sq = np.ones((4, 4), f)
        _kernels.gemm(False, False, np.ones((4, 4), f), sq, sq)
    with pytest.raises(TypeError, match="B is float64, expected float32"):
        _kernels.gemm(False, False, A, B.astype(np.float64), C)
    with pytest.raises(TypeError, match="A must have dtype float32 or float64, got int64"):
        _kernels.gemm(False, False, A.astype(np.int64), B, C)
    with pytest.raises(TypeError, match="big-endian|dtype float32 or float64"):
        _kernels.gemm(False, False, A.astype(">f4" if np.little_endian else "<f4"), B, C)
    with pytest.raises(ValueError, match=r"A must be 2-D, got 1-D \(shape \(4,\)\)"):
        _kernels.gemm(False, False, np.ones(4, f), B, C)
    with pytest.raises(TypeError, match="A must be a float32 or float64 NumPy array, got NoneType"):
        _kernels.gemm(False, False, None, B, C)
    with pytest.raises(TypeError, match="got list"):
        _kernels.gemm(False, False, A.tolist(), B, C)
    with pytest.raises(ValueError, match="A must be C-contiguous"):   # strided columns
        _kernels.gemm(False, False, np.ones((3, 8), f)[:, ::2], B, C)
    with pytest.raises(ValueError, match="A must have its rows stored forward"):
        _kernels.gemm(False, False, np.ones((3, 4), f)[::-1], B, C)   # negative stride
    with pytest.raises(ValueError, match="output C must be writable"):
        ro = np.zeros((3, 5), f)
        ro.flags.writeable = False
        _kernels.gemm(False, False, A, B, ro)
    # Read-only inputs are fine.
    ra, rb = A.copy(), B.copy()
    ra.flags.writeable = rb.flags.writeable = False
    _kernels.gemm(False, False, ra, rb, C)
    np.testing.assert_array_equal(C, np.full((3, 5), 4, f))
