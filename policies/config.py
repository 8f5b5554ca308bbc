"""What the engine path passes to the pack: `pulumi preview --policy-pack policies
--policy-pack-config <file with json.dumps(policy_pack_config(env))>`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from policies.context import context_from_environment
from policies.evaluate import effective_enforcement

PACK_DIR = Path(__file__).resolve().parent
"""The policy pack directory (holds PulumiPolicy.yaml); pass it as --policy-pack."""


def policy_pack_config(env: Any, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Per-policy engine config for `env`: the effective enforcement level and the environment context.

    Data-protection policies stay mandatory whatever the environment asks; the request itself
    travels in the context so that `policy-enforcement-valid` reports it inside the engine too.
    """
    from policies.catalog import all_policies

    ctx = context_from_environment(env, today)
    context = ctx.to_config()
    return {
        p.name: {
            "enforcementLevel": effective_enforcement(p, ctx.settings.enforcement).value,
            "context": context,
        }
        for p in all_policies()
    }
