"""scikit-learn estimators around fastnn models (Keras 3's ``keras.wrappers``).

Each estimator holds a *model*: a compiled fastnn model, or a function
``model(X=..., y=..., **model_kwargs)`` that builds and compiles one. ``fit`` validates
the data as scikit-learn estimators do, encodes the target (one-hot for the classifier),
gets a fresh model (a clone of the given one, or the function's result) and trains it
with ``model.fit(X, y, **fit_kwargs)``.

What differs from Keras 3's wrappers, on purpose:

- ``random_state`` seeds fastnn's generator for the weights, shuffles and dropout of a
  fit, so fits (and so grid searches, on any number of workers) are reproducible; the
  caller's own random stream is left where it was.
- ``sklearn.base.clone`` keeps ``fit_kwargs`` (Keras 3.15 drops them, so its clones,
  e.g. every candidate of a grid search, train with ``model.fit``'s defaults), and
  ``fit`` never changes ``fit_kwargs``.
- ``verbose`` is 0 unless ``fit_kwargs`` or ``fit``'s keywords say otherwise:
  scikit-learn estimators train silently.
- ``partial_fit`` trains one more epoch; the classifier has ``predict_proba`` and, for
  two classes, a one-column ``decision_function`` as scikit-learn's classifiers.
"""
import contextlib
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from fastnn import _argcheck, utils
from fastnn.models import Model, clone_model

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]

_INPUT_DTYPES = (np.float32, np.float64)   # float32 stays float32; others become float64


@contextlib.contextmanager
def _seeded(seed):
    """fastnn's generator seeded with `seed` inside the block (None: left as it is), and
    back at its previous state afterwards."""
    if seed is None:
        yield
        return
    gen = utils.get_rng().bit_generator
    saved = gen.state
    gen.state = np.random.default_rng(seed).bit_generator.state
    try:
        yield
    finally:
        gen.state = saved


def _check_random_state(random_state, owner):
    """random_state as fit reads it: None, a non-negative int, or a RandomState (one
    int drawn from it per fit, as scikit-learn's estimators draw)."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state,
                                                                      numbers.Integral):
        raise TypeError(f"{owner}: random_state must be None, a non-negative int or a "
                        f"numpy.random.RandomState, got {_argcheck.shown(random_state)}")
    if random_state < 0:
        raise ValueError(f"{owner}: random_state must be a non-negative int, got "
                         f"{random_state}")
    return int(random_state)


def _continued_seed(seed, epochs_done):
    """The seed of a fit that continues a model trained `epochs_done` epochs: `seed`
    itself for a fresh model, else one derived from both (so each partial_fit epoch
    draws its own shuffle)."""
    if seed is None or epochs_done == 0:
        return seed
    return int(np.random.SeedSequence([seed, epochs_done]).generate_state(1, np.uint64)[0]
               >> np.uint64(1))


def _single_output(out, owner):
    if isinstance(out, (list, tuple)):
        if len(out) != 1:
            raise ValueError(f"{owner}: the model must have one output, it has {len(out)}")
        out = out[0]
    return np.asarray(out)


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers (see SKLearnClassifier)."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    @property
    def epoch_(self):
        """Epochs model_ has been trained by this estimator (fit, partial_fit)."""
        return getattr(self, "_epochs_done", 0)

    # ------------------------------------------------------------------ checks
    def _check_params(self, what):
        owner = f"{type(self).__name__}.{what}"
        if not isinstance(self.model, Model) and not callable(self.model):
            raise TypeError(f"{owner}: model must be a compiled fastnn Model or a callable "
                            f"that builds one, got {_argcheck.shown(self.model)}")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"{owner}: warm_start must be True or False, got "
                            f"{_argcheck.shown(self.warm_start)}")
        for name in ("model_kwargs", "fit_kwargs"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dict):
                raise TypeError(f"{owner}: {name} must be a dict or None, got "
                                f"{_argcheck.shown(value)}")
        if self.model_kwargs and isinstance(self.model, Model):
            raise ValueError(f"{owner}: model_kwargs are passed to a model-building "
                             f"function, but model is a Model instance; got model_kwargs="
                             f"{_argcheck.shown(self.model_kwargs)}")
        return owner

    def _check_sample_weight(self, sample_weight, n, owner):
        if sample_weight is None:
            return None
        try:
            sw = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: sample_weight must be an array of numbers, got "
                            f"{_argcheck.shown(sample_weight)}") from None
        if sw.ndim == 0:
            sw = np.full(n, float(sw))
        if sw.shape != (n,):
            raise ValueError(f"{owner}: sample_weight must have shape ({n},), one weight "
                             f"per sample, got shape {sw.shape}")
        if not np.all(np.isfinite(sw)) or np.any(sw < 0):
            raise ValueError(f"{owner}: sample_weight must be finite and non-negative")
        if not np.any(sw > 0):
            raise ValueError(f"{owner}: sample_weight is zero for every sample; at least "
                             f"one sample needs a positive weight")
        return sw

    # ------------------------------------------------------------------ targets
    def _encode_target(self, y, reset, owner):
        """y as the model trains on it (2-D float32); reset: learn the encoding."""
        y = np.asarray(y)
        if reset:
            self._y_ndim = y.ndim
        return np.asarray(y.reshape(-1, 1) if y.ndim == 1 else y, dtype=np.float32)

    def _decode_output(self, out):
        out = np.asarray(out)
        return out[:, 0] if self._y_ndim == 1 and out.ndim == 2 and out.shape[1] == 1 else out

    # ------------------------------------------------------------------ model
    def _new_model(self, X, y, owner):
        if isinstance(self.model, Model):
            if self.warm_start:
                model = self.model
            else:
                try:
                    config = self.model.get_compile_config()
                except (TypeError, ValueError) as e:
                    raise ValueError(
                        f"{owner}: a Model given as model is cloned for every fit, with "
                        f"its compile settings, which must name fastnn's own losses, "
                        f"metrics and optimizers ({e}); pass a function that builds and "
                        f"compiles the model instead") from None
                model = clone_model(self.model)
                if config is None:
                    raise ValueError(f"{owner}: model must be compiled (model.compile("
                                     f"optimizer=..., loss=...)) before it is wrapped")
                model.compile_from_config(config)
        else:
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        if not isinstance(model, Model):
            raise TypeError(f"{owner}: the model function must return a fastnn Model, it "
                            f"returned {_argcheck.shown(model)}")
        if not model.compiled or model.optimizer is None or \
                model._loss_identifier is None:
            raise ValueError(f"{owner}: the model must be compiled with a loss and an "
                             f"optimizer (model.compile(optimizer=..., loss=...))")
        return model

    def _fit_kwargs(self, kwargs, owner):
        merged = {"verbose": 0, **(self.fit_kwargs or {}), **kwargs}
        for key in ("x", "y", "sample_weight"):
            if key in merged:
                raise TypeError(f"{owner}: {key} is an argument of fit itself, not one "
                                f"of fit_kwargs")
        return merged

    def _train(self, X, y, sample_weight, kwargs, owner, reset, one_epoch=False):
        """Validate everything, then train (a new model when reset, else model_)."""
        self._check_params(owner.rsplit(".", 1)[-1])
        seed = _check_random_state(self.random_state, owner)
        fit_kwargs = self._fit_kwargs(kwargs, owner)
        if one_epoch:
            if "epochs" in kwargs:
                raise TypeError(f"{owner}: partial_fit trains one epoch; epochs is not "
                                f"accepted, got epochs={_argcheck.shown(kwargs['epochs'])}")
            fit_kwargs["epochs"] = fit_kwargs.get("initial_epoch", 0) + 1
        saved = dict(self.__dict__)
        try:    # a failed fit leaves the fitted attributes as they were
            X, y = self._validate_xy(X, y, reset)
            sample_weight = self._check_sample_weight(sample_weight, X.shape[0], owner)
            y_enc = self._encode_target(y, reset, owner)
            self._check_weighted_target(y_enc, sample_weight, owner)
            epochs_done = 0 if reset else self._epochs_done
            with _seeded(_continued_seed(seed, epochs_done)):
                model = self._new_model(X, y_enc, owner) if reset else self.model_
                history = model.fit(X, y_enc, sample_weight=sample_weight, **fit_kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        logs = dict(history.history) if history is not None else {}
        if reset:
            self.history_ = logs
        else:
            for k, v in logs.items():
                self.history_.setdefault(k, []).extend(v)
        self._epochs_done = epochs_done + len(getattr(history, "epoch", []) or [])
        self.model_ = model
        return self

    def _validate_xy(self, X, y, reset):
        return validate_data(self, X, y, reset=reset, dtype=_INPUT_DTYPES,
                             multi_output=True, y_numeric=True)

    def _check_weighted_target(self, y_enc, sample_weight, owner):
        pass

    def _continuing(self):
        return hasattr(self, "model_")

    # ------------------------------------------------------------------ public
    def fit(self, X, y=None, sample_weight=None, **kwargs):
        """Train a model on (X, y).

        A new model is built (a clone of `model`, or `model`'s result) unless
        warm_start is set: then the model of the previous fit, or `model` itself, trains
        on.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets (required: None raises ValueError).
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample for the loss (zero: the sample does not count).
        **kwargs
            Keyword arguments of ``model.fit`` (epochs, batch_size, callbacks, ...);
            they take precedence over those in `fit_kwargs`.

        Returns
        -------
        self
        """
        owner = f"{type(self).__name__}.fit"
        reset = not (self.warm_start and self._continuing())
        return self._train(X, y, sample_weight, kwargs, owner, reset)

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Train one epoch on (X, y), continuing the model of the previous calls (the
        first call builds it, as fit does).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample for the loss.
        **kwargs
            Keyword arguments of ``model.fit`` other than epochs.

        Returns
        -------
        self
        """
        owner = f"{type(self).__name__}.partial_fit"
        return self._train(X, y, sample_weight, kwargs, owner,
                           reset=not self._continuing(), one_epoch=True)

    def _raw_predict(self, X, owner):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_INPUT_DTYPES)
        return _single_output(self.model_.predict(X, verbose=0), owner)

    def predict(self, X):
        """The model's predictions for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._decode_output(self._raw_predict(X, f"{type(self).__name__}.predict"))


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A fastnn model as a scikit-learn classifier.

    Labels (numbers, strings, booleans) are encoded one-hot in the order of
    ``classes_``: the model has one output unit per class, a softmax output (or logits,
    with a loss compiled with ``from_logits=True``).

    Parameters
    ----------
    model : Model or callable
        A compiled fastnn model, or a function ``model(X=..., y=..., **model_kwargs)``
        that returns one; ``X`` is the training input and ``y`` the one-hot target, of
        shape (n_samples, n_classes). A Model is cloned (same architecture and compile
        settings, new weights) for every fit unless warm_start is set.
    warm_start : bool, default False
        True: fit trains on the model of the previous fit (or the given Model itself)
        instead of a new one.
    model_kwargs : dict, optional
        Keyword arguments of the model-building function.
    fit_kwargs : dict, optional
        Keyword arguments of ``model.fit`` (epochs, batch_size, callbacks, ...);
        ``fit``'s own keywords take precedence.
    random_state : int, numpy.random.RandomState or None, default None
        Seeds fastnn's generator for the fit (initial weights, shuffles, dropout), so
        equal seeds give equal models; None leaves the generator as it is. Fits that
        run at once in threads of one process share that generator: run parallel
        searches on processes (joblib's default backend, Dask, Ray) to reproduce them.

    Attributes
    ----------
    model_ : Model
        The trained model.
    history_ : dict
        The logs of the training, one list per metric (as History.history).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        The number of input features.

    Examples
    --------
    >>> from fastnn.layers import Dense, Input
    >>> from fastnn.models import Sequential
    >>> def build(X, y, hidden=16):
    ...     model = Sequential([Input((X.shape[1],)), Dense(hidden, activation="relu"),
    ...                         Dense(y.shape[1], activation="softmax")])
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 20}, random_state=0)
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        super().__init__(model, warm_start, model_kwargs, fit_kwargs, random_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        # As Keras: the few epochs a default fit gets may not reach scikit-learn's
        # score thresholds for its check data sets.
        tags.classifier_tags.poor_score = True
        return tags

    def _validate_xy(self, X, y, reset):
        return validate_data(self, X, y, reset=reset, dtype=_INPUT_DTYPES)

    def _encode_target(self, y, reset, owner):
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"{owner}: y must hold class labels (binary or multiclass); "
                             f"scikit-learn reads it as {kind!r} (Unknown label type)")
        if reset and not hasattr(self, "_given_classes"):
            classes = np.unique(y)
        elif reset:
            classes = self._given_classes
        else:
            classes = self.classes_
        index = np.searchsorted(classes, y)
        index = np.minimum(index, len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            raise ValueError(f"{owner}: y holds labels not in classes_ "
                             f"{_argcheck.shown(classes.tolist())}: "
                             f"{_argcheck.shown(np.unique(np.asarray(y)[unknown]).tolist())}")
        if reset:
            if len(classes) < 2:
                raise ValueError(f"{owner}: y holds one class only "
                                 f"({_argcheck.shown(classes[:1].tolist()[0])}); a classifier needs "
                                 f"at least two classes")
            self.classes_ = classes
        onehot = np.zeros((len(index), len(classes)), dtype=np.float32)
        onehot[np.arange(len(index)), index] = 1.0
        return onehot

    def _check_weighted_target(self, y_enc, sample_weight, owner):
        if sample_weight is not None:
            weighted = np.flatnonzero(y_enc[sample_weight > 0].sum(axis=0))
            if len(weighted) < 2:
                raise ValueError(f"{owner}: sample_weight leaves one class only "
                                 f"({_argcheck.shown(self.classes_[weighted[:1]].tolist()[0])}) with a "
                                 f"positive weight; a classifier needs two classes")

    def fit(self, X, y=None, sample_weight=None, **kwargs):
        """Train a model on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.
        y : array-like of shape (n_samples,)
            The class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample for the loss.
        **kwargs
            Keyword arguments of ``model.fit``; they take precedence over `fit_kwargs`.

        Returns
        -------
        self
        """
        self.__dict__.pop("_given_classes", None)
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train one epoch on (X, y), continuing the model of the previous calls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.
        y : array-like of shape (n_samples,)
            The class labels, all in `classes`.
        classes : array-like, optional
            Every class label, needed at the first call when this batch lacks some
            (as scikit-learn's partial_fit); later calls may leave it out.
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample for the loss.
        **kwargs
            Keyword arguments of ``model.fit`` other than epochs.

        Returns
        -------
        self
        """
        owner = f"{type(self).__name__}.partial_fit"
        self.__dict__.pop("_given_classes", None)
        if classes is not None:
            given = np.unique(np.asarray(classes))
            if self._continuing() and not np.array_equal(given, self.classes_):
                raise ValueError(f"{owner}: classes must equal classes_ of the first call "
                                 f"{_argcheck.shown(self.classes_.tolist())}, got "
                                 f"{_argcheck.shown(given.tolist())}")
            if not self._continuing():
                self._given_classes = given
        try:
            return super().partial_fit(X, y, sample_weight=sample_weight, **kwargs)
        finally:
            self.__dict__.pop("_given_classes", None)

    def _loss_from_logits(self):
        loss = getattr(self.model_, "loss", None)
        return bool(getattr(loss, "from_logits", False))

    def decision_function(self, X):
        """Scores whose largest entry is the predicted class: the model's outputs; for
        two classes one column, the second class's output minus the first's (positive:
        ``classes_[1]``), as scikit-learn's binary classifiers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
        """
        out = self._raw_predict(X, f"{type(self).__name__}.decision_function")
        out = out.astype(np.float64)
        return out[:, 1] - out[:, 0] if len(self.classes_) == 2 else out

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``: the softmax of the
        outputs where the loss was compiled with ``from_logits=True``, otherwise the
        outputs scaled to sum to one per row (unchanged for a softmax output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        owner = f"{type(self).__name__}.predict_proba"
        out = self._raw_predict(X, owner).astype(np.float64)
        if self._loss_from_logits():
            out = np.exp(out - out.max(axis=1, keepdims=True))
        elif np.any(out < 0):
            raise ValueError(f"{owner}: the model's outputs are not probabilities (some "
                             f"are negative); end the model with a softmax layer, or "
                             f"compile it with a loss given from_logits=True")
        total = out.sum(axis=1, keepdims=True)
        return np.divide(out, total, out=np.full_like(out, 1.0 / out.shape[1]),
                         where=total > 0)

    def predict(self, X):
        """The predicted class label of each sample (the largest output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        out = self._raw_predict(X, f"{type(self).__name__}.predict")
        return self.classes_[np.argmax(out, axis=1)]


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A fastnn model as a scikit-learn regressor.

    Parameters
    ----------
    model : Model or callable
        A compiled fastnn model, or a function ``model(X=..., y=..., **model_kwargs)``
        that returns one; ``y`` is the target as a 2-D float32 array (one column for a
        1-D target). A Model is cloned (same architecture and compile settings, new
        weights) for every fit unless warm_start is set.
    warm_start : bool, default False
        True: fit trains on the model of the previous fit (or the given Model itself).
    model_kwargs : dict, optional
        Keyword arguments of the model-building function.
    fit_kwargs : dict, optional
        Keyword arguments of ``model.fit``; ``fit``'s own keywords take precedence.
    random_state : int, numpy.random.RandomState or None, default None
        Seeds fastnn's generator for the fit (initial weights, shuffles, dropout).

    Attributes
    ----------
    model_ : Model
        The trained model.
    history_ : dict
        The logs of the training, one list per metric.
    n_features_in_ : int
        The number of input features.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        super().__init__(model, warm_start, model_kwargs, fit_kwargs, random_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = True    # as Keras (see the classifier's)
        return tags

    def predict(self, X):
        """The model's predictions for X, as float64 (scikit-learn's regressors).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return super().predict(X).astype(np.float64)


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A fastnn model as a scikit-learn transformer: ``transform(X)`` is the trained
    model's output (an embedding, say). The model trains on (X, y) like the regressor's
    (pass ``y=X`` for an autoencoder).

    Parameters
    ----------
    model : Model or callable
        A compiled fastnn model, or a function ``model(X=..., y=..., **model_kwargs)``
        that returns one; ``y`` is the target as a 2-D float32 array.
    warm_start : bool, default False
        True: fit trains on the model of the previous fit (or the given Model itself).
    model_kwargs : dict, optional
        Keyword arguments of the model-building function.
    fit_kwargs : dict, optional
        Keyword arguments of ``model.fit``; ``fit``'s own keywords take precedence.
    random_state : int, numpy.random.RandomState or None, default None
        Seeds fastnn's generator for the fit (initial weights, shuffles, dropout).

    Attributes
    ----------
    model_ : Model
        The trained model.
    history_ : dict
        The logs of the training, one list per metric.
    n_features_in_ : int
        The number of input features.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        super().__init__(model, warm_start, model_kwargs, fit_kwargs, random_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    def transform(self, X):
        """The model's outputs for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
        """
        return self._raw_predict(X, f"{type(self).__name__}.transform")
