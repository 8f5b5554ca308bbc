"""`infra compliance`: evidence per benchmark control and resource, as Markdown, HTML and JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("compliance")(compliance)


def compliance(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to report on, e.g. prod; with --state, the environment whose context and exemptions apply.")] = None,
    state: Annotated[Path | None, typer.Option("--state", help="Report on a `pulumi stack export` file: what is deployed, not what would be.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Report on every environment in one report, with a summary table per environment.")] = False,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Folder for report.md, report.html and report.json; default .infra/compliance/<env|all>/."),
    ] = None,
    parallel: Annotated[int, typer.Option("--parallel", help="With --all: how many environments' programs run at once, each in its own process.")] = 2,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the program even if an earlier offline command cached its capture (.infra/cache/).")] = False,
) -> None:
    """Write a compliance report: report.md, a self-contained report.html and report.json.

    It names the benchmark editions, the tool and policy-set version with a content hash, the
    git commit (marked when there are uncommitted changes), the time, and whether a plan or a
    state export was evaluated; then coverage per benchmark, exemptions, and per control and
    resource the verdict with the values observed. Written whatever it finds; `infra policy
    check` is the gate.
    """
    from cli import fanout
    from cli.context import load, project_of
    from cli.errors import UsageError
    from cli.policycheck import compliance_from_reports, compliance_inputs
    from cli.render.compliance import render_html, render_json, render_markdown

    if all_ and (env is not None or state is not None):
        raise UsageError("--all reports on every environment's plan; leave out --env and --state")
    if not all_ and env is None and state is None:
        raise UsageError("pass --env ENV, --state FILE (optionally with --env), or --all")
    if parallel < 1:
        raise UsageError(f"--parallel must be at least 1, got {parallel}")
    if state is not None and not state.is_file():
        raise UsageError(f"--state {state}: no such file; pass a `pulumi stack export` file")
    project = project_of(ctx)
    use_cache = not no_cache
    if all_:
        names = fanout.environments(project)
        if use_cache and parallel > 1 and len(names) > 1:
            # each environment's program runs in its own process and fills the capture cache;
            # the one combined report below then reads those captures
            fanout.run_each(project.root, names, lambda n: ["plan", "--env", n, "--format", "json",
                                                              "--output", os.devnull], parallel)
        inputs = [compliance_inputs(project, load(project, name), use_cache=use_cache) for name in names]
        label = "all"
    else:
        environment = load(project, env) if env is not None else None
        inputs = [compliance_inputs(project, environment, state, use_cache=use_cache)]
        label = env or (state.stem if state is not None else "report")
    report = compliance_from_reports(inputs, project.root)
    folder = output_dir or project.state_dir / "compliance" / label
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.md").write_text(render_markdown(report), encoding="utf-8")
        (folder / "report.html").write_text(render_html(report), encoding="utf-8")
        (folder / "report.json").write_text(render_json(report), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"--output-dir {folder}: cannot write ({err.strerror}); choose a writable folder") from None
    for e in report.environments:
        s = e.summary
        typer.echo(f"{e.environment} ({e.evaluated}): {s['policies_failing']} of {s['policies']} policies failing; "
                   f"{s['fail']} fail, {s['exempt']} exempt, {s['pass']} pass")
    typer.echo(f"wrote {folder / 'report.md'}, {folder / 'report.html'} and {folder / 'report.json'}")
