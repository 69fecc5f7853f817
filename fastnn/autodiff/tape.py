"""Reverse-mode recording: the thread-local tape stack, `record`, `GradientTape`.

How it works (the contract is in the package docstring, `fastnn/autodiff/__init__.py`):

- Each thread has a stack of recording tapes (`_state.tapes`). With none, an operation
  costs one thread-local check more than its NumPy call, and nothing is kept.
- A tape tracks values by identity: the values it watches (`GradientTape.watch`, or a
  trainable `Variable` read by an operation when `watch_accessed_variables`) and the
  outputs of the operations it recorded. It holds a reference to each, so an id
  stays that value's while the tape lives.
- An operation is recorded on a tape when one of its inputs is tracked there: a node
  keeps the tracked inputs' ids, the outputs and the vector-Jacobian product function
  (`vjp(*output_grads) -> one gradient per input`). Its outputs become tracked.
- `gradient` walks the nodes that lead from the sources to the target in reverse order
  of recording, accumulating gradients by id. The VJPs are written with the
  differentiable operations, so when an outer tape is recording, the backward pass is
  itself recorded there (second derivatives), and when none is, it runs as plain NumPy.
"""
import contextlib
import numbers
import threading

import numpy as np

from fastnn.tensor import Tensor, Variable

__all__ = ["GradientTape", "record", "should_record", "is_recording", "stop_recording",
           "watch", "UnconnectedGradients"]

_ndview = np.ndarray.view


class _Local(threading.local):
    def __init__(self):
        self.tapes = []      # this thread's recording tapes, the innermost last
        self.differentiating = None    # the tape whose gradient _backward takes now


_state = _Local()


# ----------------------------------------------------------------------- values
def _raw(x):
    """A Tensor (or Variable) as a plain ndarray view; anything else unchanged."""
    return _ndview(x, np.ndarray) if isinstance(x, Tensor) else x


def _wrap(r):
    """A NumPy result as a Tensor (a 0-d one for a NumPy scalar)."""
    if type(r) is np.ndarray:
        return _ndview(r, Tensor)
    return _ndview(np.asarray(r), Tensor)


# ------------------------------------------------------------ active-tape count
# NumPy's protocols are set on Tensor only while some thread has a recording tape
# (fastnn/autodiff/dispatch.py): with none, NumPy on Tensors costs what it costs on
# ndarrays.
_count_lock = threading.Lock()
_active = [0]
_on_first = []      # callables run when the count goes 0 -> 1 (dispatch.install)
_on_last = []       # and 1 -> 0 (dispatch.remove)


def _push(tape):
    _state.tapes.append(tape)
    with _count_lock:
        _active[0] += 1
        if _active[0] == 1:
            for f in _on_first:
                f()


def _pop(tape):
    tapes = _state.tapes
    for i in range(len(tapes) - 1, -1, -1):
        if tapes[i] is tape:
            del tapes[i]
            break
    else:
        return
    with _count_lock:
        _active[0] -= 1
        if _active[0] == 0:
            for f in _on_last:
                f()


class hooks_held:
    """A context in which NumPy's protocols stay on Tensor, tape or no tape: a training
    loop that opens a tape per step holds them over all its steps instead of setting
    and removing them at every step (about 50 class attribute changes a step, each
    flushing Python's method caches). Nothing computes differently: without a
    recording tape the protocols compute as NumPy does."""

    def __enter__(self):
        with _count_lock:
            _active[0] += 1
            if _active[0] == 1:
                for f in _on_first:
                    f()
        return self

    def __exit__(self, *exc):
        with _count_lock:
            _active[0] -= 1
            if _active[0] == 0:
                for f in _on_last:
                    f()


# -------------------------------------------------------------- tapes and nodes
class _Node:
    __slots__ = ("in_ids", "out_ids", "outputs", "vjp", "name")

    def __init__(self, in_ids, out_ids, outputs, vjp, name):
        self.in_ids = in_ids        # id per input, None where the tape does not track it
        self.out_ids = out_ids
        self.outputs = outputs      # the output values (zeros for an unused one)
        self.vjp = vjp
        self.name = name


class _Tape:
    """What one GradientTape records between two resets."""
    __slots__ = ("tracked", "nodes", "variables", "watch_accessed", "persistent")

    def __init__(self, watch_accessed, persistent=False):
        self.tracked = {}           # id -> value: watched values and recorded outputs
        self.nodes = []
        self.variables = {}         # id -> Variable, in the order first watched
        self.watch_accessed = watch_accessed
        self.persistent = persistent     # (its gradient may be taken again, of a gradient)

    def watch(self, x):
        i = id(x)
        if i not in self.tracked:
            self.tracked[i] = x
        if isinstance(x, Variable) and i not in self.variables:
            self.variables[i] = x

    def hit(self, inputs):
        """Whether an operation on `inputs` is recorded here. When this tape watches
        accessed variables, the trainable Variables among them are watched first."""
        tracked = self.tracked
        if self.watch_accessed:
            for x in inputs:
                if isinstance(x, Variable) and x._trainable and id(x) not in tracked:
                    self.watch(x)
        for x in inputs:
            if id(x) in tracked:
                return True
        return False


def is_recording():
    """Whether a tape is recording in this thread (one thread-local check)."""
    return bool(_state.tapes)


def records_backward():
    """Whether a vjp running now is itself followed: a tape records in this thread other
    than the one whose gradient is being taken (nested tapes: the outer one takes a
    second derivative through it), or that one is persistent and still recording (it
    may take the gradient of this gradient). A vjp built on C kernels gives first
    derivatives only; the built-in layers' vjps switch to differentiable ops then. (A
    non-persistent tape's gradient taken inside its own block does not count: nothing
    can follow it.)"""
    tapes = _state.tapes
    if not tapes:
        return False
    current = _state.differentiating
    return any(t is not current or t.persistent for t in tapes)


def _first_order(vjp, inputs, name):
    """vjp, a backward pass built on C kernels with no differentiable form, for
    record(..., first_order=True): where a tape other than the one differentiating
    follows the gradient taken through it (records_backward: nested tapes, or another
    tape recording meanwhile), the gradients it gives are recorded there as the outputs
    of an operation whose own gradient raises a ValueError naming this one. A tape that
    never differentiates through them (a second tape open beside the first) is not
    troubled; one that does (a second derivative) is told, rather than given a
    derivative without this operation's part."""
    def first_order_vjp(*gs):
        grads = vjp(*gs)
        if not records_backward():
            return grads
        grads = list(grads)
        at = [i for i, g in enumerate(grads) if g is not None]
        if at:
            def refuse(*_):
                raise ValueError(
                    f"{name}: a second derivative through it is asked for (nested "
                    f"GradientTapes), and fastnn computes its backward pass with a C "
                    f"kernel, which gives first derivatives only. Second derivatives pass "
                    f"through Dense layers, the activations, Dropout and fastnn's "
                    f"differentiable ops")
            made = record(tuple(inputs) + tuple(gs), tuple(grads[i] for i in at), refuse,
                          name=f"{name} (its gradient)")
            for i, t in zip(at, made):
                grads[i] = t
        return grads
    return first_order_vjp


def should_record(inputs):
    """Whether `record(inputs, ...)` would record anything: a tape is recording in this
    thread and one of `inputs` is tracked there, or is a trainable Variable and that
    tape watches accessed variables. Lets a caller skip keeping what only the backward
    pass needs. (Watches those Variables, as reading them does.)

    Parameters
    ----------
    inputs : sequence
        The inputs the operation would be recorded with.

    Returns
    -------
    bool
        Whether ``record`` would record.
    """
    tapes = _state.tapes
    if not tapes:
        return False
    hit = False
    for tape in tapes:
        if tape.hit(inputs):
            hit = True
    return hit


def _record(inputs, outputs, vjp, name):
    """Record on every tape of this thread that tracks one of `inputs`. `outputs` is a
    tuple of Tensors not tracked anywhere yet. Callers check `_state.tapes` first."""
    for tape in _state.tapes:
        if not tape.hit(inputs):
            continue
        tracked = tape.tracked
        in_ids = tuple([id(x) if id(x) in tracked else None for x in inputs])
        out_ids = tuple([id(o) for o in outputs])
        for o in outputs:
            tracked[id(o)] = o
        tape.nodes.append(_Node(in_ids, out_ids, outputs, vjp, name))


def _tracked_anywhere(x):
    i = id(x)
    for tape in _state.tapes:
        if i in tape.tracked:
            return True
    return False


def record(inputs, outputs, vjp, *, name=None, first_order=False):
    """Record one operation computed outside the differentiable ops (a C kernel, say).

    Without a recording tape this costs one thread-local check and a view per output.
    For second derivatives, write ``vjp`` with ``fastnn.autodiff`` ops (it runs under the
    outer tapes); a vjp built on C kernels gives first derivatives, and may test
    ``is_recording()`` to choose between the two.

    Parameters
    ----------
    inputs : sequence
        The operation's inputs, as given to it (Tensors, Variables, arrays, numbers or
        None). Only Tensors can be tracked: gradients flow to the inputs that a recording
        tape watches or got from recorded operations.
    outputs : array or tuple or list of arrays
        The operation's result.
    vjp : callable
        ``vjp(*output_grads)`` returns a sequence with one entry per input: the gradient
        of the sum of ``output * output_grad`` with respect to that input, an array of
        the input's shape (broadcasting already summed away), or None for an input
        without one (an integer input, a flag). It receives one gradient per output, each
        of its output's shape, zeros for an output the target does not depend on.
    name : str, optional
        A label shown in errors.
    first_order : bool
        Whether ``vjp`` gives first derivatives only (C kernels with no differentiable
        form): then a second derivative through it raises a ValueError naming it
        (``name``) instead of leaving its part out. Default False.

    Returns
    -------
    Tensor or tuple of Tensors
        The outputs as Tensors: use these, not the arrays passed in, from here on (the
        tape knows these).
    """
    single = not isinstance(outputs, (tuple, list))
    outs = (outputs,) if single else tuple(outputs)
    if not callable(vjp):
        raise TypeError(f"record: vjp must be a function, got {type(vjp).__name__} {vjp!r}")
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(f"record: inputs must be a list or tuple of the operation's inputs, "
                        f"got {type(inputs).__name__}")
    res = []
    for k, o in enumerate(outs):
        if not isinstance(o, (np.ndarray, np.generic, numbers.Number)):
            raise TypeError(f"record: outputs must be arrays, got {type(o).__name__} at "
                            f"position {k}")
        if type(o) is Tensor and not any(o is x for x in inputs) and \
                not (_state.tapes and _tracked_anywhere(o)):
            res.append(o)
        else:
            res.append(_wrap(_raw(o)) if isinstance(o, np.ndarray) else _wrap(o))
    res = tuple(res)
    if _state.tapes:
        if first_order:
            vjp = _first_order(vjp, inputs, name or getattr(vjp, "__name__", "operation"))
        n_in = len(inputs)
        label = name or getattr(vjp, "__name__", "operation")

        def checked_vjp(*gs):
            grads = vjp(gs[0]) if single else vjp(*gs)
            if grads is None or isinstance(grads, np.ndarray) or \
                    not hasattr(grads, "__len__") or len(grads) != n_in:
                raise ValueError(f"{label}: the vjp must return a sequence of {n_in} "
                                 f"gradient(s), one per input, got {_describe(grads)}")
            return grads
        _record(tuple(inputs), res, checked_vjp, label)
    return res[0] if single else res


def _describe(v):
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, (tuple, list)):
        return f"{len(v)} value(s)"
    return type(v).__name__


# ------------------------------------------------------------------- structures
def _flatten(x):
    """Leaves of a nest of lists, tuples and dicts (dicts in sorted key order)."""
    if isinstance(x, dict):
        out = []
        for k in sorted(x, key=_sort_key):
            out.extend(_flatten(x[k]))
        return out
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_flatten(v))
        return out
    return [x]


def _sort_key(k):
    return (type(k).__name__, k) if not isinstance(k, (int, float, str)) else \
        (0, k) if isinstance(k, (int, float)) else (1, k)


def _pack(structure, flat):
    """The inverse of _flatten: `flat` in the shape of `structure`."""
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            vals = {k: build(s[k]) for k in sorted(s, key=_sort_key)}
            return type(s)((k, vals[k]) for k in s) if type(s) is not dict else \
                {k: vals[k] for k in s}
        if isinstance(s, tuple) and hasattr(s, "_fields"):      # namedtuple
            return type(s)(*[build(v) for v in s])
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s)
        return next(it)
    return build(structure)


# ------------------------------------------------------------------ the backward
class UnconnectedGradients:
    """What `gradient` gives for a source the target does not depend on."""
    NONE = "none"
    ZERO = "zero"


def _unconnected(value):
    v = getattr(value, "value", value)
    if v in ("none", "zero"):
        return v
    raise ValueError(f"unconnected_gradients must be 'none' or 'zero' (or "
                     f"UnconnectedGradients.NONE / .ZERO), got {value!r}")


def _is_float(x):
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "fc"


def _backward(tape, targets, seeds, source_ids):
    """Gradients {id: array} of sum(target * seed) for the tracked `source_ids`."""
    before = _state.differentiating
    _state.differentiating = tape
    try:
        return _backward_pass(tape, targets, seeds, source_ids)
    finally:
        _state.differentiating = before


def _backward_pass(tape, targets, seeds, source_ids):
    from fastnn.autodiff import primitives as P    # the differentiable add / cast / zeros
    tracked = tape.tracked
    nodes = tape.nodes[:]                 # a persistent tape may record this very pass
    # Only nodes on a path from a source matter.
    reach = set(source_ids)
    relevant = []
    for node in nodes:
        for i in node.in_ids:
            if i is not None and i in reach:
                relevant.append(node)
                reach.update(node.out_ids)
                break
    grads = {}
    for t, s in zip(targets, seeds):
        i = id(t)
        if i in reach:
            grads[i] = P.add(grads[i], s) if i in grads else s
    keep = set(source_ids)
    for node in reversed(relevant):
        out_ids = node.out_ids
        if len(out_ids) == 1:                        # the common case, kept short
            oid = out_ids[0]
            g = grads.get(oid) if oid in keep else grads.pop(oid, None)
            if g is None:
                continue
            in_grads = node.vjp(g)
        else:
            gs = [grads.get(oid) if oid in keep else grads.pop(oid, None)
                  for oid in out_ids]
            if all(g is None for g in gs):
                continue
            in_grads = node.vjp(*[P.zeros_like(o) if g is None else g
                                  for g, o in zip(gs, node.outputs)])
        for iid, g in zip(node.in_ids, in_grads):
            if iid is None or g is None or iid not in reach:
                continue
            x = tracked[iid]
            if x.dtype.kind not in "fc":
                continue
            if not isinstance(g, np.ndarray) or g.shape != x.shape or g.dtype != x.dtype:
                g = _conform(g, x, node.name)
            grads[iid] = P.add(grads[iid], g) if iid in grads else g
    return grads


def _conform(g, x, name):
    """g as an array of x's shape and dtype, or an error naming the operation."""
    from fastnn.autodiff import primitives as P
    if not isinstance(g, np.ndarray):
        g = _wrap(np.asarray(g))
    if g.shape != x.shape:
        if g.size == x.size and g.ndim != x.ndim and (g.ndim == 0 or x.ndim == 0):
            g = P.reshape(g, x.shape)
        else:
            raise ValueError(f"{name}: its vjp returned a gradient of shape {g.shape} for an "
                             f"input of shape {x.shape}")
    if g.dtype != x.dtype:
        g = P.cast(g, x.dtype)
    return g


# ------------------------------------------------------------------ GradientTape
def _check_bool(v, name, owner):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {type(v).__name__} "
                        f"{v!r}")
    return bool(v)


def _check_watchable(t, what):
    if not isinstance(t, Tensor):
        raise TypeError(
            f"{what} takes Tensors or Variables (fastnn.autodiff.convert_to_tensor, "
            f"fastnn.Variable), got {type(t).__name__}"
            + (f" of shape {t.shape}" if isinstance(t, np.ndarray) else f" {t!r}")
            + ("; a NumPy array cannot be tracked: convert it first"
               if isinstance(t, np.ndarray) else ""))
    return t


_ONE_SET = ("A non-persistent GradientTape can only be used to compute one set of "
            "gradients (or jacobians)")


class GradientTape:
    """Records operations for automatic differentiation (TensorFlow's tf.GradientTape).

    Operations run inside `with GradientTape() as tape:` are recorded when one of their
    inputs is watched: a value passed to `tape.watch`, the output of a recorded
    operation, or (by default) a trainable `Variable`::

        x = fastnn.autodiff.convert_to_tensor(3.0)
        with GradientTape() as g:
            g.watch(x)
            y = x * x
        g.gradient(y, x)            # 6.0

    Tapes nest: an outer tape records the inner tape's gradient computation, so its
    own gradient of that result is a second derivative. A non-persistent tape gives one
    set of gradients (`gradient` or `jacobian`) and then releases what it recorded;
    `persistent=True` keeps it until the tape is deleted.

    Parameters
    ----------
    persistent : bool
        Whether the tape may compute gradients more than once. Default False: it
        releases what it recorded after the first ``gradient`` or ``jacobian``.
    watch_accessed_variables : bool
        Whether trainable Variables read inside the block are watched by themselves.
        Default True; with False only what ``watch`` is given is.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = _check_bool(persistent, "persistent", "GradientTape")
        self._watch_accessed = _check_bool(watch_accessed_variables,
                                           "watch_accessed_variables", "GradientTape")
        self._tape = None
        self._recording = False
        self._used = False
        self._watched = ()          # the watched Variables, kept after a release

    # -- context
    def __enter__(self):
        self._push()
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop()

    def _push(self):
        if self._recording:
            raise ValueError("GradientTape: the tape is already recording (a tape cannot "
                             "be entered again inside its own with-block)")
        if self._tape is None:
            self._tape = _Tape(self._watch_accessed, self._persistent)
        _push(self._tape)
        self._recording = True

    def _pop(self):
        _pop(self._tape)
        self._recording = False

    @contextlib.contextmanager
    def stop_recording(self):
        """Operations run inside `with tape.stop_recording():` are not recorded on this
        tape (other tapes still record them). Raises RuntimeError outside the tape's
        with-block."""
        if not self._recording:
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        self._pop()
        try:
            yield
        finally:
            self._push()

    def reset(self):
        """Forget everything recorded and watched so far, as if the with-block had been
        left and a new tape entered."""
        recording = self._recording
        if recording:
            self._pop()
        self._tape = None
        self._used = False
        self._watched = ()
        if recording:
            self._push()

    # -- watching
    def watch(self, tensor):
        """Track `tensor` (a Tensor or Variable, or a list / tuple / dict of them).

        Parameters
        ----------
        tensor : Tensor, Variable or structure of them
            What to track.
        """
        if self._tape is None:
            self._tape = _Tape(self._watch_accessed, self._persistent)
        for t in _flatten(tensor):
            self._tape.watch(_check_watchable(t, "GradientTape.watch"))

    def watched_variables(self):
        """The Variables this tape watches, in the order they were first watched (still
        answered after a non-persistent tape gave its gradients)."""
        return tuple(self._tape.variables.values()) if self._tape is not None \
            else self._watched

    # -- gradients
    def _take_tape(self, what):
        if self._tape is None:
            if self._used:
                raise RuntimeError(_ONE_SET)
            raise RuntimeError(f"GradientTape.{what}: nothing was recorded: call it after "
                               f"running the computation inside `with tape:`")
        if self._recording and not self._persistent:
            self._pop()      # as TensorFlow: the gradient computation is not recorded here
        return self._tape

    def _release(self):
        if not self._persistent:
            self._watched = tuple(self._tape.variables.values())
            self._tape = None
            self._used = True

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(target)/d(sources): the gradient of the sum of all elements of `target`
        (or of the sum over a list / nest of targets), weighted by `output_gradients`
        when given (one array per target, of its shape). `sources`: a Tensor or
        Variable, or a list / tuple / dict / nest of them; the result has the same
        structure. A source the target does not depend on gives None, or zeros with
        unconnected_gradients="zero".

        Parameters
        ----------
        target : Tensor or structure of Tensors
            What to differentiate.
        sources : Tensor, Variable or structure of them
            What to differentiate with respect to.
        output_gradients : array or list of arrays, optional
            Weights of the target's elements, one array per target. Default None:
            all 1.
        unconnected_gradients : str
            ``'none'`` (the default: None for a source the target does not depend
            on) or ``'zero'`` (zeros).

        Returns
        -------
        Tensor or structure of Tensors
            The gradients, in the structure of ``sources``.
        """
        how = _unconnected(unconnected_gradients)
        tape = self._take_tape("gradient")
        try:
            flat_sources = _flatten(sources)
            for s in flat_sources:
                _check_watchable(s, "GradientTape.gradient: sources")
            targets, seeds = self._targets(target, output_gradients)
            ids = [id(s) for s in flat_sources if id(s) in tape.tracked]
            grads = _backward(tape, targets, seeds, ids) if ids and targets else {}
            out = [self._result(grads.get(id(s)), s, how) for s in flat_sources]
        finally:
            self._release()
        return _pack(sources, out)

    @staticmethod
    def _result(g, source, how):
        if g is None:
            if how == "zero" and _is_float(source):
                return _wrap(np.zeros(source.shape, source.dtype))
            return None
        return g if isinstance(g, Tensor) else _wrap(g)

    @staticmethod
    def _targets(target, output_gradients):
        flat = _flatten(target)
        if output_gradients is None:
            ograds = [None] * len(flat)
        else:
            ograds = _flatten(output_gradients)
            if len(ograds) != len(flat):
                raise ValueError(f"GradientTape.gradient: output_gradients must hold one "
                                 f"array per target ({len(flat)}), got {len(ograds)}")
        targets, seeds = [], []
        for t, og in zip(flat, ograds):
            if not isinstance(t, Tensor) or not _is_float(t):
                continue        # a number, a plain array or integers: nothing flows
            if og is None:
                seed = _wrap(np.ones(t.shape, t.dtype))
            else:
                seed = og if isinstance(og, Tensor) else _wrap(np.asarray(og))
                if seed.shape != t.shape:
                    if seed.size == t.size and (seed.ndim == 0 or t.ndim == 0):
                        seed = _wrap(np.reshape(_raw(seed), t.shape))
                    else:
                        raise ValueError(f"GradientTape.gradient: output_gradients must "
                                         f"have the target's shape {t.shape}, got "
                                         f"{seed.shape}")
                if seed.dtype != t.dtype:
                    from fastnn.autodiff import primitives as P
                    seed = P.cast(seed, t.dtype)
            targets.append(t)
            seeds.append(seed)
        return targets, seeds

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of `target` with respect to each source: an array of shape
        target.shape + source.shape per source (same structure as `sources`). One
        backward pass per element of target.

        Parameters
        ----------
        target : Tensor
            What to differentiate.
        sources : Tensor, Variable or structure of them
            What to differentiate with respect to.
        unconnected_gradients : str
            ``'none'`` (the default) or ``'zero'``, as in ``gradient``.
        parallel_iterations, experimental_use_pfor : optional
            TensorFlow's options, accepted and ignored.

        Returns
        -------
        Tensor or structure of Tensors
            The Jacobians.
        """
        how = _unconnected(unconnected_gradients)
        tape = self._take_tape("jacobian")
        try:
            flat_sources = _flatten(sources)
            for s in flat_sources:
                _check_watchable(s, "GradientTape.jacobian: sources")
            _check_watchable(target, "GradientTape.jacobian: target")
            out = self._jacobian(tape, target, flat_sources, how, batch=False)
        finally:
            self._release()
        return _pack(sources, out)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: target (b, ...) and source (b, ...) whose rows are
        independent give (b,) + target.shape[1:] + source.shape[1:].

        Parameters
        ----------
        target : Tensor
            What to differentiate, batch axis first.
        source : Tensor
            What to differentiate with respect to, batch axis first.
        unconnected_gradients : str
            ``'none'`` (the default) or ``'zero'``, as in ``gradient``.
        parallel_iterations, experimental_use_pfor : optional
            TensorFlow's options, accepted and ignored.

        Returns
        -------
        Tensor
            The per-example Jacobians.
        """
        how = _unconnected(unconnected_gradients)
        tape = self._take_tape("batch_jacobian")
        try:
            _check_watchable(source, "GradientTape.batch_jacobian: source")
            _check_watchable(target, "GradientTape.batch_jacobian: target")
            if target.ndim < 1 or source.ndim < 1 or target.shape[0] != source.shape[0]:
                raise ValueError(f"GradientTape.batch_jacobian: target and source must "
                                 f"share their first (batch) dimension, got shapes "
                                 f"{target.shape} and {source.shape}")
            out = self._jacobian(tape, target, [source], how, batch=True)[0]
        finally:
            self._release()
        return out

    def _jacobian(self, tape, target, flat_sources, how, batch):
        from fastnn.autodiff import primitives as P
        ids = [id(s) for s in flat_sources if id(s) in tape.tracked]
        if batch:
            b = target.shape[0]
            inner = int(np.prod(target.shape[1:], dtype=np.int64))
            count = inner
        else:
            count = target.size
        rows = [[] for _ in flat_sources]
        connected = [False] * len(flat_sources)
        if _is_float(target) and ids:
            for j in range(count):
                seed = np.zeros(target.shape, target.dtype)
                if batch:
                    seed.reshape(b, inner)[:, j] = 1
                else:
                    seed.reshape(-1)[j] = 1
                grads = _backward(tape, [target], [_wrap(seed)], ids)
                for k, s in enumerate(flat_sources):
                    g = grads.get(id(s))
                    if g is not None:
                        connected[k] = True
                    rows[k].append(g)
        out = []
        for k, s in enumerate(flat_sources):
            if not connected[k]:
                if how == "zero" and _is_float(s):
                    shape = ((target.shape[0],) + target.shape[1:] + s.shape[1:]) if batch \
                        else target.shape + s.shape
                    out.append(_wrap(np.zeros(shape, s.dtype)))
                else:
                    out.append(None)
                continue
            gs = [P.zeros_like(s) if g is None else g for g in rows[k]]
            if batch:
                # each g is (b,) + s.shape[1:]: stack on axis 1, then split target dims
                j = P.stack(gs, axis=1) if gs else _wrap(np.zeros((b, 0) + s.shape[1:], s.dtype))
                out.append(P.reshape(j, (b,) + target.shape[1:] + s.shape[1:]))
            else:
                j = P.stack(gs, axis=0) if gs else _wrap(np.zeros((0,) + s.shape, s.dtype))
                out.append(P.reshape(j, target.shape + s.shape))
        return out


def watch(tensor):
    """Watch `tensor` on every tape recording in this thread.

    Parameters
    ----------
    tensor : Tensor or list of Tensors
        What to watch.
    """
    for tape in _state.tapes:
        for t in _flatten(tensor):
            tape.watch(_check_watchable(t, "watch"))


@contextlib.contextmanager
def stop_recording():
    """Nothing inside `with stop_recording():` is recorded on this thread's tapes."""
    saved = list(_state.tapes)
    for t in reversed(saved):
        _pop(t)
    try:
        yield
    finally:
        for t in saved:
            _push(t)
