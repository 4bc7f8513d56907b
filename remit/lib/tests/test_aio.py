"""``LoopThread`` runs coroutines from synchronous code, also where the calling thread already runs an
event loop (Playwright's sync API does, in the browser tests), and cleans up what is left at its close."""

import asyncio
import threading

import pytest

from remit.lib.aio import LoopThread


async def _double(value: int) -> int:
    await asyncio.sleep(0)
    return 2 * value


async def _fail() -> None:
    raise ValueError("no")


def test_it_runs_steps_one_after_another_and_raises_their_errors_here():
    with LoopThread() as loop:
        assert [loop.run(_double(n)) for n in range(3)] == [0, 2, 4]
        with pytest.raises(ValueError, match="no"):
            loop.run(_fail())


def test_it_works_inside_a_running_event_loop():
    """Where ``asyncio.run`` or an ``asyncio.Runner`` raises "cannot be called from a running event loop"."""

    async def caller() -> int:
        with LoopThread() as loop:
            return loop.run(_double(21))

    # A thread of its own: in the full suite this thread may already run Playwright's loop.
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(asyncio.run(caller())))
    worker.start()
    worker.join()
    assert results == [42]


def test_closing_cancels_what_is_still_running():
    started = []

    async def forever() -> None:
        started.append(True)
        await asyncio.sleep(3600)

    loop = LoopThread()
    task = loop.run(_spawn(forever))
    assert started
    loop.close()
    assert task.cancelled()
    loop.close()  # twice is harmless


async def _spawn(work):
    task = asyncio.create_task(work())
    await asyncio.sleep(0)
    return task
