"""The environment's Key Vault: RBAC only, soft delete with purge protection, private by default.

Access is decided by Azure RBAC role assignments (no access policies), deleted vaults and
secrets are recoverable for `soft_delete_retention_days` and cannot be purged early, and
the vault is reachable only through its private endpoint in the hub unless
`public_network_access_enabled` is set explicitly. Audit events go to the workspace.

`encryption_keys` creates customer-managed keys for other resources (e.g. the exports
storage account): RSA 3072, wrap/unwrap only, rotated automatically by a rotation policy.
A service that unwraps its key itself (Azure Storage) reaches a private vault only as a
trusted Microsoft service, so that exception (`trusted_services_bypass_enabled`) is
switched on explicitly by whoever adds such a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import pulumi
from pydantic import Field, model_validator

from components.azure.attachments import diagnostic_setting, private_endpoint, unique_name
from components.tagging import classified
from stacks.model import Classification, Environment, Slug, StrictModel


@dataclass(frozen=True)
class EncryptionKey:
    """A customer-managed key as a consumer needs it: name, ARM id (role scope) and vault URI."""

    name: pulumi.Input[str]
    resource_id: pulumi.Input[str]
    vault_uri: pulumi.Input[str]


class KeyVaultArgs(StrictModel):
    """Name parts, tenant, retention and network exposure of the vault."""

    short_name: Slug = Field(description="organisation prefix of the name, e.g. 'caf'")
    environment: Slug = Field(description="environment name, part of the vault name")
    tenant_id: UUID = Field(description="Entra ID tenant that authenticates every request")
    subscription_id: UUID = Field(
        description="salts the name suffix so it is unique across organisations"
    )
    location: str = Field("eastus2", description="Azure region of the vault and its endpoint")
    sku: str = Field(
        "standard",
        pattern=r"^(standard|premium)$",
        description="standard unless HSM-backed keys are needed",
    )
    soft_delete_retention_days: int = Field(
        90,
        ge=7,
        le=90,
        description="days a deleted vault or secret stays recoverable; 90 when omitted",
    )
    public_network_access_enabled: bool = Field(
        False,
        description="off: reachable only through the private endpoint; on: public endpoint, still default-deny",
    )
    allowed_ip_ranges: list[str] = Field(
        default_factory=list,
        description="public addresses allowed when public access is on; none when omitted",
    )
    trusted_services_bypass_enabled: bool = Field(
        False, description="off: trusted Azure services get no firewall exception"
    )
    encryption_keys: list[Slug] = Field(
        default_factory=list,
        description="customer-managed keys to create, by name; none when omitted",
    )
    key_rotation_days: int = Field(
        365, ge=30, le=730, description="a new key version is made this many days after the last"
    )
    key_expiry_days: int = Field(
        730, ge=60, le=1095, description="each key version expires after this many days"
    )
    protect: bool = Field(True, description="the vault and its keys cannot be deleted by an update")

    @model_validator(mode="after")
    def _rotation_before_expiry(self) -> KeyVaultArgs:
        if self.key_rotation_days + 30 > self.key_expiry_days:
            raise ValueError(
                f"keys must rotate at least 30 days before they expire, got rotation after "
                f"{self.key_rotation_days} days and expiry after {self.key_expiry_days}; "
                "lower key_rotation_days or raise key_expiry_days"
            )
        return self

    @model_validator(mode="after")
    def _ip_ranges_need_public_access(self) -> KeyVaultArgs:
        if self.allowed_ip_ranges and not self.public_network_access_enabled:
            raise ValueError(
                f"allowed_ip_ranges has no effect while public_network_access_enabled is false, "
                f"got {self.allowed_ip_ranges}; remove the ranges or turn public access on explicitly"
            )
        return self

    @property
    def vault_name(self) -> str:
        """3-24 characters, globally unique, the same on every run."""
        return unique_name("kv", self.short_name, self.environment, salt=str(self.subscription_id))

    @classmethod
    def from_environment(cls, env: Environment) -> KeyVaultArgs:
        """The vault one environment gets, sized and protected by its config."""
        assert env.azure is not None, "Key Vault needs the azure section"
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            tenant_id=env.azure.tenant_id,
            subscription_id=env.azure.subscription_id,
            location=env.azure.location,
            soft_delete_retention_days=env.protection.soft_delete_retention_days,
            protect=env.protection.deletion_protection,
        )


class KeyVault(pulumi.ComponentResource):
    """An RBAC-only Key Vault with purge protection, a private endpoint and audit logs."""

    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: KeyVaultArgs,
        *,
        resource_group_name: pulumi.Input[str],
        private_endpoint_subnet_id: pulumi.Input[str],
        private_dns_zone_id: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:KeyVault", name, None, opts)
        self._name = name
        self.args = args

        vault = self._create_vault(args, resource_group_name)
        self.private_endpoint = private_endpoint(
            f"{name}-pe",
            target_id=vault.id,
            target_name=args.vault_name,
            group_id="vault",
            subnet_id=private_endpoint_subnet_id,
            dns_zone_id=private_dns_zone_id,
            resource_group_name=resource_group_name,
            location=args.location,
            parent=self,
        )
        diagnostic_setting(
            f"{name}-diagnostics", resource_uri=vault.id, workspace_id=workspace_id, parent=self
        )
        self.keys = {
            key: self._create_key(args, vault, resource_group_name, key)
            for key in args.encryption_keys
        }

        self.vault = vault
        self.vault_id = vault.id
        self.vault_name = vault.name
        self.vault_uri = pulumi.Output.from_input(f"https://{args.vault_name}.vault.azure.net/")
        self.register_outputs(
            {
                "name": vault.name,
                "resource_id": vault.id,
                "vault_uri": self.vault_uri,
                "private_endpoint_id": self.private_endpoint.id,
                "key_ids": {key: k.id for key, k in self.keys.items()},
            }
        )

    def encryption_key(self, key: str) -> EncryptionKey:
        """The reference another component passes to use key `key` of this vault."""
        if key not in self.keys:
            raise KeyError(
                f"the vault has no key {key!r}, got {sorted(self.keys)}; add it to encryption_keys"
            )
        found = self.keys[key]
        return EncryptionKey(name=found.name, resource_id=found.id, vault_uri=self.vault_uri)

    def _create_vault(self, args: KeyVaultArgs, resource_group_name: pulumi.Input[str]):
        import pulumi_azure_native as azure_native

        kv = azure_native.keyvault
        return kv.Vault(
            f"{self._name}-vault",
            vault_name=args.vault_name,
            resource_group_name=resource_group_name,
            location=args.location,
            properties=kv.VaultPropertiesArgs(
                tenant_id=str(args.tenant_id),
                sku=kv.SkuArgs(family="A", name=args.sku),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_days,
                enable_purge_protection=True,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access="Enabled"
                if args.public_network_access_enabled
                else "Disabled",
                network_acls=kv.NetworkRuleSetArgs(
                    default_action="Deny",
                    bypass="AzureServices" if args.trusted_services_bypass_enabled else "None",
                    ip_rules=[kv.IPRuleArgs(value=ip) for ip in args.allowed_ip_ranges],
                ),
            ),
            # Secrets in the vault (keys, connection strings) are the most sensitive data here.
            tags=classified(Classification.restricted),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _create_key(self, args: KeyVaultArgs, vault, resource_group_name, key: str):
        import pulumi_azure_native as azure_native

        kv = azure_native.keyvault
        return kv.Key(
            f"{self._name}-key-{key}",
            key_name=key,
            vault_name=vault.name,
            resource_group_name=resource_group_name,
            properties=kv.KeyPropertiesArgs(
                kty="RSA",
                key_size=3072,
                key_ops=["wrapKey", "unwrapKey"],
                attributes=kv.KeyAttributesArgs(enabled=True, exportable=False),
                rotation_policy=kv.RotationPolicyArgs(
                    attributes=kv.KeyRotationPolicyAttributesArgs(
                        expiry_time=f"P{args.key_expiry_days}D"
                    ),
                    lifetime_actions=[
                        kv.LifetimeActionArgs(
                            action=kv.ActionArgs(type="rotate"),
                            trigger=kv.TriggerArgs(time_after_create=f"P{args.key_rotation_days}D"),
                        ),
                        kv.LifetimeActionArgs(
                            action=kv.ActionArgs(type="notify"),
                            trigger=kv.TriggerArgs(time_before_expiry="P30D"),
                        ),
                    ],
                ),
            ),
            tags=classified(Classification.restricted),
            # Deleting a key makes everything encrypted with it unreadable.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
