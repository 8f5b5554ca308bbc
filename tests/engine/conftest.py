"""Engine test doubles: recorded event streams, a fake stack at the adapter boundary, fake probes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi.automation import EngineEvent

from cli.engine import adapter, history, preflight, service
from cli.engine.render import NullProgress
from cli.project import Project, find_project

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "engine_events"
NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
PASSPHRASE = "fixture-passphrase-not-real-0042"
CLIENT_SECRET = "fixture-arm-client-secret-0043"
AWS_SECRET = "fixture-aws-secret-access-key-0044"

GOOD_ENV = {
    "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
    "ARM_CLIENT_ID": "00000000-0000-0000-0000-00000000c001",
    "ARM_TENANT_ID": "00000000-0000-0000-0000-000000000000",
    "ARM_SUBSCRIPTION_ID": "00000000-0000-0000-0000-0000000000d1",
    "ARM_CLIENT_SECRET": CLIENT_SECRET,
    "AWS_ACCESS_KEY_ID": "fixture-access-key-id",
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
}


def raw_events(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def load_events(name: str) -> list[EngineEvent]:
    """A recorded stream, built exactly as the Automation API builds it: EngineEvent.from_json."""
    return [EngineEvent.from_json(e) for e in raw_events(name)]


def engine_counts(name: str) -> dict[str, int]:
    for e in raw_events(name):
        if "summaryEvent" in e:
            return dict(e["summaryEvent"]["resourceChanges"])
    return {}


# --- probes ---------------------------------------------------------------------------


@dataclass
class FakeMachine:
    """Probes backed by dictionaries; records every command run."""

    env: dict[str, str] = field(default_factory=lambda: dict(GOOD_ENV))
    binaries: dict[str, str] = field(default_factory=lambda: {"pulumi": "/fake/bin/pulumi"})
    version: str = "v3.230.0"
    whoami: preflight.RunResult = field(default_factory=lambda: preflight.RunResult(0, "tester\n", ""))
    az_account: preflight.RunResult = field(default_factory=lambda: preflight.RunResult(0, "", ""))
    home: Path = Path("/nonexistent-home")
    runs: list[tuple[list[str], dict[str, str] | None]] = field(default_factory=list)

    def run(self, args, extra_env=None, timeout: float = 60.0) -> preflight.RunResult:
        self.runs.append((list(args), dict(extra_env) if extra_env else None))
        if args[1:] == ["version"]:
            return preflight.RunResult(0, self.version + "\n", "")
        if args[1:2] == ["whoami"]:
            return self.whoami
        if args[:3] == ["az", "account", "show"]:
            return self.az_account
        return preflight.RunResult(127, "", "unexpected command")

    def probes(self) -> preflight.Probes:
        return preflight.Probes(which=self.binaries.get, env=self.env, run=self.run, home=self.home)


@pytest.fixture
def machine(tmp_path: Path) -> FakeMachine:
    return FakeMachine(home=tmp_path / "home")


# --- the project ----------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of the real project's settings and stacks, with a policy pack manifest."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    for stack in (REPO / "stacks").glob("Pulumi.*.yaml"):
        shutil.copy(stack, root / "stacks" / stack.name)
    (root / "policies").mkdir()
    (root / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n", encoding="utf-8")
    return find_project(root)


@pytest.fixture
def policy_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Patch the policy helper's two entry points; record what they were called with."""
    import policies.config

    calls: list[tuple[str, Any]] = []

    def pack_config(env: Any) -> dict[str, Any]:
        calls.append(("policy_pack_config", env.name))
        return {"all": "mandatory", "required-tags": "advisory"}

    def offline(project: Project, env: Any) -> None:
        calls.append(("check_policy", env.name))

    monkeypatch.setattr(policies.config, "policy_pack_config", pack_config)
    monkeypatch.setattr(preflight, "check_policy", offline)
    return calls


# --- the stack at the adapter boundary ------------------------------------------------


class FakeStack:
    """Stands in for `pulumi.automation.Stack`: replays a recorded stream to `on_event`."""

    def __init__(
        self,
        streams: Mapping[str, str] | None = None,
        errors: Mapping[str, BaseException] | None = None,
        outputs: Mapping[str, Any] | None = None,
        deployment: Mapping[str, Any] | None = None,
    ):
        self.streams = dict(streams or {})
        self.errors = dict(errors or {})
        self._outputs = outputs or {}
        self._deployment = deployment or {"manifest": {}, "resources": []}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _replay(self, method: str, kwargs: dict[str, Any]) -> dict[str, int]:
        self.calls.append((method, kwargs))
        name = self.streams.get(method)
        if name is not None and kwargs.get("on_event") is not None:
            for event in load_events(name):
                kwargs["on_event"](event)
        if method in self.errors:
            raise self.errors[method]
        return engine_counts(name) if name else {}

    def preview(self, **kwargs: Any) -> Any:
        return SimpleNamespace(change_summary=self._replay("preview", kwargs), stdout="", stderr="")

    def preview_refresh(self, **kwargs: Any) -> Any:
        return SimpleNamespace(change_summary=self._replay("preview_refresh", kwargs), stdout="", stderr="")

    def preview_destroy(self, **kwargs: Any) -> Any:
        return SimpleNamespace(change_summary=self._replay("preview_destroy", kwargs), stdout="", stderr="")

    def _update(self, method: str, kwargs: dict[str, Any]) -> Any:
        counts = self._replay(method, kwargs)
        return SimpleNamespace(summary=SimpleNamespace(result="succeeded", resource_changes=counts), outputs={})

    def up(self, **kwargs: Any) -> Any:
        return self._update("up", kwargs)

    def refresh(self, **kwargs: Any) -> Any:
        return self._update("refresh", kwargs)

    def destroy(self, **kwargs: Any) -> Any:
        return self._update("destroy", kwargs)

    def outputs(self) -> Any:
        self.calls.append(("outputs", {}))
        if "outputs" in self.errors:
            raise self.errors["outputs"]
        return {k: SimpleNamespace(value=v[0], secret=v[1]) for k, v in self._outputs.items()}

    def export_stack(self) -> Any:
        self.calls.append(("export_stack", {}))
        return SimpleNamespace(version=3, deployment=self._deployment)

    def cancel(self) -> None:
        self.calls.append(("cancel", {}))
        if "cancel" in self.errors:
            raise self.errors["cancel"]

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]


@dataclass
class StackFactory:
    """Replaces `adapter.open_stack`; records every spec it was asked for."""

    stack: FakeStack
    specs: list[adapter.StackSpec] = field(default_factory=list)

    def __call__(self, spec: adapter.StackSpec) -> FakeStack:
        self.specs.append(spec)
        return self.stack


@pytest.fixture
def install_stack(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeStack], StackFactory]:
    def install(stack: FakeStack) -> StackFactory:
        factory = StackFactory(stack)
        monkeypatch.setattr(adapter, "open_stack", factory)
        return factory

    return install


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replaces the stack factory with one that records any call: it must stay empty."""
    called: list[Any] = []
    monkeypatch.setattr(adapter, "open_stack", lambda spec: called.append(spec) or FakeStack())
    return called


@dataclass
class FakeConsole:
    tty: bool = False
    answers: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def console(self) -> service.Console:
        def ask(prompt: str) -> str:
            self.prompts.append(prompt)
            return self.answers.pop(0) if self.answers else ""

        return service.Console(isatty=lambda: self.tty, ask=ask)


def fake_git(args, cwd) -> str | None:
    return {
        ("config", "user.email"): "dana@example.org",
        ("rev-parse", "HEAD"): "0" * 40,
        ("status", "--porcelain", "--untracked-files=no"): "",
    }.get(tuple(args))


def runtime(machine: FakeMachine, console: FakeConsole | None = None, notices: list[str] | None = None) -> service.Runtime:
    return service.Runtime(
        probes=machine.probes(),
        who=history.Who(git=fake_git, env={"USER": "tester"}, now=lambda: NOW),
        console=(console or FakeConsole()).console(),
        now=lambda: NOW,
        progress=lambda title: NullProgress(),
        notice=(notices.append if notices is not None else (lambda text: None)),
    )
