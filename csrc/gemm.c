/* GEMM, float32 and float64: C = alpha * op(A) op(B) + beta * C, row-major.
 *
 * Two paths, both deterministic (each C element is summed over K in an order fixed by
 * the shape, never by the thread count):
 *  - packed (Goto/BLIS): panels of B and blocks of A are copied into contiguous,
 *    64-byte-aligned buffers sized for the caches, and a register-blocked micro-kernel
 *    runs over them (gemm_impl.inc: loops and packing; gemm_avx2.inc: the kernels);
 *  - direct: no packing, for small shapes where copying costs more than it saves
 *    (the seed's layers, batch 32 x 64 -> 25 -> 15 -> 10).
 * Threads (fnn_threads_for(M*N*K)) never share packed data: the packed path gives each
 * thread its own rectangle of C, the direct path its own groups of rows, or, with K in
 * several blocks, its own run of them (gemm_direct_ksplit).
 * The SIMD path (AVX2+FMA or portable C) is picked at run time from fnn_simd_level();
 * on the AVX2 path, CPUs with AVX-512F run the packed path's micro-kernel, the direct
 * path's strips and its few-column weight-gradient kernel in 512-bit registers
 * (gemm_avx512.inc; same bits, see there), unless FASTNN_AVX512=0.
 */
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "activations.h"
#if FNN_X86_DISPATCH
#include <immintrin.h>
#include "simd_math.inc"   /* avx_transpose8 for the packing */
#endif
#include "gemm_internal.inc"

/* ------------------------------------------------------------------ blocking constants
 *
 * MR x NR  register tile of the micro-kernel (C accumulators live in registers).
 * KC       depth of a packed block: one MR x KC micro-panel of A plus one KC x NR
 *          micro-panel of B must stay in the 32 KiB L1d while the micro-kernel streams
 *          them (f32 AVX2: 6*256*4 + 16*256*4 = 22 KiB; f64: (6+8)*192*8 = 21 KiB).
 *          K is cut into ceil(K/KC) equal blocks, a function of K alone (determinism).
 * MC       rows of the packed A block, reused from L2 for every B micro-panel
 *          (f32: 144*256*4 = 144 KiB, f64: 96*192*8 = 144 KiB: well inside a 512 KiB
 *          to 1 MiB L2 next to the B micro-panels passing through). A multiple of MR.
 *          Blocks are shrunk to equal shares of a thread's rows.
 * NC       columns of the packed B panel, streamed from L3
 *          (f32: 256*4080*4 = 4 MiB, f64: 192*2040*8 = 3 MiB). A multiple of NR;
 *          rows are whole in one panel up to N = NC, which lets the activation
 *          epilogue run per row block (wider layers apply it at the end).
 * Measured on Zen 4 (1 thread, 1024^3 and 128x784x512): MC 72..240 and KC 256..384
 * all within 3% of each other; these are BLIS's values for this kernel.
 */
#define BLK_AVX2_KC_F32 256
#define BLK_AVX2_MC_F32 144
#define BLK_AVX2_NC_F32 4080
#define BLK_AVX2_KC_F64 192
#define BLK_AVX2_MC_F64 96
#define BLK_AVX2_NC_F64 2040
/* AVX-512 set (same KC and NC as AVX2, so the same K blocks): a smaller A block, MC 96
 * (96*256*4 = 96 KiB). Measured on a 2-core Sapphire Rapids VM (L2 2 MiB), 1 thread,
 * float32, 2048^3..4096^3 with the 12 x 32 pair kernel: +3..4% against MC 144 (48..96
 * alike, 120 and up as 144). */
#define BLK_AVX512_MC_F32 96
#define BLK_AVX512_MC_F64 BLK_AVX2_MC_F64
/* Portable path: 4 x 8 (f32) and 4 x 4 (f64) tiles fit 8 SSE/NEON registers. */
#define BLK_GEN_KC_F32 256
#define BLK_GEN_MC_F32 128
#define BLK_GEN_NC_F32 4096
#define BLK_GEN_KC_F64 192
#define BLK_GEN_MC_F64 96
#define BLK_GEN_NC_F64 2048
/* The direct path hands the activation epilogue at least this many outputs per call
 * (whole rows, about 16 KiB of float32: still in L1/L2), so tiny layers make one call. */
#define FNN_EPI_MIN_ELEMS 4096
/* Direct path: a tail panel of up to this many elements lives on the stack (4 KiB
 * float32, 8 KiB float64); larger ones are allocated. */
#define FNN_DIRECT_STACK_TAIL 1024
/* Direct path with op(B) = B^T: B is transposed into a stack buffer up to this many
 * elements (8 KiB float32, 16 KiB float64), else into the thread's packing buffer. */
#define FNN_DIRECT_STACK_BT 2048
#define FNN_GEMM_MAX_MR 6
#define FNN_GEMM_MAX_NR 32

/* ------------------------------------------------------------------ path choice */

enum { FNN_GEMM_PATH_AUTO = 0, FNN_GEMM_PATH_DIRECT = 1, FNN_GEMM_PATH_PACKED = 2 };
static int g_force_path = FNN_GEMM_PATH_AUTO;   /* test hook only */

/* Tests force one path to cover both on small shapes; 0 restores the automatic choice. */
void fnn_gemm_force_path(int path)
{
    g_force_path = (path == FNN_GEMM_PATH_DIRECT || path == FNN_GEMM_PATH_PACKED)
                       ? path : FNN_GEMM_PATH_AUTO;
}

/* Direct (unpacked) or packed, from the shape alone (never the thread count).
 * Packing costs O(MK + KN) copies and pays off when each packed element is reused
 * often; the direct path re-reads B once per strip of MR rows, which is cheap while B
 * stays in L2. Measured single-threaded on Zen 4 (AVX2): direct wins up to ~128^3
 * multiply-adds and for up to 64 rows when B fits in ~1 MiB (32x784x128: 61 vs 79 us,
 * 64x256x256: 78 vs 87 us); packed wins from 256 rows (256x64x256: 80 vs 95 us).
 * The portable kernels take the packed loops for every shape: their direct strips
 * compile poorly (gemm_impl.inc, dtile_gen_full) and lose even at 32x64x25 (15 vs 6 us). */
static int fnn_gemm_choose_path(size_t M, size_t N, size_t K, size_t elem_size,
                                int have_direct_simd)
{
    if (g_force_path != FNN_GEMM_PATH_AUTO) return g_force_path;
    if (!have_direct_simd) return FNN_GEMM_PATH_PACKED;
    if ((double)M * (double)N * (double)K <= 128.0 * 128.0 * 128.0) return FNN_GEMM_PATH_DIRECT;
    if (M <= 16) return FNN_GEMM_PATH_DIRECT;
    if (M <= 64 && (double)K * (double)N * (double)elem_size <= 1048576.0)
        return FNN_GEMM_PATH_DIRECT;
    return FNN_GEMM_PATH_PACKED;
}

/* ------------------------------------------------------------------ AVX-512 switch */

static int g_avx512 = -1;   /* -1: not yet decided */

int fnn_gemm_avx512_supported(void)
{
#if FNN_X86_DISPATCH
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
#else
    return 0;
#endif
}

/* 1 if the packed path runs the AVX-512 micro-kernel now (the AVX2 path is in use, the
 * CPU has AVX-512F, and neither FASTNN_AVX512=0 nor the test hook turned it off). */
int fnn_gemm_avx512(void)
{
    if (g_avx512 < 0) {
        const char *env = getenv("FASTNN_AVX512");
        g_avx512 = fnn_gemm_avx512_supported() && !(env && env[0] == '0');
    }
    return g_avx512 && fnn_simd_level() == FNN_SIMD_AVX2;
}

/* The kernel set fnn_gemm_ex uses now. */
enum { FNN_GEMM_KERN_GEN = 0, FNN_GEMM_KERN_AVX2 = 1, FNN_GEMM_KERN_AVX512 = 2 };
static int fnn_gemm_kern_now(void)
{
    if (fnn_simd_level() != FNN_SIMD_AVX2) return FNN_GEMM_KERN_GEN;
    return fnn_gemm_avx512() ? FNN_GEMM_KERN_AVX512 : FNN_GEMM_KERN_AVX2;
}

/* Test hook: on (1) or off (0); returns -1 (and changes nothing) if the CPU lacks it. */
int fnn_gemm_set_avx512(int on)
{
    if (on && !fnn_gemm_avx512_supported()) return -1;
    g_avx512 = on != 0;
    return 0;
}

/* ------------------------------------------------------------------ aligned buffers */

/* 64-byte aligned malloc (cache line and full AVX vectors), portable C99. */
void *fnn_alloc64(size_t bytes)
{
    unsigned char *raw = (unsigned char *)malloc(bytes + 64 + sizeof(void *));
    uintptr_t p;
    if (!raw) return NULL;
    p = ((uintptr_t)(raw + sizeof(void *)) + 63) & ~(uintptr_t)63;
    ((void **)p)[-1] = raw;
    return (void *)p;
}

void fnn_free64(void *p)
{
    if (p) free(((void **)p)[-1]);
}

/* Packing buffers are reused across calls by the calling thread: a fresh multi-MB
 * malloc each call is served by mmap, and the kernel then zeroes every page again
 * (measured: ~8% of a 784-512-256-10 training epoch). One buffer per thread is kept
 * until the process ends; a second buffer needed at the same time is malloc'd. */
#define FNN_PACK_CACHE_MAX ((size_t)256 << 20)

static FNN_THREAD_LOCAL void *g_pack_cache;
static FNN_THREAD_LOCAL size_t g_pack_cache_bytes;
static FNN_THREAD_LOCAL int g_pack_cache_busy;

static void *fnn_pack_alloc(size_t bytes)
{
    if (g_pack_cache_busy || bytes > FNN_PACK_CACHE_MAX) return fnn_alloc64(bytes);
    if (bytes > g_pack_cache_bytes) {
        fnn_free64(g_pack_cache);
        g_pack_cache = fnn_alloc64(bytes);
        g_pack_cache_bytes = g_pack_cache ? bytes : 0;
        if (!g_pack_cache) return NULL;
    }
    g_pack_cache_busy = 1;
    return g_pack_cache;
}

static void fnn_pack_free(void *p)
{
    if (p && p == g_pack_cache) g_pack_cache_busy = 0;
    else fnn_free64(p);
}

/* ------------------------------------------------------------------ float32 */
#define T float
#define FN(x) x##_f32
#define EPI fnn_epi_f32
#define ACT_FWD fnn_act_forward_f32
#define GEN_MR 4
#define GEN_NR 8
#define BLK_AVX2_MC BLK_AVX2_MC_F32
#define BLK_AVX512_MC BLK_AVX512_MC_F32
#define BLK_AVX2_KC BLK_AVX2_KC_F32
#define BLK_AVX2_NC BLK_AVX2_NC_F32
#define BLK_GEN_MC BLK_GEN_MC_F32
#define BLK_GEN_KC BLK_GEN_KC_F32
#define BLK_GEN_NC BLK_GEN_NC_F32
#if FNN_X86_DISPATCH
#define HAVE_AVX2_KERNELS 1
#define V __m256
#define VW 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_load_ps(p)
#define VLOADU(p) _mm256_loadu_ps(p)
#define VSTOREU(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define SFMA(a, b, c) __builtin_fmaf((a), (b), (c))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VSET1(x) _mm256_set1_ps(x)
#define VMASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define VMLOAD(p, m) _mm256_maskload_ps((p), (m))
#include "gemm_avx2.inc"
#define Z __m512
#define ZW 16
#define ZZERO() _mm512_setzero_ps()
#define ZLOAD(p) _mm512_load_ps(p)
#define ZLOADU(p) _mm512_loadu_ps(p)
#define ZSTORE(p, v) _mm512_store_ps((p), (v))
#define ZSTOREU(p, v) _mm512_storeu_ps((p), (v))
#define ZBCAST(p) _mm512_set1_ps(*(p))
#define ZFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define ZMUL(a, b) _mm512_mul_ps((a), (b))
#define ZADD(a, b) _mm512_add_ps((a), (b))
#define ZSET1(x) _mm512_set1_ps(x)
#define ZMASK_T __mmask16
#define ZMLOADU(k, p) _mm512_maskz_loadu_ps((k), (p))
#define ZMSTOREU(p, k, v) _mm512_mask_storeu_ps((p), (k), (v))
#include "gemm_avx512.inc"
#endif
#include "gemm_impl.inc"
#undef T
#undef FN
#undef EPI
#undef ACT_FWD
#undef GEN_MR
#undef GEN_NR
#undef BLK_AVX2_MC
#undef BLK_AVX512_MC
#undef BLK_AVX2_KC
#undef BLK_AVX2_NC
#undef BLK_GEN_MC
#undef BLK_GEN_KC
#undef BLK_GEN_NC
#if FNN_X86_DISPATCH
#undef V
#undef VW
#undef VZERO
#undef VLOAD
#undef VLOADU
#undef VSTOREU
#undef VBCAST
#undef VFMA
#undef SFMA
#undef VMUL
#undef VADD
#undef VSET1
#undef VMASK
#undef VMLOAD
#undef Z
#undef ZW
#undef ZZERO
#undef ZLOAD
#undef ZLOADU
#undef ZSTORE
#undef ZSTOREU
#undef ZBCAST
#undef ZFMA
#undef ZMUL
#undef ZADD
#undef ZSET1
#undef ZMASK_T
#undef ZMLOADU
#undef ZMSTOREU
#endif

/* ------------------------------------------------------------------ float64 */
#define T double
#define FN(x) x##_f64
#define EPI fnn_epi_f64
#define ACT_FWD fnn_act_forward_f64
#define GEN_MR 4
#define GEN_NR 4
#define BLK_AVX2_MC BLK_AVX2_MC_F64
#define BLK_AVX512_MC BLK_AVX512_MC_F64
#define BLK_AVX2_KC BLK_AVX2_KC_F64
#define BLK_AVX2_NC BLK_AVX2_NC_F64
#define BLK_GEN_MC BLK_GEN_MC_F64
#define BLK_GEN_KC BLK_GEN_KC_F64
#define BLK_GEN_NC BLK_GEN_NC_F64
#if FNN_X86_DISPATCH
#define V __m256d
#define VW 4
#define VZERO() _mm256_setzero_pd()
#define VLOAD(p) _mm256_load_pd(p)
#define VLOADU(p) _mm256_loadu_pd(p)
#define VSTOREU(p, v) _mm256_storeu_pd((p), (v))
#define VBCAST(p) _mm256_broadcast_sd(p)
#define VFMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define SFMA(a, b, c) __builtin_fma((a), (b), (c))
#define VMUL(a, b) _mm256_mul_pd((a), (b))
#define VADD(a, b) _mm256_add_pd((a), (b))
#define VSET1(x) _mm256_set1_pd(x)
#define VMASK(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3))
#define VMLOAD(p, m) _mm256_maskload_pd((p), (m))
#include "gemm_avx2.inc"
#define Z __m512d
#define ZW 8
#define ZZERO() _mm512_setzero_pd()
#define ZLOAD(p) _mm512_load_pd(p)
#define ZLOADU(p) _mm512_loadu_pd(p)
#define ZSTORE(p, v) _mm512_store_pd((p), (v))
#define ZSTOREU(p, v) _mm512_storeu_pd((p), (v))
#define ZBCAST(p) _mm512_set1_pd(*(p))
#define ZFMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define ZMUL(a, b) _mm512_mul_pd((a), (b))
#define ZADD(a, b) _mm512_add_pd((a), (b))
#define ZSET1(x) _mm512_set1_pd(x)
#define ZMASK_T __mmask8
#define ZMLOADU(k, p) _mm512_maskz_loadu_pd((k), (p))
#define ZMSTOREU(p, k, v) _mm512_mask_storeu_pd((p), (k), (v))
#include "gemm_avx512.inc"
#endif
#include "gemm_impl.inc"

/* ------------------------------------------------------------------ public API */

void fnn_gemm_f32(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                  float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                  float beta, float *C, size_t ldc)
{
    fnn_gemm_ex_f32(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL);
}

void fnn_gemm_f64(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                  double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                  double beta, double *C, size_t ldc)
{
    fnn_gemm_ex_f64(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL);
}
