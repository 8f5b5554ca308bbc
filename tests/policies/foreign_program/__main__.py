"""Another team's program: compliant resources named good-*, misconfigured ones bad-*.

Written the way other teams write Pulumi: inline S3 settings (pulumi-aws v6 style), a
four-level classification, Azure SQL, and a Lambda that reads its secret from Secrets Manager
(good) or holds it in an environment variable (bad). Placeholders only; nothing here is real.
"""

import json

import pulumi_aws as aws
import pulumi_azure_native as azure_native

OWN = "000000000001"
VENDOR = "000000000901"


def tls_only(name: str) -> str:
    arns = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": arns,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def tags(level: str) -> dict:
    return {"owner": "data-team@example.org", "environment": "team", "cost-center": "operations",
            "data-classification": level}


key = aws.kms.Key("good-key", enable_key_rotation=True, tags=tags("internal"))
logs = aws.s3.Bucket(
    "good-logs", bucket="advocacy-team-logs", tags=tags("internal"),
    server_side_encryption_configuration={"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}},
    versioning={"enabled": True},
    policy=tls_only("advocacy-team-logs"),  # inline, the v6 way
)
aws.s3.BucketPublicAccessBlock(
    "good-logs-pab", bucket=logs.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
    restrict_public_buckets=True,
)


def lake_bucket(name: str, *, algorithm: str, level: str, block_policy: bool = True) -> aws.s3.Bucket:
    rule = {"sse_algorithm": algorithm}
    if algorithm == "aws:kms":
        rule["kms_master_key_id"] = key.arn
    bucket = aws.s3.Bucket(
        name,
        bucket=f"advocacy-team-{name}",
        server_side_encryption_configuration={"rule": {"apply_server_side_encryption_by_default": rule}},
        versioning={"enabled": True},
        logging={"target_bucket": logs.id, "target_prefix": f"{name}/"},
        tags=tags(level),
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-pab", bucket=bucket.id, block_public_acls=True, block_public_policy=block_policy,
        ignore_public_acls=True, restrict_public_buckets=True,
    )
    aws.s3.BucketPolicy(f"{name}-tls", bucket=bucket.id, policy=tls_only(f"advocacy-team-{name}"))
    return bucket


lake_bucket("good-donors", algorithm="aws:kms", level="confidential")
lake_bucket("bad-volunteers", algorithm="AES256", level="confidential", block_policy=False)

role = aws.iam.Role(
    "good-fn-role",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    tags=tags("internal"),
)
aws.iam.Role(
    "good-own-account-role",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": "sts:AssumeRole"}]}),
    tags=tags("internal"),
)
aws.iam.Role(
    "bad-vendor-role",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "sts:AssumeRole"}]}),
    tags=tags("internal"),
)
aws.lambda_.Function(
    "good-fn", package_type="Image", image_uri=f"{OWN}.dkr.ecr.us-east-1.amazonaws.com/sync:1", role=role.arn,
    environment={"variables": {"DB_SECRET_ARN": f"arn:aws:secretsmanager:us-east-1:{OWN}:secret:db", "LOG_LEVEL": "info"}},
    tags=tags("internal"),
)
aws.lambda_.Function(
    "bad-fn", package_type="Image", image_uri=f"{OWN}.dkr.ecr.us-east-1.amazonaws.com/sync:1", role=role.arn,
    environment={"variables": {"DB_PASSWORD": "placeholder-not-a-password", "LOG_LEVEL": "info"}},
    tags=tags("internal"),
)

group = azure_native.resources.ResourceGroup("good-rg", location="eastus2", tags=tags("internal"))
good_sql = azure_native.sql.Server(
    "good-sql", resource_group_name=group.name, location="eastus2", public_network_access="Disabled",
    minimal_tls_version="1.2", tags=tags("confidential"),
    administrators={"azure_ad_only_authentication": True, "login": "sql-admins", "principal_type": "Group",
                    "sid": "00000000-0000-0000-0000-000000000000", "administrator_type": "ActiveDirectory"},
)
azure_native.sql.ServerBlobAuditingPolicy(
    "good-sql-audit", resource_group_name=group.name, server_name=good_sql.name, state="Enabled",
    is_azure_monitor_target_enabled=True,
)
bad_sql = azure_native.sql.Server(
    "bad-sql", resource_group_name=group.name, location="eastus2", public_network_access="Enabled",
    minimal_tls_version="1.0", administrator_login="sqladmin", tags=tags("confidential"),
)
azure_native.sql.FirewallRule(
    "bad-sql-firewall", resource_group_name=group.name, server_name=bad_sql.name,
    start_ip_address="0.0.0.0", end_ip_address="255.255.255.255",
)
