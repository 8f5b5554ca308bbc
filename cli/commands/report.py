"""`infra report`: the PR comment and the drift issue, assembled from other commands' JSON output."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

report_app = typer.Typer(
    name="report",
    help="Assemble the pull-request comment and drift issues from the JSON that plan, policy, preview and drift write.",
    no_args_is_help=True,
)


class DriftFormat(StrEnum):
    markdown = "markdown"
    json = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


@report_app.command("pr")
def pr(
    plan_dir: Annotated[
        Path,
        typer.Option("--plan-dir", help="Folder holding plan-<env>.json, policy-<env>.json and preview-<env>.json (searched recursively)."),
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the comment to this file instead of stdout.")] = None,
    run_url: Annotated[str | None, typer.Option("--run-url", help="Link to the workflow run, shown under the title.")] = None,
    commit: Annotated[str | None, typer.Option("--commit", help="The commit the report is for, shown under the title.")] = None,
) -> None:
    """Write ONE pull-request comment: a table of environments, then a collapsible section per environment.

    Each section has the resource counts of the plan, the policy findings by severity with the
    blocking (mandatory, not exempted) ones listed, and the engine preview's summary. An input
    that is missing shows as "not run"; a file that is not JSON stops with exit 2 and its name.
    The first line is the marker `<!-- civic-infra-pr-report -->` that workflows find the comment by.
    """
    from cli.output import emit
    from cli.render.report import load_pr_inputs, render_pr_comment

    emit(render_pr_comment(load_pr_inputs(plan_dir), run_url=run_url, commit=commit), output)


@report_app.command("drift")
def drift(
    drift_dir: Annotated[
        Path, typer.Option("--drift-dir", help="Folder one environment's `infra drift --output-dir` wrote to, with its exit-code file.")
    ],
    env: Annotated[str, typer.Option("--env", "-e", help="The environment the folder is for, e.g. prod.")],
    format: Annotated[
        DriftFormat, typer.Option("--format", "-f", help="markdown: the issue body; json: title, status, counts and body.")
    ] = DriftFormat.markdown,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    run_url: Annotated[str | None, typer.Option("--run-url", help="Link to the drift run, shown in the issue.")] = None,
) -> None:
    """Write the drift issue of one environment: status (drifted, clean, error, not run) and drift by severity.

    Reads every JSON report in the folder, any Markdown report, and `exit-code` (0 clean, 7 drift).
    The drift workflow opens, updates or closes one issue per environment from the JSON form.
    """
    from cli.output import emit, to_json
    from cli.render.report import load_drift, render_drift_issue

    issue = render_drift_issue(load_drift(drift_dir, env), run_url=run_url)
    emit(to_json(issue) if format is DriftFormat.json else issue["body"], output)
