"""Analytics over the lake: a Glue catalog database and an Athena workgroup with enforced, encrypted results."""

from __future__ import annotations

import re

import pulumi
from pydantic import Field, field_validator

from components.tagging import classified
from stacks.model import AwsAccountId, Classification, StrictModel


class AnalyticsArgs(StrictModel):
    """Glue + Athena; query results land encrypted in a prefix of the curated bucket."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]+$", description="workgroup '<prefix>-analytics'")
    account_id: AwsAccountId = Field(description="results bucket must belong to this account")
    results_bucket_name: str = Field(
        description="bucket that receives query results (the curated bucket)"
    )
    results_prefix: str = Field(
        "athena-results/", pattern=r"^[a-z0-9-]+/$", description="prefix for results"
    )
    results_classification: Classification = Field(
        Classification.restricted,
        description="results can contain voter data: tagged and keyed as restricted",
    )
    bytes_scanned_cutoff_per_query: int = Field(
        100 * 1024**3,
        ge=10 * 1024**2,
        description="queries scanning more are cancelled (default 100 GiB)",
    )
    catalog_encryption_enabled: bool = Field(
        True,
        description="encrypt the account's Glue Data Catalog with the results key (account-wide setting)",
    )

    @field_validator("name_prefix")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 100:
            raise ValueError(f"name_prefix must be at most 100 characters, got {len(value)}")
        return value

    @property
    def database_name(self) -> str:
        """Glue and Athena want lower case and underscores, not dashes."""
        return re.sub(r"[^a-z0-9_]", "_", f"{self.name_prefix}_lake")

    @property
    def output_location(self) -> str:
        return f"s3://{self.results_bucket_name}/{self.results_prefix}"


class Analytics(pulumi.ComponentResource):
    """A Glue database over the lake and an Athena workgroup users cannot override."""

    def __init__(
        self,
        name: str,
        args: AnalyticsArgs,
        *,
        results_kms_key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:Analytics", name, None, opts)
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        tags = classified(args.results_classification)
        if args.catalog_encryption_enabled:
            aws.glue.DataCatalogEncryptionSettings(
                f"{name}-catalog-encryption",
                data_catalog_encryption_settings=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsArgs(
                    encryption_at_rest=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRestArgs(
                        catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=results_kms_key_arn
                    ),
                    connection_password_encryption=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryptionArgs(
                        return_connection_password_encrypted=True,
                        aws_kms_key_id=results_kms_key_arn,
                    ),
                ),
                opts=child,
            )
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.database_name,
            description=f"{args.name_prefix}: tables over the data lake",
            tags=tags,
            opts=child,
        )
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=f"{args.name_prefix}-analytics",
            description=f"{args.name_prefix}: the only Athena workgroup; its settings override the client's",
            state="ENABLED",
            force_destroy=False,
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                requester_pays_enabled=False,
                bytes_scanned_cutoff_per_query=args.bytes_scanned_cutoff_per_query,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=args.output_location,
                    expected_bucket_owner=args.account_id,
                    encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                        encryption_option="SSE_KMS", kms_key_arn=results_kms_key_arn
                    ),
                ),
            ),
            tags=tags,
            opts=child,
        )
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.workgroup.arn,
                "database_name": args.database_name,
                "workgroup_name": f"{args.name_prefix}-analytics",
            }
        )
