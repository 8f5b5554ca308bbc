"""The `infra` command. Module level imports only typer and stdlib, so `--help` stays fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cli import __version__
from cli.errors import InfraError


class _Boundary(TyperGroup):
    """The one place that turns domain errors into messages and exit codes."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except InfraError as err:
            for line in err.lines:
                typer.echo(line, err=True)
            raise typer.Exit(err.exit_code) from None


app = typer.Typer(
    cls=_Boundary,
    name="infra",
    help=(
        "Plan, check and deploy the organisation's Azure, Microsoft 365 and AWS platform.\n\n"
        "Offline commands (validate, plan, policy, graph) need no cloud credentials and no Pulumi CLI. "
        "Engine commands (preview, deploy, drift) need both."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help renderer triples `infra --help` start-up time
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"infra {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    cwd: Annotated[
        Path | None,
        typer.Option("--cwd", help="Run as if started in this directory; the project is the nearest Pulumi.yaml upward."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = {"cwd": cwd}


from cli.commands import (  # noqa: E402 - beside the loop that registers them
    cancel,
    compliance,
    deploy,
    destroy,
    drift,
    envs,
    graph,
    outputs,
    plan,
    policy,
    preview,
    refresh,
    report,
    schema,
    validate,
)

for _module in (envs, validate, plan, schema, policy, compliance, graph, report, preview, deploy, drift, outputs, refresh, destroy, cancel):
    _module.register(app)


def _help_group() -> Any:
    """The root group with every command as a help-only stub, for `infra --help`.

    Building the real commands means Typer inspecting every option of every command, which
    costs more than importing Typer; the root help needs only each command's name and help.
    tests/cli/test_command_imports.py checks the output equals the full build's.
    """
    import inspect

    from typer.main import get_command, get_command_name, solve_typer_info_defaults

    commands, groups = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = [], []
    try:
        root = get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    for info in commands:
        doc = inspect.cleandoc(info.help) if info.help is not None else inspect.getdoc(info.callback)
        name = info.name or get_command_name(info.callback.__name__)
        root.add_command(typer.core.TyperCommand(name=name, help=doc, short_help=info.short_help,
                                                 hidden=info.hidden, deprecated=info.deprecated))
    for info in groups:
        solved = solve_typer_info_defaults(info)
        root.add_command(typer.core.TyperCommand(name=solved.name, help=solved.help, short_help=solved.short_help,
                                                 hidden=solved.hidden, deprecated=solved.deprecated))
    return root


def run() -> None:
    """Console-script entry point."""
    if sys.argv[1:] in (["--help"], ["-h"]):
        sys.exit(_help_group()(prog_name="infra"))
    sys.exit(app())
