"""keras.models-style namespace: Sequential, load_model, save_model, model_from_json,
clone_model."""
import json

from fastnn.saving import load_model, save_model
from fastnn.sequential import Sequential

__all__ = ["Sequential", "clone_model", "load_model", "model_from_json", "save_model"]


def model_from_json(json_string, custom_objects=None):
    """The (unbuilt or built, untrained) model that `model.to_json()` describes."""
    if custom_objects:
        raise ValueError("model_from_json: custom_objects are not supported; fastnn models "
                         "only refer to fastnn's built-in layers and activations")
    try:
        spec = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: json_string is not JSON ({e})") from None
    if not Sequential.is_spec(spec):
        raise ValueError("model_from_json: expected {\"class_name\": \"Sequential\", "
                         f"\"config\": {{...}}}}, got {str(json_string)[:200]!r}")
    return Sequential.from_config(spec["config"])


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with `model`'s architecture and freshly initialised weights (as Keras:
    weights are not copied; use `clone.set_weights(model.get_weights())` for that)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"clone_model: model must be a fastnn Sequential, got "
                        f"{type(model).__name__}")
    if input_tensors is not None or clone_function is not None or kwargs:
        given = {"input_tensors": input_tensors, "clone_function": clone_function, **kwargs}
        raise ValueError("clone_model: only the model is supported, got "
                         f"{ {k: v for k, v in given.items() if v is not None} }")
    return Sequential.from_config(model.get_config())
