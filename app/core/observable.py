"""A tiny observer list for Qt-free models: views subscribe, models notify.

The GUI connects a widget's redraw to a model's ``changed``; a test subscribes a list's
``append``. Callbacks run on the thread that changed the model (the GUI thread for every
model a window holds).
"""

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Event(Generic[T]):
    """Callbacks to call with one value when something happened."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], None]] = []

    def connect(self, callback: Callable[[T], None]) -> Callable[[], None]:
        """Call ``callback(value)`` on every emit; returns a function that disconnects it."""
        self._callbacks.append(callback)

        def disconnect() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return disconnect

    def emit(self, value: T) -> None:
        """Call every connected callback with ``value`` (a copy of the list: a callback
        may disconnect itself)."""
        for callback in list(self._callbacks):
            callback(value)
