"""Audit: multi-region validated KMS trail into a protected bucket, GuardDuty, optional AWS Config."""

from __future__ import annotations

import json

import pytest

from components.aws.audit import CIS_CHECKS, Audit, AuditArgs
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


def test_no_alert_email_and_no_alarms_means_no_topic():
    quiet = _capture(cis_alarms_enabled=False)
    assert (
        quiet.of_type("aws:sns/topic:Topic") == []
        and quiet.of_type("aws:cloudwatch/eventRule:EventRule") == []
    )


def test_alarms_without_an_email_still_publish_to_the_topic(cap):
    one(cap, "aws:sns/topic:Topic")
    assert cap.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert len(cap.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")) == len(CIS_CHECKS)


# --- tamper-proof trail: Object Lock, data events, CIS monitoring ---------------------------

LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


def test_trail_bucket_is_object_locked_in_compliance_mode_by_default(cap):
    bucket = one(cap, BUCKET)
    (lock,) = tied_to(cap, bucket, LOCK)
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 365.0}
    (versioning,) = tied_to(cap, bucket, VERSIONING)
    assert versioning.urn in lock.dependencies
    # Turning Object Lock on through the bucket itself would replace an existing trail bucket.
    assert "objectLockEnabled" not in bucket.inputs


def test_lower_environments_can_choose_governance_mode_but_not_a_lock_longer_than_retention():
    governed = _capture(object_lock_mode="GOVERNANCE", object_lock_days=30, retention_days=90)
    (lock,) = governed.of_type(LOCK)
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 30.0}
    with pytest.raises(ValueError, match=r"retention_days \(90\) is shorter than object_lock_days \(365\)"):
        AuditArgs(name_prefix="caf-prod", account_id=ACCOUNT, region="us-east-1", retention_days=90)


def test_no_lock_when_switched_off():
    unlocked = _capture(object_lock_mode=None)
    assert unlocked.of_type(LOCK) == []
    assert one(unlocked, BUCKET).inputs["objectLockEnabled"] is False


def test_trail_records_data_events_for_each_restricted_bucket():
    trail = one(_capture(data_event_bucket_names=["caf-prod-lake-raw", "caf-prod-lake-curated"]),
                "aws:cloudtrail/trail:Trail")  # fmt: skip
    management, data = trail.inputs["advancedEventSelectors"]
    assert management["fieldSelectors"] == [{"field": "eventCategory", "equals": ["Management"]}]
    assert {"field": "resources.type", "equals": ["AWS::S3::Object"]} in data["fieldSelectors"]
    (arns,) = [f for f in data["fieldSelectors"] if f["field"] == "resources.ARN"]
    assert arns["startsWiths"] == ["arn:aws:s3:::caf-prod-lake-raw/", "arn:aws:s3:::caf-prod-lake-curated/"]


def test_without_restricted_buckets_only_management_events(cap):
    trail = one(cap, "aws:cloudtrail/trail:Trail")
    assert [s["name"] for s in trail.inputs["advancedEventSelectors"]] == ["management-events"]


def test_trail_feeds_an_encrypted_log_group_through_a_scoped_role(cap):
    trail = one(cap, "aws:cloudtrail/trail:Trail")
    group = one(cap, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "/civic/caf-prod/cloudtrail"
    assert group.inputs["kmsKeyId"] == KEY
    role = one(cap, "aws:iam/role:Role")
    assert group.urn in trail.property_dependencies["cloudWatchLogsGroupArn"]
    assert role.urn in trail.property_dependencies["cloudWatchLogsRoleArn"]
    trust = document(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    write = document(one(cap, "aws:iam/rolePolicy:RolePolicy"))["Statement"][0]
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["Resource"].endswith(":log-group:/civic/caf-prod/cloudtrail:log-stream:*")


def test_each_cis_check_has_a_metric_filter_and_an_alarm_to_the_security_topic(cap):
    group = one(cap, "aws:cloudwatch/logGroup:LogGroup")
    topic = one(cap, "aws:sns/topic:Topic")
    filters = {f.name: f for f in cap.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    alarms = {a.name: a for a in cap.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(CIS_CHECKS) >= {"unauthorized-api-calls", "root-account-usage", "console-sign-in-without-mfa",
                               "iam-policy-changes", "cloudtrail-changes", "kms-key-disabled-or-deleted",
                               "s3-bucket-policy-changes", "security-group-changes", "nacl-changes",
                               "network-gateway-changes", "route-table-changes", "vpc-changes"}
    for check, (_, pattern) in CIS_CHECKS.items():
        metric = filters[f"audit-cis-{check}"]
        assert group.urn in metric.property_dependencies["logGroupName"]
        assert metric.inputs["pattern"] == pattern
        transform = metric.inputs["metricTransformation"]
        alarm = alarms[f"audit-cis-{check}-alarm"]
        assert alarm.inputs["metricName"] == transform["name"] and alarm.inputs["namespace"] == transform["namespace"]
        assert alarm.inputs["threshold"] == 1.0
        assert alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert topic.urn in alarm.property_dependencies["alarmActions"]
    doc = document(one(cap, "aws:sns/topicPolicy:TopicPolicy"))
    publish = statement(doc, "CloudWatchAlarmsPublish")
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:caf-prod-cis-*"


def test_root_and_mfa_patterns_match_the_cis_filters():
    assert '$.userIdentity.type = "Root"' in CIS_CHECKS["root-account-usage"][1]
    assert '$.additionalEventData.MFAUsed != "Yes"' in CIS_CHECKS["console-sign-in-without-mfa"][1]
    for check in ("nacl-changes", "network-gateway-changes", "route-table-changes", "vpc-changes"):
        assert CIS_CHECKS[check][1].count("$.eventName") >= 6
