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
        double act_param
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
    ctypedef struct fnn_opt:
        int kind
        double beta1, beta2, eps, momentum, rho, weight_decay
        int nesterov, centered
        int clip_kind
        double clip
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
    int FNN_PHASE_STEPS, FNN_PHASE_GATHER, FNN_PHASE_LOSS
    int FNN_PHASE_OF(int l)
    int FNN_PHASES(int n_layers)
    size_t fnn_net_workspace_size(const fnn_net *net, size_t batch)
    void fnn_permutation(uint64_t seed, size_t n, int64_t *out)
    int fnn_train_steps_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                            const float *Y, const float *SW, size_t n_rows, const int64_t *perm,
                            size_t first, size_t n_steps, int64_t iteration0, const double *lr,
                            double *stats)
    int fnn_train_steps_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                            const double *Y, const double *SW, size_t n_rows, const int64_t *perm,
                            size_t first, size_t n_steps, int64_t iteration0, const double *lr,
                            double *stats)
    void fnn_forward_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                         size_t n_rows, float *out)
    void fnn_forward_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                         size_t n_rows, double *out)
    void fnn_evaluate_f32(const fnn_net *net, float *ws, size_t batch, const float *X,
                          const float *Y, const float *SW, size_t n_rows, double *stats)
    void fnn_evaluate_f64(const fnn_net *net, double *ws, size_t batch, const double *X,
                          const double *Y, const double *SW, size_t n_rows, double *stats)

STATS_WIDTH = FNN_STATS


cdef void *_ptr(object arr) except? NULL:
    """Data pointer of a C-contiguous float32/float64 array (None -> NULL)."""
    cdef float[::1] f
    cdef double[::1] d
    if arr is None:
        return NULL
    flat = arr.reshape(-1)
    if flat.dtype.itemsize == 4:
        f = flat
        return &f[0] if f.shape[0] else NULL
    d = flat
    return &d[0] if d.shape[0] else NULL


cdef inline int _run_steps(const fnn_net *net, floating *ws, size_t batch, const floating *X,
                           const floating *Y, const floating *sw, size_t n_rows,
                           const int64_t *perm, size_t first, size_t n_steps, int64_t it0,
                           const double *lr, double *stats) noexcept nogil:
    if floating is float:
        return fnn_train_steps_f32(net, ws, batch, X, Y, sw, n_rows, perm, first, n_steps,
                                   it0, lr, stats)
    else:
        return fnn_train_steps_f64(net, ws, batch, X, Y, sw, n_rows, perm, first, n_steps,
                                   it0, lr, stats)


cdef inline void _run_evaluate(const fnn_net *net, floating *ws, size_t batch,
                               const floating *X, const floating *Y, const floating *sw,
                               size_t n_rows, double *stats) noexcept nogil:
    if floating is float:
        fnn_evaluate_f32(net, ws, batch, X, Y, sw, n_rows, stats)
    else:
        fnn_evaluate_f64(net, ws, batch, X, Y, sw, n_rows, stats)


cdef class FusedNet:
    """The C description of a Dense stack (fnn_net) plus references keeping every array
    it points to alive. Built by fastnn._fused.FusedTrainer; not for direct use."""
    cdef fnn_net net
    cdef fnn_adapt adapt
    cdef object _keep
    cdef object _phase
    cdef readonly object dtype
    cdef readonly size_t n_in, n_out, y_cols

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
                 bint error_stats=True, dict norm=None):
        cdef int i, j
        cdef fnn_layer *L
        if not layers or len(layers) > 64:
            raise ValueError(f"FusedNet: expected 1..64 dense layers, got {len(layers)}")
        self.dtype = dtype
        self._keep = []
        self.net.layers = <fnn_layer *> malloc(len(layers) * sizeof(fnn_layer))
        if self.net.layers == NULL:
            raise MemoryError()
        self.net.n_layers = len(layers)
        for i, spec in enumerate(layers):
            L = &self.net.layers[i]
            L.in_ = spec["in"]
            L.out = spec["out"]
            L.act = spec["act"]
            L.act_param = spec["act_param"]
            L.dropout = spec["dropout"]
            L.kl1, L.kl2 = spec["kl1"], spec["kl2"]
            L.bl1, L.bl2 = spec["bl1"], spec["bl2"]
            L.frozen = bool(spec.get("frozen", False))
            bn = spec.get("bn")      # a BatchNormalization after the activation, or None
            L.bn = bn is not None
            L.bn_pre = bool(bn and bn.get("pre"))
            L.bn_momentum = L.bn_eps = L.gl1 = L.gl2 = L.btl1 = L.btl2 = 0.0
            if bn:
                L.bn_momentum, L.bn_eps = bn["momentum"], bn["epsilon"]
                L.gl1, L.gl2, L.btl1, L.btl2 = bn["gl1"], bn["gl2"], bn["btl1"], bn["btl2"]
            arrays = [spec["W"], spec["b"]] + list(spec["slotsW"]) + list(spec["slotsb"])
            if bn:
                arrays += [bn["gamma"], bn["beta"], bn["mmean"], bn["mvar"]]
                arrays += list(bn["slotsG"]) + list(bn["slotsBe"])
            for arr in arrays:
                if arr is not None:
                    self._keep.append(arr)
            L.W = _ptr(spec["W"])
            L.b = _ptr(spec["b"])
            L.gamma = _ptr(bn["gamma"] if bn else None)
            L.beta = _ptr(bn["beta"] if bn else None)
            L.mmean = _ptr(bn["mmean"] if bn else None)
            L.mvar = _ptr(bn["mvar"] if bn else None)
            for j in range(3):
                L.slotW[j] = _ptr(spec["slotsW"][j])
                L.slotb[j] = _ptr(spec["slotsb"][j])
                L.slotG[j] = _ptr(bn["slotsG"][j] if bn else None)
                L.slotBe[j] = _ptr(bn["slotsBe"][j] if bn else None)
        self.net.loss = loss
        self.net.loss_param = loss_param
        self.net.loss_on_logits = loss_on_logits
        self.net.y_cols = y_cols
        self.net.metric = metric
        self.net.error_stats = error_stats
        self.net.opt.kind = opt["kind"]
        self.net.opt.beta1 = opt.get("beta1", 0.9)
        self.net.opt.beta2 = opt.get("beta2", 0.999)
        self.net.opt.eps = opt.get("epsilon", 1e-7)
        self.net.opt.momentum = opt.get("momentum", 0.0)
        self.net.opt.rho = opt.get("rho", 0.9)
        self.net.opt.weight_decay = opt.get("weight_decay", 0.0)
        self.net.opt.nesterov = opt.get("nesterov", False)
        self.net.opt.centered = opt.get("centered", False)
        self.net.opt.clip_kind = opt.get("clip_kind", 0)
        self.net.opt.clip = opt.get("clip", 0.0)
        self.net.seed = seed
        self.net.in_mean = self.net.in_var = NULL
        self.net.in_stride = 0
        self.net.in_invert = 0
        if norm is not None:   # a Normalization first (its arrays, read at every call)
            n_stats = layers[0]["in"] if norm["stride"] else 1
            for a in (norm["mean"], norm["var"]):
                if a.dtype != dtype or a.size != n_stats or not a.flags.c_contiguous:
                    raise ValueError("FusedNet: norm arrays do not match the first layer")
                self._keep.append(a)
            self.net.in_mean, self.net.in_var = _ptr(norm["mean"]), _ptr(norm["var"])
            self.net.in_stride = norm["stride"]
            self.net.in_invert = norm["invert"]
        self.n_in = layers[0]["in"]
        self.n_out = layers[len(layers) - 1]["out"]
        self.y_cols = y_cols

    def __dealloc__(self):
        free(self.net.layers)

    def set_seed(self, unsigned long long seed):
        self.net.seed = seed

    def workspace_size(self, size_t batch):
        return fnn_net_workspace_size(&self.net, batch)

    cdef const floating *_check_data(self, str what, floating[::1] ws, size_t batch,
                                     floating[:, ::1] X, floating[:, ::1] Y,
                                     floating[::1] SW) except? NULL:
        """The checks train_steps and train_epochs share; returns SW's data or NULL."""
        if batch == 0 or ws.shape[0] < fnn_net_workspace_size(&self.net, batch):
            raise ValueError(f"{what}: workspace too small")
        if X.shape[1] != self.n_in or Y.shape[0] != X.shape[0] or Y.shape[1] != self.y_cols:
            raise ValueError(f"{what}: X/Y shapes do not match the network")
        if SW is None:
            return NULL
        if SW.shape[0] != X.shape[0]:
            raise ValueError(f"{what}: SW length does not match X")
        return &SW[0]

    def train_steps(self, floating[::1] ws, size_t batch, floating[:, ::1] X,
                    floating[:, ::1] Y, floating[::1] SW, const int64_t[::1] perm,
                    size_t first, size_t n_steps, int64_t iteration0, const double[::1] lr,
                    double[:, ::1] stats):
        """Run n_steps training steps; returns 0, or -1 if a loss was not finite."""
        cdef size_t n_rows = X.shape[0]
        cdef const floating *sw = self._check_data("train_steps", ws, batch, X, Y, SW)
        cdef int rc
        if perm.shape[0] != n_rows or lr.shape[0] < n_steps or stats.shape[0] < n_steps \
                or stats.shape[1] != FNN_STATS:
            raise ValueError("train_steps: perm/lr/stats sizes do not match")
        if n_rows == 0 or n_steps == 0:
            return 0
        with nogil:
            rc = _run_steps(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, n_rows, &perm[0],
                            first, n_steps, iteration0, &lr[0], &stats[0, 0])
        return rc

    def train_epochs(self, floating[::1] ws, size_t batch, floating[:, ::1] X,
                     floating[:, ::1] Y, floating[::1] SW, const int64_t[:, ::1] perms,
                     int64_t iteration0, const double[::1] lr, double[:, ::1] stats,
                     floating[::1] vws=None, size_t vbatch=0, floating[:, ::1] VX=None,
                     floating[:, ::1] VY=None, floating[::1] VSW=None,
                     const uint8_t[::1] vflags=None, double[:, ::1] vstats=None):
        """Whole epochs in one call, epoch e over the rows perms[e] (ceil(n / batch) steps
        each, as train_steps); lr and stats have a row per step of all the epochs. With
        validation data VX, VY (and VSW), epoch e is followed by evaluate() on it in
        batches of vbatch (workspace vws) when vflags[e], its sums in vstats[e].
        Returns 0, or -1 if a loss was not finite."""
        cdef size_t n_rows = X.shape[0], n_epochs = perms.shape[0], e, steps, n_val = 0
        cdef const floating *sw = self._check_data("train_epochs", ws, batch, X, Y, SW)
        cdef const floating *vsw = NULL
        cdef bint val = VX is not None
        cdef int rc = 0
        if n_rows == 0:
            raise ValueError("train_epochs: X must not be empty")
        steps = (n_rows + batch - 1) // batch
        if (n_epochs and perms.shape[1] != n_rows) or lr.shape[0] < n_epochs * steps \
                or stats.shape[0] < n_epochs * steps or stats.shape[1] != FNN_STATS:
            raise ValueError("train_epochs: perms/lr/stats sizes do not match")
        if val:
            if VY is None or vws is None or vflags is None or vstats is None:
                raise ValueError("train_epochs: validation needs VY, vws, vflags and vstats")
            vsw = self._check_data("train_epochs (validation)", vws, vbatch, VX, VY, VSW)
            if vflags.shape[0] != n_epochs or vstats.shape[0] != n_epochs \
                    or vstats.shape[1] != FNN_STATS:
                raise ValueError("train_epochs: vflags/vstats sizes do not match")
            n_val = VX.shape[0]
        with nogil:
            for e in range(n_epochs):
                rc |= _run_steps(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, n_rows,
                                 &perms[e, 0], 0, steps, iteration0 + <int64_t>(e * steps),
                                 &lr[e * steps], &stats[e * steps, 0])
                if val and vflags[e] and n_val:
                    _run_evaluate(&self.net, &vws[0], vbatch, &VX[0, 0], &VY[0, 0], vsw,
                                  n_val, &vstats[e, 0])
        return rc

    def forward(self, floating[::1] ws, size_t batch, floating[:, ::1] X, floating[:, ::1] out):
        if ws.shape[0] < fnn_net_workspace_size(&self.net, batch) or batch == 0:
            raise ValueError("forward: workspace too small")
        if X.shape[1] != self.n_in or out.shape[0] != X.shape[0] or out.shape[1] != self.n_out:
            raise ValueError("forward: X/out shapes do not match the network")
        if X.shape[0] == 0:
            return
        with nogil:
            if floating is float:
                fnn_forward_f32(&self.net, &ws[0], batch, &X[0, 0], X.shape[0], &out[0, 0])
            else:
                fnn_forward_f64(&self.net, &ws[0], batch, &X[0, 0], X.shape[0], &out[0, 0])

    def evaluate(self, floating[::1] ws, size_t batch, floating[:, ::1] X, floating[:, ::1] Y,
                 floating[::1] SW, double[::1] stats):
        cdef const floating *sw = NULL
        if ws.shape[0] < fnn_net_workspace_size(&self.net, batch) or batch == 0:
            raise ValueError("evaluate: workspace too small")
        if X.shape[1] != self.n_in or Y.shape[0] != X.shape[0] or Y.shape[1] != self.y_cols \
                or stats.shape[0] != FNN_STATS:
            raise ValueError("evaluate: X/Y/stats shapes do not match the network")
        if SW is not None:
            if SW.shape[0] != X.shape[0]:
                raise ValueError("evaluate: SW length does not match X")
            sw = &SW[0]
        if X.shape[0] == 0:
            return
        with nogil:
            _run_evaluate(&self.net, &ws[0], batch, &X[0, 0], &Y[0, 0], sw, X.shape[0],
                          &stats[0])


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
