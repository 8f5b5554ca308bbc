"""The identity and M365 composition: wiring between the components, stack outputs, preconditions."""

from __future__ import annotations

from types import SimpleNamespace

import pulumi
import pytest

from cli.capture import Capture, capture_program
from components.azure.m365 import define_identity_and_m365
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

ZONES = {"vault": "/zones/vault", "blob": "/zones/blob", "openai": "/zones/openai"}


def _platform(**overrides) -> SimpleNamespace:
    values = dict(
        resource_group_name="rg-caf-prod-platform",
        resource_group_id="/subscriptions/s/resourceGroups/rg-caf-prod-platform",
        location="eastus2",
        workspace_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log",
        workspace_name="log-caf-prod-platform",
        private_endpoint_subnet_id="/subnets/private-endpoints",
        private_dns_zone_ids=ZONES,
    )
    return SimpleNamespace(**{**values, **overrides})


@pytest.fixture(scope="module")
def prod():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def composed(prod) -> tuple[Capture, dict]:
    exported: dict = {}
    original = pulumi.export

    def program() -> None:
        pulumi.export = lambda key, value: exported.__setitem__(key, value)
        try:
            define_identity_and_m365(prod, _platform(), pulumi.ResourceOptions())
        finally:
            pulumi.export = original

    return capture_program(program, project="t", stack="prod", config={}), exported


def test_every_component_is_composed_once(composed):
    capture, _ = composed
    components = sorted(r.type for r in capture.resources if r.type.startswith("civic:"))
    assert components == [
        "civic:azure:Budget",
        "civic:azure:ExportStorage",
        "civic:azure:KeyVault",
        "civic:azure:SecurityMonitoring",
    ]
    # Vendor groups, packages and their read roles are tenant-wide: the tenant stack declares them.
    assert not [r.type for r in capture.resources if r.type.startswith("azuread:")]


def test_the_vault_lets_storage_fetch_its_key_and_nothing_else_past_the_firewall(composed):
    capture, _ = composed
    (vault,) = capture.of_type("azure-native:keyvault:Vault")
    acls = vault.inputs["properties"]["networkAcls"]
    assert vault.inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert acls == {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []}


def test_the_exports_account_is_encrypted_with_the_vaults_key(composed):
    capture, _ = composed
    (key,) = capture.of_type("azure-native:keyvault:Key")
    (account,) = capture.of_type("azure-native:storage:StorageAccount")
    assert account.inputs["encryption"]["keySource"] == "Microsoft.Keyvault"
    assert key.urn in account.property_dependencies["encryption"]


def test_private_endpoints_use_the_platform_subnet_and_zones(composed):
    capture, _ = composed
    zones = sorted(
        config["privateDnsZoneId"]
        for group in capture.of_type("azure-native:network:PrivateDnsZoneGroup")
        for config in group.inputs["privateDnsZoneConfigs"]
    )
    assert zones == ["/zones/blob", "/zones/vault"]
    for endpoint in capture.of_type("azure-native:network:PrivateEndpoint"):
        assert endpoint.inputs["subnet"] == {"id": "/subnets/private-endpoints"}


def test_ci_identities_and_break_glass_accounts_are_the_tenant_stacks_outputs(composed):
    _, exported = composed
    assert "azure_ci_client_id" not in exported and "break_glass_object_ids" not in exported


def test_without_the_network_the_composition_says_what_is_missing(prod):
    def program() -> None:
        define_identity_and_m365(
            prod, _platform(private_dns_zone_ids={"openai": "/z"}), pulumi.ResourceOptions()
        )

    with pytest.raises(
        Exception, match="'vault' and 'blob' private DNS zones, got zones \\['openai'\\]"
    ):
        capture_program(program, project="t", stack="prod", config={})
