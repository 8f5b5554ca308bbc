"""`infra schema`: the JSON Schema of the environment model, for editor completion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)


def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of the `infra:` namespace (one property per `infra:<key>`)."""
    from cli.output import emit, to_json
    from stacks.schema import environment_schema

    emit(to_json(environment_schema()), output)
