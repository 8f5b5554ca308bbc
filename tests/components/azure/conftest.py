"""Whole-environment plans for the Azure component tests (the same captures the AWS tests use)."""

from __future__ import annotations

import pytest

from cli.capture import Capture
from tests.components.aws.conftest import _plan


@pytest.fixture(scope="session")
def prod_plan() -> Capture:
    return _plan("prod")


@pytest.fixture(scope="session")
def tenant_plan() -> Capture:
    return _plan("tenant")


@pytest.fixture(scope="session")
def staging_plan() -> Capture:
    return _plan("staging")


@pytest.fixture(scope="session")
def dev_plan() -> Capture:
    return _plan("dev")
