/* Activations, forward and backward (contract: activations.h).
 *
 * One template (act_impl.inc) is compiled for float and double. Element-wise work is
 * split over elements, softmax/log_softmax over rows; every output element is computed
 * by one thread from its own inputs, so results never depend on the thread count.
 *
 * Backward reads `a` (the forward output) for sigmoid, tanh, exponential, softmax and
 * log_softmax, and `z` for every other activation; the pointer it does not read may be
 * NULL (a fused step that keeps only one of Z and A can pass the other as NULL).
 *
 * float32 on AVX2+FMA CPUs: the exp/tanh-based activations take the vector code in
 * act_avx2.inc (results within a few ulp of libm's; the generic path is the reference).
 */
#include <math.h>
#include "activations.h"

/* Rough cost of one element in "element operations", for fnn_threads_for(): the
 * transcendental functions cost about 10-20 plain operations each. */
static double act_cost(int act)
{
    switch (act) {
    case FNN_ACT_LINEAR: case FNN_ACT_RELU: case FNN_ACT_LEAKY_RELU:
    case FNN_ACT_HARD_SIGMOID: case FNN_ACT_SOFTSIGN:
    case FNN_ACT_RELU6: case FNN_ACT_HARD_SILU: case FNN_ACT_SPARSE_PLUS:
    case FNN_ACT_SPARSE_SIGMOID: case FNN_ACT_SOFT_SHRINK: case FNN_ACT_HARD_SHRINK:
    case FNN_ACT_HARD_TANH: case FNN_ACT_THRESHOLD: case FNN_ACT_RELU_GENERAL:
        return 1.0;
    default:
        return 16.0;
    }
}

#if FNN_X86_DISPATCH
#include "act_avx2.inc"
#endif

#define FNN_REAL_F32
#include "act_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "act_impl.inc"
#undef FNN_REAL_F64
