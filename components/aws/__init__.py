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


def define_aws(env: Environment, providers: Any) -> AwsPlatform:
    """Every AWS resource of `env`, under one explicit provider pinned to the account and region."""
    from components.aws.kms import Keys, KeysArgs
    from components.aws.network import Network, NetworkArgs

    assert env.aws is not None, "define_aws needs the aws section"
    prefix = name_prefix(env)
    account, region = env.aws.account_id, env.aws.region
    opts = providers.opts(aws=True)
    protect = env.protection.deletion_protection

    keys = Keys(
        f"{prefix}-kms",
        KeysArgs(
            account_id=account,
            region=region,
            alias_prefix=prefix,
            classifications=key_classifications(env),
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
        flow_logs_kms_key_arn=keys.key_arns["logs"],
        opts=opts,
    )
    return AwsPlatform(
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids,
        private_route_table_ids=network.private_route_table_ids,
        kms_key_arns=keys.key_arns,
        region=region,
    )
