/* Input checks that run over whole data sets, so they are kernels too.
 *
 * fnn_all_finite_*: 1 when none of the n values is NaN or +-Inf, else 0. One pass over
 * the data (NumPy's isfinite or min+max take two, or a full-size temporary), read by
 * several threads for large n; the answer does not depend on the thread count.
 */
#ifndef FNN_CHECKS_H
#define FNN_CHECKS_H
#include "fnn_common.h"

int fnn_all_finite_f32(size_t n, const float *x);
int fnn_all_finite_f64(size_t n, const double *x);
#endif
