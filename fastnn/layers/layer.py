"""The Layer base class (keras.layers.Layer) and what every layer family shares:
automatic names, shape and dtype arguments, config helpers."""
import contextlib
import functools
import inspect
import math
import re
import threading
import warnings

import numpy as np

from fastnn import _argcheck, _changes, initializers
from fastnn import mixed_precision as _mixed_precision
from fastnn import regularizers as _regularizers
from fastnn.autodiff.tape import record, should_record
from fastnn.layers import symbolic as _symbolic
from fastnn.tensor import Tensor as _Tensor, Variable as _Variable, get_keras_mask, \
    set_keras_mask

_RUN_STATE = _changes.RUN_STATE     # attributes set at every call (not counted)

_UIDS = {}


def _auto_name(prefix):
    # Keras' naming: dense, dense_1, dense_2, ...
    uid = _UIDS.get(prefix, 0) + 1
    _UIDS[prefix] = uid
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _as_shape(shape, argname, owner, lo=1):
    """A shape argument (an int, or a sequence of ints >= lo and None) as a tuple."""
    if isinstance(shape, np.ndarray) and shape.ndim == 0:
        shape = shape.item()                 # a 0-d array: its one value (not iterable)
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        kind = "positive ints" if lo else "ints >= 0"
        raise TypeError(f"{owner}: {argname} must be a tuple of {kind} (None for an "
                        f"unknown size), got {type(shape).__name__} {_argcheck.shown(shape)}")
    return tuple(None if d is None else
                 _argcheck.integer(d, f"{argname}[{i}]", owner, lo=lo, hi=_MAX_DIM)
                 for i, d in enumerate(shape))


# A size no array can have: 2**62 elements (the largest a 64-bit NumPy array of bytes
# could address is 2**63 - 1).
_MAX_DIM = 2 ** 62


_FLOAT_DTYPES = ("float32", "float64")


def _check_dtype(dtype, owner):
    if dtype is None:
        return None
    try:
        name = np.dtype(dtype).name if isinstance(dtype, (str, type, np.dtype)) else None
    except TypeError:
        name = None
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"{owner}: dtype must be 'float32' or 'float64', got {dtype!r}")
    return name


_EXACT_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64")


def _check_weight_dtype(dtype, owner):
    """add_weight's dtype: a float dtype fastnn computes in, an integer dtype or bool
    (None: the layer's)."""
    if dtype is None:
        return None
    if hasattr(dtype, "compute_dtype") and hasattr(dtype, "variable_dtype"):
        dtype = dtype.variable_dtype          # a DTypePolicy
    try:
        name = np.dtype(dtype).name if isinstance(dtype, (str, type, np.dtype)) else None
    except TypeError:
        name = None
    if name not in _FLOAT_DTYPES + _EXACT_DTYPES:
        raise ValueError(f"{owner}: dtype must be 'float32', 'float64', an integer dtype "
                         f"such as 'int32', or 'bool', got {dtype!r}")
    return name


class _CallContext(threading.local):
    """The outermost layer call in progress on this thread and its training flag: inner
    layers called without `training=` take the outer call's (as in Keras); and, during a
    probe call (_probe_undone), the weights made meanwhile with their first values."""
    entry = None
    training = None
    probe_made = None


_CONTEXT = _CallContext()


@contextlib.contextmanager
def _probe_undone(layer):
    """Around a probe call: a call on zeros that only builds the layer or finds its output
    shape. Keras makes these calls symbolically, where a call's variable updates (a
    counter's assign_add) do not happen; here the weights are put back afterwards, those
    that existed before the probe and those it made (to the values they were made with),
    and the add_loss() terms it added are dropped. Yields a dict whose "assigned" is
    True afterwards when the probe had changed a weight."""
    saved = [(w, np.array(w)) for w in layer.weights]
    outer, _CONTEXT.probe_made = _CONTEXT.probe_made, []
    report = {"assigned": False}
    try:
        yield report
    finally:
        made, _CONTEXT.probe_made = _CONTEXT.probe_made, outer
        if outer is not None:
            outer.extend(made)          # a probe inside a probe: the outer one undoes them
        for w, before in saved + made:
            if not np.array_equal(w, before, equal_nan=True):
                report["assigned"] = True
                np.copyto(w, before)
        layer._clear_losses()

# Keyword arguments of add_weight that Keras takes and fastnn has no use for (they
# concern distribution strategies, mixed precision and partitioning).
_IGNORED_WEIGHT_ARGS = ("autocast", "aggregation", "synchronization", "use_resource",
                        "experimental_autocast", "partitioner", "caching_device",
                        "overwrite_with_gradient")


def _call_signature(cls):
    """(accepts training=, accepts **kwargs, the name of the inputs argument) for
    cls.call, cached per class."""
    cached = cls.__dict__.get("_fastnn_call_sig")
    if cached is None:
        try:
            params = inspect.signature(cls.call).parameters
        except (TypeError, ValueError):
            params = {}
        names = [n for n, p in params.items() if n != "self" and p.kind in
                 (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        cached = ("training" in params,
                  any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()),
                  names[0] if names else "inputs")
        setattr(cls, "_fastnn_call_sig", cached)
    return cached


def _call_takes_mask(cls):
    """Whether cls.call has a `mask` argument (Keras then passes the inputs' mask)."""
    cached = cls.__dict__.get("_fastnn_call_mask")
    if cached is None:
        try:
            cached = "mask" in inspect.signature(cls.call).parameters
        except (TypeError, ValueError):
            cached = False
        setattr(cls, "_fastnn_call_mask", cached)
    return cached


def _input_masks(inputs):
    """The masks of a call's inputs in their structure, or None when none has one."""
    flat = _symbolic.tree_flatten(inputs)
    if not any(get_keras_mask(t) is not None for t in flat):
        return None
    if isinstance(inputs, np.ndarray):
        return get_keras_mask(inputs)
    return _symbolic.tree_map(get_keras_mask, inputs)


def _take_inputs(layer, args, kwargs):
    """A call's arguments with its inputs first: given positionally, as inputs=, by the
    name call() gives its first argument, or as x= (what fastnn's models took)."""
    if args:
        return args
    name = _call_signature(type(layer))[2]
    for key in ("inputs", name, "x"):
        if key in kwargs:
            return (kwargs.pop(key),)
    raise TypeError(f"{layer.name}: a layer is called on its inputs, got no arguments")


_AUTO_CONFIG_TYPES = (str, int, float, bool, type(None))


def _auto_config(cls, args, kwargs):
    """The arguments cls(*args, **kwargs) binds to, as Keras records them for
    get_config: defaults filled in, **kwargs expanded, without self and name; None when
    they do not bind, when a value is not a str, number, bool or None (or a list, tuple
    or dict of them), or when the constructor takes positional-only arguments or was
    given *args."""
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if any(p.kind == inspect.Parameter.POSITIONAL_ONLY for p in params[1:]):
        return None
    bound.apply_defaults()
    out = dict(bound.arguments)
    out.pop(params[0].name)
    for p in params[1:]:
        if p.kind == inspect.Parameter.VAR_KEYWORD:
            out.update(out.pop(p.name, {}))
        elif p.kind == inspect.Parameter.VAR_POSITIONAL and out.pop(p.name, ()):
            return None
    out.pop("name", None)

    def plain(v):
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        if isinstance(v, dict):
            return all(plain(x) for x in v.values())
        return isinstance(v, _AUTO_CONFIG_TYPES)
    return out if plain(out) else None


def _auto_get_config(obj, base):
    """Keras' get_config of a subclass that defines none (Operation.get_config): the
    name (unless the constructor can take neither ``name`` nor ``**kwargs``), the
    constructor's arguments as recorded when the object was made, then `base` (the
    trainable flag and dtype). NotImplementedError, as in Keras, when no arguments
    were recorded (some were not plain values)."""
    cls = type(obj)
    auto = obj.__dict__.get("_auto_config")
    if auto is None:
        raise NotImplementedError(
            f"{cls.__name__} was made with constructor arguments other than strings, "
            f"numbers, booleans and None (or lists and dicts of them), or with positional-"
            f"only or *args arguments, and defines no get_config(): define get_config() "
            f"(and from_config) to save or clone it")
    params = inspect.signature(cls.__init__).parameters
    takes_name = "name" in params or (
        "kwargs" in params and params["kwargs"].kind == inspect.Parameter.VAR_KEYWORD)
    config = {"name": obj.name} if takes_name else {}
    config.update(auto)
    config.update(base)
    return config


class Layer:
    """keras.layers.Layer. A layer makes its weights in build(input_shape) with
    add_weight() and computes in call(inputs, training=...); calling it (`layer(x)`)
    builds it from the first inputs and then calls it. On NumPy data the call runs
    now (under a GradientTape it is recorded and differentiable); on the functional
    API's symbolic tensors (keras.Input) it returns symbolic tensors and records a node
    of the model's graph. Layers assigned as attributes are tracked: their weights are
    this layer's too. Weights are C-contiguous arrays of the layer's dtype, updated in
    place.

    Parameters
    ----------
    name : str, optional
        The layer's name, unique within a model. Default None: made from the class name
        (``dense``, ``dense_1``, ...).
    trainable : bool
        Whether the layer's weights are updated by training. Default True. Frozen
        layers (``trainable=False``) keep their weights; a frozen BatchNormalization
        also uses its moving statistics in training.
    dtype : str, DTypePolicy or dict, optional
        The layer's dtype policy (``fastnn.mixed_precision``): ``'float32'`` or
        ``'float64'`` (weights and computations in that type), ``'mixed_bfloat16'``
        (float32 weights, matrix products on bfloat16-rounded operands), a
        ``DTypePolicy``, or a policy as Keras serializes it. Default None: the global
        policy, which is ``keras.backend.floatx()`` (float32) unless
        ``keras.mixed_precision.set_global_policy`` set another.
    input_shape : tuple of int, optional
        Keras 2 style: the shape of one input sample, without the batch axis, given to
        the first layer of a Sequential model so that it builds at once. Keras 3
        prefers an ``Input`` layer.
    input_dim : int, optional
        Keras 2 style: the number of input features, as ``input_shape=(input_dim,)``.
    batch_input_shape : tuple, optional
        Keras 2 style: the input shape with the batch axis first (``None`` for any
        batch size).
    """

    _is_input_layer = False
    # Keras' masking: a layer that supports it passes its inputs' mask on to its outputs
    # (compute_mask), one that does not drops it, with a warning as in Keras.
    supports_masking = False
    # keras.layers.InputSpec (or a list of them): set, the first argument of each call
    # is checked against it
    input_spec = None

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        if cls.get_config is Layer.get_config and not cls.__module__.startswith("fastnn."):
            # a layer of the user's without a get_config: Keras' automatic config, the
            # constructor's arguments (Operation.__new__)
            instance.__dict__["_auto_config"] = _auto_config(cls, args, kwargs)
        return instance

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, **kwargs):
        owner = type(self).__name__
        # Keras arguments without meaning here, accepted at their defaults
        for key, default in (("autocast", True), ("dynamic", False), ("input_length", None)):
            if key in kwargs and kwargs.pop(key) not in (default,):
                raise ValueError(f"{owner}: {key} is not supported by fastnn")
        activity = kwargs.pop("activity_regularizer", None)
        try:
            # a penalty on the layer's output, added to its losses at every call (Keras)
            self.activity_regularizer = _regularizers.get(activity)
        except (ValueError, TypeError) as e:
            raise type(e)(f"{owner}: activity_regularizer: {e}") from None
        if kwargs:
            raise TypeError(f"{owner}: unexpected keyword argument(s) {sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner}: name must be a string, got {name!r}")
        self.name = name or _auto_name(_snake(owner))
        if not isinstance(trainable, (bool, np.bool_)):    # Keras: a ValueError
            raise ValueError(f"{owner}: Expected `trainable` to be a boolean (True or False), "
                             f"got {type(trainable).__name__} {_argcheck.shown(trainable)}")
        # set, not propagated: the layers a model is made of keep their own flags
        self.__dict__["_trainable"] = bool(trainable)
        # dtype: a policy (name, DTypePolicy or its config) or a float dtype; None takes
        # the global policy. self.dtype is the weights' (variable) dtype.
        self._dtype_policy = _mixed_precision._layer_policy(dtype, owner)
        self._explicit_dtype = None if dtype is None else self._dtype_policy.variable_dtype
        self.dtype = self._dtype_policy.variable_dtype
        self.built = False
        self._weights = []          # list of (name, array, trainable)
        self._weight_regularizers = []   # (regularizer, weight) from add_weight(regularizer=)
        self._losses = []           # add_loss() values of the current call
        self._inbound_nodes = []    # functional API: the calls on symbolic tensors
        # Keras 2 style input_shape=/input_dim= on the first layer (Keras 3 warns; we accept).
        self._input_shape_arg = None
        if batch_input_shape is not None:
            self._input_shape_arg = _as_shape(batch_input_shape, "batch_input_shape", owner)
        elif input_shape is not None:
            self._input_shape_arg = (None,) + _as_shape(input_shape, "input_shape", owner)
        elif input_dim is not None:
            self._input_shape_arg = (None,) + _as_shape(input_dim, "input_dim", owner)
        for attr in ("input_shape", "output_shape"):   # models derive theirs
            if not isinstance(getattr(type(self), attr, None), property):
                setattr(self, attr, None)

    # -- weights -----------------------------------------------------------------
    @property
    def trainable(self):
        """Whether training updates the layer's weights. Setting it sets the layer's
        sublayers' too, and the ``trainable`` flag of each weight made trainable (those
        made with ``trainable=False`` stay frozen), as in Keras."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self.__dict__["_trainable"] = value
        for _, w, made_trainable in self.__dict__.get("_weights", ()):
            if made_trainable and isinstance(w, _Variable):
                w.trainable = value
        for layer in self._sublayers():
            layer.trainable = value

    def __setattr__(self, name, value):
        # Assigning to an attribute that holds one of the layer's weights (layer.kernel =
        # ..., as Keras code sometimes does instead of .assign) sets its values in place:
        # the layer, the model and the C engine keep that one array, and a value of
        # another shape is refused instead of being read past its end later. build()
        # clears the weight list before making new weights, so it may replace them.
        cur = self.__dict__.get(name)
        if name in _RUN_STATE and not isinstance(cur, _Variable):
            object.__setattr__(self, name, value)    # the training loops' state, every call
            return
        _changes.count[0] += 1             # the engine's plans check the model again
        if isinstance(cur, _Variable) and value is not cur \
                and any(w is cur for _, w, _ in self.__dict__.get("_weights", ())):
            try:
                cur.assign(value)
            except (ValueError, TypeError) as e:
                raise type(e)(f"{self.name}.{name}: {e}") from None
            return
        object.__setattr__(self, name, value)

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, **kwargs):
        """A new weight of this layer (keras.layers.Layer.add_weight): its shape (() for a
        scalar), initializer (a name, an Initializer or a callable; default
        'glorot_uniform'), dtype (the layer's), trainable flag and regularizer (its
        loss joins layer.losses). Keras 3's order of positional arguments (shape,
        initializer, dtype, trainable) and Keras 2's (name, shape, dtype, initializer,
        regularizer, trainable) are both taken.

        Parameters
        ----------
        shape : tuple of int
            The weight's shape; ``()`` for a scalar.
        initializer : str, Initializer or callable
            How the weight starts. Default ``'glorot_uniform'`` (``'zeros'`` for an
            integer or bool weight).
        dtype : str, optional
            Its dtype: ``'float32'``, ``'float64'``, an integer dtype such as
            ``'int32'`` (a counter, an index) or ``'bool'``. Default: the layer's.
        trainable : bool
            Whether training updates it. Default True; an integer or bool weight
            must be made with ``trainable=False`` (gradients need a float dtype).
        regularizer : str or Regularizer, optional
            A penalty on the weight, added to the layer's losses.
        constraint : str or Constraint, optional
            A constraint applied after each optimizer update.
        name : str, optional
            The weight's name.

        Returns
        -------
        Variable
            The new weight.
        """
        owner = f"{self.name}.add_weight"
        if args:
            if isinstance(args[0], str):      # Keras 2: add_weight(name, shape, dtype, ...)
                order = ("name", "shape", "dtype", "initializer", "regularizer", "trainable")
            else:                              # Keras 3: add_weight(shape, initializer, ...)
                order = ("shape", "initializer", "dtype", "trainable")
            if len(args) > len(order):
                raise TypeError(f"{owner}: at most {len(order)} positional arguments, got "
                                f"{len(args)}")
            given = dict(zip(order, args))
            name = given.get("name", name)
            shape = given.get("shape", shape)
            dtype = given.get("dtype", dtype)
            initializer = given.get("initializer", initializer)
            regularizer = given.get("regularizer", regularizer)
            trainable = given.get("trainable", trainable)
        unknown = sorted(set(kwargs) - set(_IGNORED_WEIGHT_ARGS))
        if unknown:
            raise TypeError(f"{owner}: unexpected keyword argument(s) {unknown}")
        if constraint is not None:
            from fastnn import constraints
            constraint = constraints.get(constraint)
        if trainable is None:
            trainable = True
        name = name or f"variable_{len(self._weights)}"
        shape = () if shape is None else _weight_shape(shape, owner)
        dtype = _check_weight_dtype(dtype, owner) or self.dtype
        if dtype in _EXACT_DTYPES:
            if trainable:
                raise ValueError(f"{owner}: a weight of dtype {dtype} cannot be trainable "
                                 f"(gradients need a float dtype); pass trainable=False, got "
                                 f"trainable={trainable!r} for the weight {name!r}")
            if initializer is None:
                initializer = "zeros"      # Keras' default for a weight that is not float
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        if nbytes >= 2 ** 63:
            raise ValueError(f"{self.name}: the weight {name} of shape {shape} would need "
                             f"{nbytes:.3g} bytes, more than any array can hold")
        init = initializers.get("glorot_uniform" if initializer is None else initializer)
        value = np.asarray(init(shape, dtype=dtype))
        if value.shape != shape:
            raise ValueError(f"{owner}: the initializer gave shape {value.shape}, expected "
                             f"{shape}")
        value = np.array(value, dtype=dtype, order="C").view(_Variable)   # 0-d stays 0-d
        value.name = name     # Keras' variable.name: exclude_from_weight_decay's var_names
        value.path = f"{self.name}/{name}"      # Keras' variable.path (get_state_tree)
        # a trainable weight of a frozen layer is frozen until the layer is unfrozen
        value.trainable = bool(trainable) and self.trainable
        if constraint is not None:
            value.constraint = constraint     # applied after each optimizer update
        self._weights.append((name, value, bool(trainable)))
        _changes.note()
        if _CONTEXT.probe_made is not None:     # made by a probe call: undone to this value
            _CONTEXT.probe_made.append((value, np.array(value)))
        if regularizer is not None:
            from fastnn import regularizers
            self._weight_regularizers.append((regularizers.get(regularizer), value))
        return value

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """A new weight of this layer: Keras 3's alias of ``add_weight`` with the shape
        and the initializer first.

        Parameters
        ----------
        shape : tuple of int
            The weight's shape; ``()`` for a scalar.
        initializer : str, Initializer or callable
            How the weight starts.
        dtype : str, optional
            Its dtype. Default: the layer's.
        trainable : bool
            Whether training updates it. Default True.
        autocast : bool
            Accepted for Keras' signature; fastnn has no autocasting to turn off.
        regularizer : str or Regularizer, optional
            A penalty on the weight, added to the layer's losses.
        constraint : str or Constraint, optional
            A constraint applied after each optimizer update.
        name : str, optional
            The weight's name.

        Returns
        -------
        Variable
            The new weight.
        """
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, regularizer=regularizer,
                               constraint=constraint, name=name)

    def _sublayers(self):
        """The layers this one holds as attributes (or in lists, tuples and dicts of
        them), in the order they were assigned: their weights are this layer's too."""
        if type(self).__module__.startswith("fastnn.layers"):
            return []           # fastnn's own layers hold no other layers
        out, seen = [], set()

        def take(v):
            if isinstance(v, Layer):
                if id(v) not in seen and v is not self:
                    seen.add(id(v))
                    out.append(v)
            elif isinstance(v, (list, tuple)):
                for item in v:
                    take(item)
            elif isinstance(v, dict):
                for item in v.values():
                    take(item)
        for key, value in self.__dict__.items():
            if key not in _UNTRACKED:
                take(value)
        return out

    def _own_weights(self, trainable):
        return [w for _, w, t in self._weights if t == trainable]

    @staticmethod
    def _unique(arrays):
        seen, out = set(), []
        for w in arrays:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def weights(self):
        own = self._own_weights(True) + self._own_weights(False)
        return self._unique(own + [w for layer in self._sublayers() for w in layer.weights])

    # As in Keras, a trainable layer's weights are split by each weight's own flag (which
    # layer.trainable sets, and which may be set on one weight alone).
    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if getattr(w, "trainable", True)]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not getattr(w, "trainable", True)]

    # Keras names for the same lists
    variables = property(lambda self: self.weights)
    trainable_variables = property(lambda self: self.trainable_weights)
    non_trainable_variables = property(lambda self: self.non_trainable_weights)

    @property
    def weight_names(self):
        return [n for n, _, t in self._weights if t] + [n for n, _, t in self._weights if not t]

    def get_weights(self):
        """The layer's weights as a list of NumPy arrays (copies), trainable and non-trainable,
        in the order ``set_weights`` takes.

        Returns
        -------
        list of numpy.ndarray
            The weights.
        """
        return [np.array(w) for w in self.weights]   # plain arrays, as Keras gives

    def set_weights(self, weights):
        """Copy `weights` (a list in get_weights() order) into the layer, after checking
        the count and every shape; the layer is unchanged if any check fails. NaN and
        Inf are taken as they are, as Keras takes them.

        Parameters
        ----------
        weights : list of array
            The new values, in ``get_weights()`` order, each of the weight's shape.
        """
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"{self.name}.set_weights: expected {len(mine)} arrays "
                             f"{[w.shape for w in mine]}, got {len(weights)}")
        arrays = []
        names = self._weight_labels()
        for i, (w, new) in enumerate(zip(mine, weights)):
            a = np.asarray(new)
            if a.shape != w.shape:
                raise ValueError(f"{self.name}.set_weights: weight {i} ({names[i]}) "
                                 f"expected shape {w.shape}, got {a.shape}")
            if a.dtype.kind not in "fiub":
                raise TypeError(f"{self.name}.set_weights: weight {i} ({names[i]}) must be "
                                f"numeric, got dtype {a.dtype}")
            arrays.append(a)
        for w, a in zip(mine, arrays):
            w[...] = a  # in place: the arrays stay the model's own, C-contiguous

    def _weight_labels(self):
        """'layer/weight' for each of self.weights, for messages."""
        labels = {id(w): f"{self.name}/{n}" for n, w, _ in self._weights}
        for layer in self._sublayers():
            for w, label in zip(layer.weights, layer._weight_labels()):
                labels.setdefault(id(w), label)
        return [labels.get(id(w), "?") for w in self.weights]

    def count_params(self):
        """The number of values in the layer's weights (the layer must be built).

        Returns
        -------
        int
            The count.
        """
        return int(sum(w.size for w in self.weights))

    def _regularized(self):
        """(regularizer or None, weight or None) pairs, in the order their terms add up."""
        return tuple(self._weight_regularizers)

    def _plus_reg_grads(self, grads):
        """The gradients of the weights _regularized() lists (those the layer has, in
        order) plus their regularizers' gradients."""
        pairs = [(reg, w) for reg, w in self._regularized() if w is not None]
        return [g if reg is None else g + reg.grad(w) for g, (reg, w) in zip(grads, pairs)]

    def regularization_loss(self):
        out = 0.0
        for reg, w in self._regularized():
            if reg is not None and w is not None:
                out += reg(w)
        return out

    # -- losses ------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a loss term (a scalar, e.g. computed in call()) to this layer's losses for
        the current call: training minimises it with the model's loss.

        Parameters
        ----------
        loss : scalar
            The loss term, computed with ``fastnn.ops`` so that it is
            differentiable.
        """
        self._losses.append(loss)

    @property
    def losses(self):
        """The add_loss() terms of the last call and the weights' regularization
        losses, this layer's and its sublayers'. Under a GradientTape each
        regularization term is recorded with its regularizer's gradient."""
        out = list(self._losses)
        for reg, w in self._regularized():
            if reg is not None and w is not None:
                out.append(_regularization_term(reg, w))
        for layer in self._sublayers():
            out.extend(layer.losses)
        return out

    def _clear_losses(self):
        if self._losses:
            self._losses = []
        for layer in self._sublayers():
            layer._clear_losses()

    # -- building and calling ---------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        """A build() of the user's marks the layer built when it returns, called
        directly (``model.build((None, 2))``) or by the first call, as Keras' build
        wrapper does; fastnn's own layers set ``built`` themselves."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is None or cls.__module__.split(".")[0] == "fastnn" \
                or getattr(build, "_marks_built", False):
            return

        @functools.wraps(build)
        def build_wrapper(self, *args, **kw):
            out = build(self, *args, **kw)
            self.built = True
            return out
        build_wrapper._marks_built = True
        cls.build = build_wrapper

    def build(self, input_shape):
        """Create the layer's weights (with ``add_weight``) for inputs of ``input_shape``;
        called once, by the first call. A subclass with weights defines it.

        Parameters
        ----------
        input_shape : tuple
            The shape of the inputs, batch axis first (None for any size); for
            several inputs, a list of shapes.
        """
        self.input_shape = tuple(input_shape) if _is_shape(input_shape) else input_shape
        # (a user's layer that does not say its output shape is probed by a call: its
        # output need not have its input's shape)
        if type(self).compute_output_shape is not Layer.compute_output_shape \
                or (_is_shape(input_shape) and self._defines_output_shape()):
            self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self._build_for(input_shape)

    def _build_for(self, input_shape):
        """build(input_shape), then mark the layer built (a custom build may not call
        the base class's)."""
        self.build(input_shape)
        if self.input_shape is None:
            self.input_shape = input_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        """The shape of the outputs for inputs of ``input_shape``, without computing them.

        Parameters
        ----------
        input_shape : tuple
            The inputs' shape, batch axis first.

        Returns
        -------
        tuple
            The output shape.
        """
        return tuple(input_shape)

    def _defines_output_shape(self):
        """Whether the layer's class computes its output shape: its own
        compute_output_shape, or a fastnn layer (whose output has its input's shape
        unless it says otherwise); for other layers a call tells."""
        return type(self).compute_output_shape is not Layer.compute_output_shape \
            or type(self).__module__.startswith("fastnn.")

    def _probed_output_shape(self, input_shape, dtype):
        """The output shape of a call on zeros of input_shape (unknown sizes as 2; the
        batch axis stays unknown), building the layer first if needed."""
        if not self.built:
            self._build_for(tuple(input_shape))
        probe = np.zeros(tuple(2 if d is None else d for d in input_shape), dtype)
        has_training, has_var_kw, _ = _call_signature(type(self))
        with _probe_undone(self):
            out = self.call(probe, **({"training": False} if has_training or has_var_kw else {}))
        shape = np.shape(out)
        return (input_shape[0],) + tuple(shape[1:]) if shape else ()

    def call(self, x, training=False):
        """The layer's computation, what a subclass defines; calling the layer (``layer(x)``)
        builds it if needed and runs this.

        Parameters
        ----------
        x : Tensor or list of Tensors
            The inputs.
        training : bool
            Whether the call is in training mode (dropout and noise active, batch
            statistics used). Default False.

        Returns
        -------
        Tensor
            The outputs.
        """
        raise NotImplementedError(f"{type(self).__name__}: a layer must define call(inputs)")

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of this layer's outputs, given its inputs and their mask
        (`previous_mask`, None when they have none): by default the mask passes on
        unchanged. Layers that make a mask (Embedding with mask_zero, Masking) or end
        one (GlobalAveragePooling1D) override it, as in Keras."""
        return previous_mask

    def _mask_outputs(self, inputs, outputs, previous_mask):
        """Attach the outputs' masks after a call, as Keras' Layer.__call__ does."""
        if not self.supports_masking:
            if previous_mask is not None:
                import warnings
                warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed "
                              f"an input with a mask attached to it. However, this layer does "
                              f"not support masking and will therefore destroy the mask "
                              f"information. Downstream layers will not see the mask.",
                              stacklevel=3)
            return
        if previous_mask is None and type(self).compute_mask is Layer.compute_mask:
            return
        flat = _symbolic.tree_flatten(outputs)
        if all(get_keras_mask(o) is not None for o in flat):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for o, m in zip(flat, _symbolic.tree_flatten(masks) if not isinstance(masks, np.ndarray)
                        else [masks]):
            if m is not None and isinstance(o, _Tensor) and get_keras_mask(o) is None:
                set_keras_mask(o, m)

    def __call__(self, *args, **kwargs):
        args = _take_inputs(self, args, kwargs)
        spec = self.__dict__.get("input_spec")
        if spec is not None:
            from fastnn.layers.input_spec import assert_input_compatibility
            assert_input_compatibility(spec, args[0], self.name)
        if _symbolic.is_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        has_training, has_var_kw, _ = _call_signature(type(self))
        training = kwargs.pop("training", None)
        ctx = _CONTEXT
        entry = ctx.entry is None
        if training is None:
            training = ctx.training
        else:
            training = bool(training)
        inputs = _symbolic.tree_map(self._as_input, args[0])
        args = (inputs,) + args[1:]
        if not self.built:
            self._build_for(_shapes(inputs))
        if entry:
            ctx.entry, ctx.training = self, training
            self._clear_losses()
        previous_mask = _input_masks(inputs)
        if previous_mask is not None and kwargs.get("mask") is None \
                and _call_takes_mask(type(self)):
            kwargs["mask"] = previous_mask
        try:
            if has_training or has_var_kw:
                kwargs["training"] = bool(training)
            out = self.call(*args, **kwargs)
            if self.activity_regularizer is not None:
                self._add_activity_loss(out)
        finally:
            if entry:
                ctx.entry, ctx.training = None, None
        out = _symbolic.tree_map(_as_output, out)
        self._mask_outputs(inputs, out, previous_mask)
        return out

    def _add_activity_loss(self, outputs, reg=None):
        """Keras' activity regularization: each output's penalty under `reg` (default:
        the layer's activity_regularizer), divided by its batch size, joins this call's
        losses (and so the loss that training minimises)."""
        from fastnn.autodiff import ops as K
        reg = self.activity_regularizer if reg is None else reg
        for out in _symbolic.tree_flatten(outputs):
            if not isinstance(out, np.ndarray) or out.dtype.kind not in "fiub":
                continue
            loss = reg.penalty(out) if hasattr(reg, "penalty") else reg(out)
            if out.ndim > 0:
                n = out.shape[0]
                loss = K.divide(loss, np.asarray(n, loss.dtype)) if n else K.zeros_like(loss)
            self.add_loss(loss)

    def _as_input(self, x):
        """A call's input as a NumPy array (Tensors stay as they are; numbers that are
        not floats become the layer's dtype)."""
        if isinstance(x, np.ndarray):
            return x if x.dtype.kind == "f" or x.dtype.kind == "b" else x.astype(self.dtype)
        if x is None or isinstance(x, (str, bytes)):
            return x
        a = np.asarray(x)
        return a.astype(self.dtype) if a.dtype.kind in "iub" or a.dtype.kind != "f" else a

    def _symbolic_call(self, args, kwargs):
        """The layer called on KerasTensors: build it for their shapes, make its
        output KerasTensors and record the call as a node of the graph."""
        inputs = args[0]
        if not self.built:
            self._build_for(_symbolic.tree_map(_symbolic.shape_of, inputs))
        outputs = self._output_spec(args, kwargs)
        flat = _symbolic.tree_flatten(outputs)
        _symbolic.Node(self, args, dict(kwargs), flat)
        return outputs

    def _output_spec(self, args, kwargs):
        """The KerasTensors a call on these symbolic inputs returns: from
        compute_output_shape when the layer defines it, else by calling the layer on
        zeros of those shapes (a batch of 2 rows where the batch size is unknown)."""
        inputs = args[0]
        if type(self).compute_output_shape is not Layer.compute_output_shape and len(args) == 1:
            shape = self.compute_output_shape(_symbolic.tree_map(_symbolic.shape_of, inputs))
            dtype = _first_dtype(inputs, self.dtype)
            return _shape_tree_to_tensors(shape, dtype)
        return self._probed_spec(args, kwargs)

    def _probed_spec(self, args, kwargs, every_axis=False):
        """The KerasTensors of a call on zeros shaped like the symbolic arguments, each
        unknown size 2. Where a size other than the batch axis is unknown (any unknown
        size, with every_axis), a second call gives those sizes 3: an output size that
        differs between the two is unknown (None), one that does not is known (an op
        that reduces the batch axis gives its real size). Where only the first call
        runs (a reshape that needs the size 2, say), or no size but the batch axis is
        unknown, the first axis is unknown when an input's batch size is."""
        try:
            first = self._probe_call(args, kwargs, 2)
        except Exception as e:
            raise type(e)(f"{self.name}: calling the layer on symbolic inputs failed ({e}); "
                          f"define compute_output_shape(input_shape) for it") from None
        if not any(d is None for t in _symbolic.tree_flatten(args)
                   if isinstance(t, _symbolic.KerasTensor)
                   for d in (t.shape if every_axis else t.shape[1:])):
            return self._specs_of(first, args[0])
        try:
            with warnings.catch_warnings():     # the first call gave the warnings
                warnings.simplefilter("ignore")
                second = self._probe_call(args, kwargs, 3)
        except Exception:
            second = None
        flat1 = _symbolic.tree_flatten(first)
        flat2 = None if second is None else _symbolic.tree_flatten(second)
        if flat2 is None or len(flat1) != len(flat2) or any(
                np.ndim(a) != np.ndim(b) for a, b in zip(flat1, flat2)):
            return self._specs_of(first, args[0])      # from the first call
        specs = iter([_symbolic.KerasTensor(tuple(d1 if d1 == d2 else None
                                                  for d1, d2 in zip(np.shape(a), np.shape(b))),
                                            np.asarray(a).dtype)
                      for a, b in zip(flat1, flat2)])
        return _symbolic.tree_map(lambda a: next(specs), first)

    def _probe_call(self, args, kwargs, size=2):
        """self.call on zeros shaped like the symbolic arguments (each unknown size as
        `size`), with training=False where call takes it."""
        def zeros(t):
            return _zeros_like_spec(t, size) if isinstance(t, _symbolic.KerasTensor) else t
        probe_kwargs = _symbolic.tree_map(zeros, kwargs)
        has_training, has_var_kw, _ = _call_signature(type(self))
        if (has_training or has_var_kw) and "training" not in probe_kwargs:
            probe_kwargs["training"] = False
        return self.call(*_symbolic.tree_map(zeros, args), **probe_kwargs)

    @staticmethod
    def _specs_of(out, inputs):
        """KerasTensors shaped like a probe call's outputs, the first axis unknown when
        an input's batch size is."""
        batch_unknown = any(t.shape[:1] == (None,) for t in _symbolic.tree_flatten(inputs)
                            if isinstance(t, _symbolic.KerasTensor))

        def spec(a):
            a = np.asarray(a)
            shape = a.shape
            if batch_unknown and shape:
                shape = (None,) + shape[1:]
            return _symbolic.KerasTensor(shape, a.dtype)
        return _symbolic.tree_map(spec, out)

    # -- functional API ----------------------------------------------------------
    def _node_tensors(self, which):
        if not self._inbound_nodes:
            raise AttributeError(f"{self.name}: the layer has not been called on symbolic "
                                 f"inputs (keras.Input), so it has no {which}")
        node = self._inbound_nodes[0]
        tensors = node.inputs if which == "input" else node.outputs
        return tensors[0] if len(tensors) == 1 else list(tensors)

    @property
    def input(self):
        """The symbolic input of the layer's first call in a functional model."""
        return self._node_tensors("input")

    @property
    def output(self):
        """The symbolic output of the layer's first call in a functional model."""
        return self._node_tensors("output")

    # -- dtype policy ----------------------------------------------------------------
    @property
    def dtype_policy(self):
        """The layer's DTypePolicy (keras.DTypePolicy): its `dtype` argument, else the
        global policy when the layer was made; a model that builds the layer in another
        float dtype gives it that dtype's policy."""
        policy = self._dtype_policy
        if policy.variable_dtype != self.dtype:
            policy = self._dtype_policy = _mixed_precision.DTypePolicy(self.dtype)
        return policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = _mixed_precision._layer_policy(value, self.name)
        if self.built and policy.variable_dtype != self.dtype:
            raise ValueError(f"{self.name}: dtype_policy {policy.name!r} keeps weights in "
                             f"{policy.variable_dtype}, but the layer's weights are "
                             f"{self.dtype} already; set it before the layer is built")
        self._dtype_policy = policy
        self.dtype = policy.variable_dtype
        if self._explicit_dtype is not None:
            self._explicit_dtype = policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype the layer computes in: 'bfloat16' under mixed_bfloat16 (where fastnn
        rounds the operands of its matrix products to bfloat16 values kept in float32
        arrays), else the weights' dtype."""
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights (the same as `dtype`)."""
        return self.dtype

    @property
    def _rounds_bf16(self):
        """Whether the layer's matrix products take bfloat16-rounded operands."""
        policy = self._dtype_policy        # (dtype_policy's check, inlined: every call)
        return policy.compute_dtype == "bfloat16" and policy.variable_dtype == self.dtype

    # -- config -------------------------------------------------------------------
    def get_config(self):
        """The layer's constructor arguments as a JSON-friendly dict (``from_config`` makes the
        layer again; saving writes it).

        Returns
        -------
        dict
            The configuration.
        """
        cfg = {"name": self.name, "trainable": self.trainable,
               "dtype": self.dtype_policy.name}
        if "_auto_config" in self.__dict__ and type(self).get_config is Layer.get_config:
            cfg = _auto_get_config(self, {k: cfg[k] for k in ("trainable", "dtype")})
        if getattr(self, "activity_regularizer", None) is not None:
            cfg["activity_regularizer"] = _regularizers.serialize(self.activity_regularizer)
        if self._input_shape_arg is not None:
            cfg["batch_input_shape"] = list(self._input_shape_arg)
        return cfg

    @classmethod
    def from_config(cls, config):
        """A new layer from the dict ``get_config`` gave.

        Parameters
        ----------
        config : dict
            The configuration.

        Returns
        -------
        Layer
            The layer, unbuilt.
        """
        config = dict(config)
        if "batch_input_shape" in config and config["batch_input_shape"] is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# Attributes of a layer that hold layers without owning them.
_UNTRACKED = frozenset(("_inbound_nodes", "_keras_history", "_engine",
                        "_input_layers", "_output_layers", "_traced_chain",
                        "_traced_graph", "_residual_chain"))


def _regularization_term(reg, w):
    """reg(w), followed by a tape with reg's own gradient (what the engine adds)."""
    raw = w.view(np.ndarray)
    value = np.asarray(reg(raw), dtype=np.float64)
    if not should_record((w,)):
        return value.view(_Tensor)
    return record((w,), value, lambda g: [np.asarray(g) * reg.grad(raw)], name="regularizer",
                  first_order=True)


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, (int, np.integer))
                                            for d in value)


def _shapes(inputs):
    """The shapes of a call's inputs (a structure), batch axis unknown (None)."""
    def one(x):
        shape = getattr(x, "shape", None)
        return None if shape is None else (None,) + tuple(shape[1:]) if len(shape) else ()
    return _symbolic.tree_map(one, inputs)


def _weight_shape(shape, owner):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{owner}: shape must be a tuple of ints >= 0, got "
                        f"{type(shape).__name__} {_argcheck.shown(shape)}")
    return tuple(_argcheck.integer(d, f"shape[{i}]", owner, lo=0, hi=_MAX_DIM)
                 for i, d in enumerate(shape))


def _first_dtype(inputs, default):
    for t in _symbolic.tree_flatten(inputs):
        dt = getattr(t, "dtype", None)
        if dt is not None and np.dtype(dt).kind == "f":
            return np.dtype(dt).name
    return default


def _shape_tree_to_tensors(shape, dtype):
    if _is_shape(shape):
        return _symbolic.KerasTensor(shape, dtype)
    if isinstance(shape, list):
        return [_shape_tree_to_tensors(s, dtype) for s in shape]
    if isinstance(shape, tuple):
        return tuple(_shape_tree_to_tensors(s, dtype) for s in shape)
    if isinstance(shape, dict):
        return {k: _shape_tree_to_tensors(v, dtype) for k, v in shape.items()}
    raise TypeError(f"compute_output_shape returned {shape!r}, not a shape")


def _zeros_like_spec(t, size=2):
    shape = tuple(size if d is None else d for d in t.shape)
    return np.zeros(shape, t.dtype)


def _as_output(out):
    """A call's output as a Tensor (NumPy with .numpy()); anything else unchanged."""
    if isinstance(out, np.ndarray):
        return out if isinstance(out, _Tensor) else out.view(_Tensor)
    return out


def _initializer_config(init):
    """An initializer as get_config stores it (None for a foreign callable)."""
    return initializers.serialize(init) if isinstance(init, initializers.Initializer) else None


def _without_none(config, keys):
    """from_config: the initializers stored as None (foreign callables) take defaults."""
    config = dict(config)
    for k in keys:
        if config.get(k) is None:
            config.pop(k, None)
    return config


def _float_input(layer, x):
    """A call's input in a float dtype: float inputs keep theirs unless the layer was
    given a dtype; others (ints, bools) become the layer's dtype."""
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else None
    if layer._explicit_dtype is not None:
        want = layer._explicit_dtype
    elif dtype is not None and dtype.kind == "f":
        return x
    else:
        want = layer.dtype
    return x if dtype == np.dtype(want) else _cast(x, want)


def _cast(x, dtype):
    from fastnn.autodiff import ops as _dops    # the autodiff package imports layers lazily
    return _dops.cast(x, dtype)
