"""The one way a serialised object ({"class_name", "config"}) is turned back into an
object: each kind (layer, loss, optimizer, ...) passes its own name -> class table."""


def from_dict(kind, config, all_objects):
    """A new object of the class named by config["class_name"], built with from_config."""
    cls = all_objects.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"{kind}: unknown class_name {config.get('class_name')!r}; expected one "
                         f"of {sorted(all_objects)}")
    return cls.from_config(config.get("config", {}))
