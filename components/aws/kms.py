"""Customer-managed KMS keys: one per data classification in use, plus one for logs and audit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pulumi
from pydantic import Field, field_validator

from components.aws.documents import (
    Statement,
    account_root,
    bucket_arn,
    dumps,
    expiry_timestamp,
    key_admin_statement,
)
from components.tagging import classified
from stacks.model import AwsAccountId, Classification, StrictModel

LOGS_KEY = "logs"
"""Key role for flow logs, CloudTrail and AWS Config (not a data classification)."""


class ExternalDecrypt(StrictModel):
    """Another account may decrypt objects of one bucket through S3 only, until a date (partner sharing)."""

    account_id: AwsAccountId
    classification: Classification = Field(description="the key whose use is granted")
    bucket_name: str = Field(
        description="decrypt only for objects of this bucket (S3 bucket keys on)"
    )
    expires: date = Field(description="the grant stops working at the start of this day (UTC)")


class KeysArgs(StrictModel):
    """The keys of one environment; every key rotates yearly and waits 30 days before deletion."""

    account_id: AwsAccountId
    region: str = Field(description="region of the keys; used in service conditions")
    alias_prefix: str = Field(
        pattern=r"^[a-z0-9-]+$", description="aliases are alias/<prefix>-<role>"
    )
    classifications: list[Classification] = Field(
        min_length=1, description="one data key per classification; duplicates are ignored"
    )
    deletion_window_days: int = Field(
        30, ge=7, le=30, description="waiting period before a deleted key is gone"
    )
    config_delivery_enabled: bool = Field(
        False, description="off: AWS Config may not use the logs key for its snapshots"
    )
    security_alerts_enabled: bool = Field(
        False,
        description="off: EventBridge may not use the logs key (needed for the encrypted alerts topic)",
    )
    external_decrypt: list[ExternalDecrypt] = Field(
        default_factory=list, description="no other account may use any key when empty"
    )
    protect: bool = Field(True, description="keys cannot be deleted by Pulumi while true")

    @field_validator("external_decrypt")
    @classmethod
    def _never_restricted(cls, value: list[ExternalDecrypt]) -> list[ExternalDecrypt]:
        for grant in value:
            if grant.classification is Classification.restricted:
                raise ValueError(
                    f"account {grant.account_id} may not use the restricted key; share internal or public data only"
                )
        return value


def data_key_policy(args: KeysArgs, classification: Classification) -> list[Statement]:
    """The statements of one data key: the account root, plus time-boxed S3-only decrypt grants."""
    statements = [key_admin_statement(args.account_id)]
    for grant in args.external_decrypt:
        if grant.classification is not classification:
            continue
        statements.append(
            {
                "Sid": f"PartnerDecryptViaS3{grant.account_id}",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(grant.account_id)},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{args.region}.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": bucket_arn(grant.bucket_name),
                    },
                    "DateLessThan": {"aws:CurrentTime": expiry_timestamp(grant.expires)},
                },
            }
        )
    return statements


def logs_key_policy(args: KeysArgs) -> list[Statement]:
    """The statements of the logs key: CloudWatch Logs, CloudTrail and (optionally) AWS Config."""
    account, region = args.account_id, args.region
    statements: list[Statement] = [
        key_admin_statement(account),
        {
            "Sid": "CloudWatchLogsEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"
                }
            },
        },
        {
            "Sid": "CloudTrailEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"
                },
            },
        },
        {
            "Sid": "CloudTrailDescribe",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
    ]
    if args.security_alerts_enabled:
        statements.append(
            {
                "Sid": "EventBridgePublishEncrypted",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
        # CIS monitoring alarms (components/aws/audit.py) publish to the same encrypted topic.
        statements.append(
            {
                "Sid": "CloudWatchAlarmsPublishEncrypted",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    if args.config_delivery_enabled:
        statements.append(
            {
                "Sid": "ConfigDeliveryEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    return statements


class Keys(pulumi.ComponentResource):
    """Customer-managed keys with rotation, a 30-day deletion window and an alias each."""

    key_arns: dict[str, pulumi.Output[str]]
    """Key ARN by role: a classification value ('restricted', ...) or 'logs'."""

    def __init__(
        self, name: str, args: KeysArgs, *, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("civic:aws:Keys", name, None, opts)
        self._name = name
        self.keys: dict[str, Any] = {}
        ordered = sorted(set(args.classifications), key=lambda c: c.rank)
        for classification in ordered:
            self.keys[classification.value] = self._create_key(
                args, classification.value, data_key_policy(args, classification),
                f"{classification.value} data", classified(classification),
            )  # fmt: skip
        self.keys[LOGS_KEY] = self._create_key(
            args, LOGS_KEY, logs_key_policy(args), "flow logs, CloudTrail and AWS Config", None
        )
        self.key_arns = {role: key.arn for role, key in self.keys.items()}
        self.register_outputs(
            {"name": name, "resource_id": self.key_arns[LOGS_KEY], "key_arns": self.key_arns}
        )

    def _create_key(
        self, args: KeysArgs, role: str, statements: list[Statement], purpose: str, tags
    ):
        import pulumi_aws as aws

        key = aws.kms.Key(
            f"{self._name}-{role}",
            description=f"{args.alias_prefix}: {purpose}",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=dumps(statements),
            tags=tags or {},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{self._name}-{role}-alias",
            name=f"alias/{args.alias_prefix}-{role}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key
