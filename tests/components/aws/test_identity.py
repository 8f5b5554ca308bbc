"""Identity: GitHub OIDC deploy role pinned to repo+environment, scoped permissions, vendor roles, Identity Center."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from components.aws.identity import (
    AwsIdentity,
    AwsIdentityArgs,
    DeployRoleArgs,
    IdentityCenterArgs,
    VendorRoleArgs,
    deploy_statements,
)
from tests.components.aws.conftest import ACCOUNT, capture, document, named, one, statement

ROLE = "aws:iam/role:Role"
DEPLOY = DeployRoleArgs(account_id=ACCOUNT, region="us-east-1", name_prefix="caf-prod",
                        github_repository="example-org/civic-infra", environment="prod",
                        glue_database="caf_prod_lake", redshift_enabled=True, postgres_enabled=True,
                        config_recorder_enabled=True, identity_center_enabled=True)  # fmt: skip
VENDOR = VendorRoleArgs(name="analytics-firm", account_id="000000000901", external_id="caf-analytics-firm-placeholder",
                        expires=date(2027, 3, 31), read_resources=["lake-curated"])  # fmt: skip
READABLE = {"lake-raw": "caf-prod-lake-raw", "lake-curated": "caf-prod-lake-curated",
            "lake-exports": "caf-prod-lake-exports"}  # fmt: skip
CENTER = IdentityCenterArgs(instance_arn="arn:aws:sso:::instance/ssoins-0000000000000000",
                            group_ids={"it-admins": "00000000-0000-0000-0000-0000000000a1",
                                       "data-team": "00000000-0000-0000-0000-0000000000a3"})  # fmt: skip


def _args(**overrides) -> AwsIdentityArgs:
    values = {"deploy": DEPLOY, "vendors": [VENDOR], "readable_buckets": READABLE, "identity_center": CENTER,
              "analytics_workgroup": "caf-prod-analytics",
              "data_read_buckets": ["caf-prod-lake-curated", "caf-prod-lake-exports"]}  # fmt: skip
    return AwsIdentityArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def cap():
    return capture(lambda: AwsIdentity("id", _args()))


def test_github_oidc_provider_for_sts_audience(cap):
    provider = one(cap, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_deploy_role_trust_is_pinned_to_repo_and_environment(cap):
    role = named(cap, "id-github-deploy")
    assert role.inputs["name"] == "caf-prod-github-deploy"
    assert role.inputs["maxSessionDuration"] == 3600.0
    (trust,) = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    }
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/civic-infra:environment:prod",
        }
    }
    assert "*" not in json.dumps(trust["Condition"])


def test_deploy_policy_has_no_star_star_and_no_user_or_key_management(cap):
    policy = named(cap, "id-github-deploy-policy")
    assert policy.property_dependencies["role"] == (named(cap, "id-github-deploy").urn,)
    doc = document(policy)
    actions = [
        a
        for s in doc["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert "*" not in actions and "*:*" not in actions
    assert not [a for a in actions if a.endswith(":*")]
    assert not [a for a in actions if a.startswith("iam:") and ("User" in a or "AccessKey" in a)]
    assert "iam:AttachRolePolicy" not in [
        a
        for s in doc["Statement"]
        if s["Effect"] == "Allow"
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    no_self = statement(doc, "NoSelfEdit")
    assert no_self["Effect"] == "Deny"
    assert no_self["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/caf-prod-github-deploy"


def test_deploy_policy_scopes_buckets_roles_and_regions(cap):
    doc = document(named(cap, "id-github-deploy-policy"))
    assert statement(doc, "BucketConfiguration")["Resource"] == ["arn:aws:s3:::caf-prod-*"]
    assert statement(doc, "PlatformRoles")["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:role/caf-prod-*"
    ]
    assert statement(doc, "Network")["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"}
    }
    s3_actions = statement(doc, "BucketConfiguration")["Action"]
    assert "s3:GetObject" not in s3_actions and "s3:PutObject" not in s3_actions
    for stmt in doc["Statement"]:
        if (
            stmt["Resource"] == "*"
            and stmt["Effect"] == "Allow"
            and stmt["Sid"] not in ("Identify", "IdentityCenterPermissionSets")
        ):
            assert stmt.get("Condition"), stmt["Sid"]


def test_service_linked_roles_are_limited_to_the_platform_services(cap):
    doc = document(named(cap, "id-github-deploy-policy"))
    create = statement(doc, "CreateServiceLinkedRoles")
    assert create["Action"] == "iam:CreateServiceLinkedRole"
    assert "config.amazonaws.com" in create["Condition"]["StringEquals"]["iam:AWSServiceName"]
    manage = statement(doc, "ManageServiceLinkedRoles")
    assert "Condition" not in manage
    assert (
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/*" in manage["Resource"]
    )
    assert f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*" not in manage["Resource"]


def test_deploy_policy_follows_the_enabled_services():
    minimal = DeployRoleArgs(account_id=ACCOUNT, region="us-east-1", name_prefix="caf-dev",
                             github_repository="example-org/civic-infra", environment="dev")  # fmt: skip
    sids = {s["Sid"] for s in deploy_statements(minimal)}
    assert not sids & {"Analytics", "Postgres", "RedshiftServerless", "ConfigRecorder", "IdentityCenterPermissionSets",
                       "ManagedDatabaseSecrets"}  # fmt: skip
    full = {s["Sid"] for s in deploy_statements(DEPLOY)}
    assert {
        "Analytics",
        "Postgres",
        "RedshiftServerless",
        "ConfigRecorder",
        "IdentityCenterPermissionSets",
    } <= full


def test_vendor_role_requires_external_id_caps_sessions_and_records_expiry(cap):
    role = named(cap, "id-vendor-analytics-firm")
    assert role.inputs["name"] == "caf-prod-vendor-analytics-firm"
    assert role.inputs["maxSessionDuration"] == 3600.0
    assert role.inputs["tags"]["access-expires"] == "2027-03-31"
    (trust,) = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::000000000901:root"}
    assert trust["Condition"] == {
        "StringEquals": {"sts:ExternalId": "caf-analytics-firm-placeholder"},
        "DateLessThan": {"aws:CurrentTime": "2027-03-31T00:00:00Z"},
    }


def test_vendor_policy_reads_only_the_named_bucket(cap):
    doc = document(named(cap, "id-vendor-analytics-firm-read"))
    resources = json.dumps([s["Resource"] for s in doc["Statement"]])
    assert "caf-prod-lake-curated" in resources
    assert "lake-raw" not in resources and "lake-exports" not in resources
    actions = {
        a
        for s in doc["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "kms:Decrypt",
    }
    decrypt = statement(doc, "DecryptLakeCurated")
    assert (
        decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"]
        == "arn:aws:s3:::caf-prod-lake-curated"
    )


def test_unknown_vendor_resource_is_a_clear_error():
    bad = VENDOR.model_copy(update={"read_resources": ["lake-everything"]})
    with pytest.raises(
        ValidationError, match="unknown resource 'lake-everything'; use one of lake-curated"
    ):
        _args(vendors=[bad])


def test_no_iam_users_or_access_keys(cap):
    assert not [
        r for r in cap.resources if r.type in ("aws:iam/user:User", "aws:iam/accessKey:AccessKey")
    ]


def test_permission_sets_for_groups_that_work_in_aws(cap):
    sets = {
        r.inputs["tags"]["entra-group"]: r
        for r in cap.of_type("aws:ssoadmin/permissionSet:PermissionSet")
    }
    assert set(sets) == {"it-admins", "security", "data-team", "digital"}
    assert sets["it-admins"].inputs["name"] == "prod-PlatformAdmin"
    assert all(r.inputs["instanceArn"] == CENTER.instance_arn for r in sets.values())
    managed = {
        r.inputs["managedPolicyArn"]
        for r in cap.of_type("aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment")
    }
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in managed
    assignments = cap.of_type("aws:ssoadmin/accountAssignment:AccountAssignment")
    assert sorted(a.inputs["principalId"] for a in assignments) == sorted(CENTER.group_ids.values())
    assert {a.inputs["targetId"] for a in assignments} == {ACCOUNT}
    inline = one(cap, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy")
    doc = document(inline, "inlinePolicy")
    assert statement(doc, "LakeRead")["Action"] == [
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetBucketLocation",
    ]


def test_identity_center_is_optional():
    cap = capture(lambda: AwsIdentity("id", _args(identity_center=None, vendors=[])))
    assert not [r for r in cap.resources if r.type.startswith("aws:ssoadmin/")]
    assert [r.name for r in cap.of_type(ROLE)] == ["id-github-deploy"]


def test_identity_center_rejects_unknown_groups():
    with pytest.raises(ValidationError, match="unknown groups"):
        IdentityCenterArgs(instance_arn=CENTER.instance_arn, group_ids={"everyone": "x"})
