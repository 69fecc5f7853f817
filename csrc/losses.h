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
 *
 * The further losses (Keras 3's formulas, eps = 1e-7; y, p: a row's targets and
 * predictions; "mean" is over the k columns, "sum" too; rows only, no cross-row terms
 * except the hinge labels below):
 *   KLD          sum t log(t / q), t = clip(y, eps, 1), q = clip(p, eps, 1)
 *   POISSON      mean p - y log(p + eps)
 *   LOG_COSH     mean x + softplus(-2x) - log 2, x = p - y       (d/dp = tanh(x))
 *   HINGE        mean max(1 - y p, 0)
 *   SQUARED_HINGE mean max(1 - y p, 0)^2; for both hinges, when every y of the call
 *                (all n x k) is 0 or 1 the labels are taken as 2y - 1 (Keras'
 *                convert_binary_labels_to_hinge, decided once per call)
 *   CAT_HINGE    max(max_j (1 - y_j) p_j - sum y p + 1, 0)      (ties: the first max)
 *   COSINE       -sum (y / |y|) (p / |p|), |x| = sqrt(max(sum x^2, eps^2))
 *   MAPE         100 mean |y - p| / max(|y|, eps)
 *   MSLE         mean (log(max(p, eps) + 1) - log(max(y, eps) + 1))^2
 *   BFOCAL_*     mean w (1 - p_t)^gamma bce(y, c): P = p or sigmoid(z), c = clip(P),
 *                p_t = y P + (1 - y)(1 - P), w = y alpha + (1 - y)(1 - alpha) with
 *                class balancing, else 1
 *   CFOCAL_*     sum alpha (1 - c)^gamma (-y log c): P = p or softmax(z), c = clip(P /
 *                sum P)
 *   DICE, TVERSKY: one value L for the whole call (Keras' axis=None), over all n x k:
 *                DICE L = 1 - 2 I / (sum y + sum p + eps), I = sum y p;
 *                TVERSKY L = 1 - TP / (TP + alpha FP + beta FN + eps), TP = sum y p,
 *                FP = sum (1 - y) p, FN = sum y (1 - p) (sums in double, element order).
 *                Every row's l_i is L: the call returns (sum_i w_i) L, per_sample[i] = L
 *                and grad = grad_scale (sum_i w_i) dL/dp_ij (Keras weights a scalar loss
 *                by the sample weights' mean under "sum_over_batch_size").
 * Where a clip or max holds a value at its bound, the gradient through it is 0 (a
 * value exactly at the bound included, as for the cross-entropies above).
 *
 * fnn_loss_params takes the parameters as an array of FNN_LOSS_NPARAMS doubles:
 *   [0] Huber's delta; the focal losses' alpha; Tversky's alpha
 *   [1] the focal losses' gamma (>= 0); Tversky's beta
 *   [2] label_smoothing in [0, 1] of BCE_*, CCE_* and the focal losses: y becomes
 *       y (1 - ls) + ls / 2 (binary) or y (1 - ls) + ls / k (categorical), in the
 *       float type, before anything else (0: y as it is, bitwise)
 *   [3] BFOCAL_*: apply_class_balancing (0 or 1)
 * class_alpha: NULL, or CFOCAL_*'s alpha of each of the k classes (k doubles), which
 * then stands for params[0].
 * fnn_loss(loss, param, ...) is fnn_loss_params with {param, 0, 0, 0} and no class_alpha.
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
    FNN_LOSS_KLD,
    FNN_LOSS_POISSON,
    FNN_LOSS_LOG_COSH,
    FNN_LOSS_HINGE,
    FNN_LOSS_SQUARED_HINGE,
    FNN_LOSS_CAT_HINGE,
    FNN_LOSS_COSINE,
    FNN_LOSS_MAPE,
    FNN_LOSS_MSLE,
    FNN_LOSS_BFOCAL_PROBS,
    FNN_LOSS_BFOCAL_LOGITS,
    FNN_LOSS_CFOCAL_PROBS,
    FNN_LOSS_CFOCAL_LOGITS,
    FNN_LOSS_DICE,
    FNN_LOSS_TVERSKY,
    FNN_LOSS_COUNT
};

double fnn_loss_f32(int loss, double param, size_t n, size_t k, const float *y_true,
                    const float *y_pred, const float *sw, float grad_scale, float *grad,
                    float *per_sample);
double fnn_loss_f64(int loss, double param, size_t n, size_t k, const double *y_true,
                    const double *y_pred, const double *sw, double grad_scale, double *grad,
                    double *per_sample);

#define FNN_LOSS_NPARAMS 4
double fnn_loss_params_f32(int loss, const double *params, const double *class_alpha,
                           size_t n, size_t k, const float *y_true, const float *y_pred,
                           const float *sw, float grad_scale, float *grad,
                           float *per_sample);
double fnn_loss_params_f64(int loss, const double *params, const double *class_alpha,
                           size_t n, size_t k, const double *y_true, const double *y_pred,
                           const double *sw, double grad_scale, double *grad,
                           double *per_sample);
#endif
