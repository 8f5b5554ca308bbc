"""`infra schema`: the environment model as JSON Schema (editors) or a Markdown reference (people)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.output import Format


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)


def schema(
    format: Annotated[
        Format, typer.Option("--format", "-f", help="json: JSON Schema for editor completion; markdown: a key reference.")
    ] = Format.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Describe every `infra:<key>` of a stack file: its type, default and meaning.

    Point your editor's YAML schema setting at the JSON output for completion in stacks/*.yaml.
    """
    from cli.output import emit, to_json
    from stacks.schema import environment_reference, environment_schema

    emit(environment_reference() if format is Format.markdown else to_json(environment_schema()), output)
