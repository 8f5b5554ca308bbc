"""The generated table of taggable types, against the installed SDKs; and `--state` imports no SDK."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policies import gen_taggable, sdk
from policies.taggable import SDK_VERSIONS, TAGGABLE, UNTAGGABLE
from tests.conftest import REPO

REGENERATE = "regenerate it: .venv/bin/python -m policies.gen_taggable"


@pytest.fixture(scope="module")
def scanned() -> dict[str, bool]:
    return {k: v for p in gen_taggable.PACKAGES for k, v in gen_taggable.scan(p).items()}


def test_table_agrees_with_the_installed_sdks(scanned):
    table = {**dict.fromkeys(TAGGABLE, True), **dict.fromkeys(UNTAGGABLE, False)}
    assert not TAGGABLE & UNTAGGABLE
    disagree = sorted(k for k in table.keys() & scanned.keys() if table[k] != scanned[k])
    assert disagree == [], REGENERATE
    if gen_taggable.installed_versions() == SDK_VERSIONS:
        # same SDK versions as the table was built from: it must be exactly what they define
        assert sorted(scanned.keys() - table.keys()) == [], REGENERATE
        assert sorted(table.keys() - scanned.keys()) == [], REGENERATE
        rendered = gen_taggable.render({"all": scanned}, gen_taggable.installed_versions())
        assert gen_taggable.TABLE.read_text(encoding="utf-8") == rendered, REGENERATE


# The source scan, checked against imported classes: every resource class of these modules
# (lambda_ is the SDK module of `aws:lambda/...` tokens, so the token, not the module, is the key).
MODULES = [
    ("aws", "pulumi_aws.s3"), ("aws", "pulumi_aws.kms"), ("aws", "pulumi_aws.lambda_"), ("aws", "pulumi_aws.cloudtrail"),
    ("azure-native", "pulumi_azure_native.storage"), ("azure-native", "pulumi_azure_native.keyvault"),
    ("azure-native", "pulumi_azure_native.authorization"),
]


@pytest.mark.parametrize(("provider", "module"), MODULES, ids=[m for _, m in MODULES])
def test_table_matches_imported_classes(provider, module):
    import pulumi
    from pulumi.type_token import get_type_token

    package = importlib.import_module(module)
    folder = Path(package.__path__[0])
    checked = 0
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", "get_")) or path.name == "outputs.py":
            continue
        mod = importlib.import_module(f"{module}.{path.stem}")
        for cls in vars(mod).values():
            if not (isinstance(cls, type) and cls.__module__ == mod.__name__ and issubclass(cls, pulumi.CustomResource)):
                continue
            token = get_type_token(cls)
            if not token or issubclass(cls, pulumi.ProviderResource):
                continue
            truth = isinstance(getattr(cls, "tags", None), property)
            key = sdk.lookup_key(token)
            assert key in TAGGABLE or key in UNTAGGABLE, f"{token} missing; {REGENERATE}"
            assert (key in TAGGABLE) == truth, token
            assert sdk.supports_tags(token) == truth, token
            checked += 1
    assert checked >= 3


def test_aliases_and_versioned_tokens_share_the_class_entry():
    assert sdk.supports_tags("aws:s3/bucket:Bucket")
    assert sdk.supports_tags("aws:s3/bucketV2:BucketV2")
    assert not sdk.supports_tags("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert sdk.supports_tags("azure-native:storage/v20230101:StorageAccount")
    assert sdk.supports_tags("aws:lambda/function:Function")
    assert not sdk.supports_tags("azuread:index/group:Group")
    assert not sdk.supports_tags("not-a-token")


def test_a_type_newer_than_the_table_falls_back_to_the_sdk(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(sdk, "_imported_supports_tags", lambda token: asked.append(token) or True)
    assert sdk.supports_tags("aws:s3/bucket:Bucket")
    assert asked == []
    assert sdk.supports_tags("aws:newservice/widget:Widget")
    assert asked == ["aws:newservice/widget:Widget"]


def test_scan_reads_tags_only_from_the_resource_class():
    source = '''
class WidgetArgs:
    def tags(self) -> pulumi.Input[Mapping[str, str]]: ...

@pulumi.type_token("aws:svc/widget:Widget")
class Widget(pulumi.CustomResource):
    def arn(self) -> pulumi.Output[str]: ...

@pulumi.type_token("aws:svc/gadget:Gadget")
class Gadget(pulumi.CustomResource):
    @_builtins.property
    @pulumi.getter
    def tags(self) -> pulumi.Output[Optional[Mapping[str, str]]]: ...
'''
    assert gen_taggable.scan_source(source) == {"aws:svc/widget:Widget": False, "aws:svc/gadget:Gadget": True}


STATE_PROBE = """
import json, sys
from typer.testing import CliRunner
from cli.main import app
result = CliRunner().invoke(app, ["policy", "check", "--state", sys.argv[1], "--format", "json"])
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'pulumi_aws', 'pulumi_azure_native', 'pulumi_azuread', 'pulumi_policy', 'grpc'})
print(json.dumps({"code": result.exit_code, "heavy": heavy, "out": result.stdout}))
"""


def test_policy_check_of_a_state_export_imports_no_provider_sdk(tmp_path):
    stack = "urn:pulumi:dev::shop::"
    export = {"version": 3, "deployment": {"resources": [
        {"urn": stack + "pulumi:pulumi:Stack::shop-dev", "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": stack + "aws:s3/bucket:Bucket::logs", "custom": True, "type": "aws:s3/bucket:Bucket",
         "inputs": {"bucket": "logs"}},
        {"urn": stack + "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::logs", "custom": True,
         "type": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
         "inputs": {"bucket": "logs", "blockPublicAcls": True}},
    ]}}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", STATE_PROBE, str(path)], cwd=REPO, capture_output=True,
                         text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    findings = json.loads(result["out"])["findings"]
    untagged = {f["name"] for f in findings if f["policy"] == "required-tags"}
    assert untagged == {"logs"}  # the bucket is taggable and untagged; the access block cannot be tagged
    assert any(f["policy"] == "required-tags" and "aws:s3/bucket:Bucket" in f["urn"] for f in findings)
