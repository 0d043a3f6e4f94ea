"""Connect a widget to a Qt-free model's Event for as long as the widget lives."""

from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QObject

from app.core.observable import Event

T = TypeVar("T")


def observe(owner: QObject, event: Event[T], callback: Callable[[T], None]) -> None:
    """Call ``callback(value)`` on every ``event``, until ``owner`` is destroyed.

    Models outlive dialogs (one Privacy for the whole window, many import dialogs), so
    the callback is disconnected with its owner and never reaches a deleted widget.
    """
    def guarded(value: T) -> None:
        if shiboken6.isValid(owner):
            callback(value)

    disconnect = event.connect(guarded)
    owner.destroyed.connect(lambda *_args: disconnect())
