"""Redshift Serverless for analytics: private, KMS-encrypted, admin password managed by AWS.

Final snapshots: the provider cannot ask for a final snapshot when a serverless namespace
is deleted (the Terraform resource exposes no such argument). Instead, when `protect` is
on, the namespace is both protected (Pulumi refuses to delete it) and `retain_on_delete`
(a stack teardown leaves it, and its data, in the account); Redshift Serverless also keeps
its own recovery points. Deleting it is then a deliberate console or CLI act, where a
final snapshot can be taken.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pydantic import Field, field_validator

from components.tagging import classified
from stacks.model import Classification, PrivateCidr, StrictModel


class RedshiftArgs(StrictModel):
    """A namespace and workgroup in the private subnets; never publicly accessible."""

    name_prefix: str = Field(
        pattern=r"^[a-z0-9-]+$", description="namespace and workgroup '<prefix>-analytics'"
    )
    vpc_cidr: PrivateCidr = Field(description="the only source allowed to reach port 5439")
    subnet_count: int = Field(
        description="private subnets passed in; Redshift Serverless needs three AZs"
    )
    base_capacity_rpus: int = Field(
        8, ge=8, le=512, description="base RPUs; billed while queries run"
    )
    database_name: str = Field("analytics", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    admin_username: str = Field("civic_admin", pattern=r"^[a-z][a-z0-9_]{0,62}$",
                                description="the password is generated and kept in Secrets Manager")  # fmt: skip
    classification: Classification = Field(
        Classification.restricted, description="tags and key choice"
    )
    protect: bool = Field(
        True, description="protected and retained on delete (see module docstring)"
    )

    @field_validator("subnet_count")
    @classmethod
    def _three_azs(cls, value: int) -> int:
        if value < 3:
            raise ValueError(
                f"redshift serverless needs subnets in at least 3 availability zones, got {value}; "
                "set network.aws_availability_zones: 3 or data_stores.redshift.enabled: false"
            )
        return value

    @property
    def resource_name(self) -> str:
        return f"{self.name_prefix}-analytics"


class Redshift(pulumi.ComponentResource):
    """Namespace (KMS, managed admin password, audit logs) + private workgroup with enhanced VPC routing."""

    def __init__(
        self,
        name: str,
        args: RedshiftArgs,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        kms_key_arn: pulumi.Input[str],
        s3_prefix_list_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:Redshift", name, None, opts)
        import pulumi_aws as aws

        if len(subnet_ids) != args.subnet_count:
            raise ValueError(
                f"{name}: got {len(subnet_ids)} subnet ids but subnet_count {args.subnet_count}"
            )
        child = pulumi.ResourceOptions(parent=self)
        tags = classified(args.classification)
        egress = [
            aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=443, to_port=443, cidr_blocks=[args.vpc_cidr],
                                            description="HTTPS to VPC interface endpoints")
        ]  # fmt: skip
        if s3_prefix_list_id is not None:
            egress.append(
                aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=443, to_port=443,
                                                prefix_list_ids=[s3_prefix_list_id],
                                                description="HTTPS to S3 through the gateway endpoint")
            )  # fmt: skip
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description="Redshift Serverless: 5439 from the VPC only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=5439,
                    to_port=5439,
                    cidr_blocks=[args.vpc_cidr],
                    description="Redshift from the VPC",
                )
            ],  # fmt: skip
            egress=egress,
            tags=tags,
            opts=child,
        )
        self.namespace = aws.redshiftserverless.Namespace(
            f"{name}-namespace",
            namespace_name=args.resource_name,
            db_name=args.database_name,
            admin_username=args.admin_username,
            manage_admin_password=True,
            admin_password_secret_kms_key_id=kms_key_arn,
            kms_key_id=kms_key_arn,
            log_exports=["userlog", "connectionlog", "useractivitylog"],
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )
        self.workgroup = aws.redshiftserverless.Workgroup(
            f"{name}-workgroup",
            workgroup_name=args.resource_name,
            namespace_name=self.namespace.namespace_name,
            base_capacity=args.base_capacity_rpus,
            publicly_accessible=False,
            enhanced_vpc_routing=True,
            subnet_ids=list(subnet_ids),
            security_group_ids=[self.security_group.id],
            config_parameters=[
                aws.redshiftserverless.WorkgroupConfigParameterArgs(
                    parameter_key="require_ssl", parameter_value="true"
                ),
                aws.redshiftserverless.WorkgroupConfigParameterArgs(
                    parameter_key="enable_user_activity_logging", parameter_value="true"
                ),
            ],
            tags=tags,
            opts=child,
        )
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.namespace.arn,
                "namespace_name": args.resource_name,
                "workgroup_name": args.resource_name,
            }
        )
