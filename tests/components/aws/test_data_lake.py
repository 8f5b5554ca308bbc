"""Data lake: four buckets, each with every protection as a separate resource, keyed by classification."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.aws.data_lake import DataLake, DataLakeArgs
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
    statement,
    tied_to,
)

KEYS = {
    "restricted": "arn:aws:kms:us-east-1:000000000003:key/r",
    "internal": "arn:aws:kms:us-east-1:000000000003:key/i",
}
PARTNER_STATEMENT = {"Sid": "PartnerX", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000902:root"},
                     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::caf-prod-lake-exports/x/*"}  # fmt: skip
VPCE = ["vpce-0000000000000000a"]
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _args(**overrides) -> DataLakeArgs:
    values = {"name_prefix": "caf-prod", "account_id": ACCOUNT, "noncurrent_version_days": 30,
              "access_log_retention_days": 365}  # fmt: skip
    return DataLakeArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def cap():
    return capture(
        lambda: DataLake(
            "lake", _args(), kms_key_arns=KEYS,
            extra_statements={"lake-exports": [PARTNER_STATEMENT]},
            extra_tags={"lake-exports": {"share-expires-x": "2027-05-31"}}, vpc_endpoint_ids=VPCE,
        )
    )  # fmt: skip


@pytest.fixture(scope="module")
def buckets(cap):
    return {b.inputs["bucket"]: b for b in cap.of_type(BUCKET)}


def test_four_buckets_named_org_env_role(buckets):
    assert set(buckets) == {"caf-prod-lake-raw", "caf-prod-lake-curated", "caf-prod-lake-exports",
                            "caf-prod-access-logs"}  # fmt: skip


def test_every_bucket_has_encryption_and_a_full_public_access_block(cap, buckets):
    for name, bucket in buckets.items():
        (sse,) = tied_to(cap, bucket, SSE)
        assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in (
            "aws:kms",
            "AES256",
        )
        (pab,) = tied_to(cap, bucket, PAB)
        assert all(pab.inputs[f] is True for f in FLAGS), name


def test_every_bucket_is_versioned_owner_enforced_and_has_lifecycle_and_one_tls_policy(
    cap, buckets
):
    for name, bucket in buckets.items():
        (versioning,) = tied_to(cap, bucket, VERSIONING)
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled", name
        (ownership,) = tied_to(cap, bucket, OWNERSHIP)
        assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
        (lifecycle,) = tied_to(cap, bucket, LIFECYCLE)
        rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
        assert rules["noncurrent-versions"]["noncurrentVersionExpiration"] == {
            "noncurrentDays": 30.0
        }
        (policy,) = tied_to(cap, bucket, POLICY)
        assert statement(document(policy), "DenyInsecureTransport")["Condition"] == {
            "Bool": {"aws:SecureTransport": "false"}
        }


def test_data_buckets_use_their_classification_key_and_retention(cap, buckets):
    expected = {
        "caf-prod-lake-raw": (KEYS["restricted"], 1825.0, "restricted"),
        "caf-prod-lake-curated": (KEYS["restricted"], 1825.0, "restricted"),
        "caf-prod-lake-exports": (KEYS["internal"], 730.0, "internal"),
    }
    for name, (key, days, classification) in expected.items():
        bucket = buckets[name]
        (sse,) = tied_to(cap, bucket, SSE)
        assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms",
                                                                              "kmsMasterKeyId": key}  # fmt: skip
        (lifecycle,) = tied_to(cap, bucket, LIFECYCLE)
        assert {r["id"]: r for r in lifecycle.inputs["rules"]}["retention"]["expiration"] == {
            "days": days
        }
        assert bucket.inputs["tags"]["data-classification"] == classification


def test_data_buckets_log_to_the_access_log_bucket_which_logs_nowhere(cap, buckets):
    log_bucket = buckets["caf-prod-access-logs"]
    for name in ("caf-prod-lake-raw", "caf-prod-lake-curated", "caf-prod-lake-exports"):
        (logging,) = tied_to(cap, buckets[name], LOGGING)
        assert log_bucket.urn in logging.property_dependencies["targetBucket"]
        assert logging.inputs["targetPrefix"] == f"{name}/"
    assert tied_to(cap, log_bucket, LOGGING) == []
    (sse,) = tied_to(cap, log_bucket, SSE)
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }


def test_partner_statements_and_tags_only_on_exports(cap, buckets):
    (exports_policy,) = tied_to(cap, buckets["caf-prod-lake-exports"], POLICY)
    assert statement(document(exports_policy), "PartnerX") == PARTNER_STATEMENT
    assert buckets["caf-prod-lake-exports"].inputs["tags"]["share-expires-x"] == "2027-05-31"
    for name in ("caf-prod-lake-raw", "caf-prod-lake-curated"):
        (policy,) = tied_to(cap, buckets[name], POLICY)
        assert [s["Sid"] for s in document(policy)["Statement"]] == [
            "DenyInsecureTransport", "DenyPrincipalsOutsideTheAccount", "DenyObjectAccessOutsideTheVpc",
            "DenyListingOutsideTheVpc"]
        assert "share-expires-x" not in buckets[name].inputs["tags"]


def test_every_bucket_is_protected(buckets):
    assert all(b.protect for b in buckets.values())


def test_exports_can_never_be_restricted():
    with pytest.raises(ValidationError, match="exports are shared, got restricted"):
        _args(exports_classification=Classification.restricted)


def test_missing_key_is_a_clear_error():
    with pytest.raises(Exception, match="no KMS key for classification internal"):
        capture(lambda: DataLake("lake", _args(), kms_key_arns={"restricted": KEYS["restricted"]}, vpc_endpoint_ids=VPCE))


def test_unknown_bucket_role_for_extra_statements_is_rejected():
    with pytest.raises(Exception, match="unknown lake buckets"):
        capture(
            lambda: DataLake("lake", _args(), kms_key_arns=KEYS, extra_statements={"exports": []})
        )


def test_overlong_prefix_is_rejected():
    with pytest.raises(ValidationError, match="bucket name must be"):
        _args(name_prefix="x" * 60)


def test_restricted_buckets_deny_principals_outside_the_account_and_exports_do_not():
    import json as _json

    from components.aws.data_lake import DataLake, DataLakeArgs
    from tests.components.aws.conftest import ACCOUNT, BUCKET, POLICY, capture, tied_to

    keys = {c: f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{c}" for c in ("public", "internal", "restricted")}
    cap = capture(lambda: DataLake("lake", DataLakeArgs(name_prefix="caf-prod", account_id=ACCOUNT), kms_key_arns=keys,
                                   vpc_endpoint_ids=VPCE))
    for bucket in cap.of_type(BUCKET):
        (policy,) = tied_to(cap, bucket, POLICY)
        sids = {s["Sid"]: s for s in _json.loads(policy.inputs["policy"])["Statement"]}
        name = bucket.inputs["bucket"]
        if name in ("caf-prod-lake-raw", "caf-prod-lake-curated"):
            fence = sids["DenyPrincipalsOutsideTheAccount"]
            assert fence["Effect"] == "Deny" and fence["Action"] == "s3:*"
            assert fence["Condition"] == {"StringNotEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT},
                                          "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
        else:
            # exports are shared with partners; the access-log bucket receives S3's log delivery
            assert "DenyPrincipalsOutsideTheAccount" not in sids, name


def test_exports_are_object_locked_by_default_and_the_lock_fits_their_retention(cap, buckets):
    from tests.components.aws.conftest import one

    lock = one(cap, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert buckets["caf-prod-lake-exports"].urn in lock.property_dependencies["bucket"]
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 30.0}}
    assert "objectLockEnabled" not in buckets["caf-prod-lake-exports"].inputs  # turned on in place, no replacement
    with pytest.raises(ValidationError, match=r"exports_object_lock_days \(800\) is longer than the exports' retention"):
        _args(exports_object_lock_days=800)
    assert _args(exports_object_lock_mode=None, exports_object_lock_days=800).exports_object_lock_mode is None
