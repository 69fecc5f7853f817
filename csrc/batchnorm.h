/* Batch normalization over the last axis (Keras' BatchNormalization): x is n rows of k
 * features, rows k apart. gamma and beta may be NULL (scale / center off: 1 and 0).
 *
 * fnn_bn_train_*: per feature the batch mean and biased variance (summed in double,
 * two passes), inv = 1 / sqrt(var + eps), xhat = (x - mean) * inv, y = xhat * gamma +
 * beta; the moving statistics move: mm = mm * momentum + mean * (1 - momentum), the same
 * for mv with var. xhat (n x k) and inv (k) are kept for the backward pass.
 * fnn_bn_infer_*: y from the moving statistics, inv (k) written when not NULL.
 * fnn_bn_backward_*: from dy (d loss / d y): dgamma = sum dy * xhat, dbeta = sum dy (each
 * may be NULL: not wanted), and dx when not NULL. With batch_stats the mean and variance
 * were the batch's: dx = (g - mean(g) - xhat * mean(g * xhat)) * inv with g = dy * gamma;
 * else they were constants: dx = g * inv (xhat is then read only for dgamma, dbeta,
 * and may be NULL without them).
 *
 * Serial, one fixed order: results do not depend on the thread count. n, k >= 1.
 */
#ifndef FNN_BATCHNORM_H
#define FNN_BATCHNORM_H
#include "fnn_common.h"

void fnn_bn_train_f32(size_t n, size_t k, const float *x, const float *gamma,
                      const float *beta, float *mm, float *mv, double momentum, double eps,
                      float *xhat, float *inv, float *y);
void fnn_bn_train_f64(size_t n, size_t k, const double *x, const double *gamma,
                      const double *beta, double *mm, double *mv, double momentum,
                      double eps, double *xhat, double *inv, double *y);
void fnn_bn_infer_f32(size_t n, size_t k, const float *x, const float *gamma,
                      const float *beta, const float *mm, const float *mv, double eps,
                      float *inv, float *y);
void fnn_bn_infer_f64(size_t n, size_t k, const double *x, const double *gamma,
                      const double *beta, const double *mm, const double *mv, double eps,
                      double *inv, double *y);
void fnn_bn_backward_f32(size_t n, size_t k, const float *dy, const float *xhat,
                         const float *inv, const float *gamma, int batch_stats, float *dx,
                         float *dgamma, float *dbeta);
void fnn_bn_backward_f64(size_t n, size_t k, const double *dy, const double *xhat,
                         const double *inv, const double *gamma, int batch_stats, double *dx,
                         double *dgamma, double *dbeta);
#endif
