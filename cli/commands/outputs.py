"""`infra outputs`: the stack outputs of an environment, secrets masked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.output import Format


def register(app: typer.Typer) -> None:
    app.command("outputs")(outputs)


def outputs(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment whose outputs to show, e.g. dev.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts.")] = Format.table,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Print secret outputs in plain text (they are [secret] otherwise).")] = False,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environment's setting.")] = None,
) -> None:
    """Show the outputs of the last deploy. Needs the CLI, the backend and the secrets passphrase, not cloud credentials."""
    from cli.context import project_of
    from cli.engine import render, service
    from cli.output import emit, to_json

    with render.json_errors(format is Format.json, command="outputs", environment=env):
        values = service.outputs(project_of(ctx), env, show_secrets=show_secrets, backend=backend)
    if format is Format.json:
        emit(to_json({"environment": env, "outputs": values}), None)
        return
    for name, item in values.items():
        shown = item["value"] if isinstance(item["value"], str) else json.dumps(item["value"], default=str)
        typer.echo(f"{name:<32} {shown}")
