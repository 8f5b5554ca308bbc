"""`infra refresh`: accept what the cloud says into the state, after showing it."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("refresh")(refresh)


def refresh(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to refresh, e.g. staging.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write without a prompt (needed when stdin is not a terminal).")] = False,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environment's setting.")] = None,
) -> None:
    """Show the refresh preview, then write the cloud's current values into the state (confirmed: type the name, or --yes).

    Use `infra drift` to look without writing anything.
    """
    from cli.context import project_of
    from cli.engine import render, service

    out = service.refresh(project_of(ctx), env, yes=yes, backend=backend)
    typer.echo(render.render_table(out.preview, action="refresh preview", environment=env, diff=True), nl=False)
    if out.summary is None:
        typer.echo("the state already matches the cloud; nothing was written")
    else:
        typer.echo(render.headline(out.summary, action="refresh", environment=env, done=True))
