"""Identity and Microsoft 365 for one environment: the part of `define_azure` after the network.

`define_identity_and_m365` composes the Key Vault (key_vault.py), the exports and backups
account (storage.py), security monitoring (monitoring.py) and the budget (budget.py) from the
Environment and the Azure platform built before them. The environment's Entra objects (its
vendors group, the vendor groups and access packages, and the vendors' read roles) are the
tenant stack's (components/platform/tenant.py), so an environment stack declares no Entra group
or access package and its deploy identity needs no Graph permission for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from stacks.model import Environment

if TYPE_CHECKING:
    from components.azure import AzurePlatform

EXPORTS_KEY = "m365-exports"
"""The Key Vault key that encrypts the exports and backups account."""


@dataclass(frozen=True)
class M365Platform:
    """The identity and Microsoft 365 components of one environment."""

    key_vault: Any
    export_storage: Any
    monitoring: Any
    budget: Any | None


def define_identity_and_m365(
    env: Environment, platform: AzurePlatform, opts: pulumi.ResourceOptions
) -> M365Platform:
    """Every identity, security and M365-adjacent resource of `env`.

    Needs `platform.private_endpoint_subnet_id` and `platform.private_dns_zone_ids["vault"]`
    and `["blob"]`: the vault and the exports account have no public endpoint.
    """
    from components.azure.budget import AzureBudget, AzureBudgetArgs
    from components.azure.key_vault import KeyVault, KeyVaultArgs
    from components.azure.monitoring import SecurityMonitoring, SecurityMonitoringArgs
    from components.azure.storage import ExportStorage, ExportStorageArgs

    zones = platform.private_dns_zone_ids or {}
    if platform.private_endpoint_subnet_id is None or "vault" not in zones or "blob" not in zones:
        raise ValueError(
            "the Key Vault and exports account need the hub's private-endpoint subnet and the "
            f"'vault' and 'blob' private DNS zones, got zones {sorted(zones)}; compose the network first"
        )

    vault_args = KeyVaultArgs.model_validate(
        {
            **KeyVaultArgs.from_environment(env).model_dump(),
            "encryption_keys": [EXPORTS_KEY],
            # Azure Storage unwraps its customer-managed key as a trusted Microsoft service;
            # with public access disabled, that is the only way past the vault firewall.
            "trusted_services_bypass_enabled": True,
        }
    )
    key_vault = KeyVault(
        "key-vault",
        vault_args,
        resource_group_name=platform.resource_group_name,
        private_endpoint_subnet_id=platform.private_endpoint_subnet_id,
        private_dns_zone_id=zones["vault"],
        workspace_id=platform.workspace_id,
        opts=opts,
    )
    export_storage = ExportStorage(
        "m365-exports",
        ExportStorageArgs.from_environment(env),
        resource_group_name=platform.resource_group_name,
        private_endpoint_subnet_id=platform.private_endpoint_subnet_id,
        private_dns_zone_id=zones["blob"],
        workspace_id=platform.workspace_id,
        encryption_key=key_vault.encryption_key(EXPORTS_KEY),
        opts=opts,
    )
    # Entra sign-in and audit logs are tenant-wide: the tenant stack sends them to its log environment only.
    monitoring_args = SecurityMonitoringArgs.from_environment(env).model_copy(update={"entra_diagnostics_enabled": False})
    monitoring = SecurityMonitoring(
        "security-monitoring",
        monitoring_args,
        resource_group_name=platform.resource_group_name,
        workspace_name=platform.workspace_name,
        workspace_id=platform.workspace_id,
        opts=opts,
    )
    budget_args = AzureBudgetArgs.from_environment(env)
    budget = (
        AzureBudget(
            "azure-budget", budget_args, resource_group_id=platform.resource_group_id, opts=opts
        )
        if budget_args is not None
        else None
    )
    return M365Platform(
        key_vault=key_vault,
        export_storage=export_storage,
        monitoring=monitoring,
        budget=budget,
    )
