"""pass_* and fail_* cases of the network perimeter and exports Object Lock policies (issue 11), literal wire form."""

from __future__ import annotations

import json

from tests.policies.fixtures import R, Scenario, U

BUCKET = "aws:s3/bucket:Bucket"
BPOL = "aws:s3/bucketPolicy:BucketPolicy"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
RDS = "aws:rds/instance:Instance"
NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
SELECTION = "aws:backup/selection:Selection"
PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
RESTRICTED = {"data-classification": "restricted"}
OUTSIDE = {"StringNotEqualsIfExists": {"aws:SourceVpce": ["vpce-0000000000000000a"]},
           "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
           "ForAllValues:StringNotEquals": {"aws:CalledVia": ["athena.amazonaws.com"]}}
NETWORK_FENCE = {"Sid": "DenyObjectAccessOutsideTheVpc", "Effect": "Deny", "Principal": {"AWS": "*"},
                 "Action": ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*"], "Resource": "*",
                 "Condition": OUTSIDE}
ACCOUNT_FENCE = {"Sid": "DenyPrincipalsOutsideTheAccount", "Effect": "Deny", "Principal": {"AWS": "*"},
                 "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalAccount": "000000000001"}}}
LOCKOUT = {**NETWORK_FENCE, "Sid": "DenyEverythingOutsideTheVpc", "Action": "s3:*"}
LISTING_ONLY = {**NETWORK_FENCE, "Sid": "DenyListing", "Action": ["s3:ListBucket"]}


def _restricted(name: str, *statements: dict | str) -> list[R]:
    bucket = R(name, BUCKET, {"bucket": name.replace("_", "-"), "tags": RESTRICTED})
    if not statements:
        return [bucket]
    policy = statements[0] if statements[0] is U else json.dumps({"Statement": list(statements)})
    return [bucket, R(f"policy-of-{name}", BPOL, {"bucket": name.replace("_", "-"), "policy": policy},
                      deps={"bucket": [name]})]


def _exports(name: str, retention: dict | str | None, bucket: str = "caf-prod-lake-exports") -> list[R]:
    out = [R(name, BUCKET, {"bucket": bucket, "tags": {"data-classification": "internal"}})]
    if retention is not None:
        out.append(R(f"lock-of-{name}", LOCK, {"bucket": bucket, "objectLockEnabled": "Enabled",
                                            "rule": {"defaultRetention": retention}}, deps={"bucket": [name]}))
    return out


def _backed_up(db: str, vault: str, lock: dict | None) -> list[R]:
    out = [R(f"vault-{vault}", VAULT, {"name": vault}),
           R(f"plan-{vault}", PLAN, {"name": vault, "rules": [{"ruleName": "daily", "targetVaultName": vault}]},
             deps={"rules": [f"vault-{vault}"]}),
           R(f"selection-{db}", SELECTION, {"name": db, "planId": U, "resources": [U]},
             deps={"planId": [f"plan-{vault}"], "resources": [db]})]
    if lock is not None:
        out.append(R(f"lock-{vault}", VAULT_LOCK, {"backupVaultName": vault, **lock},
                     deps={"backupVaultName": [f"vault-{vault}"]}))
    return out


SCENARIOS: list[Scenario] = [
    Scenario("aws-restricted-bucket-network-perimeter", [
        *_restricted("pass_fenced", ACCOUNT_FENCE, NETWORK_FENCE),
        *_restricted("fail_account_fence_only", ACCOUNT_FENCE),
        *_restricted("fail_listing_only", LISTING_ONLY),
        *_restricted("fail_locks_out_ci", LOCKOUT),
        *_restricted("fail_no_policy"),
        *_restricted("unk_endpoint_not_created_yet", U),
        R("internal", BUCKET, {"bucket": "internal", "tags": {"data-classification": "internal"}}),
    ], ctx={"tier": "production"}),
    Scenario("aws-restricted-bucket-network-perimeter", [
        *_restricted("pass_fenced_in_dev", ACCOUNT_FENCE, NETWORK_FENCE),
        *_restricted("switched_off_in_dev", ACCOUNT_FENCE),
        *_restricted("fail_locks_out_ci_in_dev", LOCKOUT),
    ], label="dev_judged_when_present"),
    Scenario("aws-restricted-bucket-network-perimeter", [
        R("internal", BUCKET, {"bucket": "internal", "tags": {"data-classification": "internal"}}),
    ], label="no_restricted_bucket"),
    Scenario("aws-exports-bucket-object-lock", [
        *_exports("pass_compliance", {"mode": "COMPLIANCE", "days": 30.0}),
        *_exports("fail_governance_in_prod", {"mode": "GOVERNANCE", "days": 30.0}, "caf-prod2-lake-exports"),
        *_exports("fail_unlocked", None, "caf-prod3-lake-exports"),
        *_exports("fail_no_period", {"mode": "COMPLIANCE"}, "caf-prod4-lake-exports"),
        *_exports("unk_retention", U, "caf-prod5-lake-exports"),
        R("other", BUCKET, {"bucket": "caf-prod-lake-raw"}),
    ], ctx={"tier": "production"}),
    Scenario("aws-exports-bucket-object-lock", [
        *_exports("pass_governance_in_dev", {"mode": "GOVERNANCE", "days": 30.0}, "caf-dev-lake-exports"),
        *_exports("switched_off_in_dev", None, "caf-dev2-lake-exports"),
        *_exports("fail_no_period_in_dev", {"mode": "GOVERNANCE"}, "caf-dev3-lake-exports"),
    ], label="dev_allows_governance"),
    Scenario("aws-database-backups-locked", [
        R("pass_locked_db", RDS, {"identifier": "a"}),
        *_backed_up("pass_locked_db", "locked", {"changeableForDays": 3.0, "minRetentionDays": 7.0}),
        R("fail_governance_vault_db", RDS, {"identifier": "b"}),
        *_backed_up("fail_governance_vault_db", "governance", {"minRetentionDays": 7.0}),
        R("fail_unlocked_vault_db", RDS, {"identifier": "c"}),
        *_backed_up("fail_unlocked_vault_db", "plain", None),
        R("fail_automated_backups_only", RDS, {"identifier": "d"}),
        R("namespace_judged_by_the_redshift_policy", NAMESPACE, {"namespaceName": "e"}),
    ], ctx={"tier": "production"}),
    Scenario("aws-database-backups-locked", [
        R("db", RDS, {"identifier": "a"}),
    ], label="dev_not_judged"),
    Scenario("aws-redshift-backups-locked", [
        R("pass_locked_namespace", NAMESPACE, {"namespaceName": "a"}),
        *_backed_up("pass_locked_namespace", "locked", {"changeableForDays": 3.0, "minRetentionDays": 7.0}),
        R("fail_recovery_points_only", NAMESPACE, {"namespaceName": "b"}),
        R("rds_judged_by_the_database_policy", RDS, {"identifier": "c"}),
    ], ctx={"tier": "production"}),
]
