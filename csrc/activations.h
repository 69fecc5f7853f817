/* Activations, forward and backward, on a rows x cols row-major block.
 *
 * fnn_act_forward_*(act, param, rows, cols, z, a): a = f(z). a may equal z.
 * fnn_act_backward_*(act, param, rows, cols, z, a, da, dz): dz = da * f'(z), where
 *   a = f(z) is given too (cheaper for sigmoid/tanh/softmax). For softmax and log_softmax
 *   (row-wise) dz is the vector-Jacobian product. dz may equal da.
 * `param` is the slope of leaky_relu (Keras function default 0.2) and the alpha of elu
 *   (default 1.0); it is ignored by the others.
 * Stable for |z| up to 1e4: no overflow to inf/NaN for sigmoid, softplus, softmax,
 *   log_softmax, silu, selu, elu (exponential overflows by definition).
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
    FNN_ACT_COUNT
};

void fnn_act_forward_f32(int act, double param, size_t rows, size_t cols,
                         const float *z, float *a);
void fnn_act_forward_f64(int act, double param, size_t rows, size_t cols,
                         const double *z, double *a);
void fnn_act_backward_f32(int act, double param, size_t rows, size_t cols,
                          const float *z, const float *a, const float *da, float *dz);
void fnn_act_backward_f64(int act, double param, size_t rows, size_t cols,
                          const double *z, const double *a, const double *da, double *dz);
#endif
