"""The mixed_bfloat16 policy: the bfloat16 rounding kernel (csrc/bf16.c) bit for bit
against a NumPy reference, the policy API on layers and models, and training under the
policy on the layer-by-layer path.

Tolerance of the numerical tests. Under mixed_bfloat16 a product's operands are bfloat16
values (8 significant bits), so each product a_k b_k (16 bits) is exact in float32; the
only error is the float32 summation, |fl(s) - s| <= gamma_n sum |terms| with gamma_n =
n u / (1 - n u), u = 2**-24, for n terms summed in any order (Higham, Accuracy and
Stability of Numerical Algorithms, eq. 3.5). The reference rounds the same operands to
bfloat16, sums in float64 and rounds to float32 (one more u); the bias adds one term.
The bound is rigorous, so these tests never flake, and a missing rounding of any operand
shows as an error of about 2**-9 relative, far above it.
"""
import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import fastnn
from fastnn import _kernels, layers, mixed_precision
from fastnn.mixed_precision import DTypePolicy

U32 = 2.0 ** -24


@pytest.fixture(autouse=True)
def _global_policy_restored():
    """Every test leaves the global policy as it found it."""
    before = mixed_precision._GLOBAL[0]
    yield
    mixed_precision._GLOBAL[0] = before


# ------------------------------------------------------------------ the reference
def ref_bits(x):
    """NumPy reference of the rounding: the bfloat16 bits (uint16) of float32 x."""
    u = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    out = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(x, np.float32))
    out[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)    # NaN: quiet, sign kept
    return out


def ref_round(x):
    """The float32 holding the bfloat16 value of x."""
    return (ref_bits(x).astype(np.uint32) << 16).view(np.float32)


def _f32(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


# Boundary inputs, as float32 bit patterns, with the bfloat16 each must give.
BOUNDARY = [
    (0x00000000, 0x0000), (0x80000000, 0x8000),                # +-0
    (0x7F800000, 0x7F80), (0xFF800000, 0xFF80),                # +-inf
    (0x3F808000, 0x3F80),   # tie, even below: stays
    (0x3F818000, 0x3F82),   # tie, odd below: rounds up to even
    (0x3F807FFF, 0x3F80), (0x3F808001, 0x3F81),                # just below / above a tie
    (0xBF818000, 0xBF82),   # negative tie to even
    (0x7F7FFFFF, 0x7F80),   # float32 max -> inf
    (0xFF7FFFFF, 0xFF80),   # -max -> -inf
    (0x7F7F7FFF, 0x7F7F),   # just below the halfway point to inf: the largest bfloat16
    (0x7F7F8000, 0x7F80),   # halfway between the largest bfloat16 and inf, odd below: inf
    (0x00000001, 0x0000),   # smallest denormal -> +0
    (0x80000001, 0x8000),   # -smallest denormal -> -0
    (0x00008000, 0x0000),   # denormal tie, even below: 0
    (0x00018000, 0x0002),   # denormal tie, odd below: up
    (0x00010000, 0x0001),   # smallest bfloat16 denormal, exact
    (0x007FFFFF, 0x0080),   # largest denormal -> smallest normal
    (0x00400000, 0x0040),   # a denormal that is exact
    (0x00800000, 0x0080),   # smallest normal
    (0x7FC00000, 0x7FC0), (0xFFC00000, 0xFFC0),                # quiet NaNs
    (0x7F800001, 0x7FC0),   # signalling NaN with a low payload: quieted, stays NaN
    (0x7FFFFFFF, 0x7FFF), (0xFFFFFFFF, 0xFFFF),                # NaN near the carry
    (0x7FA00000, 0x7FE0),   # signalling NaN with a top payload bit: kept, quieted
]


@pytest.fixture(params=["portable", "avx512_bf16", "amx_bf16"])
def bf16_path(request):
    """Run on the portable C path, the AVX-512 BF16 one and the AMX one (each skipped
    where the CPU, or the OS for AMX, does not have it); the defaults are restored
    afterwards."""
    default, default_amx = _kernels.bf16_avx512(), _kernels.bf16_amx()
    if request.param == "amx_bf16":
        if not _kernels.bf16_amx_supported():
            pytest.skip("this CPU has no AMX-BF16 (or the OS does not grant it)")
        assert _kernels._bf16_set_amx(True)
        assert _kernels.bf16_amx()
    else:
        _kernels._bf16_set_amx(False)
        assert not _kernels.bf16_amx()
        if request.param == "avx512_bf16":
            if not _kernels.bf16_avx512_supported() or \
                    fastnn.build_info()["simd"] != "avx2+fma":
                pytest.skip("this CPU has no AVX512_BF16 (or the SIMD path is generic)")
            assert _kernels._bf16_set_avx512(True)
            assert _kernels.bf16_avx512()
        else:
            _kernels._bf16_set_avx512(False)
            assert not _kernels.bf16_avx512()
    yield request.param
    _kernels._bf16_set_avx512(default)
    _kernels._bf16_set_amx(default_amx)


@pytest.fixture(params=[1, 2])
def threads(request, set_threads):
    """At 1 thread, and at 2 with every kernel forced parallel (blocks of the rounding
    shared between the threads)."""
    if request.param > 1 and not fastnn.build_info()["openmp"]:
        pytest.skip("built without OpenMP")
    set_threads(request.param)
    _kernels.set_par_min_work(1 if request.param > 1 else 2 ** 32)
    yield request.param
    _kernels.set_par_min_work(0)


# ------------------------------------------------------------------ the kernel
def test_reference_agrees_with_the_boundary_table():
    """The NumPy reference itself on the hand-written table (so a wrong reference cannot
    make the kernel tests pass)."""
    x = _f32([b for b, _ in BOUNDARY])
    np.testing.assert_array_equal(ref_bits(x), np.array([r for _, r in BOUNDARY], np.uint16))


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 31, 32, 33, 1000, 70_001])
def test_round_and_pack_match_the_reference_bit_for_bit(bf16_path, threads, n):
    """Random bit patterns (every class: normals, denormals, NaNs, infinities), with
    the boundary table spliced in, at lengths that exercise the vector tails and the
    thread blocks (16384 elements)."""
    rng = np.random.default_rng(n)
    bits = rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32)
    table = np.array([b for b, _ in BOUNDARY], np.uint32)
    for start in range(0, n, max(1, n // 3)):       # the table at several offsets
        m = min(len(table), n - start)
        bits[start:start + m] = table[:m]
    x = bits.view(np.float32)
    expected = ref_bits(x)
    packed = np.full(n, 0xABCD, np.uint16)
    _kernels.pack_bf16(x, packed)
    np.testing.assert_array_equal(packed, expected)
    rounded = np.full(n, 7.0, np.float32)
    _kernels.round_bf16(x, rounded)
    np.testing.assert_array_equal(rounded.view(np.uint32), expected.astype(np.uint32) << 16)


def test_round_in_place_and_on_small_magnitudes(bf16_path):
    """In place (y is x); and ordinary data (floats of every scale), whose rounded
    values are within half a bfloat16 ulp of the inputs."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(5000) * 10.0 ** rng.integers(-40, 38, 5000)).astype(np.float32)
    expected = ref_round(x)
    y = x.copy()
    _kernels.round_bf16(y, y)
    np.testing.assert_array_equal(y.view(np.uint32), expected.view(np.uint32))
    # half a bfloat16 ulp (2**(e-8) for 2**e <= |x|) where neither over- nor underflows
    normal = (np.abs(x) >= np.finfo(np.float32).tiny) & np.isfinite(y)
    assert normal.sum() > 4000
    assert np.all(np.abs(y - x)[normal] <= 2.0 ** -8 * np.abs(x)[normal])


def test_paths_and_thread_counts_give_the_same_bits(set_threads):
    """Every path at every thread count: the same bits (the determinism guarantee)."""
    bits = np.random.default_rng(9).integers(0, 2 ** 32, 100_003, dtype=np.uint64)
    x = bits.astype(np.uint32).view(np.float32)
    outs = []
    default = _kernels.bf16_avx512()
    paths = [False] + ([True] if _kernels.bf16_avx512_supported() else [])
    try:
        for on in paths:
            _kernels._bf16_set_avx512(on)
            for nt in (1, 2, 3):
                set_threads(nt)
                _kernels.set_par_min_work(1)
                y = np.empty_like(x)
                _kernels.round_bf16(x, y)
                outs.append(y.view(np.uint32))
    finally:
        _kernels._bf16_set_avx512(default)
        _kernels.set_par_min_work(0)
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_build_info_names_the_bf16_path(bf16_path):
    assert fastnn.build_info()["bf16_gemm"] == bf16_path


def _cpu_vendor():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f
                         if line.startswith("vendor_id")), None)
    except OSError:
        return None


def test_default_bf16_path_follows_the_cpu_and_the_environment():
    """AMX where the CPU and the OS have it (FASTNN_BF16_AMX=0 turns it off); otherwise
    the AVX512_BF16 instructions on an AMD CPU that has them (the faster path there;
    FASTNN_BF16_AVX512=0 turns them off, =1 asks for them on other CPUs that have them),
    else the portable path."""
    avx512 = _kernels.bf16_avx512_supported() and fastnn.build_info()["simd"] == "avx2+fma"
    amx = _kernels.bf16_amx_supported()
    vendor = _cpu_vendor()
    if vendor is None and avx512:
        pytest.skip("no /proc/cpuinfo to tell the CPU's maker")
    amd = vendor == "AuthenticAMD"
    code = "import fastnn; print(fastnn.build_info()['bf16_gemm'])"
    for amx_env, avx_env, want in [
            ("", "", "amx_bf16" if amx else "avx512_bf16" if avx512 and amd else "portable"),
            ("0", "", "avx512_bf16" if avx512 and amd else "portable"),
            ("", "0", "amx_bf16" if amx else "portable"),
            ("", "1", "amx_bf16" if amx else "avx512_bf16" if avx512 else "portable"),
            ("0", "0", "portable"),
            ("0", "1", "avx512_bf16" if avx512 else "portable"),
            ("1", "0", "amx_bf16" if amx else "portable")]:
        env = dict(os.environ, FASTNN_BF16_AVX512=avx_env, FASTNN_BF16_AMX=amx_env)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True)
        assert out.stdout.strip() == want, (amx_env, avx_env)


def test_amx_is_asked_of_the_os_only_where_the_cpu_has_it():
    """bf16_amx_supported() is the CPU's AMX-BF16 flag (/proc/cpuinfo) granted by Linux:
    never true on a CPU without the flag."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
    except OSError:
        pytest.skip("no /proc/cpuinfo")
    if "amx_bf16" not in flags:
        assert not _kernels.bf16_amx_supported()
    elif sys.platform == "linux":
        assert _kernels.bf16_amx_supported()   # Linux 5.16+ grants it when asked


# ------------------------------------------------------------------ the bfloat16 GEMM
def _gemm_ref(a, b, ta, tb):
    """(op(a) @ op(b) on the rounded operands in float64, the summation bound)."""
    A, B = ref_round(a).astype(np.float64), ref_round(b).astype(np.float64)
    A, B = (A.T if ta else A), (B.T if tb else B)
    k = A.shape[1] + 1
    gamma = k * U32 / (1 - k * U32)
    # + k * 2**-126: the AVX512_BF16 instruction flushes denormal sums to zero
    return A @ B, gamma * (np.abs(A) @ np.abs(B)) + k * 2.0 ** -126


@pytest.mark.parametrize("m, n, k", [(1, 1, 1), (7, 33, 5), (6, 32, 2), (13, 70, 64),
                                     (32, 25, 64), (100, 17, 129), (20, 40, 601),
                                     (5, 3, 0), (0, 4, 3), (70, 45, 100), (33, 65, 32),
                                     (9, 12, 1100)])
@pytest.mark.parametrize("ta, tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_gemm_bf16_within_the_summation_bound(bf16_path, threads, m, n, k, ta, tb):
    """Every tile edge (8-row blocks, 32-column panels), odd K (a padded pair), several
    K blocks (at most 512 pairs each), both transposes; the rounding of both operands shows far
    outside the bound."""
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    c = np.full((m, n), np.nan, np.float32)
    _kernels.gemm_bf16(ta, tb, a, b, c)
    want, bound = _gemm_ref(a, b, ta, tb)
    assert np.all(np.abs(c - want) <= bound)
    if m * n * k > 100:   # not the float32 product: the operands were rounded
        plain = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
        assert np.max(np.abs(plain - want) - bound) > 0


def _vdpbf16ps_gemm(a, b):
    """op(A) op(B) as the AVX512_BF16 path computes it, in NumPy: the operands rounded
    to bfloat16 (denormal ones read as zero), each element summed over the pairs of k
    in order, within a pair k + 1 then k, every step rounded to float32 (a product of
    two bfloat16 values is exact in float32) and a denormal sum flushed to zero."""
    A, B = ref_round(a), ref_round(b)
    A[np.abs(A) < 2.0 ** -126] = 0
    B[np.abs(B) < 2.0 ** -126] = 0
    if A.shape[1] % 2:
        A = np.hstack([A, np.zeros((A.shape[0], 1), np.float32)])
        B = np.vstack([B, np.zeros((1, B.shape[1]), np.float32)])
    acc = np.zeros((A.shape[0], B.shape[1]), np.float32)
    for p in range(A.shape[1] // 2):
        for k in (2 * p + 1, 2 * p):
            acc = acc + np.outer(A[:, k], B[k, :])
            acc[np.abs(acc) < 2.0 ** -126] = 0
    return acc


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (7, 33, 5), (8, 32, 32), (9, 31, 33),
                                     (17, 1100, 70), (128, 450, 200), (131, 97, 10),
                                     (64, 322, 31), (40, 48, 48)])
@pytest.mark.parametrize("ta, tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_avx512_bf16_gemm_is_the_instruction_bit_for_bit(threads, m, k, n, ta, tb):
    """The vdpbf16ps path against its arithmetic written out in NumPy, bit for bit: row
    blocks of 8 and their edges, 32-column panels and partial ones (those of at most 16
    columns run a tile of one column vector), odd K, K blocks of
    unequal counts of pairs (1,100 values of k: two blocks of 275 pairs), the packing of both
    operands in both layouts (pairs taken along and across the stored rows, in 16s and
    a tail), and denormal operands (read as zero)."""
    if not _kernels.bf16_avx512_supported() or fastnn.build_info()["simd"] != "avx2+fma":
        pytest.skip("this CPU has no AVX512_BF16 (or the SIMD path is generic)")
    default, default_amx = _kernels.bf16_avx512(), _kernels.bf16_amx()
    rng = np.random.default_rng(m * 7 + k * 3 + n + 100 * ta + 10 * tb)
    A = rng.standard_normal((m, k)).astype(np.float32)      # op(A), op(B)
    B = rng.standard_normal((k, n)).astype(np.float32)
    # denormal operands (in float32 and in bfloat16) in some rows of each, the others
    # without (the packing converts 32 values at a time by an instruction that reads
    # denormals as zero, and takes the formula where one is among them)
    A[: max(1, m // 4)].flat[::7] = 3e-39
    B[-1].flat[::3] = -1e-39
    # a denormal that rounds up to the least normal bfloat16, alone in C's column 0 with
    # A's values of magnitude >= 1: that column shows whether it was read as 2^-126
    B[:, 0] = 0
    B[k // 2, 0] = 1.1752e-38
    A[:, k // 2] = np.where(A[:, k // 2] < 0, -1.5, 1.5)
    a = np.ascontiguousarray(A.T) if ta else A
    b = np.ascontiguousarray(B.T) if tb else B
    c = np.full((m, n), np.nan, np.float32)
    try:
        _kernels._bf16_set_amx(False)
        assert _kernels._bf16_set_avx512(True)
        _kernels.gemm_bf16(bool(ta), bool(tb), a, b, c)
    finally:
        _kernels._bf16_set_avx512(default)
        _kernels._bf16_set_amx(default_amx)
    want = _vdpbf16ps_gemm(A, B)
    assert np.all(np.abs(want[:, 0]) == np.float32(1.5 * 2.0 ** -126))
    np.testing.assert_array_equal(c.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("m, k, n, ta, tb", [
    (301, 1100, 77, 0, 0),      # 2 K blocks; threads split the rows (3 column panels)
    (128, 450, 200, 0, 0),      # 7 panels: threads split the columns, each packing its own
    (128, 450, 200, 1, 1),
    (130, 301, 257, 0, 1),      # odd K, a partial last panel
    (1000, 600, 200, 1, 0),     # a packed A too large to stay in cache: the rows again
])
def test_gemm_bf16_same_bits_at_every_thread_count(bf16_path, set_threads, m, k, n, ta, tb):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    outs = []
    try:
        for nt in (1, 2, 3):
            set_threads(nt)
            _kernels.set_par_min_work(1 if nt > 1 else 2 ** 32)
            c = np.empty((m, n), np.float32)
            _kernels.gemm_bf16(bool(ta), bool(tb), a, b, c)
            outs.append(c)
    finally:
        _kernels.set_par_min_work(0)
    for c in outs[1:]:
        np.testing.assert_array_equal(c, outs[0])


def test_gemm_bf16_propagates_nan_and_inf(bf16_path):
    a = np.ones((2, 4), np.float32)
    a[0, 1] = np.nan
    a[1, 2] = np.inf
    c = np.empty((2, 3), np.float32)
    _kernels.gemm_bf16(False, False, a, np.ones((4, 3), np.float32), c)
    assert np.isnan(c[0]).all() and np.isposinf(c[1]).all()


def test_matmul_public_function(bf16_path):
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((9, 40)), rng.standard_normal((40, 11))
    c = mixed_precision.matmul(a, b)
    assert c.dtype == np.float32 and c.shape == (9, 11)
    want, bound = _gemm_ref(a.astype(np.float32), b.astype(np.float32), 0, 0)
    assert np.all(np.abs(c - want) <= bound)
    with pytest.raises(ValueError, match=r"matmul: b must have 40 rows to match a's columns"):
        mixed_precision.matmul(a, b.T)
    with pytest.raises(ValueError, match=r"matmul: a must be a matrix \(2-D\), got shape \(3,\)"):
        mixed_precision.matmul(np.ones(3), b)
    with pytest.raises(TypeError, match="matmul: b must hold real numbers"):
        mixed_precision.matmul(a, np.array([["x"]]))


@pytest.mark.parametrize("call, message", [
    (lambda: _kernels.gemm_bf16(False, False, np.ones((2, 3), np.float32),
                                np.ones((4, 2), np.float32), np.ones((2, 2), np.float32)),
     r"op\(b\) must have 3 rows \(op\(a\) has 3 columns\), got 4"),
    (lambda: _kernels.gemm_bf16(False, True, np.ones((2, 3), np.float32),
                                np.ones((4, 3), np.float32), np.ones((2, 5), np.float32)),
     r"c must have shape \(2, 4\), got \(2, 5\)"),
    (lambda: _kernels.gemm_bf16(False, False, np.ones((2, 3), np.float64),
                                np.ones((3, 2), np.float32), np.ones((2, 2), np.float32)),
     "Buffer dtype mismatch"),
])
def test_gemm_bf16_binding_checks(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_gemm_bf16_refuses_an_output_overlapping_an_operand():
    buf = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError, match="c overlaps a: give a separate output array"):
        _kernels.gemm_bf16(False, False, buf, np.ones((4, 4), np.float32), buf)
    with pytest.raises(ValueError, match="c overlaps b"):
        _kernels.gemm_bf16(False, False, np.ones((4, 4), np.float32), buf, buf)


@pytest.mark.parametrize("call, exc, message", [
    (lambda: _kernels.round_bf16(np.zeros(3, np.float32), np.zeros(4, np.float32)),
     ValueError, r"y must have 3 elements \(as x\), got 4"),
    (lambda: _kernels.pack_bf16(np.zeros(3, np.float32), np.zeros(2, np.uint16)),
     ValueError, r"y must have 3 elements \(as x\), got 2"),
    (lambda: _kernels.round_bf16(np.zeros(3, np.float64), np.zeros(3, np.float32)),
     ValueError, "Buffer dtype mismatch"),
    (lambda: _kernels.pack_bf16(np.zeros(3, np.float32), np.zeros(3, np.int32)),
     ValueError, "Buffer dtype mismatch"),
    (lambda: _kernels.round_bf16(np.zeros(6, np.float32)[::2], np.zeros(3, np.float32)),
     ValueError, "contiguous"),
    (lambda: _kernels.round_bf16(None, np.zeros(3, np.float32)), TypeError, "x"),
])
def test_binding_checks_before_the_c_call(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_binding_refuses_overlapping_buffers():
    buf = np.zeros(10, np.float32)
    with pytest.raises(ValueError, match="y overlaps x without being x"):
        _kernels.round_bf16(buf[:8], buf[2:])
    raw = np.zeros(16, np.uint8)
    with pytest.raises(ValueError, match="y overlaps x without being x"):
        _kernels.pack_bf16(raw[:12].view(np.float32), raw[4:10].view(np.uint16))


def test_round_bfloat16_public_function():
    x = np.array([[1.0 + 2.0 ** -8, 3.14159], [np.nan, -np.inf]])
    y = mixed_precision.round_bfloat16(x)
    assert y.dtype == np.float32 and y.shape == (2, 2)
    np.testing.assert_array_equal(y, ref_round(x.astype(np.float32)))
    assert mixed_precision.round_bfloat16(2).shape == () and mixed_precision.round_bfloat16(2) == 2
    with pytest.raises(TypeError, match="round_bfloat16: x must hold real numbers, got dtype"):
        mixed_precision.round_bfloat16(np.array(["a"]))


# ------------------------------------------------------------------ the policy API
@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("float64", "float64", "float64"),
    ("mixed_bfloat16", "bfloat16", "float32")])
def test_policy_properties(name, compute, variable):
    p = DTypePolicy(name)
    assert (p.name, p.compute_dtype, p.variable_dtype, p.quantization_mode) == \
        (name, compute, variable, None)
    assert repr(p) == f'<DTypePolicy "{name}">'
    assert p.get_config() == {"name": name}
    assert DTypePolicy.from_config(p.get_config()) == p
    assert pickle.loads(pickle.dumps(p)) == p and copy.deepcopy(p) == p


@pytest.mark.parametrize("name, message", [
    ("bfloat16", "NumPy does not have"),
    ("float16", "no float16 kernels"),
    ("mixed_float16", "no float16 kernels; use 'mixed_bfloat16'"),
    ("int8_from_float32", "quantized policies"),
    ("int32", r"name must be 'float32', 'float64' or 'mixed_bfloat16', got 'int32'"),
    ("", r"got ''"),
])
def test_policies_fastnn_cannot_run_are_refused_with_the_reason(name, message):
    with pytest.raises(ValueError, match=message):
        DTypePolicy(name)
    with pytest.raises(ValueError, match=message):
        mixed_precision.set_global_policy(name)
    with pytest.raises(ValueError, match=f"Dense: dtype: .*{message}"):
        layers.Dense(2, dtype=name)


def test_global_policy_set_and_read_through_every_keras_path():
    from fastnn import keras
    assert mixed_precision.global_policy() == DTypePolicy("float32")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    for read in (keras.mixed_precision.global_policy, keras.mixed_precision.dtype_policy,
                 keras.config.dtype_policy):
        assert read().name == "mixed_bfloat16"
    keras.config.set_dtype_policy(keras.DTypePolicy("float64"))
    assert keras.mixed_precision.global_policy().variable_dtype == "float64"
    keras.mixed_precision.set_dtype_policy(keras.mixed_precision.Policy("float32"))
    assert keras.dtype_policies.get(None).name == "float32"
    assert keras.FloatDTypePolicy("mixed_bfloat16") == keras.DTypePolicy("mixed_bfloat16")
    with pytest.raises(ValueError, match="set_dtype_policy: policy must be a policy name"):
        keras.config.set_dtype_policy(None)


def test_global_policy_follows_floatx_until_set():
    fastnn.backend.set_floatx("float64")
    try:
        assert mixed_precision.global_policy().name == "float64"
        assert layers.Dense(2).dtype == "float64"
    finally:
        fastnn.backend.set_floatx("float32")


def test_get_serialize_deserialize():
    p = DTypePolicy("mixed_bfloat16")
    s = mixed_precision.serialize(p)
    assert s == {"module": "keras", "class_name": "DTypePolicy",
                 "config": {"name": "mixed_bfloat16"}, "registered_name": None}
    assert mixed_precision.deserialize(s) == p and mixed_precision.get(s) == p
    assert mixed_precision.get("mixed_bfloat16") == p and mixed_precision.get(p) is p
    assert mixed_precision.get(np.float64).name == "float64"
    assert mixed_precision.get({"class_name": "FloatDTypePolicy",
                                "config": {"name": "float32"}}).name == "float32"
    with pytest.raises(ValueError, match="dtype must be a policy name .* got int 123"):
        mixed_precision.get(123)
    with pytest.raises(ValueError, match="a serialized dtype policy must be"):
        mixed_precision.deserialize({"class_name": "Dense", "config": {"name": "float32"}})
    with pytest.raises(ValueError, match="module 'torch'"):
        mixed_precision.deserialize({"module": "torch", "class_name": "DTypePolicy",
                                     "config": {"name": "float32"}})
    with pytest.raises(TypeError, match="serialize: policy must be a DTypePolicy, got str"):
        mixed_precision.serialize("float32")


def test_layer_policy_per_layer_and_global():
    d = layers.Dense(3, dtype="mixed_bfloat16")
    assert (d.dtype, d.variable_dtype, d.compute_dtype) == ("float32", "float32", "bfloat16")
    assert d.dtype_policy == DTypePolicy("mixed_bfloat16")
    mixed_precision.set_global_policy("mixed_bfloat16")
    g, f = layers.Dense(3), layers.Dense(3, dtype="float32")
    assert g.dtype_policy.name == "mixed_bfloat16" and f.dtype_policy.name == "float32"
    g.build((None, 4))
    assert g.kernel.dtype == np.float32 and g.bias.dtype == np.float32
    d2 = layers.Dense(3, dtype=DTypePolicy("float64"))
    assert d2.dtype == "float64" and d2.compute_dtype == "float64"


def test_layer_policy_setter():
    d = layers.Dense(3)
    d.dtype_policy = "mixed_bfloat16"
    assert d.compute_dtype == "bfloat16"
    d.build((None, 2))
    d.dtype_policy = "float32"                    # same weight dtype: allowed when built
    assert d.compute_dtype == "float32"
    with pytest.raises(ValueError, match="keeps weights in float64, but the layer's weights "
                                         "are float32 already"):
        d.dtype_policy = "float64"
    assert d.dtype_policy.name == "float32"       # unchanged by the refusal


@pytest.mark.parametrize("dtype", ["mixed_bfloat16",
                                   {"module": "keras", "class_name": "DTypePolicy",
                                    "config": {"name": "mixed_bfloat16"},
                                    "registered_name": None}])
def test_config_round_trip_takes_the_name_or_keras_dict(dtype):
    d = layers.Dense(4, activation="relu", dtype=dtype)
    cfg = d.get_config()
    assert cfg["dtype"] == "mixed_bfloat16"
    back = layers.Dense.from_config(cfg)
    assert back.dtype_policy.name == "mixed_bfloat16"
    assert layers.Dense.from_config(dict(cfg, dtype=mixed_precision.serialize(
        DTypePolicy("mixed_bfloat16")))).compute_dtype == "bfloat16"


def _digits_model(policy, seed=0):
    fastnn.utils.set_random_seed(seed)
    m = fastnn.Sequential([layers.Input((64,)),
                           layers.Dense(25, activation="relu", dtype=policy),
                           layers.Dense(15, activation="relu", dtype=policy),
                           layers.Dense(10, activation="softmax", dtype=policy)])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.mark.parametrize("ext", [".fastnn", ".keras"])
def test_saved_model_keeps_the_policy_and_the_predictions(tmp_path, ext):
    if ext == ".keras":
        pytest.importorskip("h5py")
    x = np.random.default_rng(0).random((20, 64)).astype(np.float32)
    m = _digits_model("mixed_bfloat16")
    m.save(tmp_path / f"m{ext}")
    back = fastnn.models.load_model(tmp_path / f"m{ext}")
    assert [layer.dtype_policy.name for layer in back.layers] == ["mixed_bfloat16"] * 3
    np.testing.assert_array_equal(back.predict(x, verbose=0), m.predict(x, verbose=0))


# ------------------------------------------------------------------ the numerics
def _bound(a, b, bias):
    """The summation bound of the module docstring for rows a @ b + bias."""
    k = a.shape[1] + 2
    gamma = k * U32 / (1 - k * U32)
    return gamma * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
                    + np.abs(bias)) + 1e-30


def test_dense_forward_equals_the_bf16_reference(bf16_path):
    """z = bf16(x) @ bf16(W) + b summed in float32: within the summation bound of the
    float64 reference; and not the float32 product (the rounding happens)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((33, 70)).astype(np.float32)
    d = layers.Dense(19, dtype="mixed_bfloat16", bias_initializer="random_normal")
    d.build((None, 70))
    xr, kr = ref_round(x), ref_round(d.kernel)
    z_ref = (xr.astype(np.float64) @ kr.astype(np.float64) + d.bias).astype(np.float32)
    bound = _bound(xr, kr, d.bias)
    z = np.asarray(d(x))
    assert z.dtype == np.float32
    assert np.all(np.abs(z - z_ref) <= bound)
    np.testing.assert_array_equal(np.asarray(d.logits(x)), z)
    # the plain float32 product is farther away than the bound allows
    z32 = x.astype(np.float64) @ np.asarray(d.kernel, np.float64) + d.bias
    assert np.max(np.abs(z32 - z_ref) - bound) > 0
    # with an activation: relu of the same z (inference and training calls)
    d2 = layers.Dense(19, activation="relu", dtype="mixed_bfloat16")
    d2.build((None, 70))
    d2.set_weights(d.get_weights())
    np.testing.assert_array_equal(np.asarray(d2(x)), np.maximum(z, 0))
    np.testing.assert_array_equal(np.asarray(d2(x, training=True)), np.maximum(z, 0))


def test_dense_backward_takes_bf16_operands(bf16_path):
    """Gradients of sum(g * (x @ W + b)): dW = bf16(x)^T bf16(g), db = sum bf16(g),
    dx = bf16(g) bf16(W)^T, each within its summation bound; all float32."""
    rng = np.random.default_rng(2)
    x = fastnn.Variable(rng.standard_normal((40, 30)).astype(np.float32))
    g = rng.standard_normal((40, 12)).astype(np.float32)
    d = layers.Dense(12, dtype="mixed_bfloat16")
    d.build((None, 30))
    with fastnn.GradientTape() as tape:
        loss = fastnn.reduce_sum(d(x) * g)
    dk, db, dx = tape.gradient(loss, [d.kernel, d.bias, x])
    xr, kr, gr = ref_round(np.asarray(x)), ref_round(d.kernel), ref_round(g)
    zero = np.zeros(1)
    for got, a, b in ((dk, xr.T, gr), (dx, gr, kr.T)):
        got = np.asarray(got)
        assert got.dtype == np.float32
        want = a.astype(np.float64) @ b.astype(np.float64)
        assert np.all(np.abs(got - want) <= _bound(a, b, zero))
    db = np.asarray(db)
    ones = np.ones((1, 40), np.float32)
    assert db.dtype == np.float32
    assert np.all(np.abs(db - gr.astype(np.float64).sum(0)) <= _bound(ones, gr, zero)[0])


def test_mixed_model_trains_in_the_engine_like_float32(bf16_path):
    """The digits network (64-25-15-10, Adam, 30 epochs): under mixed_bfloat16 the C
    engine trains it, its test accuracy is within one point of float32's, and its
    weights and optimizer state stay float32."""
    (x, y), (xt, yt) = fastnn.datasets.digits.load_data()
    x, xt = (x / 16).astype(np.float32), (xt / 16).astype(np.float32)
    acc = {}
    for policy in ("float32", "mixed_bfloat16"):
        m = _digits_model(policy)
        h = m.fit(x, y, epochs=30, batch_size=32, verbose=0)
        if policy == "mixed_bfloat16":
            assert m._engine.fit_plan is not None, m._engine.why
            assert all(s["bf16"] for s in m._engine.fit_plan.specs)
            assert all(w.dtype == np.float32 for w in m.weights)
            slots = [np.asarray(v) for v in m.optimizer.variables
                     if np.ndim(v)]     # (the step count and the learning rate are 0-d)
            assert len(slots) == 12 and all(v.dtype == np.float32 for v in slots)
            assert np.isfinite(h.history["loss"]).all()
        acc[policy] = m.evaluate(xt, yt, verbose=0)[1]
    assert acc["float32"] > 0.9
    assert abs(acc["mixed_bfloat16"] - acc["float32"]) <= 0.01, acc


def _mixed_chain(kind, policy="mixed_bfloat16"):
    """Small mixed models of every shape the engine lowers, and how they compile."""
    fastnn.utils.set_random_seed(7)
    d = lambda units, act=None: layers.Dense(units, activation=act, dtype=policy)  # noqa: E731
    body = {"adam": [d(33, "relu"), d(17, "tanh"), d(4, "softmax")],
            "sgd_bn": [d(33, "relu"), layers.BatchNormalization(dtype=policy),
                       d(4, "softmax")],
            "bn_pre": [d(33), layers.BatchNormalization(dtype=policy),
                       layers.Activation("relu", dtype=policy), d(4, "softmax")],
            "logits": [d(33, "relu"), d(4)],
            "frozen": [d(33, "relu"), d(17, "relu"), d(4, "softmax")],
            "regression": [d(33, "silu"), d(3)]}[kind]
    m = fastnn.Sequential([layers.Input((20,))] + body)
    if kind == "frozen":
        m.layers[0].trainable = False
    loss = {"logits": fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
            "regression": "mse"}.get(kind, "sparse_categorical_crossentropy")
    opt = fastnn.optimizers.SGD(0.05, momentum=0.9) if kind == "sgd_bn" else "adam"
    m.compile(optimizer=opt, loss=loss,
              metrics=["mae"] if kind == "regression" else ["accuracy"])
    return m


@pytest.mark.parametrize("kind", ["adam", "sgd_bn", "bn_pre", "logits", "frozen",
                                  "regression"])
def test_mixed_engine_equals_the_layer_path_bitwise(bf16_path, kind, monkeypatch):
    """The C engine runs a mixed layer's products through the same bfloat16 kernels as
    the layer path, in the same order: weights, optimizer state, history, predict
    (600 rows: more than the row-parallel inference takes) and evaluate, bit for bit."""
    from fastnn import engine
    rng = np.random.default_rng(1)
    x = rng.standard_normal((600, 20)).astype(np.float32)
    y = rng.standard_normal((600, 3)).astype(np.float32) if kind == "regression" \
        else rng.integers(0, 4, 600)
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _mixed_chain(kind)
        h = m.fit(x, y, batch_size=64, epochs=2, verbose=0, validation_split=0.2)
        if fused:
            assert m._engine.fit_plan is not None, m._engine.why
        runs.append((m.get_weights(), [np.asarray(v) for v in m.optimizer.variables],
                     h.history, m.predict(x, verbose=0), m.evaluate(x, y, verbose=0)))
    (w1, s1, h1, p1, e1), (w2, s2, h2, p2, e2) = runs
    for a, b in zip(w1 + s1, w2 + s2):
        np.testing.assert_array_equal(a, b)
    assert h1.keys() == h2.keys()
    for k in h1:
        if "loss" in k or "acc" in k:
            assert h1[k] == h2[k], k
        else:   # mae: the engine adds the absolute errors up in another order (as in
            # float32), so the last bit of the float64 mean may differ
            np.testing.assert_allclose(h1[k], h2[k], rtol=1e-13, atol=0)
    np.testing.assert_array_equal(p1, p2)
    assert e1[0] == e2[0]
    np.testing.assert_allclose(e1[1:], e2[1:], rtol=1e-13, atol=0)
    # and it is not the float32 model's arithmetic
    f32 = _mixed_chain(kind, "float32")
    f32.set_weights(w1)
    assert not np.array_equal(f32.predict(x, verbose=0), p1)


def _mixed_wide(kind):
    fastnn.utils.set_random_seed(11)
    inp = fastnn.Input((1100,), dtype="mixed_bfloat16")
    h = layers.Dense(40, activation="relu", dtype="mixed_bfloat16")(inp)
    if kind == "residual":
        h = layers.Add()([h, layers.Dense(40, activation="tanh", dtype="mixed_bfloat16")(h)])
    elif kind == "concat":
        h = layers.Concatenate()([h, layers.Dense(9, dtype="mixed_bfloat16")(h)])
    out = layers.Dense(10, activation="softmax", dtype="mixed_bfloat16")(h)
    m = fastnn.Model(inp, out)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.mark.parametrize("kind", ["chain", "residual", "concat"])
def test_mixed_predict_over_many_rows_is_the_batch_loop_bit_for_bit(bf16_path, threads,
                                                                    kind, monkeypatch):
    """predict and evaluate over many rows take the row-parallel inference, where the
    AVX512_BF16 path packs each kernel once for all blocks (fnn_bf16_prepack): the same
    bits as calls of fewer rows (the batch loop, which packs per batch) and as the layer
    path; two K blocks in the first layer, residual and concatenated tensors."""
    from fastnn import engine
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1000, 1100)).astype(np.float32)
    y = rng.integers(0, 10, 1000)
    m = _mixed_wide(kind)
    m.fit(x[:256], y[:256], batch_size=64, epochs=1, verbose=0)
    many = m.predict(x, batch_size=128, verbose=0)
    assert m._engine.plan is not None, m._engine.why
    few = np.concatenate([m.predict(x[i:i + 200], batch_size=128, verbose=0)
                          for i in range(0, 1000, 200)])
    np.testing.assert_array_equal(many.view(np.uint32), few.view(np.uint32))
    ev = m.evaluate(x, y, batch_size=128, verbose=0)
    monkeypatch.setattr(engine, "ENABLED", False)
    np.testing.assert_array_equal(m.predict(x, batch_size=128, verbose=0), many)
    assert m.evaluate(x, y, batch_size=128, verbose=0) == ev


def test_dense_bf16_kernels_against_numpy(bf16_path):
    """fnn_dense_forward_bf16 / fnn_dense_backward_bf16: the products within the float32
    summation bound of the float64 reference on rounded operands; the bias added after
    the product, the activation after that; gz rounded where it is read, not written; db
    the row-order float32 sums of the rounded gz, bit for bit."""
    rng = np.random.default_rng(4)
    M, K, N = 45, 70, 37
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((K, N)).astype(np.float32)
    b = rng.standard_normal(N).astype(np.float32)
    z, a = np.empty((M, N), np.float32), np.empty((M, N), np.float32)
    _kernels.dense_forward_bf16(x, w, b, 1, 0.0, z, a)          # 1: relu
    xr, wr = ref_round(x), ref_round(w)
    prod = np.empty((M, N), np.float32)
    _kernels.gemm_bf16(False, False, x, w, prod)
    np.testing.assert_array_equal(z, prod + b)                  # the bias after the product
    np.testing.assert_array_equal(a, np.maximum(z, 0))
    want = xr.astype(np.float64) @ wr.astype(np.float64) + b
    assert np.all(np.abs(z - want) <= _bound(xr, wr, b))
    a2 = np.empty_like(a)
    _kernels.dense_forward_bf16(x, w, None, 0, 0.0, None, a2)   # no bias, linear, no z
    np.testing.assert_array_equal(a2, prod)
    gz = rng.standard_normal((M, N)).astype(np.float32)
    g = gz.copy()
    dk, db, dx = (np.empty((K, N), np.float32), np.empty(N, np.float32),
                  np.empty((M, K), np.float32))
    _kernels.dense_backward_bf16(x, w, g, dk, db, dx)
    gr = ref_round(gz)
    np.testing.assert_array_equal(g, gz)                        # read only
    seq = np.zeros(N, np.float32)
    for row in gr:
        seq = seq + row
    np.testing.assert_array_equal(db, seq)
    zero = np.zeros(1)
    assert np.all(np.abs(dk - xr.T.astype(np.float64) @ gr) <= _bound(xr.T, gr, zero))
    assert np.all(np.abs(dx - gr.astype(np.float64) @ wr.T) <= _bound(gr, wr.T, zero))


@pytest.mark.parametrize("act", ["relu", "linear", "tanh", "sigmoid"])
@pytest.mark.parametrize("bias, keep_z", [(True, True), (True, False), (False, True),
                                          (False, False)])
@pytest.mark.parametrize("m, k, n", [(45, 70, 37), (16, 1100, 64), (9, 31, 10)])
def test_dense_forward_bf16_epilogue_is_the_separate_passes(bf16_path, threads, act, bias,
                                                            keep_z, m, k, n):
    """The bias and a relu run in the AVX512_BF16 path's tiles as they store the product;
    bit for bit the product, then + bias, then the activation kernel, on every path: NaN
    rows, partial tiles and panels, two K blocks, z kept or not."""
    from fastnn._codes import ACTIVATIONS
    code = ACTIVATIONS[act][0]
    rng = np.random.default_rng(m + k + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    x[3] = np.nan
    w = rng.standard_normal((k, n)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) if bias else None
    prod = np.empty((m, n), np.float32)
    _kernels.gemm_bf16(False, False, x, w, prod)
    want_z = prod + b if bias else prod
    want_a = np.empty_like(want_z)
    _kernels.act_forward(code, 0.0, want_z, want_a)
    a = np.full((m, n), 7.0, np.float32)
    z = np.full((m, n), 7.0, np.float32) if keep_z else None
    _kernels.dense_forward_bf16(x, w, b, code, 0.0, z, a)
    np.testing.assert_array_equal(a.view(np.uint32), want_a.view(np.uint32))
    if keep_z:
        np.testing.assert_array_equal(z.view(np.uint32), want_z.view(np.uint32))
    assert np.isnan(a[3]).all() and (act != "relu" or (a >= 0).sum() == a.size - n)


@pytest.mark.parametrize("call, message", [
    (lambda: _kernels.dense_forward_bf16(np.ones((2, 3), np.float32),
                                         np.ones((4, 2), np.float32), None, 0, 0.0, None,
                                         np.empty((2, 2), np.float32)),
     "kernel must have 3 rows"),
    (lambda: _kernels.dense_forward_bf16(np.ones((2, 3), np.float32),
                                         np.ones((3, 2), np.float32), np.ones(3, np.float32),
                                         0, 0.0, None, np.empty((2, 2), np.float32)),
     r"bias must have shape \(2,\)"),
    (lambda: _kernels.dense_forward_bf16(np.ones((2, 3), np.float32),
                                         np.ones((3, 2), np.float32), None, 99, 0.0, None,
                                         np.empty((2, 2), np.float32)),
     "act must be an activation code"),
    (lambda: _kernels.dense_backward_bf16(np.ones((2, 3), np.float32),
                                          np.ones((3, 2), np.float32),
                                          np.ones((2, 2), np.float32),
                                          np.empty((3, 3), np.float32), None, None),
     r"dk must have shape \(3, 2\)"),
])
def test_dense_bf16_binding_checks(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dense_bf16_refuses_overlapping_outputs():
    buf = np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match="a overlaps x"):
        _kernels.dense_forward_bf16(buf, np.ones((4, 4), np.float32), None, 0, 0.0, None, buf)
    with pytest.raises(ValueError, match="dk overlaps gz"):
        _kernels.dense_backward_bf16(np.ones((4, 4), np.float32), np.ones((4, 4), np.float32),
                                     buf, buf, None, None)


def test_mixed_training_is_bitwise_identical_at_1_and_2_threads(bf16_path, set_threads):
    if not fastnn.build_info()["openmp"]:
        pytest.skip("built without OpenMP")
    (x, y), _ = fastnn.datasets.digits.load_data()
    x = (x[:600] / 16).astype(np.float32)
    runs = []
    try:
        for nt in (1, 2):
            set_threads(nt)
            _kernels.set_par_min_work(1 if nt > 1 else 2 ** 32)   # every kernel parallel at 2
            m = _digits_model("mixed_bfloat16")
            h = m.fit(x, y[:600], epochs=3, batch_size=64, verbose=0)
            runs.append((m.get_weights(), h.history["loss"], m.predict(x, verbose=0)))
    finally:
        _kernels.set_par_min_work(0)
    (w1, l1, p1), (w2, l2, p2) = runs
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert l1 == l2
    np.testing.assert_array_equal(p1, p2)


def test_a_policy_change_rebuilds_the_engine_plan():
    """A layer's policy changed after a fit: the engine's next call computes with the
    new policy (bfloat16 products, then float32 again), as the layer path does."""
    from fastnn import engine
    (x, y), _ = fastnn.datasets.digits.load_data()
    x = (x[:200] / 16).astype(np.float32)
    m = _digits_model("float32")
    m.fit(x, y[:200], epochs=1, verbose=0)
    assert m._engine.fit_plan is not None, m._engine.why
    p32 = m.predict(x, verbose=0)
    for layer in m.layers:
        layer.dtype_policy = "mixed_bfloat16"
    pmixed = m.predict(x, verbose=0)
    assert m._engine.plan is not None and all(s["bf16"] for s in m._engine.plan.specs)
    engine.ENABLED = False
    try:
        np.testing.assert_array_equal(pmixed, m.predict(x, verbose=0))
    finally:
        engine.ENABLED = True
    assert not np.array_equal(pmixed, p32)
    for layer in m.layers:
        layer.dtype_policy = "float32"
    np.testing.assert_array_equal(m.predict(x, verbose=0), p32)


def test_onnx_export_refuses_a_mixed_model(tmp_path):
    """A float32 Gemm would not compute what the model computes: refused, not exported."""
    pytest.importorskip("onnx")
    m = _digits_model("mixed_bfloat16")
    with pytest.raises(ValueError, match="'dense.*' under the mixed_bfloat16 dtype policy has "
                                         "no ONNX form"):
        m.export(tmp_path / "m.onnx", format="onnx")
    assert not (tmp_path / "m.onnx").exists()
