"""Progress of long offline work on a terminal: phase and resource count, nothing when piped or in CI.

Shown on stderr with a rich spinner, so stdout carries only the requested document. When
stderr is not a terminal, or `CI` is set, or `INFRA_NO_PROGRESS` is set, it prints nothing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO


def wanted(stream: TextIO) -> bool:
    if os.environ.get("CI") or os.environ.get("INFRA_NO_PROGRESS"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Phases:
    """`with Phases("plan of dev") as p: p.phase("running the program"); ...; p.done("173 resources")`."""

    def __init__(self, title: str, *, stream: TextIO | None = None, enabled: bool | None = None):
        self.title = title
        self.stream = stream or sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self._status: Any = None
        self._console: Any = None
        self._started = time.monotonic()

    def __enter__(self) -> Phases:
        if self.enabled:
            from rich.console import Console

            self._console = Console(file=self.stream, highlight=False)
            self._status = self._console.status(self.title, spinner="dots")
            self._status.__enter__()
        return self

    def phase(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"{self.title}: {text}")

    def done(self, text: str) -> None:
        """The outcome, one line, kept on the terminal after the spinner goes."""
        if self._console is not None:
            self._stop()
            self._console.print(f"{self.title}: {text} ({time.monotonic() - self._started:.1f} s)", markup=False)

    def _stop(self) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)
            self._status = None

    def __exit__(self, *exc: Any) -> None:
        self._stop()
