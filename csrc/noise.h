/* The noise layers (Keras' GaussianNoise, GaussianDropout, AlphaDropout) from a
 * counter-based stream: element i of a draw keyed by `key` is a function of (key, i)
 * alone, so the noise does not depend on threads, blocks or the order of the draws,
 * and the C engine and the layers called one by one draw the same noise.
 *
 * fnn_noise_key(seed, step): the key of the draw of a layer seeded `seed` at training
 * step `step` (the splitmix64 finaliser of both).
 * Uniforms: u(key, i) = (mix64(key + i) >> 11) * 2^-53 in [0, 1).
 * Normals (Box-Muller on two hashed uniforms, in double):
 *   z(key, i) = sqrt(-2 log(1 - u(key, 2i))) * cos(2 pi u(key, 2i + 1)).
 *
 * fnn_noise_forward_*(kind, param, key, n, x, mult, y) on n elements (x and y may be the
 * same array):
 *   FNN_NOISE_GAUSSIAN (param = stddev):      y = x + (REAL)(stddev * z)
 *   FNN_NOISE_GAUSSIAN_DROPOUT (param = rate): m = (REAL)(1 + sqrt(rate / (1 - rate)) * z),
 *                                              y = x * m
 *   FNN_NOISE_ALPHA_DROPOUT (param = rate):    kept = u(key, i) >= rate; with
 *       alpha_p = -SELU alpha * SELU scale, a = ((1 - rate)(1 + rate alpha_p^2))^-1/2,
 *       b = -a alpha_p rate: m = (REAL)(a * kept), c = (REAL)(a alpha_p (1 - kept) + b),
 *       y = x * m + c (the product rounded before the sum).
 * mult (n values, may be NULL) receives m, the derivative dy/dx, for the two dropouts
 * (the backward pass is dx = dy * m); GaussianNoise's derivative is 1 and mult is not
 * written. Split over the threads when large (the same bits at any team size). Returns
 * 0, or -1 for an unknown kind (nothing written).
 */
#ifndef FNN_NOISE_H
#define FNN_NOISE_H
#include "fnn_common.h"

enum { FNN_NOISE_NONE = 0, FNN_NOISE_GAUSSIAN, FNN_NOISE_GAUSSIAN_DROPOUT,
       FNN_NOISE_ALPHA_DROPOUT };

/* splitmix64's finaliser: the hash behind every counter-based stream of fastnn (the
 * noise and dropout draws here, the epochs' row orders in train.c). */
static inline uint64_t fnn_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t fnn_noise_key(uint64_t seed, uint64_t step);

/* Dropout's stream (the C engine's since its start): the key of the mask after layer
 * l of a net whose dropout seed is net_seed at step `step`, and the inverted-dropout
 * forward: mask[i] = u(key, i) >= rate ? (REAL)(1 / (1 - rate)) : 0, y = x * mask
 * (0 <= rate < 1; mask may be NULL: not written; y may be x). Split over the threads
 * when large (each element a function of (key, i) alone: the same bits at any team
 * size). */
uint64_t fnn_dropout_key(uint64_t net_seed, uint64_t step, uint64_t l);
void fnn_dropout_forward_f32(double rate, uint64_t key, size_t n, const float *x,
                             float *mask, float *y);
void fnn_dropout_forward_f64(double rate, uint64_t key, size_t n, const double *x,
                             double *mask, double *y);
int fnn_noise_forward_f32(int kind, double param, uint64_t key, size_t n, const float *x,
                          float *mult, float *y);
int fnn_noise_forward_f64(int kind, double param, uint64_t key, size_t n, const double *x,
                          double *mult, double *y);
#endif
