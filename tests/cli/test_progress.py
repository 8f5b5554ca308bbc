"""Progress of long offline commands: phase and resource count on a terminal, nothing when piped."""

from __future__ import annotations

import io

import pytest

from cli.plan import plan_environment
from cli.progress import Phases, wanted
from cli.project import find_project
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_phases_show_on_a_terminal_and_end_with_the_outcome(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("INFRA_NO_PROGRESS", raising=False)
    term = Terminal()
    with Phases("offline plan of dev", stream=term) as p:
        p.phase("running the program")
        p.done("173 resources")
    assert "offline plan of dev: 173 resources (" in term.getvalue()


@pytest.mark.parametrize("env", [{}, {"CI": "true"}, {"INFRA_NO_PROGRESS": "1"}])
def test_nothing_when_piped_or_in_ci(monkeypatch, env):
    monkeypatch.delenv("CI", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    stream = Terminal() if env else io.StringIO()
    assert not wanted(stream)
    with Phases("x", stream=stream) as p:
        p.phase("y")
        p.done("z")
    assert stream.getvalue() == ""


def test_the_offline_plan_reports_its_resource_count_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("INFRA_NO_PROGRESS", raising=False)
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    project = find_project(REPO)
    capture = plan_environment(project, load_environment(project.stacks_dir, "dev", today=TODAY))
    assert f"offline plan of dev: {capture.summary()['total']} resources (" in term.getvalue()
