"""Network: private subnets, emptied default SG, KMS-encrypted flow logs, S3 gateway and interface endpoints."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from components.aws.network import Network, NetworkArgs, cloudwatch_retention, subnet_cidrs
from tests.components.aws.conftest import ACCOUNT, capture, document, one

LOGS_KEY = "arn:aws:kms:us-east-1:000000000003:key/logs"
SUBNET = "aws:ec2/subnet:Subnet"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"


def _capture(**overrides):
    values = {"region": "us-east-1", "cidr": "10.60.0.0/16", "availability_zones": 3,
              "interface_endpoints": ["kms", "sts"], "flow_logs_retention_days": 365}  # fmt: skip
    args = NetworkArgs(**{**values, **overrides})
    return capture(lambda: Network("net", args, account_id=ACCOUNT, flow_logs_kms_key_arn=LOGS_KEY))


@pytest.fixture(scope="module")
def private():
    return _capture()


@pytest.fixture(scope="module")
def edge():
    return _capture(public_subnets_enabled=True, nat_gateways="per-az")


def test_private_subnets_one_per_az_without_public_ips(private):
    subnets = private.of_type(SUBNET)
    assert sorted(s.inputs["availabilityZone"] for s in subnets) == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    ]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert sorted(s.inputs["cidrBlock"] for s in subnets) == [
        "10.60.0.0/20",
        "10.60.16.0/20",
        "10.60.32.0/20",
    ]


def test_private_only_has_no_internet_path(private):
    types = {r.type for r in private.resources}
    assert "aws:ec2/internetGateway:InternetGateway" not in types
    assert NAT not in types
    assert "aws:ec2/eip:Eip" not in types
    assert private.of_type(ROUTE) == []


def test_default_security_group_is_emptied(private):
    sg = one(private, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["ingress"] == []
    assert sg.inputs["egress"] == []


def test_flow_logs_go_to_a_kms_encrypted_log_group_with_retention(private):
    group = one(private, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == LOGS_KEY
    assert group.inputs["retentionInDays"] == 365.0
    flow = one(private, "aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert group.urn in flow.property_dependencies["logDestination"]
    assert one(private, "aws:ec2/vpc:Vpc").urn in flow.property_dependencies["vpcId"]


def test_flow_log_role_trusts_only_the_flow_logs_service_for_this_account(private):
    role = one(private, "aws:iam/role:Role")
    (trust,) = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    (write,) = document(one(private, "aws:iam/rolePolicy:RolePolicy"))["Statement"]
    assert "*" not in json.dumps(write["Resource"]).replace(":*", "")


def test_s3_gateway_endpoint_on_every_private_route_table(private):
    gateway = [e for e in private.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    (s3,) = gateway
    assert s3.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    tables = [r.urn for r in private.of_type("aws:ec2/routeTable:RouteTable")]
    assert sorted(s3.property_dependencies["routeTableIds"]) == sorted(tables)


def test_interface_endpoints_use_private_dns_and_443_from_the_vpc_only(private):
    interface = {e.inputs["serviceName"]: e for e in private.of_type(ENDPOINT)
                 if e.inputs["vpcEndpointType"] == "Interface"}  # fmt: skip
    assert set(interface) == {"com.amazonaws.us-east-1.kms", "com.amazonaws.us-east-1.sts"}
    assert all(e.inputs["privateDnsEnabled"] is True for e in interface.values())
    sg = one(private, "aws:ec2/securityGroup:SecurityGroup")
    (rule,) = sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"], rule["cidrBlocks"]) == (
        443.0,
        443.0,
        "tcp",
        ["10.60.0.0/16"],
    )
    assert "egress" not in sg.inputs or sg.inputs["egress"] == []


def test_no_interface_endpoints_means_no_endpoint_security_group():
    cap = _capture(interface_endpoints=[], availability_zones=2)
    assert cap.of_type("aws:ec2/securityGroup:SecurityGroup") == []
    assert len(cap.of_type(ENDPOINT)) == 1


def test_per_az_nat_routes_each_private_table_to_its_own_gateway(edge):
    nats = edge.of_type(NAT)
    assert len(nats) == 3
    private_defaults = [r for r in edge.of_type(ROUTE) if r.name.startswith("net-private-default-")]
    assert len(private_defaults) == 3
    assert {r.property_dependencies["natGatewayId"][0] for r in private_defaults} == {
        n.urn for n in nats
    }
    public_subnets = [s for s in edge.of_type(SUBNET) if s.inputs["tags"]["tier"] == "public"]
    assert len(public_subnets) == 3
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public_subnets)


def test_single_nat_is_shared():
    cap = _capture(public_subnets_enabled=True, nat_gateways="single")
    (nat,) = cap.of_type(NAT)
    routes = [r for r in cap.of_type(ROUTE) if r.name.startswith("net-private-default-")]
    assert {r.property_dependencies["natGatewayId"][0] for r in routes} == {nat.urn}


def test_nat_without_public_subnets_is_rejected():
    with pytest.raises(ValidationError, match="needs public subnets"):
        NetworkArgs(region="us-east-1", cidr="10.0.0.0/16", nat_gateways="single")


def test_bad_inputs_are_rejected_with_the_fix():
    with pytest.raises(ValidationError, match="/24 or larger"):
        NetworkArgs(region="us-east-1", cidr="10.0.0.0/25")
    with pytest.raises(ValidationError, match="short service name"):
        NetworkArgs(
            region="us-east-1",
            cidr="10.0.0.0/16",
            interface_endpoints=["com.amazonaws.us-east-1.kms"],
        )
    with pytest.raises(ValidationError, match="s3 gateway endpoint"):
        NetworkArgs(region="us-east-1", cidr="10.0.0.0/16", interface_endpoints=["s3"])


def test_retention_rounds_up_to_an_accepted_value():
    assert cloudwatch_retention(30) == 30
    assert cloudwatch_retention(100) == 120
    assert cloudwatch_retention(730) == 731


def test_subnet_cidrs_keep_private_and_public_apart():
    private, public = subnet_cidrs("10.20.0.0/16", 2)
    assert private == ["10.20.0.0/20", "10.20.16.0/20"]
    assert public == ["10.20.128.0/20", "10.20.144.0/20"]


def test_endpoints_admit_only_this_accounts_principals_and_s3_only_its_buckets():
    import json as _json

    from components.aws.network import Network, NetworkArgs
    from tests.components.aws.conftest import ACCOUNT, capture

    cap = capture(lambda: Network("net", NetworkArgs(region="us-east-1", cidr="10.60.0.0/16",
                                                      interface_endpoints=["kms", "sts"]),
                                  account_id=ACCOUNT, flow_logs_kms_key_arn="arn:aws:kms:us-east-1:000000000003:key/x"))
    endpoints = {e.name: e for e in cap.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert sorted(endpoints) == ["net-kms-endpoint", "net-s3-endpoint", "net-sts-endpoint"]
    (s3,) = _json.loads(endpoints["net-s3-endpoint"].inputs["policy"])["Statement"]
    assert s3["Effect"] == "Allow" and s3["Action"] == "s3:*"
    assert s3["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}}
    for name in ("net-kms-endpoint", "net-sts-endpoint"):
        (stmt,) = _json.loads(endpoints[name].inputs["policy"])["Statement"]
        assert stmt["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    loose = capture(lambda: Network("net", NetworkArgs(region="us-east-1", cidr="10.60.0.0/16",
                                                        endpoint_policies_enabled=False),
                                    account_id=ACCOUNT, flow_logs_kms_key_arn="arn:aws:kms:us-east-1:000000000003:key/x"))
    assert "policy" not in loose.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")[0].inputs
