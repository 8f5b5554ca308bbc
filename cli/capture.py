"""The resource capture: every resource a Pulumi program registers, in the engine's wire form.

This is the toolkit's central data structure. `capture_program` runs any Pulumi Python
program offline under the SDK's mock runtime and records each registration request
exactly as the engine would receive it (camelCase inputs, parents, dependencies,
protect). Plan output, offline policy checks, graphs and reports all read a `Capture`;
`pulumi stack export` files are read into the same shape by `cli.state`.

Secrets never enter a capture: secret inputs become "[secret]", and a plain-text value
where a secret belongs becomes "[plaintext secret]" so policies can flag it without
anyone seeing it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECRET = "[secret]"
PLAINTEXT_SECRET = "[plaintext secret]"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a value not known until apply; never a violation."""

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_KEY = "4dabf18193072939515e22adb298388d"

SECRET_INPUT_NAME = re.compile(
    r"^(password|adminPassword|administratorLoginPassword|masterPassword|masterUserPassword|"
    r"adminUserPassword|sharedKey|secretString|secretBinary|connectionString|clientSecret|"
    r"privateKey|secretAccessKey|accessKey|primaryKey|secondaryKey)$"
)
"""Wire names whose values are secrets whatever the resource; see also `_SECRET_PATHS`."""

_SECRET_PATHS = {"azure-native:keyvault:Secret": ("properties", "value")}

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Resource:
    """One registered resource, as a policy or report sees it."""

    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    protect: bool
    retain_on_delete: bool
    custom: bool
    provider: str | None
    inputs: Mapping[str, Any]
    secret_paths: tuple[str, ...] = ()
    plaintext_secret_paths: tuple[str, ...] = ()

    @property
    def is_component(self) -> bool:
        return not self.custom and not self.type.startswith("pulumi:providers:")

    @property
    def cloud(self) -> str:
        """'azure', 'aws', 'entra', 'civic' or 'pulumi', from the type token's package."""
        package = self.type.split(":")[0]
        if self.type.startswith("pulumi:providers:"):
            package = self.type.split(":")[2]
        return {"azure-native": "azure", "aws": "aws", "azuread": "entra"}.get(package, package)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "dependencies": list(self.dependencies),
            "property_dependencies": {k: list(v) for k, v in self.property_dependencies.items()},
            "protect": self.protect,
            "retain_on_delete": self.retain_on_delete,
            "custom": self.custom,
            "provider": self.provider,
            "inputs": self.inputs,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            parent=data.get("parent"),
            dependencies=tuple(data.get("dependencies", ())),
            property_dependencies={k: tuple(v) for k, v in data.get("property_dependencies", {}).items()},
            protect=bool(data.get("protect", False)),
            retain_on_delete=bool(data.get("retain_on_delete", False)),
            custom=bool(data.get("custom", True)),
            provider=data.get("provider"),
            inputs=data.get("inputs", {}),
        )


@dataclass(frozen=True)
class Capture:
    """Every resource of one program run (or one state export), sorted by URN."""

    environment: str
    project: str
    resources: tuple[Resource, ...]
    source: str = "program"

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def children(self, urn: str | None) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def summary(self) -> dict[str, Any]:
        from cli import counting  # the one definition of a resource count

        counted = Counter(r.type for r in counting.counted(self.resources))
        return {"total": sum(counted.values()), "by_type": dict(sorted(counted.items()))}

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "project": self.project,
            "source": self.source,
            "resources": [r.to_json() for r in self.resources if r.type != STACK_TYPE],
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Capture:
        return cls(
            environment=data["environment"],
            project=data["project"],
            resources=tuple(Resource.from_json(r) for r in data["resources"]),
            source=data.get("source", "program"),
        )


def engine_urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    """The URN the engine gives: the parent's type chain, without the root stack's type."""
    qualified = type_
    if parent and parent.split("::")[2] != STACK_TYPE:
        qualified = parent.split("::")[2] + "$" + type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


# --- wire form ------------------------------------------------------------------------


def _unwire(value: Any, path: str, secrets: list[str]) -> Any:
    """Turn a deserialized protobuf value into plain data, masking secrets."""
    if isinstance(value, Mapping):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            secrets.append(path)
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn", "")
        return {k: _unwire(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwire(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


def _mask_plaintext(type_: str, inputs: dict[str, Any]) -> list[str]:
    """Replace plain-text values at secret-shaped keys in place; return their paths."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, val in node.items():
                here = f"{path}.{key}" if path else key
                if SECRET_INPUT_NAME.match(key) and isinstance(val, str) and val not in (SECRET, UNKNOWN, ""):
                    node[key] = PLAINTEXT_SECRET
                    found.append(here)
                else:
                    walk(val, here)
        elif isinstance(node, list):
            for i, val in enumerate(node):
                walk(val, f"{path}[{i}]")

    walk(inputs, "")
    keys = _SECRET_PATHS.get(type_)
    if keys:
        node: Any = inputs
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        last = keys[-1]
        if isinstance(node, dict) and isinstance(node.get(last), str) and node[last] not in (SECRET, UNKNOWN):
            node[last] = PLAINTEXT_SECRET
            found.append(".".join(keys))
    return found


# --- mocks ----------------------------------------------------------------------------

FAKE_ACCOUNT = "000000000000"
FAKE_GUID = "00000000-0000-0000-0000-000000000000"


def _fake_state(type_: str, name: str, inputs: Mapping[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    """Plausible, obviously fake outputs so downstream `apply`s run offline."""
    state = dict(inputs)
    package, module, kind = (type_.split(":") + ["", ""])[:3]
    if package == "aws":
        service = module.split("/")[0]
        physical = str(inputs.get("bucket") or inputs.get("name") or name)
        state.setdefault("arn", f"arn:aws:{service}:{region}:{FAKE_ACCOUNT}:{kind.lower()}/{physical}")
        state.setdefault("name", physical)
        ident = physical if service == "s3" else f"{name}-id"
        state.setdefault("bucket", physical) if service == "s3" else None
        state.setdefault("keyId", f"{name}-key-id") if service == "kms" else None
        return ident, state
    if package == "azure-native":
        physical = next((str(v) for k, v in inputs.items() if k.endswith("Name") and k != "resourceGroupName"
                         and isinstance(v, str)), name)
        if type_ == "azure-native:resources:ResourceGroup":
            physical = str(inputs.get("resourceGroupName", name))
        state["name"] = physical
        rid = f"/subscriptions/{FAKE_GUID}/resourceGroups/fake/providers/{module}/{kind}/{physical}"
        state.setdefault("id", rid)
        if isinstance(inputs.get("identity"), Mapping):
            identity = dict(inputs["identity"])
            # in: a list of identity ids; out: a map of id -> {principalId, clientId}
            assigned = identity.get("userAssignedIdentities")
            if isinstance(assigned, list):
                identity["userAssignedIdentities"] = {
                    str(i): {"principalId": FAKE_GUID, "clientId": FAKE_GUID} for i in assigned
                }
            state["identity"] = {**identity, "principalId": FAKE_GUID, "tenantId": FAKE_GUID}
        return rid, state
    if package == "azuread":
        state.setdefault("objectId", FAKE_GUID)
        state.setdefault("clientId", FAKE_GUID)
        return f"{name}-id", state
    return f"{name}-id", state


class _Mocks:
    """Answers registrations and invokes with fake but well-formed values."""

    def __init__(self, region: str, account_id: str, tenant_id: str):
        self.region = region
        self.account_id = account_id
        self.tenant_id = tenant_id

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return _fake_state(args.typ, args.name, args.inputs, self.region)

    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        token = args.token
        if token.startswith("aws:index/getCallerIdentity"):
            return {"accountId": self.account_id, "arn": f"arn:aws:iam::{self.account_id}:root", "userId": "fake"}, None
        if token.startswith("aws:index/getAvailabilityZones"):
            return {"names": [f"{self.region}{z}" for z in "abc"], "zoneIds": ["fake-az1", "fake-az2", "fake-az3"]}, None
        if token.startswith(("aws:index/getRegion", "aws:index/getPartition")):
            return {"name": self.region, "region": self.region, "partition": "aws", "dnsSuffix": "amazonaws.com"}, None
        if token.endswith("getClientConfig"):
            return {"tenantId": self.tenant_id, "subscriptionId": FAKE_GUID, "objectId": FAKE_GUID, "clientId": FAKE_GUID}, None
        return {}, None


def _capture_monitor_class() -> type:
    from pulumi.runtime.mocks import MockMonitor

    class CaptureMonitor(MockMonitor):
        """A mock monitor that keeps each whole registration request."""

        def __init__(self, mocks: Any, stack: str, project: str):
            super().__init__(mocks)
            self.stack, self.project = stack, project
            self.captured: list[Resource] = []
            self._lock = threading.Lock()

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            return engine_urn(self.stack, self.project, parent or None, type_, name)

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
            response = super().RegisterResource(request)
            if request.type == STACK_TYPE:
                return response
            self._record(request, response.urn)
            return response

        def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
            from google.protobuf import empty_pb2

            return empty_pb2.Empty()

        def _record(self, request: Any, urn: str) -> None:
            from google.protobuf.json_format import MessageToDict

            secrets: list[str] = []
            raw = MessageToDict(request.object)
            inputs = _unwire(raw, "", secrets)
            plaintext = _mask_plaintext(request.type, inputs)
            parent = request.parent or None
            if parent and parent.split("::")[2] == STACK_TYPE:
                parent = None
            resource = Resource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=parent,
                dependencies=tuple(sorted(set(request.dependencies))),
                property_dependencies={
                    key: tuple(sorted(set(deps.urns)))
                    for key, deps in sorted(request.propertyDependencies.items())
                },
                protect=bool(request.protect) if request.HasField("protect") else False,
                retain_on_delete=bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
                custom=bool(request.custom),
                provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                inputs=inputs,
                secret_paths=tuple(secrets),
                plaintext_secret_paths=tuple(plaintext),
            )
            with self._lock:
                self.captured.append(resource)

    return CaptureMonitor


class ProgramError(Exception):
    """The program raised while running offline; `location` is its file:line when known."""

    def __init__(self, message: str, location: str | None = None):
        super().__init__(message)
        self.location = location


def capture_program(
    program: Path | Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Iterable[str] = (),
    region: str = "us-east-1",
    account_id: str = FAKE_ACCOUNT,
    tenant_id: str = FAKE_GUID,
    preview: bool = False,
) -> Capture:
    """Run a program (a directory with `__main__.py`, a file, or a callable) under mocks.

    `config` holds full keys (`infra:tier`) with string values, as the engine passes them.
    """
    import asyncio
    import runpy

    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.mocks import MockEngine, MockSettings
    from pulumi.runtime.stack import run_in_stack

    import logging

    mocks = _Mocks(region, account_id, tenant_id)
    monitor = _capture_monitor_class()(mocks, stack, project)
    errors: list[str] = []
    log = logging.getLogger("civic.capture")
    log.propagate = False
    log.handlers = [_ErrorCollector(errors)]
    set_all_config(dict(config), list(secret_keys))
    pulumi_settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(log),
            project=project,
            stack=stack,
            dry_run=preview,
            organization="organization",
            callbacks=None,
            root_directory=str(program if isinstance(program, Path) else Path.cwd()),
        )
    )
    pulumi_settings.ROOT.set(None)

    if isinstance(program, Path):
        target = str(program)

        def body() -> None:
            runpy.run_path(target, run_name="__main__")
    else:
        body = program

    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(_task_error(context)))
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(run_in_stack(body))
    except Exception as err:
        raise ProgramError(_describe(err), _location(err)) from err
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        pulumi_settings.ROOT.set(None)
    if errors:
        # an output that failed to resolve would make the capture silently wrong
        raise ProgramError("the program logged errors: " + "; ".join(errors[:5]))

    resources = tuple(sorted(monitor.captured, key=lambda r: r.urn))
    return Capture(environment=stack, project=project, resources=resources)


class _ErrorCollector:
    """A logging handler keeping ERROR messages the SDK reports through the mock engine."""

    level = 40

    def __init__(self, sink: list[str]):
        self.sink = sink

    def handle(self, record: Any) -> None:
        if record.levelno >= self.level:
            self.sink.append(record.getMessage())

    def __getattr__(self, name: str) -> Any:  # the rest of the Handler protocol is unused
        return lambda *a, **k: None


def _task_error(context: Mapping[str, Any]) -> str:
    err = context.get("exception")
    return _describe(err) if err is not None else str(context.get("message", "unknown error"))


def _describe(err: BaseException) -> str:
    text = str(err) or err.__class__.__name__
    return f"{err.__class__.__name__}: {text}"


def _location(err: BaseException) -> str | None:
    import traceback

    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        if "site-packages" not in frame.filename and "/pulumi/" not in frame.filename:
            return f"{frame.filename}:{frame.lineno}"
    return None


def stack_config_for_engine(values: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Stack-file config → (string values, secret keys) as the engine hands them to a program.

    `secure:` values cannot be decrypted offline: they become an opaque placeholder marked
    secret, which is all a capture needs.
    """
    out: dict[str, str] = {}
    secret: list[str] = []
    for key, value in values.items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            out[key] = "offline-placeholder"
            secret.append(key)
        elif isinstance(value, str):
            out[key] = value
        else:
            out[key] = json.dumps(value, default=str)
            if _contains_secure(value):
                secret.append(key)
    return out, secret


def _contains_secure(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "secure" in value or any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False
