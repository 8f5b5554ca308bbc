"""What every command needs from the root options: the project, and its environments."""

from __future__ import annotations

from datetime import date

import typer

from cli.errors import UsageError
from cli.project import Project, find_project


def project_of(ctx: typer.Context) -> Project:
    root = ctx.find_root()
    cwd = (root.obj or {}).get("cwd") if root.obj else None
    return find_project(cwd)


def load(project: Project, name: str, today: date | None = None):
    """The validated Environment, or a UsageError carrying every file:key problem (exit 2)."""
    from stacks.loader import ConfigError, load_environment

    notes: list[str] = []
    try:
        return load_environment(project.stacks_dir, name, today=today, display_root=project.root, notes=notes)
    except ConfigError as err:
        raise UsageError(err.lines[0], lines=err.lines) from None
    finally:
        for line in notes:
            typer.echo(line, err=True)
