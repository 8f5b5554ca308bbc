"""AzureCore: the resource group and Log Analytics workspace, in wire form."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.core import AzureCore, AzureCoreArgs, compact_name

WORKSPACE = "azure-native:operationalinsights:Workspace"
GROUP = "azure-native:resources:ResourceGroup"


def _capture(args: AzureCoreArgs) -> Capture:
    return capture_program(lambda: AzureCore("core", args), project="t", stack="dev", config={})


@pytest.fixture(scope="module")
def default_core() -> Capture:
    return _capture(AzureCoreArgs(short_name="caf", environment="prod"))


def _one(capture: Capture, type_: str):
    (resource,) = capture.of_type(type_)
    return resource


def test_group_is_named_from_organisation_and_environment(default_core):
    group = _one(default_core, GROUP)
    assert group.inputs["resourceGroupName"] == "rg-caf-prod-platform"
    assert group.inputs["location"] == "eastus2"


def test_workspace_defaults_are_secure(default_core):
    workspace = _one(default_core, WORKSPACE).inputs
    assert workspace["sku"] == {"name": "PerGB2018"}
    assert workspace["retentionInDays"] == 90.0
    assert workspace["publicNetworkAccessForIngestion"] == "Disabled"
    assert workspace["publicNetworkAccessForQuery"] == "Disabled"
    assert workspace["features"]["disableLocalAuth"] is True
    assert workspace["features"]["enableLogAccessUsingOnlyResourcePermissions"] is True


def test_workspace_lives_in_the_group(default_core):
    group, workspace = _one(default_core, GROUP), _one(default_core, WORKSPACE)
    assert workspace.property_dependencies["resourceGroupName"] == (group.urn,)


def test_group_and_workspace_are_protected_by_default(default_core):
    assert _one(default_core, GROUP).protect is True
    assert _one(default_core, WORKSPACE).protect is True


def test_children_are_parented_to_the_component(default_core):
    (component,) = default_core.of_type("civic:azure:Core")
    assert {r.parent for r in default_core.resources if r.custom} == {component.urn}


def test_unprotected_and_short_retention_when_asked():
    capture = _capture(
        AzureCoreArgs(
            short_name="caf",
            environment="dev",
            log_retention_days=30,
            protect=False,
            public_query_enabled=True,
        )
    )
    workspace = _one(capture, WORKSPACE)
    assert workspace.protect is False
    assert _one(capture, GROUP).protect is False
    assert workspace.inputs["retentionInDays"] == 30.0
    assert workspace.inputs["publicNetworkAccessForQuery"] == "Enabled"
    assert workspace.inputs["publicNetworkAccessForIngestion"] == "Disabled"


def test_retention_outside_log_analytics_limits_is_rejected():
    with pytest.raises(ValidationError, match="log_retention_days"):
        AzureCoreArgs(short_name="caf", environment="dev", log_retention_days=7)


def test_compact_name_fits_storage_account_rules():
    name = compact_name("st", "a-very-long-organisation", "environment-name", "flowlogs")
    assert len(name) <= 24
    assert name.isalnum() and name == name.lower()


def test_compact_name_is_stable_and_distinguishes_long_names():
    first = compact_name("st", "organisation-with-long-name", "prod", "flowlogs")
    second = compact_name("st", "organisation-with-long-name", "prod", "exports")
    assert first == compact_name("st", "organisation-with-long-name", "prod", "flowlogs")
    assert first != second
