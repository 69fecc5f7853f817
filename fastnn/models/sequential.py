"""keras.Sequential: a linear stack of layers (a Model whose layers form a chain)."""
import inspect

import numpy as np

from fastnn import _changes
from fastnn.layers import Dense, InputLayer, Layer, serialize as _serialize_layer, \
    deserialize as _deserialize_layer
from fastnn.layers.layer import _auto_name, _is_shape, _probe_undone, _take_inputs
from fastnn.layers.symbolic import KerasTensor
from fastnn.mixed_precision import dtype_policy
from fastnn.models.model import Model, standardized_rank
from fastnn.trainers.trainer import Trainer


class Sequential(Model):
    """A linear stack of layers. `Sequential([Dense(25, activation='relu'), ...])`.

    Parameters
    ----------
    layers : list of Layer, optional
        The layers, in order; more can be added with ``add``. An ``Input`` (or
        ``InputLayer``) first fixes the input shape and builds the model at once.
    name : str, optional
        The model's name.
    trainable : bool
        Whether the model's weights are trained. Default True.
    """

    def __init__(self, layers=None, name=None, trainable=True):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Sequential: name must be a string, got {name!r}")
        self._input_layer = None
        self._layers = []
        Layer.__init__(self, name=name or _auto_name("sequential"), trainable=trainable)
        self._init_trainer()
        self._build_input_shape = None
        self._graph = None              # (input, output, layers) of the symbolic graph
        self._graph_input_layer = None  # the InputLayer build(shape) made (no Input given)
        self._structured = False        # built for a dict or list of inputs (no chain)
        if layers is not None:
            if isinstance(layers, (Layer, KerasTensor)):
                layers = [layers]
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_build()

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        """The layers, without the InputLayer (as Keras 3)."""
        return list(self._layers)

    @property
    def input_shape(self):
        """The shape of the model's input, batch axis first (a built model only, as in
        Keras: an unbuilt one has no such attribute)."""
        if not self.built:
            raise AttributeError(f"Sequential model {self.name!r} has no defined input shape "
                                 f"yet: give it an Input first, or build it")
        return self._build_input_shape

    # Keras' Sequential, once its input shape is known, is also a functional graph: an
    # Input and each layer called on the previous one's output (symbolic calls, so each
    # layer has its .input / .output, and keras.Model(model.inputs, layer.output) is a
    # model of the first layers, sharing their weights).
    def _symbolic_graph(self):
        graph = self._graph
        if not self.built or graph is None or [id(l) for l in self._layers] != graph[2]:
            raise AttributeError(
                f"Sequential model {self.name!r} has no defined inputs yet: give it an Input "
                f"first, or build it (build(input_shape), or a call on data)")
        return graph

    @property
    def inputs(self):
        """The symbolic input of the model's graph, in a list (a built model only)."""
        return [self._symbolic_graph()[0]]

    @property
    def outputs(self):
        """The symbolic output of the model's graph, in a list (a built model only)."""
        return [self._symbolic_graph()[1]]

    @property
    def output_shape(self):
        """The shape of the model's output (a built model only, as in Keras)."""
        if not self.built:
            raise AttributeError(f"Sequential model {self.name!r} has no defined output shape "
                                 f"yet: give it an Input first, or build it")
        return self._layers[-1].output_shape if self._layers else None

    @property
    def dtype(self):
        """The first dtype a layer was given explicitly (its Input's first), else the
        global dtype policy's weight dtype (floatx() unless set): the model computes in it."""
        # Read several times by every call: kept until a counted change (fastnn._changes:
        # an attribute set on a layer, a layer added or removed) or another global policy
        policy = dtype_policy()
        seen = self.__dict__.get("_dtype_seen")
        if seen is not None and seen[0] == _changes.count[0] and seen[1] is policy:
            return seen[2]
        dtype = policy.variable_dtype
        if self._input_layer is not None and self._input_layer._explicit_dtype is not None:
            dtype = self._input_layer._explicit_dtype
        else:
            for layer in self._layers:
                if layer._explicit_dtype is not None:
                    dtype = layer._explicit_dtype
                    break
        self.__dict__["_dtype_seen"] = (_changes.count[0], policy, dtype)  # (not counted)
        return dtype

    @dtype.setter
    def dtype(self, value):
        pass    # Layer.__init__ sets its default; the layers decide

    # a chain: no graph to trace, one input, one output per resolved loss
    def _graph_model(self):
        return None

    def _n_inputs(self):
        return 1

    _n_outputs = Trainer._n_outputs

    def _chain(self):
        return None if self._structured else self._layers

    def _sublayers(self):
        return list(self._layers)

    def _takes_array(self):
        return True

    def __call__(self, *args, **kwargs):
        """model(x): as Model's. A model not built for one input shape hands a dict of
        inputs, or a list or tuple of several arrays, as it is to its first layer (as in
        Keras); nested lists of numbers are one array of samples."""
        args = _take_inputs(self, args, kwargs)
        x = args[0]
        if (not self.built or self._structured) and (isinstance(x, dict) or (
                isinstance(x, (list, tuple)) and len(x) > 1 and all(
                    isinstance(v, dict) or (isinstance(v, np.ndarray) and v.ndim) for v in x))):
            return Layer.__call__(self, *args, **kwargs)
        return super().__call__(*args, **kwargs)

    def call(self, inputs, training=None):
        out = inputs
        for layer in self._layers:
            out = layer(out, training=training)
        return out

    def add(self, layer, rebuild=True):
        """Append a layer. A Sequential given here contributes its own layers (the same
        objects, so the two models share their weights, as Keras' nested model does),
        and its Input if this model has none yet; model.layers lists them one by one.

        Parameters
        ----------
        layer : Layer or Sequential
            The layer to append (an ``Input`` first fixes the input shape).
        rebuild : bool
            Whether to build the model again at once when its input shape is known.
            Default True.
        """
        if isinstance(layer, Sequential):
            if layer is self:
                raise ValueError("Sequential.add: a model cannot be added to itself")
            # Checked before any is added, so a refusal leaves this model as it was.
            clash = sorted({l.name for l in self._layers} & {l.name for l in layer._layers})
            if clash:
                raise ValueError(f"Sequential.add: layer names must be unique, got a second "
                                 f"{clash[0]!r} from {layer.name!r}")
            if layer._input_layer is not None and not self._layers and self._input_layer is None:
                self.add(InputLayer(batch_shape=(None,) + tuple(layer._input_layer.shape),
                                               dtype=layer._input_layer._explicit_dtype),
                         rebuild=False)
            for inner in layer._layers:
                self.add(inner, rebuild=False)
            self.built = False
            if rebuild:
                self._maybe_build()
            return
        if isinstance(layer, KerasTensor):
            # keras.Input(...) as the first element: its InputLayer
            history = layer._keras_history
            if history is None or not history[0]._is_input_layer:
                raise ValueError("Sequential.add: a symbolic tensor can only be added when it "
                                 f"comes from keras.Input, got {layer!r}")
            layer = history[0]
        if not isinstance(layer, Layer):   # a ValueError, as Keras raises
            raise ValueError(f"Sequential.add: layer must be a fastnn Layer (e.g. Dense(10)), "
                             f"got {type(layer).__name__} {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError(f"Sequential.add: an Input can only be the first element, got "
                                 f"{layer.name!r} after {len(self._layers)} layer(s)")
            self._input_layer = layer
        else:
            names = {l.name for l in self._layers}
            if layer.name in names:
                raise ValueError(f"Sequential.add: layer names must be unique, got a second "
                                 f"{layer.name!r}")
            if not self._layers and self._input_layer is None and layer._input_shape_arg is not None:
                # Keras 2's Dense(..., input_shape=(64,)) on the first layer.
                self._input_layer = InputLayer(
                    batch_shape=layer._input_shape_arg, dtype=layer._explicit_dtype)
            self._layers.append(layer)
        self.built = False
        if rebuild:
            self._maybe_build()

    def pop(self):
        """Remove the last layer. The model is built again from its input when it knows its
        input shape.

        Returns
        -------
        Layer
            The layer removed.
        """
        if not self._layers:
            raise IndexError("Sequential.pop: there are no layers to remove")
        layer = self._layers.pop()
        self.built = False
        self._metrics = None
        self._maybe_build()
        return layer

    def _maybe_build(self):
        if not self._layers:
            self._graph = None
        elif self._input_layer is not None:
            self.build((self._input_layer.batch_size,) + self._input_layer.shape)
        elif self._graph_input_layer is not None:
            # built before from an input shape (build() or a call on data): Keras builds
            # the model again from it when a layer is added or removed
            self.build(self._graph_input_layer._inbound_nodes[0].outputs[0].shape)
        elif len(self._layers) > 1 and isinstance(self._layers[0], Model) \
                and _is_shape(getattr(self._layers[0], "input_shape", None)):
            # a model first (a functional one) that knows its input shape: built from it,
            # as Keras builds it
            self.build(self._layers[0].input_shape)

    def _make_graph(self, input_shape):
        """The symbolic graph of the built stack for inputs of input_shape: the Input's
        tensor (the model's Input, else one made for that shape and kept for the next
        builds) and each layer called on the previous output. Kept as it is when it is
        already the graph of these layers for this input; none when a layer cannot be
        called on a symbolic tensor (its nodes of this attempt removed)."""
        ref = self._input_layer
        if ref is not None and (ref.batch_size,) + tuple(ref.shape) == input_shape:
            input_layer = ref
        else:
            input_layer = self._graph_input_layer
            if input_layer is None or input_layer._inbound_nodes[0].outputs[0].shape \
                    != input_shape:
                input_layer = InputLayer(batch_shape=input_shape, dtype=self.dtype)
                self._graph_input_layer = input_layer
        inp = input_layer._inbound_nodes[0].outputs[0]
        ids = [id(l) for l in self._layers]
        if self._graph is not None and self._graph[0] is inp and self._graph[2] == ids:
            return
        self._graph = None
        x, called = inp, []
        try:
            for layer in self._layers:
                called.append((layer, len(layer._inbound_nodes)))
                if type(layer).compute_output_shape is Layer.compute_output_shape \
                        or isinstance(layer, Model):
                    # its symbolic call runs call() on zeros: as in Keras, the call's
                    # variable updates (a counter's assign_add) do not happen
                    with _probe_undone(layer):
                        x = layer(x)
                else:
                    x = layer(x)
                if not isinstance(x, KerasTensor):
                    raise TypeError("a layer of a Sequential returns one tensor")
        except Exception:   # a layer with no symbolic call: no graph (as Keras)
            for layer, n in called:
                del layer._inbound_nodes[n:]
            return
        self._graph = (inp, x, ids)

    def compute_output_shape(self, input_shape):
        """The shape of the stack's output for inputs of `input_shape` (batch axis
        first), without building the layers.

        Parameters
        ----------
        input_shape : tuple
            The inputs' shape, batch axis first (None for any size).

        Returns
        -------
        tuple
            The output shape.
        """
        if not _is_shape(tuple(input_shape) if isinstance(input_shape, list) else input_shape):
            raise ValueError(f"Sequential.compute_output_shape: input_shape must be a tuple of "
                             f"sizes (int or None), got {input_shape!r}")
        if not self._layers:
            raise ValueError("Sequential.compute_output_shape: the model has no layers; add "
                             "some first")
        return self._output_shape_for(tuple(input_shape))

    def _output_spec(self, args, kwargs):
        # on symbolic inputs the stack runs on zeros: each layer's dtype and structure
        # as its call gives them
        return self._probed_spec(args, kwargs)

    def _convert_x(self, x, what, argname="x", allow_empty=False):
        # an unbuilt model whose first layer was built for 1-D inputs (one number per
        # sample) is built for them, so they are not taken as one feature per row
        if not self.built and self._layers and np.ndim(x) == 1:
            first = self._layers[0]
            if first.built and _is_shape(first.input_shape) and len(first.input_shape) == 1:
                self.build(first.input_shape)
        if self.built and isinstance(x, np.ndarray):
            # Keras' rank standardization (a built Sequential runs as a functional model):
            # one axis more than the input's, of size 1 and last, is dropped; one axis
            # fewer, where the input's last axis is 1, is added
            exp = self._expected_input_shape()
            to = None if exp is None or x.ndim == 0 else standardized_rank(x.shape, exp)
            if to is not None:
                x = x.reshape(to)
        return super()._convert_x(x, what, argname, allow_empty)

    def _output_shape_for(self, input_shape):
        """Output shape of the stack for `input_shape`, without building anything."""
        shape = tuple(input_shape)
        for layer in self._layers:
            if layer.built and layer.output_shape is not None:
                exp = layer.input_shape
                if exp[1:] != shape[1:] and (  # equal: the common case, nothing to compare
                        len(exp) != len(shape) or any(e is not None and s is not None and e != s
                                                      for e, s in zip(exp[1:], shape[1:]))):
                    raise ValueError(f"{layer.name}: expected input shape {exp}, got {shape}")
                shape = (shape[0],) + tuple(layer.output_shape[1:])
            elif layer._defines_output_shape():
                if isinstance(layer, Dense) and (len(shape) < 2 or shape[-1] is None):
                    raise ValueError(f"{layer.name}: Dense needs inputs of shape (batch, features), "
                                     f"got {shape}")
                shape = layer.compute_output_shape(shape)
            else:       # a custom layer: its output shape is what a call gives
                if not layer.built and layer._explicit_dtype is None:
                    layer.dtype = self.dtype
                shape = layer._probed_output_shape(shape, self.dtype)
        return shape

    def build(self, input_shape=None):
        """Create every layer's weights for inputs of `input_shape` (batch axis included).
        For a structure of inputs (a dict or list of shapes) the model is only marked
        built: each layer builds on its first call, as in Keras."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("Sequential.build: input_shape is required when the model has no "
                                 "Input, got None")
            input_shape = (self._input_layer.batch_size,) + self._input_layer.shape
        if not self._layers:
            raise ValueError("Sequential.build: the model has no layers; add some first")
        if isinstance(input_shape, dict) or (isinstance(input_shape, (list, tuple)) and any(
                isinstance(d, (dict, list, tuple)) for d in input_shape)):
            self._build_input_shape = input_shape
            self._structured, self._graph, self.built = True, None, True
            return
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
        for layer in self._layers:
            _check_call_arguments(layer)
        self._structured = False
        self._output_shape_for(input_shape)  # validates against already-built layers
        dtype = self.dtype
        shape = input_shape
        for layer in self._layers:
            if not layer.built:
                layer.dtype = dtype
                layer._build_for(shape)
            if layer.output_shape is None:
                if layer.input_shape is None:     # a stateless layer built at instantiation
                    layer.input_shape = shape
                layer.output_shape = layer._probed_output_shape(shape, dtype)
            shape = (shape[0],) + tuple(layer.output_shape[1:])
        self._build_input_shape = input_shape
        self.built = True
        self._make_graph(input_shape)

    # ------------------------------------------------------------------ weights
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    # model.trainable: Layer's, which sets every layer's too, as in Keras (a frozen
    # BatchNormalization then normalises with its moving statistics); the layers can be
    # changed one by one after.

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def get_weights(self):
        """Copies of every weight, Keras' layout: [kernel (in, out), bias (out,), ...]."""
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights):
        """Set every weight from a list in get_weights() order; checks the count and all
        shapes first, so a bad list leaves the model unchanged."""
        if not self.built:
            raise ValueError("Sequential.set_weights: the model is not built yet; give it an "
                             "Input(shape) or call build()/fit() first")
        weights = list(weights)
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"Sequential.set_weights: expected {len(mine)} arrays with shapes "
                             f"{[w.shape for w in mine]}, got {len(weights)}")
        k = 0
        for layer in self._layers:
            for j, w in enumerate(layer.weights):
                a = np.asarray(weights[k])
                if a.shape != w.shape:
                    raise ValueError(f"Sequential.set_weights: weights[{k}] ({layer.name}/"
                                     f"{layer.weight_names[j]}) expected shape {w.shape}, got {a.shape}")
                if a.dtype.kind not in "fiub":
                    raise ValueError(f"Sequential.set_weights: weights[{k}] ({layer.name}/"
                                     f"{layer.weight_names[j]}) must be numbers, got dtype "
                                     f"{a.dtype}")
                k += 1
        k = 0
        for layer in self._layers:
            n = len(layer.weights)
            layer.set_weights(weights[k:k + n])
            k += n

    def count_params(self):
        if not self.built:
            raise ValueError(f"{self.name}: the model is not built; params are unknown")
        return sum(layer.count_params() for layer in self._layers)

    # ------------------------------------------------------------------ summary
    # ------------------------------------------------------------------ config
    def get_config(self):
        layer_cfgs = []
        if self._input_layer is not None:
            entry = _serialize_layer(self._input_layer)
            if self._input_layer._explicit_dtype is None and \
                    isinstance(entry.get("config"), dict) and "dtype" in entry["config"] \
                    and entry["config"]["dtype"] in ("float32", "float64"):
                # an Input given no dtype takes the model's (the first a layer was given):
                # the config says so, or a revived model would compute in the Input's
                # default and override its layers' dtypes
                entry["config"]["dtype"] = str(np.dtype(self.dtype))
            layer_cfgs.append(entry)
        layer_cfgs += [_serialize_layer(l) for l in self._layers]
        cfg = {"name": self.name, "trainable": self.trainable, "layers": layer_cfgs}
        if self.built and not self._structured:
            cfg["build_input_shape"] = list(self._build_input_shape)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A Sequential model from its config (what ``get_config()`` returned).

        Parameters
        ----------
        config : dict
            The model's name, trainable flag, layers and build input shape.
        custom_objects : dict, optional
            Class names to custom layer classes the config's layers name (looked at
            before the ``custom_object_scope`` and the registered classes).

        Returns
        -------
        Sequential
            A new model, built when the config gives its input shape.
        """
        from fastnn.serialization import _with_custom_objects
        with _with_custom_objects(custom_objects, "Sequential.from_config"):
            return cls._from_config(config)

    @classmethod
    def _from_config(cls, config):
        if not isinstance(config, dict) or "name" not in config or "layers" not in config:
            # Keras' Sequential.from_config requires the name (and reads the layers)
            raise ValueError(f"Sequential.from_config: A Sequential model configuration must "
                             f"be a dictionary containing the 'name' and 'layers' keys. "
                             f"Received: config={str(config)[:200]}")
        if not isinstance(config["layers"], list):
            raise ValueError(f"Sequential.from_config: 'layers' must be a list of layer "
                             f"configs, got {type(config['layers']).__name__}")
        for i, lc in enumerate(config["layers"]):
            if not isinstance(lc, dict) or "config" not in lc:
                raise ValueError(f"Sequential.from_config: layers[{i}]: The provided "
                                 f"configuration is not a valid Keras configuration. Expected "
                                 f"a dictionary containing a 'config' key. Received: "
                                 f"config={str(lc)[:200]}")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for lc in config["layers"]:
            model.add(_deserialize_layer(lc), rebuild=False)
        model._maybe_build()
        bis = config.get("build_input_shape")
        if not model.built and bis is not None:
            model.build(tuple(bis))
        return model

    def __repr__(self):
        return f"<Sequential name={self.name}, built={self.built}, layers={len(self._layers)}>"


def _check_call_arguments(layer):
    """A layer of a Sequential model is called on its input alone: its call() must take
    one positional argument and require no other (Keras refuses the others at build)."""
    try:
        params = list(inspect.signature(layer.call).parameters.values())
    except (TypeError, ValueError):
        return
    positional = [p for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                  inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if not positional and not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        raise ValueError(f"Sequential: layers of a Sequential model should have a single "
                         f"positional argument, the input tensor; {type(layer).__name__}.call "
                         f"has no positional arguments")
    required = [p.name for p in positional if p.default is inspect.Parameter.empty]
    if len(required) > 1:
        raise ValueError(f"Sequential: layers of a Sequential model can only have a single "
                         f"required positional argument, the input tensor; "
                         f"{type(layer).__name__}.call has several: {required}")
