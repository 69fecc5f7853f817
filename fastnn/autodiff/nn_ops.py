"""keras.ops' neural-network functions (keras/src/ops/nn.py): activations and the
cross-entropies, on fastnn's C kernels.

The forward runs the C kernel (csrc/activations.h, csrc/losses.h) and so does the
first-order backward (its matching backward kernel). When a tape is recording during
the backward pass (a nested tape asking for second derivatives), the VJP is taken
instead through the op's NumPy formula (`_composite`), differentiated under a tape so
that the outer tape records it. The formulas are Keras 3's; they are also what the
tests compare the kernels with.
"""
import math
import numbers
import warnings

import numpy as np

from fastnn import _argcheck, _kernels
from fastnn._codes import ACTIVATIONS, LOSSES
from fastnn.tensor import Tensor
from fastnn.autodiff import primitives as P
from fastnn.autodiff.core_ops import FLOATX, convert_to_tensor, standardize_dtype
from fastnn.autodiff.registry import register
from fastnn.autodiff.tape import GradientTape, _raw, _record, _state, _wrap, should_record

EPSILON = 1e-7                     # keras.backend.epsilon()
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_F = (np.dtype(np.float32), np.dtype(np.float64))


def _float(x):
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if x.dtype in _F:
        return x
    return P.cast(x, FLOATX if x.dtype.kind != "f" or x.dtype.itemsize < 8 else np.float64)


def _nested_vjp(composite, inputs, gs, **params):
    """The VJP of `composite(*inputs, **params)` taken under a tape, so that a tape
    recording now (the outer one of nested tapes) records it: second derivatives."""
    ins = [x if isinstance(x, Tensor) else _wrap(np.asarray(x)) for x in inputs]
    with GradientTape() as t:
        t.watch([x for x in ins if x.dtype.kind == "f"])
        y = composite(*ins, **params)
    return t.gradient(y, ins, output_gradients=gs)


def _check_axis(axis, ndim, owner):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{owner}: axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{owner}: axis {axis} is out of bounds for an array with "
                         f"dimension {ndim}: axis must be in [{-ndim}, {ndim}) for a "
                         f"{ndim}-D input, got {axis}")
    return int(axis) % ndim


def _real(v, name, owner):
    return _argcheck.real(v, name, owner)


# =================================================================== activations
def _rows(a, axis):
    """(2-D C-contiguous array with `axis` last, function mapping such a result back)."""
    if axis == a.ndim - 1:
        shape = a.shape
        return np.ascontiguousarray(a).reshape(-1, shape[-1]), lambda r: r.reshape(shape)
    moved = np.ascontiguousarray(np.moveaxis(a, axis, -1))
    mshape = moved.shape
    return moved.reshape(-1, mshape[-1]), \
        lambda r: np.moveaxis(r.reshape(mshape), -1, axis)


def _kernel_forward(code, param, xr, axis=None):
    z = np.asarray(xr, order="C")       # (ascontiguousarray makes a 0-d array 1-d)
    if axis is None:
        out = np.empty_like(z)
        if z.size:
            _kernels.act_forward(code, param, z.reshape(1, -1), out.reshape(1, -1))
        return out
    z2, back = _rows(z, axis)
    out = np.empty_like(z2)
    if z2.size:
        _kernels.act_forward(code, param, z2, out)
    return back(out)


def _kernel_backward(code, param, xr, yr, g, axis=None):
    gr = np.asarray(_raw(g), dtype=xr.dtype, order="C")
    if axis is None:
        z = np.asarray(xr, order="C")
        a = np.asarray(yr, order="C")
        dz = np.empty_like(z)
        if z.size:
            _kernels.act_backward(code, param, z.reshape(1, -1), a.reshape(1, -1),
                                  gr.reshape(1, -1), dz.reshape(1, -1))
        return dz
    z2, back = _rows(xr, axis)
    a2, _ = _rows(yr, axis)
    g2, _ = _rows(gr, axis)
    dz = np.empty_like(z2)
    if z2.size:
        _kernels.act_backward(code, param, z2, a2, g2, dz)
    return back(dz)


def _activation(x, key, param, composite, axis=None, **params):
    """An activation by its C kernel (`key` in fastnn._codes.ACTIVATIONS), recorded."""
    x = _float(x)
    xr = _raw(x)
    code = ACTIVATIONS[key][0]
    if axis is not None:
        if xr.ndim == 0:
            raise ValueError(f"{key}: x must have at least 1 dimension, got a scalar")
        axis = _check_axis(axis, xr.ndim, key)
    out = _wrap(_kernel_forward(code, param, xr, axis))
    if _state.tapes:
        def vjp(g):
            if _state.tapes:
                if axis is not None:
                    params["axis"] = axis
                return _nested_vjp(composite, (x,), g, **params)
            return (_wrap(_kernel_backward(code, param, xr, _raw(out), g, axis)),)
        _record((x,), (out,), vjp, key)
    return out


# The NumPy formulas (Keras 3's), written with the differentiable primitives.
def _c(x, v):
    return np.asarray(v, dtype=x.dtype)


def _sigmoid_formula(x):
    e = P.exp(P.negative(P.absolute(x)))
    return P.where(_raw(x) >= 0, P.divide(1, P.add(e, 1)), P.divide(e, P.add(e, 1)))


def _gelu_formula(x, approximate=True):
    if approximate:
        u = P.multiply(P.add(x, P.multiply(P.power(x, 3), _c(x, 0.044715))),
                       _c(x, math.sqrt(2 / math.pi)))
        return P.multiply(P.multiply(x, _c(x, 0.5)), P.add(P.tanh(u), 1))
    return P.multiply(P.multiply(x, _c(x, 0.5)),
                      P.add(erf(P.multiply(x, _c(x, 1 / math.sqrt(2)))), 1))


def _elu_formula(x, alpha=1.0):
    return P.where(_raw(x) > 0, x, P.multiply(P.expm1(P.minimum(x, 0)), _c(x, alpha)))


def _softmax_formula(x, axis=-1):
    s = P.subtract(x, P.stop_gradient(P.max(x, axis=axis, keepdims=True)))
    e = P.exp(s)
    return P.divide(e, P.sum(e, axis=axis, keepdims=True))


def _log_softmax_formula(x, axis=-1):
    s = P.subtract(x, P.stop_gradient(P.max(x, axis=axis, keepdims=True)))
    return P.subtract(s, P.log(P.sum(P.exp(s), axis=axis, keepdims=True)))


FORMULAS = {
    "relu": lambda x: P.maximum(x, _c(x, 0)),
    "sigmoid": _sigmoid_formula,
    "tanh": P.tanh,
    "leaky_relu": lambda x, negative_slope=0.2: P.where(
        _raw(x) >= 0, x, P.multiply(x, _c(x, negative_slope))),
    "elu": _elu_formula,
    "selu": lambda x: P.multiply(_elu_formula(x, SELU_ALPHA), _c(x, SELU_SCALE)),
    "softplus": lambda x: P.add(P.maximum(x, _c(x, 0)),
                                P.log1p(P.exp(P.negative(P.absolute(x))))),
    "softsign": lambda x: P.divide(x, P.add(P.absolute(x), 1)),
    "silu": lambda x: P.multiply(x, _sigmoid_formula(x)),
    "gelu": _gelu_formula,
    "hard_sigmoid": lambda x: P.clip(P.add(P.divide(x, _c(x, 6)), _c(x, 0.5)),
                                     _c(x, 0), _c(x, 1)),
    "softmax": _softmax_formula,
    "log_softmax": _log_softmax_formula,
    "relu6": lambda x: P.minimum(P.maximum(x, _c(x, 0)), _c(x, 6)),
    "log_sigmoid": lambda x: P.negative(FORMULAS["softplus"](P.negative(x))),
}
FORMULAS["hard_silu"] = lambda x: P.multiply(x, FORMULAS["hard_sigmoid"](x))


def formula_of(code, param):
    """(formula, parameters) of the activation of C code `code` with parameter `param`
    (fastnn._codes.ACTIVATIONS) over the last axis, written with the differentiable
    primitives, or None where there is none here: what a built-in layer's vjp takes
    its second derivatives from (fastnn.layers.activations.record_activation)."""
    name = _NAME_OF_CODE.get(code)
    if name in ("leaky_relu",):
        return FORMULAS[name], {"negative_slope": float(param)}
    if name in ("elu", "celu"):
        return FORMULAS[name], {"alpha": float(param)}
    if name in ("gelu", "gelu_tanh"):
        return FORMULAS["gelu"], {"approximate": name == "gelu_tanh"}
    if name in FORMULAS and param == ACTIVATIONS[name][1]:
        return FORMULAS[name], {}
    return None


def _celu_formula(x, alpha=1.0):
    a = _c(x, alpha)
    return P.add(P.maximum(x, _c(x, 0)),
                 P.multiply(a, P.expm1(P.divide(P.minimum(x, _c(x, 0)), a))))


def _sparse_plus_formula(x):
    xv = _raw(x)
    mid = P.multiply(P.square(P.add(x, _c(x, 1))), _c(x, 0.25))
    return P.where(xv <= -1, _c(x, 0), P.where(xv < 1, mid, x))


def _sparse_sigmoid_formula(x):
    xv = _raw(x)
    mid = P.multiply(P.add(x, _c(x, 1)), _c(x, 0.5))
    return P.where(xv <= -1, _c(x, 0), P.where(xv >= 1, _c(x, 1), mid))


def _soft_shrink_formula(x, threshold=0.5):
    xv, t = _raw(x), _c(x, threshold)
    return P.where(xv > t, P.subtract(x, t), P.where(xv < -t, P.add(x, t), _c(x, 0)))


FORMULAS.update({
    "celu": _celu_formula,
    "sparse_plus": _sparse_plus_formula,
    "sparse_sigmoid": _sparse_sigmoid_formula,
    "squareplus": lambda x, b=4: P.multiply(
        P.add(x, P.sqrt(P.add(P.square(x), _c(x, b)))), _c(x, 0.5)),
    "soft_shrink": _soft_shrink_formula,
    "hard_shrink": lambda x, threshold=0.5: P.where(
        np.abs(_raw(x)) > _c(x, threshold), x, _c(x, 0)),
    "tanh_shrink": lambda x: P.subtract(x, P.tanh(x)),
    "hard_tanh": lambda x: P.minimum(P.maximum(x, _c(x, -1)), _c(x, 1)),
    "threshold": lambda x, threshold, default_value: P.where(
        _raw(x) > _c(x, threshold), x, _c(x, default_value)),
})
_NAME_OF_CODE = {code: name for name, (code, _) in ACTIVATIONS.items()}


def _ref(name):
    """The formula on plain arrays, as a NumPy reference for the tests."""
    def ref(x, **kw):
        return np.asarray(_raw(FORMULAS[name](_wrap(np.asarray(x)), **kw)))
    return ref


@register("relu", ref=_ref("relu"), args=("nz",))
def relu(x):
    """The rectified linear unit, ``max(x, 0)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "relu", 0.0, FORMULAS["relu"])


@register("relu6", ref=lambda x: np.minimum(np.maximum(x, 0), 6), args=("nz",))
def relu6(x):
    """``min(max(x, 0), 6)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "relu6", 0.0, FORMULAS["relu6"])


@register("sigmoid", ref=_ref("sigmoid"))
def sigmoid(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "sigmoid", 0.0, FORMULAS["sigmoid"])


@register("tanh", ref=np.tanh)
def tanh(x):
    """The hyperbolic tangent of ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "tanh", 0.0, FORMULAS["tanh"])


@register("leaky_relu", args=("nz",), cases=({}, {"negative_slope": 0.1}),
          ref=_ref("leaky_relu"))
def leaky_relu(x, negative_slope=0.2):
    """The leaky rectified linear unit of ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    negative_slope
        The slope for negative inputs. Default 0.2.
    """
    s = _real(negative_slope, "negative_slope", "leaky_relu")
    return _activation(x, "leaky_relu", s, FORMULAS["leaky_relu"], negative_slope=s)


@register("elu", args=("nz",), cases=({}, {"alpha": 0.5}), ref=_ref("elu"))
def elu(x, alpha=1.0):
    """The exponential linear unit of ``x``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    alpha
        The scale of the negative part. Default 1.
    """
    a = _real(alpha, "alpha", "elu")
    return _activation(x, "elu", a, FORMULAS["elu"], alpha=a)


@register("selu", args=("nz",), ref=_ref("selu"))
def selu(x):
    """The scaled exponential linear unit of ``x``, element-wise (see
    ``fastnn.activations.selu``).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "selu", 0.0, FORMULAS["selu"])


@register("softplus", ref=_ref("softplus"))
def softplus(x):
    """``log(exp(x) + 1)``, element-wise, computed stably.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "softplus", 0.0, FORMULAS["softplus"])


@register("softsign", args=("nz",), ref=_ref("softsign"))
def softsign(x):
    """``x / (abs(x) + 1)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "softsign", 0.0, FORMULAS["softsign"])


@register("silu", ref=_ref("silu"))
def silu(x):
    """The sigmoid linear unit (swish), ``x * sigmoid(x)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "silu", 0.0, FORMULAS["silu"])


swish = silu


@register("gelu", cases=({}, {"approximate": False}), ref=_ref("gelu"))
def gelu(x, approximate=True):
    """Keras' ops.gelu: the tanh approximation by default (the exact erf form with
    approximate=False).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    approximate
        Whether to use the tanh approximation. Default True, as Keras' ``ops.gelu``.
    """
    if not isinstance(approximate, (bool, np.bool_)):
        raise TypeError(f"gelu: approximate must be True or False, got "
                        f"{type(approximate).__name__} {approximate!r}")
    key = "gelu_tanh" if approximate else "gelu"
    return _activation(x, key, 0.0, FORMULAS["gelu"], approximate=bool(approximate))


@register("hard_sigmoid", args=("x",), ref=_ref("hard_sigmoid"))
def hard_sigmoid(x):
    """Keras 3's hard_sigmoid: clip(x / 6 + 0.5, 0, 1).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "hard_sigmoid", 0.0, FORMULAS["hard_sigmoid"])


@register("hard_silu", args=("x",), ref=lambda x: x * np.clip(x / 6 + 0.5, 0, 1))
def hard_silu(x):
    """``x * hard_sigmoid(x)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "hard_silu", 0.0, FORMULAS["hard_silu"])


hard_swish = hard_silu


@register("log_sigmoid", ref=lambda x: -np.logaddexp(0, -x))
def log_sigmoid(x):
    """``log(sigmoid(x))``, element-wise, computed stably.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _activation(x, "log_sigmoid", 0.0, FORMULAS["log_sigmoid"])


@register("softmax", shapes=((2, 3, 4),), cases=({}, {"axis": 1}, {"axis": 0}),
          ref=_ref("softmax"))
def softmax(x, axis=-1):
    """The softmax of ``x`` along ``axis``: probabilities that sum to 1.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis it normalises over. Default -1.
    """
    x = _float(x)
    if isinstance(axis, numbers.Integral) and not isinstance(axis, (bool, np.bool_)) and \
            -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape "
                      f"{x.shape}. This axis has size 1. The softmax operation will always "
                      f"return the value 1, which is likely not what you intended. Did you "
                      f"mean to use a sigmoid instead?", stacklevel=2)
    if isinstance(axis, (tuple, list)) or axis is None:
        return _softmax_formula(x, axis=tuple(axis) if axis is not None else None)
    return _activation(x, "softmax", 0.0, FORMULAS["softmax"], axis=axis)


@register("log_softmax", shapes=((2, 3, 4),), cases=({}, {"axis": 1}),
          ref=_ref("log_softmax"))
def log_softmax(x, axis=-1):
    """The logarithm of the softmax of ``x`` along ``axis``, computed stably.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axis
        The axis it normalises over. Default -1.
    """
    if isinstance(axis, (tuple, list)) or axis is None:
        x = _float(x)
        return _log_softmax_formula(x, axis=tuple(axis) if axis is not None else None)
    return _activation(x, "log_softmax", 0.0, FORMULAS["log_softmax"], axis=axis)


# ---------------------------------------------------------------------------- erf
_erf_obj = np.frompyfunc(math.erf, 1, 1)


@register("erf", ref=lambda x: np.asarray(_erf_obj(np.asarray(x, np.float64)),
                                          np.float64).astype(np.asarray(x).dtype))
def erf(x):
    """The error function (element by element through math.erf: exact, not vectorised).

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    x = _float(x)
    xr = _raw(x)
    out = _wrap(np.asarray(_erf_obj(xr.astype(np.float64)), np.float64).astype(xr.dtype))
    if _state.tapes:
        k = 2 / math.sqrt(math.pi)
        _record((x,), (out,),
                lambda g: (P.multiply(g, P.multiply(P.exp(P.negative(P.square(x))),
                                                    _c(x, k))),), "erf")
    return out


# =================================================================== cross-entropy
def _pair_float(target, output, owner):
    o = _float(output)
    t = target if isinstance(target, Tensor) else convert_to_tensor(target)
    if t.dtype != o.dtype:
        t = P.cast(t, o.dtype)
    return t, o


def _bce_formula(target, output, from_logits=False):
    if from_logits:
        z = output
        return P.add(P.subtract(P.maximum(z, _c(z, 0)), P.multiply(z, target)),
                     P.log1p(P.exp(P.negative(P.absolute(z)))))
    c = P.clip(output, _c(output, EPSILON), _c(output, 1 - EPSILON))
    return P.negative(P.add(P.multiply(target, P.log(c)),
                            P.multiply(P.subtract(1, target), P.log(P.subtract(1, c)))))


def _cce_formula(target, output, from_logits=False, axis=-1):
    if from_logits:
        lp = _log_softmax_formula(output, axis=axis)
    else:
        q = P.divide(output, P.sum(output, axis=axis, keepdims=True))
        lp = P.log(P.clip(q, _c(q, EPSILON), _c(q, 1 - EPSILON)))
    return P.negative(P.sum(P.multiply(target, lp), axis=axis))


def _sparse_formula(target, output, from_logits=False, axis=-1):
    labels = np.asarray(_raw(target)).astype(np.int64)
    oh = np.moveaxis(np.eye(output.shape[axis], dtype=output.dtype)[labels], -1, axis)
    return _cce_formula(_wrap(oh), output, from_logits, axis)


def _loss_kernel(key, yt, yp, want_grad):
    """(per-sample losses (n,), gradient (n, k) or None) from the C loss kernel."""
    n = yp.shape[0]
    per = np.empty(n, yp.dtype)
    grad = np.empty_like(yp) if want_grad else None
    _kernels.loss(LOSSES[key], 0.0, yt, yp, None, 1.0, grad, per)
    return per, grad


def _c2(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


@register("binary_crossentropy", args=("prob", "prob"),
          cases=({}, {"from_logits": True}),
          ref=lambda t, o, from_logits=False: np.asarray(_raw(_bce_formula(
              _wrap(np.asarray(t)), _wrap(np.asarray(o)), from_logits))))
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy (the shape of output). On logits it uses
    ``max(z, 0) - z*y + log1p(exp(-|z|))``; on probabilities, clipped to [1e-7, 1 - 1e-7].

    Parameters
    ----------
    target
        The targets.
    output
        The predictions.
    from_logits
        Whether ``output`` holds logits rather than probabilities. Default False.
    """
    if not isinstance(from_logits, (bool, np.bool_)):
        raise TypeError(f"binary_crossentropy: from_logits must be True or False, got "
                        f"{type(from_logits).__name__} {from_logits!r}")
    t, o = _pair_float(target, output, "binary_crossentropy")
    if t.shape != o.shape:
        raise ValueError(f"binary_crossentropy: target and output must have the same "
                         f"shape, got target.shape={t.shape}, output.shape={o.shape}")
    tr, orr = _raw(t), _raw(o)
    key = "binary_crossentropy_logits" if from_logits else "binary_crossentropy"
    want = bool(_state.tapes) and should_record((t, o))
    per, grad = _loss_kernel(key, _c2(tr, orr.dtype).reshape(-1, 1),
                             _c2(orr, orr.dtype).reshape(-1, 1), want)
    out = _wrap(per.reshape(orr.shape))
    if want:
        def vjp(g):
            if _state.tapes:
                return _nested_vjp(_bce_formula, (t, o), g, from_logits=bool(from_logits))
            gr = np.asarray(_raw(g), orr.dtype)
            go = gr * grad.reshape(orr.shape)
            if from_logits:
                gt = -gr * orr
            else:
                c = np.clip(orr, EPSILON, 1 - EPSILON)
                gt = gr * (np.log1p(-c) - np.log(c))
            return _wrap(gt), _wrap(go)
        _record((t, o), (out,), vjp, "binary_crossentropy")
    return out


def _class_rows(a, axis):
    """a with `axis` last, as (n, k) C-contiguous rows, plus the leading shape."""
    m = np.moveaxis(a, axis, -1) if axis != a.ndim - 1 else a
    return np.ascontiguousarray(m).reshape(-1, m.shape[-1]), m.shape[:-1]


@register("categorical_crossentropy", args=("simplex", "simplex"), shapes=((3, 4), (3, 4)),
          cases=({}, {"from_logits": True}),
          ref=lambda t, o, from_logits=False: np.asarray(_raw(_cce_formula(
              _wrap(np.asarray(t)), _wrap(np.asarray(o)), from_logits))))
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(target * log p) over `axis`, p = softmax(output) with from_logits, else output
    renormalised to sum 1 and clipped to [1e-7, 1 - 1e-7], as Keras.

    Parameters
    ----------
    target
        The targets.
    output
        The predictions.
    from_logits
        Whether ``output`` holds logits rather than probabilities. Default False.
    axis
        The class axis. Default -1.
    """
    if not isinstance(from_logits, (bool, np.bool_)):
        raise TypeError(f"categorical_crossentropy: from_logits must be True or False, got "
                        f"{type(from_logits).__name__} {from_logits!r}")
    t, o = _pair_float(target, output, "categorical_crossentropy")
    if t.shape != o.shape:
        raise ValueError(f"categorical_crossentropy: target and output must have the same "
                         f"shape, got target.shape={t.shape}, output.shape={o.shape}")
    if o.ndim < 1:
        raise ValueError("categorical_crossentropy: target and output must have at least "
                         f"1 dimension, got shape {o.shape}")
    ax = _check_axis(axis, o.ndim, "categorical_crossentropy")
    tr, orr = _raw(t), _raw(o)
    yt, lead = _class_rows(tr, ax)
    yp, _ = _class_rows(orr, ax)
    key = "categorical_crossentropy_logits" if from_logits else "categorical_crossentropy"
    want = bool(_state.tapes) and should_record((t, o))
    per, grad = _loss_kernel(key, yt, yp, want and yp.size > 0)
    out = _wrap(per.reshape(lead))
    if want:
        def vjp(g):
            if _state.tapes:
                return _nested_vjp(_cce_formula, (t, o), g, from_logits=bool(from_logits),
                                   axis=ax)
            gr = np.asarray(_raw(g), orr.dtype).reshape(-1, 1)
            back = (lambda r: np.moveaxis(r.reshape(lead + (yp.shape[1],)), -1, ax))
            go = back(gr * grad)
            if from_logits:
                m = yp.max(axis=1, keepdims=True)
                lp = yp - m - np.log(np.exp(yp - m).sum(axis=1, keepdims=True))
            else:
                lp = np.log(np.clip(yp / yp.sum(axis=1, keepdims=True), EPSILON,
                                    1 - EPSILON))
            gt = back(-gr * lp)
            return _wrap(gt), _wrap(go)
        _record((t, o), (out,), vjp, "categorical_crossentropy")
    return out


@register("sparse_categorical_crossentropy", args=("labels", "simplex"),
          shapes=((3,), (3, 4)), cases=({}, {"from_logits": True}),
          ref=lambda t, o, from_logits=False: np.asarray(_raw(_sparse_formula(
              _wrap(np.asarray(t)), _wrap(np.asarray(o)), from_logits))))
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy against integer class indices `target` (output.shape without the
    class axis, or with it of size 1).

    Parameters
    ----------
    target
        The integer class labels.
    output
        The predicted scores, with a class axis.
    from_logits
        Whether ``output`` holds logits rather than probabilities. Default False.
    axis
        The class axis. Default -1.
    """
    if not isinstance(from_logits, (bool, np.bool_)):
        raise TypeError(f"sparse_categorical_crossentropy: from_logits must be True or "
                        f"False, got {type(from_logits).__name__} {from_logits!r}")
    o = _float(output)
    if o.ndim < 1:
        raise ValueError("sparse_categorical_crossentropy: output must have at least 1 "
                         f"dimension, got shape {o.shape}")
    ax = _check_axis(axis, o.ndim, "sparse_categorical_crossentropy")
    lab = np.asarray(_raw(target))
    if lab.ndim == o.ndim and lab.shape[ax] == 1:
        lab = np.squeeze(lab, axis=ax)
    expected = o.shape[:ax] + o.shape[ax + 1:]
    if lab.shape != expected:
        raise ValueError(f"sparse_categorical_crossentropy: target must have shape "
                         f"{expected} (output.shape={o.shape} without the class axis), got "
                         f"{np.shape(_raw(target))}")
    if lab.dtype.kind not in "biuf":
        raise TypeError(f"sparse_categorical_crossentropy: target must hold integer class "
                        f"indices, got dtype {lab.dtype}")
    k = o.shape[ax]
    if lab.size:
        if lab.dtype.kind == "f" and (not np.all(np.isfinite(lab)) or
                                      np.any(lab != np.floor(lab))):
            raise ValueError("sparse_categorical_crossentropy: target must hold integer "
                             "class indices, got non-integer values")
        if lab.min() < 0 or lab.max() >= k:
            raise ValueError(f"sparse_categorical_crossentropy: target class indices must "
                             f"be in [0, {k}), got values in [{lab.min()}, {lab.max()}]")
    orr = _raw(o)
    yp, lead = _class_rows(orr, ax)
    yt = _c2(lab.reshape(-1, 1), orr.dtype)
    key = ("sparse_categorical_crossentropy_logits" if from_logits
           else "sparse_categorical_crossentropy")
    want = bool(_state.tapes) and should_record((o,))
    per, grad = _loss_kernel(key, yt, yp, want and yp.size > 0)
    out = _wrap(per.reshape(lead))
    if want:
        labels = _wrap(lab)

        def vjp(g):
            if _state.tapes:
                return (None,) + tuple(_nested_vjp(
                    lambda ot: _sparse_formula(labels, ot, bool(from_logits), ax), (o,), g))
            gr = np.asarray(_raw(g), orr.dtype).reshape(-1, 1)
            go = np.moveaxis((gr * grad).reshape(lead + (k,)), -1, ax)
            return None, _wrap(go)
        _record((target, o), (out,), vjp, "sparse_categorical_crossentropy")
    return out


# ------------------------------------------------------------------------- others
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot rows of `num_classes` for the integer indices x (float32 by default); an
    index outside [0, num_classes) gives a row of zeros, as TensorFlow's one_hot.

    Parameters
    ----------
    x
        The integer class indices.
    num_classes
        The number of classes.
    axis
        Where the new class axis goes. Default -1, last.
    dtype
        The dtype of the result. Default None: from the inputs (float32 for new
        tensors).
    sparse
        Keras' sparse tensors; fastnn has none, so only None or False is accepted.
    """
    if isinstance(num_classes, (bool, np.bool_)) or \
            not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be an int >= 1, got {num_classes!r}")
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported (fastnn has dense "
                         "tensors only)")
    d = standardize_dtype(dtype, "dtype", "one_hot") or FLOATX
    xi = np.asarray(_raw(x))
    if xi.dtype.kind not in "biu":
        if xi.dtype.kind == "f" and (xi.size == 0 or np.all(xi == np.floor(xi))):
            xi = xi.astype(np.int64)
        else:
            raise TypeError(f"one_hot: x must hold integer indices, got dtype {xi.dtype}")
    out = np.zeros(xi.shape + (int(num_classes),), d)
    valid = (xi >= 0) & (xi < num_classes)
    idx = np.nonzero(valid)
    out[idx + (xi[valid].astype(np.int64),)] = 1
    if axis != -1:
        out = np.moveaxis(out, -1, _check_axis(axis, out.ndim, "one_hot"))
    return _wrap(out)


def moments(x, axes, keepdims=False):
    """(mean, variance) of x over `axes`.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    axes
        The axes to compute the mean and variance over.
    keepdims
        Whether to keep the reduced axes. Default False.
    """
    x = _float(x)
    ax = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    return (P.mean(x, axis=ax, keepdims=keepdims), P.var(x, axis=ax, keepdims=keepdims))


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along axis, ``x / max(norm(x), epsilon)`` (Keras'
    ops.normalize). The L2 norm (order=2) is ``x * rsqrt(max(sum(x**2), epsilon**2))``,
    as Keras: a zero vector has a finite gradient.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number; a number is taken as a vector
        of one value).
    axis
        The axis or axes of the norm (None: all of them). Default -1.
    order
        The order of the norm, an int >= 1. Default 2.
    epsilon
        The lower bound of the norm. Default None: ``fastnn.backend.epsilon()``.
    """
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Integral) \
            or not order >= 1:
        raise ValueError(f"normalize: Argument `order` must be an int >= 1. Received: "
                         f"order={order!r}")
    if epsilon is None:
        from fastnn import backend
        epsilon = backend.epsilon()
    epsilon = _real(epsilon, "epsilon", "normalize")
    x = _float(x)
    if x.ndim == 0:
        x = P.reshape(x, (1,))
    if axis is not None:
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        for a in axes:
            _check_axis(a, x.ndim, "normalize")
        axis = tuple(axis) if isinstance(axis, (tuple, list)) else axis
    if order == 2:
        square_sum = P.sum(P.square(x), axis=axis, keepdims=True)
        inv_norm = P.divide(1, P.sqrt(P.maximum(square_sum, _c(x, epsilon * epsilon))))
        return P.multiply(x, inv_norm)
    # numpy.linalg.norm's rules (Keras' NumPy backend): a vector norm over one axis, a
    # matrix norm over two (order 1 only, among the ints >= 1 but 2)
    axes = tuple(range(x.ndim)) if axis is None else \
        tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    if len(axes) == 1:
        n = P.power(P.sum(P.power(P.absolute(x), _c(x, order)), axis=axes, keepdims=True),
                    _c(x, 1.0 / order))
    elif len(axes) == 2 and order == 1:
        n = P.max(P.sum(P.absolute(x), axis=axes[0], keepdims=True), axis=axes[1],
                  keepdims=True)
    elif len(axes) == 2:
        raise ValueError(f"normalize: the norm over 2 axes is a matrix norm, of order 1 or "
                         f"2 only (numpy.linalg.norm's), got order={order} over axes "
                         f"{axes} of a {x.ndim}-D input")
    else:
        raise ValueError(f"normalize: a norm of order {order} is over 1 axis (a vector "
                         f"norm) or 2 (a matrix norm), got axis={axis!r} for a {x.ndim}-D "
                         f"input")
    return P.divide(x, P.maximum(n, _c(x, epsilon)))


# ===================================================== parametrised activations
def _param_activation(x, name, **params):
    """The activation `name` with its parameters validated as fastnn.activations does,
    by its C kernel, recorded (a nested tape differentiates its formula)."""
    from fastnn.kernel_ops import _resolve_activation
    kname, _, param, _ = _resolve_activation(name, params, name)
    params = {k: (_real(v, k, name) if k != "axis" else v) for k, v in params.items()}
    return _activation(x, kname, param, FORMULAS[name], **params)


@register("celu", args=("nz",), cases=({}, {"alpha": 0.5}),
          ref=lambda x, alpha=1.0: np.maximum(x, 0) + alpha * np.expm1(
              np.minimum(x, 0) / alpha))
def celu(x, alpha=1.0):
    """The continuously differentiable exponential linear unit,
    ``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    alpha
        The scale of the negative part; not 0. Default 1.
    """
    return _param_activation(x, "celu", alpha=alpha)


@register("sparse_plus", args=("x",),
          ref=lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)))
def sparse_plus(x):
    """0 for x <= -1, ``(x + 1)**2 / 4`` for -1 < x < 1 and x for x >= 1, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _param_activation(x, "sparse_plus")


@register("sparse_sigmoid", args=("x",),
          ref=lambda x: np.clip((x + 1) / 2, 0, 1))
def sparse_sigmoid(x):
    """0 for x <= -1, ``(x + 1) / 2`` for -1 < x < 1 and 1 for x >= 1, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _param_activation(x, "sparse_sigmoid")


@register("squareplus", args=("x",), cases=({}, {"b": 1.5}),
          ref=lambda x, b=4: (x + np.sqrt(x * x + b)) / 2)
def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    b
        The smoothness of the curve near 0, at least 0. Default 4.
    """
    return _param_activation(x, "squareplus", b=b)


@register("soft_shrink", args=("x",), cases=({}, {"threshold": 1.0}),
          ref=lambda x, threshold=0.5: np.sign(x) * np.maximum(np.abs(x) - threshold, 0))
def soft_shrink(x, threshold=0.5):
    """``x - threshold`` for x > threshold, ``x + threshold`` for x < -threshold and 0
    between, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    threshold
        The half-width of the band around 0 mapped to 0. Default 0.5.
    """
    return _param_activation(x, "soft_shrink", threshold=threshold)


@register("hard_shrink", args=("x",), cases=({}, {"threshold": 1.0}),
          ref=lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0))
def hard_shrink(x, threshold=0.5):
    """x where ``|x| > threshold``, else 0, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    threshold
        Values with an absolute value up to it become 0. Default 0.5.
    """
    return _param_activation(x, "hard_shrink", threshold=threshold)


@register("tanh_shrink", args=("x",), ref=lambda x: x - np.tanh(x))
def tanh_shrink(x):
    """``x - tanh(x)``, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _param_activation(x, "tanh_shrink")


@register("hard_tanh", args=("x",), ref=lambda x: np.clip(x, -1, 1))
def hard_tanh(x):
    """x clipped to [-1, 1], element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    """
    return _param_activation(x, "hard_tanh")


@register("threshold", args=("x",), cases=({"threshold": 0.3, "default_value": -2.0},),
          ref=lambda x, threshold, default_value: np.where(x > threshold, x,
                                                           default_value))
def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value, element-wise.

    Parameters
    ----------
    x
        The input tensor (an array, a Tensor or a number).
    threshold
        Values above it pass unchanged.
    default_value
        The value given to the others.
    """
    return _param_activation(x, "threshold", threshold=threshold,
                             default_value=default_value)


def _glu_ref(x, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    return a / (1 + np.exp(-b))


@register("glu", shapes=((4, 6),), cases=({}, {"axis": 0}), ref=_glu_ref)
def glu(x, axis=-1):
    """The gated linear unit: ``a * sigmoid(b)``, where a and b are the two halves of x
    along `axis`.

    Parameters
    ----------
    x
        The input tensor, its size along `axis` even.
    axis
        The axis split into two halves. Default -1.

    Returns
    -------
    Tensor
        Half the size of x along `axis`.
    """
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("glu: x must have at least 1 dimension, got a scalar")
    ax = _check_axis(axis, x.ndim, "glu")
    if x.shape[ax] % 2:
        raise ValueError(f"glu: axis size must be divisible by 2. Received: "
                         f"x.shape={x.shape} with axis={axis}")
    a, b = P.split(x, 2, axis=ax)
    return P.multiply(a, sigmoid(b))


def _sparsemax_ref(x, axis=-1):
    z = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    s = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cum = np.cumsum(s, axis=-1)
    support = np.sum(1 + k * s > cum, axis=-1, keepdims=True)
    tau = (np.take_along_axis(cum, support - 1, axis=-1) - 1) / support
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis).astype(np.asarray(x).dtype)


@register("sparsemax", args=("distinct",), shapes=((3, 5),), cases=({}, {"axis": 0}),
          ref=_sparsemax_ref)
def sparsemax(x, axis=-1):
    """The sparsemax of x along `axis` (Martins & Astudillo, 2016): the Euclidean
    projection of x onto the probability simplex, ``max(x - tau, 0)`` with tau such that
    the result sums to 1. Unlike softmax it gives exact zeros.

    Parameters
    ----------
    x
        The input tensor, at least 1-D.
    axis
        The axis it normalises over. Default -1.
    """
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("sparsemax: x must have at least 1 dimension, got a scalar")
    ax = _check_axis(axis, x.ndim, "sparsemax")
    if x.shape[ax] == 0:
        return P.multiply(x, _c(x, 1))      # nothing to normalise
    xr = np.moveaxis(_raw(x), ax, -1)
    srt = -np.sort(-xr, axis=-1)
    cum = np.cumsum(srt, axis=-1)
    ranks = np.arange(1, xr.shape[-1] + 1, dtype=xr.dtype)
    size = np.sum(1 + ranks * srt > cum, axis=-1, keepdims=True)
    size = np.maximum(size, 1)
    tau = (np.take_along_axis(cum, size - 1, axis=-1) - 1) / size.astype(xr.dtype)
    res = np.maximum(xr - tau, 0)
    out = _wrap(np.ascontiguousarray(np.moveaxis(res, -1, ax)))
    if _state.tapes:
        support = np.moveaxis(res > 0, -1, ax)
        on = _wrap(support.astype(xr.dtype))
        count = np.maximum(support.sum(axis=ax, keepdims=True), 1).astype(xr.dtype)

        def vjp(g):
            # the Jacobian on the support: identity minus the mean over the support
            mean = P.divide(P.sum(P.multiply(g, on), axis=ax, keepdims=True), count)
            return (P.multiply(P.subtract(g, mean), on),)
        _record((x,), (out,), vjp, "sparsemax")
    return out


# ================================================================ encodings
def _multi_hot_ref(x, num_classes):
    x = np.asarray(x)
    return (x[..., None] == np.arange(num_classes)).any(axis=1).astype(np.float32)


@register("multi_hot", args=("int",), grad=False, cases=({"num_classes": 4},),
          ref=_multi_hot_ref)
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding of integer labels: one_hot(inputs, num_classes, axis) with
    its axis 1 reduced by a maximum (axis 0 for a 1-D input), as Keras: a (batch, labels)
    input gives (batch, num_classes), 1 at each class that the row names, and a 1-D
    input a single row.

    Parameters
    ----------
    inputs
        The integer labels; labels outside [0, num_classes) are left out.
    num_classes
        The number of classes (``num_tokens`` is accepted as its other name).
    axis
        Where one_hot puts the class axis. Default -1, last.
    dtype
        The dtype of the result. Default None: float32.
    sparse
        Keras' sparse tensors; fastnn has none, so only False is accepted.
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected keyword argument(s) "
                        f"{', '.join(sorted(kwargs))}")
    if num_classes is None:
        raise ValueError("multi_hot: Argument `num_classes` must be specified.")
    num_classes = _argcheck.integer(num_classes, "num_classes", "multi_hot", lo=1)
    xi = np.asarray(_raw(inputs))
    if xi.ndim == 0:
        raise ValueError("multi_hot: inputs must have at least 1 dimension, got a scalar")
    if xi.dtype.kind not in "biu" and not (xi.dtype.kind == "f" and np.all(
            xi == np.floor(xi))):
        raise TypeError(f"multi_hot: inputs must hold integer labels, got dtype {xi.dtype}"
                        + (" with non-integer values" if xi.dtype.kind == "f" else ""))
    hot = _raw(one_hot(xi, num_classes, axis=axis, dtype=dtype, sparse=sparse))
    out = np.any(hot != 0, axis=1 if xi.ndim > 1 else 0).astype(hot.dtype)
    return _wrap(out)


# ============================================================ normalisations
def _epsilon(epsilon, owner):
    if epsilon is None:
        from fastnn import backend
        return backend.epsilon()
    return _real(epsilon, "epsilon", owner)


def _norm_axes(axis, ndim, owner):
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not axes:
        raise ValueError(f"{owner}: axis must name at least one axis, got {axis!r}")
    axes = tuple(sorted(_check_axis(a, ndim, owner) for a in axes))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{owner}: repeated axis in {axis!r}")
    return axes


def _param_along(v, x, axes, name, owner):
    """A scale or offset for the axes `axes` of x, as a float Tensor that broadcasts
    against x (a vector of the one axis' size, or x's sizes on the axes)."""
    v = v if isinstance(v, Tensor) else convert_to_tensor(v)
    if v.dtype != x.dtype:
        v = P.cast(v, x.dtype)
    sizes = tuple(x.shape[a] for a in axes)
    if v.shape == sizes and v.ndim != x.ndim:
        return P.reshape(v, tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim)))
    try:
        np.broadcast_shapes(v.shape, x.shape)
    except ValueError:
        raise ValueError(f"{owner}: {name} must have the shape {sizes} of x along axis "
                         f"{axes if len(axes) > 1 else axes[0]} (or broadcast against x of "
                         f"shape {x.shape}), got shape {v.shape}") from None
    return v


def _back_to(out, dtype):
    """out cast back to the input's dtype where it was not float (as Keras)."""
    return out if out.dtype == dtype else P.cast(out, dtype)


def _rsqrt(x):
    return P.reciprocal(P.sqrt(x))


@register("rms_normalization", args=("x", "x"), shapes=((3, 4), (4,)),
          cases=({}, {"epsilon": 0.1}),
          ref=lambda x, scale, epsilon=1e-7: x / np.sqrt(
              np.mean(x * x, axis=-1, keepdims=True) + epsilon) * scale)
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalisation (Zhang & Sennrich, 2019):
    ``x / sqrt(mean(x**2, axis) + epsilon) * scale``.

    Parameters
    ----------
    x
        The input tensor.
    scale
        The scale (over the normalised axes). Default None: none.
    axis
        The axis or axes of the mean. Default -1.
    epsilon
        Added to the mean square. Default None: ``fastnn.backend.epsilon()``.
    """
    eps = _epsilon(epsilon, "rms_normalization")
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    dtype = t.dtype
    x = _float(t)
    if x.ndim == 0:
        x = P.reshape(x, (1,))
    axes = _norm_axes(axis, x.ndim, "rms_normalization")
    ms = P.mean(P.square(x), axis=axes, keepdims=True)
    out = P.multiply(x, _rsqrt(P.add(ms, _c(x, eps))))
    if scale is not None:
        out = P.multiply(out, _param_along(scale, x, axes, "scale", "rms_normalization"))
    return _back_to(out, dtype)


def _layer_norm_ref(x, gamma, beta, epsilon=1e-7):
    m = x.mean(axis=-1, keepdims=True)
    v = x.var(axis=-1, keepdims=True)
    return (x - m) / np.sqrt(v + epsilon) * gamma + beta


@register("layer_normalization", args=("x", "x", "x"), shapes=((3, 4), (4,), (4,)),
          cases=({}, {"epsilon": 0.1}), ref=_layer_norm_ref)
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Layer normalisation (Ba et al., 2016):
    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` with the mean and variance
    over `axis`.

    Parameters
    ----------
    x
        The input tensor.
    gamma
        The scale (over the normalised axes). Default None: none.
    beta
        The offset (over the normalised axes). Default None: none.
    axis
        The axis or axes of the mean and variance. Default -1.
    epsilon
        Added to the variance. Default None: ``fastnn.backend.epsilon()``.
    rms_scaling
        Deprecated (as in Keras): True divides by ``sqrt(variance + epsilon)`` without
        centring and ignores beta; use rms_normalization for the RMS norm. Default False.
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected keyword argument(s) "
                        f"{', '.join(sorted(kwargs))}")
    _argcheck.boolean(rms_scaling, "rms_scaling", "layer_normalization")
    if rms_scaling:
        warnings.warn("You passed `rms_scaling=True`, which is deprecated: it divides "
                      "the input by the square root of its variance (not of its mean "
                      "square) and ignores beta. For RMS normalization, use "
                      "keras.ops.rms_normalization.", stacklevel=2)
    eps = _epsilon(epsilon, "layer_normalization")
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    dtype = t.dtype
    x = _float(t)
    axes = _norm_axes(axis, x.ndim, "layer_normalization")
    var = P.var(x, axis=axes, keepdims=True)
    inv = _rsqrt(P.add(var, _c(x, eps)))
    if rms_scaling:
        out = P.multiply(x, inv)
    else:
        out = P.multiply(P.subtract(x, P.mean(x, axis=axes, keepdims=True)), inv)
    if gamma is not None:
        out = P.multiply(out, _param_along(gamma, x, axes, "gamma", "layer_normalization"))
    if beta is not None and not rms_scaling:
        out = P.add(out, _param_along(beta, x, axes, "beta", "layer_normalization"))
    return _back_to(out, dtype)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics and
    parameters vectors along `axis` of x (batch normalisation's step).

    Parameters
    ----------
    x
        The input tensor.
    mean
        The mean, a vector of the size of x along `axis`.
    variance
        The variance, a vector of the size of x along `axis`.
    axis
        The axis the vectors run along (the channels).
    offset
        Added after the scaling. Default None: none.
    scale
        Multiplies the normalised values. Default None: none.
    epsilon
        Added to the variance. Default 1e-3.
    """
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("batch_normalization: x must have at least 1 dimension, got a "
                         "scalar")
    ax = _check_axis(axis, x.ndim, "batch_normalization")
    eps = _real(epsilon, "epsilon", "batch_normalization")
    shape = tuple(x.shape[ax] if i == ax else 1 for i in range(x.ndim))

    def vector(v, name):
        v = v if isinstance(v, Tensor) else convert_to_tensor(v)
        if v.dtype != x.dtype:
            v = P.cast(v, x.dtype)
        if v.size != x.shape[ax] or v.ndim not in (1, x.ndim) or \
                (v.ndim == x.ndim and v.shape != shape):
            raise ValueError(f"batch_normalization: `{name}` must be a vector of length "
                             f"x.shape[axis] = {x.shape[ax]} (axis={axis}), got shape "
                             f"{v.shape}")
        return P.reshape(v, shape)

    inv = _rsqrt(P.add(vector(variance, "variance"), _c(x, eps)))
    if scale is not None:
        inv = P.multiply(inv, vector(scale, "scale"))
    out = P.multiply(P.subtract(x, vector(mean, "mean")), inv)
    if offset is not None:
        out = P.add(out, vector(offset, "offset"))
    return out


register("batch_normalization", args=("x", "x", "pos", "x", "x"),
         shapes=((3, 4), (4,), (4,), (4,), (4,)), cases=({"axis": -1},),
         ref=lambda x, m, v, o, s, axis: (x - m) / np.sqrt(v + 1e-3) * s + o)(
    lambda x, mean, variance, offset, scale, axis: batch_normalization(
        x, mean, variance, axis, offset, scale))


@register("psnr", args=("x", "x"), cases=({"max_val": 1.0}, {"max_val": 255}),
          ref=lambda a, b, max_val: np.asarray(
              20 * np.log10(max_val) - 10 * np.log10(np.mean((a - b) ** 2)), a.dtype))
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio of x2 against x1, in decibels:
    ``20 * log10(max_val) - 10 * log10(mean((x1 - x2)**2))`` (inf for equal signals).

    Parameters
    ----------
    x1
        The first signal.
    x2
        The second signal, of x1's shape.
    max_val
        The largest value a signal can take (1.0 for images in [0, 1], 255 for bytes).

    Returns
    -------
    Tensor
        A scalar.
    """
    a, b = _pair_float(x1, x2, "psnr")
    if a.shape != b.shape:
        raise ValueError(f"psnr: x1 and x2 must have the same shape, got x1.shape="
                         f"{a.shape}, x2.shape={b.shape}")
    peak = _argcheck.real(max_val, "max_val", "psnr", lo=0, lo_open=True)
    mse = P.mean(P.square(P.subtract(a, b)))
    with np.errstate(divide="ignore"):
        noise = P.multiply(P.log(mse), _c(a, 10 / math.log(10)))
    return P.subtract(_c(a, 20 * math.log10(peak)), noise)


# ================================================================= attention
def _attention_ref(q, k, v, scale=None, is_causal=False):
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (
        1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        logits = np.where(np.tril(np.ones(logits.shape[-2:], bool)), logits, -np.inf)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", p, v).astype(q.dtype)


@register("dot_product_attention", args=("x", "x", "x"),
          shapes=((2, 3, 2, 4), (2, 5, 2, 4), (2, 5, 2, 4)),
          cases=({}, {"is_causal": True}, {"scale": 0.5}), ref=_attention_ref)
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention: ``softmax(query . key / sqrt(H) + bias) . value``
    per batch element and head, over the key positions.

    Shapes: B batch, T query length, S key length, N query heads, K key / value heads,
    H head size.

    Parameters
    ----------
    query
        Shape (B, T, N, H).
    key
        Shape (B, S, K, H). K == N is multi-head attention; K dividing N is grouped-query
        attention (each key / value head serves N // K query heads).
    value
        Shape (B, S, K, H), as key.
    bias
        Added to the logits, broadcastable to (B, N, T, S). Default None.
    mask
        Boolean, broadcastable to (B, N, T, S): True where a query position may attend
        to a key position. Default None.
    scale
        The logits' scale. Default None: ``1 / sqrt(H)``.
    is_causal
        Whether query position t attends only to key positions s <= t. Default False.
    flash_attention
        fastnn computes attention one way (this plain form): only None or False.
    attn_logits_soft_cap
        Only None (Keras supports it with JAX on TPU only).

    Returns
    -------
    Tensor
        Shape (B, T, N, H).
    """
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: attn_logits_soft_cap is only supported "
                         "for JAX on TPU. Set attn_logits_soft_cap=None")
    if flash_attention:
        raise ValueError("dot_product_attention: flash attention is not supported by "
                         "fastnn: set flash_attention to None or False")
    _argcheck.boolean(is_causal, "is_causal", "dot_product_attention")
    ts = [t if isinstance(t, Tensor) else convert_to_tensor(t) for t in (query, key, value)]
    dt = np.result_type(*[t.dtype for t in ts])
    if dt.kind != "f" or dt not in _F:
        dt = FLOATX if dt.kind != "f" or dt.itemsize < 8 else np.dtype(np.float64)
    q, k, v = [t if t.dtype == dt else P.cast(t, dt) for t in ts]
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"dot_product_attention: query, key and value must be 4-D, "
                         f"(batch, length, heads, head size). Received: query.shape="
                         f"{q.shape}, key.shape={k.shape}, value.shape={v.shape}")
    if k.shape != v.shape:
        raise ValueError(f"dot_product_attention: key and value must have the same shape, "
                         f"got key.shape={k.shape}, value.shape={v.shape}")
    b, t, n, h = q.shape
    if k.shape[0] != b or k.shape[3] != h:
        raise ValueError(f"dot_product_attention: key must have query's batch size and "
                         f"head size, (B, S, K, H) = ({b}, S, K, {h}), got key.shape="
                         f"{k.shape}")
    groups = k.shape[2]
    if groups == 0 or n % groups:
        raise ValueError(f"dot_product_attention: the number of key / value heads must "
                         f"divide the number of query heads, got {groups} and {n}")
    if groups != n:
        k = P.repeat(k, n // groups, axis=2)
        v = P.repeat(v, n // groups, axis=2)
    s = k.shape[1]
    scale = 1.0 / math.sqrt(h) if scale is None else _real(scale, "scale",
                                                           "dot_product_attention")
    logits = P.matmul(P.transpose(q, (0, 2, 1, 3)), P.transpose(k, (0, 2, 3, 1)))
    logits = P.multiply(logits, _c(logits, scale))
    if bias is not None:
        bt = bias if isinstance(bias, Tensor) else convert_to_tensor(bias)
        try:
            np.broadcast_shapes(bt.shape, logits.shape)
        except ValueError:
            raise ValueError(f"dot_product_attention: bias must broadcast to (B, N, T, S) = "
                             f"{logits.shape}, got shape {bt.shape}") from None
        logits = P.add(logits, bt if bt.dtype == dt else P.cast(bt, dt))
    keep = None
    if mask is not None:
        keep = np.asarray(_raw(mask)).astype(bool)
    if is_causal:
        causal = np.tril(np.ones((t, s), bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        try:
            keep = np.broadcast_to(keep, logits.shape)
        except ValueError:
            raise ValueError(f"dot_product_attention: mask must broadcast to (B, N, T, S) "
                             f"= {logits.shape}, got shape {np.shape(_raw(mask))}") from None
        # masked logits get a large negative value (a fully masked row: uniform weights)
        logits = P.where(keep, logits, _c(logits, -0.7 * float(np.finfo(dt).max)))
    probs = softmax(logits, axis=-1)
    out = P.matmul(probs, P.transpose(v, (0, 2, 1, 3)))
    return P.transpose(out, (0, 2, 1, 3))


# ======================================================================== CTC
_CTC_NEG = -1e5        # "log 0" of the CTC recursions: finite, so gradients stay finite


def _ctc_ints(v, name, owner):
    """v as an int64 array: integers, or floats with integer values (Keras casts them)."""
    a = np.asarray(_raw(v))
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.floor(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{owner}: {name} must hold integers, got dtype {a.dtype}"
                        + (" with non-integer values" if a.dtype.kind == "f" else ""))
    return a.astype(np.int64)


def _ctc_lengths(v, name, batch, hi, owner):
    a = _ctc_ints(v, name, owner)
    if a.shape != (batch,):
        raise ValueError(f"{owner}: {name} must be {batch} integers (one per batch "
                         f"element), got shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() > hi):
        raise ValueError(f"{owner}: {name} must be in [0, {hi}], got values in "
                         f"[{a.min()}, {a.max()}]")
    return a


def _ctc_labels(target, target_length, output_length, batch, steps, owner):
    """(int64 targets (B, N), their lengths (B,), the output lengths (B,)) validated."""
    t = _ctc_ints(target, "target", owner)
    if t.ndim != 2 or t.shape[0] != batch:
        raise ValueError(f"{owner}: target must have shape (batch_size, max_length) with "
                         f"the batch size {batch} of output, got shape {t.shape}")
    return (t, _ctc_lengths(target_length, "target_length", batch, t.shape[1], owner),
            _ctc_lengths(output_length, "output_length", batch, steps, owner))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The connectionist temporal classification loss (Graves et al., 2006): for each
    batch element, minus the log of the total probability, over every alignment of its
    first output_length steps, of its first target_length labels (the class mask_index
    being the blank).

    Parameters
    ----------
    target
        The labels, integers of shape (batch_size, max_label_length).
    output
        The logits (not softmax-normalised), shape (batch_size, max_length,
        num_classes).
    target_length
        The number of labels of each element, shape (batch_size,).
    output_length
        The number of steps of each element, shape (batch_size,).
    mask_index
        The class of the blank. Default 0.

    Returns
    -------
    Tensor
        The losses, shape (batch_size,).
    """
    out = _float(output)
    if out.ndim != 3:
        raise ValueError(f"ctc_loss: output must have shape (batch_size, max_length, "
                         f"num_classes), got shape {out.shape}")
    b, steps, k = out.shape
    blank = _argcheck.integer(mask_index, "mask_index", "ctc_loss", lo=0, hi=k - 1)
    labels, lab_len, out_len = _ctc_labels(target, target_length, output_length, b, steps,
                                           "ctc_loss")
    n = labels.shape[1]
    if np.any((labels[np.arange(n)[None, :] < lab_len[:, None]] < 0) |
              (labels[np.arange(n)[None, :] < lab_len[:, None]] >= k)):
        raise ValueError(f"ctc_loss: target labels must be in [0, {k}) within "
                         f"target_length")
    # the extended sequences: a blank before, between and after the labels
    s = 2 * n + 1
    ext = np.full((b, s), blank, np.int64)
    ext[:, 1::2] = np.clip(labels, 0, k - 1)
    skip = np.zeros((b, s), bool)        # s - 2 -> s: a label unlike the one before it
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    lp = log_softmax(out, axis=-1)
    emit = P.take_along_axis(lp, np.broadcast_to(ext[:, None, :], (b, steps, s)), axis=2)
    neg = _c(out, _CTC_NEG)
    first = np.zeros((b, s), bool)
    first[:, :2] = True
    alpha = P.where(first, P.getitem(emit, (slice(None), 0)), neg)
    pad1 = _wrap(np.full((b, 1), _CTC_NEG, out.dtype))
    pad2 = _wrap(np.full((b, 2), _CTC_NEG, out.dtype))
    for t in range(1, steps):
        live = (t < out_len)[:, None]
        if not live.any():
            break
        stay = P.getitem(alpha, (slice(None), slice(0, s - 1)))
        one = P.concatenate([pad1, stay], axis=1)
        two = P.where(skip, P.concatenate(
            [pad2, P.getitem(alpha, (slice(None), slice(0, s - 2)))], axis=1), neg)
        new = P.add(P.logaddexp(P.logaddexp(alpha, one), two),
                    P.getitem(emit, (slice(None), t)))
        alpha = P.where(live, new, alpha)
    rows = np.arange(b)
    last = P.getitem(alpha, (rows, 2 * lab_len))
    before = P.where(lab_len > 0, P.getitem(alpha, (rows, np.maximum(2 * lab_len - 1, 0))),
                     neg)
    total = P.logaddexp(last, before)
    return P.negative(P.where(out_len > 0, total, _c(out, 0)))


def _ctc_collapse(path, blank, merge_repeated=True):
    """The labels of an alignment: repeats merged (when asked) and blanks dropped."""
    labels, prev = [], None
    for c in path:
        if c != blank and not (merge_repeated and c == prev):
            labels.append(int(c))
        prev = c
    return labels


def _ctc_beam_search(lp, beam_width, top_paths, blank):
    """Prefix beam search over log-probabilities lp (steps, classes): the top_paths
    label sequences of highest total probability (over their alignments, as the beams
    keep them) and their log-probabilities."""
    # each prefix: (log p of its alignments ending in a blank, ... in a label)
    beams = {(): (0.0, -np.inf)}
    for row in lp:
        nxt = {}

        def add(prefix, pb, pnb):
            ob, onb = nxt.get(prefix, (-np.inf, -np.inf))
            nxt[prefix] = (np.logaddexp(ob, pb), np.logaddexp(onb, pnb))
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            add(prefix, total + row[blank], -np.inf)
            for c in range(len(row)):
                if c == blank:
                    continue
                if prefix and prefix[-1] == c:
                    add(prefix, -np.inf, pnb + row[c])           # the repeat, merged
                    add(prefix + (c,), -np.inf, pb + row[c])     # a new c after a blank
                else:
                    add(prefix + (c,), -np.inf, total + row[c])
        ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = dict(ranked[:beam_width])
    ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
    return [(list(p), float(np.logaddexp(*v))) for p, v in ranked]


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes the output of a CTC model into label sequences.

    Parameters
    ----------
    inputs
        The logits (not softmax-normalised), shape (batch_size, max_length,
        num_classes).
    sequence_lengths
        The number of steps of each element, shape (batch_size,).
    strategy
        "greedy" (the best class at each step) or "beam_search" (a prefix beam search
        for the label sequences of highest probability). Default "greedy".
    beam_width
        The number of prefixes the beam search keeps. Default 100.
    top_paths
        The number of sequences the beam search returns per element. Default 1.
    merge_repeated
        Whether the greedy strategy merges repeated classes (the beam search always
        does, as CTC defines). Default True.
    mask_index
        The class of the blank. Default 0.

    Returns
    -------
    tuple
        (decoded, scores): decoded int32 of shape (paths, batch_size, max_length), the
        labels of each sequence followed by -1 (paths is 1 for greedy, top_paths for
        beam search); scores of shape (batch_size, paths): minus the sum of the chosen
        logits (greedy), or the log-probability of each sequence (beam search).
    """
    _argcheck.string(strategy, "strategy", "ctc_decode", choices=("greedy", "beam_search"))
    x = _float(inputs)
    if x.ndim != 3:
        raise ValueError(f"ctc_decode: inputs must have shape (batch_size, max_length, "
                         f"num_classes), got shape {x.shape}")
    b, steps, k = x.shape
    blank = _argcheck.integer(mask_index, "mask_index", "ctc_decode", lo=0, hi=k - 1)
    lens = _ctc_lengths(sequence_lengths, "sequence_lengths", b, steps, "ctc_decode")
    xr = _raw(x)
    if strategy == "greedy":
        _argcheck.boolean(merge_repeated, "merge_repeated", "ctc_decode")
        decoded = np.full((1, b, steps), -1, np.int32)
        scores = np.empty((b, 1), xr.dtype)
        for i in range(b):
            best = np.argmax(xr[i, :lens[i]], axis=-1)
            labels = _ctc_collapse(best, blank, bool(merge_repeated))
            decoded[0, i, :len(labels)] = labels
            scores[i, 0] = -np.sum(np.max(xr[i, :lens[i]], axis=-1))
        return _wrap(decoded), _wrap(scores)
    width = _argcheck.integer(beam_width, "beam_width", "ctc_decode", lo=1)
    paths = _argcheck.integer(top_paths, "top_paths", "ctc_decode", lo=1, hi=width)
    lp = _raw(log_softmax(x, axis=-1)).astype(np.float64)
    decoded = np.full((paths, b, steps), -1, np.int32)
    scores = np.full((b, paths), -np.inf, xr.dtype)
    for i in range(b):
        for j, (labels, score) in enumerate(_ctc_beam_search(lp[i, :lens[i]], width, paths,
                                                             blank)):
            decoded[j, i, :len(labels)] = labels
            scores[i, j] = score
    return _wrap(decoded), _wrap(scores)


def _ctc_alignments(steps, k):
    return np.stack(np.meshgrid(*[np.arange(k)] * steps, indexing="ij"), -1).reshape(-1, steps)


def _ctc_brute_force(output, target, target_length, output_length, blank=0):
    """-log of the summed probability of every alignment that collapses to the labels,
    by enumerating all alignments (a reference for small sizes)."""
    out = np.asarray(output, np.float64)
    lp = out - out.max(-1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    losses = []
    for i in range(out.shape[0]):
        n = int(output_length[i])
        want = [int(c) for c in target[i, :target_length[i]]]
        total = -np.inf
        for path in _ctc_alignments(n, out.shape[2]):
            if _ctc_collapse(path, blank) == want:
                total = np.logaddexp(total, lp[i, np.arange(n), path].sum())
        losses.append(-total)
    return np.asarray(losses, np.asarray(output).dtype)


_CTC_CASE = {"target": np.array([[1, 2, 2], [2, 1, 0]]), "target_length": np.array([3, 2]),
             "output_length": np.array([5, 4])}
register("ctc_loss", shapes=((2, 5, 3),), cases=(_CTC_CASE,),
         ref=lambda o, target, target_length, output_length: _ctc_brute_force(
             o, target, target_length, output_length))(
    lambda output, target, target_length, output_length: ctc_loss(
        target, output, target_length, output_length))


def _ctc_decode_ref(x, sequence_lengths, strategy="greedy", top_paths=1):
    """Greedy: the best class per step, collapsed; beam search with a beam that keeps
    every prefix: the most probable label sequences over all their alignments."""
    dtype = np.asarray(x).dtype
    x = np.asarray(x, np.float64)
    b, steps, k = x.shape
    paths = 1 if strategy == "greedy" else top_paths
    decoded = np.full((paths, b, steps), -1, np.int32)
    scores = np.zeros((b, paths))
    for i in range(b):
        n = int(sequence_lengths[i])
        if strategy == "greedy":
            labels = _ctc_collapse(np.argmax(x[i, :n], -1), 0)
            decoded[0, i, :len(labels)] = labels
            scores[i, 0] = -x[i, :n].max(-1).sum()
            continue
        lp = x[i, :n] - np.log(np.exp(x[i, :n]).sum(-1, keepdims=True))
        probs = {}
        for path in _ctc_alignments(n, k):
            key = tuple(_ctc_collapse(path, 0))
            probs[key] = np.logaddexp(probs.get(key, -np.inf), lp[np.arange(n), path].sum())
        best = sorted(probs.items(), key=lambda kv: -kv[1])[:paths]
        for j, (labels, score) in enumerate(best):
            decoded[j, i, :len(labels)] = labels
            scores[i, j] = score
    return decoded, scores.astype(dtype)


register("ctc_decode", shapes=((2, 4, 3),), grad=False,
         cases=({"sequence_lengths": np.array([4, 3])},
                {"sequence_lengths": np.array([4, 3]), "strategy": "beam_search",
                 "top_paths": 3}),
         ref=lambda x, **kw: _ctc_decode_ref(x, **kw), rtol=1e-5)(
    lambda x, sequence_lengths, strategy="greedy", top_paths=1: ctc_decode(
        x, sequence_lengths, strategy=strategy, top_paths=top_paths))


# ================================================ polar; depth/space; fold / unfold
def _polar_ref(abs_, angle):
    abs_, angle = np.asarray(abs_), np.asarray(angle)
    dt = np.complex128 if np.float64 in (abs_.dtype, angle.dtype) else np.complex64
    return (abs_ * np.cos(angle) + 1j * (abs_ * np.sin(angle))).astype(dt)


@register("polar", args=("pos", "x"), grad=False, ref=_polar_ref)
def polar(abs_, angle):
    """The complex numbers of absolute value ``abs_`` and angle ``angle``,
    ``abs_ * cos(angle) + 1j * abs_ * sin(angle)``, element-wise with broadcasting:
    complex128 if either is float64, else complex64.

    Parameters
    ----------
    abs_
        The absolute values.
    angle
        The angles, in radians.
    """
    r = _float(abs_)
    t = _float(angle)
    rr, tr = _raw(r), _raw(t)
    dt = np.complex128 if np.float64 in (rr.dtype, tr.dtype) else np.complex64
    shape = np.broadcast_shapes(rr.shape, tr.shape)
    out = np.empty(shape, dt)
    out.real = rr * np.cos(tr)
    out.imag = rr * np.sin(tr)
    return _wrap(out)


def _data_format(data_format, owner):
    if data_format is None:
        return "channels_last"
    if not isinstance(data_format, str) or data_format.lower() not in (
            "channels_last", "channels_first"):
        raise ValueError(f"{owner}: data_format must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    return data_format.lower()


def _block_size(block_size, owner):
    if isinstance(block_size, (bool, np.bool_)) or not isinstance(block_size,
                                                                  numbers.Integral):
        raise TypeError(f"{owner}: block_size must be an int, got "
                        f"{type(block_size).__name__} {block_size!r}")
    if block_size < 2:
        raise ValueError(f"{owner}: block_size must be at least 2, got {block_size}")
    return int(block_size)


def _image4d(x, owner):
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{owner}: x must be a 4D tensor (batch, height, width, "
                         f"channels) or (batch, channels, height, width), got shape "
                         f"{x.shape}")
    return x


def _dts_ref(x, block_size, data_format="channels_last"):
    b = block_size
    if data_format == "channels_first":     # channel c * b * b + a * b + d -> (a, d)
        n, c, h, w = x.shape
        oc = c // (b * b)
        y = np.zeros((n, oc, h * b, w * b), x.dtype)
        for k in range(oc):
            for i in range(h * b):
                for j in range(w * b):
                    y[:, k, i, j] = x[:, k * b * b + (i % b) * b + j % b, i // b, j // b]
        return y
    n, h, w, c = x.shape
    y = np.zeros((n, h * b, w * b, c // (b * b)), x.dtype)
    for i in range(h * b):
        for j in range(w * b):
            k0 = ((i % b) * b + j % b) * (c // (b * b))
            y[:, i, j, :] = x[:, i // b, j // b, k0:k0 + c // (b * b)]
    return y


@register("depth_to_space", args=("x",), shapes=((2, 4, 4, 8),),
          cases=({"block_size": 2}, {"block_size": 2, "data_format": "channels_first"}),
          ref=_dts_ref)
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves blocks of channels into space (pixel shuffle): ``(N, H, W, C * r**2)``
    becomes ``(N, H * r, W * r, C)`` for ``r = block_size``, the output pixel
    ``(i * r + a, j * r + b)`` taking channels ``(a * r + b) * C`` to
    ``(a * r + b + 1) * C`` of input pixel ``(i, j)`` (channels first: output channel
    ``k`` of that pixel is input channel ``k * r**2 + a * r + b``); the inverse of
    ``space_to_depth``.

    Parameters
    ----------
    x
        A 4-D tensor.
    block_size
        The block's side ``r``, an int of at least 2; the channels must be a multiple
        of ``r**2``.
    data_format
        ``"channels_last"`` (default: ``(N, H, W, C)``) or ``"channels_first"``
        (``(N, C, H, W)``).
    """
    data_format = _data_format(data_format, "depth_to_space")
    b = _block_size(block_size, "depth_to_space")
    x = _image4d(x, "depth_to_space")
    if data_format == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if c % (b * b):
        raise ValueError(f"depth_to_space: the channels ({c}) must be a multiple of "
                         f"block_size**2 ({b * b}), got shape {x.shape}")
    oc = c // (b * b)
    if data_format == "channels_last":
        y = P.reshape(x, (n, h, w, b, b, oc))
        y = P.transpose(y, (0, 1, 3, 2, 4, 5))
        return P.reshape(y, (n, h * b, w * b, oc))
    y = P.reshape(x, (n, oc, b, b, h, w))
    y = P.transpose(y, (0, 1, 4, 2, 5, 3))
    return P.reshape(y, (n, oc, h * b, w * b))


@register("space_to_depth", args=("x",), shapes=((2, 4, 6, 4),),
          cases=({"block_size": 2}, {"block_size": 2, "data_format": "channels_first"}),
          ref=lambda x, block_size, data_format="channels_last": _std_ref(
              x, block_size, data_format))
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves blocks of space into channels: ``(N, H * r, W * r, C)`` becomes
    ``(N, H, W, C * r**2)`` for ``r = block_size``; the inverse of ``depth_to_space``.

    Parameters
    ----------
    x
        A 4-D tensor.
    block_size
        The block's side ``r``, an int of at least 2; the height and width must be
        multiples of it.
    data_format
        ``"channels_last"`` (default: ``(N, H, W, C)``) or ``"channels_first"``
        (``(N, C, H, W)``).
    """
    data_format = _data_format(data_format, "space_to_depth")
    b = _block_size(block_size, "space_to_depth")
    x = _image4d(x, "space_to_depth")
    if data_format == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if h % b or w % b:
        raise ValueError(f"space_to_depth: the height and width ({h}, {w}) must be "
                         f"multiples of block_size ({b}), got shape {x.shape}")
    if data_format == "channels_last":
        y = P.reshape(x, (n, h // b, b, w // b, b, c))
        y = P.transpose(y, (0, 1, 3, 2, 4, 5))
        return P.reshape(y, (n, h // b, w // b, b * b * c))
    y = P.reshape(x, (n, c, h // b, b, w // b, b))
    y = P.transpose(y, (0, 1, 3, 5, 2, 4))
    return P.reshape(y, (n, b * b * c, h // b, w // b))


def _std_ref(x, block_size, data_format="channels_last"):
    b = block_size
    if data_format == "channels_first":
        n, c, h, w = x.shape
        y = np.zeros((n, c * b * b, h // b, w // b), x.dtype)
        for k in range(c):
            for i in range(h):
                for j in range(w):
                    y[:, k * b * b + (i % b) * b + j % b, i // b, j // b] = x[:, k, i, j]
        return y
    n, h, w, c = x.shape
    y = np.zeros((n, h // b, w // b, c * b * b), x.dtype)
    for i in range(h):
        for j in range(w):
            k0 = ((i % b) * b + j % b) * c
            y[:, i // b, j // b, k0:k0 + c] = x[:, i, j, :]
    return y


def _pair2(v, name, owner, low):
    vals = (v, v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else v
    if not isinstance(vals, (tuple, list)) or len(vals) != 2 or any(
            isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Integral)
            for a in vals):
        raise TypeError(f"{owner}: {name} must be an int or a tuple of two ints, got "
                        f"{type(v).__name__} {v!r}")
    if any(a < low for a in vals):
        raise ValueError(f"{owner}: {name} must be at least {low}, got {v!r}")
    return int(vals[0]), int(vals[1])


def _patch_index(size, kernel, dilation, padding, stride, owner):
    """For a padded (H + 2 pH, W + 2 pW) plane, the flat index of each patch element,
    ordered (kH, kW, nH, nW), and the number of patches (nH, nW)."""
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = size, kernel, dilation, padding, stride
    nh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    nw = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if nh < 1 or nw < 1:
        raise ValueError(f"{owner}: the kernel {kernel} with dilation {dilation} does not "
                         f"fit in the padded {h + 2 * ph} x {w + 2 * pw} input")
    rows = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(nh) * sh)[None, None, :,
                                                                               None]
    cols = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(nw) * sw)[None, None,
                                                                               None, :]
    return (rows * (w + 2 * pw) + cols).reshape(-1), nh, nw


def _unfold_ref(x, kernel_size, dilation=1, padding=0, stride=1):
    kh = kw = kernel_size
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = x.shape
    nh = (h - dilation * (kh - 1) - 1) // stride + 1
    nw = (w - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, c, kh, kw, nh, nw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            for p in range(nh):
                for q in range(nw):
                    out[:, :, i, j, p, q] = x[:, :, i * dilation + p * stride,
                                              j * dilation + q * stride]
    return out.reshape(n, c * kh * kw, nh * nw)


@register("unfold", args=("x",), shapes=((2, 2, 5, 6),),
          cases=({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                 {"kernel_size": 2, "dilation": 2}),
          ref=_unfold_ref)
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a batch of images (im2col): for ``x`` of shape
    ``(N, C, H, W)``, the ``(N, C * kH * kW, L)`` tensor whose column ``l`` holds the
    ``l``-th block (row-major over the ``L = nH * nW`` block positions), channel by
    channel, each channel's ``kH x kW`` block row by row.

    Parameters
    ----------
    x
        A 4-D tensor in channels-first layout, ``(N, C, H, W)``.
    kernel_size
        The block's size, an int or ``(kH, kW)``.
    dilation
        The spacing of the block's elements, an int or a pair. Default 1.
    padding
        The zeros added on each side of each spatial axis, an int or a pair. Default 0.
    stride
        The step between blocks, an int or a pair. Default 1.
    """
    x = _image4d(x, "unfold")
    k = _pair2(kernel_size, "kernel_size", "unfold", 1)
    d = _pair2(dilation, "dilation", "unfold", 1)
    p = _pair2(padding, "padding", "unfold", 0)
    s = _pair2(stride, "stride", "unfold", 1)
    n, c, h, w = x.shape
    idx, nh, nw = _patch_index((h, w), k, d, p, s, "unfold")
    if p != (0, 0):
        x = P.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    flat = P.reshape(x, (n, c, (h + 2 * p[0]) * (w + 2 * p[1])))
    cols = P.getitem(flat, (slice(None), slice(None), idx))
    return P.reshape(cols, (n, c * k[0] * k[1], nh * nw))


def _fold_ref(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    kh = kw = kernel_size
    oh, ow = (output_size, output_size) if np.ndim(output_size) == 0 else output_size
    n, ckk, _ = x.shape
    c = ckk // (kh * kw)
    h, w = oh + 2 * padding, ow + 2 * padding
    nh = (h - dilation * (kh - 1) - 1) // stride + 1
    nw = (w - dilation * (kw - 1) - 1) // stride + 1
    xs = x.reshape(n, c, kh, kw, nh, nw)
    out = np.zeros((n, c, h, w), x.dtype)
    for i in range(kh):
        for j in range(kw):
            for p in range(nh):
                for q in range(nw):
                    out[:, :, i * dilation + p * stride, j * dilation + q * stride] += \
                        xs[:, :, i, j, p, q]
    return out[:, :, padding:h - padding, padding:w - padding]


@register("fold", args=("x",), shapes=((2, 8, 12),),
          cases=({"output_size": (4, 5), "kernel_size": 2},
                 {"output_size": (5, 7), "kernel_size": 2, "stride": 2, "padding": 1}),
          ref=_fold_ref)
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The images whose sliding blocks are the columns of ``x`` (col2im), the values of
    overlapping blocks summed: the transpose of ``unfold``. ``x`` of shape
    ``(N, C * kH * kW, L)`` gives ``(N, C, oH, oW)``.

    Parameters
    ----------
    x
        A 3-D tensor ``(N, C * kH * kW, L)``, ``L`` the number of block positions.
    output_size
        The images' size, an int or ``(oH, oW)``.
    kernel_size
        The block's size, an int or ``(kH, kW)``.
    dilation
        The spacing of the block's elements, an int or a pair. Default 1.
    padding
        The padding ``unfold`` added on each side (removed here), an int or a pair.
        Default 0.
    stride
        The step between blocks, an int or a pair. Default 1.
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"fold: x must be a 3D tensor (N, C * kH * kW, L), got shape "
                         f"{x.shape}")
    o = _pair2(output_size, "output_size", "fold", 1)
    k = _pair2(kernel_size, "kernel_size", "fold", 1)
    d = _pair2(dilation, "dilation", "fold", 1)
    p = _pair2(padding, "padding", "fold", 0)
    s = _pair2(stride, "stride", "fold", 1)
    n, ckk, length = x.shape
    if ckk % (k[0] * k[1]):
        raise ValueError(f"fold: x's second axis ({ckk}) must be a multiple of "
                         f"kH * kW ({k[0] * k[1]}), got shape {x.shape}")
    idx, nh, nw = _patch_index(o, k, d, p, s, "fold")
    if nh * nw != length:
        raise ValueError(f"fold: x's last axis ({length}) must be the number of block "
                         f"positions, {nh} x {nw} = {nh * nw} for output_size {o}, "
                         f"kernel_size {k}, dilation {d}, padding {p}, stride {s}")
    c = ckk // (k[0] * k[1])
    hp, wp = o[0] + 2 * p[0], o[1] + 2 * p[1]
    cols = P.reshape(x, (n, c, k[0] * k[1] * length))
    plane = P.scatter(cols, (slice(None), slice(None), idx), (n, c, hp * wp))
    out = P.reshape(plane, (n, c, hp, wp))
    if p != (0, 0):
        out = P.getitem(out, (slice(None), slice(None), slice(p[0], p[0] + o[0]),
                              slice(p[1], p[1] + o[1])))
    return out
