"""A value each process loads once and keeps while its generation holds (see generations.py)."""

import threading

from . import generations


class ProcessCache:
    """``get()`` returns ``load()``'s result, loaded again whenever generation ``name`` has changed.

    The generation is read before loading, so the value kept is never older
    than the generation it is tagged with.
    """

    def __init__(self, name, load):
        self.name = name
        self._load = load
        self._lock = threading.Lock()
        self._generation = None
        self._value = None

    def get(self, generation=None):
        """The value; ``generation``, when given, is the current one, already read (``current_with``)."""
        if generation is None:
            generation = generations.current(self.name)
        if generation != self._generation:
            with self._lock:
                value = self._load()
                self._value, self._generation = value, generation
            return value
        return self._value

    def clear(self):
        """Forget the value in this process (tests)."""
        with self._lock:
            self._generation = None
            self._value = None

    def changed(self, **kwargs):
        """Signal receiver: the data changed; every process reloads on its next use."""
        generations.bump(self.name)
