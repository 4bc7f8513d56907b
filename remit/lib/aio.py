"""Running a library's coroutines from Remit's synchronous code.

``LoopThread`` is an event loop of its own in a thread of its own, with ``asyncio.Runner``'s
``run(coro)``. Unlike ``asyncio.run`` or a ``Runner``, it works whether or not the calling thread
already runs an event loop: Playwright's sync API does in the browser tests, and so can a worker
pool or a server that calls Remit. One instance runs one conversation (an SFTP session) step by step.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str = "remit-async") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (or its exception, raised here)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        """Cancel what is still running on the loop, as ``asyncio.run`` does at its end, then stop it."""
        if self._loop.is_closed():
            return

        async def cancel_the_rest() -> None:
            rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
            await self._loop.shutdown_asyncgens()

        try:
            self.run(cancel_the_rest())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
