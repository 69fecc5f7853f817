/* Keras' weight constraints, applied to a Dense kernel after each optimizer update (as
 * Keras' optimizer does: variable.assign(constraint(variable))), with the bits of
 * fastnn's NumPy constraints (fastnn/constraints.py) for a C-contiguous rows x cols
 * kernel and the norm of each column (axis=0, the default: one weight vector per unit):
 *
 *   norms[j] = sqrt(sum_i w[i, j]^2), the squares rounded, then summed over i in order
 *              (NumPy's reduction over the outer axis), all in REAL;
 *   FNN_CON_MAX_NORM     (p[0] = max_value): w * (clip(norms, 0, max) / (eps + norms))
 *   FNN_CON_NON_NEG:     max(w, 0): w where w > 0, a NaN kept, else +0 (-0 included, as
 *                        NumPy's maximum gives it)
 *   FNN_CON_UNIT_NORM:   w / (eps + norms)
 *   FNN_CON_MIN_MAX_NORM (p[0] = min_value, p[1] = max_value, p[2] = rate):
 *                        w * (desired / (eps + norms)),
 *                        desired = rate clip(norms, min, max) + (1 - rate) norms
 * with eps = 1e-7 and every parameter rounded to REAL (1 - rate computed in double
 * first); each product and sum rounded on its own (no fused multiply-add). clip is
 * min(max(x, lo), hi), a NaN kept. cols >= 2 (a single column is reduced as a contiguous
 * vector by NumPy, in another order: the caller keeps it off the engine).
 * norms: scratch of cols values. Returns 0, or -1 for an unknown kind (nothing written).
 */
#ifndef FNN_CONSTRAINTS_H
#define FNN_CONSTRAINTS_H
#include "fnn_common.h"

enum { FNN_CON_NONE = 0, FNN_CON_MAX_NORM, FNN_CON_NON_NEG, FNN_CON_UNIT_NORM,
       FNN_CON_MIN_MAX_NORM, FNN_CON_COUNT };
#define FNN_CON_NPARAM 3

int fnn_constrain_f32(int kind, const double *p, size_t rows, size_t cols, float *w,
                      float *norms);
int fnn_constrain_f64(int kind, const double *p, size_t rows, size_t cols, double *w,
                      double *norms);
#endif
