"""The functional API's graph: symbolic tensors (keras.KerasTensor) and the nodes that
layer calls on them make.

`keras.Input(shape)` returns a KerasTensor: a shape (None for the batch axis and any
unknown size), a dtype and the history of how it was made. Calling a layer on
KerasTensors builds the layer for their shapes and returns new KerasTensors, and records
a Node on the layer (`layer._inbound_nodes`): which tensors went in (with the call's
structure and keyword arguments) and which came out. `keras.Model(inputs, outputs)`
walks those nodes back from the outputs (fastnn/models/functional.py).
"""
import numpy as np

from fastnn import _argcheck


def _tree_flatten(structure):
    """The leaves of a structure of lists, tuples and dicts (dict values in key order),
    in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _tree_flatten(item)]
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure) for leaf in _tree_flatten(structure[k])]
    return [structure]


def same_tuple(template, items):
    """A tuple of `items` of template's type: a named tuple stays one (its class takes
    its fields as arguments), as Keras' tree functions keep it."""
    if type(template) is tuple:
        return tuple(items)
    if hasattr(template, "_fields"):
        return type(template)(*items)
    return type(template)(items)


def tree_map(fn, structure):
    """fn applied to every leaf of a structure of lists, tuples and dicts (a named tuple
    stays one)."""
    if isinstance(structure, list):
        return [tree_map(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return same_tuple(structure, [tree_map(fn, s) for s in structure])
    if isinstance(structure, dict):
        return {k: tree_map(fn, v) for k, v in structure.items()}
    return fn(structure)


tree_flatten = _tree_flatten


def is_symbolic(structure):
    """Whether any leaf of the structure is a KerasTensor (every op call asks: arrays,
    the common leaves, are answered first, and no list of leaves is built)."""
    if isinstance(structure, np.ndarray):
        return False
    if isinstance(structure, (list, tuple)):
        for item in structure:
            if is_symbolic(item):
                return True
        return False
    if isinstance(structure, dict):
        for item in structure.values():
            if is_symbolic(item):
                return True
        return False
    return isinstance(structure, KerasTensor)


class KerasTensor:
    """A symbolic tensor: what keras.Input returns and what layers return when called on
    one. It has a shape and a dtype but no values; models are built from them with
    keras.Model(inputs, outputs) and then called on data.

    Parameters
    ----------
    shape : tuple
        The shape, None for a dimension not known (the batch size, say).
    dtype : str or numpy.dtype
        The dtype. Default "float32".
    name : str or None
        A name. Default None.
    history : tuple or None
        fastnn's record of where the tensor comes from in a graph, (layer, node index,
        tensor index); None (the default) for a tensor made directly.
    """

    sparse = False      # Keras' flags: fastnn has no sparse or ragged tensors
    ragged = False

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        # "string": Keras' dtype of text inputs (NumPy arrays of str or objects)
        self.dtype = "string" if dtype in ("string", "str") or (
            isinstance(dtype, np.dtype) and dtype.kind in "USO") else np.dtype(dtype).name
        self.name = name
        self._keras_history = history      # (layer, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def _no_values(self, what):
        raise TypeError(
            f"{what}: {self!r} is a symbolic input of the functional API and has no values. "
            f"Build a model with keras.Model(inputs, outputs) and call it (or its predict) "
            f"on data")

    def __array__(self, *args, **kwargs):
        self._no_values("converting to a NumPy array")

    def numpy(self):
        self._no_values("numpy()")

    def __bool__(self):
        self._no_values("a truth value")

    def __len__(self):
        self._no_values("len()")

    def __iter__(self):
        self._no_values("iterating")

    # Arithmetic, comparisons and slicing of symbolic tensors become graph nodes of the
    # op (fastnn.layers.core.OpLayer), as keras.ops on KerasTensors do.
    def _op(self, name, *args, **kwargs):
        from fastnn.layers.core import op_node
        return op_node(name, *args, **kwargs)

    def __add__(self, other): return self._op("add", self, other)
    def __radd__(self, other): return self._op("add", other, self)
    def __sub__(self, other): return self._op("subtract", self, other)
    def __rsub__(self, other): return self._op("subtract", other, self)
    def __mul__(self, other): return self._op("multiply", self, other)
    def __rmul__(self, other): return self._op("multiply", other, self)
    def __truediv__(self, other): return self._op("divide", self, other)
    def __rtruediv__(self, other): return self._op("divide", other, self)
    def __matmul__(self, other): return self._op("matmul", self, other)
    def __rmatmul__(self, other): return self._op("matmul", other, self)
    def __pow__(self, other): return self._op("power", self, other)
    def __neg__(self): return self._op("negative", self)
    def __abs__(self): return self._op("abs", self)
    def __getitem__(self, key): return self._op("getitem", self, key)
    def __rpow__(self, other): return self._op("power", other, self)
    def __floordiv__(self, other): return self._op("floor_divide", self, other)
    def __rfloordiv__(self, other): return self._op("floor_divide", other, self)
    def __mod__(self, other): return self._op("mod", self, other)
    def __rmod__(self, other): return self._op("mod", other, self)
    # comparisons (not ==, which stays identity, as in Keras: KerasTensors are hashed
    # and compared as objects) and the logical operators
    def __lt__(self, other): return self._op("less", self, other)
    def __le__(self, other): return self._op("less_equal", self, other)
    def __gt__(self, other): return self._op("greater", self, other)
    def __ge__(self, other): return self._op("greater_equal", self, other)
    def __ne__(self, other): return self._op("not_equal", self, other)
    def __and__(self, other): return self._op("logical_and", self, other)
    def __rand__(self, other): return self._op("logical_and", other, self)
    def __or__(self, other): return self._op("logical_or", self, other)
    def __ror__(self, other): return self._op("logical_or", other, self)
    def __xor__(self, other): return self._op("logical_xor", self, other)
    def __rxor__(self, other): return self._op("logical_xor", other, self)
    def __invert__(self): return self._op("logical_not", self)
    def __round__(self, ndigits=None): return self._op("round", self, decimals=ndigits or 0)
    __hash__ = object.__hash__


class Node:
    """One call of a layer on KerasTensors: the call's arguments (a structure that holds
    KerasTensors and plain values) and the KerasTensors it made."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs                       # flat list of KerasTensors
        self.inputs = [t for t in _tree_flatten((call_args, call_kwargs))
                       if isinstance(t, KerasTensor)]
        layer._inbound_nodes.append(self)
        index = len(layer._inbound_nodes) - 1
        for i, t in enumerate(outputs):
            t._keras_history = (layer, index, i)

    @property
    def parent_nodes(self):
        """The nodes that made this node's inputs."""
        out = []
        for t in self.inputs:
            layer, index, _ = t._keras_history
            out.append(layer._inbound_nodes[index])
        return out

    @property
    def is_input(self):
        return not self.inputs and self.layer._is_input_layer


def shape_of(value, owner="shape"):
    """A KerasTensor's shape or a concrete array's, as a tuple."""
    if isinstance(value, KerasTensor):
        return value.shape
    shape = getattr(value, "shape", None)
    if shape is None:
        raise TypeError(f"{owner}: expected a tensor, got {type(value).__name__} "
                        f"{_argcheck.shown(value)}")
    return tuple(shape)
