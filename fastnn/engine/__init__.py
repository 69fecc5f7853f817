"""The C engine's side of a model: where a model lowers onto csrc/train.c and how.

A model whose layers form a chain of Dense layers (with Dropout, Activation,
BatchNormalization, LayerNormalization over the last axis, GaussianNoise,
GaussianDropout, AlphaDropout, a leading Flatten, Normalization, Rescaling, Dropout or
noise layer; Keras' kernel constraints over axis 0) — a Sequential, a functional chain,
also with residual Add connections (and an Activation after the sum), Concatenates of an
earlier tensor, parallel branches (a Dense layer on an earlier tensor) and several
inputs (also joined first by a Concatenate, each as it is or through a Normalization
of its own, or each as it is or through a Rescaling: one leading stage on the joined
rows), and with several outputs (each a Dense layer's output that nothing else reads,
with a built-in loss of its own and its loss_weights entry; the targets side by side,
the model's `_chain_outputs()`) — is
trained, evaluated and run by the C engine: one C call for many steps, on a
workspace per call, with the model's own weight and optimizer-slot arrays updated in
place. This module is the one place that decides: `plan_for(model, x)` returns the
model's FusedPlan, or None with the reason kept in `model._engine.why` when the model
needs the layer-by-layer path (same numbers, more Python). The plan is rebuilt cheaply
whenever something it depends on changes.

Every built-in optimizer (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Lion, Nadam,
Adamax, Ftrl) trains in the engine, with clipping, weight decay and its exclusions,
use_ema and gradient_accumulation_steps, as the layer path's optimizer does. A subclass
of an optimizer, and use_ema or gradient accumulation on an optimizer that was built
with variables which no longer train (a layer frozen since), need the layer path.

Activations: every built-in activation of fastnn.activations runs in the engine (a C
kernel with its parameters: relu's negative_slope / max_value / threshold, celu's alpha,
...), except glu, which halves the layer's width (the engine's layers keep it), and
sparsemax, which has no C kernel: they train on the layer path, as does a Python
function given as an activation.

What it reads of a model: `_chain()` (its layers in order, or None) and `_flat_chain()`
(the same with nested models and the user's layers that chain their own layers
expanded: the layers it runs), `_chain_skips()`, `_chain_cats()` and `_chain_srcs()`
(where a functional model's Add, Concatenate and branches take earlier tensors),
`_n_inputs()`, `_chain_first_input()` and `_joined_widths()` (a model of several inputs:
which one the first layer takes, and their widths, whose arrays the trainer joins side by
side: the engine's input parts), `_chain_pre()` (the Normalization or Rescaling on each
input before a Concatenate that joins them all first),
`dtype`, `built`,
`compiled`, `trainable`, `loss`, `optimizer`, `_metrics` (the compiled metric
objects), `_trains_on_logits()`, `_state_lock`, `history`, `stop_training`, and its
`_engine` (an EngineState). The metrics the engine does not sum in C are computed from
the outputs its calls write, by the model's `_step_sums(..., only=...)` (after
`_reset_stateful_metrics()` where a loop starts), as the layer path computes them.
"""
import contextlib
import math
import threading
import time

import numpy as np

from fastnn import _changes, _interrupt
from fastnn import _kernels
from fastnn import layers as layers_mod
from fastnn.layers.core import _LOGIT_ACTIVATIONS
from fastnn import losses as losses_mod
from fastnn.layers import regularization
from fastnn import metrics as metrics_mod
from fastnn import optimizers as optimizers_mod
from fastnn import kernel_ops as ops
from fastnn import utils
from fastnn._codes import LOSSES
from fastnn.callbacks.base import ProgbarLogger

# The C engine's optimizer codes, as csrc/train.h numbers them.
_OPT_SGD, _OPT_ADAM, _OPT_RMSPROP, _OPT_ADAGRAD, _OPT_ADADELTA, _OPT_LION = (
    _kernels.OPT_CODES[k] for k in ("sgd", "adam", "rmsprop", "adagrad", "adadelta", "lion"))
_OPT_NADAM, _OPT_ADAMAX, _OPT_FTRL = (_kernels.OPT_CODES[k] for k in ("nadam", "adamax", "ftrl"))
_METRIC_NONE, _METRIC_SPARSE_ACC, _METRIC_CAT_ACC, _METRIC_BIN_ACC = 0, 1, 2, 3
_STAT_LOSS, _STAT_N, _STAT_CORRECT, _STAT_SE, _STAT_AE = range(5)
_FEW_EPOCHS = 8     # up to this many epochs' logs are made in Python, more with NumPy
# Refresh a terminal progress bar about this often when no user callback wants every
# batch: the engine then runs that many steps per C call.
_PROGRESS_INTERVAL_S = 0.1
_INFER_ROWS = 512
# Row indices (int64) of the permutations one multi-epoch C call takes: 32 MB.
_EPOCH_INDEX_BUDGET = 1 << 22
# Bytes of model outputs one C call writes for the metrics computed in Python (the calls
# of an epoch or an evaluation take this many at a time): 4 MB.
_OUTPUT_BUDGET = 1 << 22
# Workspaces kept between calls: batch sizes (training, validation, inference), and
# free ones per size (for calls from several threads at once).
_WS_SIZES_KEPT = 3
_WS_KEPT_PER_SIZE = 2
# FusedPlan._key: config values kept as they are (others as their repr), and the
# weights property of layers whose weights are their own (_weights) alone
_PLAIN_TYPES = frozenset((type(None), bool, int, float, str))
_LAYER_WEIGHTS = layers_mod.Layer.weights
# The largest finite value of each float dtype a plan runs in (the learning-rate check).
_DTYPE_MAX = {np.dtype(t).char: float(np.finfo(t).max) for t in (np.float32, np.float64)}
# The layer attributes in the key, and per layer class those of them the class itself
# defines (properties, class attributes): the others are read from the instance's dict.
# (Normalization's statistics over the kept axes, its weights or the constants it was
# given, are _kept_mean and _kept_variance: its mean property is a new view at each
# read.)
_KEY_ATTRS = ("units", "rate", "momentum", "epsilon", "activation", "invert", "_kept_mean",
              "_kept_variance",
              "kernel_constraint", "bias_constraint",
              "stddev", "rms_scaling", "seed", "kernel_regularizer", "bias_regularizer",
              "gamma_regularizer", "beta_regularizer", "activity_regularizer", "input_spec")
_CLASS_KEY_INFO = {}


def _array_key(a):
    """A plain array in FusedPlan._key as a snapshot of its values that compares with ==
    (dtype, shape and bytes: -0.0 and 0.0 differ, a NaN equals itself)."""
    return ("ndarray", a.dtype.str, a.shape, a.tobytes())


def _class_key_info(cls):
    """(own_weights, on_cls) of a layer class for FusedPlan._key: own_weights True when
    its weights are its own alone (Layer.weights, and fastnn's own layers hold no other
    layers), None when that depends on the instance (layer._sublayers()), False when
    the class lists them itself; on_cls, (position, name) of each name of _KEY_ATTRS the
    class defines (read with getattr; the others come from the instance's dict)."""
    if cls.weights is not _LAYER_WEIGHTS:
        own_weights = False
    elif cls.__module__.startswith("fastnn.layers") \
            and cls._sublayers is layers_mod.Layer._sublayers:
        own_weights = True
    else:
        own_weights = None
    return own_weights, tuple((i, n) for i, n in enumerate(_KEY_ATTRS) if hasattr(cls, n))


# Tests switch this off to compare against the layer-by-layer path.
ENABLED = True


class Unsupported(Exception):
    """The model needs the layer-by-layer path; the message says why."""


class EngineState:
    """What the engine keeps on a model: the current plan (and the key of a model known
    not to lower, so it is not tried again until something changes), why the model
    does not lower, the plan of the fit in progress and whether a user callback hooks
    its batches."""
    __slots__ = ("plan", "no_key", "why", "fit_plan", "user_batch_hooks", "custom_plan",
                 "custom_no_key")

    def __init__(self):
        self.plan = self.no_key = self.why = self.fit_plan = None
        self.custom_plan = self.custom_no_key = None
        self.user_batch_hooks = False


def _act_code(layer):
    """The layer's activation as the engine's (name, code, parameter(s)); a Python
    function as activation needs the layer path, and so does glu (it halves the width:
    the engine's layers keep it)."""
    if layer.activation_name is None:
        builtin = getattr(layer.activation, "_fastnn_name", None)
        if builtin == "glu":
            raise Unsupported(f"layer {layer.name!r}: activation 'glu' halves the layer's "
                              f"width (the engine's activations keep it)")
        if builtin is not None:
            raise Unsupported(f"layer {layer.name!r}: activation {builtin!r} has no C kernel")
        raise Unsupported(f"layer {layer.name!r} has a Python function as activation")
    name, code, param, axis = ops._resolve_activation(layer.activation_name,
                                                      dict(layer.activation_params))
    if axis != -1:
        raise Unsupported(f"layer {layer.name!r}: {name} over axis {axis!r} (the engine's "
                          f"activations run over the last axis)")
    return name, code, param


def _reg_factors(reg):
    """(l1, l2) of fastnn's own L1 / L2 / L1L2 (the C kernels add their gradient); any
    other regularizer (a subclass, a function) trains on the layer path."""
    from fastnn import regularizers
    if reg is None:
        return 0.0, 0.0
    if type(reg) not in (regularizers.L1L2, regularizers.L1, regularizers.L2):
        raise Unsupported(f"regularizer {type(reg).__name__}")
    return float(reg.l1), float(reg.l2)


def _input_norm(layer, dtype):
    """A Normalization before the first Dense layer as the C engine takes it (the net's
    in_* fields): its own mean and variance arrays, per feature or one scalar pair."""
    mean, var = layer._kept_mean, layer._kept_variance     # over the kept axes
    if not layer.built or mean is None or mean.dtype != dtype or var.dtype != dtype:
        raise Unsupported(f"{layer.name!r} (Normalization) not built in the model's dtype")
    shape = layer.input_shape
    if len(shape) != 2 or layer._keep not in ((), (1,)):
        raise Unsupported(f"{layer.name!r} (Normalization) over axes {layer.axis} of inputs "
                          f"{shape}")
    return {"mean": mean, "var": var, "stride": 1 if layer._keep else 0,
            "invert": layer.invert}


def _input_rescale(layer, dtype):
    """A Rescaling before the first Dense layer as the C engine takes it (the net's in_*
    fields): x * scale, or x * scale + offset where an offset is not 0 (as the layer
    computes it), in the model's dtype; scale and offset one value each, or one per
    feature of the flattened rows."""
    given = layer._explicit_dtype
    try:
        same = given is None or np.dtype(given) == dtype
    except TypeError:           # a dtype policy's name (mixed_bfloat16, ...)
        same = False
    if not same or not layer.built:
        raise Unsupported(f"{layer.name!r} (Rescaling) with dtype {given!r} (the engine "
                          f"rescales in the model's dtype)")
    shape = tuple(layer.input_shape[1:])
    with np.errstate(over="ignore"):
        scale = np.asarray(layer._scale, dtype)
        offset = np.asarray(layer._offset, dtype)
    if None in shape or not (np.all(np.isfinite(scale)) and np.all(np.isfinite(offset))):
        raise Unsupported(f"{layer.name!r} (Rescaling) on inputs {shape} with scale "
                          f"{layer.scale!r}")
    one = scale.size == 1 and offset.size == 1
    try:        # (the layer broadcasts them against the inputs' last axes)
        s, o = [f.reshape(1) if one else np.broadcast_to(f, (1,) + shape).reshape(-1)
                for f in (scale, offset)]
    except ValueError:
        raise Unsupported(f"{layer.name!r} (Rescaling): scale or offset of another shape "
                          f"than its inputs {shape}") from None
    return {"mean": np.ascontiguousarray(o), "var": np.ascontiguousarray(s),
            "stride": 0 if one else 1, "invert": False,
            "rescale": 2 if np.any(offset != 0) else 1}


def _joined_input_norm(model, dtype):
    """The Normalizations, or the Rescalings, on some of the model's inputs, first in the
    graph (model._chain_pre(): before the Concatenate that joins them all, or each input
    read through its layer alone), as one leading stage on the joined rows (the net's
    in_* fields; with several input parts, each part's columns): per feature, each
    layer's mean and variance
    (or scale and offset) in its input's columns, what the layer computes there with
    them; in the columns of an input without one, values that give its own bits back:
    x - 0 and x / 1 (or -0.0 + x * 1 with invert, x * 1 + -0.0 for a Rescaling with an
    offset: adding -0.0 keeps a -0.0, adding 0 would not). An adapted Normalization's
    statistics are copied in again before each call ("sync": see
    FusedPlan._sync_input_stats), so that an adapt() since is seen, as the engine reads a
    Normalization first in a model."""
    pre = model._chain_pre()
    widths = model._joined_widths()
    if widths is None:
        raise Unsupported(f"{model._n_inputs()} inputs the engine does not join (it takes up "
                          f"to {_kernels.MAX_INPUT_PARTS} inputs of one axis of known width "
                          f"and the model's float dtype)")
    named = [layer for layer in pre if layer is not None]
    kinds = sorted({type(layer).__name__ for layer in named})
    if len(kinds) > 1:
        shown = ", ".join(f"{layer.name!r} ({type(layer).__name__})" for layer in named)
        raise Unsupported(f"{shown} on the model's inputs: the engine applies Normalizations "
                          f"or Rescalings to the joined inputs, not both")
    rescale = kinds == ["Rescaling"]
    parts = [None if layer is None else
             (_input_rescale if rescale else _input_norm)(layer, dtype) for layer in pre]
    given = [p for p in parts if p is not None]
    invert = any(p["invert"] for p in given)
    if invert and not all(p["invert"] for p in given):
        shown = ", ".join(f"{layer.name!r} (Normalization, invert={layer.invert})"
                          for layer in named)
        raise Unsupported(f"{shown} on the model's inputs: the engine normalises the "
                          f"joined inputs one way (invert=True for all of them or none)")
    mode = max([p.get("rescale", 0) for p in given])
    n = sum(widths)
    mean = np.full(n, -0.0 if invert or mode == 2 else 0.0, dtype)
    var = np.ones(n, dtype)
    sync = []
    cuts = np.cumsum((0,) + tuple(widths))
    for p, layer, a, b in zip(parts, pre, cuts[:-1], cuts[1:]):
        if p is None:
            continue
        var[a:b] = p["var"]
        if p.get("rescale", 2) == 2:        # (a Rescaling without an offset adds none)
            mean[a:b] = p["mean"]
        if not rescale and layer.input_mean is None:      # adapted: weights
            sync.append((p["mean"], p["var"], mean[a:b], var[a:b]))
    return {"mean": mean, "var": var, "stride": 1, "invert": invert, "rescale": mode,
            "sync": tuple(sync)}


def _identity_spec(layer, dtype):
    """The engine's identity layer (csrc/train.h: ident) for a BatchNormalization or
    LayerNormalization on the model's input: as wide as the input, linear, no weights of
    its own, trained (or frozen) as the normalisation is; the normalisation is attached
    to it as a Dense layer's is."""
    shape = getattr(layer, "input_shape", None)
    if not layer.built or shape is None or len(shape) != 2 \
            or not isinstance(shape[-1], (int, np.integer)):
        raise Unsupported(f"{layer.name!r} ({type(layer).__name__}) on inputs of shape "
                          f"{shape} (the engine normalises rows of known width)")
    if np.dtype(layer.dtype) != dtype:
        raise Unsupported(f"{layer.name!r} ({type(layer).__name__}) with dtype {layer.dtype} "
                          f"in a {dtype} model")
    name, code, param, _ = ops._resolve_activation("linear", {})
    return {"in": int(shape[-1]), "out": int(shape[-1]), "act": code,
            "act_name": name, "act_param": param, "dropout": 0.0,
            "noise": 0, "noise_param": 0.0, "noise_seed": 0,
            "kl1": 0.0, "kl2": 0.0, "bl1": 0.0, "bl2": 0.0, "W": None, "b": None,
            "frozen": not layer.trainable, "layer": layer, "bf16": False, "ident": True,
            "part": 0}


def _layer_norm_spec(layer, spec):
    """A LayerNormalization after a Dense layer as the engine's normalisation stage
    (csrc/train.h: bn with ln set): over the last axis alone, trainable like the Dense
    layer, its regularizers fastnn's own."""
    if list(layer.axis) != [len(layer.input_shape) - 1] or len(layer.input_shape) != 2:
        raise Unsupported(f"{layer.name!r} (LayerNormalization) over axis {layer.axis} (the "
                          f"engine normalises the last axis of 2-D outputs only)")
    if layer.trainable != spec["layer"].trainable:
        raise Unsupported(f"{layer.name!r} trainable unlike the Dense layer before it")
    _check_vectors(layer, spec["out"], ("gamma", "beta"))
    gl1, gl2 = _reg_factors(layer.gamma_regularizer)
    btl1, btl2 = _reg_factors(layer.beta_regularizer)
    return {"ln": True, "rms": bool(layer.rms_scaling), "momentum": 0.0,
            "epsilon": layer.epsilon, "gl1": gl1, "gl2": gl2, "btl1": btl1, "btl2": btl2,
            "gamma": layer.gamma, "beta": None if layer.rms_scaling else layer.beta,
            "mmean": None, "mvar": None, "layer": layer}


def _noise_spec(layer):
    """A GaussianNoise, GaussianDropout or AlphaDropout as (C noise code, parameter):
    (0, 0.0) when it draws no noise (a rate or stddev of 0)."""
    if getattr(layer, "noise_shape", None) is not None:
        raise Unsupported(f"{layer.name!r} ({type(layer).__name__}) with a noise_shape")
    param = layer.stddev if type(layer) is layers_mod.GaussianNoise else layer.rate
    if param == 0:
        return 0, 0.0
    return _kernels.NOISE_CODES[type(layer).__name__], float(param)


def _norm_name(spec):
    """The class name of the normalisation stage folded into a layer spec."""
    return "LayerNormalization" if spec["bn"].get("ln") else "BatchNormalization"


_NOISE_LAYERS = (layers_mod.GaussianNoise, layers_mod.GaussianDropout, layers_mod.AlphaDropout)


def _constraint_spec(layer, model):
    """A Dense layer's kernel constraint as the engine applies it after each update
    (csrc/constraints.h): Keras' MaxNorm, NonNeg, UnitNorm or MinMaxNorm over axis 0 (one
    vector per unit) of a layer of 2 units or more, or none; {} without one."""
    from fastnn import constraints
    con = layer.kernel_constraint
    if layer.bias_constraint is not None:
        raise Unsupported(f"a bias constraint on {layer.name!r} (the engine constrains "
                          f"kernels only)")
    if con is None:
        return {}
    kinds = {constraints.MaxNorm: "MaxNorm", constraints.NonNeg: "NonNeg",
             constraints.UnitNorm: "UnitNorm", constraints.MinMaxNorm: "MinMaxNorm"}
    name = kinds.get(type(con))
    axis = getattr(con, "axis", 0)
    if name is None or axis not in (0, -2, [0], [-2], (0,), (-2,)) or layer.units < 2:
        raise Unsupported(f"the kernel constraint {type(con).__name__} of {layer.name!r} (the "
                          f"engine applies MaxNorm, NonNeg, UnitNorm and MinMaxNorm over "
                          f"axis 0 of a layer of 2 units or more)")
    opt = model.optimizer
    if opt is not None and (opt.use_ema or opt.gradient_accumulation_steps):
        raise Unsupported("a kernel constraint with use_ema or gradient_accumulation_steps "
                          "(Keras constrains after every step, the averages too)")
    if name == "MaxNorm":
        params = (float(con.max_value),)
    elif name == "MinMaxNorm":
        params = (float(con.min_value), float(con.max_value), float(con.rate))
    else:
        params = ()
    return {"kcon": _kernels.CONSTRAINT_CODES[name], "kcon_param": params}


def _input_parts(model):
    """The width of each of the model's inputs where it has several (the trainer joins
    their arrays side by side, and the engine takes each one's columns: train.h,
    fnn_net.n_parts); () for one, or for several that the model joins first in their
    order (the joined array is then its one input)."""
    if model._n_inputs() == 1 or model._chain_first_input() is None:
        return ()
    widths = model._joined_widths()
    if widths is None:
        raise Unsupported(f"{model._n_inputs()} inputs the engine does not join (it takes up "
                          f"to {_kernels.MAX_INPUT_PARTS} inputs of one axis of known width "
                          f"and the model's float dtype)")
    return widths


def _dense_specs(model):
    """The model's layers as C layer specs (Dense with folded Activation, Dropout, noise,
    BatchNormalization or LayerNormalization), whether a Flatten comes first, a leading
    Normalization (or None), the widths of the model's inputs where it has several
    (else ()), and a Dropout or noise layer on the input (or None)."""
    parts = _input_parts(model)
    first_input = model._chain_first_input() or 0
    specs = []
    flatten_first = False
    # the Normalizations or Rescalings on the inputs, first in the graph (before the
    # Concatenate that joins them all, or each read alone): the first n_pre layers of
    # the chain, as one stage on the joined rows
    n_pre = sum(layer is not None for layer in model._chain_pre())
    norm = _joined_input_norm(model, np.dtype(model.dtype)) if n_pre else None
    chain = model._flat_chain()
    skips = model._chain_skips()
    cats = model._chain_cats()
    srcs = model._chain_srcs()
    spec_at = []        # per position: the spec its output belongs to (None before any)
    last_at = {}        # per spec: the last position folded into it
    pre_last = None     # the last position of a Flatten or the leading Normalization
                        # (or Rescaling)
    cat = None          # a Concatenate's (cat, cat_first) for the next Dense layer
    cat_pos = None      # its position
    joined_at = {}      # per Concatenate position: the spec whose input it is
    branch = None       # the src of a branch whose first (Dense) layer is at position i
    in_drop = None      # a Dropout (or noise layer) before the first Dense layer

    def earlier(pos, branch=False):
        # The C code (train.h: cat, src) and input part (part, cat_part) of the tensor at
        # position pos (-1 - i: the model's input i) that a concatenation or a branch
        # takes: (1, i) for input i as the first Dense layer takes it (before any Dense
        # layer, a position after every Flatten / Normalization holds it), (2 + s, 0)
        # for spec s's whole output, (2 + s, 0, True) for a branch on the concatenation
        # spec s reads (a Concatenate's output: no spec's output, the next one's input);
        # None where the engine has no such tensor: before a Flatten or Normalization,
        # inside a spec, the last spec's output, or one another connection takes.
        if pos in cats:
            return (joined_at[pos] + 2, 0, True) if branch and pos in joined_at else None
        src = spec_at[pos] if pos >= 0 else None
        if not specs or (src is None and pre_last is not None and pos < pre_last):
            return None
        if src is None:
            return 1, (-1 - pos if pos < 0 else first_input)
        if src >= len(specs) - 1 or last_at[src] != pos or _taken(specs, src, branch):
            return None
        return src + 2, 0

    for i, layer in enumerate(chain):
        if i:
            spec_at.append(len(specs) - 1 if specs else None)
            if specs and i - 1 not in cats:    # (a Concatenate's output is no spec's)
                last_at[len(specs) - 1] = i - 1
        if getattr(layer, "activity_regularizer", None) is not None:
            raise Unsupported(f"activity_regularizer on {layer.name!r}")
        if layer.__dict__.get("input_spec") is not None:
            # set by the user (fastnn's own layers set none): checked at every call, as
            # Keras does, on the layer path
            raise Unsupported(f"an input_spec set on {layer.name!r}")
        if any(getattr(w, "trainable", t) != (t and layer.trainable) for _, w, t in layer._weights):
            # the engine freezes whole layers; a weight frozen (or unfrozen) on its own
            # trains on the layer-by-layer path
            raise Unsupported(f"a weight of {layer.name!r} whose trainable flag is not its "
                              f"layer's")
        if any(getattr(w, "overwrite_with_gradient", False) for _, w, _ in layer._weights):
            raise Unsupported(f"a weight of {layer.name!r} with overwrite_with_gradient (the "
                              f"engine updates every weight by the optimizer's rule)")
        if i < n_pre:       # an input's Normalization or Rescaling: in norm, above
            continue
        if specs and "skip" in specs[-1] and "skip_act" not in specs[-1] \
                and isinstance(layer, layers_mod.Activation) and i not in cats:
            # an Activation after the Add (the residual block's relu after the sum): the
            # engine activates the sum element-wise
            name, code, param = _act_code(layer)
            if name in ("softmax", "log_softmax"):
                raise Unsupported(f"{name} after an Add (the engine activates the residual "
                                  f"sum element-wise)")
            specs[-1]["skip_act"], specs[-1]["skip_act_param"] = code, param
            continue
        if specs and "skip" in specs[-1] and i not in cats and type(layer) is not layers_mod.Dense:
            raise Unsupported(f"layer {layer.name!r} ({type(layer).__name__}) after an Add "
                              f"(the engine's residual sum, and an Activation after it, go "
                              f"straight to a Dense layer or a Concatenate)")
        if cat is not None and type(layer) is not layers_mod.Dense:
            raise Unsupported(f"layer {layer.name!r} ({type(layer).__name__}) after a "
                              f"Concatenate (the engine's concatenation goes straight to a "
                              f"Dense layer)")
        if i in cats:       # a Concatenate: the output so far and an earlier tensor
            pos, first = cats[i]
            code = earlier(pos)
            if code is None:
                raise Unsupported(f"{layer.name!r} (Concatenate): the engine joins a Dense "
                                  f"layer's output and the model's input (as the first Dense "
                                  f"layer takes it) or an earlier Dense layer's output")
            cat, cat_pos = code + (bool(first),), i
            continue
        if i in srcs:       # a branch: a Dense layer on an earlier tensor
            branch = earlier(srcs[i], branch=True)
            if branch is None or cat is not None:
                raise Unsupported(f"{layer.name!r}: the engine starts a branch at a Dense "
                                  f"layer on the model's input (as the first Dense layer "
                                  f"takes it), on an earlier Dense layer's output or on "
                                  f"an earlier Concatenate's")
        if i in skips:      # an Add: the output so far plus an earlier layer's
            src = spec_at[skips[i]]
            if src is None or src >= len(specs) - 1 or last_at[src] != skips[i] \
                    or "skip" in specs[-1] \
                    or _taken(specs, src) \
                    or specs[src]["out"] != specs[-1]["out"]:
                raise Unsupported(f"{layer.name!r} (Add): the engine adds the output of an "
                                  f"earlier Dense layer (after its activation, normalisation "
                                  f"and dropout) to a later one's of the same width")
            specs[-1]["skip"] = src + 1
            continue
        if isinstance(layer, layers_mod.InputLayer) or type(layer) is layers_mod.Identity:
            continue
        if parts and (isinstance(layer, layers_mod.Flatten)
                      or type(layer) in (layers_mod.Normalization, layers_mod.Rescaling)):
            raise Unsupported(f"layer {layer.name!r} ({type(layer).__name__}) in a model of "
                              f"several inputs (the engine reads each input as it is)")
        if isinstance(layer, layers_mod.Flatten):
            # (a Rescaling before it works on the rows as they lie, feature by feature)
            if specs or (norm and not norm.get("rescale")):
                raise Unsupported("Flatten after a Dense or Normalization layer")
            if layer.data_format != "channels_last":
                raise Unsupported(f"{layer.name!r} (Flatten) with data_format="
                                  f"{layer.data_format!r} (the engine reads rows as they lie)")
            flatten_first = True
            pre_last = i
            continue
        if type(layer) in (layers_mod.Dropout,) + _NOISE_LAYERS and not specs \
                and in_drop is None and not parts \
                and getattr(layer, "noise_shape", None) is None:
            # on the input (after its Normalization or Rescaling; a Flatten on either side:
            # the draws are keyed by each element of the rows as they lie); rate 0: none
            if (_noise_spec(layer)[0] if type(layer) in _NOISE_LAYERS else layer.rate):
                in_drop = layer
                pre_last = i
            continue
        if type(layer) is layers_mod.Normalization and not specs and norm is None \
                and in_drop is None:
            norm = _input_norm(layer, np.dtype(model.dtype))
            pre_last = i
            continue
        if type(layer) is layers_mod.Rescaling and not specs and norm is None \
                and in_drop is None:
            norm = _input_rescale(layer, np.dtype(model.dtype))
            pre_last = i
            continue
        if type(layer) in (layers_mod.BatchNormalization, layers_mod.LayerNormalization) \
                and not specs and not parts and i < len(chain) - 1:
            # on the input (after its Normalization or Rescaling, Flatten or Dropout, if
            # any): the engine's identity layer first (csrc/train.h: ident), with this
            # layer as its normalisation stage, attached below
            specs.append(_identity_spec(layer, np.dtype(model.dtype)))
        if type(layer) is layers_mod.Dense:
            kcon = _constraint_spec(layer, model)
            _check_dense_arrays(layer)
            name, code, param = _act_code(layer)
            kl1, kl2 = _reg_factors(layer.kernel_regularizer)
            bl1, bl2 = _reg_factors(layer.bias_regularizer)
            specs.append({"in": layer.kernel.shape[0], "out": layer.units, "act": code,
                          "act_name": name, "act_param": param, "dropout": 0.0,
                          "noise": 0, "noise_param": 0.0, "noise_seed": 0,
                          "kl1": kl1, "kl2": kl2, "bl1": bl1, "bl2": bl2,
                          "W": layer.kernel, "b": layer.bias if layer.use_bias else None,
                          "frozen": not layer.trainable, "layer": layer, **kcon,
                          "bf16": bool(getattr(layer, "_rounds_bf16", False))})
            if len(specs) == 1:
                specs[-1]["part"] = first_input if parts else 0
            if cat is not None:
                specs[-1]["cat"], specs[-1]["cat_part"], specs[-1]["cat_first"] = cat
                joined_at[cat_pos] = len(specs) - 1
                cat = None
            if branch is not None:
                specs[-1]["src"], specs[-1]["part"] = branch[:2]
                if len(branch) > 2:     # the concatenation an earlier spec reads
                    specs[-1]["src_joined"] = True
                branch = None
        elif isinstance(layer, layers_mod.Activation) and specs and specs[-1]["act_name"] == "linear" \
                and not specs[-1]["dropout"] and not specs[-1]["noise"] \
                and not specs[-1].get("bn", {}).get("pre"):
            name, code, param = _act_code(layer)
            if "bn" in specs[-1]:
                # Dense -> BatchNormalization (or LayerNormalization) -> Activation: the
                # engine normalises the GEMM's output, then activates it element-wise
                # in place
                if name in ("softmax", "log_softmax"):
                    raise Unsupported(f"{name} after a {_norm_name(specs[-1])}")
                specs[-1]["bn"]["pre"] = True
            specs[-1].update(act=code, act_name=name, act_param=param)
        elif type(layer) is layers_mod.LayerNormalization and specs and \
                not specs[-1]["dropout"] and not specs[-1]["noise"] and "bn" not in specs[-1]:
            # after the Dense layer's activation, or before it (an Activation next)
            specs[-1]["bn"] = _layer_norm_spec(layer, specs[-1])
        elif type(layer) in _NOISE_LAYERS and specs and not specs[-1]["dropout"] \
                and not specs[-1]["noise"] and i < len(chain) - 1:
            code, param = _noise_spec(layer)
            specs[-1]["noise"], specs[-1]["noise_param"] = code, param
            specs[-1]["noise_layer"] = layer
        elif type(layer) is layers_mod.BatchNormalization and specs and \
                not specs[-1]["dropout"] and not specs[-1]["noise"] and "bn" not in specs[-1]:
            # after the Dense layer's activation (csrc/train_impl.inc: the stage after it)
            if layer.axis not in (-1, 1) or len(layer.input_shape) != 2:
                raise Unsupported(f"{layer.name!r} (BatchNormalization) over axis {layer.axis} "
                                  f"(the engine normalises the last axis of 2-D outputs only)")
            if layer.renorm:
                raise Unsupported(f"{layer.name!r} (BatchNormalization) with renorm=True")
            if layer.trainable != specs[-1]["layer"].trainable:
                raise Unsupported(f"{layer.name!r} trainable unlike the Dense layer before it")
            _check_vectors(layer, specs[-1]["out"], ("gamma", "beta", "moving_mean",
                                                     "moving_variance"))
            gl1, gl2 = _reg_factors(layer.gamma_regularizer)
            btl1, btl2 = _reg_factors(layer.beta_regularizer)
            specs[-1]["bn"] = {"momentum": layer.momentum, "epsilon": layer.epsilon,
                               "gl1": gl1, "gl2": gl2, "btl1": btl1, "btl2": btl2,
                               "gamma": layer.gamma, "beta": layer.beta,
                               "mmean": layer.moving_mean, "mvar": layer.moving_variance}
        elif type(layer) is layers_mod.Dropout and specs and not specs[-1]["dropout"] \
                and not specs[-1]["noise"] and layer.noise_shape is None and i < len(chain) - 1 \
                and not (specs[-1].get("ident") and in_drop is not None):
            # (after a normalisation on the input, the input's dropout stream: not with a
            # Dropout before it too)
            specs[-1]["dropout"] = layer.rate
            specs[-1]["dropout_layer"] = layer
        else:
            raise Unsupported(f"layer {layer.name!r} ({type(layer).__name__}) in this position")
    if not specs:
        raise Unsupported("no Dense layer")
    if specs[-1]["dropout"]:
        raise Unsupported("Dropout after the last Dense layer")
    if "bn" in specs[-1]:
        raise Unsupported(f"{_norm_name(specs[-1])} after the last Dense layer")
    if "skip" in specs[-1]:
        raise Unsupported("an Add after the last Dense layer")
    if cat is not None:
        raise Unsupported("a Concatenate after the last Dense layer")
    outs = model._chain_outputs()
    if outs:       # several outputs: each what a Dense layer hands on, nothing after it
        spec_at.append(len(specs) - 1)
        last_at[len(specs) - 1] = len(chain) - 1
        for k, pos in enumerate(outs):
            s = spec_at[pos]
            if s is None or last_at[s] != pos or pos in cats or specs[s]["dropout"] \
                    or specs[s]["noise"] \
                    or "bn" in specs[s] or "skip" in specs[s] or "output" in specs[s]:
                raise Unsupported(f"output {k} ({chain[pos].name!r}): the engine's outputs "
                                  f"are Dense layers' (with their activation), with no "
                                  f"Dropout, noise, normalisation or Add after them")
            specs[s]["output"] = k
    for k, spec in enumerate(specs):
        if "src" in spec and "output" not in specs[k - 1] and not any(
                s.get("skip") == k or s.get("cat") == k + 1 or
                (s.get("src") == k + 1 and not s.get("src_joined"))
                for s in specs):      # (spec k - 1's output: what takes it)
            raise Unsupported(f"{specs[k - 1]['layer'].name!r}: its output reaches the model's "
                              f"output only through layers the engine does not join")
    return specs, flatten_first, norm, parts, in_drop


def _taken(specs, src, branch=False):
    """Whether a residual connection or a concatenation already takes spec src's output
    (the engine takes one of them a tensor, and any number of branches); branch: for a
    branch, which never finds it taken."""
    return not branch and any(s.get("skip") == src + 1 or s.get("cat") == src + 2
                              for s in specs)


def _check_dense_arrays(layer):
    """A Dense layer's kernel and bias are the shapes its build gave them (a kernel
    replaced or reshaped in place would make the engine read past it)."""
    want = (layer.input_shape[-1], layer.units)
    if not isinstance(layer.kernel, np.ndarray) or layer.kernel.shape != want:
        raise ValueError(f"layer {layer.name!r}: kernel must have shape {want} (inputs, "
                         f"units), got {getattr(layer.kernel, 'shape', type(layer.kernel).__name__)}")
    if layer.use_bias:
        _check_vectors(layer, layer.units, ("bias",))


def _check_vectors(layer, n, names):
    """The layer's named weights (those it has) are vectors of n values."""
    for name in names:
        arr = getattr(layer, name)
        if arr is not None and (not isinstance(arr, np.ndarray) or arr.shape != (n,)):
            raise ValueError(f"layer {layer.name!r}: {name} must have shape ({n},), got "
                             f"{getattr(arr, 'shape', type(arr).__name__)}")


def _spec_params(spec):
    """A spec's trained arrays in the model's weight order: W, b, gamma, beta (or fewer)."""
    bn = spec.get("bn") or {}
    return [a for a in (spec["W"], spec["b"], bn.get("gamma"), bn.get("beta")) if a is not None]


_CLIP_VALUE, _CLIP_NORM, _CLIP_GLOBAL_NORM = 1, 2, 3      # csrc/train.h FNN_CLIP_*


def _optimizer_spec(opt):
    """The optimizer as the C engine's fnn_opt (a dict for FusedNet) and the names of the
    update's slots in the engine's order, its clipping, gradient accumulation and moving
    averages included (the accumulators and averages are bound per variable by
    FusedPlan)."""
    spec, slots = _optimizer_kind(opt)
    if opt.loss_scale_factor is not None:
        raise Unsupported("loss_scale_factor (the engine does not scale the loss)")
    for code, threshold in ((_CLIP_VALUE, opt.clipvalue), (_CLIP_NORM, opt.clipnorm),
                            (_CLIP_GLOBAL_NORM, opt.global_clipnorm)):
        if threshold is not None:
            spec.update(clip_kind=code, clip=float(threshold))
    if opt.gradient_accumulation_steps:
        spec["accum_steps"] = int(opt.gradient_accumulation_steps)
    if opt.use_ema:
        spec.update(use_ema=True, ema_momentum=float(opt.ema_momentum),
                    ema_every=int(opt.ema_overwrite_frequency or 0))
    return spec, slots


def _optimizer_kind(opt):
    """(fnn_opt fields, slot names) of the optimizer's update rule; Unsupported for an
    optimizer the engine has no update for (a user's subclass, for one)."""
    wd = opt.weight_decay or 0.0
    kind = type(opt)
    if kind is optimizers_mod.SGD:
        return {"kind": _OPT_SGD, "momentum": opt.momentum, "nesterov": opt.nesterov,
                "weight_decay": wd}, ("momentum",)
    if kind in (optimizers_mod.Adam, optimizers_mod.AdamW):
        amsgrad = bool(opt.amsgrad)
        return {"kind": _OPT_ADAM, "beta1": opt.beta_1, "beta2": opt.beta_2,
                "epsilon": opt.epsilon, "amsgrad": amsgrad, "weight_decay": wd}, \
            ("m", "v", "velocity_hat") if amsgrad else ("m", "v")
    if kind is optimizers_mod.RMSprop:
        return {"kind": _OPT_RMSPROP, "rho": opt.rho, "momentum": opt.momentum,
                "epsilon": opt.epsilon, "centered": opt.centered, "weight_decay": wd}, \
            ("velocity", "average_gradient", "momentum")
    if kind is optimizers_mod.Adagrad:
        return {"kind": _OPT_ADAGRAD, "epsilon": opt.epsilon, "weight_decay": wd}, ("accumulator",)
    if kind is optimizers_mod.Adadelta:
        return {"kind": _OPT_ADADELTA, "rho": opt.rho, "epsilon": opt.epsilon,
                "weight_decay": wd}, ("accumulated_grad", "accumulated_delta_var")
    if kind is optimizers_mod.Lion:
        return {"kind": _OPT_LION, "beta1": opt.beta_1, "beta2": opt.beta_2,
                "weight_decay": wd}, ("momentum",)
    if kind in (optimizers_mod.Nadam, optimizers_mod.Adamax):
        return {"kind": _OPT_NADAM if kind is optimizers_mod.Nadam else _OPT_ADAMAX,
                "beta1": opt.beta_1, "beta2": opt.beta_2, "epsilon": opt.epsilon,
                "weight_decay": wd}, \
            ("momentum", "velocity") if kind is optimizers_mod.Nadam else ("momentum", "norm")
    if kind is optimizers_mod.Ftrl:
        return {"kind": _OPT_FTRL, "lr_power": opt.learning_rate_power,
                "l1": opt.l1_regularization_strength, "l2": opt.l2_regularization_strength,
                "shrinkage": opt.l2_shrinkage_regularization_strength,
                "ftrl_beta": opt.beta, "weight_decay": wd}, ("accumulator", "linear")
    raise Unsupported(f"optimizer {type(opt).__name__}")


def _loss_spec(model, specs, custom=False):
    """(C loss code, parameters, loss on logits?, y columns); the parameters are the
    kernel's (csrc/losses.h: fnn_loss_params), a tuple of 4 floats, and a fifth entry,
    the alpha of each class (float64 array), for a focal loss with one. custom: the loss is
    computed in Python (custom_step); the net's own loss head is never used."""
    if custom:
        return LOSSES["mean_squared_error"], (1.0, 0.0, 0.0, 0.0), False, specs[-1]["out"]
    loss = model.loss
    if model._loss_identifier is None:
        # compile() without a loss: the add_loss() terms are the loss, and the engine
        # has no add_loss (the layer path computes them)
        raise Unsupported("no compiled loss (the model trains on its add_loss() terms)")
    if model._single_loss_weight() != 1.0:
        raise Unsupported("loss_weights")
    return _output_loss_spec(model, loss, specs[-1], model._trains_on_logits())


def _output_loss_spec(model, loss, last, folded):
    """_loss_spec of one output: its loss object on the output of spec `last`, folded:
    its softmax or sigmoid goes into the loss (the matching cross-entropy)."""
    if getattr(loss, "dtype", None) not in (None, np.dtype(model.dtype).name):
        raise Unsupported(f"a loss computed in {loss.dtype} (the engine computes it in "
                          f"the model's {np.dtype(model.dtype).name})")
    reduction = getattr(loss, "reduction", "sum_over_batch_size")
    if reduction not in ("sum_over_batch_size", "mean"):
        # the layer path scales the batch mean; the engine's sums would round otherwise
        raise Unsupported(f"loss reduction {reduction!r}")
    op = getattr(loss, "_op", None)
    k = last["out"]
    if op in ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"):
        # folded: the last activation (softmax / sigmoid) is applied inside the loss.
        if loss.from_logits or folded:
            if not folded and last["act_name"] != "linear":
                raise Unsupported("from_logits loss after a non-linear output")
            code = LOSSES[op + "_logits"]
            on_logits = True
        else:
            code, on_logits = LOSSES[op], False
        if getattr(loss, "ignore_class", None) is not None:
            raise Unsupported("ignore_class")
        params = (1.0, 0.0, float(getattr(loss, "label_smoothing", 0.0)), 0.0)
        return code, params, on_logits, 1 if op == "sparse_categorical_crossentropy" else k
    if op in ("mean_squared_error", "mean_absolute_error"):
        return LOSSES[op], (1.0, 0.0, 0.0, 0.0), False, k
    if op == "huber":
        return LOSSES[op], (float(loss.delta), 0.0, 0.0, 0.0), False, k
    if op is not None and hasattr(loss, "_kernel_name") and \
            type(loss).loss_and_grad is losses_mod._KernelLoss.loss_and_grad:
        # the other kernel losses (fastnn.losses._KernelLoss): the loss object's own
        # kernel and parameters, as the layer path runs them
        if loss.from_logits and last["act_name"] != "linear":
            raise Unsupported("from_logits loss after a non-linear output")
        code = LOSSES[loss._kernel_name(loss.from_logits)]
        params = tuple(float(v) for v in loss._kernel_params())
        class_alpha = loss._kernel_class_alpha(k)     # a focal loss' alpha per class
        return code, params + ((class_alpha,) if class_alpha is not None else ()), False, k
    if isinstance(loss, losses_mod.Loss) and type(loss).__call__ is losses_mod.Loss.__call__ \
            and (getattr(loss, "_name", None) is not None or getattr(loss, "axis", -1) != -1):
        raise Unsupported(f"loss {type(loss).__name__} with options its C kernel does not "
                          f"take (an axis it does not reduce over)")
    raise Unsupported(f"loss {type(loss).__name__}")


def _outputs_spec(model, specs):
    """Several outputs: per output, in output order, its fnn_output fields (csrc/train.h;
    a dict for FusedNet: the loss of compile's losses for it, its loss_weights entry,
    the metric the engine sums for it), the feeds of the compiled metrics: (metric,
    column of the step's statistics), each output's block after the total's, and the
    compiled metrics computed in Python from the outputs the engine writes; (), [] and []
    for one output."""
    from fastnn.trainers import compile_utils
    where = sorted((s["output"], i) for i, s in enumerate(specs) if "output" in s)
    if not where:
        return (), [], []
    if getattr(model, "_loss_tree", False):
        raise Unsupported("a loss over structures of outputs")
    losses = model._out_losses
    if model._loss_identifier is None or not losses or len(losses) != len(where):
        raise Unsupported("no compiled loss for each output")
    outputs, made = [], []      # (and each output's loss object and spec)
    for (k, i), (loss, weight) in zip(where, losses):
        if loss is None:
            raise Unsupported(f"output {k} without a loss")
        spec = specs[i]
        op = getattr(loss, "_op", None)
        folded = compile_utils.is_builtin(loss) and not loss.from_logits and (
            (spec["act_name"] == "softmax" and op in ("sparse_categorical_crossentropy",
                                                      "categorical_crossentropy")) or
            (spec["act_name"] == "sigmoid" and op == "binary_crossentropy"))
        code, params, on_logits, y_cols = _output_loss_spec(model, loss, spec, folded)
        outputs.append({"layer": i, "loss": code, "params": params[:4],
                        "class_alpha": params[4] if len(params) > 4 else None,
                        "on_logits": on_logits, "y_cols": y_cols, "weight": float(weight),
                        "metric": _METRIC_NONE, "error_stats": False})
        made.append((loss, spec))
    feeds, rest = [], []
    for m in model._metrics or []:
        if hasattr(m, "_fastnn_loss_of"):      # '<output>_loss'
            feeds.append((m, _kernels.STATS_WIDTH * (1 + m._fastnn_loss_of) + _STAT_LOSS))
            continue
        k = getattr(m, "_fastnn_output", 0)
        o = outputs[k]
        stat = _fed_stat(*made[k], o["on_logits"], m, o["metric"])
        if stat is None:
            rest.append(m)
            continue
        if stat == _STAT_CORRECT:
            o["metric"] = _ACCURACY_CODES[type(m)]
        if stat in (_STAT_SE, _STAT_AE):
            o["error_stats"] = True
        feeds.append((m, _kernels.STATS_WIDTH * (1 + k) + stat))
    return tuple(outputs), feeds, rest


def _metric_spec(model, specs, on_logits, custom=False):
    """(C metric code, feeds, the rest): per compiled metric the engine sums, which of its
    statistics feeds it; the others are computed in Python from the outputs the engine
    writes for them, batch by batch, as the layer path computes them (custom: all of
    them, by custom_step)."""
    code = _METRIC_NONE
    feeds, rest = [], []
    if custom:
        return code, feeds, rest
    for m in model._metrics or []:
        if hasattr(m, "_fastnn_loss_of"):
            raise Unsupported(f"metric {m.name} (one output's loss of several)")
        stat = _fed_stat(model.loss, specs[-1], on_logits, m, code)
        if stat is None:
            rest.append(m)
            continue
        if stat == _STAT_CORRECT:
            code = _ACCURACY_CODES[type(m)]
        feeds.append((m, stat))
    return code, feeds, rest


_ACCURACY_CODES = {metrics_mod.SparseCategoricalAccuracy: _METRIC_SPARSE_ACC,
                   metrics_mod.CategoricalAccuracy: _METRIC_CAT_ACC,
                   metrics_mod.BinaryAccuracy: _METRIC_BIN_ACC}


def _fed_stat(loss, last, on_logits, m, code):
    """The engine statistic that sums metric m, or None when the engine cannot sum it
    (its class has no C sum, the sample weights weigh it (compile's weighted_metrics),
    a second kind of accuracy after `code`, ...): then it is computed in Python."""
    t = type(m)
    if getattr(m, "_fastnn_weighted", False):
        return None          # the engine's statistics are unweighted
    acc = _ACCURACY_CODES.get(t)
    if acc is not None:
        if code not in (_METRIC_NONE, acc):
            return None
        if t is metrics_mod.BinaryAccuracy and m.threshold != 0.5:
            return None
        return _STAT_CORRECT
    if t in (metrics_mod.MeanSquaredError, metrics_mod.MeanAbsoluteError):
        if on_logits and last["act_name"] not in ("linear", "sigmoid"):
            return None
        if loss._op == "sparse_categorical_crossentropy":
            return None
        return _STAT_SE if t is metrics_mod.MeanSquaredError else _STAT_AE
    return None


class FusedPlan:
    """One model's C engine: the FusedNet, its workspace and how stats map to logs."""

    # (count of changes, ids of the chain's layers) when the key was last found valid,
    # and whether that check covered the optimizer's settings (see _cached_plan)
    checked = None
    checked_settings = False

    def __init__(self, model, training, custom=False):
        self.model = model
        self.custom = custom
        specs, self.flatten_first, norm, self.parts, self.in_drop = _dense_specs(model)
        # the adapted Normalizations on the inputs before they are joined: their
        # statistics, copied into the joined stage's before each call
        self._in_sync = norm.pop("sync", ()) if norm else ()
        self.dtype = np.dtype(model.dtype)
        for s in specs:
            bn = s.get("bn") or {}
            for arr in [s["W"], s["b"]] + [bn.get(k) for k in ("gamma", "beta", "mmean", "mvar")]:
                if arr is not None and (arr.dtype != self.dtype or not arr.flags.c_contiguous):
                    raise Unsupported("weights of mixed dtype or layout")
        # several outputs: each one's loss, weight and metrics (none for one output)
        self.outputs, feeds, rest = _outputs_spec(model, specs)
        if self.outputs:
            if custom:
                raise Unsupported("a loss computed in Python on several outputs")
            # (the net's fields of one output's loss are unused: the last output's, valid)
            last = self.outputs[-1]
            self.loss_code, loss_param, self.on_logits = last["loss"], last["params"], False
            self.y_cols = sum(o["y_cols"] for o in self.outputs)
            self.metric_code, self.feeds, self.py_metrics = _METRIC_NONE, feeds, rest
            self.n_out = sum(specs[o["layer"]]["out"] for o in self.outputs)
        else:
            self.loss_code, loss_param, self.on_logits, self.y_cols = _loss_spec(model, specs,
                                                                                 custom)
            self.metric_code, self.feeds, self.py_metrics = _metric_spec(model, specs,
                                                                         self.on_logits, custom)
            self.n_out = specs[-1]["out"]
        # a softmax or sigmoid last: under a Python loss, its output carries its logits
        # (`_keras_logits`) as the layer path's does (custom_step)
        self._logits_act = (specs[-1]["act_name"], specs[-1]["act"], specs[-1]["act_param"]) \
            if custom and specs[-1]["act_name"] in _LOGIT_ACTIVATIONS else None
        self._regularized = any(s[k] for s in specs for k in ("kl1", "kl2", "bl1", "bl2")) or \
            any(s["bn"][k] for s in specs if "bn" in s for k in ("gl1", "gl2", "btl1", "btl2"))
        self.opt = model.optimizer
        opt_cfg, slot_names = _optimizer_spec(self.opt)
        # The weights that train (a frozen layer's have no slots and are never updated).
        variables = [a for s in specs if not s["frozen"] for a in _spec_params(s)]
        if training and not self.opt.built:
            self.opt.build(variables)
        self.can_train = self.opt.built
        if self.can_train and not self.opt.knows(variables):
            # the layer path raises the optimizer's error for it
            raise Unsupported("optimizer built for other variables")
        if self.can_train and (self.opt.use_ema or self.opt.gradient_accumulation_steps) \
                and len(self.opt._built_vars) != len(variables):
            # the layer path averages / resets every variable the optimizer was built with
            raise Unsupported("use_ema or gradient_accumulation_steps with an optimizer "
                              "built for variables that no longer train")
        slots = iter(self.opt.slots_for(variables) if self.can_train else [])

        def take(spec, arr):
            """arr's slot arrays (in the C layout of 3), taken in _spec_params' order,
            then its gradient accumulator, moving average and whether it is decayed."""
            sl = {} if spec["frozen"] or arr is None else next(slots, {})
            return [sl.get(n) for n in slot_names] + [None] * (3 - len(slot_names)) + \
                [sl.get("gradient_accumulator"), sl.get("average"),
                 arr is None or self.opt._decays(arr)]
        for s in specs:
            s["slotsW"], s["slotsb"] = take(s, s["W"]), take(s, s["b"])
            if "bn" in s:
                s["bn"]["slotsG"] = take(s, s["bn"]["gamma"])
                s["bn"]["slotsBe"] = take(s, s["bn"]["beta"])
        self.specs = specs
        self.key = self._key(model)
        # The key holds ids: keeping these objects alive (the weights and slots are kept
        # by the FusedNet) means no other object can take one of those ids meanwhile.
        self._pinned = (model.loss, list(model._metrics or []), self.opt._slots,
                        list(model._out_losses or []))
        # Dropout masks and the noise layers' noise come from counter-based streams
        # (csrc/noise.h) keyed by the layers' seeds and the step, the same keys as the
        # layer path's: regularization.stream_seeds, whose draws for unseeded layers
        # (model._dropout_draws, which model files and pickles carry) are made when each
        # training call starts (regularization.prepare_streams), on either path.
        self._streams = self.in_drop is not None or any(s["dropout"] or s["noise"]
                                                         for s in specs)
        in_dropout = self.in_drop.rate if type(self.in_drop) is layers_mod.Dropout else 0.0
        seed = self._stream_seeds(training or custom)
        error_stats = any(stat in (_STAT_SE, _STAT_AE) for _, stat in self.feeds)
        self.net = _kernels.FusedNet(specs, self.loss_code, loss_param[0], self.on_logits,
                                     self.y_cols, self.metric_code, opt_cfg, seed, self.dtype,
                                     error_stats=error_stats, norm=norm, trains=self.can_train,
                                     loss_extra=tuple(loss_param[1:4]),
                                     loss_class_alpha=loss_param[4] if len(loss_param) > 4
                                     else None, parts=self.parts or None,
                                     in_dropout=in_dropout, in_noise=self._in_noise,
                                     outputs=self.outputs or None)
        # Free workspaces per batch size: a call takes one (or makes one) and gives it
        # back, so calls from several threads never share one.
        self._ws = {}
        self._ws_lock = threading.Lock()

    def _stream_seeds(self, draw):
        """The dropout seed of the net (folded over its Dropout layers, in order) and each
        noise layer's seed into its spec, from the model's draws as they are now (those
        missing drawn when `draw`, else 0); remembers which draws they came from."""
        own = regularization.stream_seeds(self.model, draw) if self._streams else {}
        for s in self.specs:
            if s["noise"]:
                s["noise_seed"] = own[id(s["noise_layer"])]
        self.draws = tuple(self.model.__dict__.get("_dropout_draws", ()))
        dropout_in = type(self.in_drop) is layers_mod.Dropout
        # a noise layer on the input: (code, parameter, its seed) for the net
        self._in_noise = (_noise_spec(self.in_drop) + (own[id(self.in_drop)],)
                          if self.in_drop is not None and not dropout_in else None)
        return regularization.fold_dropout_seeds(
            ([own[id(self.in_drop)]] if dropout_in else []) +
            [own[id(s["dropout_layer"])] for s in self.specs if s["dropout"]])

    def sync_streams(self, draw):
        """After the model's draws changed (a new training call): the net takes them."""
        seed = self._stream_seeds(draw)
        self.net.set_seed(seed)
        for i, s in enumerate(self.specs):
            if s["noise"]:
                self.net.set_noise_seed(i, s["noise_seed"])
        if self._in_noise is not None:
            self.net.set_input_noise_seed(self._in_noise[2])

    @staticmethod
    def _key(model, optimizer=True):
        """What the plan depends on: rebuilt when any of it changes. Computed on every
        fit / predict / evaluate call, so written as one pass over the chain.

        (net, settings): settings are the optimizer's (what only training reads); with
        optimizer=False they are not read and are None (see _same_key)."""
        opt = model.optimizer
        settings = None
        if optimizer:
            cfg = opt.get_config()
            cfg.pop("learning_rate", None)     # read at every step, not baked into the net
            # Plain values as they are (repr of floats would cost more than the rest of
            # the key); anything else as its repr, a snapshot a later change cannot alter.
            # (In get_config's order: the same optimizer object, id(opt) in the net part,
            # gives its keys in the same order.)
            if _PLAIN_TYPES.issuperset(map(type, cfg.values())):   # (no Python loop)
                settings = tuple(cfg.items())
            else:
                settings = tuple([(k, v if type(v) in _PLAIN_TYPES else repr(v))
                                  for k, v in cfg.items()])
        layer_keys = []
        weight_ids = []
        for layer in model._flat_chain() or ():
            cls = type(layer)
            info = _CLASS_KEY_INFO.get(cls)
            if info is None:
                info = _CLASS_KEY_INFO[cls] = _class_key_info(cls)
            own_weights, on_cls = info
            if own_weights or (own_weights is None and not layer._sublayers()):
                # a layer's own weights, as Layer.weights lists them, and each one's
                # trainable flags (as made, which moves it between the two halves of that
                # list, and its own now) and its overwrite_with_gradient flag
                weight_ids += [(id(w), t, getattr(w, "trainable", t),
                                getattr(w, "overwrite_with_gradient", False))
                               for _, w, t in layer._weights]
            else:
                weight_ids += [(id(w), getattr(w, "trainable", True)) for w in layer.weights]
            # units, rate, ..., the regularizers (_KEY_ATTRS): as getattr(layer, name,
            # None) gives them, without the AttributeError of each missing one
            values = list(map(layer.__dict__.get, _KEY_ATTRS))    # (no Python loop)
            for i, n in on_cls:
                values[i] = getattr(layer, n)
            if cls is layers_mod.Normalization and type(layer._kept_mean) is np.ndarray:
                # the constants it was given (not weights): a rebuild makes new arrays,
                # compared by their values (an array's == is not a truth value)
                values = [_array_key(v) if type(v) is np.ndarray else v for v in values]
            layer_keys += values
            layer_keys += (layer.trainable, getattr(layer, "_rounds_bf16", False))
        metrics = model._metrics
        outs = model._out_losses
        if outs is not None and len(outs) > 1:    # several outputs: each one's loss, weight
            layer_keys.append(tuple([(id(fn), w) for fn, w in outs]))
        return ((tuple(weight_ids), id(opt), id(model.loss),
                 tuple([id(m) for m in metrics]) if metrics else (), id(opt._slots),
                 tuple(layer_keys)), settings)

    def _sync_input_stats(self):
        """The statistics of the adapted Normalizations on the inputs before they are
        joined (_joined_input_norm), as they are now, into the joined stage the net reads
        (an adapt() or set_weights since is seen, as by a Normalization first in a model,
        whose own arrays the net reads)."""
        for mean, var, joined_mean, joined_var in self._in_sync:
            np.copyto(joined_mean, mean)
            np.copyto(joined_var, var)

    def take_workspace(self, batch):
        """The engine's scratch for `batch` rows, this call's alone until give_workspace:
        a kept one for that size (training, validation, inference) or a new one, so calls
        from several threads never share one. (Every C call's workspace comes from here:
        the inputs' statistics are synced first, and again between the calls of an epoch
        where a user's code runs in between.)"""
        if self._in_sync:
            self._sync_input_stats()
        with self._ws_lock:
            free = self._ws.pop(batch, None)    # re-inserted: the newest size last
            if free is not None:
                self._ws[batch] = free
                if free:
                    return free.pop()
        return np.empty(self.net.workspace_size(batch), self.dtype)

    def give_workspace(self, batch, ws):
        """Keep ws for the next call with that batch size (a few per size, for the three
        sizes used last)."""
        with self._ws_lock:
            free = self._ws.pop(batch, [])
            if len(free) < _WS_KEPT_PER_SIZE:
                free.append(ws)
            self._ws[batch] = free
            while len(self._ws) > _WS_SIZES_KEPT:
                del self._ws[next(iter(self._ws))]

    @contextlib.contextmanager
    def workspace(self, batch):
        """take_workspace / give_workspace around a block."""
        ws = self.take_workspace(batch)
        try:
            yield ws
        finally:
            self.give_workspace(batch, ws)

    def x2d(self, x):
        return x.reshape(x.shape[0], -1) if self.flatten_first else x

    def y2d(self, y):
        return y.reshape(y.shape[0], self.y_cols)

    @staticmethod
    def sw1d(sw):
        """Sample weights as the net reads them: a row's weights (one, or one per output:
        a _JoinedWeights) one after the other."""
        return None if sw is None else sw.reshape(-1)

    def _lrs(self, n_steps):
        opt = self.opt
        lr = opt._learning_rate        # a callback may swap a float for a schedule
        # as the layer path's Optimizer.apply checks them: a rate the weights' dtype
        # cannot hold, or NaN / negative, would train the weights into NaN (or uphill)
        top = _DTYPE_MAX.get(self.dtype.char) or float(np.finfo(self.dtype).max)
        wd = float(getattr(opt, "weight_decay", None) or 0.0)
        if isinstance(lr, (int, float, np.floating)):
            v = float(lr)
            if 0 <= v <= top and v * wd <= top:     # the common case: checked as a number
                return np.full(n_steps, v)
            lrs = np.full(n_steps, v)
        else:
            # a schedule reads the apply() calls, as Keras; a function of no argument
            # may read optimizer.iterations, which reads as it would at each step
            it0 = opt._iterations
            lrs = np.empty(n_steps)
            try:
                for s in range(n_steps):
                    opt._iterations = it0 + s
                    lrs[s] = float(opt._rate_at(it0 + s))
            finally:
                opt._iterations = it0
        if not (np.all(np.isfinite(lrs)) and np.all(lrs >= 0) and np.all(lrs <= top)
                and np.all(lrs * wd <= top)):
            bad = next(float(v) for v in lrs if not (np.isfinite(v) and 0 <= v <= top
                                                     and v * wd <= top))
            raise ValueError(f"{type(opt).__name__}: the learning rate must be a finite "
                             f"number >= 0 that {self.dtype} weights can take (weight_decay "
                             f"times it too), got {bad!r} at step {opt.iterations}")
        return lrs

    def _check_refused(self, rc, lrs, step):
        """Raise the layer path optimizer's error when the engine refused an Ftrl step
        (status TRAIN_REFUSED: lrs[step] was its rate; it changed no weight or slot)."""
        if rc != _kernels.TRAIN_REFUSED:
            return
        opt, lr = self.opt, float(lrs[step])
        if not lr > 0:
            raise ValueError(f"{type(opt).__name__}.apply: the learning rate must be > 0 "
                             f"(the update divides by it), got {lr!r}")
        raise ValueError(opt._non_finite_message(lr))

    # ---------------------------------------------------------------- training
    def custom_step(self, ws, batch, x2, perm, b, yb, swb):
        """One training step on the rows perm[b * batch ...] whose loss is the model's own
        Python code (a loss function, a Loss subclass): the network's forward, backward
        and update in C, and on the tape only the loss of the outputs, whose gradient the
        C backward takes (csrc/train.h, fnn_custom_forward / fnn_custom_backward).
        Returns (samples, loss * samples, metric sums), as the layer path's step."""
        from fastnn.autodiff.tape import GradientTape
        from fastnn.tensor import as_tensor
        model = self.model
        opt = self.opt
        t = opt._iterations + 1         # the call's number (train.h)
        lr = float(self._lrs(1)[0])
        out = np.empty((min(batch, x2.shape[0]), self.n_out), self.dtype)
        z = None if self._logits_act is None else np.empty_like(out)
        if self._in_sync:
            self._sync_input_stats()
        with _interrupt.Section():      # a Ctrl-C never splits a step
            nb = self.net.custom_forward(ws, batch, x2, perm, b, t, out, z)
            o = as_tensor(out[:nb])
            watched = [o]
            if z is not None:
                # a matching cross-entropy in the loss takes these logits, not o
                watched.append(as_tensor(z[:nb]))
                o._keras_logits = (watched[1], self._logits_act[0])
            with GradientTape(watch_accessed_variables=False) as tape:
                for tensor in watched:
                    tape.watch(tensor)
                total, each = model._data_losses(yb, o, swb)
            grads = [None if g is None else np.ascontiguousarray(np.asarray(g), dtype=self.dtype)
                     for g in tape.gradient(total, watched)]
            g, at_logits = grads[0], False
            if len(grads) > 1 and grads[1] is not None:
                # the gradient at the logits: the loss' own, plus o's through the
                # activation's backward where the loss reads o too (as the tape sums them)
                at_logits = True
                if g is not None:
                    _, code, param = self._logits_act
                    _kernels.act_backward(code, param, z[:nb], out[:nb], g, g)
                    g = grads[1] + g
                else:
                    g = grads[1]
            if g is None:
                g = np.zeros((nb, self.n_out), self.dtype)
            full = total
            if self._regularized:    # the penalties the C backward differentiates, on
                for term in model.losses:   # the step's weights, added as the layer path
                    full = full + term      # adds them (the same rounding)
            value = float(full)
            self._check_refused(self.net.custom_backward(ws, batch, g, t, lr, at_logits),
                                [lr], 0)
            opt._iterations += 1
        return model._step_sums(o, yb, o, value, each, swb)

    def fit_epoch(self, x, y, sw, batch_size, shuffle, callbacks, user_batch_hooks):
        """One epoch; same contract as Sequential._fit_epoch."""
        model = self.model
        assert self.can_train
        n = x.shape[0]
        x2, y2 = self.x2d(x), self.y2d(y)
        perm = utils._epoch_orders(1, n, shuffle)[0]
        batch_size = _rows_per_batch(batch_size, n)
        steps = math.ceil(n / batch_size)
        stats = np.zeros((steps, self.net.stats_width))
        # the metrics the engine does not sum: from each step's outputs, in Python
        py = self._py_start(reset=True)
        out_steps = self._out_rows(batch_size) // batch_size
        progress = callbacks.wants("on_train_batch_end")
        # Steps per C call: every step when a user callback hooks batches, a time slice
        # when only a terminal progress bar does, the whole epoch otherwise.
        # (a user's hooks run once per execution: compile's steps_per_execution steps)
        spe = getattr(model, "_steps_per_execution", 1)
        chunk = spe if user_batch_hooks else steps
        t_step = None
        totals = np.zeros(self.net.stats_width)
        done = 0
        begun = -1
        with self.workspace(batch_size) as ws:
            while done < steps:
                if progress and not user_batch_hooks:
                    chunk = 1 if t_step is None else max(1, int(_PROGRESS_INTERVAL_S / max(t_step, 1e-9)))
                k = min(chunk, steps - done)
                if py is not None:
                    k = min(k, out_steps)
                if user_batch_hooks and begun < done:
                    callbacks.on_train_batch_begin(done)
                    begun = done
                if self._in_sync:
                    self._sync_input_stats()
                t0 = time.perf_counter()
                y_pred = None if py is None else np.empty((k * batch_size, self.n_out),
                                                          self.dtype)
                with _interrupt.Section() as sec:
                    lrs = self._lrs(k)
                    rc, got = self.net.train_steps(ws, batch_size, x2, y2, self.sw1d(sw), perm,
                                                   done, k, self.opt._iterations, lrs,
                                                   stats[done:done + k], sig0=sec.sig0,
                                                   y_pred=y_pred)
                    self.opt._iterations += got
                    self._check_refused(rc, lrs, got)
                    # row by row in step order onto the sums so far, as the layer path
                    # adds its steps (adding a chunk's own sum would round differently)
                    totals = np.concatenate((totals[None], stats[done:done + got])).sum(axis=0)
                    if py is not None:
                        self._py_steps(py, y_pred, y, sw, perm, done, got, batch_size)
                    done += got
                if got < k:        # stopped by a SIGINT whose handler did not raise
                    continue
                t_step = (time.perf_counter() - t0) / k
                if progress:
                    # Keras 3 numbers an execution's end begin + steps_per_execution - 1
                    end = begun + spe - 1 if user_batch_hooks else done - 1
                    callbacks.on_train_batch_end(end, self._logs(totals, py=py))
                if model.stop_training:
                    break
                if user_batch_hooks and done < steps and self._key(model) != self.key:
                    # a callback changed what this plan was built on (a layer frozen,
                    # an activation swapped): the rest of the epoch goes on without it
                    raise PlanChanged(done, perm, self._sums_of(totals, py))
        return self._logs(totals, py=py)

    def _sums_of(self, totals, py=None):
        """(samples, loss * samples, [(total, count) per compiled metric]) of these
        engine statistics (and py, the sums of the metrics computed in Python), as the
        layer path's loop keeps them."""
        self._logs(totals, py=py)     # the fed metrics now hold their sums
        mine = dict(zip(map(id, self.py_metrics), py or ()))
        metric_sums = [mine[id(m)] if id(m) in mine else
                       (getattr(m, "total", 0.0), getattr(m, "count", 0.0))
                       for m in self.model._metrics or []]
        return int(totals[_STAT_N]), float(totals[_STAT_LOSS]), metric_sums

    # ------------------------------------------- metrics computed from the outputs
    def _py_start(self, reset):
        """The running sums of the metrics the engine does not sum (None when there are
        none): [total, count] for each, None for one that keeps its own state; with
        reset, the compiled metrics start afresh first, as the layer path's loops start."""
        if not self.py_metrics:
            return None
        from fastnn.trainers.trainer import _stateful
        if reset:
            self.model._reset_stateful_metrics()
        return [None if _stateful(m) else [0.0, 0.0] for m in self.py_metrics]

    def _out_rows(self, batch):
        """Rows of outputs one C call writes: whole batches within _OUTPUT_BUDGET (one
        batch at least)."""
        per_batch = batch * self.n_out * self.dtype.itemsize
        return max(1, _OUTPUT_BUDGET // max(1, per_batch)) * batch

    def _py_batch(self, py, y_pred, yb, swb):
        """One batch's outputs into the metrics computed in Python: the calls the layer
        path's step makes (Trainer._step_sums), their sums added to py in step order."""
        from fastnn.tensor import as_tensor
        p = as_tensor(y_pred)
        if self.outputs:      # each output's columns (the targets split by the model)
            p = [as_tensor(a) for a in self._split_outputs(y_pred)]
        sums = self.model._step_sums(p, yb, p, 0.0, [None], swb, only=self.py_metrics)[2]
        for acc, tc in zip(py, sums):
            if tc is not None:
                acc[0] += tc[0]
                acc[1] += tc[1]

    def _py_steps(self, py, y_pred, y, sw, perm, first, got, batch):
        """_py_batch for the steps first .. first + got - 1 of an epoch over the rows
        perm, whose outputs train_steps wrote to y_pred (step j's at row j * batch)."""
        n = perm.shape[0]
        for j in range(got):
            lo = (first + j) * batch
            rows = perm[lo:min(n, lo + batch)]
            self._py_batch(py, y_pred[j * batch:j * batch + rows.shape[0]], y[rows],
                           None if sw is None else sw[rows])

    def fit_epochs(self, x, y, sw, batch_size, shuffle, epochs, callbacks, val=None,
                   val_batch_size=None, val_epoch=None):
        """The epochs in range `epochs` when nothing runs between them but History: many
        epochs per C call (the same orders as epoch by epoch), then each epoch's
        begin/end hooks in order. With val = (x, y, sw), the epochs where val_epoch(epoch)
        is true end with evaluate() on it, in the same call. Same numbers as fit_epoch and
        evaluate, epoch by epoch. Interrupted, the History holds the epochs that ended.
        Not for a plan with py_metrics (these calls write no outputs): the trainer runs
        such a model epoch by epoch."""
        assert not self.py_metrics
        n = x.shape[0]
        x2, y2 = self.x2d(x), self.y2d(y)
        batch_size = _rows_per_batch(batch_size, n)
        steps = math.ceil(n / batch_size)
        per_call = max(1, _EPOCH_INDEX_BUDGET // n)
        logs = {}
        # a range: the chunks are slices of it (no list of every epoch)
        vargs = {}
        if val is not None:
            val_batch_size = _rows_per_batch(val_batch_size, val[0].shape[0])
            vargs = dict(vws=self.take_workspace(val_batch_size), vbatch=val_batch_size,
                         VX=self.x2d(val[0]), VY=self.y2d(val[1]), VSW=self.sw1d(val[2]))
        ws = self.take_workspace(batch_size)
        try:
            for c in range(0, len(epochs), per_call):
                chunk = epochs[c:c + per_call]
                perms = utils._epoch_orders(len(chunk), n, shuffle)
                stats = np.zeros((len(chunk) * steps, self.net.stats_width))
                if val is not None:
                    vargs["vflags"] = np.array([bool(val_epoch(e)) for e in chunk], np.uint8)
                    vargs["vstats"] = np.zeros((len(chunk), self.net.stats_width))
                it0 = self.opt._iterations
                lrs = self._lrs(len(chunk) * steps)
                start = 0
                while start < len(chunk) * steps:
                    with _interrupt.Section() as sec:
                        rc, got = self.net.train_epochs(ws, batch_size, x2, y2, self.sw1d(sw),
                                                        perms, it0, lrs, stats, start=start,
                                                        sig0=sec.sig0, **vargs)
                        self.opt._iterations += got
                        e0, start = start // steps, start + got
                        if start // steps > e0:
                            logs = self._end_epochs(callbacks, chunk, e0, start // steps,
                                                    stats, steps, vargs.get("vflags"),
                                                    vargs.get("vstats"))
                        self._check_refused(rc, lrs, start)
        finally:
            self.give_workspace(batch_size, ws)
            if val is not None:
                self.give_workspace(val_batch_size, vargs["vws"])
        return logs

    def _end_epochs(self, callbacks, chunk, e0, e1, stats, steps, vflags, vstats):
        """Epoch-end bookkeeping for the epochs chunk[e0:e1], whose steps (and
        validation) ran: their logs, in order, to the callbacks. Returns the last logs."""
        if steps == 1:      # each epoch's one row is its sums
            totals = stats[e0:e1]
        else:               # row by row in step order, as fit_epoch adds them: the same sums
            totals = stats[e0 * steps:e1 * steps].reshape(e1 - e0, steps, -1).sum(axis=1)
        want_begin = callbacks.wants("on_epoch_begin")
        if vflags is None and not want_begin:
            return self._record_epochs(callbacks.history, chunk[e0:e1], totals)
        logs = {}
        for i, total in enumerate(totals):
            epoch = chunk[e0 + i]
            if want_begin:
                callbacks.on_epoch_begin(epoch)
            logs = self._logs(total)
            if vflags is not None and vflags[e0 + i]:
                logs = with_val_logs(logs, self._evaluated_logs(vstats[e0 + i]))
            callbacks.on_epoch_end(epoch, logs)
        return logs

    def _record_epochs(self, history, epochs, totals):
        """History.on_epoch_end for many epochs at once (fit_epochs' only callback), column
        by column: the floats _logs gives epoch by epoch, without a dict and a callback
        call per epoch (a tenth of the digit network's 5 ms fit). Returns the last epoch's logs."""
        if len(totals) == 1:        # fit(epochs=1): History.on_epoch_end's record of the logs
            logs = self._logs(totals[0])
            history.epoch.extend(epochs)
            for k, v in logs.items():
                history.history.setdefault(k, []).append(v)
            self.model.history = history
            return logs
        if len(totals) <= _FEW_EPOCHS:     # in Python: no NumPy call per column
            rows = totals.tolist()
            cols = {"loss": [r[_STAT_LOSS] / r[_STAT_N] for r in rows]}
            for m, stat in self.feeds:     # every fused metric is total / count
                cols[m.name] = [r[stat] / r[_STAT_N] for r in rows]
        else:
            n = totals[:, _STAT_N]
            cols = {"loss": (totals[:, _STAT_LOSS] / n).tolist()}
            for m, stat in self.feeds:
                cols[m.name] = (totals[:, stat] / n).tolist()
        history.epoch.extend(epochs)
        for k in sorted(cols):
            history.history.setdefault(k, []).extend(cols[k])
        self.model.history = history
        return self._logs(totals[-1])

    def _logs(self, totals, prefix="", py=None):
        """The logs of these sums (and py, the sums of the metrics computed in Python);
        the compiled metrics are left holding them (as after Keras' loops), under the
        model's lock so that concurrent calls each read their own."""
        sums = totals.tolist()          # floats: no NumPy scalar per read below
        count = sums[_STAT_N]
        logs = {prefix + "loss": sums[_STAT_LOSS] / count if count else 0.0}
        fed = {}     # a fused metric's result() is total / count: no need to read it back
        with self.model._state_lock:
            tracker = self.model.__dict__.get("_loss_tracker")    # model.metrics' "loss"
            if tracker is not None:
                tracker.total, tracker.count = sums[_STAT_LOSS], count
            for m, stat in self.feeds:
                m.total, m.count = sums[stat], count
                fed[id(m)] = sums[stat] / count if count else 0.0
            for m, tc in zip(self.py_metrics, py or ()):
                if tc is not None:    # as the layer path: on what reset_state left
                    b = getattr(m, "_fastnn_base", None)
                    m.total, m.count = (tc[0], tc[1]) if b is None else \
                        (b[0] + tc[0], b[1] + tc[1])
            for m in self.model._metrics or []:
                v = fed.get(id(m))
                logs[prefix + m.name] = metrics_mod._log_value(m.result()) if v is None else v
        return dict(sorted(logs.items()))

    # ---------------------------------------------------------------- one batch
    def train_batch(self, x, y, sw):
        """One step on the whole batch, as Sequential._train_step: returns (samples,
        loss sum, [(metric total, count) per metric])."""
        assert self.can_train
        n = x.shape[0]
        stats = np.zeros((1, self.net.stats_width))
        perm = np.arange(n, dtype=np.int64)
        py = self._py_start(reset=False)     # the caller resets the metrics
        y_pred = None if py is None else np.empty((n, self.n_out), self.dtype)
        ws = self.take_workspace(n)
        try:
            got = 0
            while not got:     # 0: a SIGINT came first, and its handler did not raise
                with _interrupt.Section() as sec:
                    lrs = self._lrs(1)
                    rc, got = self.net.train_steps(ws, n, self.x2d(x), self.y2d(y),
                                                   self.sw1d(sw), perm, 0, 1,
                                                   self.opt._iterations, lrs, stats,
                                                   sec.sig0, y_pred=y_pred)
                    self.opt._iterations += got
                    self._check_refused(rc, lrs, got)
                    if got and py is not None:
                        self._py_batch(py, y_pred, y, sw)
        finally:
            self.give_workspace(n, ws)
        return self._batch_sums(stats[0], py)

    def _run_evaluate(self, x, y, sw, batch):
        stats = np.zeros(self.net.stats_width)
        ws = self.take_workspace(batch)
        try:
            while True:       # again when a SIGINT's handler did not raise
                with _interrupt.Section(defer=False) as sec:
                    if self.net.evaluate(ws, batch, self.x2d(x), self.y2d(y), self.sw1d(sw), stats,
                                         sec.sig0):
                        return stats
        finally:
            self.give_workspace(batch, ws)

    def _run_evaluate_py(self, x, y, sw, batch, py):
        """_run_evaluate for a model with metrics computed in Python: the C calls write
        the outputs too (a bounded number of rows at a time, whole batches, the sums
        carried from call to call), and each batch's go to the metrics in order."""
        n = x.shape[0]
        stats = np.zeros(self.net.stats_width)
        x2, y2 = self.x2d(x), self.y2d(y)
        step = self._out_rows(batch)
        ws = self.take_workspace(batch)
        try:
            for r0 in range(0, n, step):
                r1 = min(n, r0 + step)
                y_pred = np.empty((r1 - r0, self.n_out), self.dtype)
                before = stats.copy()
                while True:       # again when a SIGINT's handler did not raise
                    with _interrupt.Section(defer=False) as sec:
                        if self.net.evaluate_out(ws, batch, x2[r0:r1], y2[r0:r1],
                                                 None if sw is None else self.sw1d(sw[r0:r1]), stats,
                                                 y_pred, sec.sig0):
                            break
                    stats[:] = before
                for b0 in range(r0, r1, batch):
                    b1 = min(r1, b0 + batch)
                    self._py_batch(py, y_pred[b0 - r0:b1 - r0], y[b0:b1],
                                   None if sw is None else sw[b0:b1])
        finally:
            self.give_workspace(batch, ws)
        return stats

    def test_batch(self, x, y, sw):
        """The batch's sums in inference mode, as Sequential._test_step."""
        py = self._py_start(reset=False)     # the caller resets the metrics
        if py is not None:
            return self._batch_sums(self._run_evaluate_py(x, y, sw, x.shape[0], py), py)
        return self._batch_sums(self._run_evaluate(x, y, sw, x.shape[0]))

    def _batch_sums(self, stats, py=None):
        """(samples, loss * samples, an entry per compiled metric): (total, count) of the
        engine's statistics for the metrics it sums, py's for the others (None for one
        that keeps its own state), as the layer path's step returns them."""
        n = float(stats[_STAT_N])
        if not self.py_metrics:
            return n, float(stats[_STAT_LOSS]), [(float(stats[stat]), n) for _, stat in self.feeds]
        fed = {id(m): stat for m, stat in self.feeds}
        mine = dict(zip(map(id, self.py_metrics), py))
        sums = [(float(stats[fed[id(m)]]), n) if id(m) in fed else
                (None if mine[id(m)] is None else tuple(mine[id(m)]))
                for m in self.model._metrics or []]
        return n, float(stats[_STAT_LOSS]), sums

    # ---------------------------------------------------------------- inference
    def evaluate(self, x, y, sw, batch_size):
        batch = _rows_per_batch(batch_size, x.shape[0])
        py = self._py_start(reset=True)
        if py is not None:
            return self._logs(self._run_evaluate_py(x, y, sw, batch, py), py=py)
        stats = self._run_evaluate(x, y, sw, batch)
        return self._evaluated_logs(stats)

    def _evaluated_logs(self, stats):
        return self._logs(stats)

    def predict(self, x, batch_size):
        """The model's outputs for x: an array, or for several outputs the model's
        structure of them (the engine writes them side by side)."""
        out = self._predict_joined(x, batch_size)
        if not self.outputs:
            return out
        graph = self.model._graph_model()
        each = dict(zip(map(id, graph.outputs), self._split_outputs(out)))
        from fastnn.layers.symbolic import tree_map
        return tree_map(lambda t: each[id(t)], graph._outputs_struct)

    def _split_outputs(self, out):
        """Several outputs side by side (the engine's rows) as an array each, in the
        order of the model's flattened outputs."""
        cuts = np.cumsum([0] + [self.specs[o["layer"]]["out"] for o in self.outputs])
        return [np.ascontiguousarray(out[:, a:b]) for a, b in zip(cuts[:-1], cuts[1:])]

    def _predict_joined(self, x, batch_size):
        x2 = self.x2d(x)
        out = np.empty((x2.shape[0], self.n_out), self.dtype)
        # Rows are independent: blocks of at least _INFER_ROWS amortise packing the
        # weights in every GEMM (batch_size only bounds memory, as in Keras).
        rows = _rows_per_batch(max(batch_size, _INFER_ROWS), x2.shape[0])
        ws = self.take_workspace(rows)
        try:
            while True:       # again when a SIGINT's handler did not raise
                with _interrupt.Section(defer=False) as sec:
                    if self.net.forward(ws, rows, x2, out, sec.sig0):
                        return out
        finally:
            self.give_workspace(rows, ws)


class PlanChanged(Exception):
    """Raised by FusedPlan.fit_epoch when a batch callback changed what the plan was
    built on: `done` steps of the epoch ran on the plan, over the rows `perm`, with these
    `sums`; the trainer runs the rest of the epoch another way."""

    def __init__(self, done, perm, sums):
        super().__init__("the engine's plan changed during an epoch")
        self.done, self.perm, self.sums = done, perm, sums


def custom_plan_for(model, x):
    """The FusedPlan that trains a model whose loss is Python code (custom_step), when
    everything else lowers onto the engine; None otherwise (the layer path)."""
    from fastnn.trainers import compile_utils
    if not ENABLED or not model.compiled or not model.built or not model.trainable \
            or model._flat_chain() is None or model.loss is None or model.optimizer is None \
            or compile_utils.is_builtin(model.loss) or x.ndim < 2 or model._n_outputs() > 1:
        return None
    return _cached_plan(model, x, True, custom=True)


def _rows_per_batch(batch_size, n):
    """A batch larger than the data is all of it, as in Keras: the workspace is sized to
    the rows there are (batch_size=10**9 on 100 rows must not ask for gigabytes)."""
    return max(1, min(batch_size, n))


def with_val_logs(logs, val_logs):
    """An epoch's logs with its validation's added as val_*, keys sorted (as fit reports
    them on either path)."""
    merged = dict(logs, **{"val_" + k: v for k, v in val_logs.items()})
    return dict(sorted(merged.items()))


def plan_for(model, x, training=False):
    """The model's FusedPlan for inputs like x (cached while valid), or None for the
    layer-by-layer path. training=True builds the optimizer's slots if needed."""
    if not ENABLED or not model.compiled or not model.built:
        return None
    why = "the model is not trainable" if training and not model.trainable else \
        NOT_A_CHAIN if model._flat_chain() is None else \
        "compiled without an optimizer" if model.optimizer is None else None
    if why is not None:       # the layer path, and why (model._engine.why)
        model._engine.why = why
        return None
    return _cached_plan(model, x, training, custom=False)


NOT_A_CHAIN = ("its layers are not a graph the engine runs: layers each called once, "
                "in a chain with residual Adds, Concatenates and branches of Dense layers, "
                "on inputs of one axis (a subclassed model's call() traced to such a "
                "graph of its own layers, the same in training and inference)")


def _cached_plan(model, x, training, custom):
    """plan_for / custom_plan_for's cache on model._engine (plan and no_key, or
    custom_plan and custom_no_key): the plan kept while the model is as it was built
    for, None where the model is known not to lower (until something changes)."""
    state = model._engine
    slot, no_slot = ("custom_plan", "custom_no_key") if custom else ("plan", "no_key")
    plan = getattr(state, slot)
    settings = training or custom
    # The count of changes to layers, weights and optimizers, read before the model is:
    # a plan checked at this count, on the same chain of layers, needs no new check
    # (its key would come out the same).
    seen = _changes.now()
    chain_ids = tuple(map(id, model._flat_chain() or ()))
    # A plan whose arrays were swapped or reshaped since is built again (and the layers'
    # arrays checked against their shapes then), whatever its key.
    stale = plan is None or (training and not plan.can_train) or not plan.net.arrays_intact()
    if stale or plan.checked != (seen, chain_ids) or (settings and not plan.checked_settings):
        # Inference (predict, evaluate, model(x)) runs no optimizer step: its key leaves
        # the optimizer's settings out, and fit's (training=True) puts them in.
        key = FusedPlan._key(model, optimizer=settings)
        if plan is None and _same_key(getattr(state, no_slot), key):
            return None                       # known unsupported, nothing changed since
        try:
            if stale or not _same_key(plan.key, key):
                plan = FusedPlan(model, training, custom=custom)
        except Unsupported as why:
            setattr(state, no_slot, key)
            setattr(state, slot, None)
            if not custom:
                state.why = str(why)
            return None
        plan.checked, plan.checked_settings = (seen, chain_ids), settings
    if plan._streams and plan.draws != tuple(model.__dict__.get("_dropout_draws", ())):
        plan.sync_streams(training or custom)      # a training call drew new seeds
    setattr(state, slot, plan)
    if not custom:
        state.why = None
    if x.ndim != 2 and not (plan.flatten_first and x.ndim > 2):
        return None
    return plan


def _same_key(known, key):
    """Whether `known` (a key kept: a plan's, or one that did not lower) matches `key`,
    a key just computed: the same net part, and the same optimizer settings unless `key`
    leaves them out (None: an inference call's). A key kept without settings never
    matches one with them."""
    if known is None or known[0] != key[0]:
        return False
    return key[1] is None or known[1] == key[1]


def user_batch_hooks(callbacks, mode="train"):
    """True when a callback other than the progress bar hooks the batches of `mode`
    ("train", "test" or "predict")."""
    from fastnn.callbacks.base import _overrides
    return any(not isinstance(cb, ProgbarLogger) and
               (_overrides(cb, f"on_{mode}_batch_end") or _overrides(cb, f"on_{mode}_batch_begin"))
               for cb in callbacks)
