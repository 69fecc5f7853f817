/* bfloat16 rounding (contract: bf16.h). */
#include <string.h>
#include "bf16.h"
#if FNN_X86_DISPATCH
#include <immintrin.h>
#endif

/* Elements per block handed to a thread: results never depend on how blocks are
 * shared out, since each element is rounded on its own. */
#define BF16_BLOCK 16384

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
    if (g_bf16_avx512 < 0) g_bf16_avx512 = fnn_bf16_avx512_supported();
    return g_bf16_avx512 && fnn_simd_level() == FNN_SIMD_AVX2;
}

int fnn_bf16_set_avx512(int on)
{
    if (on && !fnn_bf16_avx512_supported()) return -1;
    g_bf16_avx512 = on != 0;
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
