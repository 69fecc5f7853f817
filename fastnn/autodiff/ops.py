"""The `keras.ops` namespace on fastnn.autodiff: NumPy-like, math, nn and core functions,
all differentiable where Keras' are (`fastnn.autodiff.ops.exp(x)`,
`ops.mean(ops.square(y - p))`). `REGISTRY` lists the registered functions by name with
how the tests exercise them (fastnn/autodiff/registry.py)."""
from fastnn.autodiff.core_ops import (cast, convert_to_numpy, convert_to_tensor,  # noqa: F401
                                      custom_gradient, dtype, is_tensor, stop_gradient)
from fastnn.autodiff.core_ops import (  # noqa: F401
    associative_scan, cond, fori_loop, get_item, map, rearrange, saturate_cast, scan,
    scatter, scatter_update, slice, slice_update, switch, unstack, vectorized_map,
    while_loop)
from fastnn.autodiff.linalg_ops import (  # noqa: F401
    cholesky, cholesky_inverse, det, eig, eigh, inv, jvp, lstsq, lu_factor, matrix_power,
    matrix_rank, norm, pinv, qr, solve, solve_triangular, svd)
from fastnn.autodiff.numpy_ops import (  # noqa: F401
    abs, absolute, add, all, allclose, amax, amin, angle, any, append, arange, arccos,
    arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, argmax, argmin, argpartition, argsort,
    array, array_split, average, bartlett, bincount, bitwise_and, bitwise_invert,
    bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift, bitwise_xor,
    blackman, broadcast_to, cbrt, ceil, clip, column_stack, concatenate, conj,
    conjugate, copy, corrcoef, correlate, cos, cosh, count_nonzero, cross, cumprod,
    cumsum, deg2rad, diag, diagflat, diagonal, diff, digitize, divide, divide_no_nan,
    dot, dsplit, dstack, einsum, empty, empty_like, equal, exp, exp2, expand_dims,
    expm1, eye, fabs, flatten, flip, fliplr, flipud, floor, floor_divide, fmax, fmin,
    fmod, full,
    full_like, gcd, geomspace, greater, greater_equal, hamming, hanning, heaviside,
    histogram, hsplit, hstack, hypot, i0, identity, imag, inner, isclose, isfinite,
    isin, isinf, isnan, isneginf, isposinf, isreal, kaiser, kron, lcm, ldexp,
    left_shift, less, less_equal, linspace, log, log10, log1p, log2, logaddexp,
    logaddexp2, logical_and, logical_not, logical_or, logical_xor, logspace, logsumexp,
    matmul, max, maximum, mean, median, meshgrid, min, minimum, mod, moveaxis, multiply,
    nan_to_num, nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean, nanmedian,
    nanmin, nanpercentile, nanprod, nanquantile, nanstd, nansum, nanvar, ndim, negative,
    nextafter, nonzero, not_equal, ones, ones_like, outer, pad, percentile, power, prod,
    ptp, quantile, rad2deg, ravel, real, reciprocal, repeat, reshape, right_shift, roll,
    rot90, round, searchsorted, select, shape, sign, signbit, sin, sinc, sinh, size,
    slogdet, sort, split, sqrt, square, squeeze, stack, std, subtract, sum, swapaxes, take,
    take_along_axis, tan, tensordot, tile, trace, transpose, trapezoid, tri, tril, triu,
    true_divide, trunc, unique, unravel_index, vander, var, vdot, vectorize, view, vsplit,
    vstack, where, zeros,
    zeros_like)
from fastnn.autodiff.nn_ops import (  # noqa: F401
    batch_normalization, binary_crossentropy, categorical_crossentropy, celu, ctc_decode,
    ctc_loss, depth_to_space, dot_product_attention, elu, erf, gelu, glu, hard_shrink,
    hard_sigmoid, hard_silu,
    hard_swish, hard_tanh, layer_normalization, leaky_relu, log_sigmoid, log_softmax,
    moments, multi_hot, normalize, one_hot, psnr, relu, relu6, rms_normalization, selu,
    sigmoid, silu, soft_shrink, softmax, softplus, softsign, sparse_categorical_crossentropy,
    sparse_plus, sparse_sigmoid, sparsemax, squareplus, swish, tanh, tanh_shrink,
    threshold)
from fastnn.autodiff.nn_ops import fold, polar, space_to_depth, unfold  # noqa: F401
from fastnn.autodiff.math_ops import (  # noqa: F401
    gammainc, view_as_complex, view_as_real)
from fastnn.autodiff.math_ops import (  # noqa: F401
    cdist, erfc, erfinv, extract_sequences, fft, fft2, ifft2, in_top_k, irfft, istft,
    logdet, rfft,
    rsqrt, segment_max, segment_min, segment_prod, segment_sum, stft, top_k)
from fastnn.autodiff import random_ops as random  # noqa: F401
from fastnn.autodiff.registry import OPS as REGISTRY  # noqa: F401
