"""Every policy's pass_* and fail_* cases, as literal wire-form props (camelCase, floats, enums as strings)."""

from __future__ import annotations

import json
from datetime import date

from policies.context import Exemption, Settings
from tests.policies.fixtures import R, Scenario, U

SA = "azure-native:storage:StorageAccount"
BSP = "azure-native:storage:BlobServiceProperties"
KV = "azure-native:keyvault:Vault"
NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
WS = "azure-native:operationalinsights:Workspace"
DS = "azure-native:monitor:DiagnosticSetting"
PRICING = "azure-native:security:Pricing"
RA = "azure-native:authorization:RoleAssignment"
GROUP = "azuread:index/group:Group"
INVITE = "azuread:index/invitation:Invitation"
CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
APW = "azuread:index/applicationPassword:ApplicationPassword"
FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
WEB = "azure-native:web:WebApp"
CAPP = "azure-native:app:ContainerApp"
MENV = "azure-native:app:ManagedEnvironment"
AI = "azure-native:cognitiveservices:Account"
AZ_BUDGET = "azure-native:consumption:Budget"
AZ_KEY = "azure-native:keyvault:Key"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
BPOL = "aws:s3/bucketPolicy:BucketPolicy"
KMS = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
RDS = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
RS_NS = "aws:redshiftserverless/namespace:Namespace"
RS_WG = "aws:redshiftserverless/workgroup:Workgroup"
ATHENA = "aws:athena/workgroup:Workgroup"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER = "aws:iam/user:User"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
SG = "aws:ec2/securityGroup:SecurityGroup"
SGR = "aws:ec2/securityGroupRule:SecurityGroupRule"
SGI = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW = "aws:ec2/flowLog:FlowLog"
DSG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
TRAIL = "aws:cloudtrail/trail:Trail"
GD = "aws:guardduty/detector:Detector"
AWS_BUDGET = "aws:budgets/budget:Budget"
AWS_PROVIDER = "pulumi:providers:aws"
AZ_PROVIDER = "pulumi:providers:azure-native"

TAGS = {"owner": "it@example.org", "environment": "dev", "cost-center": "operations",
        "data-classification": "internal", "managed-by": "pulumi/civic-infra"}
RESTRICTED = {**TAGS, "data-classification": "restricted"}
OWNER_ROLE = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
UAA_ROLE = "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER_ROLE = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
OWN = "000000000001"
VENDOR = "000000000901"


VALID_EXEMPTIONS = Settings(exemptions=(
    Exemption("aws-s3-access-logging", "logs-*", "the access-log bucket cannot log into itself", date(2027, 3, 1)),
))
INVALID_EXEMPTIONS = Settings(exemptions=(
    Exemption("aws-s3-access-logging", "logs-*", "because", date(2027, 1, 1)),
    Exemption("aws-s3-access-logging", "logs-bucket", "waiting for the lake migration", date(2026, 11, 1)),
    Exemption("aws-s3-versioning", "logs-bucket", "waiting for the lake migration", date(2027, 1, 1)),
    Exemption("aws-s3-access-logging", "nothing-*", "waiting for the lake migration", date(2027, 1, 1)),
    Exemption("no-such-policy", "logs-bucket", "waiting for the lake migration", date(2027, 1, 1)),
    Exemption("policy-exemptions-valid", "*", "waiting for the lake migration", date(2027, 1, 1)),
    Exemption("aws-s3-tls-only", "logs-bucket", "waiting for the lake migration", date(2027, 12, 1)),
))


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
ALL_FLAGS = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}
KMS_RULE = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:us-east-1:000000000001:key/k"}, "bucketKeyEnabled": True}]
AES_RULE = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


def _nsg_rule(name: str, source: str = "Internet", ports: object = "22", access: str = "Allow",
              direction: str = "Inbound", protocol: str = "Tcp") -> dict:
    rule = {"name": name, "priority": 100.0, "direction": direction, "access": access, "protocol": protocol,
            "sourceAddressPrefix": source, "sourcePortRange": "*", "destinationAddressPrefix": "*"}
    if isinstance(ports, list):
        rule["destinationPortRanges"] = ports
    else:
        rule["destinationPortRange"] = ports
    return rule


def _ca(name: str, *, state: str = "enabled", users: list | None = None, controls: list | None = None,
        clients: list | None = None) -> R:
    return R(name, CA, {
        "displayName": name, "state": state,
        "conditions": {"users": {"includedUsers": users or ["All"], "excludedUsers": ["00000000-0000-0000-0000-00000000b001"]},
                       "applications": {"includedApplications": ["All"]}, "clientAppTypes": clients or ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": controls or ["mfa"]},
    })


SCENARIOS: list[Scenario] = [
    # --- Azure storage -------------------------------------------------------------------
    Scenario("azure-storage-https-only", [
        R("pass_default", SA, {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        R("pass_explicit", SA, {"enableHttpsTrafficOnly": True}),
        R("fail_http", SA, {"enableHttpsTrafficOnly": False}),
        R("unk_https", SA, {"enableHttpsTrafficOnly": U}),
    ]),
    Scenario("azure-storage-min-tls-1-2", [
        R("pass_tls12", SA, {"minimumTlsVersion": "TLS1_2"}),
        R("fail_tls10", SA, {"minimumTlsVersion": "TLS1_0"}),
        R("fail_missing", SA, {"kind": "StorageV2"}),
    ]),
    Scenario("azure-storage-no-public-blob-access", [
        R("pass_default", SA, {"kind": "StorageV2"}),
        R("pass_false", SA, {"allowBlobPublicAccess": False}),
        R("fail_public", SA, {"allowBlobPublicAccess": True}),
    ]),
    Scenario("azure-storage-shared-key-disabled", [
        R("pass_disabled", SA, {"allowSharedKeyAccess": False}),
        R("fail_missing", SA, {"kind": "StorageV2"}),
        R("fail_enabled", SA, {"allowSharedKeyAccess": True}),
    ]),
    Scenario("azure-storage-blob-soft-delete", [
        R("pass_account", SA, {"kind": "StorageV2"}),
        R("pass-blob", BSP, {"accountName": "sa", "blobServicesName": "default", "isVersioningEnabled": True,
                             "deleteRetentionPolicy": {"enabled": True, "days": 30.0},
                             "containerDeleteRetentionPolicy": {"enabled": True, "days": 30.0}}, deps={"accountName": ["pass_account"]}),
        R("fail_short", SA, {"kind": "StorageV2"}),
        R("short-blob", BSP, {"accountName": "sb", "deleteRetentionPolicy": {"enabled": True, "days": 7.0},
                              "containerDeleteRetentionPolicy": {"enabled": True, "days": 7.0}}, deps={"accountName": ["fail_short"]}),
        R("fail_none", SA, {"kind": "StorageV2"}),
        R("fail_disabled", SA, {"kind": "StorageV2"}),
        R("off-blob", BSP, {"accountName": "sd", "deleteRetentionPolicy": {"enabled": False}}, deps={"accountName": ["fail_disabled"]}),
    ], ctx={"soft_delete_retention_days": 14}),
    Scenario("azure-storage-blob-versioning", [
        R("pass_account", SA, {"kind": "StorageV2"}),
        R("on-blob", BSP, {"accountName": "sa", "isVersioningEnabled": True}, deps={"accountName": ["pass_account"]}),
        R("fail_off", SA, {"kind": "StorageV2"}),
        R("off-blob", BSP, {"accountName": "sb", "isVersioningEnabled": False}, deps={"accountName": ["fail_off"]}),
        R("fail_none", SA, {"kind": "StorageV2"}),
    ]),
    # --- Key Vault -----------------------------------------------------------------------
    Scenario("azure-key-vault-purge-protection", [
        R("pass_on", KV, {"properties": {"tenantId": "t", "sku": {"family": "A", "name": "standard"}, "enablePurgeProtection": True}}),
        R("fail_missing", KV, {"properties": {"tenantId": "t"}}),
        R("fail_off", KV, {"properties": {"enablePurgeProtection": False}}),
        R("unk_properties", KV, {"properties": U}),
    ]),
    Scenario("azure-key-vault-soft-delete-retention", [
        R("pass_default_days", KV, {"properties": {"tenantId": "t"}}),
        R("pass_long", KV, {"properties": {"softDeleteRetentionInDays": 90.0}}),
        R("fail_short", KV, {"properties": {"softDeleteRetentionInDays": 7.0}}),
        R("fail_disabled", KV, {"properties": {"enableSoftDelete": False, "softDeleteRetentionInDays": 90.0}}),
    ], ctx={"soft_delete_retention_days": 30}),
    Scenario("azure-key-vault-rbac-authorization", [
        R("pass_rbac", KV, {"properties": {"enableRbacAuthorization": True}}),
        R("fail_access_policies", KV, {"properties": {"accessPolicies": []}}),
    ]),
    Scenario("azure-key-vault-private-in-prod", [
        R("pass_private", KV, {"properties": {"publicNetworkAccess": "Disabled"}}),
        R("fail_public", KV, {"properties": {"publicNetworkAccess": "Enabled"}}),
        R("fail_missing", KV, {"properties": {"enableRbacAuthorization": True}}),
    ], ctx={"tier": "production"}),
    # --- Azure network -------------------------------------------------------------------
    Scenario("azure-nsg-no-inbound-admin-from-internet", [
        R("pass_private_source", NSG, {"securityRules": [_nsg_rule("ssh-from-hub", source="10.10.0.0/20")]}),
        R("pass_deny", NSG, {"securityRules": [_nsg_rule("deny-all", source="*", ports="*", access="Deny")]}),
        R("pass_https", NSG, {"securityRules": [_nsg_rule("https", ports="443")]}),
        R("pass_outbound", NSG, {"securityRules": [_nsg_rule("out", source="*", ports="*", direction="Outbound")]}),
        R("fail_ssh_internet", NSG, {"securityRules": [_nsg_rule("ssh", source="Internet", ports="22")]}),
        R("fail_rdp_range", NSG, {"securityRules": [_nsg_rule("range", source="0.0.0.0/0", ports=["3000-4000"])]}),
        R("fail_range_20_30", NSG, {"securityRules": [_nsg_rule("range", source="*", ports="20-30")]}),
        R("fail_all_ports", RULE, {"direction": "Inbound", "access": "Allow", "protocol": "*", "priority": 110.0,
                                   "sourceAddressPrefixes": ["0.0.0.0/0"], "sourcePortRange": "*",
                                   "destinationAddressPrefix": "*", "destinationPortRange": "0-65535"}),
        R("fail_star", RULE, {"direction": "Inbound", "access": "Allow", "protocol": "Tcp", "priority": 120.0,
                              "sourceAddressPrefix": "*", "destinationPortRange": "*"}),
        R("unk_rules", NSG, {"securityRules": U}),
    ]),
    Scenario("azure-subnet-has-nsg", [
        R("pass_subnet", SUBNET, {"subnetName": "snet-data", "addressPrefix": "10.0.1.0/24",
                                  "networkSecurityGroup": {"id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"}}),
        R("pass_unknown_id", SUBNET, {"subnetName": "snet-app", "networkSecurityGroup": {"id": U}}),
        R("pass_vnet", VNET, {"subnets": [{"name": "a", "addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": "/nsg"}},
                                          {"name": "GatewaySubnet", "addressPrefix": "10.0.2.0/27"}]}),
        R("fail_subnet", SUBNET, {"subnetName": "snet-mgmt", "addressPrefix": "10.0.3.0/24"}),
        R("fail_vnet", VNET, {"subnets": [{"name": "b", "addressPrefix": "10.0.4.0/24"}]}),
    ]),
    # --- Azure logging and security --------------------------------------------------------
    Scenario("azure-log-analytics-retention", [
        R("pass_long", WS, {"retentionInDays": 365.0, "sku": {"name": "PerGB2018"}}),
        R("fail_short", WS, {"retentionInDays": 30.0}),
        R("fail_default", WS, {"sku": {"name": "PerGB2018"}}),
    ], ctx={"log_retention_days": 90}),
    Scenario("azure-diagnostic-settings", [
        R("pass_vault", KV, {"properties": {}}),
        R("vault-diag", DS, {"resourceUri": "/kv", "workspaceId": "/ws", "logs": [{"categoryGroup": "allLogs", "enabled": True}]},
          deps={"resourceUri": ["pass_vault"]}),
        R("fail_account", SA, {"kind": "StorageV2"}),
        R("fail_ai", AI, {"kind": "OpenAI"}),
        R("ai-diag", DS, {"resourceUri": "/ai", "logs": [{"categoryGroup": "allLogs", "enabled": True}]}, deps={"resourceUri": ["fail_ai"]}),
        R("pass_web", WEB, {"httpsOnly": True}),
        R("web-diag", DS, {"resourceUri": "/web", "workspaceId": "/ws", "metrics": [{"category": "AllMetrics", "enabled": True}]},
          deps={"resourceUri": ["pass_web"]}),
    ]),
    Scenario("azure-defender-plans", [
        R("pass_keyvaults", PRICING, {"pricingName": "KeyVaults", "pricingTier": "Standard", "scopeId": "/subscriptions/0"}),
        R("fail_storage_free", PRICING, {"pricingName": "StorageAccounts", "pricingTier": "Free", "scopeId": "/subscriptions/0"}),
    ], ctx={"clouds": ("azure",), "defender_plans": ("KeyVaults",)}),
    Scenario("azure-defender-plans", [
        R("pass_keyvaults", PRICING, {"pricingName": "KeyVaults", "pricingTier": "Standard"}),
    ], label="fail_missing_plan", ctx={"clouds": ("azure",), "defender_plans": ("KeyVaults", "Arm")}),
    Scenario("azure-no-privileged-roles-for-external", [
        R("vendor-group", GROUP, {"displayName": "caf-dev-vendor-mailhouse", "securityEnabled": True}),
        R("staff-group", GROUP, {"displayName": "caf-dev-it-admins", "securityEnabled": True}),
        R("guest", INVITE, {"userEmailAddress": "a@vendor.example.com", "redirectUrl": "https://portal.azure.com"}),
        R("fail_owner_vendor", RA, {"principalId": "x", "principalType": "Group", "roleDefinitionId": OWNER_ROLE, "scope": "/rg"},
          deps={"principalId": ["vendor-group"]}),
        R("fail_uaa_guest", RA, {"principalId": "x", "principalType": "User", "roleDefinitionId": UAA_ROLE, "scope": "/rg"},
          deps={"principalId": ["guest"]}),
        R("fail_foreign", RA, {"principalId": "x", "principalType": "ForeignGroup", "roleDefinitionId": OWNER_ROLE, "scope": "/rg"}),
        R("pass_reader_vendor", RA, {"principalId": "x", "principalType": "Group", "roleDefinitionId": READER_ROLE, "scope": "/rg"},
          deps={"principalId": ["vendor-group"]}),
        R("pass_owner_admins", RA, {"principalId": "x", "principalType": "Group", "roleDefinitionId": OWNER_ROLE, "scope": "/rg"},
          deps={"principalId": ["staff-group"]}),
    ]),
    # --- Entra ID ------------------------------------------------------------------------
    Scenario("entra-mfa-for-all-users", [
        _ca("pass_mfa"),
        _ca("legacy", controls=["block"], clients=["exchangeActiveSync", "other"]),
    ], ctx={"clouds": ("azure",)}),
    Scenario("entra-mfa-for-all-users", [
        _ca("fail_report_only", state="enabledForReportingButNotEnforced"),
    ], ctx={"clouds": ("azure",)}),
    Scenario("entra-mfa-for-all-users", [
        _ca("admins-only", users=["00000000-0000-0000-0000-0000000000ad"]),
    ], label="fail_no_policy", ctx={"clouds": ("azure",)}),
    # An MFA policy for legacy clients only leaves every browser and app sign-in without MFA:
    # the finding names that policy.
    Scenario("entra-mfa-for-all-users", [
        _ca("fail_legacy_clients_only", clients=["exchangeActiveSync", "other"]),
    ], ctx={"clouds": ("azure",)}),
    Scenario("entra-mfa-for-all-users", [
        _ca("pass_modern_clients", clients=["browser", "mobileAppsAndDesktopClients"]),
    ], ctx={"clouds": ("azure",)}),
    Scenario("entra-block-legacy-authentication", [
        _ca("pass_block_legacy", controls=["block"], clients=["exchangeActiveSync", "other"]),
    ], ctx={"clouds": ("azure",)}),
    Scenario("entra-block-legacy-authentication", [
        _ca("mfa-only"),
        _ca("browser-block", controls=["block"], clients=["browser"]),
    ], label="fail_no_block", ctx={"clouds": ("azure",)}),
    Scenario("entra-app-password-max-one-year", [
        R("pass_one_year", APW, {"applicationId": "/applications/x", "displayName": "ci", "endDate": "2027-11-22T00:00:00Z"}),
        R("pass_relative", APW, {"applicationId": "/applications/x", "endDateRelative": "4380h"}),
        R("fail_two_years", APW, {"applicationId": "/applications/x", "endDate": "2028-11-22T00:00:00Z"}),
        R("fail_no_end", APW, {"applicationId": "/applications/x", "displayName": "forever"}),
        R("fail_relative", APW, {"applicationId": "/applications/x", "endDateRelative": "17520h"}),
        R("pass_with_start", APW, {"applicationId": "/applications/x", "startDate": "2027-06-01T00:00:00Z",
                                   "endDate": "2028-05-31T00:00:00Z"}),
    ]),
    Scenario("entra-federated-credential-no-wildcard", [
        R("pass_pinned", FIC, {"applicationId": "/applications/x", "displayName": "gh-dev", "audiences": ["api://AzureADTokenExchange"],
                               "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:example-org/civic-infra:environment:dev"}),
        R("fail_wildcard", FIC, {"applicationId": "/applications/x", "displayName": "gh-any", "audiences": ["api://AzureADTokenExchange"],
                                 "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:example-org/*"}),
    ]),
    # --- Azure workloads -----------------------------------------------------------------
    Scenario("azure-web-https-only", [
        R("pass_web", WEB, {"httpsOnly": True, "siteConfig": {"minTlsVersion": "1.2"}}),
        R("fail_web_missing", WEB, {"siteConfig": {"minTlsVersion": "1.2"}}),
        R("pass_container_app", CAPP, {"configuration": {"ingress": {"external": False, "targetPort": 8080.0}}}),
        R("fail_container_insecure", CAPP, {"configuration": {"ingress": {"allowInsecure": True, "targetPort": 80.0}}}),
    ]),
    Scenario("azure-web-min-tls-1-2", [
        R("pass_default", WEB, {"httpsOnly": True}),
        R("pass_12", WEB, {"siteConfig": {"minTlsVersion": "1.2"}}),
        R("fail_10", WEB, {"siteConfig": {"minTlsVersion": "1.0"}}),
    ]),
    Scenario("azure-web-private-in-prod", [
        R("pass_web", WEB, {"httpsOnly": True, "publicNetworkAccess": "Disabled"}),
        R("fail_web", WEB, {"httpsOnly": True}),
        R("internal-env", MENV, {"vnetConfiguration": {"internal": True, "infrastructureSubnetId": "/s"}}),
        R("public-env", MENV, {"vnetConfiguration": {"internal": False}}),
        R("pass_app_internal_env", CAPP, {"managedEnvironmentId": "/env", "configuration": {"ingress": {"external": True}}},
          deps={"managedEnvironmentId": ["internal-env"]}),
        R("pass_app_internal_ingress", CAPP, {"managedEnvironmentId": "/env2", "configuration": {"ingress": {"external": False}}},
          deps={"managedEnvironmentId": ["public-env"]}),
        R("fail_app_public", CAPP, {"managedEnvironmentId": "/env2", "configuration": {"ingress": {"external": True}}},
          deps={"managedEnvironmentId": ["public-env"]}),
    ], ctx={"tier": "production"}),
    Scenario("azure-openai-local-auth-disabled", [
        R("pass_no_keys", AI, {"kind": "OpenAI", "sku": {"name": "S0"}, "properties": {"disableLocalAuth": True}}),
        R("fail_keys", AI, {"kind": "OpenAI", "sku": {"name": "S0"}, "properties": {"customSubDomainName": "x"}}),
    ]),
    Scenario("azure-openai-no-public-network", [
        R("pass_private", AI, {"kind": "OpenAI", "properties": {"publicNetworkAccess": "Disabled"}}),
        R("fail_public", AI, {"kind": "OpenAI", "properties": {"publicNetworkAccess": "Enabled"}}),
        R("fail_missing", AI, {"kind": "OpenAI", "properties": {"disableLocalAuth": True}}),
    ]),
    # --- S3 --------------------------------------------------------------------------------
    Scenario("aws-s3-public-access-blocked", [
        R("pass_bucket", BUCKET, {"bucket": "b1", "tags": TAGS}),
        R("b1-pab", PAB, {"bucket": "b1", **ALL_FLAGS}, deps={"bucket": ["pass_bucket"]}),
        R("b2-three-flags", BUCKET, {"bucket": "b2"}),
        # The false flag sits on the public access block, so the finding names it, not the bucket.
        R("fail_b2_pab", PAB, {"bucket": "b2", **ALL_FLAGS, "restrictPublicBuckets": False}, deps={"bucket": ["b2-three-flags"]}),
        R("fail_no_block", BUCKET_V2, {"bucket": "b3"}),
        R("unk_bucket", BUCKET, {"bucket": "b4"}),
        R("b4-pab", PAB, {"bucket": U, **ALL_FLAGS, "blockPublicAcls": U}, deps={"bucket": ["unk_bucket"]}),
    ]),
    Scenario("aws-s3-public-access-blocked", [
        R("pass_account_wide", BUCKET, {"bucket": "b5"}),
        R("account-pab", ACCOUNT_PAB, dict(ALL_FLAGS)),
    ]),
    Scenario("aws-s3-encrypted", [
        R("pass_kms", BUCKET, {"bucket": "b1", "tags": RESTRICTED}),
        R("b1-sse", SSE, {"bucket": U, "rules": KMS_RULE}, deps={"bucket": ["pass_kms"]}),
        R("pass_aes_internal", BUCKET, {"bucket": "b2", "tags": TAGS}),
        R("b2-sse", SSE_V2, {"bucket": "b2", "rules": AES_RULE}, deps={"bucket": ["pass_aes_internal"]}),
        R("fail_aes_restricted", BUCKET, {"bucket": "b3", "tags": RESTRICTED}),
        R("b3-sse", SSE, {"bucket": "b3", "rules": AES_RULE}, deps={"bucket": ["fail_aes_restricted"]}),
        R("fail_no_config", BUCKET, {"bucket": "b4", "tags": TAGS}),
        R("fail_managed_key_restricted", BUCKET, {"bucket": "b5", "tags": RESTRICTED}),
        R("b5-sse", SSE, {"bucket": "b5", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
          deps={"bucket": ["fail_managed_key_restricted"]}),
    ]),
    # pulumi-aws v6 programs and state: encryption, versioning and logging inline on the bucket.
    Scenario("aws-s3-encrypted", [
        R("pass_v6_inline_kms", BUCKET, {"bucket": "v6a", "tags": RESTRICTED, "serverSideEncryptionConfiguration": {"rule": KMS_RULE[0]}}),
        R("pass_v6_inline_aes", BUCKET, {"bucket": "v6b", "tags": TAGS, "serverSideEncryptionConfiguration": {"rule": AES_RULE[0]}}),
        R("pass_v6_bucketv2_list", BUCKET_V2, {"bucket": "v6c", "serverSideEncryptionConfigurations": [{"rules": AES_RULE}]}),
        R("fail_v6_inline_aes_confidential", BUCKET, {"bucket": "v6d", "tags": {**TAGS, "data-classification": "confidential"},
                                                     "serverSideEncryptionConfiguration": {"rule": AES_RULE[0]}}),
        R("unk_v6_inline", BUCKET, {"bucket": "v6e", "serverSideEncryptionConfiguration": U}),
    ]),
    Scenario("aws-s3-versioning", [
        R("pass_v6_inline", BUCKET, {"bucket": "v6a", "versioning": {"enabled": True, "mfaDelete": False}}),
        R("pass_v6_bucketv2_list", BUCKET_V2, {"bucket": "v6b", "versionings": [{"enabled": True}]}),
        R("fail_v6_disabled", BUCKET, {"bucket": "v6c", "versioning": {"enabled": False}}),
    ]),
    Scenario("aws-s3-access-logging", [
        R("pass_v6_inline", BUCKET, {"bucket": "v6a", "logging": {"targetBucket": "v6-logs", "targetPrefix": "a/"}},
          deps={"logging": ["pass_v6_destination"]}),
        R("pass_v6_list", BUCKET, {"bucket": "v6b", "loggings": [{"targetBucket": "v6-logs"}]}),
        R("pass_v6_destination", BUCKET, {"bucket": "v6-logs"}),
        R("fail_v6_none", BUCKET, {"bucket": "v6c"}),
    ]),
    Scenario("aws-cloudtrail-bucket-access-logging", [
        R("logs", BUCKET, {"bucket": "access-logs"}),
        R("pass_trail_bucket", BUCKET, {"bucket": "trail"}),
        R("trail-logging", LOGGING, {"bucket": "trail", "targetBucket": "access-logs"},
          deps={"bucket": ["pass_trail_bucket"], "targetBucket": ["logs"]}),
        R("trail", TRAIL, {"name": "org", "s3BucketName": "trail", "isMultiRegionTrail": True},
          deps={"s3BucketName": ["pass_trail_bucket"]}),
        R("fail_self_logged", BUCKET, {"bucket": "trail2"}),
        R("trail2-logging", LOGGING, {"bucket": "trail2", "targetBucket": "trail2"},
          deps={"bucket": ["fail_self_logged"], "targetBucket": ["fail_self_logged"]}),
        R("trail2", TRAIL, {"name": "two", "s3BucketName": "trail2"}, deps={"s3BucketName": ["fail_self_logged"]}),
        R("fail_unlogged_by_name", BUCKET, {"bucket": "trail3"}),
        R("trail3", TRAIL, {"name": "three", "s3BucketName": "trail3"}),
        R("pass_v6_inline", BUCKET, {"bucket": "trail4", "loggings": [{"targetBucket": "access-logs"}]}),
        R("trail4", TRAIL, {"name": "four", "s3BucketName": "trail4"}, deps={"s3BucketName": ["pass_v6_inline"]}),
        R("other-bucket", BUCKET, {"bucket": "not-a-trail-bucket"}),
    ]),
    Scenario("aws-s3-versioning", [
        R("pass_enabled", BUCKET, {"bucket": "b1"}),
        R("b1-ver", VERSIONING, {"bucket": "b1", "versioningConfiguration": {"status": "Enabled"}}, deps={"bucket": ["pass_enabled"]}),
        R("fail_suspended", BUCKET, {"bucket": "b2"}),
        R("b2-ver", VERSIONING, {"bucket": "b2", "versioningConfiguration": {"status": "Suspended"}}, deps={"bucket": ["fail_suspended"]}),
        R("fail_none", BUCKET, {"bucket": "b3"}),
    ]),
    Scenario("aws-s3-access-logging", [
        R("pass_logged", BUCKET, {"bucket": "data"}),
        R("pass_log_destination", BUCKET, {"bucket": "access-logs"}),
        R("data-logging", LOGGING, {"bucket": "data", "targetBucket": "access-logs", "targetPrefix": "data/"},
          deps={"bucket": ["pass_logged"], "targetBucket": ["pass_log_destination"]}),
        R("fail_unlogged", BUCKET, {"bucket": "other"}),
    ]),
    Scenario("aws-s3-tls-only", [
        R("pass_v6_inline_policy", BUCKET, {"bucket": "b0", "policy": doc(TLS_DENY)}),
        R("pass_tls", BUCKET, {"bucket": "b1"}),
        R("b1-policy", BPOL, {"bucket": "b1", "policy": doc(TLS_DENY)}, deps={"bucket": ["pass_tls"], "policy": ["pass_tls"]}),
        R("fail_no_deny", BUCKET, {"bucket": "b2"}),
        R("b2-policy", BPOL, {"bucket": "b2", "policy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                                                              "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b2/*"})},
          deps={"bucket": ["fail_no_deny"]}),
        R("fail_no_policy", BUCKET, {"bucket": "b3"}),
        R("unk_bucket", BUCKET, {"bucket": "b4"}),
        R("b4-policy", BPOL, {"bucket": "b4", "policy": U}, deps={"bucket": ["unk_bucket"]}),
    ]),
    Scenario("aws-s3-policy-no-public-principal", [
        R("pass_deny_star", BPOL, {"bucket": "b1", "policy": doc(TLS_DENY)}),
        R("pass_conditioned", BPOL, {"bucket": "b2", "policy": doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                                     "Resource": "arn:aws:s3:::b2/*",
                                                                     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}})}),
        R("fail_star", BPOL, {"bucket": "b3", "policy": doc({"Sid": "Public", "Effect": "Allow", "Principal": "*",
                                                             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b3/*"})}),
        R("fail_aws_star", BPOL, {"bucket": "b4", "policy": doc({"Effect": "Allow", "Principal": {"AWS": ["*"]},
                                                                 "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b4/*"})}),
        R("unk_policy", BPOL, {"bucket": "b5", "policy": U}),
        R("fail_v6_inline_public", BUCKET, {"bucket": "b6", "policy": doc({"Effect": "Allow", "Principal": "*",
                                                                           "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b6/*"})}),
        R("pass_v6_no_inline", BUCKET, {"bucket": "b7"}),
    ]),
    # --- KMS, RDS, analytics ---------------------------------------------------------------
    Scenario("aws-kms-key-rotation", [
        R("pass_rotating", KMS, {"enableKeyRotation": True, "deletionWindowInDays": 30.0}),
        R("fail_default", KMS, {"deletionWindowInDays": 30.0}),
        R("fail_off", KMS, {"enableKeyRotation": False}),
        R("asymmetric", KMS, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
    ]),
    Scenario("aws-rds-encrypted", [
        R("pass_encrypted", RDS, {"engine": "postgres", "instanceClass": "db.t4g.micro", "storageEncrypted": True}),
        R("fail_default", RDS, {"engine": "postgres", "instanceClass": "db.t4g.micro"}),
        R("fail_cluster", CLUSTER, {"engine": "aurora-postgresql", "storageEncrypted": False}),
    ]),
    Scenario("aws-rds-not-public", [
        R("pass_default", RDS, {"engine": "postgres"}),
        R("fail_public", RDS, {"engine": "postgres", "publiclyAccessible": True}),
    ]),
    Scenario("aws-rds-backup-retention", [
        R("pass_thirty", RDS, {"engine": "postgres", "backupRetentionPeriod": 30.0}),
        R("fail_seven_in_prod", RDS, {"engine": "postgres", "backupRetentionPeriod": 7.0}),
        R("fail_default", CLUSTER, {"engine": "aurora-postgresql"}),
        R("replica", RDS, {"engine": "postgres", "replicateSourceDb": "db-primary"}),
    ], ctx={"backup_retention_days": 30}),
    Scenario("aws-rds-backup-retention", [
        R("pass_seven", RDS, {"engine": "postgres", "backupRetentionPeriod": 7.0}),
        R("fail_one", RDS, {"engine": "postgres", "backupRetentionPeriod": 1.0}),
    ]),
    Scenario("aws-rds-deletion-protection-in-prod", [
        R("pass_protected", RDS, {"engine": "postgres", "deletionProtection": True}),
        R("fail_unprotected", RDS, {"engine": "postgres"}),
    ], ctx={"tier": "production"}),
    Scenario("aws-rds-iam-authentication", [
        R("pass_iam", RDS, {"engine": "postgres", "iamDatabaseAuthenticationEnabled": True}),
        R("fail_password_only", RDS, {"engine": "postgres", "manageMasterUserPassword": True}),
        R("sqlserver", RDS, {"engine": "sqlserver-ex"}),
    ]),
    Scenario("aws-redshift-serverless-not-public", [
        R("pass_private", RS_WG, {"namespaceName": "ns", "workgroupName": "wg", "publiclyAccessible": False}),
        R("pass_default", RS_WG, {"namespaceName": "ns", "workgroupName": "wg2"}),
        R("fail_public", RS_WG, {"namespaceName": "ns", "workgroupName": "wg3", "publiclyAccessible": True}),
    ]),
    Scenario("aws-redshift-serverless-kms", [
        R("pass_cmk", RS_NS, {"namespaceName": "ns", "kmsKeyId": "arn:aws:kms:us-east-1:000000000001:key/k", "manageAdminPassword": True}),
        R("fail_aws_owned", RS_NS, {"namespaceName": "ns2", "manageAdminPassword": True}),
    ]),
    Scenario("aws-athena-encrypted-results", [
        R("pass_enforced", ATHENA, {"name": "wg", "configuration": {"enforceWorkgroupConfiguration": True, "resultConfiguration": {
            "outputLocation": "s3://lake/athena/", "encryptionConfiguration": {"encryptionOption": "SSE_KMS", "kmsKeyArn": "arn:k"}}}}),
        R("fail_unencrypted", ATHENA, {"name": "wg2", "configuration": {"resultConfiguration": {"outputLocation": "s3://x/"}}}),
        R("fail_not_enforced", ATHENA, {"name": "wg3", "configuration": {"enforceWorkgroupConfiguration": False, "resultConfiguration": {
            "encryptionConfiguration": {"encryptionOption": "SSE_S3"}}}}),
        R("fail_no_configuration", ATHENA, {"name": "wg4"}),
    ]),
    # --- IAM -------------------------------------------------------------------------------
    Scenario("aws-iam-no-admin-wildcard", [
        R("pass_scoped", IAM_POLICY, {"policy": doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::lake/*"})}),
        R("fail_star", IAM_POLICY, {"policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}),
        R("fail_inline", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
                                "inlinePolicies": [{"name": "admin", "policy": doc({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]})}]}),
        R("fail_attached", ATTACH, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        R("pass_readonly_attached", ATTACH, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        R("unk_policy", IAM_POLICY, {"policy": U}),
    ]),
    Scenario("aws-iam-cross-account-external-id", [
        R("pass_external_id", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                                             "Action": "sts:AssumeRole",
                                                             "Condition": {"StringEquals": {"sts:ExternalId": "caf-vendor-placeholder"}}})}),
        R("pass_own_account", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                                                             "Action": "sts:AssumeRole"})}),
        R("pass_oidc", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"},
                                                      "Action": "sts:AssumeRoleWithWebIdentity"})}),
        R("fail_no_external_id", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": [VENDOR]}, "Action": "sts:AssumeRole"})}),
        R("fail_any_account", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})}),
        R("pass_partner_people_with_mfa", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                                                         "Action": "sts:AssumeRole",
                                                                         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})}),
        R("fail_mfa_if_exists", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                                               "Action": "sts:AssumeRole",
                                                               "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}})}),
    ], ctx={"aws_account_ids": (OWN,)}),
    # Without --env the own account comes from the provider (program or stack config aws:allowedAccountIds).
    Scenario("aws-iam-cross-account-external-id", [
        R("pass_own_account_from_config", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                                                                         "Action": "sts:AssumeRole"})}),
        R("fail_vendor", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                                        "Action": "sts:AssumeRole"})}),
    ], default_providers={"aws": {"region": "us-east-1", "allowedAccountIds": json.dumps([OWN])}}),
    Scenario("aws-iam-cross-account-external-id", [
        R("own-account-unknown", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                                                                "Action": "sts:AssumeRole"})}),
        R("fail_anyone", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})}),
    ]),
    Scenario("aws-iam-no-users", [
        R("fail_user", USER, {"name": "deploy-bot"}),
        R("fail_key", ACCESS_KEY, {"user": "deploy-bot"}),
    ]),
    Scenario("aws-iam-no-users", [
        R("lambda-role", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})}),
    ], label="pass_roles_only"),
    # --- AWS network and audit -----------------------------------------------------------
    Scenario("aws-sg-no-inbound-admin-from-internet", [
        R("pass_https", SG, {"vpcId": "vpc-1", "description": "Managed by Pulumi", "ingress": [
            {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}]}),
        R("pass_ssh_vpn", SG, {"vpcId": "vpc-1", "ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["10.10.0.0/16"]}]}),
        R("fail_ssh_v4", SG, {"vpcId": "vpc-1", "ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}]}),
        R("fail_rdp_v6", SGI, {"securityGroupId": "sg-1", "cidrIpv6": "::/0", "fromPort": 3389.0, "toPort": 3389.0, "ipProtocol": "tcp"}),
        R("fail_all_traffic", SGR, {"type": "ingress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
                                    "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "sg-1"}),
        R("pass_egress_rule", SGR, {"type": "egress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"],
                                    "securityGroupId": "sg-1"}),
        R("fail_range", SGI, {"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "fromPort": 20.0, "toPort": 30.0, "ipProtocol": "tcp"}),
    ]),
    Scenario("aws-vpc-flow-logs", [
        R("pass_vpc", VPC, {"cidrBlock": "10.20.0.0/16"}),
        R("pass-flow", FLOW, {"vpcId": "vpc-1", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"}, deps={"vpcId": ["pass_vpc"]}),
        R("fail_vpc", VPC, {"cidrBlock": "10.30.0.0/16"}),
    ]),
    Scenario("aws-default-security-group-closed", [
        R("pass_vpc_a", VPC, {"cidrBlock": "10.20.0.0/16"}),
        R("pass_default_sg", DSG, {"vpcId": "vpc-a"}, deps={"vpcId": ["pass_vpc_a"]}),
        R("vpc-b", VPC, {"cidrBlock": "10.30.0.0/16"}),
        R("fail_default_sg_rules", DSG, {"vpcId": "vpc-b", "ingress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}]},
          deps={"vpcId": ["vpc-b"]}),
        R("fail_unmanaged_vpc", VPC, {"cidrBlock": "10.40.0.0/16"}),
    ]),
    Scenario("aws-cloudtrail-multi-region", [
        R("pass_trail", TRAIL, {"s3BucketName": "trail", "isMultiRegionTrail": True, "enableLogFileValidation": True, "kmsKeyId": "k"}),
    ], ctx={"clouds": ("aws",)}),
    Scenario("aws-cloudtrail-multi-region", [
        R("fail_single_region", TRAIL, {"s3BucketName": "trail", "enableLogFileValidation": True}),
    ], ctx={"clouds": ("aws",)}),
    Scenario("aws-cloudtrail-multi-region", [], label="fail_no_trail", ctx={"clouds": ("aws",)}),
    Scenario("aws-cloudtrail-validated-and-encrypted", [
        R("pass_trail", TRAIL, {"s3BucketName": "t", "isMultiRegionTrail": True, "enableLogFileValidation": True, "kmsKeyId": "arn:k"}),
        R("fail_unencrypted", TRAIL, {"s3BucketName": "t", "isMultiRegionTrail": True, "enableLogFileValidation": True}),
        R("fail_unvalidated", TRAIL, {"s3BucketName": "t", "kmsKeyId": "arn:k"}),
    ]),
    Scenario("aws-guardduty-enabled", [
        R("pass_detector", GD, {"enable": True}),
        R("pass_default", GD, {"findingPublishingFrequency": "FIFTEEN_MINUTES"}),
        R("fail_disabled", GD, {"enable": False}),
    ], ctx={"clouds": ("aws",)}),
    Scenario("aws-guardduty-enabled", [R("bucket", BUCKET, {"bucket": "x"})], label="fail_no_detector"),
    # --- organisation --------------------------------------------------------------------
    Scenario("required-tags", [
        R("aws", AWS_PROVIDER, {"region": "us-east-1", "defaultTags": json.dumps({"tags": {"owner": "it@example.org", "environment": "dev"}})}),
        R("pass_tagged", BUCKET, {"bucket": "b", "tags": TAGS}),
        R("pass_provider_defaults", KMS, {"tags": {"cost-center": "data", "data-classification": "restricted"}}, provider="aws"),
        R("fail_missing_owner", SA, {"tags": {k: v for k, v in TAGS.items() if k != "owner"}}),
        R("fail_untagged_taggable", KV, {"properties": {"tenantId": "t"}}),
        R("fail_bad_classification", BUCKET, {"bucket": "c", "tags": {**TAGS, "data-classification": "secret"}}),
        R("not-taggable", BPOL, {"bucket": "b", "policy": doc(TLS_DENY)}),
        R("entra-group", GROUP, {"displayName": "g"}),
        R("unk_tags", BUCKET, {"bucket": "d", "tags": U}),
    ]),
    # The classification vocabulary is the organisation's: the four-level default, or its own.
    Scenario("required-tags", [
        R("pass_confidential", BUCKET, {"bucket": "c", "tags": {**TAGS, "data-classification": "confidential"}}),
        R("pass_restricted", BUCKET, {"bucket": "r", "tags": RESTRICTED}),
    ]),
    Scenario("required-tags", [
        R("pass_own_level", BUCKET, {"bucket": "s", "tags": {**TAGS, "data-classification": "secret"}}),
        R("fail_not_in_vocabulary", BUCKET, {"bucket": "r", "tags": RESTRICTED}),
    ], ctx={"classifications": ("open", "protected", "secret"), "sensitive_classifications": ("secret",)}),
    Scenario("us-only-residency", [
        R("aws-us-provider", AWS_PROVIDER, {"region": "us-east-1", "allowedAccountIds": json.dumps([OWN])}),
        # A provider in Europe holds nothing; the resources that end up there are the findings.
        R("aws-eu-provider", AWS_PROVIDER, {"region": "eu-west-1"}),
        R("azure-us-provider", AZ_PROVIDER, {"location": "eastus2", "subscriptionId": "s"}),
        R("azure-eu-provider", AZ_PROVIDER, {"location": "westeurope"}),
        R("pass_location_display_name", SA, {"location": "East US 2", "kind": "StorageV2"}),
        R("pass_global", "azure-native:network:PrivateZone", {"location": "Global", "privateZoneName": "privatelink.vaultcore.azure.net"}),
        R("fail_location", KV, {"location": "northeurope", "properties": {}}),
        R("fail_region_override", BUCKET, {"bucket": "b", "region": "eu-central-1"}, provider="aws-us-provider"),
        R("pass_region_override", BUCKET, {"bucket": "c", "region": "us-west-2"}, provider="aws-eu-provider"),
        R("pass_inherits_us", BUCKET, {"bucket": "d"}, provider="aws-us-provider"),
        R("fail_inherits_eu", BUCKET, {"bucket": "e"}, provider="aws-eu-provider"),
        R("iam-role-is-global", ROLE, {"assumeRolePolicy": "{}"}, provider="aws-eu-provider"),
        R("fail_inherits_westeurope", "azure-native:resources:ResourceGroup", {"resourceGroupName": "rg"}, provider="azure-eu-provider"),
        R("pass_inherits_eastus2", "azure-native:resources:ResourceGroup", {"resourceGroupName": "rg2"}, provider="azure-us-provider"),
        R("azure-no-location-provider", AZ_PROVIDER, {"subscriptionId": "s"}),
        R("child-without-location", "azure-native:storage:BlobContainer", {"accountName": "sa", "containerName": "c"},
          provider="azure-no-location-provider"),
        R("unk_location", SA, {"location": U}),
    ]),
    Scenario("us-only-residency", [
        R("fail_default_provider", KMS, {"enableKeyRotation": True}),
        R("pass_default_azure", AZ_KEY, {"location": "eastus", "properties": {"kty": "RSA"}}),
    ], default_providers={"aws": {"region": "ap-southeast-2"}, "azure-native": {"location": "eastus"}}),
    Scenario("access-expiry", [
        R("aws", AWS_PROVIDER, {"region": "us-east-1", "allowedAccountIds": json.dumps([OWN])}),
        R("pass_vendor_role", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                                             "Action": "sts:AssumeRole", "Condition": {
                                                                 "StringEquals": {"sts:ExternalId": "caf-x"},
                                                                 "DateLessThan": {"aws:CurrentTime": "2027-06-30T00:00:00Z"}}}),
                                     "tags": {"access-expires": "2027-06-30", **TAGS}}),
        R("fail_no_end", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                                        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "caf-x"}}})}),
        R("fail_expired_tag", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": "sts:AssumeRole",
                                                             "Condition": {"StringEquals": {"sts:ExternalId": "caf-x"}}}),
                                     "tags": {"access-expires": "2026-10-01"}}),
        R("pass_service_role", ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"})}),
        R("pass_partner_policy", BPOL, {"bucket": "exports", "policy": doc(
            TLS_DENY, {"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::exports/allied/*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2027-05-31T00:00:00Z"}}})}),
        R("fail_partner_forever", BPOL, {"bucket": "exports2", "policy": doc(
            {"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::exports2/*"})}),
        R("fail_partner_too_far", BPOL, {"bucket": "exports3", "policy": doc(
            {"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::exports3/*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2029-01-01T00:00:00Z"}}})}),
        R("pass_key_policy", KMS, {"enableKeyRotation": True, "policy": doc(
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": "kms:*", "Resource": "*"})}),
        R("pass_vendor_group", GROUP, {"displayName": "caf-dev-vendor-mailhouse",
                                       "description": "Guest access for vendor mailhouse; expires 2027-06-30: remove the members"}),
        R("fail_expired_group", GROUP, {"displayName": "caf-dev-vendor-old", "description": "Guest access; expires 2026-01-31"}),
        R("vendor-undated", GROUP, {"displayName": "caf-dev-vendor-undated", "description": "Guest access for vendor undated"}),
        R("pass_assignment", RA, {"principalId": "x", "principalType": "Group", "roleDefinitionId": READER_ROLE, "scope": "/rg",
                                  "description": "Reader for vendor mailhouse; expires 2027-06-30"}, deps={"principalId": ["pass_vendor_group"]}),
        R("fail_assignment_undated", RA, {"principalId": "x", "principalType": "Group", "roleDefinitionId": READER_ROLE, "scope": "/rg"},
          deps={"principalId": ["vendor-undated"]}),
    ], ctx={"access_max_days": 365}),
    Scenario("access-expiry", [
        # Without the environment or a provider's allowedAccountIds, "another account" cannot be told
        # from the organisation's own: a missing end is not guessed at, a recorded one is still checked.
        R("pass_unknown_own_account", KMS, {"enableKeyRotation": True, "policy": doc(
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": "kms:*", "Resource": "*"})}),
        R("fail_recorded_expired", BPOL, {"bucket": "x", "policy": doc(
            {"Sid": "Old", "Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*",
             "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"}}})}),
    ]),
    Scenario("no-plaintext-secrets", [
        R("pass_secret", RDS, {"engine": "postgres", "password": "[secret]"}),
        R("pass_managed", RDS, {"engine": "postgres", "manageMasterUserPassword": True}),
        R("fail_literal_password", "azure-native:dbforpostgresql:Server",
          {"administratorLogin": "pgadmin", "administratorLoginPassword": "[plaintext secret]"},
          plaintext=("administratorLoginPassword",)),
        R("fail_kv_secret", "azure-native:keyvault:Secret", {"vaultName": "kv", "properties": {"value": "[plaintext secret]"}},
          plaintext=("properties.value",)),
    ]),
    Scenario("budget-per-cloud", [
        R("pass_aws_budget", AWS_BUDGET, {"budgetType": "COST", "limitAmount": "300", "limitUnit": "USD", "timeUnit": "MONTHLY"}),
        R("pass_azure_budget", AZ_BUDGET, {"amount": 300.0, "category": "Cost", "timeGrain": "Monthly", "scope": "/rg"}),
        R("fail_zero", AZ_BUDGET, {"amount": 0.0, "category": "Cost", "timeGrain": "Monthly", "scope": "/rg2"}),
    ], ctx={"clouds": ("azure", "aws")}),
    Scenario("budget-per-cloud", [
        R("pass_aws_budget", AWS_BUDGET, {"budgetType": "COST", "limitAmount": "300", "limitUnit": "USD", "timeUnit": "MONTHLY"}),
    ], label="fail_no_azure_budget", ctx={"clouds": ("azure", "aws")}),
    Scenario("restricted-data-rotating-cmk", [
        R("rotating", KMS, {"enableKeyRotation": True}),
        R("static", KMS, {"enableKeyRotation": False}),
        R("rotating-alias", ALIAS, {"name": "alias/restricted", "targetKeyId": "k"}, deps={"targetKeyId": ["rotating"]}),
        R("pass_bucket", BUCKET, {"bucket": "voter", "tags": RESTRICTED}),
        R("voter-sse", SSE, {"bucket": "voter", "rules": KMS_RULE}, deps={"bucket": ["pass_bucket"], "rules": ["rotating"]}),
        R("fail_bucket_static_key", BUCKET, {"bucket": "donor", "tags": RESTRICTED}),
        R("donor-sse", SSE, {"bucket": "donor", "rules": KMS_RULE}, deps={"bucket": ["fail_bucket_static_key"], "rules": ["static"]}),
        R("fail_bucket_literal_key", BUCKET, {"bucket": "lit", "tags": RESTRICTED}),
        R("lit-sse", SSE, {"bucket": "lit", "rules": KMS_RULE}, deps={"bucket": ["fail_bucket_literal_key"]}),
        R("internal-bucket", BUCKET, {"bucket": "internal", "tags": TAGS}),
        R("pass_db_via_alias", RDS, {"engine": "postgres", "storageEncrypted": True, "kmsKeyId": "alias/restricted", "tags": RESTRICTED},
          deps={"kmsKeyId": ["rotating-alias"]}),
        R("fail_db_default_key", RDS, {"engine": "postgres", "storageEncrypted": True, "tags": RESTRICTED}),
        R("az-vault", KV, {"properties": {}}),
        R("az-key", AZ_KEY, {"vaultName": "kv", "keyName": "cmk", "properties": {"kty": "RSA", "rotationPolicy": {
            "lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}}]}}}, deps={"vaultName": ["az-vault"]}),
        R("pass_storage_cmk", SA, {"tags": RESTRICTED, "encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {
            "keyName": "cmk", "keyVaultUri": "https://kv.vault.azure.net"}}}, deps={"encryption": ["az-vault"]}),
        R("fail_storage_platform_key", SA, {"tags": RESTRICTED, "encryption": {"keySource": "Microsoft.Storage"}}),
    ]),
    Scenario("restricted-data-rotating-cmk", [
        R("static", KMS, {"enableKeyRotation": False}),
        R("fail_confidential_static_key", BUCKET, {"bucket": "c", "tags": {**TAGS, "data-classification": "confidential"}}),
        R("c-sse", SSE, {"bucket": "c", "rules": KMS_RULE}, deps={"bucket": ["fail_confidential_static_key"], "rules": ["static"]}),
        R("rotating", KMS, {"enableKeyRotation": True}),
        R("pass_v6_inline_rotating", BUCKET, {"bucket": "v6", "tags": RESTRICTED, "serverSideEncryptionConfiguration": {"rule": KMS_RULE[0]}},
          deps={"serverSideEncryptionConfiguration": ["rotating"]}),
    ]),
    Scenario("restricted-data-rotating-cmk", [
        R("static", KMS, {"enableKeyRotation": False}),
        R("fail_secret_static_key", BUCKET, {"bucket": "s", "tags": {**TAGS, "data-classification": "secret"}}),
        R("s-sse", SSE, {"bucket": "s", "rules": KMS_RULE}, deps={"bucket": ["fail_secret_static_key"], "rules": ["static"]}),
        R("restricted-is-not-sensitive-here", BUCKET, {"bucket": "r", "tags": RESTRICTED}),
    ], ctx={"classifications": ("open", "restricted", "secret"), "sensitive_classifications": ("secret",)}),
    Scenario("policy-exemptions-valid", [
        R("logs-bucket", BUCKET, {"bucket": "logs"}),
    ], ctx={"settings": VALID_EXEMPTIONS}),
    Scenario("policy-exemptions-valid", [
        R("logs-bucket", BUCKET, {"bucket": "logs"}),
    ], label="fail_bad_exemptions", ctx={"settings": INVALID_EXEMPTIONS}),
    Scenario("policy-enforcement-valid", [], ctx={"settings": Settings(enforcement={"required-tags": "advisory"})}),
    Scenario("policy-enforcement-valid", [], label="fail_downgrade", ctx={"settings": Settings(enforcement={"aws-s3-encrypted": "disabled", "no-such-policy": "advisory"})}),
]


from tests.policies.cases_coverage import SCENARIOS as _COVERAGE  # noqa: E402

SCENARIOS += _COVERAGE
from tests.policies.cases_identity import SCENARIOS as IDENTITY_SCENARIOS  # noqa: E402

SCENARIOS += IDENTITY_SCENARIOS
from tests.policies.cases_security_baseline import SCENARIOS as _SECURITY_BASELINE  # noqa: E402

SCENARIOS += _SECURITY_BASELINE
from tests.policies.cases_restricted_reads import SCENARIOS as _RESTRICTED_READS  # noqa: E402

SCENARIOS += _RESTRICTED_READS
from tests.policies.cases_vendor_access import SCENARIOS as _VENDOR_ACCESS  # noqa: E402

SCENARIOS += _VENDOR_ACCESS
from tests.policies.cases_perimeter import SCENARIOS as _PERIMETER  # noqa: E402

SCENARIOS += _PERIMETER
from tests.policies.cases_ci_decrypt import SCENARIOS as _CI_DECRYPT  # noqa: E402

SCENARIOS += _CI_DECRYPT
from tests.policies.cases_graph_permissions import SCENARIOS as _GRAPH_PERMISSIONS  # noqa: E402

SCENARIOS += _GRAPH_PERMISSIONS
