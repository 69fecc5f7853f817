/* Activations, forward and backward, on a rows x cols row-major block.
 *
 * fnn_act_forward_*(act, param, rows, cols, z, a): a = f(z). a may equal z.
 * fnn_act_backward_*(act, param, rows, cols, z, a, da, dz): dz = da * f'(z), where
 *   a = f(z) is given too (cheaper for sigmoid/tanh/softmax). For softmax and log_softmax
 *   (row-wise) dz is the vector-Jacobian product. dz may equal da.
 * `param` points to FNN_ACT_NPARAM doubles (NULL: all 0), the activation's parameters
 *   p[0], p[1], p[2] (cast to the element type before use, as Keras casts them):
 *     leaky_relu: p[0] the negative slope (Keras function default 0.2);
 *     elu, celu: p[0] alpha (default 1.0; celu divides by it: nonzero);
 *     squareplus: p[0] b (default 4, >= 0);
 *     soft_shrink, hard_shrink: p[0] the threshold (default 0.5);
 *     threshold: p[0] the threshold, p[1] the value given at or below it;
 *     relu_general (keras.activations.relu with its options): p[0] negative_slope,
 *       p[1] max_value (NaN: none), p[2] threshold;
 *   the others ignore it.
 * Derivatives where a piecewise activation changes formula are those of the formula
 *   the forward takes there: relu, relu6, hard_tanh, hard_sigmoid, sparse_sigmoid, the
 *   shrinks, threshold and relu_general (at its threshold and max_value) give 0 there;
 *   hard_silu 0 at -3 and 1 at 3; sparse_plus 0 at -1 and 1 at 1; leaky_relu 1 at 0.
 * Stable for |z| up to 1e4: no overflow to inf/NaN for sigmoid, softplus, softmax,
 *   log_softmax, silu, selu, elu, mish, log_sigmoid, squareplus (no overflow for any
 *   finite z) (exponential overflows by definition). tanh_shrink is accurate to a few
 *   ulp also where x - tanh(x) cancels (small |x|).
 */
#ifndef FNN_ACTIVATIONS_H
#define FNN_ACTIVATIONS_H
#include "fnn_common.h"

enum {
    FNN_ACT_LINEAR = 0,
    FNN_ACT_RELU,
    FNN_ACT_SIGMOID,
    FNN_ACT_TANH,
    FNN_ACT_LEAKY_RELU,
    FNN_ACT_ELU,
    FNN_ACT_SELU,
    FNN_ACT_SOFTPLUS,
    FNN_ACT_SOFTSIGN,
    FNN_ACT_SILU,
    FNN_ACT_GELU,          /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
    FNN_ACT_GELU_TANH,     /* tanh approximation */
    FNN_ACT_HARD_SIGMOID,  /* Keras 3: clip(x/6 + 0.5, 0, 1) */
    FNN_ACT_EXPONENTIAL,
    FNN_ACT_SOFTMAX,       /* row-wise */
    FNN_ACT_LOG_SOFTMAX,   /* row-wise */
    FNN_ACT_RELU6,         /* min(max(x, 0), 6) */
    FNN_ACT_HARD_SILU,     /* x * hard_sigmoid(x) */
    FNN_ACT_MISH,          /* x * tanh(softplus(x)) */
    FNN_ACT_CELU,          /* x > 0 ? x : alpha * expm1(x / alpha) */
    FNN_ACT_LOG_SIGMOID,   /* -softplus(-x) */
    FNN_ACT_SPARSE_PLUS,   /* 0 (x <= -1), (x + 1)^2 / 4 (-1 < x < 1), x (x >= 1) */
    FNN_ACT_SPARSE_SIGMOID,/* 0 (x <= -1), (x + 1) / 2 (-1 < x < 1), 1 (x >= 1) */
    FNN_ACT_SQUAREPLUS,    /* (x + sqrt(x^2 + b)) / 2 */
    FNN_ACT_SOFT_SHRINK,   /* x - t (x > t), x + t (x < -t), else 0 */
    FNN_ACT_HARD_SHRINK,   /* x where |x| > t, else 0 */
    FNN_ACT_TANH_SHRINK,   /* x - tanh(x) */
    FNN_ACT_HARD_TANH,     /* clip(x, -1, 1) */
    FNN_ACT_THRESHOLD,     /* x > t ? x : default_value */
    FNN_ACT_RELU_GENERAL,  /* Keras relu(x, negative_slope, max_value, threshold) */
    FNN_ACT_COUNT
};

#define FNN_ACT_NPARAM 3   /* doubles behind the `param` pointer */

void fnn_act_forward_f32(int act, const double *param, size_t rows, size_t cols,
                         const float *z, float *a);
void fnn_act_forward_f64(int act, const double *param, size_t rows, size_t cols,
                         const double *z, double *a);
void fnn_act_backward_f32(int act, const double *param, size_t rows, size_t cols,
                          const float *z, const float *a, const float *da, float *dz);
void fnn_act_backward_f64(int act, const double *param, size_t rows, size_t cols,
                          const double *z, const double *a, const double *da, double *dz);
/* SELU's constants (Keras'), in double: the selu kernels and AlphaDropout's (noise.c). */
#define FNN_SELU_ALPHA 1.6732632423543772848170429916717
#define FNN_SELU_SCALE 1.0507009873554804934193349852946
#endif
