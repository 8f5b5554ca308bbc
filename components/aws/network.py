"""The AWS VPC for the data stores: private subnets, optional public edge, flow logs, endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Literal

import pulumi
from pydantic import Field, field_validator, model_validator

from components.aws.documents import dumps, service_assume_role
from stacks.model import PrivateCidr, StrictModel

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
"""The only values CloudWatch Logs accepts for retention_in_days."""

SUBNET_SLOTS = 16
"""The VPC is cut into 16 equal blocks: private subnets use the first, public ones start at 8."""
PUBLIC_SLOT_OFFSET = 8


def cloudwatch_retention(days: int) -> int:
    """The shortest retention CloudWatch Logs accepts that keeps logs at least `days` days."""
    for allowed in CLOUDWATCH_RETENTION_DAYS:
        if allowed >= days:
            return allowed
    raise ValueError(
        f"log retention must be at most {CLOUDWATCH_RETENTION_DAYS[-1]} days, got {days}"
    )


def subnet_cidrs(vpc_cidr: str, count: int) -> tuple[list[str], list[str]]:
    """(private, public) subnet CIDRs, one per AZ, carved from the VPC in fixed slots."""
    blocks = list(ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=4))
    private = [str(blocks[i]) for i in range(count)]
    public = [str(blocks[PUBLIC_SLOT_OFFSET + i]) for i in range(count)]
    return private, public


def endpoint_policies(account_id: str) -> tuple[str, str]:
    """(S3 gateway, interface) endpoint policies: a stolen credential from another account, or a
    bucket in another account (an exfiltration drop), is refused at the VPC's edge."""
    own = {"aws:PrincipalAccount": account_id}
    s3 = dumps([{
        "Sid": "OwnPrincipalsToOwnBuckets",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringEquals": {**own, "aws:ResourceAccount": account_id}},
    }])  # fmt: skip
    interface = dumps([{
        "Sid": "OwnPrincipalsOnly",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": own},
    }])  # fmt: skip
    return s3, interface


class NetworkArgs(StrictModel):
    """The VPC: private by default; a public edge and NAT only when asked for."""

    region: str = Field(description="region the VPC lives in; AZ names are derived from it")
    cidr: PrivateCidr = Field(description="VPC address space; cut into 16 blocks, at most a /24")
    availability_zones: int = Field(
        2, ge=2, le=3, description="AZs spanned; one private subnet in each"
    )
    public_subnets_enabled: bool = Field(
        False, description="off: no public subnets, no internet gateway, no route to the internet"
    )
    nat_gateways: Literal["none", "single", "per-az"] = Field(
        "none", description="none: private subnets have no outbound internet; needs public subnets"
    )
    interface_endpoints: list[str] = Field(
        default_factory=list,
        description="interface endpoint services (e.g. 'kms'); none when empty",
    )
    flow_logs_destination: Literal["cloud-watch-logs", "s3"] = Field(
        "cloud-watch-logs",
        description="cloud-watch-logs: a KMS-encrypted log group; s3 needs a bucket arn",
    )
    flow_logs_retention_days: int = Field(
        365, ge=1, le=3653, description="rounded up to a value CloudWatch Logs accepts"
    )
    endpoint_policies_enabled: bool = Field(
        True,
        description="endpoint policies admit only this account's principals (and, for S3, only its buckets); "
        "off: the AWS default policy lets any principal reach any bucket or key through the VPC",
    )

    @field_validator("cidr")
    @classmethod
    def _big_enough(cls, value: str) -> str:
        if ipaddress.ip_network(value).prefixlen > 24:
            raise ValueError(
                f"vpc cidr must be a /24 or larger so it can hold 16 subnets, got {value}"
            )
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _service_names(cls, value: list[str]) -> list[str]:
        for service in value:
            if (
                not service
                or not all(part.isalnum() or part == "-" for part in service.split("."))
                or service.startswith("com.amazonaws")
            ):
                raise ValueError(
                    f"interface endpoint must be a short service name such as 'kms', got {service!r}"
                )
        if "s3" in value:
            raise ValueError(
                "interface endpoint 's3' is not needed: the VPC always has an s3 gateway endpoint"
            )
        return value

    @model_validator(mode="after")
    def _nat_needs_public(self) -> NetworkArgs:
        if self.nat_gateways != "none" and not self.public_subnets_enabled:
            raise ValueError(
                f"nat_gateways {self.nat_gateways!r} needs public subnets; "
                "set public_subnets_enabled: true or nat_gateways: none"
            )
        return self

    @property
    def zone_names(self) -> list[str]:
        return [f"{self.region}{letter}" for letter in "abc"[: self.availability_zones]]


class Network(pulumi.ComponentResource):
    """A VPC with private data subnets, an emptied default security group, flow logs and endpoints."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    s3_prefix_list_id: pulumi.Output[str]
    """The S3 gateway endpoint's prefix list, for security group egress rules."""
    s3_endpoint_id: pulumi.Output[str]
    """The S3 gateway endpoint: the one path restricted buckets accept object access from (aws:SourceVpce)."""

    def __init__(
        self,
        name: str,
        args: NetworkArgs,
        *,
        account_id: str,
        flow_logs_kms_key_arn: pulumi.Input[str] | None = None,
        flow_logs_bucket_arn: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:Network", name, None, opts)
        import pulumi_aws as aws

        self._aws = aws
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        self.vpc_cidr = args.cidr
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        self.vpc_id = self.vpc.id
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-do-not-use"},
            opts=child,
        )
        private_cidrs, public_cidrs = subnet_cidrs(args.cidr, args.availability_zones)
        self.private_subnets = self._create_private_subnets(args, private_cidrs)
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.private_route_tables = [
            aws.ec2.RouteTable(f"{name}-private-rt-{az}", vpc_id=self.vpc.id,
                               tags={"Name": f"{name}-private-{az}"}, opts=child)
            for az in args.zone_names
        ]  # fmt: skip
        for az, subnet, table in zip(
            args.zone_names, self.private_subnets, self.private_route_tables, strict=True
        ):
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{az}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
        self.private_route_table_ids = [t.id for t in self.private_route_tables]
        self.public_subnet_ids = []
        if args.public_subnets_enabled:
            public_subnets = self._create_public_edge(args, public_cidrs)
            self.public_subnet_ids = [s.id for s in public_subnets]
            self._create_nat(args, public_subnets)
        self._create_flow_logs(args, account_id, flow_logs_kms_key_arn, flow_logs_bucket_arn)
        self._create_endpoints(args, account_id)

        self.register_outputs(
            {
                "name": name,
                "resource_id": self.vpc.id,
                "vpc_id": self.vpc.id,
                "vpc_cidr": args.cidr,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "private_route_table_ids": self.private_route_table_ids,
            }
        )

    def _opts(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _create_private_subnets(self, args: NetworkArgs, cidrs: Sequence[str]) -> list:
        return [
            self._aws.ec2.Subnet(
                f"{self._name}-private-{az}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{self._name}-private-{az}", "tier": "private"},
                opts=self._opts(),
            )
            for az, cidr in zip(args.zone_names, cidrs, strict=True)
        ]

    def _create_public_edge(self, args: NetworkArgs, cidrs: Sequence[str]) -> list:
        aws, name = self._aws, self._name
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"},
                                      opts=self._opts())  # fmt: skip
        table = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"},
                                   opts=self._opts())  # fmt: skip
        aws.ec2.Route(f"{name}-public-default", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=self._opts())  # fmt: skip
        subnets = []
        for az, cidr in zip(args.zone_names, cidrs, strict=True):
            # Public subnets hold only NAT gateways: instances there still get no public IP by default.
            subnet = aws.ec2.Subnet(
                f"{name}-public-{az}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{az}", "tier": "public"},
                opts=self._opts(),
            )
            aws.ec2.RouteTableAssociation(f"{name}-public-rta-{az}", subnet_id=subnet.id, route_table_id=table.id,
                                          opts=self._opts())  # fmt: skip
            subnets.append(subnet)
        return subnets

    def _create_nat(self, args: NetworkArgs, public_subnets: Sequence) -> None:
        if args.nat_gateways == "none":
            return
        aws, name = self._aws, self._name
        count = 1 if args.nat_gateways == "single" else args.availability_zones
        gateways = []
        for az, subnet in list(zip(args.zone_names, public_subnets, strict=True))[:count]:
            eip = aws.ec2.Eip(f"{name}-nat-eip-{az}", domain="vpc", tags={"Name": f"{name}-nat-{az}"},
                              opts=self._opts())  # fmt: skip
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{az}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags={"Name": f"{name}-nat-{az}"},
                    opts=self._opts(),
                )  # fmt: skip
            )
        for i, (az, table) in enumerate(
            zip(args.zone_names, self.private_route_tables, strict=True)
        ):
            gateway = gateways[i if len(gateways) > 1 else 0]
            aws.ec2.Route(f"{name}-private-default-{az}", route_table_id=table.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=gateway.id,
                          opts=self._opts())  # fmt: skip

    def _create_flow_logs(
        self, args: NetworkArgs, account_id: str, kms_key_arn, bucket_arn
    ) -> None:
        aws, name = self._aws, self._name
        if args.flow_logs_destination == "s3":
            if bucket_arn is None:
                raise ValueError(
                    f"{name}: flow_logs_destination 's3' needs flow_logs_bucket_arn; pass the log bucket arn"
                )
            aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=self.vpc.id, traffic_type="ALL",
                            log_destination_type="s3", log_destination=bucket_arn,
                            max_aggregation_interval=60, opts=self._opts())  # fmt: skip
            return
        if kms_key_arn is None:
            raise ValueError(
                f"{name}: flow logs to cloud-watch-logs need flow_logs_kms_key_arn; pass the logs key arn"
            )
        group_name = f"/civic/{name}/vpc-flow-logs"
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=cloudwatch_retention(args.flow_logs_retention_days),
            kms_key_id=kms_key_arn,
            opts=self._opts(),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=f"{name}-flow-logs",
            assume_role_policy=service_assume_role("vpc-flow-logs.amazonaws.com", account_id),
            max_session_duration=3600,
            opts=self._opts(),
        )
        group_arn = f"arn:aws:logs:{args.region}:{account_id}:log-group:{group_name}"
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=dumps(
                [
                    {
                        "Sid": "WriteFlowLogs",
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogGroups",
                            "logs:DescribeLogStreams",
                        ],
                        "Resource": [group_arn, f"{group_arn}:*"],
                    }
                ]
            ),  # fmt: skip
            opts=self._opts(),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=self._opts(),
        )

    def _create_endpoints(self, args: NetworkArgs, account_id: str) -> None:
        aws, name = self._aws, self._name
        s3_policy, interface_policy = (
            endpoint_policies(account_id) if args.endpoint_policies_enabled else (None, None)
        )
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=self.private_route_table_ids,
            policy=s3_policy,
            tags={"Name": f"{name}-s3"},
            opts=self._opts(),
        )
        self.s3_prefix_list_id = self.s3_endpoint.prefix_list_id
        self.s3_endpoint_id = self.s3_endpoint.id
        if not args.interface_endpoints:
            return
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.cidr],
                    description="HTTPS from the VPC",
                )
            ],  # fmt: skip
            tags={"Name": f"{name}-endpoints"},
            opts=self._opts(),
        )
        for service in args.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                policy=interface_policy,
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[group.id],
                tags={"Name": f"{name}-{service}"},
                opts=self._opts(),
            )
