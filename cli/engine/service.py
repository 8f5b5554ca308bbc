"""What each engine command does, over plain data; the commands only parse flags and print.

Every service runs the preflight gates first (nothing starts when one fails), then calls the
adapter. Decisions live here: confirmation, the protected-resource guard, history records,
drift across environments. Results are plain dataclasses, never Pulumi objects.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.engine import drift as drift_mod
from cli.engine import history, interrupt, preflight, protect
from cli.engine.adapter import Engine, StackSpec
from cli.engine.errors import (
    CancelledError,
    ChangesDetectedError,
    ConfirmationRequiredError,
    DestroyRefusedError,
    EngineConfigError,
    EngineError,
    ProtectedResourceError,
)
from cli.engine.events import EngineSummary
from cli.engine.masking import Masker
from cli.engine.render import NullProgress, Progress, render_table
from cli.errors import InfraError, UsageError
from cli.project import Project


def _ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()


@dataclass(frozen=True)
class Console:
    """How confirmations reach the engineer; tests pass fakes."""

    isatty: Callable[[], bool] = lambda: sys.stdin.isatty()
    ask: Callable[[str], str] = _ask


@dataclass(frozen=True)
class Runtime:
    """Everything a service touches outside its arguments."""

    probes: preflight.Probes = field(default_factory=preflight.Probes)
    who: history.Who = field(default_factory=history.Who)
    console: Console = field(default_factory=Console)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    progress: Callable[[str], Any] = lambda title: Progress(title)
    notice: Callable[[str], None] = lambda text: print(text, file=sys.stderr)
    interrupts: Callable[[Callable[[str], None]], Any] = lambda notice: interrupt.InterruptGuard(notice)
    """Ctrl-C handling around deploy, refresh and destroy (see cli/engine/interrupt.py)."""


def default_runtime() -> Runtime:
    """The real machine; tests replace this function to inject fakes behind the commands."""
    return Runtime()


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- confirmation ---------------------------------------------------------------------


def confirm(environment: str, *, action: str, yes: bool, console: Console) -> None:
    """--yes, or (on a terminal) the environment's name typed back; else exit 2 / 8."""
    if yes:
        return
    if not console.isatty():
        raise ConfirmationRequiredError(
            f"{action} {environment} needs confirmation and stdin is not a terminal; pass --yes to confirm"
        )
    answer = console.ask(f"{action} {environment}: type the environment name ({environment}) to continue: ")
    if (answer or "").strip() != environment:
        raise CancelledError(f"confirmation did not match {environment!r}; nothing was changed")


# --- shared ---------------------------------------------------------------------------


def _spec(project: Project, pf: preflight.Preflight, *, create: bool) -> StackSpec:
    return StackSpec(
        project_root=project.root,
        environment=pf.environment.name,
        backend=pf.backend,
        secrets_provider=pf.secrets_provider,
        create=create,
    )


def policy_arguments(project: Project, environment: Any) -> tuple[list[str], list[str] | None]:
    """The policy pack directory and its per-environment config file, for preview and up.

    The config comes from `policies.config.policy_pack_config(env)` (effective enforcement
    levels and the environment's context, exemptions included) and is written to `.infra/policy-config/<env>.json`.
    A missing pack or config helper is an error: the engine never runs without policy.
    """
    pack = project.root / "policies"
    if not (pack / "PulumiPolicy.yaml").is_file():
        raise EngineConfigError(
            f"the policy pack is missing: {project.display(pack)}/PulumiPolicy.yaml not found; "
            "the engine never runs without the policy set"
        )
    try:
        from policies.config import policy_pack_config
    except ImportError as err:
        raise EngineConfigError(
            f"policies.config.policy_pack_config is not available ({err.__class__.__name__}); "
            "the per-environment policy configuration cannot be passed to the engine"
        ) from None
    config = policy_pack_config(environment)
    if config is None:
        return [str(pack)], None
    if isinstance(config, (str, Path)):
        return [str(pack)], [str(config)]
    path = project.state_dir / "policy-config" / f"{environment.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return [str(pack)], [str(path)]


def _record(
    project: Project,
    rt: Runtime,
    pf: preflight.Preflight,
    *,
    action: str,
    result: str,
    summary: EngineSummary | None,
    plan_file: Path | None = None,
    error: InfraError | None = None,
) -> Path:
    record = history.make_record(
        project_root=project.root,
        environment=pf.environment.name,
        action=action,
        result=result,
        summary=summary,
        backend=pf.backend.display,
        who=rt.who,
        plan_file=str(plan_file) if plan_file else None,
        error=error.lines[0] if error is not None else None,
    )
    return history.append(project.state_dir, record)


# --- preview --------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewOutcome:
    environment: str
    backend: str
    summary: EngineSummary
    plan_file: Path | None = None


def preview(
    project: Project,
    name: str,
    *,
    backend: str | None = None,
    diff: bool = False,
    save_plan: Path | None = None,
    expect_no_changes: bool = False,
    rt: Runtime | None = None,
) -> PreviewOutcome:
    """Preflight, then an engine preview with the policy pack; optionally saves an update plan."""
    rt = rt or default_runtime()
    masker = Masker(environ=rt.probes.env)
    pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker)
    packs, configs = policy_arguments(project, pf.environment)
    plan = save_plan.resolve() if save_plan else None
    if plan is not None:
        plan.parent.mkdir(parents=True, exist_ok=True)
    engine = Engine(_spec(project, pf, create=True), masker)
    guard = rt.interrupts(rt.notice)
    try:
        with guard, rt.progress(f"preview of {name}") as progress:
            run = engine.preview(
                on_event=progress,
                policy_packs=packs,
                policy_pack_configs=configs,
                plan=str(plan) if plan else None,
                diff=diff,
                expect_no_changes=expect_no_changes,
            )
    except interrupt.StopNow:
        raise interrupted_error(name, "preview", started=False) from None
    except EngineError:
        if guard.interrupted:
            raise interrupted_error(name, "preview", started=False) from None
        raise
    if expect_no_changes and run.summary.has_changes:
        raise ChangesDetectedError(f"preview of {name} proposes {run.summary.change_count} change(s); none were expected")
    return PreviewOutcome(name, pf.backend.display, run.summary, plan)


# --- deploy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployOutcome:
    environment: str
    backend: str
    result: str
    preview: EngineSummary
    summary: EngineSummary | None
    history: Path
    warnings: tuple[str, ...] = ()


def deploy(
    project: Project,
    name: str,
    *,
    yes: bool = False,
    plan_file: Path | None = None,
    allow_replace: Sequence[str] = (),
    backend: str | None = None,
    rt: Runtime | None = None,
) -> DeployOutcome:
    """Gates, a guarded preview, confirmation, then `up`; a history record whatever happens."""
    rt = rt or default_runtime()
    if plan_file is not None and not plan_file.is_file():
        raise UsageError(f"--plan {plan_file}: file not found; save one with `infra preview --env {name} --save-plan FILE`")
    masker = Masker(environ=rt.probes.env)
    pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker)
    packs, configs = policy_arguments(project, pf.environment)
    engine = Engine(_spec(project, pf, create=True), masker)

    def record(result: str, summary: EngineSummary | None, error: InfraError | None = None) -> Path:
        return _record(project, rt, pf, action="deploy", result=result, summary=summary, plan_file=plan_file, error=error)

    guard = rt.interrupts(rt.notice)
    try:
        with guard:
            return _deploy_steps(rt, engine, name, pf, packs, configs, plan_file, allow_replace, yes, record, guard)
    except interrupt.StopNow:
        err = interrupted_error(name, "deploy", forced=guard.killed, started=guard.killed)
        record("cancelled", None, err)
        raise err from None


def _deploy_steps(rt, engine, name, pf, packs, configs, plan_file, allow_replace, yes, record, guard) -> DeployOutcome:
    try:
        with rt.progress(f"preview of {name} before deploy") as progress:
            planned = engine.preview(on_event=progress, policy_packs=packs, policy_pack_configs=configs)
    except EngineError as err:
        if guard.interrupted:
            cancelled = interrupted_error(name, "deploy", summary=err.summary, started=False)
            record("cancelled", err.summary, cancelled)
            raise cancelled from None
        record("failed", err.summary, err)
        raise
    warnings = tuple(
        f"--allow-replace {urn}: the plan neither deletes nor replaces it"
        for urn in protect.unused_allowances(planned.summary, allow_replace)
    )
    try:
        protect.check(planned.summary, allow_replace, name)
    except ProtectedResourceError as err:
        record("refused", planned.summary, err)
        raise
    if not planned.summary.has_changes and plan_file is None:
        path = record("no-changes", planned.summary)
        return DeployOutcome(name, pf.backend.display, "no-changes", planned.summary, None, path, warnings)
    try:
        if pf.environment.confirmation_required:
            if not yes and rt.console.isatty():
                rt.notice(render_table(planned.summary, action="preview", environment=name))
            confirm(name, action="deploy to", yes=yes, console=rt.console)
    except ConfirmationRequiredError as err:
        record("refused", planned.summary, err)
        raise
    except CancelledError as err:
        record("cancelled", planned.summary, err)
        raise
    try:
        with rt.progress(f"deploy of {name}") as progress:
            done = engine.up(
                on_event=progress,
                policy_packs=packs,
                policy_pack_configs=configs,
                plan=str(plan_file.resolve()) if plan_file else None,
            )
    except EngineError as err:
        if guard.interrupted:
            cancelled = interrupted_error(name, "deploy", summary=err.summary)
            record("cancelled", err.summary, cancelled)
            raise cancelled from None
        record("failed", err.summary, err)
        raise
    path = record("succeeded", done.summary)
    return DeployOutcome(name, pf.backend.display, "succeeded", planned.summary, done.summary, path, warnings)


def interrupted_error(
    name: str, action: str, *, summary: EngineSummary | None = None, forced: bool = False, started: bool = True
) -> CancelledError:
    """Exit 8: what an interrupt may have left behind, and the runbook."""
    if forced:
        head = f"{action} of {name} was stopped at once by a second interrupt"
        state = (
            "the pulumi CLI was killed: operations in flight may be half done, their results unrecorded, "
            "and the stack is probably still locked"
        )
    elif not started:
        head = f"{action} of {name} was interrupted before anything was changed"
        state = "no update had started; the stack was not changed"
    else:
        head = f"{action} of {name} was interrupted and pulumi cancelled the update"
        done = len(summary.changes) if summary is not None else 0
        state = (
            f"operations that finished before the cancel are kept ({done} reported); "
            "the state was saved and the lock released, unless pulumi says otherwise above"
        )
    lines = [
        head,
        state,
        f"next: `infra preview --env {name}` shows what is left to do; if it reports a lock, follow "
        f"docs/runbooks/interrupted-deploy.md: `infra cancel --env {name}`, then `infra refresh --env {name}`",
    ]
    return CancelledError(head, lines=lines)


# --- refresh, destroy, cancel, outputs ------------------------------------------------


@dataclass(frozen=True)
class RefreshOutcome:
    environment: str
    result: str
    preview: EngineSummary
    summary: EngineSummary | None


def refresh(project: Project, name: str, *, yes: bool = False, backend: str | None = None, rt: Runtime | None = None) -> RefreshOutcome:
    """Show the refresh preview, then (confirmed) write the cloud's values into the state."""
    rt = rt or default_runtime()
    masker = Masker(environ=rt.probes.env)
    pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker,
                       gates=("cli", "backend", "credentials", "config"))
    engine = Engine(_spec(project, pf, create=False), masker)
    guard = rt.interrupts(rt.notice)

    def record(result: str, summary: EngineSummary | None, error: InfraError | None = None) -> None:
        _record(project, rt, pf, action="refresh", result=result, summary=summary, error=error)

    try:
        with guard:
            with rt.progress(f"refresh preview of {name}") as progress:
                planned = engine.preview_refresh(on_event=progress)
            if not planned.summary.has_changes:
                return RefreshOutcome(name, "no-changes", planned.summary, None)
            if not yes and rt.console.isatty():
                rt.notice(render_table(planned.summary, action="refresh preview", environment=name, diff=True))
            confirm(name, action="write the cloud's current values into the state of", yes=yes, console=rt.console)
            try:
                with rt.progress(f"refresh of {name}") as progress:
                    done = engine.refresh(on_event=progress)
            except EngineError as err:
                if guard.interrupted:
                    cancelled = interrupted_error(name, "refresh", summary=err.summary)
                    record("cancelled", err.summary, cancelled)
                    raise cancelled from None
                record("failed", err.summary, err)
                raise
    except interrupt.StopNow:
        err = interrupted_error(name, "refresh", forced=guard.killed, started=guard.killed)
        record("cancelled", None, err)
        raise err from None
    record("succeeded", done.summary)
    return RefreshOutcome(name, "succeeded", planned.summary, done.summary)


def destroy(
    project: Project,
    name: str,
    *,
    yes: bool = False,
    confirm_name: str | None = None,
    backend: str | None = None,
    rt: Runtime | None = None,
) -> EngineSummary:
    """Delete every resource of a non-production environment.

    Refused outright for the production tier. Otherwise the engineer types the environment's
    name; without a terminal, `--yes --confirm ENV` must both be given and ENV must match.
    """
    rt = rt or default_runtime()
    preflight.check_name(name)
    tier = _raw_tier(project, name)
    if tier == "production":
        raise DestroyRefusedError(
            f"destroy is refused for {name}: it is a production environment",
            lines=[
                f"destroy is refused for {name}: it is a production environment",
                "remove resources through code and `infra deploy`, with --allow-replace for stateful ones",
            ],
        )
    if yes and confirm_name != name:
        raise ConfirmationRequiredError(
            f"destroy with --yes also needs --confirm {name} (the environment's name), got "
            + (repr(confirm_name) if confirm_name else "no --confirm")
        )
    masker = Masker(environ=rt.probes.env)
    pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker,
                       gates=("cli", "backend", "credentials", "config"))
    if pf.environment.is_production:
        raise DestroyRefusedError(f"destroy is refused for {name}: it is a production environment")
    engine = Engine(_spec(project, pf, create=False), masker)
    guard = rt.interrupts(rt.notice)

    def record(result: str, summary: EngineSummary | None, error: InfraError | None = None) -> None:
        _record(project, rt, pf, action="destroy", result=result, summary=summary, error=error)

    try:
        with guard:
            with rt.progress(f"destroy preview of {name}") as progress:
                planned = engine.preview_destroy(on_event=progress)
            if not yes:
                rt.notice(f"destroy would delete {planned.summary.group_counts().get('delete', 0)} resource(s) of {name}")
                confirm(name, action="destroy every resource of", yes=False, console=rt.console)
            try:
                with rt.progress(f"destroy of {name}") as progress:
                    done = engine.destroy(on_event=progress)
            except EngineError as err:
                if guard.interrupted:
                    cancelled = interrupted_error(name, "destroy", summary=err.summary)
                    record("cancelled", err.summary, cancelled)
                    raise cancelled from None
                record("failed", err.summary, err)
                raise
    except interrupt.StopNow:
        err = interrupted_error(name, "destroy", forced=guard.killed, started=guard.killed)
        record("cancelled", None, err)
        raise err from None
    record("succeeded", done.summary)
    return done.summary


def _raw_tier(project: Project, name: str) -> str | None:
    from stacks.loader import ConfigError, infra_namespace, read_config, stack_file

    path = stack_file(project.stacks_dir, name)
    try:
        return str(infra_namespace(read_config(path, project.display(path))).get("tier") or "") or None
    except ConfigError:
        return None


def cancel(project: Project, name: str, *, yes: bool = False, backend: str | None = None, rt: Runtime | None = None) -> None:
    """Stop the running update and clear the stack's lock (confirmed: it can leave pending operations)."""
    rt = rt or default_runtime()
    masker = Masker(environ=rt.probes.env)
    pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker, gates=preflight.STATE_GATES)
    confirm(name, action="cancel the running update and clear the lock of", yes=yes, console=rt.console)
    Engine(_spec(project, pf, create=False), masker).cancel()


def outputs(
    project: Project, name: str, *, show_secrets: bool = False, backend: str | None = None, rt: Runtime | None = None
) -> dict[str, dict[str, Any]]:
    """The stack's outputs; secret values masked unless `show_secrets`."""
    rt = rt or default_runtime()
    masker = Masker(environ=rt.probes.env)
    pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker, gates=preflight.STATE_GATES)
    return Engine(_spec(project, pf, create=False), masker).outputs(show_secrets=show_secrets)


# --- drift ----------------------------------------------------------------------------

DRIFT_GATES = ("cli", "backend", "credentials", "config")


def state_policy(engine: Engine, environment: Any, refreshed: EngineSummary) -> tuple[drift_mod.PolicyItem, ...]:
    """The policy set on the deployed state with the cloud's values laid over it.

    `pulumi refresh --preview-only` writes nothing, so `stack export` still holds the last
    deployed values. The refresh preview's per-property cloud values are laid over that
    export (`drift.overlay_refresh`; resources gone from the cloud are dropped), and the
    offline policy set (`cli.policycheck.check_capture`) evaluates the result.
    """
    from cli.policycheck import check_capture
    from cli.state import capture_from_export

    exported = engine.export()  # plaintext secrets already blinded by the adapter
    capture = capture_from_export(exported, source="state+refresh")
    capture = drift_mod.overlay_refresh(capture, refreshed)
    return drift_mod.policy_items(check_capture(capture, environment))


def drift_one(project: Project, name: str, *, backend: str | None, rt: Runtime, checked_at: str, strict: bool) -> drift_mod.DriftReport:
    """One environment's drift; engine failures become an error report (exit 1), never a crash.

    With `strict`, a preflight failure raises (its own message and exit code, nothing started).
    """
    masker = Masker(environ=rt.probes.env)
    if strict:
        pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker, gates=DRIFT_GATES)
    else:
        try:
            pf = preflight.run(project, name, backend_flag=backend, probes=rt.probes, masker=masker, gates=DRIFT_GATES)
        except InfraError as err:
            return drift_mod.error_report(name, checked_at, err)
    engine = Engine(_spec(project, pf, create=False), masker)
    try:
        with rt.progress(f"drift check of {name}") as progress:
            progress.note(f"{name}: refresh preview (cloud vs state)")
            cloud = engine.preview_refresh(on_event=progress)
            progress.note(f"{name}: preview (code vs state)")
            code = engine.preview(on_event=progress)
    except InfraError as err:
        return drift_mod.error_report(name, checked_at, err)
    report = drift_mod.build_report(name, checked_at, refresh=cloud.summary, preview=code.summary)
    try:
        items = state_policy(engine, pf.environment, cloud.summary)
    except InfraError as err:
        return replace(report, error=err.lines[0], error_lines=tuple(err.lines))
    except Exception as err:  # noqa: BLE001 - a missing or failing policy helper is an error, never silence
        line = f"the policy check of the refreshed state failed: {masker.scrub(f'{err.__class__.__name__}: {err}')}"
        return replace(report, error=line, error_lines=(line,))
    return replace(report, policy=items, policy_evaluated=True)


def drift(
    project: Project,
    names: Sequence[str],
    *,
    all_environments: bool = False,
    parallel: int = 2,
    backend: str | None = None,
    rt: Runtime | None = None,
) -> tuple[str, list[drift_mod.DriftReport]]:
    """Drift of each environment, concurrently (bounded); every environment gets a report."""
    rt = rt or default_runtime()
    if parallel < 1:
        raise UsageError(f"--parallel must be at least 1, got {parallel}")
    checked_at = timestamp(rt.now())
    preflight.check_cli(rt.probes)
    guard = rt.interrupts(rt.notice)
    label = names[0] if len(names) == 1 and not all_environments else "every environment"
    try:
        with guard:
            result = _drift_all(project, names, all_environments, parallel, backend, rt, checked_at)
    except interrupt.StopNow:
        raise interrupted_error(label, "drift check", started=False) from None
    if guard.interrupted:  # the engine runs were cancelled: their reports would only say "error"
        raise interrupted_error(label, "drift check", started=False)
    return result


def _drift_all(project, names, all_environments, parallel, backend, rt, checked_at) -> tuple[str, list[drift_mod.DriftReport]]:
    if not all_environments:
        return checked_at, [drift_one(project, names[0], backend=backend, rt=rt, checked_at=checked_at, strict=True)]
    quiet = replace(rt, progress=lambda title: NullProgress())

    def one(name: str) -> drift_mod.DriftReport:
        rt.notice(f"{name}: checking drift")
        try:
            report = drift_one(project, name, backend=backend, rt=quiet, checked_at=checked_at, strict=False)
        except Exception as err:  # noqa: BLE001 - one environment never hides the others
            report = drift_mod.error_report(name, checked_at, err if isinstance(err, InfraError) else
                                            EngineError(f"drift check of {name} failed: {err.__class__.__name__}"))
        rt.notice(f"{name}: {report.status}")
        return report

    with ThreadPoolExecutor(max_workers=min(parallel, max(1, len(names)))) as pool:
        reports = list(pool.map(one, names))
    return checked_at, reports


def write_drift_files(output_dir: Path, reports: Sequence[drift_mod.DriftReport], checked_at: str, *, per_environment: bool) -> list[Path]:
    """drift.json, drift.md and exit-code: in `output_dir` for one environment, else in `output_dir/<env>/`."""
    written = []
    for report in reports:
        folder = output_dir / report.environment if per_environment else output_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            doc = drift_mod.to_document([report], checked_at)
            (folder / "drift.json").write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
            (folder / "drift.md").write_text(drift_mod.render_markdown([report], checked_at), encoding="utf-8")
            (folder / "exit-code").write_text(f"{report.exit_code}\n", encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--output-dir {folder}: cannot write ({err.strerror}); choose a writable folder") from None
        written += [folder / "drift.json", folder / "drift.md", folder / "exit-code"]
    return written
