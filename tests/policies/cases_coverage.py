"""pass_* and fail_* cases of the policies added for other teams' programs (issue 13), in wire form.

Type tokens and property names are the installed SDKs' (pulumi-aws 7, azure-native 3).
"""

from __future__ import annotations

from tests.policies.cases import (
    AWS_BUDGET,
    AZ_BUDGET,
    BUCKET,
    KMS,
    OWN,
    ROLE,
    SA,
    SG,
    SGI,
    SGR,
    TAGS,
    WEB,
    doc,
)
from tests.policies.fixtures import R, Scenario, U

GLUE_CATALOG = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
GLUE_SEC = "aws:glue/securityConfiguration:SecurityConfiguration"
GLUE_JOB = "aws:glue/job:Job"
GLUE_CRAWLER = "aws:glue/crawler:Crawler"
SM_SECRET = "aws:secretsmanager/secret:Secret"
SM_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RDS = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
ECR_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
SQS_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
SNS_TOPIC = "aws:sns/topic:Topic"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
EKS = "aws:eks/cluster:Cluster"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
USER_ATTACH = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
POLICY_ATTACH = "aws:iam/policyAttachment:PolicyAttachment"
LAMBDA = "aws:lambda/function:Function"
SQL = "azure-native:sql:Server"
SQL_DB = "azure-native:sql:Database"
SQL_FW = "azure-native:sql:FirewallRule"
SQL_AUDIT = "azure-native:sql:ServerBlobAuditingPolicy"
SQL_DB_AUDIT = "azure-native:sql:DatabaseBlobAuditingPolicy"
SQL_AD_ONLY = "azure-native:sql:ServerAzureADOnlyAuthentication"
CONTAINER = "azure-native:storage:BlobContainer"
WS = "azure-native:operationalinsights:Workspace"
ENTRA_DS = "azure-native:aadiam:DiagnosticSetting"
DS = "azure-native:monitor:DiagnosticSetting"
SENTINEL = "azure-native:securityinsights:SentinelOnboardingState"
VM = "azure-native:compute:VirtualMachine"
AKS = "azure-native:containerservice:ManagedCluster"
APP_SETTINGS = "azure-native:web:WebAppApplicationSettings"
KV_SECRET = "azure-native:keyvault:Secret"
KV_KEY = "azure-native:keyvault:Key"

KEY_ARN = f"arn:aws:kms:us-east-1:{OWN}:key/00000000-0000-0000-0000-000000000000"
CONFIDENTIAL = {**TAGS, "data-classification": "confidential"}


def _ingress(port: int, to: int | None = None, cidr: str = "0.0.0.0/0") -> dict:
    return {"protocol": "tcp", "fromPort": float(port), "toPort": float(to if to is not None else port), "cidrBlocks": [cidr]}


def _glue_sec(s3: str = "SSE-KMS", cw: str = "SSE-KMS", jb: str = "CSE-KMS") -> dict:
    return {"encryptionConfiguration": {
        "s3Encryption": {"s3EncryptionMode": s3, "kmsKeyArn": KEY_ARN},
        "cloudwatchEncryption": {"cloudwatchEncryptionMode": cw, "kmsKeyArn": KEY_ARN},
        "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": jb, "kmsKeyArn": KEY_ARN}}}


def _linux_vm(disable: object) -> dict:
    linux = {"ssh": {"publicKeys": [{"path": "/home/ops/.ssh/authorized_keys", "keyData": "ssh-ed25519 AAAA"}]}}
    if disable is not None:
        linux["disablePasswordAuthentication"] = disable
    return {"osProfile": {"computerName": "vm", "adminUsername": "ops", "linuxConfiguration": linux}}


SCENARIOS: list[Scenario] = [
    # --- Glue ------------------------------------------------------------------------------
    Scenario("aws-glue-catalog-encrypted", [
        R("pass_kms", GLUE_CATALOG, {"dataCatalogEncryptionSettings": {
            "encryptionAtRest": {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": KEY_ARN},
            "connectionPasswordEncryption": {"returnConnectionPasswordEncrypted": True, "awsKmsKeyId": KEY_ARN}}}),
        R("fail_disabled", GLUE_CATALOG, {"dataCatalogEncryptionSettings": {
            "encryptionAtRest": {"catalogEncryptionMode": "DISABLED"},
            "connectionPasswordEncryption": {"returnConnectionPasswordEncrypted": True, "awsKmsKeyId": KEY_ARN}}}),
        R("fail_passwords_plain", GLUE_CATALOG, {"dataCatalogEncryptionSettings": {
            "encryptionAtRest": {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": KEY_ARN},
            "connectionPasswordEncryption": {"returnConnectionPasswordEncrypted": False}}}),
        R("unk_settings", GLUE_CATALOG, {"dataCatalogEncryptionSettings": {"encryptionAtRest": {"catalogEncryptionMode": U}}}),
    ]),
    Scenario("aws-glue-security-configuration-encrypted", [
        R("pass_all_kms", GLUE_SEC, _glue_sec()),
        R("fail_bookmarks_off", GLUE_SEC, _glue_sec(jb="DISABLED")),
        R("fail_logs_off", GLUE_SEC, _glue_sec(cw="DISABLED")),
    ]),
    Scenario("aws-glue-jobs-use-security-configuration", [
        R("pass_job", GLUE_JOB, {"roleArn": "arn:aws:iam::000000000001:role/glue", "command": {"scriptLocation": "s3://b/s.py"},
                                 "securityConfiguration": "lake-encrypted"}),
        R("fail_crawler", GLUE_CRAWLER, {"databaseName": "lake", "role": "glue", "s3Targets": [{"path": "s3://b/raw"}]}),
        R("unk_job", GLUE_JOB, {"securityConfiguration": U}),
    ]),
    # --- Secrets Manager, CloudWatch, RDS Performance Insights -----------------------------
    Scenario("aws-secrets-manager-rotation", [
        R("pass_rotated", SM_SECRET, {"name": "db", "kmsKeyId": KEY_ARN}),
        R("pass-rotation", SM_ROTATION, {"secretId": "db", "rotationLambdaArn": "arn:aws:lambda:us-east-1:000000000001:function:rotate",
                                         "rotationRules": {"automaticallyAfterDays": 30.0}}, deps={"secretId": ["pass_rotated"]}),
        R("fail_never_rotates", SM_SECRET, {"name": "api-token"}),
        R("slow", SM_SECRET, {"name": "slow"}),
        R("fail_slow_rotation", SM_ROTATION, {"secretId": "slow", "rotationRules": {"automaticallyAfterDays": 365.0}},
          deps={"secretId": ["slow"]}),
    ]),
    Scenario("aws-cloudwatch-log-group-retention-and-kms", [
        R("pass_group", LOG_GROUP, {"name": "/civic/app", "retentionInDays": 365.0, "kmsKeyId": KEY_ARN}),
        R("fail_forever", LOG_GROUP, {"name": "/civic/forever", "kmsKeyId": KEY_ARN}),
        R("fail_no_key", LOG_GROUP, {"name": "/civic/plain", "retentionInDays": 90.0}),
        R("unk_key", LOG_GROUP, {"retentionInDays": 90.0, "kmsKeyId": U}),
    ]),
    Scenario("aws-rds-performance-insights-cmk", [
        R("pass_cmk", RDS, {"engine": "postgres", "performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY_ARN}),
        R("pass_aurora_cmk", CLUSTER, {"engine": "aurora-postgresql", "performanceInsightsEnabled": True,
                                       "performanceInsightsKmsKeyId": KEY_ARN}),
        R("insights-off", RDS, {"engine": "postgres"}),
        R("fail_aws_managed_key", RDS, {"engine": "postgres", "performanceInsightsEnabled": True}),
    ]),
    # --- Exposure --------------------------------------------------------------------------
    Scenario("aws-sg-internet-ingress-allow-list", [
        R("pass_https", SG, {"ingress": [_ingress(443), _ingress(80)]}),
        R("pass_vpc_postgres", SG, {"ingress": [_ingress(5432, cidr="10.0.0.0/16")]}),
        R("fail_postgres_open", SG, {"ingress": [_ingress(5432)]}),
        R("fail_app_port", SGR, {"type": "ingress", "protocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0,
                                 "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "sg"}),
        R("fail_mysql_v6", SGI, {"ipProtocol": "tcp", "fromPort": 3306.0, "toPort": 3306.0, "cidrIpv6": "::/0",
                                 "securityGroupId": "sg"}),
        R("ssh-is-the-admin-policy", SG, {"ingress": [_ingress(22)]}),
        R("unk_ingress", SG, {"ingress": U}),
    ]),
    Scenario("aws-sg-internet-ingress-allow-list", [
        R("pass_smtp_allowed", SG, {"ingress": [_ingress(587)]}),
        R("fail_https_not_allowed_here", SG, {"ingress": [_ingress(443)]}),
    ], ctx={"internet_ingress_ports": (587,)}),
    Scenario("aws-resource-policy-no-public-principal", [
        R("pass_ecr_account", ECR_POLICY, {"repository": "app", "policy": doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                                                                               "Action": "ecr:BatchGetImage"})}),
        R("fail_ecr_public", ECR_POLICY, {"repository": "app", "policy": doc({"Sid": "Pull", "Effect": "Allow", "Principal": "*",
                                                                              "Action": ["ecr:BatchGetImage"]})}),
        R("pass_sqs_source_arn", SQS_POLICY, {"queueUrl": "q", "policy": doc({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                                                                              "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:000000000001:t"}}})}),
        R("fail_sns_topic_open", SNS_TOPIC, {"name": "alerts", "policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                               "Action": "sns:Publish"})}),
        R("no-policy", SNS_TOPIC, {"name": "plain"}),
        R("fail_key_open", KMS, {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"})}),
        R("fail_lambda_anyone", LAMBDA_PERMISSION, {"action": "lambda:InvokeFunction", "function": "f", "principal": "*"}),
        R("pass_lambda_s3", LAMBDA_PERMISSION, {"action": "lambda:InvokeFunction", "function": "f", "principal": "s3.amazonaws.com",
                                                "sourceArn": "arn:aws:s3:::b"}),
        R("unk_policy", ECR_POLICY, {"repository": "app", "policy": U}),
    ]),
    Scenario("aws-eks-private-endpoint", [
        R("pass_private", EKS, {"roleArn": "r", "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False,
                                                              "subnetIds": ["s"]}}),
        R("pass_named_ranges", EKS, {"roleArn": "r", "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}}),
        R("fail_default", EKS, {"roleArn": "r", "vpcConfig": {"subnetIds": ["s"]}}),
        R("fail_anywhere", EKS, {"roleArn": "r", "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}}),
    ]),
    Scenario("aws-iam-no-service-wildcards", [
        R("pass_scoped", IAM_POLICY, {"policy": doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                                                     "Resource": "arn:aws:s3:::lake/*"})}),
        R("pass_deny_star", IAM_POLICY, {"policy": doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})}),
        R("fail_s3_star", ROLE_POLICY, {"role": "r", "policy": doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::lake/*"})}),
        R("fail_iam_star", IAM_POLICY, {"policy": doc({"Sid": "Iam", "Effect": "Allow", "Action": ["iam:*", "kms:*"], "Resource": "*"})}),
        R("boundary", IAM_POLICY, {"policy": doc({"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"})}),
        R("capped", "aws:iam/role:Role", {"assumeRolePolicy": "{}", "permissionsBoundary": "arn"},
          deps={"permissionsBoundary": ["boundary"]}),
        R("fail_inline_star", ROLE, {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "x", "policy": doc(
            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::lake"})}]}),
        R("unk_doc", IAM_POLICY, {"policy": U}),
    ]),
    Scenario("aws-iam-no-user-policies", [
        R("fail_inline", USER_POLICY, {"user": "deploy-bot", "policy": doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})}),
        R("fail_managed", USER_ATTACH, {"user": "deploy-bot", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        R("fail_shared_attachment", POLICY_ATTACH, {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "users": ["deploy-bot"]}),
        R("pass_roles_only", POLICY_ATTACH, {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "roles": ["r"]}),
    ]),
    Scenario("aws-lambda-no-secrets-in-environment", [
        R("pass_references", LAMBDA, {"runtime": "python3.12", "environment": {"variables": {
            "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000001:secret:db", "LOG_LEVEL": "info",
            "KMS_KEY": KEY_ARN, "PUBLIC_KEY": "ssh-ed25519 AAAA", "DB_PASSWORD": "arn:aws:ssm:us-east-1:000000000001:parameter/db"}}}),
        R("fail_password", LAMBDA, {"runtime": "python3.12", "environment": {"variables": {"DB_PASSWORD": "hunter2-placeholder"}}}),
        R("fail_pulumi_secret_still_plain", LAMBDA, {"environment": {"variables": {"API_TOKEN": "[secret]"}}}),
        R("fail_connection_string", LAMBDA, {"environment": {"variables": {
            "TARGET": "postgres://app:not-a-real-password@db.example.org:5432/app"}}}),
        R("fail_stripe_key", LAMBDA, {"environment": {"variables": {"STRIPE_KEY": "sk_test_placeholder"}}}),
        R("unk_vars", LAMBDA, {"environment": {"variables": U}}),
        R("pass_no_env", LAMBDA, {"runtime": "python3.12"}),
    ]),
    # --- Azure SQL -------------------------------------------------------------------------
    Scenario("azure-sql-no-public-network", [
        R("pass_private", SQL, {"publicNetworkAccess": "Disabled", "minimalTlsVersion": "1.2"}),
        R("fail_default", SQL, {"minimalTlsVersion": "1.2"}),
        R("fail_enabled", SQL, {"publicNetworkAccess": "Enabled"}),
    ]),
    Scenario("azure-sql-min-tls-1-2", [
        R("pass_12", SQL, {"minimalTlsVersion": "1.2"}),
        R("fail_10", SQL, {"minimalTlsVersion": "1.0"}),
        R("fail_missing", SQL, {"publicNetworkAccess": "Disabled"}),
    ]),
    Scenario("azure-sql-entra-only-auth", [
        R("pass_inline", SQL, {"administrators": {"azureADOnlyAuthentication": True, "login": "sql-admins",
                                                  "sid": "00000000-0000-0000-0000-000000000000", "principalType": "Group"}}),
        R("pass_separate", SQL, {"administratorLogin": "sqladmin"}),
        R("ad-only", SQL_AD_ONLY, {"serverName": "s2", "azureADOnlyAuthentication": True, "authenticationName": "Default"},
          deps={"serverName": ["pass_separate"]}),
        R("fail_sql_login", SQL, {"administratorLogin": "sqladmin", "administratorLoginPassword": "[secret]"}),
    ]),
    Scenario("azure-sql-firewall-no-internet", [
        R("pass_office", SQL_FW, {"serverName": "s", "startIpAddress": "203.0.113.10", "endIpAddress": "203.0.113.20"}),
        R("fail_internet", SQL_FW, {"serverName": "s", "startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}),
        R("fail_all_azure", SQL_FW, {"serverName": "s", "startIpAddress": "0.0.0.0", "endIpAddress": "0.0.0.0"}),
        R("unk_range", SQL_FW, {"serverName": "s", "startIpAddress": U, "endIpAddress": U}),
    ]),
    Scenario("azure-sql-auditing", [
        R("pass_server", SQL, {"publicNetworkAccess": "Disabled"}),
        R("audit", SQL_AUDIT, {"serverName": "s", "state": "Enabled", "isAzureMonitorTargetEnabled": True},
          deps={"serverName": ["pass_server"]}),
        R("pass_databases", SQL, {"publicNetworkAccess": "Disabled"}),
        R("db", SQL_DB, {"serverName": "s2", "databaseName": "app"}, deps={"serverName": ["pass_databases"]}),
        R("db-audit", SQL_DB_AUDIT, {"serverName": "s2", "databaseName": "app", "state": "Enabled"}, deps={"databaseName": ["db"]}),
        R("fail_none", SQL, {"publicNetworkAccess": "Disabled"}),
        R("fail_disabled", SQL, {"publicNetworkAccess": "Disabled"}),
        R("off", SQL_AUDIT, {"serverName": "s4", "state": "Disabled"}, deps={"serverName": ["fail_disabled"]}),
    ]),
    # --- Azure exposure --------------------------------------------------------------------
    Scenario("azure-blob-container-private", [
        R("pass_default", CONTAINER, {"accountName": "sa", "containerName": "exports"}),
        R("pass_none", CONTAINER, {"accountName": "sa", "containerName": "raw", "publicAccess": "None"}),
        R("fail_blob", CONTAINER, {"accountName": "sa", "containerName": "web", "publicAccess": "Blob"}),
        R("fail_container", CONTAINER, {"accountName": "sa", "containerName": "all", "publicAccess": "Container"}),
    ]),
    Scenario("azure-storage-infrastructure-encryption-for-sensitive-data", [
        R("pass_confidential", SA, {"tags": CONFIDENTIAL, "encryption": {"keySource": "Microsoft.Storage", "requireInfrastructureEncryption": True}}),
        R("internal-single-encryption", SA, {"tags": TAGS, "encryption": {"keySource": "Microsoft.Storage"}}),
        R("fail_restricted", SA, {"tags": {**TAGS, "data-classification": "restricted"}, "encryption": {"keySource": "Microsoft.Storage"}}),
    ]),
    Scenario("azure-security-logs-in-sentinel", [
        R("pass_security_ws", WS, {"retentionInDays": 365.0}),
        R("entra", ENTRA_DS, {"name": "entra", "workspaceId": "/ws", "logs": [{"category": "SignInLogs", "enabled": True}]},
          deps={"workspaceId": ["pass_security_ws"]}),
        R("sentinel", SENTINEL, {"workspaceName": "ws", "sentinelOnboardingStateName": "default"}, deps={"workspaceName": ["pass_security_ws"]}),
        R("fail_activity_ws", WS, {"retentionInDays": 90.0}),
        R("activity", DS, {"resourceUri": "/subscriptions/00000000-0000-0000-0000-000000000000", "workspaceId": "/ws2",
                           "logs": [{"category": "Administrative", "enabled": True}]}, deps={"workspaceId": ["fail_activity_ws"]}),
        R("app-ws", WS, {"retentionInDays": 30.0}),
    ], ctx={"tier": "production"}),
    # outside production Sentinel is the environment's visible choice (m365.sentinel_enabled)
    Scenario("azure-security-logs-in-sentinel", [
        R("dev-ws", WS, {"retentionInDays": 90.0}),
        R("activity", DS, {"resourceUri": "/subscriptions/00000000-0000-0000-0000-000000000000", "workspaceId": "/ws2",
                           "logs": [{"category": "Administrative", "enabled": True}]}, deps={"workspaceId": ["dev-ws"]}),
    ], label="dev_not_applicable", ctx={"tier": "development"}),
    Scenario("azure-vm-no-password-auth", [
        R("pass_keys", VM, _linux_vm(True)),
        R("fail_default", VM, _linux_vm(None)),
        R("fail_passwords", VM, _linux_vm(False)),
        R("windows", VM, {"osProfile": {"computerName": "w", "adminUsername": "ops", "windowsConfiguration": {"provisionVMAgent": True}}}),
    ]),
    Scenario("azure-aks-private-api", [
        R("pass_private", AKS, {"apiServerAccessProfile": {"enablePrivateCluster": True}}),
        R("pass_ranges", AKS, {"apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24"]}}),
        R("fail_public", AKS, {"dnsPrefix": "aks"}),
        R("fail_anywhere", AKS, {"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}}),
    ]),
    Scenario("azure-app-settings-no-secrets", [
        R("pass_key_vault_reference", WEB, {"siteConfig": {"appSettings": [
            {"name": "DB_PASSWORD", "value": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db)"},
            {"name": "WEBSITE_RUN_FROM_PACKAGE", "value": "1"}]}}),
        R("fail_function_key", WEB, {"kind": "functionapp", "siteConfig": {"appSettings": [
            {"name": "SENDGRID_API_KEY", "value": "SG.placeholder"}]}}),
        R("fail_connection_string", APP_SETTINGS, {"name": "app", "properties": {
            "Storage": "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=placeholder=="}}),
        R("pass_settings", APP_SETTINGS, {"name": "app2", "properties": {"FEATURE_FLAG": "on"}}),
    ]),
    Scenario("azure-key-vault-secret-and-key-expiry", [
        R("pass_secret", KV_SECRET, {"secretName": "s", "properties": {"value": "[secret]", "attributes": {"expires": 1798761600.0}}}),
        R("fail_secret", KV_SECRET, {"secretName": "s2", "properties": {"value": "[secret]"}}),
        R("pass_key_rotation_expiry", KV_KEY, {"keyName": "cmk", "properties": {"kty": "RSA", "rotationPolicy": {
            "attributes": {"expiryTime": "P2Y"}, "lifetimeActions": [{"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P90D"}}]}}}),
        R("fail_key", KV_KEY, {"keyName": "k", "properties": {"kty": "RSA"}}),
    ]),
    # --- Organisation ----------------------------------------------------------------------
    Scenario("naming-convention", [
        R("pass_dev_lake", BUCKET, {"bucket": "x"}),
        R("fail_Bucket", BUCKET, {"bucket": "y"}),
        R("any-name-for-keys", KMS, {"enableKeyRotation": True}),
    ], ctx={"naming": {"Bucket": r"pass_dev_[a-z]+"}}),
    Scenario("naming-convention", [
        R("pass_sa", SA, {"kind": "StorageV2"}),
        R("fail_sa", SA, {"kind": "StorageV2"}),
    ], ctx={"naming": {"azure-native:storage:StorageAccount": r"pass_[a-z]+"}}),
    Scenario("tag-values-valid", [
        R("pass_tags", BUCKET, {"bucket": "a", "tags": TAGS}),
        R("pass_team_owner_and_tier", BUCKET, {"bucket": "b", "tags": {**TAGS, "owner": "data-team", "environment": "development"}}),
        R("fail_env", BUCKET, {"bucket": "c", "tags": {**TAGS, "environment": "prod"}}),
        R("fail_owner", BUCKET, {"bucket": "d", "tags": {**TAGS, "owner": "bob"}}),
        R("fail_cost_center", BUCKET, {"bucket": "e", "tags": {**TAGS, "cost-center": "marketing"}}),
        R("unk_tags", BUCKET, {"bucket": "f", "tags": U}),
    ], ctx={"teams": ("data-team",), "cost_centers": ("operations", "data")}),
    # the tenant stack tags each environment's CI identities with that environment's name
    Scenario("tag-values-valid", [
        R("pass_member_env", BUCKET, {"bucket": "a", "tags": {**TAGS, "environment": "prod"}}),
        R("fail_unlisted_env", BUCKET, {"bucket": "b", "tags": {**TAGS, "environment": "qa"}}),
    ], label="tenant_stack", ctx={"environment": "tenant", "tier": "production", "tenant_owner": True,
                                  "tenant_environments": ("dev", "prod")}),
    Scenario("budget-notifications", [
        R("pass_aws", AWS_BUDGET, {"budgetType": "COST", "limitAmount": "300", "notifications": [
            {"comparisonOperator": "GREATER_THAN", "notificationType": "ACTUAL", "threshold": 80.0, "thresholdType": "PERCENTAGE",
             "subscriberEmailAddresses": ["it@example.org"]}]}),
        R("fail_aws_silent", AWS_BUDGET, {"budgetType": "COST", "limitAmount": "300"}),
        R("pass_azure", AZ_BUDGET, {"amount": 300.0, "notifications": {"actual80": {
            "enabled": True, "operator": "GreaterThan", "threshold": 80.0, "contactEmails": ["it@example.org"]}}}),
        R("fail_azure_disabled", AZ_BUDGET, {"amount": 300.0, "notifications": {"actual80": {
            "enabled": False, "operator": "GreaterThan", "threshold": 80.0, "contactEmails": ["it@example.org"]}}}),
    ]),
]

