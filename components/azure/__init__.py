"""Azure and Microsoft 365 side of the platform. `define_azure` composes its components.

Order: core (resource group, Log Analytics workspace) -> hub-and-spoke network -> VPN to
AWS (when `network.vpn.enabled`) -> spoke peerings -> web apps (when `web_apps.enabled`)
-> Azure OpenAI (when `openai.enabled`) -> identity and Microsoft 365. Every component
is sized and switched by the Environment, never by the environment's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from stacks.model import Environment


@dataclass(frozen=True)
class AzurePlatform:
    """Outputs of the Azure side that other parts of the platform use."""

    core: Any
    """The AzureCore component (resource group and workspace)."""
    network: Any
    """The HubSpokeNetwork component."""
    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    location: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    """Resource id of the Log Analytics workspace (diagnostic settings, Sentinel)."""
    workspace_name: pulumi.Output[str]
    workspace_customer_id: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str]
    """The hub subnet every private endpoint goes into."""
    private_dns_zone_ids: dict[str, pulumi.Output[str]]
    """Private DNS zone ids by key: "vault", "blob", "openai", "sites"."""
    subnet_ids: dict[str, pulumi.Output[str]]
    """Subnet ids by role, e.g. "hub-private-endpoints", "apps-workload", "apps-integration"."""
    hub_vnet_id: pulumi.Output[str]
    vpn: Any = None
    """The SiteToSiteVpn component when network.vpn.enabled, else None."""
    web_apps: Any = None
    """The WebApps component when web_apps.enabled, else None."""
    openai: Any = None
    """The AzureOpenAI component when openai.enabled, else None."""


APPS_SPOKE = "apps"
"""The spoke that hosts the web apps and gets the App Service integration subnet."""


def define_azure(env: Environment, providers, aws_platform=None) -> AzurePlatform:
    """Every Azure resource of `env`; `aws_platform` supplies the VPC for the VPN."""
    from components.azure.core import AzureCore, AzureCoreArgs
    from components.azure.network import (
        HubSpokeNetwork,
        HubSpokeNetworkArgs,
        HubSpokePeerings,
        HubSpokePeeringsArgs,
    )

    short, location = env.organization.short_name, env.azure.location
    protect = env.protection.deletion_protection
    if env.web_apps.enabled and APPS_SPOKE not in env.network.azure_spokes:
        raise ValueError(
            f"web_apps.enabled needs a spoke named {APPS_SPOKE!r} in network.azure_spokes, got "
            f"{sorted(env.network.azure_spokes)}; add e.g. `{APPS_SPOKE}: 10.11.0.0/20` or switch web apps off"
        )
    azure_opts = providers.opts(azure=True)

    core = AzureCore(
        "core",
        AzureCoreArgs(
            short_name=short,
            environment=env.name,
            location=location,
            log_retention_days=env.protection.log_retention_days,
            protect=protect,
            # Analysts query Sentinel from the portal; see components/azure/core.py.
            public_query_enabled=True,
        ),
        opts=azure_opts,
    )

    network = HubSpokeNetwork(
        "network",
        HubSpokeNetworkArgs(
            short_name=short,
            environment=env.name,
            location=location,
            hub_cidr=env.network.azure_hub_cidr,
            spokes=env.network.azure_spokes,
            integration_subnet_spokes=(APPS_SPOKE,) if env.web_apps.enabled else (),
            flow_log_retention_days=env.protection.log_retention_days,
            soft_delete_retention_days=env.protection.soft_delete_retention_days,
            protect=protect,
        ),
        resource_group_name=core.resource_group_name,
        workspace_id=core.workspace_id,
        workspace_customer_id=core.workspace_customer_id,
        opts=azure_opts,
    )

    vpn = None
    if env.network.vpn.enabled:
        vpn = _define_vpn(env, providers, core, network, aws_platform)

    HubSpokePeerings(
        "peerings",
        HubSpokePeeringsArgs(gateway_transit_enabled=vpn is not None),
        resource_group_name=core.resource_group_name,
        hub_vnet_name=network.hub_vnet_name,
        hub_vnet_id=network.hub_vnet_id,
        spoke_vnet_names=network.spoke_vnet_names,
        spoke_vnet_ids=network.spoke_vnet_ids,
        # A spoke can only use the hub's gateway once the gateway exists.
        gateway=vpn.gateway if vpn else None,
        opts=azure_opts,
    )

    web_apps = None
    if env.web_apps.enabled:
        from components.azure.web_apps import WebApps, WebAppsArgs

        web_apps = WebApps(
            "web-apps",
            WebAppsArgs(
                short_name=short,
                environment=env.name,
                location=location,
                sku=env.web_apps.sku,
                apps=tuple(env.web_apps.apps),
                # Private in every environment unless the model explicitly opens them.
                public_network_access_enabled=env.web_apps.public_network_access_enabled,
                private_endpoints_enabled=not env.web_apps.public_network_access_enabled,
                tenant_id=env.azure.tenant_id,
            ),
            resource_group_name=core.resource_group_name,
            integration_subnet_id=network.subnet_ids[f"{APPS_SPOKE}-integration"],
            workspace_id=core.workspace_id,
            private_endpoint_subnet_id=network.private_endpoint_subnet_id,
            private_dns_zone_id=network.private_dns_zone_ids["sites"],
            opts=azure_opts,
        )

    openai = None
    if env.openai.enabled:
        from components.azure.openai import AzureOpenAI, AzureOpenAIArgs

        openai = AzureOpenAI(
            "openai",
            AzureOpenAIArgs(
                short_name=short,
                environment=env.name,
                location=location,
                deployments=tuple(env.openai.deployments),
                protect=protect,
            ),
            resource_group_name=core.resource_group_name,
            private_endpoint_subnet_id=network.private_endpoint_subnet_id,
            private_dns_zone_id=network.private_dns_zone_ids["openai"],
            workspace_id=core.workspace_id,
            opts=azure_opts,
        )

    platform = AzurePlatform(
        core=core,
        network=network,
        resource_group_name=core.resource_group_name,
        resource_group_id=core.resource_group_id,
        location=core.location,
        workspace_id=core.workspace_id,
        workspace_name=core.workspace_name,
        workspace_customer_id=core.workspace_customer_id,
        private_endpoint_subnet_id=network.private_endpoint_subnet_id,
        private_dns_zone_ids=network.private_dns_zone_ids,
        subnet_ids=network.subnet_ids,
        hub_vnet_id=network.hub_vnet_id,
        vpn=vpn,
        web_apps=web_apps,
        openai=openai,
    )

    # --- identity and Microsoft 365 (components/azure/identity.py, security.py, monitoring.py, budget.py) ---
    # Use `platform.<field>` (resource_group_name, resource_group_id, location, workspace_id,
    # private_endpoint_subnet_id, private_dns_zone_ids) and `azure_opts` for each component.
    from components.azure.m365 import define_identity_and_m365

    define_identity_and_m365(env, platform, azure_opts)

    return platform


def _define_vpn(env: Environment, providers, core, network, aws_platform):
    """The VPN to the AWS VPC; needs the AWS side's VPC and private route tables."""
    from components.azure.vpn import SiteToSiteVpn, SiteToSiteVpnArgs

    vpc_id = getattr(aws_platform, "vpc_id", None)
    if vpc_id is None:
        raise ValueError(
            "network.vpn.enabled needs the AWS VPC, but the AWS side exposes no vpc_id; "
            "configure the `aws` section (the VPC comes from components/aws) or set network.vpn.enabled: false"
        )
    return SiteToSiteVpn(
        "vpn",
        SiteToSiteVpnArgs(
            short_name=env.organization.short_name,
            environment=env.name,
            location=env.azure.location,
            sku=env.network.vpn.sku,
            azure_address_spaces=tuple(network.address_spaces),
            aws_vpc_cidr=env.network.aws_vpc_cidr,
        ),
        resource_group_name=core.resource_group_name,
        gateway_subnet_id=network.gateway_subnet_id,
        vpc_id=vpc_id,
        private_route_table_ids=list(getattr(aws_platform, "private_route_table_ids", None) or []),
        opts=providers.opts(aws=True, azure=True),
    )
