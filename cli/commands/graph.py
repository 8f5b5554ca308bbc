"""`infra graph`: a picture of an environment's components and dependencies, offline."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class GraphFormat(StrEnum):
    dot = "dot"
    svg = "svg"
    png = "png"


class GraphLevel(StrEnum):
    resources = "resources"
    components = "components"


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)


def graph(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to draw, e.g. prod (see `infra envs`).")],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder for <env>.dot and the rendered picture.")
    ] = Path("out/graph"),
    format: Annotated[
        GraphFormat | None,
        typer.Option(
            "--format", "-f",
            help="dot: only the DOT file; svg or png: also render it with graphviz (fails without it). "
            "Omitted: DOT, plus SVG and PNG when graphviz is installed.",
        ),
    ] = None,
    level: Annotated[
        GraphLevel,
        typer.Option(
            "--level",
            help="resources: every resource, clustered by component (<env>.dot); "
            "components: one node per top-level component, small enough for a README (<env>-components.dot).",
        ),
    ] = GraphLevel.resources,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the program even if an earlier offline command cached its capture (.infra/cache/).")] = False,
) -> None:
    """Draw the components and resource dependencies of an environment from its offline plan.

    One cluster per component; nodes coloured by cloud (Azure, Entra ID, AWS) and shaped by
    their data-classification tag (restricted: thick red octagon). Always writes DOT; SVG and
    PNG need the graphviz `dot` binary on PATH.
    """
    from cli.cache import environment_capture
    from cli.context import load, project_of
    from cli.graph import INSTALL_HINT, write_graph
    from cli.output import ensure_output_dir

    ensure_output_dir(output_dir)
    project = project_of(ctx)
    capture = environment_capture(project, load(project, env), use_cache=not no_cache)
    formats = ("svg", "png") if format is None else (format.value,)
    result = write_graph(capture, output_dir, formats, required=format is not None, level=level.value)
    for path in result.written:
        typer.echo(f"wrote {path}", err=True)
    if result.missing_graphviz:
        typer.echo(f"graphviz `dot` is not on PATH, so only DOT was written; {INSTALL_HINT}", err=True)
