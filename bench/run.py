"""Benchmarks, measured side by side in one run (not timed tests).

    .venv/bin/python bench/run.py [--repeat N] [--sizes 100,1000,5000]

1. `infra --help` against `python -c "import typer"`            target: within 1.5x
2. `infra plan --env prod` against importing the provider modules it uses   target: within 1.5x
3. offline plan of synthetic programs of 100, 1,000 and 5,000 resources      target: linear growth
4. `infra plan --env prod` CPU against a flat set_mocks program registering the same resources
   (bench/floor.py builds it from the plan JSON)                              target: at most 1.0x

Each line prints the medians, the ratio and PASS/MISS against the target. Exit 0 always:
these are measurements for people, not gates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
INFRA = [PY, "-m", "cli.main"] if not (Path(PY).parent / "infra").exists() else [str(Path(PY).parent / "infra")]


def wall(cmd: list[str], repeat: int) -> float:
    """Median wall time of a command, in seconds (one warm-up run first)."""
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "MISS"


def bench_help(repeat: int) -> None:
    help_time = wall([*INFRA, "--help"], repeat)
    typer_time = wall([PY, "-c", "import typer"], repeat)
    ratio = help_time / typer_time
    print(f"help       infra --help {help_time:.3f}s | import typer {typer_time:.3f}s | "
          f"ratio {ratio:.2f} (target <= 1.5) {verdict(ratio, 1.5)}")


PROBE_MODULES = """
import os, sys
# the plan runs the program in a child process (cli.runner): capture it here instead to see its imports
from cli.capture import capture_program, stack_config_for_engine
from cli.project import find_project
from stacks.loader import read_config, stack_file
project = find_project()
config, secret = stack_config_for_engine(read_config(stack_file(project.stacks_dir, "prod"), "prod"))
os.chdir(project.root)
capture_program(project.program_dir, project=project.name, stack="prod", config=config, secret_keys=secret)
mods = sorted(m for m in sys.modules if m.split(".")[0] in
              ("pulumi", "pulumi_aws", "pulumi_azure_native", "pulumi_azuread", "pulumi_policy"))
print("\\n".join(mods))
"""


def bench_plan(repeat: int) -> None:
    used = subprocess.run([PY, "-c", PROBE_MODULES], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = [m for m in used.stdout.split() if m]
    floor_cmd = [PY, "-c", "import " + ", ".join(modules)]
    plan_time = wall([*INFRA, "plan", "--env", "prod", "--format", "json", "--output", "/dev/null"], repeat)
    floor = wall(floor_cmd, repeat)
    ratio = plan_time / floor
    print(f"plan prod  infra plan {plan_time:.3f}s | import of its {len(modules)} provider/SDK modules "
          f"{floor:.3f}s | ratio {ratio:.2f} (target <= 1.5) {verdict(ratio, 1.5)}")


SYNTHETIC = """
import json, sys, time
import pulumi
import pulumi_aws as aws
from cli.capture import capture_program

N = int(sys.argv[1])

class Group(pulumi.ComponentResource):
    def __init__(self, name, size):
        super().__init__("civic:bench:Group", name, None, None)
        for i in range(size // 2):
            bucket = aws.s3.Bucket(f"{name}-b{i}", opts=pulumi.ResourceOptions(parent=self))
            aws.s3.BucketPublicAccessBlock(f"{name}-p{i}", bucket=bucket.id, block_public_acls=True,
                                           opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

def program():
    for g in range(max(1, N // 100)):
        Group(f"g{g}", min(N, 100) - 2 if N >= 100 else N)

start = time.perf_counter()
cap = capture_program(program, project="bench", stack="dev", config={})
print(json.dumps({"seconds": time.perf_counter() - start, "resources": len(cap.resources)}))
"""


def bench_scaling(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        out = subprocess.run([PY, "-c", SYNTHETIC, str(n)], cwd=ROOT, capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((n, result["resources"], result["seconds"]))
        per = result["seconds"] / result["resources"] * 1000
        print(f"synthetic  {n:>5} requested, {result['resources']:>5} captured: {result['seconds']:.2f}s "
              f"({per:.2f} ms/resource)")
    (_, small_n, small_t), (_, big_n, big_t) = rows[0], rows[-1]
    growth = (big_t / big_n) / (small_t / small_n)
    print(f"scaling    per-resource time at {big_n} vs {small_n}: x{growth:.2f} "
          f"(linear is ~1; target <= 1.5) {verdict(growth, 1.5)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median is reported)")
    parser.add_argument("--sizes", default="100,1000,5000", help="synthetic program sizes")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {ROOT}")
    bench_help(args.repeat)
    bench_plan(max(1, args.repeat // 2))
    bench_scaling([int(s) for s in args.sizes.split(",")])
    bench_floor(args.repeat)


def bench_floor(repeat: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from floor import measure

    result = measure("prod", repeat)
    print(f"capture    infra plan --env prod ({result['resources']} resources) {result['plan_cpu_s']:.2f}s CPU | "
          f"flat set_mocks program {result['floor_cpu_s']:.2f}s CPU | ratio {result['ratio']:.2f} "
          f"(target <= 1.0) {verdict(result['ratio'], 1.0)}")


if __name__ == "__main__":
    main()
