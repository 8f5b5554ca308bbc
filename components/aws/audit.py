"""Audit: a multi-region CloudTrail into its own protected bucket, GuardDuty, optional AWS Config.

- The trail's bucket is Object Locked (COMPLIANCE in production: nobody, not even the root
  user, can delete or overwrite a log before the lock ends), logged to the access-log bucket,
  and encrypted with the logs key; log-file validation proves nothing was altered.
- Data events (object reads and writes) are recorded for every restricted bucket.
- The CIS AWS Foundations monitoring set: the trail also writes to a KMS-encrypted log group,
  and one metric filter and alarm per CIS check mails the security topic.
"""

from __future__ import annotations

import json
from typing import Literal

import pulumi
from pydantic import EmailStr, Field, model_validator

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
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] | None = Field(
        "COMPLIANCE",
        description="Object Lock on the trail bucket; None only to leave logs deletable (never in production)",
    )
    object_lock_days: int = Field(365, ge=1, le=3650, description="days each log object stays locked")
    data_event_bucket_names: list[str] = Field(
        default_factory=list,
        description="buckets whose object-level reads and writes are recorded (every restricted bucket); none when empty",
    )
    cis_alarms_enabled: bool = Field(
        True, description="CIS monitoring metric filters and alarms to the security topic (mailed to alert_email)"
    )
    log_group_retention_days: int = Field(
        365, ge=1, le=3653, description="the trail's CloudWatch log group; rounded up to a value CloudWatch accepts"
    )

    @model_validator(mode="after")
    def _lock_within_retention(self) -> AuditArgs:
        if self.object_lock_mode and self.retention_days < self.object_lock_days:
            raise ValueError(
                f"retention_days ({self.retention_days}) is shorter than object_lock_days ({self.object_lock_days}); "
                "lengthen the retention or shorten the lock"
            )
        return self

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

    @property
    def log_group_name(self) -> str:
        return f"/civic/{self.name_prefix}/cloudtrail"

    @property
    def alarm_prefix(self) -> str:
        return f"{self.name_prefix}-cis-"


CIS_CHECKS: dict[str, tuple[str, str]] = {
    "unauthorized-api-calls": (
        "unauthorised API calls",
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    ),
    "console-sign-in-without-mfa": (
        "console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    "root-account-usage": (
        "use of the root user",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    "iam-policy-changes": (
        "IAM policy changes",
        "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || "
        "($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || "
        "($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || "
        "($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || "
        "($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || "
        "($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy)) }",
    ),
    "cloudtrail-changes": (
        "CloudTrail configuration changes",
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
        "($.eventName = StartLogging) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors) }",
    ),
    "console-authentication-failures": (
        "console authentication failures",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    "kms-key-disabled-or-deleted": (
        "customer-managed keys disabled or scheduled for deletion",
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    ),
    "s3-bucket-policy-changes": (
        "S3 bucket policy changes",
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || "
        "($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
        "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || "
        "($.eventName = DeleteBucketReplication) || ($.eventName = PutBucketPublicAccessBlock) || "
        "($.eventName = DeleteBucketPublicAccessBlock) || ($.eventName = PutObjectLockConfiguration)) }",
    ),
    "config-changes": (
        "AWS Config changes",
        "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || "
        "($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }",
    ),
    "security-group-changes": (
        "security group changes",
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
        "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    ),
    "nacl-changes": (
        "network ACL changes",
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || "
        "($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || "
        "($.eventName = ReplaceNetworkAclAssociation) }",
    ),
    "network-gateway-changes": (
        "network gateway changes",
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
        "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
        "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    ),
    "route-table-changes": (
        "route table changes",
        "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
        "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
        "($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }",
    ),
    "vpc-changes": (
        "VPC changes",
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || "
        "($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || "
        "($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || "
        "($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || "
        "($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    ),
}
"""CIS AWS Foundations monitoring: check -> (what it catches, CloudWatch Logs filter pattern)."""
CIS_NAMESPACE = "civic/cis"


def alerts_topic_statements(args: AuditArgs) -> list[Statement]:
    """Only this account's GuardDuty rule and CIS alarms may publish to the alerts topic, only over TLS."""
    alarms: list[Statement] = []
    if args.cis_alarms_enabled:
        alarms.append({
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": args.alerts_topic_arn,
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{args.region}:{args.account_id}:alarm:{args.alarm_prefix}*"}
            },
        })  # fmt: skip
    return [
        *alarms,
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
                object_lock_mode=args.object_lock_mode,
                object_lock_days=args.object_lock_days,
            ),
            kms_key_arn=kms_key_arn,
            access_log_bucket=access_log_bucket,
            policy_statements=trail_bucket_statements(args),
            opts=child,
        )
        logs = self._create_trail_log_group(name, args, kms_key_arn) if args.cis_alarms_enabled else None
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=self.trail_bucket.bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=kms_key_arn,
            advanced_event_selectors=event_selectors(args),
            cloud_watch_logs_group_arn=logs[0].arn.apply(lambda arn: f"{arn}:*") if logs else None,
            cloud_watch_logs_role_arn=logs[1].arn if logs else None,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.trail_bucket.policy, *(logs[2:] if logs else [])]
            ),
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
        if args.alert_email is not None or logs:
            topic = self._create_alerts(name, args, kms_key_arn)
            if logs:
                self._create_cis_alarms(name, args, logs[0], topic)
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
        if args.alert_email is not None:
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
        return topic

    def _create_trail_log_group(self, name: str, args: AuditArgs, kms_key_arn) -> tuple:
        """(log group, role CloudTrail writes with, the role's policy) for the CIS metric filters."""
        import pulumi_aws as aws

        from components.aws.documents import dumps, service_assume_role
        from components.aws.network import cloudwatch_retention

        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-trail-logs",
            name=args.log_group_name,
            retention_in_days=cloudwatch_retention(args.log_group_retention_days),
            kms_key_id=kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-trail-logs-role",
            name=f"{args.name_prefix}-cloudtrail-logs",
            assume_role_policy=service_assume_role("cloudtrail.amazonaws.com", args.account_id),
            max_session_duration=3600,
            opts=child,
        )
        group_arn = f"arn:aws:logs:{args.region}:{args.account_id}:log-group:{args.log_group_name}"
        policy = aws.iam.RolePolicy(
            f"{name}-trail-logs-write",
            role=role.id,
            policy=dumps([{
                "Sid": "WriteTrailEvents",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{group_arn}:log-stream:*",
            }]),  # fmt: skip
            opts=child,
        )
        return group, role, policy

    def _create_cis_alarms(self, name: str, args: AuditArgs, group, topic) -> None:
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        for check, (what, pattern) in CIS_CHECKS.items():
            metric = f"{args.name_prefix}-{check}"
            aws.cloudwatch.LogMetricFilter(
                f"{name}-cis-{check}",
                name=metric,
                log_group_name=group.name,
                pattern=pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric, namespace=CIS_NAMESPACE, value="1"
                ),
                opts=child,
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-cis-{check}-alarm",
                name=f"{args.alarm_prefix}{check}",
                alarm_description=f"CIS AWS Foundations monitoring: {what}",
                namespace=CIS_NAMESPACE,
                metric_name=metric,
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                opts=child,
            )


def event_selectors(args: AuditArgs) -> list[dict]:
    """Every management event, plus object-level data events in the listed buckets."""
    selectors: list[dict] = [
        {"name": "management-events", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]}
    ]
    if args.data_event_bucket_names:
        selectors.append({
            "name": "restricted-bucket-objects",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "resources.ARN", "starts_withs": [f"{bucket_arn(b)}/" for b in args.data_event_bucket_names]},
            ],
        })  # fmt: skip
    return selectors
