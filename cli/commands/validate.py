"""`infra validate`: check environment files without starting anything."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to check, e.g. dev.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Check every environment in the stack config directory.")] = False,
) -> None:
    """Validate environment config: every problem on its own line as `file: infra:<key.path>: what, got value; fix`.

    Exit 0 when valid, 2 when any problem is found. Nothing is deployed or changed.
    """
    from cli.context import load, project_of
    from stacks.loader import environment_names

    if bool(env) == all_:
        raise UsageError("pass exactly one of --env ENV or --all")
    project = project_of(ctx)
    names = environment_names(project.stacks_dir) if all_ else [env]
    if not names:
        raise UsageError(f"{project.display(project.stacks_dir)}: no Pulumi.<env>.yaml files; add one")
    failed: list[str] = []
    for name in names:
        try:
            load(project, name)
            typer.echo(f"{name}: valid")
        except UsageError as err:
            failed += err.lines
    if failed:
        raise UsageError(failed[0], lines=failed)
