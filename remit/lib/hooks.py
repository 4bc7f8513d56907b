"""Hooks: how a lower layer tells a higher one that something happened, without importing it.

The lower layer declares the hook (``invoices_changed = Hook("…")`` in its ``hooks`` module) and calls
it where the thing happens; the higher layer registers its one receiver in its ``AppConfig.ready()``.
A hook has exactly one receiver, so reading the declaration and grepping for ``.register(`` tells the
whole story; calling one that nobody registered is a bug, not a quiet no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Hook(Generic[P, R]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._receiver: Callable[P, R] | None = None

    def register(self, receiver: Callable[P, R]) -> None:
        if self._receiver is not None and self._receiver is not receiver:
            raise RuntimeError(f"The hook {self.name} already has a receiver: {self._receiver!r}.")
        self._receiver = receiver

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._receiver is None:
            raise RuntimeError(f"Nothing registered for the hook {self.name}: is its app installed?")
        return self._receiver(*args, **kwargs)
