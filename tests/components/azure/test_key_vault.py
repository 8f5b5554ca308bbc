"""Key Vault: RBAC, soft delete, purge protection and a private endpoint, in wire form."""

from __future__ import annotations

import re

import pulumi
import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.key_vault import KeyVault, KeyVaultArgs
from components.tagging import tagging_transformation
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/private-endpoints"
ZONE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
WORKSPACE = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
)
VAULT = "azure-native:keyvault:Vault"


def _capture(args: KeyVaultArgs, env=None) -> Capture:
    def program() -> None:
        if env is not None:
            pulumi.runtime.register_stack_transformation(tagging_transformation(env))
        KeyVault(
            "kv",
            args,
            resource_group_name="rg-caf-prod-platform",
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            workspace_id=WORKSPACE,
        )

    return capture_program(program, project="t", stack="prod", config={})


@pytest.fixture(scope="module")
def env():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def capture(env) -> Capture:
    return _capture(KeyVaultArgs.from_environment(env), env)


def vault(capture: Capture):
    (found,) = capture.of_type(VAULT)
    return found


def test_access_is_rbac_only_with_soft_delete_and_purge_protection(capture, env):
    props = vault(capture).inputs["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert props["softDeleteRetentionInDays"] == float(env.protection.soft_delete_retention_days)
    assert "accessPolicies" not in props


def test_public_network_is_off_and_the_firewall_denies_by_default(capture):
    props = vault(capture).inputs["properties"]
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["networkAcls"]["bypass"] == "None"
    assert props["networkAcls"]["ipRules"] == []


def test_the_vault_is_protected_when_the_environment_asks(capture):
    assert vault(capture).protect is True


def test_protection_follows_the_args_not_the_stack_name(env):
    args = KeyVaultArgs.from_environment(env).model_copy(update={"protect": False})
    assert vault(_capture(args)).protect is False


def test_private_endpoint_on_the_hub_subnet_registered_in_the_vault_zone(capture):
    (endpoint,) = capture.of_type("azure-native:network:PrivateEndpoint")
    assert endpoint.inputs["subnet"] == {"id": SUBNET}
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["vault"]
    assert endpoint.property_dependencies["privateLinkServiceConnections"] == (vault(capture).urn,)
    (zone_group,) = capture.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert zone_group.inputs["privateDnsZoneConfigs"] == [
        {"name": "vault", "privateDnsZoneId": ZONE}
    ]
    assert zone_group.inputs["privateEndpointName"] == endpoint.inputs["privateEndpointName"]


def test_audit_logs_go_to_the_workspace(capture):
    (setting,) = capture.of_type("azure-native:monitor:DiagnosticSetting")
    assert setting.inputs["workspaceId"] == WORKSPACE
    assert setting.property_dependencies["resourceUri"] == (vault(capture).urn,)
    assert {"categoryGroup": "allLogs", "enabled": True} in setting.inputs["logs"]


def test_tags_mark_the_vault_restricted_and_keep_the_required_ones(capture, env):
    tags = vault(capture).inputs["tags"]
    assert tags["data-classification"] == "restricted"
    assert tags["environment"] == "prod"
    assert set(tags) >= {"owner", "environment", "cost-center", "data-classification", "managed-by"}


def test_names_are_valid_deterministic_and_unique_per_subscription(env):
    args = KeyVaultArgs.from_environment(env)
    assert re.fullmatch(r"[a-z][a-z0-9-]{1,22}[a-z0-9]", args.vault_name)
    assert "--" not in args.vault_name
    assert args.vault_name == KeyVaultArgs.from_environment(env).vault_name
    other = args.model_copy(update={"subscription_id": "00000000-0000-0000-0000-0000000000d1"})
    assert other.vault_name != args.vault_name
    long = args.model_copy(update={"short_name": "a" * 24, "environment": "b" * 24})
    assert len(long.vault_name) <= 24


def test_ip_ranges_without_public_access_are_refused(env):
    values = KeyVaultArgs.from_environment(env).model_dump()
    with pytest.raises(ValidationError, match="public_network_access_enabled is false"):
        KeyVaultArgs(**{**values, "allowed_ip_ranges": ["203.0.113.0/24"]})


def test_public_access_must_be_asked_for_and_keeps_default_deny(env):
    values = KeyVaultArgs.from_environment(env).model_dump()
    args = KeyVaultArgs(
        **{**values, "public_network_access_enabled": True, "allowed_ip_ranges": ["203.0.113.0/24"]}
    )
    props = vault(_capture(args)).inputs["properties"]
    assert props["publicNetworkAccess"] == "Enabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["networkAcls"]["ipRules"] == [{"value": "203.0.113.0/24"}]


@pytest.fixture(scope="module")
def keyed(env) -> Capture:
    args = KeyVaultArgs.from_environment(env).model_copy(
        update={"encryption_keys": ["m365-exports"]}
    )
    return _capture(args)


def test_encryption_keys_wrap_only_and_rotate_before_they_expire(keyed):
    (key,) = keyed.of_type("azure-native:keyvault:Key")
    props = key.inputs["properties"]
    assert key.inputs["keyName"] == "m365-exports"
    assert props["kty"] == "RSA" and props["keySize"] == 3072.0
    assert sorted(props["keyOps"]) == ["unwrapKey", "wrapKey"]
    assert props["attributes"] == {"enabled": True, "exportable": False}
    policy = props["rotationPolicy"]
    assert policy["attributes"] == {"expiryTime": "P730D"}
    assert {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P365D"}} in policy[
        "lifetimeActions"
    ]
    assert {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}} in policy[
        "lifetimeActions"
    ]
    assert key.property_dependencies["vaultName"] == (vault(keyed).urn,)


def test_keys_are_protected_with_the_vault(keyed):
    (key,) = keyed.of_type("azure-native:keyvault:Key")
    assert key.protect is True


def test_rotation_must_come_well_before_expiry(env):
    values = KeyVaultArgs.from_environment(env).model_dump()
    with pytest.raises(ValidationError, match="rotate at least 30 days before they expire"):
        KeyVaultArgs(**{**values, "key_rotation_days": 720, "key_expiry_days": 730})


def test_asking_for_a_missing_key_names_the_fix(env):
    def program() -> None:
        vault = KeyVault(
            "kv",
            KeyVaultArgs.from_environment(env),
            resource_group_name="rg",
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            workspace_id=WORKSPACE,
        )
        vault.encryption_key("m365-exports")

    with pytest.raises(Exception, match="add it to encryption_keys"):
        capture_program(program, project="t", stack="prod", config={})
