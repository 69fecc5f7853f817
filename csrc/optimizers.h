/* Optimizer updates in place, Keras 3 formulas. Each works on n contiguous elements
 * of a parameter w with gradient g and its slot arrays. Step-dependent scalars (the
 * learning rate of a schedule, Adam's bias correction) are computed by the caller.
 *
 * Every update starts with Keras' decoupled weight decay, w -= w * wd_lr (wd_lr =
 * weight_decay * lr; 0 disables it).
 *
 * SGD:     momentum == 0: w -= lr g.  Else m = mu m - lr g; w += m, or with nesterov
 *          w += mu m - lr g (m updated first).
 * Adam:    m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha_t m / (sqrt(v) + eps)
 *          with alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t) passed in (AdamW = Adam + wd).
 * RMSprop: v = rho v + (1 - rho) g^2; centered: mg = rho mg + (1 - rho) g, den = v - mg^2;
 *          inc = lr g / sqrt(den + eps); momentum > 0: mom = momentum mom + inc, w -= mom;
 *          else w -= inc. mg / mom may be NULL when unused.
 * Adagrad: acc += g^2; w -= lr g / sqrt(acc + eps).
 * Nadam:   m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
 *          w -= lr (c_m m + c_g g) / (sqrt(v / d2) + eps), with the step's Nesterov and
 *          bias-correction factors c_m = u_{t+1} / (1 - prod_{k<=t+1} u_k),
 *          c_g = (1 - u_t) / (1 - prod_{k<=t} u_k), u_k = b1 (1 - 0.5 * 0.96^k), and
 *          d2 = 1 - b2^t passed in.
 * Adamax:  m += (g - m)(1 - b1); u = max(b2 u, |g|); w -= lr m / (d1 (u + eps)) with
 *          d1 = 1 - b1^t passed in.
 * AMSGrad: Adam's m and v, then vhat = max(vhat, v); w -= alpha_t m / (sqrt(vhat) + eps)
 *          (Adam and AdamW with amsgrad=True).
 * Adadelta: ag = rho ag + (1 - rho) g^2; d = -(sqrt(ad + eps) g) / sqrt(ag + eps);
 *          ad = rho ad + (1 - rho) d^2; w += lr d.
 * Lion:    w -= lr sign(b1 m + c1 g); m = b2 m + c2 g, with c1 = 1 - b1 and c2 = 1 - b2
 *          computed in the parameter's type from b1, b2 rounded to it (as Keras casts the
 *          betas to the variable's dtype first); sign(0) = 0.
 * Ftrl:    (keras/src/optimizers/ftrl.py) with p = -lr_power, l2' = l2 + beta / (2 lr),
 *          everything in the parameter's type: its own weight decay first,
 *          w -= (w * wd) * lr (wd = weight_decay, 0 disables it; Keras' form, with wd and
 *          lr each rounded to the type); then gs = g + (2 shrinkage) w, na = acc + g^2,
 *          z += gs - (na^p - acc^p) / lr * w, acc = na,
 *          w = (clip(z, -l1, l1) - z) / (na^p / lr + 2 l2'). lr must be > 0.
 *          fnn_ftrl_finite_* computes the same step and writes nothing: it returns 1
 *          when every new w, acc and z would be finite, else 0 (the caller refuses such
 *          a step, changing nothing).
 *
 * Denormals are flushed to zero inside the updates (inputs read as 0, results that would
 * be denormal stored as 0; the caller's floating-point mode is restored), as TensorFlow
 * runs its kernels: moments that decay toward 0 stop at 0 instead of slowing every
 * operation on them down (fnn_common.h, FNN_FLUSH_BEGIN).
 */
#ifndef FNN_OPTIMIZERS_H
#define FNN_OPTIMIZERS_H
#include "fnn_common.h"

void fnn_sgd_f32(size_t n, float *w, const float *g, float *m, double lr, double momentum,
                 int nesterov, double wd_lr);
void fnn_sgd_f64(size_t n, double *w, const double *g, double *m, double lr, double momentum,
                 int nesterov, double wd_lr);
void fnn_adam_f32(size_t n, float *w, const float *g, float *m, float *v, double alpha_t,
                  double beta1, double beta2, double eps, double wd_lr);
void fnn_adam_f64(size_t n, double *w, const double *g, double *m, double *v, double alpha_t,
                  double beta1, double beta2, double eps, double wd_lr);
void fnn_rmsprop_f32(size_t n, float *w, const float *g, float *v, float *mg, float *mom,
                     double lr, double rho, double momentum, double eps, int centered,
                     double wd_lr);
void fnn_rmsprop_f64(size_t n, double *w, const double *g, double *v, double *mg, double *mom,
                     double lr, double rho, double momentum, double eps, int centered,
                     double wd_lr);
void fnn_adagrad_f32(size_t n, float *w, const float *g, float *acc, double lr, double eps,
                     double wd_lr);
void fnn_adagrad_f64(size_t n, double *w, const double *g, double *acc, double lr, double eps,
                     double wd_lr);
void fnn_nadam_f32(size_t n, float *w, const float *g, float *m, float *v, double lr,
                   double c_m, double c_g, double d2, double beta1, double beta2, double eps,
                   double wd_lr);
void fnn_nadam_f64(size_t n, double *w, const double *g, double *m, double *v, double lr,
                   double c_m, double c_g, double d2, double beta1, double beta2, double eps,
                   double wd_lr);
void fnn_adamax_f32(size_t n, float *w, const float *g, float *m, float *u, double lr,
                    double d1, double beta1, double beta2, double eps, double wd_lr);
void fnn_adamax_f64(size_t n, double *w, const double *g, double *m, double *u, double lr,
                    double d1, double beta1, double beta2, double eps, double wd_lr);
void fnn_adam_amsgrad_f32(size_t n, float *w, const float *g, float *m, float *v, float *vhat,
                          double alpha_t, double beta1, double beta2, double eps,
                          double wd_lr);
void fnn_adam_amsgrad_f64(size_t n, double *w, const double *g, double *m, double *v,
                          double *vhat, double alpha_t, double beta1, double beta2,
                          double eps, double wd_lr);
void fnn_adadelta_f32(size_t n, float *w, const float *g, float *ag, float *ad, double lr,
                      double rho, double eps, double wd_lr);
void fnn_adadelta_f64(size_t n, double *w, const double *g, double *ag, double *ad, double lr,
                      double rho, double eps, double wd_lr);
void fnn_lion_f32(size_t n, float *w, const float *g, float *m, double lr, double beta1,
                  double beta2, double wd_lr);
void fnn_lion_f64(size_t n, double *w, const double *g, double *m, double lr, double beta1,
                  double beta2, double wd_lr);
void fnn_ftrl_f32(size_t n, float *w, const float *g, float *acc, float *z, double lr,
                  double lr_power, double l1, double l2, double shrinkage, double beta,
                  double wd);
void fnn_ftrl_f64(size_t n, double *w, const double *g, double *acc, double *z, double lr,
                  double lr_power, double l1, double l2, double shrinkage, double beta,
                  double wd);
int fnn_ftrl_finite_f32(size_t n, const float *w, const float *g, const float *acc,
                        const float *z, double lr, double lr_power, double l1, double l2,
                        double shrinkage, double beta, double wd);
int fnn_ftrl_finite_f64(size_t n, const double *w, const double *g, const double *acc,
                        const double *z, double lr, double lr_power, double l1, double l2,
                        double shrinkage, double beta, double wd);
/* Sum of g^2 in double, in one fixed order (clipping by norm). */
double fnn_sumsq_f32(size_t n, const float *g);
double fnn_sumsq_f64(size_t n, const double *g);
#endif
