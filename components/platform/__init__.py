"""The platform program: load the environment once, then compose every component from it.

`define_platform(env)` is the whole program; `__main__.py` (Pulumi.yaml's `main`) calls it
with the environment read from the stack's config. The offline plan runs that same
`__main__.py` under the mock runtime, so there is one program, not two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pulumi

from components.tagging import tagging_transformation
from stacks.loader import NAMESPACE, validate_values
from stacks.model import SECRET_FIELDS, Environment, Secret


@dataclass(frozen=True)
class Providers:
    """Explicit providers, configured from the environment so regions and accounts are pinned."""

    azure: Any | None
    entra: Any | None
    aws: Any | None

    def opts(self, *, aws: bool = False, azure: bool = False) -> pulumi.ResourceOptions:
        """Options for a top-level component; its children inherit these providers."""
        chosen = {}
        if aws and self.aws is not None:
            chosen["aws"] = self.aws
        if azure and self.azure is not None:
            chosen["azure-native"] = self.azure
        if azure and self.entra is not None:
            chosen["azuread"] = self.entra
        return pulumi.ResourceOptions(providers=chosen)


def environment_from_config() -> Environment:
    """The validated Environment of the running stack; secrets stay in Pulumi's config."""
    from pulumi.runtime.config import CONFIG, get_config_env

    from stacks.rules import RuleContext, check

    raw = {**get_config_env(), **CONFIG.get()}
    prefix = NAMESPACE + ":"
    values: dict[str, Any] = {}
    for key, text in raw.items():
        if not key.startswith(prefix):
            continue
        short = key[len(prefix):]
        if short in SECRET_FIELDS:
            values[short] = Secret(secure="[held by pulumi config]").model_dump()
            continue
        try:
            values[short] = json.loads(text) if isinstance(text, str) else text
        except json.JSONDecodeError:
            values[short] = text
    name = pulumi.get_stack()
    env, problems = validate_values(name, values)
    if env is not None:
        problems = check(env, RuleContext(today=date.today()))
    if problems or env is None:
        lines = "\n".join(p.render(f"stacks/Pulumi.{name}.yaml") for p in problems)
        raise pulumi.RunError(f"the environment config is invalid; run `infra validate --env {name}`:\n{lines}")
    return env


def _providers(env: Environment) -> Providers:
    azure = entra = aws_provider = None
    if env.azure is not None:
        import pulumi_azure_native as azure_native
        import pulumi_azuread as azuread

        azure = azure_native.Provider(
            "azure",
            location=env.azure.location,
            subscription_id=str(env.azure.subscription_id),
            tenant_id=str(env.azure.tenant_id),
        )
        entra = azuread.Provider("entra", tenant_id=str(env.azure.tenant_id))
    if env.aws is not None:
        import pulumi_aws as aws

        aws_provider = aws.Provider(
            "aws",
            region=env.aws.region,
            allowed_account_ids=[env.aws.account_id],
        )
    return Providers(azure=azure, entra=entra, aws=aws_provider)


def define_platform(env: Environment, today: date | None = None) -> None:
    """Every resource of one environment; vendors and partners whose access has ended are left out."""
    env = env.without_expired_access(today or date.today())
    pulumi.runtime.register_stack_transformation(tagging_transformation(env))
    if env.tenant is not None:
        from components.platform.tenant import define_tenant

        define_tenant(env, _providers(env), today)
        pulumi.export("environment", env.name)
        pulumi.export("tier", env.tier.value)
        return
    if env.aws is not None:
        from components.aws import name_prefix
        from components.aws.ci_identity import boundary_arn, boundary_transformation

        # Every role this stack creates carries the CI boundary the tenant stack declares.
        boundary = boundary_arn(env.aws.account_id, name_prefix(env))
        pulumi.runtime.register_stack_transformation(boundary_transformation(boundary))
    providers = _providers(env)

    aws_platform = None
    if env.aws is not None:
        from components.aws import define_aws

        aws_platform = define_aws(env, providers)
    if env.azure is not None:
        from components.azure import define_azure

        define_azure(env, providers, aws_platform=aws_platform)

    pulumi.export("environment", env.name)
    pulumi.export("tier", env.tier.value)
