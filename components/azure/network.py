"""Hub-and-spoke networking: VNets, subnets, NSGs, VNet flow logs, private DNS, peerings.

The hub holds the VPN gateway subnet, a management subnet and the subnet every private
endpoint goes into; each workload gets its own spoke. Subnet ranges are carved from the
environment's address spaces by pure functions (`carve`, `hub_layout`, `spoke_layout`)
so they are checked before Pulumi starts.

Every subnet except `GatewaySubnet` (Azure refuses an NSG there) gets its own NSG whose
rules are all explicit and named: the few allows of its role, then `deny-vnet-inbound`
(overriding Azure's implicit allow-from-VNet) and `deny-internet-inbound`.

Peerings are a separate component (`HubSpokePeerings`) because a spoke can only use the
hub's VPN gateway once that gateway exists, and the gateway needs the hub's subnet: the
composition creates network -> gateway -> peerings.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
from pydantic import Field, model_validator

from components.azure.attachments import diagnostic_setting
from components.azure.core import compact_name
from stacks.model import PrivateCidr, Slug, StrictModel

GATEWAY_SUBNET = "GatewaySubnet"
"""Azure requires exactly this name for the VPN gateway's subnet."""

PRIVATE_DNS_ZONES = {
    "vault": "privatelink.vaultcore.azure.net",
    "blob": "privatelink.blob.core.windows.net",
    "openai": "privatelink.openai.azure.com",
    "sites": "privatelink.azurewebsites.net",
}
"""Private DNS zones by key; private endpoints register their records in these."""

STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
"""Built-in role id (the same in every tenant): lets flow logs write without account keys."""

APP_SERVICE_DELEGATION = "Microsoft.Web/serverFarms"


# --- address plan (pure) --------------------------------------------------------------


@dataclass(frozen=True)
class SubnetPlan:
    """One subnet: its role key, the VNet it sits in, its Azure name and range."""

    role: str
    vnet: str
    name: str
    cidr: str
    kind: Literal["gateway", "management", "private-endpoints", "workload", "integration"]

    @property
    def has_nsg(self) -> bool:
        return self.kind != "gateway"


HUB_SUBNETS: tuple[tuple[str, str, int], ...] = (
    ("gateway", GATEWAY_SUBNET, 27),
    ("management", "snet-management", 26),
    ("private-endpoints", "snet-private-endpoints", 24),
)
SPOKE_SUBNETS: tuple[tuple[str, str, int], ...] = (
    ("workload", "snet-workload", 24),
    ("integration", "snet-integration", 26),
)


def carve(cidr: str, sizes: Sequence[tuple[str, int]]) -> dict[str, str]:
    """Subnets of the given prefix lengths, in order, each aligned to its own size.

    Raises ValueError naming the address space, the subnet that did not fit and the
    smallest address space that would hold them all.
    """
    net = ipaddress.ip_network(cidr, strict=True)
    out: dict[str, str] = {}
    cursor = int(net.network_address)
    for role, prefix in sizes:
        size = 2 ** (32 - prefix)
        cursor = -(-cursor // size) * size
        if prefix < net.prefixlen or cursor + size > int(net.broadcast_address) + 1:
            raise ValueError(
                f"address space {cidr} has no room for the {role} subnet (/{prefix}); "
                f"use a /{_smallest_prefix(sizes)} or larger"
            )
        out[role] = str(ipaddress.ip_network((cursor, prefix)))
        cursor += size
    return out


def _smallest_prefix(sizes: Sequence[tuple[str, int]]) -> int:
    end = 0
    for _, prefix in sizes:
        size = 2 ** (32 - prefix)
        end = -(-end // size) * size + size
    return 32 - math.ceil(math.log2(end))


def hub_layout(hub_cidr: str) -> list[SubnetPlan]:
    """GatewaySubnet /27, management /26 and private endpoints /24 carved from the hub."""
    ranges = carve(hub_cidr, [(kind, prefix) for kind, _, prefix in HUB_SUBNETS])
    return [
        SubnetPlan(role=f"hub-{kind}", vnet="hub", name=name, cidr=ranges[kind], kind=kind)
        for kind, name, _ in HUB_SUBNETS
    ]


def spoke_layout(spoke: str, cidr: str, *, integration: bool) -> list[SubnetPlan]:
    """A workload /24 and, for App Service spokes, a delegated integration /26."""
    wanted = [s for s in SPOKE_SUBNETS if integration or s[0] != "integration"]
    ranges = carve(cidr, [(kind, prefix) for kind, _, prefix in wanted])
    return [
        SubnetPlan(role=f"{spoke}-{kind}", vnet=spoke, name=name, cidr=ranges[kind], kind=kind)
        for kind, name, _ in wanted
    ]


# --- NSG rules (pure) -----------------------------------------------------------------


class NsgRule(StrictModel):
    """One explicit, named NSG rule."""

    name: str = Field(
        pattern=r"^[a-z0-9-]+$", description="what the rule does, e.g. allow-vnet-https-inbound"
    )
    priority: int = Field(ge=100, le=4096, description="lower numbers win")
    direction: Literal["Inbound", "Outbound"] = "Inbound"
    access: Literal["Allow", "Deny"]
    protocol: Literal["Tcp", "Udp", "Icmp", "*"] = "Tcp"
    source: str = Field(description="address prefix or service tag, e.g. VirtualNetwork")
    destination: str = "*"
    ports: tuple[str, ...] = ("*",)
    description: str = Field(min_length=1)


DENY_VNET_INBOUND = NsgRule(
    name="deny-vnet-inbound",
    priority=4000,
    access="Deny",
    protocol="*",
    source="VirtualNetwork",
    description="anything from the VNets (and AWS over the VPN) not allowed above",
)
DENY_INTERNET_INBOUND = NsgRule(
    name="deny-internet-inbound",
    priority=4096,
    access="Deny",
    protocol="*",
    source="Internet",
    description="nothing reaches this subnet from the Internet",
)

_ROLE_ALLOWS: dict[str, tuple[NsgRule, ...]] = {
    "management": (
        NsgRule(
            name="allow-vnet-ssh-rdp-inbound",
            priority=100,
            access="Allow",
            source="VirtualNetwork",
            ports=("22", "3389"),
            description="administrators reach jump hosts from the VNets and over the VPN",
        ),
    ),
    "private-endpoints": (
        NsgRule(
            name="allow-vnet-https-inbound",
            priority=100,
            access="Allow",
            source="VirtualNetwork",
            ports=("443",),
            description="workloads reach Key Vault, storage, AI and apps through their endpoints",
        ),
    ),
    "workload": (
        NsgRule(
            name="allow-vnet-https-inbound",
            priority=100,
            access="Allow",
            source="VirtualNetwork",
            ports=("443",),
            description="HTTPS between workloads and from AWS over the VPN",
        ),
    ),
    "integration": (),
}


def nsg_rules(kind: str, extra: Sequence[NsgRule] = ()) -> list[NsgRule]:
    """The rules of one subnet's NSG: its role's allows, extras, then the two denies."""
    rules = [*_ROLE_ALLOWS[kind], *extra, DENY_VNET_INBOUND, DENY_INTERNET_INBOUND]
    seen: dict[int, str] = {}
    for rule in rules:
        if rule.priority in seen and seen[rule.priority] != rule.name:
            raise ValueError(
                f"nsg rules {seen[rule.priority]} and {rule.name} share priority {rule.priority}; "
                "give each rule its own priority"
            )
        seen[rule.priority] = rule.name
    return sorted(rules, key=lambda r: r.priority)


# --- the component --------------------------------------------------------------------


class NetworkWatcherRef(StrictModel):
    """A network watcher that already exists (Azure creates one per region on first VNet)."""

    resource_group_name: str = Field("NetworkWatcherRG", description="its resource group")
    name: str = Field(description="its name, e.g. NetworkWatcher_eastus2")


class HubSpokeNetworkArgs(StrictModel):
    """Address spaces and switches of the hub-and-spoke network."""

    short_name: Slug = Field(description="organisation prefix of every name")
    environment: Slug = Field(description="environment name; part of every name")
    location: str = Field("eastus2", description="Azure region of every network resource")
    hub_cidr: PrivateCidr = Field(description="hub address space; needs a /23 or larger")
    spokes: dict[Slug, PrivateCidr] = Field(
        default_factory=dict, description="one spoke per workload; none when omitted"
    )
    integration_subnet_spokes: tuple[Slug, ...] = Field(
        (), description="spokes that get a subnet delegated to App Service; none when omitted"
    )
    extra_nsg_rules: dict[str, tuple[NsgRule, ...]] = Field(
        default_factory=dict,
        description="more named rules by subnet role; only the built-in rules when omitted",
    )
    flow_logs_enabled: bool = Field(
        True, description="VNet flow logs with traffic analytics for every VNet"
    )
    flow_log_retention_days: int = Field(
        90, ge=1, le=365, description="days flow logs are kept in storage"
    )
    soft_delete_retention_days: int = Field(
        30, ge=7, le=365, description="days deleted flow-log blobs and containers stay recoverable"
    )
    version_retention_days: int = Field(
        7,
        ge=1,
        le=365,
        description="days previous blob versions are kept (flow logs rewrite each hour's blob every minute)",
    )
    traffic_analytics_interval_minutes: Literal[10, 60] = Field(
        10, description="how often traffic analytics processes flow logs"
    )
    network_watcher: NetworkWatcherRef | None = Field(
        None, description="omitted: a network watcher is created in the platform resource group"
    )
    protect: bool = Field(
        True, description="the flow-log storage account cannot be deleted by an update"
    )

    @model_validator(mode="after")
    def _check(self) -> HubSpokeNetworkArgs:
        unknown = sorted(set(self.integration_subnet_spokes) - set(self.spokes))
        if unknown:
            raise ValueError(
                f"integration_subnet_spokes names spokes that do not exist: {unknown}; "
                f"choose from {sorted(self.spokes)} or add the spoke to spokes"
            )
        self.subnets()  # every address space must hold its subnets
        roles = {s.role for s in self.subnets()}
        stray = sorted(set(self.extra_nsg_rules) - roles)
        if stray:
            raise ValueError(
                f"extra_nsg_rules names unknown subnet roles {stray}; choose from {sorted(roles)}"
            )
        return self

    def subnets(self) -> list[SubnetPlan]:
        """Every subnet of the hub and the spokes, hub first."""
        plans = hub_layout(self.hub_cidr)
        for spoke, cidr in self.spokes.items():
            plans += spoke_layout(spoke, cidr, integration=spoke in self.integration_subnet_spokes)
        return plans

    def vnet_name(self, vnet: str) -> str:
        return f"vnet-{self.short_name}-{self.environment}-{vnet}"

    @property
    def address_spaces(self) -> list[str]:
        """Every Azure range, e.g. for the VPN's routes on the AWS side."""
        return [self.hub_cidr, *self.spokes.values()]


class HubSpokeNetwork(pulumi.ComponentResource):
    """Hub and spoke VNets with NSGs on every subnet, flow logs and private DNS zones."""

    def __init__(
        self,
        name: str,
        args: HubSpokeNetworkArgs,
        *,
        resource_group_name: pulumi.Input[str],
        workspace_id: pulumi.Input[str] | None = None,
        workspace_customer_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:HubSpokeNetwork", name, None, opts)
        if args.flow_logs_enabled and (workspace_id is None or workspace_customer_id is None):
            raise ValueError(
                "flow logs need the Log Analytics workspace for traffic analytics; pass "
                "workspace_id and workspace_customer_id, or set flow_logs_enabled=False"
            )
        self._name = name
        self.args = args
        self._rg = resource_group_name

        self.vnets = {
            vnet: self._create_vnet(vnet, cidr) for vnet, cidr in self._vnet_ranges().items()
        }
        self.nsgs: dict[str, pulumi.Resource] = {}
        self.subnets: dict[str, pulumi.Resource] = {}
        previous: dict[str, pulumi.Resource] = {}
        for plan in args.subnets():
            # one subnet at a time per VNet: Azure rejects concurrent subnet writes
            after = previous.get(plan.vnet)
            subnet = self._create_subnet(plan, after)
            self.subnets[plan.role] = subnet
            previous[plan.vnet] = subnet

        self.private_dns_zones = self._create_private_dns()
        if args.flow_logs_enabled:
            self.flow_log_storage = self._create_flow_logs(workspace_id, workspace_customer_id)
        else:
            self.flow_log_storage = None

        self.hub_vnet_id = self.vnets["hub"].id
        self.hub_vnet_name = self.vnets["hub"].name
        self.spoke_vnet_ids = {k: v.id for k, v in self.vnets.items() if k != "hub"}
        self.spoke_vnet_names = {k: v.name for k, v in self.vnets.items() if k != "hub"}
        self.subnet_ids = {role: subnet.id for role, subnet in self.subnets.items()}
        self.gateway_subnet_id = self.subnet_ids["hub-gateway"]
        self.private_endpoint_subnet_id = self.subnet_ids["hub-private-endpoints"]
        self.private_dns_zone_ids = {key: zone.id for key, zone in self.private_dns_zones.items()}
        self.address_spaces = args.address_spaces
        self.register_outputs(
            {
                "name": self.hub_vnet_name,
                "resource_id": self.hub_vnet_id,
                "hub_vnet_id": self.hub_vnet_id,
                "spoke_vnet_ids": self.spoke_vnet_ids,
                "subnet_ids": self.subnet_ids,
                "gateway_subnet_id": self.gateway_subnet_id,
                "private_endpoint_subnet_id": self.private_endpoint_subnet_id,
                "private_dns_zone_ids": self.private_dns_zone_ids,
            }
        )

    def _vnet_ranges(self) -> dict[str, str]:
        return {"hub": self.args.hub_cidr, **self.args.spokes}

    def _create_vnet(self, vnet: str, cidr: str):
        import pulumi_azure_native as azure_native

        return azure_native.network.VirtualNetwork(
            f"{self._name}-{vnet}-vnet",
            virtual_network_name=self.args.vnet_name(vnet),
            resource_group_name=self._rg,
            location=self.args.location,
            address_space=azure_native.network.AddressSpaceArgs(address_prefixes=[cidr]),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_nsg(self, plan: SubnetPlan):
        import pulumi_azure_native as azure_native

        rules = nsg_rules(plan.kind, self.args.extra_nsg_rules.get(plan.role, ()))
        return azure_native.network.NetworkSecurityGroup(
            f"{self._name}-{plan.role}-nsg",
            network_security_group_name=f"nsg-{self.args.short_name}-{self.args.environment}-{plan.role}",
            resource_group_name=self._rg,
            location=self.args.location,
            security_rules=[_security_rule(rule) for rule in rules],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_subnet(self, plan: SubnetPlan, after: pulumi.Resource | None):
        import pulumi_azure_native as azure_native

        nsg = None
        if plan.has_nsg:
            nsg = self._create_nsg(plan)
            self.nsgs[plan.role] = nsg
        delegations = None
        if plan.kind == "integration":
            delegations = [
                azure_native.network.DelegationArgs(
                    name="app-service", service_name=APP_SERVICE_DELEGATION
                )
            ]
        return azure_native.network.Subnet(
            f"{self._name}-{plan.role}-subnet",
            subnet_name=plan.name,
            virtual_network_name=self.vnets[plan.vnet].name,
            resource_group_name=self._rg,
            address_prefix=plan.cidr,
            network_security_group=(
                azure_native.network.NetworkSecurityGroupArgs(id=nsg.id)
                if nsg is not None
                else None
            ),
            delegations=delegations,
            # No implicit outbound internet; egress is explicit (gateway, NAT, integration).
            default_outbound_access=False if plan.kind != "gateway" else None,
            # NSG rules apply to private endpoints too, not only to ordinary NICs.
            private_endpoint_network_policies="Enabled"
            if plan.kind == "private-endpoints"
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[after] if after else None),
        )

    def _create_private_dns(self) -> dict[str, pulumi.Resource]:
        import pulumi_azure_native as azure_native

        zones = {}
        for key, zone_name in PRIVATE_DNS_ZONES.items():
            zone = azure_native.privatedns.PrivateZone(
                f"{self._name}-{key}-dns",
                private_zone_name=zone_name,
                resource_group_name=self._rg,
                location="global",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for vnet, network in self.vnets.items():
                azure_native.privatedns.VirtualNetworkLink(
                    f"{self._name}-{key}-dns-{vnet}-link",
                    virtual_network_link_name=f"link-{vnet}",
                    private_zone_name=zone.name,
                    resource_group_name=self._rg,
                    location="global",
                    registration_enabled=False,
                    virtual_network=azure_native.network.SubResourceArgs(id=network.id),
                    opts=pulumi.ResourceOptions(parent=zone),
                )
            zones[key] = zone
        return zones

    def _create_flow_logs(
        self, workspace_id: pulumi.Input[str], workspace_customer_id: pulumi.Input[str]
    ):
        import pulumi_azure_native as azure_native

        args = self.args
        account = azure_native.storage.StorageAccount(
            f"{self._name}-flowlogs",
            account_name=compact_name("st", args.short_name, args.environment, "flowlogs"),
            resource_group_name=self._rg,
            location=args.location,
            kind="StorageV2",
            sku=azure_native.storage.SkuArgs(name="Standard_LRS"),
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            allow_cross_tenant_replication=False,
            default_to_o_auth_authentication=True,
            # Network Watcher writes as a trusted Azure service; nothing else gets in.
            network_rule_set=azure_native.storage.NetworkRuleSetArgs(
                default_action="Deny", bypass="AzureServices"
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self._protect_flow_log_blobs(account, workspace_id)
        # Shared keys are off, so flow logs write with a managed identity instead.
        identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{self._name}-flowlogs-identity",
            resource_name_=f"id-{args.short_name}-{args.environment}-flowlogs",
            resource_group_name=self._rg,
            location=args.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        grant = azure_native.authorization.RoleAssignment(
            f"{self._name}-flowlogs-writer",
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=account.id.apply(_role_definition(STORAGE_BLOB_DATA_CONTRIBUTOR)),
            scope=account.id,
            # explicit, so the edge survives offline plans where principal_id is not known
            opts=pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )

        if args.network_watcher is None:
            watcher_rg: pulumi.Input[str] = self._rg
            watcher_name: pulumi.Input[str] = azure_native.network.NetworkWatcher(
                f"{self._name}-watcher",
                network_watcher_name=f"nw-{args.short_name}-{args.environment}-{args.location}",
                resource_group_name=self._rg,
                location=args.location,
                opts=pulumi.ResourceOptions(parent=self),
            ).name
        else:
            watcher_rg = args.network_watcher.resource_group_name
            watcher_name = args.network_watcher.name

        for vnet, network in self.vnets.items():
            azure_native.network.FlowLog(
                f"{self._name}-{vnet}-flowlog",
                flow_log_name=f"fl-{args.vnet_name(vnet)}",
                network_watcher_name=watcher_name,
                resource_group_name=watcher_rg,
                location=args.location,
                target_resource_id=network.id,
                storage_id=account.id,
                enabled=True,
                identity=azure_native.network.ManagedServiceIdentityArgs(
                    type="UserAssigned", user_assigned_identities=[identity.id]
                ),
                format=azure_native.network.FlowLogFormatParametersArgs(type="JSON", version=2),
                retention_policy=azure_native.network.RetentionPolicyParametersArgs(
                    enabled=True, days=args.flow_log_retention_days
                ),
                flow_analytics_configuration=azure_native.network.TrafficAnalyticsPropertiesArgs(
                    network_watcher_flow_analytics_configuration=azure_native.network.TrafficAnalyticsConfigurationPropertiesArgs(
                        enabled=True,
                        workspace_resource_id=workspace_id,
                        workspace_id=workspace_customer_id,
                        workspace_region=args.location,
                        traffic_analytics_interval=args.traffic_analytics_interval_minutes,
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
            )
        return account

    def _protect_flow_log_blobs(self, account, workspace_id: pulumi.Input[str]) -> None:
        """Soft delete and versioning (tamper evidence), version pruning, and access logs."""
        import pulumi_azure_native as azure_native

        st = azure_native.storage
        args = self.args
        retention = st.DeleteRetentionPolicyArgs(enabled=True, days=args.soft_delete_retention_days)
        blob_service = st.BlobServiceProperties(
            f"{self._name}-flowlogs-blob-service",
            account_name=account.name,
            resource_group_name=self._rg,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Each flow-log commit makes a version; keep them long enough to spot tampering only.
        st.ManagementPolicy(
            f"{self._name}-flowlogs-lifecycle",
            account_name=account.name,
            resource_group_name=self._rg,
            management_policy_name="default",
            policy=st.ManagementPolicySchemaArgs(
                rules=[
                    st.ManagementPolicyRuleArgs(
                        name="prune-flow-log-versions",
                        type="Lifecycle",
                        enabled=True,
                        definition=st.ManagementPolicyDefinitionArgs(
                            filters=st.ManagementPolicyFilterArgs(blob_types=["blockBlob"]),
                            actions=st.ManagementPolicyActionArgs(
                                version=st.ManagementPolicyVersionArgs(
                                    delete=st.DateAfterCreationArgs(
                                        days_after_creation_greater_than=args.version_retention_days
                                    )
                                )
                            ),
                        ),
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[blob_service]),
        )
        # Who read or deleted flow logs is logged on the blob service; metrics on the account.
        diagnostic_setting(
            f"{self._name}-flowlogs-blob-diagnostics",
            resource_uri=blob_service.id,
            workspace_id=workspace_id,
            metric_categories=("Transaction",),
            parent=self,
        )
        diagnostic_setting(
            f"{self._name}-flowlogs-diagnostics",
            resource_uri=account.id,
            workspace_id=workspace_id,
            log_category_groups=(),
            metric_categories=("Transaction",),
            parent=self,
        )


def _role_definition(role_id: str):
    """account id -> the subscription-scoped id of a built-in role."""

    def build(resource_id: str) -> str:
        subscription = "/".join(resource_id.split("/")[:3])
        return f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"

    return build


def _security_rule(rule: NsgRule):
    import pulumi_azure_native as azure_native

    ports = list(rule.ports)
    return azure_native.network.SecurityRuleArgs(
        name=rule.name,
        priority=rule.priority,
        direction=rule.direction,
        access=rule.access,
        protocol=rule.protocol,
        description=rule.description,
        source_address_prefix=rule.source,
        source_port_range="*",
        destination_address_prefix=rule.destination,
        destination_port_range=ports[0] if len(ports) == 1 else None,
        destination_port_ranges=ports if len(ports) > 1 else None,
    )


# --- peerings -------------------------------------------------------------------------


class HubSpokePeeringsArgs(StrictModel):
    """How the spokes are peered with the hub."""

    gateway_transit_enabled: bool = Field(
        False, description="off: spokes do not route through the hub's VPN gateway"
    )


class HubSpokePeerings(pulumi.ComponentResource):
    """Hub <-> spoke peerings, both directions; spokes use the hub gateway when asked."""

    def __init__(
        self,
        name: str,
        args: HubSpokePeeringsArgs,
        *,
        resource_group_name: pulumi.Input[str],
        hub_vnet_name: pulumi.Input[str],
        hub_vnet_id: pulumi.Input[str],
        spoke_vnet_names: Mapping[str, pulumi.Input[str]],
        spoke_vnet_ids: Mapping[str, pulumi.Input[str]],
        gateway: pulumi.Resource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:HubSpokePeerings", name, None, opts)
        if args.gateway_transit_enabled and gateway is None:
            raise ValueError(
                "gateway_transit_enabled needs the hub's VPN gateway: pass gateway=<the gateway "
                "resource> so spokes peer only once it exists, or set gateway_transit_enabled=False"
            )
        # Children do not inherit a component's depends_on, so each peering waits itself.
        after = [gateway] if gateway is not None else []
        import pulumi_azure_native as azure_native

        transit = args.gateway_transit_enabled
        ids: dict[str, pulumi.Output[str]] = {}
        for spoke in sorted(spoke_vnet_names):
            to_spoke = azure_native.network.VirtualNetworkPeering(
                f"{name}-hub-to-{spoke}",
                virtual_network_peering_name=f"hub-to-{spoke}",
                virtual_network_name=hub_vnet_name,
                resource_group_name=resource_group_name,
                remote_virtual_network=azure_native.network.SubResourceArgs(
                    id=spoke_vnet_ids[spoke]
                ),
                allow_virtual_network_access=True,
                allow_forwarded_traffic=True,
                allow_gateway_transit=transit,
                use_remote_gateways=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
            from_spoke = azure_native.network.VirtualNetworkPeering(
                f"{name}-{spoke}-to-hub",
                virtual_network_peering_name=f"{spoke}-to-hub",
                virtual_network_name=spoke_vnet_names[spoke],
                resource_group_name=resource_group_name,
                remote_virtual_network=azure_native.network.SubResourceArgs(id=hub_vnet_id),
                allow_virtual_network_access=True,
                allow_forwarded_traffic=True,
                allow_gateway_transit=False,
                use_remote_gateways=transit,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[to_spoke, *after]),
            )
            ids[f"hub-to-{spoke}"] = to_spoke.id
            ids[f"{spoke}-to-hub"] = from_spoke.id
        self.peering_ids = ids
        self.register_outputs({"name": name, "resource_id": hub_vnet_id, "peering_ids": ids})
