"""Services: gates, guarded deploys, confirmation, history, drift across environments."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from pulumi.automation import CommandResult
from pulumi.automation.errors import create_command_error

from cli.capture import Capture, Resource
from cli.engine import adapter, history, service
from cli.engine import errors as E
from cli.errors import UsageError
from tests.engine.conftest import FakeConsole, FakeStack, runtime

P = "urn:pulumi:dev::civic-infra::"
VOTER = P + "civic:aws:Postgres$aws:rds/instance:Instance::voter-db"
OLD_EXPORTS = P + "aws:s3/bucketV2:BucketV2::old-exports"


def records(project, env="dev"):
    return history.read(project.state_dir, env)


# --- preview --------------------------------------------------------------------------


def test_preview_runs_gates_then_the_engine_with_the_policy_pack(project, machine, policy_calls, install_stack, tmp_path):
    stack = FakeStack(streams={"preview": "preview_mixed.jsonl"})
    factory = install_stack(stack)
    out = service.preview(project, "dev", save_plan=tmp_path / "plans" / "dev.json", diff=True, rt=runtime(machine))
    assert policy_calls == [("check_policy", "dev"), ("policy_pack_config", "dev")]
    ((method, kwargs),) = stack.calls
    assert method == "preview"
    assert kwargs["policy_packs"] == [str(project.root / "policies")]
    config = project.root / ".infra" / "policy-config" / "dev.json"
    assert kwargs["policy_pack_configs"] == [str(config)]
    assert json.loads(config.read_text()) == {"all": "mandatory", "required-tags": "advisory"}
    assert kwargs["plan"] == str((tmp_path / "plans" / "dev.json").resolve()) and (tmp_path / "plans").is_dir()
    assert kwargs["diff"] is True and kwargs["expect_no_changes"] is False
    (spec,) = factory.specs
    assert spec.create is True and spec.secrets_provider == "passphrase"
    assert spec.backend.url == f"file://{(project.root / '.infra' / 'state').resolve()}"
    assert out.summary.change_count == 7


def test_preview_expecting_no_changes_exits_7(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "preview_mixed.jsonl"})
    install_stack(stack)
    with pytest.raises(E.ChangesDetectedError) as err:
        service.preview(project, "dev", expect_no_changes=True, rt=runtime(machine))
    assert err.value.exit_code == 7 and stack.calls[0][1]["expect_no_changes"] is True


def test_policy_pack_is_required(project, machine, policy_calls, tripwire):
    (project.root / "policies" / "PulumiPolicy.yaml").unlink()
    with pytest.raises(E.EngineConfigError) as err:
        service.preview(project, "dev", rt=runtime(machine))
    assert "PulumiPolicy.yaml" in err.value.lines[0] and tripwire == []


# --- deploy ---------------------------------------------------------------------------


def test_deploy_refuses_protected_replace_and_records_it(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "preview_mixed.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    with pytest.raises(E.ProtectedResourceError) as err:
        service.deploy(project, "dev", rt=runtime(machine))
    assert err.value.exit_code == 5 and VOTER in "\n".join(err.value.lines)
    assert stack.methods() == ["preview"]  # up never ran
    (record,) = records(project)
    assert record["result"] == "refused" and record["who"] == "dana@example.org"
    assert record["summary"]["counts"]["replace"] == 1


def test_deploy_with_allow_replace_applies_and_records_success(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "preview_mixed.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    out = service.deploy(project, "dev", allow_replace=[VOTER, OLD_EXPORTS, P + "typo"], rt=runtime(machine))
    assert stack.methods() == ["preview", "up"]
    up = stack.calls[1][1]
    assert up["plan"] is None and up["policy_packs"] == [str(project.root / "policies")] and up["show_secrets"] is False
    assert out.result == "succeeded" and out.warnings == (f"--allow-replace {P}typo: the plan neither deletes nor replaces it",)
    (record,) = records(project)
    assert (record["result"], record["environment"], record["action"]) == ("succeeded", "dev", "deploy")
    assert record["git"]["commit"] == "0" * 40 and record["when"] == "2026-11-22T12:00:00Z"


def test_deploy_applies_exactly_the_saved_plan(project, machine, policy_calls, install_stack, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    stack = FakeStack(streams={"preview": "preview_clean.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    service.deploy(project, "dev", plan_file=plan, rt=runtime(machine))
    assert stack.calls[1][0] == "up" and stack.calls[1][1]["plan"] == str(plan.resolve())
    assert records(project)[0]["plan_file"] == str(plan)


def test_deploy_with_a_missing_plan_file_starts_nothing(project, machine, tripwire, tmp_path):
    with pytest.raises(UsageError):
        service.deploy(project, "dev", plan_file=tmp_path / "nope.json", rt=runtime(machine))
    assert tripwire == [] and machine.runs == []


def test_no_changes_means_no_up(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "preview_clean.jsonl"})
    install_stack(stack)
    out = service.deploy(project, "dev", rt=runtime(machine))
    assert out.result == "no-changes" and stack.methods() == ["preview"]
    assert records(project)[0]["result"] == "no-changes"


def test_production_needs_yes_without_a_terminal(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    with pytest.raises(E.ConfirmationRequiredError) as err:
        service.deploy(project, "prod", rt=runtime(machine, FakeConsole(tty=False)))
    assert err.value.exit_code == 2 and "--yes" in err.value.lines[0]
    assert stack.methods() == ["preview"]
    assert records(project, "prod")[0]["result"] == "refused"
    service.deploy(project, "prod", yes=True, rt=runtime(machine, FakeConsole(tty=False)))
    assert stack.methods() == ["preview", "preview", "up"]


def test_production_on_a_terminal_asks_for_the_name(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    console = FakeConsole(tty=True, answers=["staging"])
    notices: list[str] = []
    with pytest.raises(E.CancelledError) as err:
        service.deploy(project, "prod", rt=runtime(machine, console, notices))
    assert notices and notices[0].startswith("preview of prod: 1 to create")  # shown before the question
    assert err.value.exit_code == 8 and "up" not in stack.methods()
    assert "(prod)" in console.prompts[0]
    console.answers = ["prod"]
    assert service.deploy(project, "prod", rt=runtime(machine, console)).result == "succeeded"
    assert [r["result"] for r in records(project, "prod")] == ["cancelled", "succeeded"]


def test_dev_deploys_without_confirmation(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_succeeded.jsonl"})
    install_stack(stack)
    console = FakeConsole(tty=True)
    service.deploy(project, "dev", rt=runtime(machine, console))
    assert console.prompts == [] and stack.methods() == ["preview", "up"]


def test_a_failed_up_is_recorded_as_failed(project, machine, policy_calls, install_stack):
    stack = FakeStack(streams={"preview": "up_succeeded.jsonl", "up": "up_failed.jsonl"},
                      errors={"up": create_command_error(CommandResult("", "error: update failed", 255))})
    install_stack(stack)
    with pytest.raises(E.ResourceFailedError):
        service.deploy(project, "dev", rt=runtime(machine))
    (record,) = records(project)
    assert record["result"] == "failed" and record["summary"]["failures"][0]["urn"] == VOTER
    assert record["error"].startswith("deploy for dev: 1 resource operation(s) failed")


# --- refresh, destroy, cancel, outputs ------------------------------------------------


def test_refresh_shows_then_writes_only_when_confirmed(project, machine, install_stack):
    stack = FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "refresh": "refresh_drift.jsonl"})
    factory = install_stack(stack)
    with pytest.raises(E.ConfirmationRequiredError):
        service.refresh(project, "dev", rt=runtime(machine))
    assert stack.methods() == ["preview_refresh"] and factory.specs[0].create is False
    out = service.refresh(project, "dev", yes=True, rt=runtime(machine))
    assert out.result == "succeeded" and stack.methods()[-1] == "refresh"
    assert records(project)[-1]["action"] == "refresh"


def test_destroy_is_refused_for_production_before_anything_runs(project, machine, tripwire):
    with pytest.raises(E.DestroyRefusedError) as err:
        service.destroy(project, "prod", yes=True, confirm_name="prod", rt=runtime(machine))
    assert err.value.exit_code == 2 and tripwire == [] and machine.runs == []


def test_destroy_needs_the_name_twice_in_ci(project, machine, install_stack):
    stack = FakeStack(streams={"preview_destroy": "preview_clean.jsonl", "destroy": "up_succeeded.jsonl"})
    install_stack(stack)
    with pytest.raises(E.ConfirmationRequiredError) as err:
        service.destroy(project, "dev", yes=True, rt=runtime(machine))
    assert "--confirm dev" in err.value.lines[0] and stack.calls == []
    with pytest.raises(E.ConfirmationRequiredError):
        service.destroy(project, "dev", yes=True, confirm_name="staging", rt=runtime(machine))
    with pytest.raises(E.ConfirmationRequiredError):  # no terminal, no --yes
        service.destroy(project, "dev", rt=runtime(machine))
    assert stack.methods() == ["preview_destroy"]
    service.destroy(project, "dev", yes=True, confirm_name="dev", rt=runtime(machine))
    assert stack.methods()[-1] == "destroy" and records(project)[-1]["action"] == "destroy"


def test_cancel_and_outputs_need_no_cloud_credentials(project, machine, install_stack):
    machine.env = {"PULUMI_CONFIG_PASSPHRASE": "fixture-passphrase-000"}
    stack = FakeStack(outputs={"vault": ("caf-dev-kv", False), "key": ("fixture-output-secret-1", True)})
    install_stack(stack)
    service.cancel(project, "dev", yes=True, rt=runtime(machine))
    assert service.outputs(project, "dev", rt=runtime(machine)) == {
        "key": {"value": "[secret]", "secret": True},
        "vault": {"value": "caf-dev-kv", "secret": False},
    }
    assert stack.methods() == ["cancel", "outputs"]


# --- drift ----------------------------------------------------------------------------


@pytest.fixture
def state_helpers(monkeypatch: pytest.MonkeyPatch):
    """Stand-ins for cli.state and cli.policycheck (the policy helper's modules)."""
    seen: dict[str, list] = {"exports": [], "captures": []}
    state = types.ModuleType("cli.state")

    def capture_from_export(document, source="state"):
        seen["exports"].append((document, source))
        environment, project = "dev", "civic-infra"
        rule = P + "civic:azure:HubNetwork$azure-native:network:SecurityRule::hub-mgmt-ssh"
        return Capture(environment, project, (Resource(rule, "azure-native:network:SecurityRule", "hub-mgmt-ssh", None, (), {}, False, False,
                                                        True, None, {"sourceAddressPrefix": "10.10.0.0/20"}),), source="state")

    policycheck = types.ModuleType("cli.policycheck")

    def check_capture(capture, env):
        seen["captures"].append(capture)
        prefix = capture.resources[0].inputs["sourceAddressPrefix"] if capture.resources else None
        findings = []
        if prefix == "*":
            findings.append(types.SimpleNamespace(policy="nsg-no-internet-ssh", severity="critical", enforcement="mandatory",
                                                  urn=capture.resources[0].urn, message="ssh open to *", exempted=False))
        return types.SimpleNamespace(findings=findings, blocking=list(findings))

    state.capture_from_export = capture_from_export
    policycheck.check_capture = check_capture
    monkeypatch.setitem(sys.modules, "cli.state", state)
    monkeypatch.setitem(sys.modules, "cli.policycheck", policycheck)
    return seen


def test_drift_of_one_environment(project, machine, install_stack, state_helpers):
    stack = FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "preview": "preview_clean.jsonl"},
                      deployment={"resources": []})
    factory = install_stack(stack)
    checked_at, (report,) = service.drift(project, ["dev"], rt=runtime(machine))
    assert checked_at == "2026-11-22T12:00:00Z"
    assert stack.methods() == ["preview_refresh", "preview", "export_stack"]
    preview_kwargs = stack.calls[1][1]
    assert preview_kwargs["policy_packs"] is None and preview_kwargs["expect_no_changes"] is False and preview_kwargs["plan"] is None
    assert factory.specs[0].create is False
    # the policy saw the cloud's value, not the stored one
    assert state_helpers["captures"][0].resources[0].inputs["sourceAddressPrefix"] == "*"
    assert state_helpers["exports"][0][1] == "state+refresh"
    assert [p.policy for p in report.blocking_policy] == ["nsg-no-internet-ssh"]
    assert report.status == "drifted" and report.exit_code == 7


def test_drift_single_environment_preflight_failure_raises_and_starts_nothing(project, machine, tripwire):
    machine.env = {}
    with pytest.raises(E.CredentialsMissingError):
        service.drift(project, ["dev"], rt=runtime(machine))
    assert tripwire == []


def test_drift_engine_failure_is_an_error_report(project, machine, install_stack, state_helpers):
    stack = FakeStack(errors={"preview_refresh": create_command_error(CommandResult("", "error: no stack named 'dev' found", 255))})
    install_stack(stack)
    _, (report,) = service.drift(project, ["dev"], rt=runtime(machine))
    assert report.status == "error" and report.exit_code == 1 and "does not exist" in report.error


def test_drift_without_the_policy_helper_is_an_error_not_silence(project, machine, install_stack, monkeypatch):
    monkeypatch.setitem(sys.modules, "cli.state", None)  # import fails
    install_stack(FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}))
    _, (report,) = service.drift(project, ["dev"], rt=runtime(machine))
    assert report.status == "error" and "policy check of the refreshed state failed" in report.error
    assert report.policy_evaluated is False


class PerEnvironment:
    """A factory that gives each environment its own fake stack."""

    def __init__(self, stacks):
        self.stacks = stacks
        self.opened: list[str] = []

    def __call__(self, spec):
        self.opened.append(spec.environment)
        return self.stacks[spec.environment]


def test_drift_all_runs_every_environment_and_one_failure_hides_nothing(project, machine, monkeypatch, state_helpers):
    boom = create_command_error(CommandResult("", "error: the stack is currently locked by 1 lock(s).", 255))
    factory = PerEnvironment({
        "dev": FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "preview": "preview_clean.jsonl"}),
        "staging": FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}),
        "prod": FakeStack(errors={"preview_refresh": boom}),
    })
    monkeypatch.setattr(adapter, "open_stack", factory)
    notices: list[str] = []
    _, reports = service.drift(project, ["dev", "prod", "staging"], all_environments=True, parallel=2, rt=runtime(machine, notices=notices))
    assert [(r.environment, r.status) for r in reports] == [("dev", "drifted"), ("prod", "error"), ("staging", "clean")]
    assert sorted(factory.opened) == ["dev", "prod", "staging"]
    assert "stack prod is locked" in reports[1].error
    assert sorted(n for n in notices if n.endswith(("drifted", "error", "clean"))) == ["dev: drifted", "prod: error", "staging: clean"]


def test_drift_all_turns_a_preflight_failure_into_that_environment_s_report(project, machine, monkeypatch, state_helpers):
    prod_file = project.stacks_dir / "Pulumi.prod.yaml"
    prod_file.write_text(prod_file.read_text().replace("tier: production", "tier: prodution"))
    factory = PerEnvironment({"dev": FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"})})
    monkeypatch.setattr(adapter, "open_stack", factory)
    _, reports = service.drift(project, ["dev", "prod"], all_environments=True, rt=runtime(machine))
    assert [(r.environment, r.status) for r in reports] == [("dev", "clean"), ("prod", "error")]
    assert "infra:tier" in reports[1].error and factory.opened == ["dev"]


def test_drift_files_are_written_per_environment(tmp_path: Path):
    from cli.engine import drift

    reports = [drift.error_report("prod", "t", RuntimeError("x"))]
    service.write_drift_files(tmp_path / "one", reports, "t", per_environment=False)
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["drift.json", "drift.md", "exit-code"]
    service.write_drift_files(tmp_path / "all", reports, "t", per_environment=True)
    assert (tmp_path / "all" / "prod" / "exit-code").read_text() == "1\n"


def test_parallel_must_be_positive(project, machine):
    with pytest.raises(UsageError):
        service.drift(project, ["dev"], parallel=0, rt=runtime(machine))


def test_policy_arguments_accept_a_path_from_the_helper(project, monkeypatch):
    import policies.config
    from cli.context import load

    monkeypatch.setattr(policies.config, "policy_pack_config", lambda env: "/abs/config.json")
    assert service.policy_arguments(project, load(project, "dev")) == ([str(project.root / "policies")], ["/abs/config.json"])
    monkeypatch.setattr(policies.config, "policy_pack_config", lambda env: None)
    assert service.policy_arguments(project, load(project, "dev"))[1] is None


def test_policy_arguments_with_the_real_policy_helper(project):
    from cli.context import load

    packs, configs = service.policy_arguments(project, load(project, "prod"))
    config = json.loads(Path(configs[0]).read_text())
    assert packs == [str(project.root / "policies")]
    assert config["azure-nsg-no-inbound-admin-from-internet"]["enforcementLevel"] == "mandatory"
    assert all("enforcementLevel" in entry for entry in config.values())


SSH_RULE = P + "civic:azure:HubNetwork$azure-native:network:SecurityRule::hub-mgmt-ssh"


def exported_rule(access: str = "Deny", source: str = "10.10.0.0/20") -> dict:
    """A stack export holding the hub's SSH rule, as `pulumi stack export` writes it."""
    return {
        "manifest": {"time": "2026-11-22T00:00:00Z"},
        "resources": [
            {"urn": P + "pulumi:pulumi:Stack::civic-infra-dev", "type": "pulumi:pulumi:Stack", "custom": False},
            {"urn": SSH_RULE, "type": "azure-native:network:SecurityRule", "custom": True, "id": "rule-id",
             "inputs": {"direction": "Inbound", "protocol": "Tcp", "access": access, "sourceAddressPrefix": source,
                        "destinationPortRange": "22", "priority": 200.0,
                        "adminPassword": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                          "plaintext": '"fixture-state-plaintext-5"'}}},
        ],
    }


def test_drift_runs_the_real_policy_set_on_the_refreshed_state(project, machine, install_stack):
    """cli.state + cli.policycheck for real: the stored rule is private, the cloud opened it to *."""
    install_stack(FakeStack(streams={"preview_refresh": "refresh_drift.jsonl", "preview": "preview_clean.jsonl"},
                            deployment=exported_rule()))
    _, (drifted,) = service.drift(project, ["dev"], rt=runtime(machine))
    assert drifted.policy_evaluated is True
    hits = [p for p in drifted.policy if p.policy == "azure-nsg-no-inbound-admin-from-internet"]
    assert [(p.urn, p.blocking) for p in hits] == [(SSH_RULE, True)]
    assert "fixture-state-plaintext-5" not in json.dumps(drifted.to_json())

    install_stack(FakeStack(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"},
                            deployment=exported_rule()))
    _, (clean,) = service.drift(project, ["dev"], rt=runtime(machine))
    assert not [p for p in clean.policy if p.policy == "azure-nsg-no-inbound-admin-from-internet"]


def test_drift_all_is_concurrent_but_bounded_by_parallel(project, machine, monkeypatch, state_helpers):
    import threading
    import time

    lock = threading.Lock()
    active = {"now": 0, "max": 0}

    class Slow(FakeStack):
        def preview_refresh(self, **kwargs):
            with lock:
                active["now"] += 1
                active["max"] = max(active["max"], active["now"])
            time.sleep(0.2)
            with lock:
                active["now"] -= 1
            return super().preview_refresh(**kwargs)

    stacks = {e: Slow(streams={"preview_refresh": "refresh_clean.jsonl", "preview": "preview_clean.jsonl"}) for e in ("dev", "staging", "prod")}
    monkeypatch.setattr(adapter, "open_stack", lambda spec: stacks[spec.environment])
    _, reports = service.drift(project, ["dev", "prod", "staging"], all_environments=True, parallel=2, rt=runtime(machine))
    assert [r.status for r in reports] == ["clean", "clean", "clean"]
    assert active["max"] == 2
    active["max"] = 0
    service.drift(project, ["dev", "prod", "staging"], all_environments=True, parallel=1, rt=runtime(machine))
    assert active["max"] == 1
