"""Offline policy checks: the policy set over a plan capture, any Pulumi program, or a state export.

`check_environment(project, env)` is what the engine preflight calls before a preview or
deploy; `PolicyReport.blocking` is True when an unexempted mandatory violation exists
(exit 5). Nothing here needs the Pulumi CLI or credentials.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any

from cli.capture import Capture
from cli.errors import ExitCode, InfraError, UsageError
from cli.project import Project


class PolicyFailure(InfraError):
    """At least one unexempted mandatory policy violation (the Pulumi CLI's policy exit code)."""

    exit_code = ExitCode.POLICY


class ProgramFailed(InfraError):
    """The program given to --program did not finish: the verdict is incomplete (exit 1)."""


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
    resource_total: int | None = None
    """Resources checked, by the one definition (cli/counting.py); the evaluation's own when unset."""
    complete: bool = True
    """False when the program stopped part-way: findings cover only what it registered until then."""

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
            "resources": self.resource_total if self.resource_total is not None else self.evaluation.resource_count,
            "policies_evaluated": sum(1 for level in self.evaluation.enforcement.values() if level.value != "disabled"),
            "findings": len(f),
            "mandatory": sum(1 for x in f if x.enforcement == "mandatory" and not x.exempted),
            "advisory": sum(1 for x in f if x.enforcement == "advisory" and not x.exempted),
            "exempted": sum(1 for x in f if x.exempted),
            "blocking": bool(blocking),
            "complete": self.complete,
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
    from cli import counting
    from cli.gcpause import paused
    from policies.context import Context, context_from_environment
    from policies.evaluate import evaluate
    from policies.views import stack_from_capture

    when = today or date.today()
    ctx = context_from_environment(env, when) if env is not None else Context.for_stack(capture.environment, when)
    with paused():  # a view per resource and a result per decision, none of them in a cycle
        stack = stack_from_capture(capture, provider_defaults)
        evaluation = evaluate(stack, ctx)
    return PolicyReport(
        environment=env.name if env is not None else capture.environment,
        project=capture.project,
        source=capture.source,
        evaluation=evaluation,
        location=location,
        today=when,
        resource_total=counting.total(capture.resources),
        complete=capture.complete,
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


def run_program_dir(directory: Path, stack: str | None = None, *, mode: str = "preview",
                    timeout: float | None = None) -> tuple[Any, dict[str, str], str]:
    """Run any Pulumi Python program in its own process with its stack's config: (ProgramRun, config, stack file)."""
    from cli.runner import DEFAULT_TIMEOUT, RunSpec, run_program
    from cli.runner.config import program_config, read_manifest
    from stacks.loader import ConfigError, read_config, stack_file

    project = _program_project(directory.resolve())
    name = _stack_name(project, stack)
    path = stack_file(project.stacks_dir, name)
    try:
        raw = read_config(path, project.display(path))
    except ConfigError as err:
        raise UsageError(err.lines[0], lines=err.lines) from None
    config, secret_keys = program_config(read_manifest(project.root), project.name, name, raw, project.display(path))
    run = run_program(
        RunSpec(program=project.program_dir, root=project.root, project=project.name, stack=name, config=config,
                secret_keys=tuple(secret_keys), mode=mode, region=config.get("aws:region", "us-east-1"),
                user_dir=project.root),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
    )
    return run, config, project.display(path)


def program_failed(run: Any, directory: Path, what: str) -> ProgramFailed:
    """The error for a run that did not finish: why, where, and what the partial result means."""
    failure = run.failure
    n = len(run.capture.resources)
    lines = [f"the program in {directory} failed for stack {run.capture.environment}: {failure.message}",
             *failure.lines()[1:],
             f"{what} covers only the {n} resource{'s' if n != 1 else ''} registered before it stopped "
             "(partial, complete: false)"]
    return ProgramFailed(lines[0], lines=lines)


def check_program(directory: Path, stack: str | None = None, *, today: date | None = None, mode: str = "preview",
                  timeout: float | None = None) -> tuple[PolicyReport, Any]:
    """Any Pulumi Python program directory, run offline with its stack config, checked against every policy.

    Returns the report and the run; a report of a run that did not finish is incomplete
    (`complete` False) and must not pass (see `program_failed`).
    """
    from policies.views import provider_defaults_from_config

    run, config, location = run_program_dir(directory, stack, mode=mode, timeout=timeout)
    report = check_capture(
        run.capture, None, today=today, provider_defaults=provider_defaults_from_config(config),
        location=str(directory / location) if not Path(location).is_absolute() else location,
    )
    return report, run


def blocking_error(report: PolicyReport) -> PolicyFailure:
    """The error to raise after printing a blocking report (exit 5)."""
    n = sum(1 for f in report.findings if f.blocking)
    return PolicyFailure(
        f"policy check failed: {n} unexempted mandatory violation{'s' if n != 1 else ''} in {report.environment}; "
        "fix them, or add a justified, expiring exemption under infra:policy.exemptions"
    )


# --- compliance report -------------------------------------------------------------------
#
# Evidence for an auditor: what was evaluated (a plan or a deployed state), with which tool and
# policy set (version and content hash) at which commit, per benchmark control and resource the
# verdict and the values it rested on, which exemptions applied, and what the set does not cover.

_RANK = {"fail": 0, "exempt": 1, "pass": 2, "not-applicable": 3}
ORGANISATION_CONTROL = "Organisation rules (no benchmark equivalent)"
COVERAGE_NOTE = ("A policy set covers part of a benchmark: 'all passed' means the evaluated controls passed "
                 "for the resources in scope, never that the benchmark is met.")


@dataclass(frozen=True)
class ResourceStatus:
    """One resource's standing against one policy, with the values that decided it."""

    urn: str
    type: str
    name: str
    status: str  # pass | fail | exempt | not-applicable
    detail: str
    observed: tuple[tuple[str, str], ...] = ()
    exemption: Mapping[str, Any] | None = None


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
    """One benchmark control (or the organisation's own rules) and the policies that evaluate it."""

    control: str
    policies: tuple[PolicyStatus, ...]
    benchmark: str = ""
    id: str = ""
    title: str = ""
    partial: tuple[str, ...] = ()
    """Why the policies only partly establish the control (empty: fully)."""

    @property
    def status(self) -> str:
        statuses = [p.status for p in self.policies if p.status != "disabled"]
        if not statuses:
            return "disabled"
        return min(statuses, key=lambda s: _RANK[s])


@dataclass(frozen=True)
class BenchmarkCoverage:
    """Which controls of one benchmark edition the set evaluates fully, partly, or not at all."""

    title: str
    source: str
    total: int
    full: tuple[tuple[str, str], ...]
    partial: tuple[tuple[str, str, str], ...]
    not_evaluated: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EnvironmentCompliance:
    """The compliance of one environment (or one state export)."""

    environment: str
    project: str
    evaluated: str  # "plan" | "state"
    source: str
    controls: tuple[ControlStatus, ...]
    coverage: tuple[BenchmarkCoverage, ...]
    exemptions: tuple[Mapping[str, Any], ...]
    summary: Mapping[str, Any]

    @property
    def evaluated_label(self) -> str:
        return ("plan: what would be deployed" if self.evaluated == "plan"
                else "state export: what is deployed")


@dataclass(frozen=True)
class ComplianceReport:
    """Controls -> policies -> per-resource status for one or more environments, with provenance."""

    generated_at: str
    tool: str
    policy_set_version: str
    policy_set_hash: str
    revision: str
    benchmarks: tuple[str, ...]
    environments: tuple[EnvironmentCompliance, ...]

    # The single-environment view most callers want.
    @property
    def environment(self) -> str:
        return ", ".join(e.environment for e in self.environments)

    @property
    def project(self) -> str:
        return self.environments[0].project if self.environments else ""

    @property
    def date(self) -> str:
        return self.generated_at[:10]

    @property
    def controls(self) -> tuple[ControlStatus, ...]:
        return self.environments[0].controls if self.environments else ()

    @property
    def summary(self) -> Mapping[str, Any]:
        return self.environments[0].summary if self.environments else {}


def git_revision(directory: Path) -> str:
    """The short commit of `directory`, with ' (uncommitted changes)' when the tree is dirty; 'unknown' outside git."""
    import subprocess

    def git(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, timeout=10,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None

    head = git("rev-parse", "--short", "HEAD")
    if head is None or head.returncode != 0 or not head.stdout.strip():
        return "unknown"
    status = git("status", "--porcelain", "--untracked-files=no")
    dirty = status is not None and status.returncode == 0 and bool(status.stdout.strip())
    return head.stdout.strip() + (" (uncommitted changes)" if dirty else "")


def policy_set_identity() -> tuple[str, str]:
    """(version from PulumiPolicy.yaml, sha256 over the policy set's source files), so a report names its rules."""
    import hashlib

    from policies.config import PACK_DIR

    version = "unknown"
    manifest = PACK_DIR / "PulumiPolicy.yaml"
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.startswith("version:"):
                version = line.split(":", 1)[1].strip()
    digest = hashlib.sha256()
    for path in sorted(PACK_DIR.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACK_DIR).as_posix().encode())
            digest.update(b"\0" + path.read_bytes() + b"\0")
    return version, "sha256:" + digest.hexdigest()


_SECRETISH = ("password", "secret", "token", "key", "connectionstring", "value")


def _evidence(path: str, value: Any) -> str:
    """One observed value as text: short, and never a secret."""
    from policies.core import PLAINTEXT_SECRET, SECRET, UNKNOWN_SENTINELS
    from policies.helpers import show
    from policies.secret_names import secret_setting

    last = path.rsplit(".", 1)[-1].lower()
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return "(unknown until apply)"
    if value in (SECRET, PLAINTEXT_SECRET):
        return "[secret]"
    if isinstance(value, Mapping):
        shown = []
        for k, v in list(value.items())[:8]:
            hidden = secret_setting(str(k), v) or any(w in str(k).lower() for w in _SECRETISH)
            shown.append(f"{k}: {'[redacted]' if hidden else show(v) if not isinstance(v, (Mapping, list)) else '…'}")
        more = f", … {len(value) - 8} more" if len(value) > 8 else ""
        return "{" + ", ".join(shown) + more + "}"
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if isinstance(value, str) and any(w in last for w in ("password", "secret", "token")):
        return "[redacted]"
    return show(value)


def _policy_status(report: PolicyReport, policy: Any, level: str) -> PolicyStatus:
    grouped: dict[str, list[Any]] = {}
    for result in report.results:
        if result.policy == policy.name:
            grouped.setdefault(result.urn, []).append(result)
    exempted = {(f.urn, f.message): f for f in report.findings if f.policy == policy.name and f.exempted}
    rows: list[ResourceStatus] = []
    hidden = 0
    for urn, results in grouped.items():
        statuses = [(report.evaluation.status(r), r) for r in results]
        status, worst = min(statuses, key=lambda x: _RANK[x[0]])
        if status == "not-applicable" and policy.kind == "resource" and policy.resource_types is None:
            hidden += 1
            continue
        details = [r.message for s, r in statuses if s == status and r.message]
        observed: dict[str, str] = {}
        for _, r in statuses:
            for path, value in getattr(r, "observed", {}).items():
                observed.setdefault(path, _evidence(path, value))
        finding = next((exempted[(urn, r.message)] for s, r in statuses if (urn, r.message) in exempted), None)
        exemption = None if finding is None else {
            "justification": finding.justification, "approver": finding.exemption_approver,
            "expires": finding.exemption_expires,
        }
        rows.append(ResourceStatus(urn, worst.type, worst.name, status, "; ".join(dict.fromkeys(details)),
                                   tuple(sorted(observed.items())), exemption))
    rows.sort(key=lambda r: (_RANK[r.status], r.name, r.urn))
    return PolicyStatus(policy, level, tuple(rows), hidden)


def _clouds_of(report: PolicyReport) -> set[str]:
    types = {r.type for r in report.results}
    found = {"aws"} if any(t.startswith("aws:") for t in types) else set()
    if any(t.startswith(("azure-native:", "azuread:")) for t in types):
        found.add("azure")
    return found


def _coverage(policies: Any, clouds: set[str]) -> tuple[BenchmarkCoverage, ...]:
    from policies.controls import CIS_AWS, CIS_AZURE, CIS_M365, titles

    wanted = [b for b, cloud in ((CIS_AWS, "aws"), (CIS_AZURE, "azure"), (CIS_M365, "azure")) if cloud in clouds]
    out = []
    for bench in wanted:
        refs = [c for p in policies for c in p.controls if c.benchmark == bench]
        full = {c.id for c in refs if not c.is_partial}
        partial: dict[str, str] = {}
        for c in refs:
            if c.id not in full and c.partial:
                partial.setdefault(c.id, c.partial)
        all_titles = titles(bench)
        out.append(BenchmarkCoverage(
            title=bench.title, source=bench.source, total=len(all_titles),
            full=tuple((i, all_titles[i]) for i in all_titles if i in full),
            partial=tuple((i, all_titles[i], partial[i]) for i in all_titles if i in partial),
            not_evaluated=tuple((i, t) for i, t in all_titles.items() if i not in full and i not in partial),
        ))
    return tuple(out)


_BENCHMARK_PACKAGES = {"cis-aws": ("aws:",), "cis-azure": ("azure-native:", "azuread:"),
                       "cis-m365": ("azure-native:", "azuread:")}


def _for_benchmark(status: PolicyStatus, ref: Any) -> PolicyStatus:
    """Only the rows a cloud's control speaks about: an AWS bucket is no evidence for a CIS Azure control."""
    from dataclasses import replace

    cloud = ref.benchmark.key
    if cloud == "checkov":
        cloud = "cis-aws" if "_AWS_" in ref.id else "cis-azure" if "_AZURE_" in ref.id else cloud
    packages = _BENCHMARK_PACKAGES.get(cloud, ("",))
    rows = tuple(r for r in status.resources if r.type.startswith("pulumi:pulumi:") or (
        r.type.startswith(packages) and (not ref.scope or r.type in ref.scope)))
    return status if len(rows) == len(status.resources) else replace(status, resources=rows)


def environment_compliance(report: PolicyReport, ctx_exemptions: tuple[Any, ...] = ()) -> EnvironmentCompliance:
    """Group one policy report by benchmark control for auditors."""
    from policies.controls import BENCHMARKS

    evaluation = report.evaluation
    statuses = {p.name: _policy_status(report, p, evaluation.enforcement[p.name].value) for p in evaluation.policies}
    by_control: dict[tuple[int, tuple[int, ...], str], list[Any]] = {}
    meta: dict[tuple[int, tuple[int, ...], str], Any] = {}
    for p in evaluation.policies:
        if not p.controls:
            key = (len(BENCHMARKS), (), ORGANISATION_CONTROL)
            by_control.setdefault(key, []).append(statuses[p.name])
        for ref in p.controls:
            numbers = [int(x) if x.isdigit() else 0 for x in ref.id.replace("_", ".").split(".")]
            key = (BENCHMARKS.index(ref.benchmark), tuple(numbers), ref.label)
            by_control.setdefault(key, []).append(_for_benchmark(statuses[p.name], ref))
            meta.setdefault(key, []).append(ref)
    controls = []
    for key in sorted(by_control, key=lambda k: (k[0], k[1], k[2])):
        refs = meta.get(key, [])
        if not refs:
            controls.append(ControlStatus(key[2], tuple(by_control[key])))
            continue
        ref = refs[0]
        partial = () if any(not r.is_partial for r in refs) else tuple(dict.fromkeys(r.partial for r in refs))
        controls.append(ControlStatus(f"{ref.label}: {ref.title}", tuple(by_control[key]), ref.benchmark.title,
                                      ref.id, ref.title, partial))
    counts = Counter(r.status for s in statuses.values() for r in s.resources)
    summary: dict[str, Any] = {
        "resources": evaluation.resource_count,
        "policies": len(statuses),
        "policies_failing": sum(1 for s in statuses.values() if s.status == "fail"),
        "policies_disabled": sum(1 for s in statuses.values() if s.status == "disabled"),
        **{k: counts.get(k, 0) for k in ("pass", "fail", "exempt", "not-applicable")},
        "blocking": report.blocking,
    }
    summary["not-applicable"] += sum(s.hidden_not_applicable for s in statuses.values())
    exemptions = []
    for ex in ctx_exemptions:
        covered = [f.name for f in report.findings if f.exempted and f.policy == ex.policy and ex.matches(f.urn, f.name)]
        exemptions.append({
            "policy": ex.policy, "resource": ex.resource, "justification": ex.justification,
            "approver": ex.approver, "expires": ex.expires.isoformat() if ex.expires else None,
            "problem": ex.problem(report.today), "covers": sorted(set(covered)),
        })
    evaluated = "state" if report.source.startswith("state") else "plan"
    return EnvironmentCompliance(
        environment=report.environment, project=report.project, evaluated=evaluated, source=report.source,
        controls=tuple(controls), coverage=_coverage(evaluation.policies, _clouds_of(report)),
        exemptions=tuple(exemptions), summary=summary,
    )


def compliance_from_reports(reports: list[tuple[PolicyReport, tuple[Any, ...]]], root: Path,
                            now: Any | None = None) -> ComplianceReport:
    """One report over several environments (each a policy report and its exemptions)."""
    from datetime import datetime

    from cli import __version__
    from policies.controls import BENCHMARKS

    version, digest = policy_set_identity()
    when = now or datetime.now(UTC)
    return ComplianceReport(
        generated_at=when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        tool=f"civic-infra {__version__}", policy_set_version=version, policy_set_hash=digest,
        revision=git_revision(root), benchmarks=tuple(b.title for b in BENCHMARKS),
        environments=tuple(environment_compliance(r, ex) for r, ex in reports),
    )


def compliance_from_report(report: PolicyReport, revision: str) -> ComplianceReport:
    """One environment's report (kept for callers that already hold a PolicyReport)."""
    built = compliance_from_reports([(report, ())], Path("."))
    return ComplianceReport(built.generated_at, built.tool, built.policy_set_version, built.policy_set_hash,
                            revision, built.benchmarks, built.environments)


def _observed_check(capture: Capture, env: Any | None, *, today: date | None, location: str | None,
                    provider_defaults: Mapping[str, Mapping[str, Any]] | None = None) -> PolicyReport:
    from policies.context import Context, context_from_environment
    from policies.evaluate import evaluate
    from policies.views import stack_from_capture

    when = today or date.today()
    ctx = context_from_environment(env, when) if env is not None else Context.for_stack(capture.environment, when)
    return PolicyReport(
        environment=env.name if env is not None else capture.environment, project=capture.project,
        source=capture.source, evaluation=evaluate(stack_from_capture(capture, provider_defaults), ctx, observe=True),
        location=location, today=when,
    )


def compliance_inputs(project: Project, env: Any | None, state: Path | None = None, *,
                      today: date | None = None, use_cache: bool = False) -> tuple[PolicyReport, tuple[Any, ...]]:
    """The observed policy report of an environment's plan, or of a state export (with --env: its context)."""
    from policies.context import context_from_environment

    if state is not None:
        from cli.state import read_state

        report = _observed_check(read_state(state), env, today=today, location=str(state))
    else:
        from cli.cache import environment_capture

        report = _observed_check(environment_capture(project, env, use_cache=use_cache), env, today=today,
                                 location=None)
    exemptions = context_from_environment(env, today).settings.exemptions if env is not None else ()
    return report, exemptions


def compliance_report(project: Project, env: Any, *, today: date | None = None,
                      use_cache: bool = False) -> ComplianceReport:
    """The compliance report of one environment's offline plan."""
    return compliance_from_reports([compliance_inputs(project, env, today=today, use_cache=use_cache)],
                                   project.root)
