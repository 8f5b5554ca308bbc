"""define_azure: the Azure side composed from the real prod and dev environments.

The AWS side is a stand-in VPC with route tables (the shape AwsPlatform exposes), so these
tests exercise the Azure composition on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from cli.capture import Capture, ProgramError, capture_program
from stacks.loader import load_environment
from stacks.model import Environment
from tests.conftest import REPO, TODAY

KEY_CONFIG = "infra:vpn_shared_key"
GATEWAY = "azure-native:network:VirtualNetworkGateway"


@dataclass(frozen=True)
class StandInAws:
    """The attributes of AwsPlatform that define_azure reads."""

    vpc_id: Any
    vpc_cidr: str
    private_route_table_ids: list[Any]


def _environment(name: str) -> Environment:
    return load_environment(REPO / "stacks", name, today=TODAY)


def _compose(env: Environment, *, with_aws: bool = True, sink: dict | None = None) -> Capture:
    def program() -> None:
        import pulumi
        import pulumi_aws as aws
        import pulumi_azure_native as azure_native
        import pulumi_azuread as azuread

        from components.azure import define_azure
        from components.platform import Providers
        from components.tagging import tagging_transformation

        pulumi.runtime.register_stack_transformation(tagging_transformation(env))
        providers = Providers(
            azure=azure_native.Provider("azure", location=env.azure.location),
            entra=azuread.Provider("entra"),
            aws=aws.Provider("aws", region="us-east-1"),
        )
        aws_platform = None
        if with_aws:
            on_aws = pulumi.ResourceOptions(provider=providers.aws)
            vpc = aws.ec2.Vpc("stand-in-vpc", cidr_block=env.network.aws_vpc_cidr, opts=on_aws)
            tables = [
                aws.ec2.RouteTable(f"stand-in-private-{i}", vpc_id=vpc.id, opts=on_aws)
                for i in range(2)
            ]
            aws_platform = StandInAws(vpc.id, env.network.aws_vpc_cidr, [t.id for t in tables])
        platform = define_azure(env, providers, aws_platform=aws_platform)
        if sink is not None:
            sink["platform"] = platform

    return capture_program(
        program,
        project="civic-infra",
        stack=env.name,
        config={KEY_CONFIG: "test-only-shared-key"},
        secret_keys=[KEY_CONFIG],
    )


@pytest.fixture(scope="module")
def prod_platform() -> dict:
    sink: dict = {}
    capture = _compose(_environment("prod"), sink=sink)
    return {"capture": capture, "platform": sink["platform"]}


@pytest.fixture(scope="module")
def prod(prod_platform) -> Capture:
    return prod_platform["capture"]


@pytest.fixture(scope="module")
def dev() -> Capture:
    return _compose(_environment("dev"), with_aws=False)


def _one(capture: Capture, type_: str):
    (resource,) = capture.of_type(type_)
    return resource


# --- what each environment gets -------------------------------------------------------


def test_prod_composes_every_azure_component(prod):
    components = {r.type for r in prod.resources if r.is_component}
    assert {
        "civic:azure:Core",
        "civic:azure:HubSpokeNetwork",
        "civic:azure:HubSpokePeerings",
        "civic:azure:SiteToSiteVpn",
        "civic:azure:WebApps",
        "civic:azure:OpenAI",
    } <= components


def test_dev_is_the_cheaper_subset_without_vpn_web_apps_or_openai(dev):
    components = {r.type for r in dev.resources if r.is_component}
    assert {
        "civic:azure:Core",
        "civic:azure:HubSpokeNetwork",
        "civic:azure:HubSpokePeerings",
    } <= components
    assert not components & {
        "civic:azure:SiteToSiteVpn",
        "civic:azure:WebApps",
        "civic:azure:OpenAI",
    }
    assert dev.of_type(GATEWAY) == []
    assert dev.of_type("aws:ec2/vpnConnection:VpnConnection") == []


def test_prod_has_one_vpn_gateway_and_the_aws_connection(prod):
    assert _one(prod, GATEWAY).inputs["sku"]["name"] == "VpnGw1AZ"
    assert len(prod.of_type("aws:ec2/vpnConnection:VpnConnection")) == 1


def test_retention_follows_the_environment(prod, dev):
    workspace = "azure-native:operationalinsights:Workspace"
    assert _one(prod, workspace).inputs["retentionInDays"] == 365.0
    assert _one(dev, workspace).inputs["retentionInDays"] == 30.0
    for log in dev.of_type("azure-native:network:FlowLog"):
        assert log.inputs["retentionPolicy"]["days"] == 30.0


def test_resource_group_is_named_per_environment(prod, dev):
    group = "azure-native:resources:ResourceGroup"
    assert _one(prod, group).inputs["resourceGroupName"] == "rg-caf-prod-platform"
    assert _one(dev, group).inputs["resourceGroupName"] == "rg-caf-dev-platform"


# --- protection -----------------------------------------------------------------------

STATEFUL = (
    "azure-native:resources:ResourceGroup",
    "azure-native:operationalinsights:Workspace",
    "azure-native:cognitiveservices:Account",
    "azure-native:storage:StorageAccount",
    # identity and M365 (components/azure/m365.py): vault, exports containers, WORM policy
    "azure-native:keyvault:Vault",
    "azure-native:storage:BlobContainer",
    "azure-native:storage:BlobContainerImmutabilityPolicy",
)


def test_prod_stateful_resources_are_protected(prod):
    for type_ in STATEFUL:
        resources = prod.of_type(type_)
        assert resources, type_
        assert all(r.protect for r in resources), type_


def test_dev_stateful_resources_are_not_protected(dev):
    """Dev has deletion_protection: false, so it can be torn down."""
    stateful = [r for r in dev.resources if r.type in STATEFUL]
    assert stateful
    assert not any(r.protect for r in stateful)


OWN_COMPONENTS = (
    "civic:azure:Core",
    "civic:azure:HubSpokeNetwork",
    "civic:azure:HubSpokePeerings",
    "civic:azure:SiteToSiteVpn",
    "civic:azure:WebApps",
    "civic:azure:OpenAI",
)


def test_only_stateful_resources_of_these_components_are_protected_in_prod(prod):
    """Protection inherits to children; deployments, endpoints and settings must stay removable."""
    ours = [r for r in prod.resources if r.urn.split("::")[2].startswith(OWN_COMPONENTS)]
    assert ours
    assert {r.type for r in ours if r.protect} <= set(STATEFUL)


# --- wiring ---------------------------------------------------------------------------


def test_spokes_use_the_hub_gateway_only_once_it_exists(prod, dev):
    gateway = _one(prod, GATEWAY)
    for peering in prod.of_type("azure-native:network:VirtualNetworkPeering"):
        assert gateway.urn in peering.dependencies
        if peering.inputs["virtualNetworkPeeringName"].endswith("-to-hub"):
            assert peering.inputs["useRemoteGateways"] is True
    for peering in dev.of_type("azure-native:network:VirtualNetworkPeering"):
        assert peering.inputs["useRemoteGateways"] is False
        assert peering.inputs["allowGatewayTransit"] is False


def test_vpn_gateway_sits_in_the_hub_gateway_subnet(prod):
    gateway = _one(prod, GATEWAY)
    subnets = {r.urn: r for r in prod.of_type("azure-native:network:Subnet")}
    (subnet_urn,) = [u for u in gateway.dependencies if u in subnets]
    assert subnets[subnet_urn].inputs["subnetName"] == "GatewaySubnet"


def test_vpn_key_is_a_secret_in_the_prod_plan(prod):
    for connection in prod.of_type("azure-native:network:VirtualNetworkGatewayConnection"):
        assert connection.inputs["sharedKey"] == "[secret]"
    assert all(not r.plaintext_secret_paths for r in prod.resources)


def test_aws_routes_cover_the_hub_and_every_spoke(prod):
    env = _environment("prod")
    routes = prod.of_type("aws:ec2/vpnConnectionRoute:VpnConnectionRoute")
    expected = [env.network.azure_hub_cidr, *env.network.azure_spokes.values()]
    assert sorted(r.inputs["destinationCidrBlock"] for r in routes) == sorted(expected)
    assert len(prod.of_type("aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")) == 2


def test_every_resource_uses_the_explicit_providers(prod):
    for resource in prod.resources:
        if resource.type.startswith("azure-native:"):
            assert resource.provider and resource.provider.endswith(
                "pulumi:providers:azure-native::azure"
            ), resource.urn
        if resource.type.startswith("aws:"):
            assert resource.provider and resource.provider.endswith("pulumi:providers:aws::aws"), (
                resource.urn
            )


def test_prod_web_apps_are_private_and_integrated_into_the_apps_spoke(prod):
    subnets = {r.urn: r.inputs for r in prod.of_type("azure-native:network:Subnet")}
    apps = prod.of_type("azure-native:web:WebApp")
    assert len(apps) == 2
    for app in apps:
        assert app.inputs["publicNetworkAccess"] == "Disabled"
        (subnet_urn,) = app.property_dependencies["virtualNetworkSubnetId"]
        assert subnets[subnet_urn]["virtualNetworkName"] == "vnet-caf-prod-apps"
        assert subnets[subnet_urn]["delegations"][0]["serviceName"] == "Microsoft.Web/serverFarms"


def test_private_endpoints_go_into_the_hub_private_endpoint_subnet(prod):
    subnets = {r.urn: r.inputs for r in prod.of_type("azure-native:network:Subnet")}
    endpoints = prod.of_type("azure-native:network:PrivateEndpoint")
    assert len(endpoints) == 5  # two apps, the OpenAI account, the Key Vault, the exports account
    for endpoint in endpoints:
        (subnet_urn,) = endpoint.property_dependencies["subnet"]
        assert subnets[subnet_urn]["subnetName"] == "snet-private-endpoints"


def test_workloads_log_to_the_platform_workspace(prod):
    workspace = _one(prod, "azure-native:operationalinsights:Workspace")
    settings = prod.of_type("azure-native:monitor:DiagnosticSetting")
    assert settings
    assert all(s.property_dependencies["workspaceId"] == (workspace.urn,) for s in settings)


def test_taggable_resources_carry_the_required_tags(prod):
    for type_ in (
        "azure-native:network:VirtualNetwork",
        "azure-native:storage:StorageAccount",
        "azure-native:cognitiveservices:Account",
        "azure-native:web:WebApp",
        "aws:ec2/vpnConnection:VpnConnection",
    ):
        for resource in prod.of_type(type_):
            tags = resource.inputs["tags"]
            assert tags["environment"] == "prod" and tags["managed-by"], resource.urn


def test_platform_exposes_what_the_identity_components_need(prod_platform):
    platform = prod_platform["platform"]
    assert set(platform.private_dns_zone_ids) >= {"vault", "blob", "openai"}
    assert {"hub-private-endpoints", "apps-workload", "apps-integration", "ai-workload"} <= set(
        platform.subnet_ids
    )
    for field in (
        "resource_group_name",
        "resource_group_id",
        "location",
        "workspace_id",
        "private_endpoint_subnet_id",
    ):
        assert getattr(platform, field) is not None, field
    assert (
        platform.vpn is not None and platform.web_apps is not None and platform.openai is not None
    )


# --- configuration errors -------------------------------------------------------------


def test_web_apps_without_an_apps_spoke_fail_with_the_fix():
    env = _environment("prod")
    network = env.network.model_copy(update={"azure_spokes": {"ai": "10.50.32.0/20"}})
    with pytest.raises(ProgramError, match="web_apps.enabled needs a spoke named 'apps'"):
        _compose(env.model_copy(update={"network": network}))


def test_vpn_without_the_aws_vpc_fails_with_the_fix():
    with pytest.raises(ProgramError, match="network.vpn.enabled needs the AWS VPC"):
        _compose(_environment("prod"), with_aws=False)
