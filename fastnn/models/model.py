"""keras.Model: the base of every model.

Three kinds, as in Keras 3:
- `Sequential([...])`, a stack of layers (fastnn/models/sequential.py);
- functional, `Model(inputs, outputs)` over a graph of layer calls on `keras.Input`
  tensors (fastnn/models/functional.py) — `Model(...)` with inputs and outputs returns
  a `Functional`;
- subclassed, `class MyModel(keras.Model)` with layers made in `__init__` and the math
  in `call(inputs, training=None)`.

A model is a layer (it can be called, nested in another model, and it tracks the
layers it holds and their weights) and a Trainer (compile, fit, evaluate, predict, ...).
"""
import json

import inspect

import numpy as np

from fastnn import _changes
from fastnn.layers.layer import Layer, _CONTEXT, _auto_config, _probe_undone, _take_inputs
from fastnn.autodiff.tape import is_recording
from fastnn.layers import symbolic as _symbolic
from fastnn.tensor import Tensor as _Tensor, as_tensor as _as_tensor
from fastnn.trainers.trainer import Trainer

_FLAGS = (bool, type(None))    # training= values that are not a symbolic tensor


def standardized_rank(shape, ref):
    """The shape Keras' rank standardization gives an input of `shape` for an Input of
    shape `ref` (batch axis included): the same rank as it is; one axis more, of size 1
    and last, dropped; one axis fewer, where the Input's last axis is 1, added. None when
    neither applies."""
    shape, n = tuple(shape), len(ref)
    if len(shape) == n:
        return shape
    if len(shape) == n + 1 and shape[-1] == 1:
        return shape[:-1]
    if len(shape) == n - 1 and ref[-1] == 1:
        return shape + (1,)
    return None


def _functional_args(args, kwargs):
    """Whether Model(...) was given a graph's inputs and outputs."""
    return len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs


class Model(Trainer, Layer):
    """A model: layers plus training. `keras.Model(inputs, outputs)` makes a functional
    model; subclass it and define `call` for a model of your own.

    Parameters
    ----------
    inputs : KerasTensor or list or dict of KerasTensor
        Functional API: the model's inputs, made with ``keras.Input``.
    outputs : KerasTensor or list or dict of KerasTensor
        Functional API: the outputs, computed from ``inputs`` by calling layers.
    name : str, optional
        The model's name.
    trainable : bool
        Whether the model's weights are trained. Default True.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_args(args, kwargs):
            from fastnn.models.functional import Functional
            return object.__new__(Functional)
        instance = object.__new__(cls)
        # Keras' automatic config of a subclass (Operation.__new__): the constructor's
        # arguments, defaults included, when they are all plain values (clone_model
        # makes the model again from them)
        instance.__dict__["_auto_config"] = _auto_config(cls, args, kwargs)
        return instance

    def __init__(self, *args, **kwargs):
        if _functional_args(args, kwargs):
            # a subclass that hands its graph to Model.__init__ (Keras' "functional
            # subclassing"): it becomes a Functional too (its own methods first)
            from fastnn.models.functional import Functional
            if not isinstance(self, Functional):
                cls = type(self)
                self.__class__ = type(cls.__name__, (cls, Functional),
                                      {"__module__": cls.__module__})
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype, **kwargs)
        self._init_trainer()
        self._build_input_shape = None

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        """The layers the model holds (for a subclassed model, those assigned as its
        attributes, in order)."""
        return self._sublayers()

    def _as_input(self, x):
        """A call's input: text arrays (for an Input(dtype="string")) pass as they are, to
        the layers that take them; the rest as any layer converts its inputs."""
        if isinstance(x, np.ndarray) and x.dtype.kind in "USO":
            return x
        return super()._as_input(x)

    def _chain(self):
        """The model's layers in the order they compute, when the model is a chain of
        them (one input, one output, each layer once on the previous one's output);
        None otherwise. The C engine and the chain steps of the trainer read it.

        A subclassed model's call() is traced once built (and again when the layers it
        holds change): run on a symbolic input, in training and in inference mode; when
        both give the same chain of the model's own layers and nothing else happens (no
        add_loss, no other operation), the model is that chain and trains on the engine
        as a Sequential of those layers would."""
        if not self.built:
            return None
        return _traced_chain(self, self._build_input_shape)

    def _graph_model(self):
        """The functional model whose graph the engine and the array path read: a
        functional model itself; for a subclassed model that is no chain, its call()
        traced into a graph of its own layers (see _trace_graph), which computes with
        the model's layers and weights; None otherwise. Functional and Sequential
        answer for themselves."""
        if not self.built or self._chain() is not None:
            return None
        return _traced_graph(self, self._build_input_shape)

    def _flat_chain(self):
        """_chain() with nested models and layers whose call is a chain of their own
        layers expanded: the layers the C engine runs (see flat_chain); for a subclassed
        model traced into a graph (_graph_model), that graph's."""
        chain = flat_chain(self)
        if chain is None:
            graph = self._graph_model()
            if graph is not None and graph is not self:
                return graph._flat_chain()
        return chain

    def _from_graph(self, name, default, *args):
        """_graph_model()'s answer to method `name` for a subclassed model traced into a
        graph; `default` for any other."""
        graph = self._graph_model()
        if graph is None or graph is self:
            return default
        return getattr(graph, name)(*args)

    def _chain_skips(self):
        """{position in _flat_chain(): position} of each residual connection: an Add
        there adds the output of the layer at the other position to its input. Only
        graphs have them (functional models, subclassed ones traced into one)."""
        return self._from_graph("_chain_skips", {})

    def _chain_cats(self):
        """{position in _flat_chain(): (position or -1, first)} of each concatenation:
        a Concatenate there joins its input and the output of the layer at the other
        position (-1 - i: the model's input i), that one first when `first`. Only
        graphs have them."""
        return self._from_graph("_chain_cats", {})

    def _chain_srcs(self):
        """{position in _flat_chain(): position or -1} of each branch: the layer there
        takes the output of the layer at the other position (-1 - i: the model's input
        i) instead of the previous one's. Only graphs have them."""
        return self._from_graph("_chain_srcs", {})

    def _chain_first_input(self):
        """The model's input the first layer of _flat_chain() takes (a graph of several
        inputs may start with any of them; None: with all of them joined in their
        order)."""
        return self._from_graph("_chain_first_input", 0)

    def _chain_pre(self):
        """A graph of several inputs joined first by a Concatenate, some of them through
        a Normalization or Rescaling each: per input, in the order the Concatenate joins
        them, that layer or None (these layers come first in _flat_chain(), in that
        order); () for any other model."""
        return self._from_graph("_chain_pre", ())

    def _chain_outputs(self):
        """A graph of several outputs that the engine walks: the position in
        _flat_chain() of each output's layer, in the order of the flattened outputs; ()
        for a model of one output."""
        return self._from_graph("_chain_outputs", ())

    # A subclassed model traced into a graph of several inputs takes them as the
    # functional model of that graph does (Functional's methods say how).
    def _n_inputs(self):
        """The number of the model's inputs the trainer takes (1 unless a graph says)."""
        return self._from_graph("_n_inputs", 1)

    def _n_outputs(self):
        """The number of the model's outputs: one per resolved loss, else its graph's."""
        if self._out_losses:
            return len(self._out_losses)
        return self._from_graph("_n_outputs", 1)

    def _joined_widths(self):
        return self._from_graph("_joined_widths", None)

    def _join_order(self):
        return self._from_graph("_join_order", (0,))

    def _joins(self, x):
        """Whether x, a structure of several inputs, goes to the array path as one array
        (the engine takes a graph's inputs side by side)."""
        return self._from_graph("_joins", False, x)

    def _split_joined(self, x):
        """A batch of joined inputs (see _joins) as the model's inputs."""
        return self._from_graph("_split_joined", x, x)


    def _chain_or_layers(self):
        # a subclassed model may compute without layers (call() alone)
        return self._chain() or self.layers or (
            not self._takes_array() and type(self).call is not Model.call)

    def _expected_input_shape(self):
        if "_traced_graph" in self.__dict__:    # (a subclassed model once traced)
            widths = self._joined_widths()
            if widths is not None:     # the array path's joined inputs (_joins)
                return (None, sum(widths))
        return self._build_input_shape

    def build(self, input_shape=None):
        """Create the weights of every layer for inputs of `input_shape` (batch axis
        included), by calling the model once on zeros of that shape.

        Parameters
        ----------
        input_shape : tuple
            The shape of a batch of inputs, batch axis first (None for any batch
            size).
        """
        if input_shape is None:
            raise ValueError(f"{self.name}.build: input_shape is required, got None")

        def zeros(shapes):
            if isinstance(shapes, dict):
                return {k: zeros(v) for k, v in shapes.items()}
            if isinstance(shapes, list):
                return [zeros(v) for v in shapes]
            return np.zeros(tuple(1 if d is None else int(d) for d in shapes), self.dtype)
        probe = zeros(_shape_structure(input_shape))
        self.__dict__.pop("_traced_chain", None)
        self.__dict__.pop("_traced_graph", None)
        self._build_input_shape = input_shape if isinstance(input_shape, dict) \
            else tuple(input_shape)
        self.built = True      # the call below must not build again
        try:
            with _probe_undone(self):
                Layer.__call__(self, probe, training=False)
        except BaseException:
            self.built = False
            raise

    def _output_shape_for(self, input_shape):
        """The output shape for inputs of input_shape (batch axis included)."""
        if self._n_inputs() > 1:      # a subclassed model traced into a graph
            return self._graph_model()._output_shape_for(input_shape)
        chain = self._chain()
        if chain is not None:
            shape = tuple(input_shape)
            for layer in chain:
                shape = (shape[0],) + tuple(layer.output_shape[1:]) \
                    if layer.built and layer.output_shape is not None \
                    else layer.compute_output_shape(shape)
            return shape
        shape = tuple(1 if d is None else d for d in input_shape)
        with _probe_undone(self):
            out = Layer.__call__(self, np.zeros(shape, self.dtype), training=False)
        if isinstance(out, (dict, list, tuple)):
            flat = _symbolic.tree_flatten(out)
            if len(flat) == 1:        # one output in a dict or list ({"out": y}, [y])
                out = flat[0]
        out = np.asarray(out)
        return (input_shape[0],) + out.shape[1:]

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        """model(x): on data, the outputs (as a Tensor: a NumPy array with TensorFlow's
        .numpy()), building the model on the first data; on keras.Input tensors, the
        symbolic outputs (the model becomes a layer of a functional model)."""
        args = _take_inputs(self, args, kwargs)
        spec = self.__dict__.get("input_spec")
        if spec is not None:        # an InputSpec the user set
            from fastnn.layers.input_spec import assert_input_compatibility
            assert_input_compatibility(spec, args[0], self.name)
        # one array (and at most training=True/False/None), the common case: not
        # symbolic, without walking the arguments
        plain = len(args) == 1 and type(args[0]) is np.ndarray and (
            not kwargs or (len(kwargs) == 1 and type(kwargs.get("training", 0)) in _FLAGS))
        if not plain and _symbolic.is_symbolic((args, kwargs)):
            return Layer.__call__(self, *args, **kwargs)
        x = args[0]
        if type(x) is dict:
            self._check_input_keys(x)
        extra = args[1:] or set(kwargs) - {"training"}
        if not extra and self._chain() is not None and _CONTEXT.entry is None \
                and (self._takes_array() or not isinstance(x, (list, tuple, dict))) \
                and not (isinstance(x, _Tensor) and is_recording()):
            # (a Tensor under a recording tape, another model's output say, goes to the
            # layers as it is: converting it would cut the tape's path through it)
            # a chain called from outside any other call: checked, and on the engine
            out = self._outputs(x, kwargs.get("training") or False, "__call__")
            # a Tensor a tape may be following stays that object
            return out if isinstance(out, _Tensor) else _as_tensor(out)
        if self.built:
            return Layer.__call__(self, *args, **kwargs)
        # the call that builds the model: its batch size is remembered for the summary
        # of a subclassed model (Keras shows its layers' shapes for that call)
        out = Layer.__call__(self, *args, **kwargs)
        batch = np.shape(_symbolic.tree_flatten(x)[0])[:1]
        if self.built and batch:
            self.__dict__["_built_batch"] = batch[0]
        return out

    def _check_input_keys(self, x):
        """Warn about entries of a dict of inputs the model does not take (a functional
        model's: Keras' warning); other models take what their call() takes."""

    def _build_for_arrays(self, x):
        """An unbuilt subclassed model given NumPy arrays of two axes or more (one, or a
        structure of them) by fit, evaluate or predict: built for their shapes (batch axis None) before the
        path of the data is chosen, as Keras builds a model before its first batch, so
        that its call() can be traced into a graph the engine runs (_graph_model). Where
        that build fails, the first batch builds the model as before (and raises what it
        raises)."""
        if type(self)._graph_model is not Model._graph_model or self._takes_array():
            return
        leaves = _symbolic.tree_flatten(x)
        if not leaves or not all(type(v) is np.ndarray and v.ndim >= 2 and len(v)
                                 and v.dtype.kind in "biuf" for v in leaves):
            return
        try:
            self.build(_symbolic.tree_map(lambda v: (None,) + v.shape[1:], x))
        except Exception:
            pass

    def _takes_array(self):
        """Whether the model's input is always one array (lists given to it are data,
        not a structure of inputs)."""
        return False

    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__}: a subclassed model must define "
                                  f"call(inputs, training=None)")

    # ------------------------------------------------------------------ layers by name
    def get_layer(self, name=None, index=None):
        """The layer called `name`, or at position `index` of model.layers (not both).

        Parameters
        ----------
        name : str, optional
            The layer's name.
        index : int, optional
            Its position in ``model.layers``.

        Returns
        -------
        Layer
            The layer.
        """
        layers = self.layers
        if name is not None and index is not None:
            raise ValueError(f"get_layer: give a layer name or an index, not both; got "
                             f"name={name!r}, index={index!r}")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"get_layer: index must be an int, got {index!r}")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range; the model has "
                                 f"{len(layers)} layers")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"get_layer: no layer named {name!r}; the layers are "
                             f"{[layer.name for layer in layers]}")
        raise ValueError("get_layer: give a layer name or an index")

    # ------------------------------------------------------------------ summary
    def _summary_rows(self):
        """(layer, output shape text, params text, connected-to text or None) per row.
        A subclassed model built by a call on data shows its layers' shapes for that
        call (its batch size where theirs is unknown), as Keras does."""
        from fastnn.models.sequential import Sequential
        batch = None if isinstance(self, Sequential) else self.__dict__.get("_built_batch")
        rows = []
        for layer in self.layers:
            if layer.built:
                shape = layer.output_shape
                params = f"{layer.count_params():,}"
            else:
                shape, params = "?", "0 (unbuilt)"
            if batch is not None and shape not in (None, "?"):
                shape = _with_batch(shape, batch)
            rows.append((layer, "?" if shape is None else _shape_text(shape), params, None))
        return rows

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Keras 3's table: Layer (type) | Output Shape | Param # (| Connected to, for a
        functional model), then the totals.

        Parameters
        ----------
        line_length : int, optional
            The width of the table. Default: Keras' width for the model's kind.
        positions : list of float, optional
            Where the columns end, as fractions of the width (or absolute
            positions).
        print_fn : callable, optional
            Called with the summary's text instead of ``print``.
        show_trainable : bool
            Whether to add Keras' "Trainable" column: Y or N for a layer with weights,
            - for one without. Default False.
        expand_nested, layer_range
            Keras' nested rows and row range: not supported, only their defaults
            (False, None) are accepted.
        """
        show_trainable = kwargs.pop("show_trainable", False)
        if not isinstance(show_trainable, bool):
            raise TypeError(f"summary: show_trainable must be a bool, got "
                            f"{type(show_trainable).__name__} {show_trainable!r}")
        for key, default in (("expand_nested", False), ("layer_range", None)):
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"summary: {key} is not supported by fastnn; only "
                                 f"{key}={default} is accepted")
        if kwargs:
            raise TypeError(f"summary: unexpected keyword argument(s) {sorted(kwargs)}")
        rows = self._summary_rows()
        connected = any(r[3] is not None for r in rows)
        widths = [33, 24, 15] + ([26] if connected else [])
        if line_length:
            scale = line_length / sum(widths)
            widths = [max(12, int(w * scale)) for w in widths]
        align = ("<", "<", ">", "<")[:len(widths)]
        if show_trainable:
            widths.append(12)
            align = align + ("^",)

        def row(cells, left="│", mid="│", right="│"):
            parts = []
            for c, w, a in zip(cells, widths, align):
                text = str(c)
                if len(text) > w - 2:
                    text = text[: w - 3] + "…"
                parts.append(" " + format(text, f"{a}{w - 2}") + " ")
            return left + mid.join(parts) + right

        def rule(l, m, r, ch):
            return l + m.join(ch * w for w in widths) + r

        head = ("Layer (type)", "Output Shape", "Param #", "Connected to")[
            :3 + connected] + (("Trainable",) if show_trainable else ())
        lines = [f'Model: "{self.name}"', rule("┏", "┳", "┓", "━"),
                 row(head, "┃", "┃", "┃"), rule("┡", "╇", "┩", "━")]
        for i, (layer, shape, params, conn) in enumerate(rows):
            cells = [f"{layer.name} ({type(layer).__name__})", shape, params]
            flag = [("Y" if layer.trainable else "N") if layer.weights else "-"] \
                if show_trainable else []
            if connected:
                links = conn or ["-"]
                lines.append(row(cells + [links[0]] + flag))
                for more in links[1:]:
                    lines.append(row(["", "", "", more] + [""] * len(flag)))
            else:
                lines.append(row(cells + flag))
            if i < len(rows) - 1:
                lines.append(rule("├", "┼", "┤", "─"))
        lines.append(rule("└", "┴", "┘", "─"))
        itemsize = np.dtype(self.dtype).itemsize
        trainable = sum(w.size for w in self.trainable_weights) if self.built else 0
        total = sum(w.size for w in self.weights) if self.built else 0
        non_trainable = total - trainable
        opt_n = None
        if getattr(self, "optimizer", None) is not None and self.optimizer.built:
            # Keras counts its iterations and (non-schedule) learning_rate variables too,
            # and adds the optimizer's variables to the total once it is built.
            opt_n = sum(int(np.size(a)) for a in self.optimizer.get_state())
            if not callable(self.optimizer._learning_rate):
                opt_n += 1
            total += opt_n
        lines.append(f" Total params: {total:,} ({_human_bytes(total * itemsize)})")
        lines.append(f" Trainable params: {trainable:,} ({_human_bytes(trainable * itemsize)})")
        lines.append(f" Non-trainable params: {non_trainable:,} "
                     f"({_human_bytes(non_trainable * itemsize)})")
        if opt_n is not None:
            lines.append(f" Optimizer params: {opt_n:,} ({_human_bytes(opt_n * itemsize)})")
        text = "\n".join(lines)
        if print_fn is None:
            print(text)
        else:
            print_fn(text)

    # ------------------------------------------------------------------ saving
    def spec(self):
        """The architecture as model files and to_json store it:
        {"class_name": ..., "config": get_config()}."""
        return {"class_name": type(self).__name__, "config": self.get_config()}

    @staticmethod
    def is_spec(spec):
        """Whether `spec` has spec()'s form for a model fastnn can rebuild."""
        from fastnn.models import MODEL_CLASSES
        return isinstance(spec, dict) and spec.get("class_name") in MODEL_CLASSES \
            and isinstance(spec.get("config"), dict)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (no weights); fastnn.models.model_from_json
        rebuilds it. `kwargs` go to json.dumps.

        Returns
        -------
        str
            The JSON text.
        """
        return json.dumps(self.spec(), **kwargs)

    def save(self, filepath, *args, **kwargs):
        """Save the whole model, architecture, weights, compile settings and optimizer state,
        to one file (see ``fastnn.saving.save_model``, which this calls).

        Parameters
        ----------
        filepath : str or path
            The file to write (its format: see ``fastnn.saving.save_model``).
        """
        from fastnn.saving import save_model
        return save_model(self, filepath, *args, **kwargs)

    def __reduce__(self):
        """pickle (and copy.deepcopy) a model as Keras 3 does: through its model file,
        made in memory (fastnn.saving: architecture, weights, compile settings and
        optimizer state; never pickled objects inside). A subclassed model cannot be
        pickled (TypeError, as for model.save): its architecture is its Python code."""
        from fastnn.saving import _check_model, _compile_settings, _model_file_bytes
        if not self.built:        # no weights yet: the architecture and compile settings
            _check_model(self, "pickle", kinds="Sequential", built=False)
            return (_unpickle_unbuilt, (self.to_json(), _compile_settings(self)))
        return (_unpickle_model, (_model_file_bytes(self),))

    def save_weights(self, filepath, *args, **kwargs):
        """Save only the weights, in ``get_weights()`` order, to one file (see
        ``fastnn.saving.save_weights``).

        Parameters
        ----------
        filepath : str or path
            The file to write.
        """
        from fastnn.saving import save_weights
        return save_weights(self, filepath, *args, **kwargs)

    def load_weights(self, filepath, *args, **kwargs):
        """Set the weights from a file written by ``save_weights`` or ``save`` (see
        ``fastnn.saving.load_weights``); the shapes are checked before anything is set.

        Parameters
        ----------
        filepath : str or path
            The file to read.
        """
        from fastnn.saving import load_weights
        return load_weights(self, filepath, *args, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Export the model as an artifact for inference (Keras 3's ``Model.export``).

        fastnn writes one of Keras' formats, ``"onnx"`` (it needs the ``onnx``
        package: ``pip install "fastnn-cpu[onnx]"``); the others Keras knows raise a
        ValueError, including the default ``"tf_saved_model"``, so pass
        ``format="onnx"``. See ``fastnn.export.export_onnx`` for what is written.

        Parameters
        ----------
        filepath : str or os.PathLike
            Where to write the file.
        format : str
            The export format; only ``"onnx"`` is supported.
        verbose : bool or None
            Print a line naming the file once written (None: True, as Keras).
        input_signature : None, keras.Input tensor, or a list of them
            Names for the inputs (and sizes for those the model leaves unknown); None:
            the model's own.
        **kwargs
            ``opset_version`` (int, default 17): the ONNX opset to write.
        """
        formats = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
        if not isinstance(format, str) or format not in formats:
            raise ValueError(f"export: Unrecognized format={format!r:.100}. Supported formats "
                             f"are: {list(formats)} (fastnn writes 'onnx')")
        if format != "onnx":
            raise ValueError(f"export: format={format!r} is not supported by fastnn; the only "
                             f"format it writes is 'onnx' (model.export(path, format='onnx'))")
        from fastnn.export.onnx import export_onnx
        export_onnx(self, filepath, verbose=verbose, input_signature=input_signature,
                    **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config: a functional model's config (layers, input_layers,
        output_layers) makes that graph, as Keras' Model.from_config; otherwise the
        config holds the arguments of a subclass's constructor.

        Parameters
        ----------
        config : dict
            What ``get_config()`` returned.
        custom_objects : dict, optional
            Class names to custom layer classes a functional config names (looked at
            before the ``custom_object_scope`` and the registered classes).

        Returns
        -------
        Model
            A new model.
        """
        from fastnn.serialization import _with_custom_objects
        with _with_custom_objects(custom_objects, "Model.from_config"):
            if isinstance(config, dict) and "layers" in config and "input_layers" in config \
                    and "output_layers" in config:
                from fastnn.models.functional import Functional, build_from_config
                return build_from_config(config,
                                         cls if _revivable_as_functional(cls) else Functional)
            return super().from_config(config)

    def get_config(self):
        raise NotImplementedError(
            f"{type(self).__name__}: a subclassed model's architecture is its Python code; "
            f"define get_config() (and from_config) to save it, or save its weights with "
            f"save_weights()")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ state tree
    @property
    def metrics_variables(self):
        """The variables of ``model.metrics`` (the loss tracker's, then each compiled
        metric's once fit or evaluate made them), as Keras lists them; each one's path
        is ``"<metric name>/<variable name>"``."""
        out = []
        for metric in self.metrics:
            inner = getattr(metric, "metrics", None)
            for m in inner if isinstance(inner, list) else [metric]:
                for v in getattr(m, "variables", ()):
                    if not v.__dict__.get("_path"):
                        v.path = f"{m.name}/{v.name}"
                    out.append(v)
        return out

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts keyed by the parts of their paths
        (Keras' ``get_state_tree``): ``{"trainable_variables": {"dense": {"kernel":
        ..., "bias": ...}}, "non_trainable_variables": ..., "optimizer_variables":
        {"adam": {"iteration": ..., ...}}, "metrics_variables": {"loss": {"total": ...,
        "count": ...}}}``. Every path must be unique (give the layers unique names).

        Parameters
        ----------
        value_format : {"backend_tensor", "numpy_array"}
            ``"backend_tensor"``: each variable's ``.value`` (a Tensor sharing its
            memory); ``"numpy_array"``: a copy as a NumPy array.

        Returns
        -------
        dict
            The four trees.
        """
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(f"{self.name}.get_state_tree: value_format must be "
                             f"'backend_tensor' or 'numpy_array', got "
                             f"{value_format!r}")
        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": optimizer.variables if optimizer is not None else [],
                  "metrics_variables": self.metrics_variables}
        return {key: _nested_by_path(self.name, variables, value_format)
                for key, variables in groups.items()}

    def set_state_tree(self, state_tree):
        """Assign the values of a state tree (``get_state_tree``'s form, or part of it) to
        the variables with those paths (Keras' ``set_state_tree``). A path that names no
        variable of the model is an error.

        Parameters
        ----------
        state_tree : dict
            Keys among "trainable_variables", "non_trainable_variables",
            "optimizer_variables" and "metrics_variables", each a nested dict of values
            keyed by the parts of the paths.
        """
        owner = f"{self.name}.set_state_tree"
        if not isinstance(state_tree, dict):
            raise TypeError(f"{owner}: state_tree must be a dict, got "
                            f"{type(state_tree).__name__}")
        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": lambda: self.trainable_variables,
                  "non_trainable_variables": lambda: self.non_trainable_variables,
                  "optimizer_variables": lambda: optimizer.variables
                  if optimizer is not None else [],
                  "metrics_variables": lambda: self.metrics_variables}
        unknown = [k for k in state_tree if k not in groups]
        if unknown:
            raise ValueError(f"{owner}: unknown variable group(s) {unknown}; expected keys "
                             f"among {list(groups)}")
        plan = []
        for key, tree in state_tree.items():
            if not isinstance(tree, dict):
                raise TypeError(f"{owner}: state_tree[{key!r}] must be a dict, got "
                                f"{type(tree).__name__}")
            by_path = {v.path: v for v in groups[key]()}
            for path, value in _flat_by_path(tree):
                if path not in by_path:
                    raise ValueError(f"{owner}: {key} has no variable with path {path!r} "
                                     f"(the model's: {sorted(by_path)})")
                plan.append((by_path[path], value))
        for variable, value in plan:
            variable.assign(value)


def _nested_by_path(owner, variables, value_format):
    """Keras' nested dict of the variables' values keyed by the parts of their paths."""
    flat = {}
    for v in variables:
        path = v.path
        if path in flat:
            raise ValueError(f"The following variable path is found twice in the model: "
                             f"{path!r}. {owner}.get_state_tree() needs every variable "
                             f"path to be unique: give unique names to the layers (and "
                             f"other objects)")
        flat[path] = v.value if value_format == "backend_tensor" else np.array(v)
    tree = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def _flat_by_path(tree, prefix=""):
    """(path, value) of each leaf of a nested dict."""
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flat_by_path(value, f"{prefix}{key}/")
        else:
            yield f"{prefix}{key}", value


def _revivable_as_functional(cls):
    """Whether a functional config makes an instance of `cls` itself (Keras'
    Model.from_config rule): Model, Functional and their subclasses whose constructor takes
    Functional's arguments or (*args, **kwargs) (a subclass that only adds methods)."""
    from fastnn.models.functional import Functional
    if cls is Model or issubclass(cls, Functional):
        return True
    spec = inspect.getfullargspec(cls.__init__)
    functional_args = inspect.getfullargspec(Functional.__init__).args[1:]
    return spec.args[1:] == functional_args or (spec.varargs == "args"
                                                 and spec.varkw == "kwargs")


def _trace_chain(model, shape):
    """The layers of a subclassed model (or layer) whose call() on inputs of `shape` is a
    chain of its own layers (see Model._chain), or None (traced by _trace_call)."""
    from fastnn.layers.core import Input
    if type(model).call in (Model.call, Layer.call) or not isinstance(shape, tuple) \
            or not all(d is None or isinstance(d, (int, np.integer)) for d in shape):
        return None
    traced = _trace_call(model,
                         lambda: Input(batch_shape=shape, dtype=model.dtype, name="chain_trace"),
                         lambda inp, out, own: _walk_chain(out, inp, own))
    if traced is None:
        return None
    (inference, training), _ = traced
    return inference if [id(a) for a in inference] == [id(b) for b in training] else None


def _trace_call(model, make_input, take):
    """model.call() traced on symbolic inputs (make_input() makes them), in inference
    then in training mode: ([take(inputs, outputs, own) of each trace], own: the model's
    own layers); None where a take gives None, the call adds a loss (add_loss), assigns
    a variable (a counter: the engine would not run the assignment) or fails on symbolic
    inputs, or the model holds no layers of its own or holds a model. The trace leaves
    no trace: the nodes it adds to the layers are removed, a loss it records dropped and
    a variable it assigns put back. take runs while the nodes are there."""
    from fastnn.layers.layer import _call_signature
    own = model._sublayers()
    if not own or any(isinstance(layer, Model) for layer in own):
        return None
    before = {id(layer): len(layer._inbound_nodes) for layer in own}
    has_training, has_var_kw, _ = _call_signature(type(model))
    results = []
    try:
        with _probe_undone(model) as probe:
            for training in (False, True):
                inp = make_input()
                out = model.call(inp, training=training) if has_training or has_var_kw \
                    else model.call(inp)
                results.append(take(inp, out, own))
                if results[-1] is None or model._losses:
                    return None
    except Exception:      # anything a symbolic input cannot go through
        return None
    finally:
        for layer in own:
            del layer._inbound_nodes[before.get(id(layer), 0):]
    return None if probe["assigned"] else (results, own)


def _trace_graph(model, shape):
    """A subclassed model whose call() on symbolic inputs of `shape` (one shape, or a
    list, tuple or dict of them) computes with its own layers only, as a functional
    model of that graph (Model._graph_model), or None. As for a chain (_trace_chain), the call
    is traced in inference and in training mode, which must give the same graph, with
    no add_loss() and no variable assigned, and the trace leaves no nodes on the
    model's layers. Besides the model's own layers, the graph may hold layers that the
    call makes each time (Keras' layers.concatenate() and layers.add() helpers) when
    they have no weights and draw no random numbers: the merging, reshaping and
    activation layers. The functional model is the graph only: it is never called, and
    the engine reads its walk (Functional._residual) as the model's."""
    from fastnn.layers.core import Input
    from fastnn.models.functional import Functional
    if type(model).call in (Model.call, Layer.call) or shape is None:
        return None
    struct = _shape_structure(shape)
    shapes = list(struct.values()) if isinstance(struct, dict) else \
        [struct] if isinstance(struct, tuple) and _is_shape_tuple(struct) else list(struct)
    if not shapes or not all(_is_shape_tuple(s) and len(s) >= 1 for s in shapes):
        return None

    def inputs():
        def one(s, name):
            return Input(batch_shape=s, dtype=model.dtype, name=name)
        if isinstance(struct, dict):
            return {k: one(s, str(k)) for k, s in struct.items()}
        if _is_shape_tuple(struct):
            return one(struct, "input")
        return type(struct)(one(s, f"input_{i + 1}") for i, s in enumerate(struct))

    def graph_of(inp, out, own):
        if not all(isinstance(t, _symbolic.KerasTensor) for t in _symbolic.tree_flatten(out)):
            return None
        graph = Functional(inp, out, name=model.name)
        for node in graph._nodes:     # (the training flag the call passed on: the engine's)
            node.call_kwargs.pop("training", None)
        graph._residual()      # (its walk, kept: it may order the nodes again)
        return graph
    traced = _trace_call(model, inputs, graph_of)
    if traced is None:
        return None
    (graph, other), own = traced
    signature = _graph_signature(graph, own)
    return graph if signature is not None and signature == _graph_signature(other, own) \
        else None


_MADE_IN_CALL = ("fastnn.layers.merging", "fastnn.layers.reshaping",
                 "fastnn.layers.activations")


def _graph_signature(graph, own):
    """The nodes of a traced graph (_trace_graph) as comparable values: each node's
    layer (one of `own`, or the class and configuration of a layer the call made) and
    the nodes or inputs whose tensors it takes; None when the graph holds a layer that
    is neither one of own nor a layer a call may make (see _trace_graph)."""
    own_ids = {id(layer) for layer in own}
    at = {id(t): ("input", i) for i, t in enumerate(graph.inputs)}
    sig = []
    for n, node in enumerate(graph._nodes):
        if node.is_input:
            continue
        layer = node.layer
        if id(layer) in own_ids:
            key = id(layer)
        elif type(layer).__module__ in _MADE_IN_CALL and not layer.weights:
            config = dict(layer.get_config())
            config.pop("name", None)
            key = (type(layer).__name__, repr(sorted(config.items())))
        else:
            return None
        sig.append((key, tuple(at.get(id(t)) for t in node.inputs),
                    tuple(sorted(set(node.call_kwargs) - {"training"}))))
        for i, t in enumerate(node.outputs):
            at[id(t)] = (n, i)
    return sig


def _traced_graph(owner, shape):
    """_trace_graph(owner, shape), traced again only when the layers the owner holds,
    its plain attributes (_plain_state) or the shape have changed since the last trace;
    while nothing has changed on any layer since the last look (_changes), not even the
    layers are listed again (a fit asks many times)."""
    return _cached_trace(owner, shape, "_traced_graph", _trace_graph)


_PLAIN = frozenset((bool, int, float, str, type(None)))


def _plain_state(owner):
    """The owner's public attributes of plain values (bools, numbers, strings, None),
    which its call() may branch on (`if self.use_extra: ...`): part of a trace's key,
    so that setting one traces the call again, as an eager call would follow it."""
    run_state = _changes.RUN_STATE
    return tuple(sorted((k, v) for k, v in owner.__dict__.items()
                        if type(v) in _PLAIN and k[:1] != "_" and k not in run_state))


def _cached_trace(owner, shape, attr, trace):
    """trace(owner, shape), kept in owner.__dict__[attr] as (key, result, count, shape)
    (see _traced_graph)."""
    count = _changes.count[0]          # (read first: a change made meanwhile is seen)
    cached = owner.__dict__.get(attr)
    if cached is not None and cached[2] == count and cached[3] is shape:
        return cached[1]
    key = (tuple(map(id, owner._sublayers())), repr(shape), _plain_state(owner))
    if cached is None or cached[0] != key:
        owner.__dict__[attr] = (key, None, -1, None)   # a call inside the trace: none
        result = trace(owner, shape)
    else:
        result = cached[1]
    owner.__dict__[attr] = (key, result, count, shape)
    return result


def _walk_chain(out, inp, own):
    """The layers from inp to out when each is one call of one of `own` on the previous
    one's output (the training flag aside), or None."""
    if not isinstance(out, _symbolic.KerasTensor):
        return None
    allowed = {id(layer) for layer in own}
    chain, t = [], out
    while t is not inp:
        history = getattr(t, "_keras_history", None)
        if history is None:
            return None
        layer, node_index, _ = history
        node = layer._inbound_nodes[node_index]
        if id(layer) not in allowed or layer in chain or len(node.outputs) != 1 \
                or len(node.call_args) != 1 or set(node.call_kwargs) - {"training"} \
                or not isinstance(node.call_args[0], _symbolic.KerasTensor):
            return None
        chain.append(layer)
        t = node.call_args[0]
    return chain[::-1] or None


def flat_chain(model):
    """The layers `model` computes with, in order, when it is a chain (Model._chain), with
    each nested model that is a chain, and each layer of the user's whose call() is a
    chain of its own layers, replaced by those layers (recursively); None when the model
    is no chain.

    A layer that holds other layers is expanded only when nothing else happens in its
    call (no activity regularizer of its own and, for a traced call, no other operation,
    loss or assignment), and, when it is not trainable, only when none of the layers it
    expands to is (each layer's own flag then says what the container's does)."""
    chain = model._chain()
    if chain is None or _LEAVES.issuperset(map(type, chain)):   # the common case
        return chain
    out = []
    _expand(chain, out)
    return out


# Classes known to be computed as one layer: fastnn's own layers hold no other layers.
_LEAVES = set()


def _expand(chain, out):
    for layer in chain:
        cls = type(layer)
        inner = None
        if cls not in _LEAVES:
            if cls.__module__.startswith("fastnn.layers"):
                _LEAVES.add(cls)
            else:
                inner = _inner_chain(layer)
        if inner is not None:
            expanded = []
            _expand(inner, expanded)
            if layer.trainable or not any(sub.trainable for sub in expanded):
                out += expanded
                continue
        out.append(layer)


def _inner_chain(layer):
    """The layers a nested model or a layer of the user's computes with, when its call is
    a chain of them and nothing else, or None."""
    if not layer.built or getattr(layer, "activity_regularizer", None) is not None:
        return None
    if isinstance(layer, Model):
        return layer._chain()
    return _traced_chain(layer, getattr(layer, "input_shape", None))


def _traced_chain(owner, shape):
    """_trace_chain(owner, shape), traced again as _traced_graph says."""
    return _cached_trace(owner, shape, "_traced_chain", _trace_chain)


def _unpickle_model(data):
    """The model whose file's bytes pickle stored (Model.__reduce__)."""
    from fastnn.saving import _model_from_file_bytes
    return _model_from_file_bytes(data)


def _unpickle_unbuilt(spec, compile_config):
    """The unbuilt model a pickle describes by its architecture (Model.__reduce__)."""
    from fastnn.models import model_from_json
    model = model_from_json(spec)
    if compile_config is not None:
        model.compile_from_config(compile_config)
    return model


def _is_shape_tuple(v):
    return isinstance(v, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in v)


def _with_batch(shape, batch):
    """A (structure of) output shape(s), each unknown first axis as `batch`."""
    if _is_shape_tuple(shape):
        return (batch,) + shape[1:] if shape[:1] == (None,) else shape
    if isinstance(shape, dict):
        return {k: _with_batch(v, batch) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)):
        return type(shape)(_with_batch(v, batch) for v in shape)
    return shape


def _shape_text(shape):
    """A layer's output shape as the summary shows it (Keras' format): one shape as a
    tuple, a structure of one shape as that shape, a structure of several without the
    quotes of its keys."""
    if isinstance(shape, (dict, list)) or (isinstance(shape, tuple)
                                           and not _is_shape_tuple(shape)):
        leaves = _shape_leaves(shape)
        if len(leaves) == 1:
            return str(leaves[0])
        return str(shape).replace("'", "")
    return str(shape)


def _shape_leaves(shape):
    if _is_shape_tuple(shape):
        return [shape]
    if isinstance(shape, dict):
        return [leaf for k in shape for leaf in _shape_leaves(shape[k])]
    if isinstance(shape, (list, tuple)):
        return [leaf for v in shape for leaf in _shape_leaves(v)]
    return [shape]


def _human_bytes(n):
    # Keras' readable_memory_size: 1024-based units, two decimals.
    units = ["B", "KB", "MB", "GB", "TB"]
    size = float(n)
    for u in units:
        if size < 1024 or u == units[-1]:
            return f"{size:.2f} {u}"
        size /= 1024


def _shape_structure(input_shape):
    """build()'s input_shape as a structure of shape tuples: one shape, or a list,
    tuple or dict of them."""
    def is_shape(v):
        return isinstance(v, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer))
                                                    for d in v)
    if isinstance(input_shape, dict):
        return {k: tuple(v) for k, v in input_shape.items()}
    if is_shape(input_shape):
        return tuple(input_shape)
    return [tuple(v) for v in input_shape]
