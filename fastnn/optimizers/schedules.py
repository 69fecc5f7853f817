"""Learning-rate schedules (keras.optimizers.schedules): step -> learning rate.

The arguments are checked when the schedule is made (finite numbers; rates and decay
rates >= 0, decay_steps > 0, boundaries increasing), and every value a schedule gives is
a finite learning rate >= 0: a step at which the formula overflows (a decay_rate above 1
far enough on) raises ValueError instead of handing an infinite rate to the optimizer.
"""
import math

from fastnn import _argcheck
from fastnn import _registry


class LearningRateSchedule:
    """keras.optimizers.schedules.LearningRateSchedule: the base class of the learning-rate
    schedules. A schedule is called with the optimizer's step count (``schedule(step)``) and
    gives the learning rate for that step; pass it as an optimizer's ``learning_rate``. A
    subclass defines ``__call__(step)`` and ``get_config()``."""
    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _step(owner, step, lo=0):
    """The optimizer step a schedule is asked about: a finite number >= 0 (any finite
    number where lo is None)."""
    return _argcheck.real(step, "step", owner, lo=lo)


def _steps(owner, name, value, lo_open=True):
    """A number of steps (> 0, or >= 0 with lo_open=False), kept an int when given as one
    (it goes into the config as given)."""
    v = _argcheck.real(value, name, owner, lo=0, lo_open=lo_open)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return v


def _lr(owner, name, value, allow_none=False):
    return _argcheck.real(value, name, owner, lo=0, hi=_RATE_MAX, allow_none=allow_none)


# The largest rate a schedule gives: float32's largest number (a float32 model's update
# takes the rate as a float32, where anything larger is inf).
_RATE_MAX = 3.4028234663852886e38


def _rate(owner, step, value, formula):
    """A computed learning rate, refused when the formula overflowed at this step."""
    if not 0 <= value <= _RATE_MAX:
        raise ValueError(f"{owner}: the learning rate at step {step:g} is not a number in "
                         f"[0, {_RATE_MAX:g}] (float32's largest): {formula} = {value!r}")
    return value


def _name(owner, name, default):
    return _argcheck.string(name, "name", owner, allow_none=True) or default


class _Decay(LearningRateSchedule):
    """Shared by the decays of (step / decay_steps), floored when staircase."""
    _formula = ""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        owner = type(self).__name__
        self.initial_learning_rate = _argcheck.real(initial_learning_rate,
                                                    "initial_learning_rate", owner, lo=0,
                                                    hi=_RATE_MAX)
        self.decay_steps = _argcheck.real(decay_steps, "decay_steps", owner, lo=0, lo_open=True)
        if isinstance(decay_steps, int) and not isinstance(decay_steps, bool):
            self.decay_steps = decay_steps      # kept an int, as given (its config)
        self.decay_rate = _argcheck.real(decay_rate, "decay_rate", owner, lo=0)
        self.staircase = _argcheck.boolean(staircase, "staircase", owner)
        self.name = _name(owner, name, owner)

    def __call__(self, step):
        owner = type(self).__name__
        step = _step(owner, step)
        p = step / self.decay_steps
        if self.staircase and math.isfinite(p):
            p = math.floor(p)
        try:
            value = self._decay(p)
        except OverflowError:
            value = math.inf
        return _rate(owner, step, value, self._formula)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_Decay):
    """lr * decay_rate ** (step / decay_steps) (integer division if staircase).

    Parameters
    ----------
    initial_learning_rate : float
        The learning rate at step 0.
    decay_steps : int
        The number of steps the decay is measured in; greater than 0.
    decay_rate : float
        The factor the rate is multiplied by every ``decay_steps`` steps.
    staircase : bool
        If True, the rate drops in steps (the exponent is ``step // decay_steps``).
        Default False.
    name : str, optional
        The schedule's name, kept in its config.
    """
    _formula = "initial_learning_rate * decay_rate ** (step / decay_steps)"

    def _decay(self, p):
        return self.initial_learning_rate * self.decay_rate ** p


class InverseTimeDecay(_Decay):
    """lr / (1 + decay_rate * step / decay_steps).

    Parameters
    ----------
    initial_learning_rate : float
        The learning rate at step 0.
    decay_steps : int
        The number of steps the decay is measured in; greater than 0.
    decay_rate : float
        How fast the rate falls.
    staircase : bool
        If True, ``step / decay_steps`` is rounded down. Default False.
    name : str, optional
        The schedule's name, kept in its config.
    """
    _formula = "initial_learning_rate / (1 + decay_rate * step / decay_steps)"

    def _decay(self, p):
        return self.initial_learning_rate / (1 + self.decay_rate * p)


def _numbers(owner, name, seq, **limits):
    """A list or tuple (or 1-D array) of finite numbers, checked one by one; ints stay
    ints, as given (they go into the config)."""
    if isinstance(seq, (str, bytes, dict)) or not hasattr(seq, "__len__") or \
            not hasattr(seq, "__iter__") or getattr(seq, "ndim", 1) != 1:
        raise TypeError(f"{owner}: {name} must be a list of numbers, got "
                        f"{type(seq).__name__} {_argcheck.shown(seq)}")
    out = []
    for i, v in enumerate(seq):
        f = _argcheck.real(v, f"{name}[{i}]", owner, **limits)
        v = v.item() if hasattr(v, "item") else v
        out.append(v if isinstance(v, int) and not isinstance(v, bool) else f)
    return out


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ...,
    values[-1] after the last boundary (boundaries strictly increasing).

    Parameters
    ----------
    boundaries : list of int
        The steps where the rate changes, strictly increasing.
    values : list of float
        The rates, one more than ``boundaries``.
    name : str
        The schedule's name. Default ``'PiecewiseConstant'``.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        owner = "PiecewiseConstantDecay"
        boundaries = _numbers(owner, "boundaries", boundaries)
        values = _numbers(owner, "values", values, lo=0, hi=_RATE_MAX)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: values must have len(boundaries)+1 = "
                             f"{len(boundaries) + 1} entries, got {len(values)}")
        for i in range(1, len(boundaries)):
            if not boundaries[i] > boundaries[i - 1]:
                raise ValueError(f"PiecewiseConstantDecay: boundaries must be strictly "
                                 f"increasing, got boundaries[{i - 1}]={boundaries[i - 1]!r} "
                                 f"and boundaries[{i}]={boundaries[i]!r}")
        self.boundaries, self.values = boundaries, values
        self.name = _name(owner, name, "PiecewiseConstant")

    def __call__(self, step):
        # any finite step, as in Keras (an optimizer's is never negative)
        step = _step("PiecewiseConstantDecay", step, lo=None)
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(initial_learning_rate - end_learning_rate) * (1 - step / decay_steps) ** power
    + end_learning_rate, the step held at decay_steps after it; with cycle=True,
    decay_steps is multiplied by ceil(step / decay_steps) (1 at step 0) instead.

    Parameters
    ----------
    initial_learning_rate : float
        The learning rate at step 0.
    decay_steps : int
        The number of steps the decay is measured in; greater than 0.
    end_learning_rate : float
        The rate reached at ``decay_steps``. Default 0.0001.
    power : float
        The exponent of the polynomial, at least 0. Default 1: linear.
    cycle : bool
        If True, the decay restarts past ``decay_steps`` with a longer period. Default
        False.
    name : str
        The schedule's name. Default ``'PolynomialDecay'``.
    """
    _formula = ("(initial_learning_rate - end_learning_rate) * (1 - step / decay_steps) "
                "** power + end_learning_rate")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        owner = "PolynomialDecay"
        self.initial_learning_rate = _lr(owner, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps(owner, "decay_steps", decay_steps)
        self.end_learning_rate = _lr(owner, "end_learning_rate", end_learning_rate)
        # power >= 0: a negative one makes the rate infinite at decay_steps
        self.power = _argcheck.real(power, "power", owner, lo=0)
        self.cycle = _argcheck.boolean(cycle, "cycle", owner)
        self.name = _name(owner, name, "PolynomialDecay")

    def __call__(self, step):
        owner = "PolynomialDecay"
        step = _step(owner, step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = 1.0 if step == 0 else math.ceil(step / self.decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        try:
            value = ((self.initial_learning_rate - self.end_learning_rate)
                     * (1 - p) ** self.power + self.end_learning_rate)
        except OverflowError:
            value = math.inf
        return _rate(owner, step, value, self._formula)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


def _cosine(fraction, alpha):
    """(1 - alpha) * 0.5 * (1 + cos(pi * fraction)) + alpha."""
    return (1 - alpha) * (0.5 * (1.0 + math.cos(math.pi * fraction))) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate to alpha times it over decay_steps; with
    warmup_target, first a linear warmup from initial_learning_rate to warmup_target over
    warmup_steps, then the decay from warmup_target (to alpha * warmup_target).

    Parameters
    ----------
    initial_learning_rate : float
        The learning rate at step 0.
    decay_steps : int
        The number of steps the decay is measured in; greater than 0.
    alpha : float
        The final rate as a fraction of the initial (or warm-up target) rate. Default
        0.
    name : str
        The schedule's name. Default ``'CosineDecay'``.
    warmup_target : float, optional
        The rate a linear warm-up climbs to before the decay. Default None: no warm-up.
    warmup_steps : int
        The length of the warm-up. Default 0.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        owner = "CosineDecay"
        self.initial_learning_rate = _lr(owner, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _steps(owner, "decay_steps", decay_steps)
        # alpha: the final rate as a fraction of the initial one (< 0 would end negative)
        self.alpha = _argcheck.real(alpha, "alpha", owner, lo=0)
        self.name = _name(owner, name, "CosineDecay")
        self.warmup_target = _lr(owner, "warmup_target", warmup_target, allow_none=True)
        self.warmup_steps = _steps(owner, "warmup_steps", warmup_steps, lo_open=False)

    def __call__(self, step):
        owner = "CosineDecay"
        step = _step(owner, step)
        decay_steps = float(self.decay_steps)
        if self.warmup_target is None:
            s = min(step, decay_steps)
            value = self.initial_learning_rate * _cosine(s / decay_steps, self.alpha)
            return _rate(owner, step, value,
                         "initial_learning_rate * ((1 - alpha) * cos + alpha)")
        warmup_steps = float(self.warmup_steps)
        s = min(step, decay_steps + warmup_steps)
        if s < warmup_steps:
            value = ((self.warmup_target - self.initial_learning_rate) * (s / warmup_steps)
                     + self.initial_learning_rate)
            formula = ("(warmup_target - initial_learning_rate) * step / warmup_steps "
                       "+ initial_learning_rate")
        else:
            value = self.warmup_target * _cosine((s - warmup_steps) / decay_steps, self.alpha)
            formula = "warmup_target * ((1 - alpha) * cos + alpha)"
        return _rate(owner, step, value, formula)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR (Loshchilov & Hutter): cosine decay from the initial rate to alpha times it
    over first_decay_steps, then a warm restart; period i lasts t_mul**i times as long
    and starts at m_mul**i times the initial rate.

    The period a step falls in comes from Keras' closed form (floor of a logarithm),
    corrected to the exact period where rounding puts it one off at a boundary. With
    t_mul < 1 the periods shrink and end for good after first_decay_steps / (1 - t_mul)
    steps: a step there has no rate (ValueError; Keras gives NaN).

    Parameters
    ----------
    initial_learning_rate : float
        The learning rate at step 0.
    first_decay_steps : int
        The length of the first period; greater than 0.
    t_mul : float
        Each period lasts ``t_mul`` times as long as the one before. Default 2.
    m_mul : float
        Each period starts at ``m_mul`` times the previous starting rate. Default 1.
    alpha : float
        The rate at the end of a period, as a fraction of its starting rate. Default 0.
    name : str
        The schedule's name. Default ``'SGDRDecay'``.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        owner = "CosineDecayRestarts"
        self.initial_learning_rate = _lr(owner, "initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _steps(owner, "first_decay_steps", first_decay_steps)
        self.t_mul = _argcheck.real(t_mul, "t_mul", owner, lo=0, lo_open=True)
        self.m_mul = _argcheck.real(m_mul, "m_mul", owner, lo=0)
        self.alpha = _argcheck.real(alpha, "alpha", owner, lo=0)
        self.name = _name(owner, name, "SGDRDecay")

    def _period(self, fraction):
        """(i, fraction of period i done) for `fraction` = step / first_decay_steps."""
        t = self.t_mul
        if t == 1.0:
            i = math.floor(fraction)
            return i, fraction - i
        arg = 1.0 - fraction * (1.0 - t)
        if not arg > 0:
            return None
        i = max(math.floor(math.log(arg) / math.log(t)), 0)

        def start(k):     # sum_{j<k} t**j: where period k starts, in first periods
            return (1.0 - t ** k) / (1.0 - t)
        for _ in range(64):
            if i > 0 and start(i) > fraction:
                i -= 1
            elif start(i + 1) <= fraction:
                i += 1
            else:
                break
        return i, (fraction - start(i)) / t ** i

    def __call__(self, step):
        owner = "CosineDecayRestarts"
        step = _step(owner, step)
        try:
            period = self._period(step / self.first_decay_steps)
            if period is None:
                raise ValueError(
                    f"{owner}: at step {step:g} the restarts are over: with t_mul = "
                    f"{self.t_mul!r} < 1 all periods together last first_decay_steps / "
                    f"(1 - t_mul) = {self.first_decay_steps / (1 - self.t_mul):g} steps")
            i, fraction = period
            m_fac = self.m_mul ** i
            decayed = 0.5 * m_fac * (1.0 + math.cos(math.pi * fraction))
            value = self.initial_learning_rate * ((1 - self.alpha) * decayed + self.alpha)
        except OverflowError:
            value = math.inf
        return _rate(owner, step, value, "initial_learning_rate * ((1 - alpha) * m_mul ** i "
                     "* 0.5 * (1 + cos(pi * fraction)) + alpha)")

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


ALL_OBJECTS = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                       PolynomialDecay, CosineDecay, CosineDecayRestarts)}


def serialize(schedule):
    """A schedule's configuration as Keras writes it: ``{'class_name': ..., 'config':
    schedule.get_config()}``.

    Parameters
    ----------
    schedule : LearningRateSchedule
        The schedule to describe.

    Returns
    -------
    dict
        The class name and the schedule's config.
    """
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """A schedule from serialize()'s {"class_name": ..., "config": {...}} (Keras' form,
    with its "module" and "registered_name" keys, is read too).

    Parameters
    ----------
    config : dict
        ``{'class_name': ..., 'config': ...}``.

    Returns
    -------
    LearningRateSchedule
        A new schedule.
    """
    return _registry.from_dict("schedule", config, ALL_OBJECTS)
