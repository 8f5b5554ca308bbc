"""`infra cancel`: stop a running update and clear the stack lock an interrupted deploy left."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("cancel")(cancel)


def cancel(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment whose stack is locked, e.g. prod.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm without a prompt (needed when stdin is not a terminal).")] = False,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environment's setting.")] = None,
) -> None:
    """Cancel the stack's running update and remove its lock. Only when you know nothing is running:
    a cancelled update can leave operations pending; run `infra refresh` afterwards.
    """
    from cli.context import project_of
    from cli.engine import service

    service.cancel(project_of(ctx), env, yes=yes, backend=backend)
    typer.echo(f"cancelled the update of {env} and cleared its lock; run `infra refresh --env {env}` to reconcile the state")
