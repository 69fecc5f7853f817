/* Losses: value and gradient in one pass (contract: losses.h).
 *
 * Rows are cut into blocks of LOSS_BLOCK samples, a size fixed here and independent of
 * the thread count. Each block sums its w_i l_i in row order into a double; the block
 * sums are then added in block order. One thread or many, the additions happen in the
 * same order, so the returned value is bitwise the same.
 *
 * grad may alias y_pred (each row reads its predictions before writing its gradient);
 * it must not alias y_true.
 *
 * float32 on AVX2+FMA CPUs: CCE from logits (sparse and dense) and BCE from logits take
 * the vector code in loss_avx2.inc (exp/log1p within a few ulp of libm's; the same
 * fixed-order double sums; the generic path is the reference).
 */
#include <math.h>
#include <stdlib.h>
#include "losses.h"

#define LOSS_BLOCK 64
#define LOSS_EPS 1e-7   /* keras.backend.epsilon() */

#if FNN_X86_DISPATCH
#include "loss_avx2.inc"
#endif

#define FNN_REAL_F32
#include "loss_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "loss_impl.inc"
#undef FNN_REAL_F64
