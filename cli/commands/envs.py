"""`infra envs`: the environments this project has."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import Format, to_json


def register(app: typer.Typer) -> None:
    app.command("envs")(envs)


def envs(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts.")] = Format.table,
) -> None:
    """List the environments found in the stack config directory, one line each."""
    from cli.context import project_of
    from stacks.loader import ConfigError, environment_names, infra_namespace, read_config, stack_file

    project = project_of(ctx)
    rows = []
    for name in environment_names(project.stacks_dir):
        path = stack_file(project.stacks_dir, name)
        try:
            values = infra_namespace(read_config(path, project.display(path)))
            tier = str(values.get("tier", "?"))
        except ConfigError:
            tier = "unreadable"
        rows.append({"name": name, "tier": tier, "file": project.display(path)})
    if format is Format.json:
        typer.echo(to_json({"environments": rows}), nl=False)
        return
    for row in rows:
        typer.echo(f"{row['name']:<12} {row['tier']:<12} {row['file']}")
