"""Analytics: Glue database, encrypted catalog, Athena workgroup with enforced, SSE-KMS results in the lake."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.aws.analytics import Analytics, AnalyticsArgs
from tests.components.aws.conftest import ACCOUNT, capture, one

KEY = "arn:aws:kms:us-east-1:000000000003:key/restricted"


def _args(**overrides) -> AnalyticsArgs:
    values = {
        "name_prefix": "caf-prod",
        "account_id": ACCOUNT,
        "results_bucket_name": "caf-prod-lake-curated",
    }
    return AnalyticsArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def cap():
    return capture(lambda: Analytics("analytics", _args(), results_kms_key_arn=KEY))


def test_workgroup_enforces_its_configuration_and_publishes_metrics(cap):
    workgroup = one(cap, "aws:athena/workgroup:Workgroup")
    config = workgroup.inputs["configuration"]
    assert workgroup.inputs["name"] == "caf-prod-analytics"
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["publishCloudwatchMetricsEnabled"] is True
    assert config["requesterPaysEnabled"] is False
    assert config["bytesScannedCutoffPerQuery"] == float(100 * 1024**3)
    assert workgroup.inputs["forceDestroy"] is False


def test_results_are_sse_kms_in_the_lake_and_owned_by_the_account(cap):
    results = one(cap, "aws:athena/workgroup:Workgroup").inputs["configuration"][
        "resultConfiguration"
    ]
    assert results["outputLocation"] == "s3://caf-prod-lake-curated/athena-results/"
    assert results["encryptionConfiguration"] == {"encryptionOption": "SSE_KMS", "kmsKeyArn": KEY}
    assert results["expectedBucketOwner"] == ACCOUNT


def test_glue_database_and_encrypted_catalog(cap):
    database = one(cap, "aws:glue/catalogDatabase:CatalogDatabase")
    assert database.inputs["name"] == "caf_prod_lake"
    assert database.inputs["tags"]["data-classification"] == "restricted"
    settings = one(cap, "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings")
    inner = settings.inputs["dataCatalogEncryptionSettings"]
    assert inner["encryptionAtRest"] == {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": KEY}
    assert inner["connectionPasswordEncryption"] == {
        "returnConnectionPasswordEncrypted": True,
        "awsKmsKeyId": KEY,
    }


def test_catalog_encryption_can_be_left_to_another_stack():
    cap = capture(
        lambda: Analytics(
            "analytics", _args(catalog_encryption_enabled=False), results_kms_key_arn=KEY
        )
    )
    assert cap.of_type("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings") == []


def test_results_prefix_must_be_a_folder():
    with pytest.raises(ValidationError):
        _args(results_prefix="results")
