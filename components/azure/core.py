"""The Azure core of one environment: its resource group and the Log Analytics workspace.

Everything else on the Azure side lives in this resource group and sends its logs to this
workspace (flow logs, diagnostic settings, Sentinel), so the core is created first.

Workspace network access: public *ingestion* is off by default. Diagnostic settings,
flow-log traffic analytics and the Sentinel Office 365 connector deliver over the Azure
backbone, not the public ingestion endpoint, and the platform runs no agents, so nothing
needs it. Public *query* is also off by default, but the platform turns it on
(`public_query_enabled=True`): without an Azure Monitor Private Link Scope and a VPN for
analysts' devices, a query-disabled workspace would lock the security team out of
Sentinel. Access to query is still Entra ID only (`features.disableLocalAuth`) and
limited to callers with RBAC on the workspace or the resource.
"""

from __future__ import annotations

import pulumi
from pydantic import Field

from stacks.model import Slug, StrictModel


class AzureCoreArgs(StrictModel):
    """Names, region, retention and protection of the environment's core."""

    short_name: Slug = Field(description="organisation prefix of every name, e.g. 'caf'")
    environment: Slug = Field(description="environment name, e.g. 'prod'; part of every name")
    location: str = Field("eastus2", description="Azure region of the group and the workspace")
    log_retention_days: int = Field(
        90, ge=30, le=730, description="days the workspace keeps data; 90 when omitted"
    )
    protect: bool = Field(
        True, description="the group and workspace cannot be deleted by an update"
    )
    public_ingestion_enabled: bool = Field(
        False, description="off: only the Azure backbone (diagnostic settings, connectors) ingests"
    )
    public_query_enabled: bool = Field(
        False, description="off: the workspace can only be queried through a private link scope"
    )

    @property
    def resource_group_name(self) -> str:
        return f"rg-{self.short_name}-{self.environment}-platform"

    @property
    def workspace_name(self) -> str:
        return f"log-{self.short_name}-{self.environment}-platform"


def _access(enabled: bool) -> str:
    return "Enabled" if enabled else "Disabled"


class AzureCore(pulumi.ComponentResource):
    """One resource group per environment and the Log Analytics workspace everything logs to."""

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    location: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    workspace_customer_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureCoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("civic:azure:Core", name, None, opts)
        self._name = name
        self.args = args

        group = self._create_resource_group(args)
        workspace = self._create_workspace(args, group)

        self.resource_group = group
        self.workspace = workspace
        self.resource_group_name = group.name
        self.resource_group_id = group.id
        self.location = group.location
        self.workspace_id = workspace.id
        self.workspace_name = workspace.name
        self.workspace_customer_id = workspace.customer_id
        self.register_outputs(
            {
                "name": group.name,
                "resource_id": group.id,
                "resource_group_name": group.name,
                "resource_group_id": group.id,
                "location": group.location,
                "workspace_id": workspace.id,
                "workspace_name": workspace.name,
                "workspace_customer_id": workspace.customer_id,
            }
        )

    def _create_resource_group(self, args: AzureCoreArgs):
        import pulumi_azure_native as azure_native

        return azure_native.resources.ResourceGroup(
            f"{self._name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _create_workspace(self, args: AzureCoreArgs, group):
        import pulumi_azure_native as azure_native

        return azure_native.operationalinsights.Workspace(
            f"{self._name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=group.name,
            location=args.location,
            sku=azure_native.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.log_retention_days,
            public_network_access_for_ingestion=_access(args.public_ingestion_enabled),
            public_network_access_for_query=_access(args.public_query_enabled),
            features=azure_native.operationalinsights.WorkspaceFeaturesArgs(
                disable_local_auth=True,
                enable_log_access_using_only_resource_permissions=True,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )


def compact_name(*parts: str, max_length: int = 24) -> str:
    """A globally unique-looking name of letters and digits only (storage accounts).

    Parts are joined without dashes, cut to fit, and end in 4 hex digits of a stable hash
    of the full parts, so two long names that share a prefix still differ.
    """
    import hashlib

    full = "-".join(parts)
    digest = hashlib.sha256(full.encode()).hexdigest()[:4]
    body = "".join(ch for ch in full.lower() if ch.isalnum())
    return body[: max_length - len(digest)] + digest
