"""Ctrl-C during deploy, refresh and destroy: one graceful cancel, history says cancelled, exit 8.

The CLI cannot run here, so a small script stands in for `pulumi` at the process boundary
(it behaves like the CLI on SIGINT: cancels, says so, exits non-zero), and the services are
driven through a fake stack that interrupts itself mid-update.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pulumi.automation import CommandResult
from pulumi.automation.errors import CommandError, create_command_error
from typer.testing import CliRunner

from cli.engine import adapter, history, interrupt, service
from cli.engine import errors as E
from cli.main import app
from tests.engine.conftest import FakeStack, runtime

CANCELLED = create_command_error(CommandResult("", "error: update canceled", 255))


def fake_cli(tmp_path: Path, *, ignore_sigint: bool) -> Path:
    """A stand-in for the pulumi binary: prints `started`, then waits for SIGINT like `pulumi up`."""
    script = tmp_path / "pulumi"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os, signal, sys, time
        marks = {str(tmp_path / "marks")!r}
        def on_int(signum, frame):
            with open(marks, "a") as f:
                f.write("sigint\\n")
            if not {ignore_sigint!r}:
                print("error: update canceled", file=sys.stderr, flush=True)
                sys.exit(255)
        signal.signal(signal.SIGINT, on_int)
        with open(marks, "a") as f:
            f.write(f"session={{os.getsid(0)}}\\n")
        print("started", flush=True)
        for _ in range(200):
            time.sleep(0.05)
        sys.exit(0)
    """), encoding="utf-8")
    script.chmod(0o755)
    return script


def command(script: Path) -> adapter.CliCommand:
    cmd = object.__new__(adapter.CliCommand)  # skips `pulumi version`
    cmd.command = str(script)
    cmd.version = None
    return cmd


def interrupt_self(guard: interrupt.InterruptGuard, times: int = 1):
    """Ctrl-C `times` times once the CLI has started, each after the previous one was handled."""

    def on_output(line: str) -> None:
        if line != "started":
            return
        for n in range(1, times + 1):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(200):
                if guard.count >= n:
                    break
                time.sleep(0.01)

    return on_output


def test_the_first_interrupt_reaches_the_cli_once_and_it_cancels_gracefully(tmp_path):
    script = fake_cli(tmp_path, ignore_sigint=False)
    notices: list[str] = []
    guard = interrupt.InterruptGuard(notices.append)
    with guard, pytest.raises(CommandError) as err:
        command(script).run(["up"], str(tmp_path), {}, on_output=interrupt_self(guard))
    assert "update canceled" in str(err.value)
    marks = (tmp_path / "marks").read_text().splitlines()
    assert marks.count("sigint") == 1  # forwarded once, not also by the terminal
    assert marks[0] != f"session={os.getsid(0)}"  # the CLI runs in its own session
    assert guard.count == 1 and not guard.killed
    assert "press Ctrl-C again to stop at once" in notices[0]
    assert interrupt.running() == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_interrupt_stops_at_once(tmp_path):
    script = fake_cli(tmp_path, ignore_sigint=True)  # a CLI that does not stop on the first
    guard = interrupt.InterruptGuard(lambda text: None)
    with guard, pytest.raises(interrupt.StopNow):
        command(script).run(["up"], str(tmp_path), {}, on_output=interrupt_self(guard, times=2))
    assert guard.count == 2 and guard.killed
    assert interrupt.running() == []


# --- the services -------------------------------------------------------------------------


class FakeProcess:
    """What the adapter registers while the CLI runs; records the signals it is sent."""

    pid = None

    def __init__(self):
        self.signals: list[int] = []
        self.killed = False

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)

    def kill(self) -> None:
        self.killed = True


class InterruptedStack(FakeStack):
    """Interrupts itself during `method`, as an engineer's Ctrl-C would, then fails like the cancelled CLI."""

    def __init__(self, method: str, times: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.method, self.times = method, times
        self.process = FakeProcess()

    def _update(self, method, kwargs):
        if method != self.method:
            return super()._update(method, kwargs)
        interrupt.register(self.process)
        try:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)
            self.calls.append((method, kwargs))
            raise CANCELLED
        finally:
            interrupt.unregister(self.process)


def test_deploy_interrupted_is_cancelled_in_history_and_exit_8(project, machine, policy_calls, install_stack):
    stack = InterruptedStack("up", streams={"preview": "up_succeeded.jsonl"})
    install_stack(stack)
    notices: list[str] = []
    with pytest.raises(E.CancelledError) as err:
        service.deploy(project, "dev", rt=runtime(machine, notices=notices))
    assert err.value.exit_code == 8
    assert stack.process.signals == [signal.SIGINT] and not stack.process.killed
    text = "\n".join(err.value.lines)
    assert "deploy of dev was interrupted and pulumi cancelled the update" in text
    assert "`infra cancel --env dev`" in text and "docs/runbooks/interrupted-deploy.md" in text
    (record,) = history.read(project.state_dir, "dev")
    assert record["result"] == "cancelled" and record["error"] == err.value.lines[0]
    assert any("press Ctrl-C again" in n for n in notices)


def test_deploy_interrupted_twice_kills_the_cli_and_says_the_lock_may_remain(project, machine, policy_calls, install_stack):
    stack = InterruptedStack("up", times=2, streams={"preview": "up_succeeded.jsonl"})
    install_stack(stack)
    with pytest.raises(E.CancelledError) as err:
        service.deploy(project, "dev", rt=runtime(machine))
    assert stack.process.killed
    assert "stopped at once by a second interrupt" in err.value.lines[0]
    assert "probably still locked" in err.value.lines[1]
    assert history.read(project.state_dir, "dev")[0]["result"] == "cancelled"


@pytest.mark.parametrize("action,method,args", [
    ("refresh", "refresh", ["--yes"]),
    ("destroy", "destroy", ["--yes", "--confirm", "dev"]),
    ("deploy", "up", []),
])
def test_every_mutating_command_exits_8_with_the_runbook(project, machine, policy_calls, install_stack, monkeypatch, action, method, args):
    stack = InterruptedStack(method, streams={"preview": "up_succeeded.jsonl", "preview_refresh": "refresh_drift.jsonl",
                                              "preview_destroy": "up_succeeded.jsonl"})
    install_stack(stack)
    monkeypatch.setattr(service, "default_runtime", lambda: runtime(machine))
    result = CliRunner().invoke(app, ["--cwd", str(project.root), action, "--env", "dev", *args])
    assert result.exit_code == 8, result.output
    assert f"{action} of dev was interrupted" in result.stderr
    assert "`infra cancel --env dev`" in result.stderr
    (record,) = [json.loads(line) for line in (project.state_dir / "history" / "dev.jsonl").read_text().splitlines()]
    assert (record["action"], record["result"]) == (action, "cancelled")


class InterruptedPreview(FakeStack):
    """A preview (or refresh preview) the engineer interrupts: the CLI cancels it and fails."""

    def __init__(self, method: str, **kwargs):
        super().__init__(**kwargs)
        self.method = method
        self.process = FakeProcess()

    def _replay(self, method, kwargs):
        if method != self.method:
            return super()._replay(method, kwargs)
        interrupt.register(self.process)
        try:
            os.kill(os.getpid(), signal.SIGINT)
            self.calls.append((method, kwargs))
            raise CANCELLED
        finally:
            interrupt.unregister(self.process)


@pytest.mark.parametrize("command,method", [("preview", "preview"), ("drift", "preview_refresh")])
def test_read_only_commands_interrupted_exit_8_and_say_nothing_changed(project, machine, policy_calls, install_stack,
                                                                        monkeypatch, command, method):
    stack = InterruptedPreview(method)
    install_stack(stack)
    monkeypatch.setattr(service, "default_runtime", lambda: runtime(machine))
    result = CliRunner().invoke(app, ["--cwd", str(project.root), command, "--env", "dev"])
    assert result.exit_code == 8, result.output
    assert stack.process.signals == [signal.SIGINT]
    assert "was interrupted before anything was changed" in result.stderr
    assert not (project.state_dir / "history" / "dev.jsonl").exists()
