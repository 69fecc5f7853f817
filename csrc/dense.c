/* Fused dense layer, float32 and float64 (contract in gemm.h):
 *   forward  Z = X W + b, A = act(Z), bias and activation in the GEMM epilogue;
 *   backward dW = X^T dZ, db = column sums of dZ, dX = dZ W^T (NULL outputs skipped).
 * Deterministic across thread counts: the GEMMs are, and db sums rows in a fixed order.
 */
#include "gemm.h"
#include "activations.h"
#include "gemm_internal.inc"

#define T float
#define FN(x) x##_f32
#define EPI fnn_epi_f32
#include "dense_impl.inc"
#undef T
#undef FN
#undef EPI

#define T double
#define FN(x) x##_f64
#define EPI fnn_epi_f64
#include "dense_impl.inc"
#undef T
#undef FN
#undef EPI
