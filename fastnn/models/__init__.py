"""keras.models: Model (functional and subclassed), Sequential, load_model, save_model,
model_from_json, clone_model."""
from fastnn import saving as _saving
from fastnn.models.model import Model
from fastnn.models.sequential import Sequential
from fastnn.models.functional import Functional
from fastnn.models.cloning import clone_model
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
    custom_objects : dict, optional
        Class names to custom layer classes the JSON names (looked at before the
        ``custom_object_scope`` and the registered classes).

    Returns
    -------
    Model
        A new model.
    """
    from fastnn.serialization import _with_custom_objects
    with _with_custom_objects(custom_objects, "model_from_json"):
        return _model_from_json(json_string)


def _model_from_json(json_string):
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
