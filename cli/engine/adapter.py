"""The only module that imports `pulumi.automation`: a thin, honest adapter over the engine.

- One `LocalWorkspace` on the project directory and one stack per environment, selected (or
  created on first use, for preview and deploy).
- The backend reaches the CLI as `PULUMI_BACKEND_URL` in the workspace's environment; the
  secrets provider is passed to `stack init`. Secret values (passphrase, tokens) are never
  copied into the workspace's settings: the CLI inherits them from the process environment.
- Every call records the engine's events, folds them (masked) and, on failure, turns the
  Automation API's exception into a typed error with an actionable message and exit code.
- Nothing here decides anything: callers (cli/engine/service.py) decide, this module runs.

Tests replace `open_stack` (the factory) or `auto.LocalWorkspace` / `auto.Stack` and assert
the exact arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from cli.engine.errors import EngineError, translate
from cli.engine.events import EngineSummary, Recorder
from cli.engine.masking import SECRET, Masker, blind_state
from cli.engine.preflight import Backend

OnEvent = Callable[[Any], None]


@dataclass(frozen=True)
class StackSpec:
    """Which stack, where, and how it is created if it does not exist."""

    project_root: Path
    environment: str
    backend: Backend
    secrets_provider: str
    create: bool = False

    def env_vars(self) -> dict[str, str]:
        """Workspace environment: where the state is. No secret ever goes here (it is repr'd)."""
        return {"PULUMI_BACKEND_URL": self.backend.url, "PULUMI_SKIP_UPDATE_CHECK": "true"}


class CliCommand(auto.PulumiCommand):
    """The SDK's PulumiCommand, with the CLI in its own session and registered while it runs.

    `PulumiCommand.run` (pulumi/automation/_cmd.py) starts the CLI in infra's process group, so
    a terminal's Ctrl-C reached both, Python unwound without waiting and the update ran on
    unrecorded. Here the CLI gets only the SIGINT that `cli.engine.interrupt` forwards.
    The body follows the SDK's `run`; only `start_new_session` and the registration differ.
    """

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):  # type: ignore[override]
        import os
        import subprocess
        import threading

        from pulumi.automation._cmd import CommandResult
        from pulumi.automation.errors import create_command_error

        from cli.engine import interrupt

        sep = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:sep]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])
        out: list[str] = []
        err: list[str] = []

        def consume(stream, callback, chunks, done):
            try:
                for line in iter(stream.readline, ""):
                    stripped = line.rstrip()
                    if callback:
                        callback(stripped)
                    chunks.append(stripped)
                stream.close()
            finally:
                done.set()

        with subprocess.Popen(
            [self.command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            encoding="utf-8", start_new_session=True,
        ) as process:
            interrupt.register(process)
            # Events, not Thread.join: a signal handler raising inside join() marks a live thread
            # as stopped (CPython's bpo-45274 handling), and the pipes would close under it.
            finished = [threading.Event(), threading.Event()]
            try:
                threading.Thread(target=consume, args=(process.stdout, on_output, out, finished[0]), daemon=True).start()
                threading.Thread(target=consume, args=(process.stderr, on_error, err, finished[1]), daemon=True).start()
                for done in finished:
                    done.wait()
                process.wait()
            except BaseException:
                # a second interrupt killed the CLI's group: let the readers drain before the pipes close
                for done in finished:
                    done.wait(timeout=5)
                raise
            finally:
                interrupt.unregister(process)
        result = CommandResult(stderr="\n".join(err), stdout="\n".join(out), code=process.returncode)
        if process.returncode != 0:
            raise create_command_error(result)
        return result


def cli_command() -> CliCommand:
    """The CLI runner (it runs `pulumi version` once, as the SDK's default does)."""
    return CliCommand()


def open_stack(spec: StackSpec) -> Any:
    """The factory: a LocalWorkspace on the project and the environment's stack."""
    workspace = auto.LocalWorkspace(
        work_dir=str(spec.project_root),
        env_vars=spec.env_vars(),
        secrets_provider=spec.secrets_provider,
        pulumi_command=cli_command(),
    )
    if spec.create:
        return auto.Stack.create_or_select(spec.environment, workspace)
    return auto.Stack.select(spec.environment, workspace)


@dataclass(frozen=True)
class RunResult:
    """A finished engine operation: the folded events and the engine's own counts."""

    summary: EngineSummary
    counts: Mapping[str, int] = field(default_factory=dict)
    result: str = "succeeded"


class Engine:
    """One environment's stack, opened lazily; every method is one Automation API call."""

    def __init__(self, spec: StackSpec, masker: Masker | None = None):
        self.spec = spec
        self.masker = masker or Masker()
        self._stack: Any = None

    # -- plumbing ----------------------------------------------------------------------

    def _translate(self, err: BaseException, action: str, summary: EngineSummary | None = None) -> EngineError:
        return translate(
            err,
            environment=self.spec.environment,
            action=action,
            summary=summary,
            masker=self.masker,
            project_root=self.spec.project_root,
            backend=self.spec.backend.display,
        )

    @property
    def stack(self) -> Any:
        if self._stack is None:
            try:
                self._stack = open_stack(self.spec)
            except Exception as err:  # noqa: BLE001 - every failure becomes a typed error
                raise self._translate(err, "opening the stack") from None
        return self._stack

    def _call(self, action: str, method: str, on_event: OnEvent | None, **kwargs: Any) -> tuple[Any, EngineSummary]:
        recorder = Recorder(forward=on_event)
        stack = self.stack
        try:
            result = getattr(stack, method)(on_event=recorder, **kwargs)
        except Exception as err:  # noqa: BLE001
            summary = recorder.summary(self.masker)
            error = self._translate(err, action, summary)
            error.summary = summary
            raise error from None
        return result, recorder.summary(self.masker)

    # -- operations --------------------------------------------------------------------

    def preview(
        self,
        *,
        on_event: OnEvent | None = None,
        policy_packs: list[str] | None = None,
        policy_pack_configs: list[str] | None = None,
        plan: str | None = None,
        diff: bool = False,
        expect_no_changes: bool = False,
    ) -> RunResult:
        """`pulumi preview`: code vs. state, with the policy packs; optionally saves an update plan."""
        result, summary = self._call(
            "preview",
            "preview",
            on_event,
            policy_packs=policy_packs,
            policy_pack_configs=policy_pack_configs,
            plan=plan,
            diff=diff,
            expect_no_changes=expect_no_changes,
            color="never",
        )
        return RunResult(summary, _counts(getattr(result, "change_summary", None)))

    def up(
        self,
        *,
        on_event: OnEvent | None = None,
        policy_packs: list[str] | None = None,
        policy_pack_configs: list[str] | None = None,
        plan: str | None = None,
    ) -> RunResult:
        """`pulumi up --yes --skip-preview`, optionally constrained to a saved plan."""
        result, summary = self._call(
            "deploy",
            "up",
            on_event,
            policy_packs=policy_packs,
            policy_pack_configs=policy_pack_configs,
            plan=plan,
            show_secrets=False,
            color="never",
        )
        return _finished("deploy", self.spec.environment, result, summary)

    def preview_refresh(self, *, on_event: OnEvent | None = None) -> RunResult:
        """`pulumi refresh --preview-only`: cloud vs. state, writes nothing."""
        result, summary = self._call(
            "drift check (refresh preview)",
            "preview_refresh",
            on_event,
            expect_no_changes=False,
            show_secrets=False,
            color="never",
        )
        return RunResult(summary, _counts(getattr(result, "change_summary", None)))

    def refresh(self, *, on_event: OnEvent | None = None) -> RunResult:
        """`pulumi refresh --yes`: write what the cloud says into the state."""
        result, summary = self._call("refresh", "refresh", on_event, show_secrets=False, color="never")
        return _finished("refresh", self.spec.environment, result, summary)

    def preview_destroy(self, *, on_event: OnEvent | None = None) -> RunResult:
        """`pulumi destroy --preview-only`: what a destroy would delete."""
        result, summary = self._call("destroy preview", "preview_destroy", on_event, show_secrets=False, color="never")
        return RunResult(summary, _counts(getattr(result, "change_summary", None)))

    def destroy(self, *, on_event: OnEvent | None = None) -> RunResult:
        """`pulumi destroy --yes`: delete every resource of the stack (protected ones stop it)."""
        result, summary = self._call("destroy", "destroy", on_event, show_secrets=False, color="never")
        return _finished("destroy", self.spec.environment, result, summary)

    def outputs(self, show_secrets: bool = False) -> dict[str, dict[str, Any]]:
        """Stack outputs as {name: {"value", "secret"}}; secret values masked unless asked for."""
        stack = self.stack  # its own typed error (e.g. StackMissingError, exit 6) when it cannot be opened
        try:
            raw = stack.outputs()
        except Exception as err:  # noqa: BLE001
            raise self._translate(err, "reading outputs") from None
        out: dict[str, dict[str, Any]] = {}
        for name in sorted(raw):
            item = raw[name]
            secret = bool(getattr(item, "secret", False))
            value = getattr(item, "value", None)
            if secret and not show_secrets:
                self.masker.remember(value if isinstance(value, str) else repr(value))
                value = SECRET
            elif not show_secrets:
                value = self.masker.mask(value, name)
            out[name] = {"value": value, "secret": secret}
        return out

    def export(self) -> dict[str, Any]:
        """The stack's state (`pulumi stack export`), with every plaintext secret blinded."""
        stack = self.stack
        try:
            deployment = stack.export_stack()
        except Exception as err:  # noqa: BLE001
            raise self._translate(err, "exporting the state") from None
        raw = {"version": getattr(deployment, "version", None), "deployment": getattr(deployment, "deployment", None)}
        return blind_state(raw, self.masker)

    def cancel(self) -> None:
        """`pulumi cancel`: stop the running update and clear the stack's lock."""
        stack = self.stack
        try:
            stack.cancel()
        except Exception as err:  # noqa: BLE001
            raise self._translate(err, "cancel") from None


def _counts(change_summary: Any) -> dict[str, int]:
    if not change_summary:
        return {}
    return {str(getattr(k, "value", k)): int(v) for k, v in dict(change_summary).items()}


def _finished(action: str, environment: str, result: Any, summary: EngineSummary) -> RunResult:
    """Trust a success only when the engine's own record of the update says so."""
    update = getattr(result, "summary", None)
    outcome = str(getattr(update, "result", "") or "")
    counts = _counts(getattr(update, "resource_changes", None))
    if outcome and outcome != "succeeded":
        raise EngineError(
            f"{action} for {environment} ended with result {outcome!r}; check `pulumi stack history` before retrying"
        )
    if summary.failures:
        from cli.engine.errors import resource_error

        raise resource_error(environment, action, summary)
    return RunResult(summary, counts, outcome or "succeeded")
