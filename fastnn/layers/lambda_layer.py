"""The Lambda layer (keras.layers.Lambda): a function of the inputs as a layer.

    model.add(Lambda(lambda x: x ** 2))
    y = Lambda(ops.square)(x)                            # on keras.Input tensors too

The function receives the layer's inputs (NumPy arrays, or `fastnn.tensor.Tensor`s that
a GradientTape follows) plus the `arguments` dict as keyword arguments, and `training=` /
`mask=` when its signature names them. Written with `fastnn.autodiff.ops`, or with NumPy
on the Tensors it receives, it is differentiable: a model with a Lambda trains.

On the functional API's symbolic inputs the output shape comes from `output_shape` (a
shape without the batch axis, a structure of such shapes, or a function of the input
shape that returns the whole output shape); without it, the function is called on zeros
twice, with the unknown sizes (the batch axis, say) set to 2 and to 3, and the output
sizes that differ between the two calls are unknown (None).

Saving. Keras stores a Python lambda as its bytecode and loads it back only when told
it is unsafe. fastnn never runs code read from a file: `get_config` refuses a lambda
(use a named function, or subclass Layer with a get_config), and `from_config` refuses a
`__lambda__` config, whatever `safe_mode` says. Named functions are stored by name (as
Keras stores them) and found again only where a name cannot run foreign code:
`keras.ops` (`fastnn.ops`, or `fastnn.autodiff.ops`), `keras.activations`, NumPy's ufuncs
(`numpy.square`), or the `custom_objects` dict given to `from_config` (your own
functions); a module named in a config is never imported.
"""
import inspect
import re
import types

import numpy as np

from fastnn import _argcheck, activations as _activations
from fastnn.autodiff import ops as _ops
from fastnn.layers import symbolic as _symbolic
from fastnn.layers.layer import Layer

__all__ = ["Lambda"]

# The namespaces a stored function name is looked up in: module name -> namespace.
_OPS_MODULES = ("keras.ops", "keras.src.ops", "fastnn.autodiff.ops", "fastnn.ops")
_ACTIVATION_MODULES = ("keras.activations", "keras.src.activations", "fastnn.activations")
# Names looked up in those namespaces: public ones only.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


# ------------------------------------------------------------------------- shapes
def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_))
                      and d >= 0) for d in value)


def _map_shapes(fn, structure):
    """fn applied to each shape (a tuple/list of ints and None) of a structure of
    lists, tuples and dicts of shapes."""
    if _is_shape(structure):
        return fn(tuple(None if d is None else int(d) for d in structure))
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_shapes(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    raise TypeError(f"expected a shape (a tuple of ints, None for an unknown size) or a "
                    f"list/tuple/dict of shapes, got {type(structure).__name__} "
                    f"{_argcheck.shown(structure)}")


def _first_batch(input_shape):
    """The batch size (first entry) of the first shape of a shape structure."""
    if _is_shape(input_shape):
        return input_shape[0] if len(input_shape) else None
    if isinstance(input_shape, (list, tuple)) and input_shape:
        return _first_batch(input_shape[0])
    if isinstance(input_shape, dict) and input_shape:
        return _first_batch(input_shape[sorted(input_shape)[0]])
    return None


# ---------------------------------------------------------------- serialisation
def _function_config(fn, what):
    """A function as Keras 3 stores one ({"module", "class_name": "function", "config":
    its name, "registered_name"}), for the functions from_config can find again."""
    if isinstance(fn, types.LambdaType) and getattr(fn, "__name__", None) == "<lambda>":
        raise ValueError(
            f"Lambda: cannot serialise {what} {fn!r}: it is a Python lambda, which Keras "
            f"stores as bytecode, and fastnn never runs code read from a file. Use a named "
            f"function (keras.ops / fastnn.autodiff.ops functions load back by name; your "
            f"own through from_config(config, custom_objects={{name: function}})) or "
            f"subclass Layer and give it a get_config")
    name = getattr(fn, "__name__", None)
    if isinstance(name, str) and name.isidentifier():
        if _NAME.match(name):
            if getattr(_ops, name, None) is fn or getattr(_keras_ops(), name, None) is fn:
                return _fn_entry("keras.ops", name)
            if getattr(_activations, name, None) is fn:
                return _fn_entry("keras.activations", name)
            if isinstance(fn, np.ufunc) and getattr(np, name, None) is fn:
                return _fn_entry("numpy", name)
        if isinstance(fn, types.FunctionType):
            # a named function, stored by name (as Keras does): from_config finds it
            # only in custom_objects, never by importing its module
            return _fn_entry(fn.__module__, name)
    raise ValueError(
        f"Lambda: cannot serialise {what} {_argcheck.shown(fn)}: only named Python "
        f"functions can be saved (by name), got {type(fn).__name__}; subclass Layer and "
        f"give it a get_config instead")


def _keras_ops():
    """fastnn.ops, the keras.ops namespace (its functions also take symbolic tensors);
    imported when first needed, as it imports fastnn.layers."""
    from fastnn import ops
    return ops


def _fn_entry(module, name):
    return {"module": module, "class_name": "function", "config": name,
            "registered_name": name}


def _load_function(cfg, custom_objects, what):
    """The function a stored entry names, looked up in custom_objects, keras.ops,
    keras.activations or NumPy's ufuncs; never imported or executed."""
    if isinstance(cfg, dict) and cfg.get("class_name") == "__lambda__":
        raise ValueError(
            f"Lambda.from_config: refusing to load {what} stored as Python bytecode (a "
            f"'__lambda__' config): fastnn never runs code read from a file, whatever "
            f"safe_mode says. Define the function in your code and pass it as "
            f"from_config(config, custom_objects={{name: function}}) after replacing the "
            f"entry with its name, or rebuild the layer with Lambda(function)")
    if isinstance(cfg, str):
        module, name = None, cfg
    elif isinstance(cfg, dict) and cfg.get("class_name") == "function" and \
            isinstance(cfg.get("config"), str):
        module, name = cfg.get("module"), cfg["config"]
    else:
        raise ValueError(f"Lambda.from_config: {what} must be a function entry "
                         f"{{'class_name': 'function', 'config': <name>, 'module': ...}} or a "
                         f"function name, got {_argcheck.shown(cfg, 200)}")
    if custom_objects and name in custom_objects:
        fn = custom_objects[name]
        if not callable(fn):
            raise TypeError(f"Lambda.from_config: custom_objects[{name!r}] must be callable, "
                            f"got {type(fn).__name__}")
        return fn
    if _NAME.match(name):
        found = None
        if module in _OPS_MODULES or module in (None, "builtins"):
            # keras.ops' names (fastnn.ops also holds fastnn's kernel-level functions)
            found = getattr(_ops, name, None)
            if found is not None:
                found = getattr(_keras_ops(), name, None) or found
        if found is None and (module in _ACTIVATION_MODULES or module in (None, "builtins")):
            found = getattr(_activations, name, None)
        if found is None and module == "numpy" and isinstance(getattr(np, name, None),
                                                              np.ufunc):
            found = getattr(np, name)
        if callable(found) and not isinstance(found, types.ModuleType):
            return found
    where = f"{module}.{name}" if module else name
    raise ValueError(
        f"Lambda.from_config: cannot find {what} {where!r}: fastnn looks stored functions "
        f"up only in keras.ops (fastnn.autodiff.ops), keras.activations and NumPy's ufuncs, "
        f"and never imports modules named in a config; pass it as "
        f"custom_objects={{{name!r}: function}}")


def _value_config(value, where):
    """Lambda arguments (and a mask array) as JSON-compatible values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__",
                "config": {"value": np.asarray(value).tolist(), "dtype": value.dtype.name}}
    if isinstance(value, (list, tuple)):
        return [_value_config(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _value_config(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise ValueError(f"Lambda: cannot serialise {where} of type {type(value).__name__}: "
                     f"arguments must be numbers, strings, None, arrays, or lists and dicts "
                     f"(with string keys) of them")


def _value_from_config(value):
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__") \
            and isinstance(value.get("config"), dict):
        cfg = value["config"]
        return np.asarray(cfg.get("value"), dtype=cfg.get("dtype"))
    if isinstance(value, list):
        return [_value_from_config(v) for v in value]
    if isinstance(value, dict):
        return {k: _value_from_config(v) for k, v in value.items()}
    return value


def _shape_from_config(value):
    """A stored output_shape: lists of ints back to tuples."""
    if _is_shape(value):
        return tuple(value)
    if isinstance(value, list):
        return [_shape_from_config(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape_from_config(v) for k, v in value.items()}
    return value


def _shape_to_config(value):
    if isinstance(value, (list, tuple)):
        return [_shape_to_config(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape_to_config(v) for k, v in value.items()}
    return value


def _accepts(function):
    """The keyword names the function takes (for training= and mask=)."""
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(n for n, p in params.items() if p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))


# ------------------------------------------------------------------------ the layer
class Lambda(Layer):
    """keras.layers.Lambda(function, output_shape=None, mask=None, arguments=None): a
    layer that returns ``function(inputs, **arguments)``. See the module docstring for the
    output shape on symbolic inputs, gradients and what can be saved.

    Parameters
    ----------
    function : callable
        The function to wrap, called as ``function(inputs, **arguments)``; written with
        ``fastnn.ops`` (or NumPy) it is differentiable.
    output_shape : tuple, callable or None
        The output shape without the batch axis, or a function of the input shape
        giving it. Default None: found by running the function on symbolic inputs.
    mask : None
        Keras' output mask; fastnn has no masking, so only None is accepted.
    arguments : dict, optional
        Extra keyword arguments passed to ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__} "
                            f"{_argcheck.shown(function)}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: arguments must be a dict of keyword arguments for the "
                            f"function, got {type(arguments).__name__} "
                            f"{_argcheck.shown(arguments)}")
        if output_shape is not None and not callable(output_shape):
            try:
                output_shape = _map_shapes(lambda s: s, output_shape)
            except TypeError as e:
                raise TypeError(f"Lambda: output_shape must be the output's shape without the "
                                f"batch axis (e.g. (6,)), a list or dict of such shapes, or a "
                                f"function of the input shape; {e}") from None
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        names = _accepts(function)
        self._fn_expects_training_arg = "training" in names
        self._fn_expects_mask_arg = "mask" in names

    # -- output shape ------------------------------------------------------------
    # The output shape is worked out when asked for (Sequential asks after building),
    # not at build: an eager call never runs the function on zeros.
    @property
    def output_shape(self):
        cached = self.__dict__.get("_lambda_output_shape")
        if cached is None and self.built and self.input_shape is not None:
            cached = self.compute_output_shape(self.input_shape)
            self.__dict__["_lambda_output_shape"] = cached
        return cached

    @output_shape.setter
    def output_shape(self, value):
        self.__dict__["_lambda_output_shape"] = value

    def build(self, input_shape):
        self.input_shape = _symbolic.tree_map(lambda s: s, input_shape)
        self.__dict__["_lambda_output_shape"] = None
        self.built = True

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            specs = _map_shapes(lambda s: _symbolic.KerasTensor(s, self.dtype), input_shape)
            return _symbolic.tree_map(lambda t: t.shape, self._probe((specs,), {}))
        if callable(self._output_shape):
            shape = self._output_shape(input_shape)
            try:
                return _map_shapes(lambda s: s, shape)
            except TypeError as e:
                raise TypeError(f"{self.name}: output_shape({input_shape}) must return a "
                                f"shape or a structure of shapes; {e}") from None
        batch = _first_batch(input_shape)
        return _map_shapes(lambda s: (batch,) + s, self._output_shape)

    def _output_spec(self, args, kwargs):
        # The symbolic call (Layer._symbolic_call): from output_shape when given, else
        # from calling the function on zeros (which also gives the output dtype).
        if self._output_shape is not None:
            return super()._output_spec(args, kwargs)
        return self._probe(args, kwargs)

    def _probe(self, args, kwargs):
        """KerasTensors for the output of a call on these symbolic arguments: the
        function run on zeros with the unknown sizes 2, then 3; sizes that change are
        unknown."""
        outs = []
        for fill in (2, 3):
            def zeros(t, fill=fill):
                if isinstance(t, _symbolic.KerasTensor):
                    return np.zeros(tuple(fill if d is None else d for d in t.shape), t.dtype)
                return t
            pa = _symbolic.tree_map(zeros, args)
            pk = _symbolic.tree_map(zeros, kwargs)
            pk.setdefault("training", False)
            try:
                out = self.call(*pa, **pk)
            except Exception as e:
                raise NotImplementedError(
                    f"{self.name}: could not infer the shape of the Lambda's output by calling "
                    f"its function on zeros ({type(e).__name__}: {e}); give the Lambda an "
                    f"output_shape") from e
            outs.append(out)
        flat2, flat3 = (_symbolic.tree_flatten(o) for o in outs)
        specs = []
        for a, b in zip(flat2, flat3):
            a, b = np.asarray(a), np.asarray(b)
            if a.ndim != b.ndim:
                raise NotImplementedError(
                    f"{self.name}: the Lambda's output rank depends on the input's unknown "
                    f"sizes ({a.shape} against {b.shape}); give the Lambda an output_shape")
            shape = tuple(d if d == e else None for d, e in zip(a.shape, b.shape))
            specs.append(_symbolic.KerasTensor(shape, a.dtype))
        it = iter(specs)
        return _symbolic.tree_map(lambda _: next(it), outs[0])

    # -- calling -------------------------------------------------------------------
    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """The `mask` argument: called as mask(inputs, mask) when it is a function,
        else returned as it is. fastnn's layers do not propagate masks; this is Keras'
        API for code that asks."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    # -- config --------------------------------------------------------------------
    def get_config(self):
        cfg = super().get_config()
        cfg["function"] = _function_config(self.function, "the function")
        if self._output_shape is not None:
            cfg["output_shape"] = (_function_config(self._output_shape, "output_shape")
                                   if callable(self._output_shape)
                                   else _shape_to_config(self._output_shape))
        if self.mask is not None:
            cfg["mask"] = (_function_config(self.mask, "mask") if callable(self.mask)
                           else _value_config(np.asarray(self.mask), "mask"))
        cfg["arguments"] = _value_config(self.arguments, "arguments")
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """The layer get_config describes. Functions are found by name (see the module
        docstring); `custom_objects` maps names to your own functions. A stored Python
        lambda ('__lambda__') is refused: `safe_mode` is accepted for Keras' signature,
        but fastnn never loads code from a config."""
        if not isinstance(config, dict):
            raise TypeError(f"Lambda.from_config: config must be a dict, got "
                            f"{type(config).__name__}")
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(f"Lambda.from_config: custom_objects must be a dict of name -> "
                            f"function, got {type(custom_objects).__name__}")
        config = dict(config)
        if "function" not in config:
            raise ValueError("Lambda.from_config: the config has no 'function' entry")
        config["function"] = _load_function(config["function"], custom_objects, "the function")
        if config.get("output_shape") is not None:
            shape = config["output_shape"]
            if isinstance(shape, (dict, str)) and (
                    isinstance(shape, str) or shape.get("class_name") in ("function",
                                                                          "__lambda__")):
                config["output_shape"] = _load_function(shape, custom_objects, "output_shape")
            else:
                config["output_shape"] = _shape_from_config(shape)
        if config.get("mask") is not None:
            mask = config["mask"]
            if isinstance(mask, (dict, str)) and (
                    isinstance(mask, str) or mask.get("class_name") in ("function", "__lambda__")):
                config["mask"] = _load_function(mask, custom_objects, "mask")
            else:
                config["mask"] = _value_from_config(mask)
        if "arguments" in config:
            config["arguments"] = _value_from_config(config["arguments"])
        return super().from_config(config)
