"""Built-in answers to the data sources programs commonly call (invokes), offline.

Each answer starts from the function's result type in the installed provider SDK: every
property gets a plausible fake value (see `cli.runner.fakes`), arguments the program passed
that are also result properties are echoed back (a zone looked up by name has that name),
and a few properties get hand-written values where a program relies on their shape (the
availability zones of the region, an IAM policy document computed from its statements as
the provider computes it, a kubeconfig that parses). An invoke not in `BUILT_IN` gets an
empty result and is listed in a warning (see `cli.capture._Mocks.call`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from cli.runner.fakes import FAKE_GUID, FAKE_SECRET, Faker, property_types, result_class

Context = dict[str, Any]


def _caller_identity(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    account = ctx["account_id"]
    return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/offline", "userId": "AIDAOFFLINEFAKE",
            "id": account}


def _region(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    region = str(args.get("region") or args.get("name") or ctx["region"])
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region}


def _partition(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {"partition": "aws", "id": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


def _availability_zones(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    region = ctx["region"]
    return {"names": [f"{region}{z}" for z in "abc"], "zoneIds": [f"fake-az{i}" for i in (1, 2, 3)],
            "groupNames": [region], "id": region}


def _zone(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    name = str(args.get("name") or "example.org").rstrip(".")
    return {"zoneId": "Z00000000000000000000", "id": "Z00000000000000000000", "name": name,
            "arn": "arn:aws:route53:::hostedzone/Z00000000000000000000",
            "nameServers": [f"ns-{i}.awsdns-00.example.invalid" for i in range(4)]}


def _ami(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {"id": "ami-00000000000000000", "imageId": "ami-00000000000000000", "architecture": "x86_64",
            "rootDeviceName": "/dev/xvda"}


def _client_config(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {"tenantId": ctx["tenant_id"], "subscriptionId": FAKE_GUID, "objectId": FAKE_GUID, "clientId": FAKE_GUID}


def _storage_keys(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    value = base64.b64encode(b"offline-fake-storage-key").decode()
    return {"keys": [{"keyName": f"key{i}", "value": value, "permissions": "FULL",
                      "creationTime": "2000-01-01T00:00:00Z"} for i in (1, 2)]}


def _kubeconfig(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    name = str(args.get("resourceName") or "cluster")
    config = (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- cluster:\n    server: https://{name}.example.invalid:443\n  name: {name}\n"
        f"contexts:\n- context:\n    cluster: {name}\n    user: offline\n  name: {name}\n"
        f"current-context: {name}\nusers:\n- name: offline\n  user:\n    token: {FAKE_SECRET}\n"
    )
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}]}


def _public_ip(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {"ipAddress": "192.0.2.10"}


def _registry_credentials(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {"username": str(args.get("registryName") or "registry"),
            "passwords": [{"name": "password", "value": FAKE_SECRET}, {"name": "password2", "value": FAKE_SECRET}]}


def _policy_document(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    document = policy_document(args)
    return {"json": json.dumps(document, indent=2), "minifiedJson": json.dumps(document, separators=(",", ":")),
            "id": str(abs(hash(json.dumps(document, sort_keys=True))))}


def _same(args: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {}


def policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """The IAM policy JSON `aws.iam.get_policy_document` computes from its arguments (wire form).

    As the provider: Version defaults to 2012-10-17; an element with one value is a string,
    several a sorted list; principals of type "*" with identifier "*" are `"*"`; source
    documents come first and statements with the same Sid override them, then override documents.
    """
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements = _merge(statements, _statements_of(source))
    statements = _merge(statements, [_statement(s) for s in args.get("statements") or []])
    for override in args.get("overridePolicyDocuments") or []:
        statements = _merge(statements, _statements_of(override))
    document: dict[str, Any] = {"Version": str(args.get("version") or "2012-10-17")}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    return document


def _statements_of(text: Any) -> list[dict[str, Any]]:
    try:
        found = json.loads(text).get("Statement", [])
    except (TypeError, ValueError, AttributeError):
        return []
    return [found] if isinstance(found, dict) else list(found)


def _merge(base: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = list(base)
    for statement in new:
        sid = statement.get("Sid")
        same = next((i for i, s in enumerate(out) if sid and s.get("Sid") == sid), None)
        if same is None:
            out.append(statement)
        else:
            out[same] = statement
    return out


def _one_or_list(values: Any) -> Any:
    items = sorted({str(v) for v in values or []})
    return items[0] if len(items) == 1 else items


def _principals(entries: Any) -> Any:
    out: dict[str, Any] = {}
    for entry in entries or []:
        kind, ids = str(entry.get("type")), list(entry.get("identifiers") or [])
        if kind == "*" and ids == ["*"]:
            return "*"
        out.setdefault(kind, []).extend(ids)
    return {k: _one_or_list(v) for k, v in out.items()}


def _statement(raw: Mapping[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    if raw.get("sid"):
        statement["Sid"] = raw["sid"]
    statement["Effect"] = raw.get("effect") or "Allow"
    for key, wire in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                      ("notResources", "NotResource")):
        if raw.get(key):
            statement[wire] = _one_or_list(raw[key])
    if raw.get("principals"):
        statement["Principal"] = _principals(raw["principals"])
    if raw.get("notPrincipals"):
        statement["NotPrincipal"] = _principals(raw["notPrincipals"])
    conditions: dict[str, dict[str, Any]] = {}
    for condition in raw.get("conditions") or []:
        test, variable = str(condition.get("test")), str(condition.get("variable"))
        values = conditions.setdefault(test, {}).setdefault(variable, [])
        values.extend(condition.get("values") or [])
    if conditions:
        statement["Condition"] = {t: {v: _one_or_list(x) for v, x in vs.items()} for t, vs in conditions.items()}
    return statement


BUILT_IN: dict[str, Callable[[Mapping[str, Any], Context], dict[str, Any]]] = {
    # AWS: identity, place, lookups
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getAvailabilityZone:getAvailabilityZone": _same,
    "aws:index/getDefaultTags:getDefaultTags": _same,
    "aws:ec2/getAmi:getAmi": _ami,
    "aws:ec2/getAmiIds:getAmiIds": _same,
    "aws:ec2/getVpc:getVpc": _same,
    "aws:ec2/getVpcs:getVpcs": _same,
    "aws:ec2/getSubnet:getSubnet": _same,
    "aws:ec2/getSubnets:getSubnets": _same,
    "aws:ec2/getSecurityGroup:getSecurityGroup": _same,
    "aws:ec2/getSecurityGroups:getSecurityGroups": _same,
    "aws:ec2/getRouteTable:getRouteTable": _same,
    "aws:ec2/getInternetGateway:getInternetGateway": _same,
    "aws:ec2/getInstance:getInstance": _same,
    "aws:route53/getZone:getZone": _zone,
    "aws:acm/getCertificate:getCertificate": _same,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:iam/getPolicy:getPolicy": _same,
    "aws:iam/getRole:getRole": _same,
    "aws:iam/getSessionContext:getSessionContext": _same,
    "aws:kms/getKey:getKey": _same,
    "aws:kms/getAlias:getAlias": _same,
    "aws:ssm/getParameter:getParameter": _same,
    "aws:secretsmanager/getSecret:getSecret": _same,
    "aws:secretsmanager/getSecretVersion:getSecretVersion": _same,
    "aws:eks/getCluster:getCluster": _same,
    "aws:eks/getClusterAuth:getClusterAuth": _same,
    "aws:ecs/getCluster:getCluster": _same,
    "aws:lb/getLoadBalancer:getLoadBalancer": _same,
    "aws:elb/getServiceAccount:getServiceAccount": _same,
    "aws:cloudfront/getCachePolicy:getCachePolicy": _same,
    "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy": _same,
    "aws:s3/getBucket:getBucket": _same,
    # Azure: who am I, keys and credentials of what the program creates
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:resources:getResourceGroup": _same,
    "azure-native:storage:listStorageAccountKeys": _storage_keys,
    "azure-native:storage:listStorageAccountSAS": _same,
    "azure-native:storage:listStorageAccountServiceSAS": _same,
    "azure-native:containerservice:listManagedClusterUserCredentials": _kubeconfig,
    "azure-native:containerservice:listManagedClusterAdminCredentials": _kubeconfig,
    "azure-native:network:getPublicIPAddress": _public_ip,
    "azure-native:containerregistry:listRegistryCredentials": _registry_credentials,
    "azure-native:web:listWebAppPublishingCredentials": _same,
    "azure-native:web:listWebAppHostKeys": _same,
    "azure-native:web:listWebAppFunctionKeys": _same,
    "azure-native:documentdb:listDatabaseAccountKeys": _same,
    "azure-native:documentdb:listDatabaseAccountConnectionStrings": _same,
    "azure-native:operationalinsights:getSharedKeys": _same,
    "azure-native:servicebus:listNamespaceKeys": _same,
    "azure-native:eventhub:listNamespaceKeys": _same,
    "azure-native:cache:listRedisKeys": _same,
    "azure-native:keyvault:getVault": _same,
    "azure-native:keyvault:getSecret": _same,
    "azuread:index/getClientConfig:getClientConfig": _client_config,
}
"""Token -> the hand-written part of its answer; the rest comes from the result type."""


def answer(token: str, args: Mapping[str, Any], *, region: str, account_id: str, tenant_id: str) -> dict[str, Any] | None:
    """The built-in result of invoke `token` (wire names), or None when it has none."""
    handler = BUILT_IN.get(token)
    if handler is None:
        return None
    ctx = {"region": region, "account_id": account_id, "tenant_id": tenant_id}
    name = str(args.get("name") or args.get("resourceName") or args.get("accountName") or "")
    result: dict[str, Any] = {}
    cls = result_class(token)
    if cls is not None:
        faker = Faker(token, name, region, account_id)
        types = property_types(cls)
        result = {key: faker.value(key, typ) for key, typ in types.items()}
        # what the program asked for is what it gets back (a zone by name, a VPC by id)
        result.update({k: v for k, v in args.items() if k in types and v is not None})
    result.update(handler(args, ctx))
    return result
