"""Offline policy checks: the policy set over a plan capture, any Pulumi program, or a state export.

`check_environment(project, env)` is what the engine preflight calls before a preview or
deploy; `PolicyReport.blocking` is True when an unexempted mandatory violation exists
(exit 5). Nothing here needs the Pulumi CLI or credentials.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cli.capture import Capture
from cli.errors import ExitCode, InfraError, UsageError
from cli.project import Project


class PolicyFailure(InfraError):
    """At least one unexempted mandatory policy violation (the Pulumi CLI's policy exit code)."""

    exit_code = ExitCode.POLICY


class ProgramFailed(InfraError):
    """The program given to --program raised while running offline."""


@dataclass(frozen=True)
class PolicyReport:
    """The outcome of one offline check: findings, every decision, and where they came from."""

    environment: str
    project: str
    source: str
    evaluation: Any  # policies.evaluate.Evaluation
    location: str | None = None
    """The file a finding points at (the environment's stack file, the program's Pulumi.yaml, the state file)."""
    today: date = field(default_factory=date.today)

    @property
    def findings(self) -> tuple[Any, ...]:
        return self.evaluation.findings

    @property
    def results(self) -> tuple[Any, ...]:
        return self.evaluation.results

    @property
    def blocking(self) -> bool:
        """True when any unexempted mandatory violation exists."""
        return self.evaluation.blocking

    @property
    def exit_code(self) -> int:
        return ExitCode.POLICY if self.blocking else ExitCode.OK

    def summary(self) -> dict[str, Any]:
        f = self.findings
        blocking = [x for x in f if x.blocking]
        return {
            "environment": self.environment,
            "project": self.project,
            "source": self.source,
            "resources": self.evaluation.resource_count,
            "policies_evaluated": sum(1 for level in self.evaluation.enforcement.values() if level.value != "disabled"),
            "findings": len(f),
            "mandatory": sum(1 for x in f if x.enforcement == "mandatory" and not x.exempted),
            "advisory": sum(1 for x in f if x.enforcement == "advisory" and not x.exempted),
            "exempted": sum(1 for x in f if x.exempted),
            "blocking": bool(blocking),
            "by_policy": dict(sorted(Counter(x.policy for x in f).items())),
        }

    def to_json(self) -> dict[str, Any]:
        return {"findings": [x.to_json() for x in self.findings], "summary": self.summary()}


def check_capture(
    capture: Capture,
    env: Any | None,
    *,
    today: date | None = None,
    provider_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    location: str | None = None,
) -> PolicyReport:
    """Evaluate every policy over `capture`; `env` (an Environment) gives context and exemptions.

    Without `env` the context is the strictest one for the stack's name (see Context.for_stack).
    """
    from policies.context import Context, context_from_environment
    from policies.evaluate import evaluate
    from policies.views import stack_from_capture

    when = today or date.today()
    ctx = context_from_environment(env, when) if env is not None else Context.for_stack(capture.environment, when)
    stack = stack_from_capture(capture, provider_defaults)
    return PolicyReport(
        environment=env.name if env is not None else capture.environment,
        project=capture.project,
        source=capture.source,
        evaluation=evaluate(stack, ctx),
        location=location,
        today=when,
    )


def check_environment(project: Project, env: Any, *, today: date | None = None, use_cache: bool = False) -> PolicyReport:
    """The offline plan of `env` (cli.plan.plan_environment), checked against every policy.

    With `use_cache`, a capture cached by an earlier offline command is reused (cli.cache);
    the engine preflight leaves it off and always runs the program.
    """
    from cli.cache import environment_capture
    from stacks.loader import stack_file

    capture = environment_capture(project, env, use_cache=use_cache)
    location = project.display(stack_file(project.stacks_dir, env.name))
    return check_capture(capture, env, today=today, location=location)


def check_state(path: Path, env: Any | None = None, *, today: date | None = None) -> PolicyReport:
    """A `pulumi stack export` file checked against every policy (deployed state, no program run)."""
    from cli.state import read_state

    return check_capture(read_state(path), env, today=today, location=str(path))


# --- any Pulumi Python program -----------------------------------------------------------


def _program_project(directory: Path) -> Project:
    from cli.project import find_project

    if not directory.is_dir():
        raise UsageError(f"--program {directory}: not a directory; pass the directory holding Pulumi.yaml")
    if not (directory / "Pulumi.yaml").is_file():
        raise UsageError(f"--program {directory}: no Pulumi.yaml there; pass a Pulumi project directory")
    project = find_project(directory)
    import yaml

    runtime = (yaml.safe_load((directory / "Pulumi.yaml").read_text(encoding="utf-8")) or {}).get("runtime")
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name != "python":
        raise UsageError(f"--program {directory}: runtime is {name!r}; only Python programs can run offline")
    return project


def _stack_name(project: Project, stack: str | None) -> str:
    from stacks.loader import environment_names

    names = environment_names(project.stacks_dir)
    if stack is not None:
        if stack not in names:
            known = ", ".join(names) or "none"
            raise UsageError(f"--stack {stack}: no Pulumi.{stack}.yaml in {project.stacks_dir}; known stacks: {known}")
        return stack
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError(f"--program {project.root}: no Pulumi.<stack>.yaml; add one or pass --stack NAME")
    raise UsageError(f"--program {project.root}: several stacks ({', '.join(names)}); choose one with --stack NAME")


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    """Run as Pulumi does: from the project directory, with it importable."""
    before, path_before = os.getcwd(), list(sys.path)
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        os.chdir(before)
        sys.path[:] = path_before


def capture_program_dir(directory: Path, stack: str | None = None) -> tuple[Capture, dict[str, str], str]:
    """Run any Pulumi Python program under mocks with its stack's config: (capture, config, stack file)."""
    from cli.capture import ProgramError, capture_program, stack_config_for_engine
    from stacks.loader import ConfigError, read_config, stack_file

    project = _program_project(directory.resolve())
    name = _stack_name(project, stack)
    path = stack_file(project.stacks_dir, name)
    try:
        raw = read_config(path, project.display(path))
    except ConfigError as err:
        raise UsageError(err.lines[0], lines=err.lines) from None
    # Bare keys belong to the project's namespace, as the engine reads them.
    raw = {k if ":" in k else f"{project.name}:{k}": v for k, v in raw.items()}
    config, secret_keys = stack_config_for_engine(raw)
    try:
        with _inside(project.root):
            capture = capture_program(
                project.program_dir, project=project.name, stack=name, config=config, secret_keys=secret_keys,
                region=config.get("aws:region", "us-east-1"),
            )
    except ProgramError as err:
        where = f" at {err.location}" if err.location else ""
        raise ProgramFailed(f"the program in {directory} failed for stack {name}{where}: {err}") from None
    return capture, config, project.display(path)


def check_program(directory: Path, stack: str | None = None, *, today: date | None = None) -> PolicyReport:
    """Any Pulumi Python program directory, run offline with its stack config, checked against every policy."""
    from policies.views import provider_defaults_from_config

    capture, config, location = capture_program_dir(directory, stack)
    return check_capture(
        capture, None, today=today, provider_defaults=provider_defaults_from_config(config),
        location=str(directory / location) if not Path(location).is_absolute() else location,
    )


def blocking_error(report: PolicyReport) -> PolicyFailure:
    """The error to raise after printing a blocking report (exit 5)."""
    n = sum(1 for f in report.findings if f.blocking)
    return PolicyFailure(
        f"policy check failed: {n} unexempted mandatory violation{'s' if n != 1 else ''} in {report.environment}; "
        "fix them, or add a justified, expiring exemption under infra:policy.exemptions"
    )


# --- compliance report -------------------------------------------------------------------

_RANK = {"fail": 0, "exempt": 1, "pass": 2, "not-applicable": 3}
ORGANISATION_CONTROL = "Organisation rules (no CIS equivalent)"


@dataclass(frozen=True)
class ResourceStatus:
    """One resource's standing against one policy."""

    urn: str
    type: str
    name: str
    status: str  # pass | fail | exempt | not-applicable
    detail: str


@dataclass(frozen=True)
class PolicyStatus:
    policy: Any  # policies.core.Policy
    enforcement: str
    resources: tuple[ResourceStatus, ...]
    hidden_not_applicable: int
    """Not-applicable decisions left out of the table (policies that look at every resource)."""

    @property
    def status(self) -> str:
        if self.enforcement == "disabled":
            return "disabled"
        statuses = [r.status for r in self.resources]
        if not statuses:
            return "not-applicable"
        return min(statuses, key=lambda s: _RANK[s])


@dataclass(frozen=True)
class ControlStatus:
    control: str
    policies: tuple[PolicyStatus, ...]


@dataclass(frozen=True)
class ComplianceReport:
    """Controls -> policies -> per-resource status, dated and tied to a git revision."""

    environment: str
    project: str
    date: str
    revision: str
    controls: tuple[ControlStatus, ...]
    summary: Mapping[str, int]


def git_revision(directory: Path) -> str:
    """`git rev-parse --short HEAD` in `directory`, or 'unknown' outside git."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=directory, capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def _policy_status(report: PolicyReport, policy: Any, level: str) -> PolicyStatus:
    grouped: dict[str, list[Any]] = {}
    for result in report.results:
        if result.policy == policy.name:
            grouped.setdefault(result.urn, []).append(result)
    rows: list[ResourceStatus] = []
    hidden = 0
    for urn, results in grouped.items():
        statuses = [(report.evaluation.status(r), r) for r in results]
        status, worst = min(statuses, key=lambda x: _RANK[x[0]])
        if status == "not-applicable" and policy.kind == "resource" and policy.resource_types is None:
            hidden += 1
            continue
        details = [r.message for s, r in statuses if s == status and r.message]
        rows.append(ResourceStatus(urn, worst.type, worst.name, status, "; ".join(dict.fromkeys(details))))
    rows.sort(key=lambda r: (_RANK[r.status], r.name, r.urn))
    return PolicyStatus(policy, level, tuple(rows), hidden)


def compliance_from_report(report: PolicyReport, revision: str) -> ComplianceReport:
    """Group a policy report by control for auditors."""
    evaluation = report.evaluation
    statuses = {p.name: _policy_status(report, p, evaluation.enforcement[p.name].value) for p in evaluation.policies}
    by_control: dict[str, list[PolicyStatus]] = {}
    for p in evaluation.policies:
        for control in p.controls or (ORGANISATION_CONTROL,):
            by_control.setdefault(control, []).append(statuses[p.name])

    def order(control: str) -> tuple[int, list[Any]]:
        if control == ORGANISATION_CONTROL:
            return (2, [])
        parts = control.split()
        numbers = [int(x) if x.isdigit() else x for x in parts[-1].split(".")]
        return (0 if parts[1] == "Azure" else 1, [parts[2], *numbers])

    controls = tuple(ControlStatus(c, tuple(by_control[c])) for c in sorted(by_control, key=order))
    counts = Counter(r.status for s in statuses.values() for r in s.resources)
    summary = {
        "policies": len(statuses),
        "policies_failing": sum(1 for s in statuses.values() if s.status == "fail"),
        "policies_disabled": sum(1 for s in statuses.values() if s.status == "disabled"),
        **{k: counts.get(k, 0) for k in ("pass", "fail", "exempt", "not-applicable")},
    }
    summary["not-applicable"] += sum(s.hidden_not_applicable for s in statuses.values())
    return ComplianceReport(
        environment=report.environment, project=report.project, date=report.today.isoformat(),
        revision=revision, controls=controls, summary=summary,
    )


def compliance_report(project: Project, env: Any, *, today: date | None = None, use_cache: bool = False) -> ComplianceReport:
    """The compliance report of one environment's offline plan."""
    report = check_environment(project, env, today=today, use_cache=use_cache)
    return compliance_from_report(report, git_revision(project.root))
