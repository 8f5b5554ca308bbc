"""Identity: vendor roles (ExternalId, expiry, CI boundary) and Identity Center permission sets."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from components.aws.identity import (
    AccountArgs,
    AwsIdentity,
    AwsIdentityArgs,
    IdentityCenterArgs,
    RestrictedReadArgs,
    VendorRoleArgs,
)
from tests.components.aws.conftest import ACCOUNT, capture, document, named, one, statement

ACCOUNT_ARGS = AccountArgs(account_id=ACCOUNT, region="us-east-1", name_prefix="caf-prod", environment="prod",
                           glue_database="caf_prod_lake",
                           boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/caf-prod-ci-boundary")  # fmt: skip

VENDOR = VendorRoleArgs(name="analytics-firm", account_id="000000000901", external_id="caf-analytics-firm-placeholder",
                        expires=date(2027, 3, 31), read_resources=["lake-curated"])  # fmt: skip
READABLE = {"lake-raw": "caf-prod-lake-raw", "lake-curated": "caf-prod-lake-curated",
            "lake-exports": "caf-prod-lake-exports"}  # fmt: skip
CENTER = IdentityCenterArgs(instance_arn="arn:aws:sso:::instance/ssoins-0000000000000000",
                            group_ids={"it-admins": "00000000-0000-0000-0000-0000000000a1",
                                       "data-team": "00000000-0000-0000-0000-0000000000a3"})  # fmt: skip


def _args(**overrides) -> AwsIdentityArgs:
    values = {"account": ACCOUNT_ARGS, "vendors": [VENDOR], "readable_buckets": READABLE, "identity_center": CENTER,
              "analytics_workgroup": "caf-prod-analytics",
              "data_read_buckets": ["caf-prod-lake-curated", "caf-prod-lake-exports"]}  # fmt: skip
    return AwsIdentityArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def cap():
    return capture(lambda: AwsIdentity("id", _args()))


def test_vendor_roles_carry_the_ci_boundary_and_no_ci_roles_live_here(cap):
    role = named(cap, "id-vendor-analytics-firm")
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/caf-prod-ci-boundary"
    assert not [r for r in cap.of_type("aws:iam/role:Role") if "ci-" in r.inputs["name"]]
    assert not cap.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")


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
    assert cap.of_type("aws:iam/role:Role") == []


def test_identity_center_rejects_unknown_groups():
    with pytest.raises(ValidationError, match="unknown groups"):
        IdentityCenterArgs(instance_arn=CENTER.instance_arn, group_ids={"everyone": "x"})


# --- restricted reads (issue 11) ------------------------------------------------------------

RESTRICTED = ["lake-raw", "lake-curated"]


def _vendor_read(vendor: VendorRoleArgs):
    cap = capture(lambda: AwsIdentity("id", _args(vendors=[vendor], restricted_resources=RESTRICTED)))
    role = named(cap, "id-vendor-analytics-firm")
    policies = [r for r in cap.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "id-vendor-analytics-firm-read"]
    return role, (document(policies[0]) if policies else None)


def test_vendor_without_a_grant_reads_no_restricted_bucket():
    vendor = VENDOR.model_copy(update={"read_resources": ["lake-curated", "lake-exports"]})
    role, doc = _vendor_read(vendor)
    resources = json.dumps([s["Resource"] for s in doc["Statement"]])
    assert "lake-exports" in resources and "lake-curated" not in resources
    assert "restricted-access-expires" not in role.inputs["tags"]


def test_vendor_reads_a_restricted_bucket_only_until_the_grant_ends():
    vendor = VENDOR.model_copy(update={
        "read_resources": ["lake-curated", "lake-exports"],
        "restricted_grants": [RestrictedReadArgs(resource="lake-curated", expires=date(2027, 2, 20)),
                              RestrictedReadArgs(resource="lake-curated", expires=date(2027, 1, 10))],
    })  # fmt: skip
    role, doc = _vendor_read(vendor)
    curated = [s for s in doc["Statement"] if "caf-prod-lake-curated" in json.dumps(s)]
    exports = [s for s in doc["Statement"] if "caf-prod-lake-exports" in json.dumps(s)]
    assert {s["Sid"] for s in curated} == {"ListLakeCurated", "ReadLakeCurated", "DecryptLakeCurated"}
    # The earliest grant ends the read; the cloud enforces it, not a redeploy.
    assert all(s["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2027-01-10T00:00:00Z"} for s in curated)
    assert "kms:ViaService" in statement(doc, "DecryptLakeCurated")["Condition"]["StringEquals"]
    assert all("DateLessThan" not in s.get("Condition", {}) for s in exports)
    assert role.inputs["tags"]["restricted-access-expires"] == "2027-01-10"


def test_vendor_with_only_restricted_resources_and_no_grant_gets_no_read_policy():
    _, doc = _vendor_read(VENDOR)
    assert doc is None


def test_a_grant_for_a_bucket_not_read_is_refused():
    vendor = VENDOR.model_copy(update={
        "restricted_grants": [RestrictedReadArgs(resource="lake-raw", expires=date(2027, 1, 10))]})
    with pytest.raises(ValidationError, match=r"restricted grants for \['lake-raw'\] not in read_resources"):
        _args(vendors=[vendor])
