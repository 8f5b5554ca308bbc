"""RDS PostgreSQL: private, encrypted, TLS forced, IAM auth, managed password, backups and final snapshot."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.aws.postgres import Postgres, PostgresArgs
from tests.components.aws.conftest import capture, one

KEY = "arn:aws:kms:us-east-1:000000000003:key/restricted"
INSTANCE = "aws:rds/instance:Instance"


def _capture(**overrides):
    values = {"identifier": "caf-prod-postgres", "vpc_cidr": "10.60.0.0/16", "instance_class": "db.r6g.large",
              "allocated_storage_gb": 100, "multi_az": True, "backup_retention_days": 30}  # fmt: skip
    args = PostgresArgs(**{**values, **overrides})
    return capture(
        lambda: Postgres(
            "pg", args, vpc_id="vpc-1", subnet_ids=["subnet-a", "subnet-b"], kms_key_arn=KEY
        )
    )


@pytest.fixture(scope="module")
def cap():
    return _capture()


def test_instance_is_private_encrypted_and_iam_authenticated(cap):
    inputs = one(cap, INSTANCE).inputs
    assert inputs["publiclyAccessible"] is False
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == KEY
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["engine"] == "postgres"
    assert inputs["multiAz"] is True


def test_master_password_is_managed_by_secrets_manager_never_an_input(cap):
    instance = one(cap, INSTANCE)
    assert instance.inputs["manageMasterUserPassword"] is True
    assert instance.inputs["masterUserSecretKmsKeyId"] == KEY
    assert "password" not in instance.inputs and "passwordWo" not in instance.inputs
    assert instance.plaintext_secret_paths == ()


def test_backups_deletion_protection_and_final_snapshot(cap):
    instance = one(cap, INSTANCE)
    inputs = instance.inputs
    assert inputs["backupRetentionPeriod"] == 30.0
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert inputs["finalSnapshotIdentifier"] == "caf-prod-postgres-final"
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["deleteAutomatedBackups"] is False
    assert instance.protect is True


def test_dev_skips_the_final_snapshot_only_when_told():
    inputs = one(
        _capture(deletion_protection=False, final_snapshot_enabled=False, backup_retention_days=7),
        INSTANCE,
    ).inputs
    assert inputs["deletionProtection"] is False
    assert inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in inputs


def test_parameter_group_forces_tls(cap):
    group = one(cap, "aws:rds/parameterGroup:ParameterGroup")
    assert group.inputs["family"] == "postgres16"
    params = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert params["rds.force_ssl"] == "1"
    assert group.urn in one(cap, INSTANCE).property_dependencies["parameterGroupName"]


def test_subnet_group_and_security_group_are_private(cap):
    instance = one(cap, INSTANCE)
    subnets = one(cap, "aws:rds/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    assert subnets.urn in instance.property_dependencies["dbSubnetGroupName"]
    sg = one(cap, "aws:ec2/securityGroup:SecurityGroup")
    (rule,) = sg.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (
        "tcp",
        5432.0,
        5432.0,
        ["10.60.0.0/16"],
    )
    assert instance.property_dependencies["vpcSecurityGroupIds"] == (sg.urn,)


def test_backup_retention_below_seven_days_is_rejected():
    with pytest.raises(ValidationError):
        PostgresArgs(identifier="x", vpc_cidr="10.0.0.0/16", backup_retention_days=3)


def test_a_single_subnet_is_rejected():
    args = PostgresArgs(identifier="x", vpc_cidr="10.0.0.0/16")
    with pytest.raises(Exception, match="needs subnets in 2 availability zones, got 1"):
        capture(lambda: Postgres("pg", args, vpc_id="v", subnet_ids=["s"], kms_key_arn=KEY))
