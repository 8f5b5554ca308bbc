"""`infra deploy`: apply an environment after the gates, a guarded preview and confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.output import Format


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)


def deploy(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to deploy, e.g. dev (see `infra envs`).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm without a prompt; required where the environment asks for confirmation and stdin is not a terminal.")] = False,
    plan: Annotated[Path | None, typer.Option("--plan", help="Apply exactly this saved update plan (from `infra preview --save-plan`).")] = None,
    allow_replace: Annotated[list[str] | None, typer.Option("--allow-replace", help="URN of a protected or stateful resource the plan may delete or replace; repeat per resource.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, json or markdown for the final summary.")] = Format.table,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environment's setting.")] = None,
) -> None:
    """Preflight, preview (refusing deletes/replaces of protected or stateful resources), confirm, then `pulumi up`.

    Every attempt is appended to .infra/history/<env>.jsonl with its result, including failures.
    """
    from cli.context import project_of
    from cli.engine import render, service
    from cli.output import emit, to_json

    with render.json_errors(format is Format.json, command="deploy", environment=env):
        out = service.deploy(project_of(ctx), env, yes=yes, plan_file=plan, allow_replace=allow_replace or [], backend=backend)
    for warning in out.warnings:
        typer.echo(f"warning: {warning}", err=True)
    summary, done = (out.summary, True) if out.summary is not None else (out.preview, False)
    if format is Format.json:
        emit(to_json(render.summary_document(summary, action="deploy", environment=env, result=out.result, history=str(out.history))), None)
    elif format is Format.markdown:
        emit(render.render_markdown(summary, action="deploy", environment=env, done=done), None)
    else:
        emit(render.render_table(summary, action="deploy", environment=env, done=done), None)
    typer.echo(f"{out.result}; recorded in {out.history}", err=True)
