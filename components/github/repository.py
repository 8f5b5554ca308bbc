"""The repository's settings as code: what the README used to ask a person to click.

- one GitHub environment per platform environment (deploy identity), reviewed by the
  reviewer teams, deployable only from the default branch; production also waits;
- one `<env>-plan` environment per platform environment (plan identity): any branch, no
  reviewers, because what it unlocks is read-only configuration and state;
- a `tenant` environment for the tenant stack, reviewed and default-branch only, and its
  `tenant-plan` environment (the tenant stack's read-only plan identity) like the other plan ones;
- `AWS_TENANT_PROFILES` in `tenant` and `tenant-plan`: the AWS profiles the tenant stack's
  providers use, each naming the role it assumes in one environment account (deploy or plan);
- environment variables with role ARNs and client ids (never secrets), under the same names
  in every environment, so a workflow picks its identity by picking its environment;
- a ruleset on the default branch requiring the tests and the policy check and a review;
- Actions' default token read-only, and the OIDC subject claim pinned to `repo` + `context`,
  the shape (`repo:<owner>/<repo>:environment:<env>`) every trust policy expects.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import Field

from stacks.model import Environment, StrictModel

SUBJECT_CLAIMS = ["repo", "context"]
"""The OIDC `sub` is `repo:<owner>/<repo>:environment:<env>`: exactly what the trust policies pin."""


class GithubEnvironment(StrictModel):
    """One platform environment as GitHub sees it."""

    name: str
    production: bool = False
    variables: dict[str, str] = Field(default_factory=dict, description="plain values (region, tenant, subscription)")


class RepositorySettingsArgs(StrictModel):
    """Settings of the one repository the tenant stack owns."""

    owner: str = Field(pattern=r"^[A-Za-z0-9-]+$")
    repository: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    default_branch: str = "main"
    required_checks: list[str] = Field(min_length=1)
    reviewer_team_ids: list[int] = Field(min_length=1)
    production_wait_minutes: int = Field(5, ge=0)
    environments: list[GithubEnvironment] = Field(min_length=1)

    @classmethod
    def from_tenant(cls, env: Environment, owned: dict[str, Environment]) -> RepositorySettingsArgs:
        assert env.tenant is not None
        owner, repo = env.identity.github_repository.split("/", 1)
        gh = env.tenant.github
        members = [GithubEnvironment(name=name, production=member.is_production, variables=_plain_variables(member))
                   for name, member in owned.items()]  # fmt: skip
        members.append(GithubEnvironment(name=env.name, production=True, variables=_plain_variables(env)))
        return cls(owner=owner, repository=repo, default_branch=gh.default_branch, required_checks=gh.required_checks,
                   reviewer_team_ids=gh.reviewer_team_ids, production_wait_minutes=gh.production_wait_minutes,
                   environments=members)  # fmt: skip


def _plain_variables(env: Environment) -> dict[str, str]:
    out: dict[str, str] = {}
    if env.aws is not None:
        out["AWS_REGION"] = env.aws.region
    if env.azure is not None:
        out["AZURE_TENANT_ID"] = str(env.azure.tenant_id)
        out["AZURE_SUBSCRIPTION_ID"] = str(env.azure.subscription_id)
    return out


class RepositorySettings(pulumi.ComponentResource):
    """Environments, variables, ruleset and Actions settings of one repository."""

    def __init__(self, name: str, args: RepositorySettingsArgs, *, identities: dict[str, dict[str, Any]],
                 opts: pulumi.ResourceOptions | None = None) -> None:  # fmt: skip
        super().__init__("civic:github:RepositorySettings", name, None, opts)
        import pulumi_github as github

        provider = github.Provider(f"{name}-provider", owner=args.owner, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        repo = args.repository
        github.WorkflowRepositoryPermissions(
            f"{name}-token", repository=repo, default_workflow_permissions="read",
            can_approve_pull_request_reviews=False, opts=child,
        )
        github.ActionsRepositoryOidcSubjectClaimCustomizationTemplate(
            f"{name}-oidc-subject", repository=repo, use_default=False, include_claim_keys=SUBJECT_CLAIMS, opts=child,
        )
        reviewers = [github.RepositoryEnvironmentReviewerArgs(teams=list(args.reviewer_team_ids))]
        for member in args.environments:
            found = identities.get(member.name, {})
            deploy = github.RepositoryEnvironment(
                f"{name}-env-{member.name}", repository=repo, environment=member.name, reviewers=reviewers,
                wait_timer=args.production_wait_minutes if member.production else 0, prevent_self_review=True,
                can_admins_bypass=False,
                deployment_branch_policy=github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                    protected_branches=False, custom_branch_policies=True),
                opts=child,
            )  # fmt: skip
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{name}-env-{member.name}-branch", repository=repo, environment=deploy.environment,
                branch_pattern=args.default_branch, opts=child,
            )
            self._variables(name, repo, deploy.environment, member.name, {
                **member.variables, "AWS_ROLE_ARN": found.get("aws_deploy_role_arn"),
                "AZURE_CLIENT_ID": found.get("azure_deploy_client_id"),
                "AWS_TENANT_PROFILES": found.get("aws_profiles")}, child)  # fmt: skip
            if member.name in identities:
                plan = github.RepositoryEnvironment(
                    f"{name}-env-{member.name}-plan", repository=repo, environment=f"{member.name}-plan",
                    can_admins_bypass=False, opts=child,
                )
                self._variables(name, repo, plan.environment, f"{member.name}-plan", {
                    **member.variables, "AWS_ROLE_ARN": found.get("aws_plan_role_arn"),
                    "AZURE_CLIENT_ID": found.get("azure_plan_client_id"),
                    "AWS_TENANT_PROFILES": found.get("aws_plan_profiles")}, child)  # fmt: skip
        github.RepositoryRuleset(
            f"{name}-default-branch", repository=repo, name="default-branch", target="branch", enforcement="active",
            conditions=github.RepositoryRulesetConditionsArgs(ref_name=github.RepositoryRulesetConditionsRefNameArgs(
                includes=["~DEFAULT_BRANCH"], excludes=[])),
            rules=github.RepositoryRulesetRulesArgs(
                deletion=True, non_fast_forward=True,
                pull_request=github.RepositoryRulesetRulesPullRequestArgs(
                    required_approving_review_count=1, dismiss_stale_reviews_on_push=True,
                    require_last_push_approval=True),
                required_status_checks=github.RepositoryRulesetRulesRequiredStatusChecksArgs(
                    strict_required_status_checks_policy=True,
                    required_checks=[github.RepositoryRulesetRulesRequiredStatusChecksRequiredCheckArgs(context=c)
                                     for c in args.required_checks])),
            opts=child,
        )  # fmt: skip
        self.register_outputs({"name": f"{args.owner}/{repo}", "resource_id": f"{args.owner}/{repo}"})

    @staticmethod
    def _variables(name: str, repo: str, environment: Any, label: str, values: dict[str, Any],
                   opts: pulumi.ResourceOptions) -> None:  # fmt: skip
        import pulumi_github as github

        for key, value in sorted(values.items()):
            if value is None:
                continue
            github.ActionsEnvironmentVariable(
                f"{name}-var-{label}-{key.lower().replace('_', '-')}", repository=repo, environment=environment,
                variable_name=key, value=value, opts=opts,
            )
