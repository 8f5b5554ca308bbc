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

import contextlib
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    complete: bool = True
    """False when the program failed part-way: `resources` are those registered before it stopped."""
    warnings: tuple[str, ...] = ()
    """Things the offline run invented or could not answer (e.g. invokes without a built-in answer)."""

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
        doc: dict[str, Any] = {
            "environment": self.environment,
            "project": self.project,
            "source": self.source,
        }
        # only when it says something, so a complete capture's document is unchanged
        if not self.complete:
            doc["complete"] = False
        if self.warnings:
            doc["warnings"] = list(self.warnings)
        doc["resources"] = [r.to_json() for r in self.resources if r.type != STACK_TYPE]
        doc["summary"] = self.summary()
        return doc

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Capture:
        return cls(
            environment=data["environment"],
            project=data["project"],
            resources=tuple(Resource.from_json(r) for r in data["resources"]),
            source=data.get("source", "program"),
            complete=bool(data.get("complete", True)),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
        )


def engine_urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    """The URN the engine gives: the parent's type chain, without the root stack's type."""
    qualified = type_
    if parent and parent.split("::")[2] != STACK_TYPE:
        qualified = parent.split("::")[2] + "$" + type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


# --- wire form ------------------------------------------------------------------------


def _unwire_struct(fields: Any, path: str, secrets: list[str]) -> Any:
    """A protobuf Struct's fields as plain data (the engine's wire form), secrets masked.

    `MessageToDict` is the protobuf library's general (and slow) path; a Struct holds only
    null, number, string, bool, struct and list values, converted here the same way (numbers
    stay floats, NaN and infinity are refused as MessageToDict refuses them).
    """
    sig = fields[_SIG_KEY].string_value if _SIG_KEY in fields else None
    if sig == _SECRET_SIG:
        secrets.append(path)
        return SECRET
    if sig == _RESOURCE_SIG:
        return _unwire_value(fields["urn"], "", []) if "urn" in fields else ""
    return {key: _unwire_value(fields[key], f"{path}.{key}" if path else key, secrets) for key in fields}


def _unwire_value(value: Any, path: str, secrets: list[str]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return _unwire_struct(value.struct_value.fields, path, secrets)
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if number != number or number in (math.inf, -math.inf):
            raise ValueError(f"{path}: NaN or infinity cannot be captured")
        return number
    if kind == "list_value":
        return [_unwire_value(v, f"{path}[{i}]", secrets) for i, v in enumerate(value.list_value.values)]
    return None


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
    """Answers registrations and invokes with fake but well-formed values.

    `mode` decides the outputs: "platform" (the fixed fakes the platform's plans are built
    on), "preview" (inputs only; every computed output unknown, as in a first `pulumi
    preview`) or "up" (plausible values for every output property of the provider schema).
    """

    def __init__(self, region: str, account_id: str, tenant_id: str, mode: str = "platform",
                 azure_location: str = "westeurope"):
        self.region = region
        self.azure_location = azure_location
        self.account_id = account_id
        self.tenant_id = tenant_id
        self.mode = mode
        self.unanswered: dict[str, int] = {}
        self._lock = threading.Lock()

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        if self.mode == "preview":
            # a first preview: outputs are the inputs, the id and every computed output unknown
            return "", dict(args.inputs)
        ident, state = _fake_state(args.typ, args.name, args.inputs, self.region)
        if self.mode == "up":
            from cli.runner.fakes import fill_outputs

            region = self.azure_location if args.typ.startswith("azure-native:") else self.region
            ident = fill_outputs(args.typ, args.name, ident, state, region, self.account_id, replace=("arn",))
        return ident, state

    def call(self, args: Any) -> dict[str, Any]:
        # a plain dict: the mock monitor iterates a tuple's second element as check failures
        from cli.runner.invokes import answer

        region = self.azure_location if args.token.startswith("azure-native:") else self.region
        result = answer(args.token, args.args, region=region, account_id=self.account_id, tenant_id=self.tenant_id)
        if result is None:
            with self._lock:
                self.unanswered[args.token] = self.unanswered.get(args.token, 0) + 1
            return {}
        return result


class _NotPlain(Exception):
    """A wire value the SDK deserializes into something other than plain data."""


def _plain_struct(fields: Any) -> dict[str, Any]:
    """A request Struct as `rpc.deserialize_properties` returns it, when it holds plain data only.

    Raises `_NotPlain` at a secret, resource reference, asset or unknown: those take the SDK's path.
    """
    if _SIG_KEY in fields:
        raise _NotPlain
    out = {}
    for key in fields:
        value = _plain_value(fields[key])
        if value is not None:  # the SDK drops keys whose value is null
            out[key] = value
    return out


def _plain_value(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        if text == UNKNOWN:
            raise _NotPlain
        return text
    if kind == "struct_value":
        return _plain_struct(value.struct_value.fields)
    if kind == "list_value":
        return [_plain_value(v) for v in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        return value.number_value
    return None


_PLAIN_SCALARS = (str, bool, int, float)


def _is_plain(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN_SCALARS or value is None:
        return True
    if kind is dict:
        return all(type(k) is str and _is_plain(v) for k, v in value.items())
    if kind is list:
        return all(_is_plain(v) for v in value)
    return False


class _OnLoop(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a monitor call that must await on the program's loop: the loop runs `work` as a task."""

    def __init__(self, work: Any):
        super().__init__("monitor call continued on the program's loop")
        self.work = work


def _transform_options(request: Any) -> Any:
    """A registration's options as the engine hands them to a transform."""
    from pulumi.runtime.proto import resource_pb2

    options = resource_pb2.TransformResourceOptions(
        depends_on=request.dependencies, ignore_changes=request.ignoreChanges,
        replace_on_changes=request.replaceOnChanges, version=request.version, aliases=request.aliases,
        provider=request.provider, plugin_download_url=request.pluginDownloadURL, deleted_with=request.deletedWith,
        additional_secret_outputs=request.additionalSecretOutputs, providers=request.providers,
        replace_with=request.replace_with, hide_diff=request.hideDiffs,
    )
    setattr(options, "import", request.importId)  # a Python keyword
    if request.HasField("protect"):
        options.protect = request.protect
    if request.HasField("retainOnDelete"):
        options.retain_on_delete = request.retainOnDelete
    if request.deleteBeforeReplaceDefined:
        options.delete_before_replace = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        options.custom_timeouts.CopyFrom(request.customTimeouts)
    return options


def _apply_transform_options(request: Any, options: Any) -> None:
    """A transform's options written back into the registration, as the engine applies them."""
    for field in ("dependencies", "ignoreChanges", "replaceOnChanges", "aliases", "additionalSecretOutputs",
                  "replace_with", "hideDiffs"):
        request.ClearField(field)
    request.dependencies.extend(options.depends_on)
    request.ignoreChanges.extend(options.ignore_changes)
    request.replaceOnChanges.extend(options.replace_on_changes)
    request.aliases.extend(options.aliases)
    request.additionalSecretOutputs.extend(options.additional_secret_outputs)
    request.replace_with.extend(options.replace_with)
    request.hideDiffs.extend(options.hide_diff)
    request.providers.clear()
    request.providers.update(options.providers)
    request.version, request.provider = options.version, options.provider
    request.pluginDownloadURL, request.deletedWith = options.plugin_download_url, options.deleted_with
    request.importId = getattr(options, "import")
    for ours, theirs in (("protect", "protect"), ("retainOnDelete", "retain_on_delete")):
        if options.HasField(theirs):
            setattr(request, ours, getattr(options, theirs))
        else:
            request.ClearField(ours)
    request.deleteBeforeReplaceDefined = options.HasField("delete_before_replace")
    request.deleteBeforeReplace = options.delete_before_replace
    if options.HasField("custom_timeouts"):
        request.customTimeouts.CopyFrom(options.custom_timeouts)
    else:
        request.ClearField("customTimeouts")


def _local_callbacks(monitor: Any, loop: Any) -> Any:
    """The SDK's callback registry (resource and invoke transforms register there) without its gRPC server.

    Under the SDK's mocks a transform starts a local gRPC server that nobody calls and that
    never stops, and the mock monitor never runs the transform. The capture calls each
    registered callback itself, in the program's loop, as the engine would through that server.
    """
    from pulumi.runtime._callbacks import _CallbackServicer

    class LocalCallbacks(_CallbackServicer):
        def __init__(self) -> None:  # the base class would create and bind a gRPC server
            self._callbacks: dict[str, Any] = {}
            self._transforms: dict[Any, str] = {}
            self._state_migrations: dict[Any, str] = {}
            self._monitor = monitor
            self._loop = loop
            self._target = "civic-infra-capture"

    return LocalCallbacks()


def _capture_monitor_class() -> type:
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
    from pulumi.runtime.proto import resource_pb2

    class CaptureMonitor(MockMonitor):
        """A mock monitor that keeps each whole registration request.

        With `lean` (the capture's own runs), a registration whose inputs are plain data is
        answered here, without the SDK mock monitor's deserialize, event loop and serialize
        round trip, and with the same response: the inputs the SDK would hand the mocks, and
        the state serialized as `rpc.serialize_properties` would. Anything else (secrets,
        resource references, assets, unknowns, state that is not plain data) takes the SDK's
        path, on a worker thread when called on the program's own thread, since that path runs
        an event loop of its own, as it does on the SDK's executor threads.

        With `callbacks` set, it runs resource and invoke transforms as the engine does, which
        the SDK's mock monitor never does.
        """

        def __init__(self, mocks: Any, stack: str, project: str,
                     on_resource: Callable[[Resource], None] | None = None, *, lean: bool = False):
            super().__init__(mocks)
            self.stack, self.project = stack, project
            self.captured: list[Resource] = []
            self.on_resource = on_resource
            self.lean = lean
            self.program_thread: int | None = None
            """The thread running the program's event loop, which SDK paths must not block."""
            self._lock = threading.Lock()
            self._worker: Any = None
            self.callbacks: Any = None
            """Where transforms are registered (`_local_callbacks`); without it they are not applied."""
            self._own_transforms: dict[str, tuple[str, tuple[str, ...]]] = {}
            """URN -> (its parent's URN, its own transform tokens): children get their ancestors' transforms."""
            self._stack_transforms: list[str] = []
            self._invoke_transforms: list[str] = []

        def close(self) -> None:
            if self._worker is not None:
                self._worker.shutdown(wait=False)
                self._worker = None

        def _elsewhere(self, call: Callable[[Any], Any], argument: Any) -> Any:
            if threading.get_ident() != self.program_thread:
                return call(argument)
            if self._worker is None:
                from concurrent.futures import ThreadPoolExecutor

                self._worker = ThreadPoolExecutor(1, thread_name_prefix="capture-monitor")
            return self._worker.submit(call, argument).result()

        def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
            if self._invoke_transforms and request.tok != "pulumi:pulumi:getResource":
                # the SDK's caller unpacks the answer, so it cannot continue as a task: the
                # transforms run here, and one that has to wait for other work is an error
                self._on_program_thread(request.tok)
                work = self._invoke_transformed(request, list(self._invoke_transforms))
                try:
                    work.send(None)
                except StopIteration as done:
                    return done.value
                work.close()
                raise RuntimeError(f"{request.tok}: an invoke transform that waits for other work cannot run offline")
            return self._elsewhere(super().Invoke, request)

        async def _invoke_transformed(self, request: Any, tokens: list[str]) -> Any:
            args = request.args
            options = resource_pb2.TransformInvokeOptions(
                provider=request.provider, plugin_download_url=request.pluginDownloadURL, version=request.version)
            for token in tokens:
                response = await self._callback(token, request.tok)(resource_pb2.TransformInvokeRequest(
                    token=request.tok, args=args, options=options).SerializeToString())
                args = response.args
                if response.HasField("options"):
                    options = response.options
            transformed = resource_pb2.ResourceInvokeRequest()
            transformed.CopyFrom(request)
            transformed.args.CopyFrom(args)
            transformed.provider, transformed.version = options.provider, options.version
            transformed.pluginDownloadURL = options.plugin_download_url
            return self._elsewhere(super().Invoke, transformed)

        def _callback(self, token: str, what: str) -> Any:
            callback = self.callbacks._callbacks.get(token)
            if callback is None:
                raise ValueError(f"{what}: a transform that was never registered")
            return callback

        def _on_program_thread(self, what: str) -> None:
            if threading.get_ident() != self.program_thread:
                raise RuntimeError(f"{what}: transforms apply only to what the program does on its own thread")

        def ReadResource(self, request: Any) -> Any:  # noqa: N802
            return self._elsewhere(super().ReadResource, request)

        def _register_plain(self, request: Any, inputs: dict[str, Any]) -> Any:
            urn = self.make_urn(request.parent, request.type, request.name)
            ident, state = self.mocks.new_resource(MockResourceArgs(
                typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
                resource_id=request.importId, custom=request.custom or False, transforms=[]))
            if _is_plain(state):
                obj = struct_pb2.Struct()
                obj.update({key: value for key, value in state.items() if value is not None})
            else:
                from pulumi.runtime import rpc
                from pulumi.runtime.sync_await import _sync_await

                obj = self._elsewhere(lambda s: _sync_await(rpc.serialize_properties(s, {})), state)
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, ident, state)
            return resource_pb2.RegisterResourceResponse(urn=urn, id=ident, object=obj)

        def snapshot(self) -> list[Resource]:
            with self._lock:
                return list(self.captured)

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            return engine_urn(self.stack, self.project, parent or None, type_, name)

        def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802
            if self.callbacks is None:
                return super().RegisterStackTransform(request)
            self._stack_transforms.append(request.token)
            return empty_pb2.Empty()

        def RegisterStackInvokeTransform(self, request: Any) -> Any:  # noqa: N802
            if self.callbacks is None:
                return super().RegisterStackInvokeTransform(request)
            self._invoke_transforms.append(request.token)
            return empty_pb2.Empty()

        def _transforms_for(self, request: Any) -> list[str]:
            """The engine's order: the resource's own transforms, its ancestors' (nearest first), the stack's."""
            own = tuple(callback.token for callback in request.transforms)
            urn = self.make_urn(request.parent, request.type, request.name)
            with self._lock:
                self._own_transforms[urn] = (request.parent, own)
                tokens = list(own)
                parent = request.parent
                while parent and parent in self._own_transforms:
                    parent, inherited = self._own_transforms[parent]
                    tokens.extend(inherited)
                return tokens + self._stack_transforms

        async def _register_transformed(self, request: Any, tokens: list[str]) -> Any:
            properties, options = request.object, _transform_options(request)
            for token in tokens:
                response = await self._callback(token, f"{request.type} {request.name!r}")(resource_pb2.TransformRequest(
                    type=request.type, name=request.name, custom=request.custom, parent=request.parent,
                    properties=properties, options=options).SerializeToString())
                properties = response.properties
                if response.HasField("options"):
                    options = response.options
            transformed = resource_pb2.RegisterResourceRequest()
            transformed.CopyFrom(request)
            transformed.ClearField("transforms")
            transformed.object.CopyFrom(properties)
            _apply_transform_options(transformed, options)
            return self._register(transformed)

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
            if request.type == STACK_TYPE:
                return super().RegisterResource(request)
            if self.callbacks is not None:
                tokens = self._transforms_for(request)
                if tokens:
                    self._on_program_thread(f"{request.type} {request.name!r}")
                    raise _OnLoop(self._register_transformed(request, tokens))
            return self._register(request)

        def _register(self, request: Any) -> Any:
            inputs = None
            if self.lean and not request.transforms:
                with contextlib.suppress(_NotPlain):
                    inputs = _plain_struct(request.object.fields)
            if inputs is None:
                response = self._elsewhere(super().RegisterResource, request)
            else:
                response = self._register_plain(request, inputs)
            self._record(request, response.urn)
            return response

        def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
            return empty_pb2.Empty()

        def _record(self, request: Any, urn: str) -> None:
            secrets: list[str] = []
            inputs = _unwire_struct(request.object.fields, "", secrets)
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
                if self.on_resource is not None:
                    self.on_resource(resource)

    return CaptureMonitor


class ProgramError(Exception):
    """The program failed while running offline.

    `location` is the deepest file:line inside the program's own directory when known,
    `code` that line's text, and `partial` the resources registered before the failure.
    """

    def __init__(self, message: str, location: str | None = None, code: str | None = None,
                 partial: tuple[Resource, ...] = (), warnings: tuple[str, ...] = ()):
        super().__init__(message)
        self.location = location
        self.code = code
        self.partial = partial
        self.warnings = warnings


MODES = ("platform", "preview", "up")


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
    mode: str = "platform",
    program_dir: Path | None = None,
    on_resource: Callable[[Resource], None] | None = None,
) -> Capture:
    """Run a program (a directory with `__main__.py`, a file, or a callable) under mocks, in this process.

    `config` holds full keys (`infra:tier`) with string values, as the engine passes them.
    `program_dir` is the user's directory a failure's location is searched in (default: the
    program's). `on_resource` sees each resource as it registers (the runner streams them).
    Programs from outside the repository run through `cli.runner`, in their own process.
    """
    import asyncio
    import logging
    import runpy

    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.mocks import MockEngine, MockSettings
    from pulumi.runtime.rpc_manager import RPCManager

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    mocks = _Mocks(region, account_id, tenant_id, mode, config.get("azure-native:location", "westeurope"))
    monitor = _capture_monitor_class()(mocks, stack, project, on_resource, lean=True)
    monitor.program_thread = threading.get_ident()
    errors: list[str] = []
    log = logging.getLogger("civic.capture")
    log.propagate = False
    log.handlers = [_ErrorCollector(errors)]
    set_all_config(dict(config), list(secret_keys))
    root = program if isinstance(program, Path) else None
    user_dir = program_dir or (root if root is None or root.is_dir() else root.parent)
    pulumi_settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(log),
            project=project,
            stack=stack,
            dry_run=mode == "preview",
            organization="organization",
            callbacks=None,
            root_directory=str(root if root is not None else Path.cwd()),
        )
    )
    pulumi_settings.ROOT.set(None)
    loop = _inline_loop_class()()
    monitor.callbacks = pulumi_settings.SETTINGS.callbacks = _local_callbacks(monitor, loop)
    # an earlier failed run in this process must not fail this one
    pulumi_settings.SETTINGS.rpc_manager = RPCManager()
    pulumi_settings.SETTINGS.outputs = set()

    if root is not None:
        target = str(root)

        def body() -> None:
            runpy.run_path(target, run_name="__main__")
    else:
        body = program

    def partial() -> tuple[Resource, ...]:
        return tuple(sorted(monitor.snapshot(), key=lambda r: r.urn))

    def warnings() -> tuple[str, ...]:
        if not mocks.unanswered:
            return ()
        tokens = ", ".join(sorted(mocks.unanswered))
        return (f"no built-in answer for {len(mocks.unanswered)} invoke(s), they returned an empty result: {tokens}",)

    loop.set_exception_handler(lambda _loop, context: errors.append(_task_error(context)))
    try:
        asyncio.set_event_loop(loop)
        with _lean_runtime(monitor):
            _run_flat(body, loop)
    except BaseException as err:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are failures of the program too
        location, code = _location(err, user_dir)
        raise ProgramError(_describe(err), location, code, partial(), warnings()) from err
    finally:
        _quiet_close(loop)
        asyncio.set_event_loop(None)
        pulumi_settings.ROOT.set(None)
        pulumi_settings.SETTINGS.callbacks = None
        monitor.close()
    if errors:
        # an output that failed to resolve would make the capture silently wrong
        raise ProgramError("the program logged errors: " + "; ".join(errors[:5]), partial=partial(),
                           warnings=warnings())

    return Capture(environment=stack, project=project, resources=partial(), warnings=warnings())


def _run_flat(body: Callable[[], Any], loop: Any) -> None:
    """Run the program the way `set_mocks` does, then finish every registration.

    The program's top level runs with the loop stopped (synchronous awaits use
    `run_until_complete`), then the loop runs until no task is left. This avoids the SDK's
    `run_in_stack` drain (`wait_for_rpcs` re-waits every pending output, pass after pass),
    which costs seconds on a few hundred resources, and registers the same requests.
    """
    from inspect import isawaitable

    from pulumi.runtime.settings import SETTINGS, _get_rpc_manager
    from pulumi.runtime.stack import Stack, _load_monitor_feature_support

    loop.run_until_complete(_load_monitor_feature_support())
    stack = Stack()
    try:
        result = body()
        if isawaitable(result):
            loop.run_until_complete(result)
        program = stack._take_async_program()
        if program is not None:  # pulumi.run(main)
            stack._add_program_outputs(loop.run_until_complete(program()))
    finally:
        stack._finish()
        _drain(loop)
    manager = _get_rpc_manager()
    if manager.unhandled_exception is not None:
        raise manager.unhandled_exception.with_traceback(manager.exception_traceback)
    with SETTINGS.lock:
        failed = [t for t in SETTINGS.outputs if t.done() and not t.cancelled() and t.exception() is not None]
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


def _inline_loop_class() -> type:
    import asyncio

    class InlineLoop(asyncio.SelectorEventLoop):
        """An event loop whose `run_in_executor` calls the function at once.

        The SDK sends every monitor call there (wrapped by its `wrap_with_context`), to a
        thread; the capture's monitor answers without blocking (its SDK paths hop to a thread
        of their own), so the thread hand-off, wake-up and lock contention of each of thousands
        of registrations buy nothing. A call that must await on this loop (a transform) raises
        `_OnLoop` and continues as a task. The program's own calls still go to a thread.
        """

        def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> Any:
            if getattr(func, "__qualname__", "") != "wrap_with_context.<locals>.wrapper":
                return super().run_in_executor(executor, func, *args)  # the program's own work: a thread
            future = self.create_future()
            try:
                future.set_result(func(*args))
            except _OnLoop as deferred:
                return self.create_task(deferred.work)
            except BaseException as err:  # noqa: BLE001 - as a thread pool's future keeps it
                future.set_exception(err)
            return future

    return InlineLoop


_LAZY_OUTPUT: type | None = None


def _lazy_output_class() -> type:
    """An `Output` whose task starts when something first reads it.

    A provider class's constructor gives the resource one Output per property its type
    declares (dozens for some types), each an asyncio task awaiting four futures. Programs
    read a few of them; the rest cost a task, its scheduling and its tracking for nothing.
    This one holds the same futures and becomes an ordinary Output on first use.
    """
    global _LAZY_OUTPUT
    if _LAZY_OUTPUT is None:
        from pulumi import Output

        class LazyOutput(Output):  # type: ignore[type-arg]
            def __init__(self, *parts: Any) -> None:  # noqa: D107 - Output's parts, kept for later
                self.__dict__["_parts"] = parts

            @property
            def _data(self) -> Any:
                data = self.__dict__.get("_started")
                if data is None:
                    Output.__init__(self, *self.__dict__.pop("_parts"))
                    data = self.__dict__["_started"]
                return data

            @_data.setter
            def _data(self, data: Any) -> None:
                self.__dict__["_started"] = data

            def _untrack(self) -> None:
                # start first: Output._untrack reads _data holding the lock that starting takes
                self._data  # noqa: B018
                Output._untrack(self)

        _LAZY_OUTPUT = LazyOutput
    return _LAZY_OUTPUT


def _lazy_transfer_properties(res: Any, props: Any, custom: bool) -> dict[str, Any]:
    """`rpc.transfer_properties` with lazy Outputs: the same resolvers and futures."""
    import asyncio
    import functools

    lazy = _lazy_output_class()
    resolvers: dict[str, Any] = {}
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK gives these their own outputs
        value, known, secret, deps = asyncio.Future(), asyncio.Future(), asyncio.Future(), asyncio.Future()
        resolvers[name] = functools.partial(_resolve_property, res, value, known, secret, deps)
        res.__dict__[name] = lazy(deps, value, known, secret)
    return resolvers


def _resolve_property(res: Any, value_future: Any, known_future: Any, secret_future: Any, deps_future: Any,
                      value: Any, is_known: bool, is_secret: bool, deps: Any, failed: Exception | None) -> None:
    """The SDK's resolver (`rpc.transfer_properties`' `do_resolve`), step for step."""
    deps_future.set_result({*deps, res} if deps else {res})
    if failed is not None:
        value_future.set_exception(failed)
        known_future.set_exception(failed)
        secret_future.set_exception(failed)
    else:
        value_future.set_result(value)
        known_future.set_result(is_known)
        secret_future.set_result(is_secret)


@contextlib.contextmanager
def _lean_runtime(monitor: Any) -> Iterator[None]:
    """Costs of the SDK that change nothing a capture records, avoided while a program runs.

    - Each `Resource()` eagerly computes the full URN of every alias as Outputs (azure-native
      classes carry dozens of old-API-version aliases). That list is only read when the
      monitor lacks alias specs; this monitor has them, so the request's aliases are built
      from the options as before and the eager URNs are never used.
    - Each registration walks the Python stack (`traceback.extract_stack`, reading every
      frame's source line) to send the engine a stack trace and source position. The capture
      records neither, so the request carries an empty trace: about 0.4 ms per resource.
    - Each registration computes the URN the SDK would use without a monitor (`create_urn`,
      four chained Outputs) and discards it, since the monitor answers with the URN. With
      plain strings it is one string here, the same one.
    - Each registration sends a few debug messages to the engine (a log request each); the
      mock engine drops everything below ERROR, so they are not built.
    - Each declared property of a provider class gets a lazy Output (`_lazy_output_class`).
    - Registering a stack transform first waits for pending registrations; the SDK looks for
      them on the running loop, and a flat run's top level has none running.
    - A provider class passes every declared input, most of them None; the SDK serializes
      each (resolving its type annotation first) only to drop it. They are dropped before, with
      the same result.
    - The cyclic garbage collector runs every 700 allocations; a program run allocates
      millions of short-lived objects and few cycles, so it runs every 200,000 instead.
    """
    import gc

    import pulumi.log as sdk_log
    import pulumi.resource as sdk_resource
    import pulumi.runtime.resource as sdk_runtime_resource
    import pulumi.runtime.rpc as sdk_rpc
    import pulumi.runtime.stack as sdk_stack
    from pulumi.runtime.proto import resource_pb2, source_pb2

    lean = resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS in monitor.GetDeploymentInfo(None).supportedFeatures
    collapse = sdk_resource.collapse_alias_to_urn
    stack_trace = sdk_runtime_resource._get_stack_trace
    create_urn = sdk_runtime_resource.create_urn

    def known_urn(name: Any, type_: Any, parent: Any = None, project: Any = None, stack: Any = None) -> Any:
        if not (isinstance(name, str) and isinstance(type_, str) and (parent is None or isinstance(parent, str))
                and project is None and stack is None):
            return create_urn(name, type_, parent, project, stack)
        from pulumi import Output
        from pulumi.runtime.settings import get_project, get_stack

        prefix = parent[:parent.rfind("::")] + "$" if parent is not None else f"urn:pulumi:{get_stack()}::{get_project()}::"
        return Output.from_input(f"{prefix}{type_}::{name}")

    debug = sdk_log.debug
    transfer = sdk_rpc.transfer_properties
    serialize = sdk_rpc.serialize_properties
    wait_for_rpcs = sdk_stack._wait_for_pending_rpcs

    def wait_for_registrations() -> None:
        # the SDK's asks the running loop; a flat run's top level runs with the loop stopped
        import asyncio

        from pulumi.runtime.sync_await import _sync_await

        rpcs = {t for t in asyncio.all_tasks(asyncio.get_event_loop()) if t.get_coro().__name__ == "rpc_wrapper"}
        if rpcs:
            _sync_await(asyncio.gather(*rpcs))

    async def serialize_present(inputs: Any, *args: Any, **kwargs: Any) -> Any:
        # the SDK skips a property that serializes to None; None itself always does
        return await serialize({k: v for k in inputs if (v := inputs[k]) is not None}, *args, **kwargs)

    thresholds = gc.get_threshold()
    if lean:
        sdk_resource.collapse_alias_to_urn = lambda alias, *_: alias
    sdk_runtime_resource._get_stack_trace = source_pb2.StackTrace
    sdk_runtime_resource.create_urn = known_urn
    sdk_log.debug = lambda *_, **__: None
    sdk_rpc.transfer_properties = _lazy_transfer_properties
    sdk_rpc.serialize_properties = serialize_present
    sdk_stack._wait_for_pending_rpcs = wait_for_registrations
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        sdk_resource.collapse_alias_to_urn = collapse
        sdk_runtime_resource._get_stack_trace = stack_trace
        sdk_runtime_resource.create_urn = create_urn
        sdk_log.debug = debug
        sdk_rpc.transfer_properties = transfer
        sdk_rpc.serialize_properties = serialize
        sdk_stack._wait_for_pending_rpcs = wait_for_rpcs
        gc.set_threshold(*thresholds)


def _drain(loop: Any) -> None:
    """Run the loop until every task has finished (each pass waits on all of them at once)."""
    import asyncio

    while True:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        if not pending:
            return
        loop.run_until_complete(asyncio.wait(pending))


def _quiet_close(loop: Any) -> None:
    """Close the loop without 'Task exception was never retrieved' noise on stderr."""
    import asyncio

    for task in asyncio.all_tasks(loop):
        if task.done() and not task.cancelled():
            task.exception()
        else:
            task.cancel()
    with contextlib.suppress(RuntimeError):
        loop.close()


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
    if isinstance(err, SystemExit):
        return f"the program called sys.exit({err.code!r}) before it finished"
    if isinstance(err, KeyboardInterrupt):
        return "the program was interrupted"
    text = str(err) or err.__class__.__name__
    return f"{err.__class__.__name__}: {text}"


def _location(err: BaseException, user_dir: Path | None) -> tuple[str | None, str | None]:
    """The deepest frame in the user's directory: (file:line, the line's text).

    A syntax error points at the user's file, not the importer. Without a directory (a
    callable), the deepest frame outside the SDKs and the standard library.
    """
    import linecache
    import sysconfig
    import traceback

    base = str(user_dir.resolve()) + "/" if user_dir is not None else None
    in_user_dir = isinstance(err, SyntaxError) and err.filename and err.lineno and (
        base is None or str(Path(err.filename).resolve()).startswith(base))
    if in_user_dir:
        return f"{_shown(err.filename, user_dir)}:{err.lineno}", (err.text or "").strip() or None  # type: ignore[attr-defined]
    stdlib = sysconfig.get_paths()["stdlib"]
    seen: set[int] = set()
    chain: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:  # the original traceback may sit in a cause
        seen.add(id(cause))
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for link in chain:
        for frame in reversed(traceback.extract_tb(link.__traceback__)):
            name = frame.filename
            # a program's directory often holds its virtualenv: installed packages are never "the user's"
            if "site-packages" in name or name.startswith((stdlib, "<")):
                continue
            if base is not None:
                if not str(Path(name).resolve()).startswith(base):
                    continue
            elif "/pulumi/" in name:
                continue
            text = (frame.line or linecache.getline(name, frame.lineno or 0)).strip()
            return f"{_shown(name, user_dir)}:{frame.lineno}", text or None
    return None, None


def _shown(filename: str, user_dir: Path | None) -> str:
    """An absolute path (the runner shows it relative to where the user ran infra)."""
    return str(Path(filename).resolve()) if not filename.startswith("<") else filename


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
