"""Typed engine errors, their exit codes, and the translation of Automation API failures.

Exit codes follow the Pulumi CLI's taxonomy: 2 config, 3 auth, 4 resource/provider,
5 policy, 6 stack not found, 7 changes where none were expected, 8 cancelled, 1 otherwise.
The CLI itself still reports resource and policy failures as 1 (they are "bail" errors), so
`translate` decides from the event stream first and from the CLI's exit code and text second.

`translate` is pure: it looks at an exception's class names and text (never importing
`pulumi.automation`), plus the folded event summary when there is one.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cli.errors import ExitCode, InfraError

if TYPE_CHECKING:
    from cli.engine.events import EngineSummary
    from cli.engine.masking import Masker


class EngineError(InfraError):
    """Base of every error raised around the engine; exit 1 unless a subclass says otherwise."""

    summary: EngineSummary | None = None
    """What the engine reported before failing (masked), when it got that far."""


class PulumiMissingError(EngineError):
    """The Pulumi CLI is not on PATH; nothing was started."""


class PulumiVersionError(EngineError):
    """The Pulumi CLI is older than this toolkit supports, or its version is unreadable."""


class BackendUnreachableError(EngineError):
    """The state backend could not be reached."""


class BackendAuthError(EngineError):
    """The state backend needs a login or a token."""

    exit_code = ExitCode.AUTH


class CredentialsMissingError(EngineError):
    """Cloud credentials or the secrets passphrase are missing; every missing item is listed."""

    exit_code = ExitCode.AUTH


class AuthFailedError(EngineError):
    """A cloud or the backend rejected the credentials during an engine run."""

    exit_code = ExitCode.AUTH


class EngineConfigError(EngineError):
    """Flags, environment settings or the stack's config are not usable."""

    exit_code = ExitCode.CONFIG


class ConfirmationRequiredError(EngineError):
    """The environment needs a confirmation that was not given (like Pulumi's missing --yes)."""

    exit_code = ExitCode.CONFIG


class DestroyRefusedError(EngineError):
    """Destroy is not allowed for this environment."""

    exit_code = ExitCode.CONFIG


class StackLockedError(EngineError):
    """Another operation holds the stack's lock."""


class StackMissingError(EngineError):
    """The environment's stack does not exist in the backend."""

    exit_code = ExitCode.STACK_NOT_FOUND


class ProgramFailedError(EngineError):
    """The Pulumi program failed to compile or raised while running."""


class ResourceFailedError(EngineError):
    """One or more resource operations failed in the provider."""

    exit_code = ExitCode.RESOURCE


class PolicyFailedError(EngineError):
    """A mandatory policy was violated."""

    exit_code = ExitCode.POLICY


class ProtectedResourceError(EngineError):
    """The plan deletes or replaces a protected or stateful resource that nobody allowed."""

    exit_code = ExitCode.POLICY


class ChangesDetectedError(EngineError):
    """Changes or drift where none were expected."""

    exit_code = ExitCode.CHANGES


class CancelledError(EngineError):
    """The operation was cancelled, by the engineer or by the engine."""

    exit_code = ExitCode.CANCELLED


class NotifyError(EngineError):
    """The webhook did not accept the message."""


# --- translation ----------------------------------------------------------------------

_CLI_CODE_CLASSES: dict[int, type[EngineError]] = {
    ExitCode.CONFIG: EngineConfigError,
    ExitCode.AUTH: AuthFailedError,
    ExitCode.RESOURCE: ResourceFailedError,
    ExitCode.POLICY: PolicyFailedError,
    ExitCode.STACK_NOT_FOUND: StackMissingError,
    ExitCode.CHANGES: ChangesDetectedError,
    ExitCode.CANCELLED: CancelledError,
    10: ResourceFailedError,  # ExitAwaitError: a provider is still awaiting an operation
}

_LOCK_HOLDER = re.compile(r"created by (?P<who>\S+) \(pid (?P<pid>\d+)\) at (?P<when>\S+)")
_NOT_FOUND = re.compile(r"no stack named .* found", re.IGNORECASE)
_AUTH = re.compile(
    r"PULUMI_ACCESS_TOKEN must be set|\b401\b|unauthori[sz]ed|\b403\b|forbidden|NoCredentialProviders"
    r"|no valid credential sources|InvalidClientTokenId|ExpiredToken|UnrecognizedClientException"
    r"|AuthorizationFailed|AADSTS\d+|az login|DefaultAzureCredential|ClientAuthenticationError"
    r"|invalid_client|failed to refresh cached credentials|unable to (get|load) credentials"
    r"|AuthenticationFailed|InvalidAuthenticationToken",
    re.IGNORECASE,
)
_POLICY = re.compile(r"mandatory policy violation|policy violations? (found|occurred)", re.IGNORECASE)
_NO_CHANGES = re.compile(r"no changes were expected but changes (occurred|were proposed)", re.IGNORECASE)
_CANCELLED = re.compile(r"update (was )?cancel+ed|operation cancel+ed|\binterrupt(ed)?\b|context cancel+ed", re.IGNORECASE)
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b:?")
_COLOR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[a-z]+%\}>")


@dataclass(frozen=True)
class CommandText:
    """What a failed CLI command left behind: exit code, stdout and stderr."""

    code: int | None
    stdout: str
    stderr: str

    @classmethod
    def of(cls, err: BaseException) -> CommandText:
        """Parse the `CommandResult` text the Automation API puts in every CommandError."""
        text = str(err)
        code_match = re.search(r"^\s*code: (-?\d+)", text, re.MULTILINE)
        stdout, stderr = "", text
        if "\n stdout: " in text:
            after = text.split("\n stdout: ", 1)[1]
            stdout, _, stderr = after.rpartition("\n stderr: ") if "\n stderr: " in after else (after, "", "")
        return cls(int(code_match.group(1)) if code_match else None, _COLOR.sub("", stdout), _COLOR.sub("", stderr))

    @property
    def combined(self) -> str:
        return f"{self.stderr}\n{self.stdout}"


def _class_names(err: BaseException) -> set[str]:
    return {c.__name__ for c in type(err).__mro__ if c.__module__.startswith("pulumi.automation")}


def is_automation_error(err: BaseException) -> bool:
    """True for errors raised by `pulumi.automation` (CommandError and friends)."""
    return bool(_class_names(err))


def translate(
    err: BaseException,
    *,
    environment: str,
    action: str,
    summary: EngineSummary | None = None,
    masker: Masker | None = None,
    project_root: Path | None = None,
    backend: str = "",
) -> EngineError:
    """The typed, actionable error for an Automation API failure. Secret values never survive."""
    scrub = masker.scrub if masker is not None else (lambda s: s)
    names = _class_names(err)
    if "InvalidVersionError" in names:
        return PulumiVersionError(scrub(f"the pulumi CLI version is not supported: {err}"))
    if isinstance(err, FileNotFoundError):
        return PulumiMissingError(f"the pulumi CLI could not be started ({err.strerror}); {INSTALL_HINT}")
    if not names:
        detail = scrub(str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__)
        return EngineError(f"{action} for {environment} failed: {detail}")
    text = CommandText.of(err)
    combined = text.combined

    if "ConcurrentUpdateError" in names or "currently locked by" in combined or "[409] Conflict" in combined:
        return locked_error(environment, combined, scrub)
    if "StackNotFoundError" in names or _NOT_FOUND.search(combined) or text.code == ExitCode.STACK_NOT_FOUND:
        where = f" in the backend {backend}" if backend else ""
        return StackMissingError(
            f"stack {environment} does not exist{where}",
            lines=[
                f"stack {environment} does not exist{where}",
                f"create it with `infra preview --env {environment}` or `infra deploy --env {environment}`, "
                "or point --backend / PULUMI_BACKEND_URL at the backend that holds it",
            ],
        )
    if summary is not None and summary.mandatory_violations:
        return policy_error(environment, summary, scrub)
    if _POLICY.search(combined) or text.code == ExitCode.POLICY:
        return PolicyFailedError(
            f"{action} for {environment} stopped on a mandatory policy violation",
            lines=[
                f"{action} for {environment} stopped on a mandatory policy violation",
                *[f"  {scrub(line)}" for line in _error_lines(combined)[:10]],
                f"run `infra policy check --env {environment}` to see every finding offline",
            ],
        )
    if _NO_CHANGES.search(combined) or text.code == ExitCode.CHANGES:
        return ChangesDetectedError(f"{action} for {environment} found changes where none were expected")
    if text.code == ExitCode.CANCELLED or (_CANCELLED.search(combined) and not (summary and summary.failures)):
        return CancelledError(f"{action} for {environment} was cancelled; check the stack with `infra preview --env {environment}`")
    failures = summary.failures if summary is not None else ()
    real_failures = [f for f in failures if not f.type.startswith("pulumi:providers:")]
    if (_AUTH.search(combined) and not real_failures) or text.code == ExitCode.AUTH:
        first = next((line for line in _error_lines(combined) if _AUTH.search(line)), "credentials were rejected")
        return AuthFailedError(
            f"{action} for {environment}: the cloud or backend rejected the credentials",
            lines=[
                f"{action} for {environment}: the cloud or backend rejected the credentials",
                f"  {scrub(first)}",
                "sign in again (`az login`, `aws sso login`) or check the ARM_* / AWS_* variables; "
                f"`infra preview --env {environment}` lists anything missing before it starts",
            ],
        )
    if failures:
        return resource_error(environment, action, summary, scrub)
    if {"CompilationError", "RuntimeError", "InlineSourceRuntimeError"} & names or _TRACEBACK.search(combined):
        return _program_error(environment, action, combined, scrub, project_root)
    if text.code in _CLI_CODE_CLASSES:
        cls = _CLI_CODE_CLASSES[text.code]
        found = _error_lines(combined)[:3] or _last_lines(text)[-3:]
        detail = "; ".join(scrub(line) for line in found) or f"pulumi exited with {text.code}"
        return cls(f"{action} for {environment} failed: {detail}")
    detail = [scrub(line) for line in (_error_lines(combined)[:5] or _last_lines(text))]
    code = f" (pulumi exited with {text.code})" if text.code not in (None, 0) else ""
    head = f"{action} for {environment} failed{code}" + (f": {detail[0]}" if detail else "")
    return EngineError(head, lines=[head, *[f"  {line}" for line in detail[1:]]])


def _last_lines(text: CommandText, limit: int = 5) -> list[str]:
    """The CLI's last words when no line says `error:`: stderr first, else stdout."""
    for stream in (text.stderr, text.stdout):
        lines = [line.strip() for line in stream.splitlines() if line.strip()]
        if lines:
            return lines[-limit:]
    return []


INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (Linux, macOS), "
    "`brew install pulumi/tap/pulumi` (macOS) or `winget install pulumi` (Windows), "
    "then open a new shell; see https://www.pulumi.com/docs/iac/download-install/"
)


def policy_error(environment: str, summary: EngineSummary, scrub=lambda s: s) -> PolicyFailedError:
    """Every mandatory violation the engine reported, one per line."""
    violations = summary.mandatory_violations
    head = f"{len(violations)} mandatory policy violation(s) in {environment}"
    lines = [head]
    for v in violations[:25]:
        lines.append(f"  {v.policy}: {v.urn or '(stack)'}: {scrub(v.message)}")
    if len(violations) > 25:
        lines.append(f"  ... and {len(violations) - 25} more")
    lines.append("fix the resource, or add a justified, expiring exemption under infra:policy.exemptions")
    return PolicyFailedError(head, lines=lines)


def resource_error(environment: str, action: str, summary: EngineSummary | None, scrub=lambda s: s) -> ResourceFailedError:
    """Every failed resource operation with the provider's message."""
    failures = summary.failures if summary is not None else ()
    head = f"{action} for {environment}: {len(failures)} resource operation(s) failed"
    lines = [head]
    for f in failures[:25]:
        lines.append(f"  {f.op} {f.urn}: {scrub(f.message) or 'no message from the provider'}")
    lines.append("nothing after the failure was applied; fix the cause and run the command again")
    return ResourceFailedError(head, lines=lines)


def locked_error(environment: str, text: str, scrub=lambda s: s) -> StackLockedError:
    """Who holds the lock (from the CLI's lock message) and how to clear it."""
    holder = _LOCK_HOLDER.search(text)
    if holder:
        who = f"{holder['who']} (pid {holder['pid']}) since {holder['when']}"
    elif "[409] Conflict" in text:
        who = "another update in Pulumi Cloud (see the stack's activity page)"
    else:
        who = "another process"
    head = f"stack {environment} is locked by {scrub(who)}"
    return StackLockedError(
        head,
        lines=[
            head,
            "another deploy, refresh or destroy is running, or one was interrupted and left its lock",
            f"when you are sure nothing is running, clear it with `infra cancel --env {environment}`",
        ],
    )


def _program_error(environment: str, action: str, text: str, scrub, project_root: Path | None) -> ProgramFailedError:
    frames = [(m["file"], int(m["line"])) for m in _FRAME.finditer(text)]
    location = None
    for file, line in reversed(frames):
        if "site-packages" in file or "/pulumi/" in file or file.startswith("<"):
            continue
        shown = file
        if project_root is not None:
            with contextlib.suppress(ValueError, OSError):
                shown = str(Path(file).resolve().relative_to(project_root.resolve()))
        location = f"{shown}:{line}"
        break
    cause = _exception_line(text)
    where = f" at {location}" if location else ""
    head = f"the program failed for {environment}{where}: {scrub(cause)}"
    return ProgramFailedError(
        head,
        lines=[head, f"reproduce it offline, without credentials, with `infra plan --env {environment}`"],
    )


def _exception_line(text: str) -> str:
    """The `SomeError: message` line that ends a Python traceback, else the first error line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if _TRACEBACK.search(line)]
    if starts:
        causes = [line for line in lines[starts[-1] + 1 :] if _EXCEPTION.match(line)]
        if causes:
            return causes[-1]
    errors = _error_lines(text)
    return errors[0] if errors else "the program raised an error (run `infra plan` to see it)"


def _error_lines(text: str) -> list[str]:
    """Lines that state an error, without duplicates, most specific first."""
    seen: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line in seen:
            continue
        if line.lower().startswith(("error:", "error ")) or " error: " in line.lower() or _AUTH.search(line):
            seen.append(line.removeprefix("error: ").strip())
    return seen
