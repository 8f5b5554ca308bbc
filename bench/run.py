"""Benchmarks, measured side by side in one run (not timed tests; CI does not run them).

    make bench                       # or: .venv/bin/python bench/run.py [--repeat N] [--only help,plan,...]
    make bench installs the `bench` extra (Checkov) into .venv-bench and passes CHECKOV=...;
    without Checkov the side-by-side is left out.

Costs are CPU seconds (user + system) of the child processes, the median of interleaved runs,
so other work on the machine disturbs them less than wall time. Each line prints both sides,
the ratio and PASS/MISS against the issue's target; `bench/results.json` and
`bench/results.md` keep the numbers. Exit 0 always: these are measurements for people.
The cache measurement empties the project's .infra/cache/ first.
The tool's own packages are byte-compiled first, as an installed tool's are after its first
run: with PYTHONDONTWRITEBYTECODE set (as in many containers) every measured run would
otherwise compile them again, while the SDKs on the other side come with their .pyc files.

1. help       `infra --help` / `python -c "import typer"`                        target <= 1.5
2. plan       `infra plan --env prod` / the flat set_mocks floor                  target <= 1.0
              (the floor registers the plan JSON's resources, same types, names, parents and
              inputs, under `pulumi.runtime.set_mocks`, after importing the same SDK modules,
              through `pulumi.CustomResource` with the captured inputs only; for reference, no
              target: the same through each type's provider class, as a program writes it,
              whose constructor registers every property the type declares)
3. synthetic  plan + policy check of 300 ... 5,000 generated resources: ms per resource, and
              the floor at 5,000                                                  target <= 1.0, linear
              (plan with the capture cache emptied first, then policy check reusing it, as CI
              runs them; interleaved with the floor built from that plan, medians of --repeat)
4. cache      a second offline command (policy check after plan, graph after policy check)
              / the same command without the cache                               target <= 0.35
5. checkov    `infra policy check --state` / `checkov --framework terraform_plan` on the same
              AWS resources, with the number of checks each evaluated             target <= 0.2 (5x)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
INFRA = str(Path(PY).parent / "infra")
RESULTS: dict[str, Any] = {}
ROWS: list[tuple[str, str, str, str, str]] = []


def run(cmd: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """(CPU seconds of the child and its children, wall seconds, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stdout


def pair(a: Any, b: Any, repeat: int) -> tuple[float, float]:
    """Medians of CPU seconds of two measurements, interleaved (a, b, a, b, ...)."""
    xs, ys = [], []
    for _ in range(repeat):
        xs.append(a())
        ys.append(b())
    return statistics.median(xs), statistics.median(ys)


def record(key: str, what: str, ours: str, theirs: str, ratio: float, target: float | None, data: dict[str, Any]) -> None:
    verdict = "" if target is None else ("PASS" if ratio <= target else "MISS")
    RESULTS[key] = {**data, "ratio": round(ratio, 3), "target": target, "verdict": verdict or None}
    shown = f"{ratio:.2f}" + (f" (target <= {target}) {verdict}" if target is not None else "")
    ROWS.append((what, ours, theirs, f"{ratio:.2f}", f"<= {target} {verdict}" if target is not None else "-"))
    print(f"{what:<44} {ours:>22} | {theirs:>22} | ratio {shown}", flush=True)


def warm_bytecode() -> None:
    """Byte-compile the tool's packages (compileall writes .pyc whatever PYTHONDONTWRITEBYTECODE says)."""
    import compileall

    for package in ("cli", "components", "policies", "stacks"):
        compileall.compile_dir(ROOT / package, quiet=1)


def infra_env(cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("INFRA_NO_CACHE", None)
    if not cache:
        env["INFRA_NO_CACHE"] = "1"
    return env


# --- 1. help ------------------------------------------------------------------------------------


def bench_help(repeat: int) -> None:
    help_cpu, typer_cpu = pair(lambda: run([INFRA, "--help"])[0], lambda: run([PY, "-c", "import typer"])[0], repeat * 3)
    record("help", "infra --help / import typer", f"{help_cpu * 1000:.0f} ms", f"{typer_cpu * 1000:.0f} ms",
           help_cpu / typer_cpu, 1.5, {"infra_help_s": help_cpu, "import_typer_s": typer_cpu})


# --- 2. plan vs the flat set_mocks floor ------------------------------------------------------------

FLOOR = r'''
"""The floor: the plan's resources registered flat under set_mocks, after the same SDK imports.

With --classes, each custom resource goes through its provider class (`aws.s3.Bucket(name, ...)`,
the inputs' wire names turned into its keyword arguments), as a program would write it: the
class registers every property its type declares. Without, through `pulumi.CustomResource`
with the captured inputs only: the floor of the targets.
"""
import asyncio, importlib, json, sys

import pulumi

plan = json.load(open(sys.argv[1], encoding="utf-8"))
through_classes = "--classes" in sys.argv[2:]
modules = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native", "azuread": "pulumi_azuread"}
classes = {}
for token in sorted({r["type"] for r in plan["resources"]}):
    package, module, name = (token.split(":") + ["", ""])[:3]
    if package not in modules:
        continue
    module = module.split("/")[0]
    path = modules[package] if module in ("index", "") else f"{modules[package]}.{module}"
    for candidate in (path, path + "_"):
        try:
            classes[token] = getattr(importlib.import_module(candidate), name)
            break
        except (ImportError, AttributeError):
            continue


def keywords(cls):
    """Wire name -> the class's keyword argument (its properties, and its Args class's inputs)."""
    names = pulumi._types.resource_pulumi_to_py_names(cls)
    args = getattr(sys.modules[cls.__module__], cls.__name__ + "Args", None)
    if args is not None and pulumi._types.is_input_type(args):
        names.update({wire: py for py, wire in pulumi._types.input_type_py_to_pulumi_names(args).items()})
    return names


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args):
        return {}, []


pulumi.runtime.set_mocks(Mocks(), project=plan["project"], stack=plan["environment"], preview=False)
made = {}
names = {}
raw = 0
pending = list(plan["resources"])
while pending:
    waiting = []
    for r in pending:
        parent = r.get("parent")
        if parent and parent not in made:
            waiting.append(r)
            continue
        opts = pulumi.ResourceOptions(parent=made.get(parent), protect=r.get("protect", False))
        cls = classes.get(r["type"])
        if r["type"].startswith("pulumi:providers:"):
            made[r["urn"]] = pulumi.ProviderResource(r["type"].split(":")[2], r["name"], dict(r["inputs"]), opts)
        elif r["custom"] and through_classes and isinstance(cls, type) and issubclass(cls, pulumi.CustomResource):
            if cls not in names:
                names[cls] = keywords(cls)
            try:
                made[r["urn"]] = cls(r["name"], opts=opts, **{names[cls].get(k, k): v for k, v in r["inputs"].items()})
            except TypeError:  # the class refuses these inputs (a required one the plan left unknown)
                made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts)
                raw += 1
        elif r["custom"]:
            made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts)
        else:
            made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)
    if len(waiting) == len(pending):  # a parent outside the plan (e.g. a provider): register flat
        for r in waiting:
            r["parent"] = None
    pending = waiting


async def settle():
    await asyncio.gather(*(r.urn.future() for r in made.values()))

asyncio.get_event_loop().run_until_complete(settle())
print(len(made), raw)
'''


def floor_of(plan_json: Path, *, classes: bool = False) -> list[str]:
    script = plan_json.with_suffix(".floor.py")
    script.write_text(FLOOR, encoding="utf-8")
    return [PY, str(script), str(plan_json), *(["--classes"] if classes else [])]


def bench_plan(repeat: int, work: Path) -> None:
    plan_json = work / "plan-prod.json"
    plan_cmd = [INFRA, "plan", "--env", "prod", "--format", "json", "--output", str(plan_json), "--no-cache"]
    run(plan_cmd)
    count = len(json.loads(plan_json.read_text(encoding="utf-8"))["resources"])
    floor = floor_of(plan_json)
    registered = int(run(floor)[2].strip().splitlines()[-1].split()[0])
    plan_cpu, floor_cpu = pair(lambda: run(plan_cmd)[0], lambda: run(floor)[0], repeat)
    record("plan_prod", f"infra plan --env prod ({count} resources) / floor", f"{plan_cpu:.2f} s", f"{floor_cpu:.2f} s",
           plan_cpu / floor_cpu, 1.0, {"plan_s": plan_cpu, "floor_s": floor_cpu, "resources": count,
                                       "floor_registered": registered})
    record_classes("plan_prod_classes", "infra plan --env prod", plan_cmd, plan_json, repeat)


def record_classes(key: str, what: str, ours: Any, plan_json: Path, repeat: int) -> None:
    """For reference (no target): the same resources through their provider classes, flat under set_mocks."""
    floor = floor_of(plan_json, classes=True)
    raw = int(run(floor)[2].strip().splitlines()[-1].split()[1])
    measure = ours if callable(ours) else (lambda: run(ours)[0])
    ours_cpu, floor_cpu = pair(measure, lambda: run(floor)[0], repeat)
    record(key, f"{what} / the same through the provider classes", f"{ours_cpu:.2f} s", f"{floor_cpu:.2f} s",
           ours_cpu / floor_cpu, None, {"ours_s": ours_cpu, "classes_floor_s": floor_cpu, "registered_raw": raw})


# --- 3. synthetic sizes ---------------------------------------------------------------------------

SYNTHETIC = '''
"""A synthetic program: {n} resources in components of 100 (buckets, their access blocks, roles)."""
import pulumi
import pulumi_aws as aws

TAGS = {{"owner": "it@example.org", "environment": "dev", "cost-center": "operations", "data-classification": "internal"}}


class Group(pulumi.ComponentResource):
    def __init__(self, name, size):
        super().__init__("civic:bench:Group", name, None, None)
        opts = pulumi.ResourceOptions(parent=self)
        for i in range(size // 2):
            bucket = aws.s3.Bucket(f"{{name}}-b{{i}}", tags=TAGS, opts=opts)
            aws.s3.BucketPublicAccessBlock(f"{{name}}-p{{i}}", bucket=bucket.id, block_public_acls=True,
                                           block_public_policy=True, ignore_public_acls=True,
                                           restrict_public_buckets=True, opts=opts)
        self.register_outputs({{}})


for g in range({n} // 100):
    Group(f"g{{g}}", 99)
'''


def synthetic_project(work: Path, n: int) -> Path:
    root = work / f"synthetic-{n}"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(ROOT / "stacks", root / "stacks", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    program = root / "components" / "platform"
    program.mkdir(parents=True)
    (program / "__main__.py").write_text(SYNTHETIC.format(n=n), encoding="utf-8")
    return root


def plan_and_check(root: Path, out: Path) -> tuple[float, float]:
    """CPU seconds of `plan` then `policy check`, as CI runs them: plan runs the program (its
    capture cache emptied first) and fills the cache, policy check reuses it."""
    env = infra_env(cache=True)
    shutil.rmtree(root / ".infra" / "cache", ignore_errors=True)
    plan_cpu = run([INFRA, "--cwd", str(root), "plan", "--env", "dev", "--format", "json", "--output", str(out)], env=env)[0]
    check_cpu = run([INFRA, "--cwd", str(root), "policy", "check", "--env", "dev", "--format", "json"], env=env, ok=(0, 5))[0]
    return plan_cpu, check_cpu


def bench_synthetic(sizes: list[int], repeat: int, work: Path) -> None:
    rows = []
    for n in sizes:
        root = synthetic_project(work, n)
        out = work / f"synthetic-plan-{n}.json"
        first = plan_and_check(root, out)  # also writes the plan JSON the floor is built from
        floor = floor_of(out)
        ours, floors = [first], [run(floor)[0]]
        for _ in range(repeat - 1):
            ours.append(plan_and_check(root, out))
            floors.append(run(floor)[0])
        count = len(json.loads(out.read_text(encoding="utf-8"))["resources"])
        plan_cpu = statistics.median(p for p, _ in ours)
        check_cpu = statistics.median(c for _, c in ours)
        total = statistics.median(p + c for p, c in ours)
        floor_cpu = statistics.median(floors)
        rows.append({"requested": n, "resources": count, "plan_s": plan_cpu, "check_s": check_cpu,
                     "plan_and_check_s": total, "floor_s": floor_cpu, "runs": repeat,
                     "ms_per_resource": total / count * 1000, "floor_ms_per_resource": floor_cpu / count * 1000})
        print(f"synthetic {count:>5} resources: plan {plan_cpu:.2f} s + check {check_cpu:.2f} s = "
              f"{total / count * 1000:.2f} ms/resource | floor {floor_cpu:.2f} s = "
              f"{floor_cpu / count * 1000:.2f} ms/resource", flush=True)
    RESULTS["synthetic"] = rows
    big, small = rows[-1], rows[0]
    record("synthetic_floor", f"plan + policy check at {big['resources']} / floor", f"{big['plan_and_check_s']:.2f} s",
           f"{big['floor_s']:.2f} s", big["plan_and_check_s"] / big["floor_s"], 1.0, {})
    root, out = work / f"synthetic-{big['requested']}", work / f"synthetic-plan-{big['requested']}.json"
    record_classes("synthetic_classes", f"plan + policy check at {big['resources']}",
                   lambda: sum(plan_and_check(root, out)), out, repeat)
    growth = big["ms_per_resource"] / small["ms_per_resource"]
    record("synthetic_linear", f"ms/resource at {big['resources']} / at {small['resources']}",
           f"{big['ms_per_resource']:.2f} ms", f"{small['ms_per_resource']:.2f} ms", growth, 1.25, {})


# --- 4. the capture cache ------------------------------------------------------------------------------


def bench_cache(repeat: int, work: Path) -> None:
    env = infra_env(cache=True)
    commands = {
        "policy check after plan": ["policy", "check", "--env", "prod", "--format", "json"],
        "graph after policy check": ["graph", "--env", "prod", "--format", "dot", "--output-dir", str(work / "graph")],
    }
    shutil.rmtree(ROOT / ".infra" / "cache", ignore_errors=True)
    first_cpu = run([INFRA, "plan", "--env", "prod", "--format", "json", "--output", str(work / "p.json")], env=env)[0]
    RESULTS["cache_first_plan_s"] = first_cpu
    for label, args in commands.items():
        cached, fresh = pair(lambda a=args: run([INFRA, *a], env=env, ok=(0, 5))[0],
                             lambda a=args: run([INFRA, *a, "--no-cache"], env=env, ok=(0, 5))[0], repeat)
        key = "cache_" + label.split()[0]
        record(key, f"{label}: cached / uncached", f"{cached:.2f} s", f"{fresh:.2f} s", cached / fresh, 0.35,
               {"cached_s": cached, "uncached_s": fresh, "vs_first_plan": cached / first_cpu})


# --- 5. Checkov side by side ------------------------------------------------------------------------

URN = "urn:pulumi:bench::shop::"
TAGS = {"owner": "it@example.org", "environment": "prod", "cost-center": "operations", "data-classification": "internal"}


def aws_resources(n: int) -> list[dict[str, Any]]:
    """`n` AWS resources in groups of nine: (terraform type, pulumi type, name, terraform values, pulumi inputs)."""
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < n:
        b = f"bench-{i}"
        group = [
            ("aws_s3_bucket", "aws:s3/bucket:Bucket", f"bucket{i}", {"bucket": b, "force_destroy": False, "tags": TAGS},
             {"bucket": b, "forceDestroy": False, "tags": TAGS}),
            ("aws_s3_bucket_public_access_block", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"pab{i}",
             {"bucket": b, "block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
              "restrict_public_buckets": True},
             {"bucket": b, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
              "restrictPublicBuckets": True}),
            ("aws_s3_bucket_versioning", "aws:s3/bucketVersioning:BucketVersioning", f"ver{i}",
             {"bucket": b, "versioning_configuration": [{"status": "Enabled"}]},
             {"bucket": b, "versioningConfiguration": {"status": "Enabled"}}),
            ("aws_s3_bucket_server_side_encryption_configuration",
             "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", f"sse{i}",
             {"bucket": b, "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]},
             {"bucket": b, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}),
            ("aws_kms_key", "aws:kms/key:Key", f"key{i}", {"enable_key_rotation": True, "deletion_window_in_days": 30, "tags": TAGS},
             {"enableKeyRotation": True, "deletionWindowInDays": 30, "tags": TAGS}),
            ("aws_security_group", "aws:ec2/securityGroup:SecurityGroup", f"sg{i}",
             {"name": f"sg{i}", "description": "bench", "vpc_id": "vpc-00000000", "tags": TAGS,
              "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                           "description": "ssh", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False}],
              "egress": []},
             {"name": f"sg{i}", "description": "bench", "vpcId": "vpc-00000000", "tags": TAGS,
              "ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"], "description": "ssh"}]}),
            ("aws_db_instance", "aws:rds/instance:Instance", f"db{i}",
             {"identifier": f"db{i}", "engine": "postgres", "instance_class": "db.t4g.micro", "allocated_storage": 20,
              "storage_encrypted": True, "publicly_accessible": False, "backup_retention_period": 7,
              "deletion_protection": True, "multi_az": True, "auto_minor_version_upgrade": True,
              "iam_database_authentication_enabled": True, "tags": TAGS},
             {"identifier": f"db{i}", "engine": "postgres", "instanceClass": "db.t4g.micro", "allocatedStorage": 20,
              "storageEncrypted": True, "publiclyAccessible": False, "backupRetentionPeriod": 7,
              "deletionProtection": True, "multiAz": True, "autoMinorVersionUpgrade": True,
              "iamDatabaseAuthenticationEnabled": True, "tags": TAGS}),
            ("aws_iam_role", "aws:iam/role:Role", f"role{i}",
             {"name": f"role{i}", "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
              "tags": TAGS},
             {"name": f"role{i}", "assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
              "tags": TAGS}),
            ("aws_cloudwatch_log_group", "aws:cloudwatch/logGroup:LogGroup", f"logs{i}",
             {"name": f"/bench/{i}", "retention_in_days": 365, "tags": TAGS},
             {"name": f"/bench/{i}", "retentionInDays": 365, "tags": TAGS}),
        ]
        for tf_type, pulumi_type, name, tf_values, inputs in group:
            if len(out) < n:
                out.append({"tf_type": tf_type, "type": pulumi_type, "name": name, "tf": tf_values, "inputs": inputs})
        i += 1
    return out


def terraform_plan(resources: list[dict[str, Any]]) -> dict[str, Any]:
    planned = [{"address": f"{r['tf_type']}.{r['name']}", "mode": "managed", "type": r["tf_type"], "name": r["name"],
                "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "values": r["tf"],
                "sensitive_values": {}} for r in resources]
    changes = [{"address": p["address"], "mode": "managed", "type": p["type"], "name": p["name"],
                "provider_name": p["provider_name"], "change": {"actions": ["create"], "before": None,
                                                                "after": p["values"], "after_unknown": {}}}
               for p in planned]
    return {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes, "configuration": {"root_module": {}}}


def stack_export(resources: list[dict[str, Any]]) -> dict[str, Any]:
    provider = URN + "pulumi:providers:aws::default_7_0_0"
    out = [{"urn": URN + "pulumi:pulumi:Stack::shop-bench", "custom": False, "type": "pulumi:pulumi:Stack"},
           {"urn": provider, "custom": True, "id": "p0", "type": "pulumi:providers:aws",
            "inputs": {"region": "us-east-1"}, "outputs": {"region": "us-east-1"}}]
    for r in resources:
        out.append({"urn": f"{URN}{r['type']}::{r['name']}", "custom": True, "id": f"{r['name']}-id", "type": r["type"],
                    "inputs": r["inputs"], "outputs": r["inputs"], "provider": f"{provider}::p0",
                    "parent": URN + "pulumi:pulumi:Stack::shop-bench"})
    return {"version": 3, "deployment": {"manifest": {"time": "2026-11-29T00:00:00Z", "magic": "", "version": "v3.200.0"},
                                         "resources": out}}


COUNT_INFRA = """
import json, sys
from pathlib import Path
from cli.policycheck import check_state
report = check_state(Path(sys.argv[1]))
statuses = [report.evaluation.status(r) for r in report.results]
print(json.dumps({"evaluated": sum(s in ("pass", "fail", "exempt") for s in statuses), "findings": len(report.findings)}))
"""


def checkov_command() -> list[str] | None:
    found = os.environ.get("CHECKOV") or shutil.which("checkov", path=str(Path(PY).parent)) or shutil.which("checkov")
    return [found] if found else None


def bench_checkov(sizes: list[int], repeat: int, work: Path) -> None:
    checkov = checkov_command()
    if checkov is None:
        print("checkov    not found (run `make bench`, or set CHECKOV=/path/to/checkov): side-by-side left out")
        RESULTS["checkov"] = None
        return
    version = subprocess.run([*checkov, "--version"], capture_output=True, text=True).stdout.strip()
    rows = []
    for n in sizes:
        resources = aws_resources(n)
        tf = work / f"tfplan-{n}.json"
        state = work / f"stack-{n}.json"
        tf.write_text(json.dumps(terraform_plan(resources)), encoding="utf-8")
        state.write_text(json.dumps(stack_export(resources)), encoding="utf-8")
        infra_cmd = [INFRA, "policy", "check", "--state", str(state), "--format", "json"]
        checkov_cmd = [*checkov, "-f", str(tf), "--framework", "terraform_plan", "-o", "json", "--skip-download",
                       "--soft-fail"]
        ours, theirs = pair(lambda c=infra_cmd: run(c, ok=(0, 5))[0], lambda c=checkov_cmd: run(c)[0],
                            repeat if n <= 1000 else 1)
        summary = json.loads(run(checkov_cmd)[2])
        summary = summary[0] if isinstance(summary, list) else summary
        summary = summary.get("summary", {})
        counted = json.loads(run([PY, "-c", COUNT_INFRA, str(state)])[2].strip().splitlines()[-1])
        row = {"resources": n, "infra_s": ours, "checkov_s": theirs, "ratio": ours / theirs,
               "infra_checks_evaluated": counted["evaluated"], "infra_findings": counted["findings"],
               "checkov_checks_evaluated": summary.get("passed", 0) + summary.get("failed", 0),
               "checkov_failed": summary.get("failed", 0)}
        rows.append(row)
        record(f"checkov_{n}", f"policy check --state / Checkov, {n} resources", f"{ours:.2f} s", f"{theirs:.2f} s",
               ours / theirs, 0.2, row)
        print(f"           checks evaluated: infra {row['infra_checks_evaluated']}, Checkov {row['checkov_checks_evaluated']}",
              flush=True)
    RESULTS["checkov"] = {"version": version, "sizes": rows}


# --- report -------------------------------------------------------------------------------------------


def write_reports(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    RESULTS["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()}
    (out / "results.json").write_text(json.dumps(RESULTS, indent=2, default=float) + "\n", encoding="utf-8")
    lines = ["| measurement | civic-infra | reference | ratio | target |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in ROWS]
    synthetic = RESULTS.get("synthetic") or []
    if synthetic:
        lines += ["", "| synthetic resources | plan + check (CPU s) | ms / resource | floor (CPU s) | floor ms / resource |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['resources']} | {r['plan_and_check_s']:.2f} | {r['ms_per_resource']:.2f} | {r['floor_s']:.2f} | "
                  f"{r['floor_ms_per_resource']:.2f} |" for r in synthetic]
    checkov = RESULTS.get("checkov")
    if checkov:
        lines += ["", f"Checkov {checkov['version']} (`--framework terraform_plan`) and `infra policy check --state` "
                  "on the same AWS resources:", "",
                  "| resources | infra (CPU s) | Checkov (CPU s) | Checkov / infra | checks evaluated: infra | Checkov |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['resources']} | {r['infra_s']:.2f} | {r['checkov_s']:.2f} | {r['checkov_s'] / r['infra_s']:.1f}x | "
                  f"{r['infra_checks_evaluated']} | {r['checkov_checks_evaluated']} |" for r in checkov["sizes"]]
    (out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out / 'results.json'} and {out / 'results.md'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per measurement (median)")
    parser.add_argument("--sizes", default="300,1000,3000,5000", help="synthetic program sizes")
    parser.add_argument("--checkov-sizes", default="135,300,1000,3000,5000", help="resource counts for the side-by-side")
    parser.add_argument("--only", default="help,plan,synthetic,cache,checkov", help="which measurements to run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench", help="folder for results.json and results.md")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs; CPU seconds, medians of {args.repeat} interleaved runs",
          flush=True)
    warm_bytecode()
    with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
        work = Path(tmp)
        if "help" in only:
            bench_help(args.repeat)
        if "plan" in only:
            bench_plan(args.repeat, work)
        if "synthetic" in only:
            bench_synthetic([int(s) for s in args.sizes.split(",")], args.repeat, work)
        if "cache" in only:
            bench_cache(args.repeat, work)
        if "checkov" in only:
            bench_checkov([int(s) for s in args.checkov_sizes.split(",")], args.repeat, work)
    write_reports(args.out)


if __name__ == "__main__":
    main()
