"""`--all`: one offline command for every environment, each in its own process, at most N at once.

Each environment runs as `infra --cwd <project> <command> --env <name> ...` in a child
process (a program capture holds the SDK's global state, so one process per environment is
the safe unit, and it uses every core). The parent prints each child's messages prefixed
with its environment, in environment order, and exits with the combined code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from cli.errors import ExitCode, UsageError

_CHILD = "import sys; sys.argv[0] = 'infra'; from cli.main import run; run()"
EXTENSIONS = {"json": "json", "markdown": "md", "table": "txt", "sarif": "sarif"}


@dataclass(frozen=True)
class EnvironmentRun:
    """What one environment's child process did."""

    environment: str
    exit_code: int
    stdout: str
    stderr: str


def check_selection(env: str | None, all_: bool, parallel: int, output_dir: Path | None = None) -> None:
    """Exactly one of --env or --all; --parallel of at least 1; `output_dir` (--output-dir) only with --all."""
    if bool(env) == all_:
        raise UsageError("pass exactly one of --env ENV or --all")
    if output_dir is not None and not all_:
        raise UsageError("--output-dir is for --all (one file per environment); with --env use --output FILE")
    if parallel < 1:
        raise UsageError(f"--parallel must be at least 1, got {parallel}")


def environments(project: Any) -> list[str]:
    from stacks.loader import environment_names

    names = environment_names(project.stacks_dir)
    if not names:
        raise UsageError(f"{project.display(project.stacks_dir)}: no Pulumi.<env>.yaml files; add one")
    return names


def output_args(kind: str, name: str, format: str, output: Path | None, output_dir: Path | None) -> list[str]:
    """`--output <dir>/<kind>-<env>.<ext>` for a child, or nothing (it prints); a UsageError for bad combinations."""
    if output is not None:
        raise UsageError("--output names one file; with --all use --output-dir DIR (one file per environment)")
    if output_dir is None:
        if format in ("json", "sarif"):
            raise UsageError(f"--all --format {format} needs --output-dir DIR: one document per environment")
        return []
    return ["--output", str(output_dir / f"{kind}-{name}.{EXTENSIONS[format]}")]


def run_each(
    root: Path, names: Sequence[str], args_for: Callable[[str], list[str]], parallel: int
) -> list[EnvironmentRun]:
    """Run `infra --cwd root <args_for(name)>` for every name, at most `parallel` at once, in name order."""

    argv = {name: [sys.executable, "-c", _CHILD, "--cwd", str(root), *args_for(name)] for name in names}

    def one(name: str) -> EnvironmentRun:
        try:
            done = subprocess.run(
                argv[name],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
            )
        except OSError as err:
            return EnvironmentRun(name, ExitCode.ERROR, "", f"could not start: {err.strerror}")
        return EnvironmentRun(name, done.returncode, done.stdout, done.stderr)

    with ThreadPoolExecutor(max_workers=min(parallel, max(1, len(names)))) as pool:
        return list(pool.map(one, names))


def combined_exit(runs: Sequence[EnvironmentRun]) -> int:
    """0 when every environment passed; an error before a policy failure (5); first in order."""
    codes = [r.exit_code for r in runs]
    errors = [c for c in codes if c not in (ExitCode.OK, ExitCode.POLICY)]
    if errors:
        return errors[0]
    return ExitCode.POLICY if ExitCode.POLICY in codes else ExitCode.OK


def relay(runs: Sequence[EnvironmentRun], *, stdout: bool = True) -> int:
    """Print each environment's output and messages (prefixed), then a summary line; the combined exit code."""
    for run in runs:
        if stdout and run.stdout:
            typer.echo(run.stdout, nl=not run.stdout.endswith("\n"))
        for line in run.stderr.splitlines():
            typer.echo(f"[{run.environment}] {line}", err=True)
    summary = ", ".join(f"{r.environment}: exit {r.exit_code}" for r in runs)
    typer.echo(f"--all: {summary}", err=True)
    return combined_exit(runs)
