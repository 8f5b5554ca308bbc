"""In the prod plan every stateful Azure resource is protected (`protect=True`).

Stateful means deleting it loses data or history that cannot be recreated: the resource
group (deleting it deletes everything in it), the Log Analytics workspace, every storage
account and blob container, the exports immutability policy, the Key Vault, its keys
(deleting a key makes what it encrypts unreadable) and the Azure OpenAI account. The test
reads the whole prod plan, so a new component that forgets `protect=args.protect` fails
here, whoever owns it.
"""

from __future__ import annotations

import pytest

from cli.capture import Capture
from cli.plan import plan_environment
from cli.project import find_project
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

STATEFUL_TYPES = frozenset(
    {
        "azure-native:resources:ResourceGroup",
        "azure-native:operationalinsights:Workspace",
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:BlobContainerImmutabilityPolicy",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "azure-native:cognitiveservices:Account",
    }
)


@pytest.fixture(scope="module")
def prod_plan() -> Capture:
    project = find_project(REPO)
    return plan_environment(project, load_environment(project.stacks_dir, "prod", today=TODAY))


def test_prod_plan_has_every_stateful_type(prod_plan):
    """Guards the next test: it would pass vacuously if a type disappeared from the plan."""
    present = {r.type for r in prod_plan.resources}
    assert sorted(STATEFUL_TYPES - present) == []


def test_every_stateful_azure_resource_is_protected_in_prod(prod_plan):
    unprotected = [r.urn for r in prod_plan.resources if r.type in STATEFUL_TYPES and not r.protect]
    assert unprotected == []


def test_the_platforms_two_storage_accounts_are_both_covered(prod_plan):
    """Flow logs (network) and M365 exports: one check covers components of both owners."""
    accounts = prod_plan.of_type("azure-native:storage:StorageAccount")
    assert len(accounts) >= 2
    assert all(a.protect for a in accounts)
