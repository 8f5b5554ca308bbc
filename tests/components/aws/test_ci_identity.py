"""CI identities: boundary on both roles, pinned trust, no data for plan, denies the cloud enforces."""

from __future__ import annotations

import json

import pytest

from cli.policycheck import check_capture
from components.aws.ci_identity import (
    AwsCiIdentity,
    CiIdentityArgs,
    boundary_statements,
    deploy_statements,
    plan_statements,
    policy_parts,
    protected_statements,
)
from policies.aws.iam_data import DATA_READ_ACTIONS, covered
from policies.core import Status
from tests.components.aws.conftest import ACCOUNT, capture, document, named, statement

ARGS = CiIdentityArgs(
    account_id=ACCOUNT, region="us-east-1", name_prefix="caf-prod", github_repository="example-org/civic-infra",
    environment="prod", glue_database="caf_prod_lake", redshift_enabled=True, postgres_enabled=True,
    config_recorder_enabled=True, identity_center_instance_arn="arn:aws:sso:::instance/ssoins-0000000000000000",
    restricted_bucket_names=["caf-prod-lake-raw", "caf-prod-lake-curated"], state_bucket="caf-state",
    secrets_key_alias="alias/caf-prod-secrets",
)  # fmt: skip
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/caf-prod-ci-boundary"
OIDC = "token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def cap():
    return capture(lambda: AwsCiIdentity("ci", ARGS))


def _actions(doc) -> list[str]:
    return [a for s in doc["Statement"] if s["Effect"] == "Allow"
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]  # fmt: skip


def _deploy_docs(cap):
    return [document(r) for r in cap.of_type("aws:iam/policy:Policy") if "ci-deploy" in r.inputs["name"]]


@pytest.mark.parametrize(("role", "github_env"), [("ci-deploy", "prod"), ("ci-plan", "prod-plan")])
def test_each_role_trusts_one_github_environment_and_carries_the_boundary(cap, role, github_env):
    view = named(cap, role)
    boundary = named(cap, "ci-boundary")
    assert view.property_dependencies["permissionsBoundary"] == (boundary.urn,)
    (trust,) = document(view, "assumeRolePolicy")["Statement"]
    assert trust["Condition"] == {"StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com",
                                                   f"{OIDC}:sub": f"repo:example-org/civic-infra:environment:{github_env}"}}
    assert view.inputs["tags"]["ci-identity"] == role.split("-")[1]


def test_deploy_rights_fit_managed_policies_and_are_attached(cap):
    parts = cap.of_type("aws:iam/policy:Policy")
    deploy = [p for p in parts if "ci-deploy" in p.inputs["name"]]
    assert len(deploy) == len(policy_parts(deploy_statements(ARGS))) >= 2
    for p in deploy:
        assert len(json.dumps(document(p), separators=(",", ":"))) <= 6144
    attached = {a.property_dependencies["policyArn"][0] for a in cap.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.property_dependencies.get("role") == (named(cap, "ci-deploy").urn,)}  # fmt: skip
    assert attached == {p.urn for p in deploy}


def test_deploy_reads_no_data_and_changes_roles_only_with_the_boundary():
    doc = {"Statement": deploy_statements(ARGS)}
    # the one decrypt: the stack's config secrets, with the secrets provider's key only
    assert statement(doc, "DecryptStackSecrets")["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/caf-prod-secrets"}}
    others = {"Statement": [s for s in doc["Statement"] if s.get("Sid") != "DecryptStackSecrets"]}
    assert not covered(_actions(others), ["s3:GetObject", "kms:Decrypt", "secretsmanager:GetSecretValue",
                                          "iam:CreateUser", "iam:AttachRolePolicy", "kms:GenerateDataKey"])  # fmt: skip
    change = statement(doc, "ChangeRolesWithBoundary")
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"} <= set(change["Action"])
    assert change["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    keys = statement(doc, "ManageOwnKeys")
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"} <= set(keys["Action"])
    assert keys["Condition"] == {"StringEquals": {"aws:ResourceTag/managed-by": "pulumi/civic-infra",
                                                  "aws:ResourceTag/environment": "prod"}}
    assert statement(doc, "GrantsForAwsServices")["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert statement(doc, "OwnBucketPolicyAndLifecycle")["Resource"] == ["arn:aws:s3:::caf-prod-*"]


def test_identity_center_is_scoped_to_the_instance_and_own_permission_sets():
    doc = {"Statement": deploy_statements(ARGS)}
    assert statement(doc, "IdentityCenterInstance")["Resource"] == [
        "arn:aws:sso:::instance/ssoins-0000000000000000", f"arn:aws:sso:::account/{ACCOUNT}"]
    own = statement(doc, "OwnPermissionSets")
    assert own["Resource"] == "arn:aws:sso:::permissionSet/ssoins-0000000000000000/*"
    assert own["Condition"]["StringEquals"]["aws:ResourceTag/managed-by"] == "pulumi/civic-infra"
    assert all(s["Resource"] != "*" for s in doc["Statement"] if any(str(a).startswith("sso:") for a in
                                                                     ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])))  # fmt: skip


def test_boundary_denies_what_protect_only_asks_for():
    doc = {"Statement": boundary_statements(ARGS)}
    ci = statement(doc, "DenyCiRoleChanges")
    assert ci["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/caf-prod-ci-deploy", f"arn:aws:iam::{ACCOUNT}:role/caf-prod-ci-plan"]
    assert {"iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePermissionsBoundary"} <= set(ci["Action"])
    assert statement(doc, "DenyBoundaryChanges")["Resource"] == BOUNDARY
    assert statement(doc, "DenyRolesWithoutBoundary")["Condition"] == {
        "StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert statement(doc, "DenyAwsManagedPolicies")["Condition"] == {
        "ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}}
    buckets = statement(doc, "DenyRestrictedBucketDestruction")
    assert {"s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketAcl"} <= set(buckets["Action"])
    assert "arn:aws:s3:::caf-prod-lake-raw" in buckets["Resource"] and "arn:aws:s3:::caf-prod-lake-curated/*" in buckets["Resource"]
    keys = statement(doc, "DenyRestrictedKeyDestruction")
    assert set(keys["Action"]) == {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"}
    assert keys["Condition"] == {"StringEquals": {"aws:ResourceTag/data-classification": "restricted"}}


def test_plan_reads_configuration_and_state_but_no_data(cap):
    attachment = [a for a in cap.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                  if a.inputs["policyArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"]  # fmt: skip
    assert len(attachment) == 1
    doc = {"Statement": plan_statements(ARGS)}
    denied = {a for s in doc["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert denied == set(DATA_READ_ACTIONS)
    assert statement(doc, "DenyObjectReadsOutsideState")["NotResource"] == "arn:aws:s3:::caf-state/*"
    decrypt = statement(doc, "DecryptStackSecrets")
    assert decrypt["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/caf-prod-secrets"}}
    without = {"Statement": plan_statements(ARGS.model_copy(update={"secrets_key_alias": None, "state_bucket": None}))}
    assert [s["Sid"] for s in without["Statement"]] == ["DenyDataPlaneReads"]
    assert set(without["Statement"][0]["Action"]) == set(DATA_READ_ACTIONS)


def test_the_ci_identities_pass_the_whole_policy_set(cap):
    report = check_capture(cap, None)
    identity = {"aws-iam-escalation-needs-boundary", "aws-iam-role-has-boundary", "aws-iam-no-wildcard-data-access",
                "aws-iam-restricted-data-destruction-denied", "aws-ci-trust-pinned-environment",
                "aws-ci-plan-no-data-plane", "aws-iam-no-admin-wildcard", "aws-iam-cross-account-external-id"}
    # Tags and account-wide services (trail, GuardDuty, budget) are the platform program's, not this component's.
    failed = [(r.policy, r.name, r.message) for r in report.results
              if r.status is Status.failed and r.policy in identity]  # fmt: skip
    assert failed == []
    passed = {r.policy for r in report.results if r.status is Status.passed}
    # without an environment the boundary policy does not apply (another team's roles); both CI roles carry it
    assert identity - {"aws-iam-cross-account-external-id", "aws-iam-role-has-boundary"} <= passed
    roles = [r for r in cap.resources if r.type == "aws:iam/role:Role"]
    assert roles and all(r.property_dependencies.get("permissionsBoundary") for r in roles)


def _allowed(statements: list, action: str, region: str) -> bool:
    """Whether some Allow statement grants `action` in `region` (wildcards as IAM reads them) and no Deny hits it."""
    from fnmatch import fnmatchcase

    def hits(s: dict) -> bool:
        acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if not any(fnmatchcase(action.lower(), a.lower()) for a in acts):
            return False
        wanted = (s.get("Condition") or {}).get("StringEquals", {}).get("aws:RequestedRegion")
        return wanted is None or region in ([wanted] if isinstance(wanted, str) else wanted)

    return any(hits(s) for s in statements if s["Effect"] == "Allow") and not any(
        hits(s) for s in statements if s["Effect"] == "Deny" and "Condition" not in s)


def test_the_deploy_role_can_build_the_account_baseline_but_never_switch_it_off():
    args = ARGS.model_copy(update={"guardduty_regions": ["us-west-2"]})
    deploy = deploy_statements(args)
    for action in ("securityhub:EnableSecurityHub", "securityhub:BatchEnableStandards", "access-analyzer:CreateAnalyzer",
                   "ec2:EnableEbsEncryptionByDefault", "logs:PutMetricFilter", "cloudwatch:PutMetricAlarm",
                   "cloudtrail:PutEventSelectors", "s3:PutBucketObjectLockConfiguration"):
        assert _allowed(deploy, action, "us-east-1"), action
    # GuardDuty and its findings forwarder in the other US regions the model lists, and only those
    assert _allowed(deploy, "guardduty:CreateDetector", "us-west-2")
    assert not _allowed(deploy, "guardduty:CreateDetector", "eu-west-1")
    assert any(f"arn:aws:events:us-west-2:{ACCOUNT}:rule/caf-prod-*" in s["Resource"]
               for s in deploy if s.get("Sid") == "FindingsForwarders")
    for action in ("securityhub:DisableSecurityHub", "access-analyzer:DeleteAnalyzer", "cloudtrail:StopLogging",
                   "cloudtrail:DeleteTrail", "guardduty:DeleteDetector", "ec2:DisableEbsEncryptionByDefault"):
        assert not _allowed(deploy, action, "us-east-1"), action
    # the account-level public access block stays an administrator's change (the boundary denies it)
    denied = [s for s in protected_statements(args) if s["Sid"] == "DenyAccountPublicAccessChanges"]
    assert denied and denied[0]["Action"] == "s3:PutAccountPublicAccessBlock"
