"""Run a Pulumi Python program offline, in its own process, and trust only what the runner checks.

    run = run_program(RunSpec(program=..., root=..., project="shop", stack="dev", config={...}),
                      timeout=600)
    run.capture        # the resources it registered (partial when run.complete is False)
    run.failure        # why it did not finish: message, file:line in the program, that line
    run.stdout, run.stderr   # what the program printed, bounded

The program runs in a child process (`cli.runner._child`) in a new session, with stdin
closed, a memory limit, and stdout/stderr captured apart from `infra`'s own output. The
child streams each registered resource as a JSON line over a pipe only the parent reads,
then one end record. A run is complete only when the end record says so, carries this
run's nonce, counts every resource sent, and the child then exits 0; anything else (an
early `sys.exit` with any code, `os._exit`, a signal, a malformed or oversized record, the
timeout) is a failed run with what arrived until then. The child's process group is killed
when the run ends, so a forked helper does not outlive it.

Modes: "preview" (computed outputs unknown, as a first `pulumi preview`), "up" (plausible
fakes for every output property of the provider schema), "platform" (the fixed fakes the
platform's own plans have always used; see `cli.plan`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cli.capture import FAKE_ACCOUNT, FAKE_GUID, MODES, Capture, Resource
from cli.errors import ExitCode, InfraError

DEFAULT_TIMEOUT = 600.0
"""Seconds a program may run before it is stopped (`--timeout`)."""
MEMORY_LIMIT = 4 * 1024**3
"""Address space of the child (bytes): a program that eats memory fails with MemoryError, not the machine."""
MAX_RESULT_BYTES = 256 * 1024**2
MAX_RECORD_BYTES = 16 * 1024**2
MAX_OUTPUT_BYTES = 256 * 1024
"""Of each of the program's stdout and stderr, kept for display; the rest is counted and dropped."""
_GRACE = 2.0


class RunInterrupted(InfraError):
    """Ctrl-C while a program ran; the program was stopped."""

    exit_code = ExitCode.CANCELLED


@dataclass(frozen=True)
class RunSpec:
    """What to run and how: the engine's view of one stack of one project."""

    program: Path
    """The program: a directory with __main__.py (Pulumi.yaml's `main`) or a file."""
    root: Path
    """The project directory (Pulumi.yaml); the program runs from here, importable."""
    project: str
    stack: str
    config: Mapping[str, str] = field(default_factory=dict)
    secret_keys: tuple[str, ...] = ()
    mode: str = "preview"
    region: str = "us-east-1"
    account_id: str = FAKE_ACCOUNT
    tenant_id: str = FAKE_GUID
    user_dir: Path | None = None
    """Where a failure's location is looked for (default: the project directory)."""
    memory_limit: int = MEMORY_LIMIT


@dataclass(frozen=True)
class Failure:
    """Why a run did not finish."""

    message: str
    location: str | None = None
    code: str | None = None

    def lines(self) -> list[str]:
        out = [self.message]
        if self.location:
            out.append(f"  at {self.location}" + (f": {self.code}" if self.code else ""))
        return out


@dataclass(frozen=True)
class ProgramRun:
    """The outcome of one run: the capture (partial unless complete) and the program's output."""

    capture: Capture
    failure: Failure | None
    stdout: str
    stderr: str
    dropped_output: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.failure is None


class _Bounded:
    """Keeps the first `limit` bytes of a stream and counts the rest."""

    def __init__(self, limit: int):
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class _Protocol:
    """Parses and validates the child's records; never trusts more than it can check."""

    def __init__(self, spec: RunSpec, nonce: str):
        self.nonce = nonce
        self.prefix = f"urn:pulumi:{spec.stack}::{spec.project}::"
        self.buffer = bytearray()
        self.total = 0
        self.resources: list[Resource] = []
        self.end: dict[str, Any] | None = None
        self.violation: str | None = None

    def feed(self, chunk: bytes) -> None:
        if self.violation:
            return
        self.total += len(chunk)
        if self.total > MAX_RESULT_BYTES:
            self.violation = f"the program's results exceeded {MAX_RESULT_BYTES // 1024**2} MiB"
            return
        self.buffer += chunk
        while not self.violation:
            cut = self.buffer.find(b"\n")
            if cut < 0:
                if len(self.buffer) > MAX_RECORD_BYTES:
                    self.violation = "a result record exceeded the size limit"
                return
            line, self.buffer = bytes(self.buffer[:cut]), self.buffer[cut + 1:]
            self._record(line)

    def _record(self, line: bytes) -> None:
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or record.get("nonce") != self.nonce:
                raise ValueError("not from the runner")
            if self.end is not None:
                raise ValueError("data after the end record")
            if record.get("kind") == "resource":
                self.resources.append(_resource(record["resource"], self.prefix))
            elif record.get("kind") == "end":
                self.end = record
            else:
                raise ValueError("unknown record")
        except (ValueError, KeyError, TypeError) as err:
            self.violation = f"the result channel carried something the runner did not send ({err})"

    def finished(self) -> bool:
        """True when the end record says the program returned normally and every resource arrived."""
        end = self.end
        return (self.violation is None and end is not None and end.get("ok") is True and not self.buffer
                and end.get("count") == len(self.resources))


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} must be a list of strings")
    return tuple(value)


def _resource(data: Any, prefix: str) -> Resource:
    """A resource record, checked field by field."""
    if not isinstance(data, dict):
        raise TypeError("resource must be an object")
    for key in ("urn", "type", "name"):
        if not isinstance(data.get(key), str):
            raise TypeError(f"resource {key} must be a string")
    if not data["urn"].startswith(prefix):
        raise ValueError(f"resource urn {data['urn'][:200]!r} is not of this stack")
    for key in ("parent", "provider"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise TypeError(f"resource {key} must be a string or null")
    for key in ("protect", "retain_on_delete", "custom"):
        if not isinstance(data.get(key), bool):
            raise TypeError(f"resource {key} must be a boolean")
    deps = data.get("property_dependencies")
    if not isinstance(deps, dict) or not isinstance(data.get("inputs"), dict):
        raise TypeError("resource inputs and property_dependencies must be objects")
    return Resource(
        urn=data["urn"], type=data["type"], name=data["name"], parent=data.get("parent"),
        dependencies=_strs(data.get("dependencies"), "dependencies"),
        property_dependencies={str(k): _strs(v, "property_dependencies") for k, v in deps.items()},
        protect=data["protect"], retain_on_delete=data["retain_on_delete"], custom=data["custom"],
        provider=data.get("provider"), inputs=data["inputs"],
        secret_paths=_strs(data.get("secret_paths"), "secret_paths"),
        plaintext_secret_paths=_strs(data.get("plaintext_secret_paths"), "plaintext_secret_paths"),
    )


_KEPT_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "VIRTUAL_ENV",
             "SYSTEMROOT", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8")


def child_environment(parent: Mapping[str, str]) -> dict[str, str]:
    """The program's environment: locale and paths only, never the caller's credentials.

    CI runs the gate with cloud credentials, tokens and passphrases in its environment; an
    offline run needs none of them, and a hostile program must not read them.
    """
    env = {k: v for k, v in parent.items() if k in _KEPT_ENV or k.startswith("LC_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["MALLOC_ARENA_MAX"] = "2"  # per-thread malloc arenas would spend the address-space limit on many cores
    return env


def _child_command() -> list[str]:
    # -I would hide the project's own site-packages; -u keeps the program's output in order
    return [sys.executable, "-u", "-m", "cli.runner._child"]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_program(spec: RunSpec, *, timeout: float = DEFAULT_TIMEOUT) -> ProgramRun:
    """Run `spec` in a child process and return what it registered; see the module docstring."""
    if spec.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {spec.mode!r}")
    nonce = secrets.token_hex(16)
    payload = json.dumps({
        "program": str(spec.program), "root": str(spec.root), "project": spec.project, "stack": spec.stack,
        "config": dict(spec.config), "secret_keys": list(spec.secret_keys), "mode": spec.mode,
        "region": spec.region, "account_id": spec.account_id, "tenant_id": spec.tenant_id,
        "user_dir": str(spec.user_dir or spec.root), "memory_limit": spec.memory_limit, "nonce": nonce,
    }).encode()
    read_fd, write_fd = os.pipe()
    env = child_environment(os.environ)
    # the runner must import from this checkout whatever the program's directory holds
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([here, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [*_child_command(), str(write_fd)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, pass_fds=(write_fd,), cwd=str(spec.root), env=env, start_new_session=True,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    protocol = _Protocol(spec, nonce)
    out, err = _Bounded(MAX_OUTPUT_BYTES), _Bounded(MAX_OUTPUT_BYTES)
    stopped: str | None = None
    try:
        stopped = _pump(proc, payload, read_fd, protocol, out, err, start + timeout, timeout)
    except KeyboardInterrupt:
        _kill_group(proc)
        proc.wait()
        raise RunInterrupted("interrupted: the program was stopped; nothing was checked") from None
    finally:
        _kill_group(proc)
        os.close(read_fd)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    seconds = time.monotonic() - start
    if stopped is None and protocol.violation is not None:
        stopped = protocol.violation
    failure = None
    if stopped is not None:
        failure = Failure(stopped)
    elif not protocol.finished() or proc.returncode != 0:
        failure = _failure(protocol, proc.returncode)
    end = protocol.end or {}
    warnings = tuple(str(w) for w in end.get("warnings", []) if isinstance(w, str)) if protocol.end else ()
    capture = Capture(
        environment=spec.stack, project=spec.project, resources=tuple(sorted(protocol.resources, key=lambda r: r.urn)),
        complete=failure is None, warnings=warnings,
    )
    return ProgramRun(capture, failure, out.text(), err.text(), out.dropped + err.dropped, seconds)


def _relative(location: str | None) -> str | None:
    """file:line relative to the current directory when the file is below it, as the user would type it."""
    if not location:
        return location
    path, _, line = location.rpartition(":")
    try:
        return f"{Path(path).relative_to(Path.cwd().resolve())}:{line}"
    except ValueError:
        return location


def _failure(protocol: _Protocol, code: int | None) -> Failure:
    end = protocol.end
    if end is not None and end.get("ok") is False:
        text = lambda key: end.get(key) if isinstance(end.get(key), str) else None  # noqa: E731
        return Failure(text("message") or "the program failed", _relative(text("location")), text("code"))
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        reason = ("was killed by SIGKILL (out of memory, or stopped from outside)" if -code == signal.SIGKILL
                  else f"was killed by {name}")
        return Failure(f"the program {reason} before it finished")
    if end is None:
        return Failure(f"the program ended the process (exit code {code}) before it finished")
    return Failure(f"the program did not finish cleanly (exit code {code})")


def _pump(proc: subprocess.Popen[bytes], payload: bytes, read_fd: int, protocol: _Protocol,
          out: _Bounded, err: _Bounded, deadline: float, timeout: float) -> str | None:
    """Feed the spec, read the three streams until the child is gone; a reason when stopped early."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(payload)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, protocol.feed)
    selector.register(proc.stdout, selectors.EVENT_READ, out.add)
    selector.register(proc.stderr, selectors.EVENT_READ, err.add)
    exited_at: float | None = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if now > deadline:
                _kill_group(proc)
                proc.wait()
                return (f"the program did not finish within {timeout:g} s and was stopped; "
                        "raise --timeout if it needs longer")
            if protocol.violation:
                _kill_group(proc)
                proc.wait()
                return protocol.violation
            if exited_at is None and proc.poll() is not None:
                exited_at = now
                _kill_group(proc)  # anything it forked goes with it
            if exited_at is not None and now - exited_at > _GRACE:
                break  # an escaped descendant holds a pipe open: stop listening
            for key, _ in selector.select(timeout=0.1):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data(chunk)
    finally:
        selector.close()
    proc.wait()
    return None


_CONTROL = dict.fromkeys(i for i in range(32) if i not in (9,)) | {127: None}


def _safe(line: str) -> str:
    """A line of the program's output with control characters removed (no terminal escapes)."""
    return line.translate(_CONTROL)


def program_output(run: ProgramRun) -> list[str]:
    """The program's stdout and stderr, marked as such, then the run's warnings: for infra's stderr."""
    lines: list[str] = []
    for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        if text.strip():
            lines.append(f"--- the program's {name} ---")
            lines += [f"| {_safe(line)}" for line in text.rstrip("\n").splitlines()]
    if run.dropped_output:
        lines.append(f"--- {run.dropped_output} more bytes of the program's output not shown ---")
    lines += [f"warning: {w}" for w in run.capture.warnings]
    return lines
