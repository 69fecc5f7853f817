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

/* x rounded to bfloat16, as the float32 that holds it. */
static FNN_ALWAYS_INLINE float bf16_rounded(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = (uint32_t)bf16_bits(u) << 16;
    memcpy(&x, &u, sizeof x);
    return x;
}

static void round_c(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = bf16_rounded(x[i]);
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

/* Whether a float32 denormal is among the 32 lanes of lo and hi: the conversion
 * instructions read those as zero, where the rounding of bf16.h does not. */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE int any_denormal(__m512 lo, __m512 hi)
{
    const __m512i expo = _mm512_set1_epi32(0x7f800000), mant = _mm512_set1_epi32(0x007fffff);
    const __m512i ulo = _mm512_castps_si512(lo), uhi = _mm512_castps_si512(hi);
    return ((_mm512_testn_epi32_mask(ulo, expo) & _mm512_test_epi32_mask(ulo, mant)) |
            (_mm512_testn_epi32_mask(uhi, expo) & _mm512_test_epi32_mask(uhi, mant))) != 0;
}

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
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 lo = _mm512_loadu_ps(x + i), hi = _mm512_loadu_ps(x + i + 16);
        if (any_denormal(lo, hi)) {   /* the lanes one by one, as bf16x16 */
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

int fnn_bf16_avx512_default(void)
{
#if FNN_HAVE_BF16_ISA
    __builtin_cpu_init();
    return __builtin_cpu_is("amd");
#else
    return 0;
#endif
}

int fnn_bf16_avx512(void)
{
    if (g_bf16_avx512 < 0) {
        /* On by default on AMD CPUs, off on Intel's; "1" / "0" ask for it or not.
         * Measured (bench/PERFORMANCE.md, bench/test_bench_bf16.py): on a 2-core Intel
         * Xeon VM (2026-12-06) the vdpbf16ps GEMM with its packing took 1.7x the float32
         * GEMM's time and the portable path (rounding, then the float32 GEMM) 1.3x; on a
         * 2-core AMD EPYC (Zen 4) VM (2026-12-07) vdpbf16ps was 1.8-2x faster than the
         * portable path at every shape and a mixed_bfloat16 epoch 2-2.4x faster. */
        const char *env = getenv("FASTNN_BF16_AVX512");
        const int want = env && env[0] == '1' ? 1
                       : env && env[0] == '0' ? 0 : fnn_bf16_avx512_default();
        g_bf16_avx512 = fnn_bf16_avx512_supported() && want;
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
 * micro-kernel keeps a GEMM_MR x GEMM_NR tile of C in 16 zmm accumulators and, per pair
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
/* Register tile GEMM_MR x GEMM_NR (16 zmm accumulators; 8 rows divide the batch and
 * layer sizes of usual networks, so few tiles run on missing rows); K blocks of at
 * most GEMM_KCP pairs, all of one product the same size give or take one
 * (gemm_bf16_kblock), so that no block is a short tail paying a tile's loads and
 * stores for little work. A block's micro-panel of B (GEMM_KCP * GEMM_NR * 4 = 64 KiB)
 * is read from L2: measured on Zen 4, blocks of 512 pairs beat blocks of 128-256 that
 * fit L1 (the C tile's loads and stores, once per block, cost more). */
#define GEMM_MR 8
#define GEMM_NR 32
#define GEMM_KCP 512
/* Bytes of packed A up to which threads split the columns of C rather than its rows
 * (gemm_bf16_avx512): A is then read by every panel from the core's L2. */
#define GEMM_A_CACHED (512u * 1024u)

/* The size of the K blocks of a product of kp pairs: the fewest blocks of at most
 * GEMM_KCP pairs, evened out. */
static size_t gemm_bf16_kblock(size_t kp)
{
    const size_t blocks = (kp + GEMM_KCP - 1) / GEMM_KCP;
    return blocks ? (kp + blocks - 1) / blocks : 1;
}

/* What the last K block's tiles do to C as they store it (a Dense layer's forward,
 * fnn_dense_forward_bf16): add bias[j] (when not NULL), then, when relu, also write
 * relu(C) to a (row-major, leading dimension lda; a may be C itself, which then holds
 * only relu(C)). The same float operations as the separate passes: the same bits. */
typedef struct {
    const float *bias;
    int relu;
    float *a;
    size_t lda;
} bf16_epi;

#if FNN_HAVE_BF16_ISA
/* bf16_bits of 16 lanes at once (the same formula, in integers: the same bits), each
 * result in the low half of its 32-bit lane, the high half zero. */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE __m512i bf16_bits16(__m512 v)
{
    const __m512i u = _mm512_castps_si512(v);
    const __m512i hi = _mm512_srli_epi32(u, 16);
    const __m512i t = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)),
                         _mm512_and_si512(hi, _mm512_set1_epi32(1))), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(
        _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    return _mm512_mask_or_epi32(t, nan, hi, _mm512_set1_epi32(0x0040));
}

/* 16 pairs from two vectors along k: lane j is the pair of lo[j] (the low half) and
 * hi[j] (the high half), each rounded (bf16_bits). */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE __m512i bf16_pairs_across(__m512 lo, __m512 hi)
{
    /* vcvtneps2bf16 rounds as bf16_bits does, but reads denormals as zero: where one is
     * among the 32, the formula */
    if (any_denormal(lo, hi))
        return _mm512_or_si512(bf16_bits16(lo), _mm512_slli_epi32(bf16_bits16(hi), 16));
    const __m256i l = (__m256i)_mm512_cvtneps_pbh(lo), h = (__m256i)_mm512_cvtneps_pbh(hi);
    /* interleaved by 128-bit lanes: pairs 0-3 and 8-11, then 4-7 and 12-15 */
    const __m256i p0 = _mm256_unpacklo_epi16(l, h), p1 = _mm256_unpackhi_epi16(l, h);
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_permute2x128_si256(p0, p1, 0x20)),
                              _mm256_permute2x128_si256(p0, p1, 0x31), 1);
}

/* 16 pairs from 32 values contiguous along k (x[0..32), the first n of them read, the
 * rest zero): lane p is the pair of x[2p] and x[2p + 1], as bf16_pairs_across. */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE __m512i bf16_pairs_along(const float *x, size_t n)
{
    const __mmask16 m0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
    const __mmask16 m1 = n >= 32 ? (__mmask16)0xFFFF
                         : n > 16 ? (__mmask16)((1u << (n - 16)) - 1u) : (__mmask16)0;
    const __m512 lo = _mm512_maskz_loadu_ps(m0, x), hi = _mm512_maskz_loadu_ps(m1, x + 16);
    /* vcvtne2ps2bf16 rounds as bf16_bits does, but reads denormals as zero: where one
     * is among the 32, the formula */
    if (any_denormal(lo, hi)) {
        const __m256i a = _mm512_cvtepi32_epi16(bf16_bits16(lo));
        const __m256i b = _mm512_cvtepi32_epi16(bf16_bits16(hi));
        return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
    }
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);                   /* vcvtne2ps2bf16 */
}

/* r[0..8): 8 vectors of 16 pairs each (r[i] lane p: item i's pair p). Stored transposed:
 * pair p's 8 items, in order, at dst + p * stride (8 uint32 each). */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE void store_8x16_transposed(const __m512i r[8],
                                                                    uint32_t *dst,
                                                                    size_t stride)
{
    /* within each 128-bit lane l (pairs 4l .. 4l+3): s[2i] / s[2i+1] interleave items
     * 2i and 2i+1 at pairs (4l, 4l+1) / (4l+2, 4l+3) */
    __m512i s[8], t[8];
    for (int i = 0; i < 4; i++) {
        s[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        s[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    /* t[4h + j]: items 4h .. 4h+3 at pair 4l + j of each lane l */
    for (int h = 0; h < 2; h++) {
        t[4 * h + 0] = _mm512_unpacklo_epi64(s[4 * h], s[4 * h + 2]);
        t[4 * h + 1] = _mm512_unpackhi_epi64(s[4 * h], s[4 * h + 2]);
        t[4 * h + 2] = _mm512_unpacklo_epi64(s[4 * h + 1], s[4 * h + 3]);
        t[4 * h + 3] = _mm512_unpackhi_epi64(s[4 * h + 1], s[4 * h + 3]);
    }
    for (int j0 = 0; j0 < 4; j0 += 2) {      /* pairs 4l + j0 and 4l + j0 + 1 */
        const __m512i plo = _mm512_shuffle_i32x4(t[j0], t[4 + j0], 0x44);
        const __m512i qlo = _mm512_shuffle_i32x4(t[j0 + 1], t[4 + j0 + 1], 0x44);
        const __m512i phi = _mm512_shuffle_i32x4(t[j0], t[4 + j0], 0xEE);
        const __m512i qhi = _mm512_shuffle_i32x4(t[j0 + 1], t[4 + j0 + 1], 0xEE);
        __m512i o[4];
        o[0] = _mm512_shuffle_i32x4(plo, qlo, 0x88);     /* lane 0 */
        o[1] = _mm512_shuffle_i32x4(plo, qlo, 0xDD);     /* lane 1 */
        o[2] = _mm512_shuffle_i32x4(phi, qhi, 0x88);     /* lane 2 */
        o[3] = _mm512_shuffle_i32x4(phi, qhi, 0xDD);     /* lane 3 */
        for (int l = 0; l < 4; l++) {
            const size_t pair = 4 * (size_t)l + (size_t)j0;
            _mm256_storeu_si256((__m256i *)(dst + pair * stride), _mm512_castsi512_si256(o[l]));
            _mm256_storeu_si256((__m256i *)(dst + (pair + 1) * stride),
                                _mm512_extracti64x4_epi64(o[l], 1));
        }
    }
}

/* One GEMM_MR x GEMM_NR tile of C over the pairs [0, kc) of a K block: ap holds the
 * block's GEMM_MR rows of A pairs interleaved (ap[p * GEMM_MR + r]; missing rows are
 * zero), bp its GEMM_NR-column panel of B pairs (bp[p * GEMM_NR + j]; missing columns
 * zero). The 16 accumulators start from zero (first K block) or from C (later blocks:
 * the float32 partial sums stored there, so blocking does not change a bit); rows
 * [0, mr) and columns [0, nc) are written, through the epilogue e (the last K block's;
 * else NULL) whose bias and a start at this tile's first column and row. */
FNN_TARGET_BF16 static FNN_ALWAYS_INLINE void bf16_tile(int nv, size_t mr, size_t nc,
                                                       size_t kc, int first,
                                                       const uint32_t *restrict ap,
                                                       const uint32_t *restrict bp,
                                                       float *c, size_t ldc,
                                                       const bf16_epi *e)
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
            if (nv == 2) acc[r][1] = _mm512_maskz_loadu_ps(m1, c + (size_t)r * ldc + 16);
        }
    }
    for (size_t p = 0; p < kc; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(bp + p * GEMM_NR));
        const __m512bh b1 = nv == 2
            ? (__m512bh)_mm512_loadu_si512((const void *)(bp + p * GEMM_NR + 16)) : b0;
        for (int r = 0; r < GEMM_MR; r++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32((int)ap[p * GEMM_MR + r]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);              /* vdpbf16ps */
            if (nv == 2) acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
        }
    }
    if (e) {
        if (e->bias) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, e->bias);
            const __m512 b1 = nv == 2 ? _mm512_maskz_loadu_ps(m1, e->bias + 16) : b0;
            for (int r = 0; r < GEMM_MR; r++) {
                acc[r][0] = _mm512_add_ps(acc[r][0], b0);
                if (nv == 2) acc[r][1] = _mm512_add_ps(acc[r][1], b1);
            }
        }
        if (e->relu) {       /* !(x <= 0) ? x : 0, as the activation kernel: NaN kept */
            const __m512 zero = _mm512_setzero_ps();
            const int both = e->a != c;
            for (size_t r = 0; r < mr; r++) {
                if (both) {
                    _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
                    if (nv == 2) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
                }
                acc[r][0] = _mm512_maskz_mov_ps(
                    _mm512_cmp_ps_mask(acc[r][0], zero, _CMP_NLE_UQ), acc[r][0]);
                _mm512_mask_storeu_ps(e->a + r * e->lda, m0, acc[r][0]);
                if (nv == 2) {
                    acc[r][1] = _mm512_maskz_mov_ps(
                        _mm512_cmp_ps_mask(acc[r][1], zero, _CMP_NLE_UQ), acc[r][1]);
                    _mm512_mask_storeu_ps(e->a + r * e->lda + 16, m1, acc[r][1]);
                }
            }
            return;
        }
    }
    for (size_t r = 0; r < mr; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        if (nv == 2) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
    }
}

/* The tile of bf16_tile: two column vectors, or one where the panel has at most 16
 * columns (the last panel of a narrow C: the other vector would be all padding). */
FNN_TARGET_BF16 static void gemm_bf16_tile(size_t mr, size_t nc, size_t kc, int first,
                                           const uint32_t *restrict ap,
                                           const uint32_t *restrict bp,
                                           float *c, size_t ldc, const bf16_epi *e)
{
    if (nc > 16) bf16_tile(2, mr, nc, kc, first, ap, bp, c, ldc, e);
    else bf16_tile(1, mr, nc, kc, first, ap, bp, c, ldc, e);
}

/* The epilogue of the tile at row i0, column j0 on the last K block (else NULL). */
static FNN_ALWAYS_INLINE const bf16_epi *tile_epi(const bf16_epi *epi, int last, size_t i0,
                                                  size_t j0, bf16_epi *out)
{
    if (!epi || !last) return NULL;
    out->bias = epi->bias ? epi->bias + j0 : NULL;
    out->relu = epi->relu;
    out->a = epi->a ? epi->a + i0 * epi->lda + j0 : NULL;
    out->lda = epi->lda;
    return out;
}

/* Rows x[i * ldx + k] (i < rows <= 8, k < K) as pairs along k, stored transposed: pair
 * p of row i at dst[p * stride + i], for every p < kp = ceil(K / 2) (an odd K's last
 * pair with a zero); rows [rows, 8) zero. */
FNN_TARGET_BF16 static void pairs_of_rows(size_t rows, size_t K, const float *x, size_t ldx,
                                          uint32_t *restrict dst, size_t stride)
{
    const size_t kp = (K + 1) / 2;
    for (size_t p0 = 0; p0 < kp; p0 += 16) {
        const size_t k0 = 2 * p0, n = K - k0 < 32 ? K - k0 : 32;
        __m512i r[8];
        for (size_t i = 0; i < 8; i++)
            r[i] = i < rows ? bf16_pairs_along(x + i * ldx + k0, n) : _mm512_setzero_si512();
        if (kp - p0 >= 16) {
            store_8x16_transposed(r, dst + p0 * stride, stride);
        } else {                         /* the last few pairs */
            uint32_t t[8][16];
            for (int i = 0; i < 8; i++) _mm512_storeu_si512((void *)t[i], r[i]);
            for (size_t p = p0; p < kp; p++)
                for (int i = 0; i < 8; i++) dst[p * stride + i] = t[i][p - p0];
        }
    }
}

/* B's panel jb (GEMM_NR columns from j0 = jb * GEMM_NR, nc of them in op(B)) packed
 * from the caller's float32 B, each value rounded on the way: the rounding costs no
 * pass of its own. */
FNN_TARGET_BF16 static void pack_b_panel(int trans_b, size_t K, size_t kp, const float *B,
                                         size_t ldb, size_t j0, size_t nc,
                                         uint32_t *restrict dst)
{
    if (!trans_b) {                     /* op(B)[k][j] = B[k * ldb + j]: pairs across rows */
        const __mmask16 m0 = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1u);
        const __mmask16 m1 = nc >= 32 ? (__mmask16)0xFFFF
                             : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1u) : (__mmask16)0;
        for (size_t p = 0; p < kp; p++) {
            uint32_t *row = dst + p * GEMM_NR;
            const float *b0 = B + 2 * p * ldb + j0;
            const int two = 2 * p + 1 < K;
            const __m512 h0 = two ? _mm512_maskz_loadu_ps(m0, b0 + ldb) : _mm512_setzero_ps();
            const __m512 h1 = two ? _mm512_maskz_loadu_ps(m1, b0 + ldb + 16)
                                  : _mm512_setzero_ps();
            _mm512_storeu_si512((void *)row,
                                bf16_pairs_across(_mm512_maskz_loadu_ps(m0, b0), h0));
            _mm512_storeu_si512((void *)(row + 16),
                                bf16_pairs_across(_mm512_maskz_loadu_ps(m1, b0 + 16), h1));
        }
    } else {                            /* op(B)[k][j] = B[j * ldb + k]: pairs along rows */
        for (size_t c0 = 0; c0 < GEMM_NR; c0 += 8)
            pairs_of_rows(c0 < nc ? (nc - c0 < 8 ? nc - c0 : 8) : 0, K,
                          B + (j0 + c0) * ldb, ldb, dst + c0, GEMM_NR);
    }
}

/* A's row block b (GEMM_MR rows of op(A) from i0 = b * GEMM_MR, mr of them) packed from
 * the caller's float32 A, rounded on the way; missing rows zero. */
FNN_TARGET_BF16 static void pack_a_block(int trans_a, size_t K, size_t kp, const float *A,
                                         size_t lda, size_t i0, size_t mr,
                                         uint32_t *restrict dst)
{
    if (!trans_a) {                     /* op(A)[i][k] = A[i * lda + k] */
        pairs_of_rows(mr, K, A + i0 * lda, lda, dst, GEMM_MR);
    } else {                            /* op(A)[i][k] = A[k * lda + i]: pairs across rows */
        const __mmask16 m = (__mmask16)((1u << mr) - 1u);
        for (size_t p = 0; p < kp; p++) {
            const float *a0 = A + 2 * p * lda + i0;
            const __m512 hi = 2 * p + 1 < K ? _mm512_maskz_loadu_ps(m, a0 + lda)
                                            : _mm512_setzero_ps();
            _mm256_storeu_si256((__m256i *)(dst + p * GEMM_MR),
                                _mm512_castsi512_si256(bf16_pairs_across(
                                    _mm512_maskz_loadu_ps(m, a0), hi)));
        }
    }
}

/* C's columns [j0, j0 + nc) = op(A) (packed: ap, every row block) times one packed panel
 * of B, over every K block and row block, in this thread. */
static void panel_product(size_t M, size_t kp, const uint32_t *ap, const uint32_t *panel,
                          size_t j0, size_t nc, float *C, size_t ldc, const bf16_epi *epi)
{
    const size_t mb = (M + GEMM_MR - 1) / GEMM_MR, kcb = gemm_bf16_kblock(kp);
    for (size_t p0 = 0; p0 < kp; p0 += kcb) {
        const size_t kc = kp - p0 < kcb ? kp - p0 : kcb;
        for (size_t b = 0; b < mb; b++) {
            const size_t i0 = b * GEMM_MR, mr = M - i0 < GEMM_MR ? M - i0 : GEMM_MR;
            bf16_epi e;
            gemm_bf16_tile(mr, nc, kc, p0 == 0, ap + (b * kp + p0) * GEMM_MR,
                           panel + p0 * GEMM_NR, C + i0 * ldc + j0, ldc,
                           tile_epi(epi, p0 + kc == kp, i0, j0, &e));
        }
    }
}

/* The AVX512_BF16 path, on the caller's scratch (bf16_scratch bytes). Packed layouts:
 * A by blocks of GEMM_MR rows, ap[(b * kp + p) * GEMM_MR + r]; B by panels of GEMM_NR
 * columns, bp[(jb * kp + p) * GEMM_NR + j]; K in blocks of kcb pairs
 * (gemm_bf16_kblock), the loop over K blocks outermost (each block's B, kcb * N * 4
 * bytes, read from L2 or L3 while every row block passes over it; a micro-panel, at
 * most GEMM_KCP * GEMM_NR * 4 = 64 KiB, from L2). Threads share the row blocks of one
 * K block at a time; the operands are rounded as they are packed, by the threads that
 * pack them. */
static void gemm_bf16_avx512(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                             const float *A, size_t lda, const float *B, size_t ldb,
                             float *C, size_t ldc, unsigned char *scratch,
                             const bf16_epi *epi)
{
    const size_t kp = (K + 1) / 2, nb = (N + GEMM_NR - 1) / GEMM_NR;
    const size_t mb = (M + GEMM_MR - 1) / GEMM_MR, kcb = gemm_bf16_kblock(kp);
    unsigned char *p = scratch;
    uint32_t *ap = (uint32_t *)bf16_carve(&p, mb * kp * GEMM_MR * sizeof(uint32_t));
    uint32_t *bp = (uint32_t *)bf16_carve(&p, nb * kp * GEMM_NR * sizeof(uint32_t));
    const int nt = fnn_threads_for((double)M * (double)N * (double)K);
    FNN_PAR_FOR(nt, b, mb, {
        const size_t i0 = (size_t)b * GEMM_MR;
        pack_a_block(trans_a, K, kp, A, lda, i0, M - i0 < GEMM_MR ? M - i0 : GEMM_MR,
                     ap + (size_t)b * kp * GEMM_MR);
    });
    if (nb >= 2 * (size_t)nt && mb * kp * GEMM_MR * sizeof(uint32_t) <= GEMM_A_CACHED) {
        /* Enough panels of B for every thread, and a packed A that stays in cache: each
         * thread packs the panels it multiplies and takes them through every K block and
         * row block (a panel, kp * GEMM_NR * 4 bytes, stays in its core's cache; no
         * other core reads it, where the row split below has every core read every
         * panel). Each C element is still summed by one thread over p in order: the
         * same bits. */
        FNN_PAR_FOR(nt, jb, nb, {
            const size_t j0 = (size_t)jb * GEMM_NR, nc = N - j0 < GEMM_NR ? N - j0 : GEMM_NR;
            uint32_t *panel = bp + (size_t)jb * kp * GEMM_NR;
            pack_b_panel(trans_b, K, kp, B, ldb, j0, nc, panel);
            panel_product(M, kp, ap, panel, j0, nc, C, ldc, epi);
        });
        return;
    }
    FNN_PAR_FOR(nt, jb, nb, {
        const size_t j0 = (size_t)jb * GEMM_NR;
        pack_b_panel(trans_b, K, kp, B, ldb, j0, N - j0 < GEMM_NR ? N - j0 : GEMM_NR,
                     bp + (size_t)jb * kp * GEMM_NR);
    });
    for (size_t p0 = 0; p0 < kp; p0 += kcb) {
        const size_t kc = kp - p0 < kcb ? kp - p0 : kcb;
        FNN_PAR_FOR(nt, b, mb, {
            const size_t i0 = (size_t)b * GEMM_MR;
            const size_t mr = M - i0 < GEMM_MR ? M - i0 : GEMM_MR;
            for (size_t jb = 0; jb < nb; jb++) {
                const size_t j0 = jb * GEMM_NR;
                bf16_epi e;
                gemm_bf16_tile(mr, N - j0 < GEMM_NR ? N - j0 : GEMM_NR, kc, p0 == 0,
                               ap + ((size_t)b * kp + p0) * GEMM_MR,
                               bp + (jb * kp + p0) * GEMM_NR, C + i0 * ldc + j0, ldc,
                               tile_epi(epi, p0 + kc == kp, i0, j0, &e));
            }
        });
    }
}

/* fnn_bf16_prepack on the AVX512_BF16 path: every panel of W packed as
 * gemm_bf16_avx512 packs B (not transposed), split over the threads. */
static void prepack_avx512(size_t K, size_t N, const float *W, uint32_t *data)
{
    const size_t kp = (K + 1) / 2, nb = (N + GEMM_NR - 1) / GEMM_NR;
    const int nt = fnn_threads_for((double)K * (double)N);
    FNN_PAR_FOR(nt, jb, nb, {
        const size_t j0 = (size_t)jb * GEMM_NR;
        pack_b_panel(0, K, kp, W, N, j0, N - j0 < GEMM_NR ? N - j0 : GEMM_NR,
                     data + (size_t)jb * kp * GEMM_NR);
    });
}

/* fnn_dense_forward_bf16_packed's product and epilogue, in this thread. */
static void packed_forward_avx512(size_t M, const float *X, const fnn_bf16_packed *pb,
                                  float *C, const bf16_epi *epi, void *awork)
{
    const size_t K = pb->K, N = pb->N, kp = (K + 1) / 2;
    const size_t mb = (M + GEMM_MR - 1) / GEMM_MR, nb = (N + GEMM_NR - 1) / GEMM_NR;
    unsigned char *p = (unsigned char *)awork;
    uint32_t *ap = (uint32_t *)bf16_carve(&p, mb * kp * GEMM_MR * sizeof(uint32_t));
    for (size_t b = 0; b < mb; b++) {
        const size_t i0 = b * GEMM_MR;
        pack_a_block(0, K, kp, X, K, i0, M - i0 < GEMM_MR ? M - i0 : GEMM_MR,
                     ap + b * kp * GEMM_MR);
    }
    for (size_t jb = 0; jb < nb; jb++) {
        const size_t j0 = jb * GEMM_NR;
        panel_product(M, kp, ap, pb->data + jb * kp * GEMM_NR, j0,
                      N - j0 < GEMM_NR ? N - j0 : GEMM_NR, C, N, epi);
    }
}
#endif

/* op(X) (rows x cols of the stored layout, leading dimension ld) rounded into out
 * (rows * cols, contiguous). */
static void rounded_copy(size_t rows, size_t cols, const float *x, size_t ld, float *out)
{
    if (ld == cols) {     /* one array: fnn_round_bf16 splits it over the threads */
        fnn_round_bf16(rows * cols, x, out);
        return;
    }
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
        size_t v = fnn_add(piece(mb * GEMM_MR, kp, sizeof(uint32_t)),
                           piece(nb * GEMM_NR, kp, sizeof(uint32_t)));
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

/* fnn_gemm_bf16_ws with the epilogue epi run in the AVX512_BF16 path's tiles; returns 1
 * when it did (0: C holds the bare product, the caller applies epi). */
static int gemm_bf16_epi(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                         const float *A, size_t lda, const float *B, size_t ldb,
                         float *C, size_t ldc, void *scratch, const bf16_epi *epi);

void fnn_gemm_bf16_ws(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc, void *scratch)
{
    (void)gemm_bf16_epi(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, scratch, NULL);
}

static int gemm_bf16_epi(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                         const float *A, size_t lda, const float *B, size_t ldb,
                         float *C, size_t ldc, void *scratch, const bf16_epi *epi)
{
    unsigned char *p = (unsigned char *)scratch;
    if (M == 0 || N == 0) return 0;
    if (K == 0) {
        for (size_t i = 0; i < M; i++) memset(C + i * ldc, 0, N * sizeof *C);
        return 0;
    }
#if FNN_HAVE_AMX
    if (fnn_bf16_amx()) {
        gemm_bf16_amx(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, p);
        return 0;
    }
#endif
#if FNN_HAVE_BF16_ISA
    if (fnn_bf16_avx512()) {
        gemm_bf16_avx512(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, p, epi);
        return epi != NULL;
    }
#else
    (void)epi;
#endif
    /* stored layouts: A is M x K (K x M when trans_a), B is K x N (N x K when trans_b) */
    float *ar = (float *)bf16_carve(&p, M * K * sizeof(float));
    float *br = (float *)bf16_carve(&p, K * N * sizeof(float));
    rounded_copy(trans_a ? K : M, trans_a ? M : K, A, lda, ar);
    rounded_copy(trans_b ? N : K, trans_b ? K : N, B, ldb, br);
    fnn_gemm_f32(trans_a, trans_b, M, N, K, 1.0f, ar, trans_a ? M : K, br, trans_b ? K : N,
                 0.0f, C, ldc);
    return 0;
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
    /* the bias, and a relu, in the tiles as they store C (the AVX512_BF16 path); else
     * each in a pass of its own: the same operations, the same bits */
    const bf16_epi epi = {b, act == FNN_ACT_RELU, A, N};
    if (gemm_bf16_epi(0, 0, M, N, K, X, K, W, N, C, N, scratch, b || epi.relu ? &epi : NULL)) {
        if (epi.relu) return;
    } else if (b) {
        for (size_t i = 0; i < M; i++) {
            float *row = C + i * N;
            for (size_t j = 0; j < N; j++) row[j] += b[j];
        }
    }
    if (act != FNN_ACT_LINEAR || C != A) fnn_act_forward_f32(act, act_param, M, N, C, A);
}

/* db[j] = 0 + round(dZ[0][j]) + round(dZ[1][j]) + ... in row order (round: bf16_bits),
 * each column's sum on its own: the bits of fnn_dense_backward_f32's column sums of the
 * rounded dZ, which is not written. */
static void rounded_col_sums_c(size_t M, size_t N, const float *dZ, float *db)
{
    for (size_t j = 0; j < N; j++) db[j] = 0.0f;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) db[j] += bf16_rounded(dZ[i * N + j]);
}

#if FNN_HAVE_BF16_ISA
FNN_TARGET_BF16 static void rounded_col_sums_avx512(size_t M, size_t N, const float *dZ,
                                                    float *db)
{
    for (size_t j = 0; j < N; j += 64) {      /* 4 vectors of columns in registers */
        __m512 acc[4];
        __mmask16 m[4];
        for (int v = 0; v < 4; v++) {
            const size_t c = j + 16 * (size_t)v;
            m[v] = c >= N ? 0 : N - c >= 16 ? (__mmask16)0xFFFF
                                              : (__mmask16)((1u << (N - c)) - 1u);
            acc[v] = _mm512_setzero_ps();
        }
        for (size_t i = 0; i < M; i++)
            for (int v = 0; v < 4; v++) {
                const __m512 x = _mm512_maskz_loadu_ps(m[v], dZ + i * N + j + 16 * (size_t)v);
                acc[v] = _mm512_add_ps(acc[v], _mm512_castsi512_ps(
                                                   _mm512_slli_epi32(bf16_bits16(x), 16)));
            }
        for (int v = 0; v < 4; v++)
            _mm512_mask_storeu_ps(db + j + 16 * (size_t)v, m[v], acc[v]);
    }
}
#endif

void fnn_dense_backward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                             const float *dZ, float *dW, float *db, float *dX, void *scratch)
{
    /* dZ is rounded where it is read: as the products pack it, and in db's sums */
    if (dW) fnn_gemm_bf16_ws(1, 0, K, N, M, X, K, dZ, N, dW, N, scratch);
    if (db) {
#if FNN_HAVE_BF16_ISA
        if (fnn_bf16_avx512()) rounded_col_sums_avx512(M, N, dZ, db);
        else
#endif
        rounded_col_sums_c(M, N, dZ, db);
    }
    if (dX) fnn_gemm_bf16_ws(0, 1, M, K, N, dZ, N, W, N, dX, K, scratch);
}

/* ==================================================================== packed weights */
int fnn_bf16_prepack(size_t K, size_t N, const float *W, fnn_bf16_packed *pb)
{
    pb->K = K;
    pb->N = N;
    pb->data = NULL;
#if FNN_HAVE_BF16_ISA
    if (K && N && fnn_bf16_avx512() && !fnn_bf16_amx()) {
        const size_t kp = (K + 1) / 2, nb = (N + GEMM_NR - 1) / GEMM_NR;
        const size_t bytes = fnn_mul(fnn_mul(nb * GEMM_NR, kp), sizeof(uint32_t));
        pb->data = bytes == SIZE_MAX ? NULL : (uint32_t *)malloc(bytes);
        if (!pb->data) return -1;
        prepack_avx512(K, N, W, pb->data);
        return 0;
    }
#else
    (void)W;
#endif
    return 1;
}

void fnn_bf16_packed_free(fnn_bf16_packed *pb)
{
    free(pb->data);
    pb->data = NULL;
}

size_t fnn_bf16_packed_awork(size_t rows, size_t K)
{
    const size_t mb = (rows + GEMM_MR - 1) / GEMM_MR;
    return fnn_add(fnn_mul(fnn_mul(mb * GEMM_MR, (K + 1) / 2), sizeof(uint32_t)), 64);
}

void fnn_dense_forward_bf16_packed(size_t M, const float *X, const fnn_bf16_packed *pb,
                                   const float *b, int act, const double *act_param,
                                   float *A, void *awork)
{
#if FNN_HAVE_BF16_ISA
    const bf16_epi epi = {b, act == FNN_ACT_RELU, A, pb->N};
    if (M == 0) return;
    packed_forward_avx512(M, X, pb, A, b || epi.relu ? &epi : NULL, awork);
    if (!epi.relu && act != FNN_ACT_LINEAR)
        fnn_act_forward_f32(act, act_param, M, pb->N, A, A);
#else
    (void)M; (void)X; (void)pb; (void)b; (void)act; (void)act_param; (void)A; (void)awork;
#endif
}
