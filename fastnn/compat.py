"""TensorFlow's everyday module-level idioms, so that `import fastnn as tf` keeps
working: `tf.autograph`, `tf.config`, `tf.get_logger`, `tf.version`, `tf.executing_eagerly`.
Where an idiom has no meaning for fastnn (graph tracing, devices) it is a documented
no-op; the thread settings map onto fastnn's threads.
"""
import logging
import types

from fastnn import _argcheck


def _noop_verbosity(level, alsologtostdout=False):
    """tf.autograph.set_verbosity: fastnn traces nothing, so there is nothing to log."""
    _argcheck.integer(level, "level", "set_verbosity", lo=0)


autograph = types.SimpleNamespace(
    set_verbosity=_noop_verbosity,
    experimental=types.SimpleNamespace(do_not_convert=lambda func=None: func),
)


def get_logger():
    """The logger fastnn writes to (Python's logging, name 'fastnn'), as tf.get_logger()
    returns TensorFlow's: `tf.get_logger().setLevel('ERROR')` works."""
    return logging.getLogger("fastnn")


def executing_eagerly():
    """fastnn always runs eagerly."""
    return True


def _set_threads(num_threads):
    import fastnn
    num_threads = _argcheck.integer(num_threads, "num_threads", "config.threading", lo=0)
    # 0: the system picks (TensorFlow's meaning): OpenMP's count, as at start-up
    fastnn.set_num_threads(min(num_threads, fastnn.MAX_THREADS) if num_threads else None)


def _get_threads():
    import fastnn
    return fastnn.get_num_threads()


class _Device(types.SimpleNamespace):
    pass


_CPU = _Device(name="/physical_device:CPU:0", device_type="CPU")

def _set_dtype_policy(policy):
    """keras.config.set_dtype_policy (fastnn.mixed_precision.set_dtype_policy)."""
    from fastnn import mixed_precision
    mixed_precision.set_dtype_policy(policy)


def _dtype_policy():
    """keras.config.dtype_policy (fastnn.mixed_precision.dtype_policy)."""
    from fastnn import mixed_precision
    return mixed_precision.dtype_policy()


def _backend():
    from fastnn import backend
    return backend


def set_max_epochs(max_epochs):
    """keras.config.set_max_epochs (fastnn.backend.set_max_epochs)."""
    _backend().set_max_epochs(max_epochs)


def set_max_steps_per_epoch(max_steps_per_epoch):
    """keras.config.set_max_steps_per_epoch (fastnn.backend.set_max_steps_per_epoch)."""
    _backend().set_max_steps_per_epoch(max_steps_per_epoch)


def max_epochs():
    """keras.config.max_epochs (fastnn.backend.max_epochs)."""
    return _backend().max_epochs()


def max_steps_per_epoch():
    """keras.config.max_steps_per_epoch (fastnn.backend.max_steps_per_epoch)."""
    return _backend().max_steps_per_epoch()


config = types.SimpleNamespace(
    set_dtype_policy=_set_dtype_policy,
    dtype_policy=_dtype_policy,
    set_max_epochs=set_max_epochs,
    set_max_steps_per_epoch=set_max_steps_per_epoch,
    max_epochs=max_epochs,
    max_steps_per_epoch=max_steps_per_epoch,
    threading=types.SimpleNamespace(
        set_intra_op_parallelism_threads=_set_threads,
        get_intra_op_parallelism_threads=_get_threads,
        # fastnn runs one operation at a time: inter-op parallelism has no meaning
        set_inter_op_parallelism_threads=lambda num_threads: None,
        get_inter_op_parallelism_threads=lambda: 1,
    ),
    list_physical_devices=lambda device_type=None: [] if device_type not in (None, "CPU")
    else [_CPU],
    list_logical_devices=lambda device_type=None: [] if device_type not in (None, "CPU")
    else [_CPU],
    set_visible_devices=lambda devices, device_type=None: None,
    run_functions_eagerly=lambda run_eagerly: None,   # always eager
    experimental=types.SimpleNamespace(
        set_memory_growth=lambda device, enable: None,   # CPU only: nothing to grow
        list_physical_devices=lambda device_type=None: [] if device_type not in (None, "CPU")
        else [_CPU],
        enable_op_determinism=lambda: None,   # fastnn is deterministic at any thread count
    ),
)


def version_namespace(version):
    """tf.version: VERSION is fastnn's own version (programs that compare it with
    TensorFlow's or Keras' releases should not: fastnn follows Keras 3's API)."""
    return types.SimpleNamespace(VERSION=version, GIT_VERSION=f"fastnn-{version}",
                                 COMPILER_VERSION="", GRAPH_DEF_VERSION=0)
