"""`infra compliance`: report.md, a self-contained report.html and report.json that serve as evidence."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.policycheck import git_revision
from tests.conftest import minimal_values, write_stack

TAGS = {"owner": "owner@example.org", "environment": "dev", "cost-center": "operations", "data-classification": "internal"}
PROGRAM = f'''
import pulumi_aws as aws

aws.kms.Key("rotating", enable_key_rotation=True, tags={TAGS!r})
aws.kms.Key("static", tags={TAGS!r})
aws.kms.Key("scratch", enable_key_rotation=True)
'''
EXEMPTION = {"policy": "required-tags", "resource": "scratch", "justification": "scratch key removed next sprint",
             "expires": "2027-01-31", "approver": "ciso@example.org"}
PLACEHOLDER_PASSWORD = "not-a-real-password-0000"


@pytest.fixture
def project(tmp_project: Path) -> Path:
    (tmp_project / "program").mkdir()
    (tmp_project / "program" / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    write_stack(tmp_project / "stacks", "dev", {**minimal_values(), "policy": {"exemptions": [EXEMPTION]}})
    return tmp_project


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _report(project: Path, out: Path, *args: str) -> tuple[str, str, dict]:
    result = _run("--cwd", str(project), "compliance", *args, "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    return ((out / "report.md").read_text(), (out / "report.html").read_text(),
            json.loads((out / "report.json").read_text()))


def test_a_plan_report_names_editions_provenance_coverage_and_evidence(project, tmp_path):
    md, html, data = _report(project, tmp_path / "r", "--env", "dev")

    assert md.startswith("# Compliance report: `dev`")
    # Editions in full, tool and policy set with a content hash, commit, time, plan vs state.
    assert "CIS Amazon Web Services Foundations v7.0.0" in md and "CIS Microsoft Azure Foundations v6.0.0" in md
    assert re.search(r"- Policy set: version 0\.1\.0, sha256:[0-9a-f]{64}", md)
    assert "- Tool: civic-infra " in md
    assert "- Git commit: `unknown`" in md  # the temporary project is not a git repository
    assert re.search(r"- Generated: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", md)
    assert "plan: what would be deployed" in md
    # Coverage: what the set evaluates and what it does not; a pass is never "benchmark met".
    assert re.search(r"CIS Amazon Web Services Foundations v7\.0\.0: \d+ of 70 controls evaluated fully, \d+ partly, "
                     r"\d+ not evaluated", md)
    assert "2.4 Ensure no 'root' user account access key exists" in md  # listed as not evaluated
    assert "never that the benchmark is met" in md
    assert "CIS Microsoft Azure Foundations v6.0.0: " not in md  # an AWS-only stack: only AWS coverage
    # Per control and resource: verdict and the value that decided it.
    control = md.index("## CIS Amazon Web Services Foundations v7.0.0 4.6: Ensure rotation for customer-created")
    rotation = md[md.index("### `aws-kms-key-rotation`: FAIL", control):]
    assert "| `static` | `aws:kms/key:Key` | FAIL | " in rotation
    assert "enableKeyRotation = nothing (not set)" in rotation.splitlines()[rotation.splitlines().index(
        next(line for line in rotation.splitlines() if line.startswith("| `static`")))]
    assert "| `rotating` | `aws:kms/key:Key` | pass | customerMasterKeySpec = nothing (not set); enableKeyRotation = true" in rotation
    assert "enforcement mandatory (locked)" in rotation
    # Exemptions with justification, approver and expiry, where they apply.
    assert "| `required-tags` | `scratch` | scratch key removed next sprint | ciso@example.org | 2027-01-31 | scratch | - |" in md
    tags = md[md.index("### `required-tags`"):]
    assert re.search(r"\| `scratch` \| `aws:kms/key:Key` \| exempt \| .*exempted until 2027-01-31; approver "
                     r"ciso@example.org; justification: scratch key removed next sprint \|", tags)
    assert "## Organisation rules (no benchmark equivalent)" in md

    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert not re.search(r"<(script|link|img)\b|src=|href=", html)  # no external assets
    assert 'class="fail">FAIL' in html and 'class="exempt">exempt' in html
    assert "<td>Git commit</td><td><code>unknown</code>" in html
    assert "CIS Amazon Web Services Foundations v7.0.0" in html and "controls not evaluated by this policy set" in html

    assert data["revision"] == "unknown" and data["policy_set_hash"].startswith("sha256:")
    env = data["environments"][0]
    assert env["evaluated"] == "plan" and env["summary"]["fail"] >= 1
    rotation_json = next(c for c in env["controls"] if c["id"] == "4.6")
    assert rotation_json["benchmark"] == "CIS Amazon Web Services Foundations v7.0.0"
    rows = {r["name"]: r for p in rotation_json["policies"] for r in p["resources"]}
    assert rows["static"]["status"] == "fail" and ["enableKeyRotation", "nothing (not set)"] in rows["static"]["observed"]
    locked = {p["name"]: p["locked"] for p in data["policies"]}
    assert locked["aws-kms-key-rotation"] is True and locked["required-tags"] is False


def test_git_commit_is_marked_when_the_tree_has_uncommitted_changes(project, tmp_path):
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], cwd=project, check=True)
    assert re.fullmatch(r"[0-9a-f]{7,}", git_revision(project))
    (project / "program" / "__main__.py").write_text(PROGRAM + "\n# changed\n", encoding="utf-8")
    assert re.fullmatch(r"[0-9a-f]{7,} \(uncommitted changes\)", git_revision(project))
    md, _, _ = _report(project, tmp_path / "r", "--env", "dev")
    assert re.search(r"- Git commit: `[0-9a-f]{7,} \(uncommitted changes\)`", md)


def _export(path: Path) -> Path:
    """A deployed pulumi-aws v6 stack: inline S3 settings, a Lambda holding a password, a public PAB flag."""
    prefix = "urn:pulumi:legacy::lake"
    provider = f"{prefix}::pulumi:providers:aws::default_6_50_0"
    confidential = {**TAGS, "data-classification": "confidential"}
    resources = [
        {"urn": f"{prefix}::pulumi:pulumi:Stack::lake-legacy", "type": "pulumi:pulumi:Stack", "custom": False},
        {"urn": provider, "type": "pulumi:providers:aws", "custom": True, "id": "p",
         "inputs": {"region": "us-east-1"}},
        {"urn": f"{prefix}::aws:s3/bucket:Bucket::donors", "type": "aws:s3/bucket:Bucket", "custom": True,
         "provider": f"{provider}::p", "inputs": {
             "bucket": "donors", "tags": confidential,
             "serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}},
             "versioning": {"enabled": True, "mfaDelete": False}}},
        {"urn": f"{prefix}::aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::donors-pab",
         "type": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "custom": True, "provider": f"{provider}::p",
         "inputs": {"bucket": "donors", "blockPublicAcls": True, "blockPublicPolicy": False, "ignorePublicAcls": True,
                    "restrictPublicBuckets": True},
         "propertyDependencies": {"bucket": [f"{prefix}::aws:s3/bucket:Bucket::donors"]}},
        {"urn": f"{prefix}::aws:lambda/function:Function::sync", "type": "aws:lambda/function:Function", "custom": True,
         "provider": f"{provider}::p", "inputs": {"runtime": "python3.12", "tags": TAGS,
                                                   "environment": {"variables": {"DB_PASSWORD": PLACEHOLDER_PASSWORD,
                                                                                 "LOG_LEVEL": "info"}}}},
    ]
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}), encoding="utf-8")
    return path


def test_a_state_export_is_reported_as_what_is_deployed(project, tmp_path):
    state = _export(tmp_path / "legacy.json")
    md, html, data = _report(project, tmp_path / "r", "--state", str(state))
    assert "state export: what is deployed" in md and data["environments"][0]["evaluated"] == "state"
    env = data["environments"][0]
    rows = {(p["policy"], r["name"]): r for c in env["controls"] for p in c["policies"] for r in p["resources"]}
    # v6 inline forms understood: encryption is read from the bucket; confidential data needs a CMK.
    assert rows[("aws-s3-encrypted", "donors")]["status"] == "fail"
    assert "holds confidential data" in rows[("aws-s3-encrypted", "donors")]["detail"]
    assert rows[("aws-s3-versioning", "donors")]["status"] == "pass"
    # The public access block with the false flag is the finding, not the bucket.
    assert rows[("aws-s3-public-access-blocked", "donors-pab")]["status"] == "fail"
    assert rows[("aws-lambda-no-secrets-in-environment", "sync")]["status"] == "fail"
    # An AWS bucket is no evidence for a CIS Azure control the same policy also maps to.
    azure = next(c for c in env["controls"] if c["benchmark"].startswith("CIS Microsoft Azure") and c["id"] == "8.3.9")
    assert [r for p in azure["policies"] for r in p["resources"]] == []
    aws = next(c for c in env["controls"] if c["benchmark"].startswith("CIS Amazon") and c["id"] == "4.6")
    assert {r["name"] for p in aws["policies"] for r in p["resources"]} == {"donors"}
    # The Lambda's password is evidence of nothing: never in any output.
    for text in (md, html, json.dumps(data)):
        assert PLACEHOLDER_PASSWORD not in text
    assert "DB_PASSWORD: [redacted]" in md


def test_all_environments_in_one_report_with_a_summary_table(project, tmp_path):
    write_stack(project / "stacks", "staging", {**minimal_values(), "tier": "staging"})
    md, html, data = _report(project, tmp_path / "r", "--all")
    assert md.startswith("# Compliance report: `dev, staging`")
    summary = md[md.index("## Summary"):md.index("## Environment `dev`")]
    assert "| environment | evaluated | resources | policies failing | pass | fail | exempt | n/a | blocking |" in summary
    assert re.search(r"\| `dev` \| plan \| \d+ \| \d+ of \d+ \|", summary)
    assert re.search(r"\| `staging` \| plan \| \d+ \| \d+ of \d+ \|", summary)
    assert "## Environment `staging`" in md and "<h2>Environment staging</h2>" in html
    assert [e["environment"] for e in data["environments"]] == ["dev", "staging"]


def test_default_output_dir(project):
    result = _run("--cwd", str(project), "compliance", "--env", "dev")
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html", "report.json"):
        assert (project / ".infra" / "compliance" / "dev" / name).is_file()
    assert "policies failing" in result.stdout


@pytest.mark.parametrize("args, message", [
    ((), "pass --env ENV, --state FILE (optionally with --env), or --all"),
    (("--all", "--env", "dev"), "--all reports on every environment's plan"),
    (("--state", "/nonexistent/state.json"), "no such file"),
])
def test_bad_arguments_exit_2(project, args, message):
    result = _run("--cwd", str(project), "compliance", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_environment_exits_2(project):
    result = _run("--cwd", str(project), "compliance", "--env", "nope")
    assert result.exit_code == 2


def test_a_control_scoped_to_key_vaults_shows_only_key_vault_rows():
    from cli.policycheck import PolicyStatus, ResourceStatus, _for_benchmark
    from policies.catalog import policies_by_name

    policy = policies_by_name()["azure-diagnostic-settings"]
    rows = (ResourceStatus("u1", "azure-native:keyvault:Vault", "kv", "pass", ""),
            ResourceStatus("u2", "azure-native:storage:StorageAccount", "sa", "pass", ""))
    status = PolicyStatus(policy, "mandatory", rows, 0)
    key_vault, monitor = (next(c for c in policy.controls if c.id == i) for i in ("6.1.1.4", "6.1.4"))
    assert [r.name for r in _for_benchmark(status, key_vault).resources] == ["kv"]
    assert [r.name for r in _for_benchmark(status, monitor).resources] == ["kv", "sa"]
