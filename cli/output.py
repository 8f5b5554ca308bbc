"""Formats, and writing a document to stdout or a file."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from cli.errors import UsageError


class Format(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def to_json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


def emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it to `output` (creating parent folders)."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"--output {output}: cannot write ({err.strerror}); choose a writable path") from None
    typer.echo(f"wrote {output}", err=True)


def ensure_output_dir(path: Path, flag: str = "--output-dir") -> Path:
    """Create `path` when missing; exit 2 naming it when it is not a folder we can write to."""
    import os

    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: is not a folder; choose a folder (it is created when missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{flag} {path}: cannot be created ({err.strerror}); choose a writable folder") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: is not writable; choose a writable folder")
    return path
