"""What compile() makes of its loss and metrics arguments, as Keras 3's compile_utils:
one loss per output (a single loss for every output, or a list, or a dict by output
name, with loss_weights), metrics per output, Python functions wrapped as losses and
metrics, and the objects custom training code reads (`model.compiled_loss`,
`model.compiled_metrics`, `model.metrics`).
"""
import numpy as np

from fastnn import losses as losses_mod
from fastnn import metrics as metrics_mod
from fastnn.layers.symbolic import tree_flatten

_SPARSE = "sparse_categorical_crossentropy"
_BINARY = "binary_crossentropy"
_CATEGORICAL = "categorical_crossentropy"
_LOGIT_LOSSES = {"softmax": (_SPARSE, _CATEGORICAL), "sigmoid": (_BINARY,)}


class FunctionLoss(losses_mod.Loss):
    """A loss function fn(y_true, y_pred) -> per-sample values (or a scalar) used as a
    Loss: weighted by the sample weights and averaged over the batch (Keras'
    LossFunctionWrapper, reduction sum_over_batch_size). As Keras' wrapper, it hands
    the function labels and predictions of the same rank: labels of shape (N,) for
    outputs of shape (N, 1) come as (N, 1) (squeeze_or_expand_to_same_rank), so that
    `y_true - y_pred` does not broadcast to (N, N)."""

    def __init__(self, fn, name=None):
        super().__init__(name=name or getattr(fn, "__name__", "loss"))
        self.fn = fn

    def __call__(self, y_true, y_pred, sample_weight=None):
        if isinstance(y_true, np.ndarray) and isinstance(y_pred, np.ndarray):
            y_true, y_pred = losses_mod._same_rank(y_true, y_pred)
        return reduce_weighted(self.fn(y_true, y_pred), sample_weight)

    def get_config(self):
        raise ValueError(f"{self.name}: a loss given as a Python function cannot be saved "
                         f"with the model; save its weights, or recompile after loading")


class FunctionMetric(metrics_mod.Metric):
    """A metric function fn(y_true, y_pred) -> per-sample values, averaged (Keras'
    MeanMetricWrapper)."""

    def __init__(self, fn, name=None):
        self.fn = fn
        super().__init__(name=name or getattr(fn, "__name__", "metric"))

    def _values(self, y_true, y_pred):
        return np.asarray(self.fn(y_true, y_pred), dtype=np.float64)


_BY_SHAPES = ("crossentropy", "ce")


def is_binary_or_sparse_categorical(y_shape, pred_shape):
    """Keras' reading of labels against outputs: (binary: one output unit, sparse: the
    labels have a lower rank, or one column against several outputs)."""
    binary = pred_shape[-1] == 1
    sparse = len(y_shape) < len(pred_shape) or (y_shape[-1] == 1 and pred_shape[-1] > 1)
    return binary, sparse


class CrossentropyByShapes(losses_mod.Loss):
    """compile(loss="crossentropy") or "ce" (Keras' compile_utils.get_loss): the
    cross-entropy that fits the labels and outputs, chosen from their shapes when they
    are first seen: BinaryCrossentropy for one output unit, SparseCategoricalCrossentropy
    for labels of a lower rank (or one column against several outputs),
    CategoricalCrossentropy otherwise (each on probabilities, as Keras' choice).

    Parameters
    ----------
    identifier : str
        The name compile() was given ("crossentropy" or "ce"); the loss' name.
    """

    def __init__(self, identifier="crossentropy"):
        super().__init__(name=identifier)
        self.identifier = identifier

    def resolve(self, y_shape, pred_shape):
        """The cross-entropy Loss for labels of y_shape and outputs of pred_shape."""
        binary, sparse = is_binary_or_sparse_categorical(tuple(y_shape), tuple(pred_shape))
        cls = losses_mod.BinaryCrossentropy if binary else \
            losses_mod.SparseCategoricalCrossentropy if sparse else \
            losses_mod.CategoricalCrossentropy
        return cls(name=self.identifier)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return loss_value(self.resolve(np.shape(y_true), np.shape(y_pred)), y_true, y_pred,
                          sample_weight)

    def get_config(self):
        return {"name": self.identifier}


def get_loss(identifier, owner="compile"):
    """A loss argument as a Loss: a name ("crossentropy" / "ce": CrossentropyByShapes),
    a Loss (object or class), a fastnn loss function, or any Python function
    fn(y_true, y_pred)."""
    if isinstance(identifier, str) and identifier.lower() in _BY_SHAPES:
        return CrossentropyByShapes(identifier)
    try:
        loss = losses_mod.get(identifier)
    except ValueError:
        if callable(identifier) and not isinstance(identifier, type):
            return FunctionLoss(identifier)
        raise
    if getattr(loss, "reduction", "sum_over_batch_size") in ("none", None):
        raise ValueError(f"{owner}: a loss with reduction={loss.reduction!r} gives one value "
                         f"per sample, and training needs one number per batch; use "
                         f"reduction 'sum_over_batch_size', 'mean', 'sum' or "
                         f"'mean_with_sample_weight'")
    return loss


def get_metric(identifier, y_shape, pred_shape):
    """A metric argument as a Metric: a name ('accuracy' resolved from the shapes), a
    Metric, a Metric class, or a Python function fn(y_true, y_pred)."""
    if callable(identifier) and not isinstance(identifier, (type, metrics_mod.Metric, str)):
        return FunctionMetric(identifier)
    return metrics_mod.get(identifier, y_shape, pred_shape)


def check_metric(identifier):
    """Refuse a bad metric at compile time (before shapes are known)."""
    if callable(identifier) and not isinstance(identifier, (type, metrics_mod.Metric, str)):
        return
    metrics_mod.check(identifier)


def is_builtin(loss):
    """A fastnn loss whose value and gradient are one C pass (the engine's losses)."""
    return isinstance(loss, losses_mod.Loss) and loss._op is not None \
        and type(loss).__call__ is losses_mod.Loss.__call__


def reduce_weighted(values, sample_weight):
    """Per-sample values times their sample weights, averaged over the batch (Keras'
    sum_over_batch_size), differentiable; a scalar stays as it is."""
    from fastnn.autodiff import ops as K
    if np.ndim(values) == 0:
        return values
    if not isinstance(values, np.ndarray):
        values = K.convert_to_tensor(values)
    if sample_weight is None:
        return K.mean(values)          # sum / size, as one recorded operation
    w = np.asarray(sample_weight, dtype=values.dtype)
    w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim)) if w.ndim < values.ndim else w
    return K.mean(K.multiply(values, w))


def loss_value(loss, y, y_pred, sw, given_sw=None):
    """loss(y, y_pred) weighted by sw and averaged over the batch, as a scalar that a
    GradientTape follows. A built-in loss computes value and gradient in one C pass and
    is recorded with that gradient; on a softmax or sigmoid output that carries its
    logits (`_keras_logits`) the matching cross-entropy on probabilities takes the
    logits instead (log-sum-exp stable, as Keras does). The value is then reduced as the
    loss' `reduction` says ("sum", "mean_with_sample_weight": from the batch mean), with
    given_sw, the sample weights as the caller gave them (default sw; a scalar stays a
    scalar, which Keras' "mean_with_sample_weight" divides by once)."""
    from fastnn.autodiff.tape import record
    if not is_builtin(loss):
        return loss(y, y_pred, sample_weight=sw)
    pred, from_logits = y_pred, None
    logits = getattr(y_pred, "_keras_logits", None)
    if logits is not None and not loss.from_logits \
            and loss._op in _LOGIT_LOSSES.get(logits[1], ()):
        pred, from_logits = logits[0], True
    raw = np.asarray(pred).view(np.ndarray)
    yv = np.asarray(y).view(np.ndarray) if isinstance(y, np.ndarray) else np.asarray(y)
    given_sw = sw if given_sw is None else given_sw
    sw = _with_output_mask(sw, y_pred, raw.shape[:-1], loss.reduction)
    if raw.ndim > 2:
        # Outputs (N, ..., k): the loss kernels take rows; Keras' mean over every
        # per-row loss is the same as the mean over the N*... rows.
        shape = raw.shape
        rows = int(np.prod(shape[1:-1]))
        swr = None if sw is None else \
            sw.reshape(-1) if np.ndim(sw) > 1 else np.repeat(sw, rows)   # (N, ...): masked
        value, grad = loss.loss_and_grad(*losses_mod._as_rows(yv, raw), sample_weight=swr,
                                         from_logits=from_logits)
        grad = grad.reshape(shape)
    else:
        value, grad = loss.loss_and_grad(yv, raw, sample_weight=sw, from_logits=from_logits)
    value = record((pred,), np.asarray(value, np.float64), lambda g: [g * grad],
                   name=type(loss).__name__, first_order=True)
    # the loss' own reduction ("sum", "mean_with_sample_weight"), from the batch mean
    return loss._reduce_mean(value, yv, raw.shape, given_sw)


def _with_output_mask(sw, y_pred, values_shape, reduction):
    """The sample weights of a loss on y_pred with the mask y_pred carries (Keras'
    apply_mask: masked entries weigh 0, and under "sum_over_batch_size" / "mean" the
    kept ones total / kept, so that the mean is over the kept entries), of the shape of
    the loss values; sw unchanged when y_pred has no mask."""
    from fastnn.tensor import get_keras_mask
    mask = get_keras_mask(y_pred)
    if mask is None:
        return sw
    if mask.shape != tuple(values_shape):
        raise ValueError(f"the mask of the model's output has shape {mask.shape}, and the "
                         f"loss values have shape {tuple(values_shape)}; they must be equal")
    m = mask.astype(np.float64)
    if reduction in ("mean", "sum_over_batch_size"):
        kept = m.sum()
        m *= m.size / kept if kept else 0.0
    if sw is None:
        return m
    w = np.asarray(sw, np.float64).reshape((-1,) + (1,) * (m.ndim - 1))
    return w * m


class UnknownOutputKeys(ValueError):
    """A dict of losses or metrics whose keys name no output of the model (raised where
    the outputs are first computed, as Keras does, not by compile)."""


def per_output(value, names, what, allow_single=True, owner="compile"):
    """A compile argument given for every output (a single value), as a list (one per
    output) or as a dict by output name, as a list in output order."""
    n = len(names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names), key=str)
        if unknown:
            if what in ("metrics", "weighted_metrics"):
                raise UnknownOutputKeys(
                    f"{owner}: Invalid `{what}`: a dict of {what} must be keyed by the "
                    f"model's output names {names}; it names no output {unknown}. "
                    f"Received: {what}={value!r}")
            raise UnknownOutputKeys(f"{owner}: {what} names outputs {unknown}; the model's "
                                    f"outputs are {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and not (n == 1 and what == "metrics"):
        if len(value) != n:
            raise ValueError(f"{owner}: {what} must have one entry per output ({n}: {names}), "
                             f"got {len(value)}")
        return list(value)
    if not allow_single and n > 1:
        raise ValueError(f"compile: {what} must be a list or a dict for a model with "
                         f"{n} outputs")
    return [value] * n


def flat_outputs(value):
    """A model's outputs (or targets) as a flat list (dicts in key order)."""
    if isinstance(value, (list, tuple, dict)):
        return tree_flatten(value)
    return [value]


def output_names(model):
    """The model's output names, when it knows them before a call (None otherwise)."""
    outs = getattr(model, "_outputs_struct", None)
    if outs is None:
        return None
    if isinstance(outs, dict):
        return sorted(outs)
    return [t._keras_history[0].name for t in tree_flatten(outs)]


class CompiledLoss:
    """model.compiled_loss (Keras 2's name): called as compiled_loss(y_true, y_pred,
    sample_weight=None, regularization_losses=None), the model's compiled loss plus
    those terms."""

    def __init__(self, model):
        self._model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        total = self._model._data_loss(y_true, y_pred, sample_weight)
        for term in regularization_losses or ():
            total = total + term
        return total


class CompiledMetrics(metrics_mod.Metric):
    """The compiled metrics as one object, as Keras' CompileMetrics: update_state(y_true,
    y_pred, sample_weight=None) updates each; result() is a dict by name; reset_state()
    resets each. model.metrics lists it after the loss tracker."""

    def __init__(self, model):
        self._model = model
        super().__init__(name="compile_metrics")

    @property
    def metrics(self):
        return [m for m in self._model._metrics or [] if not hasattr(m, "_fastnn_loss_of")]

    def update_state(self, y_true, y_pred, sample_weight=None):
        model = self._model
        if model._metrics is None:
            model._ensure_metrics_for(y_true, y_pred)
        ys, ps = flat_outputs(y_true), flat_outputs(y_pred)
        with model._state_lock:
            for m in self.metrics:
                i = getattr(m, "_fastnn_output", 0)
                m.update_state(ys[i], ps[i], sample_weight)

    @property
    def variables(self):
        """The state variables of every compiled metric, in order."""
        return [v for m in self.metrics for v in m.variables]

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    def reset_state(self):
        for m in self.metrics if hasattr(self, "_model") else ():
            m.reset_state()



# ---------------------------------------------------------------- losses over structures
class LossEntry:
    """One loss of a structured compile(loss=...): computed on the targets and outputs
    at `path` (keys and indices into them: a leaf or a whole sub-structure), scaled by
    `weight` (None: 1) in the total, logged as '<name>_loss'."""
    __slots__ = ("path", "loss", "weight", "name")

    def __init__(self, path, loss, weight, name):
        self.path, self.loss, self.weight, self.name = path, loss, weight, name


class _Weighted:
    """A loss of the user's structure paired with its weight (a leaf of the walk)."""
    __slots__ = ("loss", "weight")

    def __init__(self, loss, weight):
        self.loss, self.weight = loss, weight


def needs_loss_tree(loss, model_outputs):
    """Whether compile's loss takes the general walk (loss_entries) rather than one
    loss per output: a loss structure holding structures (several losses for one
    output, losses over sub-structures), or outputs nested deeper than one list or
    dict."""
    from fastnn.trainers.data_adapters import tree
    if model_outputs is not None and tree.is_nested(model_outputs):
        values = model_outputs.values() if isinstance(model_outputs, dict) else model_outputs
        if any(tree.is_nested(v) for v in values):
            return loss is not None and tree.is_nested(loss)
    if not isinstance(loss, (list, tuple, dict)):
        return False

    def several(v):       # (a list of one loss is that loss, as Keras reads it)
        if isinstance(v, (list, tuple)) and len(v) == 1:
            return tree.is_nested(v[0])
        return tree.is_nested(v)
    values = loss.values() if isinstance(loss, dict) else loss
    return any(several(v) for v in values)


def _pair_weights(loss, weights, owner):
    """The loss structure with each loss paired with its weight: weights of the same
    structure, or as many weights (flat, in order) as there are losses."""
    from fastnn.trainers.data_adapters import tree

    def same(l, w):
        if l is None:
            return None
        if tree.is_nested(l):
            if isinstance(l, dict):
                if not isinstance(w, dict) or set(w) != set(l):
                    raise ValueError
                return {k: same(l[k], w[k]) for k in l}
            if not isinstance(w, (list, tuple)) or len(w) != len(l):
                raise ValueError
            return tree._rebuild(l, [same(a, b) for a, b in zip(l, w)])
        if tree.is_nested(w):
            raise ValueError
        return _Weighted(l, w)

    if weights is None:
        return tree.map_structure(lambda l: _Weighted(l, None), loss) \
            if tree.is_nested(loss) else _Weighted(loss, None)
    try:
        return same(loss, weights)
    except ValueError:
        pass
    n = len(tree.flatten(loss))
    flat_w = tree.flatten(weights)
    if n != len(flat_w):
        raise ValueError(f"{owner}: loss_weights must match the losses: one weight per loss "
                         f"in the structure of the losses, or {n} weights in order; got "
                         f"{len(flat_w)} weights for {n} losses")
    it = iter(flat_w)
    return tree.map_structure(lambda l: _Weighted(l, next(it)), loss)


def loss_entries(loss, weights, y_true, y_pred, flat_names, owner):
    """compile's loss (and loss_weights) walked against the targets y_true and the
    outputs y_pred, as Keras 3's CompileLoss builds: a list of LossEntry. A loss
    where the outputs have a structure is given that structure; a list of losses
    where the outputs are not a list of the same type applies each to them; a dict of
    losses on outputs in a list goes by output name (flat_names, the model's output
    layers' names in the outputs' order). KeyError for a path of the losses that the
    outputs or targets do not have."""
    from fastnn.trainers.data_adapters import tree
    if flat_names and isinstance(loss, dict) and not isinstance(y_pred, dict):
        # by output name, in output order (an output left out has no loss)
        loss = [loss.get(n) for n in flat_names]
        if isinstance(weights, dict):
            weights = [weights.get(n) for n in flat_names]
    node = _pair_weights(loss, weights, owner)
    n_out = len(tree.flatten(y_pred))
    try:
        names = tree.pack_sequence_as(y_pred, list(flat_names)) \
            if flat_names is not None and len(flat_names) == n_out else None
    except ValueError:
        names = None
    if names is None:
        names = tree.map_structure(lambda _: None, y_pred)
    if not tree.is_nested(node):
        node = tree.map_structure(lambda _: node, y_pred)
    entries = []

    def leaf_name(path, names, resolved):
        shown = path
        if not tree.is_nested(names):
            label = names if names is not None else resolved.name
            if not shown:
                shown = (label,)
            elif isinstance(shown[-1], int):
                shown = shown[:-1] + (label,)
        name = "/".join(str(p) for p in shown)
        if not name:      # a loss over the whole structure of outputs
            keys = list(names) if isinstance(names, dict) else tree.flatten(names)
            name = "_".join(str(k) for k in keys)
        return name

    def has(obj, key):
        if isinstance(obj, dict):
            return key in obj
        return isinstance(obj, (list, tuple)) and isinstance(key, int) and key < len(obj)

    def walk(yt, yp, node, names, path):
        if node is None:
            return
        if not tree.is_nested(node):
            if node.loss is None:
                return
            resolved = get_loss(node.loss, owner)
            entries.append(LossEntry(path, resolved, node.weight,
                                     leaf_name(path, names, resolved)))
            return
        if isinstance(node, (list, tuple)) and not isinstance(node, dict):
            if all(not tree.is_nested(v) for v in node) and len(node) == len(tree.flatten(yp)) \
                    and tree.is_nested(yp):
                node = tree.pack_sequence_as(yp, list(node))     # one loss per leaf
            elif not isinstance(yp, type(node)):
                for sub in node:            # each loss on these outputs as they are
                    walk(yt, yp, sub, names, path)
                return
        if not isinstance(node, type(yp)) and not (
                isinstance(node, dict) and isinstance(yp, dict)):
            raise KeyError(f"{owner}: the path {path} in the `loss` argument, can't be "
                           f"found in the model's output (`y_pred`)")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, sub in items:
            if sub is None:
                continue
            if not (has(yt, key) and has(yp, key)):
                raise KeyError(f"{owner}: the path {path + (key,)} in the `loss` argument, "
                               f"can't be found in either the model's output (`y_pred`) "
                               f"or in the labels (`y_true`)")
            walk(yt[key], yp[key], sub, names[key] if tree.is_nested(names) else None,
                 path + (key,))

    walk(y_true, y_pred, node, names, ())
    return entries


def same_containers(a, b):
    """Whether two structures nest alike in containers of the same types (a named
    tuple is not a tuple, a list is not a tuple), dicts with the same keys."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and \
            all(same_containers(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and \
            all(same_containers(x, y) for x, y in zip(a, b))
    return True


def at_path(structure, path):
    """The value at `path` (keys and indices) in a structure."""
    for key in path:
        structure = structure[key]
    return structure
