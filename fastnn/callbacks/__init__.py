"""Keras-style callbacks (fastnn.callbacks.base holds the hooks and the loop helpers)."""
