"""Layers (keras.layers): Dense, Identity, Masking, Input/InputLayer, the activation layers
(PReLU among them), Dropout and the other regularization layers (GaussianNoise,
GaussianDropout, AlphaDropout, ActivityRegularization), BatchNormalization, Normalization,
LayerNormalization, UnitNormalization, RMSNormalization, Rescaling, CategoryEncoding,
Discretization, IntegerLookup, StringLookup, Hashing, the reshaping layers (Flatten,
Reshape, Permute, RepeatVector), the merging layers and Lambda.

A layer declares its weights in `build` and its math in `call` (inference) plus the
training pair `forward` / `backward` that Sequential's layer-by-layer step uses.
Weights are C-contiguous NumPy arrays of the layer dtype, updated in place.
"""
from fastnn import _argcheck, _registry, serialization as _serialization
from fastnn.layers.layer import Layer, _auto_name
from fastnn.layers.input_spec import InputSpec
from fastnn.layers.core import Dense, Identity, Input, InputLayer, Masking
from fastnn.layers.activations import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from fastnn.layers.normalization import (BatchNormalization, LayerNormalization, Normalization,
                                         RMSNormalization, UnitNormalization)
from fastnn.layers.preprocessing import (CategoryEncoding, Discretization, IntegerLookup,
                                          Rescaling, StringLookup)
from fastnn.layers.hashing import Hashing
from fastnn.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout,
                                          GaussianDropout, GaussianNoise)
from fastnn.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from fastnn.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                   Subtract, add, average, concatenate, dot, maximum, minimum,
                                   multiply, subtract)
from fastnn.layers.lambda_layer import Lambda
from fastnn.layers.embedding import Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D

ALL_OBJECTS = {c.__name__: c for c in (InputLayer, Dense, Identity, Masking, Activation, ReLU, LeakyReLU, ELU, Softmax,
                                       PReLU, Dropout, GaussianNoise, GaussianDropout,
                                       AlphaDropout, ActivityRegularization,
                                       BatchNormalization, Normalization, LayerNormalization,
                                       UnitNormalization, RMSNormalization, Rescaling,
                                       CategoryEncoding, Discretization, IntegerLookup,
                                       StringLookup, Hashing,
                                       Flatten, Reshape, Permute, RepeatVector,
                                       Add, Subtract, Multiply, Average, Maximum, Minimum,
                                       Concatenate, Dot, Lambda, Embedding,
                                       GlobalAveragePooling1D, GlobalMaxPooling1D)}


def serialize(layer):
    """A layer's configuration as Keras writes it: ``{'class_name': ..., 'config':
    layer.get_config()}``.

    Parameters
    ----------
    layer : Layer
        The layer to describe.

    Returns
    -------
    dict
        The class name and the layer's config.
    """
    out = {"class_name": type(layer).__name__, "config": layer.get_config()}
    registered = _serialization.GLOBAL_CUSTOM_NAMES.get(type(layer))
    if registered is not None:           # a class of the user's, registered under this name
        out["registered_name"] = registered
    return out


def deserialize(config, custom_objects=None):
    """Make a layer from the dict ``serialize`` gives: a built-in layer, or a custom class
    named in ``custom_objects``, in a ``custom_object_scope`` or registered with
    ``register_keras_serializable``.

    Parameters
    ----------
    config : dict
        ``{'class_name': ..., 'config': ...}``.
    custom_objects : dict, optional
        Class names to custom layer classes, looked at first.

    Returns
    -------
    Layer
        A new, unbuilt layer.
    """
    custom_objects = _serialization._checked_objects(custom_objects, "layers.deserialize")
    custom = _serialization.custom_class_for(config, custom_objects)
    if custom is not None:
        (name, cls), = custom.items()
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"layer: the custom object {name!r} is "
                            f"{_argcheck.shown(cls)}, not a Layer subclass")
    if custom is None and isinstance(config, dict) and config.get("class_name") == "Functional":
        from fastnn.models import Functional      # a functional model used as a layer
        custom = {"Functional": Functional}
    if custom is None and isinstance(config, dict) and config.get("class_name") == "OpLayer":
        if _serialization._builtins_only():
            raise ValueError("layer: a keras.ops call on a functional model's tensors "
                             "(OpLayer) is read from configs (Model.from_config, "
                             "model_from_json), not from model files")
        from fastnn.layers.core import OpLayer    # a keras.ops call on the graph's tensors
        custom = {"OpLayer": OpLayer}
    return _registry.from_dict("layer", config, ALL_OBJECTS, custom)


def get(identifier):
    """A layer from a Layer (returned as it is) or a config dict (made with ``deserialize``).

    Parameters
    ----------
    identifier : Layer or dict
        What to resolve; anything else raises ValueError.

    Returns
    -------
    Layer
        The layer.
    """
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"layer: expected a fastnn Layer or a config dict, got {identifier!r}")


def __getattr__(name):
    from fastnn._aliases import missing
    missing(name, "fastnn.layers")
