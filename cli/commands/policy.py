"""`infra policy check` and `infra policy list`: the policy set, offline."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import UsageError

policy_app = typer.Typer(
    name="policy",
    help="Check plans, programs and deployed state against the organisation's policies, offline.",
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


class Mode(StrEnum):
    preview = "preview"
    up = "up"


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def check(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Check the offline plan of this environment; with --state, use its context and exemptions.")] = None,
    program: Annotated[Path | None, typer.Option("--program", help="Check any Pulumi Python program in this directory (its Pulumi.yaml and stack config), run under mocks.")] = None,
    stack: Annotated[str | None, typer.Option("--stack", help="With --program: the stack whose Pulumi.<stack>.yaml config to use; needed when there are several.")] = None,
    mode: Annotated[Mode, typer.Option("--mode", help="With --program: preview (computed outputs unknown, as a first `pulumi preview`) or up (plausible fake outputs).")] = Mode.preview,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="With --program: seconds the program may run before it is stopped (exit 1).")] = 600.0,
    state: Annotated[Path | None, typer.Option("--state", help="Check a `pulumi stack export` file: the deployed state, without running any program.")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="table, json, markdown (for a PR) or sarif (for GitHub code scanning).")] = ReportFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Check the offline plan of every environment, each in its own process, at most --parallel at once.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="With --all: how many environments run at once.")] = 2,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="With --all: write policy-<env>.<json|md|txt|sarif> here.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="With --env: run the program even if an earlier offline command cached its capture (.infra/cache/). --program is never cached.")] = False,
    capture_file: Annotated[Path | None, typer.Option("--capture-file", hidden=True, help="With --env: also write the checked capture here (--all uses it for the cross-stack policies).")] = None,
) -> None:
    """Evaluate every policy offline. Exit 0 when no unexempted mandatory violation exists, 5 otherwise.

    Exactly one of --env, --all, --program or --state. Advisory findings never fail the check;
    exempted findings are listed and marked. With --all, the cross-stack policies then check
    every environment's capture together (report `combined`). Needs no Pulumi CLI and no credentials.
    """
    from cli import policycheck
    from cli.output import emit
    from cli.render import policy as render

    if all_:
        from cli import fanout
        from cli.context import project_of

        if program is not None or state is not None or stack is not None:
            raise UsageError("--all checks every environment's plan; it does not combine with --program, --stack or --state")
        fanout.check_selection(env, all_, parallel, output_dir)
        project = project_of(ctx)
        from cli.combined import check_all

        raise typer.Exit(check_all(project, format.value, output, output_dir, parallel, no_cache))
    if output_dir is not None:
        raise UsageError("--output-dir is for --all (one file per environment); with --env use --output FILE")
    sources = [x for x in (program, state) if x is not None]
    if len(sources) > 1 or (program is not None and env is not None) or (not sources and env is None):
        raise UsageError("pass exactly one of --env ENV, --program DIR or --state FILE (--env may accompany --state)")
    if stack is not None and program is None:
        raise UsageError("--stack only applies with --program DIR")
    if capture_file is not None and (env is None or state is not None):
        raise UsageError("--capture-file only applies with --env ENV (without --state)")
    run = None
    if program is not None:
        from cli.runner import program_output

        report, run = policycheck.check_program(program, stack, mode=mode.value, timeout=timeout)
        for line in program_output(run):
            typer.echo(line, err=True)
    else:
        from cli.context import load, project_of

        environment = None
        if env is not None:
            environment = load(project_of(ctx), env)
        if state is not None:
            report = policycheck.check_state(state, environment)
        elif capture_file is not None:
            from cli.combined import check_and_keep

            report = check_and_keep(project_of(ctx), environment, capture_file, use_cache=not no_cache)
        else:
            report = policycheck.check_environment(project_of(ctx), environment, use_cache=not no_cache)
    text = {
        ReportFormat.table: render.render_table,
        ReportFormat.json: render.render_json,
        ReportFormat.markdown: render.render_markdown,
        ReportFormat.sarif: render.render_sarif,
    }[format](report)
    emit(text, output)
    if run is not None and not run.complete:
        # an unfinished program is never a pass, whatever the partial findings say
        raise policycheck.program_failed(run, program, "this verdict is incomplete: it")
    if report.blocking:
        raise policycheck.blocking_error(report)


@policy_app.command("list")
def list_(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table, json or markdown.")] = ListFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """List every policy: name, description, severity, enforcement, remediation and control references."""
    from cli.output import emit
    from cli.render import policy as render
    from policies.catalog import all_policies

    policies = all_policies()
    text = {
        ListFormat.table: render.render_policy_list_table,
        ListFormat.json: render.render_policy_list_json,
        ListFormat.markdown: render.render_policy_list_markdown,
    }[format](policies)
    emit(text, output)
