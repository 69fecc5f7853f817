/* bfloat16 rounding and the bfloat16 GEMM (contract: bf16.h). */
#include <stdlib.h>
#include <string.h>
#include "bf16.h"
#include "gemm.h"
#include "activations.h"
#if FNN_X86_DISPATCH
#include <immintrin.h>
#endif

/* Elements per block handed to a thread: results never depend on how blocks are
 * shared out, since each element is rounded on its own. */
#define BF16_BLOCK 16384

/* The next `bytes` of the scratch at *p, 64-byte aligned (fnn_gemm_bf16_scratch
 * counts the padding). */
static void *bf16_carve(unsigned char **p, size_t bytes)
{
    unsigned char *q = (unsigned char *)(((uintptr_t)*p + 63) & ~(uintptr_t)63);
    *p = q + bytes;
    return q;
}

/* The rounding of bf16.h on the bits of one float32. */
static FNN_ALWAYS_INLINE uint16_t bf16_bits(uint32_t u)
{
    if ((u & 0x7fffffffu) > 0x7f800000u)   /* NaN: quiet, sign and top payload kept */
        return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static void round_c(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        u = (uint32_t)bf16_bits(u) << 16;
        memcpy(&y[i], &u, sizeof u);
    }
}

static void pack_c(size_t n, const float *x, uint16_t *y)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        y[i] = bf16_bits(u);
    }
}

/* ---------------------------------------------------------------- AVX-512 BF16 */
#if FNN_X86_DISPATCH && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 10))
#define FNN_HAVE_BF16_ISA 1
#define FNN_TARGET_BF16 __attribute__((target("avx512f,avx512bf16")))

/* 16 floats at x -> their 16 bfloat16 values, zero-extended to 32-bit lanes. The
 * instruction flushes denormal inputs to zero; those lanes (rare) take the formula. */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE __m512i bf16x16(__m512 v)
{
    const __m512i u = _mm512_castps_si512(v);
    __m256bh h = _mm512_cvtneps_pbh(v);                            /* vcvtneps2bf16 */
    __m512i r = _mm512_cvtepu16_epi32((__m256i)h);
    const __mmask16 den = _mm512_cmpeq_epi32_mask(
                              _mm512_and_si512(u, _mm512_set1_epi32(0x7f800000)),
                              _mm512_setzero_si512())
                          & _mm512_test_epi32_mask(u, _mm512_set1_epi32(0x007fffff));
    if (den) {
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i t = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb);
        r = _mm512_mask_blend_epi32(den, r, _mm512_srli_epi32(t, 16));
    }
    return r;
}

FNN_TARGET_BF16 static void round_avx512(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i r = bf16x16(_mm512_loadu_ps(x + i));
        _mm512_storeu_si512((void *)(y + i), _mm512_slli_epi32(r, 16));
    }
    round_c(n - i, x + i, y + i);
}

/* 32 floats -> 32 bfloat16 with one vcvtne2ps2bf16; denormal lanes as in bf16x16. */
FNN_TARGET_BF16 static void pack_avx512(size_t n, const float *x, uint16_t *y)
{
    const __m512i expo = _mm512_set1_epi32(0x7f800000), mant = _mm512_set1_epi32(0x007fffff);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 lo = _mm512_loadu_ps(x + i), hi = _mm512_loadu_ps(x + i + 16);
        const __m512i ulo = _mm512_castps_si512(lo), uhi = _mm512_castps_si512(hi);
        const __mmask16 dlo = _mm512_cmpeq_epi32_mask(_mm512_and_si512(ulo, expo),
                                                      _mm512_setzero_si512())
                              & _mm512_test_epi32_mask(ulo, mant);
        const __mmask16 dhi = _mm512_cmpeq_epi32_mask(_mm512_and_si512(uhi, expo),
                                                      _mm512_setzero_si512())
                              & _mm512_test_epi32_mask(uhi, mant);
        if (dlo | dhi) {   /* a denormal among them: the lanes one by one, as bf16x16 */
            _mm256_storeu_si256((__m256i *)(y + i),
                                _mm512_cvtepi32_epi16(bf16x16(lo)));
            _mm256_storeu_si256((__m256i *)(y + i + 16),
                                _mm512_cvtepi32_epi16(bf16x16(hi)));
        } else {
            __m512bh b = _mm512_cvtne2ps_pbh(hi, lo);                   /* vcvtne2ps2bf16 */
            _mm512_storeu_si512((void *)(y + i), (__m512i)b);
        }
    }
    pack_c(n - i, x + i, y + i);
}
#else
#define FNN_HAVE_BF16_ISA 0
#endif

#if FNN_HAVE_BF16_ISA && defined(__linux__) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && __GNUC__ >= 11))
#define FNN_HAVE_AMX 1
#else
#define FNN_HAVE_AMX 0
#endif
#include "bf16_amx.inc"

/* ---------------------------------------------------------------- dispatch */
static int g_bf16_avx512 = -1;   /* -1: not yet decided */

int fnn_bf16_avx512_supported(void)
{
#if FNN_HAVE_BF16_ISA
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

int fnn_bf16_avx512(void)
{
    if (g_bf16_avx512 < 0) {
        /* Opt-in ("1"): measured on a 2-core VM with AVX512_BF16 (2 threads, idle,
         * 2026-12-06), the vdpbf16ps GEMM with its packing took 1.7x the float32 GEMM's
         * time, the portable path (rounding, then the float32 GEMM) 1.3x
         * (bench/test_bench_bf16.py, bench/PERFORMANCE.md). */
        const char *env = getenv("FASTNN_BF16_AVX512");
        g_bf16_avx512 = fnn_bf16_avx512_supported() && env && env[0] == '1';
    }
    return g_bf16_avx512 && fnn_simd_level() == FNN_SIMD_AVX2;
}

int fnn_bf16_set_avx512(int on)
{
    if (on && !fnn_bf16_avx512_supported()) return -1;
    g_bf16_avx512 = on != 0;
    return 0;
}

static int g_amx_supported = -1, g_amx = -1;    /* -1: not yet decided */

int fnn_bf16_amx_supported(void)
{
#if FNN_HAVE_AMX
    if (g_amx_supported < 0) g_amx_supported = amx_request();
    return g_amx_supported;
#else
    return 0;
#endif
}

int fnn_bf16_amx(void)
{
    if (g_amx < 0) {
        /* On by default where the CPU and the OS give it; FASTNN_BF16_AMX=0 turns it off. */
        const char *env = getenv("FASTNN_BF16_AMX");
        g_amx = fnn_bf16_amx_supported() && !(env && env[0] == '0');
    }
    return g_amx;
}

int fnn_bf16_set_amx(int on)
{
    if (on && !fnn_bf16_amx_supported()) return -1;
    g_amx = on != 0;
    return 0;
}

/* One block on the path chosen once per call. */
static void round_block(int fast, size_t n, const float *x, float *y)
{
#if FNN_HAVE_BF16_ISA
    if (fast) { round_avx512(n, x, y); return; }
#endif
    (void)fast;
    round_c(n, x, y);
}

static void pack_block(int fast, size_t n, const float *x, uint16_t *y)
{
#if FNN_HAVE_BF16_ISA
    if (fast) { pack_avx512(n, x, y); return; }
#endif
    (void)fast;
    pack_c(n, x, y);
}

void fnn_round_bf16(size_t n, const float *x, float *y)
{
    const size_t nb = (n + BF16_BLOCK - 1) / BF16_BLOCK;
    const int nt = nb > 1 ? fnn_threads_for((double)n) : 1;
    const int fast = fnn_bf16_avx512();
    FNN_PAR_FOR(nt, b, nb, {
        const size_t i0 = (size_t)b * BF16_BLOCK;
        round_block(fast, n - i0 < BF16_BLOCK ? n - i0 : BF16_BLOCK, x + i0, y + i0);
    });
}

void fnn_pack_bf16(size_t n, const float *x, uint16_t *y)
{
    const size_t nb = (n + BF16_BLOCK - 1) / BF16_BLOCK;
    const int nt = nb > 1 ? fnn_threads_for((double)n) : 1;
    const int fast = fnn_bf16_avx512();
    FNN_PAR_FOR(nt, b, nb, {
        const size_t i0 = (size_t)b * BF16_BLOCK;
        pack_block(fast, n - i0 < BF16_BLOCK ? n - i0 : BF16_BLOCK, x + i0, y + i0);
    });
}

/* ==================================================================== bfloat16 GEMM
 *
 * C = op(A) op(B) with both operands rounded to bfloat16 (contract: bf16.h).
 *
 * AVX512_BF16 path: the operands are packed as pairs of bfloat16 along K (one uint32 per
 * pair, the low half the even k; odd K padded with a bfloat16 zero), A in blocks of
 * GEMM_MR rows, B in panels of GEMM_NR columns (layouts at gemm_bf16_avx512). The
 * micro-kernel keeps a GEMM_MR x GEMM_NR tile of C in 12 zmm accumulators and, per pair
 * p, broadcasts A's pair and multiplies it into two zmm of B's pairs with vdpbf16ps
 * (acc += a[2p+1] b[2p+1], then += a[2p] b[2p], each step rounded to float32; the
 * instruction reads denormal operands as zero and flushes denormal results to zero).
 * Each C element is summed by one thread, over p in order (K blocks continue from the
 * float32 partial sums stored in C): the same bits at every thread count.
 *
 * Portable path: the operands rounded to bfloat16 (fnn_round_bf16) and multiplied by the
 * float32 GEMM (fnn_gemm_f32), which sums each element in an order fixed by K. The two
 * paths agree within the float32 summation error, not bit for bit.
 */
/* Register tile GEMM_MR x GEMM_NR (12 zmm accumulators, as the float32 AVX-512 kernel);
 * K blocks of GEMM_KCP pairs (256 values of k). */
#define GEMM_MR 6
#define GEMM_NR 32
#define GEMM_KCP 128

/* op(A)[i][k] of a row-major A (M x K, or K x M when trans). */
static FNN_ALWAYS_INLINE float op_at(int trans, const float *a, size_t ld, size_t i, size_t k)
{
    return trans ? a[k * ld + i] : a[i * ld + k];
}

/* The bits of a float32 that holds a bfloat16 value, its low half zero. */
static FNN_ALWAYS_INLINE uint32_t hi_half(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u & 0xffff0000u;
}

static void rounded_copy(size_t rows, size_t cols, const float *x, size_t ld, float *out);

#if FNN_HAVE_BF16_ISA
/* One GEMM_MR x GEMM_NR tile of C over the pairs [0, kc) of a K block: ap holds the
 * block's GEMM_MR rows of A pairs interleaved (ap[p * GEMM_MR + r]; missing rows are
 * zero), bp its GEMM_NR-column panel of B pairs (bp[p * GEMM_NR + j]; missing columns
 * zero). The 12 accumulators start from zero (first K block) or from C (later blocks:
 * the float32 partial sums stored there, so blocking does not change a bit); rows
 * [0, mr) and columns [0, nc) are written. */
FNN_TARGET_BF16 static void gemm_bf16_tile(size_t mr, size_t nc, size_t kc, int first,
                                           const uint32_t *restrict ap,
                                           const uint32_t *restrict bp,
                                           float *restrict c, size_t ldc)
{
    const __mmask16 m0 = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1u);
    const __mmask16 m1 = nc >= 32 ? (__mmask16)0xFFFF
                         : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1u) : (__mmask16)0;
    __m512 acc[GEMM_MR][2];
    for (int r = 0; r < GEMM_MR; r++) {
        if (first || (size_t)r >= mr) {
            acc[r][0] = acc[r][1] = _mm512_setzero_ps();
        } else {
            acc[r][0] = _mm512_maskz_loadu_ps(m0, c + (size_t)r * ldc);
            acc[r][1] = _mm512_maskz_loadu_ps(m1, c + (size_t)r * ldc + 16);
        }
    }
    for (size_t p = 0; p < kc; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(bp + p * GEMM_NR));
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(bp + p * GEMM_NR + 16));
        for (int r = 0; r < GEMM_MR; r++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32((int)ap[p * GEMM_MR + r]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);              /* vdpbf16ps */
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
        }
    }
    for (size_t r = 0; r < mr; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
    }
}

/* The AVX512_BF16 path, on the caller's scratch (bf16_scratch bytes). Packed layouts:
 * A by blocks of GEMM_MR rows, ap[(b * kp + p) * GEMM_MR + r]; B by panels of GEMM_NR
 * columns, bp[(jb * kp + p) * GEMM_NR + j]; K in blocks of GEMM_KCP pairs, the loop
 * over K blocks outermost (each block's B, GEMM_KCP * N * 4 bytes, stays in L2 while
 * every row block passes over it; a micro-panel, GEMM_KCP * GEMM_NR * 4 = 16 KiB, in
 * L1). Threads share the row blocks of one K block at a time. */
static void gemm_bf16_avx512(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                             const float *A, size_t lda, const float *B, size_t ldb,
                             float *C, size_t ldc, unsigned char *scratch)
{
    const size_t kp = (K + 1) / 2, nb = (N + GEMM_NR - 1) / GEMM_NR;
    const size_t mb = (M + GEMM_MR - 1) / GEMM_MR;
    unsigned char *p = scratch;
    uint32_t *ap = (uint32_t *)bf16_carve(&p, mb * kp * GEMM_MR * sizeof(uint32_t));
    uint32_t *bp = (uint32_t *)bf16_carve(&p, nb * kp * GEMM_NR * sizeof(uint32_t));
    float *ar = (float *)bf16_carve(&p, M * K * sizeof(float));
    float *br = (float *)bf16_carve(&p, K * N * sizeof(float));
    const int nt = fnn_threads_for((double)M * (double)N * (double)K);
    /* The operands rounded first (vectorised, fnn_round_bf16), so that packing only
     * moves the upper halves of their bits. */
    rounded_copy(trans_a ? K : M, trans_a ? M : K, A, lda, ar);
    rounded_copy(trans_b ? N : K, trans_b ? K : N, B, ldb, br);
    lda = trans_a ? M : K;
    ldb = trans_b ? K : N;
    FNN_PAR_FOR(nt, b, mb, {
        for (size_t r = 0; r < GEMM_MR; r++) {
            const size_t i = (size_t)b * GEMM_MR + r;
            uint32_t *dst = ap + (size_t)b * kp * GEMM_MR + r;
            if (i >= M) {
                for (size_t p = 0; p < kp; p++) dst[p * GEMM_MR] = 0u;
                continue;
            }
            for (size_t p = 0; p < K / 2; p++)
                dst[p * GEMM_MR] = hi_half(op_at(trans_a, ar, lda, i, 2 * p + 1))
                                   | hi_half(op_at(trans_a, ar, lda, i, 2 * p)) >> 16;
            if (K % 2)
                dst[(kp - 1) * GEMM_MR] = hi_half(op_at(trans_a, ar, lda, i, K - 1)) >> 16;
        }
    });
    FNN_PAR_FOR(nt, jb, nb, {
        const size_t j0 = (size_t)jb * GEMM_NR, nc = N - j0 < GEMM_NR ? N - j0 : GEMM_NR;
        for (size_t p = 0; p < kp; p++) {
            uint32_t *row = bp + ((size_t)jb * kp + p) * GEMM_NR;
            const int pair = 2 * p + 1 < K;
            for (size_t jj = 0; jj < nc; jj++)   /* op(B)[k][j]: op_at with i and k swapped */
                row[jj] = (pair ? hi_half(op_at(trans_b, br, ldb, 2 * p + 1, j0 + jj)) : 0u)
                          | hi_half(op_at(trans_b, br, ldb, 2 * p, j0 + jj)) >> 16;
            for (size_t jj = nc; jj < GEMM_NR; jj++) row[jj] = 0u;
        }
    });
    for (size_t p0 = 0; p0 < kp; p0 += GEMM_KCP) {
        const size_t kc = kp - p0 < GEMM_KCP ? kp - p0 : GEMM_KCP;
        FNN_PAR_FOR(nt, b, mb, {
            const size_t i0 = (size_t)b * GEMM_MR;
            const size_t mr = M - i0 < GEMM_MR ? M - i0 : GEMM_MR;
            for (size_t jb = 0; jb < nb; jb++) {
                const size_t j0 = jb * GEMM_NR;
                gemm_bf16_tile(mr, N - j0 < GEMM_NR ? N - j0 : GEMM_NR, kc, p0 == 0,
                               ap + ((size_t)b * kp + p0) * GEMM_MR,
                               bp + (jb * kp + p0) * GEMM_NR, C + i0 * ldc + j0, ldc);
            }
        });
    }
}
#endif

/* op(X) (rows x cols of the stored layout, leading dimension ld) rounded into out
 * (rows * cols, contiguous). */
static void rounded_copy(size_t rows, size_t cols, const float *x, size_t ld, float *out)
{
    for (size_t r = 0; r < rows; r++) fnn_round_bf16(cols, x + r * ld, out + r * cols);
}

/* Bytes of a piece of the scratch, padded for bf16_carve's alignment; SIZE_MAX on
 * overflow. */
static size_t piece(size_t a, size_t b, size_t c)
{
    size_t n = fnn_mul(fnn_mul(a, b), c);
    return n == SIZE_MAX ? n : fnn_add(n, 64);
}

size_t fnn_gemm_bf16_scratch(size_t M, size_t N, size_t K)
{
    /* the largest of the paths (a test hook may switch path between calls) */
    size_t portable = fnn_add(piece(M, K, sizeof(float)), piece(K, N, sizeof(float)));
    size_t need = fnn_add(portable, 64);
#if FNN_HAVE_BF16_ISA
    {
        const size_t kp = (K + 1) / 2;
        const size_t mb = (M + GEMM_MR - 1) / GEMM_MR, nb = (N + GEMM_NR - 1) / GEMM_NR;
        size_t v = fnn_add(portable, fnn_add(piece(mb * GEMM_MR, kp, sizeof(uint32_t)),
                                              piece(nb * GEMM_NR, kp, sizeof(uint32_t))));
        if (v > need) need = fnn_add(v, 64);
    }
#endif
#if FNN_HAVE_AMX
    {
        const size_t nkb = (K + 31) / 32, mb2 = (M + 31) / 32, nb2 = (N + 31) / 32;
        size_t v = fnn_add(piece(2 * mb2 * nkb, AMX_TILE, sizeof(uint16_t)),
                           piece(2 * nb2 * nkb, AMX_TILE, sizeof(uint16_t)));
        if (v > need) need = fnn_add(v, 64);
    }
#endif
    return need;
}

void fnn_gemm_bf16_ws(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc, void *scratch)
{
    unsigned char *p = (unsigned char *)scratch;
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (size_t i = 0; i < M; i++) memset(C + i * ldc, 0, N * sizeof *C);
        return;
    }
#if FNN_HAVE_AMX
    if (fnn_bf16_amx()) {
        gemm_bf16_amx(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, p);
        return;
    }
#endif
#if FNN_HAVE_BF16_ISA
    if (fnn_bf16_avx512()) {
        gemm_bf16_avx512(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, p);
        return;
    }
#endif
    /* stored layouts: A is M x K (K x M when trans_a), B is K x N (N x K when trans_b) */
    float *ar = (float *)bf16_carve(&p, M * K * sizeof(float));
    float *br = (float *)bf16_carve(&p, K * N * sizeof(float));
    rounded_copy(trans_a ? K : M, trans_a ? M : K, A, lda, ar);
    rounded_copy(trans_b ? N : K, trans_b ? K : N, B, ldb, br);
    fnn_gemm_f32(trans_a, trans_b, M, N, K, 1.0f, ar, trans_a ? M : K, br, trans_b ? K : N,
                 0.0f, C, ldc);
}

int fnn_gemm_bf16(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                  const float *A, size_t lda, const float *B, size_t ldb,
                  float *C, size_t ldc)
{
    const size_t bytes = fnn_gemm_bf16_scratch(M, N, K);
    void *scratch;
    if (M == 0 || N == 0 || K == 0) {
        fnn_gemm_bf16_ws(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, NULL);
        return 0;
    }
    scratch = bytes == SIZE_MAX ? NULL : malloc(bytes);
    if (!scratch) return -1;
    fnn_gemm_bf16_ws(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, scratch);
    free(scratch);
    return 0;
}

/* ==================================================================== Dense layers */
size_t fnn_dense_bf16_scratch(size_t M, size_t K, size_t N)
{
    size_t f = fnn_gemm_bf16_scratch(M, N, K);             /* Z = X W */
    size_t w = fnn_gemm_bf16_scratch(K, N, M);             /* dW = X^T dZ */
    size_t x = fnn_gemm_bf16_scratch(M, K, N);             /* dX = dZ W^T */
    return f > w ? (f > x ? f : x) : (w > x ? w : x);
}

void fnn_dense_forward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                            const float *b, int act, const double *act_param, float *Z, float *A,
                            void *scratch)
{
    float *C = Z ? Z : A;
    fnn_gemm_bf16_ws(0, 0, M, N, K, X, K, W, N, C, N, scratch);
    if (b)
        for (size_t i = 0; i < M; i++) {
            float *row = C + i * N;
            for (size_t j = 0; j < N; j++) row[j] += b[j];
        }
    if (act != FNN_ACT_LINEAR || C != A) fnn_act_forward_f32(act, act_param, M, N, C, A);
}

void fnn_dense_backward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                             float *dZ, float *dW, float *db, float *dX, void *scratch)
{
    fnn_round_bf16(M * N, dZ, dZ);
    if (dW) fnn_gemm_bf16_ws(1, 0, K, N, M, X, K, dZ, N, dW, N, scratch);
    if (db) fnn_dense_backward_f32(M, K, N, X, W, dZ, NULL, db, NULL);
    if (dX) fnn_gemm_bf16_ws(0, 1, M, K, N, dZ, N, W, N, dX, K, scratch);
}
