"""KMS: a rotating key per classification plus a logs key; root-only policies with conditioned service grants."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from components.aws.kms import ExternalDecrypt, Keys, KeysArgs
from stacks.model import Classification
from tests.components.aws.conftest import ACCOUNT, capture, document, statement

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
PARTNER = ExternalDecrypt(account_id="000000000902", classification=Classification.internal,
                          bucket_name="caf-prod-lake-exports", expires=date(2027, 5, 31))  # fmt: skip


def _args(**overrides) -> KeysArgs:
    values = {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "alias_prefix": "caf-prod",
        "classifications": [
            Classification.restricted,
            Classification.internal,
            Classification.restricted,
        ],
    }
    return KeysArgs(**{**values, **overrides})  # fmt: skip


@pytest.fixture(scope="module")
def cap():
    return capture(
        lambda: Keys("kms", _args(external_decrypt=[PARTNER], config_delivery_enabled=True))
    )


def keys(cap):
    return {r.name.removeprefix("kms-"): r for r in cap.of_type(KEY)}


def test_one_key_per_classification_plus_logs(cap):
    assert set(keys(cap)) == {"restricted", "internal", "logs"}
    assert sorted(a.inputs["name"] for a in cap.of_type(ALIAS)) == [
        "alias/caf-prod-internal", "alias/caf-prod-logs", "alias/caf-prod-restricted",
    ]  # fmt: skip


def test_every_key_rotates_waits_30_days_and_is_protected(cap):
    for key in keys(cap).values():
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30.0
        assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
        assert key.protect is True
    assert keys(cap)["restricted"].inputs["tags"]["data-classification"] == "restricted"


def test_no_key_policy_allows_a_wildcard_principal(cap):
    for key in keys(cap).values():
        doc = document(key)
        admin = statement(doc, "AccountRootAdministersKey")
        assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        for stmt in doc["Statement"]:
            assert stmt["Principal"] not in ("*", {"AWS": "*"})
            if (
                "Service" in stmt["Principal"]
                or stmt["Principal"]["AWS"] != admin["Principal"]["AWS"]
            ):
                assert stmt.get("Condition"), stmt["Sid"]


def test_logs_key_admits_cloudwatch_cloudtrail_and_config_for_this_account(cap):
    doc = document(keys(cap)["logs"])
    logs = statement(doc, "CloudWatchLogsEncrypt")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"] == {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"
    }
    trail = statement(doc, "CloudTrailEncrypt")
    assert trail["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement(doc, "ConfigDeliveryEncrypt")["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}
    }


def test_partner_decrypt_is_s3_only_bucket_only_and_expires(cap):
    doc = document(keys(cap)["internal"])
    grant = statement(doc, "PartnerDecryptViaS3000000000902")
    assert grant["Principal"] == {"AWS": "arn:aws:iam::000000000902:root"}
    assert grant["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert grant["Condition"] == {
        "StringEquals": {
            "kms:ViaService": "s3.us-east-1.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::caf-prod-lake-exports",
        },
        "DateLessThan": {"aws:CurrentTime": "2027-05-31T00:00:00Z"},
    }
    assert [s["Sid"] for s in document(keys(cap)["restricted"])["Statement"]] == [
        "AccountRootAdministersKey"
    ]


def test_config_and_eventbridge_grants_only_when_asked():
    cap = capture(lambda: Keys("kms", _args()))
    sids = [s["Sid"] for s in document(keys(cap)["logs"])["Statement"]]
    assert "ConfigDeliveryEncrypt" not in sids and "EventBridgePublishEncrypted" not in sids
    cap = capture(lambda: Keys("kms", _args(security_alerts_enabled=True)))
    events = statement(document(keys(cap)["logs"]), "EventBridgePublishEncrypted")
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_restricted_key_is_never_shared():
    with pytest.raises(ValidationError, match="may not use the restricted key"):
        _args(
            external_decrypt=[
                PARTNER.model_copy(update={"classification": Classification.restricted})
            ]
        )


def test_deletion_window_is_bounded():
    with pytest.raises(ValidationError):
        _args(deletion_window_days=3)
