"""Ctrl-C during an engine run: the first asks the Pulumi CLI to cancel, the second stops at once.

The CLI runs in its own session (see `cli.engine.adapter.CliCommand`), so a terminal's Ctrl-C
reaches only `infra`. `InterruptGuard` then forwards exactly one SIGINT to the running CLI,
which cancels gracefully (finishes the operations in flight, saves the state, releases the
lock); the engine call returns with the CLI's error and the service records the attempt as
cancelled (exit 8). A second Ctrl-C kills the CLI's process group and raises `StopNow`.

No engine process is registered (e.g. at a confirmation prompt): the first Ctrl-C stops now.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

_running: set[Any] = set()
_lock = threading.Lock()


def register(process: Any) -> None:
    """A Pulumi CLI process that has started (anything with `pid` and `send_signal`)."""
    with _lock:
        _running.add(process)


def unregister(process: Any) -> None:
    with _lock:
        _running.discard(process)


def running() -> list[Any]:
    with _lock:
        return list(_running)


class StopNow(BaseException):
    """A second interrupt (or one with no engine running): stop without waiting.

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it.
    """


class InterruptGuard:
    """Installs the SIGINT handler for the duration of one engine command (main thread only)."""

    def __init__(self, notice: Callable[[str], None]):
        self.notice = notice
        self.count = 0
        self.killed = False
        self._previous: Any = None
        self._installed = False

    @property
    def interrupted(self) -> bool:
        return self.count > 0

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        processes = running()
        if self.count == 1 and processes:
            for process in processes:
                with contextlib.suppress(OSError):  # it may have exited already
                    process.send_signal(signal.SIGINT)
            self.notice(
                "interrupted: asked pulumi to cancel gracefully (it finishes the operations in flight "
                "and releases the lock); press Ctrl-C again to stop at once"
            )
            return
        for process in processes:
            _kill_group(process)
        self.killed = bool(processes)
        raise StopNow()


def _kill_group(process: Any) -> None:
    """Kill the CLI and its plugins (they share the session it leads); fall back to the CLI alone."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):
        with contextlib.suppress(OSError, AttributeError):
            process.kill()


class NoGuard:
    """For tests and threads: no handler, nothing counted."""

    count = 0
    interrupted = False
    killed = False

    def __enter__(self) -> NoGuard:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None
