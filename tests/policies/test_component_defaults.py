"""Every component, built with its args' defaults (only the required fields filled in), passes the
whole policy set under production rules.

Each component gets the inputs the platform would wire in (a rotating KMS key, a VPC and
subnets, a resource group, a workspace, a subnet with an NSG) from scaffolding created next
to it; only the component's own resources are judged, and decisions about the stack as a
whole (a trail, a budget) are left to the environment tests.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from cli.capture import capture_program
from cli.policycheck import check_capture
from tests.conftest import TODAY, minimal_values

ACCOUNT = "000000000003"
GUID = "00000000-0000-0000-0000-000000000000"
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000f3"


class Scaffold:
    """Platform-like inputs, created on first use as top-level resources (not judged)."""

    def __init__(self) -> None:
        self._made: dict[str, Any] = {}

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    # AWS
    def kms_key(self) -> Any:
        import pulumi_aws as aws

        return self._once("kms", lambda: aws.kms.Key("scaffold-key", enable_key_rotation=True))

    def kms_arn(self) -> Any:
        return self.kms_key().arn

    def vpc(self) -> Any:
        import pulumi_aws as aws

        return self._once("vpc", lambda: aws.ec2.Vpc("scaffold-vpc", cidr_block="10.60.0.0/16"))

    def subnet_ids(self) -> list[Any]:
        import pulumi_aws as aws

        def make() -> list[Any]:
            return [aws.ec2.Subnet(f"scaffold-subnet-{i}", vpc_id=self.vpc().id, cidr_block=f"10.60.{i}.0/24").id
                    for i in range(3)]

        return self._once("subnets", make)

    def s3_endpoint_ids(self) -> list[Any]:
        import pulumi_aws as aws

        return self._once("vpce", lambda: [aws.ec2.VpcEndpoint("scaffold-s3-endpoint", vpc_id=self.vpc().id,
                                                               service_name="com.amazonaws.us-east-1.s3").id])

    # Azure
    def resource_group(self) -> Any:
        import pulumi_azure_native as az

        return self._once("rg", lambda: az.resources.ResourceGroup("scaffold-rg", resource_group_name="rg-scaffold",
                                                                   location="eastus2"))

    def workspace(self) -> Any:
        import pulumi_azure_native as az

        return self._once("ws", lambda: az.operationalinsights.Workspace(
            "scaffold-ws", resource_group_name=self.resource_group().name, retention_in_days=365))

    def subnet_id(self) -> Any:
        import pulumi_azure_native as az

        def make() -> Any:
            nsg = az.network.NetworkSecurityGroup("scaffold-nsg", resource_group_name=self.resource_group().name)
            vnet = az.network.VirtualNetwork("scaffold-vnet", resource_group_name=self.resource_group().name,
                                             address_space={"address_prefixes": ["10.50.0.0/20"]})
            return az.network.Subnet("scaffold-snet", resource_group_name=self.resource_group().name,
                                     virtual_network_name=vnet.name, address_prefix="10.50.1.0/24",
                                     network_security_group={"id": nsg.id}).id

        return self._once("subnet", make)

    def encryption_key(self, name: str) -> Any:
        from components.azure.key_vault import KeyVault, KeyVaultArgs

        def make() -> Any:
            args = KeyVaultArgs(short_name="caf", environment="prod", tenant_id=GUID, subscription_id=SUBSCRIPTION,
                                encryption_keys=[name])
            return KeyVault("scaffold-kv", args, resource_group_name=self.resource_group().name,
                            private_endpoint_subnet_id=self.subnet_id(), private_dns_zone_id=self.dns_zone_id(),
                            workspace_id=self.workspace().id)

        return self._once(f"kv-{name}", make).encryption_key(name)

    def dns_zone_id(self) -> Any:
        import pulumi_azure_native as az

        return self._once("zone", lambda: az.privatedns.PrivateZone(
            "scaffold-zone", resource_group_name=self.resource_group().name, location="Global",
            private_zone_name="privatelink.example.net").id)


@dataclass(frozen=True)
class Spec:
    """How to build one component: its required args, and the inputs the platform would pass."""

    module: str
    cls: str
    args: dict[str, Any]
    inputs: Callable[[Scaffold], dict[str, Any]] = lambda s: {}
    tenant: bool = False
    """Judged as part of the tenant stack (tenant-wide resources live only there)."""


def _azure_attached(s: Scaffold) -> dict[str, Any]:
    return {"resource_group_name": s.resource_group().name, "private_endpoint_subnet_id": s.subnet_id(),
            "private_dns_zone_id": s.dns_zone_id(), "workspace_id": s.workspace().id}


AZURE = {"short_name": "caf", "environment": "prod"}
SPECS = [
    Spec("components.aws.kms", "Keys", {"account_id": ACCOUNT, "region": "us-east-1", "alias_prefix": "caf-prod",
                                         "classifications": ["public", "internal", "restricted"]}),
    Spec("components.aws.bucket", "SecureBucket", {"bucket_name": "caf-prod-example", "classification": "restricted",
                                                   "account_id": ACCOUNT},
         lambda s: {"kms_key_arn": s.kms_arn(), "access_log_bucket": "caf-prod-access-logs",
                    "vpc_endpoint_ids": s.s3_endpoint_ids()}),
    Spec("components.aws.data_lake", "DataLake", {"name_prefix": "caf-prod", "account_id": ACCOUNT},
         lambda s: {"kms_key_arns": {c: s.kms_arn() for c in ("public", "internal", "restricted")},
                    "vpc_endpoint_ids": s.s3_endpoint_ids()}),
    Spec("components.aws.analytics", "Analytics", {"name_prefix": "caf-prod", "account_id": ACCOUNT,
                                                   "results_bucket_name": "caf-prod-lake-curated"},
         lambda s: {"results_kms_key_arn": s.kms_arn()}),
    Spec("components.aws.audit", "Audit", {"name_prefix": "caf-prod", "account_id": ACCOUNT, "region": "us-east-1"},
         lambda s: {"kms_key_arn": s.kms_arn(), "access_log_bucket": "caf-prod-access-logs"}),
    Spec("components.aws.baseline", "AccountBaseline", {"name_prefix": "caf-prod", "account_id": ACCOUNT,
                                                        "region": "us-east-1"}),
    Spec("components.aws.network", "Network", {"region": "us-east-1", "cidr": "10.60.0.0/16"},
         lambda s: {"account_id": ACCOUNT, "flow_logs_kms_key_arn": s.kms_arn()}),
    Spec("components.aws.postgres", "Postgres", {"identifier": "caf-prod-db", "vpc_cidr": "10.60.0.0/16"},
         lambda s: {"vpc_id": s.vpc().id, "subnet_ids": s.subnet_ids(), "kms_key_arn": s.kms_arn()}),
    Spec("components.aws.redshift", "Redshift", {"name_prefix": "caf-prod", "vpc_cidr": "10.60.0.0/16", "subnet_count": 3},
         lambda s: {"vpc_id": s.vpc().id, "subnet_ids": s.subnet_ids(), "kms_key_arn": s.kms_arn()}),
    Spec("components.aws.backup", "DatabaseBackups", {"name_prefix": "caf-prod", "account_id": ACCOUNT},
         lambda s: {"kms_key_arn": s.kms_arn(), "resource_arns": [f"arn:aws:rds:us-east-1:{ACCOUNT}:db:caf-prod-db"]}),
    Spec("components.aws.budget", "Budget", {"name": "caf-prod", "monthly_usd": 100, "recipients": ["it@example.org"]}),
    Spec("components.aws.identity", "AwsIdentity", {"account": {"account_id": ACCOUNT, "region": "us-east-1",
                                                                "name_prefix": "caf-prod", "environment": "prod"}}),
    Spec("components.aws.ci_identity", "AwsCiIdentity", {"account_id": ACCOUNT, "region": "us-east-1",
                                                         "name_prefix": "caf-prod", "environment": "prod",
                                                         "github_repository": "example-org/civic-infra"}),
    Spec("components.azure.core", "AzureCore", dict(AZURE)),
    Spec("components.azure.identity", "EntraIdentity", {**AZURE, "subscription_id": SUBSCRIPTION},
         lambda s: {"resource_group_id": s.resource_group().id}, tenant=True),
    Spec("components.azure.tenant", "EntraTenant", {"short_name": "caf",
                                                    "break_glass_object_ids": ["00000000-0000-0000-0000-00000000b001"]},
         tenant=True),
    Spec("components.azure.ci_identity", "AzureCiIdentity", {**AZURE, "subscription_id": SUBSCRIPTION,
                                                             "github_repository": "example-org/civic-infra",
                                                             "resource_group_name": "rg-caf-prod-platform"}),
    Spec("components.azure.tenant_plan", "TenantPlanIdentity", {"short_name": "caf",
                                                                "github_repository": "example-org/civic-infra"},
         tenant=True),
    Spec("components.azure.vendors", "AzureVendors", {**AZURE, "subscription_id": SUBSCRIPTION, "vendors": [
        {"name": "acme", "contact": "ops@acme.example.com", "expires": "2026-12-31", "azure_roles": ["Reader"],
         "contact_object_id": "00000000-0000-0000-0000-000000000071"}]},
         lambda s: {"vendors_group_object_id": GUID, "resource_group_id": s.resource_group().id}, tenant=True),
    Spec("components.azure.detections", "SentinelDetections", {**AZURE, "break_glass_object_ids": [GUID],
                                                                 "internal_mail_domains": ["example.org"]},
         lambda s: {"resource_group_name": s.resource_group().name, "workspace_name": s.workspace().name}),
    Spec("components.azure.key_vault", "KeyVault", {**AZURE, "tenant_id": GUID, "subscription_id": SUBSCRIPTION},
         _azure_attached),
    Spec("components.azure.monitoring", "SecurityMonitoring", {**AZURE, "tenant_id": GUID, "subscription_id": SUBSCRIPTION},
         lambda s: {"resource_group_name": s.resource_group().name, "workspace_name": s.workspace().name,
                    "workspace_id": s.workspace().id}),
    Spec("components.azure.network", "HubSpokeNetwork", {**AZURE, "hub_cidr": "10.50.0.0/20"},
         lambda s: {"resource_group_name": s.resource_group().name, "workspace_id": s.workspace().id,
                    "workspace_customer_id": s.workspace().customer_id}),
    Spec("components.azure.network", "HubSpokePeerings", {},
         lambda s: {"resource_group_name": s.resource_group().name, "hub_vnet_name": "vnet-hub", "hub_vnet_id": "/vnet-hub",
                    "spoke_vnet_names": {"apps": "vnet-apps"}, "spoke_vnet_ids": {"apps": "/vnet-apps"}}),
    Spec("components.azure.openai", "AzureOpenAI", dict(AZURE), _azure_attached),
    Spec("components.azure.storage", "ExportStorage", {**AZURE, "subscription_id": SUBSCRIPTION},
         lambda s: {**_azure_attached(s), "encryption_key": s.encryption_key("exports")}),
    Spec("components.azure.vpn", "SiteToSiteVpn", {**AZURE, "azure_address_spaces": ["10.50.0.0/20"],
                                                   "aws_vpc_cidr": "10.60.0.0/16"},
         lambda s: {"resource_group_name": s.resource_group().name, "gateway_subnet_id": s.subnet_id(),
                    "vpc_id": s.vpc().id}),
    Spec("components.azure.web_apps", "WebApps", {**AZURE, "tenant_id": GUID},
         lambda s: {"resource_group_name": s.resource_group().name, "integration_subnet_id": s.subnet_id(),
                    "workspace_id": s.workspace().id, "private_endpoint_subnet_id": s.subnet_id(),
                    "private_dns_zone_id": s.dns_zone_id()}),
    Spec("components.azure.budget", "AzureBudget", {**AZURE, "amount_usd": 100, "contact_emails": ["it@example.org"]},
         lambda s: {"resource_group_id": s.resource_group().id}),
]


def _component_classes() -> set[tuple[str, str]]:
    import components

    found: set[tuple[str, str]] = set()
    for pkg in ("components.aws", "components.azure"):
        package = importlib.import_module(pkg)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{pkg}.{info.name}")
            for name, obj in vars(module).items():
                if inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource) and obj.__module__ == module.__name__:
                    found.add((module.__name__, name))
    assert components
    return found


def test_every_component_has_a_spec():
    assert _component_classes() - {(s.module, s.cls) for s in SPECS} == set()


def _args_model(cls: type) -> type:
    import sys

    # Only the `args` annotation: resolving every hint trips over pulumi.Input's forward reference to
    # 'Output', which typing caches per reference, so the result depended on which test ran first.
    hint = cls.__init__.__annotations__["args"]
    return eval(hint, vars(sys.modules[cls.__module__])) if isinstance(hint, str) else hint


def _program(spec: Spec) -> Callable[[], None]:
    def run() -> None:
        from components.tagging import tagging_transformation
        from stacks.model import Environment

        env = Environment.model_validate({"name": "prod", **minimal_values()})
        pulumi.runtime.register_stack_transformation(tagging_transformation(env))
        from components.aws.ci_identity import boundary_arn, boundary_transformation

        pulumi.runtime.register_stack_transformation(boundary_transformation(boundary_arn(ACCOUNT, "caf-prod")))
        cls = getattr(importlib.import_module(spec.module), spec.cls)
        args = _args_model(cls).model_validate(spec.args)
        cls("component", args, **spec.inputs(Scaffold()))

    return run


def _prod():
    from stacks.model import Environment

    return Environment.model_validate({
        "name": "prod", **minimal_values(), "tier": "production",
        "aws": {"account_id": ACCOUNT}, "azure": {"tenant_id": GUID, "subscription_id": SUBSCRIPTION},
    })


PROD = _prod()


def _tenant():
    from stacks.model import Environment

    values = {k: v for k, v in minimal_values().items() if k != "network"}
    return Environment.model_validate({
        "name": "tenant", **values, "tier": "production", "azure": {"tenant_id": GUID, "subscription_id": SUBSCRIPTION},
        "identity": {**values["identity"], "break_glass_object_ids": ["00000000-0000-0000-0000-00000000b001"]},
        "tenant": {"environments": ["prod"], "log_environment": "prod"},
    })


TENANT = _tenant()


MANUAL_STEPS = {"aws-redshift-backups-locked"}
COMPOSED = {"aws-database-backups-locked"}
"""Policies on how define_aws composes components (a database and the DatabaseBackups plan selecting it): a
database alone cannot pass; tests/components/aws/test_database_backups.py judges the composed platform."""


@pytest.mark.parametrize("spec", SPECS, ids=[s.cls for s in SPECS])
def test_component_defaults_pass_the_whole_policy_set(spec):
    capture = capture_program(_program(spec), project="defaults", stack="prod", config={"infra:vpn_shared_key": "x" * 32},
                              secret_keys=["infra:vpn_shared_key"], account_id=ACCOUNT)
    report = check_capture(capture, TENANT if spec.tenant else PROD, today=TODAY)
    # Advisory policies that report a manual step the README names: no component default can satisfy them.
    own = [f for f in report.findings if "::civic:" in f.urn and f.policy not in MANUAL_STEPS | COMPOSED]
    assert any("::civic:" in r.urn for r in capture.resources)
    assert [f"{f.policy} on {f.name}: {f.message}" for f in own] == []
