"""keras.wrappers: scikit-learn estimators around fastnn models.

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` (Keras 3's
``keras.wrappers``) make a compiled fastnn model, or a function that builds one, a
scikit-learn estimator: it goes into ``Pipeline``, ``GridSearchCV``, ``cross_val_score``
and, through joblib, onto worker processes, a Dask cluster or Ray.

scikit-learn is imported the first time one of the classes is used, never by
``import fastnn``; install it with ``pip install scikit-learn``.
"""
__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    if name in __all__:
        try:
            from fastnn.wrappers import sklearn_wrapper
        except ImportError as e:
            if getattr(e, "name", None) and e.name.split(".")[0] == "sklearn":
                raise ImportError(f"fastnn.wrappers.{name} requires scikit-learn: "
                                  "pip install scikit-learn") from e
            raise
        return getattr(sklearn_wrapper, name)
    raise AttributeError(f"module 'fastnn.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
