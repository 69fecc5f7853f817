"""keras.ops.linalg: matrix decompositions, inverses, solves and norms, on the last two
axes of their inputs (leading axes are a batch).

Integer and bool inputs are computed in float32 (Keras' floatx) and float16 ones in
float32 and returned as float16; results keep a float input's dtype. det, inv, solve,
solve_triangular, cholesky, cholesky_inverse, eigh, svd, matrix_power and norm are
differentiable under a GradientTape (their gradients are written with differentiable
primitives: second derivatives too), and so are lstsq and pinv (computed through the
SVD), and qr where the decomposition is unique. A gradient asked through eig or
lu_factor raises LookupError naming the
function (fastnn has no gradient rule for them).
"""
import builtins
import numbers

import numpy as np

from fastnn.tensor import Tensor
from fastnn.autodiff import primitives as P
from fastnn.autodiff import tape as _tape
from fastnn.autodiff.core_ops import FLOATX, convert_to_tensor
from fastnn.autodiff.registry import register
from fastnn.autodiff.tape import _raw, _wrap

__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
           "lu_factor", "matrix_power", "matrix_rank", "norm", "pinv", "qr", "solve",
           "solve_triangular", "svd"]


# ----------------------------------------------------------------------- helpers
def _matrix(x, owner, name="x", square=True):
    """x as a float Tensor of rank >= 2 (square unless told), and the dtype to return."""
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{owner}: {name} must have rank >= 2 (a matrix or a batch of "
                         f"them), got shape {x.shape}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{owner}: {name} must be square in its last two axes, got shape "
                         f"{x.shape}")
    return _compute_dtype(x)


def _compute_dtype(x):
    """(x in the dtype NumPy's linalg computes in, the dtype of the result)."""
    if x.dtype.kind not in "fc":
        return P.cast(x, FLOATX), FLOATX
    if x.dtype == np.float16:
        return P.cast(x, np.float32), x.dtype
    return x, x.dtype


class _Singular:
    """Turns NumPy's "Singular matrix" into an error naming the function and argument
    (still numpy.linalg.LinAlgError, a ValueError)."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if kind is not None and issubclass(kind, np.linalg.LinAlgError):
            raise np.linalg.LinAlgError(f"{self.owner}: {self.name} is singular (not "
                                        f"invertible): {err}") from None
        return False


def _back(y, dt):
    return y if y.dtype == dt or y.dtype.kind == "c" else P.cast(y, dt)


def _no_gradient(inputs, outputs, name):
    """outputs recorded with a VJP that says `name` has no gradient rule."""
    def vjp(*_):
        raise LookupError(f"{name} has no gradient in fastnn: it is not differentiable "
                          f"under a GradientTape")
    if not _tape.should_record(inputs):
        return tuple(_wrap(o) for o in outputs) if isinstance(outputs, tuple) else \
            _wrap(outputs)
    return _tape.record(inputs, outputs, vjp, name=name)


# ----------------------------------------------------------------------- inverses
@register("det", args=("x",), shapes=((4, 4),), ref=np.linalg.det, rtol=1e-4)
def det(x):
    """The determinant of x (of its last two axes).

    Parameters
    ----------
    x
        A square matrix or a batch of them, `(..., M, M)`.
    """
    x, dt = _matrix(x, "det")
    return _back(P.det(x), dt)


@register("inv", args=("x",), shapes=((4, 4),), ref=np.linalg.inv, rtol=1e-4)
def inv(x):
    """The inverse of x (of its last two axes).

    Parameters
    ----------
    x
        A square matrix or a batch of them, `(..., M, M)`.
    """
    x, dt = _matrix(x, "inv")
    with _Singular("inv", "x"):
        return _back(P.inv(x), dt)


def _pair(a, b, owner):
    a = a if isinstance(a, Tensor) else convert_to_tensor(a)
    b = b if isinstance(b, Tensor) else convert_to_tensor(b)
    kinds = a.dtype.kind in "fc", b.dtype.kind in "fc"
    if all(kinds):
        dt = np.result_type(a.dtype, b.dtype)
    elif any(kinds):
        dt = a.dtype if kinds[0] else b.dtype
    else:
        dt = FLOATX
    a = a if a.dtype == dt else P.cast(a, dt)
    b = b if b.dtype == dt else P.cast(b, dt)
    a, out_dt = _matrix(a, owner, "a")
    b, _ = _compute_dtype(b)
    if b.ndim < 1:
        raise ValueError(f"{owner}: b must have rank >= 1, got a scalar")
    vec = b.ndim == a.ndim - 1
    rows = b.shape[-1] if vec else b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if rows != a.shape[-1]:
        raise ValueError(f"{owner}: b must have {a.shape[-1]} rows (a's last axis), got "
                         f"shape {b.shape} for a of shape {a.shape}")
    return a, b, out_dt


@register("solve", args=("x", "x"), shapes=((4, 4), (4, 3)), ref=np.linalg.solve, rtol=1e-4)
def solve(a, b):
    """The solution x of `a @ x = b`.

    Parameters
    ----------
    a
        A square matrix or a batch of them, `(..., M, M)`.
    b
        The right-hand side: `(..., M, K)`, or `(..., M)` (a vector per matrix) when
        its rank is one less than that of `a`.
    """
    a, b, dt = _pair(a, b, "solve")
    with _Singular("solve", "a"):
        return _back(P.solve(a, b), dt)


def _ref_solve_triangular(a, b, lower=False):
    t = np.tril(a) if lower else np.triu(a)
    return np.linalg.solve(t, b)


@register("solve_triangular", args=("x", "x"), shapes=((4, 4), (4, 3)),
          cases=({"lower": False}, {"lower": True}), ref=_ref_solve_triangular, rtol=1e-3)
def solve_triangular(a, b, lower=False):
    """The solution x of `a @ x = b` for a triangular `a` (only its lower or upper
    triangle is read).

    Parameters
    ----------
    a
        A square matrix or a batch of them, `(..., M, M)`.
    b
        The right-hand side: `(..., M, K)`, or `(..., M)` when its rank is one less
        than that of `a`.
    lower : bool
        Read the lower triangle of `a` (default False: the upper one).
    """
    if not isinstance(lower, (bool, np.bool_)):
        raise TypeError(f"solve_triangular: lower must be True or False, got "
                        f"{type(lower).__name__} {lower!r}")
    a, b, dt = _pair(a, b, "solve_triangular")
    with _Singular("solve_triangular", "a"):
        return _back(P.solve_triangular(a, b, lower=bool(lower)), dt)


def _check_upper(upper, owner):
    if not isinstance(upper, (bool, np.bool_)):
        raise TypeError(f"{owner}: upper must be True or False, got {type(upper).__name__} "
                        f"{upper!r}")
    return bool(upper)


def cholesky(x, upper=False):
    """The Cholesky factor of the symmetric positive-definite x: the lower-triangular L
    with `x = L @ L.T` (with `upper`, its transpose U, `x = U.T @ U`). Only x's lower
    triangle is read.

    Parameters
    ----------
    x
        A symmetric positive-definite matrix or a batch of them, `(..., M, M)`.
    upper : bool
        Return the upper-triangular factor (default False).
    """
    upper = _check_upper(upper, "cholesky")
    x, dt = _matrix(x, "cholesky")
    try:
        low = P.cholesky(x)
    except np.linalg.LinAlgError as e:
        raise ValueError(f"cholesky: x must be symmetric positive-definite; the "
                         f"decomposition failed ({e})") from None
    return _back(P.swapaxes(low, -1, -2) if upper else low, dt)


def cholesky_inverse(x, upper=False):
    """The inverse of the matrix whose Cholesky factor is x: of `x @ x.T` for a
    lower-triangular x, of `x.T @ x` with `upper`.

    Parameters
    ----------
    x
        A triangular Cholesky factor or a batch of them, `(..., M, M)`.
    upper : bool
        x is upper triangular (default False: lower).
    """
    upper = _check_upper(upper, "cholesky_inverse")
    x, dt = _matrix(x, "cholesky_inverse")
    diag = np.diagonal(_raw(x), axis1=-2, axis2=-1)
    if np.any(diag == 0):
        raise ValueError("cholesky_inverse: x must be a Cholesky factor, with no zero on "
                         "its diagonal")
    eye = _wrap(np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape))
    # x^-1 of the triangular factor, then A^-1 = (L L^T)^-1 = L^-T L^-1 (or U^-1 U^-T)
    xi = P.solve_triangular(x, eye, lower=not upper)
    xit = P.swapaxes(xi, -1, -2)
    return _back(P.matmul(xi, xit) if upper else P.matmul(xit, xi), dt)


def _ref_matrix_power(x, n):
    return np.linalg.matrix_power(x, n)


@register("matrix_power", args=("x",), shapes=((4, 4),), cases=({"n": 3}, {"n": 0},
                                                                  {"n": -2}),
          ref=_ref_matrix_power, rtol=1e-3)
def matrix_power(x, n):
    """x raised to the integer power n by repeated matrix products (`n = 0`: the
    identity; `n < 0`: the power -n of x's inverse).

    Parameters
    ----------
    x
        A square matrix or a batch of them, `(..., M, M)`.
    n : int
        The exponent.
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
        raise TypeError(f"matrix_power: n must be an integer, got {type(n).__name__} {n!r}")
    x, dt = _matrix(x, "matrix_power")
    n = int(n)
    if n == 0:
        return _back(_wrap(np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype),
                                           x.shape).copy()), dt)
    with _Singular("matrix_power", "x (with a negative n)"):
        base = P.inv(x) if n < 0 else x
    k = abs(n)
    result = None
    while k:                                  # binary powering
        if k & 1:
            result = base if result is None else P.matmul(result, base)
        k >>= 1
        if k:
            base = P.matmul(base, base)
    return _back(result, dt)


# ----------------------------------------------------------------- decompositions
def eig(x):
    """The eigenvalues and eigenvectors of the square x, as complex tensors (complex64
    for float32 inputs, complex128 for float64): `(w, v)` with `x @ v[..., i] = w[..., i]
    * v[..., i]`. Not differentiable.

    Parameters
    ----------
    x
        A square matrix or a batch of them, `(..., M, M)`.
    """
    x, dt = _matrix(x, "eig")
    cdt = np.complex128 if dt == np.float64 else np.complex64
    w, v = np.linalg.eig(_raw(x))
    return _no_gradient((x,), (w.astype(cdt), v.astype(cdt)), "eig")


@register("eigh", args=("x",), shapes=((4, 4),), ref=lambda x: np.linalg.eigh(x)[0],
          rtol=1e-4)
def _eigenvalues(x):
    """The eigenvalues of the symmetric x (eigh's first output; the registry's op).

    Parameters
    ----------
    x
        A symmetric matrix or a batch of them, `(..., M, M)`.
    """
    return eigh(x)[0]


def eigh(x):
    """The eigenvalues (ascending) and eigenvectors of the symmetric x: `(w, v)` with
    `x @ v[..., i] = w[..., i] * v[..., i]`. Only x's lower triangle is read.
    Differentiable (for distinct eigenvalues).

    Parameters
    ----------
    x
        A symmetric matrix or a batch of them, `(..., M, M)`.
    """
    x, dt = _matrix(x, "eigh")
    w, v = P.eigh(x)
    return _back(w, dt), _back(v, dt)


def _ref_qr(x, mode="reduced"):
    return np.linalg.qr(x, mode=mode)


@register("qr", args=("x",), shapes=((4, 3),), ref=_ref_qr, rtol=1e-4)
def qr(x, mode="reduced"):
    """The QR decomposition of x: `(q, r)` with `x = q @ r`, q with orthonormal columns
    and r upper triangular. Differentiable where the decomposition is unique: for M >= N
    in "reduced" mode and for square x (a gradient in the other cases raises
    LookupError).

    Parameters
    ----------
    x
        A matrix or a batch of them, `(..., M, N)`.
    mode : str
        "reduced" (default): q is `(..., M, K)` and r `(..., K, N)` with K = min(M, N);
        "complete": q is `(..., M, M)` and r `(..., M, N)`.
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` argument value not supported. Expected one of "
                         f"{{'reduced', 'complete'}}. Received: mode={mode}")
    x, dt = _matrix(x, "qr", square=False)
    q, r = P.qr(x, mode)
    return _back(q, dt), _back(r, dt)


def _ref_svd(x, full_matrices=True, compute_uv=True):
    return np.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)


@register("svd", args=("x",), shapes=((4, 3),),
          cases=({"full_matrices": False}, {"compute_uv": False}), ref=_ref_svd, rtol=1e-4)
def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition of x: `(u, s, v)` with `x = u @ diag(s) @ v`
    (v is NumPy's `vh`), singular values in descending order; with `compute_uv=False`
    the singular values alone. Differentiable for distinct non-zero singular values,
    except for the extra columns that `full_matrices=True` adds to u or v of a
    non-square x (those are not unique: a gradient through them raises LookupError).

    Parameters
    ----------
    x
        A matrix or a batch of them, `(..., M, N)`.
    full_matrices : bool
        u `(..., M, M)` and v `(..., N, N)` (default True); False: `(..., M, K)` and
        `(..., K, N)` with K = min(M, N).
    compute_uv : bool
        Return u and v too (default True).
    """
    for name, v in (("full_matrices", full_matrices), ("compute_uv", compute_uv)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"svd: {name} must be True or False, got {type(v).__name__} "
                            f"{v!r}")
    x, dt = _matrix(x, "svd", square=False)
    if not compute_uv:
        return _back(P.singular_values(x), dt)
    if full_matrices and x.shape[-1] != x.shape[-2]:
        u, s, vh = np.linalg.svd(_raw(x), full_matrices=True)
        u, s, vh = _no_gradient((x,), (u, s, vh), "svd with full_matrices=True of a "
                                                  "non-square matrix")
    else:
        u, s, vh = P.svd(x)
    return _back(u, dt), _back(s, dt), _back(vh, dt)


def _lu_one(a):
    """LU with partial pivoting of one (M, N) matrix: (LU packed, pivots) as LAPACK's
    getrf gives them (0-based: row i was swapped with row piv[i])."""
    lu = np.array(a, copy=True)
    m, n = lu.shape
    k = builtins.min(m, n)
    piv = np.zeros(k, np.int32)
    for j in range(k):
        p = j + int(np.argmax(np.abs(lu[j:, j])))
        piv[j] = p
        if p != j:
            lu[[j, p]] = lu[[p, j]]
        if lu[j, j] != 0:
            lu[j + 1:, j] /= lu[j, j]
            lu[j + 1:, j + 1:] -= np.outer(lu[j + 1:, j], lu[j, j + 1:])
    return lu, piv


def lu_factor(x):
    """The LU decomposition of x with partial pivoting, packed as LAPACK (and
    scipy.linalg.lu_factor) returns it: `(lu, pivots)`, where lu holds U in its upper
    triangle and the unit-diagonal L below it, and row i was swapped with row
    `pivots[i]` (int32, 0-based). Not differentiable.

    Parameters
    ----------
    x
        A matrix or a batch of them, `(..., M, N)`.
    """
    x, dt = _matrix(x, "lu_factor", square=False)
    xr = _raw(x)
    batch = xr.shape[:-2]
    m, n = xr.shape[-2:]
    flat = xr.reshape((int(np.prod(batch)), m, n))
    lus, pivs = [], []
    for a in flat:
        lu, piv = _lu_one(a)
        lus.append(lu)
        pivs.append(piv)
    k = builtins.min(m, n)
    lu = np.stack(lus).reshape(xr.shape) if lus else np.zeros(xr.shape, xr.dtype)
    piv = np.stack(pivs).reshape(batch + (k,)) if pivs else np.zeros(batch + (k,), np.int32)
    lu, piv = _no_gradient((x,), (lu, piv), "lu_factor")
    return _back(lu, dt), piv


# ------------------------------------------------------------ least squares, rank
def _pinv(x, rcond, owner):
    """The pseudo-inverse of the float Tensor x through its SVD (differentiable)."""
    if rcond is None:
        rcond = np.finfo(x.dtype).eps * builtins.max(x.shape[-2:])
    elif not isinstance(rcond, numbers.Real) or isinstance(rcond, (bool, np.bool_)):
        raise TypeError(f"{owner}: rcond must be a number or None, got "
                        f"{type(rcond).__name__} {rcond!r}")
    u, s, vt = P.svd(x)
    sr = _raw(s)
    big = sr > rcond * np.max(sr, axis=-1, keepdims=True, initial=0)
    s_inv = P.where(big, P.divide(1, P.where(big, s, 1)), 0)
    return P.matmul(P.multiply(P.swapaxes(vt, -1, -2), P.expand_dims(s_inv, -2)),
                    P.swapaxes(u, -1, -2))


def lstsq(a, b, rcond=None):
    """The least-squares solution x of `a @ x = b`: of the x minimising the norm of
    `b - a @ x`, the one of smallest norm. Differentiable (where a's rank does not
    change).

    Parameters
    ----------
    a
        A matrix `(M, N)`.
    b
        The right-hand side, `(M,)` or `(M, K)`.
    rcond : float, optional
        Singular values of `a` up to `rcond` times the largest are treated as zero
        (default None: the machine precision of a's dtype times max(M, N)).
    """
    a = a if isinstance(a, Tensor) else convert_to_tensor(a)
    b = b if isinstance(b, Tensor) else convert_to_tensor(b)
    if a.ndim != 2:
        raise ValueError(f"lstsq: a must have rank 2, got shape {a.shape}")
    if b.ndim not in (1, 2):
        raise ValueError(f"lstsq: b must have rank 1 or 2, got shape {b.shape}")
    if b.shape[0] != a.shape[0]:
        raise ValueError(f"lstsq: b must have as many rows as a ({a.shape[0]}), got shape "
                         f"{b.shape}")
    a, dt = _compute_dtype(a)
    b, bdt = _compute_dtype(b)
    ct = np.result_type(a.dtype, b.dtype)
    a = a if a.dtype == ct else P.cast(a, ct)
    b = b if b.dtype == ct else P.cast(b, ct)
    return _back(P.matmul(_pinv(a, rcond, "lstsq"), b), np.result_type(dt, bdt))


def _ref_pinv(x, rcond=None):
    return np.linalg.pinv(x, rcond=np.finfo(x.dtype).eps * max(x.shape[-2:])
                          if rcond is None else rcond)


@register("pinv", args=("x",), shapes=((4, 3),), ref=_ref_pinv, rtol=1e-4)
def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse of x, through its singular value decomposition.
    Differentiable (where x's rank does not change).

    Parameters
    ----------
    x
        A matrix or a batch of them, `(..., M, N)`.
    rcond : float, optional
        Singular values up to `rcond` times the largest (of each matrix) are treated as
        zero (default None: the machine precision of x's dtype times max(M, N)).
    """
    x, dt = _matrix(x, "pinv", square=False)
    return _back(_pinv(x, rcond, "pinv"), dt)


def matrix_rank(x, tol=None):
    """The rank of x: its number of singular values above `tol`, as int32.

    Parameters
    ----------
    x
        A matrix or a batch of them, `(..., M, N)`.
    tol : float, optional
        The threshold (default None: the largest singular value times max(M, N) times
        the machine precision of x's dtype).
    """
    x, _ = _matrix(x, "matrix_rank", square=False)
    return _wrap(np.asarray(np.linalg.matrix_rank(_raw(x), tol=tol), np.int32))


# ------------------------------------------------------------------------- norm
_VECTOR_ORDS = "None, 0, 1, 2, inf, -inf or any other number"
_MATRIX_ORDS = "None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf"


def _ref_norm(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


@register("norm", args=("nz",), shapes=((3, 4),),
          cases=({}, {"axis": 1}, {"ord": 1, "axis": 0}, {"ord": np.inf, "axis": -1},
                 {"ord": 3, "axis": 1, "keepdims": True}, {"ord": "fro"}, {"ord": "nuc"},
                 {"ord": 2}, {"ord": -2}, {"ord": 1}, {"ord": -np.inf},
                 {"axis": (0, 1), "keepdims": True}),
          ref=_ref_norm, rtol=1e-4)
def norm(x, ord=None, axis=None, keepdims=False):
    """The vector or matrix norm of x, as numpy.linalg.norm computes it.

    With `axis` an int (or `axis` None and x 1-D), vector norms along it: `ord` None or
    2 the Euclidean norm, 1 the sum of magnitudes, inf / -inf the largest / smallest
    magnitude, 0 the count of non-zeros, any other p `sum(|x|**p)**(1/p)`. With `axis` a
    pair of axes (or `axis` None and x 2-D), matrix norms: None or 'fro' the Frobenius
    norm, 'nuc' the sum of singular values, 2 / -2 the largest / smallest singular
    value, 1 / -1 the largest / smallest column sum of magnitudes, inf / -inf the same
    for rows. With `axis` None and `ord` None, the Euclidean norm of all of x.
    Integer inputs give float32.

    Parameters
    ----------
    x
        The input tensor.
    ord
        The order of the norm (default None).
    axis : int or tuple of two ints, optional
        The axis or axes to take the norm over (default None, as above).
    keepdims : bool
        Keep the reduced axes with length 1 (default False).
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    x, dt = _compute_dtype(x)
    nd = x.ndim
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"norm: keepdims must be True or False, got "
                        f"{type(keepdims).__name__} {keepdims!r}")
    if axis is None:
        if ord is None:
            out = P.sqrt(P.sum(P.square(x), axis=None, keepdims=keepdims))
            return _back(out, dt)
        if nd not in (1, 2):
            raise ValueError(f"norm: with axis None and ord {ord!r}, x must be 1-D or 2-D, "
                             f"got shape {x.shape}")
        axis = tuple(range(nd))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Integral):
            raise TypeError(f"norm: axis must be an int or a tuple of ints, got {axis!r}")
        if not -nd <= a < nd:
            raise ValueError(f"norm: axis {a} is out of range for a {nd}-D input")
    axes = tuple(int(a) % nd for a in axes)
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes[0], keepdims)
    elif len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError(f"norm: the two axes must differ, got {axis!r}")
        out = _matrix_norm(x, ord, axes, keepdims)
    else:
        raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
    return _back(out, dt)


def _vector_norm(x, ord, ax, keepdims):
    if isinstance(ord, str) or not (ord is None or isinstance(ord, numbers.Number)):
        raise ValueError(f"norm: a vector norm's ord must be {_VECTOR_ORDS}, got {ord!r}")
    if ord is None or ord == 2:
        return P.sqrt(P.sum(P.square(x), axis=ax, keepdims=keepdims))
    if ord == np.inf:
        return P.max(P.absolute(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return P.min(P.absolute(x), axis=ax, keepdims=keepdims)
    if ord == 0:
        return _wrap(np.sum(_raw(x) != 0, axis=ax, keepdims=keepdims).astype(x.dtype))
    if ord == 1:
        return P.sum(P.absolute(x), axis=ax, keepdims=keepdims)
    p = float(ord)
    s = P.sum(P.power(P.absolute(x), np.array(p, x.dtype)), axis=ax, keepdims=keepdims)
    return P.power(s, np.array(1.0 / p, x.dtype))


def _matrix_norm(x, ord, axes, keepdims):
    r, c = axes
    if ord in (None, "fro"):
        return P.sqrt(P.sum(P.square(x), axis=axes, keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        moved = P.moveaxis(x, (r, c), (-2, -1))
        s = P.singular_values(moved)
        if ord == "nuc":
            out = P.sum(s, axis=-1)
        else:
            out = (P.max if ord == 2 else P.min)(s, axis=-1)
        if keepdims:
            for a in sorted(axes):
                out = P.expand_dims(out, a)
        return out
    if ord in (1, -1, np.inf, -np.inf):
        sum_ax, red_ax = (r, c) if ord in (1, -1) else (c, r)
        sums = P.sum(P.absolute(x), axis=sum_ax, keepdims=True)
        out = (P.max if ord in (1, np.inf) else P.min)(sums, axis=red_ax, keepdims=True)
        return out if keepdims else P.squeeze(out, axis=tuple(sorted(axes)))
    raise ValueError(f"norm: a matrix norm's ord must be {_MATRIX_ORDS}, got {ord!r}")


# --------------------------------------------------------------------------- jvp
def jvp(fun, primals, tangents, has_aux=False):
    """The Jacobian-vector product of `fun` at `primals` along `tangents` (forward-mode
    differentiation): returns `(fun(*primals), J @ tangents)`, or with `has_aux`
    `(out, J @ tangents, aux)` where `fun` returns `(out, aux)`.

    fastnn computes it with two reverse passes (the gradient of the vector-Jacobian
    product with respect to its vector), so `fun` must be written with differentiable
    operations.

    Parameters
    ----------
    fun : callable
        The function, of `len(primals)` positional arguments; returns a tensor or a
        nest of tensors (with `has_aux`, a pair `(output, aux)`).
    primals : tuple or list
        The arguments of `fun`: float tensors or nests of them.
    tangents : tuple or list
        The tangent vectors, of the structure and shapes of `primals`.
    has_aux : bool
        Whether `fun` returns auxiliary data beside its output (default False).
    """
    from fastnn.autodiff.core_ops import _leaves_of, _pack, _same_structure
    from fastnn.autodiff.tape import GradientTape

    if not callable(fun):
        raise TypeError(f"jvp: fun must be a callable, got {type(fun).__name__} {fun!r}")
    for name, v in (("primals", primals), ("tangents", tangents)):
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"jvp: {name} must be a tuple or list (one entry per argument "
                            f"of fun), got {type(v).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: primals and tangents must have the same length, got "
                         f"{len(primals)} and {len(tangents)}")
    _same_structure(tuple(primals), tuple(tangents), "jvp", "tangents")
    xs = [convert_to_tensor(p) for p in _leaves_of(tuple(primals))]
    ts = [convert_to_tensor(t) for t in _leaves_of(tuple(tangents))]
    for x, t in zip(xs, ts):
        if x.shape != t.shape:
            raise ValueError(f"jvp: each tangent must have its primal's shape, got "
                             f"{t.shape} for a primal of shape {x.shape}")
        if x.dtype.kind not in "fc":
            raise TypeError(f"jvp: primals must be float tensors, got dtype {x.dtype}")
    xs = [_wrap(_raw(x)) for x in xs]          # fresh tensors the tapes watch
    with GradientTape(persistent=True) as outer:
        with GradientTape() as inner:
            inner.watch(xs)
            res = fun(*_pack(tuple(primals), xs))
            if has_aux:
                if not (isinstance(res, (tuple, list)) and len(res) == 2):
                    raise ValueError("jvp: with has_aux=True, fun must return a pair "
                                     "(output, aux)")
                res, aux = res
        outs = [convert_to_tensor(o) for o in _leaves_of(res)]
        # u: the cotangents, watched by the outer tape; the VJP is linear in them
        us = [_wrap(np.zeros(o.shape, o.dtype)) for o in outs]
        outer.watch(us)
        grads = inner.gradient(outs, xs, output_gradients=us,
                               unconnected_gradients="zero")
        total = None
        for g, t in zip(grads, ts):
            term = P.sum(P.multiply(g, P.cast(t, g.dtype) if t.dtype != g.dtype else t))
            total = term if total is None else P.add(total, term)
    if total is None:
        touts = [_wrap(np.zeros(o.shape, o.dtype)) for o in outs]
    else:
        touts = outer.gradient(total, us, unconnected_gradients="zero")
    del outer
    out_vals = _pack(res, [_wrap(_raw(o)) for o in outs])
    tan_vals = _pack(res, [_wrap(_raw(t)) for t in touts])
    return (out_vals, tan_vals, aux) if has_aux else (out_vals, tan_vals)


# ------------------------------------------------- specs on symbolic tensors
# The functions whose call on zeros (the functional API's shape probe) fails because
# zeros are singular give their result's spec by these rules.
def _spec_matrix(x, owner, name="x"):
    """x's shape, checked as _matrix checks values: rank >= 2, a known square matrix."""
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if len(shape) < 2:
        raise ValueError(f"{owner}: {name} must have rank >= 2 (a matrix or a batch of "
                         f"them), got shape {shape}")
    if shape[-1] is None or shape[-2] is None:
        raise ValueError(f"{owner}: the last two axes of {name} must be known, got shape "
                         f"{shape}")
    if shape[-1] != shape[-2]:
        raise ValueError(f"{owner}: {name} must be square in its last two axes, got shape "
                         f"{shape}")
    return shape


def _spec_dtype(*xs):
    dts = [np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype) for x in xs]
    floats = [d for d in dts if d.kind == "f"]
    return np.result_type(*floats) if floats else FLOATX


def _keras_tensor(shape, dtype):
    from fastnn.layers.symbolic import KerasTensor
    return KerasTensor(tuple(shape), np.dtype(dtype).name)


def _spec_same(owner):
    def rule(x, *args, **kwargs):
        return _keras_tensor(_spec_matrix(x, owner), _spec_dtype(x))
    return rule


def _spec_solve(owner):
    def rule(a, b, *args, **kwargs):
        sa = _spec_matrix(a, owner, "a")
        sb = tuple(b.shape) if hasattr(b, "shape") else np.shape(b)
        vec = len(sb) == len(sa) - 1
        if not sb:
            raise ValueError(f"{owner}: b must have rank >= 1, got a scalar")
        rows = sb[-1] if vec else sb[-2] if len(sb) >= 2 else sb[0]
        if rows != sa[-1]:
            raise ValueError(f"{owner}: b must have {sa[-1]} rows (a's last axis), got "
                             f"shape {sb} for a of shape {sa}")
        return _keras_tensor(sb, _spec_dtype(a, b))
    return rule


for _f in (inv, cholesky, cholesky_inverse, matrix_power):
    _f.compute_output_spec = _spec_same(_f.__name__)
for _f in (solve, solve_triangular):
    _f.compute_output_spec = _spec_solve(_f.__name__)
