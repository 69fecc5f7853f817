"""keras.export: writing a model out for inference by other runtimes.

fastnn has one format, ONNX (`model.export(path, format="onnx")`, which needs the
`onnx` package: ``pip install "fastnn-cpu[onnx]"``); see fastnn/export/onnx.py.
"""
from fastnn.export.onnx import export_onnx

__all__ = ["export_onnx"]
