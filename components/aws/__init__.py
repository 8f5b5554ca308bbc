"""AWS side of the platform: `define_aws(env, providers)` builds it from the environment model.

Components (each a `civic:aws:*` ComponentResource with a pydantic args model):
`Keys` (kms), `Network` (network), and the rest added as they land. `AwsPlatform` is what
the rest of the platform (the Azure side's VPN) reads back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stacks.model import Classification, Environment


@dataclass(frozen=True)
class AwsPlatform:
    """Outputs of the AWS side that other parts of the platform use."""

    vpc_id: Any
    """pulumi.Output[str]: the data VPC."""
    vpc_cidr: str
    """The VPC's address space (plain data, from the model)."""
    private_subnet_ids: list[Any]
    """pulumi.Output[str] per AZ, in AZ order."""
    private_route_table_ids: list[Any]
    """pulumi.Output[str] per AZ; a VPN propagates its routes into these."""
    kms_key_arns: dict[str, Any] = field(default_factory=dict)
    """Key ARN by role: a classification value ('restricted', 'internal', 'public') or 'logs'."""
    bucket_names: dict[str, str] = field(default_factory=dict)
    """Bucket name by role ('lake-raw', 'lake-curated', 'lake-exports', 'access-logs', 'cloudtrail')."""
    region: str = "us-east-1"
    account_id: str = ""
    deploy_role_arn: str = ""
    """The GitHub Actions deploy role ('<prefix>-ci-deploy', created by the tenant stack)."""
    vendor_role_arns: dict[str, str] = field(default_factory=dict)
    """Vendor name -> cross-account role ARN to hand to the vendor with its ExternalId."""


def name_prefix(env: Environment) -> str:
    """Prefix of every AWS resource name: '<org short name>-<environment>'."""
    return f"{env.organization.short_name}-{env.name}"


def key_classifications(env: Environment) -> list[Classification]:
    """Classifications that get a data key: every dataset's, plus those the lake buckets use."""
    present = {d.classification for d in env.datasets}
    if env.data_stores.data_lake.enabled:
        present |= {env.highest_classification(), exports_classification(env)}
    return sorted(present or {Classification.internal}, key=lambda c: c.rank)


def exports_classification(env: Environment) -> Classification:
    """The exports bucket holds at most the highest shareable classification (internal)."""
    highest = env.highest_classification()
    return highest if highest.rank <= Classification.internal.rank else Classification.internal


def _perimeter_exceptions(env: Environment) -> dict[str, list[Any]]:
    """Per restricted lake bucket, the vendor roles its network perimeter lets through, until each grant ends.

    Partner shares never appear here: they read lake-exports only, which never holds restricted
    data (Partner.classification and PartnerShareArgs refuse it), so it has no network perimeter.
    """
    from components.aws.bucket import PerimeterException
    from components.aws.identity import vendor_role_arn

    assert env.aws is not None
    exceptions: dict[str, list[Any]] = {}
    for vendor in env.vendors:
        if not (vendor.aws_account_id and vendor.aws_external_id):
            continue  # no role is made for it
        for resource in env.restricted_lake_resources():
            ends = [g.expires for g in vendor.restricted_grants if g.resource == resource]
            if resource in vendor.aws_read_resources and ends:
                exceptions.setdefault(resource, []).append(PerimeterException(
                    principal_arn=vendor_role_arn(env.aws.account_id, name_prefix(env), vendor.name),
                    expires=min([*ends, vendor.expires]),
                ))  # fmt: skip
    return exceptions


def _database_backups(env: Environment, database_arn: Any, kms_key_arn: Any, opts: Any) -> None:
    """The locked AWS Backup vault and daily plan of the PostgreSQL instance.

    The Redshift Serverless namespace is not selected: AWS Backup's published list of supported
    resource types names provisioned Redshift only, so its recovery points stay unlocked (README).
    """
    from components.aws.backup import DatabaseBackups, DatabaseBackupsArgs
    from components.aws.ci_identity import boundary_arn

    assert env.aws is not None
    prefix, backups = name_prefix(env), env.data_stores.backups
    DatabaseBackups(
        f"{prefix}-db-backups",
        DatabaseBackupsArgs(
            name_prefix=prefix,
            account_id=env.aws.account_id,
            classification=env.highest_classification(),
            lock_mode=backups.vault_lock_mode,
            changeable_for_days=backups.vault_lock_changeable_for_days,
            min_retention_days=backups.min_retention_days,
            max_retention_days=backups.max_retention_days,
            retention_days=backups.retention_days,
            boundary_arn=boundary_arn(env.aws.account_id, prefix),
            protect=env.protection.deletion_protection,
        ),
        kms_key_arn=kms_key_arn,
        resource_arns=[database_arn],
        opts=opts,
    )


def define_aws(env: Environment, providers: Any) -> AwsPlatform:
    """Every AWS resource of `env`, under one explicit provider pinned to the account and region."""
    from components.aws import partner_share
    from components.aws.analytics import Analytics, AnalyticsArgs
    from components.aws.audit import Audit, AuditArgs
    from components.aws.baseline import AccountBaseline, AccountBaselineArgs
    from components.aws.bucket import AccessLogBucketArgs, access_log_bucket
    from components.aws.budget import Budget, BudgetArgs
    from components.aws.ci_identity import boundary_arn, deploy_role_arn, plan_role_arn
    from components.aws.data_lake import ACCESS_LOGS, DataLake, DataLakeArgs
    from components.aws.identity import (
        AccountArgs,
        AwsIdentity,
        AwsIdentityArgs,
        IdentityCenterArgs,
        RestrictedReadArgs,
        VendorRoleArgs,
    )
    from components.aws.kms import LOGS_KEY, Keys, KeysArgs
    from components.aws.network import Network, NetworkArgs
    from components.aws.postgres import Postgres, PostgresArgs
    from components.aws.redshift import Redshift, RedshiftArgs

    if env.aws is None:
        raise ValueError(f"environment {env.name} has no aws section; define_aws needs one")
    prefix = name_prefix(env)
    account, region = env.aws.account_id, env.aws.region
    opts = providers.opts(aws=True)
    protect = env.protection.deletion_protection
    stores = env.data_stores
    lake_on = stores.data_lake.enabled
    config_recorder = env.audit.aws_config_recorder_enabled

    share = None
    if lake_on:
        share = partner_share.PartnerShareArgs(
            bucket_name=f"{prefix}-lake-exports",
            bucket_classification=exports_classification(env),
            partners=[partner_share.PartnerGrant.from_partner(p) for p in env.partners],
        )
    keys = Keys(
        f"{prefix}-kms",
        KeysArgs(
            account_id=account,
            region=region,
            alias_prefix=prefix,
            classifications=key_classifications(env),
            config_delivery_enabled=config_recorder,
            security_alerts_enabled=True,
            external_decrypt=partner_share.key_grants(share) if share else [],
            protect=protect,
        ),
        opts=opts,
    )
    net = env.network
    network = Network(
        f"{prefix}-network",
        NetworkArgs(
            region=region,
            cidr=net.aws_vpc_cidr,
            availability_zones=net.aws_availability_zones,
            public_subnets_enabled=net.aws_public_subnets_enabled,
            nat_gateways=net.aws_nat_gateways,
            interface_endpoints=net.aws_interface_endpoints,
            flow_logs_retention_days=env.protection.log_retention_days,
        ),
        account_id=account,
        flow_logs_kms_key_arn=keys.key_arns[LOGS_KEY],
        opts=opts,
    )

    bucket_names: dict[str, str] = {}
    lake = None
    if lake_on:
        assert share is not None
        lake = DataLake(
            f"{prefix}-lake",
            DataLakeArgs(
                name_prefix=prefix,
                account_id=account,
                data_classification=env.highest_classification(),
                exports_classification=exports_classification(env),
                noncurrent_version_days=stores.data_lake.noncurrent_version_days,
                retention_days=stores.data_lake.retention_days,
                access_log_retention_days=env.protection.log_retention_days,
                protect=protect,
                network_perimeter_enabled=stores.data_lake.network_perimeter_enabled,
                exports_object_lock_mode=stores.data_lake.exports_object_lock_mode,
                exports_object_lock_days=stores.data_lake.exports_object_lock_days,
            ),
            kms_key_arns=keys.key_arns,
            extra_statements={"lake-exports": partner_share.bucket_statements(share)},
            extra_tags={"lake-exports": partner_share.expiry_tags(share)},
            vpc_endpoint_ids=[network.s3_endpoint_id],
            perimeter_exceptions=_perimeter_exceptions(env),
            ci_role_arns=[deploy_role_arn(account, prefix), plan_role_arn(account, prefix)],
            opts=opts,
        )
        bucket_names.update(lake.bucket_names)
        access_logs = lake.access_logs
    else:
        access_logs = access_log_bucket(
            f"{prefix}-{ACCESS_LOGS}",
            AccessLogBucketArgs(
                bucket_name=f"{prefix}-{ACCESS_LOGS}",
                account_id=account,
                source_prefix=prefix,
                retention_days=env.protection.log_retention_days,
                protect=protect,
            ),
            opts=opts,
        )
        bucket_names[ACCESS_LOGS] = access_logs.bucket_name

    analytics = None
    if lake_on and stores.analytics_enabled:
        analytics_args = AnalyticsArgs(
            name_prefix=prefix,
            account_id=account,
            results_bucket_name=bucket_names["lake-curated"],
            results_classification=env.highest_classification(),
        )
        analytics = Analytics(
            f"{prefix}-analytics",
            analytics_args,
            results_kms_key_arn=keys.key_arns[env.highest_classification().value],
            opts=opts,
        )
    restricted_key = keys.key_arns[key_classifications(env)[-1].value]
    if stores.redshift.enabled:
        Redshift(
            f"{prefix}-redshift",
            RedshiftArgs(
                name_prefix=prefix,
                vpc_cidr=net.aws_vpc_cidr,
                subnet_count=len(network.private_subnet_ids),
                base_capacity_rpus=stores.redshift.base_capacity_rpus,
                classification=env.highest_classification(),
                protect=protect,
            ),
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            kms_key_arn=restricted_key,
            s3_prefix_list_id=network.s3_prefix_list_id,
            opts=opts,
        )
    postgres = None
    if stores.postgres.enabled:
        pg = stores.postgres
        postgres = Postgres(
            f"{prefix}-postgres",
            PostgresArgs(
                identifier=f"{prefix}-postgres",
                vpc_cidr=net.aws_vpc_cidr,
                instance_class=pg.instance_class,
                allocated_storage_gb=pg.allocated_storage_gb,
                engine_version=pg.engine_version,
                multi_az=pg.multi_az,
                backup_retention_days=env.protection.backup_retention_days,
                deletion_protection=env.protection.deletion_protection,
                final_snapshot_enabled=env.protection.deletion_protection,
                classification=env.highest_classification(),
                protect=protect,
            ),
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            kms_key_arn=restricted_key,
            opts=opts,
        )

    if postgres is not None and stores.backups.enabled:
        _database_backups(env, postgres.instance.arn, restricted_key, opts)

    audit_settings = env.audit
    AccountBaseline(
        f"{prefix}-baseline",
        AccountBaselineArgs(
            name_prefix=prefix,
            account_id=account,
            region=region,
            s3_account_public_access_block_enabled=audit_settings.aws_account_public_access_block_enabled,
            access_analyzer_enabled=audit_settings.aws_access_analyzer_enabled,
            security_hub_enabled=audit_settings.aws_security_hub_enabled,
            ebs_encryption_by_default_enabled=audit_settings.aws_ebs_encryption_by_default_enabled,
            guardduty_regions=list(audit_settings.aws_guardduty_regions),
        ),
        opts=opts,
    )
    restricted_buckets = sorted(bucket_names[role] for role in env.restricted_lake_resources())
    audit = Audit(
        f"{prefix}-audit",
        AuditArgs(
            name_prefix=prefix,
            account_id=account,
            region=region,
            retention_days=max(env.protection.log_retention_days, 365, audit_settings.aws_trail_object_lock_days),
            config_recorder_enabled=config_recorder,
            alert_email=env.organization.security_contact,
            protect=protect,
            object_lock_mode=audit_settings.aws_trail_object_lock_mode,
            object_lock_days=audit_settings.aws_trail_object_lock_days,
            data_event_bucket_names=restricted_buckets if audit_settings.aws_trail_data_events_enabled else [],
            cis_alarms_enabled=audit_settings.aws_cis_alarms_enabled,
            log_group_retention_days=max(env.protection.log_retention_days, 365),
        ),
        kms_key_arn=keys.key_arns[LOGS_KEY],
        access_log_bucket=access_logs.bucket.id,
        opts=opts,
    )
    bucket_names["cloudtrail"] = audit.bucket_name

    identity = env.identity
    center = None
    if identity.aws_identity_center_enabled:
        center = IdentityCenterArgs(
            instance_arn=identity.aws_identity_center_instance_arn,
            group_ids=identity.aws_identity_center_group_ids,
        )
    readable = {role: name for role, name in bucket_names.items() if role.startswith("lake-")}
    aws_identity = AwsIdentity(
        f"{prefix}-identity",
        AwsIdentityArgs(
            account=AccountArgs(
                account_id=account,
                region=region,
                name_prefix=prefix,
                environment=env.name,
                glue_database=analytics_args.database_name if analytics else None,
                # The tenant stack creates this boundary with the CI roles (components/aws/ci_identity.py).
                boundary_arn=boundary_arn(account, prefix),
            ),
            vendors=[
                VendorRoleArgs(
                    name=v.name,
                    account_id=v.aws_account_id,
                    external_id=v.aws_external_id,
                    expires=v.expires,
                    read_resources=v.aws_read_resources,
                    restricted_grants=[
                        RestrictedReadArgs(resource=g.resource, expires=g.expires) for g in v.restricted_grants
                    ],
                )
                for v in env.vendors
                if v.aws_account_id and v.aws_external_id
            ],
            readable_buckets=readable,
            restricted_resources=[r for r in env.restricted_lake_resources() if r in readable],
            identity_center=center,
            analytics_workgroup=f"{prefix}-analytics" if analytics else None,
            data_read_buckets=[
                n for r, n in readable.items() if r in ("lake-curated", "lake-exports")
            ],
        ),
        opts=opts,
    )

    if env.budgets.aws_monthly_usd is not None:
        owners = [c.email for c in env.organization.owners]
        Budget(
            f"{prefix}-budget",
            BudgetArgs(
                name=f"{prefix}-monthly",
                monthly_usd=env.budgets.aws_monthly_usd,
                recipients=[*owners, *env.budgets.notify],
            ),
            opts=opts,
        )

    return AwsPlatform(
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids,
        private_route_table_ids=network.private_route_table_ids,
        kms_key_arns=keys.key_arns,
        bucket_names=bucket_names,
        region=region,
        account_id=account,
        deploy_role_arn=deploy_role_arn(account, prefix),
        vendor_role_arns=aws_identity.vendor_role_arns,
    )
