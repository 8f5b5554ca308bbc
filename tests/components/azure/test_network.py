"""HubSpokeNetwork and HubSpokePeerings: address plan, NSGs, flow logs, DNS, in wire form."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.network import (
    DENY_INTERNET_INBOUND,
    GATEWAY_SUBNET,
    PRIVATE_DNS_ZONES,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    HubSpokeNetwork,
    HubSpokeNetworkArgs,
    HubSpokePeerings,
    HubSpokePeeringsArgs,
    NetworkWatcherRef,
    NsgRule,
    carve,
    hub_layout,
    nsg_rules,
    spoke_layout,
)

SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
VNET = "azure-native:network:VirtualNetwork"
FLOW_LOG = "azure-native:network:FlowLog"
STORAGE = "azure-native:storage:StorageAccount"
PEERING = "azure-native:network:VirtualNetworkPeering"

WORKSPACE_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"


def _args(**overrides) -> HubSpokeNetworkArgs:
    values = {
        "short_name": "caf",
        "environment": "prod",
        "hub_cidr": "10.50.0.0/20",
        "spokes": {"apps": "10.50.16.0/20", "ai": "10.50.32.0/20"},
        "integration_subnet_spokes": ("apps",),
    }
    return HubSpokeNetworkArgs(**{**values, **overrides})


def _capture(args: HubSpokeNetworkArgs) -> Capture:
    def program() -> None:
        network = HubSpokeNetwork(
            "network",
            args,
            resource_group_name="rg-caf-prod-platform",
            workspace_id=WORKSPACE_ID,
            workspace_customer_id="00000000-0000-0000-0000-000000000000",
        )
        assert set(network.subnet_ids) == {s.role for s in args.subnets()}
        assert set(network.private_dns_zone_ids) == set(PRIVATE_DNS_ZONES)

    return capture_program(program, project="t", stack="prod", config={})


@pytest.fixture(scope="module")
def network() -> Capture:
    return _capture(_args())


def _by_name(capture: Capture, type_: str) -> dict[str, object]:
    return {r.name: r for r in capture.of_type(type_)}


# --- address plan ---------------------------------------------------------------------


def test_hub_is_carved_into_gateway_management_and_private_endpoints():
    plans = {p.role: (p.name, p.cidr) for p in hub_layout("10.50.0.0/20")}
    assert plans == {
        "hub-gateway": (GATEWAY_SUBNET, "10.50.0.0/27"),
        "hub-management": ("snet-management", "10.50.0.64/26"),
        "hub-private-endpoints": ("snet-private-endpoints", "10.50.1.0/24"),
    }


def test_spoke_gets_an_integration_subnet_only_when_asked():
    with_integration = {
        p.role: p.cidr for p in spoke_layout("apps", "10.50.16.0/20", integration=True)
    }
    assert with_integration == {
        "apps-workload": "10.50.16.0/24",
        "apps-integration": "10.50.17.0/26",
    }
    without = {p.role for p in spoke_layout("ai", "10.50.32.0/20", integration=False)}
    assert without == {"ai-workload"}


def test_carved_subnets_are_aligned_inside_the_space_and_do_not_overlap():
    import ipaddress

    ranges = [
        ipaddress.ip_network(c)
        for c in carve("172.16.4.0/22", [("a", 27), ("b", 24), ("c", 26)]).values()
    ]
    assert all(r.subnet_of(ipaddress.ip_network("172.16.4.0/22")) for r in ranges)
    assert not any(a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])


def test_too_small_hub_names_the_space_and_the_size_that_fits():
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/24 has no room .* use a /23 or larger"):
        hub_layout("10.0.0.0/24")


def test_args_reject_a_hub_too_small_for_its_subnets():
    with pytest.raises(ValidationError, match="no room"):
        _args(hub_cidr="10.50.0.0/25")


def test_args_reject_integration_for_an_unknown_spoke():
    with pytest.raises(
        ValidationError, match="integration_subnet_spokes names spokes that do not exist"
    ):
        _args(integration_subnet_spokes=("web",))


def test_args_reject_a_public_hub_range():
    with pytest.raises(ValidationError, match="private"):
        _args(hub_cidr="52.1.0.0/16")


# --- NSG rules ------------------------------------------------------------------------


def test_every_rule_set_ends_by_denying_the_vnet_then_the_internet():
    for kind in ("management", "private-endpoints", "workload", "integration"):
        rules = nsg_rules(kind)
        assert [r.name for r in rules[-2:]] == ["deny-vnet-inbound", "deny-internet-inbound"]
        assert all(r.name for r in rules)


def test_rules_sharing_a_priority_are_rejected():
    clash = NsgRule(
        name="allow-x", priority=100, access="Allow", source="10.0.0.0/8", description="x"
    )
    with pytest.raises(ValueError, match="share priority 100"):
        nsg_rules("workload", [clash])


def test_extra_rules_for_an_unknown_role_are_rejected():
    rule = NsgRule(
        name="allow-x", priority=200, access="Allow", source="10.0.0.0/8", description="x"
    )
    with pytest.raises(ValidationError, match="unknown subnet roles"):
        _args(extra_nsg_rules={"hub-web": (rule,)})


# --- the component in wire form -------------------------------------------------------


def test_one_vnet_per_hub_and_spoke_with_its_address_space(network):
    spaces = {
        r.inputs["virtualNetworkName"]: r.inputs["addressSpace"]["addressPrefixes"]
        for r in network.of_type(VNET)
    }
    assert spaces == {
        "vnet-caf-prod-hub": ["10.50.0.0/20"],
        "vnet-caf-prod-apps": ["10.50.16.0/20"],
        "vnet-caf-prod-ai": ["10.50.32.0/20"],
    }


def test_every_subnet_except_the_gateway_subnet_has_an_nsg(network):
    nsg_urns = {r.urn for r in network.of_type(NSG)}
    subnets = network.of_type(SUBNET)
    assert len(subnets) == 6
    for subnet in subnets:
        if subnet.inputs["subnetName"] == GATEWAY_SUBNET:
            assert "networkSecurityGroup" not in subnet.inputs
            continue
        assert subnet.inputs["networkSecurityGroup"]["id"]
        (nsg_urn,) = subnet.property_dependencies["networkSecurityGroup"]
        assert nsg_urn in nsg_urns


def test_each_subnet_has_its_own_nsg(network):
    used = [r.property_dependencies.get("networkSecurityGroup") for r in network.of_type(SUBNET)]
    used = [u for u in used if u]
    assert len(used) == len(set(used)) == len(network.of_type(NSG))


def test_every_nsg_denies_inbound_from_the_internet_with_named_rules(network):
    for nsg in network.of_type(NSG):
        rules = nsg.inputs["securityRules"]
        assert all(rule.get("name") for rule in rules), nsg.name
        deny = [r for r in rules if r["name"] == DENY_INTERNET_INBOUND.name]
        assert deny == [
            {
                "name": "deny-internet-inbound",
                "priority": 4096.0,
                "direction": "Inbound",
                "access": "Deny",
                "protocol": "*",
                "sourceAddressPrefix": "Internet",
                "sourcePortRange": "*",
                "destinationAddressPrefix": "*",
                "destinationPortRange": "*",
                "description": DENY_INTERNET_INBOUND.description,
            }
        ], nsg.name


def test_no_nsg_allows_anything_from_the_internet(network):
    for nsg in network.of_type(NSG):
        for rule in nsg.inputs["securityRules"]:
            if rule["access"] == "Allow":
                assert rule["sourceAddressPrefix"] not in ("*", "Internet", "0.0.0.0/0"), (
                    nsg.name,
                    rule,
                )


def test_integration_subnet_is_delegated_to_app_service(network):
    subnets = {r.name: r.inputs for r in network.of_type(SUBNET)}
    assert subnets["network-apps-integration-subnet"]["delegations"] == [
        {"name": "app-service", "serviceName": "Microsoft.Web/serverFarms"}
    ]
    assert "delegations" not in subnets["network-ai-workload-subnet"]


def test_subnets_have_no_default_outbound_and_endpoints_obey_nsgs(network):
    subnets = {
        r.inputs["subnetName"] + "@" + r.inputs["virtualNetworkName"]: r.inputs
        for r in network.of_type(SUBNET)
    }
    for key, inputs in subnets.items():
        if key.startswith(GATEWAY_SUBNET):
            continue
        assert inputs["defaultOutboundAccess"] is False, key
    assert (
        subnets["snet-private-endpoints@vnet-caf-prod-hub"]["privateEndpointNetworkPolicies"]
        == "Enabled"
    )


def test_flow_log_storage_is_locked_down_and_protected(network):
    (account,) = network.of_type(STORAGE)
    assert account.protect is True
    inputs = account.inputs
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False
    assert inputs["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert len(inputs["accountName"]) <= 24 and inputs["accountName"].isalnum()


def test_flow_log_blobs_have_soft_delete_and_versioning(network):
    (account,) = network.of_type(STORAGE)
    (service,) = network.of_type("azure-native:storage:BlobServiceProperties")
    assert service.property_dependencies["accountName"] == (account.urn,)
    assert service.inputs["isVersioningEnabled"] is True
    assert service.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 30.0}
    assert service.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30.0}


def test_old_flow_log_versions_are_pruned(network):
    (policy,) = network.of_type("azure-native:storage:ManagementPolicy")
    (rule,) = policy.inputs["policy"]["rules"]
    assert rule["enabled"] is True
    assert rule["definition"]["actions"]["version"]["delete"] == {
        "daysAfterCreationGreaterThan": 7.0
    }


def test_flow_log_storage_access_is_logged_to_the_workspace(network):
    (account,) = network.of_type(STORAGE)
    (service,) = network.of_type("azure-native:storage:BlobServiceProperties")
    settings = network.of_type("azure-native:monitor:DiagnosticSetting")
    targets = {s.property_dependencies["resourceUri"][0]: s.inputs for s in settings}
    assert set(targets) == {account.urn, service.urn}
    assert targets[service.urn]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert all(t["workspaceId"] == WORKSPACE_ID for t in targets.values())


def test_every_vnet_has_a_flow_log_with_traffic_analytics(network):
    vnets = {r.urn for r in network.of_type(VNET)}
    (account,) = network.of_type(STORAGE)
    logs = network.of_type(FLOW_LOG)
    assert {log.property_dependencies["targetResourceId"][0] for log in logs} == vnets
    for log in logs:
        assert log.inputs["enabled"] is True
        assert log.property_dependencies["storageId"] == (account.urn,)
        analytics = log.inputs["flowAnalyticsConfiguration"][
            "networkWatcherFlowAnalyticsConfiguration"
        ]
        assert analytics["enabled"] is True
        assert analytics["workspaceResourceId"] == WORKSPACE_ID
        assert log.inputs["retentionPolicy"] == {"enabled": True, "days": 90.0}


def test_flow_logs_write_with_a_managed_identity_granted_blob_data_contributor(network):
    (identity,) = network.of_type("azure-native:managedidentity:UserAssignedIdentity")
    (grant,) = network.of_type("azure-native:authorization:RoleAssignment")
    (account,) = network.of_type(STORAGE)
    assert grant.inputs["roleDefinitionId"].endswith(
        f"/roleDefinitions/{STORAGE_BLOB_DATA_CONTRIBUTOR}"
    )
    assert grant.property_dependencies["scope"] == (account.urn,)
    assert identity.urn in grant.dependencies
    for log in network.of_type(FLOW_LOG):
        assert log.inputs["identity"]["type"] == "UserAssigned"
        assert grant.urn in log.dependencies


def test_existing_network_watcher_is_used_instead_of_creating_one():
    capture = _capture(_args(network_watcher=NetworkWatcherRef(name="NetworkWatcher_eastus2")))
    assert capture.of_type("azure-native:network:NetworkWatcher") == []
    for log in capture.of_type(FLOW_LOG):
        assert log.inputs["networkWatcherName"] == "NetworkWatcher_eastus2"
        assert log.inputs["resourceGroupName"] == "NetworkWatcherRG"


def test_private_dns_zones_are_linked_to_every_vnet_without_registration(network):
    zones = {
        r.inputs["privateZoneName"]: r
        for r in network.of_type("azure-native:privatedns:PrivateZone")
    }
    assert {
        "privatelink.vaultcore.azure.net",
        "privatelink.blob.core.windows.net",
        "privatelink.openai.azure.com",
    } <= set(zones)
    vnets = {r.urn for r in network.of_type(VNET)}
    links = network.of_type("azure-native:privatedns:VirtualNetworkLink")
    for zone in zones.values():
        linked = {
            link.property_dependencies["virtualNetwork"][0]
            for link in links
            if link.parent == zone.urn
        }
        assert linked == vnets, zone.name
    assert all(link.inputs["registrationEnabled"] is False for link in links)


def test_flow_logs_need_the_workspace():
    def program() -> None:
        HubSpokeNetwork("network", _args(), resource_group_name="rg")

    from cli.capture import ProgramError

    with pytest.raises(ProgramError, match="flow logs need the Log Analytics workspace"):
        capture_program(program, project="t", stack="dev", config={})


def test_without_flow_logs_there_is_no_storage_account():
    def program() -> None:
        HubSpokeNetwork("network", _args(flow_logs_enabled=False), resource_group_name="rg")

    capture = capture_program(program, project="t", stack="dev", config={})
    assert capture.of_type(STORAGE) == [] and capture.of_type(FLOW_LOG) == []


# --- peerings -------------------------------------------------------------------------


def _peerings(transit: bool, *, with_gateway: bool | None = None) -> Capture:
    with_gateway = transit if with_gateway is None else with_gateway

    def program() -> None:
        import pulumi_azure_native as azure_native

        gateway = None
        if with_gateway:
            gateway = azure_native.network.VirtualNetworkGateway(
                "gateway", resource_group_name="rg"
            )
        HubSpokePeerings(
            "peerings",
            HubSpokePeeringsArgs(gateway_transit_enabled=transit),
            resource_group_name="rg",
            hub_vnet_name="vnet-hub",
            hub_vnet_id="/vnets/hub",
            spoke_vnet_names={"apps": "vnet-apps", "ai": "vnet-ai"},
            spoke_vnet_ids={"apps": "/vnets/apps", "ai": "/vnets/ai"},
            gateway=gateway,
        )

    return capture_program(program, project="t", stack="dev", config={})


def _peering_inputs(capture: Capture) -> dict[str, dict]:
    return {r.inputs["virtualNetworkPeeringName"]: r.inputs for r in capture.of_type(PEERING)}


def test_every_spoke_is_peered_both_ways():
    peerings = _peering_inputs(_peerings(transit=False))
    assert set(peerings) == {"hub-to-apps", "apps-to-hub", "hub-to-ai", "ai-to-hub"}
    assert peerings["hub-to-apps"]["remoteVirtualNetwork"] == {"id": "/vnets/apps"}
    assert peerings["apps-to-hub"]["virtualNetworkName"] == "vnet-apps"
    assert peerings["apps-to-hub"]["remoteVirtualNetwork"] == {"id": "/vnets/hub"}
    assert all(p["allowVirtualNetworkAccess"] is True for p in peerings.values())
    assert all(p["useRemoteGateways"] is False for p in peerings.values())


def test_spokes_use_the_hub_gateway_when_transit_is_enabled():
    peerings = _peering_inputs(_peerings(transit=True))
    assert peerings["hub-to-ai"]["allowGatewayTransit"] is True
    assert peerings["ai-to-hub"]["useRemoteGateways"] is True
    assert peerings["hub-to-ai"]["useRemoteGateways"] is False


def test_every_peering_waits_for_the_gateway():
    """A component's depends_on does not reach its children; each peering must wait itself."""
    capture = _peerings(transit=True)
    (gateway,) = capture.of_type("azure-native:network:VirtualNetworkGateway")
    peerings = capture.of_type(PEERING)
    assert len(peerings) == 4
    assert all(gateway.urn in p.dependencies for p in peerings)


def test_transit_without_the_gateway_is_rejected():
    from cli.capture import ProgramError

    with pytest.raises(ProgramError, match="gateway_transit_enabled needs the hub's VPN gateway"):
        _peerings(transit=True, with_gateway=False)
