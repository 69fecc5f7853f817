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
    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _step(owner, step):
    """The optimizer step a schedule is asked about: a finite number >= 0."""
    return _argcheck.real(step, "step", owner, lo=0)


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
    """lr * decay_rate ** (step / decay_steps) (integer division if staircase)."""
    _formula = "initial_learning_rate * decay_rate ** (step / decay_steps)"

    def _decay(self, p):
        return self.initial_learning_rate * self.decay_rate ** p


class InverseTimeDecay(_Decay):
    """lr / (1 + decay_rate * step / decay_steps)."""
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
    values[-1] after the last boundary (boundaries strictly increasing)."""

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
        step = _step("PiecewiseConstantDecay", step)
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay to alpha * lr over decay_steps (no warmup)."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay"):
        owner = "CosineDecay"
        self.initial_learning_rate = _argcheck.real(initial_learning_rate,
                                                    "initial_learning_rate", owner, lo=0,
                                                    hi=_RATE_MAX)
        self.decay_steps = _argcheck.real(decay_steps, "decay_steps", owner, lo=0, lo_open=True)
        if isinstance(decay_steps, int) and not isinstance(decay_steps, bool):
            self.decay_steps = decay_steps
        # alpha: the final rate as a fraction of the initial one (< 0 would end negative)
        self.alpha = _argcheck.real(alpha, "alpha", owner, lo=0)
        self.name = _name(owner, name, "CosineDecay")

    def __call__(self, step):
        step = _step("CosineDecay", step)
        s = min(step, self.decay_steps) / self.decay_steps
        cos = 0.5 * (1 + math.cos(math.pi * s))
        value = self.initial_learning_rate * ((1 - self.alpha) * cos + self.alpha)
        return _rate("CosineDecay", step, value,
                     "initial_learning_rate * ((1 - alpha) * cos + alpha)")

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name}


ALL_OBJECTS = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule):
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    return _registry.from_dict("schedule", config, ALL_OBJECTS)
