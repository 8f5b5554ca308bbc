"""The S3 data lake: raw, curated and exports buckets plus the access-log bucket they log to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
from pydantic import Field, model_validator

from components.aws.bucket import (
    AccessLogBucketArgs,
    PerimeterException,
    SecureBucket,
    SecureBucketArgs,
    access_log_bucket,
)
from components.aws.documents import Statement, check_bucket_name
from stacks.model import VENDOR_READABLE_RESOURCES, AwsAccountId, Classification, StrictModel

LAKE_ROLES = VENDOR_READABLE_RESOURCES  # the model validates vendor reads against the same names
ACCESS_LOGS = "access-logs"


class DataLakeArgs(StrictModel):
    """Three data buckets (SSE-KMS with their classification's key) and an access-log bucket."""

    name_prefix: str = Field(
        pattern=r"^[a-z0-9-]+$", description="buckets are named '<prefix>-<role>'"
    )
    account_id: AwsAccountId
    data_classification: Classification = Field(
        Classification.restricted,
        description="raw and curated: voter and donor data are restricted",
    )
    exports_classification: Classification = Field(
        Classification.internal, description="exports: the highest shareable classification"
    )
    noncurrent_version_days: int = Field(
        30, ge=1, description="old object versions are deleted after this"
    )
    retention_days: dict[Classification, int] = Field(
        default_factory=lambda: {
            Classification.public: 365, Classification.internal: 730, Classification.restricted: 1825,
        },
        description="current objects expire after this many days, by the bucket's classification",
    )  # fmt: skip
    access_log_retention_days: int = Field(
        365, ge=1, description="access logs are deleted after this"
    )
    protect: bool = Field(True, description="buckets cannot be deleted by Pulumi while true")
    perimeter_enabled: bool = Field(
        True, description="restricted buckets deny every principal outside account_id (AWS services excepted)"
    )
    network_perimeter_enabled: bool = Field(
        True, description="restricted buckets deny object access that does not come through vpc_endpoint_ids"
    )
    exports_object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] | None = Field(
        "COMPLIANCE", description="Object Lock on lake-exports; COMPLIANCE: not even root deletes an export early; "
        "None: no lock"
    )
    exports_object_lock_days: int = Field(30, ge=1, le=3650, description="days each export object version is locked")

    @model_validator(mode="after")
    def _check(self) -> DataLakeArgs:
        if self.exports_classification is Classification.restricted:
            raise ValueError(
                "exports_classification must be public or internal: exports are shared, got restricted"
            )
        for role in (*LAKE_ROLES, ACCESS_LOGS):
            check_bucket_name(f"{self.name_prefix}-{role}")
        for classification in {self.data_classification, self.exports_classification}:
            if classification not in self.retention_days:
                raise ValueError(
                    f"retention_days has no entry for {classification.value}; add one so its objects expire"
                )
        kept = self.retention_days.get(self.exports_classification)
        if self.exports_object_lock_mode and kept is not None and kept < self.exports_object_lock_days:
            raise ValueError(
                f"exports_object_lock_days ({self.exports_object_lock_days}) is longer than the exports' retention "
                f"({kept} days); lifecycle cannot delete locked objects, so shorten the lock or keep exports longer"
            )
        return self

    def bucket_name(self, role: str) -> str:
        return f"{self.name_prefix}-{role}"

    def classification_of(self, role: str) -> Classification:
        return self.exports_classification if role == "lake-exports" else self.data_classification


class DataLake(pulumi.ComponentResource):
    """The lake's buckets; `bucket_names` maps role ('lake-raw', ..., 'access-logs') to bucket name."""

    bucket_names: dict[str, str]
    buckets: dict[str, SecureBucket]

    def __init__(
        self,
        name: str,
        args: DataLakeArgs,
        *,
        kms_key_arns: Mapping[str, pulumi.Input[str]],
        extra_statements: Mapping[str, Sequence[Statement]] | None = None,
        extra_tags: Mapping[str, Mapping[str, str]] | None = None,
        vpc_endpoint_ids: Sequence[pulumi.Input[str]] = (),
        perimeter_exceptions: Mapping[str, Sequence[PerimeterException]] | None = None,
        ci_role_arns: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:DataLake", name, None, opts)
        perimeter_exceptions = perimeter_exceptions or {}
        extra_statements = extra_statements or {}
        extra_tags = extra_tags or {}
        unknown = set(extra_statements) | set(extra_tags) | set(perimeter_exceptions)
        unknown -= set(LAKE_ROLES)
        if unknown:
            raise ValueError(
                f"extra statements or tags for unknown lake buckets {sorted(unknown)}; use {LAKE_ROLES}"
            )
        child = pulumi.ResourceOptions(parent=self)
        self.access_logs = access_log_bucket(
            f"{name}-access-logs",
            AccessLogBucketArgs(
                bucket_name=args.bucket_name(ACCESS_LOGS),
                account_id=args.account_id,
                source_prefix=args.name_prefix,
                retention_days=args.access_log_retention_days,
                noncurrent_version_days=args.noncurrent_version_days,
                protect=args.protect,
            ),
            opts=child,
        )
        self.buckets = {ACCESS_LOGS: self.access_logs}
        for role in LAKE_ROLES:
            classification = args.classification_of(role)
            key = kms_key_arns.get(classification.value)
            if key is None:
                raise ValueError(
                    f"no KMS key for classification {classification.value} (bucket {args.bucket_name(role)}); "
                    "create one per classification the lake uses"
                )
            self.buckets[role] = SecureBucket(
                f"{name}-{role.removeprefix('lake-')}",
                SecureBucketArgs(
                    bucket_name=args.bucket_name(role),
                    classification=classification,
                    encryption="aws:kms",
                    noncurrent_version_days=args.noncurrent_version_days,
                    expiration_days=args.retention_days[classification],
                    extra_tags=dict(extra_tags.get(role, {})),
                    protect=args.protect,
                    account_id=args.account_id,
                    perimeter_enabled=args.perimeter_enabled,
                    network_perimeter_enabled=args.network_perimeter_enabled,
                    **(
                        {"object_lock_mode": args.exports_object_lock_mode, "object_lock_days": args.exports_object_lock_days}
                        if role == "lake-exports" and args.exports_object_lock_mode else {}
                    ),
                ),
                kms_key_arn=key,
                access_log_bucket=self.access_logs.bucket.id,
                policy_statements=list(extra_statements.get(role, ())),
                vpc_endpoint_ids=vpc_endpoint_ids,
                perimeter_exceptions=list(perimeter_exceptions.get(role, ())),
                ci_role_arns=ci_role_arns,
                opts=child,
            )
        self.bucket_names = {role: bucket.bucket_name for role, bucket in self.buckets.items()}
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.buckets["lake-curated"].bucket.id,
                "bucket_names": self.bucket_names,
            }
        )
