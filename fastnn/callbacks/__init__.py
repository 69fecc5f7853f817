"""Keras-style callbacks: the base class and loop helpers (fastnn.callbacks.base) and the
built-in ones (fastnn.callbacks.builtin), all importable from here as in keras.callbacks."""
from fastnn.callbacks import base as _base
from fastnn.callbacks.base import Callback
from fastnn.callbacks.builtin import (CSVLogger, EarlyStopping, LambdaCallback,
                                      LearningRateScheduler, ModelCheckpoint,
                                      ReduceLROnPlateau, TerminateOnNaN)

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
           "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger", "LambdaCallback"]

# The loop helpers live in base.py (api-core); re-export whichever it provides.
for _name in ("CallbackList", "History", "ProgbarLogger"):
    if hasattr(_base, _name):
        globals()[_name] = getattr(_base, _name)
        __all__.append(_name)
del _name
