"""How many threads the kernels use.

fastnn's kernels run on OpenMP, and by default they use OpenMP's count for the calling
thread: ``OMP_NUM_THREADS`` at start-up (else the number of cores), or what
``omp_set_num_threads`` made it since — which is how ``threadpoolctl.threadpool_limits``
and scikit-learn, joblib and Dask limit the threads of the libraries they call.
``fastnn.set_num_threads(n)`` sets a count that wins over all of these, for every
thread, until ``fastnn.set_num_threads(None)`` hands the choice back to OpenMP.
"""
import numbers
import os
import threading
import warnings

from fastnn import _kernels

# The most threads the kernels may use: 4 per CPU, at least 64. libgomp cannot start
# thousands of threads (measured here: 32,768 end the process with "Thread creation
# failed", 65,536 segfault), and past a few per CPU more threads only wait on each other.
MAX_THREADS = max(64, 4 * (os.cpu_count() or 1))

_kernels.set_max_threads(MAX_THREADS)
# OpenMP read OMP_NUM_THREADS when the extension loaded: each thread starts from that.
_ENV_AT_START = os.environ.get("OMP_NUM_THREADS")
_seen = threading.local()
# os.environ's own dict and its key for the variable: read at every fit, evaluate and
# predict, where os.environ.get of an unset variable costs ~2.5 us (a KeyError raised and
# caught inside Mapping.get) and this ~0.05 us. os.environ keeps the dict in step with
# its writes; elsewhere (no such attributes) os.environ.get is read.
try:
    _ENV_DATA, _ENV_KEY = os.environ._data, os.environ.encodekey("OMP_NUM_THREADS")
    _RAW_AT_START = _ENV_DATA.get(_ENV_KEY)
except (AttributeError, TypeError):    # pragma: no cover - another os.environ
    _ENV_DATA = None


def _parse_omp_num_threads(text):
    """The count OMP_NUM_THREADS asks for at the outer level ("4" or "4,2"), or None."""
    head = text.split(",", 1)[0].strip()
    if not head.isdigit() or int(head) < 1:
        return None
    return int(head)


def follow_env():
    """Apply a changed ``OMP_NUM_THREADS`` to the calling thread.

    OpenMP reads the variable once, when the extension loads; a process that sets it
    afterwards (a worker told to use fewer threads, a notebook cell) would otherwise be
    ignored. fit, evaluate, predict and get_num_threads call this: when the variable
    differs from what this thread last saw, its first count is given to OpenMP for this
    thread, as OpenMP would have read it at start-up. Invalid values are ignored, as
    OpenMP ignores them.
    """
    if _ENV_DATA is not None:
        raw = _ENV_DATA.get(_ENV_KEY)
        if raw == getattr(_seen, "raw", _RAW_AT_START):
            return
        _seen.raw = raw
    now = os.environ.get("OMP_NUM_THREADS")
    if now == getattr(_seen, "env", _ENV_AT_START):
        return
    _seen.env = now
    n = _parse_omp_num_threads(now) if now is not None else None
    if n is not None:
        _kernels.set_openmp_threads(min(n, MAX_THREADS))


def set_num_threads(n):
    """Set how many threads the kernels may use, for every thread of the process.

    Parameters
    ----------
    n : int or None
        An int in ``[1, fastnn.MAX_THREADS]``: that many threads, over OpenMP's count
        (``OMP_NUM_THREADS``, ``threadpoolctl.threadpool_limits``) until changed again.
        ``None``: follow OpenMP's count again (the default at start-up).
    """
    if n is None:
        _kernels.set_num_threads(0)
        return
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 1 <= n <= MAX_THREADS:
        raise ValueError(f"set_num_threads: n must be an int in [1, {MAX_THREADS}] "
                         f"(fastnn.MAX_THREADS: 4 per CPU, at least 64) or None, got {n!r}")
    if n > 1 and not _kernels.openmp_enabled():   # warn rather than ignore it
        warnings.warn(f"fastnn.set_num_threads({n}): fastnn was built without OpenMP, so its "
                      f"kernels run on one thread whatever the setting (fastnn.build_info()"
                      f"['openmp'] is False)", RuntimeWarning, stacklevel=2)
    _kernels.set_num_threads(int(n))


def get_num_threads():
    """The number of threads the kernels use now, in the calling thread: the count of
    ``set_num_threads`` if one is set, else OpenMP's (``OMP_NUM_THREADS``, or what
    ``threadpoolctl.threadpool_limits`` set), at most ``fastnn.MAX_THREADS``."""
    follow_env()
    return _kernels.get_num_threads()


def _warn_if_env_too_high():
    asked = _parse_omp_num_threads(_ENV_AT_START or "")
    if asked is not None and asked > MAX_THREADS:
        warnings.warn(f"fastnn: OMP_NUM_THREADS={_ENV_AT_START!r} asks for {asked} threads, "
                      f"more than fastnn.MAX_THREADS ({MAX_THREADS}); using {MAX_THREADS}",
                      RuntimeWarning, stacklevel=3)
