"""define_aws: the whole AWS side composed from the environment model, as the prod/dev plans show it."""

from __future__ import annotations

import json

import pytest

from cli.capture import UNKNOWN
from components.aws import AwsPlatform, define_aws, exports_classification, key_classifications
from stacks.model import Classification
from tests.components.aws.conftest import (
    BUCKET,
    LOGGING,
    PAB,
    POLICY,
    SSE,
    VERSIONING,
    capture,
    document,
    one,
    statement,
    tied_to,
)

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
COMPONENTS = {"civic:aws:Keys", "civic:aws:Network", "civic:aws:DataLake", "civic:aws:Analytics", "civic:aws:Redshift",
              "civic:aws:Postgres", "civic:aws:Identity", "civic:aws:Audit", "civic:aws:Budget"}  # fmt: skip


def aws_resources(plan):
    return [r for r in plan.resources if r.type.startswith("aws:")]


def test_prod_has_every_aws_component(prod_plan):
    assert {r.type for r in prod_plan.resources} >= COMPONENTS


def test_every_bucket_in_every_plan_has_sse_and_a_full_public_access_block(
    prod_plan, staging_plan, dev_plan
):
    for plan in (prod_plan, staging_plan, dev_plan):
        buckets = plan.of_type(BUCKET)
        assert len(buckets) == 5
        for bucket in buckets:
            name = bucket.inputs["bucket"]
            (sse,) = tied_to(plan, bucket, SSE)
            by_default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
            expected = "AES256" if name.endswith("-access-logs") else "aws:kms"
            assert by_default["sseAlgorithm"] == expected, name
            (pab,) = tied_to(plan, bucket, PAB)
            assert all(pab.inputs[f] is True for f in FLAGS), name
            (versioning,) = tied_to(plan, bucket, VERSIONING)
            assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
            (policy,) = tied_to(plan, bucket, POLICY)
            assert statement(document(policy), "DenyInsecureTransport")["Effect"] == "Deny"
            assert len(tied_to(plan, bucket, LOGGING)) == (
                0 if name.endswith("-access-logs") else 1
            )


def test_kms_buckets_use_a_key_from_this_stack(prod_plan):
    keys = {r.urn for r in prod_plan.of_type("aws:kms/key:Key")}
    for sse in prod_plan.of_type(SSE):
        if (
            sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
            == "aws:kms"
        ):
            assert set(sse.property_dependencies["rules"]) & keys, sse.name


def test_every_aws_resource_uses_the_pinned_provider_and_sets_no_region(prod_plan):
    providers = {p.name: p for p in prod_plan.of_type("pulumi:providers:aws")}
    home = providers.pop("aws")
    # The baseline's per-region GuardDuty providers: every other US region, the same account.
    assert sorted(providers) == ["caf-prod-baseline-us-east-2", "caf-prod-baseline-us-west-1",
                                 "caf-prod-baseline-us-west-2"]
    for name, provider in providers.items():
        assert provider.inputs["region"] == name.removeprefix("caf-prod-baseline-")
        assert provider.inputs["allowedAccountIds"] == home.inputs["allowedAccountIds"]
    regional = {p.urn for p in providers.values()}
    for resource in aws_resources(prod_plan):
        if resource.provider in regional:
            assert resource.type.startswith(("aws:guardduty/", "aws:cloudwatch/event")), resource.name
        else:
            assert resource.provider == home.urn, resource.name
        assert "region" not in resource.inputs, resource.name


def test_no_public_ingress_and_no_iam_users_anywhere(prod_plan):
    for sg in prod_plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in sg.inputs.get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", []), sg.name
    assert not [
        r
        for r in prod_plan.resources
        if r.type in ("aws:iam/user:User", "aws:iam/accessKey:AccessKey")
    ]
    for policy in prod_plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        for stmt in document(policy)["Statement"]:
            actions = [stmt["Action"]] if isinstance(stmt["Action"], str) else stmt["Action"]
            assert "*" not in actions and "*:*" not in actions, policy.name


def test_partner_share_in_prod_is_in_the_exports_policy_and_key(prod_plan):
    exports = [
        b for b in prod_plan.of_type(BUCKET) if b.inputs["bucket"] == "caf-prod-lake-exports"
    ][0]
    (policy,) = tied_to(prod_plan, exports, POLICY)
    read = statement(document(policy), "PartnerAlliedCoalitionRead")
    assert read["Principal"] == {"AWS": "arn:aws:iam::000000000902:root"}
    assert read["Resource"] == "arn:aws:s3:::caf-prod-lake-exports/allied-coalition/*"
    assert exports.inputs["tags"]["share-expires-allied-coalition"] == "2027-05-31"
    internal_key = one(prod_plan, "aws:kms/key:Key", "caf-prod-kms-internal")
    assert statement(document(internal_key), "PartnerDecryptViaS3000000000902")
    restricted_key = one(prod_plan, "aws:kms/key:Key", "caf-prod-kms-restricted")
    assert [s["Sid"] for s in document(restricted_key)["Statement"]] == [
        "AccountRootAdministersKey"
    ]


def test_prod_identity_vendor_roles_carry_the_boundary_and_ci_roles_live_in_the_tenant_stack(prod_plan):
    assert not [r for r in prod_plan.of_type("aws:iam/role:Role") if "-ci-" in str(r.inputs.get("name"))]
    boundary = "arn:aws:iam::000000000003:policy/caf-prod-ci-boundary"
    assert {r.name: r.inputs.get("permissionsBoundary") for r in prod_plan.of_type("aws:iam/role:Role")} == {
        "caf-prod-identity-vendor-analytics-firm": boundary, "caf-prod-network-flow-logs-role": boundary,
        "caf-prod-audit-trail-logs-role": boundary, "caf-prod-baseline-findings-forwarder": boundary,
        "caf-prod-db-backups-role": boundary}
    vendor = one(prod_plan, "aws:iam/role:Role", "caf-prod-identity-vendor-analytics-firm")
    assert vendor.inputs["tags"]["access-expires"] == "2027-03-31"
    assert len(prod_plan.of_type("aws:ssoadmin/permissionSet:PermissionSet")) == 4


def test_prod_databases_follow_the_protection_settings(prod_plan, prod_env):
    rds = one(prod_plan, "aws:rds/instance:Instance").inputs
    assert rds["backupRetentionPeriod"] == float(prod_env.protection.backup_retention_days) == 30.0
    assert rds["instanceClass"] == "db.r6g.large" and rds["multiAz"] is True
    workgroup = one(prod_plan, "aws:redshiftserverless/workgroup:Workgroup")
    assert workgroup.inputs["baseCapacity"] == 16.0
    assert len(workgroup.inputs["subnetIds"]) == 3


def test_prod_audit_and_budget(prod_plan):
    trail = one(prod_plan, "aws:cloudtrail/trail:Trail")
    assert trail.inputs["isMultiRegionTrail"] is True
    assert one(prod_plan, "aws:cfg/recorder:Recorder")
    alerts = one(prod_plan, "aws:sns/topicSubscription:TopicSubscription")
    assert alerts.inputs["endpoint"] == "security@example.org"
    notifications = one(prod_plan, "aws:budgets/budget:Budget").inputs["notifications"]
    assert notifications[0]["subscriberEmailAddresses"] == [
        "it-platform@example.org", "security@example.org", "finance@example.org",
    ]  # fmt: skip


def test_dev_is_the_cheap_subset(dev_plan):
    types = {r.type for r in dev_plan.resources}
    assert "civic:aws:Redshift" not in types
    assert (
        not {
            "aws:ec2/natGateway:NatGateway",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/eip:Eip",
        }
        & types
    )
    assert "aws:cfg/recorder:Recorder" not in types
    assert not [r for r in dev_plan.resources if r.type.startswith("aws:ssoadmin/")]
    rds = one(dev_plan, "aws:rds/instance:Instance").inputs
    assert rds["deletionProtection"] is False and rds["skipFinalSnapshot"] is True
    assert rds["publiclyAccessible"] is False and rds["storageEncrypted"] is True


def test_staging_single_nat_and_three_azs_for_redshift(staging_plan):
    assert len(staging_plan.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert (
        len(one(staging_plan, "aws:redshiftserverless/workgroup:Workgroup").inputs["subnetIds"])
        == 3
    )


def test_key_and_exports_classifications(prod_env, dev_env):
    assert key_classifications(prod_env) == [
        Classification.public,
        Classification.internal,
        Classification.restricted,
    ]
    assert key_classifications(dev_env) == [Classification.internal, Classification.restricted]
    assert exports_classification(prod_env) is Classification.internal


@pytest.fixture(scope="module")
def returned(prod_env):
    from components.platform import _providers

    out: list[AwsPlatform] = []

    def program() -> None:
        import pulumi

        platform = define_aws(prod_env, _providers(prod_env))
        out.append(platform)
        pulumi.export("vpc_id", platform.vpc_id)
        pulumi.export("route_tables", platform.private_route_table_ids)

    cap = capture(program)
    return out[0], cap


def test_aws_platform_exposes_what_the_azure_vpn_and_others_read(returned, prod_env):
    platform, cap = returned
    assert platform.vpc_cidr == prod_env.network.aws_vpc_cidr
    assert len(platform.private_subnet_ids) == len(platform.private_route_table_ids) == 3
    assert set(platform.kms_key_arns) == {"public", "internal", "restricted", "logs"}
    assert platform.bucket_names == {
        "lake-raw": "caf-prod-lake-raw", "lake-curated": "caf-prod-lake-curated",
        "lake-exports": "caf-prod-lake-exports", "access-logs": "caf-prod-access-logs",
        "cloudtrail": "caf-prod-cloudtrail",
    }  # fmt: skip
    assert platform.deploy_role_arn == "arn:aws:iam::000000000003:role/caf-prod-ci-deploy"
    assert platform.vendor_role_arns == {
        "analytics-firm": "arn:aws:iam::000000000003:role/caf-prod-vendor-analytics-firm"
    }
    assert json.dumps(platform.region) == '"us-east-1"' and UNKNOWN not in platform.deploy_role_arn
