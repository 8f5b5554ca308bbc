"""RDS PostgreSQL for the voter-contact application: private, encrypted, TLS-only, IAM auth."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pydantic import Field

from components.tagging import classified
from stacks.model import Classification, PrivateCidr, StrictModel


class PostgresArgs(StrictModel):
    """One RDS instance in the private subnets; the master password lives in Secrets Manager only."""

    identifier: str = Field(pattern=r"^[a-z][a-z0-9-]{0,62}$", description="DB instance identifier")
    vpc_cidr: PrivateCidr = Field(description="the only source allowed to reach port 5432")
    instance_class: str = Field("db.t4g.micro", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    allocated_storage_gb: int = Field(20, ge=20, le=65536)
    max_allocated_storage_gb: int | None = Field(
        None, description="storage autoscaling ceiling; 2x allocated when omitted"
    )
    engine_version: str = Field(
        "16", pattern=r"^\d+(\.\d+)?$", description="major (or major.minor) version"
    )
    multi_az: bool = Field(False, description="single AZ when false")
    backup_retention_days: int = Field(
        7, ge=7, le=35, description="automated backups kept this many days"
    )
    deletion_protection: bool = Field(
        True, description="AWS refuses to delete the instance while true"
    )
    final_snapshot_enabled: bool = Field(
        True, description="a final snapshot is taken on delete while true"
    )
    database_name: str = Field("voter_contact", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    master_username: str = Field("civic_admin", pattern=r"^[a-z][a-z0-9_]{0,15}$",
                                 description="the password is generated and rotated by RDS in Secrets Manager")  # fmt: skip
    classification: Classification = Field(
        Classification.restricted, description="tags and key choice"
    )
    protect: bool = Field(True, description="Pulumi refuses to delete the instance while true")

    @property
    def parameter_family(self) -> str:
        return f"postgres{self.engine_version.split('.')[0]}"


class Postgres(pulumi.ComponentResource):
    """Subnet group, TLS-forcing parameter group, a 5432-from-VPC security group and the instance."""

    def __init__(
        self,
        name: str,
        args: PostgresArgs,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        kms_key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:Postgres", name, None, opts)
        import pulumi_aws as aws

        if len(subnet_ids) < 2:
            raise ValueError(
                f"{name}: an RDS subnet group needs subnets in 2 availability zones, got {len(subnet_ids)}"
            )
        child = pulumi.ResourceOptions(parent=self)
        tags = classified(args.classification)
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=f"{args.identifier}-private",
            description=f"{args.identifier}: private subnets only",
            subnet_ids=list(subnet_ids),
            tags=tags,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-parameters",
            name=f"{args.identifier}-{args.parameter_family}",
            family=args.parameter_family,
            description=f"{args.identifier}: TLS required, connections logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(
                    name="rds.force_ssl", value="1", apply_method="pending-reboot"
                ),
                aws.rds.ParameterGroupParameterArgs(
                    name="log_connections", value="1", apply_method="pending-reboot"
                ),
            ],
            tags=tags,
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description="PostgreSQL: 5432 from the VPC only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=5432,
                    to_port=5432,
                    cidr_blocks=[args.vpc_cidr],
                    description="PostgreSQL from the VPC",
                )
            ],  # fmt: skip
            tags=tags,
            opts=child,
        )
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb or 2 * args.allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=kms_key_arn,
            db_name=args.database_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=kms_key_arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnet_group.name,
            parameter_group_name=parameters.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot_enabled,
            final_snapshot_identifier=f"{args.identifier}-final"
            if args.final_snapshot_enabled
            else None,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.instance.arn,
                "identifier": args.identifier,
                "endpoint": self.instance.endpoint,
            }
        )
