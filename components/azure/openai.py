"""The Azure OpenAI account and its model deployments, reachable only privately.

Local (API key) authentication is disabled, so every caller authenticates with Entra ID
and shows up in the sign-in and diagnostic logs; public network access is disabled and
the network ACL denies by default, so the only way in is the private endpoint in the
hub, resolved through the `privatelink.openai.azure.com` zone. A custom subdomain is
required for both Entra ID tokens and private endpoints.
"""

from __future__ import annotations

import pulumi
from pydantic import Field

from components.azure.attachments import diagnostic_setting, private_endpoint
from stacks.model import ModelDeployment, Slug, StrictModel


class AzureOpenAIArgs(StrictModel):
    """The account, its deployments and how it is protected."""

    short_name: Slug = Field(description="organisation prefix of every name")
    environment: Slug = Field(description="environment name; part of every name")
    location: str = Field("eastus2", description="Azure region of the account")
    sku: str = Field("S0", description="account SKU; S0 when omitted")
    deployments: tuple[ModelDeployment, ...] = Field(
        (), description="model deployments; none when omitted"
    )
    deployment_sku: str = Field(
        "Standard", description="deployment type: Standard keeps processing in the account's region"
    )
    outbound_network_access_restricted: bool = Field(
        True, description="on: the account cannot call out to other services (no data exfiltration)"
    )
    protect: bool = Field(True, description="the account cannot be deleted by an update")

    @property
    def account_name(self) -> str:
        return f"oai-{self.short_name}-{self.environment}"


class AzureOpenAI(pulumi.ComponentResource):
    """An OpenAI account with keys and public access off, a private endpoint and deployments."""

    def __init__(
        self,
        name: str,
        args: AzureOpenAIArgs,
        *,
        resource_group_name: pulumi.Input[str],
        private_endpoint_subnet_id: pulumi.Input[str],
        private_dns_zone_id: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:OpenAI", name, None, opts)
        self._name = name
        self.args = args
        self._rg = resource_group_name

        account = self._create_account()
        endpoint = private_endpoint(
            f"{name}-pe",
            target_id=account.id,
            target_name=args.account_name,
            group_id="account",
            subnet_id=private_endpoint_subnet_id,
            dns_zone_id=private_dns_zone_id,
            resource_group_name=resource_group_name,
            location=args.location,
            parent=self,
            zone_config_name="openai",
        )
        # Parented to the component, not the account: children inherit `protect`, and
        # a deployment or log setting must stay removable when the config drops it.
        diagnostic_setting(
            f"{name}-diagnostics", resource_uri=account.id, workspace_id=workspace_id, parent=self
        )
        self.deployments = self._create_deployments(account)

        self.account = account
        self.account_id = account.id
        self.account_name = account.name
        self.endpoint = f"https://{args.account_name}.openai.azure.com/"
        self.private_endpoint_id = endpoint.id
        self.register_outputs(
            {
                "name": account.name,
                "resource_id": account.id,
                "endpoint": self.endpoint,
                "private_endpoint_id": endpoint.id,
                "deployment_names": [d.name for d in args.deployments],
            }
        )

    def _create_account(self):
        import pulumi_azure_native as azure_native

        args = self.args
        return azure_native.cognitiveservices.Account(
            f"{self._name}-account",
            account_name=args.account_name,
            resource_group_name=self._rg,
            location=args.location,
            kind="OpenAI",
            sku=azure_native.cognitiveservices.SkuArgs(name=args.sku),
            identity=azure_native.cognitiveservices.IdentityArgs(type="SystemAssigned"),
            properties=azure_native.cognitiveservices.AccountPropertiesArgs(
                custom_sub_domain_name=args.account_name,
                disable_local_auth=True,
                public_network_access="Disabled",
                restrict_outbound_network_access=args.outbound_network_access_restricted,
                network_acls=azure_native.cognitiveservices.NetworkRuleSetArgs(
                    default_action="Deny", bypass="None", ip_rules=[], virtual_network_rules=[]
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _create_deployments(self, account) -> dict[str, pulumi.Resource]:
        import pulumi_azure_native as azure_native

        created: dict[str, pulumi.Resource] = {}
        previous = None
        for deployment in self.args.deployments:
            created[deployment.name] = azure_native.cognitiveservices.Deployment(
                f"{self._name}-{deployment.name}",
                deployment_name=deployment.name,
                account_name=account.name,
                resource_group_name=self._rg,
                sku=azure_native.cognitiveservices.SkuArgs(
                    name=self.args.deployment_sku, capacity=deployment.capacity
                ),
                properties=azure_native.cognitiveservices.DeploymentPropertiesArgs(
                    model=azure_native.cognitiveservices.DeploymentModelArgs(
                        format="OpenAI", name=deployment.model, version=deployment.version
                    ),
                    version_upgrade_option="NoAutoUpgrade",
                    rai_policy_name="Microsoft.DefaultV2",
                ),
                # Azure accepts one deployment change per account at a time.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[previous] if previous else None
                ),
            )
            previous = created[deployment.name]
        return created
