"""The one table of kernel codes: names the Python layers use -> the C enums in
csrc/activations.h and csrc/losses.h. Order must match the C enums."""

# name -> (C code, default parameter). The parameter is leaky_relu's slope (the
# keras.activations.leaky_relu default is 0.2) and elu's alpha.
ACTIVATIONS = {
    "linear": (0, 0.0),
    "relu": (1, 0.0),
    "sigmoid": (2, 0.0),
    "tanh": (3, 0.0),
    "leaky_relu": (4, 0.2),
    "elu": (5, 1.0),
    "selu": (6, 0.0),
    "softplus": (7, 0.0),
    "softsign": (8, 0.0),
    "silu": (9, 0.0),
    "gelu": (10, 0.0),
    "gelu_tanh": (11, 0.0),       # gelu(approximate=True)
    "hard_sigmoid": (12, 0.0),
    "exponential": (13, 0.0),
    "softmax": (14, 0.0),
    "log_softmax": (15, 0.0),
}
ACTIVATION_ALIASES = {"swish": "silu", None: "linear"}

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
