/* The fused training engine (contract in train.h). One template, two dtypes. */
#include <math.h>
#include <string.h>
#include "train.h"
#include "gemm.h"
#include "gemm_internal.inc"
#include "activations.h"
#include "losses.h"
#include "optimizers.h"
#include "batchnorm.h"
#include "bf16.h"
#include "layernorm.h"
#include "noise.h"
#include "constraints.h"
#include "interrupt.h"

#define FNN_MAX_LAYERS 64

/* Sub-buffers start on 64-byte boundaries (16 floats) so GEMM loads stay aligned. */
static size_t fnn_pad16(size_t n) { return (n + 15) & ~(size_t)15; }

/* fnn_pad16 that saturates instead of wrapping. */
static size_t fnn_pad16s(size_t n) { return n > SIZE_MAX - 15 ? SIZE_MAX : fnn_pad16(n); }

int fnn_net_check(const fnn_net *net, int *bad_layer)
{
    unsigned char taken[FNN_MAX_LAYERS] = {0};   /* outputs an Add or concatenation takes */
    unsigned char branched[FNN_MAX_LAYERS] = {0};   /* outputs branches take */
    *bad_layer = -1;
    if (net->n_layers < 1 || net->n_layers > FNN_MAX_LAYERS || !net->layers)
        return FNN_NET_BAD_COUNT;
    if (net->y_cols == 0) return FNN_NET_BAD_SIZE;
    const int np = net->n_parts;
    if (np < 0 || np > FNN_MAX_PARTS ||
            (np > 1 && (net->in_dropout || net->in_noise)) ||
            (net->in_noise && net->in_dropout) || net->in_noise < 0 ||
            net->in_noise > FNN_NOISE_ALPHA_DROPOUT)
        return FNN_NET_BAD_PART;
    if (!(net->in_dropout >= 0 && net->in_dropout < 1)) return FNN_NET_BAD_SIZE;
    for (int p = 0; p < np; p++) {
        if (net->part_cols[p] == 0) return FNN_NET_BAD_PART;
        if (fnn_add(fnn_part_off(net, p), net->part_cols[p]) == SIZE_MAX) return FNN_NET_OVERFLOW;
    }
    for (int l = 0; l < net->n_layers; l++) {
        const fnn_layer *L = &net->layers[l];
        *bad_layer = l;
        if (L->in == 0 || L->out == 0) return FNN_NET_BAD_SIZE;
        /* the parts: one each where the layer reads the input, 0 elsewhere */
        const int reads = l == 0 || L->src == 1, joins = L->cat == 1;
        if (np > 1 && ((reads && (L->part < 0 || L->part >= np)) ||
                       (joins && (L->cat_part < 0 || L->cat_part >= np))))
            return FNN_NET_BAD_PART;
        if ((L->part && (np <= 1 || !reads)) || (L->cat_part && (np <= 1 || !joins)))
            return FNN_NET_BAD_PART;
        /* the width of the net's input as this layer (or its concatenation) reads it */
        const size_t w_in = np > 1 ? net->part_cols[L->part] : net->layers[0].in;
        if (l == 0 && L->in != w_in) return FNN_NET_BAD_CHAIN;
        if (L->src_joined) {   /* the concatenation an earlier layer reads */
            const int s = L->src - 2;
            if (s < 0 || s >= l || !net->layers[s].cat || L->cat || L->src_joined != 1)
                return FNN_NET_BAD_SRC;
            if (L->in != net->layers[s].in) return FNN_NET_BAD_CHAIN;
        } else if (L->src) {
            const int s = L->src - 2;   /* -1: the net's input */
            if (L->src < 0 || l == 0 || L->cat || s >= l - 1)
                return FNN_NET_BAD_SRC;
            if (L->in != (s < 0 ? w_in : net->layers[s].out))
                return FNN_NET_BAD_CHAIN;
            if (s >= 0) branched[s] = 1;
        } else if (L->cat) {
            const int s = L->cat - 2;   /* -1: the net's input */
            if (L->cat < 0 || l == 0 || s >= l - 1 || (s >= 0 && taken[s]++))
                return FNN_NET_BAD_CAT;
            const size_t w = s >= 0 ? net->layers[s].out
                           : np > 1 ? net->part_cols[L->cat_part] : net->layers[0].in;
            if (w >= L->in || L->in - w != net->layers[l - 1].out) return FNN_NET_BAD_CHAIN;
        } else if (l > 0 && L->in != net->layers[l - 1].out) {
            return FNN_NET_BAD_CHAIN;
        }
        /* every element count the engine forms from one layer must fit in a size_t of
         * bytes (16 elements of padding, 8-byte elements) */
        if (fnn_mul(fnn_add(fnn_mul(L->in, L->out), 16), 8) == SIZE_MAX) return FNN_NET_OVERFLOW;
        if (L->ident && (l != 0 || L->in != L->out || L->W || L->b || !L->bn ||
                         (L->act != FNN_ACT_LINEAR && !L->bn_pre) || L->kcon || L->cat ||
                         L->src || L->skip || L->bf16))
            return FNN_NET_BAD_CHAIN;
        if (!L->W && !L->ident) return FNN_NET_MISSING;
        if (L->bn && !L->ln && (!L->mmean || !L->mvar)) return FNN_NET_MISSING;
        if (L->kcon && (L->kcon < 0 || L->kcon >= FNN_CON_COUNT || L->out < 2))
            return FNN_NET_BAD_CON;
        if (L->skip_act && (!L->skip || L->skip_act < 0 || L->skip_act >= FNN_ACT_COUNT ||
                            L->skip_act == FNN_ACT_SOFTMAX ||
                            L->skip_act == FNN_ACT_LOG_SOFTMAX))
            return FNN_NET_BAD_SKIP;
        if (L->skip) {
            const int s = L->skip - 1;
            if (s < 0 || s >= l || l == net->n_layers - 1 || net->layers[s].out != L->out)
                return FNN_NET_BAD_SKIP;
            if (taken[s]++)   /* one Add or concatenation from each layer (and branches) */
                return FNN_NET_BAD_SKIP;
        }
    }
    /* several outputs: each a layer whose output nothing else takes, the last layer one
     * of them, their targets' columns summing to Y's */
    unsigned char is_out[FNN_MAX_LAYERS] = {0};
    if (net->n_outputs >= 2) {
        const int last = net->n_layers - 1;
        size_t cols = 0;
        *bad_layer = -1;
        if (net->n_outputs > FNN_MAX_OUTPUTS) return FNN_NET_BAD_OUTPUT;
        for (int k = 0; k < net->n_outputs; k++) {
            const fnn_output *o = &net->outputs[k];
            const int l = o->layer;
            if (l < 0 || l > last || is_out[l]++ || o->y_cols == 0 ||
                    o->loss < 0 || o->loss >= FNN_LOSS_COUNT)
                return FNN_NET_BAD_OUTPUT;
            *bad_layer = l;
            const fnn_layer *L = &net->layers[l];
            if (L->dropout > 0 || L->noise || L->bn || L->skip || taken[l] || branched[l] ||
                    (l < last && !net->layers[l + 1].src))
                return FNN_NET_BAD_OUTPUT;
            *bad_layer = -1;
            cols = fnn_add(cols, o->y_cols);
        }
        if (!is_out[last] || cols != net->y_cols) return FNN_NET_BAD_OUTPUT;
    } else if (net->n_outputs < 0) {
        return FNN_NET_BAD_OUTPUT;
    }
    /* a branch's previous layer hands its output to a connection or is an output */
    for (int l = 1; l < net->n_layers; l++)
        if (net->layers[l].src && !taken[l - 1] && !branched[l - 1] && !is_out[l - 1]) {
            *bad_layer = l;
            return FNN_NET_BAD_SRC;
        }
    *bad_layer = -1;
    return FNN_NET_OK;
}

size_t fnn_net_workspace_size(const fnn_net *net, size_t batch)
{
    size_t n = 0;
    n = fnn_add(n, fnn_pad16s(fnn_mul(batch, fnn_in_cols(net))));     /* gathered X */
    n = fnn_add(n, fnn_pad16s(fnn_mul(batch, net->y_cols)));         /* gathered Y */
    n = fnn_add(n, fnn_pad16s(fnn_mul(batch, fnn_sw_cols(net))));  /* gathered sample weights */
    if (net->in_mean) n = fnn_add(n, fnn_pad16s(fnn_in_cols(net)));  /* the input Normalization's scale */
    for (int l = 0; l < net->n_layers; l++) {
        const fnn_layer *L = &net->layers[l];
        const size_t bo = fnn_pad16s(fnn_mul(batch, L->out));
        n = fnn_add(n, fnn_mul(3, bo));                              /* Z, A, dZ */
        if (L->dropout > 0 || L->noise) n = fnn_add(n, fnn_mul(2, bo));   /* mask, dropped-out A */
        if (!L->ident)
            n = fnn_add(n, fnn_add(fnn_pad16s(fnn_mul(L->in, L->out)), fnn_pad16s(L->out)));  /* dW, db */
        if (L->bn)                                                   /* N, xhat; inv, dgamma, dbeta */
            n = fnn_add(n, fnn_add(fnn_mul(2, bo), fnn_mul(3, fnn_pad16s(L->out))));
        if (L->bn && L->ln)                                          /* LayerNormalization: mean, inv per row */
            n = fnn_add(n, fnn_pad16s(fnn_mul(2, batch)));
        /* (each connection's buffer: the gradient of the output it takes, or a branch's
         * own input gradient: fnn_map_ws uses at most one a connection) */
        if (L->skip) n = fnn_add(n, fnn_mul(2, bo));   /* the sum; its gradient for layer skip - 1 */
        if (L->skip_act) n = fnn_add(n, bo);           /* the sum activated */
        if (L->kcon) n = fnn_add(n, fnn_pad16s(L->out));   /* the constraint's norms */
        if (L->src >= 2)   /* the gradient of the earlier output (or concatenation) the
                            * branch takes */
            n = fnn_add(n, fnn_pad16s(fnn_mul(batch, L->src_joined ? net->layers[L->src - 2].in
                                                                   : net->layers[L->src - 2].out)));
        if (L->cat) {   /* the concatenated input, its gradient; the earlier layer's part */
            n = fnn_add(n, fnn_mul(2, fnn_pad16s(fnn_mul(batch, L->in))));
            if (L->cat >= 2)
                n = fnn_add(n, fnn_pad16s(fnn_mul(batch, net->layers[L->cat - 2].out)));
        }
    }
    size_t bf16 = 0;      /* the mixed layers' packing space, in 4-byte elements */
    for (int l = 0; l < net->n_layers; l++) {
        const fnn_layer *L = &net->layers[l];
        const size_t need = L->bf16 ? fnn_dense_bf16_scratch(batch, L->in, L->out) : 0;
        if (need / 4 + 1 > bf16) bf16 = need == SIZE_MAX ? SIZE_MAX : need / 4 + 1;
    }
    n = fnn_add(n, bf16);
    /* in bytes it must fit too (the caller allocates n elements of up to 8 bytes) */
    return fnn_mul(n, 8) == SIZE_MAX ? 0 : n;
}

/* A uniformly random order of n rows from one 64-bit seed: Fisher-Yates driven by a
 * splitmix64 stream. Draws are exactly uniform: Lemire's multiply-shift with rejection
 * below 2^32, else modulo with rejection. */
static uint64_t fnn_bounded(uint64_t *state, uint64_t bound)
{
    if (bound <= 0xFFFFFFFFULL) {
        uint64_t m = (fnn_mix64((*state)++) >> 32) * bound;
        if ((uint32_t)m < bound) {
            const uint32_t floor = (uint32_t)(0x100000000ULL % bound);
            while ((uint32_t)m < floor) m = (fnn_mix64((*state)++) >> 32) * bound;
        }
        return m >> 32;
    } else {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        uint64_t r;
        do r = fnn_mix64((*state)++); while (r >= limit);
        return r % bound;
    }
}

void fnn_permutation(uint64_t seed, size_t n, int64_t *out)
{
    uint64_t state = fnn_mix64(seed ^ 0x632BE59BD9B4E019ULL);
    for (size_t i = 0; i < n; i++) out[i] = (int64_t)i;
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)fnn_bounded(&state, (uint64_t)i);   /* uniform in [0, i) */
        const int64_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}

#define FNN_ADAPT_PROBE 2
#define FNN_ADAPT_STOP 1.5
#define FNN_ADAPT_GAIN 0.9
#define FNN_ADAPT_SLOW 2.0
#define FNN_ADAPT_SLOW_RUN 3
#define FNN_ADAPT_BACKOFF0 16
#define FNN_ADAPT_BACKOFF_MAX 1024

static void adapt_search(fnn_adapt *a)
{
    a->searching = 1;
    a->team = a->max_team;
    a->probing = FNN_ADAPT_PROBE;
    a->probe_best = 0;
    a->best_team = 0;
    a->best_search = 0;
    a->searches++;
    a->n_tried = 0;
}

int fnn_adapt_team(fnn_adapt *a, int nt_all)
{
    if (nt_all < 1) nt_all = 1;
    if (a->max_team != nt_all) {     /* first step, or the thread count changed */
        a->max_team = nt_all;
        a->backoff = FNN_ADAPT_BACKOFF0;
        a->left = 0;
        adapt_search(a);
    }
    return a->team;
}

/* The search has tried a->team (its best pace: probe_best). */
static void adapt_next_size(fnn_adapt *a)
{
    if (a->n_tried < FNN_ADAPT_MAX_TRIED) {
        a->tried_team[a->n_tried] = a->team;
        a->tried_pace[a->n_tried++] = a->probe_best;
    }
    const int stop = a->best_team && a->probe_best > FNN_ADAPT_STOP * a->best_search;
    if (!a->best_team || a->probe_best < FNN_ADAPT_GAIN * a->best_search) {
        a->best_team = a->team;
        a->best_search = a->probe_best;
    }
    if (!stop && a->team > 1) {
        a->team /= 2;
        a->probing = FNN_ADAPT_PROBE;
        a->probe_best = 0;
        return;
    }
    /* The same answer as last time: search less often; a new one: watch it sooner. */
    if (a->best_team == a->chosen_before)
        a->backoff = 2 * a->backoff < FNN_ADAPT_BACKOFF_MAX ? 2 * a->backoff
                                                           : FNN_ADAPT_BACKOFF_MAX;
    else
        a->backoff = FNN_ADAPT_BACKOFF0;
    a->searching = 0;
    a->team = a->best_team;
    a->best = a->best_search;
    a->slow = 0;
    a->left = a->team < a->max_team ? a->backoff : 0;
}

void fnn_adapt_step(fnn_adapt *a, double t)
{
    if (a->max_team == 0) return;   /* fnn_adapt_team was not asked */
    if (a->searching) {
        if (a->probe_best == 0 || t < a->probe_best) a->probe_best = t;
        /* A smaller size already this much slower: no need for its second step. */
        if (--a->probing <= 0
            || (a->best_team && t > FNN_ADAPT_STOP * a->best_search))
            adapt_next_size(a);
        return;
    }
    if (a->best == 0 || t < a->best) a->best = t;
    a->slow = t > FNN_ADAPT_SLOW * a->best ? a->slow + 1 : 0;
    if (a->slow >= FNN_ADAPT_SLOW_RUN || (a->left > 0 && --a->left == 0)) {
        a->chosen_before = a->team;
        adapt_search(a);
    }
}

/* Row-parallel inference: rows per block a thread takes through every layer (its
 * activations, 192 x 512 floats = 384 KiB, stay in that core's L2 for the next layer). */
#define FNN_INFER_BLOCK 192

/* For each layer whose concatenation branches read too (last[c] >= 0): the last of those
 * branches, which the backward pass reaches first. */
static void fnn_last_joined(const fnn_net *net, int *last)
{
    for (int l = 0; l < net->n_layers; l++) last[l] = -1;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].src_joined) last[net->layers[l].src - 2] = l;
}

/* For each layer's output that connections take (first_l[s] >= 0): the connection the
 * backward pass reaches first, as (first_l, first_k): the largest layer index l, and in
 * one layer's step the smallest k, where a branch's product at layer l is (l, 0), the
 * split of a concatenation into layer l (l, 1) and the residual sum after layer l - 1
 * (l, 2), the order of the backward pass (fnn_backward_update): the reverse of the
 * forward's, in which the layer path's tape sums the gradients of a tensor. */
static void fnn_first_taker(const fnn_net *net, int *first_l, int *first_k)
{
    /* (a branch on a concatenation: fnn_last_joined) */
    for (int l = 0; l < net->n_layers; l++) first_l[l] = -1;
    for (int l = 0; l < net->n_layers; l++) {
        const fnn_layer *L = &net->layers[l];
        const int s[3] = {L->src_joined ? -1 : L->src - 2, L->cat - 2, L->skip - 1},
                  at[3] = {l, l, l + 1};
        for (int k = 0; k < 3; k++)
            if (s[k] >= 0 && (at[k] > first_l[s[k]] ||
                              (at[k] == first_l[s[k]] && k < first_k[s[k]]))) {
                first_l[s[k]] = at[k];
                first_k[s[k]] = k;
            }
    }
}

/* The net's outputs: its outputs[] (several), or in *one the output its loss and metric
 * fields describe (the last layer's, weight 1). *n = how many. */
static const fnn_output *fnn_net_outputs(const fnn_net *net, fnn_output *one, int *n)
{
    if (net->n_outputs >= 2) {
        *n = net->n_outputs;
        return net->outputs;
    }
    *one = (fnn_output){net->n_layers - 1, net->loss,
                        {net->loss_param, net->loss_extra[0], net->loss_extra[1],
                         net->loss_extra[2]},
                        net->loss_class_alpha, net->loss_on_logits, net->y_cols, 1.0,
                        net->metric, net->error_stats};
    *n = 1;
    return one;
}

/* Bit l set for each layer whose activation a loss takes folded (on its logits). */
static uint64_t fnn_fold_mask(const fnn_net *net)
{
    fnn_output one;
    int n;
    const fnn_output *o = fnn_net_outputs(net, &one, &n);
    uint64_t mask = 0;
    for (int k = 0; k < n; k++)
        if (o[k].on_logits) mask |= (uint64_t)1 << o[k].layer;
    return mask;
}

/* Bit l set for each layer whose output is one of several outputs, the last excepted
 * (a loss's gradient, not a later layer's, is that output's). */
static uint64_t fnn_head_mask(const fnn_net *net)
{
    uint64_t mask = 0;
    for (int k = 0; net->n_outputs >= 2 && k < net->n_outputs; k++)
        if (net->outputs[k].layer != net->n_layers - 1)
            mask |= (uint64_t)1 << net->outputs[k].layer;
    return mask;
}

/* The accuracy metrics' argmax over one row of k <= one vector's lanes (16 float, 8
 * double), where the packed GEMM runs its AVX-512 kernel (gemm.c's switch, so tests can
 * turn it off): the maximum of the row with NaNs as -inf and the lanes past k as -inf,
 * then the first lane equal to it. That is the index fnn_argmax's loop gives (the first
 * largest value, a NaN never larger) for any row whose first value is not NaN, which the
 * caller checks; a loop with a data-dependent branch per value mispredicted on about
 * every other row (the digit network's 32 x 10 batch, random scores: 262 -> 139 ns). */
int fnn_gemm_avx512(void);
#if FNN_X86_DISPATCH
#include <immintrin.h>

FNN_TARGET_AVX512 static size_t fnn_argmax_zmm_f32(const float *r, size_t k)
{
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 v = _mm512_mask_loadu_ps(ninf, (__mmask16)((1u << k) - 1u), r);
    v = _mm512_mask_mov_ps(ninf, _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);
    const __mmask16 top = _mm512_cmp_ps_mask(v, _mm512_set1_ps(_mm512_reduce_max_ps(v)),
                                             _CMP_EQ_OQ);
    return (size_t)__builtin_ctz((unsigned)top);
}

FNN_TARGET_AVX512 static size_t fnn_argmax_zmm_f64(const double *r, size_t k)
{
    const __m512d ninf = _mm512_set1_pd(-INFINITY);
    __m512d v = _mm512_mask_loadu_pd(ninf, (__mmask8)((1u << k) - 1u), r);
    v = _mm512_mask_mov_pd(ninf, _mm512_cmp_pd_mask(v, v, _CMP_ORD_Q), v);
    const __mmask8 top = _mm512_cmp_pd_mask(v, _mm512_set1_pd(_mm512_reduce_max_pd(v)),
                                            _CMP_EQ_OQ);
    return (size_t)__builtin_ctz((unsigned)top);
}
#endif

#define REAL float
#define SFX(name) name##_f32
#define FNN_TRAIN_F32 1     /* the float pass: mixed_bfloat16 layers exist only here */
#include "train_impl.inc"
#undef REAL
#undef SFX
#undef FNN_TRAIN_F32
#define FNN_TRAIN_F32 0

#define REAL double
#define SFX(name) name##_f64
#include "train_impl.inc"
#undef REAL
#undef SFX
