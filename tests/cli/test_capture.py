"""The capture of a small program: URNs, parents, dependencies, protect, secrets, wire names."""

from __future__ import annotations

import json

import pulumi
import pytest

from cli.capture import (
    PLAINTEXT_SECRET,
    SECRET,
    Capture,
    ProgramError,
    capture_program,
    engine_urn,
    stack_config_for_engine,
)


def _program() -> None:
    import pulumi_aws as aws

    class Lake(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("civic:test:Lake", name, None, None)
            bucket = aws.s3.Bucket(f"{name}-raw", opts=pulumi.ResourceOptions(parent=self, protect=True))
            aws.s3.BucketPublicAccessBlock(
                f"{name}-raw-pab", bucket=bucket.id, block_public_acls=True, restrict_public_buckets=True,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            self.register_outputs({"name": bucket.bucket})

    Lake("lake")
    aws.rds.Instance(
        "db", instance_class="db.t4g.micro", allocated_storage=20,
        password=pulumi.Config("infra").require_secret("db_password"),
    )
    aws.ec2.SecurityGroup("sg", vpc_id="vpc-123")
    import pulumi_azure_native as azure_native

    azure_native.keyvault.Secret(
        "plain", resource_group_name="rg", vault_name="kv", secret_name="s", properties={"value": "hunter2"},
    )


@pytest.fixture(scope="module")
def capture() -> Capture:
    return capture_program(
        _program, project="demo", stack="dev", config={"infra:db_password": "s3cr3t-value"},
        secret_keys=["infra:db_password"],
    )


def by_name(capture: Capture, name: str):
    return next(r for r in capture.resources if r.name == name)


def test_urns_follow_the_engine_not_the_stock_mock(capture):
    assert by_name(capture, "lake").urn == "urn:pulumi:dev::demo::civic:test:Lake::lake"
    assert by_name(capture, "lake-raw").urn == "urn:pulumi:dev::demo::civic:test:Lake$aws:s3/bucket:Bucket::lake-raw"
    assert engine_urn("s", "p", "urn:pulumi:s::p::a:b:C$d:e:F::x", "g:h:I", "y") == "urn:pulumi:s::p::a:b:C$d:e:F$g:h:I::y"


def test_parents_and_top_level(capture):
    assert by_name(capture, "lake").parent is None
    assert by_name(capture, "lake-raw").parent == by_name(capture, "lake").urn
    assert by_name(capture, "db").parent is None


def test_dependencies_and_property_dependencies(capture):
    bucket = by_name(capture, "lake-raw")
    pab = by_name(capture, "lake-raw-pab")
    assert bucket.urn in pab.dependencies
    assert pab.property_dependencies["bucket"] == (bucket.urn,)


def test_protect_and_retain(capture):
    assert by_name(capture, "lake-raw").protect is True
    assert by_name(capture, "lake-raw-pab").protect is False
    assert by_name(capture, "lake-raw-pab").retain_on_delete is True


def test_inputs_are_in_wire_form(capture):
    pab = by_name(capture, "lake-raw-pab").inputs
    assert pab["blockPublicAcls"] is True and pab["restrictPublicBuckets"] is True
    assert "block_public_acls" not in pab
    db = by_name(capture, "db").inputs
    assert db["allocatedStorage"] == 20.0 and isinstance(db["allocatedStorage"], float)
    assert by_name(capture, "sg").inputs["description"] == "Managed by Pulumi"


def test_secrets_are_masked_everywhere(capture):
    db = by_name(capture, "db")
    assert db.inputs["password"] == SECRET
    assert db.secret_paths == ("password",)
    text = str(capture.to_json())
    assert "s3cr3t-value" not in text


def test_plaintext_secrets_are_flagged_not_shown(capture):
    plain = by_name(capture, "plain")
    assert plain.inputs["properties"]["value"] == PLAINTEXT_SECRET
    assert plain.plaintext_secret_paths == ("properties.value",)
    assert "hunter2" not in str(capture.to_json())


def test_capture_is_sorted_and_round_trips(capture):
    urns = [r.urn for r in capture.resources]
    assert urns == sorted(urns)
    doc = capture.to_json()
    assert set(doc) == {"environment", "project", "source", "resources", "summary"}
    assert doc["summary"]["by_type"]["aws:s3/bucket:Bucket"] == 1
    again = Capture.from_json(doc)
    assert [r.urn for r in again.resources] == urns
    assert again.resources[0].inputs == capture.resources[0].inputs


def test_program_errors_name_the_location():
    from cli.capture import ProgramError

    def broken() -> None:
        raise ValueError("boom")

    with pytest.raises(ProgramError) as info:
        capture_program(broken, project="demo", stack="dev", config={})
    assert "ValueError: boom" in str(info.value)
    assert info.value.location and "test_capture.py" in info.value.location


def test_stack_config_for_engine_hides_secure_values():
    config, secret = stack_config_for_engine(
        {"infra:tier": "development", "infra:key": {"secure": "v1:abc"}, "infra:net": {"a": 1}}
    )
    assert config == {"infra:tier": "development", "infra:key": "offline-placeholder", "infra:net": '{"a": 1}'}
    assert secret == ["infra:key"]


def test_errors_logged_by_the_program_fail_the_capture():
    from cli.capture import ProgramError

    def logs_an_error() -> None:
        pulumi.log.error("could not resolve something")

    with pytest.raises(ProgramError) as info:
        capture_program(logs_an_error, project="demo", stack="dev", config={})
    assert "could not resolve something" in str(info.value)


def _reference_capture(project, env_name: str) -> Capture:
    """The platform captured the way it was before the runner: in this process, under the SDK's
    own `run_in_stack` (with its `wait_for_rpcs` drain), with the same mocks and monitor."""
    import os
    import runpy
    import sys

    from cli.capture import FAKE_GUID, _Mocks
    from stacks.loader import load_environment, read_config, stack_file

    env = load_environment(project.stacks_dir, env_name)
    config, secret_keys = stack_config_for_engine(read_config(stack_file(project.stacks_dir, env_name), "x"))
    mocks = _Mocks(env.aws.region, env.aws.account_id, str(env.azure.tenant_id) if env.azure else FAKE_GUID)
    before, path_before = os.getcwd(), list(sys.path)
    try:
        os.chdir(project.root)
        return _sdk_path_capture(lambda: runpy.run_path(str(project.program_dir), run_name="__main__"), mocks,
                                 project=project.name, stack=env_name, config=config, secret_keys=secret_keys,
                                 root_directory=str(project.program_dir))
    finally:
        os.chdir(before)
        sys.path[:] = path_before


def _awkward_program() -> None:
    """Everything the lean monitor hands to the SDK's own path, and what it answers itself."""
    import pulumi_aws as aws

    key = aws.kms.Key("key", description=pulumi.Output.secret("secret description"))
    bucket = aws.s3.Bucket("data", tags={"key": key.arn, "nothing": None}, force_destroy=None)
    aws.s3.BucketPolicy("policy", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: f'{{"Resource": "{arn}"}}'))
    aws.s3.BucketPublicAccessBlock("pab", bucket=bucket.bucket, block_public_acls=True)
    me = aws.get_caller_identity()
    aws.iam.Role("role", assume_role_policy=pulumi.Output.all(me.account_id, key.key_id).apply(str))
    pulumi.CustomResource("civic:test:Raw", "raw", {"n": 1, "list": [1, None, "a"], "flag": True,
                                                    "nested": {"gone": None, "kept": 2.5}, "none": None})
    aws.ec2.Instance("vm", ami="ami-0", instance_type="t3.micro", user_data=pulumi.Output.secret("#!/bin/sh"))


def _sdk_path_capture(program, mocks, *, project: str = "demo", stack: str = "dev", config=None, secret_keys=(),
                      root_directory: str = ".") -> Capture:
    """`program` captured through the SDK's own `run_in_stack`, mock monitor path and executor threads."""
    import asyncio
    import logging

    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.mocks import MockEngine, MockSettings
    from pulumi.runtime.stack import run_in_stack

    from cli.capture import _capture_monitor_class

    monitor = _capture_monitor_class()(mocks, stack, project)
    set_all_config(dict(config or {}), list(secret_keys))
    pulumi_settings.configure(MockSettings(
        monitor=monitor, monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=MockEngine(logging.getLogger("reference")), project=project, stack=stack,
        dry_run=mocks.mode == "preview", organization="organization", callbacks=None,
        root_directory=root_directory))
    pulumi_settings.ROOT.set(None)
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(run_in_stack(program))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        pulumi_settings.ROOT.set(None)
    return Capture(stack, project, tuple(sorted(monitor.captured, key=lambda r: r.urn)))


@pytest.mark.parametrize("mode", ["platform", "preview", "up"])
def test_the_lean_monitor_answers_as_the_sdk_path(mode):
    """Registrations the capture answers itself and those it hands to the SDK (secrets, resource
    references, unknowns, invokes) come out as the SDK's own path records them."""
    import json

    lean = capture_program(_awkward_program, project="demo", stack="dev", config={}, mode=mode)
    from cli.capture import FAKE_ACCOUNT, FAKE_GUID, _Mocks

    sdk = _sdk_path_capture(_awkward_program, _Mocks("us-east-1", FAKE_ACCOUNT, FAKE_GUID, mode))
    assert len(lean.resources) == 7
    assert json.dumps(lean.to_json(), indent=2) == json.dumps(sdk.to_json(), indent=2)
    assert [r.secret_paths for r in lean.resources] == [r.secret_paths for r in sdk.resources]
    assert by_name(lean, "pab").inputs["blockPublicAcls"] is True
    assert by_name(lean, "vm").inputs["userData"] == SECRET
    assert by_name(lean, "raw").inputs == {"n": 1.0, "list": [1.0, None, "a"], "flag": True, "nested": {"gone": None, "kept": 2.5}}


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_the_runner_captures_the_platform_byte_for_byte_as_before(env_name):
    """`infra plan --env` runs in the runner's child with the flat drain and the lean runtime; its
    capture JSON is the one the SDK's run_in_stack and mock monitor produce, byte for byte."""
    import json

    from cli.plan import plan_environment
    from cli.project import find_project
    from stacks.loader import load_environment
    from tests.conftest import REPO

    project = find_project(REPO)
    new = plan_environment(project, load_environment(project.stacks_dir, env_name))
    old = _reference_capture(project, env_name)
    assert len(new.resources) > 100
    assert json.dumps(new.to_json(), indent=2, default=str) == json.dumps(old.to_json(), indent=2, default=str)
    assert [r.secret_paths for r in new.resources] == [r.secret_paths for r in old.resources]
    assert [r.plaintext_secret_paths for r in new.resources] == [r.plaintext_secret_paths for r in old.resources]


def test_invokes_answer_with_a_dict_the_mock_monitor_accepts():
    """The base class's `(result, None)` made every invoke raise TypeError in the mock monitor."""
    import pulumi_aws as aws

    def program() -> None:
        me = aws.get_caller_identity()
        zones = aws.get_availability_zones()
        aws.s3.Bucket("b", tags={"account": me.account_id, "zone": zones.names[0]})

    capture = capture_program(program, project="demo", stack="dev", config={}, region="eu-west-1")
    assert by_name(capture, "b").inputs["tags"] == {"account": "000000000000", "zone": "eu-west-1a"}
    assert capture.warnings == ()


def test_secrets_nested_in_maps_and_lists_are_masked_with_their_paths():
    """Registration inputs are read straight from the request's protobuf Struct: a secret deep
    in a map or a list is masked where it sits, and its path recorded."""
    import pulumi_aws as aws

    def program() -> None:
        aws.s3.Bucket("b", tags={"team": "it", "token": pulumi.Output.secret("tag-secret")})
        aws.ec2.SecurityGroup("sg", vpc_id="vpc-123", ingress=[
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]},
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "description": pulumi.Output.secret("rule-secret")},
        ])

    capture = capture_program(program, project="demo", stack="dev", config={})
    bucket, sg = by_name(capture, "b"), by_name(capture, "sg")
    assert bucket.inputs["tags"] == {"team": "it", "token": SECRET}
    assert bucket.secret_paths == ("tags.token",)
    assert sg.inputs["ingress"][0] == {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/8"]}
    assert sg.inputs["ingress"][1]["description"] == SECRET
    assert sg.secret_paths == ("ingress[1].description",)
    assert "tag-secret" not in str(capture.to_json()) and "rule-secret" not in str(capture.to_json())


def test_the_sdk_is_left_as_it_was_after_a_capture():
    """The lean runtime (no stack traces, no monitor-less URNs, no debug log requests) lasts only
    while a program runs; the SDK in this process is unchanged afterwards."""
    import pulumi.log as sdk_log
    import pulumi.resource as sdk_resource
    import pulumi.runtime.resource as sdk_runtime_resource

    before = (sdk_runtime_resource._get_stack_trace, sdk_runtime_resource.create_urn, sdk_log.debug,
              sdk_resource.collapse_alias_to_urn)
    capture_program(lambda: pulumi.ComponentResource("civic:test:Empty", "e"), project="demo", stack="dev", config={})
    after = (sdk_runtime_resource._get_stack_trace, sdk_runtime_resource.create_urn, sdk_log.debug,
             sdk_resource.collapse_alias_to_urn)
    assert after == before


def _transformed_program() -> None:
    """Transforms as programs use them: on a component (reaching its children), on the stack, async."""
    import pulumi_aws as aws

    def company_tags(args: pulumi.ResourceTransformArgs):
        if args.type_ == "aws:s3/bucket:Bucket":
            return pulumi.ResourceTransformResult({**args.props, "tags": {"owner": "it"}}, args.opts)
        return None  # unchanged

    def protect_data(args: pulumi.ResourceTransformArgs):
        return pulumi.ResourceTransformResult(args.props, pulumi.ResourceOptions.merge(
            args.opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True)))

    async def open_it_up(args: pulumi.ResourceTransformArgs):
        if args.type_ == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
            return pulumi.ResourceTransformResult({**args.props, "blockPublicAcls": False}, args.opts)
        return None

    class Lake(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
            super().__init__("civic:test:Lake", name, None, opts)
            bucket = aws.s3.Bucket(f"{name}-raw", opts=pulumi.ResourceOptions(parent=self))
            aws.s3.BucketPublicAccessBlock(f"{name}-pab", bucket=bucket.id, block_public_acls=True,
                                           opts=pulumi.ResourceOptions(parent=self))

    aws.s3.Bucket("before-the-stack-transform")
    pulumi.runtime.register_resource_transform(open_it_up)
    Lake("lake", pulumi.ResourceOptions(transforms=[company_tags]))
    aws.s3.Bucket("own", opts=pulumi.ResourceOptions(transforms=[protect_data]))


@pytest.mark.parametrize("mode", ["platform", "preview", "up"])
def test_transforms_are_applied_as_the_engine_applies_them(mode):
    """The mock monitor never runs transforms (and its callback server never stops): the capture
    runs them, the resource's own, then its ancestors', then the stack's registered before it."""
    capture = capture_program(_transformed_program, project="demo", stack="dev", config={}, mode=mode)
    assert by_name(capture, "lake-raw").inputs["tags"] == {"owner": "it"}
    assert by_name(capture, "lake-pab").inputs["blockPublicAcls"] is False  # stack transform, inside the component
    assert "tags" not in by_name(capture, "before-the-stack-transform").inputs
    own = by_name(capture, "own")
    assert own.protect and own.retain_on_delete and "tags" not in own.inputs
    assert not by_name(capture, "lake-raw").protect


def test_a_failing_transform_fails_the_capture_at_its_line():
    import pulumi_aws as aws

    def broken(args):
        raise KeyError("no-such-prop")

    def program() -> None:
        aws.s3.Bucket("b", opts=pulumi.ResourceOptions(transforms=[broken]))

    with pytest.raises(ProgramError) as info:
        capture_program(program, project="demo", stack="dev", config={})
    assert "no-such-prop" in str(info.value)
    assert info.value.location and "test_capture.py" in info.value.location


def test_invoke_transforms_change_what_the_invoke_is_asked():
    """An invoke transform registered on the stack rewrites each later invoke's arguments."""
    import pulumi_aws as aws

    def pin_the_zone(args):
        if args.token == "aws:index/getAvailabilityZone:getAvailabilityZone":
            return pulumi.InvokeTransformResult({**args.args, "name": "us-east-1f"}, args.opts)
        return None

    def program() -> None:
        before = aws.get_availability_zone(name="us-east-1a")
        pulumi.runtime.register_invoke_transform(pin_the_zone)
        after = aws.get_availability_zone(name="us-east-1a")
        me = aws.get_caller_identity()
        aws.s3.Bucket("b", tags={"before": before.name, "after": after.name, "account": me.account_id})

    capture = capture_program(program, project="demo", stack="dev", config={})
    assert by_name(capture, "b").inputs["tags"] == {"before": "us-east-1a", "after": "us-east-1f",
                                                     "account": "000000000000"}


def test_an_invoke_transform_that_waits_is_an_error_not_a_hang():
    import asyncio

    import pulumi_aws as aws

    async def slow(args):
        await asyncio.sleep(0.01)

    def program() -> None:
        pulumi.runtime.register_invoke_transform(slow)
        aws.get_caller_identity()

    with pytest.raises(ProgramError) as info:
        capture_program(program, project="demo", stack="dev", config={})
    assert "cannot run offline" in str(info.value)


def test_the_programs_own_executor_work_still_runs_on_a_thread():
    """Only the SDK's monitor calls skip the thread pool: a program's own executor call may wait
    for the loop it was started from."""
    import asyncio
    import threading
    import time

    import pulumi_aws as aws

    async def main() -> None:
        ready = threading.Event()
        waiting = asyncio.get_running_loop().run_in_executor(None, ready.wait, 20)
        await asyncio.sleep(0)
        ready.set()
        assert await waiting
        aws.s3.Bucket("b")

    started = time.monotonic()
    capture = capture_program(main, project="demo", stack="dev", config={})
    assert [r.name for r in capture.resources] == ["b"]
    assert time.monotonic() - started < 10


def test_a_secret_a_transform_adds_is_masked():
    import pulumi_aws as aws

    def add_password(args):
        return pulumi.ResourceTransformResult({**args.props, "masterPassword": pulumi.Output.secret("hunter2"),
                                               "note": "hunter3"}, args.opts)

    def program() -> None:
        aws.rds.Instance("db", instance_class="db.t4g.micro", allocated_storage=20,
                         opts=pulumi.ResourceOptions(transforms=[add_password]))

    capture = capture_program(program, project="demo", stack="dev", config={})
    inputs = by_name(capture, "db").inputs
    assert inputs["masterPassword"] == SECRET
    assert "hunter2" not in json.dumps(capture.to_json())
    assert inputs["note"] == "hunter3"
