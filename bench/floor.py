"""The capture-speed floor: a flat `set_mocks` program that registers exactly what a plan registered.

    .venv/bin/python bench/floor.py [--env prod] [--repeat 5]

Builds the program from `infra plan --env ENV --format json`: it imports the provider SDK
modules of every type in the plan (as the real program does), then registers each resource
with the same type, name, parent and inputs through the SDK's generic resource classes under
`pulumi.runtime.set_mocks`, and runs the event loop until every registration is done; a
plain Python process, exiting normally. Then it measures, interleaved, the CPU time (user +
system, children included) of `infra plan --env ENV` and of that program. Target: the plan
costs at most 1.0x the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
INFRA = [str(Path(PY).parent / "infra")] if (Path(PY).parent / "infra").exists() else [PY, "-m", "cli.main"]

_PACKAGES = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native", "azuread": "pulumi_azuread"}

FLOOR = '''
import asyncio, json, sys, importlib
import pulumi
from pulumi.runtime import mocks

PLAN = json.load(open(sys.argv[1]))
for module, name in PLAN["classes"]:
    getattr(importlib.import_module(module), name)  # provider SDKs load a class's module on first use


class Mocks(mocks.Mocks):
    def new_resource(self, args):
        return args.name + "-id", dict(args.inputs)

    def call(self, args):
        return {}


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
mocks.set_mocks(Mocks(), project=PLAN["project"], stack=PLAN["stack"], preview=False)
made = {}
for r in PLAN["resources"]:
    opts = pulumi.ResourceOptions(parent=made.get(r["parent"]), protect=r["protect"],
                                  retain_on_delete=r["retain_on_delete"])
    if r["custom"]:
        made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], r["inputs"], opts)
    else:
        made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)
while True:
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not pending:
        break
    loop.run_until_complete(asyncio.wait(pending))
'''


def floor_plan(capture: dict, stack: str) -> dict:
    """The plan's resources in an order where parents come first, and the modules to import."""
    resources = [r for r in capture["resources"] if not r["type"].startswith("pulumi:providers:")]
    by_urn = {r["urn"]: r for r in resources}
    ordered, seen = [], set()

    def visit(r: dict) -> None:
        if r["urn"] in seen:
            return
        seen.add(r["urn"])
        if r["parent"] in by_urn:
            visit(by_urn[r["parent"]])
        ordered.append(r)

    for r in resources:
        visit(r)
    classes = set()
    for r in resources:
        package, module, kind = (r["type"].split(":") + ["", ""])[:3]
        if package in _PACKAGES:
            first = module.split("/")[0]
            classes.add((_PACKAGES[package] + ("" if first in ("index", "") else "." + first), kind))
    return {"project": capture["project"], "stack": stack, "resources": ordered, "classes": sorted(classes)}


def cpu(cmd: list[str]) -> float:
    """CPU seconds (user + system) of a command and everything it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(env: str, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        plan_json = Path(tmp) / "plan.json"
        plan_cmd = [*INFRA, "plan", "--env", env, "--format", "json", "--output", str(plan_json)]
        subprocess.run(plan_cmd, cwd=ROOT, capture_output=True, check=True)
        floor_json = Path(tmp) / "floor.json"
        plan = floor_plan(json.loads(plan_json.read_text()), env)
        floor_json.write_text(json.dumps(plan), encoding="utf-8")
        floor_py = Path(tmp) / "floor.py"
        floor_py.write_text(FLOOR, encoding="utf-8")
        floor_cmd = [PY, str(floor_py), str(floor_json)]
        plan_out = [*plan_cmd[:-1], os.devnull]
        cpu(floor_cmd)  # warm the page cache for both
        plans, floors = [], []
        for _ in range(repeat):  # interleaved, so load on the machine hits both alike
            plans.append(cpu(plan_out))
            floors.append(cpu(floor_cmd))
    count = len(plan["resources"])
    plan, floor = statistics.median(plans), statistics.median(floors)
    return {"env": env, "resources": count, "plan_cpu_s": round(plan, 3), "floor_cpu_s": round(floor, 3), "ratio": round(plan / floor, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.env, args.repeat)
    verdict = "PASS" if result["ratio"] <= 1.0 else "MISS"
    print(f"capture    infra plan --env {args.env} ({result['resources']} resources) {result['plan_cpu_s']:.2f}s CPU | flat set_mocks program "
          f"{result['floor_cpu_s']:.2f}s CPU | ratio {result['ratio']:.2f} (target <= 1.0) {verdict}")


if __name__ == "__main__":
    main()
