"""Offline plan: run the platform program for one environment under mocks and capture it.

The platform's program runs through the same runner as any `--program` (its own process,
see `cli.runner`), in "platform" mode: the fixed fake outputs its plans have always been
built on, so the capture of an environment does not change with the runner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cli.capture import FAKE_ACCOUNT, FAKE_GUID, Capture, stack_config_for_engine
from cli.errors import InfraError, UsageError
from cli.project import Project

if TYPE_CHECKING:
    from stacks.model import Environment


class PlanError(InfraError):
    """The program failed while running offline."""


def plan_environment(project: Project, env: Environment, *, timeout: float | None = None) -> Capture:
    """Every resource `env` would get, captured offline; needs no CLI and no credentials."""
    return _plan(project, env.name, timeout, region=env.aws.region if env.aws else "us-east-1",
                 account_id=env.aws.account_id if env.aws else FAKE_ACCOUNT,
                 tenant_id=str(env.azure.tenant_id) if env.azure else FAKE_GUID)


def _plan(project: Project, name: str, timeout: float | None, **spec: Any) -> Capture:
    from cli.runner import DEFAULT_TIMEOUT, RunSpec, run_program
    from stacks.loader import ConfigError, read_config, stack_file

    path = stack_file(project.stacks_dir, name)
    try:
        config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    except ConfigError as err:
        raise UsageError(err.lines[0], lines=err.lines) from None
    from cli import counting
    from cli.progress import Phases

    with Phases(f"offline plan of {name}") as progress:
        progress.phase("running the program under the mock runtime")
        run = run_program(
            RunSpec(program=project.program_dir, root=project.root, project=project.name, stack=name, config=config,
                    secret_keys=tuple(secret_keys), mode="platform", **spec),
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        )
        if run.failure is not None:
            where = f" at {run.failure.location}" if run.failure.location else ""
            lines = [f"the program failed for {name}{where}: {run.failure.message}"]
            if run.failure.code:
                lines.append(f"  {run.failure.code}")
            lines += [f"  {line}" for line in (run.stderr.strip().splitlines()[-20:])]
            raise PlanError(lines[0], lines=lines)
        progress.done(f"{counting.total(run.capture.resources)} resources")
    return run.capture
