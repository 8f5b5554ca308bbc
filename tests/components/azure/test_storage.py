"""M365 exports and backups account: Entra-only, private, versioned, soft-deleting, optionally WORM."""

from __future__ import annotations

import re

import pytest

from cli.capture import Capture, capture_program
from components.azure.storage import ExportStorage, ExportStorageArgs
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


def _capture(args: ExportStorageArgs) -> Capture:
    def program() -> None:
        ExportStorage(
            "exports",
            args,
            resource_group_name="rg-caf-platform",
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            workspace_id=WORKSPACE,
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
