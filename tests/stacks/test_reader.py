"""Reading a stack file with limits: strict YAML, bounded size and expansion, regular files only."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from stacks.loader import MAX_FILE_BYTES, ConfigError, load_environment, read_config
from tests.conftest import REPO, TODAY, write_stack

BILLION_LAUGHS = "config:\n  infra:tier: development\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]\n" for i in range(1, 10)
)


def reason(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        read_config(path, "stacks/" + path.name)
    assert len(info.value.lines) == 1
    return info.value.lines[0]


def test_a_duplicate_key_is_an_error_with_file_and_line(tmp_path, values):
    path = write_stack(tmp_path, "dev", values)
    text = path.read_text(encoding="utf-8")
    # a second infra:datasets block: today the last one would silently win
    path.write_text(text + "  infra:datasets:\n  - {name: voter-file, classification: restricted}\n"
                    "  infra:datasets: []\n", encoding="utf-8")
    line = text.count("\n") + 3
    assert reason(path) == (
        f"stacks/Pulumi.dev.yaml: line {line}, column 3: duplicate key 'infra:datasets' (first at line {line - 2}); "
        "keep one: with two, one block would be silently dropped"
    )


def test_a_duplicate_nested_key_is_an_error_too(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  infra:aws:\n    region: us-east-1\n    region: eu-west-1\n", encoding="utf-8")
    assert "line 4, column 5: duplicate key 'region' (first at line 3)" in reason(path)


def test_merge_keys_are_not_duplicates(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("base: &b {x: 1}\nconfig:\n  infra:thing:\n    <<: *b\n    x: 2\n", encoding="utf-8")
    assert read_config(path, "p") == {"infra:thing": {"x": 2}}


def test_billion_laughs_is_refused_at_once(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.monotonic()
    assert "expands to more than 100000 values through anchors and aliases" in reason(path)
    assert time.monotonic() - started < 1.0


def test_a_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config: &c\n  infra:x: *c\n", encoding="utf-8")
    assert "an alias refers to the node that contains it" in reason(path)


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert "nest" in reason(path)


def test_a_big_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config: {}\n" + "#" * MAX_FILE_BYTES, encoding="utf-8")
    assert f"more than the {MAX_FILE_BYTES} allowed" in reason(path)


def test_a_symlink_to_dev_zero_is_refused(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.symlink_to("/dev/zero")
    started = time.monotonic()
    assert reason(path) == "stacks/Pulumi.dev.yaml: is not a regular file (a device, pipe or folder); replace it with a YAML file"
    assert time.monotonic() - started < 1.0


def test_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    os.mkfifo(path)
    assert "is not a regular file" in reason(path)


def test_a_folder_and_non_utf8_are_refused(tmp_path):
    folder = tmp_path / "Pulumi.dev.yaml"
    folder.mkdir()
    assert "is not a regular file" in reason(folder)
    binary = tmp_path / "Pulumi.qa.yaml"
    binary.write_bytes(b"config: \xff\xfe\n")
    assert "is not UTF-8 text" in reason(binary)


def test_a_symlink_to_a_regular_stack_file_still_reads(tmp_path, values):
    real = write_stack(tmp_path / "elsewhere", "dev", values)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").symlink_to(real)
    assert load_environment(tmp_path / "stacks", "dev", today=TODAY).tier.value == "development"


# --- one environment at a time ----------------------------------------------------------


@pytest.fixture
def hostile_project(tmp_path: Path) -> Path:
    """The real project's stacks, plus hostile neighbours of every kind."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    for stack in (REPO / "stacks").glob("Pulumi.*.yaml"):
        shutil.copy(stack, root / "stacks" / stack.name)
    (root / "stacks" / "Pulumi.laughs.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    (root / "stacks" / "Pulumi.zero.yaml").symlink_to("/dev/zero")
    (root / "stacks" / "Pulumi.broken.yaml").write_text("config: [\n", encoding="utf-8")
    return root


def infra(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_hostile_neighbour_never_stops_validate_of_another_environment(hostile_project):
    started = time.monotonic()
    result = infra("--cwd", str(hostile_project), "validate", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert result.stdout == "dev: valid\n"
    assert time.monotonic() - started < 5.0


def test_production_notes_a_hostile_neighbour_in_one_line_and_still_validates(hostile_project):
    stacks = hostile_project / "stacks"
    notes: list[str] = []
    env = load_environment(stacks, "prod", today=TODAY, display_root=hostile_project, notes=notes)
    assert env.name == "prod"
    assert sorted(n.split(":")[1].strip() for n in notes) == [
        "stacks/Pulumi.broken.yaml", "stacks/Pulumi.laughs.yaml", "stacks/Pulumi.zero.yaml"]
    assert all("\n" not in n and n.endswith("(not compared with prod)") for n in notes)


def test_envs_lists_every_environment_and_each_broken_one_in_one_line(hostile_project):
    started = time.monotonic()
    result = infra("--cwd", str(hostile_project), "envs")
    assert time.monotonic() - started < 5.0
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
    assert rows == {"broken": "unreadable", "dev": "development", "laughs": "unreadable",
                    "prod": "production", "staging": "staging", "tenant": "production", "zero": "unreadable"}
    problems = result.stderr.splitlines()
    assert len(problems) == 3
    assert any("Pulumi.zero.yaml: is not a regular file" in p for p in problems)
    assert any("Pulumi.laughs.yaml: expands to more than" in p for p in problems)


def test_envs_markdown_is_a_markdown_table(hostile_project):
    result = infra("--cwd", str(hostile_project), "envs", "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[:3] == ["| environment | tier | file | tenant |", "|---|---|---|---|",
                         "| `broken` | unreadable | `stacks/Pulumi.broken.yaml` | no tenant stack |"]
    assert "| `dev` | development | `stacks/Pulumi.dev.yaml` | CI identities from tenant |" in lines
    assert any(line.startswith("- `zero`: stacks/Pulumi.zero.yaml: is not a regular file") for line in lines)


@pytest.mark.parametrize("name", ["x" * 300, "../../etc/passwd", "dev/../prod", "Dev", "-dev", "d"])
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_an_invalid_environment_name_is_exit_2_with_the_rule(tmp_project, name, command):
    result = infra("--cwd", str(tmp_project), command, "--env", name)
    assert result.exit_code == 2, result.output
    assert "environment names are 2-24 lower-case letters, digits and dashes, starting with a letter" in result.stderr
    assert "Traceback" not in result.output


def test_yaml_errors_stay_one_line(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  infra:tier: [\n", encoding="utf-8")
    assert reason(path).startswith("stacks/Pulumi.dev.yaml: line ")


def test_a_file_with_thousands_of_problems_lists_the_first_hundred(tmp_path, values):
    values["cost_centers"] = [{"name": 7}] * 500
    write_stack(tmp_path, "dev", values)
    with pytest.raises(ConfigError) as info:
        load_environment(tmp_path, "dev", today=TODAY)
    assert len(info.value.lines) == 101
    assert info.value.lines[-1].endswith("... and 400 more problem(s); fix these first")
