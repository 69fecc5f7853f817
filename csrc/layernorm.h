/* Layer normalization over the last axis (Keras' LayerNormalization with axis=-1): x is
 * n rows of k features, rows k apart. gamma and beta may be NULL (scale / center off:
 * 1 and 0).
 *
 * fnn_ln_forward_*: per row the mean and biased variance (summed in double, two passes,
 * features in order), inv = 1 / sqrt(var + eps) rounded to REAL, then per feature
 *   without rms: h = (x - mean) * inv           with rms (Keras' deprecated rms_scaling):
 *                y = h * gamma + beta                       h = x * inv, y = h * gamma
 * (beta is not read with rms). xhat (n x k) = h and stat (2n: mean, inv per row) are
 * kept for the backward pass when not NULL (both or neither); y may be x (in place).
 * fnn_ln_backward_*: from dy (d loss / d y): dgamma = sum over rows of dy * xhat,
 * dbeta = sum of dy (each may be NULL: not wanted; sums in double, rows in order), and
 * dx when not NULL (may be dy): with g = dy * gamma, per row
 *   without rms: dx = (g - mean(g) - xhat * mean(g * xhat)) * inv
 *   with rms:    dx = (g - c * mean(g * xhat)) * inv, c = (x - mean) * inv = xhat - mean * inv
 * (the means over the row's k features, in double).
 *
 * Serial, one fixed order: results do not depend on the thread count. n, k >= 1.
 */
#ifndef FNN_LAYERNORM_H
#define FNN_LAYERNORM_H
#include "fnn_common.h"

void fnn_ln_forward_f32(size_t n, size_t k, const float *x, const float *gamma,
                        const float *beta, double eps, int rms, float *xhat, float *stat,
                        float *y);
void fnn_ln_forward_f64(size_t n, size_t k, const double *x, const double *gamma,
                        const double *beta, double eps, int rms, double *xhat, double *stat,
                        double *y);
void fnn_ln_backward_f32(size_t n, size_t k, const float *dy, const float *xhat,
                         const float *stat, const float *gamma, int rms, float *dx,
                         float *dgamma, float *dbeta);
void fnn_ln_backward_f64(size_t n, size_t k, const double *dy, const double *xhat,
                         const double *stat, const double *gamma, int rms, double *dx,
                         double *dgamma, double *dbeta);
#endif
