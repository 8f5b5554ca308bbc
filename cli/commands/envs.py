"""`infra envs`: the environments this project has."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import Format, to_json


def register(app: typer.Typer) -> None:
    app.command("envs")(envs)


def envs(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts, markdown for documents.")] = Format.table,
) -> None:
    """List the environments found in the stack config directory, one line each.

    Each file is read on its own, within the loader's limits: a broken or hostile file shows
    as `unreadable` with its reason on its own line and never hides the others.
    """
    from cli.context import project_of
    from stacks.loader import (
        ConfigError,
        environment_names,
        infra_namespace,
        read_config,
        stack_file,
    )

    project = project_of(ctx)
    rows = []
    for name in environment_names(project.stacks_dir):
        path = stack_file(project.stacks_dir, name)
        problem = None
        try:
            values = infra_namespace(read_config(path, project.display(path)))
            tier = values.get("tier")
            tier = tier if isinstance(tier, str) and tier.isprintable() and len(tier) <= 20 else "?"
        except ConfigError as err:
            tier, problem = "unreadable", err.lines[0]
        rows.append({"name": name, "tier": tier, "file": project.display(path), "problem": problem})
    if format is Format.json:
        typer.echo(to_json({"environments": rows}), nl=False)
        return
    if format is Format.markdown:
        lines = ["| environment | tier | file |", "|---|---|---|"]
        lines += [f"| `{r['name']}` | {r['tier']} | `{r['file']}` |" for r in rows]
        problems = [f"- `{r['name']}`: {r['problem']}" for r in rows if r["problem"]]
        if problems:
            lines += ["", "Unreadable:", "", *problems]
        typer.echo("\n".join(lines))
        return
    for row in rows:
        typer.echo(f"{row['name']:<12} {row['tier']:<12} {row['file']}")
    for row in rows:
        if row["problem"]:
            typer.echo(row["problem"], err=True)
