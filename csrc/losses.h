/* Losses: value and gradient in one pass, Keras semantics.
 *
 * y_pred is n x k. y_true is n x k, except for the sparse losses where it holds n class
 * indices (stored in the same float type; the caller has validated 0 <= y < k).
 * Per-sample loss l_i: for the cross-entropies over classes, -sum_j y_ij log p_ij; for
 * the element-wise losses (binary CE, MSE, MAE, Huber), the mean over the k columns.
 *
 * Returns sum_i w_i * l_i as a double, summed in a fixed order (w_i = 1 if sw is NULL).
 * If grad is not NULL it receives grad_scale * w_i * d l_i / d y_pred_ij (n x k); the
 * caller passes grad_scale = 1/n for Keras' "sum_over_batch_size" mean.
 * If per_sample is not NULL it receives l_i (unweighted).
 *
 * *_LOGITS losses take logits in y_pred (log-sum-exp / softplus, stable for |z| 1e4).
 * *_PROBS losses take probabilities, clipped to [1e-7, 1-1e-7] as Keras does; CCE on
 * probabilities renormalises each row first. `param` is Huber's delta.
 */
#ifndef FNN_LOSSES_H
#define FNN_LOSSES_H
#include "fnn_common.h"

enum {
    FNN_LOSS_SPARSE_CCE_LOGITS = 0,
    FNN_LOSS_CCE_LOGITS,
    FNN_LOSS_BCE_LOGITS,
    FNN_LOSS_SPARSE_CCE_PROBS,
    FNN_LOSS_CCE_PROBS,
    FNN_LOSS_BCE_PROBS,
    FNN_LOSS_MSE,
    FNN_LOSS_MAE,
    FNN_LOSS_HUBER,
    FNN_LOSS_COUNT
};

double fnn_loss_f32(int loss, double param, size_t n, size_t k, const float *y_true,
                    const float *y_pred, const float *sw, float grad_scale, float *grad,
                    float *per_sample);
double fnn_loss_f64(int loss, double param, size_t n, size_t k, const double *y_true,
                    const double *y_pred, const double *sw, double grad_scale, double *grad,
                    double *per_sample);
#endif
