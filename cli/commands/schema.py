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
        Format, typer.Option("--format", "-f", help="json: JSON Schema of the whole stack file for editors; markdown: a key reference.")
    ] = Format.json,
    namespace_only: Annotated[
        bool, typer.Option("--namespace-only", help="JSON Schema of the infra: values alone (what `infra validate` checks), not the whole file.")
    ] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Describe every `infra:<key>` of a stack file: its type, default and meaning.

    The JSON form describes the whole stack file (`config:` with the `infra:` keys; provider keys
    pass through). Save it and add the modeline `# yaml-language-server: $schema=<path>` to a stack
    file for completion and checks in any editor using yaml-language-server.
    """
    from cli.output import emit, to_json
    from stacks.schema import environment_reference, environment_schema, stack_file_schema

    if format is Format.markdown:
        emit(environment_reference(), output)
    else:
        emit(to_json(environment_schema() if namespace_only else stack_file_schema()), output)
