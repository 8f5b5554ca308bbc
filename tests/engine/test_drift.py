"""Severity ranking of drifted properties, the drift report, the overlay of refreshed values."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from cli.capture import Capture, Resource
from cli.engine import drift
from cli.engine.events import fold
from tests.engine.conftest import load_events

P = "urn:pulumi:dev::civic-infra::"
AT = "2026-11-22T12:00:00Z"


@pytest.mark.parametrize(
    ("type_", "path", "severity", "reason"),
    [
        ("azure-native:network:SecurityRule", "sourceAddressPrefix", "critical", "network exposure"),
        ("aws:ec2/securityGroup:SecurityGroup", "ingress[0].cidrBlocks[0]", "critical", "network exposure"),
        ("azure-native:storage:StorageAccount", "publicNetworkAccess", "critical", "network exposure"),
        ("aws:iam/role:Role", "assumeRolePolicy", "critical", "iam / role / trust"),
        ("azure-native:authorization:RoleAssignment", "roleDefinitionId", "critical", "iam / role / trust"),
        ("aws:kms/key:Key", "enableKeyRotation", "critical", "key vault / kms access"),
        ("azure-native:keyvault:Vault", "properties.accessPolicies[0].permissions.secrets", "critical", "key vault / kms access"),
        ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
         "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "critical", "encryption"),
        ("azure-native:storage:StorageAccount", "minimumTlsVersion", "critical", "encryption"),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "blockPublicAcls", "critical", "public access"),
        ("azure-native:storage:StorageAccount", "allowBlobPublicAccess", "critical", "public access"),
        ("azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy", "conditions.users.excludedUsers", "critical", "conditional access"),
        ("azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy", "state", "critical", "ConditionalAccessPolicy setting"),
        ("aws:cloudtrail/trail:Trail", "enableLogFileValidation", "high", "logging"),
        ("azure-native:insights:DiagnosticSetting", "logs[0].enabled", "high", "logging"),
        ("azure-native:operationalinsights:Workspace", "retentionInDays", "high", "retention"),
        ("aws:rds/instance:Instance", "backupRetentionPeriod", "high", "retention"),
        ("aws:s3/bucketVersioning:BucketVersioning", "versioningConfiguration.status", "high", "backup"),
        ("aws:rds/instance:Instance", "deletionProtection", "high", "deletion protection"),
        ("azure-native:keyvault:Vault", "properties.enablePurgeProtection", "high", "deletion protection"),
        ("aws:s3/bucketV2:BucketV2", "tags.owner", "low", "tags"),
        ("aws:ec2/securityGroup:SecurityGroup", "description", "low", "description"),
        ("aws:ec2/securityGroup:SecurityGroup", "ingress[0].description", "low", "description"),
        ("azure-native:web:AppServicePlan", "sku.name", "high", "unclassified setting (ranked high until classified)"),
    ],
)
def test_rank_property(type_, path, severity, reason):
    assert drift.rank_property(type_, path) == (severity, reason)


def test_missing_resources_rank_by_what_they_were():
    assert drift.rank_missing("azure-native:network:NetworkSecurityGroup")[0] == "critical"
    assert drift.rank_missing("aws:s3/bucketV2:BucketV2") == ("critical", "data store deleted outside Pulumi")
    assert drift.rank_missing("azure-native:web:AppServicePlan") == ("high", "deleted outside Pulumi")


@pytest.fixture(scope="module")
def report() -> drift.DriftReport:
    return drift.build_report(
        "dev", AT, refresh=fold(load_events("refresh_drift.jsonl")), preview=fold(load_events("preview_clean.jsonl"))
    )


def test_cloud_drift_is_ranked_worst_first(report):
    assert [(i.name, i.change, i.severity) for i in report.cloud] == [
        ("lake-curated-pab", "modified", "critical"),
        ("hub-mgmt-ssh", "modified", "critical"),
        ("platform-vault", "deleted", "critical"),
        ("central-logs", "modified", "high"),
        ("apps-plan", "modified", "high"),
    ]
    rule = report.cloud[1]
    assert [(p.path, p.severity, p.expected, p.actual) for p in rule.properties] == [
        ("access", "critical", "Deny", "Allow"),
        ("sourceAddressPrefix", "critical", "10.10.0.0/20", "*"),
        ("description", "low", "ssh from the hub only", "temporary"),
    ]
    assert report.severity_counts() == {"critical": 4, "high": 2, "low": 2}
    assert report.drifted and report.status == "drifted" and report.exit_code == 7


def test_json_marks_every_drifted_property_once(report):
    doc = drift.to_document([report], AT)
    assert doc["schema"] == "civic-infra/drift/v1" and doc["exit_code"] == 7
    env = doc["environments"][0]
    vault = next(i for i in env["cloud_drift"] if i["name"] == "platform-vault")
    assert vault["properties"] == [
        {"path": "*", "kind": "deleted", "severity": "critical", "reason": "security control deleted outside Pulumi",
         "state": "exists", "cloud": "missing"}
    ]
    # a tool counting every object with a severity counts the drifted properties exactly once
    def walk(node):
        if isinstance(node, dict):
            yield from ([node["severity"]] if "severity" in node else [])
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    assert sorted(walk(doc)) == sorted(["critical"] * 4 + ["high"] * 2 + ["low"] * 2)
    json.dumps(doc)


def test_markdown_lists_each_property_with_state_and_cloud_values(report):
    text = drift.render_markdown([report], AT)
    assert "| dev | drifted | 4 | 2 | 2 | 0 |" in text
    assert "| 🔴 critical | `hub-mgmt-ssh` (azure-native:network:SecurityRule) | `sourceAddressPrefix` | network exposure | `10.10.0.0/20` | `*` |" in text
    assert "`retentionInDays` | retention | `90.0` | `30.0`" in text


def test_no_drift_exits_zero():
    clean = drift.build_report("dev", AT, refresh=fold(load_events("refresh_clean.jsonl")), preview=fold(load_events("preview_clean.jsonl")))
    assert (clean.drifted, clean.status, clean.exit_code) == (False, "clean", 0)
    assert "No drift" in drift.render_markdown([clean], AT)


def test_code_drift_counts_as_drift_and_stateful_deletes_are_critical():
    code = drift.build_report("dev", AT, refresh=fold(load_events("refresh_clean.jsonl")), preview=fold(load_events("preview_mixed.jsonl")))
    by_name = {i.name: i for i in code.code}
    assert by_name["old-exports"].severity == "critical"
    assert by_name["voter-db"].severity == "critical"
    assert by_name["lake-raw-logging"].severity == "high"  # aws:s3/bucketLogging is a logging type
    assert by_name["exports-account"].severity == "critical"  # minimumTlsVersion
    assert code.exit_code == 7


def test_unitemised_engine_counts_still_mean_drift():
    events = [e for e in load_events("refresh_drift.jsonl") if e.res_outputs_event is None]
    r = drift.build_report("dev", AT, refresh=fold(events), preview=fold(load_events("preview_clean.jsonl")))
    assert r.cloud == () and r.unitemised == 5 and r.drifted and r.exit_code == 7
    assert r.notes


def test_policy_findings_blocking_decides_and_only_blocking_gets_a_drift_severity():
    findings = [
        SimpleNamespace(policy="s3-public-access-block", severity="critical", enforcement="mandatory", urn="u1", message="m1", exempted=False),
        SimpleNamespace(policy="required-tags", severity="low", enforcement="advisory", urn="u2", message="m2", exempted=False),
        {"policy": "kv-purge", "severity": "high", "enforcement": "mandatory", "urn": "u3", "message": "m3", "exempted": True},
    ]
    items = drift.policy_items(SimpleNamespace(findings=findings, blocking=[findings[0]]))
    assert [(i.policy, i.blocking) for i in items] == [("s3-public-access-block", True), ("required-tags", False), ("kv-purge", False)]
    assert [i.to_json().get("severity") for i in items] == ["critical", None, None]
    by_bool = drift.policy_items(SimpleNamespace(findings=findings, blocking=True))
    assert [i.blocking for i in by_bool] == [True, False, False]
    clean = drift.build_report("dev", AT, refresh=fold(load_events("refresh_clean.jsonl")), preview=fold(load_events("preview_clean.jsonl")))
    from dataclasses import replace

    with_policy = replace(clean, policy=items, policy_evaluated=True)
    assert (with_policy.drifted, with_policy.status, with_policy.exit_code) == (False, "policy", 5)
    assert with_policy.severity_counts() == {"critical": 1, "high": 0, "low": 0}


def test_drift_exits_0_clean_7_drift_whatever_the_policy_5_policy_only(report):
    from dataclasses import replace

    blocking = drift.PolicyItem("s3-public-access-block", "critical", "mandatory", "u1", "m1", exempted=False, blocking=True)
    advisory = drift.PolicyItem("required-tags", "low", "advisory", "u2", "m2", exempted=False, blocking=False)
    clean = drift.build_report("dev", AT, refresh=fold(load_events("refresh_clean.jsonl")), preview=fold(load_events("preview_clean.jsonl")))
    assert replace(clean, policy=(advisory,), policy_evaluated=True).exit_code == 0
    violating = replace(clean, policy=(blocking,), policy_evaluated=True)
    assert (violating.status, violating.exit_code) == ("policy", 5)
    assert "violates a mandatory policy (exit 5)" in drift.render_markdown([violating], AT)
    drifted_and_violating = replace(report, policy=(blocking,), policy_evaluated=True)
    assert (drifted_and_violating.status, drifted_and_violating.exit_code) == ("drifted", 7)
    assert drift.combined_exit([clean, violating]) == 5
    assert drift.combined_exit([violating, report]) == 7


def test_errors_exit_one_and_win_over_drift(report):
    failed = drift.error_report("prod", AT, RuntimeError("boom"))
    assert (failed.status, failed.exit_code) == ("error", 1)
    assert drift.combined_exit([report, failed]) == 1
    assert drift.combined_exit([report]) == 7
    assert "The check did not complete" in drift.render_markdown([report, failed], AT)


def test_overlay_lays_cloud_values_over_the_state_and_drops_deleted():
    def res(urn, type_, inputs):
        return Resource(urn=urn, type=type_, name=urn.rsplit("::", 1)[-1], parent=None, dependencies=(), property_dependencies={},
                        protect=False, retain_on_delete=False, custom=True, provider=None, inputs=inputs)

    rule = P + "civic:azure:HubNetwork$azure-native:network:SecurityRule::hub-mgmt-ssh"
    vault = P + "civic:azure:KeyVault$azure-native:keyvault:Vault::platform-vault"
    law = P + "civic:azure:Monitoring$azure-native:operationalinsights:Workspace::central-logs"
    capture = Capture("dev", "civic-infra", (
        res(rule, "azure-native:network:SecurityRule", {"access": "Deny", "sourceAddressPrefix": "10.10.0.0/20"}),
        res(vault, "azure-native:keyvault:Vault", {"vaultName": "caf-dev-kv"}),
        res(law, "azure-native:operationalinsights:Workspace", {"retentionInDays": 90.0, "tags": {"owner": "it-platform@example.org"}}),
    ), source="state")
    out = drift.overlay_refresh(capture, fold(load_events("refresh_drift.jsonl")))
    by_urn = out.by_urn()
    assert vault not in by_urn
    assert by_urn[rule].inputs["sourceAddressPrefix"] == "*" and by_urn[rule].inputs["access"] == "Allow"
    assert by_urn[law].inputs == {"retentionInDays": 30.0, "tags": {"owner": "someone@example.org"}}
    assert capture.by_urn()[rule].inputs["sourceAddressPrefix"] == "10.10.0.0/20"  # the original is untouched


def test_top_puts_cloud_drift_before_undeployed_code_at_equal_severity():
    r = drift.build_report("dev", AT, refresh=fold(load_events("refresh_drift.jsonl")), preview=fold(load_events("preview_mixed.jsonl")))
    top = r.top(4)
    assert [what for _, _, what in top] == [
        "blockPublicAcls changed in the cloud",
        "access changed in the cloud",
        "sourceAddressPrefix changed in the cloud",
        "deleted outside Pulumi",
    ]
    assert {sev for sev, _, _ in top} == {"critical"}
