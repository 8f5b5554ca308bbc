"""In the prod plan every stateful AWS resource is protected (`protect=True`).

Stateful means deleting it loses data or the ability to read data: every S3 bucket (the
lake, the access logs, the CloudTrail bucket), every KMS key (deleting a key makes what it
encrypted unreadable), the RDS instance and the Redshift Serverless namespace. The test
reads the whole prod plan, so a new component that forgets `protect=args.protect` fails here.
"""

from __future__ import annotations

STATEFUL_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:rds/instance:Instance",
        "aws:redshiftserverless/namespace:Namespace",
    }
)


def test_prod_plan_has_every_stateful_type(prod_plan):
    """Guards the next test: it would pass vacuously if a type disappeared from the plan."""
    assert {r.type for r in prod_plan.resources} >= STATEFUL_TYPES


def test_every_stateful_aws_resource_in_prod_is_protected(prod_plan):
    unprotected = [
        r.name for r in prod_plan.resources if r.type in STATEFUL_TYPES and not r.protect
    ]
    assert unprotected == []


def test_the_trail_bucket_and_every_lake_bucket_are_among_them(prod_plan):
    buckets = {r.inputs["bucket"]: r.protect for r in prod_plan.of_type("aws:s3/bucket:Bucket")}
    assert buckets == {
        "caf-prod-lake-raw": True,
        "caf-prod-lake-curated": True,
        "caf-prod-lake-exports": True,
        "caf-prod-access-logs": True,
        "caf-prod-cloudtrail": True,
    }


def test_databases_also_refuse_deletion_in_aws_and_keep_a_final_copy(prod_plan):
    (instance,) = prod_plan.of_type("aws:rds/instance:Instance")
    assert instance.inputs["deletionProtection"] is True
    assert instance.inputs["skipFinalSnapshot"] is False
    assert instance.inputs["finalSnapshotIdentifier"] == "caf-prod-postgres-final"
    (namespace,) = prod_plan.of_type("aws:redshiftserverless/namespace:Namespace")
    assert namespace.retain_on_delete is True


def test_protection_follows_the_config_not_the_name(dev_plan, dev_env):
    """Dev sets protection.deletion_protection: false, so nothing there is protected."""
    assert dev_env.protection.deletion_protection is False
    stateful = [r for r in dev_plan.resources if r.type in STATEFUL_TYPES]
    assert stateful and not [r.name for r in stateful if r.protect]
