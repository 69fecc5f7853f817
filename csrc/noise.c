/* The noise layers' counter-based stream (contract: noise.h). */
#include <math.h>
#include "noise.h"

/* splitmix64's finaliser (as train.c's dropout stream) */
static inline uint64_t noise_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t fnn_noise_key(uint64_t seed, uint64_t step)
{
    return noise_mix64(seed ^ noise_mix64(step * 0x100000001B3ULL + 0x6E6F697365ULL));
}

uint64_t fnn_dropout_key(uint64_t net_seed, uint64_t step, uint64_t l)
{
    return noise_mix64(net_seed ^ noise_mix64(step * 0x100000001B3ULL + l));
}

static inline double noise_uniform(uint64_t key, uint64_t i)
{
    return (double)(noise_mix64(key + i) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double noise_normal(uint64_t key, uint64_t i)
{
    const double u1 = 1.0 - noise_uniform(key, 2 * i);       /* (0, 1]: log finite */
    const double u2 = noise_uniform(key, 2 * i + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#define FNN_REAL_F32
#include "noise_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "noise_impl.inc"
#undef FNN_REAL_F64
