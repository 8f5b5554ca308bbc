"""preview, deploy, drift, outputs, refresh, destroy and cancel through the real CLI boundary.

The machine (probes) and the stack (adapter.open_stack) are replaced at their boundaries;
everything between — flag parsing, gates, services, rendering, exit codes — is the real code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from pulumi.automation import CommandResult
from pulumi.automation.errors import create_command_error
from typer.testing import CliRunner

from cli.capture import Capture
from cli.engine import service
from cli.main import app
from tests.conftest import REPO
from tests.engine.conftest import (  # noqa: F401 - fixtures used by name
    CLIENT_SECRET,
    PASSPHRASE,
    FakeConsole,
    FakeStack,
    install_stack,
    machine,
    policy_calls,
    project,
    runtime,
    tripwire,
)
from tests.engine.test_notify import Hook

runner = CliRunner()
P = "urn:pulumi:dev::civic-infra::"
VOTER = P + "civic:aws:Postgres$aws:rds/instance:Instance::voter-db"
OLD_EXPORTS = P + "aws:s3/bucketV2:BucketV2::old-exports"
LOCK = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the "
    "lock file with `pulumi cancel`.\n  s3://caf-state/.pulumi/locks/organization/civic-infra/dev/1.json: "
    "created by ci@runner (pid 77) at 2026-11-22T09:00:00Z"
)


@pytest.fixture
def fake_machine(monkeypatch, machine):  # noqa: F811
    """Every command runs on the fake machine (probes, git, clock, console)."""
    consoles = {"console": FakeConsole(tty=False)}
    monkeypatch.setattr(service, "default_runtime", lambda: runtime(machine, consoles["console"]))
    machine.consoles = consoles
    return machine


def infra(project, *args):  # noqa: F811
    return runner.invoke(app, ["--cwd", str(project.root), *args])


# --- preflight failures: message, exit code, nothing started --------------------------


def test_real_infra_preview_without_pulumi_on_path_says_how_to_install(tmp_path: Path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    done = subprocess.run([str(REPO / ".venv" / "bin" / "infra"), "preview", "--env", "dev"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "the pulumi CLI was not found on PATH" in done.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", [["preview"], ["deploy", "--yes"], ["drift"], ["outputs"], ["refresh", "--yes"], ["cancel", "--yes"]])
def test_pulumi_missing_from_path_starts_nothing(project, tripwire, monkeypatch, tmp_path, command):  # noqa: F811
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = infra(project, *command, "--env", "dev")
    assert result.exit_code == 1
    assert "the pulumi CLI was not found on PATH" in result.stderr and "get.pulumi.com" in result.stderr
    assert tripwire == []
    assert not (project.root / ".infra").exists()


def test_no_credentials_lists_every_missing_item_and_starts_nothing(project, fake_machine, tripwire):  # noqa: F811
    fake_machine.env = {}
    result = infra(project, "preview", "--env", "dev")
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == "3 credential item(s) missing; nothing was started:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["secrets", "azure", "aws"]
    assert tripwire == []


def test_locked_file_backend_stack_starts_nothing(project, fake_machine, tripwire):  # noqa: F811
    locks = project.root / ".infra" / "state" / ".pulumi" / "locks" / "organization" / "civic-infra" / "dev"
    locks.mkdir(parents=True)
    (locks / "5e1f.json").write_text(json.dumps({"pid": 4242, "username": "dana", "hostname": "laptop", "timestamp": "2026-11-22T10:00:00Z"}))
    result = infra(project, "deploy", "--env", "dev", "--yes")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "stack dev is locked by dana@laptop (pid 4242) since 2026-11-22T10:00:00Z"
    assert "`infra cancel --env dev`" in result.stderr
    assert tripwire == []
    assert not (project.root / ".infra" / "history").exists()


def test_locked_remote_stack_stops_before_up(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    stack = FakeStack(streams={"preview": "preview_clean.jsonl"}, errors={"preview": create_command_error(CommandResult("", LOCK, 255))})
    install_stack(stack)
    result = infra(project, "deploy", "--env", "dev", "--backend", "s3://caf-state")
    assert result.exit_code == 1
    assert "stack dev is locked by ci@runner (pid 77) since 2026-11-22T09:00:00Z" in result.stderr
    assert "infra cancel --env dev" in result.stderr
    assert stack.methods() == ["preview"]


def test_invalid_config_is_exit_2_after_the_credential_gate(project, fake_machine, tripwire):  # noqa: F811
    stack = project.stacks_dir / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("tier: development", "tier: developmnt"))
    result = infra(project, "preview", "--env", "dev")
    assert result.exit_code == 2 and "infra:tier" in result.stderr and tripwire == []


# --- preview --------------------------------------------------------------------------


def test_preview_table_groups_by_operation_with_property_diffs(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    install_stack(FakeStack(streams={"preview": "preview_mixed.jsonl"}))
    result = infra(project, "preview", "--env", "dev", "--diff")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0] == "preview of dev: 1 to create, 3 to update, 1 to replace, 2 to delete, 1 unchanged"
    assert '~ minimumTlsVersion: "TLS1_0" => "TLS1_2"' in out
    assert '~ dbName: "voters" => "voter_contacts" (forces replacement)' in out
    assert '~ properties.value: "[secret]" => "[secret]"' in out
    assert "advisory  required-tags" in out
    for secret in ("fixture-plaintext-secret-0001", "fixture-unmarked-password-0002", PASSPHRASE, CLIENT_SECRET):
        assert secret not in result.output


def test_preview_json_is_machine_readable(project, fake_machine, policy_calls, install_stack, tmp_path):  # noqa: F811
    install_stack(FakeStack(streams={"preview": "preview_mixed.jsonl"}))
    result = infra(project, "preview", "--env", "dev", "--format", "json", "--save-plan", str(tmp_path / "plan.json"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"create": 1, "update": 3, "replace": 1, "delete": 2, "same": 1}
    assert [(c["op"], c["name"]) for c in doc["changes"]][:2] == [("create", "lake-raw-logging"), ("update", "reporting-db")]
    assert doc["plan_file"] == str((tmp_path / "plan.json").resolve())
    assert "infra deploy --env dev --plan" in result.stderr


def test_preview_markdown(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    install_stack(FakeStack(streams={"preview": "preview_mixed.jsonl"}))
    result = infra(project, "preview", "--env", "dev", "--format", "markdown")
    assert result.exit_code == 0
    assert "| replace | `voter-db` 🔒 | `aws:rds/instance:Instance` | `dbName` (replace) |" in result.stdout


def test_preview_stopped_by_mandatory_policy_is_exit_5(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    install_stack(FakeStack(streams={"preview": "preview_policy_mandatory.jsonl"},
                            errors={"preview": create_command_error(CommandResult("", "error: preview failed", 255))}))
    result = infra(project, "preview", "--env", "dev")
    assert result.exit_code == 5
    assert "s3-public-access-block" in result.stderr


# --- deploy ---------------------------------------------------------------------------


def test_deploy_refuses_protected_and_stateful_then_allows_them_by_urn(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    stack = FakeStack(streams={"preview": "preview_mixed.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    refused = infra(project, "deploy", "--env", "dev")
    assert refused.exit_code == 5
    assert VOTER in refused.stderr and OLD_EXPORTS in refused.stderr and "--allow-replace" in refused.stderr
    assert stack.methods() == ["preview"]
    done = infra(project, "deploy", "--env", "dev", "--allow-replace", VOTER, "--allow-replace", OLD_EXPORTS)
    assert done.exit_code == 0, done.output
    assert stack.methods() == ["preview", "preview", "up"]
    assert done.stdout.splitlines()[0] == "deploy of dev: 1 created, 1 unchanged"
    history = (project.root / ".infra" / "history" / "dev.jsonl").read_text().splitlines()
    assert [json.loads(line)["result"] for line in history] == ["refused", "succeeded"]


def test_deploy_to_production_without_a_terminal_needs_yes(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    stack = FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    result = infra(project, "deploy", "--env", "prod")
    assert result.exit_code == 2 and "pass --yes" in result.stderr and "up" not in stack.methods()
    assert infra(project, "deploy", "--env", "prod", "--yes").exit_code == 0
    assert stack.methods()[-1] == "up"


def test_deploy_to_production_on_a_terminal_takes_the_typed_name(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    fake_machine.consoles["console"] = FakeConsole(tty=True, answers=["prod"])
    stack = FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    assert infra(project, "deploy", "--env", "prod").exit_code == 0
    assert stack.methods() == ["preview", "up"]


def test_deploy_failure_exits_4_and_is_recorded(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    install_stack(FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_failed.jsonl"},
                            errors={"up": create_command_error(CommandResult("", "error: update failed", 255))}))
    result = infra(project, "deploy", "--env", "dev")
    assert result.exit_code == 4 and "InvalidParameterCombination" in result.stderr
    (line,) = (project.root / ".infra" / "history" / "dev.jsonl").read_text().splitlines()
    assert json.loads(line)["result"] == "failed"


# --- drift ----------------------------------------------------------------------------


def _drift_helpers(monkeypatch):
    """Stand-ins for the policy helper's cli.state and cli.policycheck: an empty state, no findings."""
    state = types.ModuleType("cli.state")
    state.capture_from_export = lambda document, source="state": Capture("dev", "civic-infra", (), source=source)
    policycheck = types.ModuleType("cli.policycheck")
    policycheck.check_capture = lambda capture, env: types.SimpleNamespace(findings=[], blocking=[])
    monkeypatch.setitem(sys.modules, "cli.state", state)
    monkeypatch.setitem(sys.modules, "cli.policycheck", policycheck)


def test_drift_json_and_exit_7(project, fake_machine, install_stack, monkeypatch, tmp_path):  # noqa: F811
    _drift_helpers(monkeypatch)
    install_stack(FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "preview": "preview_clean.jsonl"}))
    result = infra(project, "drift", "--env", "dev", "--format", "json", "--output-dir", str(tmp_path / "drift"))
    assert result.exit_code == 7, result.output
    doc = json.loads(result.stdout)
    env = doc["environments"][0]
    assert (env["environment"], env["status"], env["counts"]) == ("dev", "drifted", {"critical": 4, "high": 2, "low": 2})
    assert env["policy"]["evaluated"] is True
    assert (tmp_path / "drift" / "exit-code").read_text() == "7\n"
    assert json.loads((tmp_path / "drift" / "drift.json").read_text())["environments"][0]["status"] == "drifted"


def test_drift_clean_exits_0(project, fake_machine, install_stack, monkeypatch):  # noqa: F811
    _drift_helpers(monkeypatch)
    install_stack(FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}))
    result = infra(project, "drift", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "## dev: clean" in result.stdout


def test_drift_all_reports_every_environment_and_exits_1_on_any_error(project, fake_machine, monkeypatch):  # noqa: F811
    from cli.engine import adapter

    _drift_helpers(monkeypatch)
    fake_machine.env["GITHUB_TOKEN"] = "fixture-github-token"  # the tenant stack declares the repository's settings
    # the tenant stack reaches each environment account through a named profile (cloud-login writes them in CI)
    config = project.root / "aws-config"
    config.write_text("".join(f"[profile caf-tenant-{e}]\nrole_arn = x\n" for e in ("dev", "staging", "prod")),
                      encoding="utf-8")
    fake_machine.env["AWS_CONFIG_FILE"] = str(config)
    stacks = {
        "dev": FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "preview": "preview_clean.jsonl"}),
        "staging": FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}),
        "prod": FakeStack(errors={"preview_refresh": create_command_error(CommandResult("", LOCK, 255))}),
        "tenant": FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}),
    }
    monkeypatch.setattr(adapter, "open_stack", lambda spec: stacks[spec.environment])
    result = infra(project, "drift", "--all", "--parallel", "3", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(e["environment"], e["status"]) for e in doc["environments"]] == [
        ("dev", "drifted"), ("prod", "error"), ("staging", "clean"), ("tenant", "clean")]


def test_drift_notifies_a_webhook_and_never_prints_its_url(project, fake_machine, install_stack, monkeypatch):  # noqa: F811
    _drift_helpers(monkeypatch)
    install_stack(FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "preview": "preview_clean.jsonl"}))
    with Hook() as hook:
        result = infra(project, "drift", "--env", "dev", "--notify", hook.url, "--notify-format", "slack")
    assert result.exit_code == 7
    (got,) = hook.received
    assert got["body"]["text"] == "civic-infra: drift in dev"
    assert "secret-token-000" not in result.output


def test_drift_notify_failure_is_an_error(project, fake_machine, install_stack, monkeypatch):  # noqa: F811
    _drift_helpers(monkeypatch)
    install_stack(FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}))
    with Hook(status=500) as hook:
        result = infra(project, "drift", "--env", "dev", "--notify", hook.url)
    assert result.exit_code == 1
    assert "HTTP 500" in result.stderr and "would have exited 0" in result.stderr
    assert "secret-token-000" not in result.output


def test_drift_flags_are_checked_before_anything_starts(project, fake_machine, tripwire):  # noqa: F811
    assert infra(project, "drift").exit_code == 2
    assert infra(project, "drift", "--env", "dev", "--all").exit_code == 2
    bad = infra(project, "drift", "--env", "dev", "--notify", "file:///etc/passwd")
    assert bad.exit_code == 2 and "/etc/passwd" not in bad.output
    assert tripwire == [] and fake_machine.runs == []


# --- outputs, refresh, destroy, cancel ------------------------------------------------


def test_outputs_masked_unless_show_secrets(project, fake_machine, install_stack):  # noqa: F811
    install_stack(FakeStack(outputs={"vault": ("caf-dev-kv", False), "dbPassword": ("fixture-output-secret-7", True)}))
    masked = infra(project, "outputs", "--env", "dev", "--format", "json")
    assert masked.exit_code == 0
    assert json.loads(masked.stdout)["outputs"]["dbPassword"] == {"value": "[secret]", "secret": True}
    assert "fixture-output-secret-7" not in masked.output
    shown = infra(project, "outputs", "--env", "dev", "--show-secrets")
    assert "fixture-output-secret-7" in shown.stdout


def test_refresh_needs_yes_without_a_terminal(project, fake_machine, install_stack):  # noqa: F811
    stack = FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "refresh": "refresh_drift.jsonl"})
    install_stack(stack)
    assert infra(project, "refresh", "--env", "dev").exit_code == 2
    done = infra(project, "refresh", "--env", "dev", "--yes")
    assert done.exit_code == 0 and stack.methods() == ["preview_refresh", "preview_refresh", "refresh"]
    assert '~ sourceAddressPrefix: "10.10.0.0/20" => "*"' in done.stdout


def test_destroy_production_is_refused(project, fake_machine, tripwire):  # noqa: F811
    result = infra(project, "destroy", "--env", "prod", "--yes", "--confirm", "prod")
    assert result.exit_code == 2 and "refused" in result.stderr and tripwire == []


def test_destroy_in_ci_needs_yes_and_confirm(project, fake_machine, install_stack):  # noqa: F811
    stack = FakeStack(streams={"preview_destroy": "preview_clean.jsonl", "destroy": "up_succeeded.jsonl"})
    install_stack(stack)
    assert infra(project, "destroy", "--env", "dev", "--yes").exit_code == 2
    assert infra(project, "destroy", "--env", "dev", "--yes", "--confirm", "dev").exit_code == 0
    assert stack.methods() == ["preview_destroy", "destroy"]


def test_cancel_confirms_then_clears_the_lock(project, fake_machine, install_stack):  # noqa: F811
    stack = FakeStack()
    install_stack(stack)
    assert infra(project, "cancel", "--env", "dev").exit_code == 2
    result = infra(project, "cancel", "--env", "dev", "--yes")
    assert result.exit_code == 0 and stack.methods() == ["cancel"]
    assert "infra refresh --env dev" in result.stdout


@pytest.mark.parametrize("args", [["outputs", "--env", "dev"], ["cancel", "--env", "dev", "--yes"]])
def test_outputs_and_cancel_on_a_missing_stack_exit_6_with_the_hint(project, fake_machine, monkeypatch, args):  # noqa: F811
    from cli.engine import adapter

    def missing(spec):
        raise create_command_error(CommandResult("", "error: no stack named 'dev' found", 255))

    monkeypatch.setattr(adapter, "open_stack", missing)
    result = infra(project, *args)
    assert result.exit_code == 6, result.output
    assert "stack dev does not exist" in result.stderr and "infra preview --env dev" in result.stderr


@pytest.mark.parametrize("command", ["preview", "deploy", "outputs", "refresh", "cancel", "drift", "destroy"])
def test_an_invalid_environment_name_is_exit_2_before_anything_runs(project, fake_machine, tripwire, command):  # noqa: F811
    result = infra(project, command, "--env", "../../tmp/x")
    assert result.exit_code == 2, result.output
    assert "environment names are 2-24 lower-case letters, digits and dashes" in result.stderr
    assert tripwire == [] and not (project.root / ".infra" / "history").exists()


@pytest.mark.parametrize("args", [
    ["deploy", "--env", "dev", "--format", "json"],
    ["preview", "--env", "dev", "--format", "json"],
    ["outputs", "--env", "dev", "--format", "json"],
    ["drift", "--env", "dev", "--format", "json"],
])
def test_engine_commands_with_format_json_print_a_json_error_object(project, fake_machine, policy_calls, monkeypatch, args):  # noqa: F811
    from cli.engine import adapter

    def missing(spec):
        raise create_command_error(CommandResult("", "error: no stack named 'dev' found", 255))

    monkeypatch.setattr(adapter, "open_stack", missing)
    fake_machine.env.pop("PULUMI_CONFIG_PASSPHRASE")  # fails a preflight gate for every command: exit 3
    result = infra(project, *args)
    assert result.exit_code == 3, result.output
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 3 and error["kind"] == "credentials-missing" and error["command"] == args[0]
    assert error["message"] and error["message"] in result.stderr and error["environment"] == "dev"


def test_a_json_error_object_for_an_engine_failure_too(project, fake_machine, policy_calls, install_stack):  # noqa: F811
    install_stack(FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_failed.jsonl"},
                            errors={"up": create_command_error(CommandResult("", "error: update failed", 255))}))
    result = infra(project, "deploy", "--env", "dev", "--format", "json")
    assert result.exit_code == 4
    error = json.loads(result.stdout)["error"]
    assert (error["exit_code"], error["kind"]) == (4, "resource-failed")
    assert "fix the cause and run the command again" in error["hint"]


@pytest.mark.parametrize("make", ["file", "under-file"])
def test_drift_output_dir_that_is_not_a_folder_is_exit_2_before_anything_runs(project, fake_machine, tripwire, tmp_path, make):  # noqa: F811
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    target = blocker if make == "file" else blocker / "sub"
    result = infra(project, "drift", "--env", "dev", "--output-dir", str(target))
    assert result.exit_code == 2, result.output
    assert f"--output-dir {target}:" in result.stderr and "Traceback" not in result.output
    assert tripwire == []
