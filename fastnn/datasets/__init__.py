"""Data sets, as ``keras.datasets``: ``digits`` (bundled, 8x8) and ``mnist`` (IDX files)."""
from fastnn.datasets import digits, mnist

__all__ = ["digits", "mnist"]
