"""fastnn: Keras-style neural networks on the CPU, with fused C/OpenMP kernels.

`import fastnn as tf` or `from fastnn import Sequential` and write Keras code:
`tf.keras` is this package too.
"""
import importlib as _importlib
import os as _os
import sys as _sys

from fastnn._version import __version__


def _import_kernels():
    """Import the compiled extension, or say why it is missing and what to run."""
    try:
        from fastnn import _kernels
    except ImportError as err:
        import glob
        from importlib.machinery import EXTENSION_SUFFIXES
        here = _os.path.dirname(_os.path.abspath(__file__))
        found = [f for f in glob.glob(_os.path.join(here, "_kernels*"))
                 if f.endswith((".so", ".pyd"))]
        loadable = {"_kernels" + suffix for suffix in EXTENSION_SUFFIXES}
        if any(_os.path.basename(f) in loadable for f in found):
            raise    # built for this Python but unloadable: the loader's message says why
        root = _os.path.dirname(here)
        other = (f" (the folder holds {', '.join(_os.path.basename(f) for f in found)}, "
                 f"built for another Python)" if found else "")
        raise ImportError(
            f"fastnn's compiled extension fastnn._kernels is not built for this Python in "
            f"{here}{other}. This looks like a source checkout without the built extension. "
            f"To use it in place, run `pip install -e .` (or `python setup.py build_ext "
            f"--inplace`) in {root}; if fastnn is installed (`pip install .`), run Python "
            f"from outside that folder, where it does not shadow the installed package.",
            name="fastnn._kernels") from err
    if not _kernels.openmp_enabled():
        import warnings
        warnings.warn("fastnn was built without OpenMP: its kernels run on one thread "
                      "(fastnn.build_info()['openmp'] is False). Rebuild with a compiler "
                      "that has OpenMP, without FASTNN_NO_OPENMP, for multi-threaded "
                      "kernels.", RuntimeWarning, stacklevel=3)
    return _kernels


_kernels = _import_kernels()


from fastnn._threads import MAX_THREADS, get_num_threads, set_num_threads  # noqa: E402
from fastnn import _threads  # noqa: E402

_threads._warn_if_env_too_high()


def build_info():
    """How this fastnn was built and what it runs on now. gemm_avx512: the packed GEMM
    runs its AVX-512 micro-kernel (CPUs with AVX-512F, unless FASTNN_AVX512=0). A kernel
    goes parallel, on the whole team, from twice par_min_work units of work (float32
    multiply-adds): calibrated at run time from the fork/join cost (threshold_source
    'calibrated'), fixed by the FASTNN_PAR_MIN_WORK environment variable ('env'), or
    'default' at one thread. bf16_gemm: how the mixed_bfloat16 policy's products run,
    'amx_bf16' (AMX tiles, the default on CPUs with AMX-BF16 unless
    FASTNN_BF16_AMX=0), 'avx512_bf16' (the vdpbf16ps instruction, CPUs with AVX512_BF16:
    the default on AMD's, where it is the faster path; FASTNN_BF16_AVX512=1 asks for it
    on others, =0 turns it off) or 'portable' (the float32 GEMM on bfloat16-rounded
    operands).

    Returns
    -------
    dict
        The version, OpenMP support, thread count, SIMD paths, the parallel threshold
        and the bfloat16 GEMM's path.
    """
    thr = _kernels.threading_info()
    return {
        "version": __version__,
        "openmp": _kernels.openmp_enabled(),
        "num_threads": _kernels.get_num_threads(),
        "simd": _kernels.simd_path(),
        "simd_best": _kernels.simd_best(),
        "gemm_avx512": _kernels.gemm_avx512(),
        "bf16_gemm": _kernels.bf16_gemm_path(),
        "omp_num_threads_env": _os.environ.get("OMP_NUM_THREADS"),
        "par_min_work": thr["par_min_work"],
        "fork_join_us": thr["fork_join_us"],
        "unit_ns": thr["unit_ns"],
        "threshold_source": thr["source"],
    }


from fastnn import utils  # noqa: E402
from fastnn import activations, initializers, regularizers, losses, optimizers, metrics  # noqa: E402
from fastnn import constraints  # noqa: E402
from fastnn import layers, nn  # noqa: E402
from fastnn import callbacks  # noqa: E402
from fastnn.layers import Input  # noqa: E402
from fastnn.models import Model, Sequential  # noqa: E402
# Keras 3's top-level base classes (keras.Layer, keras.Loss, ...) and keras.KerasTensor
from fastnn.layers import InputSpec, Layer  # noqa: E402
from fastnn.layers.symbolic import KerasTensor  # noqa: E402
from fastnn.losses import Loss  # noqa: E402
from fastnn.metrics import Metric  # noqa: E402
from fastnn.initializers import Initializer  # noqa: E402
from fastnn.regularizers import Regularizer  # noqa: E402
from fastnn.optimizers import Optimizer  # noqa: E402

from fastnn import backend  # noqa: E402
from fastnn import mixed_precision  # noqa: E402
# keras.DTypePolicy, keras.dtype_policies.*: the policies live in fastnn.mixed_precision
from fastnn.mixed_precision import DTypePolicy, FloatDTypePolicy  # noqa: E402
dtype_policies = mixed_precision
from fastnn import compat as _compat  # noqa: E402
from fastnn.autodiff import (GradientTape, Variable, custom_gradient, function,  # noqa: E402
                             stop_gradient)
from fastnn.autodiff.tf_aliases import ALIASES as _TF_ALIASES, math  # noqa: E402

# TensorFlow's tensor functions (tf.constant, tf.reduce_mean, tf.concat, ...): the
# differentiable fastnn.autodiff ops under TensorFlow's names and arguments.
globals().update({_k: _v for _k, _v in _TF_ALIASES.items() if _k not in globals()})
autograph = _compat.autograph
config = _compat.config
get_logger = _compat.get_logger
executing_eagerly = _compat.executing_eagerly
version = _compat.version_namespace(__version__)
float32, float64, int32, int64, bool_ = "float32", "float64", "int32", "int64", "bool"
string = "string"

# `import fastnn as tf; tf.keras.Sequential`, `import fastnn as keras`: the package is
# also its own `keras` (and `tf.keras.X`, `keras.src.X` import paths give fastnn.X).
keras = _sys.modules[__name__]
_sys.modules.setdefault(__name__ + ".keras", keras)
from fastnn import _aliases  # noqa: E402,F401  (installs the import aliases)

# Modules written by other parts of the project resolve lazily (fastnn.models, ...).
_LAZY = ("saving", "datasets", "ops", "kernel_ops", "reference", "random", "data", "wrappers",
         "export", "mixed_precision")


def __getattr__(name):
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    return _aliases.missing(name)
