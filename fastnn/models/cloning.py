"""keras.models.clone_model (Keras 3's keras/src/models/cloning.py): a new model with the
architecture of a Sequential, functional or subclassed model, its layers made again
(fresh weights) or by a function of the user's."""

from fastnn.layers import Input
from fastnn.layers.core import OpLayer
from fastnn.layers.layer import _auto_get_config
from fastnn.layers.symbolic import KerasTensor, tree_flatten, tree_map
from fastnn.models.functional import Functional, run_graph
from fastnn.models.model import Model
from fastnn.models.sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with `model`'s architecture (Keras' `keras.models.clone_model`).

    Each layer is made again from its config (new weights: use
    ``clone.set_weights(model.get_weights())`` to copy them), or by ``clone_function``;
    a compiled model's clone is compiled with the same settings.

    Parameters
    ----------
    model : Model
        A Sequential or functional model, or a subclassed model (made again from its
        class and config: its own ``get_config()``, or the constructor's arguments
        when they are all strings, numbers, booleans or None).
    input_tensors : KerasTensor or structure of KerasTensor, optional
        The inputs to build the clone on: one tensor for a Sequential model, the
        structure of ``model.input`` for a functional one. Default None: new
        ``keras.Input`` tensors of the model's input shapes, dtypes and names.
    clone_function : callable, optional
        ``fn(layer) -> layer``, called once per layer (not the Input layers); return
        the layer itself to share it. Default: ``layer.__class__.from_config(
        layer.get_config())``.
    call_function : callable, optional
        Functional models only: ``fn(layer, *args, **kwargs) -> outputs``, called
        instead of ``layer(*args, **kwargs)`` for each layer call of the graph (to
        insert layers before or after some). Default None.
    recursive : bool
        Whether the Sequential and functional models nested in the model are cloned
        by ``clone_model`` with the same arguments (``call_function`` only for the
        functional ones) rather than by ``clone_function``. Default False.

    Returns
    -------
    Model
        The clone: a Sequential for a Sequential, a Functional for a functional
        model, an instance of the class for a subclassed model.
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"clone_model: unexpected keyword argument(s): {tuple(kwargs)}")
    if not isinstance(model, Model):
        raise TypeError(f"clone_model: model must be a fastnn Sequential, functional or "
                        f"subclassed Model, got {type(model).__name__}")
    for name, fn in (("clone_function", clone_function), ("call_function", call_function)):
        if fn is not None and not callable(fn):
            raise ValueError(f"clone_model: {name} must be a callable, got "
                             f"{type(fn).__name__} {fn!r}")
    if not isinstance(recursive, bool):
        raise TypeError(f"clone_model: recursive must be a bool, got "
                        f"{type(recursive).__name__} {recursive!r}")

    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "clone_model: call_function is not supported with Sequential models (their "
                "layers are listed, not called, when the model is made); use it with "
                f"functional models only. Got a {type(model).__name__} model, with "
                f"call_function={call_function}")
        wrapped = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential_model(model, wrapped, input_tensors)
    if isinstance(model, Functional):
        wrapped = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional_model(model, wrapped, input_tensors, call_function)

    # a subclassed model: made again from its class and config
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "clone_model: clone_function and input_tensors are only supported for "
            f"Sequential and functional models, got a model of type "
            f"{type(model).__name__!r} with clone_function={clone_function} and "
            f"input_tensors={input_tensors}")
    if call_function is not None:
        raise ValueError(
            "clone_model: call_function is only supported for functional models, got a "
            f"model of type {type(model).__name__!r} with call_function={call_function}")
    return _clone_subclassed_model(model)


def _clone_layer(layer):
    """Keras' default clone_function: the layer made again from its config. A keras.ops
    call on the graph's tensors (OpLayer) is the same function again."""
    if isinstance(layer, OpLayer):
        return OpLayer(layer.fn, layer._args, layer._kwargs, op_name=layer._op_name)
    return layer.__class__.from_config(layer.get_config())


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """clone_function, with a cache so that a layer shared by several calls stays one
    layer, and nested models cloned by clone_model when `recursive`."""
    if clone_function is None:
        clone_function = _clone_layer
    if cache is None:
        cache = {}

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            clone = clone_model(layer, clone_function=clone_function, recursive=True,
                                cache=cache)
        elif recursive and isinstance(layer, Functional):
            clone = clone_model(layer, clone_function=clone_function,
                                call_function=call_function, recursive=True, cache=cache)
        else:
            clone = clone_function(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _compile_like(clone, model):
    if model.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_sequential_model(model, clone_function, input_tensors):
    new_layers = [clone_function(layer) for layer in model.layers]
    ref = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError(f"clone_model: input_tensors must hold a single tensor for a "
                                 f"Sequential model, got {len(input_tensors)}")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(f"clone_model: input_tensors must be a KerasTensor, got "
                             f"{type(input_tensors).__name__} {input_tensors!r}")
        # Keras' Input(tensor=...): an input of that tensor's shape and dtype
        new_layers = [Input(batch_shape=input_tensors.shape, dtype=input_tensors.dtype,
                            name=None if ref is None else ref.name)] + new_layers
    elif ref is not None:
        new_layers = [Input(batch_shape=(ref.batch_size,) + tuple(ref.shape),
                            dtype=ref._int_dtype or ref._explicit_dtype,
                            name=ref.name)] + new_layers
    clone = Sequential(new_layers, name=model.name, trainable=model.trainable)
    return _compile_like(clone, model)


def _same_structure(a, b):
    """keras.tree.assert_same_structure's rule: the same nesting; lists, tuples and
    dicts (with the same keys) each match only their own kind."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(
            _same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            _same_structure(x, y) for x, y in zip(a, b))
    return True


def _clone_functional_model(model, clone_function, input_tensors, call_function):
    if input_tensors is not None:
        if not all(isinstance(t, KerasTensor) for t in tree_flatten(input_tensors)):
            raise ValueError(f"clone_model: all entries in input_tensors must be KerasTensors, "
                             f"got {input_tensors!r}")
        if not _same_structure(input_tensors, model.input):
            raise ValueError(f"clone_model: `input_tensors` must have the same structure as "
                             f"model.input\nReference structure: {model.input!r}\nReceived "
                             f"structure: {input_tensors!r}")
    else:
        input_tensors = tree_map(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=t.name), model.input)

    def call_clone(layer, args, kwargs):      # every layer call of the graph, in order
        clone = clone_function(layer)
        return (call_function or _call)(clone, *args, **kwargs)
    output_tensors = run_graph(model._nodes, tree_flatten(model.input),
                               tree_flatten(input_tensors), model.output, call_clone)
    clone = Functional(input_tensors, output_tensors, name=model.name)
    return _compile_like(clone, model)


def _call(layer, *args, **kwargs):
    return layer(*args, **kwargs)


def _clone_subclassed_model(model):
    """Keras' serialize / deserialize of a subclassed model: the class made again from
    its config (its own get_config, or the constructor's arguments recorded when they
    are all plain values), built for the same input shape, compiled alike."""
    cls = type(model)
    if cls.get_config is not Model.get_config:
        config = model.get_config()
    else:
        config = _auto_get_config(model, {"trainable": model.trainable,
                                          "dtype": model.dtype_policy.name})
    clone = cls.from_config(config)
    shape = getattr(model, "_build_input_shape", None)
    if model.built and shape is not None and not clone.built:
        clone.build(shape)
    return _compile_like(clone, model)
