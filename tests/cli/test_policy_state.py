"""`infra policy check --state FILE`: auditing a `pulumi stack export` without running a program."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.capture import PLAINTEXT_SECRET, SECRET
from cli.main import app
from cli.state import capture_from_export

SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
CIPHERTEXT = "v1:AAAAThisIsOnlyCiphertextXYZ"
P = "urn:pulumi:dev::shop"
TAGS = {"owner": "owner@example.org", "environment": "dev", "cost-center": "operations", "data-classification": "internal"}
PROVIDER = f"{P}::pulumi:providers:aws::default_7_2_0"


def _resource(type_: str, name: str, inputs: dict, **extra) -> dict:
    return {
        "urn": f"{P}::{type_}::{name}", "custom": True, "id": f"{name}-id", "type": type_, "inputs": inputs,
        "outputs": {**inputs, "arn": f"arn:{name}"}, "parent": f"{P}::pulumi:pulumi:Stack::shop-dev",
        "provider": f"{PROVIDER}::04da6b54-80e4-46f7-96ec-b56ff0331ba9", **extra,
    }


EXPORT = {
    "version": 3,
    "deployment": {
        "manifest": {"time": "2026-11-20T10:00:00Z", "magic": "x", "version": "v3.200.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:abc"}},
        "resources": [
            {"urn": f"{P}::pulumi:pulumi:Stack::shop-dev", "custom": False, "type": "pulumi:pulumi:Stack"},
            {"urn": PROVIDER, "custom": True, "id": "p", "type": "pulumi:providers:aws",
             "inputs": {"region": "us-east-1", "version": "7.2.0"}, "outputs": {"region": "us-east-1"}},
            _resource("aws:kms/key:Key", "audit-key", {"enableKeyRotation": True, "tags": TAGS}),
            _resource("aws:cloudtrail/trail:Trail", "trail", {"s3BucketName": "trail", "isMultiRegionTrail": True,
                                                             "enableLogFileValidation": True, "kmsKeyId": "arn:k", "tags": TAGS},
                      dependencies=[f"{P}::aws:kms/key:Key::audit-key"],
                      propertyDependencies={"kmsKeyId": [f"{P}::aws:kms/key:Key::audit-key"]}),
            _resource("aws:guardduty/detector:Detector", "detector", {"enable": True, "tags": TAGS}),
            _resource("aws:budgets/budget:Budget", "budget", {"budgetType": "COST", "limitAmount": "300", "limitUnit": "USD",
                                                             "timeUnit": "MONTHLY", "tags": TAGS,
                                                             "notifications": [{"comparisonOperator": "GREATER_THAN",
                                                                                "notificationType": "ACTUAL", "threshold": 80.0,
                                                                                "thresholdType": "PERCENTAGE",
                                                                                "subscriberEmailAddresses": ["it@example.org"]}]}),
            _resource("aws:rds/instance:Instance", "db", {
                "engine": "postgres", "instanceClass": "db.t4g.micro", "storageEncrypted": True, "backupRetentionPeriod": 7,
                "iamDatabaseAuthenticationEnabled": True, "tags": TAGS,
                "password": {SIG: SECRET_SIG, "ciphertext": CIPHERTEXT},
            }, protect=True),
            {**_resource("aws:s3/bucket:Bucket", "deleted", {"bucket": "gone"}), "delete": True},
        ],
    },
}


def _write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _check(path: Path, *extra: str):
    return CliRunner().invoke(app, ["policy", "check", "--state", str(path), "--format", "json", *extra])


def test_export_becomes_a_capture_with_secrets_masked():
    capture = capture_from_export(EXPORT)
    assert (capture.environment, capture.project) == ("dev", "shop")
    by_name = {r.name: r for r in capture.resources}
    assert set(by_name) == {"default_7_2_0", "audit-key", "trail", "detector", "budget", "db"}
    db = by_name["db"]
    assert db.inputs["password"] == SECRET and db.secret_paths == ("password",) and db.protect
    assert db.parent is None and db.provider == PROVIDER
    assert by_name["trail"].property_dependencies == {"kmsKeyId": (f"{P}::aws:kms/key:Key::audit-key",)}
    assert CIPHERTEXT not in json.dumps(capture.to_json())


def test_compliant_state_exits_0(tmp_path):
    result = _check(_write(tmp_path, EXPORT))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []


def test_a_plaintext_password_in_state_is_a_violation_and_never_printed(tmp_path):
    document = copy.deepcopy(EXPORT)
    db = document["deployment"]["resources"][6]
    db["inputs"]["password"] = "hunter2-in-plain-text"
    capture = capture_from_export(document)
    assert next(r for r in capture.resources if r.name == "db").inputs["password"] == PLAINTEXT_SECRET
    result = _check(_write(tmp_path, document))
    assert result.exit_code == 5
    assert [(f["policy"], f["name"]) for f in json.loads(result.stdout)["findings"]] == [("no-plaintext-secrets", "db")]
    assert "hunter2" not in result.output


def test_drifted_state_fails(tmp_path):
    document = copy.deepcopy(EXPORT)
    db = document["deployment"]["resources"][6]
    db["inputs"]["publiclyAccessible"] = True
    db["inputs"]["backupRetentionPeriod"] = 1
    result = _check(_write(tmp_path, document))
    assert result.exit_code == 5
    assert {f["policy"] for f in json.loads(result.stdout)["findings"]} == {"aws-rds-not-public", "aws-rds-backup-retention"}


def test_env_gives_the_state_its_tier(tmp_project, tmp_path):
    from tests.conftest import minimal_values, write_stack

    write_stack(tmp_project / "stacks", "prod", {**minimal_values(), "tier": "production"})
    path = _write(tmp_path, EXPORT)
    without = _check(path)
    assert without.exit_code == 0  # stack "dev": development rules
    with_env = CliRunner().invoke(app, ["--cwd", str(tmp_project), "policy", "check", "--state", str(path),
                                        "--env", "prod", "--format", "json"])
    assert with_env.exit_code == 5
    findings = [(f["policy"], f["name"]) for f in json.loads(with_env.stdout)["findings"]]
    assert ("aws-rds-deletion-protection-in-prod", "db") in findings
    # The state's resources carry environment=dev: audited as prod, tag-values-valid says so.
    # ... and its backups sit in no locked AWS Backup vault (advisory in production).
    assert {p for p, _ in findings} == {"aws-rds-deletion-protection-in-prod", "tag-values-valid",
                                        "aws-database-backups-locked"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"version": 3}', "$.deployment: must be an object, got null"),
        ("null", "$: must be an object (the output of `pulumi stack export`), got null"),
        ('{"deployment": {"resources": {}}}', "$.deployment.resources: must be a list, got an object"),
        ('{"deployment": {"resources": [7]}}', "$.deployment.resources[0]: must be an object, got int"),
        ('{"deployment": {"resources": [{"type": "aws:s3/bucket:Bucket"}]}}', "$.deployment.resources[0].urn: must be a Pulumi URN"),
        ('{"deployment": {"resources": [{"urn": "urn:pulumi:d::p::t::n"}]}}', "$.deployment.resources[0].type: must be a type token"),
        ('{"deployment": {"resources": [{"urn": "urn:pulumi:d::p::t::n", "type": "t", "inputs": []}]}}',
         "$.deployment.resources[0].inputs: must be an object, got a list"),
        ('{"deployment": {"resources": [{"urn": "urn:pulumi:d::p::t::n", "type": "t", "protect": "yes"}]}}',
         "$.deployment.resources[0].protect: must be true or false, got a string"),
        ('{"deployment": {"resources": []}}', "holds no resources to check"),
    ],
)
def test_bad_state_files_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = _check(path)
    assert result.exit_code == 2 and message in result.stderr
    assert "passed" not in result.output
