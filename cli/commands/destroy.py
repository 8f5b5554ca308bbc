"""`infra destroy`: delete every resource of a non-production environment."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("destroy")(destroy)


def destroy(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to destroy, e.g. a throwaway dev copy.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Skip the prompt; only together with --confirm ENV.")] = False,
    confirm: Annotated[str | None, typer.Option("--confirm", help="The environment's name again, required with --yes.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environment's setting.")] = None,
) -> None:
    """Delete every resource of the environment. Refused for production.

    Interactive: shows the count, then asks for the environment's name. In CI: --yes --confirm ENV.
    """
    from cli.context import project_of
    from cli.engine import render, service

    summary = service.destroy(project_of(ctx), env, yes=yes, confirm_name=confirm, backend=backend)
    typer.echo(render.render_table(summary, action="destroy", environment=env, done=True), nl=False)
