"""M365 exports and backups account: Entra-only, private, versioned, soft-deleting, optionally WORM."""

from __future__ import annotations

import re

import pytest

from cli.capture import Capture, capture_program
from components.azure.key_vault import EncryptionKey, KeyVault, KeyVaultArgs
from components.azure.storage import (
    CRYPTO_SERVICE_ENCRYPTION_USER,
    ExportStorage,
    ExportStorageArgs,
)
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/private-endpoints"
ZONE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
WORKSPACE = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
)
ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy"
KEY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-caf-prod-d4cb/keys/m365-exports"
KEY = EncryptionKey(
    name="m365-exports", resource_id=KEY_ID, vault_uri="https://kv-caf-prod-d4cb.vault.azure.net/"
)


def _capture(args: ExportStorageArgs, key: EncryptionKey | None = KEY) -> Capture:
    def program() -> None:
        ExportStorage(
            "exports",
            args,
            resource_group_name="rg-caf-platform",
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            workspace_id=WORKSPACE,
            encryption_key=key,
        )

    return capture_program(program, project="t", stack="test", config={})


@pytest.fixture(scope="module")
def prod():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def capture(prod) -> Capture:
    return _capture(ExportStorageArgs.from_environment(prod))


@pytest.fixture(scope="module")
def dev_capture() -> Capture:
    return _capture(
        ExportStorageArgs.from_environment(load_environment(REPO / "stacks", "dev", today=TODAY))
    )


def account(capture: Capture):
    (found,) = capture.of_type(ACCOUNT)
    return found


def test_account_is_https_tls12_entra_only_and_never_public(capture):
    inputs = account(capture).inputs
    assert inputs["kind"] == "StorageV2"
    # azure-native 3.x names ARM's supportsHttpsTrafficOnly `enableHttpsTrafficOnly`
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False
    assert inputs["defaultToOAuthAuthentication"] is True
    assert inputs["allowCrossTenantReplication"] is False
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "None"}


def test_blob_versioning_and_soft_delete_use_the_environment_retention(capture, prod):
    (service,) = capture.of_type("azure-native:storage:BlobServiceProperties")
    days = float(prod.protection.soft_delete_retention_days)
    assert service.inputs["isVersioningEnabled"] is True
    assert service.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": days}
    assert service.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": days}
    assert service.property_dependencies["accountName"] == (account(capture).urn,)


def test_exports_and_backups_containers_are_private(capture):
    containers = {r.inputs["containerName"]: r for r in capture.of_type(CONTAINER)}
    assert set(containers) == {"m365-exports", "backups"}
    for container in containers.values():
        assert container.inputs["publicAccess"] == "None"


def test_prod_exports_are_write_once_read_many(capture):
    (policy,) = capture.of_type(IMMUTABILITY)
    assert policy.inputs["containerName"] == "m365-exports"
    assert policy.inputs["immutabilityPeriodSinceCreationInDays"] == 365.0
    assert policy.inputs["allowProtectedAppendWrites"] is False
    exports = next(
        r for r in capture.of_type(CONTAINER) if r.inputs["containerName"] == "m365-exports"
    )
    assert exports.urn in policy.dependencies


def test_dev_has_no_immutability_policy_because_its_config_does_not_ask(dev_capture):
    assert dev_capture.of_type(IMMUTABILITY) == []


def test_stateful_parts_are_protected_in_prod_and_not_in_dev(capture, dev_capture):
    for found in (capture, dev_capture):
        stateful = found.of_type(ACCOUNT) + found.of_type(CONTAINER) + found.of_type(IMMUTABILITY)
        assert {r.protect for r in stateful} == {found is capture}


def test_private_endpoint_is_in_the_blob_zone(capture):
    (endpoint,) = capture.of_type("azure-native:network:PrivateEndpoint")
    assert endpoint.inputs["subnet"] == {"id": SUBNET}
    assert endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["blob"]
    (zone_group,) = capture.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert zone_group.inputs["privateDnsZoneConfigs"] == [
        {"name": "blob", "privateDnsZoneId": ZONE}
    ]


def test_blob_reads_writes_and_deletes_are_logged(capture):
    settings = capture.of_type("azure-native:monitor:DiagnosticSetting")
    (service,) = capture.of_type("azure-native:storage:BlobServiceProperties")
    blob = next(s for s in settings if s.property_dependencies["resourceUri"] == (service.urn,))
    assert blob.inputs["workspaceId"] == WORKSPACE
    assert blob.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_exports_are_classified_restricted(capture):
    assert account(capture).inputs["tags"] == {"data-classification": "restricted"}


def test_account_name_is_a_valid_storage_name(prod):
    name = ExportStorageArgs.from_environment(prod).account_name
    assert re.fullmatch(r"[a-z0-9]{3,24}", name)
    long = ExportStorageArgs.from_environment(prod).model_copy(update={"short_name": "a" * 24})
    assert len(long.account_name) <= 24


def test_data_is_encrypted_with_the_customer_managed_key(capture):
    encryption = account(capture).inputs["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["requireInfrastructureEncryption"] is True
    assert encryption["keyVaultProperties"] == {
        "keyName": "m365-exports",
        "keyVaultUri": "https://kv-caf-prod-d4cb.vault.azure.net/",
    }  # no keyVersion: the account follows every rotation
    (identity,) = capture.of_type("azure-native:managedidentity:UserAssignedIdentity")
    # the encryption identity is that user-assigned identity (its id is an output, so follow the edge)
    assert account(capture).property_dependencies["encryption"] == (identity.urn,)
    assert account(capture).inputs["identity"]["type"] == "UserAssigned"


def test_the_key_identity_may_only_unwrap_that_one_key(capture):
    (grant,) = capture.of_type("azure-native:authorization:RoleAssignment")
    assert grant.inputs["scope"] == KEY_ID
    assert grant.inputs["roleDefinitionId"].endswith(
        "/roleDefinitions/" + CRYPTO_SERVICE_ENCRYPTION_USER
    )
    assert grant.inputs["principalType"] == "ServicePrincipal"
    (identity,) = capture.of_type("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.urn in grant.dependencies
    assert grant.urn in account(capture).dependencies  # the grant exists before the account


def test_a_missing_key_is_an_error_not_a_silent_downgrade(prod):
    with pytest.raises(Exception, match="got no encryption_key"):
        _capture(ExportStorageArgs.from_environment(prod), key=None)


def test_microsoft_managed_keys_only_when_asked_for(prod):
    args = ExportStorageArgs.from_environment(prod).model_copy(
        update={"customer_managed_key_enabled": False}
    )
    found = _capture(args, key=None)
    assert account(found).inputs["encryption"]["keySource"] == "Microsoft.Storage"
    assert found.of_type("azure-native:authorization:RoleAssignment") == []


def test_wired_to_a_vault_key_the_account_depends_on_that_rotating_key(prod):
    def program() -> None:
        vault = KeyVault(
            "kv",
            KeyVaultArgs.from_environment(prod).model_copy(
                update={"encryption_keys": ["m365-exports"]}
            ),
            resource_group_name="rg",
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            workspace_id=WORKSPACE,
        )
        ExportStorage(
            "exports",
            ExportStorageArgs.from_environment(prod),
            resource_group_name="rg",
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            workspace_id=WORKSPACE,
            encryption_key=vault.encryption_key("m365-exports"),
        )

    found = capture_program(program, project="t", stack="prod", config={})
    (key,) = found.of_type("azure-native:keyvault:Key")
    assert key.urn in account(found).property_dependencies["encryption"]
    (grant,) = found.of_type("azure-native:authorization:RoleAssignment")
    assert grant.property_dependencies["scope"] == (key.urn,)
