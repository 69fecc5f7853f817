"""Keras-style callbacks, importable from here as from keras.callbacks: the base class and
the loop helpers (fastnn.callbacks.base) and the built-in callbacks (fastnn.callbacks.builtin)."""
from fastnn.callbacks.base import Callback, CallbackList, History, ProgbarLogger
from fastnn.callbacks.builtin import (BackupAndRestore, CSVLogger, EarlyStopping, LambdaCallback,
                                      LearningRateScheduler, ModelCheckpoint,
                                      ReduceLROnPlateau, SwapEMAWeights,
                                      TerminateOnNaN)
from fastnn.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ModelCheckpoint", "BackupAndRestore", "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN",
           "SwapEMAWeights", "CSVLogger", "LambdaCallback", "TensorBoard"]
