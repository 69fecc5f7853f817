/* bfloat16 rounding: what the mixed_bfloat16 policy feeds its matrix products.
 *
 * bfloat16 is float32 with the low 16 mantissa bits dropped (1 sign, 8 exponent and 7
 * mantissa bits). A float32 x becomes the bfloat16 value
 *     b = (u + 0x7FFF + ((u >> 16) & 1)) >> 16,     u = the bits of x as uint32,
 * i.e. rounded to the nearest bfloat16, ties to the even one, for every x that is not
 * NaN: denormals round like any other value (to a bfloat16 denormal or to +-0), +-0 and
 * +-inf stay themselves, values at or above 0x1.FFp127 in magnitude (the largest
 * bfloat16 plus half its last place) become +-inf. A NaN stays a NaN: its sign and top
 * 9 payload bits are kept and the quiet bit is set, b = (u >> 16) | 0x0040.
 *
 * fnn_round_bf16(n, x, y): y[i] = the float32 holding b (b << 16), for i < n. y may be x
 *     (in place); otherwise the two must not overlap.
 * fnn_pack_bf16(n, x, y):  y[i] = b as uint16 (the operand layout of a bfloat16 GEMM).
 *
 * Both read x[0..n) and write y[0..n) only, allocate nothing, and give the same bits on
 * every path and at every thread count (each element is rounded on its own; large
 * arrays are split over threads in fixed-size blocks).
 *
 * Paths, chosen at run time: the AVX-512 BF16 instructions (vcvtneps2bf16 for rounding,
 * vcvtne2ps2bf16 for packing) where the CPU has AVX512_BF16 and the SIMD path is AVX2
 * (fnn_simd_level), by default on AMD CPUs (fnn_bf16_avx512_default: there they were
 * measured faster than the portable path, on Intel's slower) and wherever the
 * environment variable FASTNN_BF16_AVX512 is "1" ("0": never), else portable C. The
 * instructions treat denormal inputs as zero;
 * the AVX-512 path recomputes those lanes by the formula above, so both paths agree.
 */
#ifndef FNN_BF16_H
#define FNN_BF16_H
#include "fnn_common.h"

void fnn_round_bf16(size_t n, const float *x, float *y);
void fnn_pack_bf16(size_t n, const float *x, uint16_t *y);

/* fnn_gemm_bf16: C = op(A) op(B) with every operand rounded to bfloat16 as above and
 * the products summed in float32; row-major, op(A) M x K (A is M x K with lda >= K, or
 * K x M with lda >= M when trans_a), op(B) K x N (B is K x N with ldb >= N, or N x K
 * with ldb >= K when trans_b), C M x N with ldc >= N, write-only. A and B are read, not
 * changed. Returns 0, or -1 (C unwritten) when its packing buffers cannot be allocated.
 *   AMX-BF16 path (TDPBF16PS, bf16_amx.inc): each element summed over K tiles of 32 in
 *   order, within a tile in the instruction's order, denormal operands read as zero and
 *   denormal results flushed to zero.
 *   AVX512_BF16 path (vdpbf16ps): each element summed over pairs of k in order (within a
 *   pair k+1, then k), every step rounded to float32, denormal operands read as zero and
 *   denormal results flushed to zero (the instruction's arithmetic).
 *   Portable path: the float32 GEMM (gemm.h) on the rounded operands.
 *   Each path gives the same bits at every thread count; the paths agree within the
 *   float32 summation error (and the flushed denormals), not bit for bit. The AMX path
 *   is taken where the CPU has AMX-BF16 and the OS grants it (Linux) unless the
 *   environment variable FASTNN_BF16_AMX is "0"; else the AVX512_BF16 path where
 *   fnn_bf16_avx512(); else the portable one. */
int fnn_gemm_bf16(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                  const float *A, size_t lda, const float *B, size_t ldb,
                  float *C, size_t ldc);

/* fnn_gemm_bf16 on the caller's scratch, allocating nothing: scratch holds
 * fnn_gemm_bf16_scratch(M, N, K) bytes (any alignment; SIZE_MAX: too large to exist),
 * enough for every path. */
size_t fnn_gemm_bf16_scratch(size_t M, size_t N, size_t K);
void fnn_gemm_bf16_ws(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc, void *scratch);

/* A Dense layer under the mixed_bfloat16 policy (float32 arrays, row-major, contiguous),
 * in one fixed sequence that the layer-by-layer path and the C engine share:
 * fnn_dense_forward_bf16: C = Z (or A when Z is NULL) = fnn_gemm_bf16(X (M x K),
 *   W (K x N)); then C += b row by row (b may be NULL); then A = act(C)
 *   (fnn_act_forward_f32 with act_param, its FNN_ACT_NPARAM parameters or NULL; skipped
 *   when act is linear and C is A).
 * fnn_dense_backward_bf16: with dZ (M x N, read only) rounded to bfloat16 (the gradient
 *   that reaches a bfloat16 product: rounded where it is read, dZ is not written),
 *   dW (K x N) = X^T dZ, db = the column sums of the rounded dZ in row order
 *   (fnn_dense_backward_f32's order: the same bits), dX (M x K) = dZ W^T, the products
 *   by fnn_gemm_bf16; any of dW, db, dX may be NULL.
 * scratch: fnn_dense_bf16_scratch(M, K, N) bytes, enough for all three products. */
size_t fnn_dense_bf16_scratch(size_t M, size_t K, size_t N);
void fnn_dense_forward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                            const float *b, int act, const double *act_param, float *Z, float *A,
                            void *scratch);
void fnn_dense_backward_bf16(size_t M, size_t K, size_t N, const float *X, const float *W,
                             const float *dZ, float *dW, float *db, float *dX, void *scratch);

/* A Dense layer's kernel W (K x N, row-major, contiguous) packed once for many
 * fnn_dense_forward_bf16_packed calls (inference over many rows): fnn_bf16_prepack
 * returns 0 (pb->data holds the packed W: free it with fnn_bf16_packed_free), 1 when
 * the bfloat16 GEMM in use now does not take packed weights (only the AVX512_BF16 path
 * does; pb->data NULL), or -1 when out of memory. A later change to W is not seen.
 * fnn_dense_forward_bf16_packed: A (M x N) = act(X (M x K) W + b) as
 * fnn_dense_forward_bf16 computes it with Z NULL, the same bits, in the calling thread
 * alone (no OpenMP region), on awork: fnn_bf16_packed_awork(M, K) bytes (any
 * alignment). Only for a pb that fnn_bf16_prepack returned 0 for, with the same GEMM
 * path in use. */
typedef struct { size_t K, N; uint32_t *data; } fnn_bf16_packed;
int fnn_bf16_prepack(size_t K, size_t N, const float *W, fnn_bf16_packed *pb);
void fnn_bf16_packed_free(fnn_bf16_packed *pb);
size_t fnn_bf16_packed_awork(size_t rows, size_t K);
void fnn_dense_forward_bf16_packed(size_t M, const float *X, const fnn_bf16_packed *pb,
                                   const float *b, int act, const double *act_param,
                                   float *A, void *awork);

/* 1 if the CPU has AVX512_BF16 (and AVX-512F). */
int fnn_bf16_avx512_supported(void);
/* 1 if fnn_round_bf16 / fnn_pack_bf16 / fnn_gemm_bf16 take the AVX-512 BF16 path now. */
int fnn_bf16_avx512(void);
/* 1 where the AVX-512 BF16 path is the default (FASTNN_BF16_AVX512 unset): AMD CPUs,
 * where it was measured faster than the portable path (on Intel's, slower). */
int fnn_bf16_avx512_default(void);
/* Test hook: AVX-512 BF16 path on (1) or off (0, portable C); returns -1 (and changes
 * nothing) if on is asked of a CPU without it. */
int fnn_bf16_set_avx512(int on);
/* 1 if the CPU has AMX-BF16 and the OS let this process use it (asked once, Linux). */
int fnn_bf16_amx_supported(void);
/* 1 if fnn_gemm_bf16 takes the AMX path now. */
int fnn_bf16_amx(void);
/* Test hook: the AMX path on (1) or off (0); -1 (nothing changed) if on is asked where
 * fnn_bf16_amx_supported() is 0. */
int fnn_bf16_set_amx(int on);
#endif
