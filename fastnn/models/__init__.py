"""keras.models: Model (functional and subclassed), Sequential, load_model, save_model,
model_from_json, clone_model."""
from fastnn import saving as _saving
from fastnn.models.model import Model
from fastnn.models.sequential import Sequential
from fastnn.models.functional import Functional
from fastnn.saving import load_model, save_model

__all__ = ["Model", "Sequential", "Functional", "clone_model", "load_model",
           "model_from_json", "save_model"]

# The model classes a saved architecture may name.
MODEL_CLASSES = {"Sequential": Sequential, "Functional": Functional, "Model": Functional}


def model_from_json(json_string, custom_objects=None):
    """The (unbuilt or built, untrained) model that `model.to_json()` describes.

    The JSON is checked before anything is built: numbers finite and integers within 64
    bits, each layer an object {"class_name": ..., "config": {...}}, shapes lists of
    positive sizes; a model whose weights (or any per-sample shape) would take more than
    ``fastnn.saving.MAX_LOAD_BYTES`` is refused before its layers allocate them. Every
    problem is a ValueError naming the field.

    Parameters
    ----------
    json_string : str
        What ``model.to_json()`` returned.
    custom_objects : None
        Not supported: fastnn models refer only to fastnn's built-in layers and
        activations.

    Returns
    -------
    Model
        A new model.
    """
    if custom_objects:
        raise ValueError("model_from_json: custom_objects are not supported; fastnn models "
                         "only refer to fastnn's built-in layers and activations")
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise ValueError(f"model_from_json: json_string must be a JSON string, got "
                         f"{type(json_string).__name__}")
    where = "model_from_json: json_string"
    spec = _saving._loads(json_string, f"{where}.", f"{where} is not JSON")
    max_bytes = _saving._limit(None, "model_from_json")
    # Built as Sequential.from_config builds it (the same random initial weights), with
    # every weight's size checked before it is allocated.
    try:
        return _saving._build_checked(spec, where, max_bytes, hint=_saving._limit_hint("json"))
    except _saving._ConfigError as e:
        raise ValueError(str(e)) from None


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with `model`'s architecture and freshly initialised weights (as Keras:
    weights are not copied; use `clone.set_weights(model.get_weights())` for that).

    Parameters
    ----------
    model : Sequential or functional Model
        The model to copy the architecture of.
    input_tensors : None
        Keras' new inputs for the clone; not supported, only None is accepted.
    clone_function : None
        Keras' per-layer cloning function; not supported, only None is accepted.

    Returns
    -------
    Model
        A new model of the same class.
    """
    if MODEL_CLASSES.get(type(model).__name__) is not type(model):
        raise TypeError(f"clone_model: model must be a fastnn Sequential or functional Model, "
                        f"got {type(model).__name__} (a subclassed model is cloned by making "
                        f"a new instance of its class)")
    if input_tensors is not None or clone_function is not None or kwargs:
        given = {"input_tensors": input_tensors, "clone_function": clone_function, **kwargs}
        raise ValueError("clone_model: only the model is supported, got "
                         f"{ {k: v for k, v in given.items() if v is not None} }")
    return type(model).from_config(model.get_config())
