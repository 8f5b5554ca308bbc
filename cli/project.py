"""Find the project as Pulumi does: the nearest `Pulumi.yaml` from a directory upward."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cli.errors import UsageError


@dataclass(frozen=True)
class Project:
    """A Pulumi project on disk: its name, stack config directory and program."""

    root: Path
    name: str
    stacks_dir: Path
    program_dir: Path

    @property
    def state_dir(self) -> Path:
        """Where the toolkit keeps local state, history and reports (git-ignored)."""
        return self.root / ".infra"

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def find_project(start: Path | None = None) -> Project:
    """The project containing `start` (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    if start is not None and not here.is_dir():
        raise UsageError(f"--cwd {start}: not a directory; pass the project directory")
    for candidate in (here, *here.parents):
        manifest = candidate / "Pulumi.yaml"
        if manifest.is_file():
            return _read(manifest)
    raise UsageError(
        f"no Pulumi.yaml in {here} or any parent; run infra inside the project, or pass --cwd DIR"
    )


def _read(manifest: Path) -> Project:
    try:
        doc = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise UsageError(f"{manifest}: invalid YAML ({err.__class__.__name__}); fix the project file") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise UsageError(f"{manifest}: name: is required; give the project a name")
    root = manifest.parent
    return Project(
        root=root,
        name=doc["name"],
        stacks_dir=root / str(doc.get("stackConfigDir") or "."),
        program_dir=root / str(doc.get("main") or "."),
    )
