"""The one table of kernel codes: names the Python layers use -> the C enums in
csrc/activations.h and csrc/losses.h. The activation codes are read from the compiled
extension (fastnn._kernels.ACT_CODES, csrc/activations.h), and so are the loss codes
(fastnn._kernels.LOSS_CODES, csrc/losses.h)."""
import math

from fastnn import _kernels

# name -> default parameter(s) of the activation's C kernel (csrc/activations.h): one
# number (its first parameter) or a tuple of up to _kernels.ACT_NPARAM. leaky_relu: the
# slope (keras.activations.leaky_relu's default 0.2); elu, celu: alpha; squareplus: b;
# soft_shrink, hard_shrink: the threshold; threshold: (threshold, default_value), which
# Keras requires (fastnn.kernel_ops asks for them too); relu_general, Keras' relu with
# options: (negative_slope, max_value (NaN: none), threshold).
_ACT_DEFAULTS = {
    "linear": 0.0,
    "relu": 0.0,
    "sigmoid": 0.0,
    "tanh": 0.0,
    "leaky_relu": 0.2,
    "elu": 1.0,
    "selu": 0.0,
    "softplus": 0.0,
    "softsign": 0.0,
    "silu": 0.0,
    "gelu": 0.0,
    "gelu_tanh": 0.0,       # gelu(approximate=True)
    "hard_sigmoid": 0.0,
    "exponential": 0.0,
    "softmax": 0.0,
    "log_softmax": 0.0,
    "relu6": 0.0,
    "hard_silu": 0.0,
    "mish": 0.0,
    "celu": 1.0,
    "log_sigmoid": 0.0,
    "sparse_plus": 0.0,
    "sparse_sigmoid": 0.0,
    "squareplus": 4.0,
    "soft_shrink": 0.5,
    "hard_shrink": 0.5,
    "tanh_shrink": 0.0,
    "hard_tanh": 0.0,
    "threshold": (0.0, 0.0),
    "relu_general": (0.0, math.nan, 0.0),
}
if set(_ACT_DEFAULTS) != set(_kernels.ACT_CODES):   # a stale build of the extension
    raise ImportError(
        f"fastnn._kernels names the activation codes {sorted(_kernels.ACT_CODES)}, "
        f"fastnn._codes {sorted(_ACT_DEFAULTS)}: rebuild the extension "
        f"(python setup.py build_ext --inplace)")
# name -> (C code, default parameter(s)), in the order of the C codes.
ACTIVATIONS = {name: (code, _ACT_DEFAULTS[name])
               for name, code in sorted(_kernels.ACT_CODES.items(), key=lambda kv: kv[1])}
ACTIVATION_ALIASES = {"swish": "silu", "hard_swish": "hard_silu", None: "linear"}

# LOSSES: the C loss codes (csrc/losses.h), name -> code, read from the extension
# (_kernels.LOSS_CODES); a "_logits" name is the loss on logits (its last activation
# folded in). Made on first use (PEP 562): the extension imports this module while it
# initialises, before its table exists.
def __getattr__(name):
    if name == "LOSSES":
        from fastnn import _kernels
        table = globals()["LOSSES"] = dict(_kernels.LOSS_CODES)
        return table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
