"""The storage account for Microsoft 365 exports (eDiscovery, mailbox and audit exports) and backups.

Entra ID only (shared keys and SAS are off), HTTPS with TLS 1.2, no anonymous blob access,
no public network: the account is reached through its private endpoint in the hub. Blob
versioning and soft delete for blobs and containers keep deleted or overwritten data
recoverable, and the exports container can carry a time-based immutability (WORM) policy
so records cannot be altered or removed before their retention ends.

Data is encrypted with a customer-managed key from the Key Vault (it rotates by the key's
rotation policy; the account always uses the latest version), unwrapped by a user-assigned
identity that holds "Key Vault Crypto Service Encryption User" on that one key only.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import pulumi
from pydantic import Field

from components.azure.attachments import diagnostic_setting, private_endpoint, unique_name
from components.azure.key_vault import EncryptionKey
from components.tagging import classified
from stacks.model import Classification, Environment, Slug, StrictModel

CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
"""Built-in role: get, wrap and unwrap a key; nothing else."""
EXPORTS_CONTAINER = "m365-exports"
BACKUPS_CONTAINER = "backups"


class ExportStorageArgs(StrictModel):
    """Name parts, redundancy, retention and immutability of the exports account."""

    short_name: Slug = Field(description="organisation prefix of the name, e.g. 'caf'")
    environment: Slug = Field(description="environment name, part of the account name")
    subscription_id: UUID = Field(
        description="salts the name suffix so it is unique across organisations"
    )
    location: str = Field("eastus2", description="Azure region of the account and its endpoint")
    sku: Literal[
        "Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS", "Standard_RAGZRS"
    ] = Field(
        "Standard_GZRS",
        description="zone- and geo-redundant when omitted: backups survive a regional outage",
    )
    soft_delete_retention_days: int = Field(
        30,
        ge=7,
        le=365,
        description="days deleted blobs and containers stay recoverable; 30 when omitted",
    )
    immutable_exports_enabled: bool = Field(
        False,
        description="off: exports can be deleted once soft delete expires; on: WORM for immutability_days",
    )
    immutability_days: int = Field(
        365,
        ge=1,
        le=146000,
        description="days each export stays undeletable when immutability is on",
    )
    public_network_access_enabled: bool = Field(
        False, description="off: reachable only through the private endpoint"
    )
    customer_managed_key_enabled: bool = Field(
        True,
        description="on: encrypt with `encryption_key`; off: Microsoft-managed keys (not for restricted data)",
    )
    protect: bool = Field(
        True, description="the account, containers and policy cannot be deleted by an update"
    )

    @property
    def account_name(self) -> str:
        """3-24 lower-case letters and digits, globally unique, the same on every run."""
        return unique_name(
            "st",
            self.short_name,
            self.environment,
            "exp",
            salt=str(self.subscription_id),
            dashes=False,
        )

    @classmethod
    def from_environment(cls, env: Environment) -> ExportStorageArgs:
        """The exports account one environment gets."""
        assert env.azure is not None, "export storage needs the azure section"
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            subscription_id=env.azure.subscription_id,
            location=env.azure.location,
            soft_delete_retention_days=env.protection.soft_delete_retention_days,
            immutable_exports_enabled=env.m365.immutable_exports_enabled,
            protect=env.protection.deletion_protection,
        )


class ExportStorage(pulumi.ComponentResource):
    """A private, Entra-ID-only StorageV2 account with `m365-exports` and `backups` containers."""

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    container_names: list[str]

    def __init__(
        self,
        name: str,
        args: ExportStorageArgs,
        *,
        resource_group_name: pulumi.Input[str],
        private_endpoint_subnet_id: pulumi.Input[str],
        private_dns_zone_id: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        encryption_key: EncryptionKey | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        if args.customer_managed_key_enabled and encryption_key is None:
            raise ValueError(
                "export storage encrypts with a customer-managed key but got no encryption_key; pass "
                "KeyVault.encryption_key(<name>), or set customer_managed_key_enabled=False explicitly"
            )
        super().__init__("civic:azure:ExportStorage", name, None, opts)
        self._name = name
        self.args = args

        cmk = None
        if args.customer_managed_key_enabled and encryption_key is not None:
            cmk = self._create_key_access(args, encryption_key, resource_group_name)
        account = self._create_account(args, resource_group_name, encryption_key, cmk)
        blob_service = self._create_blob_service(args, account, resource_group_name)
        containers = {
            role: self._create_container(args, account, blob_service, resource_group_name, role)
            for role in (EXPORTS_CONTAINER, BACKUPS_CONTAINER)
        }
        if args.immutable_exports_enabled:
            self._create_immutability_policy(
                args, account, containers[EXPORTS_CONTAINER], resource_group_name
            )
        self.private_endpoint = private_endpoint(
            f"{name}-pe",
            target_id=account.id,
            target_name=args.account_name,
            group_id="blob",
            subnet_id=private_endpoint_subnet_id,
            dns_zone_id=private_dns_zone_id,
            resource_group_name=resource_group_name,
            location=args.location,
            parent=self,
        )
        # Reads, writes and deletes are logged on the blob service; capacity metrics on the account.
        diagnostic_setting(
            f"{name}-blob-diagnostics",
            resource_uri=blob_service.id,
            workspace_id=workspace_id,
            metric_categories=("Transaction",),
            parent=self,
        )
        diagnostic_setting(
            f"{name}-diagnostics",
            resource_uri=account.id,
            workspace_id=workspace_id,
            log_category_groups=(),
            metric_categories=("Transaction",),
            parent=self,
        )

        self.account = account
        self.account_id = account.id
        self.account_name = account.name
        self.container_names = [EXPORTS_CONTAINER, BACKUPS_CONTAINER]
        self.register_outputs(
            {
                "name": account.name,
                "resource_id": account.id,
                "container_names": self.container_names,
                "private_endpoint_id": self.private_endpoint.id,
            }
        )

    def _create_key_access(self, args: ExportStorageArgs, key: EncryptionKey, resource_group_name):
        """The identity the account unwraps its key with, and its grant on that one key."""
        import pulumi_azure_native as azure_native

        identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{self._name}-cmk-identity",
            resource_name_=f"id-{args.account_name}-cmk",
            resource_group_name=resource_group_name,
            location=args.location,
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )
        grant = azure_native.authorization.RoleAssignment(
            f"{self._name}-cmk-unwrap",
            scope=key.resource_id,
            role_definition_id=f"/subscriptions/{args.subscription_id}/providers/"
            f"Microsoft.Authorization/roleDefinitions/{CRYPTO_SERVICE_ENCRYPTION_USER}",
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            description=f"{args.account_name} unwraps its encryption key",
            # explicit: offline plans do not know principal_id, and the edge must survive
            opts=pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )
        return identity, grant

    def _create_account(self, args: ExportStorageArgs, resource_group_name, key, cmk):
        import pulumi_azure_native as azure_native

        st = azure_native.storage
        services = st.EncryptionServicesArgs(
            blob=st.EncryptionServiceArgs(enabled=True, key_type="Account"),
            file=st.EncryptionServiceArgs(enabled=True, key_type="Account"),
        )
        if cmk is None:
            identity = None
            encryption = st.EncryptionArgs(
                key_source="Microsoft.Storage",
                require_infrastructure_encryption=True,
                services=services,
            )
            depends_on = []
        else:
            uai, grant = cmk
            identity = st.IdentityArgs(type="UserAssigned", user_assigned_identities=[uai.id])
            # No key_version: the account follows the key's newest version after each rotation.
            encryption = st.EncryptionArgs(
                key_source="Microsoft.Keyvault",
                key_vault_properties=st.KeyVaultPropertiesArgs(
                    key_name=key.name, key_vault_uri=key.vault_uri
                ),
                encryption_identity=st.EncryptionIdentityArgs(
                    encryption_user_assigned_identity=uai.id
                ),
                require_infrastructure_encryption=True,
                services=services,
            )
            depends_on = [grant]  # the key must be readable before the account is created
        return st.StorageAccount(
            f"{self._name}-account",
            account_name=args.account_name,
            resource_group_name=resource_group_name,
            location=args.location,
            kind="StorageV2",
            sku=st.SkuArgs(name=args.sku),
            access_tier="Hot",
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            is_local_user_enabled=False,
            is_sftp_enabled=False,
            public_network_access="Enabled" if args.public_network_access_enabled else "Disabled",
            network_rule_set=st.NetworkRuleSetArgs(default_action="Deny", bypass="None"),
            identity=identity,
            encryption=encryption,
            # M365 exports hold staff and supporter mail and documents.
            tags=classified(Classification.restricted),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=depends_on),
        )

    def _create_blob_service(self, args: ExportStorageArgs, account, resource_group_name):
        import pulumi_azure_native as azure_native

        st = azure_native.storage
        retention = st.DeleteRetentionPolicyArgs(enabled=True, days=args.soft_delete_retention_days)
        return st.BlobServiceProperties(
            f"{self._name}-blob-service",
            account_name=account.name,
            resource_group_name=resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            change_feed=st.ChangeFeedArgs(enabled=True),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_container(
        self, args: ExportStorageArgs, account, blob_service, resource_group_name, role: str
    ):
        import pulumi_azure_native as azure_native

        return azure_native.storage.BlobContainer(
            f"{self._name}-{role}",
            account_name=account.name,
            resource_group_name=resource_group_name,
            container_name=role,
            public_access="None",
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=[blob_service]
            ),
        )

    def _create_immutability_policy(
        self, args: ExportStorageArgs, account, container, resource_group_name
    ):
        import pulumi_azure_native as azure_native

        # Unlocked on creation: locking is a one-way decision (even the owner cannot shorten
        # or remove a locked policy), taken by a person once the period is confirmed.
        return azure_native.storage.BlobContainerImmutabilityPolicy(
            f"{self._name}-{EXPORTS_CONTAINER}-immutability",
            account_name=account.name,
            container_name=EXPORTS_CONTAINER,
            resource_group_name=resource_group_name,
            immutability_policy_name="default",
            immutability_period_since_creation_in_days=args.immutability_days,
            allow_protected_append_writes=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[container]),
        )
