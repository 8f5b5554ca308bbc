"""The capture cache (cli/cache.py): reuse, invalidation, bounds, hostile files, no secrets."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import cache
from cli.capture import PLAINTEXT_SECRET, SECRET, Capture, capture_program
from cli.main import app
from cli.project import find_project
from tests.conftest import REPO

PLANTED = "PLANTED-s3cr3t-0000-do-not-leak"
PLANTED_CONFIG = "PLANTED-config-0000-do-not-leak"


def secret_program() -> None:
    import pulumi
    import pulumi_aws as aws

    config = pulumi.Config("shop")
    aws.rds.Instance("db", instance_class="db.t4g.micro", engine="postgres", allocated_storage=20,
                     username="app", password=config.require_secret("dbPassword"))
    aws.secretsmanager.SecretVersion("literal", secret_id="s", secret_string=PLANTED)
    aws.s3.Bucket("logs", tags={"owner": "it@example.org"})


@pytest.fixture(scope="module")
def secret_capture() -> Capture:
    return capture_program(secret_program, project="shop", stack="dev",
                           config={"shop:dbPassword": PLANTED_CONFIG}, secret_keys=["shop:dbPassword"])


@pytest.fixture
def on(monkeypatch):
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)


def test_round_trip_is_the_same_capture(secret_capture, tmp_path, on):
    cache.store(tmp_path / "c", "k" * 64, secret_capture)
    assert cache.load(tmp_path / "c", "k" * 64) == secret_capture


def test_a_planted_secret_never_reaches_the_cache(secret_capture, tmp_path, on):
    by_name = {r.name: r for r in secret_capture.resources}
    assert by_name["db"].inputs["password"] == SECRET
    assert by_name["literal"].inputs["secretString"] in (SECRET, PLAINTEXT_SECRET)
    folder = tmp_path / "c"
    cache.store(folder, "k" * 64, secret_capture)
    blobs = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert blobs and PLANTED.encode() not in blobs and PLANTED_CONFIG.encode() not in blobs


def test_entries_are_private(secret_capture, tmp_path, on):
    folder = tmp_path / "state" / "cache"
    cache.store(folder, "a" * 64, secret_capture)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()] == [0o600]


def test_cached_produces_once_then_reuses(secret_capture, tmp_path, on):
    calls = []

    def produce() -> Capture:
        calls.append(1)
        return secret_capture

    folder = tmp_path / "c"
    assert cache.cached(folder, "a" * 64, produce) == secret_capture
    assert cache.cached(folder, "a" * 64, produce) == secret_capture
    assert len(calls) == 1
    cache.cached(folder, "b" * 64, produce)
    assert len(calls) == 2
    cache.cached(folder, "a" * 64, produce, use_cache=False)
    assert len(calls) == 3


def test_environment_variable_turns_it_off(secret_capture, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.DISABLE_ENV, "1")
    calls = []
    for _ in range(2):
        cache.cached(tmp_path / "c", "a" * 64, lambda: calls.append(1) or secret_capture)
    assert len(calls) == 2 and not (tmp_path / "c").exists()


# --- hostile files -------------------------------------------------------------------------


@pytest.fixture
def stored(secret_capture, tmp_path, on) -> Path:
    folder = tmp_path / "c"
    cache.store(folder, "a" * 64, secret_capture)
    return folder / f"capture-{'a' * 64}.cache"


def _edit_body(blob: bytes) -> bytes:
    return blob.replace(b'"protect":false', b'"protect":true ', 1)


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2],                      # truncated
    lambda b: b"",                                   # empty
    _edit_body,                                      # edited, digest left as it was
    lambda b: b"\x00\xff" * 100,                     # garbage
    lambda b: b.split(b"\n", 1)[1],                  # no header
    lambda b: b.replace(b" 1 ", b" 999 ", 1),        # another format
], ids=["truncated", "empty", "edited", "garbage", "no-header", "format"])
def test_a_damaged_entry_is_ignored_and_removed(stored, damage):
    stored.write_bytes(damage(stored.read_bytes()))
    assert cache.load(stored.parent, "a" * 64) is None
    assert not stored.exists()


def test_an_entry_with_a_valid_digest_but_bad_fields_is_refused(stored):
    import hashlib

    header, body = stored.read_bytes().split(b"\n", 1)
    doc = json.loads(body)
    doc["resources"][0]["protect"] = "yes"
    body = json.dumps(doc).encode()
    parts = header.split(b" ")
    parts[3] = hashlib.sha256(body).hexdigest().encode()
    stored.write_bytes(b" ".join(parts) + b"\n" + body)
    assert cache.load(stored.parent, "a" * 64) is None


def test_an_entry_is_never_trusted_for_another_key(stored):
    other = stored.parent / f"capture-{'b' * 64}.cache"
    shutil.copy(stored, other)
    os.chmod(other, 0o600)
    assert cache.load(stored.parent, "b" * 64) is None
    assert cache.load(stored.parent, "a" * 64) is not None


def test_oversized_symlinked_or_shared_entries_are_not_read(stored, monkeypatch, tmp_path):
    key = "a" * 64
    monkeypatch.setattr(cache, "MAX_ENTRY_BYTES", 100)
    assert cache.load(stored.parent, key) is None
    monkeypatch.undo()
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)

    def fresh(capture_path: Path) -> None:
        if capture_path.exists() or capture_path.is_symlink():
            capture_path.unlink()

    # a symlink to a valid entry elsewhere
    elsewhere = tmp_path / "elsewhere.cache"
    cache.store(tmp_path / "other", key, cache.decode(_valid_blob(key), key))
    shutil.copy(tmp_path / "other" / f"capture-{key}.cache", elsewhere)
    fresh(stored)
    stored.symlink_to(elsewhere)
    assert cache.load(stored.parent, key) is None
    # writable by others
    fresh(stored)
    stored.write_bytes(_valid_blob(key))
    os.chmod(stored, 0o666)
    assert cache.load(stored.parent, key) is None
    # a folder others can read is tightened before use
    stored.write_bytes(_valid_blob(key))
    os.chmod(stored, 0o600)
    os.chmod(stored.parent, 0o755)
    assert cache.load(stored.parent, key) is not None
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700


def _valid_blob(key: str) -> bytes:
    return cache.encode(Capture("dev", "shop", ()), key)


def test_random_bytes_never_raise(tmp_path, on):
    import random

    folder = tmp_path / "c"
    folder.mkdir(mode=0o700)
    rng = random.Random(7)
    valid = _valid_blob("a" * 64)
    for i in range(200):
        blob = bytearray(valid)
        for _ in range(rng.randint(1, 5)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        path = folder / f"capture-{'a' * 64}.cache"
        path.write_bytes(bytes(blob) if i % 2 else bytes(rng.randbytes(rng.randint(0, 300))))
        os.chmod(path, 0o600)
        result = cache.load(folder, "a" * 64)
        assert result is None or result == Capture("dev", "shop", ())


def test_the_folder_is_trimmed_to_its_bound_oldest_first(tmp_path, on):
    folder = tmp_path / "c"
    for i, key in enumerate(("a", "b", "c")):
        cache.store(folder, key * 64, Capture("dev", "shop", ()))
        os.utime(folder / f"capture-{key * 64}.cache", (1000 + i, 1000 + i))
    size = (folder / f"capture-{'a' * 64}.cache").stat().st_size
    cache.trim(folder, limit=2 * size)
    assert sorted(p.name[8:9] for p in folder.glob("capture-*")) == ["b", "c"]


# --- the key --------------------------------------------------------------------------------


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A project with the real stack files and a stand-in program (the program is stubbed)."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "stacks", root / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "components" / "platform").mkdir(parents=True)
    (root / "components" / "platform" / "__main__.py").write_text("print('program')\n", encoding="utf-8")
    return root


def test_key_changes_with_everything_that_changes_a_capture(project_copy, monkeypatch):
    from datetime import date

    project = find_project(project_copy)
    base = cache.environment_key(project, "dev", today=date(2026, 11, 1))
    assert cache.environment_key(project, "dev", today=date(2026, 11, 1)) == base
    assert cache.environment_key(project, "prod", today=date(2026, 11, 1)) != base
    assert cache.environment_key(project, "dev", today=date(2026, 11, 2)) != base

    def changed(edit) -> bool:
        edit()
        return cache.environment_key(project, "dev", today=date(2026, 11, 1)) != base

    program = project_copy / "components" / "platform" / "__main__.py"
    stack = project_copy / "stacks" / "Pulumi.dev.yaml"
    original_program, original_stack = program.read_text(), stack.read_text()
    assert changed(lambda: program.write_text(original_program + "# edited\n"))
    program.write_text(original_program)
    assert not changed(lambda: None)
    assert changed(lambda: stack.write_text(original_stack + "# edited\n"))
    stack.write_text(original_stack)
    assert changed(lambda: (project_copy / "components" / "helper.py").write_text("X = 1\n"))
    (project_copy / "components" / "helper.py").unlink()
    assert not changed(lambda: (project_copy / "reports").mkdir() or (project_copy / "reports" / "plan.json").write_text("{}"))
    assert changed(lambda: monkeypatch.setattr(cache, "_installed", lambda: ["pulumi_aws-7.99.0.dist-info"]))
    monkeypatch.undo()
    monkeypatch.setattr("cli.__version__", "9.9.9")
    assert cache.environment_key(project, "dev", today=date(2026, 11, 1)) != base


# --- through the commands -----------------------------------------------------------------------


def test_offline_commands_share_one_capture(project_copy, secret_capture, monkeypatch, on):
    calls: list[str] = []

    def plan_environment(project, env):
        calls.append(env.name)
        return Capture(env.name, project.name, secret_capture.resources)

    monkeypatch.setattr("cli.plan.plan_environment", plan_environment)
    runner = CliRunner()
    cwd = ["--cwd", str(project_copy)]
    first = runner.invoke(app, [*cwd, "plan", "--env", "dev", "--format", "json"])
    assert first.exit_code == 0, first.output
    policy = runner.invoke(app, [*cwd, "policy", "check", "--env", "dev", "--format", "json"])
    assert policy.exit_code in (0, 5), policy.output
    graph = runner.invoke(app, [*cwd, "graph", "--env", "dev", "--format", "dot", "-o", str(project_copy / "out")])
    assert graph.exit_code == 0, graph.output
    compliance = runner.invoke(app, [*cwd, "compliance", "--env", "dev"])
    assert compliance.exit_code == 0, compliance.output
    assert calls == ["dev"]
    again = runner.invoke(app, [*cwd, "plan", "--env", "dev", "--format", "json"])
    assert again.stdout == first.stdout
    fresh = runner.invoke(app, [*cwd, "plan", "--env", "dev", "--format", "json", "--no-cache"])
    assert fresh.stdout == first.stdout and calls == ["dev", "dev"]
    stack = project_copy / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "# a change\n")
    runner.invoke(app, [*cwd, "policy", "check", "--env", "dev", "--format", "json"])
    assert calls == ["dev", "dev", "dev"]
    blobs = b"".join(p.read_bytes() for p in (project_copy / ".infra" / "cache").iterdir())
    assert PLANTED.encode() not in blobs and PLANTED_CONFIG.encode() not in blobs


def test_engine_preflight_path_does_not_use_the_cache(project_copy, secret_capture, monkeypatch, on):
    from cli.context import load
    from cli.policycheck import check_environment

    calls: list[str] = []
    monkeypatch.setattr("cli.plan.plan_environment",
                        lambda project, env: calls.append(env.name) or Capture(env.name, project.name, ()))
    project = find_project(project_copy)
    env = load(project, "dev")
    check_environment(project, env)
    check_environment(project, env)
    assert calls == ["dev", "dev"] and not (project_copy / ".infra" / "cache").exists()


def test_a_program_directory_is_never_cached_and_its_changes_always_count(tmp_path, on):
    program = tmp_path / "program"
    shutil.copytree(REPO / "tests" / "fixtures" / "standalone_program", program,
                    ignore=shutil.ignore_patterns("__pycache__"))
    args = ["policy", "check", "--program", str(program), "--stack", "dev", "--format", "json"]
    before = CliRunner().invoke(app, args)
    assert before.exit_code == 5, before.output
    main = program / "__main__.py"
    main.write_text(main.read_text(encoding="utf-8") + '\naws.s3.Bucket("added-later")\n', encoding="utf-8")
    after = CliRunner().invoke(app, args)
    names = {f["name"] for f in json.loads(after.stdout)["findings"]}
    assert "added-later" in names and "added-later" not in before.stdout
    assert not (program / ".infra").exists()
