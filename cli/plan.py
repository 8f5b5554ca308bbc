"""Offline plan: run the platform program for one environment under mocks and capture it."""

from __future__ import annotations

from cli.capture import FAKE_ACCOUNT, FAKE_GUID, Capture, ProgramError, capture_program, stack_config_for_engine
from cli.errors import InfraError
from cli.project import Project
from stacks.loader import read_config, stack_file
from stacks.model import Environment


class PlanError(InfraError):
    """The program failed while running offline."""


def plan_environment(project: Project, env: Environment) -> Capture:
    """Every resource `env` would get, captured offline; needs no CLI and no credentials."""
    from cli import counting
    from cli.progress import Phases

    path = stack_file(project.stacks_dir, env.name)
    config, secret_keys = stack_config_for_engine(read_config(path, project.display(path)))
    with Phases(f"offline plan of {env.name}") as progress:
        progress.phase("running the program under the mock runtime")
        try:
            capture = capture_program(
                project.program_dir,
                project=project.name,
                stack=env.name,
                config=config,
                secret_keys=secret_keys,
                region=env.aws.region if env.aws else "us-east-1",
                account_id=env.aws.account_id if env.aws else FAKE_ACCOUNT,
                tenant_id=str(env.azure.tenant_id) if env.azure else FAKE_GUID,
            )
        except ProgramError as err:
            where = f" at {err.location}" if err.location else ""
            raise PlanError(f"the program failed for {env.name}{where}: {err}") from None
        progress.done(f"{counting.total(capture.resources)} resources")
    return capture
