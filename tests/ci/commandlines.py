"""Find `infra ...` command lines in workflows and docs, and check them against the real CLI.

Nothing is executed: each line is split like a shell would, then walked through the click
command tree that Typer builds from `cli.main.app`, checking every subcommand and option.
"""

from __future__ import annotations

import enum
import re
import shlex
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer.main
import yaml

from tests.conftest import REPO

SEPARATORS = {";", "&&", "||", "|", "(", ")", "&", "\n", "then", "do", "else", "!", "time"}
REDIRECTS = {">", ">>", "<", "2>", "2>>", "&>", ">&", "<<"}
GH_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
BASH_BLOCK = re.compile(r"^```(?:bash|sh|shell)[^\n]*\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class CommandLine:
    """One `infra` invocation: where it was found and its words after `infra`."""

    where: str
    text: str
    words: tuple[str, ...]


def logical_lines(script: str) -> list[str]:
    """Join backslash-continued lines; drop here-doc bodies is not needed for our scripts."""
    return script.replace("\\\n", " ").splitlines()


def commands_in(script: str, where: str, program: str = "infra") -> Iterator[CommandLine]:
    """Every `program ...` invocation in a shell script, cut at pipes, `;`, `&&` and redirections."""
    for line in logical_lines(GH_EXPRESSION.sub("GH_EXPRESSION", script)):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError as err:  # unbalanced quotes: report, don't hide
            raise AssertionError(f"{where}: cannot split `{line.strip()}` like a shell: {err}") from None
        start = True
        for i, token in enumerate(tokens):
            if start and (token == program or token.endswith("/" + program)) and not token.startswith("$"):
                words = []
                rest = tokens[i + 1:]
                for n, word in enumerate(rest):
                    if word in SEPARATORS or word in REDIRECTS or word.startswith(("2>", ">", "<")):
                        break
                    if word.isdigit() and n + 1 < len(rest) and rest[n + 1].startswith((">", "<")):
                        break  # `2>/dev/null`
                    words.append(word)
                yield CommandLine(where, line.strip(), tuple(words))
            start = token in SEPARATORS or token.endswith("$(") or (start and "=" in token and not token.startswith("-"))


def workflow_scripts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, script) for each `run:` of a workflow or composite action."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rel = path.relative_to(REPO)
    jobs = doc.get("jobs") or {}
    for job_name, job in jobs.items():
        for n, step in enumerate(job.get("steps") or []):
            if "run" in step:
                yield f"{rel}: jobs.{job_name}.steps[{n}]", step["run"]
    runs = doc.get("runs") or {}
    for n, step in enumerate(runs.get("steps") or []):
        if "run" in step:
            yield f"{rel}: runs.steps[{n}]", step["run"]


def markdown_scripts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, script) for each ```bash block of a Markdown file.

    Of the README only the CI section is read: other sections show usage synopses
    (`[--flag]`, `a|b`) in their blocks, which are not command lines.
    """
    text = path.read_text(encoding="utf-8")
    if path.name == "README.md" and path.parent == REPO:
        start = text.find("<!-- section:ci -->")
        end = text.find("<!-- /section:ci -->")
        text = (text[:start].count("\n") * "\n" + text[start:end]) if 0 <= start < end else ""
    for match in BASH_BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield f"{path.relative_to(REPO)}:{line}", match.group(1)


def workflow_files() -> list[Path]:
    return sorted((REPO / ".github").rglob("*.yml"))


def doc_files() -> list[Path]:
    return sorted((REPO / "docs").rglob("*.md")) + [REPO / "README.md"]


def all_command_lines() -> list[CommandLine]:
    found: list[CommandLine] = []
    for path in workflow_files():
        for where, script in workflow_scripts(path):
            found += commands_in(script, where)
    for path in doc_files():
        for where, script in markdown_scripts(path):
            found += commands_in(script, where)
    return found


# --- the click tree --------------------------------------------------------------------


def root_command() -> Any:
    from cli.main import app

    return typer.main.get_command(app)


def _option(command: Any, name: str) -> Any:
    for param in command.params:
        if param.param_type_name == "option" and (name in param.opts or name in param.secondary_opts):
            return param
    return None


def _choices(option: Any) -> list[str] | None:
    """The accepted values of an Enum-typed option (Optional or not), else None."""
    descriptor = getattr(option, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return [str(member.value) for member in candidate]
    return None


def _is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def parse_problems(words: tuple[str, ...], root: Any = None) -> list[str]:
    """What is wrong with `infra <words>` against the CLI; empty when every word is known."""
    command: Any = root or root_command()
    path = ["infra"]
    problems: list[str] = []
    positional = 0
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word in ("--help", "-h"):
            continue
        if word.startswith("-") and word != "-":
            name, _, inline = word.partition("=")
            option = _option(command, name)
            if option is None:
                problems.append(f"`{' '.join(path)}` has no option {name}")
                return problems  # whether it took a value is unknowable: stop here
            takes_value = not (option.is_flag or option.count)
            if takes_value and not inline:
                if i >= len(words):
                    problems.append(f"`{' '.join(path)} {name}` needs a value")
                else:
                    value = words[i]
                    choices = _choices(option)
                    literal = "$" not in value and "GH_EXPRESSION" not in value
                    if choices and literal and value not in choices:
                        problems.append(f"`{' '.join(path)} {name}` does not accept {value!r}; one of {list(choices)}")
                    i += option.nargs
            continue
        if _is_group(command):
            sub = command.commands.get(word)
            if sub is None:
                problems.append(f"`{' '.join(path)}` has no command {word!r}")
                return problems
            command = sub
            path.append(word)
            positional = 0
            continue
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        if positional >= sum(max(a.nargs, 1) if a.nargs != -1 else 10_000 for a in arguments):
            problems.append(f"`{' '.join(path)}` takes no argument {word!r}")
        positional += 1
    if _is_group(command) and not {"--help", "-h", "--version"} & set(words):
        problems.append(f"`{' '.join(path)}` needs a command")
    return problems
