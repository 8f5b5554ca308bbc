"""AzureOpenAI: keyless, private account with its deployments, in wire form."""

from __future__ import annotations

import pytest

from cli.capture import Capture, capture_program
from components.azure.openai import AzureOpenAI, AzureOpenAIArgs
from stacks.model import ModelDeployment

PE_SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/snet-private-endpoints"
OPENAI_ZONE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com"
WORKSPACE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"

DEPLOYMENTS = (
    ModelDeployment(name="summaries", model="gpt-4o-mini", version="2024-07-18", capacity=30),
    ModelDeployment(name="drafts", model="gpt-4o", version="2024-08-06"),
)


def _capture(args: AzureOpenAIArgs) -> Capture:
    def program() -> None:
        AzureOpenAI(
            "openai",
            args,
            resource_group_name="rg-caf-prod-platform",
            private_endpoint_subnet_id=PE_SUBNET,
            private_dns_zone_id=OPENAI_ZONE,
            workspace_id=WORKSPACE,
        )

    return capture_program(program, project="t", stack="prod", config={})


@pytest.fixture(scope="module")
def openai() -> Capture:
    return _capture(AzureOpenAIArgs(short_name="caf", environment="prod", deployments=DEPLOYMENTS))


def _account(capture: Capture):
    (account,) = capture.of_type(ACCOUNT)
    return account


def test_account_is_openai_with_a_custom_subdomain(openai):
    inputs = _account(openai).inputs
    assert inputs["kind"] == "OpenAI"
    assert inputs["properties"]["customSubDomainName"] == "oai-caf-prod"


def test_local_key_auth_is_disabled(openai):
    assert _account(openai).inputs["properties"]["disableLocalAuth"] is True


def test_public_network_is_off_and_the_acl_denies_by_default(openai):
    properties = _account(openai).inputs["properties"]
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["networkAcls"]["defaultAction"] == "Deny"
    assert properties["networkAcls"]["ipRules"] == []
    assert properties["networkAcls"]["virtualNetworkRules"] == []
    assert properties["restrictOutboundNetworkAccess"] is True


def test_account_is_protected_by_default_and_not_when_asked(openai):
    assert _account(openai).protect is True
    unprotected = _capture(AzureOpenAIArgs(short_name="caf", environment="dev", protect=False))
    assert _account(unprotected).protect is False


def test_deployments_and_log_settings_do_not_inherit_protection(openai):
    """Dropping a deployment from config must not be blocked by the account's protect flag."""
    assert all(not d.protect for d in openai.of_type(DEPLOYMENT))
    assert all(not s.protect for s in openai.of_type("azure-native:monitor:DiagnosticSetting"))


def test_private_endpoint_in_the_hub_subnet_registers_in_the_openai_zone(openai):
    (endpoint,) = openai.of_type("azure-native:network:PrivateEndpoint")
    assert endpoint.inputs["subnet"]["id"] == PE_SUBNET
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["account"]
    assert endpoint.property_dependencies["privateLinkServiceConnections"] == (
        _account(openai).urn,
    )
    (group,) = openai.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert group.inputs["privateDnsZoneConfigs"] == [
        {"name": "openai", "privateDnsZoneId": OPENAI_ZONE}
    ]
    assert group.property_dependencies["privateEndpointName"] == (endpoint.urn,)


def test_one_deployment_per_configured_model(openai):
    deployments = {d.inputs["deploymentName"]: d.inputs for d in openai.of_type(DEPLOYMENT)}
    assert set(deployments) == {"summaries", "drafts"}
    summaries = deployments["summaries"]
    assert summaries["properties"]["model"] == {
        "format": "OpenAI",
        "name": "gpt-4o-mini",
        "version": "2024-07-18",
    }
    assert summaries["sku"] == {"name": "Standard", "capacity": 30.0}
    assert summaries["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"
    assert deployments["drafts"]["sku"]["capacity"] == 10.0


def test_deployments_are_applied_one_at_a_time(openai):
    first, second = (
        d for d in openai.of_type(DEPLOYMENT) if d.name in ("openai-summaries", "openai-drafts")
    )
    by_name = {first.name: first, second.name: second}
    assert by_name["openai-summaries"].urn in by_name["openai-drafts"].dependencies


def test_account_logs_go_to_the_workspace(openai):
    (setting,) = openai.of_type("azure-native:monitor:DiagnosticSetting")
    assert setting.property_dependencies["resourceUri"] == (_account(openai).urn,)
    assert setting.inputs["workspaceId"] == WORKSPACE
    assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_no_deployments_by_default():
    assert AzureOpenAIArgs(short_name="caf", environment="dev").deployments == ()
