/* GEMM and the fused dense layer.
 *
 * fnn_gemm_*: C = alpha * op(A) * op(B) + beta * C, row-major.
 *   op(A) is M x K (A is M x K with lda >= K, or K x M with lda >= M when trans_a),
 *   op(B) is K x N (B is K x N with ldb >= N, or N x K with ldb >= K when trans_b),
 *   C is M x N with ldc >= N. beta == 0 means C is write-only (NaNs in C are ignored).
 *   Packed, cache-blocked AVX2/FMA path for large shapes; a direct path for small ones.
 *   Deterministic: each C element is summed over K in an order fixed by K alone (equal
 *   blocks of at most KC terms), whatever the thread count or the path (for alpha = 1
 *   both paths give the same bits: a row's result does not depend on M).
 *
 * fnn_dense_forward_*: Z = X W + b; A = act(Z) (activation codes in activations.h; act_param:
 *   its FNN_ACT_NPARAM parameters, or NULL),
 *   X: M x K, W: K x N, b: N or NULL, Z: M x N or NULL (kept for the backward pass),
 *   A: M x N (may equal Z). Bias and activation run in the GEMM epilogue.
 *
 * fnn_dense_backward_*: given dZ (M x N), X (M x K), W (K x N):
 *   dW = X^T dZ (K x N), db = sum over rows of dZ (N; skipped if NULL),
 *   dX = dZ W^T (M x K; skipped if NULL).
 */
#ifndef FNN_GEMM_H
#define FNN_GEMM_H
#include "fnn_common.h"

void fnn_gemm_f32(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                  float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                  float beta, float *C, size_t ldc);
void fnn_gemm_f64(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                  double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                  double beta, double *C, size_t ldc);

void fnn_dense_forward_f32(size_t M, size_t K, size_t N, const float *X, const float *W,
                           const float *b, int act, const double *act_param, float *Z, float *A);
void fnn_dense_forward_f64(size_t M, size_t K, size_t N, const double *X, const double *W,
                           const double *b, int act, const double *act_param, double *Z, double *A);

/* 1 when this CPU can run the packed GEMM's AVX-512 micro-kernel (AVX-512F). */
int fnn_gemm_avx512_supported(void);

void fnn_dense_backward_f32(size_t M, size_t K, size_t N, const float *X, const float *W,
                            const float *dZ, float *dW, float *db, float *dX);
void fnn_dense_backward_f64(size_t M, size_t K, size_t N, const double *X, const double *W,
                            const double *dZ, double *dW, double *db, double *dX);
#endif
