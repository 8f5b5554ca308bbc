"""Audit: multi-region validated KMS trail into a protected bucket, GuardDuty, optional AWS Config."""

from __future__ import annotations

import json

import pytest

from components.aws.audit import Audit, AuditArgs
from tests.components.aws.conftest import (
    ACCOUNT,
    BUCKET,
    LIFECYCLE,
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

KEY = "arn:aws:kms:us-east-1:000000000003:key/logs"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/caf-prod-trail"


def _capture(**overrides):
    args = AuditArgs(
        **{"name_prefix": "caf-prod", "account_id": ACCOUNT, "region": "us-east-1", **overrides}
    )
    return capture(
        lambda: Audit("audit", args, kms_key_arn=KEY, access_log_bucket="caf-prod-access-logs")
    )


@pytest.fixture(scope="module")
def cap():
    return _capture(config_recorder_enabled=True)


def test_trail_is_multi_region_validated_encrypted_and_global(cap):
    trail = one(cap, "aws:cloudtrail/trail:Trail")
    assert trail.inputs["name"] == "caf-prod-trail"
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["kmsKeyId"] == KEY
    bucket = one(cap, BUCKET)
    assert bucket.urn in trail.property_dependencies["s3BucketName"]
    (policy,) = tied_to(cap, bucket, POLICY)
    assert policy.urn in trail.dependencies


def test_trail_bucket_has_the_lake_protections_and_is_protected(cap):
    bucket = one(cap, BUCKET)
    assert bucket.inputs["bucket"] == "caf-prod-cloudtrail"
    assert bucket.protect is True
    (sse,) = tied_to(cap, bucket, SSE)
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY,
    }
    (pab,) = tied_to(cap, bucket, PAB)
    assert all(
        pab.inputs[f]
        for f in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    (versioning,) = tied_to(cap, bucket, VERSIONING)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    (logging,) = tied_to(cap, bucket, LOGGING)
    assert logging.inputs["targetBucket"] == "caf-prod-access-logs"
    (lifecycle,) = tied_to(cap, bucket, LIFECYCLE)
    assert {r["id"]: r for r in lifecycle.inputs["rules"]}["retention"]["expiration"] == {
        "days": 365.0
    }


def test_one_policy_holds_tls_deny_and_the_service_writes(cap):
    (policy,) = tied_to(cap, one(cap, BUCKET), POLICY)
    doc = document(policy)
    assert statement(doc, "DenyInsecureTransport")["Effect"] == "Deny"
    write = statement(doc, "CloudTrailWrite")
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert write["Resource"] == f"arn:aws:s3:::caf-prod-cloudtrail/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["StringEquals"] == {
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SourceArn": TRAIL_ARN,
    }
    assert statement(doc, "CloudTrailAclCheck")["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN}
    }
    config = statement(doc, "ConfigDelivery")
    assert (
        config["Resource"] == f"arn:aws:s3:::caf-prod-cloudtrail/config/AWSLogs/{ACCOUNT}/Config/*"
    )
    assert config["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT


def test_guardduty_detector_with_protection_features(cap):
    detector = one(cap, "aws:guardduty/detector:Detector")
    assert detector.inputs["enable"] is True
    features = {
        f.inputs["name"]: f for f in cap.of_type("aws:guardduty/detectorFeature:DetectorFeature")
    }
    assert set(features) == {"S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"}
    assert all(f.inputs["status"] == "ENABLED" for f in features.values())


def test_config_recorder_records_everything_and_delivers_encrypted(cap):
    recorder = one(cap, "aws:cfg/recorder:Recorder")
    assert recorder.inputs["recordingGroup"] == {
        "allSupported": True,
        "includeGlobalResourceTypes": True,
    }
    channel = one(cap, "aws:cfg/deliveryChannel:DeliveryChannel")
    assert channel.inputs["s3KmsKeyArn"] == KEY
    assert channel.inputs["s3KeyPrefix"] == "config"
    status = one(cap, "aws:cfg/recorderStatus:RecorderStatus")
    assert status.inputs["isEnabled"] is True
    assert channel.urn in status.dependencies


def test_config_recorder_is_optional():
    cap = _capture()
    assert not [r for r in cap.resources if r.type.startswith("aws:cfg/")]
    (policy,) = cap.of_type(POLICY)
    assert "ConfigDelivery" not in [s["Sid"] for s in document(policy)["Statement"]]
    assert cap.of_type("aws:cloudtrail/trail:Trail") and cap.of_type(
        "aws:guardduty/detector:Detector"
    )


def test_guardduty_findings_are_mailed_through_an_encrypted_topic():
    cap = _capture(alert_email="security@example.org", alert_min_severity=7)
    topic = one(cap, "aws:sns/topic:Topic")
    assert topic.inputs["name"] == "caf-prod-security-findings"
    assert topic.inputs["kmsMasterKeyId"] == KEY
    subscription = one(cap, "aws:sns/topicSubscription:TopicSubscription")
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        "email",
        "security@example.org",
    )
    rule = one(cap, "aws:cloudwatch/eventRule:EventRule")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 7.0]}]},
    }
    target = one(cap, "aws:cloudwatch/eventTarget:EventTarget")
    assert (
        topic.urn in target.property_dependencies["arn"]
        and rule.urn in target.property_dependencies["rule"]
    )
    doc = document(one(cap, "aws:sns/topicPolicy:TopicPolicy"))
    publish = statement(doc, "EventBridgePublishesFindings")
    assert publish["Principal"] == {"Service": "events.amazonaws.com"}
    assert publish["Condition"] == {
        "ArnEquals": {
            "aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/caf-prod-guardduty-findings"
        }
    }
    assert statement(doc, "DenyInsecureTransport")["Effect"] == "Deny"


def test_no_alert_email_means_no_topic(cap):
    assert (
        cap.of_type("aws:sns/topic:Topic") == []
        and cap.of_type("aws:cloudwatch/eventRule:EventRule") == []
    )
