"""The tenant stack's program: what exists once per Entra tenant and per GitHub repository.

`define_tenant(env)` runs instead of the environment platform when the stack has a `tenant`
section (stacks/Pulumi.tenant.yaml). It declares:

- the conditional access baseline, the US named location and the staff groups (EntraTenant),
  with the break-glass accounts from the one list `identity.break_glass_object_ids`;
- for every environment in `tenant.environments`: the AWS plan and deploy roles and their
  boundary in that environment's account, and the Azure plan and deploy app registrations
  with their roles on that environment's resource group;
- for every such environment with Azure: its Entra vendor objects (the `vendors` group, each
  unexpired vendor's group, and with `identity.vendor_access_packages_enabled` its catalog,
  access packages and assignment policies) and the vendors' read roles on its resource group.
  Groups and packages are tenant-wide, so only this stack's identity holds the Graph rights
  to write them; an environment's deploy identity holds none;
- the tenant's Entra diagnostic setting, sending sign-in and audit logs to the workspace of
  `tenant.log_environment` (a production environment) and nowhere else;
- the repository's own settings (components/github/repository.py);
- its own plan identity (GitHub environment `tenant-plan`): an Entra app with Graph read
  permissions and read-only Azure roles (components/azure/tenant_plan.py), and in each
  environment account a role `<prefix>-ci-tenant-plan` that reads the CI roles only.

The environments' models are read from their stack files, validated the same way as
`infra validate` does, so a listed environment that does not validate stops the program.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pulumi

from stacks.model import Environment, Tier

STACKS_DIR = Path(__file__).resolve().parents[2] / "stacks"
TENANT_CI_ROLE = "tenant-ci"
"""Role in each environment account that the tenant stack's AWS providers assume (created at bootstrap)."""


def owned_environments(env: Environment, stacks_dir: Path = STACKS_DIR) -> dict[str, Environment]:
    """The validated models of the environments the tenant stack creates CI identities for."""
    from stacks.members import read_members

    assert env.tenant is not None
    out, problems = read_members(env, stacks_dir)
    if problems:
        raise pulumi.RunError("the tenant stack lists environments that do not validate:\n" + "\n".join(problems))
    return out


def restricted_buckets(env: Environment) -> list[str]:
    """Buckets of `env` that hold restricted data (the lake's raw and curated buckets)."""
    from components.aws import name_prefix

    return [f"{name_prefix(env)}-{role}" for role in env.restricted_lake_resources()]


def state_bucket(env: Environment) -> str | None:
    url = env.deployment.backend_url or ""
    return urlparse(url).netloc or None if url.startswith("s3://") else None


def secrets_key_alias(env: Environment) -> str | None:
    provider = env.deployment.secrets_provider or ""
    if not provider.startswith("awskms://"):
        return None
    key = provider[len("awskms://"):].split("?", 1)[0].lstrip("/")
    return key if key.startswith("alias/") else None


def _kms_key(env: Environment) -> tuple[str, dict[str, str]] | None:
    """The key id, alias or ARN of an `awskms://` secrets provider, and its encryption context
    (the URL's `context_<key>=<value>` parameters, which Pulumi's KMS keeper sends with every call)."""
    from urllib.parse import parse_qsl

    provider = env.deployment.secrets_provider or ""
    if not provider.startswith("awskms://"):
        return None
    key, _, query = provider[len("awskms://"):].partition("?")
    context = {k[len("context_"):]: v for k, v in parse_qsl(query) if k.startswith("context_")}
    return key.lstrip("/"), context


def secrets_key_arn(env: Environment) -> str | None:
    """The ARN of the `awskms://` secrets provider's key when the URL names the key itself (id or ARN)."""
    found = _kms_key(env)
    if found is None or env.aws is None or found[0].startswith("alias/") or ":alias/" in found[0]:
        return None
    key = found[0]
    return key if key.startswith("arn:") else f"arn:aws:kms:{env.aws.region}:{env.aws.account_id}:key/{key}"


def secrets_encryption_context(env: Environment) -> dict[str, str]:
    """The encryption context of an `awskms://` secrets provider; empty when it sets none."""
    found = _kms_key(env)
    return dict(found[1]) if found is not None else {}


def secrets_key_scope(env: Environment) -> str | None:
    """The Azure resource id of the key behind an `azurekeyvault://<vault>.vault.azure.net/keys/<key>` provider."""
    from components.azure.core import AzureCoreArgs

    provider = env.deployment.secrets_provider or ""
    if not provider.startswith("azurekeyvault://") or env.azure is None:
        return None
    host, _, path = provider[len("azurekeyvault://"):].partition("/")
    parts = path.split("?", 1)[0].split("/")
    if not host.endswith(".vault.azure.net") or len(parts) < 2 or parts[0] != "keys" or not parts[1]:
        return None
    group = env.deployment.secrets_key_resource_group or AzureCoreArgs(
        short_name=env.organization.short_name, environment=env.name, location=env.azure.location).resource_group_name
    return (f"/subscriptions/{env.azure.subscription_id}/resourceGroups/{group}/providers/Microsoft.KeyVault"
            f"/vaults/{host.split('.', 1)[0]}/keys/{parts[1]}")


def define_tenant(env: Environment, providers: Any, today: date | None = None) -> None:
    """Every tenant-wide and repository-wide resource, and the CI identities and Entra vendor objects
    of each listed environment (vendors whose access ended on or before `today` are left out)."""
    from components.azure.ci_identity import AzureCiIdentity, AzureCiIdentityArgs
    from components.azure.core import AzureCoreArgs
    from components.azure.tenant import EntraTenant, EntraTenantArgs

    assert env.tenant is not None and env.azure is not None
    tenant = env.tenant
    ca = tenant.conditional_access
    short = env.organization.short_name
    EntraTenant(
        "tenant",
        EntraTenantArgs(
            short_name=short,
            break_glass_object_ids=env.identity.break_glass_object_ids,
            report_only=ca.report_only,
            risk_policies_enabled=ca.risk_policies_enabled,
            admin_us_only=ca.admin_us_only,
            guest_session_hours=ca.guest_session_hours,
            guest_applications=ca.guest_applications,
        ),
        opts=providers.opts(azure=True),
    )
    owned = owned_environments(env)
    # The tenant stack's own plan identity (previews and drift, GitHub environment `tenant-plan`).
    from components.azure.tenant_plan import TenantPlanIdentity, TenantPlanIdentityArgs

    tenant_plan = TenantPlanIdentity(
        "ci-tenant-plan",
        TenantPlanIdentityArgs(short_name=short, github_repository=env.identity.github_repository,
                               github_environment=tenant_plan_environment(env)),
        opts=providers.opts(azure=True),
    )  # fmt: skip
    identities: dict[str, dict[str, Any]] = {}
    profiles: dict[str, dict[str, str]] = {"deploy": {}, "plan": {}}
    for name, member in owned.items():
        identities[name] = {}
        if member.aws is not None:
            identities[name].update(_aws_ci(member, env))
            profile = tenant_aws_profile(env, member)
            profiles["deploy"][profile] = f"arn:aws:iam::{member.aws.account_id}:role/{TENANT_CI_ROLE}"
            profiles["plan"][profile] = identities[name]["aws_tenant_plan_role_arn"]
        if member.azure is not None:
            core = AzureCoreArgs(short_name=member.organization.short_name, environment=name,
                                 location=member.azure.location)  # fmt: skip
            azure_ci = AzureCiIdentity(
                f"ci-{name}",
                AzureCiIdentityArgs(
                    short_name=member.organization.short_name, environment=name,
                    github_repository=member.identity.github_repository, subscription_id=member.azure.subscription_id,
                    resource_group_name=core.resource_group_name,
                    role_assignments_enabled=tenant.environments_deployed,
                    tenant_plan_reads_resource_group=name == tenant.log_environment,
                    secrets_key_scope=secrets_key_scope(member),
                    sign_in_registrations=member.web_apps.enabled,
                ),
                tenant_plan_principal_id=tenant_plan.principal_id,
                opts=providers.opts(azure=True),
            )  # fmt: skip
            identities[name].update(azure_plan_client_id=azure_ci.plan_client_id,
                                    azure_deploy_client_id=azure_ci.deploy_client_id)  # fmt: skip
            _entra_vendors(member.without_expired_access(today or date.today()),
                           role_assignments_enabled=tenant.environments_deployed, opts=providers.opts(azure=True))
    identities[env.name] = {"azure_plan_client_id": tenant_plan.client_id,
                            "aws_profiles": aws_profiles_text(profiles["deploy"]),
                            "aws_plan_profiles": aws_profiles_text(profiles["plan"])}  # fmt: skip
    logs = owned.get(tenant.log_environment)
    if logs is not None and logs.azure is not None and tenant.environments_deployed:
        _tenant_logs(env, logs, providers)
    if tenant.github.settings_enabled:
        from components.github.repository import RepositorySettings, RepositorySettingsArgs

        RepositorySettings("github", RepositorySettingsArgs.from_tenant(env, owned), identities=identities)
    pulumi.export("ci_identities", identities)
    pulumi.export("break_glass_object_ids", [str(i) for i in env.identity.break_glass_object_ids])


def _entra_vendors(member: Environment, *, role_assignments_enabled: bool, opts: pulumi.ResourceOptions) -> None:
    """`member`'s vendors group and vendor access (components/azure/identity.py and vendors.py), named
    by environment so every environment's objects stay distinct in this one stack."""
    from components.azure.core import AzureCoreArgs
    from components.azure.identity import EntraIdentity, EntraIdentityArgs
    from components.azure.vendors import AzureVendors, AzureVendorsArgs

    assert member.azure is not None
    core = AzureCoreArgs(short_name=member.organization.short_name, environment=member.name,
                         location=member.azure.location)  # fmt: skip
    identity = EntraIdentity(f"identity-{member.name}", EntraIdentityArgs.from_environment(member), opts=opts)
    resource_group_id = f"/subscriptions/{member.azure.subscription_id}/resourceGroups/{core.resource_group_name}"
    AzureVendors(
        f"vendors-{member.name}",
        AzureVendorsArgs.from_environment(member),
        vendors_group_object_id=identity.group_object_ids["vendors"],
        # The read roles need the environment's resource group, which its own first deploy creates.
        resource_group_id=resource_group_id if role_assignments_enabled else None,
        opts=opts,
    )


def tenant_plan_environment(env: Environment) -> str:
    """The GitHub environment of the tenant stack's previews and drift: `<tenant stack>-plan`."""
    return f"{env.name}-plan"


def tenant_aws_profile(env: Environment, member: Environment) -> str:
    """The AWS profile through which the tenant stack reaches `member`'s account.

    The same name in a preview and a deploy, so the provider's inputs never differ between the
    two; which role the profile assumes is the job's (cloud-login writes it from `AWS_TENANT_PROFILES`).
    """
    return f"{env.organization.short_name}-{env.name}-{member.name}"


def aws_profiles_text(profiles: dict[str, str]) -> str:
    """`profile=role-arn` pairs, space separated, sorted: the `AWS_TENANT_PROFILES` variable."""
    return " ".join(f"{name}={arn}" for name, arn in sorted(profiles.items()))


def _aws_ci(member: Environment, env: Environment) -> dict[str, Any]:
    """The AWS CI roles of one environment, in its own account through its own provider."""
    import pulumi_aws as aws

    from components.aws import name_prefix
    from components.aws.analytics import AnalyticsArgs
    from components.aws.ci_identity import AwsCiIdentity, CiIdentityArgs, plan_role_arn

    assert member.aws is not None
    prefix, account = name_prefix(member), member.aws.account_id
    # A named profile, not an assume-role input: the deploy job's profile assumes `tenant-ci`, the
    # plan job's `<prefix>-ci-tenant-plan`, each with the job's own OIDC token, and the provider
    # stays the same in both (a differing input would show as a change in every preview and drift).
    provider = aws.Provider(
        f"aws-{member.name}", region=member.aws.region, allowed_account_ids=[account],
        profile=tenant_aws_profile(env, member),
    )  # fmt: skip
    stores, identity = member.data_stores, member.identity
    analytics = stores.data_lake.enabled and stores.analytics_enabled
    database = AnalyticsArgs(name_prefix=prefix, account_id=account, results_bucket_name=f"{prefix}-lake-curated",
                             results_classification=member.highest_classification()).database_name  # fmt: skip
    ci = AwsCiIdentity(
        f"ci-{member.name}-aws",
        CiIdentityArgs(
            account_id=account, region=member.aws.region, name_prefix=prefix,
            github_repository=identity.github_repository, environment=member.name,
            glue_database=database if analytics else None, redshift_enabled=stores.redshift.enabled,
            postgres_enabled=stores.postgres.enabled, config_recorder_enabled=member.audit.aws_config_recorder_enabled,
            guardduty_regions=[r for r in member.audit.aws_guardduty_regions if r != member.aws.region],
            identity_center_instance_arn=identity.aws_identity_center_instance_arn if identity.aws_identity_center_enabled else None,
            restricted_bucket_names=restricted_buckets(member), state_bucket=state_bucket(member),
            secrets_key_alias=secrets_key_alias(member), secrets_key_arn=secrets_key_arn(member),
            secrets_encryption_context=secrets_encryption_context(member),
            tenant_plan_environment=tenant_plan_environment(env),
            database_backups_enabled=stores.postgres.enabled and stores.backups.enabled,
            backup_destruction_denied=member.tier is Tier.production,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": provider}),
    )  # fmt: skip
    return {"aws_deploy_role_arn": ci.deploy_role_arn, "aws_plan_role_arn": plan_role_arn(account, prefix),
            "aws_tenant_plan_role_arn": f"arn:aws:iam::{account}:role/{prefix}-ci-tenant-plan"}


def _tenant_logs(env: Environment, logs: Environment, providers: Any) -> None:
    """Entra sign-in and audit logs, and Microsoft 365 activity, to the log environment's workspace only."""
    import uuid

    import pulumi_azure_native as azure_native

    from components.azure.core import AzureCoreArgs
    from components.azure.monitoring import ENTRA_LOG_CATEGORIES

    assert logs.azure is not None
    core = AzureCoreArgs(short_name=logs.organization.short_name, environment=logs.name, location=logs.azure.location)
    workspace = (f"/subscriptions/{logs.azure.subscription_id}/resourceGroups/{core.resource_group_name}"
                 f"/providers/Microsoft.OperationalInsights/workspaces/{core.workspace_name}")  # fmt: skip
    azure_native.aadiam.DiagnosticSetting(
        "tenant-entra-logs",
        name=f"{env.organization.short_name}-entra-to-{logs.name}",
        workspace_id=workspace,
        logs=[azure_native.aadiam.LogSettingsArgs(category=c, enabled=True) for c in ENTRA_LOG_CATEGORIES],
        opts=providers.opts(azure=True),
    )
    # The connector lives in the log environment's subscription, whose stack onboards Sentinel.
    provider = azure_native.Provider(f"azure-{logs.name}", subscription_id=str(logs.azure.subscription_id),
                                     tenant_id=str(logs.azure.tenant_id), location=logs.azure.location)  # fmt: skip
    si = azure_native.securityinsights
    enabled = {"state": "Enabled"}
    si.OfficeDataConnector(
        "tenant-office365",
        resource_group_name=core.resource_group_name,
        workspace_name=core.workspace_name,
        data_connector_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"civic-infra/{logs.azure.tenant_id}/tenant/office365")),
        kind="Office365",
        tenant_id=str(logs.azure.tenant_id),
        data_types=si.OfficeDataConnectorDataTypesArgs(
            exchange=si.OfficeDataConnectorDataTypesExchangeArgs(**enabled),
            share_point=si.OfficeDataConnectorDataTypesSharePointArgs(**enabled),
            teams=si.OfficeDataConnectorDataTypesTeamsArgs(**enabled),
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    if logs.m365.sentinel_enabled and logs.m365.sentinel_detections_enabled:
        # The rules read tenant-wide tables and need the tenant's one break-glass list, so the
        # tenant stack declares them, in the log environment's workspace (whose stack onboards Sentinel).
        from components.azure.detections import DetectionsArgs, SentinelDetections

        contacts = [logs.organization.security_contact, *(o.email for o in logs.organization.owners)]
        SentinelDetections(
            "detections",
            DetectionsArgs(
                short_name=logs.organization.short_name,
                environment=logs.name,
                break_glass_object_ids=env.identity.break_glass_object_ids,
                allowed_admin_countries=logs.m365.allowed_admin_countries,
                internal_mail_domains=sorted({str(c).rsplit("@", 1)[1].lower() for c in contacts}),
            ),
            resource_group_name=core.resource_group_name,
            workspace_name=core.workspace_name,
            opts=pulumi.ResourceOptions(provider=provider),
        )
