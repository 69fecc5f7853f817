/* The fused training engine: a whole Sequential stack of dense layers trained for many
 * steps in one call (forward, fused loss head, backward, optimizer update, running
 * statistics), plus inference and evaluation over whole arrays.
 *
 * Memory: every buffer lives in one workspace the caller allocates once with
 * fnn_net_workspace_size() elements for a given batch size; nothing is allocated inside a
 * step. Weights and optimizer slots are the caller's arrays, updated in place.
 *
 * Step s of fnn_train_steps_* trains on the rows perm[(first + s) * batch ...] (the last
 * batch of an epoch may be shorter). For each step it writes, into stats[s * FNN_STATS]:
 *   [0] sum_i w_i l_i + n_b * reg   (n_b times the batch loss Keras reports),
 *   [1] n_b, [2] correct predictions (accuracy metric), [3] sum of squared errors / k,
 *   [4] sum of absolute errors / k ([3] and [4] stay 0 unless net->error_stats).
 * Determinism: the batch is processed by kernels whose results do not depend on the
 * thread count; dropout masks come from a counter-based hash of (seed, step, row, column),
 * and so does the noise of GaussianNoise, GaussianDropout and AlphaDropout (noise.h).
 */
#ifndef FNN_TRAIN_H
#define FNN_TRAIN_H
#include "fnn_common.h"

/* Optimizer codes: fastnn/engine reads them from here (through _kernels.OPT_CODES).
 * Slots (fnn_layer.slotW etc.): SGD momentum; Adam m, v (and vhat with amsgrad);
 * RMSprop velocity, average_gradient, momentum; Adagrad accumulator; Adadelta
 * accumulated_grad, accumulated_delta_var; Lion momentum; Nadam momentum, velocity;
 * Adamax momentum, norm; Ftrl accumulator, linear. */
enum { FNN_OPT_SGD = 0, FNN_OPT_ADAM, FNN_OPT_RMSPROP, FNN_OPT_ADAGRAD, FNN_OPT_ADADELTA,
       FNN_OPT_LION, FNN_OPT_NADAM, FNN_OPT_ADAMAX, FNN_OPT_FTRL };
enum { FNN_METRIC_NONE = 0, FNN_METRIC_SPARSE_ACC, FNN_METRIC_CAT_ACC, FNN_METRIC_BIN_ACC };
#define FNN_STATS 5

typedef struct {
    size_t in, out;
    int act;                  /* activation code (activations.h) of the forward pass */
    double act_param[3];      /* the activation's parameters (FNN_ACT_NPARAM, activations.h) */
    double dropout;           /* rate of a Dropout after this layer; 0 = none */
    double kl1, kl2, bl1, bl2;/* kernel and bias regularizer factors */
    void *W, *b;              /* in x out and out (b may be NULL) */
    void *slotW[3], *slotb[3];/* optimizer state arrays, NULL where unused */
    int frozen;               /* not trained (trainable=False): no dW, db or update */
    /* A BatchNormalization after the activation (bn != 0): gamma / beta may be NULL
     * (scale / center off); frozen layers normalise with the moving statistics. */
    int bn;
    int bn_pre;               /* 1: between the layer's GEMM and its activation (Dense ->
                               * BatchNormalization -> Activation); 0: after the activation */
    double bn_momentum, bn_eps;
    double gl1, gl2, btl1, btl2;   /* gamma and beta regularizer factors */
    void *gamma, *beta, *mmean, *mvar;
    void *slotG[3], *slotBe[3];
    /* Optimizer options per trained variable (W, b, gamma, beta): the gradient
     * accumulators (fnn_opt.accum_steps > 0) and the moving averages (fnn_opt.use_ema),
     * NULL where unused; no_decay bit 0 (W), 1 (b), 2 (gamma), 3 (beta): the variable is
     * left out of the weight decay (Keras' exclude_from_weight_decay). */
    void *accW, *accb, *accG, *accBe;
    void *emaW, *emab, *emaG, *emaBe;
    unsigned no_decay;
    int bf16;                 /* mixed_bfloat16: the layer's products on bfloat16 operands
                               * (bf16.h, fnn_dense_*_bf16); float32 nets only */
    /* With bn != 0: ln = 1 makes the normalisation a LayerNormalization over the layer's
     * outputs (layernorm.h: per row, no moving statistics; mmean / mvar unused and may
     * be NULL; bn_momentum unused), ln_rms its rms_scaling. bn_pre, bn_eps, gamma, beta,
     * their regularizers and slots mean what they mean for a BatchNormalization. */
    int ln, ln_rms;
    /* A noise layer after this layer's output in training (noise.h: FNN_NOISE_*; 0 =
     * none; never with dropout, never after the last layer): its parameter (stddev or
     * rate) and its seed; step t's noise is keyed by fnn_noise_key(noise_seed, t). */
    int noise;
    double noise_param;
    uint64_t noise_seed;
    /* A residual connection (Keras' Add of two tensors): skip = s > 0 adds layer s - 1's
     * output (what it hands to layer s) to this layer's output (after its normalisation,
     * activation and dropout or noise), and the next layer takes the sum. s - 1 < this
     * layer, the same width; never on the last layer; a layer's output is added to at
     * most one other (fnn_net_check). 0 = none. */
    int skip;
    /* An activation after that sum (Keras' Add, then an Activation: the residual
     * block's relu after the addition), an element-wise one (activations.h: not softmax
     * or log_softmax; FNN_ACT_LINEAR = 0 = none), with its parameters: the layer hands
     * on skip_act(sum). Only with skip (FNN_NET_BAD_SKIP). */
    int skip_act;
    double skip_act_param[3];
    /* Keras' Concatenate (on the last axis) before this layer: cat = c > 0 makes its
     * input the concatenation, row by row, of what the previous layer hands on and an
     * earlier tensor: the net's input as layer 0 reads it (c = 1: after the input
     * Normalization) or what layer c - 2 hands on (c >= 2, c - 2 < this layer - 1).
     * cat_first = 1 puts the earlier tensor first. `in` is then the two widths summed.
     * Never on layer 0; an output that a residual connection or another concatenation
     * takes is refused (fnn_net_check: FNN_NET_BAD_CAT). 0 = none. */
    int cat, cat_first;
    /* A branch (a layer that takes an earlier tensor, as in Keras' parallel branches of
     * one tensor): src = r > 0 makes this layer's input the net's input as layer 0 reads
     * it (r = 1: after the input Normalization) or what layer r - 2 hands on (r >= 2,
     * r - 2 < this layer - 1) instead of what the previous layer hands on (other
     * branches, and one residual connection or concatenation, may take that output too),
     * and the previous layer's output must be taken by a connection or be one of the
     * net's outputs (it would reach nothing else). The backward pass hands this layer's
     * input gradient to the earlier tensor: the gradients of a tensor's connections are
     * summed in the order the backward pass reaches them (the latest layer's first; in
     * one layer a branch's before a concatenation's before a residual sum's), then the
     * gradient from its next layer is added: the order in which the layer path's tape
     * sums them. Never with cat, never on layer 0. 0 = none (FNN_NET_BAD_SRC). */
    int src;
    /* With src = r >= 2: 1 makes the branch take layer r - 2's input, a concatenation
     * (that layer has cat; Keras' layers on one Concatenate's output), instead of its
     * output: the branch's input gradient is then added to that concatenation's (the
     * branches' in the order the backward pass reaches them, then layer r - 2's own). */
    int src_joined;
    /* Keras' kernel constraint (constraints.h: FNN_CON_*, 0 = none) with its parameters,
     * applied to W after each update of it (out >= 2); never with gradient accumulation
     * or moving averages (the caller keeps those off the engine). */
    int kcon;
    double kcon_param[3];
    /* Several inputs (fnn_net.n_parts > 1): the part of the net's input this layer reads
     * where it reads the input (layer 0; a branch with src = 1), and the part a
     * concatenation of the input joins (cat = 1). 0 otherwise, and with one input. */
    int part, cat_part;
    /* 1: no Dense layer but the identity (Keras' BatchNormalization or
     * LayerNormalization on the net's input, its normalisation stage bn on the input as
     * it is): its output before the stage is its input, with no W, b, GEMM, gradient or
     * update of them; gamma and beta train unless frozen. Layer 0 only, in == out, W and
     * b NULL, a normalisation stage (with bn_pre, an element-wise activation after it:
     * Keras' Activation after the normalisation; else a linear one), no kernel
     * constraint, no connection, not bf16 (FNN_NET_BAD_CHAIN). The dropout streams of
     * the layers after it are numbered as if it were not there (a Dropout after it:
     * the input's, FNN_INPUT_DROPOUT), as the layer path numbers them. 0: a Dense
     * layer. */
    int ident;
} fnn_layer;

#define FNN_MAX_PARTS 16       /* inputs of one net (fnn_net.n_parts) */
#define FNN_INPUT_DROPOUT 64   /* the input's dropout stream (fnn_net.in_dropout): a
                                * number past every layer's (< FNN_MAX_LAYERS) */

enum { FNN_CLIP_NONE = 0, FNN_CLIP_VALUE, FNN_CLIP_NORM, FNN_CLIP_GLOBAL_NORM };
#define FNN_TRAIN_REFUSED (-2)

typedef struct {
    int kind;                 /* FNN_OPT_* */
    double beta1, beta2, eps, momentum, rho, weight_decay;
    int nesterov, centered;
    int amsgrad;              /* Adam: AMSGrad (slot 2 holds vhat) */
    int clip_kind;            /* FNN_CLIP_*: Keras' clipvalue, clipnorm, global_clipnorm */
    double clip;              /* its threshold */
    /* Keras' gradient_accumulation_steps (0: none): call c (0-based, counting every
     * training step) adds its gradients to the accumulators, and when (c + 1) % accum_steps
     * == 0 updates with (g + acc) / accum_steps (clipped then) and zeroes them. The
     * optimizer's step number t of an update (Adam's bias correction) is then
     * c / accum_steps + 1, the updates so far plus one. */
    int accum_steps;
    /* Keras' use_ema: after every call, avg = m avg + (1 - m) w for every trained variable
     * (m = 0 while no update was made before this call, ema_momentum after), and when
     * ema_every > 0 and (k + 1) % ema_every == 0 (k = the updates before this call) the
     * variables take their averages. */
    int use_ema;
    double ema_momentum;
    int64_t ema_every;
    double lr_power, l1, l2, shrinkage, ftrl_beta;   /* Ftrl's (fnn_ftrl) */
    /* Nadam: the caller's 2 doubles, (t, prod_{k<=t} u_k) of the last step the engine
     * computed (a cache: the product is advanced a factor at a time, from 1 at t = 0
     * after a restart, as fastnn's Nadam does); NULL: none (the product is recomputed). */
    double *nadam_cache;
} fnn_opt;

/* Team size of the engine's steps. Every kernel of a step uses the same team (see
 * fnn_threads_for), but the best size for a whole step is the model's and the machine's:
 * on 16 cores the 784-128-10 MLP at batch 32 took 305 us a step on 1 thread, 114 on 4
 * and 236 on 16 (kernels with fewer pieces than threads, wider fork/joins), while W3
 * wanted all 16. And on busy cores a parallel step waits for its slowest thread
 * (measured: W3 with a CPU-bound neighbour, 3.3 s on 2 threads against 1.65 s on 1).
 * So the engine times its steps (seconds per row) and searches: FNN_ADAPT_PROBE steps at
 * the whole team, then at half of it, and so on down to 1, stopping at the first size
 * more than FNN_ADAPT_STOP x slower than the best so far (after one step of it); a
 * smaller size must beat a larger one by FNN_ADAPT_GAIN to be chosen. The chosen size
 * then runs; after FNN_ADAPT_SLOW_RUN consecutive steps slower than FNN_ADAPT_SLOW x its
 * best pace (busy cores) it searches again, and while it runs with fewer than all the
 * threads it searches again every `backoff` steps (doubled each time the answer stays
 * the same), so that freed cores are taken back. Results do not depend on the team size,
 * so this changes only speed. Steps whose kernels all stay serial are not timed. */
#define FNN_ADAPT_MAX_TRIED 32   /* halving from any int team size takes <= 32 sizes */
typedef struct {
    int enabled;
    int max_team;             /* the team size it searched from (0: no search yet) */
    int team;                 /* threads the steps use now */
    int searching;            /* 1: trying sizes; team is the one being tried */
    int probing;              /* steps left at the size being tried */
    int best_team;            /* the search's fastest size so far */
    int chosen_before;        /* the size the last search chose (0: none) */
    int slow;                 /* consecutive slow steps at the chosen size */
    long left;                /* steps before the next search (0: none due) */
    long backoff;             /* steps between searches while below the whole team */
    long searches;            /* searches started (reported) */
    double best, best_search, probe_best;   /* seconds per row; 0 = none yet */
    /* The last search's sizes in the order tried, with their best pace (seconds per
     * row): diagnostics for a choice that surprises (bench/thread_scaling.py prints it). */
    int n_tried;
    int tried_team[FNN_ADAPT_MAX_TRIED];
    double tried_pace[FNN_ADAPT_MAX_TRIED];
} fnn_adapt;

/* The team size for the next step (>= 1, <= nt_all), starting a search when none was
 * made for this nt_all; then fnn_adapt_step with that step's pace (`t` seconds per row).
 * Tests drive the pair directly. */
int fnn_adapt_team(fnn_adapt *a, int nt_all);
void fnn_adapt_step(fnn_adapt *a, double t);

/* One of a net's several outputs (Keras' models of several outputs, each with a loss of
 * its own; fnn_net.n_outputs >= 2): the output of layer `layer` (what it hands on),
 * with its loss (losses.h code, its fnn_loss_params parameters and class alpha), the
 * loss on the layer's logits (on_logits: its activation folded into the loss), its
 * y_cols columns of the net's Y (after the previous outputs' columns), its weight in
 * the total loss (Keras' loss_weights) and its metric sums (metric, error_stats, as the
 * net's for one output). Its layer has no Dropout, noise, normalisation or residual
 * connection after it, and no connection or later layer takes its output
 * (FNN_NET_BAD_OUTPUT); the last layer is one of the outputs. */
#define FNN_MAX_OUTPUTS 16
typedef struct {
    int layer;
    int loss;
    double loss_params[4];    /* fnn_loss_params' params (FNN_LOSS_NPARAMS) */
    const double *class_alpha;
    int on_logits;
    size_t y_cols;
    double weight;
    int metric;
    int error_stats;
} fnn_output;

typedef struct {
    int n_layers;
    fnn_layer *layers;
    int loss;                 /* losses.h code, applied to the last layer's output */
    double loss_param;
    int loss_on_logits;       /* 1: the last layer's activation is folded into the loss */
    size_t y_cols;            /* columns of Y (1 for sparse labels) */
    int metric;               /* FNN_METRIC_* */
    int error_stats;          /* 1: sum squared/absolute errors (stats [3], [4]); 0: skip */
    fnn_opt opt;
    uint64_t seed;            /* dropout stream */
    fnn_adapt *adapt;         /* team-size policy state (NULL: always the whole team) */
    double *phase_s;          /* NULL, or seconds fnn_train_steps adds up per phase */
    /* A Normalization before the first layer (in_mean != NULL, the layer's own arrays,
     * read at every call): x -> (x - mean) / s, or mean + x * s with in_invert, where
     * s = max(sqrt(var), 1e-7); per feature (in_stride 1) or one pair (in_stride 0).
     * With several inputs (n_parts > 1) it covers every feature of the net's input
     * (fnn_in_cols), the parts side by side, each part's own normalisation in its
     * columns (the identity, x - 0 and x / 1, where a part has none).
     * A Rescaling instead (in_rescale 1 or 2; 0: a Normalization): x -> x * s, or
     * x * s + mean rounded twice (in_rescale 2: an offset), where s = var itself (Keras'
     * scale; in_invert unused). */
    void *in_mean, *in_var;
    size_t in_stride;
    int in_invert;
    int in_rescale;
    /* A Dropout on the net's input (Keras' Dropout before the first Dense layer), after
     * its Normalization or Rescaling: in training, the rate of that dropout; its mask
     * for step t comes from fnn_dropout_key(seed, t, FNN_INPUT_DROPOUT), applied to the
     * gathered rows in place: layer 0 and the layers that take the input read the
     * dropped-out rows in the forward and backward passes. 0 = none; never with
     * several inputs (FNN_NET_BAD_PART). */
    double in_dropout;
    /* A noise layer on the net's input instead (GaussianNoise, GaussianDropout or
     * AlphaDropout before the first Dense layer: noise.h's FNN_NOISE_*, 0 = none), its
     * parameter and seed: in training, step t's noise of fnn_noise_key(in_noise_seed, t)
     * on the gathered rows in place, as for in_dropout; never with in_dropout or several
     * inputs (FNN_NET_BAD_PART). */
    int in_noise;
    double in_noise_param;
    uint64_t in_noise_seed;
    /* The loss's further parameters: params[1..3] of fnn_loss_params (losses.h), after
     * loss_param as params[0] (focal gamma, label smoothing, class balancing). */
    double loss_extra[3];
    const double *loss_class_alpha;   /* fnn_loss_params' class_alpha (NULL: none) */
    /* Several inputs (Keras' functional models with more than one Input): n_parts > 1
     * makes each row of the net's input the rows of n_parts inputs side by side, part p
     * part_cols[p] wide (fnn_in_cols: their sum); the layers that read the input say
     * which part (fnn_layer.part, .cat_part); the input Normalization, if any, is applied
     * to each part's rows in its columns. 0 or
     * 1: one input, layer 0's width (part_cols unused). */
    int n_parts;
    size_t part_cols[FNN_MAX_PARTS];
    /* Several outputs (n_outputs >= 2; 0 or 1: one, the last layer's, with the loss and
     * metric fields above): outputs[0:n_outputs] in the model's order, their y_cols
     * summing to y_cols; the fields above for the one output are then unused. A step's
     * (and an evaluation's) statistics are then FNN_STATS * (1 + n_outputs) doubles
     * (fnn_stats_width): block 0 the total ([0]: n_b times the batch loss Keras
     * reports, the outputs' weighted losses and the regularization; [1]: n_b), block
     * 1 + k output k's sums, as one output's are ([0]: its loss, unweighted, without
     * the regularization). Inference (fnn_forward) and a y_pred (fnn_train_steps_out,
     * fnn_evaluate_out) hold the outputs side by side, each row the outputs' rows in
     * order (fnn_out_cols wide). Sample weights (SW, when given) are then a weight per
     * row and output, each row the outputs' weights in order (fnn_sw_cols wide): output
     * k's loss is weighted by its own (Keras' sample_weight given per output; one
     * array for all outputs is repeated by the caller). Never with fnn_custom_forward /
     * _backward (the caller's contract). */
    int n_outputs;
    fnn_output outputs[FNN_MAX_OUTPUTS];
} fnn_net;

/* The doubles of one step's statistics: FNN_STATS, or FNN_STATS per output plus the
 * total's block with several outputs. */
static inline size_t fnn_stats_width(const fnn_net *net)
{
    return net->n_outputs >= 2 ? (size_t)FNN_STATS * (size_t)(1 + net->n_outputs) : FNN_STATS;
}

/* The number of layer l's dropout stream (fnn_dropout_key): l, counted without an
 * identity layer 0 (fnn_layer.ident), whose own Dropout is the input's. */
static inline uint64_t fnn_dropout_stream(const fnn_net *net, int l)
{
    if (!net->layers[0].ident) return (uint64_t)l;
    return l == 0 ? (uint64_t)FNN_INPUT_DROPOUT : (uint64_t)(l - 1);
}

/* The sample weights of a row (SW): one, or one per output with several outputs. */
static inline size_t fnn_sw_cols(const fnn_net *net)
{
    return net->n_outputs >= 2 ? (size_t)net->n_outputs : 1;
}

/* The width of the net's output rows (fnn_forward's out): the last layer's, or the
 * outputs' summed. */
static inline size_t fnn_out_cols(const fnn_net *net)
{
    if (net->n_outputs < 2) return net->layers[net->n_layers - 1].out;
    size_t n = 0;
    for (int k = 0; k < net->n_outputs; k++) n += net->layers[net->outputs[k].layer].out;
    return n;
}

/* The width of the net's input rows: layer 0's, or the parts' summed. */
static inline size_t fnn_in_cols(const fnn_net *net)
{
    if (net->n_parts <= 1) return net->layers[0].in;
    size_t n = 0;
    for (int p = 0; p < net->n_parts; p++) n += net->part_cols[p];
    return n;
}

/* The first column of input part p in a row of the net's input (0 with one input). */
static inline size_t fnn_part_off(const fnn_net *net, int p)
{
    size_t off = 0;
    for (int q = 0; q < p && q < net->n_parts; q++) off += net->part_cols[q];
    return off;
}

/* Phases of a training step timed into net->phase_s (diagnostics: bench/step_profile.py):
 * the step count, the batch gather, the loss head (loss, metrics, the last activation's
 * backward), then for layer l at FNN_PHASE_LAYER0 + FNN_PHASE_PER_LAYER * l: its
 * forward, its backward GEMMs (dW, db, dX), its update (regularizer and optimizer) and
 * the activation backward into the layer before it. */
enum { FNN_PHASE_STEPS = 0, FNN_PHASE_GATHER = 1, FNN_PHASE_LOSS = 2, FNN_PHASE_LAYER0 = 3,
       FNN_PHASE_PER_LAYER = 4 };
#define FNN_PHASE_OF(l) (FNN_PHASE_LAYER0 + FNN_PHASE_PER_LAYER * (l))   /* layer l's forward */
#define FNN_PHASES(n_layers) FNN_PHASE_OF(n_layers)                    /* the array's size */

/* Validates a description once, when it is made: 1..64 layers, every size positive,
 * each layer's input width equal to the previous layer's output width (plus the earlier
 * tensor's where it concatenates one: cat, FNN_NET_BAD_CAT when that tensor is not an
 * earlier one or its output feeds another connection too; the earlier tensor's where a
 * branch takes one: src, FNN_NET_BAD_SRC when it is not an earlier one, the layer also
 * concatenates, or the previous layer's output is then taken by nothing; with src_joined,
 * when the earlier layer reads no concatenation), each residual
 * connection (skip) from an earlier layer of the same width, not
 * on the last layer, and no layer's output taken by two residual connections or
 * concatenations (FNN_NET_BAD_SKIP, FNN_NET_BAD_CAT; branches may take it too), input
 * parts (n_parts 0 to FNN_MAX_PARTS, each wide, each layer's part and cat_part one of
 * them and 0 where the layer reads no part, no input Normalization with several:
 * FNN_NET_BAD_PART; a layer reading a part is as wide as it: FNN_NET_BAD_CHAIN), a known
 * kernel constraint on 2 units or more (FNN_NET_BAD_CON), W (and a
 * BatchNormalization's moving statistics) present, and every element count the engine
 * forms from one layer representable in bytes. Returns FNN_NET_OK or the first problem
 * (its layer in *bad_layer, -1 for the whole net). The arrays themselves (their sizes:
 * W in x out, b / gamma / beta / mmean / mvar / slots out or in x out, the input
 * Normalization's in or 1) are the caller's to check. */
enum { FNN_NET_OK = 0, FNN_NET_BAD_COUNT, FNN_NET_BAD_SIZE, FNN_NET_BAD_CHAIN,
       FNN_NET_OVERFLOW, FNN_NET_MISSING, FNN_NET_BAD_SKIP, FNN_NET_BAD_CAT,
       FNN_NET_BAD_SRC, FNN_NET_BAD_PART, FNN_NET_BAD_CON, FNN_NET_BAD_OUTPUT };
int fnn_net_check(const fnn_net *net, int *bad_layer);

/* Elements of the workspace for `batch` rows, or 0 when that many bytes would not fit
 * in a size_t (the caller refuses the batch). */
size_t fnn_net_workspace_size(const fnn_net *net, size_t batch);

/* out[0:n] = a uniformly random order of 0..n-1, a function of seed alone (fit draws one
 * seed per epoch from fastnn's generator). */
void fnn_permutation(uint64_t seed, size_t n, int64_t *out);

/* Training: X holds n_rows rows of the net's input (fnn_in_cols wide), Y their targets
 * (y_cols wide), SW their sample weights (fnn_sw_cols per row; NULL: none).
 * Returns 0, or -1 if a step met a non-finite loss (the step's update is still done,
 * as in Keras; the caller stops), or FNN_TRAIN_REFUSED when an Ftrl update step had a
 * rate <= 0 or would make a weight or slot non-finite: that step's forward ran (the
 * BatchNormalization statistics moved) but it changed no weight, slot or accumulator,
 * and is not counted in *done (the caller raises, as the layer path's optimizer does).
 * lr holds the learning rate of each of the n_steps. iteration0 is the number of steps
 * (the optimizer's apply() calls) before the first: step s is call iteration0 + s
 * (fnn_opt.accum_steps); dropout masks are keyed by iteration0 + s + 1.
 * Every index perm[first * batch ...] the steps read must be < n_rows (the caller's
 * check). *done = the steps completed: n_steps (fewer when the data ran out), or fewer
 * when a SIGINT came after the baseline sig0 (interrupt.h): a step is never left half
 * done, so the weights and slots hold exactly *done more updates. */
int fnn_train_steps_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                        const float *Y, const float *SW, size_t n_rows, const int64_t *perm,
                        size_t first, size_t n_steps, int64_t iteration0, const double *lr,
                        double *stats, long sig0, size_t *done);
int fnn_train_steps_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                        const double *Y, const double *SW, size_t n_rows, const int64_t *perm,
                        size_t first, size_t n_steps, int64_t iteration0, const double *lr,
                        double *stats, long sig0, size_t *done);

/* fnn_train_steps, also writing each step's model outputs for metrics the caller
 * computes: step s's nb rows (in the order of perm) into y_pred + s * batch * k (k =
 * fnn_out_cols: the last layer's outputs, or several outputs' side by side), each
 * output's activation applied, bit for bit what the layer path's
 * Dense layer outputs (a loss folded onto the logits gets them activated by
 * fnn_act_forward, the kernel of that layer's epilogue). y_pred holds at least
 * (steps run - 1) * batch + the last step's rows, times k; NULL: as fnn_train_steps.
 * The outputs are the caller's buffer, so calls on one net may run at once. */
int fnn_train_steps_out_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                            const float *Y, const float *SW, size_t n_rows,
                            const int64_t *perm, size_t first, size_t n_steps,
                            int64_t iteration0, const double *lr, double *stats, long sig0,
                            size_t *done, float *y_pred);
int fnn_train_steps_out_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                            const double *Y, const double *SW, size_t n_rows,
                            const int64_t *perm, size_t first, size_t n_steps,
                            int64_t iteration0, const double *lr, double *stats, long sig0,
                            size_t *done, double *y_pred);

/* One training step in two parts, for a loss the caller computes (a loss function
 * written in Python, differentiated on its tape): fnn_custom_forward gathers the rows
 * perm[first * batch ...] (every index < n_rows: the caller's check) into ws, runs the
 * forward in training mode (dropout masks keyed by the step t, as fnn_train_steps) and
 * copies the outputs, last activation applied, to out (*nb_out rows x last out; 0 rows
 * when first * batch >= n_rows), and, where logits is not NULL, the last activation's
 * input to logits (the same shape). fnn_custom_backward then takes dout, the gradient of
 * the loss (the batch mean the caller computed) with respect to those outputs (or, when
 * at_logits, with respect to the last activation's input: the last activation's
 * backward is skipped), goes back through the network as fnn_train_steps does
 * (regularizers' gradients added, clipping) and updates every trained variable with the
 * step t's rate lr. ws must not be used by anything else between the two calls. t is the
 * call's number (iteration0 + 1 of fnn_train_steps). fnn_custom_forward returns 0;
 * fnn_custom_backward 0 or FNN_TRAIN_REFUSED (as fnn_train_steps: nothing updated). */
int fnn_custom_forward_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                           size_t n_rows, const int64_t *perm, size_t first, int64_t t,
                           float *out, float *logits, size_t *nb_out);
int fnn_custom_forward_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                           size_t n_rows, const int64_t *perm, size_t first, int64_t t,
                           double *out, double *logits, size_t *nb_out);
int fnn_custom_backward_f32(const fnn_net *net, float *ws, size_t batch, size_t nb,
                            const float *dout, int at_logits, int64_t t, double lr);
int fnn_custom_backward_f64(const fnn_net *net, double *ws, size_t batch, size_t nb,
                            const double *dout, int at_logits, int64_t t, double lr);

/* Inference: out (n_rows x last out) = the model's output, last activation applied.
 * Returns 0, or 1 when a SIGINT after sig0 stopped it early (out is then incomplete). */
int fnn_forward_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                    size_t n_rows, float *out, long sig0);
int fnn_forward_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                    size_t n_rows, double *out, long sig0);

/* Evaluation: stats (FNN_STATS doubles) summed over all batches of `batch` rows.
 * Returns 0, or 1 when a SIGINT after sig0 stopped it early (stats incomplete). */
int fnn_evaluate_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                     const float *Y, const float *SW, size_t n_rows, double *stats, long sig0);
int fnn_evaluate_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                     const double *Y, const double *SW, size_t n_rows, double *stats, long sig0);

/* fnn_evaluate that ADDS to stats (the caller zeroes them once, so that calls over
 * consecutive row ranges, each a multiple of batch rows but the last, sum exactly as one
 * call does) and writes the outputs, last activation applied as fnn_train_steps_out
 * does, to y_pred (n_rows x k; NULL: none). Returns 0, or 1 when a SIGINT after sig0
 * stopped it early (stats and y_pred incomplete). */
int fnn_evaluate_out_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                         const float *Y, const float *SW, size_t n_rows, double *stats,
                         long sig0, float *y_pred);
int fnn_evaluate_out_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                         const double *Y, const double *SW, size_t n_rows, double *stats,
                         long sig0, double *y_pred);
#endif
