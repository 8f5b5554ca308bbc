"""pass_* and fail_* cases of the plan identities' decrypt policies (issue 10); SCENARIOS in cases.py adds them."""

from __future__ import annotations

from tests.policies.cases_identity import ACCT, allow, deny, inline, role
from tests.policies.fixtures import R, Scenario, U

KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/00000000-0000-0000-0000-0000000000aa"
ALIAS = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/caf-dev-secrets"}}
NO_DATA = deny("DenyDataPlaneReads", ["s3:GetObject", "kms:Decrypt"], "*")

APP = "azuread:index/application:Application"
SP = "azuread:index/servicePrincipal:ServicePrincipal"
RA = "azure-native:authorization:RoleAssignment"
RD = "azure-native:authorization:RoleDefinition"
SUB = "/subscriptions/00000000-0000-0000-0000-0000000000d1"
VAULT = f"{SUB}/resourceGroups/rg-caf-dev-platform/providers/Microsoft.KeyVault/vaults/caf-dev-secrets"
DECRYPT = ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/decrypt/action"]


def _definition(name: str, data_actions: list[str]) -> R:
    return R(name, RD, {"roleName": name, "scope": SUB, "permissions": [
        {"actions": [], "notActions": [], "dataActions": data_actions, "notDataActions": []}]})


def _assignment(name: str, sp: str, definition: str, scope: object) -> R:
    return R(name, RA, {"scope": scope, "principalType": "ServicePrincipal", "principalId": "p", "roleDefinitionId": "r"},
             deps={"principalId": [sp], "roleDefinitionId": [definition]})


AZURE_IDENTITIES = [
    R("plan-app", APP, {"displayName": "caf-dev-ci-plan"}),
    R("plan-sp", SP, {"clientId": "c"}, deps={"clientId": ["plan-app"]}),
    R("deploy-app", APP, {"displayName": "caf-dev-ci-deploy"}),
    R("deploy-sp", SP, {"clientId": "c"}, deps={"clientId": ["deploy-app"]}),
    _definition("decrypt-role", DECRYPT),
    _definition("crypto-user-like", [*DECRYPT, "Microsoft.KeyVault/vaults/keys/encrypt/action",
                                     "Microsoft.KeyVault/vaults/secrets/getSecret/action"]),
]

SCENARIOS: list[Scenario] = [
    Scenario("aws-ci-plan-decrypt-secrets-key-only", [
        role("pass_one_key_arn", kind="plan"),
        inline("p1", "pass_one_key_arn", allow("DecryptStackSecrets", "kms:Decrypt", KEY), NO_DATA),
        role("pass_one_alias", kind="plan"),
        inline("p2", "pass_one_alias", allow("DecryptStackSecrets", "kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/*",
                                             ALIAS), NO_DATA),
        role("pass_no_decrypt_at_all", kind="plan"),
        inline("p3", "pass_no_decrypt_at_all", allow("Read", "iam:GetRole", "*"), NO_DATA),
        role("fail_every_key", kind="plan"),
        inline("p4", "fail_every_key", allow("Decrypt", "kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/*"), NO_DATA),
        role("fail_kms_star", kind="plan"),
        inline("p5", "fail_kms_star", allow("Kms", "kms:*", "*")),
        role("fail_two_keys", kind="plan"),
        inline("p6", "fail_two_keys", allow("Decrypt", "kms:Decrypt", [KEY, KEY.replace("aa", "bb")])),
        role("deploy-not-judged", kind="deploy"),
        inline("p7", "deploy-not-judged", allow("Decrypt", "kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/*")),
        role("unk_policy", kind="plan"),
        R("p8", "aws:iam/rolePolicy:RolePolicy", {"name": "p", "role": "unk_policy", "policy": U},
          deps={"role": ["unk_policy"]}),
    ]),
    Scenario("azure-ci-decrypt-secrets-key-only", [
        *AZURE_IDENTITIES,
        _assignment("pass_plan_decrypts_one_key", "plan-sp", "decrypt-role", f"{VAULT}/keys/pulumi"),
        _assignment("fail_whole_vault", "plan-sp", "decrypt-role", VAULT),
        _assignment("pass_deploy_decrypts_one_key", "deploy-sp", "decrypt-role", f"{VAULT}/keys/pulumi"),
        R("other-app", APP, {"displayName": "caf-dev-volunteer-portal"}),
        R("other-sp", SP, {"clientId": "c"}, deps={"clientId": ["other-app"]}),
        _assignment("fail_not_a_ci_identity", "other-sp", "decrypt-role", f"{VAULT}/keys/pulumi"),
        _assignment("fail_crypto_user_like", "plan-sp", "crypto-user-like", f"{VAULT}/keys/pulumi"),
        _assignment("unk_scope", "plan-sp", "decrypt-role", U),
    ]),
    Scenario("azure-ci-no-data-access", [
        *AZURE_IDENTITIES,
        _assignment("pass_key_scoped_decrypt", "plan-sp", "decrypt-role", f"{VAULT}/keys/pulumi"),
        _assignment("fail_decrypt_on_the_vault", "plan-sp", "decrypt-role", VAULT),
        _assignment("fail_secrets_at_key_scope", "plan-sp", "crypto-user-like", f"{VAULT}/keys/pulumi"),
    ], label="pass_secrets_key_decrypt"),
]
