"""Every public class and function of fastnn's API has a docstring that documents each of
its arguments by name, in a NumPy-style ``Parameters`` section (what the API reference,
built by Sphinx with napoleon from these docstrings, shows).

Public: what the user-facing modules export (their ``__all__``, or else their names
without a leading underscore that are defined in fastnn), plus the model methods Keras
users call. Arguments that need no entry: ``self``/``cls``, ``*args``/``**kwargs`` and
names starting with ``_``. A class's constructor arguments may be documented on the class
or on a fastnn base class it inherits them from (``name`` and ``dtype`` on
``Layer``/``Metric``, the clipping arguments on ``Optimizer``), as Keras documents
them once."""
import importlib
import importlib.util
import inspect
import re

import pytest

import fastnn

# The package itself last, so that an object it re-exports is named by its own module.
MODULES = (
    "fastnn.models", "fastnn.layers", "fastnn.losses", "fastnn.metrics",
    "fastnn.optimizers", "fastnn.optimizers.schedules", "fastnn.callbacks",
    "fastnn.activations", "fastnn.initializers", "fastnn.regularizers", "fastnn.constraints",
    "fastnn.ops", "fastnn.nn", "fastnn.autodiff", "fastnn.saving", "fastnn.utils",
    "fastnn.backend", "fastnn.random", "fastnn.data", "fastnn.datasets",
    "fastnn.datasets.digits", "fastnn.datasets.mnist", "fastnn", "fastnn.mixed_precision",
) + (("fastnn.wrappers",) if importlib.util.find_spec("sklearn") else ())

# The methods of a model that Keras users call, checked as the functions are.
MODEL_METHODS = (
    "compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
    "predict_on_batch", "save", "save_weights", "load_weights", "summary", "get_layer",
    "to_json", "build", "from_config", "get_weights", "set_weights", "count_params",
    "add_loss", "add_weight", "add_variable",
)

# Other methods users call or override, checked likewise. (Callback's hooks, one-line
# no-ops, are documented in Callback's docstring.)
OTHER_METHODS = {
    "fastnn.Sequential": ("add", "pop"),
    "fastnn.metrics.Metric": ("update_state", "result", "reset_state", "add_weight"),
    "fastnn.optimizers.Optimizer": ("apply_gradients", "apply", "build"),
    "fastnn.callbacks.Callback": ("set_model", "set_params"),
    "fastnn.layers.Layer": ("build", "call", "compute_output_shape", "get_config",
                            "from_config"),
    "fastnn.losses.Loss": ("call",),
    "fastnn.GradientTape": ("gradient", "jacobian", "batch_jacobian", "watch"),
    "fastnn.data.Dataset": ("from_tensor_slices", "batch", "shuffle", "map", "repeat",
                            "take", "prefetch", "cache"),
}

# Public objects allowed to leave arguments undocumented, with the reason.
EXEMPT = {
    "fastnn.boolean_mask": "tf.boolean_mask is a lambda in the table of TensorFlow names; "
                           "a docstring needs it rewritten as a function (a code change)",
}


def _defined_in_fastnn(obj, module):
    owner = getattr(obj, "__module__", None) or ""
    return owner == module or owner.startswith(module + ".")


def _public_objects():
    seen = {}
    for modname in MODULES:
        module = importlib.import_module(modname)
        exported = getattr(module, "__all__", None)
        names = exported if exported is not None else \
            [n for n in dir(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name, None)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not (getattr(obj, "__module__", "") or "").startswith("fastnn"):
                continue
            if exported is None and not _defined_in_fastnn(obj, modname):
                continue        # a helper the module imports for itself
            seen.setdefault(id(obj), (f"{modname}.{name}", obj))
    for name in MODEL_METHODS:
        method = getattr(fastnn.Model, name)
        seen.setdefault(id(getattr(method, "__func__", method)), (f"fastnn.Model.{name}", method))
    for owner, names in OTHER_METHODS.items():
        cls = importlib.import_module(owner.rsplit(".", 1)[0])
        cls = getattr(cls, owner.rsplit(".", 1)[1])
        for name in names:
            method = getattr(cls, name)
            seen.setdefault(id(getattr(method, "__func__", method)), (f"{owner}.{name}", method))
    return sorted(seen.values(), key=lambda item: item[0])


PUBLIC = _public_objects()


def _arguments(obj):
    """The argument names a docstring must document."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and target is object.__init__:
        return []
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.name not in ("self", "cls") and not p.name.startswith("_")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _docstrings(obj):
    """The docstrings that may document obj's arguments: its own, and for a class also its
    constructor's and those of the fastnn classes it inherits from."""
    if not inspect.isclass(obj):
        return [inspect.getdoc(obj) or ""]
    docs = []
    for cls in obj.__mro__:
        if cls is object or not (cls.__module__ or "").startswith("fastnn"):
            continue
        docs.append(inspect.cleandoc(cls.__dict__.get("__doc__") or ""))
        init = cls.__dict__.get("__init__")
        if init is not None and init.__doc__:
            docs.append(inspect.cleandoc(init.__doc__))
    return docs


_SECTION = re.compile(r"^(?:Other )?Parameters\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", re.M | re.S)
_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::|$)")


def documented(doc):
    """The argument names a NumPy-style docstring documents in its Parameters sections."""
    names = set()
    for section in _SECTION.findall(doc):
        for line in section.splitlines():
            match = _ENTRY.match(line)     # entries start at the left margin
            if match:
                names.update(n.strip().lstrip("*") for n in match.group(1).split(","))
    return names


def test_the_parser_reads_numpy_sections():
    doc = inspect.cleandoc("""Summary.

        Parameters
        ----------
        units : int
            Something: with a colon.
        x1, x2 : array
            Two at once.
        flag
            Without a type.

        Returns
        -------
        other : int
            Not a parameter.
        """)
    assert documented(doc) == {"units", "x1", "x2", "flag"}
    assert documented("units : int, the number of units") == set()


def test_the_walk_finds_the_api():
    names = {name for name, _ in PUBLIC}
    for expected in ("fastnn.models.Sequential", "fastnn.layers.Dense", "fastnn.Model.fit",
                     "fastnn.losses.MeanSquaredError", "fastnn.optimizers.Adam",
                     "fastnn.callbacks.EarlyStopping", "fastnn.metrics.AUC"):
        assert expected in names
    assert len(PUBLIC) > 300


@pytest.mark.parametrize("name,obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_object_documents_its_arguments(name, obj):
    if name in EXEMPT:
        pytest.skip(EXEMPT[name])
    docs = _docstrings(obj)
    assert any(d.strip() for d in docs), f"{name} has no docstring"
    have = set().union(*(documented(d) for d in docs))
    missing = [a for a in _arguments(obj) if a not in have]
    assert not missing, f"{name}: arguments without a Parameters entry: {missing}"


def test_exemptions_are_still_needed():
    public = dict(PUBLIC)
    for name in EXEMPT:
        assert name in public, f"{name} is exempt but not public"
        obj = public[name]
        have = set().union(*(documented(d) for d in _docstrings(obj)))
        assert any(a not in have for a in _arguments(obj)) or \
            not any(d.strip() for d in _docstrings(obj)), f"{name} is documented now: unexempt it"
