"""Epochs of steps over any input: Keras 3's `EpochIterator`, offered to the trainer.

It owns what `steps_per_epoch` means: an epoch is `steps_per_epoch` batches when given
(an iterator then carries on across epochs, so an infinite generator or a repeated
dataset is read on, not restarted), else one pass over the data (its size learnt at the
end of the first epoch when unknown). Running out of data before `steps_per_epoch`
batches warns "Your input ran out of data" and ends the epoch.

    iterator = EpochIterator(x, y, batch_size=32, steps_per_epoch=None, shuffle=True)
    for epoch in range(epochs):
        for begin_step, end_step, batches in iterator:    # batches: a list of
            ...                                            # steps_per_execution batches
"""
import contextlib
import warnings

from fastnn import backend
from fastnn.trainers import data_adapters

__all__ = ["EpochIterator"]


class EpochIterator:
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, steps_per_execution=1, **adapter_kwargs):
        if steps_per_epoch is not None:
            steps_per_epoch = data_adapters.array_data_adapter._positive_int(
                steps_per_epoch, "steps_per_epoch")
        cap = backend.max_steps_per_epoch()      # keras.config.set_max_steps_per_epoch
        if cap and (steps_per_epoch is None or cap < steps_per_epoch):
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=2)
            steps_per_epoch = cap
        self.steps_per_epoch = steps_per_epoch
        self.steps_per_execution = data_adapters.array_data_adapter._positive_int(
            steps_per_execution, "steps_per_execution", allow_none=False)
        self._current_iterator = None
        self._epoch_iterator = None
        self._steps_seen = 0
        self.data_adapter = data_adapters.get_data_adapter(
            x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
            steps_per_epoch=steps_per_epoch, shuffle=shuffle, class_weight=class_weight,
            **adapter_kwargs)
        self._num_batches = self.data_adapter.num_batches

    def _get_iterator(self):
        return self.data_adapter.get_numpy_iterator()

    def _interrupted_warning(self):
        warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                      "dataset or generator can generate at least `steps_per_epoch * epochs` "
                      "batches. You may need to use the `.repeat()` function when building "
                      "your dataset.", stacklevel=2)

    def reset(self):
        self._current_iterator = None
        self._num_batches = self.data_adapter.num_batches
        self._steps_seen = 0
        self._epoch_iterator = None
        self.data_adapter.on_epoch_end()

    def _enumerate_iterator(self):
        self.data_adapter.on_epoch_begin()
        steps_per_epoch = self.steps_per_epoch or self._num_batches or -1
        if steps_per_epoch > 0:
            if self._current_iterator is None or self.steps_per_epoch is None:
                self._current_iterator = iter(self._get_iterator())
                self._steps_seen = 0
            for step in range(0, steps_per_epoch, self.steps_per_execution):
                if self._num_batches and self._steps_seen >= self._num_batches:
                    if self.steps_per_epoch:
                        self._interrupted_warning()
                    break
                self._steps_seen += self.steps_per_execution
                yield step, step + self.steps_per_execution - 1, self._current_iterator
            if self._num_batches and self._steps_seen >= self._num_batches:
                self._current_iterator = iter(self._get_iterator())
                self._steps_seen = 0
        else:
            iterator = iter(self._get_iterator())
            step = -self.steps_per_execution
            while True:
                step += self.steps_per_execution
                self._steps_seen = step + self.steps_per_execution
                yield step, step + self.steps_per_execution - 1, iterator
        self.data_adapter.on_epoch_end()

    def __iter__(self):
        self._epoch_iterator = self._enumerate_iterator()
        return self

    def __next__(self):
        buffer = []
        begin_step, end_step, iterator = next(self._epoch_iterator)
        with self.catch_stop_iteration(buffer):
            for _ in range(self.steps_per_execution):
                buffer.append(next(iterator))
            return begin_step, end_step, buffer
        if buffer:
            return begin_step, end_step, buffer
        raise StopIteration

    def enumerate_epoch(self):
        for begin_step, end_step, data in self:
            yield begin_step, end_step, data

    @contextlib.contextmanager
    def catch_stop_iteration(self, buffer=()):
        """An iterator running out of data ends the epoch (learning its size when it was
        unknown; a warning when steps_per_epoch asked for more)."""
        try:
            yield
        except StopIteration:
            if self._num_batches is None:
                # the steps completed (Keras counts the step that found no data as well)
                self._num_batches = (self._steps_seen - self.steps_per_execution
                                     + len(buffer))
            if self.steps_per_epoch:
                self._interrupted_warning()
            self._current_iterator = None
            self.data_adapter.on_epoch_end()

    @property
    def num_batches(self):
        if self.steps_per_epoch:
            return self.steps_per_epoch
        return self._num_batches
