"""keras.models-style namespace: Sequential, load_model, save_model."""
from fastnn.saving import load_model, save_model
from fastnn.sequential import Sequential

__all__ = ["Sequential", "load_model", "save_model"]
