"""`infra drift`: compare the cloud, the state and the code; rank what drifted; exit 0, 7, 5 or 1."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import UsageError


class DriftFormat(StrEnum):
    json = "json"
    markdown = "markdown"


class NotifyFormat(StrEnum):
    teams = "teams"
    slack = "slack"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("drift")(drift)


def drift(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to check, e.g. prod.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Check every environment concurrently.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="How many environments to check at once with --all.")] = 2,
    format: Annotated[DriftFormat, typer.Option("--format", "-f", help="markdown for people, json for scripts.")] = DriftFormat.markdown,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="Also write drift.json, drift.md and exit-code there (one folder per environment with --all).")] = None,
    notify: Annotated[str | None, typer.Option("--notify", help="Webhook URL to post a compact summary to (never printed).")] = None,
    notify_format: Annotated[NotifyFormat, typer.Option("--notify-format", help="Message shape for --notify.")] = NotifyFormat.json,
    backend: Annotated[str | None, typer.Option("--backend", help="State backend URL; overrides PULUMI_BACKEND_URL and the environments' settings.")] = None,
) -> None:
    """Refresh preview (cloud vs state), preview (code vs state) and the policy set on the refreshed state.

    Nothing is written to the state. Exit 0 no drift, 7 cloud or code drift, 5 no drift but the
    deployed state violates a mandatory policy, 1 error (any environment).
    """
    from cli.context import project_of
    from cli.engine import drift as report
    from cli.engine import notify as hook
    from cli.engine import render, service
    from cli.engine.errors import NotifyError
    from cli.output import emit, ensure_output_dir, to_json
    from stacks.loader import environment_names

    with render.json_errors(format is DriftFormat.json, command="drift", environment=env):
        if bool(env) == all_:
            raise UsageError("pass exactly one of --env ENV or --all")
        if notify:
            hook.validate_url(notify)
        if output_dir:
            ensure_output_dir(output_dir)  # before the engine runs: a bad folder is exit 2, nothing started
        project = project_of(ctx)
        names = environment_names(project.stacks_dir) if all_ else [env]
        checked_at, reports = service.drift(project, names, all_environments=all_, parallel=parallel, backend=backend)
    if format is DriftFormat.json:
        emit(to_json(report.to_document(reports, checked_at)), None)
    else:
        emit(report.render_markdown(reports, checked_at), None)
    if output_dir:
        service.write_drift_files(output_dir, reports, checked_at, per_environment=all_)
    code = report.combined_exit(reports)
    if notify:
        try:
            hook.post(notify, hook.payload(reports, notify_format.value, checked_at=checked_at))
        except NotifyError as err:
            typer.echo(f"{err.lines[0]}; the drift result above stands (it would have exited {code})", err=True)
            raise typer.Exit(err.exit_code) from None
    raise typer.Exit(code)
