"""Objects to JSON-ready data and back (keras.saving's serialize_keras_object /
deserialize_keras_object), and the names custom classes and functions are found by
(register_keras_serializable, custom_object_scope).

What ``serialize_keras_object`` writes (Keras 3's layout, so that configs pass between
the two):

* None, str, int, float, bool: themselves; a NumPy scalar or 0-d array: its Python value;
  lists and dicts: item by item; a tuple stays a tuple (JSON will make it a list).
* ``{"class_name": <tag>, "config": {...}}`` for the values JSON has no type for:
  ``__numpy__`` (an array: ``value`` as nested lists, ``dtype``), ``__tensor__`` (a fastnn
  Tensor, likewise), ``__bytes__`` (``value`` decoded as UTF-8), ``__slice__`` (``start``,
  ``stop``, ``step``, each serialised) and ``__ellipsis__`` (empty config).
* A named function: ``{"module": "builtins", "class_name": "function", "config": <its
  name>, "registered_name": "function"}``; its name is ``"Package>name"`` once it is
  registered. A lambda is refused (ValueError): its code cannot be stored by name.
* Any other object must have ``get_config``: ``{"module", "class_name", "config",
  "registered_name"}`` with ``config`` its get_config() serialised. A fastnn class is
  written under the Keras module that exports it (Dense: ``"keras.layers"``,
  ``registered_name`` None) or, exported nowhere, under ``"keras.src."`` plus its module
  path, with its class name as ``registered_name``; any other class under its own Python
  module, with its registered name (the class name when it is not registered).

How ``deserialize_keras_object`` finds a class or function again: by name, first among
``custom_objects``, then in the innermost ``custom_object_scope``, then among the objects
registered with ``register_keras_serializable``; only when the config's module is
``keras`` or ``keras.<...>``, among fastnn's own public classes, and a function only among
fastnn's activations, loss and metric functions. A ``registered_name`` that is none of
the config's own names must name a custom object, or the config is refused (ValueError:
it would have resolved to a built-in under another name). The object is then made with
``cls.from_config(config["config"])``, inside a custom_object_scope holding the custom
objects, so that a from_config or constructor which deserialises its own parts finds them.

What fastnn does on purpose otherwise than Keras (docs/DIFFERENCES.md): no module named
in a config is ever imported, and nothing from a config is run: a ``__lambda__`` config is
refused whatever ``safe_mode`` says (the argument and ``SafeModeScope`` are kept for
Keras' signatures). Within an ``ObjectSharingScope``, an object met twice is written with
a ``shared_object_id`` and read back as one object.
"""
import importlib
import inspect
import sys
import threading
import types

import numpy as np

from fastnn import _argcheck

__all__ = ["serialize_keras_object", "deserialize_keras_object",
           "register_keras_serializable", "get_registered_name", "get_registered_object",
           "get_custom_objects", "CustomObjectScope", "custom_object_scope",
           "SafeModeScope", "in_safe_mode", "ObjectSharingScope"]

#: "Package>Name" -> the class or function registered under it.
GLOBAL_CUSTOM_OBJECTS = {}
#: The registered class or function -> its "Package>Name" (the inverse table).
GLOBAL_CUSTOM_NAMES = {}

# Per thread: "scope" (the custom_object_scope's dict), "safe_mode" (SafeModeScope's
# value) and "sharing" (ObjectSharingScope's tables); absent outside any scope.
_LOCAL = threading.local()

# Where fastnn's public classes live under Keras' names, in the order a class's module is
# looked for when it is written: "keras" first, as Keras writes Sequential and Model.
_WRITTEN_UNDER = (
    ("keras", "fastnn"), ("keras.layers", "fastnn.layers"), ("keras.losses", "fastnn.losses"),
    ("keras.metrics", "fastnn.metrics"), ("keras.optimizers", "fastnn.optimizers"),
    ("keras.optimizers.schedules", "fastnn.optimizers.schedules"),
    ("keras.regularizers", "fastnn.regularizers"), ("keras.constraints", "fastnn.constraints"),
    ("keras.initializers", "fastnn.initializers"), ("keras.random", "fastnn.random"),
    ("keras.callbacks", "fastnn.callbacks"))
# ... and read back: those, and Keras' other names for the same namespaces.
_READ_FROM = dict(_WRITTEN_UNDER, **{"keras.models": "fastnn.models",
                                      "keras.dtype_policies": "fastnn.mixed_precision"})


# ---------------------------------------------------------------------------------------
# Registration and scopes

def register_keras_serializable(package="Custom", name=None):
    """A decorator that registers a class or function under ``"package>name"``, so that
    its configs name it and ``deserialize_keras_object`` finds it without custom_objects.
    Registering the name again replaces the earlier object (a re-run notebook cell).

    Parameters
    ----------
    package : str
        The first part of the registered name. Default ``"Custom"``.
    name : str, optional
        The second part. Default None: the object's ``__name__``.

    Returns
    -------
    callable
        The decorator; it returns the object it is given, unchanged.
    """
    what = "register_keras_serializable"
    package = _argcheck.string(package, "package", what)
    name = _argcheck.string(name, "name", what, allow_none=True)
    if not package or ">" in package:
        raise ValueError(f"{what}: package must be a non-empty name without '>', got "
                         f"{package!r}")

    def decorator(obj):
        own_name = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(own_name, str) or not own_name:
            raise ValueError(f"{what}: {_argcheck.shown(obj)} has no __name__; pass name=")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"{what}: Cannot register a class that does not have a "
                             f"get_config() method: {obj.__name__} has none, so its configs "
                             f"could not be written")
        key = f"{package}>{own_name}"
        GLOBAL_CUSTOM_OBJECTS[key] = obj
        GLOBAL_CUSTOM_NAMES[obj] = key
        return obj
    return decorator


def get_registered_name(obj):
    """The name a config records for a class or function: its ``"Package>Name"`` when it
    is registered, otherwise its ``__name__``.

    Parameters
    ----------
    obj : type or callable
        The class or function.

    Returns
    -------
    str
        The name.
    """
    try:
        registered = GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:           # an unhashable object is never registered
        registered = None
    return registered if registered is not None else obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function a name stands for, or None: looked up in ``custom_objects``,
    the innermost custom_object_scope, the registered objects, then ``module_objects``.

    Parameters
    ----------
    name : str
        The name (``"Package>Name"`` for a registered object, or a key of a dict).
    custom_objects : dict, optional
        Names to classes or functions, searched first.
    module_objects : dict, optional
        Names to classes or functions, searched last.

    Returns
    -------
    type, callable or None
        What the name stands for.
    """
    for table in (custom_objects, _scope_objects(), GLOBAL_CUSTOM_OBJECTS, module_objects):
        if table and name in table:
            return table[name]
    return None


def get_custom_objects():
    """The live table of registered objects (``"Package>Name"`` -> object): what is added
    to it or removed from it is what ``deserialize_keras_object`` finds.

    Returns
    -------
    dict
        The registry itself, not a copy.
    """
    return GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """A ``with`` block in which the given names are what ``get_registered_object`` and
    ``deserialize_keras_object`` find (before the registered objects). The innermost
    scope is the one seen, not merged with the scopes around it; each thread has its own.

    Parameters
    ----------
    custom_objects : dict or None
        Names to classes or functions; None is an empty scope.
    """

    def __init__(self, custom_objects):
        self.custom_objects = _checked_objects(custom_objects, "custom_object_scope")
        self._outer = None

    def __enter__(self):
        self._outer = _scope_objects()
        _LOCAL.scope = dict(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _LOCAL.scope = self._outer
        return False


custom_object_scope = CustomObjectScope


class SafeModeScope:
    """A ``with`` block whose ``safe_mode`` overrides the one passed to
    ``deserialize_keras_object``. fastnn runs no code from a config in either mode.

    Parameters
    ----------
    safe_mode : bool
        The mode within the block. Default True.
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = _argcheck.boolean(safe_mode, "safe_mode", "SafeModeScope")
        self._outer = None

    def __enter__(self):
        self._outer = in_safe_mode()
        _LOCAL.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc_info):
        _LOCAL.safe_mode = self._outer
        return False


def in_safe_mode():
    """The innermost SafeModeScope's mode, or None outside any."""
    return getattr(_LOCAL, "safe_mode", None)


class ObjectSharingScope:
    """A ``with`` block in which an object serialised twice gets one ``shared_object_id``
    in both configs, and configs with the same id are deserialised into one object."""

    def __enter__(self):
        self._outer = _sharing()
        _LOCAL.sharing = {"written": {}, "read": {}}
        return self

    def __exit__(self, *exc_info):
        _LOCAL.sharing = self._outer
        return False


def _scope_objects():
    return getattr(_LOCAL, "scope", None) or {}


class _BuiltinsOnly:
    """A ``with`` block in which configs name fastnn's own classes only: the custom
    objects of scopes and of the registry are not looked at (files are read so)."""

    def __enter__(self):
        self._outer = getattr(_LOCAL, "builtins_only", False)
        _LOCAL.builtins_only = True
        return self

    def __exit__(self, *exc_info):
        _LOCAL.builtins_only = self._outer
        return False


def _builtins_only():
    """Whether a _BuiltinsOnly block is open in this thread (a file is being read)."""
    return getattr(_LOCAL, "builtins_only", False)


def _with_custom_objects(custom_objects, what):
    """A custom_object_scope adding `custom_objects` (checked to be a dict) to the
    innermost scope's, for a from_config that takes custom_objects=."""
    custom_objects = _checked_objects(custom_objects, what)
    return CustomObjectScope({**_scope_objects(), **custom_objects})


def custom_class_for(config, custom_objects=None):
    """``{class_name: class}`` for the custom class a serialized object
    ``{"class_name", "config", "registered_name"}`` names, found as
    ``deserialize_keras_object`` finds it (custom_objects, the innermost
    custom_object_scope, the registered objects, by its registered name first); None
    when it names none, or inside a block that reads fastnn's own classes only."""
    if getattr(_LOCAL, "builtins_only", False) or not isinstance(config, dict):
        return None
    name = config.get("class_name")
    if not isinstance(name, str):
        return None
    registered = config.get("registered_name")
    for key in ((registered, name) if isinstance(registered, str) else (name,)):
        obj = get_registered_object(key, custom_objects)
        if obj is not None:
            return {name: obj}
    return None


def _sharing():
    return getattr(_LOCAL, "sharing", None)


def _checked_objects(custom_objects, what):
    """custom_objects as a dict (None: empty), or TypeError naming what was given."""
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, dict):
        raise TypeError(f"{what}: custom_objects must be a dict of names to classes or "
                        f"functions, got {type(custom_objects).__name__} "
                        f"{_argcheck.shown(custom_objects)}")
    return custom_objects


# ---------------------------------------------------------------------------------------
# Writing

def serialize_keras_object(obj):
    """An object as JSON-ready data (module docstring: the layout).

    Parameters
    ----------
    obj : object
        A plain value, a container of them, an array, a named function, or an object
        with ``get_config``.

    Returns
    -------
    object
        None, a str, number or bool, a list, tuple or dict of such data.
    """
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, dict):
        return {name: serialize_keras_object(item) for name, item in obj.items()}
    if isinstance(obj, list):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(serialize_keras_object(item) for item in obj)
    tagged = _tagged_value(obj)
    if tagged is not None:
        return tagged
    if isinstance(obj, types.FunctionType):
        return _function_entry(obj)
    if inspect.isclass(obj) or not callable(getattr(obj, "get_config", None)):
        raise TypeError(f"serialize_keras_object: cannot serialise {type(obj).__name__} "
                        f"{_argcheck.shown(obj)}: an object must implement the "
                        f"`get_config()` method (and from_config, or a constructor taking "
                        f"its config's keys) to be written")
    return _shared_entry(obj)


def _tagged_value(obj):
    """The {"class_name": "__tag__", "config": ...} of an array, tensor, bytes, slice or
    Ellipsis; a 0-d array's Python value; None for anything else."""
    from fastnn.tensor import Tensor
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0 and not isinstance(obj, Tensor):
            return obj.item()
        tag = "__tensor__" if isinstance(obj, Tensor) else "__numpy__"
        return {"class_name": tag,
                "config": {"value": np.asarray(obj).tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, slice):
        parts = {"start": obj.start, "stop": obj.stop, "step": obj.step}
        return {"class_name": "__slice__", "config": serialize_keras_object(parts)}
    return None


def _function_entry(fn):
    if fn.__name__ == "<lambda>":
        raise ValueError("serialize_keras_object: cannot serialise a Python lambda: a config "
                         "names functions, and fastnn never stores or runs code from one. "
                         "Define a named function and register it with "
                         "@keras.saving.register_keras_serializable()")
    builtin = {}
    for known, f in _builtin_functions().items():
        builtin.setdefault(f, known)          # a function's own name, not an alias
    name = GLOBAL_CUSTOM_NAMES.get(fn) or builtin.get(fn) or fn.__name__
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def _shared_entry(obj):
    """_object_entry(obj), with the shared_object_id of an ObjectSharingScope."""
    sharing = _sharing()
    if sharing is None:
        return _object_entry(obj)
    first = sharing["written"].get(id(obj))
    if first is not None:
        first["shared_object_id"] = id(obj)
        return dict(first)
    entry = _object_entry(obj)
    sharing["written"][id(obj)] = entry
    return entry


def _object_entry(obj):
    cls = type(obj)
    arguments = obj.get_config()
    if not isinstance(arguments, dict):
        raise TypeError(f"serialize_keras_object: {cls.__name__}.get_config() must return a "
                        f"dict, got {type(arguments).__name__} {_argcheck.shown(arguments)}")
    module, registered_name = _written_names(cls)
    entry = {"module": module, "class_name": cls.__name__,
             "config": serialize_keras_object(arguments), "registered_name": registered_name}
    get_build_config = getattr(obj, "get_build_config", None)
    build_config = get_build_config() if callable(get_build_config) else None
    if build_config is not None:
        entry["build_config"] = serialize_keras_object(build_config)
    return entry


def _written_names(cls):
    """(module, registered_name) recorded for an instance of cls (module docstring)."""
    if cls in GLOBAL_CUSTOM_NAMES:
        return cls.__module__, GLOBAL_CUSTOM_NAMES[cls]
    if not _is_fastnn_class(cls):
        return cls.__module__, cls.__name__
    for keras_name, fastnn_name in _WRITTEN_UNDER:
        if getattr(importlib.import_module(fastnn_name), cls.__name__, None) is cls:
            return keras_name, None
    return "keras.src." + cls.__module__.partition(".")[2], cls.__name__


def _is_fastnn_class(obj):
    return inspect.isclass(obj) and (obj.__module__ or "").split(".")[0] == "fastnn"


def _builtin_functions():
    """Name -> function for the functions a config may name: fastnn's activations, then
    its loss and metric functions (the first name wins)."""
    from fastnn import activations, losses, metrics
    table = {name: fn for name, fn in activations.ALL_OBJECTS.items()}
    for alias, name in activations.ALIASES.items():
        table.setdefault(alias, activations.ALL_OBJECTS[name])
    for fn in losses._FUNCS:
        table.setdefault(fn.__name__, fn)
    for name in metrics._FUNCTIONS:
        table.setdefault(name, getattr(metrics, name))
    return table


# ---------------------------------------------------------------------------------------
# Reading

def deserialize_keras_object(config, custom_objects=None, safe_mode=True):
    """The object that ``serialize_keras_object`` data describe (module docstring: how
    classes and functions are found).

    Parameters
    ----------
    config : object
        What serialize_keras_object returned, possibly through JSON.
    custom_objects : dict, optional
        Names (class names, function names or registered names) to the classes and
        functions of your own that the data name.
    safe_mode : bool or None
        Keras' switch for lambdas; fastnn refuses them either way. Default True (None
        too); a SafeModeScope around the call overrides it.

    Returns
    -------
    object
        The object.
    """
    custom_objects = _checked_objects(custom_objects, "deserialize_keras_object")
    safe_mode = safe_mode is None or _argcheck.boolean(safe_mode, "safe_mode",
                                                        "deserialize_keras_object")
    scoped = in_safe_mode()
    return _read(config, custom_objects, safe_mode if scoped is None else scoped)


def _read(data, custom, safe_mode):
    if isinstance(data, list):
        return [_read(item, custom, safe_mode) for item in data]
    if isinstance(data, tuple):
        return tuple(_read(item, custom, safe_mode) for item in data)
    if not isinstance(data, dict):
        return data
    if "class_name" not in data or "config" not in data:
        return {key: _read(value, custom, safe_mode) for key, value in data.items()}
    tag = data["class_name"]
    if isinstance(tag, str) and tag in _TAGGED:
        return _TAGGED[tag](data["config"], custom, safe_mode)
    if tag == "function":
        return _function_from(data, custom)
    return _shared_object_from(data, custom, safe_mode)


def _tag_fields(config, tag, *names):
    """The named fields of a tagged value's config, or TypeError naming what is wrong."""
    if not isinstance(config, dict) or any(name not in config for name in names):
        raise TypeError(f"deserialize_keras_object: a {tag!r} config must be a dict with "
                        f"the keys {list(names)}, got {_argcheck.shown(config)}")
    return [config[name] for name in names]


def _array_from(config, tag, kinds, kinds_shown):
    value, dtype = _tag_fields(config, tag, "value", "dtype")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in kinds:
        raise ValueError(f"deserialize_keras_object: a {tag!r} config's dtype must be a "
                         f"{kinds_shown} dtype such as 'float32', got "
                         f"{_argcheck.shown(config['dtype'])}")
    return np.array(value, dtype=dtype)


def _numpy_from(config, custom, safe_mode):
    return _array_from(config, "__numpy__", "biufcUS", "numeric or string")


def _tensor_from(config, custom, safe_mode):
    from fastnn.autodiff.core_ops import convert_to_tensor
    return convert_to_tensor(_array_from(config, "__tensor__", "biufc", "numeric"))


def _bytes_from(config, custom, safe_mode):
    value, = _tag_fields(config, "__bytes__", "value")
    if not isinstance(value, str):
        raise TypeError(f"deserialize_keras_object: a '__bytes__' value must be a str, got "
                        f"{_argcheck.shown(value)}")
    return value.encode("utf-8")


def _slice_from(config, custom, safe_mode):
    parts = _tag_fields(config, "__slice__", "start", "stop", "step")
    return slice(*(_read(part, custom, safe_mode) for part in parts))


def _ellipsis_from(config, custom, safe_mode):
    return Ellipsis


def _typespec_from(config, custom, safe_mode):
    if not isinstance(config, (list, tuple)):
        raise TypeError(f"deserialize_keras_object: a '__typespec__' config describes a "
                        f"TensorFlow TypeSpec: Expected 'config' to be a list or a tuple, got "
                        f"{type(config).__name__} {_argcheck.shown(config)}")
    raise ValueError("deserialize_keras_object: a '__typespec__' config describes a "
                     "TensorFlow TypeSpec, which fastnn has no counterpart for")


def _lambda_from(config, custom, safe_mode):
    raise ValueError("deserialize_keras_object: a '__lambda__' config holds Python bytecode; "
                     "loading it would allow arbitrary code execution, and fastnn refuses it "
                     f"whatever safe_mode says (safe_mode={safe_mode}). Define the function "
                     "in your code and register it with register_keras_serializable")


_TAGGED = {"__numpy__": _numpy_from, "__tensor__": _tensor_from, "__bytes__": _bytes_from,
           "__slice__": _slice_from, "__ellipsis__": _ellipsis_from,
           "__typespec__": _typespec_from, "__lambda__": _lambda_from}


def _is_keras_module(module):
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def _refuse_renamed_builtin(data, own_names):
    """ValueError where a config's registered_name, naming no custom object, differs from
    the names of the built-in it resolved to (it would be read as something it is not)."""
    registered_name = data.get("registered_name")
    if registered_name in (None, "") or registered_name in own_names:
        return
    raise ValueError(f"deserialize_keras_object: registered_name {registered_name!r} names no "
                     f"custom object, and the config resolved to a Keras built-in "
                     f"({data.get('module')!r}, {data['class_name']!r}) under another name; "
                     f"refused. Register the object or pass it in custom_objects")


def _function_from(data, custom):
    name = data["config"]
    if not isinstance(name, str) or not name:
        raise TypeError(f"deserialize_keras_object: a 'function' config names the function: "
                        f"Expected 'config' to be a non-null str, got "
                        f"{type(name).__name__} {_argcheck.shown(name)}")
    found = get_registered_object(name, custom) or _registered_by_short_name(name)
    if found is not None:
        return found
    fn = _builtin_functions().get(name)
    if fn is None:
        _refuse_non_modeling(data.get("module"), name)
        raise TypeError(f"deserialize_keras_object: Could not locate function {name!r}. A "
                        f"function of your own must be passed in custom_objects, be inside a "
                        f"custom_object_scope, or be registered with "
                        f"@keras.saving.register_keras_serializable()")
    _refuse_renamed_builtin(data, ("function", name))
    return fn


def _registered_by_short_name(name):
    """The one registered object whose name is "<package>>name" (Keras 3.6 wrote a
    registered function's name without its package), or None."""
    if ">" in name:
        return None
    matches = [obj for key, obj in GLOBAL_CUSTOM_OBJECTS.items()
               if key.rpartition(">")[2] == name]
    return matches[0] if len(matches) == 1 else None


def _refuse_non_modeling(module, name):
    """ValueError where a keras.* module names a fastnn function that is no activation,
    loss or metric (load_model, say)."""
    namespace = _fastnn_namespace(module)
    if namespace is not None and callable(getattr(namespace, name, None)):
        raise ValueError(f"deserialize_keras_object: {module}.{name} is not a modeling "
                         f"function (an activation, loss or metric); a config may name only "
                         f"those")


def _fastnn_namespace(module):
    """The loaded fastnn module standing for a keras.* module name, or None (nothing is
    imported: a keras.src.<path> name is looked up among fastnn's loaded modules)."""
    if not _is_keras_module(module):
        return None
    if module in _READ_FROM:
        return importlib.import_module(_READ_FROM[module])
    path = module.split(".")
    if path[1] != "src" or any(part.startswith("_") for part in path):
        return None
    return sys.modules.get(".".join(["fastnn"] + path[2:]))


def _shared_object_from(data, custom, safe_mode):
    """_object_from(data), once per shared_object_id in an ObjectSharingScope."""
    sharing, key = _sharing(), data.get("shared_object_id")
    if sharing is None or key is None:
        return _object_from(data, custom, safe_mode)
    if key not in sharing["read"]:
        sharing["read"][key] = _object_from(data, custom, safe_mode)
    return sharing["read"][key]


def _object_from(data, custom, safe_mode):
    class_name, config = data["class_name"], data["config"]
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: Expected 'config' to be a dict (the "
                        f"arguments of {class_name!r}), got {type(config).__name__} "
                        f"{_argcheck.shown(config)}")
    cls = _class_for(data, custom)
    if not callable(getattr(cls, "from_config", None)):
        raise TypeError(f"deserialize_keras_object: {class_name!r} resolved to "
                        f"{_argcheck.shown(cls)}, which has no from_config")
    with CustomObjectScope({**_scope_objects(), **custom}), SafeModeScope(safe_mode):
        obj = cls.from_config(dict(config))
        build_config = data.get("build_config")
        if build_config is not None and callable(getattr(obj, "build_from_config", None)):
            obj.build_from_config(build_config)
    return obj


def _class_for(data, custom):
    """The class a config names: a custom one by its registered name or class name, else
    (keras.* modules only) fastnn's public class of that name."""
    class_name, module = data["class_name"], data.get("module")
    for name in (data.get("registered_name"), class_name):
        found = get_registered_object(name, custom) if isinstance(name, str) and name else None
        if found is not None:
            return found
    namespace = _fastnn_namespace(module)
    cls = getattr(namespace, class_name, None) if isinstance(class_name, str) else None
    if _is_fastnn_class(cls) and not class_name.startswith("_"):
        _refuse_renamed_builtin(data, (class_name,))
        return cls
    raise TypeError(f"deserialize_keras_object: Could not locate class {class_name!r} "
                    f"(module {module!r}, registered_name {data.get('registered_name')!r}). A "
                    f"class of your own must be passed in custom_objects, be inside a "
                    f"custom_object_scope, or be registered with "
                    f"@keras.saving.register_keras_serializable(); fastnn never imports the "
                    f"module a config names")
