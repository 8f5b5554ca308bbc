"""SiteToSiteVpn: both ends of the Azure <-> AWS link, with the key only ever a secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli.capture import Capture, ProgramError, capture_program
from components.azure.vpn import SiteToSiteVpn, SiteToSiteVpnArgs

KEY_CONFIG = "infra:vpn_shared_key"
KEY_VALUE = "test-only-shared-key"
GATEWAY_SUBNET_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/GatewaySubnet"
AZURE_SPACES = ("10.50.0.0/20", "10.50.16.0/20")

CONNECTION = "azure-native:network:VirtualNetworkGatewayConnection"
AWS_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"


def _args(**overrides) -> SiteToSiteVpnArgs:
    values = {
        "short_name": "caf",
        "environment": "prod",
        "azure_address_spaces": AZURE_SPACES,
        "aws_vpc_cidr": "10.60.0.0/16",
    }
    return SiteToSiteVpnArgs(**{**values, **overrides})


def _capture(
    args: SiteToSiteVpnArgs, *, config: dict[str, str] | None = None, tables=("rtb-a", "rtb-b")
) -> Capture:
    def program() -> None:
        SiteToSiteVpn(
            "vpn",
            args,
            resource_group_name="rg-caf-prod-platform",
            gateway_subnet_id=GATEWAY_SUBNET_ID,
            vpc_id="vpc-placeholder",
            private_route_table_ids=list(tables),
        )

    return capture_program(
        program,
        project="t",
        stack="prod",
        config={KEY_CONFIG: KEY_VALUE} if config is None else config,
        secret_keys=[KEY_CONFIG],
    )


@pytest.fixture(scope="module")
def vpn() -> Capture:
    return _capture(_args())


def _one(capture: Capture, type_: str):
    (resource,) = capture.of_type(type_)
    return resource


def test_the_key_is_a_secret_everywhere_it_is_used(vpn):
    connections = vpn.of_type(CONNECTION)
    assert len(connections) == 2
    for connection in connections:
        assert connection.inputs["sharedKey"] == "[secret]"
        assert "sharedKey" in connection.secret_paths
    aws_connection = _one(vpn, AWS_CONNECTION)
    for tunnel in (1, 2):
        assert aws_connection.inputs[f"tunnel{tunnel}PresharedKey"] == "[secret]"
        assert f"tunnel{tunnel}PresharedKey" in aws_connection.secret_paths


def test_the_key_value_never_appears_in_the_capture(vpn):
    import json

    assert KEY_VALUE not in json.dumps(vpn.to_json())
    assert all(not r.plaintext_secret_paths for r in vpn.resources)


def test_without_the_secret_config_the_program_fails():
    with pytest.raises(ProgramError, match="vpn_shared_key"):
        _capture(_args(), config={})


def test_azure_gateway_is_zone_redundant_route_based_in_the_gateway_subnet(vpn):
    gateway = _one(vpn, "azure-native:network:VirtualNetworkGateway").inputs
    assert gateway["gatewayType"] == "Vpn"
    assert gateway["vpnType"] == "RouteBased"
    assert gateway["sku"] == {"name": "VpnGw1AZ", "tier": "VpnGw1AZ"}
    (ip_config,) = gateway["ipConfigurations"]
    assert ip_config["subnet"] == {"id": GATEWAY_SUBNET_ID}
    public_ip = _one(vpn, "azure-native:network:PublicIPAddress").inputs
    assert public_ip["sku"]["name"] == "Standard"
    assert public_ip["publicIPAllocationMethod"] == "Static"
    assert public_ip["zones"] == ["1", "2", "3"]


def test_non_zonal_sku_gets_a_non_zonal_ip():
    capture = _capture(_args(sku="VpnGw1"))
    assert "zones" not in _one(capture, "azure-native:network:PublicIPAddress").inputs


def test_azure_connections_pin_a_strong_ikev2_proposal(vpn):
    for connection in vpn.of_type(CONNECTION):
        inputs = connection.inputs
        assert inputs["connectionType"] == "IPsec"
        assert inputs["connectionProtocol"] == "IKEv2"
        (policy,) = inputs["ipsecPolicies"]
        assert policy["ikeEncryption"] == "AES256" and policy["ipsecEncryption"] == "AES256"
        assert policy["ikeIntegrity"] == "SHA256" and policy["ipsecIntegrity"] == "SHA256"
        assert policy["dhGroup"] == "DHGroup14" and policy["pfsGroup"] == "PFS2048"


def test_aws_side_matches_the_proposal_and_uses_static_routes(vpn):
    inputs = _one(vpn, AWS_CONNECTION).inputs
    assert inputs["type"] == "ipsec.1"
    assert inputs["staticRoutesOnly"] is True
    for tunnel in (1, 2):
        assert inputs[f"tunnel{tunnel}IkeVersions"] == ["ikev2"]
        assert inputs[f"tunnel{tunnel}Phase1EncryptionAlgorithms"] == ["AES256"]
        assert inputs[f"tunnel{tunnel}Phase2IntegrityAlgorithms"] == ["SHA2-256"]
        assert inputs[f"tunnel{tunnel}Phase1DhGroupNumbers"] == [14.0]


def test_aws_routes_every_azure_address_space_to_the_vpn(vpn):
    routes = vpn.of_type("aws:ec2/vpnConnectionRoute:VpnConnectionRoute")
    assert sorted(r.inputs["destinationCidrBlock"] for r in routes) == sorted(AZURE_SPACES)
    connection = _one(vpn, AWS_CONNECTION)
    assert all(r.property_dependencies["vpnConnectionId"] == (connection.urn,) for r in routes)


def test_vpn_routes_propagate_into_every_private_route_table(vpn):
    propagations = vpn.of_type("aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")
    assert sorted(p.inputs["routeTableId"] for p in propagations) == ["rtb-a", "rtb-b"]
    assert _one(vpn, "aws:ec2/vpnGateway:VpnGateway").inputs["vpcId"] == "vpc-placeholder"


def test_customer_gateway_is_the_azure_gateway_ip(vpn):
    customer = _one(vpn, "aws:ec2/customerGateway:CustomerGateway")
    public_ip = _one(vpn, "azure-native:network:PublicIPAddress")
    assert customer.inputs["type"] == "ipsec.1"
    assert public_ip.urn in customer.dependencies


def test_each_aws_tunnel_gets_a_local_gateway_for_the_vpc(vpn):
    locals_ = vpn.of_type("azure-native:network:LocalNetworkGateway")
    assert len(locals_) == 2
    aws_connection = _one(vpn, AWS_CONNECTION)
    for local in locals_:
        assert local.inputs["localNetworkAddressSpace"] == {"addressPrefixes": ["10.60.0.0/16"]}
        assert aws_connection.urn in local.dependencies


def test_route_tables_must_be_a_list():
    import pulumi

    def program() -> None:
        SiteToSiteVpn(
            "vpn",
            _args(),
            resource_group_name="rg",
            gateway_subnet_id=GATEWAY_SUBNET_ID,
            vpc_id="vpc-placeholder",
            private_route_table_ids=pulumi.Output.from_input(["rtb-a"]),
        )

    with pytest.raises(ProgramError, match="private_route_table_ids must be a list"):
        capture_program(
            program,
            project="t",
            stack="dev",
            config={KEY_CONFIG: KEY_VALUE},
            secret_keys=[KEY_CONFIG],
        )


def test_args_reject_public_address_spaces():
    with pytest.raises(ValidationError, match="private"):
        _args(aws_vpc_cidr="8.8.0.0/16")
