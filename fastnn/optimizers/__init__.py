"""Optimizers (keras.optimizers) with Keras 3 defaults and update formulas.

The base class does the bookkeeping once (learning-rate schedule, clipping, slot
creation, iterations, state for saving); each subclass names its slots and calls
its in-place fastnn.ops update.
"""
import inspect
import math
import numbers
import warnings

import numpy as np

from fastnn.optimizers import schedules
from fastnn.optimizers.schedules import LearningRateSchedule
from fastnn import _argcheck, _changes, _kernels, kernel_ops as ops
from fastnn import _registry
from fastnn.tensor import Scalar as _Scalar
from fastnn.tensor import Variable as _Variable


def _check_float(owner, name, value, lo=None, hi=None, lo_open=False, hi_open=False):
    """`value` as a finite float in the given range (TypeError for anything that is not a
    real number, ValueError otherwise), named in the message as ``owner: name``."""
    return _argcheck.real(value, name, owner, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)


# The smallest epsilon that survives in float32: the kernels flush denormals to zero,
# and an epsilon of 0 turns a zero gradient (a dead ReLU unit's) into 0/0 = NaN.
_TINY = float(np.finfo(np.float32).tiny)
_F32_MAX = float(np.finfo(np.float32).max)


def _takes_no_argument(lr):
    """Whether the callable learning rate `lr` is called with no argument: Keras calls a
    callable that is not a LearningRateSchedule so. One that needs an argument (fastnn
    also takes a plain function of the step, as a schedule) gets the step."""
    if isinstance(lr, LearningRateSchedule):
        return False
    try:
        inspect.signature(lr).bind()
    except TypeError:           # it needs an argument: the step
        return False
    except ValueError:          # no signature to read (some built-ins): as Keras
        pass
    return True


def _label(variable, i):
    """How a message names the variable at position i of a step's list: its path or
    name, else its position and shape."""
    name = getattr(variable, "path", None) or getattr(variable, "name", None)
    return name if isinstance(name, str) and name else \
        f"variable {i} (shape {tuple(np.shape(variable))})"


_LARGEST = {}


def _largest(dtype):
    """float(np.finfo(dtype).max), looked up once per dtype (a step asks per variable)."""
    top = _LARGEST.get(dtype)
    if top is None:
        top = _LARGEST[dtype] = float(np.finfo(dtype).max)
    return top


def _check_momentum(owner, value):
    """A momentum in [0, 1], 0 or a normal double: the kernels read denormals as 0, and a
    denormal momentum would keep a slot that the update never touches."""
    mu = _check_float(owner, "momentum", value, 0, 1)
    if 0 < mu < ops._TINY64:
        raise ValueError(f"{owner}: momentum must be 0 or at least {ops._TINY64!r} (the "
                         f"smallest normal double; the kernels read smaller numbers as 0), "
                         f"got {_argcheck.shown(value)}")
    return mu


def _check_epsilon(owner, value):
    eps = _check_float(owner, "epsilon", value, 0)
    if eps < _TINY:
        raise ValueError(f"{owner}: epsilon must be >= {_TINY:g} (float32's smallest normal "
                         f"number; a smaller one is 0 in the update, and a zero gradient "
                         f"then gives 0/0 = NaN), got {_argcheck.shown(value)}")
    return eps


class LearningRate(_Scalar):
    """A constant learning rate as ``optimizer.learning_rate`` reads it: the float, with
    the methods Keras code calls on the variable Keras returns there:
    ``.assign(value)`` sets the optimizer's rate (checked as the setter checks it) and
    ``.numpy()`` gives the value as float32. Like any read of a variable's value, the
    float itself does not follow later changes: read the attribute again for those.

    Parameters
    ----------
    value : float
        The learning rate.
    optimizer : Optimizer
        The optimizer whose rate ``assign`` sets.
    """

    def __new__(cls, value, optimizer):
        obj = super().__new__(cls, value)
        obj._optimizer = optimizer
        return obj

    def assign(self, value):
        self._optimizer.learning_rate = value
        return self._optimizer.learning_rate

    def numpy(self):   # a float32 variable in Keras
        return np.float32(self)


class _HeldVariable(_Variable):
    """One of ``optimizer.variables`` whose value the optimizer keeps as a number (its
    step count, its learning rate): a 0-d variable with that value, which passes on
    what ``assign``, ``assign_add`` or ``assign_sub`` give it to the optimizer."""

    def _passed_on(self):
        self.__dict__["_pass_on"](self[()])
        return self

    def assign(self, value):
        super().assign(value)
        return self._passed_on()

    def assign_add(self, delta):
        super().assign_add(delta)
        return self._passed_on()

    def assign_sub(self, delta):
        super().assign_sub(delta)
        return self._passed_on()


def _optimizer_variable(array, name, scope, pass_on=None):
    """`array` as one of an optimizer's variables named `name` with the path
    ``scope/name``: a view of it (writes reach it), or a _HeldVariable that calls
    pass_on(value) after each assignment."""
    v = array.view(_HeldVariable if pass_on is not None else _Variable)
    v.trainable = False
    v.name = name
    v.path = f"{scope}/{name}" if scope else name
    if pass_on is not None:
        v._pass_on = pass_on
    return v


class Optimizer:
    """keras.optimizers.Optimizer: the base class of the optimizers.
    ``apply_gradients(grads_and_vars)`` (or ``apply(grads, variables)``) updates the
    variables in place: the gradients are clipped if asked, weight decay is applied, then
    the subclass's update rule runs. ``compile(optimizer=...)`` takes an optimizer object or
    its name.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        The step size: a number, a schedule from ``fastnn.optimizers.schedules``
        giving it for each step, or a function called at each step: with no argument
        (as Keras calls one) if it takes none, else with the step. Default 0.001.
    weight_decay : float, optional
        Decoupled weight decay: before each update, every decayed variable is shrunk by
        ``w -= w * weight_decay * learning_rate``. Default None: none.
    clipnorm : float, optional
        Each gradient is rescaled so that its L2 norm is at most this. Default None.
    clipvalue : float, optional
        Each gradient's entries are clipped to ``[-clipvalue, clipvalue]``. Default
        None.
    global_clipnorm : float, optional
        All gradients together are rescaled so that their joint L2 norm is at most
        this. Default None. At most one of the three clipping arguments may be given.
    use_ema : bool, default False
        Keep an exponential moving average of each variable (a slot ``"average"``):
        average = ema_momentum * average + (1 - ema_momentum) * variable after every
        step (the average starts at the variable). ``fit`` gives the weights their
        averages after its last epoch (``finalize_variable_values``);
        ``callbacks.SwapEMAWeights`` evaluates with them.
    ema_momentum : float, default 0.99
        In [0, 1].
    ema_overwrite_frequency : int, optional
        With use_ema: every this many updates the variables take their averages.
    gradient_accumulation_steps : int, optional
        At least 2: the gradients are summed (a slot ``"gradient_accumulator"``) and every
        n-th call updates the variables with their mean; ``iterations`` then counts the
        updates, while a learning-rate schedule reads the number of calls (as Keras).
    loss_scale_factor : float, optional
        A fixed loss scale: ``scale_loss(loss)`` multiplies the loss by it, and each
        step divides the gradients by it before anything else. ``fit`` scales the loss
        it differentiates. Default None: no scaling.
    name : str, optional
        The optimizer's name.
    """
    # a callable learning rate that is called with no argument, as Keras calls one
    # (set by _check_lr)
    _rate_no_argument = False

    _slot_names = ()
    _loss_scale = None              # loss_scale_factor
    _overwritten = frozenset()      # indices of variables with overwrite_with_gradient

    def __setattr__(self, name, value):
        if name not in _changes.RUN_STATE:
            _changes.count[0] += 1     # the engine's plans read the optimizer's settings
        object.__setattr__(self, name, value)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        owner = type(self).__name__
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{owner}: only one of clipnorm, clipvalue and global_clipnorm may be "
                             f"set, got clipnorm={clipnorm!r}, clipvalue={clipvalue!r}, "
                             f"global_clipnorm={global_clipnorm!r}")
        self.clipnorm = None if clipnorm is None else _check_float(owner, "clipnorm", clipnorm, 0, lo_open=True)
        self.clipvalue = None if clipvalue is None else _check_float(owner, "clipvalue", clipvalue, 0, lo_open=True)
        self.global_clipnorm = None if global_clipnorm is None else _check_float(
            owner, "global_clipnorm", global_clipnorm, 0, lo_open=True)
        self.weight_decay = None if weight_decay is None else _check_float(owner, "weight_decay", weight_decay, 0)
        self.name = _argcheck.string(name, "name", owner, allow_none=True)
        if not self.name:       # Keras' automatic names: adam, adam_1, ...; adam_w for AdamW
            from fastnn.layers.layer import _auto_name, _snake
            self.name = _auto_name(_snake(owner))
        self._learning_rate = self._check_lr(learning_rate)
        self._slots = None          # list (one per variable) of dicts slot name -> array
        self.use_ema = use_ema
        self.ema_momentum = _check_float(owner, "ema_momentum", ema_momentum, 0, 1)
        self.ema_overwrite_frequency = _argcheck.integer(
            ema_overwrite_frequency, "ema_overwrite_frequency", owner, lo=1, allow_none=True)
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.loss_scale_factor = loss_scale_factor
        self._iterations = 0        # apply() calls; `iterations` counts the updates
        self._no_decay = ((), ())   # exclude_from_weight_decay: (variables, name patterns)
        self._pending_state = None  # set_state() before build()

    def _check_lr(self, lr):
        """lr as given, checked (a number, a schedule or a callable)."""
        if isinstance(lr, LearningRateSchedule) or (callable(lr) and not isinstance(lr, (int, float))):
            self._rate_no_argument = _takes_no_argument(lr)
            return lr
        # At most float32's largest: the update of a float32 weight takes the rate as a
        # float32, where anything larger is inf (and the weights NaN).
        return _check_float(type(self).__name__, "learning_rate", lr, 0, _F32_MAX)

    # use_ema and gradient_accumulation_steps decide the slots (the moving averages, the
    # gradient sums): settable until the optimizer is built, as Keras creates those
    # variables in build().
    @property
    def use_ema(self):
        return self._use_ema

    @use_ema.setter
    def use_ema(self, value):
        owner = type(self).__name__
        value = _argcheck.boolean(value, "use_ema", owner)
        if self.built and value != self._use_ema:
            raise ValueError(f"{owner}: use_ema can only be changed before the optimizer is "
                             f"built (it decides the slots), got use_ema={value!r}")
        self._use_ema = value

    @property
    def gradient_accumulation_steps(self):
        return self._accumulation

    @gradient_accumulation_steps.setter
    def gradient_accumulation_steps(self, value):
        owner = type(self).__name__
        value = _argcheck.integer(value, "gradient_accumulation_steps", owner, lo=2,
                                  allow_none=True)
        if self.built and value != self._accumulation:
            raise ValueError(f"{owner}: gradient_accumulation_steps can only be changed "
                             f"before the optimizer is built (it decides the slots), got "
                             f"gradient_accumulation_steps={value!r}")
        self._accumulation = value

    @property
    def loss_scale_factor(self):
        return self._loss_scale

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale = None if value is None else _check_float(
            type(self).__name__, "loss_scale_factor", value, 0, lo_open=True)

    def scale_loss(self, loss):
        """The loss times ``loss_scale_factor`` (the loss itself where it is None), as a
        training step differentiates it; the step divides the gradients by the factor.

        Parameters
        ----------
        loss : float or Tensor
            The loss.
        """
        if self._loss_scale is None:
            return loss
        return loss * self._loss_scale

    @property
    def iterations(self):
        """The number of updates made: the number of apply() calls, divided (rounded
        down) by gradient_accumulation_steps where gradients are accumulated, as Keras
        counts them. Setting it sets the number of apply() calls."""
        steps = self._accumulation
        return self._iterations // steps if steps else self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    # learning_rate reads the current value (a schedule is evaluated at `iterations`)
    # and can be assigned a float, as callbacks do, or through .assign() (LearningRate).
    @property
    def learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule) or callable(lr):
            # Keras evaluates a schedule at the number of apply() calls, also where
            # gradients are accumulated (`iterations` then counts the updates)
            return self._scheduled(self._iterations)
        return LearningRate(lr, self)

    def _rate_at(self, step):
        """The rate of a schedule or callable learning rate at `step`, as it gives it."""
        lr = self._learning_rate
        return lr() if self._rate_no_argument else lr(step)

    def _scheduled(self, step):
        """A schedule's (or callable's) rate at `step` as a float; a value that is no
        real number is refused here, a non-finite or negative one by apply."""
        value = self._rate_at(step)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{type(self).__name__}: learning_rate (a schedule) must give a "
                            f"number, at step {step} it gave "
                            f"{type(value).__name__} {_argcheck.shown(value)}")
        try:
            return float(value)
        except OverflowError:   # a Python int beyond the float range
            return math.inf

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, LearningRateSchedule) and not isinstance(value, LearningRateSchedule):
            raise TypeError(f"{type(self).__name__}: learning_rate is a schedule "
                            f"({type(self._learning_rate).__name__}); it cannot be set to {value!r}")
        self._learning_rate = self._check_lr(value)

    lr = learning_rate

    @property
    def built(self):
        return self._slots is not None

    def build(self, variables):
        """Create the slots for `variables` (zeros, or the subclass' initial value).

        Parameters
        ----------
        variables : list of Variable
            The variables the optimizer will update.
        """
        variables = list(variables)
        own = self._own_slot_names()
        slots = [{n: self._init_slot(n, v) if n in own else np.zeros_like(v)
                  for n in self._slot_names_for()} for v in variables]
        # Checked once here (same-shape, same-dtype, C-contiguous, writeable float arrays):
        # a step only takes these very arrays (slots_for), so _update calls the kernels
        # without checking them again.
        for v, sl in zip(variables, slots):
            ops._param_arrays(v, v, list(sl.items()))
        self._slots = slots
        # What the update kernels take: 1-D plain-array views of each variable and its
        # slots, made once (the arrays are only ever updated in place, so the views stay
        # theirs; a Variable's own reshape would go through the autodiff hooks while a
        # training loop holds them).
        self._flat = [(np.ndarray.reshape(v.view(np.ndarray), -1),
                       {n: a.reshape(-1) for n, a in sl.items()})
                      for v, sl in zip(variables, slots)]
        # As in Keras, a step may update any subset of these variables (a layer frozen
        # since): found by identity, which holds as weights are only updated in place.
        # The list keeps the arrays alive, so their ids stay theirs.
        self._built_vars = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        # As Keras' build(): a variable overwritten with its gradient has no moving
        # average (its other slots are kept, unused, in fastnn's state).
        self._overwritten = frozenset(i for i, v in enumerate(variables)
                                      if getattr(v, "overwrite_with_gradient", False))
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.set_state(state)

    def _slot_names_for(self):
        """Every slot of a variable, in the order of the saved state: the update's own,
        then "average" (use_ema) and "gradient_accumulator" (gradient accumulation)."""
        extra = (("average",) if self._use_ema else ()) + \
            (("gradient_accumulator",) if self._accumulation else ())
        return tuple(self._own_slot_names()) + extra

    def _own_slot_names(self):
        """The slots the update formula keeps (a subclass may depend on its arguments)."""
        return self._slot_names

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keras' exclusions from the decoupled weight decay: the variables in `var_list`
        and those whose name contains a match of one of the regular expressions
        `var_names` are not decayed. Only before the optimizer is built, as in Keras."""
        owner = type(self).__name__
        if self.built:
            raise ValueError(f"{owner}: exclude_from_weight_decay() can only be configured "
                             f"before the optimizer is built")
        import re
        var_list = list(var_list or [])
        names = []
        for n in var_names or []:
            n = _argcheck.string(n, "var_names", f"{owner}.exclude_from_weight_decay")
            try:
                re.compile(n)
            except re.error as e:
                raise ValueError(f"{owner}.exclude_from_weight_decay: var_names holds "
                                 f"{n!r}, not a regular expression ({e})") from None
            names.append(n)
        self._no_decay = (tuple(var_list), tuple(names))

    def _decays(self, variable):
        """Whether the weight decay applies to `variable` (Keras' _use_weight_decay)."""
        var_list, names = self._no_decay
        if any(variable is v for v in var_list):
            return False
        if names:
            import re
            # as Keras: the variable's name ("kernel"), not its path ("dense/kernel")
            name = getattr(variable, "name", None) or ""
            return not any(re.search(n, name) for n in names)
        return True

    def _init_slot(self, name, var):
        return np.zeros_like(var)

    def _clip(self, grads):
        """Keras' clipping, in the C engine's arithmetic (it gives these bits): bounds and
        scale factors rounded to the gradient's dtype, norms summed in double by
        _kernels.sumsq, the global one over the variables in order."""
        def scaled(g, factor):
            return g * np.asarray(factor, dtype=g.dtype)

        if self.clipvalue is not None:
            return [None if g is None else
                    np.clip(g, np.asarray(-self.clipvalue, g.dtype), np.asarray(self.clipvalue, g.dtype))
                    for g in grads]
        if self.clipnorm is not None:
            out = []
            for g in grads:
                n = None if g is None else math.sqrt(_kernels.sumsq(g.reshape(-1)))
                out.append(scaled(g, self.clipnorm / n) if n is not None and n > self.clipnorm else g)
            return out
        if self.global_clipnorm is not None:
            total = 0.0
            for g in grads:
                if g is not None:
                    total += _kernels.sumsq(g.reshape(-1))
            n = math.sqrt(total)
            if n > self.global_clipnorm:
                return [None if g is None else scaled(g, self.global_clipnorm / n) for g in grads]
        return grads

    def apply(self, grads, variables=None):
        """One step: clip, decoupled weight decay and the update, in place; iterations += 1.

        As Keras: a None gradient leaves its variable as it is (with a warning naming
        it), and a step where every gradient is None raises ValueError; an empty list
        of gradients does nothing. A variable with ``overwrite_with_gradient`` set takes
        its gradient's value. With ``loss_scale_factor`` the gradients are divided by it
        first.

        Parameters
        ----------
        grads : list of array
            One gradient per variable, of its shape.
        variables : list of Variable, optional
            The variables to update in place, e.g. ``model.trainable_variables``.
            Default: every variable the optimizer was built with, in build order.
        """
        owner = type(self).__name__
        grads = list(grads)
        if not grads:
            return
        if variables is None:
            if not self.built:
                raise ValueError(f"{owner}.apply: without variables, the optimizer must "
                                 f"already be built (call build(variables) first)")
            variables = self._built_vars
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{owner}.apply: got {len(grads)} gradients for "
                             f"{len(variables)} variables")
        if not self.built:
            self.build(variables)
        index = self._index
        for j, v in enumerate(variables):
            if id(v) not in index:
                self.slots_for(variables, "apply")     # raises, naming the variable
        grads = [None if g is None else np.asarray(g, dtype=v.dtype, order="C")
                 for g, v in zip(grads, variables)]
        for i, (g, v) in enumerate(zip(grads, variables)):
            if g is not None and g.shape != v.shape:
                raise ValueError(f"{owner}.apply: gradient {i} has shape {g.shape}, its "
                                 f"variable {v.shape}")
        missing = [_label(v, i) for i, (g, v) in enumerate(zip(grads, variables)) if g is None]
        if len(missing) == len(grads):
            raise ValueError(f"No gradients provided for any variable. ({owner}.apply "
                             f"got None for each of the {len(grads)} variables)")
        if missing:
            warnings.warn(f"{owner}.apply: gradients do not exist for variables {missing} "
                          f"when minimizing the loss; they are left as they are. If using "
                          f"model.compile(), did you forget to provide a loss?", stacklevel=2)
            kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
            grads, variables = [g for g, _ in kept], [v for _, v in kept]
        if any(getattr(v, "overwrite_with_gradient", False) for v in variables):
            grads, variables = self._overwrite_with_gradients(grads, variables)
        if grads:
            self._step(grads, variables)
        self._iterations += 1

    def _overwrite_with_gradients(self, grads, variables):
        """Keras' overwrite_with_gradient: each such variable takes its gradient's value
        (with gradient accumulation: on the update step, the elementwise maximum of the
        gradients since the last one and of the zeros its accumulator starts from).
        Returns the other (gradient, variable) pairs, for the update."""
        steps = self._accumulation
        rest_g, rest_v = [], []
        for g, v in zip(grads, variables):
            if not getattr(v, "overwrite_with_gradient", False):
                rest_g.append(g)
                rest_v.append(v)
                continue
            flat_v, flat_slots = self._flat[self._index[id(v)]]
            if not steps:
                flat_v[...] = g.reshape(-1)
                continue
            acc = flat_slots["gradient_accumulator"]
            if (self._iterations + 1) % steps:
                np.maximum(g.reshape(-1), acc, out=acc)
            else:
                flat_v[...] = np.maximum(g.reshape(-1), acc)
                acc[...] = 0
        return rest_g, rest_v

    def _step(self, grads, variables):
        """apply()'s update of `variables` by `grads` (none of them None)."""
        owner = type(self).__name__
        index = self._index
        if self._loss_scale is not None:
            grads = [g / g.dtype.type(self._loss_scale) for g in grads]
        lr = self.learning_rate
        wd_lr = (self.weight_decay or 0.0) * lr
        if not (math.isfinite(lr) and math.isfinite(wd_lr)):
            raise ValueError(f"{owner}.apply: the learning rate must be finite, got {lr!r}")
        if lr < 0:
            raise ValueError(f"{owner}.apply: the learning rate must be >= 0, got {lr!r}")
        for v in variables:   # the update takes lr and wd*lr in the weights' dtype
            top = _largest(v.dtype)
            if lr > top or wd_lr > top:
                raise ValueError(f"{owner}.apply: the learning rate {lr!r} (times weight_decay: "
                                 f"{wd_lr!r}) is beyond {v.dtype}'s largest number {top:g}: "
                                 f"the update would make the weights inf")
        steps = self._accumulation
        if steps:
            # Keras' gradient accumulation: the gradients are summed over `steps` calls;
            # every steps-th call updates with their mean (clipped then) and starts over.
            accs = [self._flat[index[id(v)]][1]["gradient_accumulator"] for v in variables]
            if (self._iterations + 1) % steps:
                for g, acc in zip(grads, accs):
                    acc += g.reshape(-1)
                grads = None
            else:
                grads = [(g.reshape(-1) + acc) / g.dtype.type(steps)
                         for g, acc in zip(grads, accs)]
        if grads is not None:
            grads = self._clip(grads)
            self._apply_updates([(self._flat[index[id(v)]], g.reshape(-1),
                                  wd_lr if wd_lr == 0.0 or self._decays(v) else 0.0)
                                 for g, v in zip(grads, variables)], lr)
            if steps:
                for _, flat_slots in self._flat:
                    flat_slots["gradient_accumulator"][...] = 0
        if self._use_ema:
            self._update_moving_averages()
        for v in variables:
            # as Keras' optimizer: a weight's constraint projects it after the update
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v[...] = np.asarray(constraint(v), dtype=v.dtype)

    def _apply_updates(self, items, lr):
        """The update of each ((flat variable, flat slots), flat gradient, wd * lr)."""
        for (flat_v, flat_slots), g, wd_lr in items:
            self._update(flat_v, g, flat_slots, lr, wd_lr)

    def _update_moving_averages(self):
        """Keras' EMA step over every variable the optimizer was built with: average =
        m * average + (1 - m) * variable in the variable's dtype, m = ema_momentum (0 at
        the first update, so the average starts at the variable); then, every
        ema_overwrite_frequency updates, the variables take their averages."""
        first = self.iterations == 0
        skip = self._overwritten
        for i, (flat_v, flat_slots) in enumerate(self._flat):
            if i in skip:
                continue
            avg = flat_slots["average"]
            one = avg.dtype.type(1)
            m = avg.dtype.type(0 if first else self.ema_momentum)
            avg[...] = m * avg + (one - m) * flat_v
        freq = self.ema_overwrite_frequency
        if freq and (self.iterations + 1) % freq == 0:
            for i, (flat_v, flat_slots) in enumerate(self._flat):
                if i not in skip:
                    flat_v[...] = flat_slots["average"]

    def _moving_averages(self, variables=None):
        """(variable, its moving average) for `variables` (default: every variable the
        optimizer was built with); the averages are the optimizer's own arrays."""
        owner = type(self).__name__
        if not self._use_ema:
            raise ValueError(f"{owner}: the optimizer keeps no moving averages of the weights "
                             f"(use_ema={self._use_ema!r}); create it with use_ema=True")
        if not self.built:
            return []
        variables = self._built_vars if variables is None else list(variables)
        return [(v, s["average"]) for v, s in
                zip(variables, self.slots_for(variables, "finalize_variable_values"))
                if self._index[id(v)] not in self._overwritten]

    def finalize_variable_values(self, var_list):
        """Set the variables of `var_list` to their final values (Keras' method, which
        `fit` calls after its last epoch): with use_ema=True, each takes its moving
        average; otherwise nothing changes.

        Parameters
        ----------
        var_list : list of arrays
            Variables the optimizer was built with (a model's trainable weights).
        """
        if not self._use_ema or not self.built:
            return
        for v, avg in self._moving_averages(var_list):
            v[...] = avg

    def knows(self, variables):
        """Whether the optimizer is built and has slots for every one of `variables`."""
        return self.built and all(id(v) in self._index for v in variables)

    def slots_for(self, variables, caller="slots_for"):
        """The slot dicts of `variables` (a subset of those built with, in any order)."""
        out = []
        for j, v in enumerate(variables):
            i = self._index.get(id(v))
            if i is None:
                raise ValueError(
                    f"{type(self).__name__}.{caller}: unknown variable {j} (shape "
                    f"{tuple(np.shape(v))}): this optimizer can only update the "
                    f"{len(self._slots)} variables it was built with; for a new set of "
                    "variables, create a new optimizer (as in Keras)")
            out.append(self._slots[i])
        return out

    def apply_gradients(self, grads_and_vars):
        """One optimizer step (Keras' ``apply_gradients``): ``apply`` on pairs of gradients and
        variables.

        Parameters
        ----------
        grads_and_vars : iterable of (gradient, variable) pairs
            The gradients, e.g. from ``GradientTape.gradient``, each with the
            variable it updates; a None gradient is skipped.
        """
        gv = list(grads_and_vars)
        self.apply([g for g, _ in gv], [v for _, v in gv])

    def _update(self, var, grad, slots, lr, wd_lr):
        """One variable's step, in place: `var`, `grad` and the `slots` are 1-D views."""
        raise NotImplementedError

    # Saving: iterations, then every slot of every variable in build order, or of the
    # given variables (those it was built with, in any order) in their order.
    def get_state(self, variables=None):
        out = [np.array(self._iterations, dtype=np.int64)]
        if variables is None:
            slots = self._slots or []
        else:
            slots = self.slots_for(variables, "get_state")
        for s in slots:
            out.extend(s[n].copy() for n in self._slot_names_for())
        return out

    def set_state(self, state):
        state = list(state)
        if not self.built:
            if len(state) == 1:
                self._iterations = int(np.asarray(state[0]))
            else:
                self._pending_state = state
            return
        names = self._slot_names_for()
        expected = 1 + len(names) * len(self._slots)
        if len(state) != expected:
            raise ValueError(f"{type(self).__name__}.set_state: expected {expected} arrays "
                             f"(iterations + {len(names)} slots x {len(self._slots)} variables), "
                             f"got {len(state)}")
        k = 1
        for i, s in enumerate(self._slots):
            for n in names:
                a = np.asarray(state[k])
                if a.shape != s[n].shape:
                    raise ValueError(f"{type(self).__name__}.set_state: slot {n!r} of variable {i} "
                                     f"expected shape {s[n].shape}, got {a.shape}")
                k += 1
        k = 1
        for s in self._slots:
            for n in names:
                s[n][...] = state[k]
                k += 1
        self._iterations = int(np.asarray(state[0]))

    @property
    def variables(self):
        """Keras' ``optimizer.variables``, in Keras' order: the step count (path
        ``<name>/iteration``; the number of apply() calls), the learning rate
        (``<name>/learning_rate``, float32; absent while it is a schedule or a callable),
        then, once built, the slots as Keras' build() makes them: the moving averages
        (use_ema), the gradient accumulators (gradient_accumulation_steps), then the
        update's own (``<name>/<weight>_<slot>``, e.g. ``adam/kernel_momentum``). Each
        is a Variable whose ``assign`` changes the optimizer's state. A variable with
        overwrite_with_gradient at build has no slots here but its accumulator."""
        lr = self._learning_rate
        out = [_optimizer_variable(np.asarray(self._iterations, np.int64), "iteration",
                                   self.name, self._set_iterations)]
        if not (isinstance(lr, LearningRateSchedule) or callable(lr)):
            out.append(_optimizer_variable(np.asarray(lr, np.float32), "learning_rate",
                                           self.name, self._set_learning_rate))
        if not self.built:
            return out
        groups = ([(("average", "average"),)] if self._use_ema else []) + \
            ([(("gradient_accumulator", "gradient_accumulator"),)] if self._accumulation
             else []) + self._keras_slot_groups()
        for group in groups:
            every = group[0][0] == "gradient_accumulator"
            for i, (v, slots) in enumerate(zip(self._built_vars, self._slots)):
                if i in self._overwritten and not every:
                    continue
                ref = getattr(v, "path", None) or getattr(v, "name", None) or "var"
                ref = str(ref).replace("/", "_").replace(":", "_")
                out.extend(_optimizer_variable(slots[n], f"{ref}_{keras_name}", self.name)
                           for n, keras_name in group)
        return out + self._derived_variables()

    def _keras_slot_groups(self):
        """The update's slots as Keras' build() makes them: one tuple per
        add_optimizer_variables call (its slots interleave per variable), of (fastnn's
        slot name, Keras' name)."""
        own = self._own_slot_names()
        return [tuple((n, n) for n in own)] if own else []

    def _derived_variables(self):
        """Variables Keras keeps that fastnn computes from the step count (Nadam's)."""
        return []

    def _set_iterations(self, value):
        self._iterations = int(value)

    def _set_learning_rate(self, value):
        # the variable holds float32: a value that rounds to the rate's float32 leaves
        # the rate as given (set_weights from an optimizer with the same rate)
        lr = self._learning_rate
        if isinstance(lr, (int, float)) and np.float32(lr) == np.float32(value):
            return
        self.learning_rate = float(value)

    def set_weights(self, weights):
        """Set the optimizer's variables (Keras' ``set_weights``): `weights` holds one
        array per entry of ``optimizer.variables``, in that order and of those shapes
        (another optimizer's ``variables``, built on the same weights, for one).
        The optimizer must be built.

        Parameters
        ----------
        weights : list of arrays
            The values.
        """
        owner = type(self).__name__
        if not self.built:
            raise ValueError(f"You are calling set_weights() on an optimizer that has not "
                             f"yet been built ({owner} {self.name!r}): call "
                             f"optimizer.build(trainable_variables) first, to create its "
                             f"variables")
        mine = self.variables
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"{owner}.set_weights: expected {len(mine)} arrays (one per "
                             f"entry of optimizer.variables), got {len(weights)}")
        for i, (v, w) in enumerate(zip(mine, weights)):
            if np.shape(w) != v.shape:
                raise ValueError(f"{owner}.set_weights: optimizer variable {i} "
                                 f"({v.path}) has shape {v.shape}, the value given "
                                 f"{np.shape(w)}")
        for v, w in zip(mine, weights):
            if not getattr(v, "_derived", False):
                v.assign(w)

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            lr = self.learning_rate
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules.deserialize(lr)
        return cls(**config)


class SGD(Optimizer):
    """Gradient descent with optional momentum (keras.optimizers.SGD):
    ``m = momentum*m - lr*g; w += m`` (Nesterov: ``w += momentum*m - lr*g``).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.01.
    momentum : float
        In [0, 1]: how much of the previous update carries over, accelerating descent
        in a consistent direction and damping oscillations. Default 0: plain gradient
        descent.
    nesterov : bool
        Whether to use Nesterov momentum. Default False.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'sgd'``, then
        ``'sgd_1'``, ...).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        self.momentum = _check_momentum("SGD", momentum)
        self.nesterov = _argcheck.boolean(nesterov, "nesterov", "SGD")

    def _own_slot_names(self):
        return ("momentum",) if self.momentum > 0 else ()

    def _update(self, var, grad, slots, lr, wd_lr):
        _kernels.sgd_update(var, grad, slots.get("momentum"), lr, self.momentum,
                            self.nesterov, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(momentum=self.momentum, nesterov=self.nesterov)
        return cfg


class Adam(Optimizer):
    """Adam (keras.optimizers.Adam): stochastic gradient descent with adaptive
    estimates of the gradient's first and second moments. Keras' epsilon-hat form:
    ``w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)``; with amsgrad=True the slot
    ``velocity_hat = max(velocity_hat, v)`` takes v's place there.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    beta_1 : float
        The exponential decay rate of the first-moment (mean) estimates. Default 0.9.
    beta_2 : float
        The exponential decay rate of the second-moment (variance) estimates. Default
        0.999.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    amsgrad : bool
        Whether to use the AMSGrad variant, which divides by the largest second-moment
        estimate so far. Default False.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'adam'``, then
        ``'adam_1'``, ...).
    """
    _slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        owner = type(self).__name__
        self.beta_1 = _check_float(owner, "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _check_float(owner, "beta_2", beta_2, 0, 1, hi_open=True)
        self.epsilon = _check_epsilon(owner, epsilon)
        self.amsgrad = amsgrad

    # amsgrad decides the slots (velocity_hat, the running maximum of v): settable until
    # the optimizer is built, as Keras creates that slot in build() only when set.
    @property
    def amsgrad(self):
        return self._amsgrad

    @amsgrad.setter
    def amsgrad(self, value):
        owner = type(self).__name__
        value = _argcheck.boolean(value, "amsgrad", owner)
        if self.built and value != self._amsgrad:
            raise ValueError(f"{owner}: amsgrad can only be changed before the optimizer is "
                             f"built (it decides the slots), got amsgrad={value!r}")
        self._amsgrad = value

    def _own_slot_names(self):
        return ("m", "v", "velocity_hat") if self._amsgrad else ("m", "v")

    def _keras_slot_groups(self):
        return [(("m", "momentum"), ("v", "velocity"))] + \
            ([(("velocity_hat", "velocity_hat"),)] if self._amsgrad else [])

    def _update(self, var, grad, slots, lr, wd_lr):
        t = self.iterations + 1
        alpha_t = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        if not alpha_t <= _largest(var.dtype):   # raised at the first variable
            raise ValueError(f"{type(self).__name__}.apply: the step size learning_rate * "
                             f"sqrt(1 - beta_2**t) / (1 - beta_1**t) = {alpha_t!r} at step {t} "
                             f"is beyond {var.dtype}'s largest number (learning_rate={lr!r}, "
                             f"beta_1={self.beta_1!r})")
        if self._amsgrad:
            _kernels.adam_amsgrad_update(var, grad, slots["m"], slots["v"],
                                         slots["velocity_hat"], alpha_t, self.beta_1,
                                         self.beta_2, self.epsilon, wd_lr)
        else:
            _kernels.adam_update(var, grad, slots["m"], slots["v"], alpha_t, self.beta_1,
                                 self.beta_2, self.epsilon, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, amsgrad=self.amsgrad)
        return cfg


class AdamW(Adam):
    """Adam with Keras' decoupled weight decay (keras.optimizers.AdamW, default 0.004):
    ``w -= w*wd*lr`` first, then Adam's step.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    weight_decay : float
        The decoupled weight decay rate. Default 0.004.
    beta_1 : float
        The exponential decay rate of the first-moment (mean) estimates. Default 0.9.
    beta_2 : float
        The exponential decay rate of the second-moment (variance) estimates. Default
        0.999.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    amsgrad : bool
        Whether to use the AMSGrad variant. Default False.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'adam_w'``, then
        ``'adam_w_1'``, ...).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number >= 0, got None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm,
                         clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)


class RMSprop(Optimizer):
    """RMSprop (keras.optimizers.RMSprop): divides the gradient by a moving root mean
    square of past gradients, ``v = rho*v + (1-rho)*g^2; w -= lr*g / sqrt(v + eps)``
    (eps inside the root, as Keras).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    rho : float
        The discount factor of the moving average of squared gradients. Default 0.9.
    momentum : float
        Momentum of the update. Default 0.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    centered : bool
        If True, gradients are normalised by an estimate of their variance (the mean
        square minus the squared mean) instead of the mean square. Default False.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'rmsprop'``, then
        ``'rmsprop_1'``, ...).
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        self.rho = _check_float("RMSprop", "rho", rho, 0, 1)
        self.momentum = _check_momentum("RMSprop", momentum)
        self.epsilon = _check_epsilon("RMSprop", epsilon)
        self.centered = _argcheck.boolean(centered, "centered", "RMSprop")

    def _own_slot_names(self):
        names = ["velocity"]
        if self.centered:
            names.append("average_gradient")
        if self.momentum > 0:
            names.append("momentum")
        return tuple(names)

    def _keras_slot_groups(self):
        # Keras makes them one by one: velocity, momentum, average_gradient
        return [((n, n),) for n in ("velocity", "momentum", "average_gradient")
                if n in self._own_slot_names()]

    def _update(self, var, grad, slots, lr, wd_lr):
        _kernels.rmsprop_update(var, grad, slots["velocity"], slots.get("average_gradient"),
                                slots.get("momentum"), lr, self.rho, self.momentum,
                                self.epsilon, self.centered, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered)
        return cfg


class Adagrad(Optimizer):
    """Adagrad (keras.optimizers.Adagrad): per-weight learning rates scaled by the
    sum of past squared gradients, ``acc += g^2; w -= lr*g / sqrt(acc + eps)``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    initial_accumulator_value : float
        The starting value of the per-weight sums of squared gradients; at least 0.
        Default 0.1.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'adagrad'``, then
        ``'adagrad_1'``, ...).
    """
    _slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        self.initial_accumulator_value = _check_float("Adagrad", "initial_accumulator_value",
                                                      initial_accumulator_value, 0)
        self.epsilon = _check_float("Adagrad", "epsilon", epsilon, 0)
        if max(self.epsilon, self.initial_accumulator_value) < _TINY:
            # w -= lr g / sqrt(acc + eps): with both 0, a zero gradient gives 0/0 = NaN
            raise ValueError(f"Adagrad: epsilon or initial_accumulator_value must be >= "
                             f"{_TINY:g} (float32's smallest normal number; with both 0 a "
                             f"zero gradient gives 0/0 = NaN), got epsilon={epsilon!r}, "
                             f"initial_accumulator_value={initial_accumulator_value!r}")

    def _init_slot(self, name, var):
        return np.full_like(var, self.initial_accumulator_value)

    def _update(self, var, grad, slots, lr, wd_lr):
        _kernels.adagrad_update(var, grad, slots["accumulator"], lr, self.epsilon, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(initial_accumulator_value=self.initial_accumulator_value, epsilon=self.epsilon)
        return cfg


class Nadam(Optimizer):
    """Adam with Nesterov momentum (keras.optimizers.Nadam, Dozat 2015), Keras 3's update:
    m and v as Adam's; w -= lr * m_hat / (sqrt(v / (1 - b2^t)) + eps) with
    m_hat = u_{t+1} m / (1 - prod_{k<=t+1} u_k) + (1 - u_t) g / (1 - prod_{k<=t} u_k),
    u_k = b1 (1 - 0.5 * 0.96^k). The product of the u_k, a variable Keras keeps, follows
    from the step count here (computed in double; Keras rounds it to the weights' dtype),
    so the saved state is the step count and the slots, as for Adam.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    beta_1 : float
        The exponential decay rate of the first-moment (mean) estimates. Default 0.9.
    beta_2 : float
        The exponential decay rate of the second-moment (variance) estimates. Default
        0.999.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'nadam'``, then
        ``'nadam_1'``, ...).
    """
    _slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        owner = type(self).__name__
        self.beta_1 = _check_float(owner, "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _check_float(owner, "beta_2", beta_2, 0, 1, hi_open=True)
        self.epsilon = _check_epsilon(owner, epsilon)
        self._product = (0, 1.0)      # (t, prod_{k<=t} u_k), advanced a step at a time

    def _u(self, k):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** k)

    def _derived_variables(self):
        # Keras' Nadam keeps the product of the momentum factors as a variable (made
        # outside the optimizer's name scope); fastnn computes it from the step count
        v = _optimizer_variable(np.asarray(self._u_product(self.iterations), np.float32),
                                "variable", None)
        v._derived = True
        return [v]

    def _u_product(self, t):
        """prod_{k<=t} u_k: one multiplication from the last step's, or from the start
        after a set_state (the product reaches 0 within a few thousand steps)."""
        t0, p = self._product
        if t0 > t:
            t0, p = 0, 1.0
        while t0 < t and p != 0.0:
            t0 += 1
            p *= self._u(t0)
        self._product = (t, p)
        return p

    def _factors(self, t):
        key = getattr(self, "_factor_cache", None)
        if key is not None and key[0] == t:
            return key[1]
        prod_t = self._u_product(t)
        u_t, u_next = self._u(t), self._u(t + 1)
        out = (u_next / (1.0 - prod_t * u_next), (1.0 - u_t) / (1.0 - prod_t),
               1.0 - self.beta_2 ** t)
        self._factor_cache = (t, out)
        return out

    def _update(self, var, grad, slots, lr, wd_lr):
        c_m, c_g, d2 = self._factors(self.iterations + 1)
        _kernels.nadam_update(var, grad, slots["momentum"], slots["velocity"], lr, c_m, c_g,
                              d2, self.beta_1, self.beta_2, self.epsilon, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return cfg


class Adamax(Optimizer):
    """Adam's infinity-norm variant (keras.optimizers.Adamax):
    ``m += (g - m)(1 - b1); u = max(b2 u, |g|); w -= lr m / ((1 - b1^t)(u + eps))``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    beta_1 : float
        The exponential decay rate of the first-moment (mean) estimates. Default 0.9.
    beta_2 : float
        The exponential decay rate of the weighted infinity norm. Default 0.999.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'adamax'``, then
        ``'adamax_1'``, ...).
    """
    _slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        owner = type(self).__name__
        self.beta_1 = _check_float(owner, "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _check_float(owner, "beta_2", beta_2, 0, 1)
        self.epsilon = _check_epsilon(owner, epsilon)

    def _update(self, var, grad, slots, lr, wd_lr):
        d1 = 1.0 - self.beta_1 ** (self.iterations + 1)
        _kernels.adamax_update(var, grad, slots["momentum"], slots["norm"], lr, d1,
                               self.beta_1, self.beta_2, self.epsilon, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return cfg


class Adadelta(Optimizer):
    """Adadelta (keras.optimizers.Adadelta, Zeiler 2012), Keras 3's update:
    accumulated_grad = rho ag + (1 - rho) g^2; d = -sqrt(ad + eps) g / sqrt(ag + eps);
    accumulated_delta_var = rho ad + (1 - rho) d^2; w += lr d (learning_rate=1.0 is the
    paper's form; Keras' default is 0.001).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    rho : float
        The decay rate of the moving averages, in [0, 1]. Default 0.95.
    epsilon : float
        A small constant for numerical stability. Default 1e-7.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'adadelta'``, then
        ``'adadelta_1'``, ...).
    """
    _slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        owner = type(self).__name__
        self.rho = _check_float(owner, "rho", rho, 0, 1)
        self.epsilon = _check_epsilon(owner, epsilon)

    def _update(self, var, grad, slots, lr, wd_lr):
        _kernels.adadelta_update(var, grad, slots["accumulated_grad"],
                                 slots["accumulated_delta_var"], lr, self.rho, self.epsilon,
                                 wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rho=self.rho, epsilon=self.epsilon)
        return cfg


class Lion(Optimizer):
    """Lion (keras.optimizers.Lion, Chen et al. 2023): w -= lr sign(b1 m + (1 - b1) g);
    then momentum = b2 m + (1 - b2) g. beta_1 in (0, 1] (0 would make it SignSGD, which
    Keras refuses too), beta_2 in [0, 1].

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        The step size: a number, or a schedule from ``fastnn.optimizers.schedules``
        giving it for each step. Default 0.001.
    beta_1 : float
        The rate that mixes the momentum and the gradient into the update's sign, in
        (0, 1]. Default 0.9.
    beta_2 : float
        The decay rate of the momentum, in [0, 1]. Default 0.99.
    name : str
        The optimizer's name. Default None: Keras' automatic name (``'lion'``, then
        ``'lion_1'``, ...).
    """
    _slot_names = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        owner = type(self).__name__
        self.beta_1 = _check_float(owner, "beta_1", beta_1, 0, 1, lo_open=True)
        self.beta_2 = _check_float(owner, "beta_2", beta_2, 0, 1)

    def _update(self, var, grad, slots, lr, wd_lr):
        _kernels.lion_update(var, grad, slots["momentum"], lr, self.beta_1, self.beta_2, wd_lr)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(beta_1=self.beta_1, beta_2=self.beta_2)
        return cfg



class Ftrl(Optimizer):
    """Follow The Regularized Leader (keras.optimizers.Ftrl, McMahan et al. 2013), Keras
    3's update, in the weights' dtype, with g' = g + 2 * l2_shrinkage * w:

        n_new = n + g^2
        z += g' - (n_new^(-p) - n^(-p)) / lr * w          (p = learning_rate_power)
        w = (clip(z, -l1, l1) - z) / (n_new^(-p) / lr + 2 * (l2 + beta / (2 lr)))
        n = n_new

    with the slots n ("accumulator", starting at initial_accumulator_value) and z
    ("linear", starting at 0). Computed by a C kernel, the same on the layer path and in
    the C engine.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable, default 0.001
        Must be > 0 when a step is taken (the update divides by it).
    learning_rate_power : float, default -0.5
        <= 0; 0 gives a fixed learning rate.
    initial_accumulator_value : float, default 0.1
        >= 0, the accumulator's starting value.
    l1_regularization_strength, l2_regularization_strength : float, default 0.0
        >= 0, the L1 and the (stabilising) L2 penalty of the paper.
    l2_shrinkage_regularization_strength : float, default 0.0
        >= 0, an L2 penalty on the weights' magnitude, added to the gradient.
    beta : float, default 0.0
        The paper's beta.
    weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
    ema_overwrite_frequency, gradient_accumulation_steps, name
        As for every optimizer (see `Optimizer`).
    """
    _slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name)
        owner = type(self).__name__
        self.learning_rate_power = _check_float(owner, "learning_rate_power",
                                                learning_rate_power, hi=0)
        self.initial_accumulator_value = _check_float(owner, "initial_accumulator_value",
                                                      initial_accumulator_value, 0)
        self.l1_regularization_strength = _check_float(owner, "l1_regularization_strength",
                                                       l1_regularization_strength, 0)
        self.l2_regularization_strength = _check_float(owner, "l2_regularization_strength",
                                                       l2_regularization_strength, 0)
        self.l2_shrinkage_regularization_strength = _check_float(
            owner, "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
            0)
        self.beta = _check_float(owner, "beta", beta)
        if self.initial_accumulator_value < _TINY and self.learning_rate_power < 0 and \
                self.l2_regularization_strength == 0 and self.beta == 0:
            # w = (clip(z) - z) / (n^-p / lr + 2 l2 + beta / lr): a weight whose gradients
            # were all 0 so far (n = 0) would be 0/0 = NaN
            raise ValueError(f"{owner}: initial_accumulator_value must be >= {_TINY:g} "
                             f"(float32's smallest normal number) unless "
                             f"l2_regularization_strength or beta is > 0 or "
                             f"learning_rate_power is 0: otherwise a weight whose gradients "
                             f"are 0 becomes 0/0 = NaN; got initial_accumulator_value="
                             f"{initial_accumulator_value!r}")

    def _init_slot(self, name, var):
        if name == "accumulator":
            return np.full_like(var, self.initial_accumulator_value)
        return np.zeros_like(var)

    def _kernel_args(self, lr, wd_lr):
        """fnn_ftrl's scalars after the arrays: lr, lr_power, l1, l2, shrinkage, beta and
        the weight decay (0 where this variable is not decayed)."""
        return (lr, self.learning_rate_power, self.l1_regularization_strength,
                self.l2_regularization_strength, self.l2_shrinkage_regularization_strength,
                self.beta, (self.weight_decay or 0.0) if wd_lr else 0.0)

    def _apply_updates(self, items, lr):
        """Every variable's step checked first, written only when all are finite: a step
        that overflows (a large learning_rate_power, or l2 shrinkage times a weight)
        raises and changes nothing (Keras writes inf / NaN). The step is the C kernel's
        (csrc/optimizers.h, fnn_ftrl), which the C engine runs too."""
        owner = type(self).__name__
        if not lr > 0:
            raise ValueError(f"{owner}.apply: the learning rate must be > 0 (the update "
                             f"divides by it), got {lr!r}")
        for (flat_v, flat_slots), g, wd_lr in items:
            if not _kernels.ftrl_update(flat_v, g, flat_slots["accumulator"],
                                        flat_slots["linear"], *self._kernel_args(lr, wd_lr),
                                        check_only=True):
                raise ValueError(self._non_finite_message(lr))
        for (flat_v, flat_slots), g, wd_lr in items:
            self._update(flat_v, g, flat_slots, lr, wd_lr)

    def _non_finite_message(self, lr):
        """The error of a step that would give non-finite weights or slots."""
        return (f"{type(self).__name__}.apply: the step gives non-finite weights or slots "
                f"(learning_rate={lr!r}, learning_rate_power={self.learning_rate_power!r}, "
                f"l2_shrinkage_regularization_strength="
                f"{self.l2_shrinkage_regularization_strength!r}); nothing was changed")

    def _update(self, var, grad, slots, lr, wd_lr):
        _kernels.ftrl_update(var, grad, slots["accumulator"], slots["linear"],
                             *self._kernel_args(lr, wd_lr))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(learning_rate_power=self.learning_rate_power,
                   initial_accumulator_value=self.initial_accumulator_value,
                   l1_regularization_strength=self.l1_regularization_strength,
                   l2_regularization_strength=self.l2_regularization_strength,
                   l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
                   beta=self.beta)
        return cfg

# The base optimizer's arguments a LossScaleOptimizer's config may hold (Keras' older
# configs wrote them), at the value that leaves each one off.
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around another optimizer (keras.optimizers.LossScaleOptimizer,
    also ``keras.mixed_precision.LossScaleOptimizer``): ``scale_loss`` multiplies the loss
    by the current scale, so that small gradients survive a low-precision backward pass,
    and each step divides the gradients by it before the inner optimizer's update. A step
    whose gradients hold an Inf or NaN is skipped and halves the scale; after
    `dynamic_growth_steps` finite steps in a row the scale doubles. ``fit`` scales the
    loss it differentiates. The learning rate, ``iterations``, the moving averages and
    the update are the inner optimizer's.

    fastnn computes in float32 or float64, where gradients rarely underflow; the class
    is here for Keras code that uses it. Models compiled with it train layer by layer
    (the C engine does not scale the loss).

    Parameters
    ----------
    inner_optimizer : Optimizer
        The optimizer that updates the variables (its own loss_scale_factor is set to
        None, so that the gradients are not unscaled twice).
    initial_scale : float
        The first loss scale. Default 2**15.
    dynamic_growth_steps : int
        The number of finite steps in a row after which the scale doubles. Default 2000.
    name : str, optional
        Default None: Keras' automatic name (``'loss_scale_optimizer'``, ...).
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        owner = "LossScaleOptimizer"
        if not kwargs.pop("dynamic", True):
            raise ValueError(f"{owner}: dynamic=False is not supported (as in Keras 3): set "
                             f"loss_scale_factor on the inner optimizer for a fixed scale")
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs:
                value = kwargs.pop(key)
                if value is not default and value != default:
                    raise ValueError(f"{owner} does not take {key} (got {value!r}); set it "
                                     f"on the inner_optimizer")
        if kwargs:
            raise ValueError(f"{owner} does not support arguments: {', '.join(kwargs)}")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"{owner}: inner_optimizer must be a fastnn Optimizer, got "
                            f"{type(inner_optimizer).__name__} "
                            f"{_argcheck.shown(inner_optimizer)}")
        self._scale = None               # (step counter, dynamic scale) once built
        self._own = [0, 0.0]             # Keras' iteration and learning_rate of the wrapper
        self.inner_optimizer = inner_optimizer
        super().__init__(learning_rate=0.0, name=name)
        self.initial_scale = _check_float(owner, "initial_scale", initial_scale, 0, _F32_MAX,
                                          lo_open=True)
        self.dynamic_growth_steps = _argcheck.integer(dynamic_growth_steps,
                                                      "dynamic_growth_steps", owner, lo=1)
        inner_optimizer.loss_scale_factor = None

    # what the inner optimizer does
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    lr = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self.inner_optimizer.iterations = value

    @property
    def use_ema(self):
        """The inner optimizer's use_ema (fit gives the weights their averages, and
        callbacks.SwapEMAWeights swaps them in, when it is True)."""
        return self.inner_optimizer.use_ema

    @use_ema.setter
    def use_ema(self, value):
        if "initial_scale" in self.__dict__ and value != self.inner_optimizer.use_ema:
            raise ValueError(f"LossScaleOptimizer: set use_ema on the inner_optimizer, "
                             f"got use_ema={value!r}")

    @property
    def _iterations(self):      # the number of apply() calls, as the trainer reads it
        return self.inner_optimizer._iterations

    @_iterations.setter
    def _iterations(self, value):
        if "_iterations" in self.inner_optimizer.__dict__:   # (Optimizer.__init__ sets 0)
            self.inner_optimizer._iterations = value

    @property
    def built(self):
        return self._scale is not None and self.inner_optimizer.built

    def build(self, variables):
        """Create the step counter and the dynamic scale, and build the inner optimizer
        on `variables` (unless it is built).

        Parameters
        ----------
        variables : list of Variable
            The variables the optimizer will update.
        """
        self._scale = [np.zeros((), np.int64), np.asarray(self.initial_scale, np.float32)]
        if not self.inner_optimizer.built:
            self.inner_optimizer.build(variables)

    @property
    def dynamic_scale(self):
        """The current loss scale (float32; initial_scale until built)."""
        return np.float32(self.initial_scale if self._scale is None else self._scale[1])

    @property
    def step_counter(self):
        """Finite steps since the scale last changed."""
        return 0 if self._scale is None else int(self._scale[0])

    def scale_loss(self, loss):
        """The loss times the current scale (initial_scale until built).

        Parameters
        ----------
        loss : float or Tensor
            The loss.
        """
        return loss * float(self.dynamic_scale)

    def apply(self, grads, variables=None):
        """One step: if every gradient is finite, the inner optimizer's step on the
        gradients divided by the scale (a gradient that overwrites its variable is left
        as it is), and the scale doubles after dynamic_growth_steps such steps in a row;
        otherwise no update, and the scale halves.

        Parameters
        ----------
        grads : list of array
            One gradient per variable (None: no gradient).
        variables : list of Variable, optional
            The variables (default: those the optimizer was built with).
        """
        owner = type(self).__name__
        grads = list(grads)
        if variables is None:
            if not self.built:
                raise ValueError(f"{owner}.apply: without variables, the optimizer must "
                                 f"already be built (call build(variables) first)")
            variables = self.inner_optimizer._built_vars
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{owner}.apply: got {len(grads)} gradients for "
                             f"{len(variables)} variables")
        if self._scale is None:
            self.build(variables)
        grads = [None if g is None else np.asarray(g) for g in grads]
        counter, scale = self._scale
        if all(np.isfinite(g).all() for g in grads if g is not None):
            self.inner_optimizer.apply(
                [g if g is None or getattr(v, "overwrite_with_gradient", False) else g / scale
                 for g, v in zip(grads, variables)], variables)
            if counter == self.dynamic_growth_steps - 1:
                counter[...] = 0
                scale *= np.float32(2)
            else:
                counter += 1
        else:
            counter[...] = 0
            scale *= np.float32(0.5)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def _moving_averages(self, variables=None):
        return self.inner_optimizer._moving_averages(variables)

    # fastnn's saved state is the inner optimizer's (the scale starts again at
    # initial_scale after a load)
    def knows(self, variables):
        return self.inner_optimizer.knows(variables)

    def slots_for(self, variables, caller="slots_for"):
        return self.inner_optimizer.slots_for(variables, caller)

    def _slot_names_for(self):
        return self.inner_optimizer._slot_names_for()

    def get_state(self, variables=None):
        return self.inner_optimizer.get_state(variables)

    def set_state(self, state):
        self.inner_optimizer.set_state(state)

    @property
    def variables(self):
        """Keras' list: the wrapper's own iteration and learning_rate (which Keras keeps
        and never changes), its step_counter and dynamic_scale once built, then the inner
        optimizer's variables."""
        def setter(i, kind):
            def set_own(value):
                self._own[i] = kind(value)
            return set_own
        out = [_optimizer_variable(np.asarray(self._own[0], np.int64), "iteration",
                                   self.name, setter(0, int)),
               _optimizer_variable(np.asarray(self._own[1], np.float32), "learning_rate",
                                   self.name, setter(1, float))]
        if self._scale is not None:
            out += [_optimizer_variable(self._scale[0], "step_counter", self.name),
                    _optimizer_variable(self._scale[1], "dynamic_scale", self.name)]
        return out + self.inner_optimizer.variables

    def get_config(self):
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        inner = config.pop("inner_optimizer", None)
        if inner is None:
            raise ValueError("LossScaleOptimizer.from_config: the config has no "
                             "inner_optimizer")
        return cls(get(inner), **config)


ALL_OBJECTS = {c.__name__: c for c in (SGD, Adam, AdamW, RMSprop, Adagrad, Nadam, Adamax,
                                       Adadelta, Lion, Ftrl, LossScaleOptimizer)}
_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
            "nadam": Nadam, "adamax": Adamax, "adadelta": Adadelta, "lion": Lion,
            "ftrl": Ftrl}


def known_names():
    """The optimizer names ``get`` accepts (lower case; the class names are accepted too),
    sorted.

    Returns
    -------
    list of str
        The names.
    """
    return sorted(_BY_NAME)


def serialize(optimizer):
    """An optimizer's configuration as Keras writes it: ``{'class_name': ..., 'config':
    optimizer.get_config()}``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer to describe.

    Returns
    -------
    dict
        The class name and the optimizer's config.
    """
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """Make an optimizer from the dict ``serialize`` gives.

    Parameters
    ----------
    config : dict
        ``{'class_name': ..., 'config': ...}``.

    Returns
    -------
    Optimizer
        A new optimizer.
    """
    return get(config)


def get(identifier):
    """Name ('adam', 'Adam', ...), Optimizer or config dict -> Optimizer.

    Parameters
    ----------
    identifier : str, Optimizer, dict or None
        An optimizer name (``'adam'``, ``'SGD'``, ...; made with its defaults), an
        Optimizer (returned as it is), a config dict, or None (returned as it is, as
        Keras 3 does).

    Returns
    -------
    Optimizer or None
        The optimizer.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if isinstance(name, str) and name not in ALL_OBJECTS and name.lower() in _BY_NAME:
            # Keras' deserialize takes the lower-case names too ("adam")
            identifier = dict(identifier, class_name=_BY_NAME[name.lower()].__name__)
        return _registry.from_dict("optimizer", identifier, ALL_OBJECTS)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizer: unknown optimizer {identifier!r}; expected one of {known_names()}")
        return cls()
    raise ValueError(f"optimizer: expected an optimizer name or a fastnn Optimizer, got {identifier!r}; "
                     f"known names: {known_names()}")
