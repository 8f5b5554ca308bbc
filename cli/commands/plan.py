"""`infra plan`: the whole platform of an environment, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    all_: Annotated[bool, typer.Option("--all", help="Every environment, each in its own process, at most --parallel at once.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="With --all: how many environments run at once.")] = 2,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="With --all: write plan-<env>.<json|md|txt> here.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the program even if an earlier offline command cached its capture (.infra/cache/).")] = False,
) -> None:
    """Run the platform program under Pulumi's mock runtime and show every resource it registers.

    Needs no Pulumi CLI, no credentials and no network. Secret inputs show as [secret].
    """
    from cli import fanout
    from cli.cache import environment_capture
    from cli.context import load, project_of
    from cli.output import emit, to_json
    from cli.render.plan import render_markdown, render_tree

    fanout.check_selection(env, all_, parallel, output_dir)
    project = project_of(ctx)
    if all_:
        def args(name: str) -> list[str]:
            return ["plan", "--env", name, "--format", format.value,
                    *fanout.output_args("plan", name, format.value, output, output_dir), *(["--no-cache"] if no_cache else [])]

        raise typer.Exit(fanout.relay(fanout.run_each(project.root, fanout.environments(project), args, parallel)))
    environment = load(project, env)
    capture = environment_capture(project, environment, use_cache=not no_cache)
    if format is Format.json:
        emit(to_json(capture.to_json()), output)
    elif format is Format.markdown:
        emit(render_markdown(capture), output)
    else:
        emit(render_tree(capture), output)
