"""fastnn: Keras-style neural networks on the CPU, with fused C/OpenMP kernels."""
import os as _os

from fastnn import _kernels

__version__ = "0.1.0"


def set_num_threads(n):
    """Set the number of OpenMP threads the kernels may use (n >= 1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    _kernels.set_num_threads(n)


def get_num_threads():
    """Number of threads the kernels may use (OMP_NUM_THREADS or the core count)."""
    return _kernels.get_num_threads()


def build_info():
    """How this fastnn was built and what it runs on now."""
    return {
        "version": __version__,
        "openmp": _kernels.openmp_enabled(),
        "num_threads": _kernels.get_num_threads(),
        "simd": _kernels.simd_path(),
        "simd_best": _kernels.simd_best(),
        "omp_num_threads_env": _os.environ.get("OMP_NUM_THREADS"),
    }
