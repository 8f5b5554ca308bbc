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
    """The HubSpokeNetwork component, or None while it is not composed."""
    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    location: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    """Resource id of the Log Analytics workspace (diagnostic settings, Sentinel)."""
    workspace_name: pulumi.Output[str]
    workspace_customer_id: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str] | None = None
    """The hub subnet every private endpoint goes into."""
    private_dns_zone_ids: dict[str, pulumi.Output[str]] | None = None
    """Private DNS zone ids by key: "vault", "blob", "openai"."""
    subnet_ids: dict[str, pulumi.Output[str]] | None = None
    """Subnet ids by role, e.g. "hub-private-endpoints", "apps-workload"."""
    hub_vnet_id: pulumi.Output[str] | None = None
    vpn: Any = None
    web_apps: Any = None
    openai: Any = None


def define_azure(env: Environment, providers, aws_platform=None) -> AzurePlatform:
    """Every Azure resource of `env`; `aws_platform` supplies the VPC for the VPN."""
    from components.azure.core import AzureCore, AzureCoreArgs

    azure_opts = providers.opts(azure=True)
    core = AzureCore(
        "core",
        AzureCoreArgs(
            short_name=env.organization.short_name,
            environment=env.name,
            location=env.azure.location,
            log_retention_days=env.protection.log_retention_days,
            protect=env.protection.deletion_protection,
            # Analysts query Sentinel from the portal; see components/azure/core.py.
            public_query_enabled=True,
        ),
        opts=azure_opts,
    )

    platform = AzurePlatform(
        core=core,
        network=None,
        resource_group_name=core.resource_group_name,
        resource_group_id=core.resource_group_id,
        location=core.location,
        workspace_id=core.workspace_id,
        workspace_name=core.workspace_name,
        workspace_customer_id=core.workspace_customer_id,
    )

    # --- identity and Microsoft 365 (components/azure/identity.py, security.py, monitoring.py, budget.py) ---
    # Use `platform.<field>` (resource_group_name, resource_group_id, location, workspace_id,
    # private_endpoint_subnet_id, private_dns_zone_ids) and `azure_opts` for each component.

    return platform
