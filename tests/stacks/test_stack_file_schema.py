"""`infra schema` describes the whole stack file, so editors report no error on shipped files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from stacks.schema import stack_file_schema
from tests.conftest import REPO

STACK_FILES = sorted((REPO / "stacks").glob("Pulumi.*.yaml"))


def as_editor_sees(path: Path):
    """The file as JSON types: YAML dates are plain strings to an editor's schema check."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.fixture(scope="module")
def validator():
    schema = stack_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_shipped_stack_file_validates_against_the_schema(validator, path):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(as_editor_sees(path))]
    assert errors == []


def test_provider_keys_pass_through_and_unknown_infra_keys_do_not(validator):
    doc = as_editor_sees(REPO / "stacks" / "Pulumi.dev.yaml")
    doc["config"]["aws:region"] = "us-east-1"
    doc["config"]["azure-native:location"] = "eastus2"
    assert list(validator.iter_errors(doc)) == []
    doc["config"]["infra:surprise"] = True
    doc["config"]["infra:network"]["aws_vpc_cidr"] = 7
    errors = list(validator.iter_errors(doc))
    messages = sorted(e.message for e in errors)
    # network is optional (the tenant stack has none), so the type error sits under anyOf's context
    nested = [c.message for e in errors for c in e.context or ()]
    assert any("infra:surprise" in m for m in messages) and any("7 is not of type" in m for m in messages + nested)
    del doc["config"]["infra:tier"]
    assert any("'infra:tier' is a required property" in e.message for e in validator.iter_errors(doc))


def test_the_readme_documents_the_modeline():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=" in readme
