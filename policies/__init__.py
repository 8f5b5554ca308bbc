"""civic-infra's policy set, one evaluation run two ways.

- Offline: `policies.views.stack_from_capture(capture)` + `policies.evaluate.evaluate(stack, ctx)`
  (what `infra policy check` does through `cli.policycheck`).
- In the engine: `pulumi preview --policy-pack policies --policy-pack-config FILE`, where FILE
  holds `json.dumps(policies.config.policy_pack_config(env))`; `policies/__main__.py` builds
  the pulumi_policy PolicyPack from the same catalog (`policies.pack`).

`policies.core` defines the model; one module per service group holds the policies
(`policies/azure/*`, `policies/aws/*`, `policies/org/*`); `policies.catalog.all_policies()`
lists them all.
"""
