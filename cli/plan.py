"""Offline plan: run the platform program for one environment under mocks and capture it.

The platform's program runs through the same runner as any `--program` (its own process,
see `cli.runner`), in "platform" mode: the fixed fake outputs its plans have always been
built on, so the capture of an environment does not change with the runner.
"""

from __future__ import annotations

from cli.capture import FAKE_ACCOUNT, FAKE_GUID, Capture, stack_config_for_engine
from cli.errors import InfraError
from cli.project import Project
from stacks.loader import read_config, stack_file
from stacks.model import Environment


class PlanError(InfraError):
    """The program failed while running offline."""


def plan_environment(project: Project, env: Environment, *, timeout: float | None = None) -> Capture:
    """Every resource `env` would get, captured offline; needs no CLI and no credentials."""
    from cli.runner import DEFAULT_TIMEOUT, RunSpec, run_program

    path = stack_file(project.stacks_dir, env.name)
    config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    run = run_program(
        RunSpec(
            program=project.program_dir, root=project.root, project=project.name, stack=env.name, config=config,
            secret_keys=tuple(secret_keys), mode="platform",
            region=env.aws.region if env.aws else "us-east-1",
            account_id=env.aws.account_id if env.aws else FAKE_ACCOUNT,
            tenant_id=str(env.azure.tenant_id) if env.azure else FAKE_GUID,
        ),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
    )
    if run.failure is not None:
        where = f" at {run.failure.location}" if run.failure.location else ""
        lines = [f"the program failed for {env.name}{where}: {run.failure.message}"]
        if run.failure.code:
            lines.append(f"  {run.failure.code}")
        lines += [f"  {line}" for line in (run.stderr.strip().splitlines()[-20:])]
        raise PlanError(lines[0], lines=lines)
    return run.capture
