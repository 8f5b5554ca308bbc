"""`infra compliance`: controls -> policies -> per-resource status, as Markdown and HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("compliance")(compliance)


def compliance(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to report on, e.g. prod.")] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Folder for report.md and report.html; default .infra/compliance/<env>/ (with --all: <folder>/<env>/)."),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every environment, each in its own process, at most --parallel at once.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="With --all: how many environments run at once.")] = 2,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the program even if an earlier offline command cached its capture (.infra/cache/).")] = False,
) -> None:
    """Write a compliance report of the environment's offline plan: report.md and a self-contained report.html.

    Each control (CIS Azure / CIS AWS, then organisation rules) lists its policies and every
    resource's status: pass, fail, exempt or not applicable; with the date and git revision.
    The report is written whatever it finds; use `infra policy check` to gate.
    """
    from cli import fanout
    from cli.context import load, project_of
    from cli.errors import UsageError
    from cli.policycheck import compliance_report
    from cli.render.compliance import render_html, render_markdown

    fanout.check_selection(env, all_, parallel)
    project = project_of(ctx)
    if all_:
        def args(name: str) -> list[str]:
            folder = ["--output-dir", str(output_dir / name)] if output_dir else []
            return ["compliance", "--env", name, *folder, *(["--no-cache"] if no_cache else [])]

        raise typer.Exit(fanout.relay(fanout.run_each(project.root, fanout.environments(project), args, parallel)))
    environment = load(project, env)
    report = compliance_report(project, environment, use_cache=not no_cache)
    folder = output_dir or project.state_dir / "compliance" / env
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.md").write_text(render_markdown(report), encoding="utf-8")
        (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"--output-dir {folder}: cannot write ({err.strerror}); choose a writable folder") from None
    s = report.summary
    typer.echo(
        f"wrote {folder / 'report.md'} and {folder / 'report.html'}: {s['policies_failing']} of {s['policies']} "
        f"policies failing; {s['fail']} fail, {s['exempt']} exempt, {s['pass']} pass"
    )
