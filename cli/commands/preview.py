"""`infra preview`: what a deploy would change, checked by the policy pack, nothing applied."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.output import Format


def register(app: typer.Typer) -> None:
    app.command("preview")(preview)


def preview(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to preview, e.g. dev (see `infra envs`).")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts, markdown for pull requests.")] = Format.table,
    diff: Annotated[bool, typer.Option("--diff", help="Show old and new values of every changed property (secrets stay masked).")] = False,
    save_plan: Annotated[Path | None, typer.Option("--save-plan", help="Save a Pulumi update plan that `infra deploy --plan` applies exactly.")] = None,
    expect_no_changes: Annotated[bool, typer.Option("--expect-no-changes", help="Exit 7 when the preview proposes any change.")] = False,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environment's setting.")] = None,
) -> None:
    """Run the preflight gates, then a Pulumi preview with the policy pack; show changes grouped by operation.

    Exit 0 on success; 1 CLI missing, 2 config, 3 credentials, 5 policy, 6 stack missing, 7 unexpected changes.
    """
    from cli.context import project_of
    from cli.engine import render, service
    from cli.output import emit, to_json

    with render.json_errors(format is Format.json, command="preview", environment=env):
        outcome = service.preview(project_of(ctx), env, backend=backend, diff=diff, save_plan=save_plan, expect_no_changes=expect_no_changes)
    if format is Format.json:
        plan = str(outcome.plan_file) if outcome.plan_file else None
        emit(to_json(render.summary_document(outcome.summary, action="preview", environment=env, backend=outcome.backend, plan_file=plan)), None)
    elif format is Format.markdown:
        emit(render.render_markdown(outcome.summary, action="preview", environment=env), None)
    else:
        emit(render.render_table(outcome.summary, action="preview", environment=env, diff=diff), None)
    if outcome.plan_file:
        typer.echo(f"saved the update plan to {outcome.plan_file}; apply it with `infra deploy --env {env} --plan {outcome.plan_file}`", err=True)
