/* The noise layers' counter-based stream (contract: noise.h). */
#include <math.h>
#include "activations.h"
#include "noise.h"

/* A draw's key from a seed, the step and what draws (a salt): both hashed, so that
 * neighbouring seeds and steps give unrelated keys. */
static uint64_t stream_key(uint64_t seed, uint64_t step, uint64_t salt)
{
    return fnn_mix64(seed ^ fnn_mix64(step * 0x100000001B3ULL + salt));
}

uint64_t fnn_noise_key(uint64_t seed, uint64_t step)
{
    return stream_key(seed, step, 0x6E6F697365ULL);   /* "noise" */
}

uint64_t fnn_dropout_key(uint64_t net_seed, uint64_t step, uint64_t l)
{
    return stream_key(net_seed, step, l);
}

static inline double noise_uniform(uint64_t key, uint64_t i)
{
    return (double)(fnn_mix64(key + i) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double noise_normal(uint64_t key, uint64_t i)
{
    const double u1 = 1.0 - noise_uniform(key, 2 * i);       /* (0, 1]: log finite */
    const double u2 = noise_uniform(key, 2 * i + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* A dropout mask element's cost in work units (fnn_common.h: the hash, ~4 ns serially) */
#define FNN_DROPOUT_COST 64.0
/* and a normal draw's (Box-Muller: a log, a cosine and a square root, ~30 ns) */
#define FNN_NORMAL_COST 512.0

#define FNN_REAL_F32
#include "noise_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "noise_impl.inc"
#undef FNN_REAL_F64
