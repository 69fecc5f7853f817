"""The sub-namespaces of keras.ops: `keras.ops.nn`, `keras.ops.numpy` and
`keras.ops.linalg` (`from keras.ops import nn; nn.relu(x)`).

Each is a module holding the functions of fastnn.ops (the same objects) whose names
Keras lists in that namespace; a Keras name that fastnn.ops does not define is left
out, so a function added to fastnn.ops appears in its namespace with no other change.
The names are Keras 3's (keras/api/ops/<namespace>/__init__.py).
"""
import importlib.machinery
import sys
import types

KERAS_NAMES = {
    "nn": """
        adaptive_average_pool adaptive_max_pool average_pool batch_normalization
        binary_crossentropy categorical_crossentropy celu conv conv_transpose ctc_decode
        ctc_loss depth_to_space depthwise_conv dot_product_attention elu fold gelu glu
        hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh layer_normalization
        leaky_relu log_sigmoid log_softmax max_pool moments multi_hot normalize one_hot
        polar psnr relu relu6 rms_normalization selu separable_conv sigmoid silu swish
        soft_shrink softmax softplus softsign space_to_depth
        sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax squareplus
        tanh_shrink threshold unfold""",
    "numpy": """
        abs absolute add all allclose amax amin angle any append arange arccos arccosh
        arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort array
        array_split average bartlett bincount bitwise_and bitwise_invert
        bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor
        blackman broadcast_to cbrt ceil clip column_stack concatenate conj conjugate copy
        corrcoef correlate cos cosh count_nonzero cross cumprod cumsum deg2rad diag
        diagflat diagonal diff digitize divide divide_no_nan dot dsplit dstack einsum
        empty empty_like equal exp exp2 expand_dims expm1 eye fabs flip fliplr flipud
        floor floor_divide fmax fmin fmod full full_like gcd geomspace get_item greater
        greater_equal hamming hanning heaviside histogram hsplit hstack hypot i0 identity
        imag inner isclose isfinite isin isinf isnan isneginf isposinf isreal kaiser kron
        lcm ldexp left_shift less less_equal linspace log log1p log2 log10 logaddexp
        logaddexp2 logical_and logical_not logical_or logical_xor logspace matmul max
        maximum mean median meshgrid min minimum mod moveaxis multiply nan_to_num
        nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin
        nanpercentile nanprod nanquantile nanstd nansum nanvar ndim negative nextafter
        nonzero not_equal ones ones_like outer pad percentile power prod ptp quantile
        rad2deg ravel real reciprocal repeat reshape right_shift roll rot90 round
        searchsorted select sign signbit sin sinc sinh size slogdet sort split sqrt
        square squeeze stack std subtract sum swapaxes take take_along_axis tan tanh
        tensordot tile trace transpose trapezoid tri tril triu true_divide trunc unique
        unravel_index vander var vdot vectorize view vsplit vstack where zeros
        zeros_like""",
    "linalg": """
        cholesky cholesky_inverse det eig eigh inv jvp lstsq lu_factor matrix_power
        matrix_rank norm pinv qr solve solve_triangular svd""",
}
KERAS_NAMES = {ns: tuple(names.split()) for ns, names in KERAS_NAMES.items()}

_DOCS = {
    "nn": "keras.ops.nn: the neural-network functions of fastnn.ops (activations, "
          "cross-entropies, normalisations).",
    "numpy": "keras.ops.numpy: the NumPy-like functions of fastnn.ops.",
    "linalg": "keras.ops.linalg: the linear-algebra functions of fastnn.ops.",
}


def build(ops_module):
    """The namespace modules for `ops_module` (fastnn.ops), registered as
    `<ops_module>.<namespace>` in sys.modules, as {namespace: module}."""
    out = {}
    for ns, names in KERAS_NAMES.items():
        full = f"{ops_module.__name__}.{ns}"
        mod = types.ModuleType(full, _DOCS[ns])
        mod.__spec__ = importlib.machinery.ModuleSpec(full, None)
        mod.__package__ = ops_module.__name__
        present = [n for n in names if hasattr(ops_module, n)]
        for n in present:
            setattr(mod, n, getattr(ops_module, n))
        mod.__all__ = present
        sys.modules[full] = mod
        out[ns] = mod
    return out
