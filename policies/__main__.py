"""Entry point of the policy pack: `pulumi preview --policy-pack policies` runs this file.

The language host runs it with `policies/` as the script directory, so the repository root
is put on the path first; the pack's policies are exactly `policies.catalog.all_policies()`.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [_ROOT] + [p for p in sys.path if p not in (_HERE, "", _ROOT)]

from policies.pack import run_pack  # noqa: E402

run_pack()
