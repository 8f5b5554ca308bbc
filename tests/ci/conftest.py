"""One offline plan of dev, shared by the report and graph tests (a capture takes seconds)."""

from __future__ import annotations

import pytest

from cli.capture import Capture
from tests.conftest import REPO


@pytest.fixture(scope="session")
def dev_capture() -> Capture:
    from cli.context import load
    from cli.plan import plan_environment
    from cli.project import find_project

    project = find_project(REPO)
    return plan_environment(project, load(project, "dev"))
