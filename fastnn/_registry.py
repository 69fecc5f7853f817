"""The one way a serialised object ({"class_name", "config"}) is turned back into an
object: each kind (layer, loss, optimizer, ...) passes its own name -> class table."""


def from_dict(kind, config, all_objects, custom_objects=None):
    """A new object of the class named by config["class_name"] (in all_objects, or in
    custom_objects, which come first), built with from_config. Anything else than
    {"class_name": <a known name>, "config": {...}} (the "config" may be left out) is a
    ValueError naming the kind and what was given."""
    if custom_objects:
        all_objects = {**all_objects, **custom_objects}
    if not isinstance(config, dict):
        raise ValueError(f"{kind}: expected an object {{\"class_name\": ..., \"config\": {{...}}}}, "
                         f"got {type(config).__name__} {config!r:.100}")
    name = config.get("class_name")
    cls = all_objects.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"{kind}: unknown class_name {name!r:.100}; expected one of "
                         f"{sorted(all_objects)}")
    args = config.get("config", {})
    if not isinstance(args, dict):
        raise ValueError(f"{kind}: the config of {name} must be an object of its arguments, "
                         f"got {type(args).__name__} {args!r:.100}")
    return cls.from_config(args)
