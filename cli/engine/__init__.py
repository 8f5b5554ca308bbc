"""The engine layer: preview, deploy, drift, outputs, refresh, destroy and cancel through Pulumi.

- `adapter`: the only module importing `pulumi.automation` (workspace, stack, calls).
- `preflight`: ordered gates before anything starts (CLI, backend, credentials, config, policy).
- `events`: fold engine events into a masked summary; `drift`: rank drifted properties.
- `protect`: refuse deletes/replaces of protected or stateful resources.
- `history`, `notify`, `render`: deployment records, webhooks, terminal and Markdown output.
- `service`: what each command does; `errors`: typed errors and exit codes.

Nothing is imported here, so `infra --help` never pays for the engine.
"""
