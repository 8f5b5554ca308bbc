"""Plausible, obviously fake values for a provider schema's properties.

Used for two things: every output property of a resource in `--mode up`, and the result of
an invoke with a built-in answer. Values come from the property's type in the installed
provider SDK (`pulumi._types` reads the same metadata the SDK deserializes with) and its
name: an `arn` looks like an ARN, an `id` of a VPC like `vpc-000...`, an address like a
documentation IP (192.0.2.0/24). Nothing here looks like a real account, tenant or key.
"""

from __future__ import annotations

import enum
import hashlib
import importlib
import keyword
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any

FAKE_ACCOUNT = "000000000000"
FAKE_GUID = "00000000-0000-0000-0000-000000000000"
FAKE_SECRET = "offline-fake-value"
_MAX_DEPTH = 4

_PACKAGES = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native", "azuread": "pulumi_azuread",
             "azure": "pulumi_azure", "random": "pulumi_random", "tls": "pulumi_tls",
             "kubernetes": "pulumi_kubernetes", "awsx": "pulumi_awsx", "eks": "pulumi_eks"}

_ID_PREFIX = {"vpc": "vpc", "subnet": "subnet", "ami": "ami", "securitygroup": "sg", "instance": "i",
              "internetgateway": "igw", "natgateway": "nat", "routetable": "rtb", "eip": "eipalloc",
              "networkinterface": "eni", "keypair": "key", "launchtemplate": "lt", "volume": "vol",
              "vpcendpoint": "vpce", "transitgateway": "tgw", "prefixlist": "pl", "networkacl": "acl"}


def camel_words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[a-z]+|[A-Z][a-z]*|\d+", name)]


def _python_module(token: str) -> Any | None:
    """The provider SDK module a type token lives in, if installed (`aws:ec2/getVpc:getVpc` -> pulumi_aws.ec2)."""
    package, module = (token.split(":") + [""])[:2]
    root = _PACKAGES.get(package)
    if root is None:
        return None
    parts = [p for p in module.split("/")[:-1] if p] if "/" in module else ([module] if module else [])
    # python modules named after keywords get a trailing underscore (aws.lambda_)
    parts = [p.replace("-", "_") + ("_" if keyword.iskeyword(p) else "") for p in parts if p != "index"]
    name = ".".join([root, *parts])
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def result_class(token: str) -> type | None:
    """The `Get...Result`/`List...Result` class of an invoke token, if the SDK is installed."""
    function = token.split(":")[-1]
    module = _python_module(token)
    if module is None or not function:
        return None
    cls = getattr(module, function[0].upper() + function[1:] + "Result", None)
    return cls if isinstance(cls, type) else None


def resource_class(token: str) -> type | None:
    """The resource class of a type token (`aws:s3/bucket:Bucket` -> pulumi_aws.s3.Bucket)."""
    module = _python_module(token)
    cls = getattr(module, token.split(":")[-1], None) if module is not None else None
    return cls if isinstance(cls, type) else None


def property_types(cls: type) -> dict[str, Any]:
    """Wire name -> Python type of an output type or resource class ({} when unreadable)."""
    from pulumi import _types

    try:
        if _types.is_output_type(cls):
            return dict(_types.output_type_types(cls))
        return dict(_types.resource_types(cls))
    except Exception:  # noqa: BLE001 - an SDK whose hints do not resolve gets no fakes, not a crash
        return {}


class Faker:
    """Builds values for one provider call or resource, in one region and (fake) account."""

    def __init__(self, token: str, name: str, region: str, account_id: str = FAKE_ACCOUNT):
        self.token = token
        self.name = name
        self.region = region
        self.account_id = account_id
        package, module = (token.split(":") + [""])[:2]
        self.package = package
        self.service = module.split("/")[0] if package == "aws" else module
        kind = token.split(":")[-1]
        self.kind = kind[3:] if kind.startswith(("get", "Get")) else kind
        self.kind = self.kind[4:] if self.kind.startswith("list") else self.kind

    def for_class(self, cls: type, depth: int = 0) -> dict[str, Any]:
        return {key: self.value(key, typ, depth) for key, typ in property_types(cls).items()}

    def value(self, key: str, typ: Any, depth: int = 0) -> Any:
        typ = _unwrap(typ)
        origin = typing.get_origin(typ)
        if origin in (list, Sequence, typing.Sequence) or origin is getattr(typing, "List", None):
            (inner,) = typing.get_args(typ) or (str,)
            if depth >= _MAX_DEPTH:
                return []
            singular = key[:-1] if key.endswith("s") else key
            return [self._item(singular, inner, depth + 1, i) for i in range(2)]
        if origin in (dict, Mapping, typing.Mapping):
            return {}
        if isinstance(typ, type) and issubclass(typ, enum.Enum):
            return next(iter(typ)).value  # a value the SDK's enum accepts
        if typ is bool:
            return key in ("default", "enabled", "enableDnsSupport")
        if typ is int:
            return 1
        if typ is float:
            return 1.0
        if isinstance(typ, type) and property_types(typ):
            return self.for_class(typ, depth + 1) if depth < _MAX_DEPTH else {}
        if typ is str or isinstance(typ, type) and issubclass(typ, str):
            return self.string(key)
        return None

    def _item(self, key: str, typ: Any, depth: int, index: int) -> Any:
        value = self.value(key, typ, depth)
        if isinstance(value, str) and not value.startswith(("arn:", "/subscriptions/")):
            return _numbered(value, index)
        return value

    def string(self, key: str) -> str:
        """A fake string that looks like what a property of this name holds."""
        words = camel_words(key)
        last = words[-1] if words else key
        if key in ("accountId", "ownerId", "awsAccountId"):
            return self.account_id
        if last == "arn":
            return self.arn()
        if key in ("tenantId", "subscriptionId", "objectId", "clientId", "principalId", "applicationId",
                   "appId", "servicePrincipalId") or last == "guid":
            return FAKE_GUID
        if key in ("region", "location"):
            return self.region
        if key == "availabilityZone":
            return f"{self.region}a"
        if key == "id" or (last == "id" and words[:-1] == camel_words(self.kind)):
            return self.ident()
        if last == "id":
            return _ec2_id(words[-2] if len(words) > 1 else "res")
        if "cidr" in words:
            return "10.0.0.0/16"
        if last in ("ip", "address") or key.endswith(("IpAddress", "IPAddress")):
            return "192.0.2.10"
        if last in ("endpoint", "url", "uri", "fqdn", "hostname") or key in ("dnsName", "domainName"):
            return f"{self.name or 'fake'}.example.invalid" if last != "url" else f"https://{self.name or 'fake'}.example.invalid"
        if last in ("key", "secret", "password", "token", "value", "string", "kubeconfig") or "connection" in words:
            return FAKE_SECRET
        if last in ("time", "date") or key.endswith("Timestamp"):
            return "2000-01-01T00:00:00Z"
        if last in ("name", "names"):
            return self.name or "fake"
        if last in ("state", "status"):
            return "available" if self.package == "aws" else "Succeeded"
        return f"fake-{key}"

    def arn(self) -> str:
        regional = "" if self.service in ("iam", "s3", "route53", "cloudfront") else self.region
        account = "" if self.service == "s3" else self.account_id
        resource = f"{self.kind.lower() or 'resource'}/{self.name or 'fake'}" if self.service != "s3" else self.name or "fake"
        return f"arn:aws:{self.service or 'fake'}:{regional}:{account}:{resource}"

    def ident(self) -> str:
        if self.package in ("azure-native", "azure"):
            provider = f"Microsoft.{self.service.capitalize()}" if self.service else "Microsoft.Resources"
            return (f"/subscriptions/{FAKE_GUID}/resourceGroups/fake/providers/{provider}/"
                    f"{self.kind[0].lower() + self.kind[1:] if self.kind else 'resource'}s/{self.name or 'fake'}")
        if self.package == "aws" and self.service == "route53":
            return "Z00000000000000000000"
        kind = self.kind.lower().rstrip("s")
        if self.package == "aws" and kind in _ID_PREFIX:
            return _ec2_id(kind, self.name if self.token.count(":") == 2 and "/get" not in self.token else "")
        return f"{self.name or self.kind or 'fake'}-id"


def _ec2_id(kind: str, name: str = "") -> str:
    """`vpc-000...`; distinct per resource name when one is given (two security groups, two ids)."""
    digits = str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[-17:].rjust(17, "0") if name else "0" * 17
    return f"{_ID_PREFIX.get(kind.lower(), kind.lower())}-{digits}"


def _numbered(value: str, index: int) -> str:
    if index == 0:
        return value
    if re.fullmatch(r"[a-z]+-0{17}", value):
        return value[:-1] + str(index)
    if value == "10.0.0.0/16":
        return f"10.0.{index}.0/24"
    return f"{value}-{index + 1}"


def _unwrap(typ: Any) -> Any:
    """Optional[X] -> X; Union of several -> the first."""
    if typing.get_origin(typ) is typing.Union:
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        return args[0] if args else str
    return typ


def azure_name(type_: str, name: str, inputs: Mapping[str, Any]) -> str:
    """The name azure-native gives a resource: its own `<kind>Name` input, else the logical name."""
    kind = type_.split(":")[-1].lower()
    for key, value in inputs.items():
        # resourceGroupName names a resource's group, except on the group itself
        own = key != "resourceGroupName" or kind == "resourcegroup"
        stem = key[:-4].lower() if key.endswith("Name") and own else ""
        if stem and isinstance(value, str) and kind.endswith(stem):
            return value
    return name


def fill_outputs(type_: str, name: str, ident: str, state: dict[str, Any], region: str,
                 account_id: str = FAKE_ACCOUNT, replace: tuple[str, ...] = ()) -> str:
    """Add a plausible value for every output property of `type_` that `state` lacks (in place); the id.

    Keys in `replace` are recomputed even when present (the schema's ARN format beats a generic one).
    """
    cls = resource_class(type_)
    if cls is None:
        return ident
    if type_.startswith("azure-native:"):
        physical = azure_name(type_, name, state)
        state["name"] = physical
        ident = Faker(type_, physical, region, account_id).ident()
        state["id"] = ident
    else:
        physical = state.get("bucket") if type_.startswith("aws:s3/") else state.get("name")
    faker = Faker(type_, str(physical or name), region, account_id)
    if type_.startswith("aws:"):
        ident = faker.ident() if faker.kind.lower() in _ID_PREFIX else ident
    for key, typ in property_types(cls).items():
        if key not in state or state[key] is None or key in replace:
            state[key] = faker.value(key, typ)
    return ident
