"""`infra policy check` end to end through Typer: --env, --program, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import minimal_values, write_stack

REPO = Path(__file__).resolve().parents[2]
STANDALONE = REPO / "tests" / "fixtures" / "standalone_program"
TAGS = {"owner": "owner@example.org", "environment": "dev", "cost-center": "operations", "data-classification": "internal"}

PROGRAM = f'''
import pulumi_aws as aws

aws.kms.Key("rotating", enable_key_rotation=True, tags={TAGS!r})
aws.kms.Key("untagged", enable_key_rotation=True)
'''


@pytest.fixture
def project(tmp_project: Path) -> Path:
    (tmp_project / "program").mkdir()
    (tmp_project / "program" / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    write_stack(tmp_project / "stacks", "dev", minimal_values())
    return tmp_project


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _with_policy(project: Path, policy: dict) -> None:
    write_stack(project / "stacks", "dev", {**minimal_values(), "policy": policy})


def test_env_with_a_mandatory_violation_exits_5_with_the_json_document(project):
    result = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "json")
    assert result.exit_code == 5, result.output
    document = json.loads(result.stdout)
    assert [f["policy"] for f in document["findings"]] == ["required-tags"]
    finding = document["findings"][0]
    assert set(finding) == {"policy", "severity", "enforcement", "urn", "type", "name", "message", "exempted"}
    assert finding == {
        "policy": "required-tags", "severity": "low", "enforcement": "mandatory",
        "urn": "urn:pulumi:dev::tmp-project::aws:kms/key:Key::untagged", "type": "aws:kms/key:Key",
        "name": "untagged", "message": finding["message"], "exempted": False,
    }
    assert document["summary"]["blocking"] is True and document["summary"]["mandatory"] == 1
    assert "unexempted mandatory violation" in result.stderr


def test_advisory_findings_never_fail(project):
    _with_policy(project, {"enforcement": {"required-tags": "advisory"}})
    result = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["enforcement"], finding["exempted"]) == ("advisory", False)


def test_exempted_findings_are_listed_and_do_not_fail(project):
    _with_policy(project, {"exemptions": [{"policy": "required-tags", "resource": "untag*",
                                           "justification": "scratch key removed next sprint", "expires": "2027-01-31"}]})
    result = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["name"], finding["exempted"]) == ("untagged", True)


def _policy_on_empty_stack(policy: dict):
    """The policy set on a field-valid environment, bypassing the loader's rules (defence in depth)."""
    from cli.capture import Capture
    from cli.policycheck import check_capture
    from stacks.model import Environment

    env = Environment.model_validate({"name": "dev", **minimal_values(), "policy": policy})
    return check_capture(Capture("dev", "tmp-project", ()), env)


def test_an_expired_exemption_is_refused_by_validation_and_by_the_policy(project):
    policy = {"exemptions": [{"policy": "required-tags", "resource": "untagged",
                              "justification": "scratch key removed next sprint", "expires": "2026-01-31"}]}
    _with_policy(project, policy)
    result = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "json")
    assert result.exit_code == 2, result.output
    assert "infra:policy.exemptions[0].expires: has passed, got '2026-01-31'" in result.stderr
    report = _policy_on_empty_stack(policy)
    assert [(f.policy, f.blocking) for f in report.findings] == [("policy-exemptions-valid", True)]


def test_downgrading_a_data_protection_policy_is_refused_by_validation_and_by_the_policy(project):
    policy = {"enforcement": {"aws-kms-key-rotation": "advisory", "required-tags": "advisory"}}
    _with_policy(project, policy)
    result = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "json")
    assert result.exit_code == 2, result.output
    assert "infra:policy.enforcement.aws-kms-key-rotation: lowers aws-kms-key-rotation" in result.stderr
    [meta] = [f for f in _policy_on_empty_stack(policy).findings if f.policy == "policy-enforcement-valid"]
    assert "aws-kms-key-rotation" in meta.message and meta.enforcement == "mandatory"


def test_program_on_a_foreign_project(tmp_path):
    out = tmp_path / "report.json"
    result = _run("policy", "check", "--program", str(STANDALONE), "--stack", "dev", "--format", "json", "--output", str(out))
    assert result.exit_code == 5, result.output
    document = json.loads(out.read_text())
    found = {(f["policy"], f["name"]) for f in document["findings"]}
    assert found == {
        ("aws-s3-encrypted", "site"), ("aws-s3-versioning", "site"), ("aws-s3-access-logging", "site"),
        ("aws-s3-tls-only", "site"), ("aws-sg-no-inbound-admin-from-internet", "admin"),
        ("aws-kms-key-rotation", "uploads"), ("required-tags", "site"), ("required-tags", "admin"),
        ("required-tags", "uploads"), ("aws-cloudtrail-multi-region", "corner-shop-dev"),
        ("aws-guardduty-enabled", "corner-shop-dev"), ("budget-per-cloud", "corner-shop-dev"),
    }
    assert all(f["urn"].startswith("urn:pulumi:dev::corner-shop::") for f in document["findings"])


def test_program_stack_config_decides_residency_and_exposure():
    result = _run("policy", "check", "--program", str(STANDALONE), "--stack", "eu", "--format", "json")
    assert result.exit_code == 5
    found = {(f["policy"], f["name"]) for f in json.loads(result.stdout)["findings"]}
    assert {("us-only-residency", n) for n in ("site", "site-public-access", "admin", "uploads")} <= found
    assert ("aws-sg-no-inbound-admin-from-internet", "admin") not in found  # adminCidr is private in eu


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "pass exactly one of --env ENV, --program DIR or --state FILE"),
        (("--env", "dev", "--program", "x"), "pass exactly one of"),
        (("--program", str(STANDALONE)), "several stacks (dev, eu); choose one with --stack NAME"),
        (("--program", str(STANDALONE), "--stack", "qa"), "--stack qa: no Pulumi.qa.yaml"),
        (("--program", "/nonexistent/dir"), "not a directory"),
        (("--program", str(REPO / "tests")), "no Pulumi.yaml there"),
        (("--state", "/nonexistent/state.json"), "file not found"),
        (("--env", "dev", "--stack", "dev"), "--stack only applies with --program"),
        (("--env", "nope"), "environment 'nope' has no stack file"),
    ],
)
def test_bad_flags_and_files_exit_2_with_a_clear_message(project, args, message):
    result = _run("--cwd", str(project), "policy", "check", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_unknown_format_is_a_usage_error(project):
    assert _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "xml").exit_code == 2


def test_sarif_2_1_0_for_code_scanning(project):
    result = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "sarif")
    assert result.exit_code == 5
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] and len(rules) >= 40
    assert all({"id", "shortDescription", "help", "defaultConfiguration"} <= set(r) for r in rules)
    [res] = run["results"]
    assert res["ruleId"] == "required-tags" and rules[res["ruleIndex"]]["id"] == "required-tags"
    assert res["level"] == "error" and res["message"]["text"]
    location = res["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.dev.yaml"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "urn:pulumi:dev::tmp-project::aws:kms/key:Key::untagged"


def test_sarif_marks_advisory_as_warning_and_exempted_as_suppressed(project):
    _with_policy(project, {"enforcement": {"required-tags": "advisory"}})
    [res] = json.loads(_run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "sarif").stdout)["runs"][0]["results"]
    assert res["level"] == "warning"
    _with_policy(project, {"exemptions": [{"policy": "required-tags", "resource": "untagged",
                                           "justification": "scratch key removed next sprint", "expires": "2027-01-31"}]})
    [res] = json.loads(_run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "sarif").stdout)["runs"][0]["results"]
    assert res["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "scratch key removed next sprint"}]


def test_table_and_markdown(project):
    table = _run("--cwd", str(project), "policy", "check", "--env", "dev")
    assert table.exit_code == 5 and "required-tags" in table.stdout and "BLOCKED: 1 mandatory" in table.stdout
    md = _run("--cwd", str(project), "policy", "check", "--env", "dev", "--format", "markdown")
    assert md.stdout.startswith("### Policy check: `dev` :x:")
    assert "| low | mandatory | `required-tags` | `untagged` |" in md.stdout


def test_policy_list(tmp_path):
    listed = json.loads(_run("policy", "list", "--format", "json").stdout)["policies"]
    assert len(listed) >= 40
    for p in listed:
        assert {"name", "description", "severity", "enforcement", "remediation", "controls"} <= set(p)
    by_name = {p["name"]: p for p in listed}
    assert by_name["aws-s3-public-access-blocked"]["controls"][0] == "CIS Amazon Web Services Foundations v7.0.0 3.1.4"
    table = _run("policy", "list")
    assert table.exit_code == 0 and "azure-key-vault-purge-protection" in table.stdout


def test_policy_list_shows_remediation_fits_the_width_and_agrees_on_locks(monkeypatch):
    import json as _json

    from cli.render import policy as render
    from policies.catalog import all_policies

    policies = all_policies()
    table = render.render_policy_list_table(policies, width=160)
    assert "remediation" in table.splitlines()[2]
    assert max(len(line) for line in table.splitlines()) <= 160
    assert max(len(line) for line in render.render_policy_list_table(policies, width=100).splitlines()) <= 100
    monkeypatch.setenv("COLUMNS", "90")
    assert max(len(line) for line in render.render_policy_list_table(policies).splitlines()) <= 90
    locked = next(p for p in policies if p.data_protection)
    as_json = {p["name"]: p for p in _json.loads(render.render_policy_list_json(policies))["policies"]}
    assert as_json[locked.name]["locked"] is True
    assert as_json[locked.name]["enforcement_label"] == "mandatory (locked)"
    assert f"| `{locked.name}` | {locked.severity.value} | mandatory (locked) |" in render.render_policy_list_markdown(policies)
    assert "mandatory (locked)" in table
