"""Executing a notebook headless with nbclient's public API, in its own thread so that a
Ctrl-C reaches the runner, and writing notebooks atomically with interrupts held back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat

from .benchmark_notebook import RunnerError


class _Execution(threading.Thread):
    """nbclient in its own thread and event loop, so that Ctrl-C reaches the runner as a
    KeyboardInterrupt (nbclient's own SIGINT handler only works in the main thread, where it
    would kill the kernel and let execution carry on) and the kernel is shut down cleanly."""

    def __init__(self, client: Any) -> None:
        super().__init__(name="device-bench-nbclient", daemon=True)
        self.client = client
        self.error: BaseException | None = None
        self.current: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        # Waited on instead of Thread.join: a KeyboardInterrupt that lands inside join() marks
        # a still running thread as stopped (CPython gh-90882), and later joins return at once.
        self.done = threading.Event()
        client.on_cell_start = self._on_cell_start

    def _on_cell_start(self, cell: Any, cell_index: int) -> None:
        self.current = cell_index

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._started.set()
        client = self.client
        try:
            # The kernel is started here, before async_execute (which then uses it and shuts it
            # down at its end), so that a cancellation while it starts is cleaned up below.
            client.create_kernel_manager()
            await client.async_start_new_kernel()
            await client.async_start_new_kernel_client()
            await client.async_execute()
        except BaseException:
            await _shutdown(client)
            raise

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the main thread
            self.error = exc
        finally:
            self._started.set()
            self.done.set()

    def cancel(self) -> None:
        self.client.shutdown_kernel = "immediate"
        self._started.wait(10)
        if self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                self._loop.call_soon_threadsafe(self._task.cancel)


async def _shutdown(client: Any) -> None:
    """Stop the client's kernel if it still runs (cancelled before async_execute's own clean-up
    could run), with jupyter_client's public kernel manager and client API."""
    km, kc = client.km, client.kc
    if kc is not None:
        with contextlib.suppress(Exception):
            kc.stop_channels()
    if km is None:
        return
    with contextlib.suppress(Exception):
        if await _maybe_await(km.is_alive()):
            await _maybe_await(km.shutdown_kernel(now=True))
    with contextlib.suppress(Exception):
        await _maybe_await(km.cleanup_resources())


async def _maybe_await(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) or asyncio.isfuture(value) else value


def execute_notebook(
    nb: nbformat.NotebookNode,
    kernel_name: str,
    timeout: int | None,
    cwd: Path,
    state: dict[str, Any],
    setup: Callable[[Any], Any] | None = None,
) -> None:
    """Run `nb` in place in a fresh kernel. Raises what nbclient raises, or KeyboardInterrupt.

    `state["cell"]` tells which cell was running when it stopped. `setup`, when given, gets
    the nbclient client before it starts (the runner's cell timing hooks in there).
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        resources={"metadata": {"path": os.fspath(cwd)}},
    )
    if setup is not None:
        setup(client)
    worker = _Execution(client)
    worker.start()
    try:
        while not worker.done.wait(0.2):
            pass
    except KeyboardInterrupt:
        worker.cancel()
        with contextlib.suppress(KeyboardInterrupt):
            worker.done.wait(30)
        raise
    finally:
        state["cell"] = worker.current
    if worker.error is not None:
        raise worker.error


_DEFERRING: list[list[bool]] = []  # the pending lists of the active deferrals, outermost first


@contextlib.contextmanager
def deferred_interrupt(raise_after: bool = True) -> Iterator[list[bool]]:
    """Hold Ctrl-C (and SIGTERM) back while a notebook or a record is made and written.

    The yielded list is non-empty once an interrupt came in. It is raised as KeyboardInterrupt
    afterwards, unless `raise_after` is false (the caller reads the list). Nested inside
    another deferral, it leaves the interrupt to the outer one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    if _DEFERRING:
        yield _DEFERRING[-1]
        return
    pending: list[bool] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: pending.append(True))
    _DEFERRING.append(pending)
    try:
        yield pending
    finally:
        _DEFERRING.pop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pending and raise_after:
        raise KeyboardInterrupt


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write `nb` to `path` atomically (a temporary file beside it, then a rename).

    Raises OSError when it cannot (read-only or vanished folder, disk full); `path` is then
    as it was.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with deferred_interrupt():
            nbformat.write(nb, os.fspath(tmp))
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):  # gone, or never made (the folder went away)
            tmp.unlink()


def check_writable(output: Path) -> None:
    """Refuse (RunnerError) unless a file can be created beside `output`: the atomic write
    puts a temporary file there. The test file is removed at once."""
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".check", dir=output.parent
        )
    except OSError as exc:
        raise RunnerError(
            f"cannot write the output notebook {output}: its folder is not writable "
            f"({exc.strerror or exc})"
        ) from exc
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)
