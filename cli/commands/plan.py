"""`infra plan`: the whole platform of an environment, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.commands.policy import Mode
from cli.errors import UsageError
from cli.output import Format


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def plan(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to plan, e.g. dev (see `infra envs`).")] = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="table: a tree by component; json: the capture; markdown: a PR summary.")
    ] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    program: Annotated[Path | None, typer.Option("--program", help="Plan any Pulumi Python program in this directory (its Pulumi.yaml and stack config) instead of an environment.")] = None,
    stack: Annotated[str | None, typer.Option("--stack", help="With --program: the stack whose Pulumi.<stack>.yaml config to use; needed when there are several.")] = None,
    mode: Annotated[Mode, typer.Option("--mode", help="With --program: preview (computed outputs unknown, as a first `pulumi preview`) or up (plausible fake outputs).")] = Mode.preview,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="With --program: seconds the program may run before it is stopped (exit 1).")] = 600.0,
    all_: Annotated[bool, typer.Option("--all", help="Every environment, each in its own process, at most --parallel at once.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="With --all: how many environments run at once.")] = 2,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="With --all: write plan-<env>.<json|md|txt> here.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the program even if an earlier offline command cached its capture (.infra/cache/).")] = False,
) -> None:
    """Run a program under Pulumi's mock runtime and show every resource it registers.

    Exactly one of --env (the platform) or --program DIR (any Pulumi Python program, in its
    own process). Needs no Pulumi CLI, no credentials and no network. Secret inputs show as
    [secret]. A program that does not finish exits 1 with what it registered until then.
    """
    from cli import fanout
    from cli.output import emit, to_json
    from cli.render.plan import render_markdown, render_tree

    if program is not None and (env is not None or all_):
        raise UsageError("pass exactly one of --env ENV, --all or --program DIR")
    if stack is not None and program is None:
        raise UsageError("--stack only applies with --program DIR")
    run = None
    removed: list = []  # expired vendor/partner access this plan removes (environments only)
    if program is not None:
        from cli.policycheck import run_program_dir
        from cli.runner import program_output

        run, _, _ = run_program_dir(program, stack, mode=mode.value, timeout=timeout)
        for line in program_output(run):
            typer.echo(line, err=True)
        capture = run.capture
    else:
        from cli.cache import environment_capture
        from cli.context import load, project_of

        fanout.check_selection(env, all_, parallel, output_dir)
        project = project_of(ctx)
        if all_:
            def args(name: str) -> list[str]:
                return ["plan", "--env", name, "--format", format.value,
                        *fanout.output_args("plan", name, format.value, output, output_dir),
                        *(["--no-cache"] if no_cache else [])]

            raise typer.Exit(fanout.relay(fanout.run_each(project.root, fanout.environments(project), args, parallel)))
        from datetime import date

        today = date.today()
        environment = load(project, env, today=today)
        removed = environment.expired_access(today)
        capture = environment_capture(project, environment, use_cache=not no_cache, today=today)
    if format is Format.json:
        doc = capture.to_json()
        if removed:  # only then, so the document of an environment without expired access is the capture's
            doc["removed_access"] = [{"kind": kind[:-1], "name": name, "expired_on": expires.isoformat(),
                                      "key": f"{kind}[{i}]"} for kind, i, name, expires in removed]
        emit(to_json(doc), output)
    elif format is Format.markdown:
        emit(render_markdown(capture, removed), output)
    else:
        emit(render_tree(capture, removed=removed), output)
    if run is not None and not run.complete:
        from cli.policycheck import program_failed

        raise program_failed(run, program, "this plan")
