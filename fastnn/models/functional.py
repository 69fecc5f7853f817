"""Functional models: `keras.Model(inputs, outputs)` over the graph of layer calls that
leads from `keras.Input` tensors to the outputs.

The graph is read once, when the model is made: the nodes (layer calls) that the
outputs depend on, in an order where every node comes after the nodes that make its
inputs. Calling the model runs them in that order. A layer called twice is one layer
(its weights shared) with two nodes. Several inputs and outputs may be given as a list
or a dict; the model is then called with (and returns) the same structure.
"""
import itertools
import threading
import warnings

import numpy as np

from fastnn.autodiff import ops as _dops
from fastnn.layers import deserialize as _deserialize_layer, serialize as _serialize_layer
from fastnn.layers.core import OpLayer
from fastnn.layers.layer import Layer
from fastnn.layers.symbolic import KerasTensor, tree_flatten, tree_map
from fastnn.models.model import Model, standardized_rank


def _as_structure(value, what):
    """A model's inputs or outputs: a KerasTensor, or a (nested) list/tuple/dict of
    them; anything else is a ValueError, as in Keras."""
    flat = tree_flatten(value)
    if not flat:
        raise ValueError(f"Model: {what} must be keras.Input tensors or layer outputs, got "
                         f"{value!r}")
    for t in flat:
        if not isinstance(t, KerasTensor):
            hint = ""
            if isinstance(t, Layer):
                hint = (" (a layer object: call the layer on a tensor, x = Dense(8)(inputs), "
                        "and pass the result)")
            raise ValueError(f"Model: {what} must be symbolic tensors made by keras.Input and "
                             f"layer calls, got {type(t).__name__} {t!r:.60}{hint}")
    return value


def _graph(inputs, outputs):
    """The nodes the outputs depend on, each after the nodes its inputs come from
    (depth first from the outputs, Keras' order), and the layers in that order."""
    order, state = [], {}

    def visit(node):
        key = id(node)
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            raise ValueError("Model: the graph has a cycle")
        state[key] = "visiting"
        for parent in node.parent_nodes:
            visit(parent)
        state[key] = "done"
        order.append(node)

    for t in tree_flatten(outputs):
        if t._keras_history is None:
            raise ValueError(f"Model: output {t!r} was not made by a layer call")
        layer, index, _ = t._keras_history
        visit(layer._inbound_nodes[index])
    input_ids = {id(t) for t in tree_flatten(inputs)}
    for node in order:
        if node.is_input and id(node.outputs[0]) not in input_ids:
            raise ValueError(f"Model: the outputs depend on the input {node.outputs[0].name!r}, "
                             f"which is not among the model's inputs")
    for t in tree_flatten(inputs):
        layer = t._keras_history[0] if t._keras_history else None
        if layer is None or not layer._is_input_layer:
            raise ValueError(f"Model: inputs must be keras.Input tensors, got {t!r} (made by "
                             f"{getattr(layer, 'name', '?')!r})")
        node = layer._inbound_nodes[0]
        if node not in order:
            # an input no output uses (an optional one, say): its layer is the model's
            # too, after the Input layers in front, as in Keras
            at = 0
            while at < len(order) and order[at].is_input:
                at += 1
            order.insert(at, node)
    layers = []
    for node in order:
        if node.layer not in layers:
            layers.append(node.layer)
    return order, layers


def _is_input_tensor(t):
    history = t._keras_history
    return history is not None and history[0]._is_input_layer


def _from_intermediate(inputs, outputs):
    """(inputs, outputs) for a model whose inputs include tensors other than
    keras.Input ones (Keras' model from intermediate tensors): each such tensor gets a
    new keras.Input of its shape and dtype, and the layer calls between the inputs and
    the outputs are made again on the new inputs (the same layers, their weights
    shared), giving new outputs of the structure of `outputs`."""
    from fastnn.layers.core import Input
    flat = tree_flatten(inputs)
    given = {id(t) for t in flat}
    order, state = [], {}

    def visit(node):
        if state.get(id(node)):
            return
        state[id(node)] = True
        for t in node.inputs:
            if id(t) not in given:
                history = t._keras_history
                visit(history[0]._inbound_nodes[history[1]])
        order.append(node)

    for t in tree_flatten(outputs):
        if t._keras_history is None:
            raise ValueError(f"Model: output {t!r} was not made by a layer call")
        if id(t) in given:
            continue
        layer, index, _ = t._keras_history
        visit(layer._inbound_nodes[index])
    for node in order:
        if node.is_input:
            raise ValueError(f"Model: the outputs depend on the input {node.outputs[0].name!r}, "
                             f"which is not among the model's inputs")
    new = [t if _is_input_tensor(t) else
           Input(batch_shape=t.shape, dtype=t.dtype,
                 name=None if t.name is None else f"{t.name}CLONE") for t in flat]

    def call_layer(layer, args, kwargs):
        return layer(*args, **kwargs)
    outputs = run_graph(order, flat, new, outputs, call_layer)
    it = iter(new)
    return tree_map(lambda _: next(it), inputs), outputs


def run_graph(nodes, inputs, values, outputs, call_layer):
    """Every layer call of a graph, in order, on new values: `inputs` (the graph's input
    KerasTensors) take `values`, each node's layer runs as call_layer(layer, args, kwargs)
    on what its arguments became, and the structure `outputs` (of KerasTensors) is
    returned with what each became."""
    got = {id(t): v for t, v in zip(inputs, values)}

    def value(t):
        return got[id(t)] if isinstance(t, KerasTensor) else t
    for node in nodes:
        if node.is_input:
            continue
        out = call_layer(node.layer, tree_map(value, node.call_args),
                         tree_map(value, node.call_kwargs))
        for t, v in zip(node.outputs, tree_flatten(out)):
            got[id(t)] = v
    return tree_map(lambda t: got[id(t)], outputs)



def _is_pandas(value):
    """Whether value is a pandas Series or DataFrame (pandas is not imported for it)."""
    return type(value).__name__ in ("Series", "DataFrame") and \
        type(value).__module__.partition(".")[0] == "pandas"

class Functional(Model):
    """A model defined by its graph: Model(inputs, outputs).

    Parameters
    ----------
    inputs : KerasTensor or list or dict of KerasTensor
        The model's inputs, made with ``keras.Input``.
    outputs : KerasTensor or list or dict of KerasTensor
        The outputs, computed from ``inputs`` by calling layers.
    name : str, optional
        The model's name.
    trainable : bool
        Whether the model's weights are trained. Default True.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if kwargs:
            raise TypeError(f"Model: unexpected keyword argument(s) {sorted(kwargs)}")
        _as_structure(inputs, "inputs")
        _as_structure(outputs, "outputs")
        if not all(_is_input_tensor(t) for t in tree_flatten(inputs)):
            inputs, outputs = _from_intermediate(inputs, outputs)
        # the config keeps the structures as given ([x] stays [x], as in Keras)
        self._config_structs = (tree_map(lambda t: t, inputs), tree_map(lambda t: t, outputs))
        # a list of one is that one tensor (as Keras: the model takes and returns arrays)
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._nodes, self._graph_layers = _graph(inputs, outputs)
        dtypes = [t.dtype for t in tree_flatten(inputs)]
        Layer.__init__(self, name=name, trainable=trainable,
                       dtype=dtypes[0] if dtypes and dtypes[0] != "string"
                       and np.dtype(dtypes[0]).kind == "f" else None)
        self._init_trainer()
        flat_in = tree_flatten(inputs)
        self._build_input_shape = flat_in[0].shape if len(flat_in) == 1 else \
            [t.shape for t in flat_in]
        self.built = True

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        """Every layer of the graph, its Input layers first (as Keras 3). The keras.ops
        calls on the graph's tensors (x + y, ops.mean(x)) are operations, not layers:
        they are not listed (the summary and the config still show them)."""
        return [layer for layer in self._graph_layers if not isinstance(layer, OpLayer)]

    def _sublayers(self):
        return [layer for layer in self._graph_layers if not layer._is_input_layer]

    @property
    def inputs(self):
        return list(tree_flatten(self._inputs_struct))

    @property
    def outputs(self):
        return list(tree_flatten(self._outputs_struct))

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        return tree_map(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self):
        return tree_map(lambda t: t.shape, self._outputs_struct)

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    @property
    def input_spec(self):
        """The InputSpec of each input (Keras' model.input_spec): its shape without the
        batch size, a last axis of 1 that may be dropped or added, its name and whether
        it is optional; a list with one per input (for a dict of inputs, in the order
        of its sorted keys). Set it to check the inputs of each call against another
        InputSpec (or a list of them); the specs made from the inputs are not checked
        by the call, whose own checks say more."""
        if "input_spec" in self.__dict__:
            return self.__dict__["input_spec"]
        from fastnn.layers.input_spec import InputSpec

        def spec(t, name=None):
            layer = t._keras_history[0]
            shape = (None,) + tuple(t.shape[1:]) if len(t.shape) else ()
            return InputSpec(shape=shape, allow_last_axis_squeeze=True,
                             name=layer.name if name is None else name,
                             optional=bool(getattr(layer, "optional", False)))
        struct = self._inputs_struct
        if isinstance(struct, dict):
            if all(isinstance(t, KerasTensor) for t in struct.values()):
                return [spec(struct[k], name=k) for k in sorted(struct)]
            return None        # a nested dict: no specs
        return [spec(t) for t in self.inputs]

    @input_spec.setter
    def input_spec(self, value):
        self.__dict__["input_spec"] = value

    def _graph_model(self):
        return self

    def _n_inputs(self):
        return len(self.inputs)

    def _n_outputs(self):
        return len(self.outputs)

    def _chain(self):
        """The layers in order when the graph is a chain: one input, one output, and
        each node a layer's only call on the previous node's only output."""
        if len(self.inputs) != 1 or len(self.outputs) != 1 \
                or not isinstance(self._outputs_struct, KerasTensor):
            return None
        prev = self.inputs[0]
        chain = []
        for node in self._nodes[1:]:
            if len(node.inputs) != 1 or node.inputs[0] is not prev or len(node.outputs) != 1 \
                    or node.call_kwargs or len(node.call_args) != 1 \
                    or node.call_args[0] is not prev or node.layer in chain \
                    or node.layer._is_input_layer:
                return None
            chain.append(node.layer)
            prev = node.outputs[0]
        return chain if prev is self.outputs[0] and chain else None

    def _check_input_keys(self, x):
        struct = self._inputs_struct
        names = list(struct) if isinstance(struct, dict) else [t.name for t in self.inputs]
        extra = [k for k in x if k not in names]
        if extra and all(n in x for n in names):      # (a missing one is an error)
            def shown(v):
                return f"Tensor(shape={tuple(np.shape(v))})" if hasattr(v, "shape") else repr(v)
            expected = {k: k for k in names} if isinstance(struct, dict) else names
            warnings.warn(f"The structure of `inputs` doesn't match the expected structure.\n"
                          f"Expected: {expected}\n"
                          f"Received: inputs={ {k: shown(v) for k, v in x.items()} }\n"
                          f"{self.name}: the entries {extra} are not inputs of the model and "
                          f"are ignored", UserWarning, stacklevel=3)

    def _output_shape_for(self, input_shape):
        """The output shape for inputs of input_shape: the graph's, when it has one input
        of known sizes, which input_shape has, and one output whose sizes are all known
        (no probe call needed); else as Model finds it."""
        if len(self.inputs) > 1 and self._joined_widths() is not None \
                and tuple(input_shape[1:]) == (sum(self._joined_widths()),):
            # the joined inputs of the array path (_joins): the graph's one output
            out = tuple(self.outputs[0].shape)
            if all(d is not None for d in out[1:]):
                return (input_shape[0],) + out[1:]
        if len(self.outputs) == 1 and isinstance(self._outputs_struct, KerasTensor) \
                and len(self.inputs) == 1 \
                and tuple(self.inputs[0].shape[1:]) == tuple(input_shape[1:]) \
                and None not in tuple(input_shape[1:]):
            out = tuple(self.outputs[0].shape)
            if all(d is not None for d in out[1:]):
                return (input_shape[0],) + out[1:]
        return super()._output_shape_for(input_shape)

    def _flat_chain(self):
        """The layers the C engine runs: the chain (Model._flat_chain), or for a graph
        that is a chain with residual connections, concatenations or parallel branches,
        its layers in the graph's order with each Add and Concatenate in its place (see
        _residual)."""
        chain = super()._flat_chain()
        if chain is not None:
            return chain
        residual = self._residual()
        return None if residual is None else residual[0]

    def _chain_skips(self):
        # (a graph with an Add of two tensors is never a plain chain: no walk of it)
        residual = self._residual()
        return {} if residual is None else residual[1]

    def _chain_cats(self):
        residual = self._residual()
        return {} if residual is None else residual[2]

    def _chain_srcs(self):
        residual = self._residual()
        return {} if residual is None else residual[3]

    def _chain_first_input(self):
        residual = self._residual()
        return 0 if residual is None else residual[4]

    def _joined_widths(self):
        """The widths of the model's inputs, in the order the C engine takes them side by
        side as one array (fit, evaluate and predict on arrays: _joins; _join_order):
        several inputs, each
        of one axis of known width and the model's float dtype, at most the engine's
        number, in a graph it walks (_residual); else None."""
        from fastnn import _kernels
        if len(self.inputs) < 2 or len(self.inputs) > _kernels.MAX_INPUT_PARTS \
                or self._residual() is None:
            return None
        widths = []
        for i in self._join_order():
            t = self.inputs[i]
            shape = tuple(t.shape)
            if len(shape) != 2 or shape[1] is None or t.dtype in (None, "string") \
                    or np.dtype(t.dtype) != np.dtype(self.dtype):
                return None     # (an Input(dtype="string"): text, which no engine joins)
            widths.append(int(shape[1]))
        return tuple(widths)

    def _chain_pre(self):
        residual = self._residual()
        return () if residual is None else residual[6]

    def _chain_outputs(self):
        residual = self._residual()
        return () if residual is None else residual[7]

    def _join_order(self):
        """The indices of the model's inputs in the order the array path joins their
        rows (_joins): the order of a Concatenate of them all that comes first, else
        their own."""
        residual = self._residual()
        return residual[5] if residual is not None else tuple(range(len(self.inputs)))

    def _joins(self, x):
        """Whether the inputs x of fit, evaluate, predict or a *_on_batch call go to the
        array path as one array: a list, tuple or dict of NumPy arrays (or pandas Series
        and DataFrames: `dict(df)` gives a Series per column) for a model whose inputs the
        engine joins (_joined_widths). _convert_x joins them (each checked as its input),
        _split_joined takes a batch of them apart for the layer path."""
        if not isinstance(x, (list, tuple, dict)) or self._joined_widths() is None:
            return False
        values = list(x.values()) if isinstance(x, dict) else list(x)
        return len(values) >= len(self.inputs) and \
            all(type(v) is np.ndarray or _is_pandas(v) for v in values)

    def _split_joined(self, x):
        """A batch of joined inputs (see _joins) as the model's structure of inputs, each
        input's columns its own array; anything else as it is."""
        widths = self._joined_widths() if type(x) is np.ndarray and x.ndim == 2 else None
        if widths is None or x.shape[1] != sum(widths):
            return x
        cuts = np.cumsum((0,) + widths)
        part = {id(self.inputs[i]): np.ascontiguousarray(x[:, a:b])
                for i, a, b in zip(self._join_order(), cuts[:-1], cuts[1:])}
        return tree_map(lambda t: part[id(t)], self._inputs_struct)

    def _residual(self):
        """(layers, skips, cats, srcs, first, order, pre, outs) when the graph is a chain
        with residual connections, concatenations or parallel branches: one output (or
        several: see outs), each node
        a layer's only call on the previous node's output (the first node's on one of the
        model's inputs: input `first`; or the first node a Concatenate of all the inputs,
        in any order, then the model's one input for the rest: first None, the inputs'
        indices in that order in `order`, and the Concatenate not among the layers; else
        `order` is the inputs' own; that Concatenate, or where the inputs are taken
        apart the layers that read them, may take some inputs through a Normalization
        or Rescaling each (_normalized_inputs): `pre` holds, per input in `order`, that
        layer or None, and these layers come first in `layers`, in that order; else pre
        is ()), except an Add of that output and the output of
        an earlier node of the chain, a Concatenate (last axis, 2-D tensors) of that
        output and one of the model's inputs or an earlier node's output, or a Dense
        layer's call on one of the model's inputs or an earlier node's output (a branch;
        each node's output taken by at most one Add or Concatenate, and any number of
        branches). skips maps the position of
        each Add in layers to the position of the node whose output it adds; cats the
        position of each Concatenate to (that position, or -1 - i for the model's input
        i; whether that tensor comes first); srcs the position of each branch's first
        layer to the position of the node whose output it takes, or -1 - i. None
        otherwise. Several outputs (a list, tuple or dict of tensors): each one the output
        of a node of the chain that nothing else takes (the next node, if any, a branch),
        the last node's among them; outs holds their positions in the order of the
        flattened outputs (() for one output). (The graph of a functional model does not
        change once made: computed once.)"""
        cached = self.__dict__.get("_residual_chain")
        if cached is None:
            walk = self._walk_residual(self._nodes)
            if walk is None and 1 < len(self.outputs) <= 4:
                # the graph's order visits the outputs in their order: an auxiliary
                # output listed before the main one comes before the trunk goes on,
                # which the walk does not take; the same graph in the order of the
                # outputs taken in another order may be a walk
                for order in itertools.islice(itertools.permutations(self.outputs), 1,
                                              None):     # (the first: the graph's own)
                    walk = self._walk_residual(_graph(self._inputs_struct, list(order))[0])
                    if walk is not None:
                        break
            cached = self.__dict__["_residual_chain"] = (walk,)
        return cached[0]

    def _walk_residual(self, nodes):
        from fastnn.layers.core import Dense
        from fastnn.layers.merging import Add, Concatenate
        struct = self._outputs_struct
        if not isinstance(struct, KerasTensor) and (
                not isinstance(struct, (list, tuple, dict)) or len(self.outputs) < 2
                or len(struct) != len(self.outputs)
                or len({id(t) for t in self.outputs}) != len(self.outputs)):
            return None     # (one output, or several of one level, each once)
        # the model's inputs as an earlier tensor: -1 - i for input i
        input_at = {id(t): -1 - i for i, t in enumerate(self.inputs)}
        prev = self.inputs[0] if len(self.inputs) == 1 else None   # (else the first
        first = 0                                                  # node's, below)
        order = tuple(range(len(self.inputs)))    # the order the array path joins them
        # a Normalization or Rescaling on an input before the Concatenate that joins them
        # all first: {id(its output): (the input, the layer)}
        normalized = self._normalized_inputs(input_at, nodes)
        pre = ()
        # the positions whose output an Add or Concatenate takes, and branches take
        chain, skips, cats, srcs, made_at, taken, branched = [], {}, {}, {}, {}, set(), set()
        for node in nodes:
            if node.is_input or (node.outputs and id(node.outputs[0]) in normalized):
                continue        # (a Normalization or Rescaling: at the Concatenate)
            if len(node.outputs) != 1 or node.call_kwargs or len(node.call_args) != 1 \
                    or node.layer in chain or node.layer._is_input_layer:
                return None
            arg = node.call_args[0]
            kind = type(node.layer)
            if prev is None and self._joins_all(node, input_at, normalized):
                # every input joined first (in any order): the array path joins its rows
                # in that order, so they are this tensor, the model's one input from here
                # (each input's Normalization or Rescaling before it, first in the chain)
                prev, first = node.outputs[0], None
                order = tuple(-1 - input_at[id(normalized.get(id(a), (a,))[0])] for a in arg)
                if normalized:
                    pre = tuple(normalized.get(id(a), (None, None))[1] for a in arg)
                    chain += [layer for layer in pre if layer is not None]
                input_at = {id(prev): -1}
                continue
            if prev is None and normalized and not pre:
                # the inputs each taken by itself, some through a Normalization or
                # Rescaling (first in the chain, in the inputs' order): each such layer's
                # output is that input from here
                by_input = {id(a): (out, layer) for out, (a, layer) in normalized.items()}
                pre = tuple(by_input.get(id(t), (None, None))[1] for t in self.inputs)
                chain += [layer for layer in pre if layer is not None]
                for t in self.inputs:
                    if id(t) in by_input:
                        input_at[by_input[id(t)][0]] = input_at.pop(id(t))
            if prev is None:     # several inputs: the first layer takes one of them
                if len(node.inputs) != 1 or id(arg) not in input_at:
                    return None
                prev, first = arg, -1 - input_at[id(arg)]
            if kind is Add or kind is Concatenate:
                if not isinstance(arg, (list, tuple)) or len(arg) != 2 \
                        or not any(t is prev for t in arg) or arg[0] is arg[1]:
                    return None
                other = arg[1] if arg[0] is prev else arg[0]
                src = made_at.get(id(other))
                if kind is Concatenate:
                    if len(node.outputs[0].shape) != 2 or node.layer.axis not in (-1, 1):
                        return None
                    if src is None:
                        src = input_at.get(id(other))
                if src is None or src in taken:
                    return None
                if src >= 0:
                    taken.add(src)
                if kind is Add:
                    skips[len(chain)] = src
                else:
                    cats[len(chain)] = (src, arg[0] is other)
            elif len(node.inputs) != 1:
                return None
            elif arg is not prev:       # a branch: an earlier tensor
                # (into a Dense layer: the layers after it up to the next Dense belong to
                # it, as the engine folds them, and a Dropout's mask stream is keyed by
                # the Dense layer before it)
                src = input_at.get(id(arg), made_at.get(id(arg)))
                if src is None or type(node.layer) is not Dense:
                    return None
                if src >= 0:
                    branched.add(src)     # (by any number of branches)
                srcs[len(chain)] = src
            made_at[id(node.outputs[0])] = len(chain)
            chain.append(node.layer)
            prev = node.outputs[0]
        if not chain or not (skips or cats or srcs or first is None):
            return None
        if len(self.outputs) == 1:
            return (chain, skips, cats, srcs, first, order, pre, ()) \
                if prev is self.outputs[0] else None
        outs = tuple(made_at.get(id(t), -1) for t in self.outputs)
        last = len(chain) - 1
        if last not in outs or any(p < 0 or p in taken or p in branched
                                   or (p < last and p + 1 not in srcs)
                                   for p in outs):
            return None     # (an output that a later node takes)
        return chain, skips, cats, srcs, first, order, pre, outs

    def _joins_all(self, node, input_at, normalized):
        """Whether node is a Concatenate (last axis, 2-D) of all the model's inputs in any
        order, each once, as it is or through its Normalization or Rescaling (normalized:
        {id(that layer's output): (the input, the layer)})."""
        from fastnn.layers.merging import Concatenate
        arg = node.call_args[0] if len(node.call_args) == 1 else None
        if type(node.layer) is not Concatenate or not isinstance(arg, (list, tuple)) \
                or len(arg) != len(self.inputs) or node.call_kwargs \
                or len(node.outputs) != 1 or len(node.outputs[0].shape) != 2 \
                or node.layer.axis not in (-1, 1):
            return False
        given = [normalized.get(id(a), (a,))[0] for a in arg]
        return len({id(a) for a in given}) == len(given) \
            and all(id(a) in input_at for a in given)

    def _normalized_inputs(self, input_at, nodes):
        """{id(output): (input, layer)} of the Normalization and Rescaling calls, each on
        one of the model's several inputs (input_at: {id(input): -1 - its index}), that
        come first in the graph: either the first Concatenate of the graph then joins all
        the inputs, each once, some through one such layer (Keras' structured-data
        models: one Normalization per feature, then a Concatenate), or each such input is
        read through its layer alone (a wide-and-deep model's inputs, each normalised,
        taken by different layers); {} for any other graph. The engine applies these
        layers to the joined rows, each in its input's columns."""
        from fastnn.layers.normalization import Normalization
        from fastnn.layers.preprocessing import Rescaling
        if len(self.inputs) < 2:
            return {}
        found, first = {}, None
        for node in nodes:
            if node.is_input:
                continue
            arg = node.call_args[0] if len(node.call_args) == 1 else None
            if type(node.layer) in (Normalization, Rescaling) and len(node.inputs) == 1 \
                    and len(node.outputs) == 1 and not node.call_kwargs \
                    and id(arg) in input_at \
                    and all(layer is not node.layer for _, layer in found.values()):
                found[id(node.outputs[0])] = (arg, node.layer)
            elif first is None:
                first = node
        if not found:
            return {}
        # the first other node the Concatenate of them all, taking every one found
        if first is not None and self._joins_all(first, input_at, found):
            return found if {id(a) for a in first.call_args[0]} >= set(found) else {}
        # else the inputs each taken by itself, wherever in the graph: at most one such
        # layer on each, which nothing reads but through it (the engine has one copy)
        normed = {id(a) for a, _ in found.values()}
        if len(normed) < len(found) or any(
                id(t) in normed for n in nodes if not n.is_input
                and id(n.outputs[0] if n.outputs else None) not in found
                for t in n.inputs):
            return {}
        return found

    def _summary_rows(self):
        """One row per layer, with the tensors each of its calls takes
        ('layer[node][tensor]', Keras' notation)."""
        rows = []
        for layer in self._graph_layers:
            nodes = [n for n in layer._inbound_nodes if n in self._nodes]
            shapes = [t.shape for n in nodes for t in n.outputs]
            shape = str(shapes[0]) if len(shapes) == 1 else str(shapes)
            params = f"{layer.count_params():,}" if layer.built else "0"
            links = []
            for n in nodes:
                for t in n.inputs:
                    src, node_i, tensor_i = t._keras_history
                    kept = [m for m in src._inbound_nodes if m in self._nodes]
                    links.append(f"{src.name}[{kept.index(src._inbound_nodes[node_i])}]"
                                 f"[{tensor_i}]")
            rows.append((layer, shape, params, links or None))
        return rows

    # ------------------------------------------------------------------ calling
    def call(self, inputs, training=None):
        """Run the graph on `inputs` (the structure the model was made with)."""
        given = self._given_inputs(inputs, self.name)

        def call_layer(layer, args, kwargs):
            if training is not None and "training" not in kwargs:
                kwargs["training"] = training
            return layer(*args, **kwargs)
        return run_graph(self._nodes, self.inputs, given, self._outputs_struct, call_layer)

    def _given_inputs(self, inputs, what):
        """The inputs of a call, flat in the order of model.inputs, each checked: None
        (every input is required) or an array whose shape differs from its Input's is a
        ValueError naming the input."""
        given = _flatten_like(inputs, self._inputs_struct, what)
        for i, (value, tensor) in enumerate(zip(given, self.inputs)):
            if value is None:
                if getattr(tensor._keras_history[0], "optional", False):
                    continue        # an optional input: its layers get None
                raise ValueError(f"{what}: the input {tensor.name!r} is not optional, but None "
                                 f"was passed; give an array for it")
            value = given[i] = self._standardized_rank(value, i, what)
            shape = getattr(value, "shape", None)
            if shape is not None and len(shape) == len(tensor.shape) and any(
                    e is not None and g is not None and e != g
                    for e, g in zip(tensor.shape[1:], shape[1:])):
                raise ValueError(f"{what}: the input {tensor.name!r} expected "
                                 f"shape={tensor.shape}, found shape={tuple(shape)}")
        return given

    def _one_input(self, x):
        """A batch's inputs for fit / evaluate / predict: a model of one input takes its
        array in a list of one or a dict by name too (None is refused by name)."""
        if len(self.inputs) != 1 or not isinstance(x, (dict, list, tuple)):
            return x
        return self._given_inputs(x, self.name)[0]

    def _convert_x(self, x, what, argname="x", allow_empty=False):
        # (several inputs joined: Trainer._convert_x, for any model with a graph)
        if len(self.inputs) == 1 and isinstance(x, (list, tuple)) and x \
                and all(v is None or isinstance(v, np.ndarray) for v in x):
            x = self._given_inputs(x, what)[0]     # [array]; [None] and [a, b] refused
        elif len(self.inputs) == 1 and isinstance(x, np.ndarray):
            x = self._standardized_rank(x, 0, what)
        return super()._convert_x(x, what, argname, allow_empty)

    def _convert_joined(self, x, what, argname, allow_empty):
        """The inputs x (see _joins) as one C-contiguous array of the model dtype, each
        input's columns in the order of _join_order, each input checked as one array is
        (its shape, its values finite, the same rows as the others)."""
        from fastnn.trainers.trainer import _all_finite, _numeric_array, _raise_not_finite
        if isinstance(x, dict):
            self._check_input_keys(x)
        given = self._given_inputs(x, what)
        names = [f"{argname}[{t.name!r}]" for t in self.inputs]
        rows = None
        for i, (value, t) in enumerate(zip(given, self.inputs)):
            arr = given[i] = _numeric_array(value, what, names[i])
            if arr.ndim != 2:
                raise ValueError(f"{what}: {names[i]} expected shape "
                                 f"{('N',) + tuple(t.shape[1:])} (the model's input "
                                 f"{t.name!r}), got {arr.shape}")
            if rows is not None and arr.shape[0] != rows:
                raise ValueError(f"{what}: the inputs in {argname} must have the same number "
                                 f"of samples; {names[i]} has {arr.shape[0]}, the inputs "
                                 f"before it {rows}")
            rows = arr.shape[0]
            if (rows == 0 and not allow_empty) or (arr.size == 0 and rows):
                raise ValueError(f"{what}: {names[i]} must not be empty, got shape {arr.shape}")
        # one copy, each input cast into its columns (in the order _join_order gives);
        # then one threaded check of it all
        order = self._join_order()
        given, names = [given[i] for i in order], [names[i] for i in order]
        cuts = np.cumsum([0] + [a.shape[1] for a in given])
        out = np.empty((rows, cuts[-1]), self.dtype)
        for arr, a, b in zip(given, cuts[:-1], cuts[1:]):
            out[:, a:b] = arr
        if not _all_finite(out):      # (NaN given, or too large for the dtype): which one
            for arr, name, a, b in zip(given, names, cuts[:-1], cuts[1:]):
                if not np.isfinite(out[:, a:b]).all():
                    _raise_not_finite(arr, out[:, a:b], what, name)
        return out

    def _standardized_rank(self, value, i, what):
        """The value given for input i with Keras' rank standardization: one axis more
        than the Input's, of size 1 and last, is dropped; one axis fewer, where the
        Input's last axis is 1, is added. Another rank is a ValueError naming the input
        and its path in the inputs' structure."""
        ref = tuple(self.inputs[i].shape)
        shape = getattr(value, "shape", None)
        if shape is None:
            if not isinstance(value, (list, tuple, int, float, np.number)):
                return value
            shape = np.shape(value)
            value = np.asarray(value)
        to = standardized_rank(shape, ref)
        if to is not None:
            if len(to) == len(shape):
                return value
            if type(value) is np.ndarray:
                return value.reshape(to)
            return _dops.squeeze(value, -1) if len(to) < len(shape) \
                else _dops.expand_dims(value, -1)
        path = _input_paths(self._config_structs[0])[i]
        raise ValueError(f"{what}: invalid input shape for the input with name "
                         f"{self.inputs[i].name!r} and path {path!r}: expected shape {ref}, but "
                         f"the input has the incompatible shape {tuple(shape)}")

    def _expected_input_shape(self):
        widths = self._joined_widths()
        if widths is not None:     # the array path's joined inputs (_joins)
            return (None, sum(widths))
        return self._build_input_shape

    # ------------------------------------------------------------------ config
    def get_config(self):
        """Keras 3's functional config: each layer with the nodes that call it (their
        arguments, symbolic tensors as [layer name, node index, tensor index]), and the
        model's input and output tensors."""
        node_index = {}
        for layer in self._graph_layers:
            kept = [n for n in layer._inbound_nodes if n in self._nodes]
            for i, n in enumerate(kept):
                node_index[id(n)] = i

        def history(t):
            layer, index, tensor_index = t._keras_history
            return [layer.name, node_index[id(layer._inbound_nodes[index])], tensor_index]

        def arg(v):
            if isinstance(v, KerasTensor):
                return {"class_name": "__keras_tensor__",
                        "config": {"shape": list(v.shape), "dtype": v.dtype,
                                   "keras_history": history(v)}}
            return v
        layer_cfgs = []
        for layer in self._graph_layers:
            cfg = _serialize_layer(layer)
            cfg["name"] = layer.name
            cfg["inbound_nodes"] = [
                {"args": tree_map(arg, list(n.call_args)), "kwargs": tree_map(arg, n.call_kwargs)}
                for n in layer._inbound_nodes if n in self._nodes and not n.is_input]
            layer_cfgs.append(cfg)
        inputs, outputs = self._config_structs
        return {"name": self.name, "trainable": self.trainable, "layers": layer_cfgs,
                "input_layers": tree_map(history, inputs),
                "output_layers": tree_map(history, outputs)}



def _tensor_refs(value, out):
    """The [layer name, node index, tensor index] references in a node's arguments."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        cfg = value.get("config")
        ref = cfg.get("keras_history") if isinstance(cfg, dict) else None
        if not (isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str)
                and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0
                        for i in ref[1:])):
            raise ValueError(f"a tensor's keras_history must be [layer name, node index, "
                             f"tensor index], got {ref!r:.100}")
        out.append(tuple(ref))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _tensor_refs(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _tensor_refs(v, out)
    return out


_NESTED = threading.local()


class nested_hooks:
    """A ``with`` block in which build_from_config, called without hooks (for a
    functional model nested in the one being built), uses ``on_layer`` and ``on_call``."""

    def __init__(self, on_layer, on_call):
        self.hooks = (on_layer, on_call)

    def __enter__(self):
        self._outer = getattr(_NESTED, "hooks", None)
        _NESTED.hooks = self.hooks
        return self

    def __exit__(self, *exc):
        _NESTED.hooks = self._outer
        return False


def build_from_config(config, cls=None, on_layer=None, on_call=None):
    """A functional model from get_config()'s output: each layer made from its entry,
    then each of its calls (nodes) made once the tensors it takes exist, in an order
    found from the references (a node waits for the nodes it reads, and for its layer's
    previous call); the inputs and outputs picked by reference.

    on_layer(layer, i) sees each layer once made (before any call builds it); on_call(
    layer, i, outputs) each call's symbolic outputs. ValueError names the layer entry
    for a config whose references do not close (a tensor no layer makes, a cycle)."""
    cls = cls or Functional
    if on_layer is None and on_call is None:
        # A functional model nested in one being read from a file: its layers get the
        # checks the outer model's get (their weights counted before they are made).
        on_layer, on_call = getattr(_NESTED, "hooks", None) or (None, None)
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"Model.from_config: expected a functional model's config (a dict "
                         f"with 'layers', 'input_layers', 'output_layers'), got "
                         f"{str(config)[:100]!r}")
    by_name, made, entries = {}, {}, []
    for i, lc in enumerate(config["layers"]):
        name = lc.get("name") if isinstance(lc, dict) else None
        if not isinstance(name, str):
            raise ValueError(f"layers[{i}]: each layer entry needs its name (a string), got "
                             f"{name!r:.100}")
        if name in by_name:
            raise ValueError(f"layers[{i}]: two layers are named {name!r}; a functional "
                             f"model's layer names are unique")
        layer = _deserialize_layer({k: lc[k] for k in ("class_name", "config") if k in lc})
        if layer.name != name:
            layer.name = name
        if on_layer is not None:
            on_layer(layer, i)
        nodes = lc.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ValueError(f"layers[{i}] ({name!r}): inbound_nodes must be a list, got "
                             f"{nodes!r:.100}")
        by_name[name] = (layer, i)
        made[name] = []
        if layer._is_input_layer:
            made[name].append(layer._inbound_nodes[0].outputs)
            if nodes:
                raise ValueError(f"layers[{i}] ({name!r}): an Input layer is called by no "
                                 f"node, got {len(nodes)}")
        for j, node in enumerate(nodes):
            if not isinstance(node, dict) or not isinstance(node.get("args", []), list) \
                    or not isinstance(node.get("kwargs", {}), dict):
                raise ValueError(f"layers[{i}] ({name!r}).inbound_nodes[{j}] must be "
                                 f"{{\"args\": [...], \"kwargs\": {{...}}}}, got {node!r:.100}")
            needs = _tensor_refs([node.get("args", []), node.get("kwargs", {})], [])
            entries.append((name, j, node, needs))

    def tensor(ref):
        name, node_i, tensor_i = ref
        if name not in made:
            raise ValueError(f"a tensor refers to layer {name!r}, which the config does not "
                             f"have")
        if node_i >= len(made[name]):
            raise ValueError(f"a tensor refers to call {node_i} of layer {name!r}, which is "
                             f"called {len(made[name])} times")
        outs = made[name][node_i]
        if tensor_i >= len(outs):
            raise ValueError(f"a tensor refers to output {tensor_i} of layer {name!r}'s call "
                             f"{node_i}, which has {len(outs)} outputs")
        return outs[tensor_i]

    def arg(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            return tensor(v["config"]["keras_history"])
        if isinstance(v, list):
            return [arg(x) for x in v]
        if isinstance(v, dict):
            return {k: arg(x) for k, x in v.items()}
        return v

    # Each node waits for the calls it reads and its layer's previous call; a node is
    # made when nothing it waits for is left (Kahn's order, config order among equals).
    waiting, left = {}, []
    for k, (name, j, node, needs) in enumerate(entries):
        keys = {(n, ni) for n, ni, _ in needs}
        if j > 0:
            keys.add((name, j - 1))
        keys = {key for key in keys if not (key[0] in made and key[1] < len(made[key[0]]))}
        left.append(len(keys))
        for key in keys:
            waiting.setdefault(key, []).append(k)
    ready = [k for k in range(len(entries)) if left[k] == 0]
    done = 0
    while ready:
        ready.sort(reverse=True)
        k = ready.pop()
        name, j, node, _ = entries[k]
        layer, i = by_name[name]
        out = layer(*arg(node.get("args", [])), **arg(node.get("kwargs", {})))
        flat = tree_flatten(out)
        made[name].append(flat)
        if on_call is not None:
            on_call(layer, i, flat)
        done += 1
        for w in waiting.pop((name, len(made[name]) - 1), []):
            left[w] -= 1
            if left[w] == 0:
                ready.append(w)
    if done < len(entries):
        stuck = [entries[k] for k in range(len(entries)) if left[k] > 0][0]
        name, j = stuck[0], stuck[1]
        missing = sorted({f"{n}[{ni}]" for n, ni, _ in stuck[3]
                          if not (n in made and ni < len(made[n]))})
        raise ValueError(f"layers[{by_name[name][1]}] ({name!r}).inbound_nodes[{j}] takes "
                         f"tensors no call makes ({', '.join(missing) or 'its previous call'}): "
                         f"they refer to a layer or call that does not exist, or in a cycle")
    for what in ("input_layers", "output_layers"):
        if what not in config:
            raise ValueError(f"Model.from_config: the config has no {what!r}")
    inputs = _map_refs(tensor, config["input_layers"])
    outputs = _map_refs(tensor, config["output_layers"])
    extra = {}
    if cls is not Functional and cls is not Model:
        # a functional subclass's own arguments (its get_config adds them to the
        # graph's): handed to its constructor, as Keras' functional_from_config
        extra = {k: v for k, v in config.items() if k not in _GRAPH_KEYS}
    return cls(inputs, outputs, name=config.get("name"),
               trainable=config.get("trainable", True), **extra)


# the keys of a functional config that describe the graph (the rest of a subclass's
# config goes to its constructor)
_GRAPH_KEYS = ("name", "trainable", "layers", "input_layers", "output_layers")


def _map_refs(fn, value):
    """input_layers / output_layers: fn of a [name, node, tensor] reference, or a
    (nested) list, tuple or dict of them."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value[1:]):
            raise ValueError(f"Model.from_config: bad tensor reference {value!r:.100}")
        return fn(value)
    if isinstance(value, list):
        return [_map_refs(fn, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_map_refs(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map_refs(fn, v) for k, v in value.items()}
    raise ValueError(f"Model.from_config: bad tensor reference {value!r}")


def _input_paths(structure, prefix=()):
    """The path of each leaf of a structure of inputs, in tree_flatten's order, as Keras
    writes it: list indices and dict keys joined by dots ('' for a lone input)."""
    if isinstance(structure, (list, tuple)):
        return [p for i, v in enumerate(structure) for p in _input_paths(v, prefix + (i,))]
    if isinstance(structure, dict):
        return [p for k in sorted(structure) for p in _input_paths(structure[k], prefix + (k,))]
    return [".".join(str(p) for p in prefix)]


def _flatten_like(value, structure, owner):
    """The model's inputs given as `value`, flat in the order of `structure` (the
    structure the model was made with: one tensor, or lists, tuples and dicts of them,
    nested). A model of several inputs also takes a dict by input name, or a flat list;
    a model of one input takes its array alone, in a list of one, or in a dict by name.
    Anything else is a ValueError saying what the model expects."""
    flat = tree_flatten(structure)
    if len(flat) == 1:
        if isinstance(value, dict) and isinstance(structure, dict):
            return _match(value, structure, owner)
        return [_one_input_value(value, flat[0], owner)]
    if isinstance(value, dict) and not isinstance(structure, dict):
        names = [t.name for t in flat]
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"{owner}: missing inputs {missing} (the inputs are {names})")
        return [value[n] for n in names]
    if isinstance(structure, (list, tuple)) and isinstance(value, (list, tuple)) \
            and len(value) == len(flat) != len(structure):
        return list(value)       # a flat list for a nested list of inputs
    if isinstance(structure, (list, tuple)) and isinstance(value, (list, tuple)) \
            and len(structure) == len(flat):
        # a flat list of inputs given nested arrays (([a], b) for [input_a, input_b]):
        # taken flat, as Keras flattens the structure it is given
        leaves = tree_flatten(value)
        if len(leaves) == len(flat) and any(isinstance(v, (list, tuple)) for v in value) \
                and all(hasattr(v, "shape") and hasattr(v, "dtype") for v in leaves):
            return leaves        # (Python numbers in lists are data, not a structure)
    if isinstance(structure, dict) and isinstance(value, (list, tuple)) \
            and len(value) == len(structure) == len(flat) and list(structure) == sorted(structure):
        # a list for a flat dict of inputs whose keys are in sorted order: taken in that
        # order, with Keras' warning (keys in another order are refused, as in Keras)
        def shown(v):
            return f"Tensor(shape={tuple(np.shape(v))})" if hasattr(v, "shape") else repr(v)
        warnings.warn(f"The structure of `inputs` doesn't match the expected structure.\n"
                      f"Expected: { {k: t.name for k, t in structure.items()} }\n"
                      f"Received: inputs={type(value)(shown(v) for v in value)}\n"
                      f"{owner}: the list is taken as the inputs {sorted(structure)} in this "
                      f"order", UserWarning, stacklevel=4)
        return list(value)
    return _match(value, structure, owner)


def _one_input_value(value, tensor, owner):
    """The value of a one-input model's input: the value itself, the one item of a list,
    or the entry of a dict under the input's name."""
    if isinstance(value, dict):
        if tensor.name in value:
            return value[tensor.name]
        raise ValueError(f"{owner}: expects 1 input, named {tensor.name!r}; got a dict with "
                         f"keys {sorted(value, key=str)}")
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return value[0]
        if value and all(v is None or hasattr(v, "shape") for v in value):
            raise ValueError(f"{owner}: expects 1 input, got {_describe(value)}")
    return value      # one array, or nested lists of numbers


def _match(value, structure, owner):
    """The leaves of `value` where it has the structure `structure` (dicts by key),
    flat in the structure's order."""
    if isinstance(structure, dict):
        if not isinstance(value, dict):
            keys = sorted(structure)
            example = ", ".join(f"{k!r}: ..." for k in keys)
            raise ValueError(f"{owner}: expected a dict of inputs with keys {keys} (the model "
                             f"takes {len(keys)} named input(s) with keys, one value each: "
                             f"{{{example}}}), got {_describe(value)}")
        missing = sorted(set(structure) - set(value))
        if missing:
            raise ValueError(f"{owner}: missing inputs {missing}")
        return [leaf for k in sorted(structure) for leaf in _match(value[k], structure[k], owner)]
    if isinstance(structure, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(structure):
            raise ValueError(f"{owner}: expects {len(structure)} inputs (a list), got "
                             f"{_describe(value)}")
        return [leaf for v, s in zip(value, structure) for leaf in _match(v, s, owner)]
    return [value]


def _describe(value):
    """A short description of what was given, for error messages."""
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value, key=str)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    return type(value).__name__
