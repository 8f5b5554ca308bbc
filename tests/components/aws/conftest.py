"""Shared captures and helpers for the AWS component tests (wire form, as the engine sees it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cli.capture import Capture, Resource, capture_program
from cli.plan import plan_environment
from cli.project import find_project
from stacks.loader import load_environment
from stacks.model import Environment
from tests.conftest import REPO, TODAY

ACCOUNT = "000000000003"
REGION = "us-east-1"

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"


def capture(program: Callable[[], None]) -> Capture:
    """Run one component (or define_aws) offline under the capture's mocks."""
    return capture_program(program, project="t", stack="test", config={}, account_id=ACCOUNT)


def one(cap: Capture, type_: str, name: str | None = None) -> Resource:
    found = [r for r in cap.of_type(type_) if name is None or r.name == name]
    assert len(found) == 1, (type_, name, [r.name for r in cap.of_type(type_)])
    return found[0]


def named(cap: Capture, name: str) -> Resource:
    (found,) = [r for r in cap.resources if r.name == name]
    return found


def tied_to(cap: Capture, bucket: Resource, type_: str) -> list[Resource]:
    """Resources of `type_` whose `bucket` input depends on `bucket` (the v7 split, by propertyDependencies)."""
    return [
        r for r in cap.of_type(type_) if bucket.urn in r.property_dependencies.get("bucket", ())
    ]


def document(resource: Resource, key: str = "policy") -> dict[str, Any]:
    return json.loads(resource.inputs[key])


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in doc["Statement"] if s.get("Sid") == sid]
    return found


def environment(name: str) -> Environment:
    return load_environment(REPO / "stacks", name, today=TODAY)


@pytest.fixture(scope="session")
def prod_env() -> Environment:
    return environment("prod")


@pytest.fixture(scope="session")
def dev_env() -> Environment:
    return environment("dev")


def _plan(name: str) -> Capture:
    project = find_project(REPO)
    return plan_environment(project, load_environment(project.stacks_dir, name, today=TODAY))


@pytest.fixture(scope="session")
def prod_plan() -> Capture:
    """The whole prod platform, as `infra plan --env prod` captures it."""
    return _plan("prod")


@pytest.fixture(scope="session")
def dev_plan() -> Capture:
    return _plan("dev")


@pytest.fixture(scope="session")
def staging_plan() -> Capture:
    return _plan("staging")
