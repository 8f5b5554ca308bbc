"""Redshift Serverless: private workgroup, KMS namespace with an AWS-managed admin password, tight SG."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.aws.redshift import Redshift, RedshiftArgs
from tests.components.aws.conftest import capture, one

KEY = "arn:aws:kms:us-east-1:000000000003:key/restricted"
SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]
NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"


def _capture(protect: bool = True, prefix_list: str | None = "pl-s3"):
    args = RedshiftArgs(name_prefix="caf-prod", vpc_cidr="10.60.0.0/16", subnet_count=3, base_capacity_rpus=16,
                        protect=protect)  # fmt: skip
    return capture(lambda: Redshift("rs", args, vpc_id="vpc-1", subnet_ids=SUBNETS, kms_key_arn=KEY,
                                    s3_prefix_list_id=prefix_list))  # fmt: skip


@pytest.fixture(scope="module")
def cap():
    return _capture()


def test_namespace_is_kms_encrypted_with_a_managed_admin_password(cap):
    namespace = one(cap, NAMESPACE)
    assert namespace.inputs["kmsKeyId"] == KEY
    assert namespace.inputs["manageAdminPassword"] is True
    assert namespace.inputs["adminPasswordSecretKmsKeyId"] == KEY
    assert "adminUserPassword" not in namespace.inputs
    assert set(namespace.inputs["logExports"]) == {"userlog", "connectionlog", "useractivitylog"}
    # pulumi-aws marks the admin user name secret in its schema; no password travels at all.
    assert namespace.secret_paths == ("adminUsername",)
    assert namespace.plaintext_secret_paths == ()


def test_namespace_is_protected_and_retained_in_prod(cap):
    namespace = one(cap, NAMESPACE)
    assert namespace.protect is True
    assert namespace.retain_on_delete is True
    dev = one(_capture(protect=False), NAMESPACE)
    assert dev.protect is False and dev.retain_on_delete is False


def test_workgroup_is_private_in_the_given_subnets_with_enhanced_routing(cap):
    workgroup = one(cap, WORKGROUP)
    assert workgroup.inputs["publiclyAccessible"] is False
    assert workgroup.inputs["enhancedVpcRouting"] is True
    assert workgroup.inputs["subnetIds"] == SUBNETS
    assert workgroup.inputs["baseCapacity"] == 16.0
    params = {p["parameterKey"]: p["parameterValue"] for p in workgroup.inputs["configParameters"]}
    assert params["require_ssl"] == "true"
    sg = one(cap, "aws:ec2/securityGroup:SecurityGroup")
    assert workgroup.property_dependencies["securityGroupIds"] == (sg.urn,)
    assert one(cap, NAMESPACE).urn in workgroup.property_dependencies["namespaceName"]


def test_security_group_admits_only_the_vpc_on_5439(cap):
    sg = one(cap, "aws:ec2/securityGroup:SecurityGroup")
    (rule,) = sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (
        5439.0,
        5439.0,
        ["10.60.0.0/16"],
    )
    for rule in sg.inputs["ingress"] + sg.inputs["egress"]:
        assert "0.0.0.0/0" not in rule.get("cidrBlocks", [])
    assert [r.get("prefixListIds") for r in sg.inputs["egress"]] == [None, ["pl-s3"]]


def test_fewer_than_three_azs_is_rejected_with_the_fix():
    with pytest.raises(ValidationError, match="at least 3 availability zones, got 2"):
        RedshiftArgs(name_prefix="caf-staging", vpc_cidr="10.40.0.0/16", subnet_count=2)


def test_capacity_bounds():
    with pytest.raises(ValidationError):
        RedshiftArgs(name_prefix="x", vpc_cidr="10.40.0.0/16", subnet_count=3, base_capacity_rpus=4)
