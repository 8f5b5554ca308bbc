"""The adapter at its boundary: the exact arguments it hands the Automation API, and its errors."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from pulumi.automation import CommandResult
from pulumi.automation.errors import create_command_error

from cli.engine import adapter
from cli.engine import errors as E
from cli.engine.events import Recorder
from cli.engine.masking import SECRET, SECRET_SIG, SIG_KEY, Masker
from cli.engine.preflight import Backend
from tests.engine.conftest import PASSPHRASE, FakeStack, load_events

LOCK = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the "
    "lock file with `pulumi cancel`.\n  s3://caf-state/.pulumi/locks/organization/civic-infra/dev/1.json: "
    "created by ci@runner (pid 77) at 2026-11-22T09:00:00Z"
)


def spec(tmp_path: Path, create: bool = True, url: str = "s3://caf-state?region=us-east-1") -> adapter.StackSpec:
    return adapter.StackSpec(project_root=tmp_path, environment="dev", backend=Backend(url, "--backend"),
                             secrets_provider="passphrase", create=create)


# --- the factory ----------------------------------------------------------------------


@pytest.fixture
def automation(monkeypatch: pytest.MonkeyPatch):
    """Replace LocalWorkspace and Stack inside pulumi.automation as the adapter sees it."""
    seen: dict[str, list] = {"workspaces": [], "stacks": []}

    class Workspace:
        def __init__(self, **kwargs):
            seen["workspaces"].append(kwargs)

    class Stack:
        @staticmethod
        def create_or_select(name, workspace):
            seen["stacks"].append(("create_or_select", name, workspace))
            return "the-stack"

        @staticmethod
        def select(name, workspace):
            seen["stacks"].append(("select", name, workspace))
            return "the-stack"

    monkeypatch.setattr(adapter.auto, "LocalWorkspace", Workspace)
    monkeypatch.setattr(adapter.auto, "Stack", Stack)
    monkeypatch.setattr(adapter, "cli_command", lambda: "the-cli")
    return seen


def test_factory_opens_one_workspace_on_the_project_and_one_stack_per_environment(tmp_path, automation, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    assert adapter.open_stack(spec(tmp_path, create=True)) == "the-stack"
    assert automation["workspaces"] == [{
        "work_dir": str(tmp_path),
        "env_vars": {"PULUMI_BACKEND_URL": "s3://caf-state?region=us-east-1", "PULUMI_SKIP_UPDATE_CHECK": "true"},
        "secrets_provider": "passphrase",
        "pulumi_command": "the-cli",
    }]
    assert automation["stacks"][0][:2] == ("create_or_select", "dev")
    adapter.open_stack(spec(tmp_path, create=False))
    assert automation["stacks"][1][:2] == ("select", "dev")
    assert PASSPHRASE not in json.dumps(automation["workspaces"])  # secrets are inherited, never copied


def test_a_missing_stack_when_opening_is_exit_6(tmp_path, monkeypatch):
    def boom(s):
        raise create_command_error(CommandResult("", "error: no stack named 'dev' found", 255))

    monkeypatch.setattr(adapter, "open_stack", boom)
    with pytest.raises(E.StackMissingError) as err:
        adapter.Engine(spec(tmp_path, create=False)).preview()
    assert err.value.exit_code == 6 and "s3://caf-state" in err.value.lines[0] and "region" not in err.value.lines[0]


# --- exact arguments of each operation -------------------------------------------------


@pytest.fixture
def engine(tmp_path, install_stack):
    stack = FakeStack(streams={"preview": "preview_mixed.jsonl", "up": "up_succeeded.jsonl", "preview_refresh": "refresh_drift.jsonl",
                               "refresh": "refresh_drift.jsonl", "destroy": "up_succeeded.jsonl", "preview_destroy": "preview_clean.jsonl"},
                      outputs={"bucket": ("caf-lake-raw-dev", False), "dbPassword": ("fixture-output-secret-9", True),
                               "connectionString": ("Server=x;Password=fixture-9", False)},
                      deployment={"resources": [{"urn": "u", "inputs": {"password": {SIG_KEY: SECRET_SIG, "plaintext": '"fixture-state-secret-9"'}}}]})
    factory = install_stack(stack)
    return adapter.Engine(spec(tmp_path), Masker(environ={})), stack, factory


def test_preview_arguments(engine, tmp_path):
    eng, stack, factory = engine
    seen = []
    run = eng.preview(on_event=seen.append, policy_packs=[str(tmp_path / "policies")],
                      policy_pack_configs=[str(tmp_path / ".infra/policy-config/dev.json")], plan=str(tmp_path / "plan.json"), diff=True)
    ((method, kwargs),) = stack.calls
    on_event = kwargs.pop("on_event")
    assert method == "preview"
    assert kwargs == {
        "policy_packs": [str(tmp_path / "policies")],
        "policy_pack_configs": [str(tmp_path / ".infra/policy-config/dev.json")],
        "plan": str(tmp_path / "plan.json"),
        "diff": True,
        "expect_no_changes": False,
        "color": "never",
    }
    assert isinstance(on_event, Recorder) and len(seen) == len(load_events("preview_mixed.jsonl"))
    assert run.counts == {"create": 1, "update": 3, "replace": 1, "delete": 2, "same": 1}
    assert run.summary.change_count == 7
    assert [s.environment for s in factory.specs] == ["dev"]


def test_up_arguments_never_ask_for_secrets(engine, tmp_path):
    eng, stack, _ = engine
    run = eng.up(policy_packs=["p"], policy_pack_configs=["c"], plan=str(tmp_path / "plan.json"))
    ((method, kwargs),) = stack.calls
    kwargs.pop("on_event")
    assert method == "up"
    assert kwargs == {"policy_packs": ["p"], "policy_pack_configs": ["c"], "plan": str(tmp_path / "plan.json"),
                      "show_secrets": False, "color": "never"}
    assert run.result == "succeeded" and [c.name for c in run.summary.changes] == ["flow-logs"]


@pytest.mark.parametrize(
    ("call", "method", "expected"),
    [
        ("preview_refresh", "preview_refresh", {"expect_no_changes": False, "show_secrets": False, "color": "never"}),
        ("refresh", "refresh", {"show_secrets": False, "color": "never"}),
        ("destroy", "destroy", {"show_secrets": False, "color": "never"}),
        ("preview_destroy", "preview_destroy", {"show_secrets": False, "color": "never"}),
    ],
)
def test_refresh_and_destroy_arguments(engine, call, method, expected):
    eng, stack, _ = engine
    getattr(eng, call)()
    ((got, kwargs),) = stack.calls
    assert got == method and isinstance(kwargs.pop("on_event"), Recorder)
    assert kwargs == expected


def test_the_stack_is_opened_once_per_engine(engine):
    eng, stack, factory = engine
    eng.preview_refresh()
    eng.preview()
    eng.export()
    assert stack.methods() == ["preview_refresh", "preview", "export_stack"] and len(factory.specs) == 1


def test_outputs_are_masked_unless_asked(engine):
    eng, _, _ = engine
    assert eng.outputs() == {
        "bucket": {"value": "caf-lake-raw-dev", "secret": False},
        "connectionString": {"value": SECRET, "secret": False},
        "dbPassword": {"value": SECRET, "secret": True},
    }
    shown = eng.outputs(show_secrets=True)
    assert shown["dbPassword"] == {"value": "fixture-output-secret-9", "secret": True}


def test_export_blinds_plaintext_secrets(engine):
    eng, _, _ = engine
    exported = eng.export()
    assert exported["version"] == 3
    assert exported["deployment"]["resources"][0]["inputs"]["password"] == {SIG_KEY: SECRET_SIG, "ciphertext": SECRET}
    assert "fixture-state-secret-9" not in json.dumps(exported)
    assert eng.masker.scrub("x fixture-state-secret-9") == "x [secret]"


# --- failures -------------------------------------------------------------------------


def test_a_lock_during_preview_becomes_stack_locked_with_the_events_so_far(tmp_path, install_stack):
    stack = FakeStack(streams={"preview": "preview_clean.jsonl"}, errors={"preview": create_command_error(CommandResult("", LOCK, 255))})
    install_stack(stack)
    with pytest.raises(E.StackLockedError) as err:
        adapter.Engine(spec(tmp_path)).preview()
    assert err.value.lines[0] == "stack dev is locked by ci@runner (pid 77) since 2026-11-22T09:00:00Z"
    assert err.value.summary is not None and err.value.summary.complete


def test_a_failed_update_is_a_resource_error_with_exit_4(tmp_path, install_stack):
    stack = FakeStack(streams={"up": "up_failed.jsonl"}, errors={"up": create_command_error(CommandResult("", "error: update failed", 255))})
    install_stack(stack)
    with pytest.raises(E.ResourceFailedError) as err:
        adapter.Engine(spec(tmp_path)).up()
    assert err.value.exit_code == 4 and "voter-db" in err.value.lines[1]


def test_success_is_trusted_only_when_the_engine_says_succeeded(tmp_path, install_stack):
    stack = FakeStack(streams={"up": "up_succeeded.jsonl"})
    stack.up = lambda **kw: SimpleNamespace(summary=SimpleNamespace(result="in-progress", resource_changes={}), outputs={})
    install_stack(stack)
    with pytest.raises(E.EngineError) as err:
        adapter.Engine(spec(tmp_path)).up()
    assert "in-progress" in err.value.lines[0]


def test_cancel_calls_the_stack_and_translates_errors(tmp_path, install_stack):
    stack = FakeStack()
    install_stack(stack)
    adapter.Engine(spec(tmp_path, create=False)).cancel()
    assert stack.methods() == ["cancel"]
    stack.errors["cancel"] = create_command_error(CommandResult("", "error: no stack named 'dev' found", 255))
    with pytest.raises(E.StackMissingError):
        adapter.Engine(spec(tmp_path, create=False)).cancel()


@pytest.mark.parametrize("call", [lambda e: e.outputs(), lambda e: e.cancel(), lambda e: e.export()])
def test_a_missing_stack_is_exit_6_for_outputs_cancel_and_export(tmp_path, monkeypatch, call):
    """The typed error from opening the stack is kept, not re-translated into a generic one."""

    def missing(s):
        raise create_command_error(CommandResult("", "error: no stack named 'dev' found", 255))

    monkeypatch.setattr(adapter, "open_stack", missing)
    with pytest.raises(E.StackMissingError) as err:
        call(adapter.Engine(spec(tmp_path, create=False)))
    assert err.value.exit_code == 6
    assert "create it with `infra preview --env dev`" in err.value.lines[1]
