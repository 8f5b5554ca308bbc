"""SecureBucket: every protection exists as its own v7 resource, tied to the bucket by propertyDependencies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.aws.bucket import (
    AccessLogBucketArgs,
    SecureBucket,
    SecureBucketArgs,
    access_log_bucket,
)
from stacks.model import Classification
from tests.components.aws.conftest import (
    ACCOUNT,
    BUCKET,
    LIFECYCLE,
    LOGGING,
    OWNERSHIP,
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

KEY = "arn:aws:kms:us-east-1:000000000003:key/restricted"
VPCE = ["vpce-0000000000000000a"]
EXTRA = {"Sid": "Extra", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000902:root"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::caf-test-data/x/*"}  # fmt: skip


def _args(**overrides) -> SecureBucketArgs:
    values = {"bucket_name": "caf-test-data", "classification": Classification.restricted,
              "noncurrent_version_days": 45, "expiration_days": 1825, "protect": True,
              "account_id": "000000000003"}  # fmt: skip
    return SecureBucketArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def cap():
    return capture(
        lambda: SecureBucket(
            "data",
            _args(),
            kms_key_arn=KEY,
            access_log_bucket="caf-test-access-logs",
            policy_statements=[EXTRA],
            vpc_endpoint_ids=VPCE,
        )
    )


@pytest.fixture(scope="module")
def bucket(cap):
    return one(cap, BUCKET)


def test_bucket_is_named_tagged_protected_and_never_force_destroyed(bucket):
    assert bucket.inputs["bucket"] == "caf-test-data"
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"]["data-classification"] == "restricted"
    assert bucket.protect is True


def test_encryption_is_sse_kms_with_the_given_key_and_bucket_keys(cap, bucket):
    (sse,) = tied_to(cap, bucket, SSE)
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY,
    }
    assert rule["bucketKeyEnabled"] is True


def test_public_access_block_sets_all_four_flags(cap, bucket):
    (pab,) = tied_to(cap, bucket, PAB)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {f: pab.inputs[f] for f in flags} == dict.fromkeys(flags, True)


def test_versioning_ownership_logging_lifecycle(cap, bucket):
    (versioning,) = tied_to(cap, bucket, VERSIONING)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    (ownership,) = tied_to(cap, bucket, OWNERSHIP)
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (logging,) = tied_to(cap, bucket, LOGGING)
    assert logging.inputs["targetBucket"] == "caf-test-access-logs"
    assert logging.inputs["targetPrefix"] == "caf-test-data/"
    (lifecycle,) = tied_to(cap, bucket, LIFECYCLE)
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert rules["noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 45.0}
    assert rules["noncurrent-versions"]["abortIncompleteMultipartUpload"] == {
        "daysAfterInitiation": 7.0
    }
    assert rules["retention"]["expiration"] == {"days": 1825.0}
    assert all(r["status"] == "Enabled" for r in rules.values())
    assert versioning.urn in lifecycle.dependencies


def test_one_policy_holds_the_tls_deny_and_the_extra_statements(cap, bucket):
    (policy,) = tied_to(cap, bucket, POLICY)
    doc = document(policy)
    deny = statement(doc, "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == ["arn:aws:s3:::caf-test-data", "arn:aws:s3:::caf-test-data/*"]
    assert statement(doc, "Extra") == EXTRA
    (pab,) = tied_to(cap, bucket, PAB)
    assert pab.urn in policy.dependencies


def test_unprotected_when_asked():
    cap = capture(
        lambda: SecureBucket(
            "data", _args(protect=False), kms_key_arn=KEY, access_log_bucket="logs", vpc_endpoint_ids=VPCE
        )
    )
    assert one(cap, BUCKET).protect is False


def test_restricted_data_cannot_use_sse_s3():
    with pytest.raises(ValidationError, match="must use encryption aws:kms, got AES256"):
        _args(encryption="AES256")


def test_invalid_bucket_names_are_rejected():
    for bad in ("Caf-Data", "ab", "x" * 64, "caf--data", "-caf"):
        with pytest.raises(ValidationError, match="bucket name must be"):
            _args(bucket_name=bad)


def test_missing_key_or_log_target_is_a_clear_error():
    with pytest.raises(Exception, match="needs kms_key_arn"):
        capture(lambda: SecureBucket("data", _args(), access_log_bucket="logs"))
    with pytest.raises(Exception, match="needs access_log_bucket"):
        capture(lambda: SecureBucket("data", _args(), kms_key_arn=KEY))


@pytest.fixture(scope="module")
def log_cap():
    args = AccessLogBucketArgs(bucket_name="caf-test-access-logs", account_id=ACCOUNT, source_prefix="caf-test",
                               retention_days=90)  # fmt: skip
    return capture(lambda: access_log_bucket("logs", args))


def test_access_log_bucket_uses_sse_s3_and_logs_nowhere(log_cap):
    bucket = one(log_cap, BUCKET)
    (sse,) = tied_to(log_cap, bucket, SSE)
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }
    assert tied_to(log_cap, bucket, LOGGING) == []
    (pab,) = tied_to(log_cap, bucket, PAB)
    assert all(pab.inputs[f] for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                       "restrictPublicBuckets"))  # fmt: skip
    (lifecycle,) = tied_to(log_cap, bucket, LIFECYCLE)
    assert {r["id"]: r for r in lifecycle.inputs["rules"]}["retention"]["expiration"] == {
        "days": 90.0
    }


def test_access_log_bucket_admits_only_s3_logging_for_this_account_and_prefix(log_cap):
    (policy,) = log_cap.of_type(POLICY)
    delivery = statement(document(policy), "S3ServerAccessLogsDelivery")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::caf-test-*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert statement(document(policy), "DenyInsecureTransport")["Effect"] == "Deny"


def test_restricted_bucket_denies_principals_outside_its_account_and_needs_the_account():
    with pytest.raises(ValueError, match="needs account_id for its perimeter"):
        _args(account_id=None)
    cap = capture(lambda: SecureBucket("data", _args(), kms_key_arn=KEY, access_log_bucket="caf-test-logs",
                                       vpc_endpoint_ids=VPCE))
    (policy,) = cap.of_type(POLICY)
    fence = statement(document(policy), "DenyPrincipalsOutsideTheAccount")
    assert fence["Effect"] == "Deny" and fence["Resource"] == ["arn:aws:s3:::caf-test-data", "arn:aws:s3:::caf-test-data/*"]
    assert fence["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalAccount": "000000000003"}
    internal = capture(lambda: SecureBucket("data", _args(classification=Classification.internal, account_id=None),
                                            kms_key_arn=KEY, access_log_bucket="caf-test-logs"))
    (policy,) = internal.of_type(POLICY)
    assert "DenyPrincipalsOutsideTheAccount" not in policy.inputs["policy"]


def test_restricted_bucket_needs_the_vpc_endpoint_for_its_network_perimeter():
    with pytest.raises(Exception, match="needs vpc_endpoint_ids for its network perimeter"):
        capture(lambda: SecureBucket("data", _args(), kms_key_arn=KEY, access_log_bucket="logs"))
    off = capture(lambda: SecureBucket("data", _args(network_perimeter_enabled=False), kms_key_arn=KEY,
                                       access_log_bucket="logs"))
    (policy,) = off.of_type(POLICY)
    assert "OutsideTheVpc" not in policy.inputs["policy"]
    internal = capture(lambda: SecureBucket("data", _args(classification=Classification.internal, account_id=None),
                                            kms_key_arn=KEY, access_log_bucket="logs", vpc_endpoint_ids=VPCE))
    (policy,) = internal.of_type(POLICY)
    assert "OutsideTheVpc" not in policy.inputs["policy"]


def test_network_perimeter_denies_object_data_outside_the_endpoint_with_dated_exceptions():
    from datetime import date

    from components.aws.bucket import PerimeterException, network_perimeter_statements
    from policies.aws.iam_data import covered

    vendor = PerimeterException(principal_arn="arn:aws:iam::000000000003:role/caf-test-vendor-acme",
                                expires=date(2027, 1, 15))
    ci = ["arn:aws:iam::000000000003:role/caf-test-ci-deploy"]
    objects, listing, ends = network_perimeter_statements(_args(), ["vpce-b", "vpce-a"], [vendor], ci)
    assert objects["Condition"]["StringNotEqualsIfExists"] == {"aws:SourceVpce": ["vpce-a", "vpce-b"]}
    assert objects["Condition"]["ArnNotLikeIfExists"] == {"aws:PrincipalArn": [vendor.principal_arn]}
    assert listing["Condition"]["ArnNotLikeIfExists"] == {"aws:PrincipalArn": [ci[0], vendor.principal_arn]}
    # object data only: configuration stays manageable from outside the VPC
    assert covered(objects["Action"], ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObjectVersion",
                                       "s3:PutObjectAcl"]) == ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
                                                               "s3:DeleteObjectVersion", "s3:PutObjectAcl"]
    assert covered([*objects["Action"], *listing["Action"]],
                   ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketObjectLockConfiguration",
                    "s3:PutEncryptionConfiguration", "s3:PutBucketVersioning", "s3:GetBucketTagging"]) == []
    assert ends["Sid"] == "DenyAfterExpiryCafTestVendorAcme"
    assert ends["Condition"]["DateGreaterThanEquals"] == {"aws:CurrentTime": "2027-01-15T00:00:00Z"}
