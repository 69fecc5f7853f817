"""Dtype policies and mixed precision (keras.mixed_precision, keras.dtype_policies).

A dtype policy names the dtype a layer keeps its weights in (`variable_dtype`) and the
dtype it computes in (`compute_dtype`). Every layer has one: the one given as its
`dtype` argument, else the global policy (`set_global_policy`, alias
`keras.config.set_dtype_policy`), which follows `keras.backend.floatx()` until set.

Policies fastnn runs:

- ``"float32"`` and ``"float64"``: weights and computation in that dtype;
- ``"mixed_bfloat16"``: weights, optimizer state, gradients and the loss in float32,
  the matrix products in bfloat16: the inputs and weights a Dense layer multiplies
  (and, in its backward pass, the gradients it multiplies) are rounded to the nearest
  bfloat16 value (ties to even; NaN stays NaN), and the products are summed in
  float32. NumPy has no bfloat16 array type, so these values are kept in float32
  arrays that hold bfloat16 values exactly; a layer's outputs are float32 arrays
  (Keras' are bfloat16 tensors). Dense stacks under this policy train on the C engine
  as float32 ones do. Their products run on AMX tiles where the CPU has AMX-BF16, on
  the AVX512_BF16 dot-product instruction on AMD CPUs that have it (about 0.6-0.7x the
  float32 time for a 784-512-256-10 epoch with either); elsewhere on the float32 GEMM
  applied to the rounded values, which is correct but slower than float32 (1.3-2x its
  time where measured). ``fastnn.build_info()["bf16_gemm"]`` says which path this CPU
  takes; the paths agree within float32 rounding.

Refused, with the reason: ``"bfloat16"`` (bfloat16 weights: NumPy has no bfloat16 array
type to hold them), ``"float16"`` and ``"mixed_float16"`` (fastnn has no float16
kernels), and the quantization policies (``"int8_from_float32"``, ...).

Example::

    from fastnn import keras
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    layer = keras.layers.Dense(10)
    layer.compute_dtype, layer.variable_dtype      # ('bfloat16', 'float32')
    keras.mixed_precision.set_global_policy("float32")
"""
import numpy as np

from fastnn import _argcheck
from fastnn import _kernels
from fastnn import backend as _backend

__all__ = ["DTypePolicy", "FloatDTypePolicy", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy", "get", "serialize", "deserialize",
           "round_bfloat16", "matmul", "LossScaleOptimizer"]


def __getattr__(name):
    # keras.mixed_precision.LossScaleOptimizer is keras.optimizers.LossScaleOptimizer
    if name == "LossScaleOptimizer":
        from fastnn.optimizers import LossScaleOptimizer
        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# name -> (compute dtype, variable dtype)
_POLICIES = {"float32": ("float32", "float32"), "float64": ("float64", "float64"),
             "mixed_bfloat16": ("bfloat16", "float32")}
# Names Keras accepts that fastnn cannot run, and why.
_REFUSED = {
    "bfloat16": "bfloat16 weights need a bfloat16 array type, which NumPy does not have; "
                "use 'mixed_bfloat16' (float32 weights, bfloat16 matrix products)",
    "float16": "fastnn has no float16 kernels; use 'float32' or 'mixed_bfloat16'",
    "half": "fastnn has no float16 kernels; use 'float32' or 'mixed_bfloat16'",
    "mixed_float16": "fastnn has no float16 kernels; use 'mixed_bfloat16' instead (same "
                     "float32 weights, bfloat16 matrix products, no loss scaling needed)",
}
_QUANTIZATION_MODES = ("int8", "float8", "int4", "ternary", "gptq", "awq")
_VALID = "'float32', 'float64' or 'mixed_bfloat16'"

_GLOBAL = [None]     # the policy set_dtype_policy set; None: follow floatx()


def _parse(name):
    """(compute dtype, variable dtype) of a policy name, or the error saying why not."""
    if not isinstance(name, str):
        raise TypeError(f"DTypePolicy: name must be a string such as 'mixed_bfloat16', got "
                        f"{type(name).__name__} {_argcheck.shown(name)}")
    if name in _POLICIES:
        return _POLICIES[name]
    if name in _REFUSED:
        raise ValueError(f"DTypePolicy: the policy {name!r} is not supported by fastnn: "
                         f"{_REFUSED[name]}")
    if name.startswith(_QUANTIZATION_MODES):
        raise ValueError(f"DTypePolicy: quantized policies such as {name!r} are not "
                         f"supported by fastnn; use {_VALID}")
    raise ValueError(f"DTypePolicy: name must be {_VALID}, got {name!r}")


class DTypePolicy:
    """A layer's dtype policy: the dtype of its weights and the dtype it computes in.

    Parameters
    ----------
    name : str, optional
        ``"float32"``, ``"float64"`` or ``"mixed_bfloat16"`` (compute dtype bfloat16,
        variable dtype float32). None: the global policy's name.

    Raises
    ------
    TypeError
        If `name` is not a string.
    ValueError
        If `name` is not a policy fastnn runs (the message says why).
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        self._compute_dtype, self._variable_dtype = _parse(name)
        self._name = name

    @property
    def name(self):
        """The policy's name."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype the layer computes in ('bfloat16' under mixed_bfloat16: fastnn keeps
        such values in float32 arrays)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: fastnn has no quantized policies."""
        return None

    def get_config(self):
        """The policy's configuration.

        Returns
        -------
        dict
            ``{"name": the policy's name}``.
        """
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        """The policy a configuration describes.

        Parameters
        ----------
        config : dict
            What get_config returns, ``{"name": ...}``.

        Returns
        -------
        DTypePolicy
        """
        if not isinstance(config, dict):
            raise TypeError(f"DTypePolicy.from_config: config must be a dict such as "
                            f"{{'name': 'float32'}}, got {type(config).__name__}")
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and self._name == other._name

    def __hash__(self):
        return hash(("DTypePolicy", self._name))

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """keras.FloatDTypePolicy: another name of DTypePolicy."""


Policy = DTypePolicy


def set_dtype_policy(policy):
    """Set the global dtype policy: the policy of layers made from now on without a
    `dtype` argument.

    Parameters
    ----------
    policy : str or DTypePolicy
        ``"float32"``, ``"float64"``, ``"mixed_bfloat16"`` or a DTypePolicy.

    Raises
    ------
    ValueError
        If `policy` is neither a policy name nor a DTypePolicy, or names a policy fastnn
        does not run.
    """
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError(f"set_dtype_policy: policy must be a policy name such as "
                         f"'mixed_bfloat16' or a DTypePolicy, got {type(policy).__name__} "
                         f"{_argcheck.shown(policy)}")
    _GLOBAL[0] = policy


set_global_policy = set_dtype_policy


def dtype_policy():
    """The global dtype policy: the one set_dtype_policy set, else the policy named by
    keras.backend.floatx().

    Returns
    -------
    DTypePolicy
    """
    policy = _GLOBAL[0]
    if policy is not None:
        return policy
    floatx = _backend.floatx()
    policy = _FLOATX_POLICIES.get(floatx)     # (read-only objects: one per floatx)
    if policy is None:
        policy = _FLOATX_POLICIES[floatx] = DTypePolicy(floatx)
    return policy


_FLOATX_POLICIES = {}


global_policy = dtype_policy


def get(identifier):
    """A DTypePolicy from what a layer's `dtype` argument may hold.

    Parameters
    ----------
    identifier : None, str, dict, numpy dtype or DTypePolicy
        None: the global policy; a policy name; a serialized policy
        (``{"class_name": "DTypePolicy", "config": {"name": ...}}``, as Keras writes it);
        a float dtype (np.float32, np.dtype("float64")); a DTypePolicy (returned as is).

    Returns
    -------
    DTypePolicy

    Raises
    ------
    ValueError, TypeError
        If `identifier` is none of these, or names a policy fastnn does not run.
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        name = np.dtype(identifier).name if isinstance(identifier, (type, np.dtype)) else None
    except TypeError:
        name = None
    if name is None:
        raise ValueError(f"dtype must be a policy name such as 'float32' or "
                         f"'mixed_bfloat16', a DTypePolicy or a float dtype, got "
                         f"{type(identifier).__name__} {_argcheck.shown(identifier)}")
    return DTypePolicy(name)


def serialize(policy):
    """A policy as Keras 3 serializes it.

    Parameters
    ----------
    policy : DTypePolicy

    Returns
    -------
    dict
        ``{"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...},
        "registered_name": None}``.
    """
    if not isinstance(policy, DTypePolicy):
        raise TypeError(f"serialize: policy must be a DTypePolicy, got "
                        f"{type(policy).__name__} {_argcheck.shown(policy)}")
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """The DTypePolicy a serialized policy describes.

    Parameters
    ----------
    config : dict
        ``{"class_name": "DTypePolicy" (or "FloatDTypePolicy"), "config": {"name": ...}}``,
        with an optional ``"module"`` (Keras': ``"keras"``, ``"keras.dtype_policies"``,
        ...) and ``"registered_name"``.
    custom_objects : dict, optional
        Accepted for Keras' signature; fastnn has no custom policies.

    Returns
    -------
    DTypePolicy
    """
    if not isinstance(config, dict):
        raise TypeError(f"deserialize: config must be a dict, got {type(config).__name__} "
                        f"{_argcheck.shown(config)}")
    cls = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}.get(
        config.get("class_name"))
    inner = config.get("config")
    if cls is None or not isinstance(inner, dict) or set(inner) != {"name"}:
        raise ValueError(f"a serialized dtype policy must be {{'class_name': 'DTypePolicy', "
                         f"'config': {{'name': ...}}}}, got {config!r:.120}")
    module = config.get("module")
    if module is not None and not (isinstance(module, str) and module.startswith("keras")):
        raise ValueError(f"a serialized dtype policy comes from Keras' module 'keras', got "
                         f"module {module!r:.80}")
    return cls(inner["name"])


def round_bfloat16(x):
    """x rounded to the nearest bfloat16 values, as a float32 array.

    What the mixed_bfloat16 policy does to a matrix product's inputs: each value is
    rounded to 8 significant bits (ties to even), NaN stays NaN, values beyond the
    largest bfloat16 become infinite; the result is exact in float32.

    Parameters
    ----------
    x : array_like
        Real numbers (converted to float32 first).

    Returns
    -------
    numpy.ndarray
        float32, of x's shape.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"round_bfloat16: x must hold real numbers, got dtype {a.dtype}")
    return _round(np.asarray(a, dtype=np.float32))


def _round(a):
    """A float32 array's values rounded to bfloat16, in a new C-contiguous float32 array
    (the layers' helper: no checks beyond the kernel binding's)."""
    src = np.asarray(a.view(np.ndarray) if isinstance(a, np.ndarray) else a,
                     dtype=np.float32, order="C")
    out = np.empty(src.shape, np.float32)
    _kernels.round_bf16(src.reshape(-1), out.reshape(-1))
    return out


def matmul(a, b):
    """a @ b with bfloat16 operands: what a Dense layer under mixed_bfloat16 multiplies.

    Both operands are rounded to the nearest bfloat16 (as round_bfloat16) and the
    products summed in float32: on CPUs with AMX-BF16 by its tile instruction
    (TDPBF16PS), optionally on CPUs with AVX512_BF16 by its dot-product instruction
    (vdpbf16ps; both read denormal operands as zero and flush denormal sums to zero),
    elsewhere by the float32 GEMM on the rounded operands (fastnn.build_info()
    'bf16_gemm' says which). The paths agree within float32 rounding, not bit for bit;
    each gives the same bits at every thread count.

    Parameters
    ----------
    a : array_like, shape (M, K)
    b : array_like, shape (K, N)
        Real numbers (converted to float32 first).

    Returns
    -------
    numpy.ndarray
        float32, shape (M, N).
    """
    arrs = []
    for name, x in (("a", a), ("b", b)):
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"matmul: {name} must hold real numbers, got dtype {x.dtype}")
        if x.ndim != 2:
            raise ValueError(f"matmul: {name} must be a matrix (2-D), got shape {x.shape}")
        arrs.append(np.ascontiguousarray(x, dtype=np.float32))
    a, b = arrs
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: b must have {a.shape[1]} rows to match a's columns "
                         f"(a.shape={a.shape}), got b.shape={b.shape}")
    c = np.empty((a.shape[0], b.shape[1]), np.float32)
    _kernels.gemm_bf16(False, False, a, b, c)
    return c


def _dense_forward(x, kernel, bias, act, param, z, a):
    """The C dense_forward's contract (x: M x K, kernel: K x N, float32, C-contiguous;
    z may be a; bias may be None) with the product on bfloat16 operands: z = x @ kernel
    + bias, a = activation(z). The C engine runs the same kernel (bitwise the same)."""
    _kernels.dense_forward_bf16(x, kernel, bias, act, param, z, a)


def _dense_backward(x, kernel, gz, dk, db, dx):
    """The C dense_backward's contract (dk = x^T gz, db = column sums of gz or None,
    dx = gz kernel^T or None) with bfloat16 operands: gz is rounded too (where the kernel
    reads it; gz is not written), and db sums the rounded gz (the gradient that reaches
    a bfloat16 product)."""
    _kernels.dense_backward_bf16(x, kernel, np.ascontiguousarray(gz, np.float32), dk, db, dx)


def is_mixed(policy):
    """Whether `policy` computes in another dtype than it keeps its weights in."""
    return policy.compute_dtype != policy.variable_dtype


def _layer_policy(dtype, owner):
    """A layer's `dtype` argument as a DTypePolicy (None: the global policy), the error
    naming the layer's class."""
    try:
        return get(dtype)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{owner}: dtype: {e}") from None
