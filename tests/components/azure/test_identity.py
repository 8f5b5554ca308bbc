"""Entra ID identity of one environment: its vendors group only (tenant-wide parts: test_tenant.py; each vendor: test_vendors.py)."""

from __future__ import annotations

import pytest

from cli.capture import Capture, capture_program
from components.azure.identity import EntraIdentity, EntraIdentityArgs
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

RG_ID = "/subscriptions/00000000-0000-0000-0000-0000000000f3/resourceGroups/rg-caf-prod-platform"
CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP = "azuread:index/group:Group"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
FEDERATED = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)


def _capture(args: EntraIdentityArgs, stack: str = "prod") -> tuple[Capture, EntraIdentity]:
    built: dict[str, EntraIdentity] = {}

    def program() -> None:
        built["identity"] = EntraIdentity("identity", args, resource_group_id=RG_ID)

    capture = capture_program(program, project="t", stack=stack, config={})
    return capture, built["identity"]


@pytest.fixture(scope="module")
def env():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def built(env):
    return _capture(EntraIdentityArgs.from_environment(env))


@pytest.fixture(scope="module")
def capture(built) -> Capture:
    return built[0]


def test_an_environment_declares_no_tenant_wide_identity(capture):
    assert capture.of_type(CA) == [] and capture.of_type(FEDERATED) == []
    assert not capture.of_type("azuread:index/application:Application")
    groups = {r.inputs["displayName"]: r.inputs for r in capture.of_type(GROUP)}
    assert set(groups) == {"caf-prod-vendors"}  # each vendor has its own group in AzureVendors
    assert groups["caf-prod-vendors"]["assignableToRole"] is False
