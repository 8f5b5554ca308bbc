"""The offline plan of each sample environment: the whole program, as the engine would see it."""

from __future__ import annotations

import json

import pytest

from cli.capture import Capture
from cli.plan import plan_environment
from cli.project import find_project
from components.tagging import REQUIRED_TAGS
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def plans() -> dict[str, Capture]:
    project = find_project(REPO)
    return {
        name: plan_environment(project, load_environment(project.stacks_dir, name, today=TODAY))
        for name in ENVS
    }


def test_every_environment_plans(plans):
    for name in ENVS:
        assert plans[name].environment == name
        assert plans[name].summary()["total"] > 0


def test_prod_is_the_largest_and_dev_the_smallest(plans):
    totals = {name: plans[name].summary()["total"] for name in ENVS}
    assert totals["dev"] < totals["staging"] < totals["prod"], totals


def test_every_taggable_resource_carries_the_required_tags(plans):
    for name, capture in plans.items():
        missing = [
            (r.name, [t for t in REQUIRED_TAGS if t not in r.inputs["tags"]])
            for r in capture.resources
            if r.type.startswith(("aws:", "azure-native:")) and isinstance(r.inputs.get("tags"), dict)
            and not all(t in r.inputs["tags"] for t in REQUIRED_TAGS)
        ]
        assert missing == [], (name, missing[:5])
        tagged = [r for r in capture.resources if isinstance(r.inputs.get("tags"), dict)]
        assert {r.inputs["tags"]["environment"] for r in tagged} == {name}


def test_providers_are_pinned_to_the_environment(plans):
    for name, capture in plans.items():
        env = load_environment(REPO / "stacks", name, today=TODAY)
        providers = capture.of_type("pulumi:providers:aws")
        (aws,) = [p for p in providers if p.name == "aws"]
        assert aws.inputs["region"] == env.aws.region
        # The others are the account baseline's, one per extra GuardDuty region: same account.
        for provider in providers:
            assert json.loads(provider.inputs["allowedAccountIds"]) == [env.aws.account_id]
        (azure,) = capture.of_type("pulumi:providers:azure-native")
        assert azure.inputs["location"] == env.azure.location
        assert azure.inputs["subscriptionId"] == str(env.azure.subscription_id)


def test_custom_resources_use_the_explicit_providers(plans):
    for capture in plans.values():
        stray = [r.name for r in capture.resources
                 if r.custom and not r.type.startswith("pulumi:providers:") and r.provider is None]
        assert stray == []


def test_no_secret_or_plaintext_secret_in_any_plan(plans):
    for capture in plans.values():
        text = json.dumps(capture.to_json())
        assert "offline-placeholder" not in text
        assert "PLACEHOLDER-NOT-A-REAL-CIPHERTEXT" not in text
        assert [r.name for r in capture.resources if r.plaintext_secret_paths] == []


def test_core_of_the_platform_is_present_everywhere(plans):
    for name, capture in plans.items():
        types = {r.type for r in capture.resources}
        for needed in ("azure-native:network:VirtualNetwork", "aws:ec2/vpc:Vpc", "aws:kms/key:Key",
                       "aws:s3/bucket:Bucket"):
            assert needed in types, (name, needed)


def test_kms_keys_rotate_and_buckets_are_encrypted_and_private(plans):
    for capture in plans.values():
        assert all(k.inputs.get("enableKeyRotation") is True for k in capture.of_type("aws:kms/key:Key"))
        buckets = {b.urn for b in capture.of_type("aws:s3/bucket:Bucket")}

        def covered(type_: str, ok=lambda r: True) -> set[str]:
            return {u for r in capture.of_type(type_) if ok(r) for u in r.property_dependencies.get("bucket", ())}

        sse = covered("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        pab = covered("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                      lambda r: all(r.inputs.get(f) is True for f in flags))
        assert buckets <= sse and buckets <= pab


def test_prod_protects_stateful_resources_and_dev_does_not(plans):
    stateful = ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "azure-native:operationalinsights:Workspace")
    for type_ in stateful:
        assert plans["prod"].of_type(type_) and all(r.protect for r in plans["prod"].of_type(type_)), type_
    assert not any(r.protect for r in plans["dev"].resources)


def test_dev_has_no_vpn_gateway_and_prod_has_one(plans):
    gateway = "azure-native:network:VirtualNetworkGateway"
    assert plans["dev"].of_type(gateway) == []
    assert len(plans["prod"].of_type(gateway)) == 1


# The web apps' sign-in registrations are the one azuread type left in environment stacks (not yet
# moved to the tenant stack; README, identity section).
ENVIRONMENT_AZUREAD = {"azuread:index/application:Application"}


def test_environment_stacks_declare_no_entra_groups_or_access_packages(plans):
    """Groups and packages are tenant-wide: the tenant stack declares them, so no environment's
    deploy identity needs Graph rights over them."""
    for name in ENVS:
        entra = {r.type for r in plans[name].resources if r.type.startswith("azuread:")}
        assert entra <= ENVIRONMENT_AZUREAD, (name, sorted(entra - ENVIRONMENT_AZUREAD))
        apps = [r for r in plans[name].resources if r.type in ENVIRONMENT_AZUREAD]
        assert all(r.name.startswith("web-apps-") and r.name.endswith("-sign-in") for r in apps), name


def test_environment_deploy_identity_may_assign_only_its_managed_identities_roles():
    from components.azure.ci_identity import (
        ASSIGNABLE_PRINCIPAL_TYPES,
        ASSIGNABLE_ROLES,
        VENDOR_ASSIGNABLE_ROLES,
    )

    assert ASSIGNABLE_PRINCIPAL_TYPES == ("ServicePrincipal",)
    assert not set(VENDOR_ASSIGNABLE_ROLES.values()) & set(ASSIGNABLE_ROLES.values())
