"""Site-to-site VPN between the Azure hub and the AWS VPC (both ends in one component).

Azure: a zone-redundant route-based VPN gateway in the hub's `GatewaySubnet` with a
Standard public IP. AWS: a customer gateway at that IP, a virtual private gateway on the
VPC, and a VPN connection with static routes to every Azure address space. AWS gives each
connection two tunnels, so Azure gets a local network gateway and a connection per tunnel:
one tunnel can go down (AWS maintenance) without cutting the link.

Both ends pin the same strong IKEv2 proposal (AES-256, SHA-256, DH group 14, PFS 2048)
instead of negotiating down to the providers' legacy defaults. The pre-shared key is read
only from the stack's secret config `infra:vpn_shared_key`, so it stays a secret Output
from the config to both providers and never appears in code, plans or state in clear.

Needs both providers: compose it with `providers.opts(aws=True, azure=True)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pulumi
from pydantic import Field

from stacks.model import PrivateCidr, Slug, StrictModel

SHARED_KEY_CONFIG = "vpn_shared_key"
"""The secret config key (namespace `infra`) holding the pre-shared key."""

TUNNELS = (1, 2)


class SiteToSiteVpnArgs(StrictModel):
    """Sizing and address spaces of the Azure <-> AWS VPN."""

    short_name: Slug = Field(description="organisation prefix of every name")
    environment: Slug = Field(description="environment name; part of every name")
    location: str = Field("eastus2", description="Azure region of the gateway")
    sku: Literal["VpnGw1", "VpnGw2", "VpnGw1AZ", "VpnGw2AZ"] = Field(
        "VpnGw1AZ", description="gateway size; the *AZ sizes spread over availability zones"
    )
    azure_address_spaces: tuple[PrivateCidr, ...] = Field(
        min_length=1, description="hub and spoke ranges that AWS routes to Azure"
    )
    aws_vpc_cidr: PrivateCidr = Field(description="the VPC range that Azure routes to AWS")
    customer_gateway_asn: int = Field(
        65000, ge=64512, le=65534, description="private ASN AWS records for Azure"
    )

    @property
    def zone_redundant(self) -> bool:
        return self.sku.endswith("AZ")


class SiteToSiteVpn(pulumi.ComponentResource):
    """Azure VPN gateway and AWS VPN connection, linked with a secret pre-shared key."""

    def __init__(
        self,
        name: str,
        args: SiteToSiteVpnArgs,
        *,
        resource_group_name: pulumi.Input[str],
        gateway_subnet_id: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        private_route_table_ids: Sequence[pulumi.Input[str]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:SiteToSiteVpn", name, None, opts)
        if isinstance(private_route_table_ids, (str, pulumi.Output)):
            raise TypeError(
                "private_route_table_ids must be a list of route table ids (one route propagation "
                f"each), got {type(private_route_table_ids).__name__}; pass e.g. [rt.id for rt in tables]"
            )
        self._name = name
        self.args = args
        self._rg = resource_group_name
        shared_key = pulumi.Config("infra").require_secret(SHARED_KEY_CONFIG)

        public_ip, gateway = self._create_azure_gateway(gateway_subnet_id)
        customer_gateway, vpn_gateway, connection = self._create_aws_side(
            public_ip, vpc_id, shared_key, private_route_table_ids
        )
        tunnel_addresses = {1: connection.tunnel1_address, 2: connection.tunnel2_address}
        self.connections = [
            self._create_azure_connection(
                tunnel, tunnel_addresses[tunnel], gateway, shared_key, aws_connection=connection
            )
            for tunnel in TUNNELS
        ]

        self.gateway = gateway
        self.gateway_id = gateway.id
        self.public_ip_address = public_ip.ip_address
        self.aws_vpn_connection_id = connection.id
        self.aws_vpn_gateway_id = vpn_gateway.id
        self.register_outputs(
            {
                "name": gateway.name,
                "resource_id": gateway.id,
                "gateway_id": gateway.id,
                "public_ip_address": public_ip.ip_address,
                "aws_customer_gateway_id": customer_gateway.id,
                "aws_vpn_gateway_id": vpn_gateway.id,
                "aws_vpn_connection_id": connection.id,
            }
        )

    def _create_azure_gateway(self, gateway_subnet_id: pulumi.Input[str]):
        import pulumi_azure_native as azure_native

        args = self.args
        zones = ["1", "2", "3"] if args.zone_redundant else None
        public_ip = azure_native.network.PublicIPAddress(
            f"{self._name}-gateway-ip",
            public_ip_address_name=f"pip-{args.short_name}-{args.environment}-vpn",
            resource_group_name=self._rg,
            location=args.location,
            sku=azure_native.network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            zones=zones,
            opts=pulumi.ResourceOptions(parent=self),
        )
        gateway = azure_native.network.VirtualNetworkGateway(
            f"{self._name}-gateway",
            virtual_network_gateway_name=f"vgw-{args.short_name}-{args.environment}-hub",
            resource_group_name=self._rg,
            location=args.location,
            gateway_type="Vpn",
            vpn_type="RouteBased",
            sku=azure_native.network.VirtualNetworkGatewaySkuArgs(name=args.sku, tier=args.sku),
            active_active=False,
            enable_bgp=False,
            ip_configurations=[
                azure_native.network.VirtualNetworkGatewayIPConfigurationArgs(
                    name="default",
                    private_ip_allocation_method="Dynamic",
                    subnet=azure_native.network.SubResourceArgs(id=gateway_subnet_id),
                    public_ip_address=azure_native.network.SubResourceArgs(id=public_ip.id),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return public_ip, gateway

    def _create_aws_side(
        self,
        public_ip,
        vpc_id: pulumi.Input[str],
        shared_key: pulumi.Output[str],
        route_table_ids: Sequence[pulumi.Input[str]],
    ):
        import pulumi_aws as aws

        args = self.args
        label = f"{args.short_name}-{args.environment}"
        customer_gateway = aws.ec2.CustomerGateway(
            f"{self._name}-customer-gateway",
            type="ipsec.1",
            bgp_asn=str(args.customer_gateway_asn),
            ip_address=public_ip.ip_address,
            tags={"Name": f"{label}-azure-hub"},
            # explicit: the address is only known once Azure has allocated it
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_ip]),
        )
        vpn_gateway = aws.ec2.VpnGateway(
            f"{self._name}-vpn-gateway",
            vpc_id=vpc_id,
            tags={"Name": f"{label}-vgw"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        tunnel_options = {}
        for tunnel in TUNNELS:
            tunnel_options.update(
                {
                    f"tunnel{tunnel}_preshared_key": shared_key,
                    f"tunnel{tunnel}_ike_versions": ["ikev2"],
                    f"tunnel{tunnel}_phase1_encryption_algorithms": ["AES256"],
                    f"tunnel{tunnel}_phase1_integrity_algorithms": ["SHA2-256"],
                    f"tunnel{tunnel}_phase1_dh_group_numbers": [14],
                    f"tunnel{tunnel}_phase2_encryption_algorithms": ["AES256"],
                    f"tunnel{tunnel}_phase2_integrity_algorithms": ["SHA2-256"],
                    f"tunnel{tunnel}_phase2_dh_group_numbers": [14],
                    f"tunnel{tunnel}_phase2_lifetime_seconds": 3600,
                }
            )
        connection = aws.ec2.VpnConnection(
            f"{self._name}-connection",
            type="ipsec.1",
            customer_gateway_id=customer_gateway.id,
            vpn_gateway_id=vpn_gateway.id,
            static_routes_only=True,
            tags={"Name": f"{label}-azure"},
            opts=pulumi.ResourceOptions(parent=self),
            **tunnel_options,
        )
        for index, cidr in enumerate(args.azure_address_spaces):
            aws.ec2.VpnConnectionRoute(
                f"{self._name}-route-{index}",
                vpn_connection_id=connection.id,
                destination_cidr_block=cidr,
                opts=pulumi.ResourceOptions(parent=connection),
            )
        for index, table_id in enumerate(route_table_ids):
            aws.ec2.VpnGatewayRoutePropagation(
                f"{self._name}-propagation-{index}",
                vpn_gateway_id=vpn_gateway.id,
                route_table_id=table_id,
                opts=pulumi.ResourceOptions(parent=vpn_gateway),
            )
        return customer_gateway, vpn_gateway, connection

    def _create_azure_connection(
        self, tunnel: int, aws_address: pulumi.Input[str], gateway, shared_key, *, aws_connection
    ):
        import pulumi_azure_native as azure_native

        args = self.args
        local = azure_native.network.LocalNetworkGateway(
            f"{self._name}-aws-tunnel{tunnel}",
            local_network_gateway_name=f"lgw-{args.short_name}-{args.environment}-aws-{tunnel}",
            resource_group_name=self._rg,
            location=args.location,
            gateway_ip_address=aws_address,
            local_network_address_space=azure_native.network.AddressSpaceArgs(
                address_prefixes=[args.aws_vpc_cidr]
            ),
            # explicit: the tunnel address is only known once AWS has created the connection
            opts=pulumi.ResourceOptions(parent=self, depends_on=[aws_connection]),
        )
        return azure_native.network.VirtualNetworkGatewayConnection(
            f"{self._name}-aws-tunnel{tunnel}-connection",
            virtual_network_gateway_connection_name=f"con-{args.short_name}-{args.environment}-aws-{tunnel}",
            resource_group_name=self._rg,
            location=args.location,
            connection_type="IPsec",
            connection_protocol="IKEv2",
            virtual_network_gateway1=azure_native.network.VirtualNetworkGatewayArgs(id=gateway.id),
            local_network_gateway2=azure_native.network.LocalNetworkGatewayArgs(id=local.id),
            shared_key=shared_key,
            enable_bgp=False,
            ipsec_policies=[
                azure_native.network.IpsecPolicyArgs(
                    ike_encryption="AES256",
                    ike_integrity="SHA256",
                    dh_group="DHGroup14",
                    ipsec_encryption="AES256",
                    ipsec_integrity="SHA256",
                    pfs_group="PFS2048",
                    sa_life_time_seconds=3600,
                    sa_data_size_kilobytes=102400000,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
