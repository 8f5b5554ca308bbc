"""Audit: a multi-region CloudTrail into its own protected bucket, GuardDuty, optional AWS Config."""

from __future__ import annotations

import json

import pulumi
from pydantic import EmailStr, Field

from components.aws.bucket import SecureBucket, SecureBucketArgs
from components.aws.documents import Statement, bucket_arn, check_bucket_name
from stacks.model import AwsAccountId, Classification, StrictModel

CONFIG_PREFIX = "config"


class AuditArgs(StrictModel):
    """The account's audit trail and detectors; CloudTrail and GuardDuty are always on."""

    name_prefix: str = Field(
        pattern=r"^[a-z0-9-]+$", description="trail '<prefix>-trail', bucket '<prefix>-cloudtrail'"
    )
    account_id: AwsAccountId
    region: str
    retention_days: int = Field(
        365, ge=30, description="trail and Config objects are deleted after this"
    )
    noncurrent_version_days: int = Field(30, ge=1)
    guardduty_features: list[str] = Field(
        default_factory=lambda: ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"],
        description="GuardDuty protection plans turned on besides the foundational detector",
    )
    config_recorder_enabled: bool = Field(
        False, description="off: no AWS Config recorder (it costs per item)"
    )
    alert_email: EmailStr | None = Field(
        None,
        description="GuardDuty findings are e-mailed here through EventBridge and SNS; no alerts when omitted",
    )
    alert_min_severity: float = Field(
        4.0, ge=0, le=10, description="findings below this severity are not mailed"
    )
    protect: bool = Field(
        True, description="the trail bucket cannot be deleted by Pulumi while true"
    )

    @property
    def bucket_name(self) -> str:
        return check_bucket_name(f"{self.name_prefix}-cloudtrail")

    @property
    def trail_name(self) -> str:
        return f"{self.name_prefix}-trail"

    @property
    def trail_arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.region}:{self.account_id}:trail/{self.trail_name}"

    @property
    def alerts_topic_name(self) -> str:
        return f"{self.name_prefix}-security-findings"

    @property
    def alerts_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.alerts_topic_name}"

    @property
    def alerts_rule_name(self) -> str:
        return f"{self.name_prefix}-guardduty-findings"

    @property
    def alerts_rule_arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account_id}:rule/{self.alerts_rule_name}"


def alerts_topic_statements(args: AuditArgs) -> list[Statement]:
    """Only this account's GuardDuty rule may publish to the alerts topic, and only over TLS."""
    return [
        {
            "Sid": "EventBridgePublishesFindings",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": args.alerts_topic_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": args.alerts_rule_arn}},
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sns:Publish",
            "Resource": args.alerts_topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]


def trail_bucket_statements(args: AuditArgs) -> list[Statement]:
    """CloudTrail (and AWS Config) delivery into the trail bucket, for this trail / account only."""
    arn = bucket_arn(args.bucket_name)
    statements: list[Statement] = [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": {"StringEquals": {"aws:SourceArn": args.trail_arn}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{arn}/AWSLogs/{args.account_id}/*",
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": args.trail_arn,
                }
            },
        },
    ]
    if args.config_recorder_enabled:
        source = {"StringEquals": {"aws:SourceAccount": args.account_id}}
        statements += [
            {
                "Sid": "ConfigBucketCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": arn,
                "Condition": source,
            },
            {
                "Sid": "ConfigDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{CONFIG_PREFIX}/AWSLogs/{args.account_id}/Config/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceAccount": args.account_id,
                    }
                },
            },
        ]
    return statements


class Audit(pulumi.ComponentResource):
    """Trail bucket (same protections as the lake), CloudTrail, GuardDuty and optionally AWS Config."""

    bucket_name: str

    def __init__(
        self,
        name: str,
        args: AuditArgs,
        *,
        kms_key_arn: pulumi.Input[str],
        access_log_bucket: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:Audit", name, None, opts)
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        self.bucket_name = args.bucket_name
        self.trail_bucket = SecureBucket(
            f"{name}-trail-bucket",
            SecureBucketArgs(
                bucket_name=args.bucket_name,
                classification=Classification.internal,
                encryption="aws:kms",
                noncurrent_version_days=args.noncurrent_version_days,
                expiration_days=args.retention_days,
                protect=args.protect,
            ),
            kms_key_arn=kms_key_arn,
            access_log_bucket=access_log_bucket,
            policy_statements=trail_bucket_statements(args),
            opts=child,
        )
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=self.trail_bucket.bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.trail_bucket.policy]),
        )
        self.detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            opts=child,
        )
        for feature in args.guardduty_features:
            aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{feature.lower().replace('_', '-')}",
                detector_id=self.detector.id,
                name=feature,
                status="ENABLED",
                opts=child,
            )
        if args.config_recorder_enabled:
            self._create_config_recorder(name, args, kms_key_arn)
        if args.alert_email is not None:
            self._create_alerts(name, args, kms_key_arn)
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.trail.arn,
                "trail_bucket_name": args.bucket_name,
                "detector_id": self.detector.id,
            }
        )

    def _create_config_recorder(self, name: str, args: AuditArgs, kms_key_arn) -> None:
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.ServiceLinkedRole(
            f"{name}-config-role", aws_service_name="config.amazonaws.com", opts=child
        )
        recorder = aws.cfg.Recorder(
            f"{name}-config-recorder",
            name=f"{args.name_prefix}-recorder",
            role_arn=role.arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True, include_global_resource_types=True
            ),
            opts=child,
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-config-delivery",
            name=f"{args.name_prefix}-delivery",
            s3_bucket_name=self.trail_bucket.bucket.id,
            s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=kms_key_arn,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[recorder, self.trail_bucket.policy]
            ),
        )
        aws.cfg.RecorderStatus(
            f"{name}-config-status",
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
        )

    def _create_alerts(self, name: str, args: AuditArgs, kms_key_arn) -> None:
        import pulumi_aws as aws

        from components.aws.documents import dumps

        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(
            f"{name}-alerts-topic",
            name=args.alerts_topic_name,
            kms_master_key_id=kms_key_arn,
            opts=child,
        )
        aws.sns.TopicPolicy(f"{name}-alerts-policy", arn=topic.arn, policy=dumps(alerts_topic_statements(args)),
                            opts=child)  # fmt: skip
        aws.sns.TopicSubscription(
            f"{name}-alerts-email",
            topic=topic.arn,
            protocol="email",
            endpoint=str(args.alert_email),
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-guardduty-findings",
            name=args.alerts_rule_name,
            description="GuardDuty findings at or above the alert severity",
            event_pattern=json.dumps(
                {
                    "source": ["aws.guardduty"],
                    "detail-type": ["GuardDuty Finding"],
                    "detail": {"severity": [{"numeric": [">=", args.alert_min_severity]}]},
                }
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-guardduty-findings-target", rule=rule.name, arn=topic.arn, opts=child
        )
