"""Every `infra ...` line in the workflows, the runbooks and the README exists in the real CLI.

The lines are parsed, never run. Until the engine and policy commands land, their lines fail
here by design: a workflow or runbook must not call a command or flag that does not exist.
"""

from __future__ import annotations

import re

import pytest

from tests.ci.commandlines import (
    all_command_lines,
    commands_in,
    doc_files,
    markdown_scripts,
    parse_problems,
    root_command,
    workflow_files,
)
from tests.conftest import REPO

LINES = all_command_lines()
RUNBOOKS = sorted((REPO / "docs" / "runbooks").glob("*.md"))
ALLOWED_PROGRAMS = {
    # this CLI and Pulumi's, plus the few tools a step cannot do without
    "infra", ".venv/bin/infra", "pulumi", "make", "git", "cd", "export", "unset", "az", "aws", "gh",
    "python", "python3", "cp",
}
PULUMI_COMMANDS = {
    "about", "cancel", "config", "console", "destroy", "import", "install", "login", "logout", "new",
    "org", "plugin", "policy", "preview", "refresh", "stack", "state", "up", "version", "whoami",
}
PULUMI_SUBCOMMANDS = {
    "stack": {"export", "import", "init", "ls", "output", "rm", "rename", "select", "tag", "history",
              "graph", "change-secrets-provider", "unselect"},
    "config": {"set", "get", "rm", "refresh", "cp", "env", "set-all", "rm-all"},
    "state": {"delete", "edit", "move", "rename", "unprotect", "protect", "upgrade", "repair"},
}


def test_lines_were_found_in_workflows_and_docs():
    wheres = {line.where.split(":")[0] for line in LINES}
    assert {".github/workflows/pull-request.yml", ".github/workflows/deploy.yml", ".github/workflows/drift.yml"} <= wheres
    assert len(RUNBOOKS) >= 8
    assert all(any(w.startswith(str(p.relative_to(REPO))) for w in wheres) for p in RUNBOOKS)


@pytest.mark.parametrize("line", LINES, ids=lambda c: f"{c.where} infra {' '.join(c.words)}")
def test_command_line_parses_against_the_cli(line):
    problems = parse_problems(line.words)
    assert problems == [], f"{line.where}: `{line.text}`: " + "; ".join(problems)


def test_the_parser_rejects_what_the_cli_rejects():
    root = root_command()
    assert parse_problems(("plan", "--env", "dev", "--format", "json"), root) == []
    assert parse_problems(("--cwd", "x", "graph", "--env", "prod", "-f", "svg"), root) == []
    assert parse_problems(("report", "pr", "--plan-dir", "r"), root) == []
    assert parse_problems(("plan", "--envs", "dev"), root) == ["`infra plan` has no option --envs"]
    assert parse_problems(("graph", "--env", "x", "--format", "jpg"), root)[0].startswith("`infra graph --format` does not accept 'jpg'")
    assert parse_problems(("plan", "--env"), root) == ["`infra plan --env` needs a value"]
    assert parse_problems(("nope",), root) == ["`infra` has no command 'nope'"]
    assert parse_problems(("report",), root) == ["`infra report` needs a command"]
    assert parse_problems(("envs", "extra"), root) == ["`infra envs` takes no argument 'extra'"]


def test_the_extractor_cuts_at_shell_syntax():
    script = (
        'infra plan --env "$E" --format json > out.json\n'
        "FOO=1 infra envs | head\n"
        "x=$(infra validate --all) && .venv/bin/infra schema -o s.json 2>/dev/null\n"
        "echo infra is not a command here  # infra neither\n"
        "infra report pr \\\n  --plan-dir reports\n"
        "uses ${{ matrix.env }} && infra graph --env ${{ matrix.env }}\n"
    )
    words = [c.words for c in commands_in(script, "t")]
    assert words == [
        ("plan", "--env", "$E", "--format", "json"),
        ("envs",),
        ("validate", "--all"),
        ("schema", "-o", "s.json"),
        ("report", "pr", "--plan-dir", "reports"),
        ("graph", "--env", "GH_EXPRESSION"),
    ]


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_runbook_steps_are_real_commands(path):
    """Each step of a runbook is a command of this CLI, Pulumi's, or a named basic tool."""
    blocks = list(markdown_scripts(path))
    assert blocks, f"{path.name} has no ```bash steps"
    for where, script in blocks:
        for line in script.replace("\\\n", " ").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            program = line.split()[0]
            assert program in ALLOWED_PROGRAMS, f"{where}: `{line}` does not start with a known command"
            if program == "pulumi":
                words = [w for w in line.split()[1:] if not w.startswith("-")]
                assert words and words[0] in PULUMI_COMMANDS, f"{where}: `{line}`: no such pulumi command"
                if words[0] in PULUMI_SUBCOMMANDS:
                    assert len(words) > 1 and words[1] in PULUMI_SUBCOMMANDS[words[0]], f"{where}: `{line}`"


def test_runbooks_use_fenced_bash_blocks_only_for_steps():
    for path in RUNBOOKS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^```\s*$\n(?:infra|pulumi) ", text, re.M), f"{path.name}: unlabelled command block"


def test_the_files_searched_include_composite_actions_and_the_readme():
    assert REPO / "README.md" in doc_files()
    assert REPO / ".github" / "actions" / "cloud-login" / "action.yml" in workflow_files()
