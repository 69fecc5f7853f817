"""Nested structures of arrays, as Keras' `keras.tree` sees them for model inputs.

A structure is a tuple (named tuples included), a list or a dict (any Mapping); every
other value is a leaf. `None` is an empty subtree, as Keras' `none_is_leaf=False`:
`map_structure` keeps it as None and `flatten` leaves it out. Dict values are visited in
sorted key order (the order `flatten` gives), and a mapped dict keeps its own key order.

(`fastnn.data` has its own rules, TensorFlow's: there a list is one tensor, not a
structure.)
"""
import collections.abc

__all__ = ["is_nested", "flatten", "map_structure", "assert_same_structure",
           "lists_to_tuples", "pack_sequence_as", "traverse_with_path"]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(x):
    """True for a tuple, list or dict (a structure), False for a leaf."""
    return isinstance(x, (tuple, list, collections.abc.Mapping))


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:       # keys of mixed types: keep their own order
        return list(d)


def _rebuild(template, values):
    """A container like `template` holding `values` (for a mapping: a key -> value dict)."""
    if isinstance(template, collections.abc.Mapping):
        ordered = [(k, values[k]) for k in template]
        try:
            return type(template)(ordered)
        except TypeError:
            return dict(ordered)
    if _is_namedtuple(template):
        return type(template)(*values)
    if isinstance(template, tuple):
        return tuple(values)
    try:
        return type(template)(values)
    except TypeError:
        return list(values)


def flatten(structure):
    """The leaves, depth first (dict values by sorted key); None is left out."""
    out = []

    def walk(s):
        if s is None:
            return
        if isinstance(s, collections.abc.Mapping):
            for k in _sorted_keys(s):
                walk(s[k])
        elif isinstance(s, (tuple, list)):
            for v in s:
                walk(v)
        else:
            out.append(s)

    walk(structure)
    return out


def map_structure(fn, *structures):
    """`fn` applied to the leaves of structures of the same shape; None stays None."""
    if not structures:
        raise TypeError("map_structure: at least one structure is required")
    first = structures[0]
    if first is None:
        return None
    if isinstance(first, collections.abc.Mapping):
        for s in structures[1:]:
            if not isinstance(s, collections.abc.Mapping) or set(s) != set(first):
                raise ValueError(f"The two structures don't have the same nested structure: "
                                 f"{_short(first)} and {_short(s)}")
        return _rebuild(first, {k: map_structure(fn, *(s[k] for s in structures))
                                for k in first})
    if isinstance(first, (tuple, list)):
        for s in structures[1:]:
            if not isinstance(s, (tuple, list)) or len(s) != len(first):
                raise ValueError(f"The two structures don't have the same nested structure: "
                                 f"{_short(first)} and {_short(s)}")
        return _rebuild(first, [map_structure(fn, *vals) for vals in zip(*structures)])
    for s in structures[1:]:
        if is_nested(s):
            raise ValueError(f"The two structures don't have the same nested structure: "
                             f"{_short(first)} and {_short(s)}")
    return fn(*structures)


def traverse_with_path(fn, structure, path=()):
    """Like map_structure over one structure, with `fn(path, leaf)`: path is the tuple of
    keys and indices leading to the leaf."""
    if structure is None:
        return None
    if isinstance(structure, collections.abc.Mapping):
        return _rebuild(structure, {k: traverse_with_path(fn, v, path + (k,))
                                    for k, v in structure.items()})
    if isinstance(structure, (tuple, list)):
        return _rebuild(structure, [traverse_with_path(fn, v, path + (i,))
                                    for i, v in enumerate(structure)])
    return fn(path, structure)


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, collections.abc.Mapping):
        return (isinstance(b, collections.abc.Mapping) and set(a) == set(b)
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, (tuple, list)):
        return (isinstance(b, (tuple, list)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    return not is_nested(b)


def assert_same_structure(a, b):
    """ValueError unless `a` and `b` nest alike (lists and tuples are interchangeable;
    dicts must have the same keys; None only matches None)."""
    if not _same(a, b):
        raise ValueError(f"The two structures don't have the same nested structure: "
                         f"{_short(a)} and {_short(b)}")


def lists_to_tuples(structure):
    """Every list in the structure becomes a tuple."""
    if isinstance(structure, collections.abc.Mapping):
        return _rebuild(structure, {k: lists_to_tuples(v) for k, v in structure.items()})
    if isinstance(structure, list):
        return tuple(lists_to_tuples(v) for v in structure)
    if isinstance(structure, tuple):
        return _rebuild(structure, [lists_to_tuples(v) for v in structure])
    return structure


def pack_sequence_as(structure, flat):
    """The leaves in `flat` (in `flatten`'s order) put back into `structure`'s shape."""
    flat = list(flat)
    pos = [0]

    def build(s):
        if s is None:
            return None
        if isinstance(s, collections.abc.Mapping):
            vals = {}
            for k in _sorted_keys(s):
                vals[k] = build(s[k])
            return _rebuild(s, vals)
        if isinstance(s, (tuple, list)):
            return _rebuild(s, [build(v) for v in s])
        if pos[0] >= len(flat):
            raise ValueError(f"pack_sequence_as: {len(flat)} values are too few for the "
                             f"structure {_short(structure)}")
        v = flat[pos[0]]
        pos[0] += 1
        return v

    out = build(structure)
    if pos[0] != len(flat):
        raise ValueError(f"pack_sequence_as: {len(flat)} values for a structure of "
                         f"{pos[0]} leaves")
    return out


def _short(s, limit=120):
    """A structure described by its containers and leaf types/shapes, for messages."""
    def desc(v):
        if v is None:
            return "None"
        if isinstance(v, collections.abc.Mapping):
            return "{" + ", ".join(f"{k!r}: {desc(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(desc(x) for x in v) + "]"
        if isinstance(v, tuple):
            inner = ", ".join(desc(x) for x in v)
            return "(" + inner + ("," if len(v) == 1 else "") + ")"
        shape = getattr(v, "shape", None)
        if shape is not None:
            return f"{type(v).__name__}{tuple(shape)}"
        return type(v).__name__

    text = desc(s)
    return text if len(text) <= limit else text[:limit - 3] + "..."
