"""Every policy against literal wire-form resources: the exact pass_* and fail_* sets."""

from __future__ import annotations

import re

import pytest

from policies.catalog import all_policies, policies_by_name
from policies.core import Enforcement, Severity, Status
from tests.policies.cases import SCENARIOS
from tests.policies.fixtures import STACK, context, offline_stack


def _id(s) -> str:
    return f"{s.policy}/{s.label}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[_id(s) for s in SCENARIOS])
def test_exact_pass_and_fail_sets(scenario):
    policy = policies_by_name()[scenario.policy]
    results = policy.evaluate(offline_stack(scenario), context(scenario))
    names = [r.name for r in scenario.resources] + [f"{scenario.label}-{STACK}"]
    failed = {r.name for r in results if r.status is Status.failed}
    passed = {r.name for r in results if r.status is Status.passed}
    assert failed == {n for n in names if n.startswith("fail_")}
    assert {r.name for r in scenario.resources if r.name.startswith("pass_")} <= passed


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[_id(s) for s in SCENARIOS])
def test_violations_name_the_resource_and_never_show_secrets(scenario):
    policy = policies_by_name()[scenario.policy]
    for r in policy.evaluate(offline_stack(scenario), context(scenario)):
        if r.status is Status.failed:
            assert r.message
            if r.name.startswith("fail_") and not r.name.endswith(f"-{STACK}"):
                assert r.name in r.message
            assert "[secret]" not in r.message and "[plaintext secret]" not in r.message


def test_every_policy_has_a_passing_and_a_failing_case():
    covered_fail: set[str] = set()
    covered_pass: set[str] = set()
    for s in SCENARIOS:
        names = [r.name for r in s.resources]
        if any(n.startswith("fail_") for n in names) or s.label.startswith("fail_"):
            covered_fail.add(s.policy)
        if any(n.startswith("pass_") for n in names) or (s.label.startswith("pass_") and not any(n.startswith("fail_") for n in names)):
            covered_pass.add(s.policy)
    # cross-stack policies have their cases over several stacks (tests/policies/cases_cross_stack.py)
    from tests.policies.cases_cross_stack import SCENARIOS as CROSS

    for c in CROSS:
        names = [r.name for m in c.members for r in m.resources]
        covered_fail |= {c.policy} if any(n.startswith("fail_") for n in names) else set()
        covered_pass |= {c.policy} if any(n.startswith("pass_") for n in names) else set()
    every = {p.name for p in all_policies()}
    assert every - covered_fail == set()
    assert every - covered_pass == set()


def test_at_least_forty_policies_with_complete_metadata():
    policies = all_policies()
    assert len(policies) >= 40
    for p in policies:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.name)
        assert p.description[0].isupper() and not p.description.endswith(".")
        assert p.description.split()[0] in IMPERATIVE_VERBS, p.description
        assert isinstance(p.severity, Severity) and isinstance(p.enforcement, Enforcement)
        assert p.remediation and ("_" in p.remediation or "infra:" in p.remediation or "." in p.remediation)
        # Control references are checked against the editions' vocabulary in test_controls.py.


IMPERATIVE_VERBS = {
    "Allow", "Require", "Disallow", "Disable", "Keep", "Enable", "Authorise", "Deny", "Attach", "Send", "Turn",
    "Grant", "Limit", "Pin", "Serve", "Block", "Encrypt", "Record", "Rotate", "Authenticate", "Protect", "Enforce",
    "Create", "Take", "Validate", "Tag", "Pass", "End", "Set", "Run", "Audit", "Open", "Sign", "Name",
}


def test_issue_checklist_is_covered():
    names = {p.name for p in all_policies()}
    for wanted in (
        "azure-storage-https-only", "azure-storage-min-tls-1-2", "azure-storage-no-public-blob-access",
        "azure-storage-shared-key-disabled", "azure-storage-blob-soft-delete", "azure-storage-blob-versioning",
        "azure-key-vault-purge-protection", "azure-key-vault-soft-delete-retention", "azure-key-vault-rbac-authorization",
        "azure-key-vault-private-in-prod", "azure-nsg-no-inbound-admin-from-internet", "azure-subnet-has-nsg",
        "azure-log-analytics-retention", "azure-diagnostic-settings", "azure-defender-plans",
        "azure-no-privileged-roles-for-external", "entra-mfa-for-all-users", "entra-block-legacy-authentication",
        "entra-app-password-max-one-year", "entra-federated-credential-no-wildcard", "azure-web-https-only",
        "azure-web-min-tls-1-2", "azure-web-private-in-prod", "azure-openai-local-auth-disabled",
        "azure-openai-no-public-network", "aws-s3-public-access-blocked", "aws-s3-encrypted", "aws-s3-versioning",
        "aws-s3-access-logging", "aws-s3-tls-only", "aws-s3-policy-no-public-principal", "aws-kms-key-rotation",
        "aws-rds-encrypted", "aws-rds-not-public", "aws-rds-backup-retention", "aws-rds-deletion-protection-in-prod",
        "aws-rds-iam-authentication", "aws-redshift-serverless-not-public", "aws-redshift-serverless-kms",
        "aws-athena-encrypted-results", "aws-iam-no-admin-wildcard", "aws-iam-cross-account-external-id",
        "aws-iam-no-users", "aws-sg-no-inbound-admin-from-internet", "aws-vpc-flow-logs",
        "aws-default-security-group-closed", "aws-cloudtrail-multi-region", "aws-cloudtrail-validated-and-encrypted",
        "aws-guardduty-enabled", "required-tags", "us-only-residency", "access-expiry", "no-plaintext-secrets",
        "budget-per-cloud", "restricted-data-rotating-cmk", "policy-exemptions-valid", "policy-enforcement-valid",
    ):
        assert wanted in names


def test_prod_only_policies_are_not_applicable_elsewhere():
    from tests.policies.fixtures import R, Scenario

    for name, resource in (
        ("azure-key-vault-private-in-prod", R("kv", "azure-native:keyvault:Vault", {"properties": {"publicNetworkAccess": "Enabled"}})),
        ("aws-rds-deletion-protection-in-prod", R("db", "aws:rds/instance:Instance", {"engine": "postgres"})),
        ("azure-web-private-in-prod", R("app", "azure-native:web:WebApp", {"httpsOnly": True})),
    ):
        s = Scenario(name, [resource], ctx={"tier": "staging"})
        results = policies_by_name()[name].evaluate(offline_stack(s), context(s))
        assert [r.status for r in results] == [Status.not_applicable]
