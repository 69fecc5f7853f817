# Bindings of csrc/train.h: the fused training engine. fastnn/_fused.py validates and
# builds the plan; this class only holds the C description and the arrays it points to.
from libc.stdlib cimport malloc, free
from libc.string cimport memset
from libc.stdint cimport int64_t, uint64_t, uint8_t

import numpy as np

cdef extern from "train.h" nogil:
    int FNN_STATS
    ctypedef struct fnn_layer:
        size_t in_ "in"
        size_t out
        int act
        double act_param[3]
        double dropout
        double kl1, kl2, bl1, bl2
        void *W
        void *b
        void *slotW[3]
        void *slotb[3]
        int frozen
        int bn
        int bn_pre
        double bn_momentum, bn_eps
        double gl1, gl2, btl1, btl2
        void *gamma
        void *beta
        void *mmean
        void *mvar
        void *slotG[3]
        void *slotBe[3]
        void *accW
        void *accb
        void *accG
        void *accBe
        void *emaW
        void *emab
        void *emaG
        void *emaBe
        unsigned no_decay
        int bf16
        int ln, ln_rms
        int noise
        double noise_param
        uint64_t noise_seed
        int skip
        int skip_act
        double skip_act_param[3]
        int cat, cat_first
        int src
        int src_joined
        int kcon
        double kcon_param[3]
        int part, cat_part
        int ident
    enum:
        FNN_OPT_SGD
        FNN_OPT_ADAM
        FNN_OPT_RMSPROP
        FNN_OPT_ADAGRAD
        FNN_OPT_ADADELTA
        FNN_OPT_LION
        FNN_OPT_NADAM
        FNN_OPT_ADAMAX
        FNN_OPT_FTRL
    int FNN_TRAIN_REFUSED
    ctypedef struct fnn_opt:
        int kind
        double beta1, beta2, eps, momentum, rho, weight_decay
        int nesterov, centered
        int amsgrad
        int clip_kind
        double clip
        int accum_steps
        int use_ema
        double ema_momentum
        int64_t ema_every
        double lr_power, l1, l2, shrinkage, ftrl_beta
        double *nadam_cache
    enum: FNN_ADAPT_MAX_TRIED
    ctypedef struct fnn_adapt:
        int enabled
        int max_team
        int team
        int searching
        int probing
        int best_team
        int chosen_before
        int slow
        long left
        long backoff
        long searches
        double best, best_search, probe_best
        int n_tried
        int tried_team[FNN_ADAPT_MAX_TRIED]
        double tried_pace[FNN_ADAPT_MAX_TRIED]
    int fnn_adapt_team(fnn_adapt *a, int nt_all)
    void fnn_adapt_step(fnn_adapt *a, double t)
    ctypedef struct fnn_output:
        int layer
        int loss
        double loss_params[4]
        const double *class_alpha
        int on_logits
        size_t y_cols
        double weight
        int metric
        int error_stats
    ctypedef struct fnn_net:
        int n_layers
        fnn_layer *layers
        int loss
        double loss_param
        int loss_on_logits
        size_t y_cols
        int metric
        int error_stats
        fnn_opt opt
        uint64_t seed
        fnn_adapt *adapt
        double *phase_s
        void *in_mean
        void *in_var
        size_t in_stride
        int in_invert
        int in_rescale
        double in_dropout
        int in_noise
        double in_noise_param
        uint64_t in_noise_seed
        double loss_extra[3]
        const double *loss_class_alpha
        int n_parts
        size_t part_cols[16]           # (FNN_MAX_PARTS; written element by element)
        int n_outputs
        fnn_output outputs[16]         # (FNN_MAX_OUTPUTS)
    size_t fnn_stats_width(const fnn_net *net)
    size_t fnn_sw_cols(const fnn_net *net)
    int FNN_MAX_PARTS
    int FNN_MAX_OUTPUTS
    int FNN_INPUT_DROPOUT
    int FNN_PHASE_STEPS, FNN_PHASE_GATHER, FNN_PHASE_LOSS
    int FNN_PHASE_OF(int l)
    int FNN_PHASES(int n_layers)
    int FNN_NET_OK, FNN_NET_BAD_COUNT, FNN_NET_BAD_SIZE, FNN_NET_BAD_CHAIN, FNN_NET_OVERFLOW
    int FNN_NET_MISSING, FNN_NET_BAD_SKIP, FNN_NET_BAD_CAT, FNN_NET_BAD_SRC, FNN_NET_BAD_PART
    int FNN_NET_BAD_CON, FNN_NET_BAD_OUTPUT
    int fnn_net_check(const fnn_net *net, int *bad_layer)
    size_t fnn_net_workspace_size(const fnn_net *net, size_t batch)
    void fnn_permutation(uint64_t seed, size_t n, int64_t *out)
    int fnn_train_steps_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                            const float *Y, const float *SW, size_t n_rows, const int64_t *perm,
                            size_t first, size_t n_steps, int64_t iteration0, const double *lr,
                            double *stats, long sig0, size_t *done)
    int fnn_train_steps_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                            const double *Y, const double *SW, size_t n_rows, const int64_t *perm,
                            size_t first, size_t n_steps, int64_t iteration0, const double *lr,
                            double *stats, long sig0, size_t *done)
    int fnn_custom_forward_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                               size_t n_rows, const int64_t *perm, size_t first, int64_t t,
                               float *out, float *logits, size_t *nb_out)
    int fnn_custom_forward_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                               size_t n_rows, const int64_t *perm, size_t first, int64_t t,
                               double *out, double *logits, size_t *nb_out)
    int fnn_custom_backward_f32(const fnn_net *net, float *ws, size_t batch, size_t nb,
                                const float *dout, int at_logits, int64_t t, double lr)
    int fnn_custom_backward_f64(const fnn_net *net, double *ws, size_t batch, size_t nb,
                                const double *dout, int at_logits, int64_t t, double lr)
    int fnn_forward_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                        size_t n_rows, float *out, long sig0)
    int fnn_forward_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                        size_t n_rows, double *out, long sig0)
    int fnn_evaluate_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                         const float *Y, const float *SW, size_t n_rows, double *stats,
                         long sig0)
    int fnn_evaluate_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                         const double *Y, const double *SW, size_t n_rows, double *stats,
                         long sig0)
    int fnn_train_steps_out_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                                const float *Y, const float *SW, size_t n_rows,
                                const int64_t *perm, size_t first, size_t n_steps,
                                int64_t iteration0, const double *lr, double *stats,
                                long sig0, size_t *done, float *y_pred)
    int fnn_train_steps_out_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                                const double *Y, const double *SW, size_t n_rows,
                                const int64_t *perm, size_t first, size_t n_steps,
                                int64_t iteration0, const double *lr, double *stats,
                                long sig0, size_t *done, double *y_pred)
    int fnn_evaluate_out_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                             const float *Y, const float *SW, size_t n_rows, double *stats,
                             long sig0, float *y_pred)
    int fnn_evaluate_out_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                             const double *Y, const double *SW, size_t n_rows, double *stats,
                             long sig0, double *y_pred)

cdef extern from "interrupt.h" nogil:
    long FNN_NO_INTERRUPT
    long fnn_sigint_now()
    int fnn_sigint_hook_enter()
    void fnn_sigint_hook_exit()
    void fnn_sigint_simulate()

from cpython.buffer cimport PyBUF_ND

STATS_WIDTH = FNN_STATS
NO_INTERRUPT = FNN_NO_INTERRUPT


def sigint_hook_enter():
    """Install the engine's SIGINT hook (nested calls count; call with the GIL, paired
    with sigint_hook_exit). Returns the baseline an engine call takes as sig0, or
    NO_INTERRUPT where the hook cannot be installed (SIGINT ignored or left to its
    default, or no POSIX signals): such calls run to their end."""
    if fnn_sigint_hook_enter() != 0:
        return FNN_NO_INTERRUPT
    return fnn_sigint_now()


def sigint_hook_exit():
    """Remove the hook once the last of the nested enters exits (see sigint_hook_enter)."""
    fnn_sigint_hook_exit()


def sigint_now():
    """The SIGINT count now (a baseline sig0 without installing the hook)."""
    return fnn_sigint_now()


def sigint_simulate():
    """Test hook: engine calls with an earlier baseline stop as if Ctrl-C had come."""
    fnn_sigint_simulate()


cdef inline int _run_steps(const fnn_net *net, floating *ws, size_t batch, const floating *X,
                           const floating *Y, const floating *sw, size_t n_rows,
                           const int64_t *perm, size_t first, size_t n_steps, int64_t it0,
                           const double *lr, double *stats, long sig0,
                           size_t *done) noexcept nogil:
    if floating is float:
        return fnn_train_steps_f32(net, ws, batch, X, Y, sw, n_rows, perm, first, n_steps,
                                   it0, lr, stats, sig0, done)
    else:
        return fnn_train_steps_f64(net, ws, batch, X, Y, sw, n_rows, perm, first, n_steps,
                                   it0, lr, stats, sig0, done)


cdef inline int _run_evaluate(const fnn_net *net, floating *ws, size_t batch,
                              const floating *X, const floating *Y, const floating *sw,
                              size_t n_rows, double *stats, long sig0) noexcept nogil:
    if floating is float:
        return fnn_evaluate_f32(net, ws, batch, X, Y, sw, n_rows, stats, sig0)
    else:
        return fnn_evaluate_f64(net, ws, batch, X, Y, sw, n_rows, stats, sig0)


cdef inline int _run_steps_out(const fnn_net *net, floating *ws, size_t batch,
                               const floating *X, const floating *Y, const floating *sw,
                               size_t n_rows, const int64_t *perm, size_t first,
                               size_t n_steps, int64_t it0, const double *lr, double *stats,
                               long sig0, size_t *done, floating *y_pred) noexcept nogil:
    if floating is float:
        return fnn_train_steps_out_f32(net, ws, batch, X, Y, sw, n_rows, perm, first,
                                       n_steps, it0, lr, stats, sig0, done, y_pred)
    else:
        return fnn_train_steps_out_f64(net, ws, batch, X, Y, sw, n_rows, perm, first,
                                       n_steps, it0, lr, stats, sig0, done, y_pred)


cdef inline int _run_evaluate_out(const fnn_net *net, floating *ws, size_t batch,
                                  const floating *X, const floating *Y, const floating *sw,
                                  size_t n_rows, double *stats, long sig0,
                                  floating *y_pred) noexcept nogil:
    if floating is float:
        return fnn_evaluate_out_f32(net, ws, batch, X, Y, sw, n_rows, stats, sig0, y_pred)
    else:
        return fnn_evaluate_out_f64(net, ws, batch, X, Y, sw, n_rows, stats, sig0, y_pred)


cdef int _perm_in_range(const int64_t *perm, size_t count, size_t n_rows) noexcept nogil:
    """1 when every one of the count indices is in [0, n_rows)."""
    cdef size_t i
    for i in range(count):
        if perm[i] < 0 or <size_t>perm[i] >= n_rows:
            return 0
    return 1


class EngineArraysChanged(ValueError):
    """An array the engine was built on was replaced, resized or reshaped since."""


cdef class FusedNet:
    """The C description of a Dense stack (fnn_net) plus references keeping every array
    it points to alive. Built by fastnn._fused.FusedTrainer; not for direct use."""
    cdef fnn_net net
    cdef fnn_adapt adapt
    cdef double nadam_cache[2]   # Nadam's (t, product of u_k) cache (fnn_opt.nadam_cache)
    cdef object _keep
    cdef object _bound        # (array, name, shape, data address, writable) per array
    cdef object _phase
    cdef readonly object dtype
    cdef readonly size_t n_in, n_out, y_cols
    cdef readonly size_t stats_width     # doubles of one step's statistics (train.h)
    cdef readonly bint trains    # built with every slot its training steps need

    def __cinit__(self):
        self.net.layers = NULL
        self.net.n_layers = 0
        memset(&self.adapt, 0, sizeof(fnn_adapt))
        self.adapt.enabled = 1
        self.net.adapt = &self.adapt
        self.net.phase_s = NULL
        self._phase = None

    def adapt_state(self):
        """The team-size policy's state (csrc/train.h, fnn_adapt): the threads the steps
        use now out of the whole team, whether a search is under way, how many were made,
        the chosen size's best pace (us per row), and the last search's sizes in the order
        tried with their best pace (`tried`: (team, us per row) pairs)."""
        a = self.adapt
        return {"enabled": bool(a.enabled), "team": a.team, "max_team": a.max_team,
                "searching": bool(a.searching), "searches": a.searches,
                "backoff": a.backoff, "best_us_per_row": a.best * 1e6,
                "tried": [(a.tried_team[i], a.tried_pace[i] * 1e6) for i in range(a.n_tried)]}

    def set_phase_timing(self, bint on):
        """Time every phase of the training steps from now on (on), or stop (off); the
        sums start from zero. Diagnostics: bench/step_profile.py."""
        cdef double[::1] view
        if on:
            self._phase = np.zeros(FNN_PHASES(self.net.n_layers))
            view = self._phase
            self.net.phase_s = &view[0]
        else:
            self.net.phase_s = NULL
            self._phase = None

    def phase_times(self):
        """Microseconds per step of each phase timed since set_phase_timing(True): gather,
        loss head, and per layer forward, backward, update, act_backward (csrc/train.h);
        None when not timing, {} before the first step."""
        if self._phase is None:
            return None
        p = self._phase
        steps = p[FNN_PHASE_STEPS]
        if steps == 0:
            return {}
        out = {"gather": p[FNN_PHASE_GATHER], "loss": p[FNN_PHASE_LOSS]}
        for l in range(self.net.n_layers):
            base = FNN_PHASE_OF(l)
            for k, name in enumerate(("forward", "backward", "update", "act_backward")):
                if name != "act_backward" or l > 0:
                    out[f"{name} {l}"] = p[base + k]
        return {k: float(1e6 * v / steps) for k, v in out.items()}

    def set_adapt(self, bint enabled, int team=0, long steps=0):
        """Switch the policy on or off. A test hook: team > 0 and steps > 0 run that many
        steps on `team` threads now, as if a search had chosen it, then search."""
        memset(&self.adapt, 0, sizeof(fnn_adapt))
        self.adapt.enabled = enabled
        if team > 0 and steps > 0:
            self.adapt.max_team = fnn_get_num_threads()
            self.adapt.team = min(team, self.adapt.max_team)
            self.adapt.chosen_before = self.adapt.team
            self.adapt.left = self.adapt.backoff = steps

    def __init__(self, list layers, int loss, double loss_param, bint loss_on_logits,
                 size_t y_cols, int metric, dict opt, unsigned long long seed, dtype,
                 bint error_stats=True, dict norm=None, bint trains=True,
                 tuple loss_extra=None, loss_class_alpha=None, tuple parts=None,
                 double in_dropout=0.0, tuple in_noise=None, tuple outputs=None):
        cdef int i, j, bad = -1, rc
        cdef fnn_layer *L
        if not layers or len(layers) > 64:
            raise ValueError(f"FusedNet: expected 1..64 dense layers, got {len(layers)}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"FusedNet: dtype must be float32 or float64, got {dtype!r}")
        self._keep = []
        self._bound = []
        self.net.layers = <fnn_layer *> malloc(len(layers) * sizeof(fnn_layer))
        if self.net.layers == NULL:
            raise MemoryError()
        memset(self.net.layers, 0, len(layers) * sizeof(fnn_layer))
        self.net.n_layers = len(layers)
        self.net.y_cols = y_cols
        # several inputs: the width of each, their rows side by side in X (train.h)
        parts = parts or ()
        if len(parts) > FNN_MAX_PARTS or len(parts) == 1:
            raise ValueError(f"FusedNet: parts must list 2 to {FNN_MAX_PARTS} input widths, "
                             f"got {len(parts)}")
        self.net.n_parts = len(parts)
        for i, w in enumerate(parts):
            if w <= 0:
                raise ValueError(f"FusedNet: parts must be positive widths, got {parts}")
            self.net.part_cols[i] = w
        # a Dropout on the input: its rate (0: none)
        if not 0.0 <= in_dropout < 1.0 or (parts and in_dropout):
            raise ValueError(f"FusedNet: in_dropout must be a rate in [0, 1) on one input, "
                             f"got {in_dropout!r} with {len(parts)} input parts")
        self.net.in_dropout = in_dropout
        # a noise layer on the input: (noise code, parameter, seed), or None
        if in_noise is not None:
            code, param, noise_seed = in_noise
            if not 1 <= code <= FNN_NOISE_ALPHA_DROPOUT or parts or in_dropout \
                    or not (0 <= param <= 1 if code == FNN_NOISE_GAUSSIAN else 0 <= param < 1):
                raise ValueError(f"FusedNet: in_noise must be (a noise code, its stddev or "
                                 f"rate, a seed) on one input without in_dropout, got "
                                 f"{in_noise!r}")
            self.net.in_noise, self.net.in_noise_param = code, param
            self.net.in_noise_seed = <uint64_t>noise_seed
        # Sizes first: the C side checks the chain and the sizes once, before any array.
        for i, spec in enumerate(layers):
            L = &self.net.layers[i]
            L.in_ = spec["in"]
            L.out = spec["out"]
            # placeholders for the check (NULL where none is given); bound below
            L.W = <void *>1 if spec["W"] is not None else NULL
            L.b = <void *>1 if spec["b"] is not None else NULL
            # what the check reads of an identity layer (a normalisation on the input)
            L.ident = bool(spec.get("ident", False))
            L.act = spec["act"]
            L.bn_pre = bool(spec.get("bn") and spec["bn"].get("pre"))
            L.bf16 = bool(spec.get("bf16", False))
            L.bn = spec.get("bn") is not None
            L.dropout = spec.get("dropout", 0.0)     # (an output has none: the check)
            L.noise = spec.get("noise", 0)
            L.ln = bool(L.bn and spec["bn"].get("ln"))
            L.mmean = L.mvar = <void *>1
            # a residual connection: 1 + the layer whose output is added (0: none)
            L.skip = spec.get("skip", 0)
            # an activation after that sum: its code (0: none) and parameters
            L.skip_act = spec.get("skip_act", 0)
            _act_params(spec.get("skip_act_param", 0.0), L.skip_act_param)
            # a concatenation before it: 1 (the net's input) or 2 + the earlier layer
            # whose output it takes (0: none), and whether that tensor comes first
            L.cat = spec.get("cat", 0)
            L.cat_first = bool(spec.get("cat_first", False))
            # a branch: 1 (the net's input) or 2 + the earlier layer whose output it
            # takes instead of the previous layer's (0: none)
            L.src = spec.get("src", 0)
            # with src >= 2: 1 takes that layer's input, a concatenation, instead
            L.src_joined = int(bool(spec.get("src_joined", False)))
            # Keras' kernel constraint after each update (constraints.h; 0: none)
            L.kcon = spec.get("kcon", 0)
            _act_params(spec.get("kcon_param", 0.0), L.kcon_param)
            # with several inputs: the one the layer (or its concatenation) reads
            L.part = spec.get("part", 0)
            L.cat_part = spec.get("cat_part", 0)
        # several outputs (train.h: fnn_output), each a dict: layer, loss, params (4
        # floats), class_alpha (None or one float per unit), on_logits, y_cols, weight,
        # metric, error_stats
        outputs = outputs or ()
        if len(outputs) > FNN_MAX_OUTPUTS or len(outputs) == 1:
            raise ValueError(f"FusedNet: outputs must list 2 to {FNN_MAX_OUTPUTS} outputs, "
                             f"got {len(outputs)}")
        cdef const double[::1] out_alpha
        self.net.n_outputs = len(outputs)
        for i, o in enumerate(outputs):
            self.net.outputs[i].layer = o["layer"]
            self.net.outputs[i].loss = o["loss"]
            params = tuple(float(v) for v in o["params"])
            if len(params) != 4:
                raise ValueError(f"FusedNet: outputs[{i}]['params'] must hold 4 numbers, "
                                 f"got {len(params)}")
            for j in range(4):
                self.net.outputs[i].loss_params[j] = params[j]
            self.net.outputs[i].class_alpha = NULL
            if o.get("class_alpha") is not None:
                if not 0 <= o["layer"] < len(layers):
                    raise ValueError(f"FusedNet: outputs[{i}]['layer'] must be a layer, got "
                                     f"{o['layer']}")
                arr = np.ascontiguousarray(o["class_alpha"], dtype=np.float64).reshape(-1)
                if arr.shape[0] != layers[o["layer"]]["out"]:
                    raise ValueError(f"FusedNet: outputs[{i}]['class_alpha'] must hold one "
                                     f"number per output unit "
                                     f"({layers[o['layer']]['out']}), got {arr.shape[0]}")
                self._keep.append(arr)
                out_alpha = arr
                self.net.outputs[i].class_alpha = &out_alpha[0]
            self.net.outputs[i].on_logits = bool(o["on_logits"])
            self.net.outputs[i].y_cols = o["y_cols"]
            self.net.outputs[i].weight = o["weight"]
            self.net.outputs[i].metric = o["metric"]
            self.net.outputs[i].error_stats = bool(o["error_stats"])
        rc = fnn_net_check(&self.net, &bad)
        if rc != FNN_NET_OK:
            where = f"layer {bad}" if bad >= 0 else "the network"
            why = {FNN_NET_BAD_COUNT: "1 to 64 layers", FNN_NET_BAD_SIZE: "sizes > 0",
                   FNN_NET_BAD_CHAIN: "an input width equal to the previous output width "
                                      "(an identity layer: first, as wide as the input, "
                                      "without weights, with its normalisation)",
                   FNN_NET_MISSING: "its weights W (and a BatchNormalization's moving "
                                    "statistics)",
                   FNN_NET_OVERFLOW: "sizes whose products fit in memory",
                   FNN_NET_BAD_SKIP: "a residual connection (skip) from an earlier layer of its "
                                     "width, not into the last layer, each layer's output "
                                     "added once, and an element-wise activation after it "
                                     "(skip_act) only with one",
                   FNN_NET_BAD_CAT: "a concatenation (cat) of the previous output and the "
                                    "input or an earlier layer's output that no other "
                                    "residual connection or concatenation takes",
                   FNN_NET_BAD_SRC: "a branch (src) from the input or an earlier layer's "
                                    "output, without a concatenation, after a layer whose "
                                    "output a connection takes",
                   FNN_NET_BAD_PART: "an input part (part, cat_part) among the parts where it "
                                     "reads the input, 0 elsewhere",
                   FNN_NET_BAD_CON: "a known kernel constraint (kcon) on at least 2 "
                                    "units",
                   FNN_NET_BAD_OUTPUT: "outputs on distinct layers, the last one among them, "
                                       "each with a known loss, target columns summing to "
                                       "the label columns, and no Dropout, noise, "
                                       "normalisation or connection after it and no later "
                                       "layer reading it"}.get(rc, "its arrays")
            shapes = [(sp["in"], sp["out"]) for sp in layers]
            raise ValueError(f"FusedNet: {where} needs {why}; got layers (in, out) {shapes}, "
                             f"input parts {list(parts)} and {y_cols} label columns")
        kind = opt["kind"]
        for i, spec in enumerate(layers):
            L = &self.net.layers[i]
            n_in, n_out = spec["in"], spec["out"]
            # (act, bf16, bn, bn_pre and ln: set above, for the check)
            _act_params(spec["act_param"], L.act_param)
            L.dropout = spec["dropout"]
            L.kl1, L.kl2 = spec["kl1"], spec["kl2"]
            L.bl1, L.bl2 = spec["bl1"], spec["bl2"]
            L.frozen = bool(spec.get("frozen", False))
            if L.bf16 and self.dtype != np.float32:
                raise ValueError(f"FusedNet: layer {i} has bfloat16 products, which need "
                                 f"float32 weights, got {self.dtype}")
            bn = spec.get("bn")      # a BatchNormalization after the activation, or None
            L.bn_momentum = L.bn_eps = L.gl1 = L.gl2 = L.btl1 = L.btl2 = 0.0
            # a LayerNormalization takes BatchNormalization's place (no moving statistics)
            L.ln_rms = bool(bn and bn.get("rms"))
            # a noise layer after the output (csrc/noise.h), keyed by its own seed
            L.noise = spec.get("noise", 0)
            L.noise_param = spec.get("noise_param", 0.0)
            L.noise_seed = <uint64_t>spec.get("noise_seed", 0)
            if not 0 <= L.noise <= FNN_NOISE_ALPHA_DROPOUT:
                raise ValueError(f"FusedNet: layer {i} noise kind must be 0..{FNN_NOISE_ALPHA_DROPOUT}, "
                                 f"got {L.noise}")
            if L.noise and not (0 <= L.noise_param <= 1 if L.noise == FNN_NOISE_GAUSSIAN
                                else 0 <= L.noise_param < 1):
                raise ValueError(f"FusedNet: layer {i} noise_param must be a stddev in [0, 1] "
                                 f"or a rate in [0, 1), got {L.noise_param!r}")
            if L.noise and L.dropout > 0:
                raise ValueError(f"FusedNet: layer {i} has both a dropout and a noise layer")
            if bn:
                L.bn_momentum, L.bn_eps = bn["momentum"], bn["epsilon"]
                L.gl1, L.gl2, L.btl1, L.btl2 = bn["gl1"], bn["gl2"], bn["btl1"], bn["btl2"]
            w = trains and not L.frozen     # the steps write these arrays
            L.W = self._bind(spec["W"], n_in * n_out, f"layer {i} W", w)
            L.b = self._bind(spec["b"], n_out, f"layer {i} b", w)
            L.gamma = self._bind(bn["gamma"] if bn else None, n_out, f"layer {i} gamma", w)
            L.beta = self._bind(bn["beta"] if bn else None, n_out, f"layer {i} beta", w)
            # the moving statistics move in training mode unless the layer is frozen
            L.mmean = self._bind(bn["mmean"] if bn else None, n_out, f"layer {i} moving mean", w)
            L.mvar = self._bind(bn["mvar"] if bn else None, n_out, f"layer {i} moving variance", w)
            if bn and not L.ln and (L.mmean == NULL or L.mvar == NULL):
                raise ValueError(f"FusedNet: layer {i} BatchNormalization needs its moving statistics")
            for j in range(3):
                L.slotW[j] = self._bind(spec["slotsW"][j], n_in * n_out, f"layer {i} W slot {j}", True)
                L.slotb[j] = self._bind(spec["slotsb"][j], n_out, f"layer {i} b slot {j}", True)
                L.slotG[j] = self._bind(bn["slotsG"][j] if bn else None, n_out, f"layer {i} gamma slot {j}", True)
                L.slotBe[j] = self._bind(bn["slotsBe"][j] if bn else None, n_out, f"layer {i} beta slot {j}", True)
            # the optimizer options: [3] gradient accumulator, [4] moving average,
            # [5] whether the weight decay applies (engine/__init__.py, FusedPlan)
            L.no_decay = 0
            for j, (key, has, n_el, name) in enumerate(
                    (("slotsW", L.W != NULL, n_in * n_out, "W"),
                     ("slotsb", L.b != NULL, n_out, "b"),
                     ("slotsG", L.gamma != NULL, n_out, "gamma"),
                     ("slotsBe", L.beta != NULL, n_out, "beta"))):
                extra = (spec if j < 2 else (bn or {})).get(key) or []
                extra = list(extra[3:6]) + [None, None, True][len(extra[3:6]):]
                acc = self._bind(extra[0], n_el, f"layer {i} {name} gradient accumulator", True)
                ema = self._bind(extra[1], n_el, f"layer {i} {name} moving average", True)
                if j == 0:
                    L.accW, L.emaW = acc, ema
                elif j == 1:
                    L.accb, L.emab = acc, ema
                elif j == 2:
                    L.accG, L.emaG = acc, ema
                else:
                    L.accBe, L.emaBe = acc, ema
                if not extra[2]:
                    L.no_decay |= <unsigned>(1 << j)
                if trains and not L.frozen and has:
                    if opt.get("accum_steps", 0) and acc == NULL:
                        raise ValueError(f"FusedNet: layer {i} {name} lacks its gradient accumulator")
                    if opt.get("use_ema", False) and ema == NULL:
                        raise ValueError(f"FusedNet: layer {i} {name} lacks its moving average")
            if trains and not L.frozen:
                _check_slots(kind, opt, L.W, L.slotW, f"layer {i} W")
                _check_slots(kind, opt, L.b, L.slotb, f"layer {i} b")
                _check_slots(kind, opt, L.gamma, L.slotG, f"layer {i} gamma")
                _check_slots(kind, opt, L.beta, L.slotBe, f"layer {i} beta")
        self.net.loss = loss
        self.net.loss_param = loss_param
        # the loss's further parameters (csrc/losses.h: fnn_loss_params' params[1..3])
        extra = tuple(float(v) for v in (loss_extra or ()))
        if len(extra) > 3:
            raise ValueError(f"FusedNet: loss_extra must hold at most 3 numbers, got "
                             f"{len(extra)}")
        for j in range(3):
            self.net.loss_extra[j] = extra[j] if j < len(extra) else 0.0
        # a focal loss' alpha per class: one float64 per output unit, kept alive here
        cdef const double[::1] class_alpha
        self.net.loss_class_alpha = NULL
        if loss_class_alpha is not None:
            arr = np.ascontiguousarray(loss_class_alpha, dtype=np.float64).reshape(-1)
            n_out = layers[len(layers) - 1]["out"]
            if arr.shape[0] != n_out:
                raise ValueError(f"FusedNet: loss_class_alpha must hold one number per "
                                 f"output unit ({n_out}), got {arr.shape[0]}")
            self._keep.append(arr)
            class_alpha = arr
            self.net.loss_class_alpha = &class_alpha[0]
        self.net.loss_on_logits = loss_on_logits
        self.net.metric = metric
        self.net.error_stats = error_stats
        self.net.opt.kind = kind
        self.net.opt.beta1 = opt.get("beta1", 0.9)
        self.net.opt.beta2 = opt.get("beta2", 0.999)
        self.net.opt.eps = opt.get("epsilon", 1e-7)
        self.net.opt.momentum = opt.get("momentum", 0.0)
        self.net.opt.rho = opt.get("rho", 0.9)
        self.net.opt.weight_decay = opt.get("weight_decay", 0.0)
        self.net.opt.nesterov = opt.get("nesterov", False)
        self.net.opt.centered = opt.get("centered", False)
        self.net.opt.amsgrad = opt.get("amsgrad", False)
        self.net.opt.clip_kind = opt.get("clip_kind", 0)
        self.net.opt.clip = opt.get("clip", 0.0)
        self.net.opt.accum_steps = opt.get("accum_steps", 0)
        self.net.opt.use_ema = opt.get("use_ema", False)
        self.net.opt.ema_momentum = opt.get("ema_momentum", 0.99)
        self.net.opt.ema_every = opt.get("ema_every", 0)
        self.net.opt.lr_power = opt.get("lr_power", -0.5)
        self.net.opt.l1 = opt.get("l1", 0.0)
        self.net.opt.l2 = opt.get("l2", 0.0)
        self.net.opt.shrinkage = opt.get("shrinkage", 0.0)
        self.net.opt.ftrl_beta = opt.get("ftrl_beta", 0.0)
        self.nadam_cache[0] = 0.0
        self.nadam_cache[1] = 1.0
        self.net.opt.nadam_cache = &self.nadam_cache[0]
        self.net.seed = seed
        self.net.in_mean = self.net.in_var = NULL
        self.net.in_stride = 0
        self.net.in_invert = 0
        self.net.in_rescale = 0
        if norm is not None:   # a Normalization first (its arrays, read at every call)
            # per feature: every feature of the input, the parts side by side
            n_stats = (sum(parts) if parts else layers[0]["in"]) if norm["stride"] else 1
            self.net.in_mean = self._bind(norm["mean"], n_stats, "input mean", False)
            self.net.in_var = self._bind(norm["var"], n_stats, "input variance", False)
            if self.net.in_mean == NULL or self.net.in_var == NULL:
                raise ValueError("FusedNet: the input Normalization needs its mean and variance")
            self.net.in_stride = norm["stride"]
            self.net.in_invert = norm["invert"]
            # a Rescaling: x * scale (1) or x * scale + offset (2), its scale in "var"
            self.net.in_rescale = norm.get("rescale", 0)
            if not 0 <= self.net.in_rescale <= 2:
                raise ValueError(f"FusedNet: norm['rescale'] must be 0, 1 or 2, got "
                                 f"{self.net.in_rescale}")
        self.n_in = sum(parts) if parts else layers[0]["in"]
        self.n_out = sum(layers[o["layer"]]["out"] for o in outputs) if outputs \
            else layers[len(layers) - 1]["out"]
        self.y_cols = y_cols
        self.stats_width = fnn_stats_width(&self.net)
        self.trains = trains

    cdef void *_bind(self, object arr, size_t n, str name, bint writable) except? NULL:
        """arr's data (NULL for None) after checking it is a C-contiguous array of the
        net's dtype with n elements (writable where the engine writes it); kept alive
        and recorded, so every later call can see that it is still that buffer."""
        cdef Py_buffer view
        cdef size_t addr
        if arr is None:
            return NULL
        if not isinstance(arr, np.ndarray) or arr.dtype != self.dtype \
                or not arr.flags.c_contiguous or <size_t>arr.size != n \
                or (writable and not arr.flags.writeable):
            given = (f"{type(arr).__name__} {getattr(arr, 'dtype', '')} shape "
                     f"{getattr(arr, 'shape', '?')}")
            raise ValueError(f"FusedNet: {name} must be a C-contiguous{' writable' if writable else ''} "
                             f"{self.dtype} array of {n} elements, got {given}")
        PyObject_GetBuffer(arr, &view, PyBUF_ND | (PyBUF_WRITABLE if writable else 0))
        addr = <size_t>view.buf
        PyBuffer_Release(&view)
        self._keep.append(arr)
        self._bound.append((arr, name, tuple(arr.shape), addr, writable))
        return <void *>addr

    def arrays_intact(self):
        """True while every array the net was built on is still the same buffer, with
        the same shape, C-contiguous (and writable where the engine writes)."""
        return self._intact(False)

    cdef bint _intact(self, bint raise_) except -1:
        cdef Py_buffer view
        cdef bint ok
        cdef Py_ssize_t d
        for arr, name, shape, addr, writable in self._bound:
            try:
                PyObject_GetBuffer(arr, &view, PyBUF_ND | (PyBUF_WRITABLE if writable else 0))
            except Exception:
                ok = False
            else:
                ok = <size_t>view.buf == <size_t>addr and view.ndim == len(shape)
                if ok:
                    for d in range(view.ndim):
                        if view.shape[d] != shape[d]:
                            ok = False
                PyBuffer_Release(&view)
            if not ok:
                if raise_:
                    raise EngineArraysChanged(
                        f"the engine's {name} (shape {shape}) was replaced, resized, reshaped "
                        f"or made read-only since the engine was built for it; got "
                        f"{getattr(arr, 'shape', '?')}")
                return False
        return True

    def __dealloc__(self):
        free(self.net.layers)

    def set_seed(self, unsigned long long seed):
        self.net.seed = seed

    def set_input_noise_seed(self, unsigned long long seed):
        """The seed of the noise layer on the input (csrc/train.h, in_noise_seed)."""
        if not self.net.in_noise:
            raise ValueError("set_input_noise_seed: the net has no noise layer on its input")
        self.net.in_noise_seed = seed

    def set_noise_seed(self, int layer, unsigned long long seed):
        """The seed of the noise layer after `layer` (csrc/train.h, noise_seed)."""
        if not 0 <= layer < self.net.n_layers or not self.net.layers[layer].noise:
            raise ValueError(f"set_noise_seed: layer {layer} has no noise layer after it")
        self.net.layers[layer].noise_seed = seed

    def workspace_size(self, size_t batch):
        """Elements of the workspace for `batch` rows (ValueError when too large)."""
        cdef size_t n = fnn_net_workspace_size(&self.net, batch)
        if n == 0 or batch == 0:
            raise ValueError(f"FusedNet: a workspace for batch={batch} would not fit in memory")
        return n

    cdef int _check_ws(self, str what, Py_ssize_t have, size_t batch) except -1:
        cdef size_t need = fnn_net_workspace_size(&self.net, batch)
        if batch == 0 or need == 0 or <size_t>have < need:
            raise ValueError(f"{what}: workspace too small for batch={batch}")
        return 0

    cdef const floating *_check_data(self, str what, floating[::1] ws, size_t batch,
                                     const floating[:, ::1] X, const floating[:, ::1] Y,
                                     const floating[::1] SW) except? NULL:
        """The checks every engine call makes (the arrays the net was built on are still
        in place; the workspace and data fit the net); returns SW's data or NULL."""
        self._intact(True)
        self._check_ws(what, ws.shape[0], batch)
        if X.shape[1] != self.n_in or Y.shape[0] != X.shape[0] or Y.shape[1] != self.y_cols:
            raise ValueError(f"{what}: X/Y shapes do not match the network")
        if SW is None:
            return NULL
        if SW.shape[0] != X.shape[0] * fnn_sw_cols(&self.net):     # one per output
            raise ValueError(f"{what}: SW length does not match X")
        return &SW[0]

    def train_steps(self, floating[::1] ws, size_t batch, const floating[:, ::1] X,
                    const floating[:, ::1] Y, const floating[::1] SW, const int64_t[::1] perm,
                    size_t first, size_t n_steps, int64_t iteration0, const double[::1] lr,
                    double[:, ::1] stats, long sig0=FNN_NO_INTERRUPT,
                    floating[:, ::1] y_pred=None):
        """Run n_steps training steps on the rows perm[first * batch ...]. Returns
        (status, steps done): status 0, -1 if a loss was not finite, or TRAIN_REFUSED
        when an Ftrl step was refused (train.h); fewer steps than asked when the rows ran
        out or a SIGINT came after the baseline sig0. With y_pred (rows x outputs), step
        s's outputs (last activation applied) go to its rows s * batch ... (train.h,
        fnn_train_steps_out)."""
        cdef size_t n_rows = X.shape[0], done = 0, lo, hi
        cdef const floating *sw = self._check_data("train_steps", ws, batch, X, Y, SW)
        cdef int rc, ok
        if not self.trains:
            raise ValueError("train_steps: this engine was built for inference only")
        if perm.shape[0] != n_rows or lr.shape[0] < n_steps or stats.shape[0] < n_steps \
                or stats.shape[1] != self.stats_width:
            raise ValueError("train_steps: perm/lr/stats sizes do not match")
        if n_rows == 0 or n_steps == 0 or first >= (n_rows + batch - 1) // batch:
            return 0, 0
        lo = first * batch
        hi = min(n_rows, lo + min(n_steps, (n_rows - lo + batch - 1) // batch) * batch)
        with nogil:
            ok = _perm_in_range(&perm[lo], hi - lo, n_rows)
        if not ok:
            raise ValueError(f"train_steps: perm must hold row indices in [0, {n_rows})")
        if y_pred is not None:
            if y_pred.shape[1] != self.n_out or <size_t>y_pred.shape[0] < hi - lo:
                raise ValueError(f"train_steps: y_pred must have at least {hi - lo} rows of "
                                 f"{self.n_out} outputs, got shape ({y_pred.shape[0]}, "
                                 f"{y_pred.shape[1]})")
            with nogil:
                rc = _run_steps_out(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, n_rows,
                                    &perm[0], first, n_steps, iteration0, &lr[0], &stats[0, 0],
                                    sig0, &done, &y_pred[0, 0])
            return rc, done
        with nogil:
            rc = _run_steps(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, n_rows, &perm[0],
                            first, n_steps, iteration0, &lr[0], &stats[0, 0], sig0, &done)
        return rc, done

    def train_epochs(self, floating[::1] ws, size_t batch, const floating[:, ::1] X,
                     const floating[:, ::1] Y, const floating[::1] SW, const int64_t[:, ::1] perms,
                     int64_t iteration0, const double[::1] lr, double[:, ::1] stats,
                     floating[::1] vws=None, size_t vbatch=0, const floating[:, ::1] VX=None,
                     const floating[:, ::1] VY=None, const floating[::1] VSW=None,
                     const uint8_t[::1] vflags=None, double[:, ::1] vstats=None,
                     size_t start=0, long sig0=FNN_NO_INTERRUPT):
        """Whole epochs in one call, epoch e over the rows perms[e] (ceil(n / batch) steps
        each, as train_steps); lr and stats have a row per step of all the epochs, and
        iteration0 is the step count before the first of them. With validation data
        VX, VY (and VSW), epoch e is followed by evaluate() on it in batches of vbatch
        (workspace vws) when vflags[e], its sums in vstats[e]. `start` resumes at that
        step of all the epochs (an epoch left unfinished by an earlier call). Returns
        (status, steps done from start): status 0, or -1 if a loss was not finite; fewer
        steps when a SIGINT came after sig0 (never inside a step, and an epoch whose last
        step ran is always validated)."""
        cdef size_t n_rows = X.shape[0], n_epochs = perms.shape[0], e, steps, n_val = 0
        cdef size_t first, got = 0, total = 0
        cdef const floating *sw = self._check_data("train_epochs", ws, batch, X, Y, SW)
        cdef const floating *vsw = NULL
        cdef bint val = VX is not None, ok = True
        cdef int rc = 0, r = 0
        if not self.trains:
            raise ValueError("train_epochs: this engine was built for inference only")
        if n_rows == 0:
            raise ValueError("train_epochs: X must not be empty")
        steps = (n_rows + batch - 1) // batch
        if (n_epochs and perms.shape[1] != n_rows) or lr.shape[0] < n_epochs * steps \
                or stats.shape[0] < n_epochs * steps or stats.shape[1] != self.stats_width \
                or start > n_epochs * steps:
            raise ValueError("train_epochs: perms/lr/stats/start sizes do not match")
        if val:
            if VY is None or vws is None or vflags is None or vstats is None:
                raise ValueError("train_epochs: validation needs VY, vws, vflags and vstats")
            vsw = self._check_data("train_epochs (validation)", vws, vbatch, VX, VY, VSW)
            if vflags.shape[0] != n_epochs or vstats.shape[0] != n_epochs \
                    or vstats.shape[1] != self.stats_width:
                raise ValueError("train_epochs: vflags/vstats sizes do not match")
            n_val = VX.shape[0]
        with nogil:
            for e in range(start // steps, n_epochs):
                ok = ok and _perm_in_range(&perms[e, 0], n_rows, n_rows)
        if not ok:
            raise ValueError(f"train_epochs: perms must hold row indices in [0, {n_rows})")
        with nogil:
            for e in range(start // steps, n_epochs):
                first = start - e * steps if e == start // steps else 0
                r = _run_steps(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, n_rows,
                               &perms[e, 0], first, steps - first,
                               iteration0 + <int64_t>(e * steps + first),
                               &lr[e * steps + first], &stats[e * steps + first, 0], sig0, &got)
                total += got
                if r == FNN_TRAIN_REFUSED:
                    rc = r           # an Ftrl step refused: the caller raises
                    break
                rc |= r
                if first + got < steps:
                    break            # interrupted: the caller records what ran
                if val and vflags[e] and n_val:
                    _run_evaluate(&self.net, &vws[0], vbatch, &VX[0, 0], &VY[0, 0], vsw,
                                  n_val, &vstats[e, 0], FNN_NO_INTERRUPT)
        return rc, total

    def custom_forward(self, floating[::1] ws, size_t batch, const floating[:, ::1] X,
                       const int64_t[::1] perm, size_t first, int64_t t, floating[:, ::1] out,
                       floating[:, ::1] logits=None):
        """Part 1 of a step whose loss the caller computes (train.h): the rows
        perm[first * batch ...] forward in training mode, their outputs into out's first
        rows, and the last activation's inputs into logits' (when given: out's shape).
        Returns the number of rows (0 past the end). ws then holds the step for
        custom_backward."""
        cdef size_t n_rows = X.shape[0], nb = 0, lo, hi
        cdef int ok
        cdef floating *pl = NULL
        self._intact(True)
        self._check_ws("custom_forward", ws.shape[0], batch)
        if not self.trains:
            raise ValueError("custom_forward: this engine was built for inference only")
        if self.net.n_outputs >= 2:
            raise ValueError("custom_forward: a loss computed by the caller is for a network "
                             "of one output")
        if X.shape[1] != self.n_in or perm.shape[0] != n_rows or out.shape[1] != self.n_out \
                or out.shape[0] < min(batch, n_rows):
            raise ValueError("custom_forward: X/perm/out shapes do not match the network")
        if logits is not None and (logits.shape[0] != out.shape[0]
                                   or logits.shape[1] != out.shape[1]):
            raise ValueError(f"custom_forward: logits must have out's shape "
                             f"{(out.shape[0], out.shape[1])}, got "
                             f"{(logits.shape[0], logits.shape[1])}")
        if batch == 0 or n_rows == 0 or first >= (n_rows + batch - 1) // batch:
            return 0
        if logits is not None:
            pl = &logits[0, 0]
            if <uintptr_t>pl < <uintptr_t>(&out[0, 0] + out.shape[0] * out.shape[1]) and \
                    <uintptr_t>&out[0, 0] < <uintptr_t>(pl + out.shape[0] * out.shape[1]):
                raise ValueError("custom_forward: logits overlaps out: give a separate array")
        lo = first * batch
        hi = min(n_rows, lo + batch)
        with nogil:
            ok = _perm_in_range(&perm[lo], hi - lo, n_rows)
        if not ok:
            raise ValueError(f"custom_forward: perm must hold row indices in [0, {n_rows})")
        with nogil:
            if floating is float:
                fnn_custom_forward_f32(&self.net, &ws[0], batch, &X[0, 0], n_rows, &perm[0],
                                       first, t, &out[0, 0], pl, &nb)
            else:
                fnn_custom_forward_f64(&self.net, &ws[0], batch, &X[0, 0], n_rows, &perm[0],
                                       first, t, &out[0, 0], pl, &nb)
        return nb

    def custom_backward(self, floating[::1] ws, size_t batch, const floating[:, ::1] dout,
                        int64_t t, double lr, bint at_logits=False):
        """Part 2 (train.h): dout (the rows custom_forward gave x outputs) = the loss's
        gradient with respect to those outputs (at_logits: to the last activation's
        inputs, custom_forward's logits); back through the network, every trained
        variable updated at step t with rate lr. ws: custom_forward's, untouched since.
        Returns 0, or TRAIN_REFUSED when an Ftrl step was refused (nothing updated)."""
        cdef size_t nb = dout.shape[0]
        cdef int rc = 0
        self._intact(True)
        self._check_ws("custom_backward", ws.shape[0], batch)
        if not self.trains:
            raise ValueError("custom_backward: this engine was built for inference only")
        if self.net.n_outputs >= 2:
            raise ValueError("custom_backward: a loss computed by the caller is for a network "
                             "of one output")
        if dout.shape[1] != self.n_out or nb > batch:
            raise ValueError("custom_backward: dout's shape does not match the network")
        if nb == 0:
            return 0
        with nogil:
            if floating is float:
                rc = fnn_custom_backward_f32(&self.net, &ws[0], batch, nb, &dout[0, 0],
                                             at_logits, t, lr)
            else:
                rc = fnn_custom_backward_f64(&self.net, &ws[0], batch, nb, &dout[0, 0],
                                             at_logits, t, lr)
        return rc

    def forward(self, floating[::1] ws, size_t batch, const floating[:, ::1] X,
                floating[:, ::1] out, long sig0=FNN_NO_INTERRUPT):
        """out = the model's outputs for X. Returns True when done, False when a SIGINT
        after sig0 stopped it (out incomplete)."""
        cdef int rc = 0
        self._intact(True)
        self._check_ws("forward", ws.shape[0], batch)
        if X.shape[1] != self.n_in or out.shape[0] != X.shape[0] or out.shape[1] != self.n_out:
            raise ValueError("forward: X/out shapes do not match the network")
        if X.shape[0] == 0:
            return True
        with nogil:
            if floating is float:
                rc = fnn_forward_f32(&self.net, &ws[0], batch, &X[0, 0], X.shape[0], &out[0, 0], sig0)
            else:
                rc = fnn_forward_f64(&self.net, &ws[0], batch, &X[0, 0], X.shape[0], &out[0, 0], sig0)
        return rc == 0

    def evaluate(self, floating[::1] ws, size_t batch, const floating[:, ::1] X,
                 const floating[:, ::1] Y, const floating[::1] SW, double[::1] stats,
                 long sig0=FNN_NO_INTERRUPT):
        """stats = the sums over X (stats_width). Returns True when done, False when a
        SIGINT after sig0 stopped it (stats incomplete)."""
        cdef const floating *sw = self._check_data("evaluate", ws, batch, X, Y, SW)
        cdef int rc = 0
        if stats.shape[0] != self.stats_width:
            raise ValueError(f"evaluate: stats must have {self.stats_width} entries")
        if X.shape[0] == 0:
            return True
        with nogil:
            rc = _run_evaluate(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, X.shape[0],
                               &stats[0], sig0)
        return rc == 0

    def evaluate_out(self, floating[::1] ws, size_t batch, const floating[:, ::1] X,
                     const floating[:, ::1] Y, const floating[::1] SW, double[::1] stats,
                     floating[:, ::1] y_pred, long sig0=FNN_NO_INTERRUPT):
        """evaluate() that adds to stats (zeroed by the caller, once for calls over
        consecutive row ranges of whole batches) and writes the outputs, last activation
        applied, to y_pred (rows of X x outputs). Returns True when done, False when a
        SIGINT after sig0 stopped it (stats and y_pred incomplete)."""
        cdef const floating *sw = self._check_data("evaluate_out", ws, batch, X, Y, SW)
        cdef int rc = 0
        if stats.shape[0] != self.stats_width:
            raise ValueError(f"evaluate_out: stats must have {self.stats_width} entries")
        if y_pred is None or y_pred.shape[0] != X.shape[0] or y_pred.shape[1] != self.n_out:
            raise ValueError(f"evaluate_out: y_pred must have shape ({X.shape[0]}, "
                             f"{self.n_out})")
        if X.shape[0] == 0:
            return True
        with nogil:
            rc = _run_evaluate_out(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw,
                                   X.shape[0], &stats[0], sig0, &y_pred[0, 0])
        return rc == 0


# The engine's optimizer codes (csrc/train.h), by the optimizer they run.
OPT_CODES = {"sgd": FNN_OPT_SGD, "adam": FNN_OPT_ADAM, "rmsprop": FNN_OPT_RMSPROP,
             "adagrad": FNN_OPT_ADAGRAD, "adadelta": FNN_OPT_ADADELTA, "lion": FNN_OPT_LION,
             "nadam": FNN_OPT_NADAM, "adamax": FNN_OPT_ADAMAX, "ftrl": FNN_OPT_FTRL}
cdef extern from "constraints.h" nogil:
    int FNN_CON_MAX_NORM, FNN_CON_NON_NEG, FNN_CON_UNIT_NORM, FNN_CON_MIN_MAX_NORM
    int fnn_constrain_f32(int kind, const double *p, size_t rows, size_t cols, float *w,
                          float *norms)
    int fnn_constrain_f64(int kind, const double *p, size_t rows, size_t cols, double *w,
                          double *norms)

# The engine's codes of Keras' kernel constraints (csrc/constraints.h), by class name.
CONSTRAINT_CODES = {"MaxNorm": FNN_CON_MAX_NORM, "NonNeg": FNN_CON_NON_NEG,
                    "UnitNorm": FNN_CON_UNIT_NORM, "MinMaxNorm": FNN_CON_MIN_MAX_NORM}


def constrain(int kind, params, floating[:, ::1] w not None):
    """The constraint `kind` (CONSTRAINT_CODES; params: up to 3 numbers, as
    csrc/constraints.h orders them) applied in place to the kernel w (rows x cols,
    cols >= 2), as the engine applies it after an update."""
    cdef double p[3]
    cdef int rc
    _act_params(params, p)
    if w.shape[1] < 2 or w.shape[0] < 1:
        raise ValueError(f"constrain: w needs a row and at least 2 columns, got shape "
                         f"{(w.shape[0], w.shape[1])}")
    norms = np.empty(w.shape[1], np.float32 if floating is float else np.float64)
    cdef floating[::1] nv = norms
    with nogil:
        if floating is float:
            rc = fnn_constrain_f32(kind, p, w.shape[0], w.shape[1], &w[0, 0], &nv[0])
        else:
            rc = fnn_constrain_f64(kind, p, w.shape[0], w.shape[1], &w[0, 0], &nv[0])
    if rc != 0:
        raise ValueError(f"constrain: unknown constraint code {kind}")


# The most inputs one net takes side by side (train.h, FNN_MAX_PARTS).
MAX_INPUT_PARTS = FNN_MAX_PARTS
# The dropout stream number of a Dropout on the net's input (train.h, FNN_INPUT_DROPOUT).
INPUT_DROPOUT = FNN_INPUT_DROPOUT
# A training call's status when an Ftrl step was refused (train.h, FNN_TRAIN_REFUSED).
TRAIN_REFUSED = FNN_TRAIN_REFUSED


cdef int _check_slots(int kind, dict opt, void *w, void **slot, str name) except -1:
    """The optimizer slots the C update reads for the variable w (if present) are all
    there."""
    if w == NULL:
        return 0
    need = {FNN_OPT_SGD: (opt.get("momentum", 0.0) != 0.0, False, False),   # momentum
            FNN_OPT_ADAM: (True, True, bool(opt.get("amsgrad", False))),   # m, v, vhat
            FNN_OPT_RMSPROP: (True, bool(opt.get("centered", False)),
                              opt.get("momentum", 0.0) > 0),
            FNN_OPT_ADAGRAD: (True, False, False),                      # accumulator
            FNN_OPT_ADADELTA: (True, True, False),   # accumulated_grad, accumulated_delta_var
            FNN_OPT_LION: (True, False, False),                         # momentum
            FNN_OPT_NADAM: (True, True, False),                         # momentum, velocity
            FNN_OPT_ADAMAX: (True, True, False),                        # momentum, norm
            FNN_OPT_FTRL: (True, True, False)}.get(kind)                # accumulator, linear
    if need is None:
        raise ValueError(f"FusedNet: unknown optimizer kind {kind}")
    for j in range(3):
        if need[j] and slot[j] == NULL:
            raise ValueError(f"FusedNet: {name} lacks optimizer slot {j}")
    return 0


def permutations(const int64_t[::1] seeds not None, size_t n):
    """(len(seeds), n) int64: row e is a random order of 0..n-1 keyed by seeds[e] alone
    (csrc/train.c, fnn_permutation)."""
    cdef size_t count = seeds.shape[0], e
    out = np.empty((count, n), dtype=np.int64)
    cdef int64_t[:, ::1] o = out
    if n == 0 or count == 0:
        return out
    with nogil:
        for e in range(count):
            fnn_permutation(<uint64_t>seeds[e], n, &o[e, 0])
    return out


def adapt_simulate(pace, long n_steps, int nt_all, bint tried=False):
    """Drive the team-size policy from a fresh state for n_steps steps, each taking
    pace(step, team) seconds per row; returns the team of every step (and, with
    tried=True, the last search's (team, seconds per row) pairs). For tests of the
    policy alone."""
    cdef fnn_adapt a
    cdef int team
    memset(&a, 0, sizeof(fnn_adapt))
    a.enabled = 1
    out = []
    for step in range(n_steps):
        team = fnn_adapt_team(&a, nt_all)
        out.append(team)
        fnn_adapt_step(&a, pace(step, team))
    if tried:
        return out, [(a.tried_team[i], a.tried_pace[i]) for i in range(a.n_tried)]
    return out
