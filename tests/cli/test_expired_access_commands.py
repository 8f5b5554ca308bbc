"""`infra validate` and `infra plan` with expired and soon-expiring vendor access."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from cli.capture import Capture
from cli.main import app
from tests.conftest import write_stack

runner = CliRunner()


def _stack(tmp_project, values, days: int) -> str:
    """dev with one vendor whose access ends `days` from today; returns that date."""
    expires = (date.today() + timedelta(days=days)).isoformat()
    values["vendors"] = [{"name": "mailhouse", "contact": "ops@vendor.example.com", "expires": expires,
                          "azure_roles": ["Reader"]}]
    values["budgets"] = {"aws_monthly_usd": 10, "azure_monthly_usd": 10}
    write_stack(tmp_project / "stacks", "dev", values)
    return expires


def test_validate_warns_about_expired_access_and_exits_0(tmp_project, values):
    expires = _stack(tmp_project, values, -2)
    result = runner.invoke(app, ["--cwd", str(tmp_project), "validate", "--env", "dev"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "dev: valid\n"
    assert result.stderr.splitlines() == [
        f"stacks/Pulumi.dev.yaml: infra:vendors[0].expires: expired on {expires}; the next deploy removes "
        "vendor mailhouse's access; delete the entry",
    ]


def test_validate_warns_about_access_ending_in_10_days(tmp_project, values):
    expires = _stack(tmp_project, values, 10)
    result = runner.invoke(app, ["--cwd", str(tmp_project), "validate", "--env", "dev"])
    assert result.exit_code == 0, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"stacks/Pulumi.dev.yaml: infra:vendors[0].expires: expires on {expires}, in 10 day(s)")


@pytest.fixture
def stub_program(monkeypatch):
    monkeypatch.setattr("cli.plan.plan_environment", lambda project, env: Capture(env.name, project.name, ()))


@pytest.mark.parametrize("format_", ["table", "markdown"])
def test_plan_lists_the_access_it_removes(tmp_project, values, stub_program, format_):
    expires = _stack(tmp_project, values, -2)
    result = runner.invoke(app, ["--cwd", str(tmp_project), "plan", "--env", "dev", "--format", format_])
    assert result.exit_code == 0, result.output
    assert "access that this plan removes (expired)" in result.stdout.lower()
    assert f"vendor mailhouse: expired on {expires} (infra:vendors[0])" in result.stdout
    assert "infra:vendors[0].expires: expired on" in result.stderr


def test_plan_without_expired_access_lists_nothing_and_json_is_the_capture(tmp_project, values, stub_program):
    _stack(tmp_project, values, 30)
    for format_ in ("table", "markdown"):
        result = runner.invoke(app, ["--cwd", str(tmp_project), "plan", "--env", "dev", "--format", format_])
        assert result.exit_code == 0 and "removes (expired)" not in result.stdout.lower()
    doc = json.loads(runner.invoke(app, ["--cwd", str(tmp_project), "plan", "--env", "dev", "--format", "json"]).stdout)
    assert doc == Capture("dev", "tmp-project", ()).to_json()


def test_plan_json_carries_the_removed_access(tmp_project, values, stub_program):
    expires = _stack(tmp_project, values, 0)
    doc = json.loads(runner.invoke(app, ["--cwd", str(tmp_project), "plan", "--env", "dev", "--format", "json"]).stdout)
    assert doc["removed_access"] == [{"kind": "vendor", "name": "mailhouse", "expired_on": expires, "key": "vendors[0]"}]
    assert Capture.from_json(doc) == Capture("dev", "tmp-project", ())
