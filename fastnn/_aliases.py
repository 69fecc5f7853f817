"""Every import path a Keras or TensorFlow program writes gives fastnn's own modules.

Programs are moved to fastnn by changing `tensorflow` or `keras` to `fastnn` in their
imports, which turns `from tensorflow.keras.layers import Dense` into
`from fastnn.keras.layers import Dense` and `from keras.src.layers import Dense` into
`from fastnn.keras.src.layers import Dense`. `fastnn.keras` is fastnn itself, and these
paths import the same module objects as `fastnn.layers` (one module each, so a `Dense`
from one path is a `Dense` to a `Sequential` from another), by an import hook that maps
`fastnn.keras.X`, `fastnn.keras.src.X` and `fastnn.python.keras.X` onto `fastnn.X`.

`missing(name)` is the error for a name fastnn does not have: it says what to use.
"""
import importlib
import importlib.abc
import importlib.util
import sys

_PREFIXES = ("fastnn.keras.src.", "fastnn.python.keras.", "fastnn.keras.")

# Paths that differ between Keras and fastnn: the Keras module -> fastnn's.
_RENAMED = {
    "models.sequential": "models.sequential", "engine": "models", "engine.training": "models",
    "engine.sequential": "models.sequential", "engine.functional": "models.functional",
    "engine.input_layer": "layers", "layers.core": "layers", "layers.merging": "layers",
    "layers.normalization": "layers", "layers.regularization": "layers",
    "layers.reshaping": "layers", "layers.activations": "layers", "optimizers.legacy":
    "optimizers", "optimizers.schedules": "optimizers.schedules", "utils.data_utils": "utils",
    "preprocessing": "layers", "ops.core": "ops",
    "ops.math": "ops", "backend.common": "backend", "dtype_policies": "mixed_precision",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module):
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    """fastnn.keras.X (and the other prefixes) -> the module fastnn.X."""

    def find_spec(self, fullname, path, target=None):
        if fullname in ("fastnn.keras.src", "fastnn.python", "fastnn.python.keras"):
            return importlib.util.spec_from_loader(fullname, _AliasLoader("fastnn"))
        for prefix in _PREFIXES:
            if fullname.startswith(prefix):
                rest = fullname[len(prefix):]
                real = "fastnn." + _RENAMED.get(rest, rest)
                if importlib.util.find_spec(real) is None:
                    return None
                return importlib.util.spec_from_loader(fullname, _AliasLoader(real))
        return None


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())


# What TensorFlow / Keras names that fastnn lacks are, and what to use instead.
_INSTEAD = {
    "Conv1D": "fastnn trains dense networks; flatten the input and use Dense layers",
    "Conv2D": "fastnn trains dense networks; flatten the image (layers.Flatten) and use Dense",
    "MaxPooling2D": "fastnn has no convolutions or pooling; use Flatten and Dense",
    "LSTM": "fastnn has no recurrent layers; use Dense layers on fixed-size inputs",
    "GRU": "fastnn has no recurrent layers; use Dense layers on fixed-size inputs",
    "SimpleRNN": "fastnn has no recurrent layers; use Dense layers on fixed-size inputs",
    "SparseTensor": "fastnn has no sparse tensors; use dense NumPy arrays",
    "RaggedTensor": "fastnn has no ragged tensors; pad the rows to one length",
    "distribute": "fastnn runs on one machine's CPU cores; set their number with "
                  "fastnn.set_num_threads",
    "lite": "fastnn has no TensorFlow Lite converter; save with model.save",
    "saved_model": "fastnn saves with model.save(path) and fastnn.models.load_model(path)",
    "estimator": "TensorFlow Estimators are not part of fastnn; use a Model with fit",
    "summary": "fastnn has no TensorBoard summaries; read the History fit returns",
    "device": "fastnn runs on the CPU; drop the `with tf.device(...)` block",
}


def missing(name, module="fastnn"):
    """The AttributeError for `module.name` that fastnn lacks, saying what to use."""
    hint = _INSTEAD.get(name)
    msg = f"module {module!r} has no attribute {name!r}"
    if hint:
        msg += f": {hint}"
    raise AttributeError(msg)
